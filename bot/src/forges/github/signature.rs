//! `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the raw body, checked against
//! every configured secret in constant time (`verify_slice`).

use crate::config::Secret;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn verify_github(secrets: &[Secret], header: &str, body: &[u8]) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    // Check every secret, so the time taken does not tell which one matched.
    let mut ok = false;
    for secret in secrets {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
            continue;
        };
        mac.update(body);
        ok |= mac.verify_slice(&expected).is_ok();
    }
    ok
}

/// The header value GitHub would send for `body` signed with `secret`.
pub fn sign_github(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_configured_secret_verifies() {
        let body = br#"{"zen":"Keep it logically awesome."}"#;
        let secrets = vec![Secret::new("new"), Secret::new("old")];
        assert!(verify_github(&secrets, &sign_github("old", body), body));
        assert!(verify_github(&secrets, &sign_github("new", body), body));
        assert!(!verify_github(&secrets, &sign_github("other", body), body));
        assert!(!verify_github(&secrets, "sha1=abc", body));
        assert!(!verify_github(&secrets, "sha256=zz", body));
        assert!(!verify_github(&[], &sign_github("", body), body));
    }

    #[test]
    fn known_vector() {
        // From GitHub's documentation on validating webhook deliveries.
        assert_eq!(
            sign_github("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }
}
