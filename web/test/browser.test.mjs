// The simulator page in Debian's headless Chromium, driven by playwright-core: what a
// person does, checked on what the page shows.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import YAML from "yaml";
import { DIST, ROOT, launchBrowser, loadWasm, signoffBin, startServer } from "./helpers.mjs";

const SHOTS = join(DIST, "screenshots");
let browser;
let server;
let base;

before(async () => {
  ({ server, url: base } = await startServer());
  browser = await launchBrowser();
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A fresh page on the simulator, ready, failing the test on any page error. */
async function open(path = "", viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  // The time-zone files the page fetched (src/zones.js).
  const zones = [];
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith("/tz/")) zones.push(path);
  });
  page.zones = zones;
  await page.goto(base + path);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
  page.errors = errors;
  return page;
}

const badge = (page) => page.locator("#decision-badge").getAttribute("data-decision");

/** Puts the cursor on the first editor line containing `text`, at its end. */
async function editorLine(page, text) {
  const line = page.locator(".cm-line", { hasText: text }).first();
  await line.click();
  await page.keyboard.press("End");
  return line;
}

async function lineNumberOf(page, text) {
  const lines = await page.locator(".cm-line").allTextContents();
  return lines.findIndex((l) => l.includes(text)) + 1;
}

describe("the simulator page", () => {
  test("loads an example, shows a decision, and looks right", async () => {
    const page = await open();
    assert.equal(await badge(page), "pending");
    assert.match(await page.locator("#summary").textContent(), /olivia/);
    assert.match(await page.locator("#version").textContent(), /evaluator \d+\.\d+\.\d+/);
    assert.equal(await page.locator(".example").count(), 7);
    assert.match(await page.locator(".expect.pass").textContent(), /Matches/);
    await page.screenshot({ path: join(SHOTS, "simulator.png") });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("editing the policy changes the decision", async () => {
    const page = await open();
    assert.equal(await badge(page), "pending");
    await editorLine(page, "- users: [olivia]");
    await page.keyboard.press("Shift+Home");
    await page.keyboard.type("- any: 1");
    await page.waitForFunction(() => document.querySelector("#decision-badge")?.dataset.decision === "approved");
    assert.match(await page.locator("#summary").textContent(), /^Approved/);
    await page.keyboard.press("Control+z");
    await page.waitForFunction(() => document.querySelector("#decision-badge")?.dataset.decision === "pending");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("approvals can be added with one click and toggled off for a what-if", async () => {
    const page = await open();
    await page.getByRole("button", { name: "approve as olivia" }).click();
    await page.waitForFunction(() => document.querySelector("#decision-badge")?.dataset.decision === "approved");
    const row = page.locator('.grant[data-by="olivia"]');
    assert.match(await row.textContent(), /counted/);
    await row.getByRole("checkbox").uncheck();
    await page.waitForFunction(() => document.querySelector("#decision-badge")?.dataset.decision === "pending");
    assert.match(await row.textContent(), /off/);
    await row.getByRole("checkbox").check();
    await page.waitForFunction(() => document.querySelector("#decision-badge")?.dataset.decision === "approved");
    // The requester approving is ignored, with the reason in words.
    await page.locator("#grant-by").fill("dave");
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    const ignored = page.locator('#ignored li[data-by="dave"]');
    await ignored.waitFor();
    assert.match(await ignored.textContent(), /the requester cannot approve their own request/);
    // A rejection by an eligible approver rejects.
    await page.getByRole("button", { name: "reject as bob" }).click();
    await page.waitForFunction(() => document.querySelector("#decision-badge")?.dataset.decision === "rejected");
    assert.match(await page.locator(".banner.rejected").textContent(), /bob/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a typo'd field shows a diagnostic at its line", async () => {
    const page = await open();
    const target = "description: banking apps need two approvals in total";
    const line = await lineNumberOf(page, target);
    assert.ok(line > 1);
    await editorLine(page, target);
    await page.keyboard.press("Home");
    await page.keyboard.type("x");
    const item = page.locator('#diagnostics li.error button[data-code="unknown_field"]');
    await item.waitFor();
    assert.equal(await item.getAttribute("data-line"), String(line));
    assert.match(await item.textContent(), /unknown field `xdescription`/);
    // Underlined in the editor, on that line.
    const underlined = page.locator(".cm-line", { hasText: "xdescription" }).locator(".cm-lintRange-error");
    assert.equal(await underlined.count(), 1);
    assert.equal(await badge(page).catch(() => null), null);
    assert.equal(await page.locator('[data-decision="invalid"]').count(), 1);
    // The list entry moves the cursor to the problem.
    await page.keyboard.press("Control+End");
    await item.click();
    const cursorLine = await page.evaluate(() => {
      const active = document.querySelector(".cm-activeLine");
      return [...document.querySelectorAll(".cm-line")].indexOf(active) + 1;
    });
    assert.equal(cursorLine, line);
    await page.screenshot({ path: join(SHOTS, "diagnostic.png") });
    await page.context().close();
  });

  test("a share link restores the exact state", async () => {
    const page = await open();
    await page.locator('[data-bind="request.requester"]').fill("sam");
    await page.locator(".expect.fail").waitFor();
    await page.locator('[data-example="security-qa"]').click();
    // The expect verdict shown is the new example's, never the previous state's.
    assert.equal(await page.locator(".expect.fail").count(), 0);
    await page.locator(".expect.pass").waitFor();
    await page.locator('[data-bind="request.requester"]').fill("mallory");
    await page.locator('.grant input[type="checkbox"]').first().uncheck();
    await page.getByRole("button", { name: "Copy share link" }).click();
    await page.waitForFunction(() => document.querySelector("#share-output").value.includes("#s1."));
    const link = await page.locator("#share-output").inputValue();
    assert.match(link, /#s1\./);
    const snapshot = await page.evaluate(() => JSON.stringify({ state: window.signoffSimulator.state, answer: window.signoffSimulator.answer }));
    const again = await open(link.slice(base.length));
    const restored = await again.evaluate(() => JSON.stringify({ state: window.signoffSimulator.state, answer: window.signoffSimulator.answer }));
    assert.equal(restored, snapshot);
    assert.equal(await again.locator('[data-bind="request.requester"]').inputValue(), "mallory");
    assert.deepEqual(again.errors, []);
    await page.context().close();
    await again.context().close();
  });

  test("an open-in-simulator link from the bot (#case=) loads that exact case", async () => {
    const text = readFileSync(join(ROOT, "examples", "production-pending.yml"), "utf8");
    const wasm = await loadWasm();
    const expected = JSON.parse(wasm.evaluateJson(text, "case.yml").json);
    // The bot links `/#case=` + base64url of the case as JSON.
    const json = JSON.stringify(YAML.parse(text));
    const fragment = "case=" + Buffer.from(json, "utf8").toString("base64url");
    const page = await open(`#${fragment}`);
    assert.equal(await badge(page), expected.decision);
    assert.equal(await page.locator("#summary").textContent(), expected.summary);
    assert.equal(await page.locator('[data-bind="request.requester"]').inputValue(), "dave");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("the time zone a policy names is fetched, only that one, and the window decides as natively", async () => {
    // Inside a weekly blackout in Europe/Berlin at the second 02:30 of the fall-back night:
    // only the real zone data gives "blocked".
    const file = join("tests", "conformance", "edges", "dst-fall-back-second-two-thirty.yml");
    const native = JSON.parse(spawnSync(signoffBin(), ["eval", file], { cwd: ROOT, encoding: "utf8" }).stdout);
    assert.equal(native.decision, "blocked");
    const json = JSON.stringify(YAML.parse(readFileSync(join(ROOT, file), "utf8")));
    const page = await open(`#case=${Buffer.from(json, "utf8").toString("base64url")}`);
    assert.equal(await badge(page), native.decision);
    assert.equal(await page.locator("#summary").textContent(), native.summary);
    assert.deepEqual([...page.zones].sort(), ["/tz/Europe/Berlin", "/tz/index.json"]);
    assert.equal(await page.locator("#diagnostics li").count(), 0);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("an exported case and a saved test pass `signoff test`, and import back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "signoff-export-"));
    const page = await open();
    await page.getByRole("button", { name: "approve as olivia" }).click();
    await page.waitForFunction(() => document.querySelector("#decision-badge")?.dataset.decision === "approved");
    const [saved] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Save as test" }).click()]);
    const savedPath = join(dir, saved.suggestedFilename());
    await saved.saveAs(savedPath);
    assert.match(readFileSync(savedPath, "utf8"), /expect:\n\s+decision: approved/);
    await page.locator('[data-example="migrations"]').click();
    const [exported] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export case" }).click()]);
    const exportedPath = join(dir, `exported-${exported.suggestedFilename()}`);
    await exported.saveAs(exportedPath);
    const run = spawnSync(signoffBin(), ["test", savedPath, exportedPath], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^2 passed, 0 failed$/m);
    // Importing the saved test brings back its state and its expect block.
    await page.locator("#import-file").setInputFiles(savedPath);
    await page.waitForFunction(() => document.querySelector("#decision-badge")?.dataset.decision === "approved");
    await page.locator(".expect.pass").waitFor();
    assert.match(await page.locator("#status").textContent(), /Imported/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("works from the keyboard, and every control has a name", async () => {
    const page = await open();
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, textarea, button")]
        .filter((el) => el.type !== "file" || el.labels.length === 0)
        .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.textContent.trim() || el.title))
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unnamed, []);
    await page.locator('[data-example="named-leads"]').focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector('[data-example="named-leads"]').getAttribute("aria-pressed") === "true");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.dataset.example), "distinct");
    await page.keyboard.press("Space");
    await page.waitForFunction(() => document.querySelector('[data-example="distinct"]').getAttribute("aria-pressed") === "true");
    await page.context().close();
  });

  test("Compare with… shows both decisions for the scenario side by side, and what differs", async () => {
    const page = await open();
    assert.equal(await badge(page), "pending");
    await page.click("#compare-open");
    assert.equal(await page.locator("#compare-open").getAttribute("aria-expanded"), "true");
    // The same policy: nothing differs.
    await page.click("#compare-copy");
    assert.match(await page.locator("#compare-diff").textContent(), /both policies decide the same/);
    assert.equal(await page.locator("#compare-b .badge").getAttribute("data-decision"), "pending");
    // A policy that applies to nothing: the scenario would not need approval.
    await page.fill("#compare-policy", "version: 1\npolicies: {}\napply: []\n");
    assert.equal(await page.locator("#compare-a .badge").getAttribute("data-decision"), "pending");
    assert.equal(await page.locator("#compare-b .badge").getAttribute("data-decision"), "not_required");
    const diff = await page.locator("#compare-diff li").allTextContents();
    assert.ok(diff.includes("Decision: pending → not_required"), diff.join("\n"));
    assert.ok(diff.some((d) => /applies only under this policy/.test(d)), diff.join("\n"));
    // The scenario drives both: as a pull request (which the example does not bind),
    // neither policy needs approval.
    await page.selectOption('[data-bind="request.kind"]', "pull_request");
    await page.waitForSelector('#compare-a .badge[data-decision="not_required"]');
    assert.equal(await page.locator("#compare-b .badge").getAttribute("data-decision"), "not_required");
    assert.match(await page.locator("#compare-diff").textContent(), /both policies decide the same/);
    await page.selectOption('[data-bind="request.kind"]', "deployment");
    await page.waitForSelector('#compare-a .badge[data-decision="pending"]');
    // A file loaded instead; an invalid one is shown located, never a crash.
    const dir = mkdtempSync(join(tmpdir(), "compare-"));
    const file = join(dir, "broken.yml");
    writeFileSync(file, "version: 1\npolicies: 3\n");
    await page.setInputFiles("#compare-file", file);
    await page.waitForSelector("#compare-b .badge.invalid");
    assert.match(await page.locator("#compare-b .errors").textContent(), /^2:\d+: /);
    assert.match(await page.locator("#compare-diff").textContent(), /does not parse/);
    await page.locator("#compare-panel").screenshot({ path: join(SHOTS, "compare.png") });
    await page.click("#compare-close");
    assert.equal(await page.locator("#compare-panel").isHidden(), true);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("the benchmark page measures keystrokes with the reference workload", async () => {
    const page = await open("", { width: 1200, height: 800 });
    await page.goto(`${base}bench.html?iterations=20`);
    await page.waitForSelector("body[data-done=true]", { timeout: 60_000 });
    const results = await page.evaluate(() => window.benchResults);
    const result = results.generated;
    assert.equal(result.workload.users, 2000);
    assert.equal(result.workload.policy_lines, 300);
    assert.equal(results.reference.workload.users, 2000);
    assert.equal(results.reference.workload.decision, "pending");
    assert.ok(result.keystroke.median > 0);
    console.log(`# benchmark page smoke run (20 iterations, cold; figures: docs/simulator.md): keystroke median ${result.keystroke.median} ms`);
    // The same workload in the simulator itself: typing, rendering included.
    const href = await page.locator("#open-workload").getAttribute("href");
    await page.goto(base + href);
    await page.waitForSelector("body[data-ready=true]");
    assert.match(await page.locator("#users-more").textContent(), /of 2000 users/);
    await editorLine(page, "workload policy 0");
    await page.keyboard.type("typed", { delay: 30 });
    const timings = await page.evaluate(() => window.signoffSimulator.editTimings.slice(-5));
    assert.equal(timings.length, 5);
    const median = [...timings].sort((a, b) => a - b)[2];
    console.log(`# typing in the simulator with the workload: median ${median.toFixed(1)} ms per keystroke, rendering included`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
