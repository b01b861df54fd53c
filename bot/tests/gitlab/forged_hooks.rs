//! Deliveries that say something GitLab does not show. The webhook token is shared by
//! every project whose hook points at the bot, so whoever set up one of them can send
//! a delivery naming another project: what a delivery says that decides a gate (the
//! deployment's environment, the default branch whose policy applies, when a head was
//! pushed) is read back from GitLab, and a delivery is never answered by its own words.

use crate::gates::bot_answers;
use crate::harness::{Harness, PROJECT};
use crate::hooks;

/// Production needs two approvals; nothing else needs any.
const PROD: &str = "version: 1\npolicies:\n  prod:\n    requires: [ { any: 2 } ]\napply:\n  - policies: [prod]\n    to: deployment\n    where: { environment: production }\n";
const NO_POLICY: &str = "version: 1\npolicies: {}\napply: []\n";
const SHA: &str = "00000000000000000000000000000000000000d9";

/// A production deployment waiting for approval, and a Deployment Hook for it as
/// GitLab would send it, edited by `forge`, signed with the shared secrets.
async fn forged_delivery(h: &Harness, forge: impl FnOnce(&mut serde_json::Value)) -> u64 {
    h.set_policy("main", PROD);
    let id = h.fake.block_deployment(PROJECT, "production", SHA);
    let d = h.delivery();
    let hook = hooks::deployment(&h.fake, PROJECT, id, &d);
    let mut v: serde_json::Value = serde_json::from_slice(&hook.body).unwrap();
    forge(&mut v);
    h.deliver(hooks::signed("Deployment Hook", &v, &d)).await;
    h.settle_allowing_failures().await;
    id
}

#[tokio::test]
async fn a_deployment_hook_naming_another_environment_does_not_get_a_production_deployment_approved()
 {
    let h = Harness::new().await;
    // Staging needs no approval; the deployment is to production.
    let id = forged_delivery(&h, |v| v["environment"] = serde_json::json!("staging")).await;
    assert!(bot_answers(&h, id).is_empty(), "{:?}", bot_answers(&h, id));
    assert_eq!(h.deployment(id)["status"], "blocked");
}

#[tokio::test]
async fn a_deployment_hook_naming_another_default_branch_does_not_read_that_branchs_policy() {
    let h = Harness::new().await;
    // Any Developer can push a branch holding a policy file that asks nothing.
    h.set_policy("lenient", NO_POLICY);
    let id = forged_delivery(&h, |v| {
        v["project"]["default_branch"] = serde_json::json!("lenient");
    })
    .await;
    assert!(bot_answers(&h, id).is_empty(), "{:?}", bot_answers(&h, id));
    assert_eq!(h.deployment(id)["status"], "blocked");
}

const HEAD: &str = "00000000000000000000000000000000000000a1";
const NEW_HEAD: &str = "00000000000000000000000000000000000000b2";

#[tokio::test]
async fn a_push_hook_dated_before_the_push_does_not_carry_older_notes_onto_the_new_head() {
    let h = Harness::new().await;
    // Two approvals; alice's `/lgtm` is on the old head, bob approves the new one.
    h.open_mr(1, "erin", HEAD).await;
    h.note(1, "alice", "/lgtm").await;
    h.push(1, NEW_HEAD).await;
    h.approve(1, "bob").await;
    h.settle().await;
    let shown = |h: &Harness| h.status_named(NEW_HEAD, "signoff").unwrap().0;
    assert_eq!(shown(&h), "pending", "alice's note is stale");
    // The push's hook again, dated before alice wrote: GitLab shows the new head from
    // the push on (its merge request version), whatever the delivery says.
    let d = h.delivery();
    let hook = hooks::merge_request(&h.fake, PROJECT, 1, "update", "erin", Some(HEAD), &d);
    let mut v: serde_json::Value = serde_json::from_slice(&hook.body).unwrap();
    v["object_attributes"]["updated_at"] = serde_json::json!("2020-01-01T00:00:00Z");
    h.deliver(hooks::signed("Merge Request Hook", &v, &d)).await;
    h.settle().await;
    assert_eq!(shown(&h), "pending", "alice's note counted on the new head");
}

#[tokio::test]
async fn a_forged_gate_does_not_keep_the_real_one_from_being_answered() {
    let h = Harness::with(|c| c.queue.recheck_secs = 1).await;
    // First a delivery naming the deployment with another environment: refused, but
    // kept as a gate of that deployment.
    let id = forged_delivery(&h, |v| v["environment"] = serde_json::json!("staging")).await;
    // Then GitLab's own Deployment Hook, and the two approvals production needs.
    let d = h.delivery();
    h.deliver(hooks::deployment(&h.fake, PROJECT, id, &d)).await;
    h.settle_allowing_failures().await;
    assert!(bot_answers(&h, id).is_empty(), "nobody approved yet");
    h.review_deployment(id, "alice", true);
    h.review_deployment(id, "bob", true);
    h.eventually("the bot approves the production deployment", |h| {
        !bot_answers(h, id).is_empty()
    })
    .await;
    assert_eq!(bot_answers(&h, id)[0]["status"], "approved");
}
