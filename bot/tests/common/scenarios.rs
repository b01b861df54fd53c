//! Scenarios written once against forge-neutral verbs, run by the GitHub suite and the
//! GitLab suite alike (each implements [`Verbs`] over its harness and fake). A scenario
//! says what a user does and what the forge then shows on the change's head.

/// What the forge shows under `signoff` on a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Pending,
    Success,
    Failure,
}

/// What people do on a forge, each verb changing the fake and delivering the webhook
/// the forge would send. Changes target `main`; policies live at the forge's path.
pub(crate) trait Verbs {
    fn set_policy(&self, branch: &str, text: &str);
    /// The branch change `number` is opened from.
    fn source_branch(&self, number: u64) -> String;
    async fn open_change(&self, number: u64, author: &str, head: &str);
    /// Opens change `number` from its own branch at `head` into `target`.
    async fn open_change_into(&self, number: u64, author: &str, head: &str, target: &str);
    /// An approval through the forge's own review or approval feature.
    async fn approve(&self, number: u64, user: &str);
    async fn comment(&self, number: u64, user: &str, body: &str);
    async fn push(&self, number: u64, head: &str);
    /// Waits until the bot has processed every delivery (none may fail).
    async fn settle(&self);
    fn shown(&self, head: &str) -> Option<Shown>;
}

/// One `#[tokio::test]` per scenario, on a fresh `$harness` (`$harness::new()`).
macro_rules! run_scenarios {
    ($harness:ty) => {
        run_scenarios!(
            $harness;
            opened_change_is_pending,
            two_approvals_pass,
            a_push_makes_approvals_stale,
            a_comment_command_approves,
            a_comment_command_before_a_push_is_stale,
            the_author_cannot_approve_their_own_change,
            an_invalid_policy_fails_the_gate,
            a_policy_changed_in_the_change_is_not_used,
            a_shared_head_shows_the_least_permissive_answer,
        );
    };
    ($harness:ty; $($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            $crate::common::scenarios::$name(&<$harness>::new().await).await;
        }
    )*};
}

pub fn head(n: u32) -> String {
    format!("{n:0>40x}")
}

pub async fn opened_change_is_pending(f: &impl Verbs) {
    f.open_change(1, "erin", &head(1)).await;
    f.settle().await;
    assert_eq!(f.shown(&head(1)), Some(Shown::Pending));
}

pub async fn two_approvals_pass(f: &impl Verbs) {
    f.open_change(1, "erin", &head(1)).await;
    f.approve(1, "alice").await;
    f.settle().await;
    assert_eq!(f.shown(&head(1)), Some(Shown::Pending), "one of two");
    f.approve(1, "bob").await;
    f.settle().await;
    assert_eq!(f.shown(&head(1)), Some(Shown::Success));
}

pub async fn a_push_makes_approvals_stale(f: &impl Verbs) {
    f.open_change(1, "erin", &head(1)).await;
    f.approve(1, "alice").await;
    f.approve(1, "bob").await;
    f.settle().await;
    assert_eq!(f.shown(&head(1)), Some(Shown::Success));
    f.push(1, &head(2)).await;
    f.settle().await;
    assert_eq!(
        f.shown(&head(2)),
        Some(Shown::Pending),
        "approvals of the old head"
    );
}

pub async fn a_comment_command_approves(f: &impl Verbs) {
    f.open_change(1, "erin", &head(1)).await;
    f.approve(1, "alice").await;
    f.comment(1, "bob", "Looks right.\n/approve").await;
    f.settle().await;
    assert_eq!(f.shown(&head(1)), Some(Shown::Success));
}

pub async fn a_comment_command_before_a_push_is_stale(f: &impl Verbs) {
    f.open_change(1, "erin", &head(1)).await;
    f.comment(1, "bob", "/approve").await;
    f.push(1, &head(2)).await;
    f.approve(1, "alice").await;
    f.settle().await;
    assert_eq!(f.shown(&head(2)), Some(Shown::Pending));
}

pub async fn the_author_cannot_approve_their_own_change(f: &impl Verbs) {
    f.open_change(1, "erin", &head(1)).await;
    f.comment(1, "erin", "/approve").await;
    f.approve(1, "alice").await;
    f.settle().await;
    assert_eq!(f.shown(&head(1)), Some(Shown::Pending));
}

pub async fn an_invalid_policy_fails_the_gate(f: &impl Verbs) {
    f.set_policy("main", "version: 1\npolicies: [unclosed\n");
    f.open_change(1, "erin", &head(1)).await;
    f.approve(1, "alice").await;
    f.approve(1, "bob").await;
    f.settle().await;
    assert_eq!(f.shown(&head(1)), Some(Shown::Failure));
}

pub async fn a_policy_changed_in_the_change_is_not_used(f: &impl Verbs) {
    let lenient = "version: 1\npolicies:\n  none:\n    requires:\n      - any: 0\napply:\n  - policies: [none]\n    to: pull_request\n";
    f.set_policy(&f.source_branch(1), lenient);
    f.open_change(1, "erin", &head(1)).await;
    f.settle().await;
    assert_eq!(
        f.shown(&head(1)),
        Some(Shown::Pending),
        "the target branch's policy"
    );
}

pub async fn a_shared_head_shows_the_least_permissive_answer(f: &impl Verbs) {
    let main_only = "version: 1\npolicies:\n  two:\n    requires:\n      - any: 2\napply:\n  - policies: [two]\n    to: pull_request\n    where: { branch: main }\n";
    f.set_policy("main", main_only);
    f.set_policy("release", main_only);
    // The gated change first, then one into a branch no policy covers.
    f.open_change_into(1, "erin", &head(1), "main").await;
    f.settle().await;
    f.open_change_into(2, "erin", &head(1), "release").await;
    f.settle().await;
    assert_eq!(f.shown(&head(1)), Some(Shown::Pending));
    // The other order.
    f.open_change_into(3, "erin", &head(3), "release").await;
    f.settle().await;
    f.open_change_into(4, "erin", &head(3), "main").await;
    f.settle().await;
    assert_eq!(f.shown(&head(3)), Some(Shown::Pending));
}
