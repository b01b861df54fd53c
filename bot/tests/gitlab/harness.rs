//! The bot in-process against the fake GitLab, driven with domain verbs. Each verb
//! changes the fake's state, then delivers the webhook GitLab would send (GitLab's
//! documented payloads from tests/fixtures/gitlab, adjusted, tokened and signed).

use super::fake::{FakeGitLab, TOKEN};
use super::hooks::{self, Hook, SIGNING_TOKEN, WEBHOOK_TOKEN};
use crate::common::bot_setup::{self, TestBot};
use signoff_bot::config::{Config, Secret, Secrets};

pub const PROJECT: u64 = 77;
/// A project in a nested group: the path is `namespace/name` with a `/` in the namespace.
pub const PATH: &str = "org/team/service";
pub const POLICY: &str = ".gitlab/signoff.yml";
pub const TWO_APPROVALS: &str = "version: 1\npolicies:\n  two:\n    requires:\n      - any: 2\napply:\n  - policies: [two]\n    to: pull_request\n";

pub struct Harness {
    pub fake: FakeGitLab,
    under_test: TestBot,
}

// `h.config`, `h.bot()`, `h.stop_bot()`: the bot under test, as for GitHub.
bot_setup::reaches_the_bot_under_test!(Harness, under_test);

impl Harness {
    /// A fake GitLab with project org/team/service (policy: two approvals on merge
    /// requests; Developers alice, bob, carol, dave; Reporter rita) and the bot on a
    /// fresh database.
    pub async fn new() -> Harness {
        Harness::with(|_| {}).await
    }

    pub async fn with(tweak: impl FnOnce(&mut Config)) -> Harness {
        let fake = FakeGitLab::start().await;
        // Times a day back, one minute per verb: in the past, and in order.
        fake.with(|s| s.clock = jiff::Timestamp::now().as_second() - 86_400);
        fake.add_project(PROJECT, PATH);
        for user in ["alice", "bob", "carol", "dave", "erin"] {
            fake.add_member(PROJECT, user, 30);
        }
        fake.add_member(PROJECT, "rita", 20);
        fake.add_member(PROJECT, "signoff-bot", 40);
        fake.commit_file(PROJECT, "main", POLICY, TWO_APPROVALS);
        let dir = tempfile::tempdir().unwrap();
        let mut config = bot_setup::config(dir.path()).await;
        config.gitlab.api_url = fake.api_url();
        config.gitlab.webhook_token = Secrets::new(["old-token", WEBHOOK_TOKEN]);
        config.gitlab.signing_token = Some(Secret::new(SIGNING_TOKEN));
        config.gitlab.token = Some(Secret::new(TOKEN));
        // Tests change members between events too.
        config.cache.ttl_secs = 0;
        tweak(&mut config);
        Harness {
            fake,
            under_test: TestBot::start(dir, config).await,
        }
    }

    /// Posts a delivery to `/webhooks/gitlab`; returns status and text.
    pub async fn post(&self, hook: &Hook) -> (u16, String) {
        let mut req = http::Request::post(format!("{}/webhooks/gitlab", self.url()))
            .header("content-type", "application/json");
        for (name, value) in &hook.headers {
            req = req.header(name, value);
        }
        let req = req
            .body(http_body_util::Full::new(bytes::Bytes::from(
                hook.body.clone(),
            )))
            .unwrap();
        self.send(req).await
    }

    /// Posts and expects the delivery queued.
    pub async fn deliver(&self, hook: Hook) {
        let (status, text) = self.post(&hook).await;
        assert_eq!(status, 202, "{text}");
    }

    // ---- domain verbs ----

    pub fn set_policy(&self, branch: &str, text: &str) {
        self.fake.commit_file(PROJECT, branch, POLICY, text);
    }

    pub async fn open_mr(&self, iid: u64, author: &str, head: &str) {
        self.open_mr_into(iid, author, head, "main").await;
    }

    pub async fn open_mr_into(&self, iid: u64, author: &str, head: &str, target: &str) {
        self.fake
            .open_mr(PROJECT, iid, author, head, &["src/lib.rs"]);
        self.fake.project_mut(PROJECT, |p| {
            p.merge_requests.get_mut(&iid).unwrap().target_branch = target.to_owned();
        });
        let d = self.delivery();
        self.deliver(hooks::merge_request(
            &self.fake, PROJECT, iid, "open", author, None, &d,
        ))
        .await;
    }

    pub async fn approve(&self, iid: u64, user: &str) {
        self.fake.approve(PROJECT, iid, user);
        let d = self.delivery();
        self.deliver(hooks::merge_request(
            &self.fake, PROJECT, iid, "approval", user, None, &d,
        ))
        .await;
    }

    pub async fn note(&self, iid: u64, user: &str, body: &str) -> u64 {
        let id = self.fake.note(PROJECT, iid, user, body);
        let d = self.delivery();
        self.deliver(hooks::note(&self.fake, PROJECT, iid, id, &d))
            .await;
        id
    }

    /// `editor` edits note `id`; GitLab sends a Note Hook with action `update`.
    pub async fn edit_note(&self, iid: u64, id: u64, editor: &str, body: &str) {
        self.fake.edit_note(PROJECT, iid, id, editor, body);
        let d = self.delivery();
        let hook = hooks::note(&self.fake, PROJECT, iid, id, &d);
        let mut v: serde_json::Value = serde_json::from_slice(&hook.body).unwrap();
        v["object_attributes"]["action"] = serde_json::json!("update");
        v["user"]["username"] = serde_json::json!(editor);
        self.deliver(hooks::signed("Note Hook", &v, &d)).await;
    }

