//! signoff for JavaScript (SPEC §9): a thin wasm-bindgen layer over the core.
//!
//! Every function takes and returns plain JavaScript objects with the shapes of the
//! serde contract (SPEC §3, §5, §7). Nothing throws: a bad input comes back as
//! `{ ok: false, diagnostics: [...] }`, and a panic (a bug) is reported to the console
//! by the panic hook installed at start.
//!
//! ```js
//! import init, { evaluate, lint, version, Simulator } from "./pkg/signoff.js";
//! await init();
//! const answer = evaluate({ policy: "version: 1\n…", request: {…}, directory: {…}, grants: […], now: "…" });
//! if (answer.ok) console.log(answer.decision.decision);
//! ```

pub mod session;

use serde::Serialize;
use session::{POLICY_FILE, Session, input_problem};
use signoff::{Decision, Diagnostic, Directory, IgnoreReason};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// Installs the panic hook when the module is instantiated. Panics cannot happen by
/// design (the workspace lints deny `unwrap`, `expect`, `panic!` and indexing), so the
/// hook is our own few lines rather than `console_error_panic_hook`: it logs the panic's
/// message and location, without a JavaScript stack (the module then traps with
/// "unreachable", `panic = "abort"`), for 1 KB less gzipped (docs/simulator.md, "Size").
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error(&format!("signoff-wasm: internal error (a bug): {info}"))
    }));
}

/// The evaluator's version, as the CLI and the bot report it.
#[wasm_bindgen]
pub fn version() -> String {
    signoff::VERSION.to_owned()
}

/// Evaluates a case (SPEC §7): a JavaScript object `{ policy, directory, request, grants,
/// now }` whose `policy` is a mapping or a string holding the policy YAML, or the text of
/// a case file. Answers `{ ok: true, decision }` or `{ ok: false, diagnostics }`.
///
/// An object is turned into JSON text and read exactly as `signoff eval` reads a file, so
/// there is one code path; locations in its diagnostics refer to that JSON text.
#[wasm_bindgen]
pub fn evaluate(case: JsValue) -> JsValue {
    let (text, file) = match case_text(&case) {
        Ok(found) => found,
        Err(problem) => return failure(&[problem]),
    };
    match signoff::evaluate_case(&text, file) {
        Ok(decision) => evaluated(&decision),
        Err(diagnostics) => failure(&diagnostics),
    }
}

/// Evaluates the text of a case file and answers `{ ok: true, json }` with the canonical
/// decision JSON, byte for byte what `signoff eval` prints, or `{ ok: false, diagnostics }`.
#[wasm_bindgen(js_name = evaluateJson)]
pub fn evaluate_json(text: JsValue, file: JsValue) -> JsValue {
    let file = file.as_string().unwrap_or_else(|| "case.yml".to_owned());
    let Some(text) = text.as_string() else {
        return failure(&[input_problem(
            &file,
            "the case text must be a string".into(),
        )]);
    };
    match signoff::evaluate_case(&text, &file) {
        Ok(decision) => to_js(&EvaluatedJson {
            ok: true,
            json: decision.to_json(),
        }),
        Err(diagnostics) => failure(&diagnostics),
    }
}

/// Runs a case file with an `expect` block as `signoff test` does. Answers
/// `{ ok: true, name, failures }` (`failures` empty when the case passes; a case without
/// `expect` fails with one message), or `{ ok: false, diagnostics }` when it cannot be read.
#[wasm_bindgen(js_name = testCase)]
pub fn test_case(text: JsValue, file: JsValue) -> JsValue {
    let file = file.as_string().unwrap_or_else(|| "case.yml".to_owned());
    let Some(text) = text.as_string() else {
        return failure(&[input_problem(
            &file,
            "the case text must be a string".into(),
        )]);
    };
    match signoff::parse_case(&text, &file) {
        Ok(case) => {
            let failures = match &case.expect {
                Some(expect) => {
                    signoff::check(expect, &signoff::evaluate(&case.policy, &case.input))
                }
                None => vec![format!("{file}: no `expect` block to check")],
            };
            to_js(&Tested {
                ok: true,
                name: case.name.as_deref(),
                failures,
            })
        }
        Err(diagnostics) => failure(&diagnostics),
    }
}

