// The simulator's state and its conversions: to the evaluator's inputs, to and from
// case files (SPEC §7) that `signoff test` accepts, and the `expect` block that
// "save as test" writes. No DOM here, so Node tests use it as the page does.
import * as YAML from "yaml";

export const KINDS = ["deployment", "config", "pull_request"];
export const CONFIG_KINDS = ["deployment-template", "configmap", "secret"];
export const ROLES = ["deployment-approver", "config-approver", "pull-request-approver"];
export const ACTIONS = ["approve", "reject", "revoke"];
export const VIAS = ["review", "comment", "deployment_review", "api"];
export const TEXT_ATTRIBUTES = ["app", "environment", "cluster", "repo", "branch", "source_branch"];
export const LIST_ATTRIBUTES = ["labels", "paths"];
const CASE_FIELDS = ["name", "policy", "directory", "request", "grants", "now", "expect"];

/**
 * state = { name, policy (YAML text), request, directory, grants: [{ by, action, at,
 * revision?, via?, off? }], now, expect (or null) }. `off` marks a grant toggled off
 * for a "what if": kept on the timeline, left out of evaluation and export.
 */
export function emptyState() {
  return normalize({
    name: "",
    policy: "version: 1\npolicies: {}\napply: []\n",
    request: { kind: "deployment", requester: "" },
    directory: {},
    grants: [],
    now: "2026-11-21T09:00:00Z",
  });
}

const str = (v) => (v === null || v === undefined ? "" : String(v));
const list = (v) => (Array.isArray(v) ? v.map(str) : v === null || v === undefined || v === "" ? [] : [str(v)]);

/** Fills every field the page edits, so the forms can bind without checks. */
export function normalize(raw) {
  const request = raw.request ?? {};
  const attributes = request.attributes ?? {};
  const directory = raw.directory ?? {};
  const users = {};
  for (const [name, user] of Object.entries(directory.users ?? {})) {
    users[name] = { groups: list(user?.groups), roles: list(user?.roles), super_admin: user?.super_admin === true };
  }
  const groups = {};
  for (const [name, members] of Object.entries(directory.groups ?? {})) groups[name] = list(members);
  return {
    name: str(raw.name),
    policy: str(raw.policy),
    request: {
      kind: request.kind ?? "deployment",
      config: request.config ?? null,
      requester: str(request.requester),
      revision: str(request.revision),
      attributes: Object.fromEntries([
        ...TEXT_ATTRIBUTES.map((k) => [k, str(attributes[k])]),
        ...LIST_ATTRIBUTES.map((k) => [k, list(attributes[k])]),
      ]),
      contributors: list(request.contributors),
    },
    directory: { users, groups, tokens: list(directory.tokens) },
    grants: (raw.grants ?? []).map((g) => {
      const grant = { by: str(g.by), action: str(g.action), at: str(g.at) };
      if (g.revision !== undefined && g.revision !== null && g.revision !== "") grant.revision = str(g.revision);
      if (g.via) grant.via = str(g.via);
      if (g.off) grant.off = true;
      return grant;
    }),
    now: str(raw.now),
    expect: raw.expect ?? null,
  };
}

/** The request as the evaluator reads it: empty fields left out. */
export function requestInput(request) {
  const out = { kind: request.kind, requester: request.requester };
  if (request.kind === "config" && request.config) out.config = request.config;
  if (request.revision) out.revision = request.revision;
  const attributes = {};
  for (const k of TEXT_ATTRIBUTES) if (request.attributes[k]) attributes[k] = request.attributes[k];
  for (const k of LIST_ATTRIBUTES) if (request.attributes[k].length) attributes[k] = [...request.attributes[k]];
  if (Object.keys(attributes).length) out.attributes = attributes;
  if (request.contributors.length) out.contributors = [...request.contributors];
  return out;
}

/** The directory as written in a case file: empty fields left out. */
export function directoryInput(directory) {
  const users = {};
  for (const [name, user] of Object.entries(directory.users)) {
    const u = {};
    if (user.groups.length) u.groups = [...user.groups];
    if (user.roles.length) u.roles = [...user.roles];
    if (user.super_admin) u.super_admin = true;
    users[name] = u;
  }
  const out = { users };
  if (Object.keys(directory.groups).length) out.groups = structuredClone(directory.groups);
  if (directory.tokens.length) out.tokens = [...directory.tokens];
  return out;
}

/** The grants that count in this "what if": those not toggled off. */
export function grantsInput(grants) {
  return grants.filter((g) => !g.off).map(({ off: _off, ...g }) => ({ ...g }));
}

export function scenarioInput(state) {
  return { request: requestInput(state.request), grants: grantsInput(state.grants), now: state.now };
}

/** A case object for `evaluate(case)`: the policy as its text. */
export function caseObject(state, expect = null) {
  const out = {};
  if (state.name) out.name = state.name;
  out.policy = state.policy;
  out.directory = directoryInput(state.directory);
  out.request = requestInput(state.request);
  out.grants = grantsInput(state.grants);
  out.now = state.now;
  if (expect) out.expect = expect;
  return out;
}

