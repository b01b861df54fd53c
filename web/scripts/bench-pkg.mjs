// Compares builds of the wasm module: the keystroke benchmark (src/bench.js) on each
// package directory given (a wasm-bindgen output: signoff.js + signoff_bg.wasm), in one
// run, in Node. Prints the gzipped size and, per workload, the fastest and the median
// keystroke; the fastest survives a loaded machine, so compare those.
//   node web/scripts/bench-pkg.mjs web/dist/pkg OTHER_PKG… [--iterations N]
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { DIST, ROOT } from "../test/helpers.mjs";
import { runBench } from "../src/bench.js";
import { caseToState, directoryInput, grantsInput, requestInput } from "../src/state.js";
import { generateWorkload } from "../src/workload.js";
import { zoneSupplier } from "../src/zones.js";

const args = process.argv.slice(2);
const at = args.indexOf("--iterations");
const iterations = at >= 0 ? Number(args.splice(at, 2)[1]) : 300;
const s = caseToState(readFileSync(join(ROOT, "tests", "bench", "reference-case.yml"), "utf8"));
const workloads = {
  generated: generateWorkload(),
  reference: { policy: s.policy, directory: directoryInput(s.directory), request: requestInput(s.request), grants: grantsInput(s.grants), now: s.now },
};
for (const dir of args) {
  const pkg = resolve(dir);
  const bytes = readFileSync(join(pkg, "signoff_bg.wasm"));
  const wasm = await import(join(pkg, "signoff.js"));
  wasm.initSync({ module: bytes });
  // Builds from before the time zones were data bundle them and lack missingZones.
  const supply = wasm.missingZones ? zoneSupplier(wasm, (p) => readFile(join(DIST, "tz", p)).catch(() => null)) : async () => false;
  const line = [`${dir}: ${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(1)} KB gzipped`];
  for (const [name, w] of Object.entries(workloads)) {
    wasm.lint(w.policy);
    await supply();
    const r = runBench(wasm, { workload: w, iterations });
    line.push(`${name} keystroke fastest ${r.keystroke.min} ms, median ${r.keystroke.median} ms`);
  }
  console.log(line.join("; "));
}
