//! Webhook intake: signatures, deduplication, ignored events, pages.

use super::harness::{Harness, SECRET, fixture, sha};
use signoff_bot::forges::github::signature::sign_github;

#[tokio::test]
async fn forged_or_missing_signatures_get_401_and_store_nothing() {
    let h = Harness::new().await;
    let body = serde_json::to_vec(&fixture("pull_request.opened")).unwrap();
    let (status, _) = h.post_raw("pull_request", "d1", body.clone(), None).await;
    assert_eq!(status, 401);
    let (status, _) = h
        .post_raw(
            "pull_request",
            "d2",
            body.clone(),
            Some(sign_github("wrong", &body)),
        )
        .await;
    assert_eq!(status, 401);
    let mut tampered = body.clone();
    tampered.push(b' ');
    let (status, _) = h
        .post_raw(
            "pull_request",
            "d3",
            tampered,
            Some(sign_github(SECRET, &body)),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = h
        .post_raw(
            "pull_request",
            "d4",
            body.clone(),
            Some("sha256=".to_owned() + &"0".repeat(64)),
        )
        .await;
    assert_eq!(status, 401);
    let counts = h.bot().app.store.counts().await.unwrap();
    assert_eq!(counts, Default::default(), "nothing stored");
    assert!(h.fake.requests().is_empty(), "nothing processed");
    // The rotated-out secret still verifies during the rotation.
    let (status, _) = h
        .post_raw(
            "ping",
            "d5",
            body.clone(),
            Some(sign_github("old-secret", &body)),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn duplicate_delivery_is_processed_once() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    let before = h.fake.statuses().len();
    let review = {
        h.fake.repo("acme/app", |r| {
            r.pulls
                .get_mut(&1)
                .unwrap()
                .reviews
                .push(serde_json::json!({
                    "id": 5, "user": { "login": "alice" }, "body": "", "state": "APPROVED",
                    "commit_id": sha(1), "submitted_at": jiff::Timestamp::now().to_string(),
                }))
        });
        let mut p = fixture("pull_request_review.submitted.approved");
        p["pull_request"]["number"] = serde_json::json!(1);
        p["repository"]["name"] = serde_json::json!("app");
        p["repository"]["owner"]["login"] = serde_json::json!("acme");
        p
    };
    assert_eq!(
        h.deliver_as("pull_request_review", "same-id", &review)
            .await
            .0,
        202
    );
    let (status, text) = h
        .deliver_as("pull_request_review", "same-id", &review)
        .await;
    assert_eq!((status, text.trim()), (200, "duplicate"));
    h.settle().await;
    let counts = h.bot().app.store.counts().await.unwrap();
    assert_eq!(
        counts.done, 2,
        "the opened delivery and one review delivery"
    );
    assert_eq!(
        h.fake.statuses().len(),
        before + 1,
        "one status for the review"
    );
}

#[tokio::test]
async fn unknown_events_are_acknowledged_and_ignored() {
    let h = Harness::new().await;
    for (event, name) in [
        ("ping", "ping.-"),
        ("issues", "ping.-"),
        ("deployment_review", "deployment_review.requested"),
    ] {
        let (status, text) = h.deliver(event, &fixture(name)).await;
        assert_eq!((status, text.trim()), (200, "ignored"), "{event}");
    }
    // A comment on an issue (not a pull request) is not the bot's business either.
    let (status, _) = h
        .deliver("issue_comment", &fixture("issue_comment.created"))
        .await;
    assert_eq!(status, 200);
    // Installation events are recorded and handled.
    assert_eq!(
        h.deliver("installation", &fixture("installation.created"))
            .await
            .0,
        202
    );
    h.settle().await;
    assert!(h.fake.requests().is_empty());
}

#[tokio::test]
async fn health_home_and_unsigned_details() {
    let h = Harness::new().await;
    assert_eq!(h.get("/healthz").await, (200, "ok\n".to_owned()));
    let (status, home) = h.get("/").await;
    assert_eq!(status, 200);
    assert!(home.contains("simulator is not built"), "{home}");
    assert_eq!(h.get("/details/1/00").await.0, 404);
    let (status, metrics) = h.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("signoff_deliveries"));
}

#[tokio::test]
async fn serves_the_built_simulator() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<title>simulator</title>").unwrap();
    let path = dir.path().to_owned();
    let h = Harness::with(move |c| c.web_dir = path).await;
    let (status, body) = h.get("/").await;
    assert_eq!((status, body.as_str()), (200, "<title>simulator</title>"));
}

#[tokio::test]
async fn bodies_over_25_mb_are_refused() {
    let h = Harness::new().await;
    let body = vec![b' '; 25 * 1024 * 1024 + 1];
    let sig = sign_github(SECRET, &body);
    let (status, _) = h.post_raw("pull_request", "big", body, Some(sig)).await;
    assert_eq!(status, 413);
    assert_eq!(
        h.bot().app.store.counts().await.unwrap(),
        Default::default()
    );
}
