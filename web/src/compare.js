// "Compare with…": a second policy, pasted or loaded from a file, evaluated on the same
// scenario (request, directory, grants, now) by its own wasm session; both decisions side
// by side, and what differs in words. Nothing leaves the page.

/** What differs between two decisions, as sentences; empty when they agree. */
export function differences(a, b) {
  const out = [];
  if (a.decision !== b.decision) out.push(`Decision: ${a.decision} → ${b.decision}`);
  if (a.summary !== b.summary) out.push(`Summary: “${a.summary}” → “${b.summary}”`);
  const byName = (d) => new Map(d.policies.map((p) => [p.name, p]));
  const pa = byName(a);
  const pb = byName(b);
  for (const [name, p] of pa) {
    if (!pb.has(name)) out.push(`Policy ${name} applies only under this policy (${p.satisfied ? "satisfied" : "not satisfied"})`);
    else if (pb.get(name).satisfied !== p.satisfied) out.push(`Policy ${name}: ${p.satisfied ? "satisfied" : "not satisfied"} → ${pb.get(name).satisfied ? "satisfied" : "not satisfied"}`);
  }
  for (const [name, p] of pb) {
    if (!pa.has(name)) out.push(`Policy ${name} applies only under the compared policy (${p.satisfied ? "satisfied" : "not satisfied"})`);
  }
  const list = (xs) => xs.join(", ") || "nobody";
  if (list(a.rejected_by) !== list(b.rejected_by)) out.push(`Rejected by: ${list(a.rejected_by)} → ${list(b.rejected_by)}`);
  const exempt = (d) => d.exempt?.reason ?? "no";
  if (exempt(a) !== exempt(b)) out.push(`Exempt: ${exempt(a)} → ${exempt(b)}`);
  const windowOf = (d) => d.window?.name ?? "none";
  if (windowOf(a) !== windowOf(b)) out.push(`Blocking window: ${windowOf(a)} → ${windowOf(b)}`);
  const ignored = (d) => d.ignored.map((i) => `${i.by} (${i.reason})`).join(", ") || "none";
  if (ignored(a) !== ignored(b)) out.push(`Ignored grants: ${ignored(a)} → ${ignored(b)}`);
  return out;
}

/**
 * Wires the compare panel. `deps`: { Simulator, h, $, supplyZones, directoryInput,
 * scenarioInput }. Returns { update(state, answer) }, called after every evaluation.
 */
export function setupCompare({ Simulator, h, $, supplyZones, directoryInput, scenarioInput }) {
  let sim = null;
  let last = null;
  const panel = $("#compare-panel");
  const text = $("#compare-policy");

  function open() {
    panel.hidden = false;
    $("#compare-open").setAttribute("aria-expanded", "true");
    sim ??= new Simulator();
    text.focus();
    rerun();
  }

  function close() {
    panel.hidden = true;
    $("#compare-open").setAttribute("aria-expanded", "false");
    $("#compare-result").replaceChildren();
  }

  function rerun() {
    if (last) update(last.state, last.answer);
  }

  function onText() {
    if (!sim) return;
    sim.setPolicy(text.value);
    rerun();
    supplyZones().then((added) => added && (sim.setPolicy(text.value), rerun()));
  }

  function column(title, answer, id) {
    if (!answer.ok) {
      return h(
        "div",
        { class: "compare-col", id },
        h("h4", {}, title),
        h("div", { class: "badge invalid", "data-decision": "invalid" }, "cannot evaluate"),
        h("ul", { class: "errors" }, answer.diagnostics.map((d) => h("li", {}, `${d.line}:${d.col}: ${d.message} [${d.code}]`))),
      );
    }
    const d = answer.decision;
    return h(
      "div",
      { class: "compare-col", id },
      h("h4", {}, title),
      h("span", { class: `badge ${d.decision}`, "data-decision": d.decision }, d.decision.replace("_", " ")),
      h("p", { class: "summary" }, d.summary),
      h("ul", { class: "compare-policies" }, d.policies.map((p) => h("li", {}, `${p.satisfied ? "✓" : "…"} ${p.name}`))),
    );
  }

  function update(state, answer) {
    last = { state, answer };
    if (!sim || panel.hidden) return;
    if (!text.value.trim()) {
      $("#compare-result").replaceChildren(h("p", { class: "muted" }, "Paste a policy above, or load a file, to compare it with the one in the editor."));
      return;
    }
    sim.setDirectory(directoryInput(state.directory));
    sim.setScenario(scenarioInput(state));
    const other = sim.evaluate();
    const diffs = answer.ok && other.ok ? differences(answer.decision, other.decision) : null;
    $("#compare-result").replaceChildren(
      h("div", { class: "compare-cols" }, column("This policy", answer, "compare-a"), column("Compared policy", other, "compare-b")),
      h("h4", {}, "What differs"),
      diffs === null
        ? h("p", { class: "muted", id: "compare-diff" }, "One of the policies does not parse: fix it to compare.")
        : diffs.length
          ? h("ul", { id: "compare-diff", class: "compare-diff" }, diffs.map((d) => h("li", {}, d)))
          : h("p", { id: "compare-diff", class: "same" }, "Nothing: both policies decide the same for this scenario."),
    );
  }

  $("#compare-open").addEventListener("click", () => (panel.hidden ? open() : close()));
  $("#compare-close").addEventListener("click", close);
  text.addEventListener("input", onText);
  $("#compare-copy").addEventListener("click", () => {
    text.value = last?.state.policy ?? "";
    onText();
  });
  $("#compare-file").addEventListener("change", async (e) => {
    const file = e.target.files?.[0];
    if (!file) return;
    text.value = await file.text();
    e.target.value = "";
    onText();
  });
  return { update };
}