    pub async fn push(&self, iid: u64, head: &str) {
        let old = self
            .fake
            .with(|s| s.projects[&PROJECT].merge_requests[&iid].sha.clone());
        self.fake.push(PROJECT, iid, head);
        let d = self.delivery();
        let author = self
            .fake
            .with(|s| s.projects[&PROJECT].merge_requests[&iid].author.clone());
        self.deliver(hooks::merge_request(
            &self.fake,
            PROJECT,
            iid,
            "update",
            &author,
            Some(&old),
            &d,
        ))
        .await;
    }

    /// A deployment to `environment` of `sha` waits for approval on a protected
    /// environment; GitLab sends the Deployment Hook with status `blocked`.
    pub async fn block_deployment(&self, environment: &str, sha: &str) -> u64 {
        let id = self.fake.block_deployment(PROJECT, environment, sha);
        let d = self.delivery();
        self.deliver(hooks::deployment(&self.fake, PROJECT, id, &d))
            .await;
        id
    }

    /// A person approves or rejects a blocked deployment; GitLab sends no hook while
    /// the deployment stays blocked (the bot's timer looks again).
    pub fn review_deployment(&self, id: u64, user: &str, approved: bool) {
        let at = self.fake.with(|s| {
            s.clock += 60;
            jiff::Timestamp::from_second(s.clock).unwrap().to_string()
        });
        self.fake.project_mut(PROJECT, |p| {
            let d = p.deployments.get_mut(&id).unwrap();
            d["approvals"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({
                    "user": {"id": 5, "username": user, "name": user, "state": "active"},
                    "status": if approved { "approved" } else { "rejected" },
                    "created_at": at,
                    "comment": null
                }));
        });
    }

    /// The deployment as the fake holds it.
    pub fn deployment(&self, id: u64) -> serde_json::Value {
        self.fake
            .with(|s| s.projects[&PROJECT].deployments[&id].clone())
    }

    /// Waits until `f` holds (the bot's timer acts on its own), for at most 10 s.
    pub async fn eventually(&self, what: &str, f: impl Fn(&Harness) -> bool) {
        crate::common::eventually(what, || f(self)).await;
    }

    // ---- pipelines (fake/pipelines.rs) ----

    /// A CI pipeline starts on merge request `iid`'s head from `source` (`push`, `web`:
    /// on its source branch; `merge_request_event`: a detached merge request pipeline),
    /// its one job `test` already green; GitLab sends the Pipeline Hook. Returns its id.
    pub async fn run_pipeline(&self, iid: u64, source: &str) -> u64 {
        let (sha, branch) = self.fake.with(|s| {
            let mr = &s.projects[&PROJECT].merge_requests[&iid];
            (mr.sha.clone(), mr.source_branch.clone())
        });
        let git_ref = if source == "merge_request_event" {
            format!("refs/merge-requests/{iid}/head")
        } else {
            branch
        };
        let id = self
            .fake
            .start_pipeline(PROJECT, &sha, &git_ref, source, &[("test", "success")]);
        self.pipeline_changed(id).await;
        id
    }

    /// `user` posts a commit status (`params` as the API takes them) on `sha`; the
    /// pipeline it joins (maybe a new external one) changes and GitLab sends its
    /// Pipeline Hook. Returns that pipeline's id.
    pub async fn post_status_as(&self, user: &str, sha: &str, params: serde_json::Value) -> u64 {
        let status = self.fake.post_status_as(PROJECT, user, sha, params);
        let id = status["pipeline_id"].as_u64().unwrap();
        self.pipeline_changed(id).await;
        id
    }

    /// GitLab sends the Pipeline Hook of pipeline `id`.
    pub async fn pipeline_changed(&self, id: u64) {
        let d = self.delivery();
        self.deliver(hooks::pipeline_of(&self.fake, PROJECT, id, &d))
            .await;
    }

    /// The state of the latest `signoff` in merge request `iid`'s head pipeline, if the
    /// bot posted it (`Some("pending")`), or who else did (`Some("success by mallory")`).
    pub fn head_pipeline_signoff(&self, iid: u64) -> Option<String> {
        self.fake
            .head_pipeline_job(PROJECT, iid, "signoff")
            .map(|(state, by)| {
                if by == "signoff-bot" {
                    state
                } else {
                    format!("{state} by {by}")
                }
            })
    }

    /// Whether "Pipelines must succeed" keeps merge request `iid` from merging.
    pub fn merge_blocked_by_pipeline(&self, iid: u64) -> bool {
        self.fake.merge_blocked_by_pipeline(PROJECT, iid)
    }

    // ---- waiting and looking ----

    /// Waits until no delivery is queued or running; fails on any failed delivery.
    pub async fn settle(&self) {
        self.settle_allowing_failures().await;
        self.assert_no_failures().await;
    }

    /// The project's audit log, as `signoff audit` lists it.
    pub async fn audit(&self) -> Vec<signoff_bot::store::audit::AuditEntry> {
        self.bot()
            .app
            .store
            .list_audit(Some(PATH), None)
            .await
            .unwrap()
    }

    /// The bodies of every commit status the bot posted, in order.
    pub fn status_posts(&self) -> Vec<serde_json::Value> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.raw_path.contains("/statuses/"))
            .filter_map(|r| r.body)
            .collect()
    }

    /// The latest commit status named `name` on `sha`: (status, description).
    pub fn status_named(&self, sha: &str, name: &str) -> Option<(String, String)> {
        self.fake.with(|s| {
            s.projects[&PROJECT].statuses.get(sha).and_then(|all| {
                all.iter().rev().find(|st| st["name"] == name).map(|st| {
                    (
                        st["status"].as_str().unwrap().to_owned(),
                        st["description"].as_str().unwrap_or("").to_owned(),
                    )
                })
            })
        })
    }
}
