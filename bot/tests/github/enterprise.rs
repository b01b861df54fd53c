//! GitHub Enterprise Server: the REST API under `/api/v3`, GraphQL at `/api/graphql`
//! (not under the REST base), pagination links carrying the `/api/v3` path.

use super::fake::FakeGitHub;
use super::harness::{Harness, REPO, sha};
use serde_json::json;

#[tokio::test]
async fn enterprise_paths_for_rest_pages_and_graphql() {
    let fake = FakeGitHub::start_under("/api/v3", "/api/graphql").await;
    let h = Harness::on(fake, |_| {}).await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    h.settle().await;
    // 150 comments: two pages, the second reached through GHE's `Link` URL.
    let at = h.now().to_string();
    h.fake.repo(REPO, |r| {
        let comments = &mut r.pulls.get_mut(&1).unwrap().comments;
        for i in 0..150 {
            comments.push(json!({
                "id": 100_000 + i, "user": { "login": "rita", "id": 9, "type": "User" },
                "body": "padding", "created_at": at, "updated_at": at,
            }));
        }
    });
    h.advance(2);
    h.review(1, "bob", "APPROVED").await;
    let id = h.comment(1, "alice", "/approve").await;
    // Someone else rewrites alice's approval: the edit history (GraphQL) says so.
    h.edit_comment(1, id, "mallory", "/approve").await;
    h.settle().await;
    h.assert_failure(&sha(1), "mallory");
    let requests = h.fake.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.method == "POST" && r.path == "/api/graphql"),
        "GraphQL at /api/graphql"
    );
    assert!(
        requests.iter().any(|r| r
            .path
            .starts_with(&format!("/api/v3/repos/{REPO}/issues/1/comments?"))
            && r.path.contains("page=2")),
        "the second page of comments under /api/v3"
    );
}

#[tokio::test]
async fn an_enterprise_app_reuses_its_installation_token_for_graphql() {
    let key = super::app_auth::rsa_key();
    let fake = FakeGitHub::start_under("/api/v3", "/api/graphql").await;
    let h = Harness::on(fake, move |c| {
        c.github.token = None;
        c.github.app_id = Some(1234);
        c.github.private_key = Some(signoff_bot::config::Secret::new(key));
    })
    .await;
    h.open_pr(1, "erin", &sha(1), &["src/lib.rs"]).await;
    let id = h.comment(1, "alice", "/approve").await;
    h.edit_comment(1, id, "mallory", "/approve").await;
    h.settle().await;
    h.assert_failure(&sha(1), "mallory");
    let requests = h.fake.requests();
    let graphql = requests
        .iter()
        .find(|r| r.method == "POST" && r.path == "/api/graphql")
        .expect("GraphQL at /api/graphql");
    assert_eq!(
        graphql.authorization.as_deref(),
        Some("Bearer ghs_installation77")
    );
    let minted: Vec<_> = requests
        .iter()
        .filter(|r| r.path.contains("/access_tokens"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(minted, ["/api/v3/app/installations/77/access_tokens"]);
}
