// bench.html: runs the keystroke benchmark in this browser and shows the figures.
import init, * as wasm from "../dist/pkg/signoff.js";
import { runBench } from "./bench.js";
import { encodeState } from "./share.js";
import { normalize } from "./state.js";
import { generateWorkload } from "./workload.js";

const out = document.querySelector("#results");
const params = new URLSearchParams(location.search);
const iterations = Number(params.get("iterations") ?? 300);

function row(name, s, what) {
  return `<tr><th scope="row">${name}</th><td>${s.median}</td><td>${s.p95}</td><td>${s.mean}</td><td>${s.n}</td><td>${what}</td></tr>`;
}

async function main() {
  await init({ module_or_path: new URL("./pkg/signoff_bg.wasm", import.meta.url) });
  document.querySelector("#run").disabled = false;
  const w = generateWorkload();
  const state = normalize({ name: "reference workload", policy: w.policy, directory: w.directory, request: w.request, grants: w.grants, now: w.now });
  const link = document.querySelector("#open-workload");
  link.href = `index.html#${await encodeState(state)}`;
  link.hidden = false;
  const run = async () => {
    out.innerHTML = "<p>Running…</p>";
    await new Promise((r) => setTimeout(r, 20));
    const result = runBench(wasm, { iterations, caseIterations: Math.max(3, Math.floor(iterations / 30)) });
    const w = result.workload;
    out.innerHTML = `
      <p>Workload: ${w.policy_lines}-line policy, ${w.policies} policies, ${w.bindings} bindings, ${w.users} users, ${w.grants} grants;
      ${w.effective_policies} policies apply; decision <code>${w.decision}</code>. Evaluator ${wasm.version()}, ${navigator.userAgent.match(/(Chrome|Firefox|Safari)\/[\d.]+/)?.[0] ?? "this browser"}.</p>
      <table><caption>Milliseconds per operation</caption>
      <thead><tr><th scope="col">operation</th><th scope="col">median</th><th scope="col">p95</th><th scope="col">mean</th><th scope="col">runs</th><th scope="col">what</th></tr></thead>
      <tbody>
      ${row("keystroke", result.keystroke, "setPolicy(text) + evaluate(): parse, compile and evaluate, what each keystroke costs")}
      ${row("lint", result.lint, "lint() against the directory, run when typing pauses")}
      ${row("evaluate", result.evaluate, "evaluate() alone")}
      ${row("case", result.case, "evaluate(case object): the whole case as JSON, parsed and evaluated")}
      </tbody></table>
      <p>Loading the directory once (setDirectory): ${result.directory_ms} ms.</p>
      <p id="verdict">Per keystroke, median ${result.keystroke.median} ms, p95 ${result.keystroke.p95} ms (budget 2 ms).</p>`;
    window.benchResult = result;
    document.body.dataset.done = "true";
  };
  document.querySelector("#run").addEventListener("click", run);
  if (params.get("autorun") !== "0") await run();
}

main().catch((error) => {
  out.textContent = `The benchmark failed: ${error.message}`;
  window.benchError = error.message;
});
