//! The REST client against the fake: lists read to the end, truncation and rate limits
//! typed, bodies as GitLab documents them, nested-group paths encoded.

use crate::fake::{Failure, FakeGitLab, Paging, TOKEN};
use serde_json::json;
use signoff_bot::config::Secret;
use signoff_bot::forges::gitlab::api::{
    ApprovalDecision, ApprovalKind, NewDeploymentApproval, NewStatus, StatusState, approval_events,
    approvers,
};
use signoff_bot::forges::gitlab::payloads::DeploymentStatus;
use signoff_bot::forges::gitlab::{ApiError, Auth, GitLabClient, ProjectId};
use std::time::Duration;

const PROJECT: u64 = 42;
const PATH: &str = "platform/payments/api";

async fn setup() -> (FakeGitLab, GitLabClient) {
    let fake = FakeGitLab::start().await;
    fake.add_project(PROJECT, PATH);
    let client =
        GitLabClient::new(&fake.api_url(), Auth::PrivateToken(Secret::new(TOKEN))).unwrap();
    (fake, client)
}

fn id() -> ProjectId {
    ProjectId::Id(PROJECT)
}

fn files(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("src/f{i}.rs")).collect()
}

#[tokio::test]
async fn merge_request_fields_are_read() {
    let (fake, client) = setup().await;
    fake.open_mr(PROJECT, 7, "alice", "abc123", &["a.rs"]);
    fake.project_mut(PROJECT, |p| {
        let mr = p.merge_requests.get_mut(&7).unwrap();
        mr.labels = vec!["hotfix".to_owned()];
        mr.draft = true;
    });
    let mr = client.merge_request(&id(), 7).await.unwrap();
    assert_eq!(mr.sha, "abc123");
    assert_eq!(mr.author.username, "alice");
    assert_eq!(mr.target_branch, "main");
    assert_eq!(mr.labels, ["hotfix"]);
    assert!(mr.draft);
    assert_eq!(mr.changes_count.as_deref(), Some("1"));
}

#[tokio::test]
async fn nested_group_project_paths_are_url_encoded() {
    let (fake, client) = setup().await;
    fake.open_mr(PROJECT, 3, "alice", "abc", &["a.rs"]);
    fake.commit_file(PROJECT, "main", ".gitlab/signoff.yml", "version: 1\n");
    let by_path = ProjectId::Path(PATH.to_owned());
    assert_eq!(client.merge_request(&by_path, 3).await.unwrap().iid, 3);
    let text = client
        .file_raw(&by_path, ".gitlab/signoff.yml", "main")
        .await
        .unwrap();
    assert_eq!(text.as_deref(), Some("version: 1\n"));
    let paths: Vec<_> = fake.requests().into_iter().map(|r| r.raw_path).collect();
    assert_eq!(
        paths,
        [
            "/api/v4/projects/platform%2Fpayments%2Fapi/merge_requests/3",
            "/api/v4/projects/platform%2Fpayments%2Fapi/repository/files/.gitlab%2Fsignoff.yml/raw",
        ]
    );
    assert_eq!(fake.requests()[1].query, "ref=main");
}

#[tokio::test]
async fn a_missing_policy_file_is_none_but_a_missing_project_is_an_error() {
    let (fake, client) = setup().await;
    fake.commit_file(PROJECT, "feature", ".gitlab/signoff.yml", "version: 1\n");
    assert_eq!(
        client
            .file_raw(&id(), ".gitlab/signoff.yml", "main")
            .await
            .unwrap(),
        None,
        "the file exists only on another branch"
    );
    let err = client
        .file_raw(
            &ProjectId::Path("nope/nope".to_owned()),
            ".gitlab/signoff.yml",
            "main",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::NotFound(_)), "{err}");
}

#[tokio::test]
async fn lists_are_read_to_the_end_through_link_headers() {
    let (fake, client) = setup().await;
    fake.with(|s| s.max_page = 100);
    fake.open_mr(PROJECT, 1, "alice", "abc", &[]);
    for i in 0..250 {
        fake.note(PROJECT, 1, "bob", &format!("note {i}"));
    }
    let notes = client.notes(&id(), 1).await.unwrap();
    assert_eq!(notes.len(), 250);
    assert_eq!(notes[0].body, "note 0", "oldest first");
    assert_eq!(notes[249].body, "note 249");
    let queries: Vec<_> = fake.requests().into_iter().map(|r| r.query).collect();
    assert_eq!(queries.len(), 3, "{queries:?}");
    assert!(queries[0].contains("per_page=100"), "{queries:?}");
    assert!(queries[0].contains("sort=asc") && queries[0].contains("order_by=created_at"));
    assert!(queries[2].contains("page=3"), "{queries:?}");
}

