//! Webhook deliveries built from GitLab's documented payloads (tests/fixtures/gitlab),
//! adjusted to the fake's state (project, merge request, head, users) and signed the way
//! GitLab signs them. The harness of the wiring delivers these to `/webhooks/gitlab`.

use super::fake::FakeGitLab;
use http::{HeaderMap, HeaderValue};
use jiff::Timestamp;
use serde_json::{Value, json};
use signoff_bot::config::Secret;
use signoff_bot::forges::gitlab::settings::{SigningKey, WebhookAuth};
use signoff_bot::forges::gitlab::verify;

pub const WEBHOOK_TOKEN: &str = "hook-token";
pub const SIGNING_TOKEN: &str = "whsec_c2lnbm9mZi10ZXN0LXNpZ25pbmcta2V5";

pub fn auth() -> WebhookAuth {
    WebhookAuth {
        tokens: vec![Secret::new(WEBHOOK_TOKEN)],
        signing_key: Some(SigningKey::parse(SIGNING_TOKEN).unwrap()),
    }
}

/// A signed delivery: headers and raw body.
pub struct Hook {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../tests/fixtures/gitlab/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn sign(event: &str, body: Value, delivery: &str, now: Timestamp) -> Hook {
    let body = serde_json::to_vec(&body).unwrap();
    let key = SigningKey::parse(SIGNING_TOKEN).unwrap();
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
    };
    set("x-gitlab-event", event.to_owned());
    set("x-gitlab-token", WEBHOOK_TOKEN.to_owned());
    // GitLab sends the `Idempotency-Key`'s value as the signed `webhook-id` too.
    set("idempotency-key", delivery.to_owned());
    set("webhook-id", delivery.to_owned());
    set("webhook-timestamp", now.as_second().to_string());
    set(
        "webhook-signature",
        verify::sign(&key, delivery, now.as_second(), &body),
    );
    Hook { headers, body }
}

/// Any body, tokened and signed now.
pub fn signed(event: &str, body: &Value, delivery: &str) -> Hook {
    sign(event, body.clone(), delivery, Timestamp::now())
}

fn project_json(fake: &FakeGitLab, project: u64) -> Value {
    let path = fake.with(|s| s.projects[&project].path.clone());
    json!({
        "id": project,
        "path_with_namespace": path,
        "default_branch": "main",
        "web_url": format!("http://gitlab.test/{path}")
    })
}

/// Merge Request Hook for the fake's merge request; `oldrev` makes an `update` a push.
pub fn merge_request(
    fake: &FakeGitLab,
    project: u64,
    iid: u64,
    action: &str,
    actor: &str,
    oldrev: Option<&str>,
    delivery: &str,
) -> Hook {
    let (sha, target) = fake.with(|s| {
        let mr = &s.projects[&project].merge_requests[&iid];
        (mr.sha.clone(), mr.target_branch.clone())
    });
    let mut v = fixture("merge_request.open.json");
    v["project"] = project_json(fake, project);
    v["user"]["username"] = json!(actor);
    let attrs = &mut v["object_attributes"];
    attrs["iid"] = json!(iid);
    attrs["action"] = json!(action);
    attrs["target_branch"] = json!(target);
    attrs["last_commit"]["id"] = json!(sha);
    // When the change happened, on the fake's clock (the times of its notes).
    attrs["updated_at"] = json!(fake.clock());
    if let Some(rev) = oldrev {
        attrs["oldrev"] = json!(rev);
    }
    // The documented example's `changes` (a label swap among them) are not what the
    // fake changed; a test that changes an attribute names it (`relabeled`).
    v["changes"] = json!({});
    v["labels"] = labels_json(fake, project, iid);
    sign("Merge Request Hook", v, delivery, Timestamp::now())
}

/// A label as hooks show it (GitLab's documented label object), for the fake's names.
fn label_json(project: u64, title: &str) -> Value {
    json!({
        "id": 200 + title.len(),
        "title": title,
        "color": "#ffffff",
        "project_id": project,
        "created_at": "2013-12-03T17:15:43Z",
        "updated_at": "2013-12-03T17:15:43Z",
        "template": false,
        "description": null,
        "type": "ProjectLabel",
        "group_id": null
    })
}

