//! Reading a details page as its reader's browser would.

use base64::Engine;

/// The simulator cases a details page links to (`#case=<base64 JSON>`), decoded.
pub fn cases(page: &str) -> Vec<serde_json::Value> {
    page.split("#case=")
        .skip(1)
        .map(|rest| {
            let fragment = rest.split('"').next().unwrap();
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(fragment)
                .unwrap();
            serde_json::from_slice(&bytes).unwrap()
        })
        .collect()
}

/// The page and every case it links to, as one text to search for names.
pub fn everything_shown(page: &str) -> String {
    format!("{page}\n{}", serde_json::to_string(&cases(page)).unwrap())
}
