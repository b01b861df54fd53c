// wasm (in Node) against native on the same workloads and the same session code:
//   bash web/build.sh && node web/scripts/bench-node.mjs [ITERATIONS]
// For each workload — the one web/src/workload.js generates and the core benchmarks'
// reference case (tests/bench/reference-case.yml) — writes it to
// web/dist/bench-workload/NAME/, runs the native example on it
// (cargo run --release -p signoff-wasm --example native_bench), then the wasm build in
// this Node process, and prints both with their ratio.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DIST, ROOT, loadWasm, nodeZones } from "../test/helpers.mjs";
import { runBench } from "../src/bench.js";
import { caseToState, directoryInput, requestInput, grantsInput } from "../src/state.js";
import { generateWorkload } from "../src/workload.js";

const iterations = Number(process.argv[2] ?? 300);
const wasmApi = await loadWasm();
const workloads = { generated: generateWorkload() };
const reference = join(ROOT, "tests", "bench", "reference-case.yml");
if (existsSync(reference)) {
  const s = caseToState(readFileSync(reference, "utf8"));
  workloads.reference = { policy: s.policy, directory: directoryInput(s.directory), request: requestInput(s.request), grants: grantsInput(s.grants), now: s.now };
}

const report = { node: process.version, iterations, workloads: {} };
for (const [name, w] of Object.entries(workloads)) {
  const dir = join(DIST, "bench-workload", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "policy.yml"), w.policy);
  writeFileSync(join(dir, "directory.json"), JSON.stringify(w.directory));
  writeFileSync(join(dir, "scenario.json"), JSON.stringify({ request: w.request, grants: w.grants, now: w.now }));
  console.error(`${name}: native (cargo run --release -p signoff-wasm --example native_bench), then wasm`);
  const native = JSON.parse(
    execFileSync("cargo", ["run", "--quiet", "--release", "-p", "signoff-wasm", "--example", "native_bench", "--", dir, String(iterations)], { cwd: ROOT, encoding: "utf8" }),
  );
  // The workload's time zone, fetched before timing as the page does once (src/zones.js).
  wasmApi.lint(w.policy);
  await nodeZones(wasmApi)();
  const wasm = runBench(wasmApi, { workload: w, iterations });
  const rows = ["keystroke", "evaluate", "lint"].map((op) => ({
    operation: op,
    native_median_ms: native[op].median,
    wasm_median_ms: wasm[op].median,
    native_p95_ms: native[op].p95,
    wasm_p95_ms: wasm[op].p95,
    ratio: Math.round((wasm[op].median / native[op].median) * 100) / 100,
  }));
  console.log(`\n${name} workload: ${JSON.stringify(wasm.workload)}`);
  console.table(rows);
  report.workloads[name] = { native, wasm, rows };
}
console.log(`node ${process.version}, ${iterations} iterations per operation`);
writeFileSync(join(DIST, "bench-node.json"), JSON.stringify(report, null, 2) + "\n");
