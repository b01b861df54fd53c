//! GitLab end to end, beyond the shared scenarios: intake refusals and deduplication,
//! retries, restarts, approvals kept across a push, and protected-environment
//! deployments answered through the deployment approval API.

use crate::fake::Failure;
use crate::harness::{Harness, PATH, PROJECT};
use crate::hooks;
use http::HeaderValue;
use signoff_bot::event::{Event, Head, Repo};
use signoff_bot::store::Store;

const PROD: &str = "version: 1\npolicies:\n  prod:\n    requires: [ { any: 2 } ]\napply:\n  - policies: [prod]\n    to: deployment\n    where: { environment: production }\n";
const HEAD: &str = "00000000000000000000000000000000000000a1";

fn pending_or(h: &Harness, sha: &str) -> String {
    h.status_named(sha, "signoff")
        .map(|s| s.0)
        .unwrap_or_default()
}

/// A harness with erin's merge request 1 open at `HEAD` and approved by `approvers`
/// (nothing settled yet).
async fn erins_mr_approved_by(approvers: &[&str]) -> Harness {
    let h = Harness::new().await;
    h.open_mr(1, "erin", HEAD).await;
    for who in approvers {
        h.approve(1, who).await;
    }
    h
}

#[tokio::test]
async fn forged_tokens_and_signatures_are_refused_and_nothing_is_stored() {
    let h = Harness::new().await;
    h.fake.open_mr(PROJECT, 1, "erin", HEAD, &["src/lib.rs"]);
    let mut wrong_token = hooks::merge_request(&h.fake, PROJECT, 1, "open", "erin", None, "f1");
    wrong_token
        .headers
        .insert("x-gitlab-token", HeaderValue::from_static("guess"));
    let mut altered = hooks::merge_request(&h.fake, PROJECT, 1, "open", "erin", None, "f2");
    altered.body.extend_from_slice(b" ");
    let mut unsigned = hooks::merge_request(&h.fake, PROJECT, 1, "open", "erin", None, "f3");
    unsigned.headers.remove("webhook-signature");
    for hook in [wrong_token, altered, unsigned] {
        assert_eq!(h.post(&hook).await.0, 401);
    }
    let c = h.bot().app.store.counts().await.unwrap();
    assert_eq!((c.queued, c.running, c.done, c.failed), (0, 0, 0, 0));
    assert!(h.fake.requests().is_empty(), "GitLab was asked nothing");
}

#[tokio::test]
async fn a_rotated_out_token_still_in_the_list_is_accepted() {
    let h = Harness::new().await;
    h.fake.open_mr(PROJECT, 1, "erin", HEAD, &["src/lib.rs"]);
    let mut hook = hooks::merge_request(&h.fake, PROJECT, 1, "open", "erin", None, "r1");
    hook.headers
        .insert("x-gitlab-token", HeaderValue::from_static("old-token"));
    assert_eq!(h.post(&hook).await.0, 202);
}

#[tokio::test]
async fn a_redelivery_with_the_same_idempotency_key_is_processed_once() {
    let h = Harness::new().await;
    h.fake.open_mr(PROJECT, 1, "erin", HEAD, &["src/lib.rs"]);
    let hook = hooks::merge_request(&h.fake, PROJECT, 1, "open", "erin", None, "same");
    assert_eq!(h.post(&hook).await.0, 202);
    assert_eq!(h.post(&hook).await, (200, "duplicate\n".to_owned()));
    h.settle().await;
    let c = h.bot().app.store.counts().await.unwrap();
    assert_eq!(c.done, 1);
    assert_eq!(pending_or(&h, HEAD), "pending");
}

/// The signed `webhook-id` keys the delivery: a replay under a new (unsigned)
/// `Idempotency-Key` within the timestamp tolerance is a duplicate.
#[tokio::test]
async fn a_replay_with_a_new_idempotency_key_but_the_same_signed_id_is_processed_once() {
    let h = Harness::new().await;
    h.fake.open_mr(PROJECT, 1, "erin", HEAD, &["src/lib.rs"]);
    let hook = hooks::merge_request(&h.fake, PROJECT, 1, "open", "erin", None, "signed");
    let mut replay = hooks::Hook {
        headers: hook.headers.clone(),
        body: hook.body.clone(),
    };
    replay
        .headers
        .insert("idempotency-key", HeaderValue::from_static("replayed"));
    assert_eq!(h.post(&hook).await.0, 202);
    assert_eq!(h.post(&replay).await, (200, "duplicate\n".to_owned()));
    h.settle().await;
    assert_eq!(h.bot().app.store.counts().await.unwrap().done, 1);
}

