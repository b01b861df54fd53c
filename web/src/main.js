// The simulator page: a policy editor, a scenario (request, directory, grants, now) and
// the live decision, all evaluated in the browser by the wasm build of the core.
import init, { Simulator, addZone, describeReason, evaluate, missingZones, testCase, version } from "../dist/pkg/signoff.js";
import { createEditor, goTo, setText, showDiagnostics } from "./editor.js";
import { GALLERY } from "./gallery.js";
import { setupCompare } from "./compare.js";
import { fetchZoneFile, zoneSupplier } from "./zones.js";
import { CASE_PREFIX, decodeCaseFragment, decodeState, encodeState } from "./share.js";
import { ACTIONS, ROLES, caseFileName, caseToState, caseYaml, directoryInput, expectFrom, normalize, scenarioInput } from "./state.js";

const $ = (selector) => document.querySelector(selector);
// The module has no time-zone database: the zones a policy names come from dist/tz.
const supplyZones = zoneSupplier({ missingZones, addZone }, fetchZoneFile(import.meta.url));
const USERS_SHOWN = 100;

/** A small element builder: h("li", { class: "x", onclick }, "text", child). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let state;
let sim;
let view;
let answer = null;
let compare = null;
let lastFragment = "";
let expectTimer = 0;

// ---------------------------------------------------------------- state changes

// A keystroke parses the policy and evaluates at once; the lint against the directory
// (unknown groups, unsatisfiable requirements) follows when typing pauses.
const DIRECTORY_CODES = new Set(["unknown_group", "unknown_user", "unsatisfiable"]);
let directoryWarnings = [];
let lintTimer = 0;

/** Milliseconds each policy edit took, rendering included (the last 200). */
const editTimings = [];

function onPolicyEdit(text) {
  const started = performance.now();
  state.policy = text;
  const diagnostics = sim.setPolicy(text);
  const errors = diagnostics.some((d) => d.severity === "error");
  showLint(errors ? diagnostics : [...diagnostics, ...directoryWarnings].sort((a, b) => a.line - b.line || a.col - b.col));
  refresh(true);
  scheduleLint();
  editTimings.push(performance.now() - started);
  if (editTimings.length > 200) editTimings.shift();
  // A zone named for the first time is fetched, then the current policy compiled again.
  supplyZones().then((added) => added && onPolicyEdit(state.policy));
}

function scheduleLint(delay = 250) {
  clearTimeout(lintTimer);
  lintTimer = setTimeout(lintNow, delay);
}

function lintNow() {
  clearTimeout(lintTimer);
  const all = sim.lint();
  directoryWarnings = all.filter((d) => DIRECTORY_CODES.has(d.code));
  showLint(all);
}

function showLint(diagnostics) {
  showDiagnostics(view, diagnostics);
  renderDiagnostics(diagnostics);
}

function onDirectoryChange() {
  sim.setDirectory(directoryInput(state.directory));
  renderUserNames();
  refresh();
  scheduleLint();
}

function onScenarioChange() {
  sim.setScenario(scenarioInput(state));
  refresh();
}

let answerKey = "";

/**
 * Evaluates and redraws what depends on the decision. A policy edit that leaves the
 * decision as it was (most keystrokes) redraws nothing; a scenario change always
 * redraws the grants.
 */
function refresh(policyEdit = false) {
  answer = sim.evaluate();
  const key = JSON.stringify(answer);
  if (policyEdit && key === answerKey) return;
  answerKey = key;
  renderDecision();
  renderGrants();
  scheduleExpectCheck();
  compare?.update(state, answer);
}

function loadState(next, message) {
  state = normalize(next);
  sim.setDirectory(directoryInput(state.directory));
  sim.setScenario(scenarioInput(state));
  setText(view, state.policy); // evaluates through onPolicyEdit
  sim.setPolicy(state.policy);
  renderScenario();
  refresh();
  lintNow();
  if (message) status(message);
}

// ---------------------------------------------------------------- diagnostics

