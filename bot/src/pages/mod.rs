//! Pages: signed details links and the details page, and the home page when the
//! simulator is not built.

pub mod details;
pub mod people;

use crate::config::Secret;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature in a details link: HMAC-SHA256 of the audit id under the server key,
/// so pages cannot be enumerated.
pub fn sign(key: &Secret, id: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()) else {
        return String::new();
    };
    mac.update(format!("details:{id}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn verify(key: &Secret, id: i64, signature: &str) -> bool {
    let Ok(expected) = hex::decode(signature) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()) else {
        return false;
    };
    mac.update(format!("details:{id}").as_bytes());
    mac.verify_slice(&expected).is_ok()
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}\
.approved,.exempt,.not_required{color:#1a7f37}.pending{color:#9a6700}.rejected,.blocked,.error,.tampered{color:#cf222e}\
code,pre{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}pre{padding:.6rem;overflow:auto}";

/// `/` when the simulator has not been built.
pub async fn home_unbuilt(dir: String) -> axum::response::Html<String> {
    axum::response::Html(format!(
        "<!doctype html><html><head><meta charset=utf-8><title>signoff</title><style>{STYLE}</style></head><body>\
<h1>signoff</h1><p>The bot is running: webhooks go to <code>/webhooks/github</code>, health at \
<a href=\"/healthz\"><code>/healthz</code></a>.</p>\
<p>The policy simulator is not built, so it cannot be served from <code>{}</code>. Build it with \
<code>bash web/build.sh</code> from the repository (see the README), or point <code>web_dir</code> \
(<code>SIGNOFF_WEB_DIR</code>) at a built copy, and restart.</p></body></html>",
        escape(&dir)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let key = Secret::new("k");
        let sig = sign(&key, 7);
        assert!(verify(&key, 7, &sig));
        assert!(!verify(&key, 8, &sig));
        assert!(!verify(&Secret::new("other"), 7, &sig));
        assert!(!verify(&key, 7, "nothex"));
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
