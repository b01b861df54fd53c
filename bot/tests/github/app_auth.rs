//! GitHub App auth: installation tokens, check runs, credentials only to the API base.

use super::harness::{Harness, sha};
use signoff_bot::config::Secret;

pub fn rsa_key() -> String {
    let out = std::process::Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .expect("openssl is needed to make a test App key");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The bot as GitHub App 1234 (deliveries name installation 77).
pub async fn app_harness() -> Harness {
    let key = rsa_key();
    Harness::with(move |c| {
        c.github.token = None;
        c.github.app_id = Some(1234);
        c.github.private_key = Some(Secret::new(key));
    })
    .await
}

#[tokio::test]
async fn installation_tokens_check_runs_and_path_only_callbacks() {
    let h = app_harness().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");

    let requests = h.fake.requests();
    let minted: Vec<_> = requests
        .iter()
        .filter(|r| r.path.starts_with("/app/installations/"))
        .collect();
    assert_eq!(minted.len(), 1, "one installation token, reused");
    assert_eq!(minted[0].path, "/app/installations/77/access_tokens");
    assert!(
        minted[0]
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Bearer ey"),
        "the App's JWT"
    );
    for r in requests.iter().filter(|r| r.path.starts_with("/repos/")) {
        assert_eq!(
            r.authorization.as_deref(),
            Some("Bearer ghs_installation77"),
            "{}",
            r.path
        );
    }
    let runs = h.fake.with(|s| s.check_runs.clone());
    let last = &runs.last().unwrap().1;
    assert_eq!(
        (
            last["name"].as_str(),
            last["status"].as_str(),
            last["conclusion"].as_str()
        ),
        (Some("signoff"), Some("completed"), Some("success"))
    );
    assert!(
        last["output"]["summary"]
            .as_str()
            .unwrap()
            .contains("| two |"),
        "{}",
        last["output"]["summary"]
    );
    let first = h
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/check-runs"))
        .unwrap();
    assert_eq!(first.body.unwrap()["status"], "in_progress");

    // A protection rule answered with the installation's token, on the API base.
    h.set_policy("main", "version: 1\npolicies: { p: { requires: [ { any: 1 } ] } }\napply: [ { policies: [p], to: deployment } ]\n");
    h.request_deployment(9, "production", &sha(1), "erin", &[1])
        .await;
    h.comment(1, "carol", "/approve production").await;
    h.settle().await;
    let callback = h
        .fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/deployment_protection_rule"))
        .unwrap();
    assert_eq!(
        callback.authorization.as_deref(),
        Some("Bearer ghs_installation77")
    );
    assert_eq!(callback.body.unwrap()["state"], "approved");
}