#[tokio::test]
async fn lists_are_read_to_the_end_through_x_next_page() {
    let (fake, client) = setup().await;
    fake.with(|s| {
        s.max_page = 2;
        s.paging = Paging::NextPageHeader;
    });
    for i in 0..5 {
        fake.add_member(PROJECT, &format!("dev{i}"), 30);
    }
    let members = client.project_members(&id()).await.unwrap();
    assert_eq!(members.len(), 5);
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_list_that_stops_before_its_total_is_an_error() {
    let (fake, client) = setup().await;
    fake.with(|s| {
        s.max_page = 2;
        s.paging = Paging::StopsEarly;
    });
    for i in 0..5 {
        fake.add_member(PROJECT, &format!("dev{i}"), 30);
    }
    let err = client.project_members(&id()).await.unwrap_err();
    assert!(matches!(err, ApiError::Incomplete(_)), "{err}");
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let (fake, client) = setup().await;
    fake.with(|s| {
        s.max_page = 2;
        s.paging = Paging::ForeignNextLink;
    });
    for i in 0..5 {
        fake.add_member(PROJECT, &format!("dev{i}"), 30);
    }
    let err = client.project_members(&id()).await.unwrap_err();
    assert!(matches!(err, ApiError::Incomplete(_)), "{err}");
    assert_eq!(
        fake.requests().len(),
        1,
        "the token never leaves for the other host"
    );
}

#[tokio::test]
async fn diffs_are_read_across_pages_when_complete() {
    let (fake, client) = setup().await;
    fake.with(|s| s.max_page = 100);
    let names = files(230);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    fake.open_mr(PROJECT, 2, "alice", "abc", &refs);
    let mr = client.merge_request(&id(), 2).await.unwrap();
    let diffs = client.changed_files(&id(), &mr).await.unwrap();
    assert_eq!(diffs.len(), 230);
    assert_eq!(diffs[229].new_path, "src/f229.rs");
}

#[tokio::test]
async fn truncated_diffs_fail_closed() {
    let (fake, client) = setup().await;
    fake.open_mr(PROJECT, 2, "alice", "abc", &["a.rs", "b.rs"]);
    // GitLab stopped counting: the list cannot be complete.
    fake.project_mut(PROJECT, |p| {
        p.merge_requests.get_mut(&2).unwrap().changes_count = Some("1000+".to_owned())
    });
    let mr = client.merge_request(&id(), 2).await.unwrap();
    let err = client.changed_files(&id(), &mr).await.unwrap_err();
    assert!(matches!(err, ApiError::Incomplete(_)), "{err}");
    // Fewer files listed than counted.
    fake.project_mut(PROJECT, |p| {
        p.merge_requests.get_mut(&2).unwrap().changes_count = Some("3".to_owned())
    });
    let mr = client.merge_request(&id(), 2).await.unwrap();
    let err = client.changed_files(&id(), &mr).await.unwrap_err();
    assert!(matches!(err, ApiError::Incomplete(_)), "{err}");
}

#[tokio::test]
async fn rate_limits_are_typed_with_the_wait() {
    let (fake, client) = setup().await;
    fake.open_mr(PROJECT, 1, "alice", "abc", &[]);
    fake.fail_next(Failure::RetryAfter(7));
    let err = client.merge_request(&id(), 1).await.unwrap_err();
    assert!(
        matches!(err, ApiError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(7)),
        "{err}"
    );
    assert!(err.is_transient());
    let reset = jiff::Timestamp::now().as_second() + 120;
    fake.fail_next(Failure::RateLimitReset(reset));
    let err = client.merge_request(&id(), 1).await.unwrap_err();
    let ApiError::RateLimited {
        retry_after: Some(wait),
    } = err
    else {
        panic!("{err}")
    };
    assert!((110..=120).contains(&wait.as_secs()), "{wait:?}");
    // The next call goes through.
    assert_eq!(client.merge_request(&id(), 1).await.unwrap().sha, "abc");
}

#[tokio::test]
async fn server_errors_and_unreachable_gitlab_are_retryable() {
    let (fake, client) = setup().await;
    fake.open_mr(PROJECT, 1, "alice", "abc", &[]);
    fake.fail_next(Failure::Server(502));
    let err = client.merge_request(&id(), 1).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Retryable(_)) && err.is_transient(),
        "{err}"
    );
    assert_eq!(client.merge_request(&id(), 1).await.unwrap().sha, "abc");
    // Nothing listens on this port any more.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let offline = GitLabClient::new(
        &format!("http://{closed}/api/v4"),
        Auth::PrivateToken(Secret::new(TOKEN)),
    )
    .unwrap();
    let err = offline.merge_request(&id(), 1).await.unwrap_err();
    assert!(matches!(err, ApiError::Retryable(_)), "{err}");
}

