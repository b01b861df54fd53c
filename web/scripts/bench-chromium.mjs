// Compares builds of the wasm module in headless Chromium: the benchmark page
// (bench.html) run against web/dist with each package directory given in place of
// web/dist/pkg, in one run. Prints, per workload, the fastest and the median keystroke.
//   node web/scripts/bench-chromium.mjs web/dist/pkg OTHER_PKG… [--iterations N]
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DIST, launchBrowser } from "../test/helpers.mjs";
import { serve } from "./serve.mjs";

const args = process.argv.slice(2);
const at = args.indexOf("--iterations");
const iterations = at >= 0 ? Number(args.splice(at, 2)[1]) : 300;
const browser = await launchBrowser();
for (const dir of args) {
  const site = mkdtempSync(join(tmpdir(), "signoff-bench-"));
  cpSync(DIST, site, { recursive: true });
  rmSync(join(site, "pkg"), { recursive: true, force: true });
  cpSync(resolve(dir), join(site, "pkg"), { recursive: true });
  const { server, url } = await serve(site, 0);
  const page = await browser.newPage();
  await page.goto(`${url}bench.html?iterations=${iterations}`);
  await page.waitForSelector("body[data-done=true]", { timeout: 600_000 });
  const results = await page.evaluate(() => window.benchResults);
  const line = [dir];
  for (const [name, r] of Object.entries(results)) {
    line.push(`${name} keystroke fastest ${r.keystroke.min} ms, median ${r.keystroke.median} ms`);
  }
  console.log(line.join("; "));
  await page.close();
  server.close();
  rmSync(site, { recursive: true, force: true });
}
await browser.close();
