//! The `signoff` status where GitLab's "Pipelines must succeed" looks: the merge
//! request's head pipeline. Any pipeline created on the head after the bot answered (a
//! CI run, "Run pipeline", a detached merge request pipeline, or an external one a
//! Developer makes by posting a status with an unknown `pipeline_id`) becomes the head
//! pipeline; the bot's answer must be in it, or the merge request merges on CI alone.

use crate::harness::{Harness, PROJECT};
use serde_json::json;

const HEAD: &str = "00000000000000000000000000000000000000b2";

/// Erin's merge request 1 at `HEAD`, answered by the bot (pending: no approval yet).
async fn answered_mr() -> Harness {
    let h = Harness::new().await;
    h.open_mr(1, "erin", HEAD).await;
    h.settle().await;
    assert_eq!(h.head_pipeline_signoff(1).as_deref(), Some("pending"));
    assert!(h.merge_blocked_by_pipeline(1));
    h
}

/// A pipeline on `HEAD` on another branch (a Developer pushed the commit there too):
/// the newest pipeline of the commit, but not the merge request's.
fn pipeline_on_another_branch(h: &Harness) -> u64 {
    h.fake
        .start_pipeline(PROJECT, HEAD, "copy", "push", &[("test", "success")])
}

#[tokio::test]
async fn a_pipeline_started_after_the_answer_holds_the_bots_status() {
    for source in ["push", "web", "merge_request_event"] {
        let h = answered_mr().await;
        let ci = h.run_pipeline(1, source).await;
        assert_eq!(h.fake.head_pipeline(PROJECT, 1), Some(ci), "{source}");
        h.settle().await;
        assert_eq!(
            h.head_pipeline_signoff(1).as_deref(),
            Some("pending"),
            "a {source} pipeline started after the answer"
        );
        assert!(h.merge_blocked_by_pipeline(1), "{source}");
        // A `/reject` afterwards fails that same head pipeline.
        h.note(1, "carol", "/reject").await;
        h.settle().await;
        assert_eq!(h.head_pipeline_signoff(1).as_deref(), Some("failed"));
        assert_eq!(h.fake.head_pipeline(PROJECT, 1), Some(ci), "{source}");
    }
}

#[tokio::test]
async fn a_status_with_an_unknown_pipeline_id_does_not_make_a_green_head_pipeline() {
    let h = answered_mr().await;
    // GitLab makes a new external pipeline holding only `lint` (gitlab-org/gitlab#443254).
    let params = json!({"state": "success", "name": "lint", "pipeline_id": 999_999});
    let external = h.post_status_as("dave", HEAD, params).await;
    assert_eq!(h.fake.head_pipeline(PROJECT, 1), Some(external));
    h.settle().await;
    assert_eq!(h.head_pipeline_signoff(1).as_deref(), Some("pending"));
    assert!(h.merge_blocked_by_pipeline(1));
}

#[tokio::test]
async fn a_forged_signoff_in_the_head_pipeline_is_answered_in_that_pipeline() {
    let h = answered_mr().await;
    let ci = h.run_pipeline(1, "push").await;
    h.settle().await;
    // The newest pipeline of the commit is now another branch's: a status posted without
    // a pipeline would land there, not in the merge request's head pipeline.
    let other = pipeline_on_another_branch(&h);
    h.pipeline_changed(other).await;
    let params = json!({"state": "success", "name": "signoff", "pipeline_id": ci});
    assert_eq!(h.post_status_as("dave", HEAD, params).await, ci);
    assert_eq!(
        h.head_pipeline_signoff(1).as_deref(),
        Some("success by dave")
    );
    h.settle().await;
    assert_eq!(h.fake.head_pipeline(PROJECT, 1), Some(ci));
    assert_eq!(h.head_pipeline_signoff(1).as_deref(), Some("pending"));
    assert!(h.merge_blocked_by_pipeline(1));
}