#[tokio::test]
async fn a_page_failing_mid_list_fails_the_list() {
    let (fake, client) = setup().await;
    fake.with(|s| s.max_page = 1);
    fake.add_member(PROJECT, "a", 30);
    fake.add_member(PROJECT, "b", 30);
    fake.with(|s| s.fail_at.insert(2, Failure::Server(503)));
    let err = client.project_members(&id()).await.unwrap_err();
    assert!(matches!(err, ApiError::Retryable(_)), "{err}");
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn wrong_or_missing_rights_are_typed() {
    let (fake, _) = setup().await;
    let bad = GitLabClient::new(&fake.api_url(), Auth::PrivateToken(Secret::new("nope"))).unwrap();
    let err = bad.merge_request(&id(), 1).await.unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized), "{err}");
    let good = GitLabClient::new(&fake.api_url(), Auth::Bearer(Secret::new(TOKEN))).unwrap();
    let err = good.merge_request(&id(), 404).await.unwrap_err();
    assert!(matches!(err, ApiError::NotFound(_)), "{err}");
    assert!(!err.is_transient());
}

#[tokio::test]
async fn etags_save_unchanged_answers() {
    let (fake, client) = setup().await;
    fake.open_mr(PROJECT, 1, "alice", "abc", &[]);
    client.merge_request(&id(), 1).await.unwrap();
    let again = client.merge_request(&id(), 1).await.unwrap();
    assert_eq!(again.sha, "abc");
    assert_eq!(
        client
            .counts()
            .not_modified
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    fake.push(PROJECT, 1, "def");
    assert_eq!(client.merge_request(&id(), 1).await.unwrap().sha, "def");
}

#[tokio::test]
async fn cached_pages_keep_their_pagination() {
    let (fake, client) = setup().await;
    fake.with(|s| s.max_page = 2);
    for i in 0..5 {
        fake.add_member(PROJECT, &format!("dev{i}"), 30);
    }
    assert_eq!(client.project_members(&id()).await.unwrap().len(), 5);
    // Every page now answers 304; the list must still be whole.
    assert_eq!(client.project_members(&id()).await.unwrap().len(), 5);
}

#[tokio::test]
async fn status_post_body_is_as_documented() {
    let (fake, client) = setup().await;
    let long = "x".repeat(400);
    let status = NewStatus::new(
        StatusState::Pending,
        "signoff",
        &long,
        Some("https://signoff.example/details/1/sig".to_owned()),
    );
    let posted = client.set_status(&id(), "abc123", &status).await.unwrap();
    assert_eq!(posted.status, StatusState::Pending);
    let req = fake.requests().pop().unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.raw_path, "/api/v4/projects/42/statuses/abc123");
    let body = req.body.unwrap();
    assert_eq!(body["state"], "pending");
    assert_eq!(body["name"], "signoff");
    assert_eq!(body["target_url"], "https://signoff.example/details/1/sig");
    assert_eq!(body["description"].as_str().unwrap().chars().count(), 255);
    assert!(body.get("ref").is_none(), "no ref unless given");
    // The same state again is refused by GitLab and typed, not a failure to post.
    let err = client
        .set_status(&id(), "abc123", &status)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::StatusUnchanged(_)), "{err}");
    let mut on_branch = NewStatus::new(StatusState::Success, "signoff", "Approved", None);
    on_branch.git_ref = Some("feature-1".to_owned());
    client
        .set_status(&id(), "abc123", &on_branch)
        .await
        .unwrap();
    let body = fake.requests().pop().unwrap().body.unwrap();
    assert_eq!(body["ref"], "feature-1");
    assert_eq!(body["state"], "success");
    let shown = client.commit_statuses(&id(), "abc123").await.unwrap();
    assert_eq!(shown.len(), 2);
    assert_eq!(shown[1].name, "signoff");
    assert_eq!(shown[1].status, StatusState::Success);
    assert_eq!(shown[0].author.as_ref().unwrap().username, "signoff-bot");
}

