//! Failures of the forge and of the bot itself.

use super::fake::Failure;
use super::harness::{Harness, REPO, sha};
use signoff_bot::event::{Event, Repo};

#[tokio::test]
async fn a_forge_500_is_retried() {
    let h = Harness::new().await;
    h.fake.fail_next(Failure::Server(502));
    h.fake.fail_next(Failure::Server(500));
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "pending");
    let pr_reads = h.fake.count(|r| r.path == "/repos/acme/app/pulls/1");
    assert!(pr_reads >= 3, "two failures then success: {pr_reads}");
}

#[tokio::test]
async fn the_rate_limit_reset_is_waited_for() {
    let h = Harness::new().await;
    h.fake.fail_next(Failure::RateLimit { reset_in_secs: 1 });
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "pending");
    let requests = h.fake.requests();
    let limited = &requests[0];
    let reset = (limited.at.as_second() + 1) * 1000;
    let next = &requests[1];
    assert!(
        next.at.as_millisecond() >= reset,
        "next call {} before reset {reset}",
        next.at
    );
    let failures = h.bot().app.store.failures().await.unwrap();
    assert!(failures.is_empty());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let h = Harness::new().await;
    h.fake.fail_next(Failure::RetryAfter { secs: 1 });
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    let requests = h.fake.requests();
    let gap = requests[1].at.as_millisecond() - requests[0].at.as_millisecond();
    assert!(gap >= 950, "waited {gap} ms");
}

#[tokio::test]
async fn a_forge_that_stays_broken_gets_a_failure_status_never_success() {
    let h = Harness::new().await;
    h.fake.with(|s| s.broken.push(("/contents/".into(), 500)));
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    h.settle_allowing_failures().await;
    let failed = h.bot().app.store.failures().await.unwrap();
    assert_eq!(failed.len(), 3, "{failed:?}");
    h.assert_failure(
        &sha(1),
        "signoff could not evaluate: forge unavailable: 500",
    );
    assert!(
        h.fake
            .statuses()
            .iter()
            .all(|(_, _, s)| s["state"] != "success")
    );
}

#[tokio::test]
async fn a_restart_resumes_unfinished_work() {
    let mut h = Harness::new().await;
    h.fake.repo(REPO, |r| {
        r.pulls.insert(
            7,
            super::fake::Pull {
                author: "erin".into(),
                head_sha: sha(7),
                head_ref: "x".into(),
                base_ref: "main".into(),
                open: true,
                ..Default::default()
            },
        );
    });
    h.stop_bot().await;
    // Accepted before a crash: one queued, one taken by a worker that died.
    let store = signoff_bot::store::Store::connect(&h.config.database)
        .await
        .unwrap();
    let event = Event::Review {
        repo: Repo::new("acme", "app"),
        tenant: None,
        number: 7,
        commented: None,
        edit: None,
    };
    store
        .enqueue("github", "1", "before-crash", &event, 0)
        .await
        .unwrap();
    store.claim(0, 1, 8).await.unwrap().unwrap();
    store
        .enqueue("github", "1", "queued", &event, 0)
        .await
        .unwrap();
    store.close().await;
    h.start_bot().await;
    h.settle().await;
    assert_eq!(h.status(&sha(7)).0, "pending");
    assert_eq!(h.bot().app.store.counts().await.unwrap().done, 2);
}