#[tokio::test]
async fn unknown_events_and_notes_elsewhere_are_acknowledged_and_ignored() {
    let h = Harness::new().await;
    h.fake.open_mr(PROJECT, 1, "erin", HEAD, &["src/lib.rs"]);
    let mut hook = hooks::merge_request(&h.fake, PROJECT, 1, "open", "erin", None, "u1");
    hook.headers
        .insert("x-gitlab-event", HeaderValue::from_static("Wiki Page Hook"));
    assert_eq!(h.post(&hook).await, (200, "ignored\n".to_owned()));
    let c = h.bot().app.store.counts().await.unwrap();
    assert_eq!(c.queued + c.done, 0);
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried() {
    let h = Harness::new().await;
    h.fake.fail_next(Failure::Server(502));
    h.fake.fail_next(Failure::RetryAfter(1));
    h.open_mr(1, "erin", HEAD).await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "pending");
}

#[tokio::test]
async fn work_queued_before_a_restart_is_done_after_it() {
    let mut h = Harness::new().await;
    h.stop_bot().await;
    h.fake.open_mr(PROJECT, 1, "erin", HEAD, &["src/lib.rs"]);
    let store = Store::connect(&h.config.database).await.unwrap();
    let event = Event::Change {
        repo: Repo::parse(PATH).unwrap(),
        tenant: None,
        number: 1,
        action: "open".to_owned(),
        head: Some(Head {
            sha: HEAD.to_owned(),
            at: jiff::Timestamp::now(),
        }),
    };
    store
        .enqueue("gitlab", "hook", "before-restart", &event, 0)
        .await
        .unwrap();
    store.close().await;
    assert!(pending_or(&h, HEAD).is_empty());
    h.start_bot().await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "pending");
}

#[tokio::test]
async fn approvals_gitlab_keeps_across_a_push_bind_to_the_head_they_were_given_on() {
    let h = erins_mr_approved_by(&["alice", "bob"]).await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "success");
    // The project does not reset approvals on push: GitLab still lists both.
    let new_head = "00000000000000000000000000000000000000b2";
    h.push(1, new_head).await;
    h.fake.project_mut(PROJECT, |p| {
        let mr = p.merge_requests.get_mut(&1).unwrap();
        mr.approved_by = vec!["alice".to_owned(), "bob".to_owned()];
    });
    let d = h.delivery();
    h.deliver(hooks::merge_request(
        &h.fake, PROJECT, 1, "update", "erin", None, &d,
    ))
    .await;
    h.settle().await;
    assert_eq!(pending_or(&h, new_head), "pending", "given on the old head");
}

#[tokio::test]
async fn notes_by_the_bot_user_and_by_readers_do_not_count() {
    let h = erins_mr_approved_by(&["alice"]).await;
    h.note(1, "signoff-bot", "/approve").await;
    h.note(1, "rita", "/approve").await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "pending");
}

#[tokio::test]
async fn the_status_body_is_as_gitlab_documents_it() {
    let h = erins_mr_approved_by(&[]).await;
    h.settle().await;
    let posts = h.status_posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let body = &posts[0];
    assert_eq!(body["state"], "pending");
    assert_eq!(body["name"], "signoff");
    assert!(body["description"].as_str().unwrap().chars().count() <= 255);
    assert!(body["target_url"].as_str().unwrap().contains("/details/"));
    let path = h
        .fake
        .requests()
        .into_iter()
        .find(|r| r.raw_path.contains("/statuses/"))
        .unwrap()
        .raw_path;
    assert_eq!(
        path,
        format!("/api/v4/projects/org%2Fteam%2Fservice/statuses/{HEAD}")
    );
}

/// The state of the `signoff/production` status on `sha`.
fn production_gate(h: &Harness, sha: &str) -> String {
    h.status_named(sha, "signoff/production").unwrap().0
}

/// Alice and Bob approve deployment `id`; the bot then approves it through the API.
async fn alice_and_bob_get_it_approved(h: &Harness, id: u64) {
    h.review_deployment(id, "alice", true);
    h.review_deployment(id, "bob", true);
    h.eventually("the bot approves", |h| !bot_answers(h, id).is_empty())
        .await;
    assert_eq!(bot_answers(h, id)[0]["status"], "approved");
}