fn labels_json(fake: &FakeGitLab, project: u64, iid: u64) -> Value {
    let titles = fake.with(|s| s.projects[&project].merge_requests[&iid].labels.clone());
    titles.iter().map(|t| label_json(project, t)).collect()
}

/// Merge Request Hook `update` for labels changed on the fake's merge request from
/// `previous` to what it holds now: `changes.labels.previous/current`, as GitLab sends it.
pub fn relabeled(
    fake: &FakeGitLab,
    project: u64,
    iid: u64,
    previous: &[&str],
    actor: &str,
    delivery: &str,
) -> Hook {
    let hook = merge_request(fake, project, iid, "update", actor, None, delivery);
    let mut v: Value = serde_json::from_slice(&hook.body).unwrap();
    let previous: Vec<Value> = previous.iter().map(|t| label_json(project, t)).collect();
    v["changes"] = json!({
        "labels": {"previous": previous, "current": labels_json(fake, project, iid)}
    });
    signed("Merge Request Hook", &v, delivery)
}

/// Note Hook for a note the fake holds on a merge request.
pub fn note(fake: &FakeGitLab, project: u64, iid: u64, note_id: u64, delivery: &str) -> Hook {
    let (note, sha) = fake.with(|s| {
        let mr = &s.projects[&project].merge_requests[&iid];
        let note = mr
            .notes
            .iter()
            .find(|n| n["id"] == note_id)
            .unwrap()
            .clone();
        (note, mr.sha.clone())
    });
    let mut v = fixture("note.merge_request.json");
    v["project"] = project_json(fake, project);
    v["project_id"] = json!(project);
    v["user"]["username"] = note["author"]["username"].clone();
    let attrs = &mut v["object_attributes"];
    attrs["id"] = json!(note_id);
    attrs["note"] = note["body"].clone();
    attrs["created_at"] = note["created_at"].clone();
    attrs["updated_at"] = note["updated_at"].clone();
    attrs["system"] = note["system"].clone();
    v["merge_request"]["iid"] = json!(iid);
    v["merge_request"]["last_commit"]["id"] = json!(sha);
    sign("Note Hook", v, delivery, Timestamp::now())
}

/// Deployment Hook for a deployment the fake holds, with its current status.
pub fn deployment(fake: &FakeGitLab, project: u64, deployment_id: u64, delivery: &str) -> Hook {
    let d = fake.with(|s| s.projects[&project].deployments[&deployment_id].clone());
    let mut v = fixture("deployment.success.json");
    v["project"] = project_json(fake, project);
    v["deployment_id"] = json!(deployment_id);
    v["deployable_id"] = d["deployable"]["id"].clone();
    v["environment"] = d["environment"]["name"].clone();
    v["status"] = d["status"].clone();
    v["commit_url"] = json!(format!(
        "http://gitlab.test/{}/-/commit/{}",
        v["project"]["path_with_namespace"].as_str().unwrap(),
        d["sha"].as_str().unwrap()
    ));
    v["short_sha"] = json!(
        d["sha"]
            .as_str()
            .unwrap()
            .chars()
            .take(8)
            .collect::<String>()
    );
    sign("Deployment Hook", v, delivery, Timestamp::now())
}

/// Pipeline Hook of a pipeline on `sha` whose job `deploy` waits to deploy to
/// `environment` (GitLab's documented payload, its builds cut to that job).
pub fn pipeline(
    fake: &FakeGitLab,
    project: u64,
    sha: &str,
    environment: &str,
    delivery: &str,
) -> Hook {
    let mut v = fixture("pipeline.json");
    v["project"] = project_json(fake, project);
    v["object_attributes"]["sha"] = json!(sha);
    v["object_attributes"]["status"] = json!("manual");
    let mut build = v["builds"][0].clone();
    build["name"] = json!("deploy");
    build["status"] = json!("manual");
    build["manual"] = json!(true);
    build["environment"] = json!({"name": environment, "action": "start"});
    v["builds"] = json!([build]);
    sign("Pipeline Hook", v, delivery, Timestamp::now())
}

