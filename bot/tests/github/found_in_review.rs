//! Found in the review of the day's GitHub-side changes (issues 7 and 11): each test
//! failed on the code before its fix.

use super::harness::{Harness, sha};

const ONE_WITH_VETO: &str = "version: 1\npolicies:\n  one:\n    requires: [ { any: 1 } ]\napply:\n  - policies: [one]\n    to: pull_request\noptions:\n  commands: { reject: [\"/veto\"] }\n";

/// The `signoff/policy` check on `head`, once every delivery is handled.
async fn policy_check(h: &Harness, head: &str) -> serde_json::Value {
    h.settle().await;
    h.fake
        .check_runs_on(head)
        .into_iter()
        .find(|r| r["name"] == "signoff/policy")
        .expect("the policy check is shown")
}

/// The command words a comment is filtered by were the last evaluated pull request's
/// (one per repository), so a revoke in another base branch's words was dropped unseen.
#[tokio::test]
async fn a_revoke_in_one_base_branchs_command_words_is_not_skipped_after_another_branchs_evaluation()
 {
    let h = Harness::new().await;
    h.set_policy("release", ONE_WITH_VETO);
    h.open_pr_from(1, "erin", &sha(1), "fix-1", "release").await;
    h.review(1, "alice", "APPROVED").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success");
    // A pull request into main (default words) is evaluated last.
    h.open_pr(2, "erin", &sha(2), &["src/lib.rs"]).await;
    h.settle().await;
    h.comment(1, "bob", "/veto").await;
    h.settle().await;
    assert_eq!(
        h.status(&sha(1)),
        ("failure".into(), "Rejected by bob".into()),
        "/veto is the release branch's reject word"
    );
}

/// The `signoff/policy` check replays a file the pull request's author wrote on every
/// decision of the last 30 days, inside the worker: a valid policy within the size caps
/// can still be slow to evaluate, so the replay is bounded by time and says so.
#[tokio::test]
async fn the_policy_checks_replay_stops_at_its_time_limit_and_says_so() {
    let h = Harness::app(|c| c.policy_check.replay_secs = 0).await;
    h.open_and_approve(1).await;
    let head = sha(2);
    h.fake.repo(super::harness::REPO, |r| {
        r.files.insert(
            (head.clone(), ".github/signoff.yml".into()),
            ONE_WITH_VETO.into(),
        );
    });
    h.open_pr(2, "erin", &head, &[".github/signoff.yml"]).await;
    let check = policy_check(&h, &head).await;
    assert_eq!(check["conclusion"], "success");
    let title = check["output"]["title"].as_str().unwrap();
    assert!(title.contains("time limit"), "{title}");
    let summary = check["output"]["summary"].as_str().unwrap();
    assert!(summary.contains("stopped"), "{summary}");
    // The gate is the base branch's, untouched.
    assert_eq!(h.status(&head).0, "pending");
}

/// GitHub's contents API answers a symbolic link to a file with that file: a policy file
/// made a link let the policy be changed by editing another path, which no review rule
/// on `.github/signoff.yml` and no `signoff/policy` check ever looks at. The bot reads
/// the policy only from a regular file at its path and fails closed otherwise.
#[tokio::test]
async fn a_policy_file_that_is_a_symbolic_link_fails_the_gate_closed() {
    let h = Harness::new().await;
    h.fake.repo(super::harness::REPO, |r| {
        r.files.remove(&("main".into(), ".github/signoff.yml".into()));
        r.files.insert(
            ("main".into(), "docs/rules.yml".into()),
            "version: 1\npolicies:\n  one:\n    requires: [ { any: 1 } ]\napply:\n  - policies: [one]\n    to: pull_request\n".into(),
        );
        r.symlinks.insert(
            ("main".into(), ".github/signoff.yml".into()),
            "docs/rules.yml".into(),
        );
    });
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.review(1, "alice", "APPROVED").await;
    h.settle_allowing_failures().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(state, "failure", "{description}");
    assert!(description.contains("symbolic link"), "{description}");
}

