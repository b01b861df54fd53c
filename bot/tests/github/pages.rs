//! Details pages: only the people a decision names, no organisation policy text unless
//! configured, links that expire. And small faults of the shell.

use crate::common::details::{cases, everything_shown};
use crate::harness::{Harness, REPO, sha};

const ORG: &str = "# org-marker-31337\nversion: 1\npolicies:\n  ops:\n    requires: [ { group: acme/secret-ops } ]\napply:\n  - policies: [ops]\n    to: deployment\n";
const SEC: &str = "version: 1\npolicies:\n  sec:\n    requires: [ { group: acme/sec } ]\napply:\n  - policies: [sec]\n    to: pull_request\n";

/// The case as the simulator reads it (JSON is YAML).
fn evaluate(case: &serde_json::Value) -> signoff::Decision {
    signoff::evaluate_case(&case.to_string(), "case").unwrap()
}

#[tokio::test]
async fn details_pages_name_only_the_decisions_people_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org.yml");
    std::fs::write(&org, ORG).unwrap();
    let mut h = Harness::with(|c| {
        c.policy = Some(org);
        c.super_admins = vec!["root-admin".into()];
    })
    .await;
    h.fake.with(|s| {
        s.teams.insert("acme/sec".into(), vec!["carol".into()]);
        s.teams
            .insert("acme/secret-ops".into(), vec!["olga".into()]);
    });
    h.fake.repo(REPO, |r| {
        r.collaborators.insert("zed".into(), "write".into());
    });
    h.set_policy("main", SEC);
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    let (state, description) = h.status(&sha(1));
    assert_eq!(
        (state.as_str(), description.as_str()),
        ("pending", "Pending: 1 more from group acme/sec")
    );
    let url = h.fake.status(&sha(1), "signoff").unwrap()["target_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = url.strip_prefix(&h.base()).unwrap().to_owned();
    let (code, page) = h.get(&path).await;
    assert_eq!(code, 200);
    let cases = cases(&page);
    assert_eq!(
        cases.len(),
        1,
        "no simulator case for the organisation's layer"
    );
    let everything = everything_shown(&page);
    for hidden in ["zed", "olga", "root-admin", "alice", "org-marker-31337"] {
        assert!(!everything.contains(hidden), "{hidden} shown: {everything}");
    }
    assert!(everything.contains("carol") && everything.contains("erin"));
    // The cut-down case decides exactly as the bot did.
    let id: i64 = path.split('/').nth(2).unwrap().parse().unwrap();
    let entry = h.bot().app.store.audit_entry(id).await.unwrap().unwrap();
    let record = serde_json::to_value(&entry.record).unwrap();
    let recorded = record["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == "repository")
        .unwrap()["result"]["decision"]
        .clone();
    assert_eq!(serde_json::to_value(evaluate(&cases[0])).unwrap(), recorded);
    // Links expire: the same link once its time is up.
    h.stop_bot().await;
    h.config.details.ttl_secs = 0;
    h.start_bot().await;
    let (code, text) = h.get(&path).await;
    assert_eq!(
        (code, text.as_str()),
        (410, "this details link has expired\n")
    );
}

#[tokio::test]
async fn the_organisation_policy_text_is_shown_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org.yml");
    std::fs::write(&org, ORG).unwrap();
    let h = Harness::with(|c| {
        c.policy = Some(org);
        c.details.show_org_policy = true;
    })
    .await;
    h.set_policy("main", SEC);
    h.fake
        .with(|s| s.teams.insert("acme/sec".into(), vec!["carol".into()]));
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    let url = h.fake.status(&sha(1), "signoff").unwrap()["target_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, page) = h.get(url.strip_prefix(&h.base()).unwrap()).await;
    let cases = cases(&page);
    assert_eq!(cases.len(), 2);
    assert!(
        cases[0]["policy"]
            .as_str()
            .unwrap()
            .contains("org-marker-31337")
    );
}

/// Custom command words still count after a restart (the relevance filter used to
/// fall back to the default words when it had not seen the policy yet).
#[tokio::test]
async fn custom_command_words_count_after_a_restart() {
    let mut h = Harness::new().await;
    h.set_policy(
        "main",
        "version: 1\npolicies:\n  two:\n    requires: [ { any: 2 } ]\napply:\n  - policies: [two]\n    to: pull_request\noptions: { commands: { approve: [\"/ship\"] } }\n",
    );
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    h.stop_bot().await;
    h.start_bot().await;
    h.comment(1, "alice", "/ship").await;
    h.comment(1, "bob", "/ship").await;
    h.settle().await;
    assert_eq!(h.status(&sha(1)).0, "success", "{:?}", h.status(&sha(1)));
}

#[tokio::test]
async fn a_team_is_read_once_per_evaluation() {
    let h = Harness::new().await;
    h.fake
        .with(|s| s.teams.insert("acme/sec".into(), vec!["carol".into()]));
    h.set_policy("main", SEC);
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    let reads = h
        .fake
        .count(|r| r.path.starts_with("/orgs/acme/teams/sec/members"));
    assert_eq!(reads, 1);
}

#[tokio::test]
async fn the_check_run_names_a_secret_team_not_its_members() {
    let key = super::app_auth::rsa_key();
    let h = Harness::with(move |c| {
        c.github.token = None;
        c.github.app_id = Some(1234);
        c.github.private_key = Some(signoff_bot::config::Secret::new(key));
    })
    .await;
    h.fake.with(|s| {
        s.teams
            .insert("acme/sec".into(), vec!["sam-undercover".into()]);
        s.secret_teams.push("acme/sec".into());
        s.teams.insert("acme/ops".into(), vec!["olga".into()]);
    });
    h.fake.repo(REPO, |r| {
        for u in ["sam-undercover", "olga"] {
            r.collaborators.insert(u.into(), "write".into());
        }
    });
    h.set_policy(
        "main",
        "version: 1\npolicies:\n  sec:\n    requires: [ { group: acme/sec }, { group: acme/ops } ]\napply:\n  - policies: [sec]\n    to: pull_request\n",
    );
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    let runs = h.fake.check_runs_on(&sha(1));
    let shown = runs.last().unwrap()["output"].to_string();
    assert!(
        !shown.contains("sam-undercover"),
        "a secret team's member is named: {shown}"
    );
    assert!(shown.contains("acme/sec"), "{shown}");
    assert!(
        shown.contains("olga"),
        "a visible team's members are shown: {shown}"
    );
}
