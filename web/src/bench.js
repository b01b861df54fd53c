// The keystroke benchmark, shared by the browser page (bench.html) and the Node
// comparison (scripts/bench-node.mjs): the same workload, the same loop.
import { generateWorkload, typed } from "./workload.js";

export function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  const round = (v) => Math.round(v * 1000) / 1000;
  return { n: sorted.length, median: round(at(0.5)), p95: round(at(0.95)), mean: round(mean), min: round(sorted[0]), max: round(sorted[sorted.length - 1]) };
}

/**
 * `wasm` is the package's exports (Simulator, evaluate). Times, in milliseconds:
 * keystroke = setPolicy(new text) + evaluate(), what the page does on each keystroke;
 * evaluate = evaluate() alone; lint = lint() against the directory, which the page runs
 * when typing pauses; directory = setDirectory() once; case = evaluate(case
 * object) with the whole input serialised and parsed each time (the one-shot API).
 */
export function runBench(wasm, { workload = generateWorkload(), iterations = 300, warmup = 30, caseIterations = 10, clock = () => performance.now() } = {}) {
  const w = workload;
  const sim = new wasm.Simulator();
  let t = clock();
  sim.setDirectory(w.directory);
  const directoryMs = clock() - t;
  sim.setScenario({ request: w.request, grants: w.grants, now: w.now });
  const keystrokes = [];
  let diagnostics = [];
  let answer;
  for (let i = 0; i < warmup + iterations; i++) {
    const text = typed(w.policy, i);
    t = clock();
    diagnostics = sim.setPolicy(text);
    answer = sim.evaluate();
    const spent = clock() - t;
    if (i >= warmup) keystrokes.push(spent);
  }
  const evaluations = [];
  for (let i = 0; i < iterations; i++) {
    t = clock();
    sim.evaluate();
    evaluations.push(clock() - t);
  }
  const lints = [];
  for (let i = 0; i < Math.max(10, iterations / 5); i++) {
    t = clock();
    sim.lint();
    lints.push(clock() - t);
  }
  const cases = [];
  const caseObject = { policy: w.policy, directory: w.directory, request: w.request, grants: w.grants, now: w.now };
  for (let i = 0; i < caseIterations; i++) {
    t = clock();
    wasm.evaluate(caseObject);
    cases.push(clock() - t);
  }
  if (!answer.ok) throw new Error(`the workload does not evaluate: ${JSON.stringify(answer.diagnostics)}`);
  return {
    workload: {
      policy_lines: w.policy.split("\n").length - 1,
      users: Object.keys(w.directory.users).length,
      grants: w.grants.length,
      effective_policies: answer.decision.policies.length,
      decision: answer.decision.decision,
      diagnostics: diagnostics.length,
    },
    keystroke: stats(keystrokes),
    evaluate: stats(evaluations),
    lint: stats(lints),
    directory_ms: Math.round(directoryMs * 1000) / 1000,
    case: stats(cases),
  };
}