/// The bot user's answers on deployment `id`.
pub fn bot_answers(h: &Harness, id: u64) -> Vec<serde_json::Value> {
    h.deployment(id)["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["user"]["username"] == "signoff-bot")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_blocked_deployment_is_approved_through_the_api_once_the_policy_is_met() {
    let h = Harness::with(|c| c.queue.recheck_secs = 1).await;
    h.set_policy("main", PROD);
    let sha = "00000000000000000000000000000000000000d9";
    let id = h.block_deployment("production", sha).await;
    h.settle().await;
    assert!(bot_answers(&h, id).is_empty(), "kept waiting");
    assert_eq!(h.deployment(id)["status"], "blocked");
    assert_eq!(production_gate(&h, sha), "pending");
    h.fake.add_member(PROJECT, "deployer", 30);
    h.review_deployment(id, "alice", true);
    h.review_deployment(id, "deployer", true);
    // Two approvals, one by the person who started the deployment: not enough.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    h.settle().await;
    assert!(bot_answers(&h, id).is_empty(), "self-approval counted");
    h.review_deployment(id, "bob", true);
    h.eventually("the bot approves", |h| !bot_answers(h, id).is_empty())
        .await;
    let answer = &bot_answers(&h, id)[0];
    assert_eq!(answer["status"], "approved");
    let comment = answer["comment"].as_str().unwrap();
    assert!(comment.contains("/details/"), "{comment}");
    assert_eq!(h.deployment(id)["status"], "created");
    h.settle().await;
    assert_eq!(production_gate(&h, sha), "success");
    let approval_posts = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.raw_path.ends_with("/approval"))
        .count();
    assert_eq!(approval_posts, 1, "answered once");
}

#[tokio::test]
async fn a_rejection_by_a_writer_rejects_the_deployment() {
    let h = Harness::with(|c| c.queue.recheck_secs = 1).await;
    h.set_policy("main", PROD);
    let sha = "00000000000000000000000000000000000000e9";
    let id = h.block_deployment("production", sha).await;
    h.settle().await;
    h.review_deployment(id, "alice", false);
    h.eventually("the bot rejects", |h| !bot_answers(h, id).is_empty())
        .await;
    assert_eq!(bot_answers(&h, id)[0]["status"], "rejected");
    assert_eq!(h.deployment(id)["status"], "canceled");
}

#[tokio::test]
async fn approve_environment_notes_on_the_merge_request_of_the_deployed_head_count() {
    let h = Harness::new().await;
    h.set_policy("main", PROD);
    let sha = "00000000000000000000000000000000000000f5";
    h.open_mr(5, "erin", sha).await;
    h.settle().await;
    let id = h.block_deployment("production", sha).await;
    h.settle().await;
    h.note(5, "alice", "/approve production").await;
    h.settle().await;
    assert!(bot_answers(&h, id).is_empty());
    h.note(5, "bob", "/approve production").await;
    h.settle().await;
    assert_eq!(bot_answers(&h, id)[0]["status"], "approved");
}

#[tokio::test]
async fn a_note_a_maintainer_edited_into_a_command_does_not_count() {
    let h = erins_mr_approved_by(&["alice"]).await;
    h.note(1, "carol", "first!").await;
    h.note(1, "dave", "later").await;
    let id = h.note(1, "bob", "Needs a test.").await;
    h.settle().await;
    h.edit_note(1, id, "carol", "/approve").await;
    h.settle().await;
    let (state, description) = h.status_named(HEAD, "signoff").unwrap();
    assert_ne!(state, "success", "{description}");
    // Its author's own edit counts.
    h.edit_note(1, id, "bob", "Fine now.\n/approve").await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "success");
}

#[tokio::test]
async fn a_command_note_whose_thread_was_resolved_still_counts() {
    let h = erins_mr_approved_by(&["alice"]).await;
    let id = h.note(1, "bob", "/approve").await;
    h.fake.resolve_note(PROJECT, 1, id);
    let d = h.delivery();
    h.deliver(hooks::merge_request(
        &h.fake, PROJECT, 1, "update", "erin", None, &d,
    ))
    .await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "success");
    let graphql = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.raw_path == "/api/graphql")
        .count();
    assert!(graphql >= 1, "the edit state was asked");
}