function renderDiagnostics(diagnostics) {
  const list = $("#diagnostics");
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  $("#diagnostics-count").textContent = diagnostics.length
    ? `${errors} error${errors === 1 ? "" : "s"}, ${diagnostics.length - errors} warning${diagnostics.length - errors === 1 ? "" : "s"}`
    : "none";
  list.replaceChildren(
    ...diagnostics.map((d) =>
      h(
        "li",
        { class: d.severity },
        h(
          "button",
          { type: "button", class: "link", onclick: () => goTo(view, d.line, d.col), "data-line": String(d.line), "data-code": d.code },
          h("span", { class: "where" }, `${d.line}:${d.col}`),
          h("span", { class: `sev ${d.severity}` }, d.severity),
          ` ${d.message} `,
          h("code", {}, d.code),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------- decision

const EXEMPT_WORDS = {
  super_admin: "the requester is a super-admin and super-admins are exempt for this kind",
  user: "the requester is listed as an exception for this kind",
  group: "the requester is in a group listed as an exception for this kind",
  token: "the request comes from an API token listed as an exception",
};

function names(list, more = 0) {
  if (!list.length) return h("span", { class: "muted" }, "nobody");
  return h("span", {}, ...list.map((n, i) => [i ? ", " : "", h("span", { class: "user" }, n)]), more ? ` and ${more} more` : "");
}

function requirementItem(r) {
  const children = r.any_of ?? r.all_of;
  const state = r.satisfied ? "satisfied" : r.unsatisfiable ? "unsatisfiable" : "open";
  const item = h(
    "li",
    { class: `req ${state}` },
    h(
      "div",
      { class: "req-head" },
      h("span", { class: "mark", "aria-hidden": "true" }, r.satisfied ? "✓" : r.unsatisfiable ? "!" : "…"),
      h("span", { class: "label" }, r.label),
      h("meter", { min: 0, max: r.need, value: r.have, "aria-label": `${r.have} of ${r.need}` }),
      h("span", { class: "have-need" }, `${r.have}/${r.need}`),
      h("span", { class: "visually-hidden" }, r.satisfied ? "satisfied" : r.unsatisfiable ? "cannot be satisfied" : "not yet satisfied"),
    ),
  );
  if (!children) {
    item.append(
      h("div", { class: "req-detail" }, "Counted: ", names(r.approved_by)),
      r.satisfied ? "" : h("div", { class: "req-detail" }, "Could still approve: ", names(r.candidates, r.candidates_more)),
    );
  }
  if (r.unsatisfiable) item.append(h("div", { class: "req-detail warn" }, "Fewer eligible people than it needs: this can never be satisfied."));
  if (children) {
    item.append(h("div", { class: "req-detail muted" }, r.any_of ? "any one of:" : "all of:"), h("ul", { class: "tree" }, children.map(requirementItem)));
  }
  return item;
}

function renderDecision() {
  const box = $("#decision");
  if (!answer) return;
  if (!answer.ok) {
    box.replaceChildren(
      h("div", { class: "badge invalid", "data-decision": "invalid" }, "cannot evaluate"),
      h("p", {}, "Fix these first:"),
      h("ul", { class: "errors" }, answer.diagnostics.map((d) => h("li", {}, `${d.file}:${d.line}:${d.col}: ${d.message} [${d.code}]`))),
    );
    return;
  }
  const d = answer.decision;
  const parts = [
    h("div", { class: "decision-head" }, h("span", { class: `badge ${d.decision}`, "data-decision": d.decision, id: "decision-badge" }, d.decision.replace("_", " ")), h("p", { class: "summary", id: "summary" }, d.summary)),
  ];
  if (d.window) {
    const until = d.window.until ? `until ${d.window.until}` : "with no opening ahead";
    const what = d.window.kind === "blackout" ? `Blackout window “${d.window.name}” is open` : `Outside maintenance window “${d.window.name}”`;
    parts.push(h("div", { class: "banner window", role: "note" }, h("strong", {}, "Blocked. "), `${what}: deployments wait ${until}. Exceptions do not bypass windows; only the window's allow list does.`));
  }
  if (d.exempt) parts.push(h("div", { class: "banner exempt", role: "note" }, h("strong", {}, "Exempt. "), `No approval needed: ${EXEMPT_WORDS[d.exempt.reason] ?? d.exempt.reason}.`));
  if (d.rejected_by.length) parts.push(h("div", { class: "banner rejected", role: "note" }, h("strong", {}, "Rejected by "), names(d.rejected_by), ". An eligible rejection blocks the request until it is revoked."));
  parts.push(h("div", { id: "expect-status", class: "expect-status" }));
  if (!d.policies.length) {
    parts.push(h("p", { class: "muted" }, d.decision === "not_required" ? "No policy applies to this request." : "No requirements to show."));
  }
  for (const p of d.policies) {
    parts.push(
      h(
        "section",
        { class: `policy ${p.satisfied ? "satisfied" : "open"}`, "aria-label": `policy ${p.name}` },
        h("h3", {}, h("span", { class: "mark", "aria-hidden": "true" }, p.satisfied ? "✓" : "…"), ` ${p.name} `, h("span", { class: "muted" }, p.satisfied ? "satisfied" : "not yet satisfied")),
        h("ul", { class: "tree" }, p.requirements.map(requirementItem)),
      ),
    );
  }
  parts.push(h("h3", {}, "Ignored grants ", h("span", { class: "count" }, String(d.ignored.length))));
  parts.push(
    d.ignored.length
      ? h("ul", { class: "ignored", id: "ignored" }, d.ignored.map((i) => h("li", { "data-by": i.by, "data-reason": i.reason }, h("span", { class: "user" }, i.by), ": ", describeReason(i.reason) ?? i.reason, " ", h("code", {}, i.reason))))
      : h("p", { class: "muted", id: "ignored" }, "None: every grant counted or is still in force."),
  );
  box.replaceChildren(...parts);
  renderExpectStatus();
}

let expectResult = null;

function scheduleExpectCheck() {
  clearTimeout(expectTimer);
  expectResult = null; // never show the verdict on an earlier state
  if (!state.expect) return;
  expectTimer = setTimeout(() => {
    const result = testCase(caseYaml(state, state.expect), "case.yml");
    expectResult = result.ok ? result.failures : result.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`);
    renderExpectStatus();
  }, 150);
}

function renderExpectStatus() {
  const box = $("#expect-status");
  if (!box) return;
  if (!state.expect || !expectResult) return box.replaceChildren();
  box.replaceChildren(
    expectResult.length
      ? h("details", { class: "expect fail" }, h("summary", {}, `Differs from this case's expect (${expectResult.length})`), h("ul", {}, expectResult.map((f) => h("li", {}, f))))
      : h("p", { class: "expect pass" }, "✓ Matches this case's expect block (as signoff test checks it)."),
  );
}

// ---------------------------------------------------------------- scenario

function getPath(path) {
  return path.split(".").reduce((o, k) => o?.[k], state);
}

function setPath(path, value) {
  const keys = path.split(".");
  const last = keys.pop();
  keys.reduce((o, k) => o[k], state)[last] = value;
}

function fromInput(el) {
  if (el.dataset.list === "comma") return el.value.split(",").map((s) => s.trim()).filter(Boolean);
  if (el.dataset.list === "lines") return el.value.split("\n").map((s) => s.trim()).filter(Boolean);
  if (el.dataset.bind === "request.config") return el.value || null;
  return el.value.trim();
}

function toInput(el, value) {
  if (document.activeElement === el) return;
  if (el.dataset.list === "comma") el.value = value.join(", ");
  else if (el.dataset.list === "lines") el.value = value.join("\n");
  else el.value = value ?? "";
}

function bindRequestForm() {
  for (const el of document.querySelectorAll("[data-bind]")) {
    el.addEventListener(el.tagName === "SELECT" ? "change" : "input", () => {
      setPath(el.dataset.bind, fromInput(el));
      if (el.dataset.bind === "request.kind") updateConfigEnabled();
      onScenarioChange();
    });
  }
}

function updateConfigEnabled() {
  $('[data-bind="request.config"]').disabled = state.request.kind !== "config";
}

function renderScenario() {
  for (const el of document.querySelectorAll("[data-bind]")) toInput(el, getPath(el.dataset.bind));
  updateConfigEnabled();
  $("#case-name").value = state.name;
  renderUsers();
  renderUserNames();
  if (document.activeElement !== $("#groups")) $("#groups").value = Object.entries(state.directory.groups).map(([g, m]) => `${g}: ${m.join(", ")}`).join("\n");
  if (document.activeElement !== $("#tokens")) $("#tokens").value = state.directory.tokens.join(", ");
  $("#grant-revision").placeholder = state.request.revision ? `request's (${short(state.request.revision)})` : "request's";
}

function short(revision) {
  return revision.length > 14 ? `${revision.slice(0, 12)}…` : revision;
}

// ---------------------------------------------------------------- grants

function isoSeconds(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A minute after the latest grant, never after `now`; an hour before `now` at first. */
function nextGrantTime() {
  const now = Date.parse(state.now);
  if (Number.isNaN(now)) return state.now;
  const times = state.grants.map((g) => Date.parse(g.at)).filter((t) => !Number.isNaN(t) && t <= now);
  const next = times.length ? Math.max(...times) + 60_000 : now - 3_600_000;
  return isoSeconds(Math.min(next, now));
}

function addGrant(by, action) {
  by = by.trim();
  if (!by) {
    status("Name the user who acts first.", true);
    $("#grant-by").focus();
    return;
  }
  const grant = { by, action, at: $("#grant-at").value.trim() || nextGrantTime() };
  const revision = $("#grant-revision").value.trim();
  if (revision) grant.revision = revision;
  grant.via = "api";
  state.grants.push(grant);
  onScenarioChange();
  status(`Added: ${by} ${action === "approve" ? "approves" : action === "reject" ? "rejects" : "revokes"} at ${grant.at}.`);
}

function bindGrantForm() {
  for (const button of document.querySelectorAll("[data-add-grant]")) {
    button.addEventListener("click", () => addGrant($("#grant-by").value, button.dataset.addGrant));
  }
  $("#grant-by").addEventListener("keydown", (e) => {
    if (e.key === "Enter") addGrant($("#grant-by").value, "approve");
  });
}

/** What happened to each user's grants, from the decision. */
function grantFates() {
  const fates = new Map();
  if (!answer?.ok) return fates;
  const d = answer.decision;
  const counted = new Set();
  const walk = (reqs) => reqs.forEach((r) => (r.approved_by.forEach((u) => counted.add(u)), walk(r.any_of ?? r.all_of ?? [])));
  d.policies.forEach((p) => walk(p.requirements));
  for (const u of counted) fates.set(u, ["counted"]);
  for (const u of d.rejected_by) fates.set(u, ["rejects"]);
  for (const i of d.ignored) fates.set(i.by, [...(fates.get(i.by) ?? []).filter((f) => f !== "counted"), i.reason]);
  return fates;
}

function renderGrants() {
  const list = $("#grants");
  const focusKey = document.activeElement?.dataset?.key;
  const fates = grantFates();
  const order = state.grants.map((g, i) => i).sort((a, b) => (state.grants[a].at < state.grants[b].at ? -1 : state.grants[a].at > state.grants[b].at ? 1 : a - b));
  if (!state.grants.length) {
    list.replaceChildren(h("li", { class: "muted empty" }, "No grants yet: add one above, or with the buttons in the directory."));
    return;
  }
  list.replaceChildren(
    ...order.map((i) => {
      const g = state.grants[i];
      const fate = g.off ? ["off"] : (fates.get(g.by) ?? []);
      const stale = g.revision && state.request.revision && g.revision !== state.request.revision;
      return h(
        "li",
        { class: `grant ${g.action} ${g.off ? "off" : ""}`, "data-index": String(i), "data-by": g.by },
        h("label", { class: "toggle" }, h("input", { type: "checkbox", checked: !g.off, "data-key": `grant-on-${i}`, onchange: (e) => ((g.off = !e.target.checked), onScenarioChange()) }), h("span", { class: "visually-hidden" }, `Count ${g.by}'s ${g.action} at ${g.at}`)),
        h("input", { class: "at", value: g.at, "aria-label": `Time of ${g.by}'s ${g.action}`, "data-key": `grant-at-${i}`, onchange: (e) => ((g.at = e.target.value.trim()), onScenarioChange()) }),
        h("span", { class: "user" }, g.by),
        h("span", { class: `action ${g.action}` }, g.action),
        h(
          "span",
          { class: "rev-wrap" },
          h("input", { class: "rev", value: g.revision ?? "", placeholder: "request's revision", "aria-label": `Revision of ${g.by}'s ${g.action}`, "data-key": `grant-rev-${i}`, onchange: (e) => ((e.target.value.trim() ? (g.revision = e.target.value.trim()) : delete g.revision), onScenarioChange()) }),
          stale ? h("span", { class: "chip warn" }, "other revision") : "",
        ),
        h("span", { class: "fates" }, fate.map((f) => h("span", { class: `chip ${f === "counted" ? "ok" : f === "rejects" ? "bad" : f === "off" ? "" : "warn"}`, title: describeReason(f) ?? "" }, f.replaceAll("_", " ")))),
        h("button", { type: "button", class: "icon del", "aria-label": `Remove ${g.by}'s ${g.action} at ${g.at}`, "data-key": `grant-del-${i}`, onclick: () => (state.grants.splice(i, 1), onScenarioChange()) }, "✕"),
      );
    }),
  );
  if (focusKey) list.querySelector(`[data-key="${focusKey}"]`)?.focus();
}

// ---------------------------------------------------------------- directory

function renderUserNames() {
  const names = Object.keys(state.directory.users);
  $("#user-names").replaceChildren(...names.slice(0, 500).map((n) => h("option", { value: n })));
}

function renderUsers() {
  const filter = $("#user-filter").value.trim().toLowerCase();
  const entries = Object.entries(state.directory.users).filter(([name, u]) => !filter || name.toLowerCase().includes(filter) || u.groups.some((g) => g.toLowerCase().includes(filter)));
  const focusKey = document.activeElement?.dataset?.key;
  const rows = entries.slice(0, USERS_SHOWN).map(([name, user]) =>
    h(
      "tr",
      { "data-user": name },
      h("th", { scope: "row" }, name),
      h("td", {}, h("input", { value: user.groups.join(", "), "aria-label": `Groups of ${name}`, "data-key": `groups-${name}`, onchange: (e) => ((user.groups = e.target.value.split(",").map((s) => s.trim()).filter(Boolean)), onDirectoryChange()) })),
      ...ROLES.map((role) =>
        h("td", { class: "center" }, h("input", { type: "checkbox", checked: user.roles.includes(role), "aria-label": `${name} is ${role}`, "data-key": `${role}-${name}`, onchange: (e) => ((user.roles = e.target.checked ? [...user.roles, role] : user.roles.filter((r) => r !== role)), onDirectoryChange()) })),
      ),
      h("td", { class: "center" }, h("input", { type: "checkbox", checked: user.super_admin, "aria-label": `${name} is a super-admin`, "data-key": `super-${name}`, onchange: (e) => ((user.super_admin = e.target.checked), onDirectoryChange()) })),
      h(
        "td",
        { class: "quick" },
        ...ACTIONS.map((action) => h("button", { type: "button", class: `icon ${action}`, title: `${action} as ${name}`, "aria-label": `${action} as ${name}`, onclick: () => addGrant(name, action) }, { approve: "✓", reject: "✗", revoke: "↺" }[action])),
        h("button", { type: "button", class: "icon", title: `Remove ${name}`, "aria-label": `Remove user ${name}`, onclick: () => (delete state.directory.users[name], renderUsers(), onDirectoryChange()) }, "✕"),
      ),
    ),
  );
  $("#users tbody").replaceChildren(...rows);
  $("#users-more").textContent = entries.length > USERS_SHOWN ? `Showing ${USERS_SHOWN} of ${entries.length} users: filter to find others.` : `${entries.length} user${entries.length === 1 ? "" : "s"}.`;
  if (focusKey) $("#users").querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function bindDirectoryTools() {
  $("#user-filter").addEventListener("input", renderUsers);
  const add = () => {
    const name = $("#new-user").value.trim();
    if (!name) return status("Type the new user's name first.", true);
    if (state.directory.users[name]) return status(`${name} is already in the directory.`, true);
    state.directory.users[name] = { groups: [], roles: [ROLES[["deployment", "config", "pull_request"].indexOf(state.request.kind)] ?? ROLES[0]], super_admin: false };
    $("#new-user").value = "";
    renderUsers();
    onDirectoryChange();
    status(`Added ${name}, an approver for ${state.request.kind.replace("_", " ")} requests.`);
  };
  $("#add-user").addEventListener("click", add);
  $("#new-user").addEventListener("keydown", (e) => e.key === "Enter" && add());
  $("#groups").addEventListener("input", (e) => {
    const groups = {};
    for (const line of e.target.value.split("\n")) {
      const [name, members = ""] = line.split(":");
      if (name.trim()) groups[name.trim()] = members.split(",").map((s) => s.trim()).filter(Boolean);
    }
    state.directory.groups = groups;
    onDirectoryChange();
  });
  $("#tokens").addEventListener("input", (e) => {
    state.directory.tokens = e.target.value.split(",").map((s) => s.trim()).filter(Boolean);
    onDirectoryChange();
  });
  $("#case-name").addEventListener("input", (e) => (state.name = e.target.value));
}

// ---------------------------------------------------------------- gallery, share, files

function renderGallery() {
  $("#gallery-list").replaceChildren(
    ...GALLERY.map((example) =>
      h("button", { type: "button", class: "example", "data-example": example.id, title: example.blurb, onclick: () => loadExample(example) }, h("strong", {}, example.title), h("span", { class: "blurb" }, example.blurb)),
    ),
  );
}

function loadExample(example) {
  loadState(caseToState(example.text), `Loaded the example “${example.title}”.`);
  for (const b of document.querySelectorAll(".example")) b.setAttribute("aria-pressed", String(b.dataset.example === example.id));
}

function status(message, error = false) {
  const el = $("#status");
  el.textContent = message;
  el.classList.toggle("error", error);
}

function download(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/yaml" }));
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function bindToolbar() {
  $("#share").addEventListener("click", async () => {
    const fragment = await encodeState(state);
    lastFragment = `#${fragment}`;
    const url = `${location.href.split("#")[0]}#${fragment}`;
    history.replaceState(null, "", url);
    $("#share-output-label").hidden = false;
    $("#share-output").value = url;
    try {
      await navigator.clipboard.writeText(url);
      status(`Share link copied (${url.length} characters); it holds the whole state.`);
    } catch {
      $("#share-output").select();
      status("Share link ready below: copy it from the box.");
    }
  });
  $("#export").addEventListener("click", () => {
    download(caseYaml(state, state.expect), caseFileName(state));
    status(`Exported ${caseFileName(state)}.`);
  });
  $("#save-test").addEventListener("click", () => {
    if (!answer?.ok) return status("There is no decision to save: fix the errors first.", true);
    const expect = expectFrom(answer.decision);
    const text = caseYaml(state, expect);
    const result = testCase(text, caseFileName(state, true));
    if (!result.ok || result.failures.length) return status(`The test would not pass: ${(result.failures ?? result.diagnostics.map((d) => d.message)).join("; ")}`, true);
    state.expect = expect;
    download(text, caseFileName(state, true));
    scheduleExpectCheck();
    status(`Saved ${caseFileName(state, true)}: expects ${expect.decision}; run it with signoff test.`);
  });
  $("#import-file").addEventListener("change", async (e) => {
    const file = e.target.files?.[0];
    if (!file) return;
    const text = await file.text();
    e.target.value = "";
    try {
      const next = caseToState(text);
      let check = evaluate(text);
      if (await supplyZones()) check = evaluate(text);
      loadState(next, check.ok ? `Imported ${file.name}.` : `Imported ${file.name}, with problems: ${check.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join("; ")}`);
    } catch (error) {
      status(`Cannot import ${file.name}: ${error.message}`, true);
    }
  });
  window.addEventListener("hashchange", async () => {
    if (location.hash === lastFragment || !isLink(location.hash)) return;
    try {
      lastFragment = location.hash;
      loadState(await stateFromLink(location.hash), "Restored the state from the link.");
    } catch (error) {
      status(`This link cannot be read: ${error.message}`, true);
    }
  });
}

/** Share links (`#s1.…`) and the bot's "open in simulator" links (`#case=…`). */
function isLink(hash) {
  return hash.startsWith("#s1.") || hash.startsWith(`#${CASE_PREFIX}`);
}

async function stateFromLink(hash) {
  if (hash.startsWith(`#${CASE_PREFIX}`)) return caseToState(decodeCaseFragment(hash));
  return normalize(await decodeState(hash));
}

async function initialState() {
  if (isLink(location.hash)) {
    try {
      lastFragment = location.hash;
      return { state: await stateFromLink(location.hash), message: "Restored the state from the link." };
    } catch (error) {
      return { state: caseToState(GALLERY[0].text), message: `This link cannot be read (${error.message}); showing an example instead.`, error: true };
    }
  }
  return { state: caseToState(GALLERY[0].text), message: `Showing the example “${GALLERY[0].title}”. Edit anything: the decision follows.`, example: GALLERY[0].id };
}

async function main() {
  await init({ module_or_path: new URL("./pkg/signoff_bg.wasm", import.meta.url) });
  $("#version").textContent = `evaluator ${version()}`;
  sim = new Simulator();
  const first = await initialState();
  state = first.state;
  sim.setPolicy(state.policy); // its time zones, before the first render
  await supplyZones();
  view = createEditor($("#editor"), state.policy, onPolicyEdit);
  renderGallery();
  bindRequestForm();
  bindGrantForm();
  bindDirectoryTools();
  bindToolbar();
  compare = setupCompare({ Simulator, h, $, supplyZones, directoryInput, scenarioInput });
  loadState(state);
  status(first.message, first.error);
  if (first.example) document.querySelector(`[data-example="${first.example}"]`)?.setAttribute("aria-pressed", "true");
  document.body.dataset.ready = "true";
  window.signoffSimulator = { get state() { return state; }, get answer() { return answer; }, editTimings };
}

main().catch((error) => {
  status(`The simulator failed to start: ${error.message}`, true);
  console.error(error);
});
