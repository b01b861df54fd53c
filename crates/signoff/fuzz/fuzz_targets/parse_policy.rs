//! Any UTF-8 text as a policy file: `PolicySet::parse` and `lint` (with and without a
//! directory) must return diagnostics, never panic; a policy that parses is evaluated
//! against a small fixed directory and request of every kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn directory() -> &'static signoff::Directory {
    static DIRECTORY: OnceLock<signoff::Directory> = OnceLock::new();
    DIRECTORY.get_or_init(|| {
        serde_json::from_str(
            r#"{
              "users": {
                "alice": { "groups": ["security", "qa"], "roles": ["deployment-approver", "config-approver"] },
                "bob": { "groups": ["security"], "roles": ["deployment-approver", "pull-request-approver"] },
                "carol": { "roles": ["pull-request-approver"] },
                "root": { "super_admin": true }
              },
              "groups": { "release-leads": ["alice", "dave"] },
              "tokens": ["release-pipeline"]
            }"#,
        )
        .unwrap_or_default()
    })
}

fn inputs() -> &'static [signoff::Input] {
    static INPUTS: OnceLock<Vec<signoff::Input>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        ["deployment", "config", "pull_request"]
            .iter()
            .filter_map(|kind| {
                let text = format!(
                    r#"{{
                      "request": {{ "kind": "{kind}", "config": "secret", "requester": "dave", "revision": "r1",
                                   "attributes": {{ "app": "banking", "environment": "production", "cluster": "prod-eu",
                                                    "repo": "acme/bank", "branch": "main", "labels": ["x"], "paths": ["a/b.sql"] }},
                                   "contributors": ["bob"] }},
                      "grants": [
                        {{ "by": "alice", "action": "approve", "at": "2026-11-20T10:00:00Z" }},
                        {{ "by": "bob", "action": "reject", "revision": "r0", "at": "2026-11-20T11:00:00Z" }},
                        {{ "by": "carol", "action": "approve", "at": "2026-11-20T12:00:00Z" }},
                        {{ "by": "root", "action": "approve", "at": "2026-11-21T10:00:00Z" }},
                        {{ "by": "ghost", "action": "approve", "at": "2026-11-20T12:00:00Z" }}
                      ],
                      "now": "2026-11-21T09:00:00Z"
                    }}"#
                );
                let mut input: signoff::Input = serde_json::from_str(&text).ok()?;
                input.directory = directory().clone();
                Some(input)
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(policy) = signoff::PolicySet::parse(text, "fuzz.yml") {
        for input in inputs() {
            let decision = signoff::evaluate(&policy, input);
            assert!(decision.summary.chars().count() <= 140);
            let _ = decision.to_json();
        }
    }
    for diagnostic in signoff::lint(text, "fuzz.yml", None)
        .iter()
        .chain(&signoff::lint(text, "fuzz.yml", Some(directory())))
    {
        assert!(diagnostic.span.line >= 1, "{diagnostic}");
    }
});