#[tokio::test]
async fn commit_authors_are_contributors_and_unknown_ones_fail_closed() {
    let h = Harness::new().await;
    h.set_policy(
        "main",
        "version: 1\npolicies: { two: { requires: [ { any: 2 } ] } }\napply: [ { policies: [two], to: pull_request } ]\noptions: { contributors_can_approve: false }\n",
    );
    h.fake.with(|s| {
        s.users = vec![
            ("erin".to_owned(), "erin@example.com".to_owned()),
            ("alice".to_owned(), "alice@example.com".to_owned()),
        ];
    });
    let add_commit = |iid: u64, name: &str, email: &str| {
        h.fake.project_mut(PROJECT, |p| {
            let mr = p.merge_requests.get_mut(&iid).unwrap();
            mr.commits.push((name.to_owned(), email.to_owned()));
        });
    };
    h.fake.open_mr(PROJECT, 1, "erin", HEAD, &["src/lib.rs"]);
    add_commit(1, "Alice", "alice@example.com");
    let d = h.delivery();
    h.deliver(hooks::merge_request(
        &h.fake, PROJECT, 1, "open", "erin", None, &d,
    ))
    .await;
    h.approve(1, "alice").await;
    h.approve(1, "bob").await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "pending", "alice wrote a commit");
    h.approve(1, "carol").await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "success");

    let other = "00000000000000000000000000000000000000c2";
    h.fake.open_mr(PROJECT, 2, "erin", other, &["src/lib.rs"]);
    add_commit(2, "Ghost", "ghost@example.com");
    let d = h.delivery();
    h.deliver(hooks::merge_request(
        &h.fake, PROJECT, 2, "open", "erin", None, &d,
    ))
    .await;
    h.settle_allowing_failures().await;
    let (state, description) = h.status_named(other, "signoff").unwrap();
    assert_eq!(state, "failed", "{description}");
    assert!(description.contains("ghost@example.com"), "{description}");
}

#[tokio::test]
async fn a_blocked_deployment_no_hook_announced_is_found_from_its_pipeline() {
    let h = Harness::with(|c| c.queue.recheck_secs = 1).await;
    h.set_policy("main", PROD);
    let sha = "00000000000000000000000000000000000000ab";
    // Blocked, but this GitLab sends no Deployment Hook for it.
    let id = h.fake.block_deployment(PROJECT, "production", sha);
    let d = h.delivery();
    h.deliver(hooks::pipeline(&h.fake, PROJECT, sha, "production", &d))
        .await;
    h.settle().await;
    assert_eq!(production_gate(&h, sha), "pending");
    assert!(bot_answers(&h, id).is_empty());
    // The gate is stored: grants that arrive later reach it on the recheck timer.
    alice_and_bob_get_it_approved(&h, id).await;
}

#[tokio::test]
async fn a_deployment_gitlab_cannot_be_asked_about_is_never_approved() {
    let h = Harness::new().await;
    h.set_policy("main", "version: 1\npolicies: {}\napply: []\n");
    let sha = "00000000000000000000000000000000000000ee";
    let id = h.fake.block_deployment(PROJECT, "production", sha);
    // Every call fails, through every attempt.
    h.fake.with(|s| {
        for _ in 0..200 {
            s.failures.push_back(Failure::Server(503));
        }
    });
    let d = h.delivery();
    h.deliver(hooks::deployment(&h.fake, PROJECT, id, &d)).await;
    h.settle_allowing_failures().await;
    assert!(bot_answers(&h, id).is_empty(), "{:?}", bot_answers(&h, id));
    assert_eq!(h.deployment(id)["status"], "blocked");
    let c = h.bot().app.store.counts().await.unwrap();
    assert_eq!(c.failed, 1, "a dead letter");
}

#[tokio::test]
async fn decisions_are_audited_as_gitlab_and_their_details_page_opens() {
    let h = erins_mr_approved_by(&["alice"]).await;
    h.settle().await;
    let audit = h.audit().await;
    assert!(!audit.is_empty());
    assert!(
        audit.iter().all(|e| e.forge == "gitlab" && e.repo == PATH),
        "{audit:?}"
    );
    // A merge request is `!1` (GitLab's `#1` is an issue).
    assert!(audit.iter().all(|e| e.target == "!1"), "{audit:?}");
    let page = crate::pages::latest_details_page(&h).await;
    assert!(page.contains(PATH), "{page}");
    assert!(page.contains("alice"), "{page}");
    assert!(page.contains(&format!("<h1>{PATH} !1</h1>")), "{page}");
    assert!(!page.to_lowercase().contains("github"), "{page}");
}

