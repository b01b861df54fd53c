//! How the gate's answer reaches the forge: one answer per head however many pull
//! requests share it, forged statuses answered, the forge's answer as the durable one,
//! deployment statuses retried, one check run per head.

use super::fake::Failure;
use super::harness::{Harness, REPO, sha};
use std::time::{Duration, Instant};

/// Two approvals for pull requests into `main`; nothing for other branches.
const MAIN_ONLY: &str = "version: 1\npolicies:\n  two:\n    requires:\n      - any: 2\napply:\n  - policies: [two]\n    to: pull_request\n    where: { branch: main }\n";

const PROD: &str = "version: 1\npolicies:\n  prod:\n    requires: [ { any: 1 } ]\napply:\n  - policies: [prod]\n    to: deployment\n    where: { environment: production }\n";

fn main_only(h: &Harness) {
    h.set_policy("main", MAIN_ONLY);
    h.set_policy("release", MAIN_ONLY);
}

async fn app_harness(tweak: impl FnOnce(&mut signoff_bot::config::Config)) -> Harness {
    Harness::app(tweak).await
}

async fn audit_lines(h: &Harness) -> Vec<String> {
    signoff_bot::audit::run(&h.config.database, Some(REPO), None, false)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_shared_head_shows_the_stricter_pull_request_opened_second() {
    let h = Harness::new().await;
    main_only(&h);
    h.open_pr_from(1, "erin", &sha(1), "feature", "main").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "pending");
    // The same head into a branch the policy does not cover.
    h.open_pr_from(2, "erin", &sha(1), "feature", "release")
        .await;
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(
        state, "pending",
        "#2's not_required must not satisfy #1: {description}"
    );
    // Each pull request's own evaluation is recorded, with its own explanation.
    let lines = audit_lines(&h).await;
    assert!(
        lines
            .iter()
            .any(|l| l.contains("#2") && l.contains("not_required")),
        "{lines:?}"
    );
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
}

/// #2 into `release` (no policy there) holds `sha(1)` green.
async fn green_by_a_release_pull_request() -> Harness {
    let h = Harness::new().await;
    main_only(&h);
    h.open_pr_from(2, "erin", &sha(1), "feature", "release")
        .await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success", "only #2: not required");
    h
}

#[tokio::test]
async fn a_shared_head_shows_the_stricter_pull_request_opened_first() {
    let h = green_by_a_release_pull_request().await;
    h.open_pr_from(1, "erin", &sha(1), "feature", "main").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "pending");
    // #2 evaluated again (a label changes its inputs) still cannot turn the head green.
    h.label(2, "urgent").await;
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(state, "pending", "{description}");
    // The head's status links to the deciding pull request's page.
    let status = h.fake.status(&sha(1), "signoff").unwrap();
    let url = status["target_url"].as_str().unwrap();
    let path = url.trim_start_matches(&h.base());
    let (code, page) = h.get(path).await;
    assert_eq!(code, 200);
    assert!(page.contains("#1"), "{page}");
}

#[tokio::test]
async fn closing_one_of_two_pull_requests_on_a_head_leaves_the_others_answer() {
    let h = Harness::new().await;
    main_only(&h);
    h.open_pr_from(1, "erin", &sha(1), "feature", "main").await;
    h.open_pr_from(2, "erin", &sha(1), "feature", "release")
        .await;
    h.open_pr_from(3, "erin", &sha(3), "other", "main").await;
    h.open_pr_from(4, "erin", &sha(3), "other", "release").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "pending");
    assert_eq!(h.status(&sha(3)).0, "pending");
    // Closing the stricter one: the head shows the remaining pull request's answer.
    h.close_pr(1).await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    // Closing the lenient one changes nothing for the one into main.
    h.close_pr(4).await;
    h.settle().await;
    assert_eq!(h.status(&sha(3)).0, "pending");
    h.review(3, "alice", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(3)).0, "pending");
}

