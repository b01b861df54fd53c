//! A label added to a merge request can make a stricter policy apply (a binding's
//! `labels`): the head must not stay green for the old answer, nor keep the bot's
//! approval, while the merge request is evaluated again.

use crate::harness::{Harness, PROJECT};
use crate::hooks;

const HEAD: &str = "00000000000000000000000000000000000000a1";
/// One approval from anyone; with the label `security`, carol's as well.
const STRICTER_WITH_SECURITY: &str = "version: 1\npolicies:\n  one:\n    requires:\n      - any: 1\n  carol:\n    requires:\n      - users: [carol]\napply:\n  - policies: [one]\n    to: pull_request\n  - policies: [carol]\n    to: pull_request\n    where:\n      labels: security\n";

/// erin's merge request 1 at `HEAD`, approved by alice: green under the lenient policy.
async fn green_without_the_label(h: &Harness) {
    h.set_policy("main", STRICTER_WITH_SECURITY);
    h.open_mr(1, "erin", HEAD).await;
    h.approve(1, "alice").await;
    h.settle().await;
    assert_eq!(shown(h), "success");
}

fn shown(h: &Harness) -> String {
    h.status_named(HEAD, "signoff")
        .map(|s| s.0)
        .unwrap_or_default()
}

/// erin adds the label `security`; GitLab sends `update` with `changes.labels`.
async fn label_security(h: &Harness) {
    h.fake.project_mut(PROJECT, |p| {
        p.merge_requests.get_mut(&1).unwrap().labels = vec!["security".to_owned()];
    });
    let d = h.delivery();
    h.deliver(hooks::relabeled(&h.fake, PROJECT, 1, &[], "erin", &d))
        .await;
}

/// Where in the requests since `before` the first one `wanted` is (`usize::MAX`: none).
fn first(h: &Harness, before: usize, wanted: impl Fn(&crate::fake::Recorded) -> bool) -> usize {
    h.fake.requests()[before..]
        .iter()
        .position(wanted)
        .unwrap_or(usize::MAX)
}

fn reads_approvals(r: &crate::fake::Recorded) -> bool {
    r.method == "GET" && r.raw_path.ends_with("/merge_requests/1/approvals")
}

#[tokio::test]
async fn a_label_change_holds_the_head_pending_before_the_merge_request_is_read_again() {
    let h = Harness::new().await;
    green_without_the_label(&h).await;
    let before = h.fake.requests().len();
    label_security(&h).await;
    h.settle().await;
    assert_eq!(shown(&h), "pending", "carol has not approved");
    let held = first(&h, before, |r| {
        r.method == "POST"
            && r.raw_path.contains(&format!("/statuses/{HEAD}"))
            && r.body.as_ref().is_some_and(|b| b["state"] == "pending")
    });
    let read = first(&h, before, reads_approvals);
    assert!(
        read < usize::MAX,
        "the merge request was not evaluated again"
    );
    assert!(
        held < read,
        "the head stayed green while the relabeled merge request was evaluated: {:?}",
        &h.fake.requests()[before..]
    );
}

#[tokio::test]
async fn a_label_change_takes_the_bots_approval_back_before_the_merge_request_is_read_again() {
    let h = Harness::with(|c| c.gitlab.approve_merge_requests = true).await;
    green_without_the_label(&h).await;
    assert!(h.fake.approved_by_bot(PROJECT, 1));
    let before = h.fake.requests().len();
    label_security(&h).await;
    h.settle().await;
    assert!(!h.fake.approved_by_bot(PROJECT, 1), "taken back");
    let taken_back = first(&h, before, |r| {
        r.method == "POST" && r.raw_path.ends_with("/merge_requests/1/unapprove")
    });
    assert!(
        taken_back < first(&h, before, reads_approvals),
        "the bot's approval stood while the relabeled merge request was evaluated: {:?}",
        &h.fake.requests()[before..]
    );
}