#[tokio::test]
async fn blocked_deployments_no_hook_announces_are_found_on_the_timer() {
    let h = Harness::with(|c| c.queue.recheck_secs = 1).await;
    h.set_policy("main", PROD);
    // The bot knows the project from a merge request.
    h.open_mr(1, "erin", HEAD).await;
    h.settle().await;
    let sha = "00000000000000000000000000000000000000cd";
    let id = h.fake.block_deployment(PROJECT, "production", sha);
    h.eventually("the gate is opened", |h| {
        h.status_named(sha, "signoff/production").is_some()
    })
    .await;
    assert_eq!(production_gate(&h, sha), "pending");
    alice_and_bob_get_it_approved(&h, id).await;
}

#[tokio::test]
async fn an_unapproval_takes_the_approval_back() {
    let h = erins_mr_approved_by(&["alice", "bob"]).await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "success");
    h.fake.unapprove(PROJECT, 1, "bob");
    let d = h.delivery();
    h.deliver(hooks::merge_request(
        &h.fake,
        PROJECT,
        1,
        "unapproval",
        "bob",
        None,
        &d,
    ))
    .await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "pending");
}

// ---- found in review (attacks on the GitLab gate) ----

/// Erin's merge request approved by alice and bob, then rejected by carol's note `id`.
async fn approved_then_rejected_by_carol() -> (Harness, u64) {
    let h = erins_mr_approved_by(&["alice", "bob"]).await;
    let id = h.note(1, "carol", "Not like this.\n/reject").await;
    h.settle().await;
    assert_ne!(pending_or(&h, HEAD), "success", "carol rejected");
    (h, id)
}

/// The head is not green and the last decision was tampering: its summary.
async fn failed_as_tampered(h: &Harness) -> String {
    let (state, description) = h.status_named(HEAD, "signoff").unwrap();
    assert_ne!(state, "success", "{description}");
    let audit = h.audit().await;
    let last = audit.iter().max_by_key(|e| e.id).unwrap();
    assert_eq!(last.decision.as_str(), "tampered", "{}", last.summary);
    last.summary.clone()
}

#[tokio::test]
async fn a_reject_note_a_maintainer_edited_away_still_blocks() {
    let (h, id) = approved_then_rejected_by_carol().await;
    // A Maintainer (GitLab lets them edit anyone's note) takes the command out.
    h.edit_note(1, id, "dave", "Not like this.").await;
    h.settle().await;
    let summary = failed_as_tampered(&h).await;
    assert!(summary.contains("dave"), "{summary}");
}

/// Erin edits merge request 1's title: a Merge Request Hook `update` without `oldrev`.
async fn mr_updated(h: &Harness) {
    let d = h.delivery();
    h.deliver(hooks::merge_request(
        &h.fake, PROJECT, 1, "update", "erin", None, &d,
    ))
    .await;
    h.settle().await;
}

/// The head is not green, and the gate failed for carol's deleted rejection.
async fn carols_rejection_counts_as_deleted(h: &Harness) {
    let summary = failed_as_tampered(h).await;
    assert!(
        summary.contains("carol") && summary.contains("deleted"),
        "{summary}"
    );
}

#[tokio::test]
async fn a_reject_note_a_maintainer_deleted_still_blocks() {
    let (h, id) = approved_then_rejected_by_carol().await;
    // A Maintainer deletes the note: GitLab sends no webhook for that, so the bot
    // learns of it at its next evaluation (here: the title edited).
    h.fake.delete_note(PROJECT, 1, id);
    mr_updated(&h).await;
    h.settle().await;
    carols_rejection_counts_as_deleted(&h).await;
}

#[tokio::test]
async fn a_reject_note_deleted_before_the_bot_reads_it_still_blocks() {
    let h = erins_mr_approved_by(&["alice", "bob"]).await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "success");
    // A Maintainer's own hook deletes every `/reject` note at once: gone before the bot
    // lists the notes, but the Note Hook told the bot of it.
    let id = h.fake.note(PROJECT, 1, "carol", "/reject");
    let d = h.delivery();
    let hook = hooks::note(&h.fake, PROJECT, 1, id, &d);
    h.fake.delete_note(PROJECT, 1, id);
    h.deliver(hook).await;
    h.settle().await;
    carols_rejection_counts_as_deleted(&h).await;
}