#[tokio::test]
async fn a_pull_request_pushed_away_leaves_its_old_head_to_the_others() {
    let h = Harness::new().await;
    main_only(&h);
    h.open_pr_from(1, "erin", &sha(1), "feature", "main").await;
    h.open_pr_from(2, "erin", &sha(1), "feature", "release")
        .await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "pending");
    // #1 moves on (its branch was force-pushed elsewhere); #2 still has the old head.
    h.push(1, &sha(2), "erin").await;
    h.settle().await;
    assert_eq!(h.status(&sha(2)).0, "pending");
    assert_eq!(h.status(&sha(1)).0, "success", "only #2 is left on it");
}

#[tokio::test]
async fn a_forged_status_is_answered_with_the_bots_own() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    let posted = h.fake.statuses().len();
    let own = h.fake.status(&sha(1), "signoff").unwrap();
    // The bot's own status coming back as an event makes it post nothing.
    assert_eq!(h.status_event(&sha(1), &own, "signoff[bot]").await, 202);
    h.settle().await;
    assert_eq!(h.fake.statuses().len(), posted);
    // Statuses of other names are none of the bot's business.
    assert_eq!(
        h.forge_status(&sha(1), "ci/build", "success", "ci").await,
        200,
        "acknowledged and ignored"
    );
    h.settle().await;
    assert_eq!(h.fake.statuses().len(), posted + 1);
    let posted = posted + 1;
    assert_eq!(
        h.forge_status(&sha(1), "signoff", "success", "mallory")
            .await,
        202
    );
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(state, "pending", "{description}");
    let latest = h.fake.status(&sha(1), "signoff").unwrap();
    assert_eq!(latest["creator"]["login"], "signoff[bot]");
    assert_eq!(latest["target_url"], own["target_url"]);
    assert_eq!(
        h.fake.statuses().len(),
        posted + 2,
        "the forged one and one answer"
    );
    // Forging the per-environment context of a deployment is answered too.
    h.set_policy("main", PROD);
    h.request_deployment(42, "production", &sha(9), "erin", &[])
        .await;
    h.settle().await;
    assert_eq!(
        h.forge_status(&sha(9), "signoff/production", "success", "mallory")
            .await,
        202
    );
    h.settle().await;
    assert_eq!(h.status_of(&sha(9), "signoff/production").0, "pending");
}

#[tokio::test]
async fn a_foreign_check_run_named_signoff_is_answered() {
    let h = app_harness(|_| {}).await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    let before = h.fake.requests().len();
    h.forge_check_run(&sha(1), "signoff", "success", 999).await;
    h.settle().await;
    let after: Vec<_> = h.fake.requests()[before..]
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| (r.method.clone(), r.path.clone(), r.body.clone()))
        .collect();
    assert!(
        after.iter().any(|(m, p, b)| m == "POST"
            && p.contains("/statuses/")
            && b.as_ref().unwrap()["state"] == "pending"),
        "the bot re-asserts pending: {after:?}"
    );
    // The bot's own check runs coming back as events make it post nothing.
    let posted = h.fake.requests().len();
    h.forge_check_run(&sha(1), "signoff", "neutral", 1234).await;
    h.settle().await;
    let writes = h.fake.requests()[posted..]
        .iter()
        .filter(|r| r.method != "GET")
        .count();
    assert_eq!(writes, 0);
}

