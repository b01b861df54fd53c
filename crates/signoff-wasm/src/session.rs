//! The simulator's state between keystrokes, in plain Rust so it is tested natively.
//!
//! A page re-evaluates on every keystroke. Parsing a case file with a directory of
//! thousands of users each time would cost far more than evaluating it, so the session
//! keeps the directory and the scenario (request, grants, `now`) as already-deserialised
//! values, and a keystroke only parses the policy text and evaluates. The answers are
//! those of [`signoff::evaluate_case`]: the web tests run every conformance case both ways.

use signoff::{Decision, Diagnostic, Directory, PolicySet, Severity, Span};

/// The name policy diagnostics carry.
pub const POLICY_FILE: &str = "signoff.yml";

/// What changes most often besides the policy: who asks for what, who said what, and when.
pub use signoff::scenario::Scenario;

/// A policy text, a directory and a scenario; evaluate whenever one changes.
#[derive(Debug, Clone, Default)]
pub struct Session {
    text: String,
    policy: Option<PolicySet>,
    diagnostics: Vec<Diagnostic>,
    directory: Directory,
    scenario: Option<Scenario>,
    input_problems: Vec<Diagnostic>,
}

impl Session {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a policy text; returns its diagnostics (errors, or the warnings found while
    /// compiling), sorted by position: what `signoff lint` reports without a directory.
    /// The directory's warnings come from [`Session::lint`], which a page runs when
    /// typing pauses, so a keystroke costs one parse and one evaluation.
    pub fn set_policy(&mut self, text: &str) -> &[Diagnostic] {
        text.clone_into(&mut self.text);
        let (policy, mut diagnostics) = match PolicySet::parse(text, POLICY_FILE) {
            Ok(set) => {
                let warnings = set.warnings(POLICY_FILE);
                (Some(set), warnings)
            }
            Err(errors) => (None, errors),
        };
        sort(&mut diagnostics);
        self.policy = policy;
        self.diagnostics = diagnostics;
        &self.diagnostics
    }

    /// Lints the current policy against the current directory (unknown groups and users,
    /// unsatisfiable requirements, besides everything [`Session::set_policy`] reports):
    /// exactly `signoff lint --directory`.
    pub fn lint(&mut self) -> &[Diagnostic] {
        self.diagnostics = signoff::lint(&self.text, POLICY_FILE, Some(&self.directory));
        &self.diagnostics
    }

    /// Replaces the directory. Its lint warnings wait for [`Session::lint`].
    pub fn set_directory(&mut self, directory: Directory) {
        self.directory = directory;
    }

    pub fn set_scenario(&mut self, scenario: Scenario) {
        self.scenario = Some(scenario);
        self.clear_input_problem("scenario");
    }

    /// Records that the directory or scenario given could not be read; evaluation then
    /// answers with this problem until a valid one is set.
    pub fn set_input_problem(&mut self, field: &str, message: String) {
        if field == "scenario" {
            self.scenario = None;
        }
        self.input_problems.retain(|d| d.file != field);
        self.input_problems.push(input_problem(field, message));
    }

    pub fn clear_input_problem(&mut self, field: &str) {
        self.input_problems.retain(|d| d.file != field);
    }

    /// The current policy's diagnostics.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The decision, or what stands in its way: the policy's errors or an unreadable input.
    pub fn evaluate(&self) -> Result<Decision, Vec<Diagnostic>> {
        let Some(policy) = &self.policy else {
            let errors: Vec<Diagnostic> = self
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .cloned()
                .collect();
            return Err(if errors.is_empty() {
                vec![input_problem(POLICY_FILE, "no policy set".into())]
            } else {
                errors
            });
        };
        if !self.input_problems.is_empty() {
            return Err(self.input_problems.clone());
        }
        let Some(scenario) = &self.scenario else {
            return Err(vec![input_problem("scenario", "no scenario set".into())]);
        };
        let context = signoff::Context::new(policy, &self.directory);
        Ok(context.evaluate(&scenario.request, &scenario.grants, scenario.now))
    }
}

/// By position, then code and message, without repeats: the order `signoff lint` prints.
fn sort(diagnostics: &mut Vec<Diagnostic>) {
    signoff::order::stable_sort_by(diagnostics, |a, b| {
        (a.span.line, a.span.col, &a.code, &a.message).cmp(&(
            b.span.line,
            b.span.col,
            &b.code,
            &b.message,
        ))
    });
    diagnostics.dedup();
}

/// A problem with an input that has no source text (a JavaScript object), located at 1:1.
pub fn input_problem(file: &str, message: String) -> Diagnostic {
    Diagnostic {
        file: file.to_owned(),
        span: Span {
            line: 1,
            col: 1,
            end_line: 1,
            end_col: 1,
        },
        severity: Severity::Error,
        code: "invalid_input".to_owned(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "version: 1\npolicies:\n  two:\n    requires:\n      - any: 2\napply:\n  - policies: [two]\n    to: deployment\n";

    fn directory() -> Directory {
        serde_json::from_str(
            r#"{"users": {"alice": {"roles": ["deployment-approver"]}, "bob": {"roles": ["deployment-approver"]}}}"#,
        )
        .unwrap()
    }

    fn scenario(grants: &str) -> Scenario {
        signoff::scenario::parse_scenario(&format!(
            r#"{{"request": {{"kind": "deployment", "requester": "dave"}}, "grants": {grants}, "now": "2026-11-21T09:00:00Z"}}"#
        ), "scenario")
        .unwrap()
    }

    #[test]
    fn evaluates_like_a_case_file() {
        let mut session = Session::new();
        session.set_directory(directory());
        assert!(session.set_policy(POLICY).is_empty());
        assert!(session.lint().is_empty());
        let grants = r#"[{"by": "alice", "action": "approve", "at": "2026-11-20T10:00:00Z"}]"#;
        session.set_scenario(scenario(grants));
        let decision = session.evaluate().unwrap();
        let case = format!(
            "policy: {}\ndirectory: {}\nrequest: {{kind: deployment, requester: dave}}\ngrants: {grants}\nnow: 2026-11-21T09:00:00Z\n",
            serde_json::to_string(POLICY).unwrap(),
            serde_json::to_string(&directory()).unwrap()
        );
        let expected = signoff::evaluate_case(&case, "case.yml").unwrap();
        assert_eq!(decision.to_json(), expected.to_json());
        assert_eq!(decision.decision, signoff::Outcome::Pending);
    }

    #[test]
    fn policy_errors_are_answers() {
        let mut session = Session::new();
        session.set_scenario(scenario("[]"));
        let diagnostics = session.set_policy(
            "version: 1\npolicies:\n  two:\n    requires:\n      - any: 2\n    requirez: []\n",
        );
        let first = diagnostics.first().unwrap();
        assert_eq!((first.code.as_str(), first.span.line), ("unknown_field", 6));
        let errors = session.evaluate().unwrap_err();
        assert_eq!(errors.first().unwrap().code, "unknown_field");
    }

    #[test]
    fn directory_lint_follows_the_directory() {
        let mut session = Session::new();
        session.set_policy("version: 1\npolicies:\n  p:\n    requires:\n      - group: qa\napply:\n  - policies: [p]\n    to: deployment\n");
        session.set_directory(directory());
        assert!(session.diagnostics().is_empty());
        assert!(session.lint().iter().any(|d| d.code == "unknown_group"));
    }

    #[test]
    fn set_policy_reports_what_lint_without_a_directory_does() {
        let texts = [
            POLICY,
            "version: 1\npolicies:\n  a: { requires: [ { any: 1 } ] }\n  b: { requires: [ { any: 1 } ] }\napply: [ { policies: [a], to: deployment } ]\n",
            "version: 2\npolicies:\n  a:\n    requires: [ { any: 0 } ]\napply: [ { policies: [nope], to: deploy } ]\n",
            "version: 1\npolicies: [\n",
        ];
        let mut session = Session::new();
        for text in texts {
            assert_eq!(
                session.set_policy(text),
                signoff::lint(text, POLICY_FILE, None).as_slice(),
                "{text}"
            );
        }
    }

    #[test]
    fn input_problems_block_evaluation_until_fixed() {
        let mut session = Session::new();
        session.set_policy(POLICY);
        session.set_input_problem("directory", "bad".into());
        session.set_scenario(scenario("[]"));
        assert_eq!(
            session.evaluate().unwrap_err().first().unwrap().file,
            "directory"
        );
        session.clear_input_problem("directory");
        assert!(session.evaluate().is_ok());
        session.set_input_problem("scenario", "bad".into());
        assert_eq!(
            session.evaluate().unwrap_err().first().unwrap().code,
            "invalid_input"
        );
    }
}