/**
 * The case file text: the policy as a block string (comments kept), users and grants one
 * per line. With `expect`, a test `signoff test` runs.
 */
export function caseYaml(state, expect = null) {
  const doc = new YAML.Document(caseObject(state, expect));
  const flow = (node) => {
    if (node && typeof node === "object" && "flow" in node) node.flow = true;
  };
  const users = doc.getIn(["directory", "users"], true);
  if (YAML.isMap(users)) for (const pair of users.items) flow(pair.value);
  const groups = doc.getIn(["directory", "groups"], true);
  if (YAML.isMap(groups)) for (const pair of groups.items) flow(pair.value);
  for (const path of [["directory", "tokens"], ["request", "contributors"], ["request", "attributes"]]) flow(doc.getIn(path, true));
  const grants = doc.get("grants", true);
  if (YAML.isSeq(grants)) for (const item of grants.items) flow(item);
  const requirements = doc.getIn(["expect", "requirements"], true);
  if (YAML.isMap(requirements)) for (const pair of requirements.items) flow(pair.value);
  const ignored = doc.getIn(["expect", "ignored"], true);
  if (YAML.isSeq(ignored)) for (const item of ignored.items) flow(item);
  for (const key of ["rejected_by", "exempt", "window"]) flow(doc.getIn(["expect", key], true));
  const header = "# A signoff case file (SPEC §7), exported from the simulator.\n# Check it with: signoff test FILE\n";
  return header + doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}

/** What the current decision says, as an `expect` block: "save as test". */
export function expectFrom(decision) {
  const expect = { decision: decision.decision, summary: decision.summary };
  if (decision.ignored.length) expect.ignored = decision.ignored.map(({ by, reason }) => ({ by, reason }));
  const requirements = {};
  const walk = (items, prefix) =>
    items.forEach((r, i) => {
      const path = `${prefix}/${i}`;
      requirements[path] = { need: r.need, have: r.have, approved_by: [...r.approved_by], satisfied: r.satisfied };
      const children = r.any_of ?? r.all_of;
      if (children) walk(children, path);
    });
  for (const policy of decision.policies) walk(policy.requirements, policy.name);
  if (Object.keys(requirements).length) expect.requirements = requirements;
  expect.rejected_by = [...decision.rejected_by];
  expect.exempt = decision.exempt ? { reason: decision.exempt.reason } : null;
  if (decision.window) {
    expect.window = { name: decision.window.name, kind: decision.window.kind };
    if (decision.window.until) expect.window.until = decision.window.until;
  } else {
    expect.window = null;
  }
  return expect;
}

export class CaseError extends Error {
  constructor(message, line = null) {
    super(line ? `line ${line}: ${message}` : message);
    this.line = line;
  }
}

/**
 * Reads a case file (YAML or JSON) into a state. A policy written as a mapping keeps its
 * text as written, comments included. Errors name the line.
 */
export function caseToState(text) {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false });
  const located = (e) => new CaseError(e.message.split("\n")[0], e.pos ? lineCounter.linePos(e.pos[0]).line : null);
  if (doc.errors.length) throw located(doc.errors[0]);
  if (!YAML.isMap(doc.contents)) throw new CaseError("a case file is a mapping");
  for (const pair of doc.contents.items) {
    const key = YAML.isScalar(pair.key) ? pair.key.value : pair.key;
    if (!CASE_FIELDS.includes(key)) {
      const line = pair.key?.range ? lineCounter.linePos(pair.key.range[0]).line : null;
      throw new CaseError(`unknown field \`${key}\`, expected one of ${CASE_FIELDS.join(", ")}`, line);
    }
  }
  const data = doc.toJS();
  for (const field of ["policy", "request", "now"]) {
    if (data[field] === undefined || data[field] === null) throw new CaseError(`missing field \`${field}\``);
  }
  const pair = doc.contents.items.find((p) => (YAML.isScalar(p.key) ? p.key.value : p.key) === "policy");
  const node = pair.value;
  const policy = YAML.isScalar(node) && typeof node.value === "string" ? node.value : sourceOf(text, pair.key, node);
  return normalize({ ...data, policy });
}

/**
 * The text of a policy mapping as written, moved to the left margin. A block mapping
 * starts on the line after its key, so comments above its first entry are kept.
 */
function sourceOf(text, key, node) {
  const [start, end] = node.range;
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  if (node.flow || text.slice(lineStart, start).trim() !== "") return `${text.slice(start, end).trim()}\n`;
  const afterKey = text.indexOf("\n", key.range[1]) + 1;
  const body = text.slice(Math.min(afterKey || lineStart, lineStart), end);
  const lines = body.replace(/\s+$/, "").split("\n");
  const indent = (l) => l.length - l.trimStart().length;
  const strip = Math.min(...lines.filter((l) => l.trim()).map(indent));
  return lines.map((l) => l.slice(Math.min(strip, indent(l)))).join("\n") + "\n";
}

/** A file name for an exported case. */
export function caseFileName(state, test = false) {
  const slug = (state.name || "signoff-case").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "signoff-case";
  return `${slug}${test ? ".test" : ""}.yml`;
}
