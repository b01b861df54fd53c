// The conformance corpus through the wasm build, in Node: every case must give, byte for
// byte, the JSON the native CLI prints (`signoff eval`), by each way in: the text of the
// case file, the case as a JavaScript object, and the simulator session the page uses.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ROOT, loadWasm, nodeZones, signoffBin } from "./helpers.mjs";
import { caseObject, caseToState, caseYaml, directoryInput, expectFrom, scenarioInput } from "../src/state.js";
import { decodeState, encodeState } from "../src/share.js";

const CORPUS = join(ROOT, "tests", "conformance");

function caseFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? caseFiles(join(dir, e.name)) : /\.(ya?ml|json)$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** What `signoff eval` prints for a file: stdout on success, the diagnostics otherwise. */
function nativeEval(file) {
  const run = spawnSync(signoffBin(), ["eval", file], { cwd: ROOT, encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const display = (d) => `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message} [${d.code}]`;

let wasm;
let supplyZones;
before(async () => {
  wasm = await loadWasm();
  supplyZones = nodeZones(wasm);
});

const files = caseFiles(CORPUS);

describe("conformance corpus through wasm", () => {
  test("the corpus is there", () => assert.ok(files.length >= 200, `only ${files.length} case files`));

  let mismatches = [];
  let objectMismatches = [];
  let sessionMismatches = [];
  let checked = 0;
  after(() => {
    console.log(`# ${checked} cases compared byte for byte with the native CLI`);
  });

  test("evaluateJson(case text) is byte-identical to `signoff eval`", async () => {
    for (const file of files) {
      const shown = relative(ROOT, file);
      const native = nativeEval(shown);
      let answer = wasm.evaluateJson(readFileSync(file, "utf8"), shown);
      // The first case naming a time zone fetches it, as the page does (src/zones.js).
      if (await supplyZones()) answer = wasm.evaluateJson(readFileSync(file, "utf8"), shown);
      if (native.code === 0) {
        if (!answer.ok || answer.json !== native.stdout) mismatches.push(shown);
      } else {
        const lines = answer.ok ? ["(no diagnostics)"] : answer.diagnostics.map(display);
        if (lines.join("\n") !== native.stderr.trimEnd()) mismatches.push(`${shown} (diagnostics)`);
      }
      checked++;
    }
    assert.deepEqual(mismatches, []);
  });

  test("evaluate(case object) and the simulator session give the same JSON", () => {
    for (const file of files) {
      const shown = relative(ROOT, file);
      const text = readFileSync(file, "utf8");
      const expected = wasm.evaluateJson(text, shown);
      if (!expected.ok) continue;
      const state = caseToState(text);
      const viaObject = wasm.evaluate(caseObject(state));
      if (!viaObject.ok || `${JSON.stringify(viaObject.decision, null, 2)}\n` !== expected.json) objectMismatches.push(shown);
      const sim = new wasm.Simulator();
      sim.setDirectory(directoryInput(state.directory));
      sim.setScenario(scenarioInput(state));
      sim.setPolicy(state.policy);
      const viaSession = sim.evaluateJson();
      if (!viaSession.ok || viaSession.json !== expected.json) sessionMismatches.push(shown);
      sim.free();
    }
    assert.deepEqual(objectMismatches, []);
    assert.deepEqual(sessionMismatches, []);
  });
});

describe("the JavaScript API", () => {
  test("version() is the CLI's version", () => {
    const cli = execFileSync(signoffBin(), ["--version"], { encoding: "utf8" });
    assert.match(wasm.version(), /^\d+\.\d+\.\d+/);
    assert.ok(cli.includes(wasm.version()), `${cli} vs ${wasm.version()}`);
  });

  test("lint(policyText) gives codes and 1-based ranges, as `signoff lint`", () => {
    const policy = "version: 1\npolicies:\n  p:\n    requires:\n      - any: 2\n    requirez: []\napply:\n  - policies: [p]\n    to: deployment\n";
    const [d, ...rest] = wasm.lint(policy);
    assert.equal(rest.length, 0);
    assert.deepEqual(Object.keys(d), ["file", "line", "col", "end_line", "end_col", "severity", "code", "message"]);
    assert.equal(d.code, "unknown_field");
    assert.equal(d.line, 6);
    assert.equal(d.col, 5);
    assert.equal(d.severity, "error");
    const dir = mkdtempSync(join(tmpdir(), "signoff-lint-"));
    writeFileSync(join(dir, "signoff.yml"), policy);
    const run = spawnSync(signoffBin(), ["lint", "signoff.yml"], { cwd: dir, encoding: "utf8" });
    assert.equal(run.stdout.trim() || run.stderr.trim(), display(d));
  });

  test("time zones come as data: fetched when a policy names one, unknown names stay errors as natively", async () => {
    const policy = (zone) =>
      `version: 1\npolicies:\n  p:\n    requires: [ { any: 1 } ]\napply:\n  - policies: [p]\n    to: deployment\nwindows:\n  - name: office\n    kind: blackout\n    to: deployment\n    weekly: { days: [mon], from: "09:00", until: "17:00", timezone: ${zone} }\n`;
    const codes = (zone) => wasm.lint(policy(zone)).map((d) => `${d.code} ${d.message}`);
    // Not loaded yet: the module alone does not know it, and says which zone it lacked.
    assert.match(codes("Asia/Tokyo").join(), /unknown time zone `Asia\/Tokyo`/);
    assert.equal(await supplyZones(), true);
    assert.deepEqual(codes("Asia/Tokyo"), []);
    assert.deepEqual(codes("asia/TOKYO"), [], "names match without regard to ASCII case, as natively");
    // A name the exported database lacks is not fetched and stays the native error.
    const mars = codes("Mars/Olympus");
    assert.equal(await supplyZones(), false);
    assert.deepEqual(codes("Mars/Olympus"), mars);
    const dir = mkdtempSync(join(tmpdir(), "signoff-zones-"));
    writeFileSync(join(dir, "signoff.yml"), policy("Mars/Olympus"));
    const run = spawnSync(signoffBin(), ["lint", "signoff.yml"], { cwd: dir, encoding: "utf8" });
    assert.equal(run.stdout.trim() || run.stderr.trim(), wasm.lint(policy("Mars/Olympus")).map(display).join("\n"));
    assert.equal(wasm.addZone("Test/Broken", new Uint8Array([1, 2, 3])), false);
    assert.equal(wasm.addZone(42, "nope"), false);
  });

  test("lint with a directory reports unknown groups and unsatisfiable requirements", () => {
    const policy = "version: 1\npolicies:\n  p:\n    requires:\n      - group: qa\n        count: 2\napply:\n  - policies: [p]\n    to: deployment\n";
    const codes = wasm.lint(policy, { users: { alice: { groups: ["qa"], roles: ["deployment-approver"] } } }).map((d) => d.code);
    assert.deepEqual(codes, ["unsatisfiable"]);
    assert.deepEqual(wasm.lint(policy, { users: {} }).map((d) => d.code).sort(), ["unknown_group", "unsatisfiable"]);
    assert.equal(wasm.lint(policy, { users: 5 })[0].code, "invalid_input");
  });

  test("errors come back as data, never thrown", () => {
    for (const bad of [undefined, null, 42, "", "just: text", { policy: 5 }, { policy: "version: 1\n", request: { kind: "nope" } }, []]) {
      const answer = wasm.evaluate(bad);
      assert.equal(answer.ok, false, JSON.stringify(bad));
      assert.ok(answer.diagnostics.length > 0);
      assert.ok(answer.diagnostics.every((d) => d.line >= 1 && typeof d.message === "string"));
    }
    const sim = new wasm.Simulator();
    assert.equal(sim.evaluate().ok, false);
    assert.equal(sim.setScenario({ request: 3 })[0].code, "invalid_input");
    assert.equal(sim.setDirectory("nope")[0].code, "invalid_input");
    assert.equal(wasm.testCase("nope: [", "x.yml").ok, false);
    assert.equal(wasm.describeReason("self_approval"), "the requester cannot approve their own request");
    assert.equal(wasm.describeReason("nonsense"), undefined);
    // Wrong types from JavaScript are answers too, not traps.
    assert.equal(wasm.lint(5)[0].code, "invalid_input");
    assert.equal(wasm.evaluateJson(null).ok, false);
    assert.equal(wasm.testCase(undefined).ok, false);
    assert.equal(wasm.describeReason(7), undefined);
    assert.equal(new wasm.Simulator().setPolicy(null)[0].severity, "error");
    assert.equal(wasm.version(), wasm.version());
  });

  test("a decision object has the keys of SPEC §5, in order", () => {
    const text = readFileSync(join(CORPUS, "examples", "spec-section-5-decision-example.yml"), "utf8");
    const answer = wasm.evaluate(text);
    assert.equal(answer.ok, true);
    assert.deepEqual(Object.keys(answer.decision), ["decision", "summary", "policies", "rejected_by", "ignored", "exempt", "window"]);
    assert.equal(answer.decision.exempt, null);
  });
});

describe("case files, share links and saved tests", () => {
  test("a share link restores the exact state", async () => {
    const state = caseToState(readFileSync(join(CORPUS, "examples", "devtron-production-deployment-freeze.yml"), "utf8"));
    state.grants[0].off = true;
    state.name = "ünïcode ✓ and a long name";
    const fragment = await encodeState(state);
    assert.match(fragment, /^s1\.[A-Za-z0-9_-]+$/);
    assert.deepEqual(await decodeState(`#${fragment}`), JSON.parse(JSON.stringify(state)));
    await assert.rejects(decodeState("#nonsense"));
  });

  test("every example saved as a test passes `signoff test`, and exports read back the same", () => {
    const dir = mkdtempSync(join(tmpdir(), "signoff-saved-"));
    const saved = [];
    for (const file of files.filter((f) => f.includes(`${join("conformance", "examples")}`) || f.includes("distinct"))) {
      const state = caseToState(readFileSync(file, "utf8"));
      const answer = wasm.evaluate(caseObject(state));
      assert.equal(answer.ok, true, file);
      const text = caseYaml(state, expectFrom(answer.decision));
      const out = join(dir, `${saved.length}.yml`);
      writeFileSync(out, text);
      saved.push(out);
      assert.deepEqual(wasm.testCase(text, out).failures, [], file);
      const again = caseToState(text);
      assert.equal(again.policy, state.policy, file);
      assert.deepEqual(scenarioInput(again), scenarioInput(state), file);
    }
    const run = spawnSync(signoffBin(), ["test", dir], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`^${saved.length} passed, 0 failed$`, "m"));
  });

  test("a policy written as a mapping keeps its comments when imported", () => {
    const state = caseToState("name: c\npolicy:\n  # top comment\n  version: 1 # v\n  policies: {}\n  apply: []\nrequest: { kind: deployment, requester: d }\nnow: 2026-11-21T09:00:00Z\n");
    assert.equal(state.policy, "# top comment\nversion: 1 # v\npolicies: {}\napply: []\n");
    assert.throws(() => caseToState("polic: {}\n"), /line 1: unknown field `polic`/);
    assert.throws(() => caseToState("policy: [\n"), /line/);
  });
});
