// Shared by the web tests: paths, the wasm package loaded in Node, the static server
// and Debian's headless Chromium driven by playwright-core.
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../scripts/serve.mjs";
import { zoneSupplier } from "../src/zones.js";

export const WEB = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = resolve(WEB, "..");
export const DIST = join(WEB, "dist");
export const PKG = join(DIST, "pkg");

/** The wasm package, instantiated synchronously in Node from the built bytes. */
export async function loadWasm() {
  const js = join(PKG, "signoff.js");
  if (!existsSync(js)) throw new Error("web/dist is not built: run bash web/build.sh");
  const wasm = await import(js);
  wasm.initSync({ module: readFileSync(join(PKG, "signoff_bg.wasm")) });
  return wasm;
}

/**
 * Supplies the wasm package with the time zones compiles asked for, from web/dist/tz as
 * the page fetches them (src/zones.js); resolves to true when it added one.
 */
export function nodeZones(wasm) {
  return zoneSupplier(wasm, (path) => readFile(join(DIST, "tz", path)).catch(() => null));
}

/** The native CLI (built by web/test.sh), for comparisons. */
export function signoffBin() {
  const bin = process.env.SIGNOFF_BIN ?? join(ROOT, "target", "debug", "signoff");
  if (!existsSync(bin)) throw new Error(`no native signoff binary at ${bin}: cargo build -p signoff-bot`);
  return bin;
}

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export async function launchBrowser() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export function startServer() {
  return serve(DIST, 0);
}
