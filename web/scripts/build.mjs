// Builds web/dist from wasm-pack.toml: cargo (wasm32) -> wasm-bindgen -> wasm-opt ->
// esbuild for the page. Run through web/build.sh, which installs the tools first.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { readConfig } from "./config.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const web = join(root, "web");
const config = readConfig(join(root, "wasm-pack.toml"));
const { crate, profile, target, out_dir: outDirSetting, out_name: outName } = config.build;
const outDir = join(root, outDirSetting);
const dist = join(web, "dist");

function run(cmd, args, options = {}) {
  console.error(`$ ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit", cwd: root, ...options });
}

const skipWasm = process.argv.includes("--page-only");
if (!skipWasm) {
  run("cargo", ["build", "--quiet", "--target", "wasm32-unknown-unknown", "--profile", profile, "-p", crate]);
  const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, "target");
  const artifact = join(targetDir, "wasm32-unknown-unknown", profile, `${crate.replaceAll("-", "_")}.wasm`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  run("wasm-bindgen", ["--target", target, "--out-dir", outDir, "--out-name", outName, artifact]);
  const wasm = join(outDir, `${outName}_bg.wasm`);
  run("wasm-opt", [...config.optimize.wasm_opt, wasm, "-o", wasm]);
  // The time zones, one file each, from the database the native build bundles: the
  // module leaves it out and the page fetches the zones a policy names (src/zones.js).
  rmSync(join(dist, "tz"), { recursive: true, force: true });
  run("cargo", ["run", "--quiet", "-p", crate, "--example", "export_tzdb", "--", join(dist, "tz")]);
}

// The page: plain ES modules bundled with CodeMirror, no CDN.
mkdirSync(dist, { recursive: true });
await esbuild.build({
  absWorkingDir: web,
  entryPoints: { app: "src/main.js", bench: "src/bench-page.js" },
  outdir: dist,
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  loader: { ".yml": "text" },
  logLevel: "warning",
});
for (const file of ["index.html", "bench.html", "style.css"]) {
  cpSync(join(web, "static", file), join(dist, file));
}

const wasmFile = join(outDir, `${outName}_bg.wasm`);
const wasmBytes = readFileSync(wasmFile);
const gz = gzipSync(wasmBytes, { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(1);
const appKb = kb(gzipSync(readFileSync(join(dist, "app.js")), { level: 9 }).length);
const report = {
  wasm_bytes: wasmBytes.length,
  wasm_gzip_bytes: gz,
  budget_gzip_bytes: config.budget.gzip_kb * 1024,
};
writeFileSync(join(dist, "size.json"), JSON.stringify(report, null, 2) + "\n");
console.log(`web/dist built: ${outDirSetting}/${outName}_bg.wasm ${kb(wasmBytes.length)} KB, gzipped ${kb(gz)} KB (budget ${config.budget.gzip_kb} KB); app.js gzipped ${appKb} KB`);
if (gz > config.budget.gzip_kb * 1024) {
  const level = config.budget.enforce ? "error" : "warning";
  console.error(`${level}: the wasm module is over its budget of ${config.budget.gzip_kb} KB gzipped (wasm-pack.toml, docs/simulator.md "Size")`);
  if (config.budget.enforce) process.exit(1);
}