/// Pipeline Hook for pipeline `id` of the fake as it is now (GitLab sends one whenever
/// a pipeline is created or its status changes): its id, commit, ref, source and status,
/// its merge request for a merge request pipeline, no deployment job.
pub fn pipeline_of(fake: &FakeGitLab, project: u64, id: u64, delivery: &str) -> Hook {
    let mut v = fixture("pipeline.json");
    v["project"] = project_json(fake, project);
    let (pipeline, iid) = fake.with(|s| {
        let p = &s.projects[&project];
        let pipeline = p.pipelines[&id].clone();
        let mr_ref = pipeline
            .git_ref
            .strip_prefix("refs/merge-requests/")
            .and_then(|rest| rest.strip_suffix("/head"))
            .and_then(|iid| iid.parse::<u64>().ok());
        (p.pipeline_json(&pipeline), mr_ref)
    });
    for field in ["id", "sha", "ref", "source", "status"] {
        v["object_attributes"][field] = pipeline[field].clone();
    }
    v["object_attributes"]["before_sha"] = pipeline["sha"].clone();
    match iid {
        Some(iid) => v["merge_request"]["iid"] = json!(iid),
        None => v["merge_request"] = Value::Null,
    }
    v["builds"] = json!([]);
    sign("Pipeline Hook", v, delivery, Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use signoff_bot::forges::gitlab::intake::accept;
    use signoff_bot::forges::gitlab::payloads::{
        DeploymentStatus, GitLabEvent, MergeRequestAction, NoteAction,
    };

    const PROJECT: u64 = 77;

    async fn fake() -> FakeGitLab {
        let fake = FakeGitLab::start().await;
        fake.add_project(PROJECT, "org/team/service");
        fake.open_mr(PROJECT, 4, "alice", "aaa111", &["src/lib.rs"]);
        fake
    }

    #[tokio::test]
    async fn a_push_hook_names_the_new_head_of_a_nested_group_project() {
        let fake = fake().await;
        fake.push(PROJECT, 4, "bbb222");
        let hook = merge_request(&fake, PROJECT, 4, "update", "alice", Some("aaa111"), "d1");
        let d = accept(&auth(), &hook.headers, &hook.body, Timestamp::now()).unwrap();
        let GitLabEvent::MergeRequest(e) = d.event else {
            panic!("{:?}", d.event)
        };
        assert_eq!(e.project.path_with_namespace, "org/team/service");
        assert_eq!((e.iid, e.head_sha.as_str(), e.pushed), (4, "bbb222", true));
        assert_eq!(e.action, MergeRequestAction::Update);
    }

    #[tokio::test]
    async fn a_note_hook_carries_the_fake_note() {
        let fake = fake().await;
        let id = fake.note(PROJECT, 4, "bob", "/approve");
        let hook = note(&fake, PROJECT, 4, id, "d2");
        let d = accept(&auth(), &hook.headers, &hook.body, Timestamp::now()).unwrap();
        let GitLabEvent::Note(e) = d.event else {
            panic!("{:?}", d.event)
        };
        assert_eq!((e.note_id, e.author.as_str()), (id, "bob"));
        assert_eq!(e.action, NoteAction::Create);
        assert_eq!(e.head_sha.as_deref(), Some("aaa111"));
        assert!(e.created_at.is_some());
    }

    #[tokio::test]
    async fn a_deployment_hook_reports_a_blocked_deployment() {
        let fake = fake().await;
        let dep = fake.block_deployment(PROJECT, "production", "aaa111");
        let hook = deployment(&fake, PROJECT, dep, "d3");
        let d = accept(&auth(), &hook.headers, &hook.body, Timestamp::now()).unwrap();
        let GitLabEvent::Deployment(e) = d.event else {
            panic!("{:?}", d.event)
        };
        assert_eq!(e.deployment_id, dep);
        assert_eq!(e.environment, "production");
        assert_eq!(e.status, DeploymentStatus::Blocked);
    }
}