/// An ignore reason code (`self_approval`, …) in words, as pages show it; `null` for a
/// code that is not one.
#[wasm_bindgen(js_name = describeReason)]
pub fn describe_reason(code: JsValue) -> Option<String> {
    let code = code.as_string()?;
    // A bare word is a YAML string; anything else is not a code and fails to read.
    if !code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return None;
    }
    signoff::from_yaml_str::<IgnoreReason>(&code, "code")
        .ok()
        .map(|reason| reason.describe().to_owned())
}

/// The time zones compiles asked for since the last call and did not find (this module
/// does not bundle the time-zone database): fetch those the page has and pass them to
/// `addZone`, then compile again (web/src/zones.js). Names it lacks are unknown zones.
#[wasm_bindgen(js_name = missingZones)]
pub fn missing_zones() -> Vec<String> {
    signoff::zones::take_unresolved()
}

/// Adds the time zone `name` (its canonical IANA spelling) from its TZif bytes, as the
/// page fetches them from `tz/` (exported from the native build's bundled database).
/// Answers whether the bytes were valid TZif.
#[wasm_bindgen(js_name = addZone)]
pub fn add_zone(name: JsValue, tzif: JsValue) -> bool {
    let bytes = tzif.dyn_ref::<js_sys::Uint8Array>();
    let (Some(name), Some(bytes)) = (name.as_string(), bytes) else {
        return false;
    };
    signoff::zones::add_tzif(&name, &bytes.to_vec()).is_ok()
}

/// Lints a policy text: every error and warning with its code and 1-based line and column
/// range. With a directory object, also unknown groups and users and unsatisfiable
/// requirements. Answers an array of diagnostics (empty when all is well).
#[wasm_bindgen]
pub fn lint(policy_text: JsValue, directory: JsValue) -> JsValue {
    let Some(policy_text) = policy_text.as_string() else {
        return to_js(&[input_problem(
            POLICY_FILE,
            "the policy text must be a string".into(),
        )]);
    };
    if directory.is_undefined() || directory.is_null() {
        return to_js(&signoff::lint(&policy_text, POLICY_FILE, None));
    }
    match read_directory(&directory) {
        Ok(directory) => to_js(&signoff::lint(&policy_text, POLICY_FILE, Some(&directory))),
        Err(message) => to_js(&[input_problem("directory", message)]),
    }
}

/// A simulator session: set the policy text, the directory and the scenario separately,
/// then evaluate. Setting the policy on each keystroke only parses the policy; the
/// directory is read once.
#[wasm_bindgen]
pub struct Simulator {
    session: Session,
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl Simulator {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Simulator {
        Simulator {
            session: Session::new(),
        }
    }

    /// Sets the policy text; answers its diagnostics (errors, or compile warnings), what
    /// `lint(text)` answers without a directory. Cheap enough for every keystroke.
    #[wasm_bindgen(js_name = setPolicy)]
    pub fn set_policy(&mut self, text: JsValue) -> JsValue {
        let text = text.as_string().unwrap_or_default();
        to_js(self.session.set_policy(&text))
    }

    /// Lints the policy against the directory too (unknown groups, unsatisfiable
    /// requirements) and answers every diagnostic; run it when typing pauses.
    pub fn lint(&mut self) -> JsValue {
        to_js(self.session.lint())
    }

    /// Sets the directory `{ users, groups, tokens }`; answers `[]` or its problem.
    #[wasm_bindgen(js_name = setDirectory)]
    pub fn set_directory(&mut self, directory: JsValue) -> JsValue {
        match read_directory(&directory) {
            Ok(directory) => {
                self.session.clear_input_problem("directory");
                self.session.set_directory(directory);
                to_js::<[Diagnostic]>(&[])
            }
            Err(message) => {
                self.session.set_input_problem("directory", message.clone());
                to_js(&[input_problem("directory", message)])
            }
        }
    }

    /// Sets `{ request, grants, now }`; answers `[]` or the scenario's problem.
    #[wasm_bindgen(js_name = setScenario)]
    pub fn set_scenario(&mut self, scenario: JsValue) -> JsValue {
        let read = js_text(&scenario, "scenario").and_then(|text| {
            signoff::scenario::parse_scenario(&text, "scenario")
                .map_err(|diagnostics| joined("scenario", &diagnostics))
        });
        match read {
            Ok(scenario) => {
                self.session.set_scenario(scenario);
                to_js::<[Diagnostic]>(&[])
            }
            Err(message) => {
                self.session.set_input_problem("scenario", message.clone());
                to_js(&[input_problem("scenario", message)])
            }
        }
    }

    /// The current policy's diagnostics.
    pub fn diagnostics(&self) -> JsValue {
        to_js(self.session.diagnostics())
    }

    /// `{ ok: true, decision }` or `{ ok: false, diagnostics }`.
    pub fn evaluate(&self) -> JsValue {
        match self.session.evaluate() {
            Ok(decision) => evaluated(&decision),
            Err(diagnostics) => failure(&diagnostics),
        }
    }

    /// The decision as canonical JSON text (what `signoff eval` prints), or `{ ok: false, … }`.
    #[wasm_bindgen(js_name = evaluateJson)]
    pub fn evaluate_json(&self) -> JsValue {
        match self.session.evaluate() {
            Ok(decision) => to_js(&EvaluatedJson {
                ok: true,
                json: decision.to_json(),
            }),
            Err(diagnostics) => failure(&diagnostics),
        }
    }
}

/// `{ ok: true, decision }`, the decision read back from its canonical JSON: serde_json
/// then writes a decision in one place, `Decision::to_json`, instead of a second copy
/// inlined into an answer struct's serializer (3 KB gzipped; docs/simulator.md, "Size").
fn evaluated(decision: &Decision) -> JsValue {
    let text = format!("{{\"ok\": true, \"decision\": {}}}", decision.to_json());
    js_sys::JSON::parse(&text).unwrap_or_else(|e| {
        JsValue::from_str(&format!("signoff-wasm: cannot convert the answer: {e:?}"))
    })
}

#[derive(Serialize)]
struct EvaluatedJson {
    ok: bool,
    json: String,
}

#[derive(Serialize)]
struct Tested<'a> {
    ok: bool,
    name: Option<&'a str>,
    failures: Vec<String>,
}

