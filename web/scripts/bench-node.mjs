// wasm (in Node) against native on the same workload and the same session code:
//   bash web/build.sh && node web/scripts/bench-node.mjs [ITERATIONS]
// Writes the workload to web/dist/bench-workload/, runs the native example
// (cargo run --release -p signoff-wasm --example native_bench) on it, then the wasm
// build in this Node process, and prints both with their ratio.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DIST, ROOT, loadWasm } from "../test/helpers.mjs";
import { runBench } from "../src/bench.js";
import { generateWorkload } from "../src/workload.js";

const iterations = Number(process.argv[2] ?? 300);
const dir = join(DIST, "bench-workload");
mkdirSync(dir, { recursive: true });
const w = generateWorkload();
writeFileSync(join(dir, "policy.yml"), w.policy);
writeFileSync(join(dir, "directory.json"), JSON.stringify(w.directory));
writeFileSync(join(dir, "scenario.json"), JSON.stringify({ request: w.request, grants: w.grants, now: w.now }));

console.error("native: cargo run --release -p signoff-wasm --example native_bench");
const native = JSON.parse(
  execFileSync("cargo", ["run", "--quiet", "--release", "-p", "signoff-wasm", "--example", "native_bench", "--", dir, String(iterations)], { cwd: ROOT, encoding: "utf8" }),
);
const wasm = runBench(await loadWasm(), { iterations });

const rows = ["keystroke", "evaluate", "lint"].map((op) => ({
  operation: op,
  native_median_ms: native[op].median,
  wasm_median_ms: wasm[op].median,
  native_p95_ms: native[op].p95,
  wasm_p95_ms: wasm[op].p95,
  ratio: Math.round((wasm[op].median / native[op].median) * 100) / 100,
}));
console.table(rows);
console.log(`node ${process.version}, ${iterations} iterations; workload: ${JSON.stringify(wasm.workload)}`);
writeFileSync(join(DIST, "bench-node.json"), JSON.stringify({ iterations, native, wasm, rows }, null, 2) + "\n");