#[tokio::test]
async fn a_crash_between_recording_and_posting_still_posts_the_answer() {
    let mut h = Harness::with(|c| c.queue.lease_secs = 1).await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "pending");
    // The success status is taken by GitHub's front door but never lands: the bot dies
    // while it waits for the answer.
    h.fake
        .with(|s| s.hold.push(format!("/statuses/{}", sha(1))));
    h.review(1, "bob", "APPROVED").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !h.fake.requests().iter().any(|r| {
        r.method == "POST"
            && r.path.contains("/statuses/")
            && r.body.as_ref().unwrap()["state"] == "success"
    }) {
        assert!(
            Instant::now() < deadline,
            "the success status was never sent"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.kill_bot();
    h.fake.with(|s| s.hold.clear());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    h.start_bot().await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    let lines = audit_lines(&h).await;
    assert!(
        lines.last().unwrap().contains("answer=status:success"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn an_answer_whose_post_failed_is_not_recorded_as_posted() {
    let h = Harness::new().await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    h.fake.with(|s| s.broken.push(("/statuses/".into(), 500)));
    h.review(1, "alice", "APPROVED").await;
    h.review(1, "bob", "APPROVED").await;
    h.settle_allowing_failures().await;
    assert_eq!(h.status(&sha(1)).0, "pending");
    let lines = audit_lines(&h).await;
    assert!(
        !lines.iter().any(|l| l.contains("answer=status:success")),
        "nothing posted success: {lines:?}"
    );
}

#[tokio::test]
async fn a_deployment_status_is_retried_after_the_gate_was_answered() {
    let h = Harness::new().await;
    h.set_policy("main", PROD);
    h.request_deployment(42, "production", &sha(9), "erin", &[])
        .await;
    h.settle().await;
    assert_eq!(h.status_of(&sha(9), "signoff/production").0, "pending");
    h.fake
        .fail_next_matching(&format!("/statuses/{}", sha(9)), Failure::Server(502));
    h.deployment_review(42, "production", "alice", true).await;
    h.settle().await;
    let answers: Vec<_> = h.fake.with(|s| s.gate_answers.clone());
    assert_eq!(answers.last().unwrap().2["state"], "approved");
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.2["state"] == "approved")
            .count(),
        1,
        "the gate is answered once"
    );
    assert_eq!(h.status_of(&sha(9), "signoff/production").0, "success");
}

#[tokio::test]
async fn one_check_run_per_head_is_updated_as_the_verdict_changes() {
    let h = app_harness(|_| {}).await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    h.review(1, "alice", "APPROVED").await;
    h.settle().await;
    h.review(1, "carol", "CHANGES_REQUESTED").await;
    h.settle().await;
    h.dismiss_review(1, "carol").await;
    h.settle().await;
    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    let runs = h.fake.check_runs_on(&sha(1));
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(
        (runs[0]["status"].as_str(), runs[0]["conclusion"].as_str()),
        (Some("completed"), Some("success"))
    );
    h.push(1, &sha(2), "erin").await;
    h.settle().await;
    assert_eq!(h.fake.check_runs_on(&sha(2)).len(), 1);
    assert_eq!(h.fake.check_runs_on(&sha(1)).len(), 1);
}

#[tokio::test]
async fn an_answer_that_never_reached_the_forge_is_posted_once_it_is_back() {
    let h = Harness::with(|c| {
        c.queue.recheck_secs = 1;
        c.queue.max_attempts = 2;
    })
    .await;
    h.open_and_approve(1).await;
    assert_eq!(h.status(&sha(1)).0, "success");
    // GitHub takes no status for longer than the delivery's attempts last.
    h.fake.with(|s| s.broken.push(("/statuses/".into(), 500)));
    h.review(1, "carol", "CHANGES_REQUESTED").await;
    h.settle_allowing_failures().await;
    assert_eq!(h.status(&sha(1)).0, "success", "stale while GitHub is down");
    h.fake.with(|s| s.broken.clear());
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.status(&sha(1)).0 != "failure" {
        assert!(
            Instant::now() < deadline,
            "the stale success stayed: {:?}",
            h.status(&sha(1))
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the bot asks or tells GitHub first while handling the next delivery.
fn first_request_after(h: &Harness, seen: usize) -> super::fake::Recorded {
    h.fake
        .requests()
        .into_iter()
        .nth(seen)
        .expect("the bot called GitHub")
}

#[tokio::test]
async fn a_stricter_pull_request_opened_on_a_green_head_turns_it_pending_before_anything_else() {
    let h = green_by_a_release_pull_request().await;
    let seen = h.fake.requests().len();
    h.open_pr_from(1, "erin", &sha(1), "feature", "main").await;
    h.settle().await;
    let first = first_request_after(&h, seen);
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        (
            "POST",
            format!("/repos/{REPO}/statuses/{}", sha(1)).as_str()
        ),
        "the head is marked pending before the evaluation reads anything"
    );
    assert_eq!(first.body.unwrap()["state"], "pending");
    assert_eq!(h.status(&sha(1)).0, "pending");

    // Retargeting a green pull request at a stricter branch: the same.
    h.close_pr(1).await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    let seen = h.fake.requests().len();
    h.change_base(2, "main").await;
    h.settle().await;
    let pending_first = h
        .fake
        .requests()
        .into_iter()
        .skip(seen)
        .take_while(|r| r.method == "GET" && r.path == format!("/repos/{REPO}/pulls/2"))
        .count();
    let next = h
        .fake
        .requests()
        .into_iter()
        .nth(seen + pending_first)
        .unwrap();
    assert_eq!(
        (
            next.method.as_str(),
            next.body.as_ref().and_then(|b| b["state"].as_str())
        ),
        ("POST", Some("pending")),
        "after reading only the pull request (for its head), the head is marked pending"
    );
    assert_eq!(h.status(&sha(1)).0, "pending");
}

/// One approval for every pull request; two once it carries `needs-review`.
const STRICTER_WITH_A_LABEL: &str = "version: 1\npolicies:\n  one: { requires: [ { any: 1 } ] }\n  two: { requires: [ { any: 2 } ] }\napply:\n  - policies: [one]\n    to: pull_request\n  - policies: [two]\n    to: pull_request\n    where: { labels: [needs-review] }\n";

/// The requests made after the first `seen`: the head's pull request read (for its
/// head) any number of times, then the first other request.
fn first_request_after_reading_the_pull(
    h: &Harness,
    seen: usize,
    number: u64,
) -> super::fake::Recorded {
    let pull = format!("/repos/{REPO}/pulls/{number}");
    h.fake
        .requests()
        .into_iter()
        .skip(seen)
        .find(|r| !(r.method == "GET" && r.path == pull))
        .expect("the bot called GitHub")
}

/// A label can bind a stricter policy: the head must not stay green for the old labels
/// while the evaluation reads the new ones (a merge in that window would pass a check
/// the new policy fails), nor after.
#[tokio::test]
async fn a_label_binding_a_stricter_policy_turns_a_green_head_pending_before_anything_else() {
    let h = Harness::new().await;
    h.set_policy("main", STRICTER_WITH_A_LABEL);
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)).0,
        "success",
        "one approval for the lenient policy"
    );

    let seen = h.fake.requests().len();
    h.label(1, "needs-review").await;
    h.settle().await;
    let next = first_request_after_reading_the_pull(&h, seen, 1);
    assert_eq!(
        (
            next.method.as_str(),
            next.path.as_str(),
            next.body.as_ref().and_then(|b| b["state"].as_str())
        ),
        (
            "POST",
            format!("/repos/{REPO}/statuses/{}", sha(1)).as_str(),
            Some("pending")
        ),
        "after reading only the pull request (for its head), the head is marked pending"
    );
    let (state, description) = h.status(&sha(1));
    assert_eq!(
        state, "pending",
        "the labelled pull request needs two: {description}"
    );

    h.review(1, "bob", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success", "{:?}", h.status(&sha(1)));

    // Taking the label off is held the same way, then the lenient policy answers again.
    let seen = h.fake.requests().len();
    h.unlabel(1, "needs-review").await;
    h.settle().await;
    let next = first_request_after_reading_the_pull(&h, seen, 1);
    assert_eq!(
        next.body.as_ref().and_then(|b| b["state"].as_str()),
        Some("pending"),
        "{} {}",
        next.method,
        next.path
    );
    assert_eq!(h.status(&sha(1)).0, "success", "{:?}", h.status(&sha(1)));
}
