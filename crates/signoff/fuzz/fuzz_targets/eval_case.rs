//! Any UTF-8 text as a case file: `evaluate_case` returns a decision or located
//! diagnostics, never a panic; a decision's JSON reads back as the same decision.
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
            }
        }
        Err(diagnostics) => {
            for d in &diagnostics {
                assert!(d.span.line >= 1, "{d}");
            }
        }
    }
});