#[tokio::test]
async fn a_deleted_approval_note_only_takes_its_approval_away() {
    let h = erins_mr_approved_by(&["bob"]).await;
    let id = h.note(1, "alice", "/lgtm").await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "success");
    // Deleting an approval is the safe direction: no tampering, one approval fewer.
    h.fake.delete_note(PROJECT, 1, id);
    mr_updated(&h).await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "pending");
}

/// A Developer (or a CI job) posts `signoff = success` under their own name; GitLab
/// sends no status webhook, but the pipeline the status joins changes and GitLab sends
/// a Pipeline Hook (listing CI jobs only, never external statuses).
fn forge_success(h: &Harness, sha: &str) {
    let params = serde_json::json!({"state": "success", "name": "signoff", "description": "LGTM"});
    h.fake.post_status_as(PROJECT, "mallory", sha, params);
}

#[tokio::test]
async fn a_forged_signoff_status_is_replaced_when_its_pipeline_changes() {
    let h = erins_mr_approved_by(&[]).await;
    h.settle().await;
    assert_eq!(pending_or(&h, HEAD), "pending");
    for with_deployment_job in [false, true] {
        forge_success(&h, HEAD);
        assert_eq!(pending_or(&h, HEAD), "success", "the forgery shows");
        let d = h.delivery();
        let hook = hooks::pipeline(&h.fake, PROJECT, HEAD, "review/feature", &d);
        let hook = if with_deployment_job {
            hook
        } else {
            let mut v: serde_json::Value = serde_json::from_slice(&hook.body).unwrap();
            v["object_attributes"]["status"] = serde_json::json!("success");
            v["builds"] = serde_json::json!([]);
            hooks::signed("Pipeline Hook", &v, &d)
        };
        h.deliver(hook).await;
        h.settle().await;
        assert_eq!(
            pending_or(&h, HEAD),
            "pending",
            "the bot's answer is shown again (pipeline with a deployment job: {with_deployment_job})"
        );
    }
}

#[tokio::test]
async fn a_status_gitlab_refuses_to_repost_is_replaced_not_assumed() {
    let h = erins_mr_approved_by(&[]).await;
    h.settle().await;
    // Someone else's `signoff` is now the latest in the pipeline, in the state the bot's
    // answer has: GitLab refuses the bot's repost ("Cannot transition status via
    // :enqueue from :pending": its own job there is pending already).
    let params = serde_json::json!({
        "state": "pending", "name": "signoff", "target_url": "https://evil.example/",
        "description": "wait"
    });
    let pipeline = h.fake.post_status_as(PROJECT, "mallory", HEAD, params)["pipeline_id"]
        .as_u64()
        .unwrap();
    h.pipeline_changed(pipeline).await;
    h.settle().await;
    // The bot failed its own job and posted its answer anew: the latest is the bot's.
    let latest = h.fake.with(|s| {
        s.projects[&PROJECT].statuses[HEAD]
            .iter()
            .rev()
            .find(|st| st["name"] == "signoff")
            .unwrap()
            .clone()
    });
    assert_eq!(latest["author"]["username"], "signoff-bot", "{latest:#}");
    assert_eq!(latest["status"], "pending");
    assert_ne!(latest["target_url"], "https://evil.example/");
    assert_eq!(h.head_pipeline_signoff(1).as_deref(), Some("pending"));
}

#[tokio::test]
async fn a_reject_behind_more_than_a_page_of_notes_is_read() {
    let h = erins_mr_approved_by(&[]).await;
    for i in 0..150 {
        h.fake.note(PROJECT, 1, "rita", &format!("padding {i}"));
    }
    h.approve(1, "alice").await;
    h.approve(1, "bob").await;
    h.note(1, "carol", "/reject").await;
    h.settle().await;
    let (state, description) = h.status_named(HEAD, "signoff").unwrap();
    assert_eq!(state, "failed", "{description}");
    let pages = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.raw_path.ends_with("/notes") && r.method == "GET")
        .count();
    assert!(
        pages >= 2,
        "notes were read page by page ({pages} requests)"
    );
}