#[tokio::test]
async fn blocked_deployments_are_listed_and_answered() {
    let (fake, client) = setup().await;
    let dep = fake.block_deployment(PROJECT, "production", "abc");
    fake.block_deployment(PROJECT, "staging", "abc");
    let blocked = client
        .deployments(&id(), Some("production"), Some(DeploymentStatus::Blocked))
        .await
        .unwrap();
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0].id, dep);
    assert!(
        fake.requests()
            .last()
            .unwrap()
            .query
            .contains("environment=production&status=blocked")
    );
    client
        .answer_deployment(
            &id(),
            dep,
            &NewDeploymentApproval {
                status: ApprovalDecision::Approved,
                comment: "signoff: approved by bob. Details: https://signoff.example/d/1"
                    .to_owned(),
            },
        )
        .await
        .unwrap();
    let req = fake.requests().pop().unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.raw_path,
        format!("/api/v4/projects/42/deployments/{dep}/approval")
    );
    assert_eq!(
        req.body.unwrap(),
        json!({"status": "approved", "comment": "signoff: approved by bob. Details: https://signoff.example/d/1"})
    );
    let d = client.deployment(&id(), dep).await.unwrap();
    assert_eq!(d.approvals.len(), 1);
    assert_eq!(d.approvals[0].status, ApprovalDecision::Approved);
    assert_eq!(d.environment.unwrap().name, "production");
    let envs = client.environments(&id()).await.unwrap();
    let names: Vec<_> = envs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["production", "staging"]);
}

#[tokio::test]
async fn approvals_with_times_and_directory() {
    let (fake, client) = setup().await;
    fake.open_mr(PROJECT, 1, "alice", "abc", &[]);
    fake.add_member(PROJECT, "bob", 30);
    fake.add_member(PROJECT, "rita", 20);
    fake.with(|s| {
        s.groups.insert(
            "platform/security".to_owned(),
            vec![("sam".to_owned(), 40), ("guest".to_owned(), 10)],
        )
    });
    fake.approve(PROJECT, 1, "bob");
    fake.note(PROJECT, 1, "eve", "approved this merge request");
    fake.approve(PROJECT, 1, "rita");
    fake.unapprove(PROJECT, 1, "rita");
    let now: Vec<_> = client
        .approvals(&id(), 1)
        .await
        .unwrap()
        .approved_by
        .into_iter()
        .map(|a| a.user.username)
        .collect();
    assert_eq!(now, ["bob"]);
    let events = approval_events(&client.notes(&id(), 1).await.unwrap());
    let seen: Vec<_> = events
        .iter()
        .map(|e| (e.username.as_str(), e.kind))
        .collect();
    assert_eq!(
        seen,
        [
            ("bob", ApprovalKind::Approved),
            ("rita", ApprovalKind::Approved),
            ("rita", ApprovalKind::Unapproved)
        ],
        "eve's comment is not an approval"
    );
    assert!(events[0].at < events[1].at);
    assert_eq!(
        approvers(&client.project_members(&id()).await.unwrap()),
        ["bob"]
    );
    assert_eq!(
        approvers(&client.group_members("platform/security").await.unwrap()),
        ["sam"]
    );
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.raw_path == "/api/v4/groups/platform%2Fsecurity/members/all")
    );
}

#[tokio::test]
async fn commit_authors_resolve_through_public_emails_only() {
    let (fake, client) = setup().await;
    fake.open_mr(PROJECT, 1, "alice", "abc", &[]);
    fake.with(|s| {
        s.users
            .push(("alice".to_owned(), "alice@example.com".to_owned()))
    });
    let commits = client.merge_request_commits(&id(), 1).await.unwrap();
    assert_eq!(commits[0].author_email, "alice@example.com");
    assert_eq!(
        client
            .user_by_public_email("alice@example.com")
            .await
            .unwrap()
            .as_deref(),
        Some("alice")
    );
    assert_eq!(
        client
            .user_by_public_email("ghost@example.com")
            .await
            .unwrap(),
        None
    );
}

/// A merge request whose diff GitLab is still computing has no `changes_count` and an
/// empty `/diffs`: reading that as "no files changed" would let path rules exempt it.
#[tokio::test]
async fn changes_not_yet_computed_are_retried_not_read_as_none() {
    let (fake, client) = setup().await;
    fake.open_mr(PROJECT, 2, "alice", "abc", &["deploy/prod.yml"]);
    fake.project_mut(PROJECT, |p| {
        p.merge_requests.get_mut(&2).unwrap().preparing = true
    });
    let mr = client.merge_request(&id(), 2).await.unwrap();
    assert_eq!(mr.changes_count, None);
    let err = client.changed_files(&id(), &mr).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
}

/// reqwest drops `Authorization` on a redirect to another host but not `PRIVATE-TOKEN`:
/// a redirect off the configured GitLab must not carry the bot's token.
#[tokio::test]
async fn the_token_never_follows_a_redirect_to_another_host() {
    let (fake, client) = setup().await;
    let thief = FakeGitLab::start().await;
    fake.open_mr(PROJECT, 1, "alice", "abc", &[]);
    fake.fail_next(Failure::Redirect(format!(
        "{}/projects/42/merge_requests/1",
        thief.api_url()
    )));
    let result = client.merge_request(&id(), 1).await;
    assert!(result.is_err(), "{result:?}");
    assert!(thief.requests().is_empty(), "{:?}", thief.requests());
}
