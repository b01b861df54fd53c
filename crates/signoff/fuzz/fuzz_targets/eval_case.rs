//! Any UTF-8 text as a case file: `evaluate_case` returns a decision or located
//! diagnostics, never a panic; a decision's JSON reads back as the same decision; and
//! `Context::decide` (the bulk path, with shortcuts of its own) agrees with it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match signoff::evaluate_case(text, "fuzz.yml") {
        Ok(decision) => {
            assert!(decision.summary.chars().count() <= 140);
            let json = decision.to_json();
            let back: signoff::Decision =
                serde_json::from_str(&json).expect("decision JSON reads back");
            assert_eq!(back, decision);
            if let Ok(case) = signoff::parse_case(text, "fuzz.yml") {
                if let Some(expect) = &case.expect {
                    let _ = signoff::check(expect, &decision);
                }
                let input = &case.input;
                let context = signoff::Context::new(&case.policy, &input.directory);
                let verdict = context.decide(&input.request, &input.grants, input.now);
                assert_eq!(verdict.decision, decision.decision);
                let policies: Vec<(&str, bool)> = verdict
                    .policies
                    .iter()
                    .map(|p| (p.name, p.satisfied))
                    .collect();
                let explained: Vec<(&str, bool)> = decision
                    .policies
                    .iter()
                    .map(|p| (p.name.as_str(), p.satisfied))
                    .collect();
                assert_eq!(policies, explained);
                let rejected_by: Vec<&str> =
                    decision.rejected_by.iter().map(|n| n.as_str()).collect();
                assert_eq!(verdict.rejected_by, rejected_by);
            }
        }
        Err(diagnostics) => {
            for d in &diagnostics {
                assert!(d.span.line >= 1, "{d}");
            }
        }
    }
});