#[tokio::test]
async fn approvals_complete_put_success_in_the_head_pipeline() {
    let h = answered_mr().await;
    let ci = h.run_pipeline(1, "push").await;
    h.settle().await;
    let other = pipeline_on_another_branch(&h);
    h.pipeline_changed(other).await;
    h.settle().await;
    h.approve(1, "alice").await;
    h.approve(1, "bob").await;
    h.settle().await;
    assert_eq!(h.fake.head_pipeline(PROJECT, 1), Some(ci));
    assert_eq!(h.head_pipeline_signoff(1).as_deref(), Some("success"));
    assert!(!h.merge_blocked_by_pipeline(1));
}

#[tokio::test]
async fn the_timer_puts_the_answer_into_a_head_pipeline_whose_hook_never_came() {
    let h = Harness::with(|c| c.queue.recheck_secs = 1).await;
    h.open_mr(1, "erin", HEAD).await;
    h.settle().await;
    // A pipeline starts on the head and GitLab sends no hook (Pipeline events unticked,
    // or the delivery lost).
    let branch = h.fake.with(|s| {
        s.projects[&PROJECT].merge_requests[&1]
            .source_branch
            .clone()
    });
    let ci = h
        .fake
        .start_pipeline(PROJECT, HEAD, &branch, "web", &[("test", "success")]);
    assert_eq!(h.fake.head_pipeline(PROJECT, 1), Some(ci));
    h.eventually("the head pipeline holds the bot's pending", |h| {
        h.head_pipeline_signoff(1).as_deref() == Some("pending")
    })
    .await;
    assert!(h.merge_blocked_by_pipeline(1));
}

#[tokio::test]
async fn when_the_pipelines_cannot_be_read_no_success_is_posted() {
    let h = answered_mr().await;
    h.run_pipeline(1, "push").await;
    h.settle().await;
    h.fake.with(|s| s.pipelines_down = Some(500));
    h.approve(1, "alice").await;
    h.approve(1, "bob").await;
    h.settle_allowing_failures().await;
    // Pending from before, or the failure of the error (posted on the commit, where
    // GitLab puts it into the newest pipeline): never success.
    assert_ne!(h.head_pipeline_signoff(1).as_deref(), Some("success"));
    assert!(h.merge_blocked_by_pipeline(1));
    let successes = h.fake.with(|s| {
        s.projects[&PROJECT].statuses[HEAD]
            .iter()
            .filter(|st| st["name"] == "signoff" && st["status"] == "success")
            .count()
    });
    assert_eq!(successes, 0, "no success anywhere on the head");
    // GitLab answers again: the next event puts the answer where it must be.
    h.fake.with(|s| s.pipelines_down = None);
    h.approve(1, "carol").await;
    h.settle_allowing_failures().await;
    assert_eq!(h.head_pipeline_signoff(1).as_deref(), Some("success"));
}

#[tokio::test]
async fn a_merge_request_from_a_fork_is_answered_as_before() {
    let h = Harness::new().await;
    h.fake.open_mr(PROJECT, 1, "erin", HEAD, &["src/lib.rs"]);
    h.fake.project_mut(PROJECT, |p| {
        p.merge_requests.get_mut(&1).unwrap().fork = Some(990);
    });
    let d = h.delivery();
    h.deliver(crate::hooks::merge_request(
        &h.fake, PROJECT, 1, "open", "erin", None, &d,
    ))
    .await;
    h.settle().await;
    // Its source branch is the fork's: the status is posted on the commit without a ref
    // (GitLab picks the pipeline); its head pipeline in the fork is a known limit.
    let posts = h.status_posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(posts[0].get("ref").is_none() && posts[0].get("pipeline_id").is_none());
    assert_eq!(h.status_named(HEAD, "signoff").unwrap().0, "pending");
}

#[tokio::test]
async fn a_merge_request_whose_open_hook_was_lost_is_evaluated_when_its_pipeline_runs() {
    let h = Harness::new().await;
    // Erin opens the merge request; its Merge Request Hook never reaches the bot (a
    // failed delivery GitLab does not retry). Its CI pipeline's hook does.
    h.fake.open_mr(PROJECT, 1, "erin", HEAD, &["src/lib.rs"]);
    h.run_pipeline(1, "merge_request_event").await;
    h.settle().await;
    // Two approvals are needed and none was given: CI alone must not let it merge.
    assert_eq!(h.head_pipeline_signoff(1).as_deref(), Some("pending"));
    assert!(h.merge_blocked_by_pipeline(1));
}
