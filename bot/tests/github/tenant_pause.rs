//! A rate limit pauses only the tenant (GitHub: the App installation) it was given to:
//! the bot waits out that installation's reset, while other installations' deliveries
//! proceed.

use super::app_auth::app_harness;
use super::fake::{Failure, Pull};
use super::harness::{Harness, TWO_APPROVALS, fixture, sha};
use super::queue::pull;
use std::time::{Duration, Instant};

const OTHER: &str = "zeta/other";
const RETRY_AFTER_SECS: i64 = 4;

/// Opens pull request `number` on `zeta/other`, installed as installation 88.
async fn open_on_other_installation(h: &Harness, number: u64) {
    let now = h.now().to_string();
    h.fake.repo(OTHER, |r| {
        r.files.insert(
            ("main".into(), ".github/signoff.yml".into()),
            TWO_APPROVALS.into(),
        );
        r.pulls.insert(
            number,
            Pull {
                updated_at: now.clone(),
                ..pull(number)
            },
        );
    });
    let mut payload = fixture("pull_request.opened");
    payload["number"] = serde_json::json!(number);
    let pr = &mut payload["pull_request"];
    pr["number"] = serde_json::json!(number);
    pr["user"]["login"] = serde_json::json!("erin");
    pr["head"]["sha"] = serde_json::json!(sha(u32::try_from(number).unwrap()));
    pr["head"]["ref"] = serde_json::json!(format!("change-{number}"));
    pr["base"]["ref"] = serde_json::json!("main");
    pr["updated_at"] = serde_json::json!(now);
    payload["repository"]["name"] = serde_json::json!("other");
    payload["repository"]["full_name"] = serde_json::json!(OTHER);
    payload["repository"]["owner"]["login"] = serde_json::json!("zeta");
    payload["repository"]["default_branch"] = serde_json::json!("main");
    payload["installation"] = serde_json::json!({ "id": 88 });
    assert_eq!(h.deliver("pull_request", &payload).await.0, 202);
}

#[tokio::test]
async fn a_rate_limit_pauses_only_the_installation_it_was_given_to() {
    let h = app_harness().await;
    // Installation 77 (acme/app) is told to wait; its two pull requests both wait.
    h.fake.fail_next_matching(
        "/repos/acme/app/",
        Failure::RetryAfter {
            secs: RETRY_AFTER_SECS,
        },
    );
    let started = Instant::now();
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    let deadline = Instant::now() + Duration::from_secs(2);
    while h.fake.count(|r| r.path.starts_with("/repos/acme/app/")) == 0 {
        assert!(Instant::now() < deadline, "acme/app was never read");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    h.open_pr(3, "erin", &sha(3), &["src/lib.rs"]).await;
    // Installation 88 proceeds meanwhile.
    open_on_other_installation(&h, 2).await;
    let deadline = started + Duration::from_secs(RETRY_AFTER_SECS.unsigned_abs() - 1);
    while h.fake.status(&sha(2), "signoff").is_none() {
        assert!(
            Instant::now() < deadline,
            "zeta/other (installation 88) waited for acme/app's rate limit"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(h.fake.status(&sha(1), "signoff").is_none());
    assert!(h.fake.status(&sha(3), "signoff").is_none());
    h.settle().await;
    assert!(
        started.elapsed() >= Duration::from_secs(RETRY_AFTER_SECS.unsigned_abs() - 1),
        "acme/app waited for its reset"
    );
    for n in [1, 2, 3] {
        assert_eq!(h.status(&sha(n)).0, "pending", "pull request {n}");
    }
    // After the limit: only one call went to acme/app before the reset.
    let requests = h.fake.requests();
    let limited = requests
        .iter()
        .find(|r| r.path.starts_with("/repos/acme/app/"))
        .unwrap();
    let reset = limited.at.as_millisecond() + RETRY_AFTER_SECS * 1000;
    let early: Vec<_> = requests
        .iter()
        .filter(|r| r.path.starts_with("/repos/acme/app/") && r.at.as_millisecond() < reset - 50)
        .collect();
    assert_eq!(
        early.len(),
        1,
        "acme/app called before its reset: {early:?}"
    );
}