#[derive(Serialize)]
struct Failed<'a> {
    ok: bool,
    diagnostics: &'a [Diagnostic],
}

fn failure(diagnostics: &[Diagnostic]) -> JsValue {
    to_js(&Failed {
        ok: false,
        diagnostics,
    })
}

/// A case object as JSON text (named `case.json`), or a case file's text as given.
fn case_text(case: &JsValue) -> Result<(String, &'static str), Diagnostic> {
    if let Some(text) = case.as_string() {
        return Ok((text, "case.yml"));
    }
    if !case.is_object() {
        return Err(input_problem(
            "case.json",
            "a case is an object or the text of a case file".into(),
        ));
    }
    let json = js_sys::JSON::stringify(case).map_err(|e| {
        input_problem(
            "case.json",
            format!("the case cannot be written as JSON: {e:?}"),
        )
    })?;
    let text = JsValue::from(json)
        .as_string()
        .ok_or_else(|| input_problem("case.json", "the case cannot be written as JSON".into()))?;
    Ok((text, "case.json"))
}

/// Answers cross to JavaScript as JSON text that the engine parses: serde_json, which also
/// writes the canonical decision JSON, is then the module's only serializer (a second one
/// for JavaScript values, serde-wasm-bindgen, cost 11 KB gzipped; docs/simulator.md).
fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    serde_json::to_string_pretty(value)
        .map_err(|e| e.to_string())
        .and_then(|text| js_sys::JSON::parse(&text).map_err(|e| format!("{e:?}")))
        .unwrap_or_else(|e| {
            JsValue::from_str(&format!("signoff-wasm: cannot convert the answer: {e}"))
        })
}

/// A directory from JavaScript, read the way `evaluate(case object)` reads a case: the
/// engine writes it as JSON and the core's reader (JSON is YAML) reads it, with the case
/// file's directory reader, so the module carries one copy of it. Answers in words.
fn read_directory(value: &JsValue) -> Result<Directory, String> {
    let text = js_text(value, "directory")?;
    signoff::scenario::parse_directory(&text, "directory")
        .map_err(|diagnostics| joined("directory", &diagnostics))
}

/// A JavaScript value as JSON text, for the core's reader.
fn js_text(value: &JsValue, field: &str) -> Result<String, String> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|json| JsValue::from(json).as_string())
        .ok_or_else(|| format!("{field}: cannot be written as JSON"))
}

/// The problems reading `field`, in words: "field: first; second".
fn joined(field: &str, diagnostics: &[Diagnostic]) -> String {
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    format!("{field}: {}", messages.join("; "))
}