/// A pull request that makes the policy file a symbolic link (which the gate refuses)
/// is told so on its `signoff/policy` check, instead of getting no check at all.
#[tokio::test]
async fn a_pull_request_making_the_policy_file_a_link_gets_a_failing_policy_check() {
    let h = Harness::app(|_| {}).await;
    let head = sha(1);
    h.fake.repo(super::harness::REPO, |r| {
        r.files.insert(
            (head.clone(), "docs/rules.yml".into()),
            ONE_WITH_VETO.into(),
        );
        r.symlinks.insert(
            (head.clone(), ".github/signoff.yml".into()),
            "docs/rules.yml".into(),
        );
    });
    h.open_pr(1, "erin", &head, &[".github/signoff.yml", "docs/rules.yml"])
        .await;
    let check = policy_check(&h, &head).await;
    assert_eq!(check["conclusion"], "failure");
    let summary = check["output"]["summary"].as_str().unwrap();
    assert!(summary.contains("symbolic link"), "{summary}");
    // The gate keeps the base branch's (regular) policy file.
    assert_eq!(h.status(&head).0, "pending");
}

/// Anyone with `deployments: write` can mark a deployment inactive and delete it. The
/// bot asked GitHub for each deployment it had approved and failed on the 404, so
/// deleting the last one stopped every later deployment to the environment from being
/// approved while contributors matter. A deleted deployment is no base (a stricter
/// answer: more commits count as unshipped).
#[tokio::test]
async fn a_deleted_approved_deployment_does_not_block_later_deployments() {
    use serde_json::json;
    let h = Harness::new().await;
    h.set_policy(
        "main",
        "version: 1\npolicies:\n  prod:\n    requires: [ { any: 2 } ]\napply:\n  - policies: [prod]\n    to: deployment\n    where: { environment: production }\noptions: { contributors_can_approve: false }\n",
    );
    h.fake.repo(super::harness::REPO, |r| {
        r.history = vec![(sha(0xc1), "alice".into()), (sha(0xc2), "bob".into())];
        r.collaborators.insert("frank".into(), "write".into());
        r.collaborators.insert("grace".into(), "write".into());
    });
    let deploy = |run: u64, revision: String, reviewers: &'static [&'static str]| {
        let h = &h;
        async move {
            h.register_run(run, "production", &revision, "dave", &[]);
            h.send_deployment_request(run, "production", &revision, "github-actions[bot]", &[])
                .await;
            for who in reviewers {
                h.deployment_review(run, "production", who, true).await;
            }
            h.settle_allowing_failures().await;
        }
    };
    deploy(51, sha(0xc1), &["frank", "grace"]).await;
    assert_eq!(h.gate_answers(51).last().unwrap()["state"], "approved");
    // Shipped; then mallory marks it inactive and deletes it.
    h.fake.repo(super::harness::REPO, |r| {
        r.deployments.retain(|d| d["id"] != 510);
        assert!(r.deployments.iter().all(|d| d["id"] != json!(510)));
    });
    deploy(52, sha(0xc2), &["frank", "grace"]).await;
    assert_eq!(
        h.gate_answers(52).last().map(|a| a["state"].clone()),
        Some(json!("approved")),
        "frank and grace wrote no commit: {:?}",
        h.gate_answers(52)
    );
}

/// Any writer may push a tag, also one named like the protected branch. The policy was
/// read with `?ref=main`, a name git resolves to the tag before the branch: a tag `main`
/// holding a policy that asks nothing made every pull request into `main` green.
#[tokio::test]
async fn a_tag_named_like_the_base_branch_does_not_replace_its_policy() {
    let h = Harness::new().await;
    h.fake.repo(super::harness::REPO, |r| {
        let lenient = "version: 1\npolicies: {}\napply: []\n";
        r.tags.insert(
            "main".into(),
            [(".github/signoff.yml".to_owned(), lenient.to_owned())].into(),
        );
    });
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(
        state, "pending",
        "main's policy asks for two approvals: {description}"
    );
}
