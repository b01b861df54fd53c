//! Any glob against any value, in both modes: `Glob::new` never panics, matching never
//! panics, and on inputs small enough for the naive reference (exponential in the number
//! of stars) the answer is the reference's. Long inputs still run, which is where a
//! backtracking matcher would time out (`-timeout=10`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use signoff::glob::Glob;

#[path = "../../tests/common/glob_reference.rs"]
mod glob_reference;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is the glob, the rest the value.
    let (glob, value) = text.split_once('\n').unwrap_or((text, ""));
    for path in [false, true] {
        let Ok(compiled) = Glob::new(glob, path) else {
            continue;
        };
        let answer = compiled.matches(value);
        let glob_chars: Vec<char> = glob.chars().collect();
        let value_chars: Vec<char> = value.chars().collect();
        let stars = glob_chars.iter().filter(|&&c| c == '*').count();
        if glob_chars.len() <= 16 && value_chars.len() <= 24 && stars <= 4 {
            assert_eq!(
                answer,
                glob_reference::reference(&glob_chars, &value_chars, path),
                "{glob:?} (path: {path}) against {value:?}"
            );
        }
    }
});
