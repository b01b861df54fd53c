//! The bot in-process against the fake GitHub, driven with domain verbs. Each verb
//! changes the fake's state, then delivers the webhook GitHub would send (a real
//! payload from tests/fixtures/github, adjusted and signed with the test secret).

use super::fake::{FakeGitHub, Pull};
use crate::common::bot_setup::{self, TestBot};
use serde_json::{Value, json};
use signoff_bot::config::{Config, Secret, Secrets};
use signoff_bot::forges::github::signature::sign_github;
use std::path::PathBuf;

pub const SECRET: &str = "test-secret";
pub const REPO: &str = "acme/app";

pub struct Harness {
    pub fake: FakeGitHub,
    under_test: TestBot,
    /// Added to the wall clock for the times the verbs write (see `advance`).
    clock: std::sync::Mutex<jiff::SignedDuration>,
    /// Set by `freeze`: the verbs write this time (plus `advance`s) instead.
    frozen: std::sync::Mutex<Option<jiff::Timestamp>>,
    /// Where deliveries go instead of the in-process bot (a replica process).
    pub target: std::sync::Mutex<Option<String>>,
}

// `h.config`, `h.bot()`, `h.stop_bot()`: the bot under test, as for GitLab.
bot_setup::reaches_the_bot_under_test!(Harness, under_test);

pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/github")
        .join(format!("{name}.json"));
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

pub const TWO_APPROVALS: &str = "version: 1\npolicies:\n  two:\n    requires:\n      - any: 2\napply:\n  - policies: [two]\n    to: pull_request\n";

pub fn sha(n: u32) -> String {
    format!("{n:0>40x}")
}

impl Harness {
    /// A fake GitHub with repository acme/app (policy: two approvals on pull requests;
    /// writers alice, bob, carol, dave) and the bot on a fresh SQLite file.
    pub async fn new() -> Harness {
        Harness::with(|_| {}).await
    }

    /// The bot as a GitHub App (check runs on), with a fresh test key.
    pub async fn app(tweak: impl FnOnce(&mut Config)) -> Harness {
        let out = std::process::Command::new("openssl")
            .args(["genrsa", "-traditional", "2048"])
            .output()
            .expect("openssl is needed to make a test App key");
        let key = String::from_utf8(out.stdout).unwrap();
        Harness::with(move |c| {
            c.github.token = None;
            c.github.app_id = Some(1234);
            c.github.private_key = Some(signoff_bot::config::Secret::new(key));
            tweak(c);
        })
        .await
    }

    pub async fn with(tweak: impl FnOnce(&mut Config)) -> Harness {
        Harness::on(FakeGitHub::start().await, tweak).await
    }

    /// As `with`, against the given fake GitHub.
    pub async fn on(fake: FakeGitHub, tweak: impl FnOnce(&mut Config)) -> Harness {
        fake.repo(REPO, |r| {
            r.files.insert(
                ("main".into(), ".github/signoff.yml".into()),
                TWO_APPROVALS.into(),
            );
            for u in ["alice", "bob", "carol", "dave"] {
                r.collaborators.insert(u.into(), "write".into());
            }
            r.collaborators.insert("rita".into(), "read".into());
        });
        let dir = tempfile::tempdir().unwrap();
        let mut config = bot_setup::config(dir.path()).await;
        config.github.api_url = fake.url();
        config.github.webhook_secret = Secrets::new(["old-secret", SECRET]);
        config.github.token = Some(Secret::new("ghp_test_token"));
        tweak(&mut config);
        Harness {
            fake,
            under_test: TestBot::start(dir, config).await,
            clock: std::sync::Mutex::new(jiff::SignedDuration::ZERO),
            frozen: std::sync::Mutex::new(None),
            target: std::sync::Mutex::new(None),
        }
    }

    pub fn base(&self) -> String {
        if let Some(target) = self.target.lock().unwrap().clone() {
            return target;
        }
        self.url()
    }

    /// The time the verbs write into the fake and the payloads: the wall clock, moved
    /// on by `advance`, so a scenario can put events in distinct seconds (GitHub's
    /// timestamps have a resolution of one second) without sleeping.
    pub fn now(&self) -> jiff::Timestamp {
        let base = self
            .frozen
            .lock()
            .unwrap()
            .unwrap_or_else(jiff::Timestamp::now);
        let t = base + *self.clock.lock().unwrap();
        jiff::Timestamp::from_second(t.as_second()).unwrap()
    }

    /// Stops the wall clock for the verbs (only `advance` moves it): what a test means
    /// to happen in one second does, however slowly the machine runs it.
    pub fn freeze(&self) {
        *self.frozen.lock().unwrap() = Some(jiff::Timestamp::now());
    }

    pub fn advance(&self, secs: i64) {
        *self.clock.lock().unwrap() += jiff::SignedDuration::from_secs(secs);
    }

    // ---- delivering ----

    /// Posts a body with the given signature header (or none); returns status and text.
    pub async fn post_raw(
        &self,
        event: &str,
        delivery: &str,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> (u16, String) {
        let mut req = http::Request::post(format!("{}/webhooks/github", self.base()))
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header("x-github-hook-id", "4242");
        if let Some(sig) = signature {
            req = req.header("x-hub-signature-256", sig);
        }
        let req = req
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap();
        self.send(req).await
    }

    /// Delivers a payload signed with the test secret under a fresh delivery id.
    pub async fn deliver(&self, event: &str, payload: &Value) -> (u16, String) {
        self.deliver_as(event, &self.delivery(), payload).await
    }

    pub async fn deliver_as(&self, event: &str, delivery: &str, payload: &Value) -> (u16, String) {
        let body = serde_json::to_vec(payload).unwrap();
        let sig = sign_github(SECRET, &body);
        self.post_raw(event, delivery, body, Some(sig)).await
    }

    fn adjust(&self, mut payload: Value) -> Value {
        let (owner, name) = REPO.split_once('/').unwrap();
        payload["repository"]["name"] = json!(name);
        payload["repository"]["full_name"] = json!(REPO);
        payload["repository"]["owner"]["login"] = json!(owner);
        payload["repository"]["default_branch"] = json!("main");
        if self.config.github.app_id.is_some() {
            payload["installation"] =
                json!({ "id": 77, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" });
        } else if let Some(map) = payload.as_object_mut() {
            map.remove("installation");
        }
        payload
    }

    /// The `pull_request` delivery GitHub sends for `action` on pull request `number`.
    pub fn pull_payload(&self, action: &str, number: u64) -> Value {
        let p = self.fake.repo(REPO, |r| r.pulls[&number].clone());
        let fixture_name = match action {
            "opened" | "synchronize" | "reopened" | "labeled" | "ready_for_review" | "closed" => {
                format!("pull_request.{action}")
            }
            _ => "pull_request.labeled".to_owned(),
        };
        let mut payload = fixture(&fixture_name);
        payload["action"] = json!(action);
        payload["number"] = json!(number);
        let pr = &mut payload["pull_request"];
        pr["number"] = json!(number);
        pr["user"]["login"] = json!(p.author);
        pr["head"]["sha"] = json!(p.head_sha);
        pr["head"]["ref"] = json!(p.head_ref);
        pr["base"]["ref"] = json!(p.base_ref);
        pr["updated_at"] = json!(p.updated_at);
        self.adjust(payload)
    }

    // ---- domain verbs ----

    pub fn set_policy(&self, branch: &str, text: &str) {
        self.fake.repo(REPO, |r| {
            r.files
                .insert((branch.into(), ".github/signoff.yml".into()), text.into());
        });
    }

    /// Erin opens pull request `number` at `sha(number)`; alice and bob approve it.
    pub async fn open_and_approve(&self, number: u64) {
        let head = sha(u32::try_from(number).unwrap());
        self.open_pr(number, "erin", &head, &["src/lib.rs"]).await;
        self.review(number, "alice", "APPROVED").await;
        self.review(number, "bob", "APPROVED").await;
        self.settle().await;
    }

    pub async fn open_pr(&self, number: u64, author: &str, head: &str, files: &[&str]) {
        let branch = format!("change-{number}");
        self.open(number, author, head, (&branch, "main"), files)
            .await;
    }

    pub async fn push(&self, number: u64, head: &str, pusher: &str) {
        let now = self.now().to_string();
        self.fake.repo(REPO, |r| {
            let p = r.pulls.get_mut(&number).unwrap();
            p.head_sha = head.into();
            p.updated_at = now;
            if !p.commit_authors.contains(&pusher.to_owned()) {
                p.commit_authors.push(pusher.into());
            }
        });
        let payload = self.pull_payload("synchronize", number);
        assert_eq!(self.deliver("pull_request", &payload).await.0, 202);
    }

    /// Adds a label (GitHub sends `labeled`).
    pub async fn label(&self, number: u64, label: &str) {
        self.fake.repo(REPO, |r| {
            r.pulls.get_mut(&number).unwrap().labels.push(label.into())
        });
        let payload = self.pull_payload("labeled", number);
        assert_eq!(self.deliver("pull_request", &payload).await.0, 202);
    }

    /// Takes a label off (GitHub sends `unlabeled`).
    pub async fn unlabel(&self, number: u64, label: &str) {
        self.fake.repo(REPO, |r| {
            r.pulls
                .get_mut(&number)
                .unwrap()
                .labels
                .retain(|l| l != label)
        });
        let mut payload = self.pull_payload("unlabeled", number);
        payload["label"]["name"] = json!(label);
        assert_eq!(self.deliver("pull_request", &payload).await.0, 202);
    }

    /// Retargets the pull request at another base branch (GitHub sends `edited`).
    pub async fn change_base(&self, number: u64, base: &str) {
        self.fake.repo(REPO, |r| {
            r.pulls.get_mut(&number).unwrap().base_ref = base.into()
        });
        let mut payload = self.pull_payload("edited", number);
        payload["changes"] =
            json!({ "base": { "ref": { "from": "main" }, "sha": { "from": "0" } } });
        assert_eq!(self.deliver("pull_request", &payload).await.0, 202);
    }

    /// A review in state `APPROVED`, `CHANGES_REQUESTED` or `COMMENTED` on the head.
    pub async fn review(&self, number: u64, user: &str, state: &str) {
        self.review_with_body(number, user, state, "").await;
    }

    pub async fn review_with_body(&self, number: u64, user: &str, state: &str, body: &str) {
        let id = self.fake.next_id();
        let now = self.now().to_string();
        let head = self.fake.repo(REPO, |r| {
            let p = r.pulls.get_mut(&number).unwrap();
            p.reviews.push(json!({
                "id": id, "node_id": format!("PRR_{id}"), "user": { "login": user, "id": 1, "type": "User" }, "body": body, "state": state,
                "commit_id": p.head_sha, "submitted_at": now, "author_association": "MEMBER",
            }));
            p.head_sha.clone()
        });
        self.deliver_review(number, id, user, state, &head).await;
    }

    /// Delivers `user`'s latest review of the pull request once more, under a fresh
    /// delivery id: a delivery that tells the bot nothing new.
    pub async fn redeliver_review(&self, number: u64, user: &str) {
        let review = self.fake.repo(REPO, |r| {
            r.pulls[&number]
                .reviews
                .iter()
                .rev()
                .find(|r| r["user"]["login"] == user)
                .cloned()
                .unwrap()
        });
        self.deliver_review(
            number,
            review["id"].as_u64().unwrap(),
            user,
            review["state"].as_str().unwrap(),
            review["commit_id"].as_str().unwrap(),
        )
        .await;
    }

    async fn deliver_review(&self, number: u64, id: u64, user: &str, state: &str, head: &str) {
        let fixture_name = if state == "APPROVED" {
            "pull_request_review.submitted.approved"
        } else {
            "pull_request_review.submitted"
        };
        let mut payload = fixture(fixture_name);
        payload["pull_request"]["number"] = json!(number);
        payload["review"]["id"] = json!(id);
        payload["review"]["user"]["login"] = json!(user);
        payload["review"]["state"] = json!(state.to_lowercase());
        payload["review"]["commit_id"] = json!(head);
        let payload = self.adjust(payload);
        assert_eq!(self.deliver("pull_request_review", &payload).await.0, 202);
    }

    /// `editor` rewrites the body of `author`'s latest review (GitHub sends
    /// `pull_request_review` `edited`).
    pub async fn edit_review(&self, number: u64, author: &str, editor: &str, body: &str) {
        let now = self.now().to_string();
        let (review, previous) = self.fake.repo(REPO, |r| {
            let p = r.pulls.get_mut(&number).unwrap();
            let review = p
                .reviews
                .iter_mut()
                .rev()
                .find(|rv| rv["user"]["login"] == author)
                .unwrap();
            let previous = review["body"].clone();
            review["body"] = json!(body);
            (review.clone(), previous)
        });
        self.fake
            .edited(review["node_id"].as_str().unwrap(), editor, &now);
        let mut payload = fixture("pull_request_review.submitted");
        payload["action"] = json!("edited");
        payload["pull_request"]["number"] = json!(number);
        payload["review"]["id"] = review["id"].clone();
        payload["review"]["node_id"] = review["node_id"].clone();
        payload["review"]["user"]["login"] = json!(author);
        payload["review"]["body"] = json!(body);
        payload["review"]["state"] = json!(review["state"].as_str().unwrap().to_lowercase());
        payload["review"]["commit_id"] = review["commit_id"].clone();
        payload["sender"]["login"] = json!(editor);
        payload["changes"] = json!({ "body": { "from": previous } });
        let payload = self.adjust(payload);
        assert_eq!(self.deliver("pull_request_review", &payload).await.0, 202);
    }

    pub async fn dismiss_review(&self, number: u64, user: &str) {
        self.fake.repo(REPO, |r| {
            let p = r.pulls.get_mut(&number).unwrap();
            for review in p
                .reviews
                .iter_mut()
                .filter(|rv| rv["user"]["login"] == user)
            {
                review["state"] = json!("DISMISSED");
            }
        });
        let mut payload = fixture("pull_request_review.dismissed");
        payload["pull_request"]["number"] = json!(number);
        let payload = self.adjust(payload);
        assert_eq!(self.deliver("pull_request_review", &payload).await.0, 202);
    }

    /// Writes a comment; returns its id.
    pub async fn comment(&self, number: u64, user: &str, body: &str) -> u64 {
        let id = self.fake.next_id();
        let now = self.now().to_string();
        let comment = json!({
            "id": id, "node_id": format!("IC_{id}"), "user": { "login": user, "id": 1, "type": "User" }, "body": body,
            "created_at": now, "updated_at": now, "author_association": "MEMBER",
        });
        self.fake.repo(REPO, |r| {
            r.pulls
                .get_mut(&number)
                .unwrap()
                .comments
                .push(comment.clone())
        });
        let payload = self.comment_payload("created", number, &comment, user, None);
        assert_eq!(self.deliver("issue_comment", &payload).await.0, 202);
        id
    }

    pub async fn edit_comment(&self, number: u64, id: u64, editor: &str, body: &str) {
        let now = self.now().to_string();
        let (comment, previous) = self.fake.repo(REPO, |r| {
            let c = r
                .pulls
                .get_mut(&number)
                .unwrap()
                .comments
                .iter_mut()
                .find(|c| c["id"] == id)
                .unwrap();
            let previous = c["body"].as_str().unwrap().to_owned();
            c["body"] = json!(body);
            c["updated_at"] = json!(now);
            (c.clone(), previous)
        });
        self.fake.edited(&format!("IC_{id}"), editor, &now);
        let payload = self.comment_payload("edited", number, &comment, editor, Some(&previous));
        assert_eq!(self.deliver("issue_comment", &payload).await.0, 202);
    }

    pub async fn delete_comment(&self, number: u64, id: u64, by: &str) {
        let comment = self.fake.repo(REPO, |r| {
            let comments = &mut r.pulls.get_mut(&number).unwrap().comments;
            let i = comments.iter().position(|c| c["id"] == id).unwrap();
            comments.remove(i)
        });
        let payload = self.comment_payload("deleted", number, &comment, by, None);
        assert_eq!(self.deliver("issue_comment", &payload).await.0, 202);
    }

    fn comment_payload(
        &self,
        action: &str,
        number: u64,
        comment: &Value,
        sender: &str,
        previous: Option<&str>,
    ) -> Value {
        let mut payload = fixture(&format!("issue_comment.{action}"));
        payload["issue"]["number"] = json!(number);
        payload["issue"]["pull_request"] =
            json!({ "url": format!("https://api.github.com/repos/{REPO}/pulls/{number}") });
        payload["comment"]["id"] = comment["id"].clone();
        payload["comment"]["user"]["login"] = comment["user"]["login"].clone();
        payload["comment"]["body"] = comment["body"].clone();
        payload["comment"]["updated_at"] = comment["updated_at"].clone();
        payload["sender"]["login"] = json!(sender);
        match previous {
            Some(p) => payload["changes"] = json!({ "body": { "from": p } }),
            None => {
                if let Some(map) = payload.as_object_mut() {
                    map.remove("changes");
                }
            }
        }
        self.adjust(payload)
    }

    /// GitHub asks the bot's protection rule about a deployment of `sha` to `env`.
    pub async fn request_deployment(
        &self,
        run: u64,
        env: &str,
        sha: &str,
        creator: &str,
        pulls: &[u64],
    ) {
        self.register_run(run, env, sha, creator, pulls);
        self.send_deployment_request(run, env, sha, creator, pulls)
            .await;
    }

    /// The fake's record of a workflow run deploying `sha` from `main` to `env`,
    /// triggered by `actor`, associated with `pulls`, and of its deployment (created, as
    /// for every Actions deployment, by `github-actions[bot]`; id `run * 10`).
    pub fn register_run(&self, run: u64, env: &str, sha: &str, actor: &str, pulls: &[u64]) {
        self.fake.repo(REPO, |r| {
            let pull_requests: Vec<Value> = pulls
                .iter()
                .map(|n| {
                    let head = r.pulls.get(n).map(|p| p.head_sha.clone()).unwrap_or_default();
                    json!({ "id": n * 7, "number": n, "url": format!("https://api.github.com/repos/{REPO}/pulls/{n}"),
                            "head": { "ref": format!("change-{n}"), "sha": head, "repo": { "id": 1, "name": "app", "url": "https://api.github.com/repos/acme/app" } },
                            "base": { "ref": "main", "sha": "0000000000000000000000000000000000000000", "repo": { "id": 1, "name": "app", "url": "https://api.github.com/repos/acme/app" } } })
                })
                .collect();
            r.runs.insert(run, json!({
                "id": run, "name": "deploy", "head_branch": "main", "head_sha": sha, "event": "push",
                "status": "waiting", "conclusion": null, "run_attempt": 1,
                "actor": { "login": actor, "id": 1, "type": "User" },
                "triggering_actor": { "login": actor, "id": 1, "type": "User" },
                "pull_requests": pull_requests,
            }));
            r.deployments.push(json!({
                "id": run * 10, "node_id": format!("DE_{run}"), "sha": sha, "ref": "main", "task": "deploy",
                "environment": env, "original_environment": env,
                "creator": { "login": "github-actions[bot]", "id": 41898282, "type": "Bot" },
                "created_at": self.now().to_string(), "updated_at": self.now().to_string(),
                "statuses": [],
            }));
        });
    }

    /// Delivers the `deployment_protection_rule` webhook for run `run` (deployment id
    /// `run * 10`) as given, whatever the fake holds.
    pub async fn send_deployment_request(
        &self,
        run: u64,
        env: &str,
        sha: &str,
        creator: &str,
        pulls: &[u64],
    ) {
        let mut payload = fixture("deployment_protection_rule.requested");
        payload["deployment"]["id"] = json!(run * 10);
        payload["environment"] = json!(env);
        payload["deployment_callback_url"] = json!(format!(
            "https://api.github.com/repos/{REPO}/actions/runs/{run}/deployment_protection_rule"
        ));
        payload["deployment"]["sha"] = json!(sha);
        payload["deployment"]["ref"] = json!("main");
        payload["deployment"]["environment"] = json!(env);
        payload["deployment"]["creator"]["login"] = json!(creator);
        let template = payload["pull_requests"][0].clone();
        payload["pull_requests"] = Value::Array(
            pulls
                .iter()
                .map(|n| {
                    let mut p = template.clone();
                    p["number"] = json!(n);
                    p
                })
                .collect(),
        );
        let payload = self.adjust(payload);
        assert_eq!(
            self.deliver("deployment_protection_rule", &payload).await.0,
            202
        );
    }

    /// A required reviewer approves (or rejects) the run's deployment to `env`.
    pub async fn deployment_review(&self, run: u64, env: &str, user: &str, approved: bool) {
        let state = if approved { "approved" } else { "rejected" };
        self.fake.repo(REPO, |r| {
            r.approvals.entry(run).or_default().push(json!({
                "environments": [{ "id": 1, "name": env }], "state": state,
                "user": { "login": user, "id": 1, "type": "User" }, "comment": "",
            }));
        });
        let mut payload = fixture("deployment_review.approved");
        payload["action"] = json!(state);
        payload["workflow_run"]["id"] = json!(run);
        payload["approver"]["login"] = json!(user);
        let payload = self.adjust(payload);
        assert_eq!(self.deliver("deployment_review", &payload).await.0, 202);
    }

    /// Opens a pull request from branch `head_ref` at `head` into `base` (another pull
    /// request may share the head).
    pub async fn open_pr_from(
        &self,
        number: u64,
        author: &str,
        head: &str,
        head_ref: &str,
        base: &str,
    ) {
        self.open(number, author, head, (head_ref, base), &[]).await;
    }

    async fn open(
        &self,
        number: u64,
        author: &str,
        head: &str,
        (from, into): (&str, &str),
        files: &[&str],
    ) {
        let now = self.now().to_string();
        self.fake.repo(REPO, |r| {
            r.pulls.insert(
                number,
                Pull {
                    author: author.into(),
                    head_sha: head.into(),
                    head_ref: from.into(),
                    base_ref: into.into(),
                    files: files.iter().map(|f| (*f).to_owned()).collect(),
                    commit_authors: vec![author.into()],
                    open: true,
                    updated_at: now,
                    ..Pull::default()
                },
            );
        });
        let payload = self.pull_payload("opened", number);
        assert_eq!(self.deliver("pull_request", &payload).await.0, 202);
    }

    pub async fn close_pr(&self, number: u64) {
        self.fake
            .repo(REPO, |r| r.pulls.get_mut(&number).unwrap().open = false);
        let mut payload = self.pull_payload("closed", number);
        payload["pull_request"]["state"] = json!("closed");
        assert_eq!(self.deliver("pull_request", &payload).await.0, 202);
    }

    /// Someone other than the bot (`creator`, e.g. a workflow with `statuses: write`)
    /// sets a commit status; GitHub sends `status`. Returns the bot's HTTP answer.
    pub async fn forge_status(&self, sha: &str, context: &str, state: &str, creator: &str) -> u16 {
        let id = self.fake.next_id();
        let status = json!({
            "id": id, "state": state, "context": context, "description": "looks good",
            "target_url": "https://evil.example/", "creator": { "login": creator, "id": 9, "type": "User" },
        });
        self.fake.with(|s| {
            s.statuses
                .push((sha.into(), context.into(), status.clone()))
        });
        self.status_event(sha, &status, creator).await
    }

    /// GitHub's `status` event for a status as the fake stores it.
    pub async fn status_event(&self, sha: &str, status: &Value, sender: &str) -> u16 {
        let mut payload = fixture("status.-");
        payload["id"] = status["id"].clone();
        payload["sha"] = json!(sha);
        payload["commit"]["sha"] = json!(sha);
        payload["name"] = json!(REPO);
        for field in ["context", "state", "description", "target_url"] {
            payload[field] = status[field].clone();
        }
        payload["sender"]["login"] = json!(sender);
        let payload = self.adjust(payload);
        self.deliver("status", &payload).await.0
    }

    /// Another App (`app_id`) completes a check run named `name` on `sha`; GitHub sends
    /// `check_run`.
    pub async fn forge_check_run(&self, sha: &str, name: &str, conclusion: &str, app_id: u64) {
        let id = self.fake.next_id();
        let mut payload = fixture("check_run.completed");
        let run = &mut payload["check_run"];
        run["id"] = json!(id);
        run["name"] = json!(name);
        run["head_sha"] = json!(sha);
        run["status"] = json!("completed");
        run["conclusion"] = json!(conclusion);
        run["app"]["id"] = json!(app_id);
        run["check_suite"]["head_sha"] = json!(sha);
        let stored = run.clone();
        self.fake
            .with(|s| s.check_runs.push((REPO.to_owned(), stored)));
        let payload = self.adjust(payload);
        assert_eq!(self.deliver("check_run", &payload).await.0, 202);
    }

    // ---- waiting and looking ----

    /// Waits until no delivery is queued or running; fails on any failed delivery.
    pub async fn settle(&self) {
        self.settle_allowing_failures().await;
        self.record_outgoing();
        self.assert_no_failures().await;
    }

    /// With `SIGNOFF_RECORD_OUTGOING=<dir>`, writes the bot's POST requests so far to a
    /// file there, for `tests/fixtures/github/validate.sh` to check against GitHub's
    /// OpenAPI description.
    fn record_outgoing(&self) {
        let Ok(dir) = std::env::var("SIGNOFF_RECORD_OUTGOING") else {
            return;
        };
        let posts: Vec<Value> = self
            .fake
            .requests()
            .into_iter()
            .filter(|r| {
                (r.method == "POST" || r.method == "PATCH") && r.path.starts_with("/repos/")
            })
            .map(|r| json!({ "method": r.method, "path": r.path, "body": r.body }))
            .collect();
        let name = format!("{}-{}.json", std::process::id(), self.fake.addr.port());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            PathBuf::from(dir).join(name),
            serde_json::to_vec_pretty(&posts).unwrap(),
        )
        .unwrap();
    }

    /// The latest `signoff` status on a sha: (state, description).
    pub fn status(&self, sha: &str) -> (String, String) {
        self.status_of(sha, "signoff")
    }

    /// What the bot answered the deployment protection rule of run `run`, in order.
    pub fn gate_answers(&self, run: u64) -> Vec<Value> {
        self.fake.with(|s| {
            s.gate_answers
                .iter()
                .filter(|(_, r, _)| *r == run)
                .map(|(_, _, b)| b.clone())
                .collect()
        })
    }

    /// The repository's audit log, oldest first.
    pub async fn audit(&self) -> Vec<signoff_bot::store::audit::AuditEntry> {
        self.bot()
            .app
            .store
            .list_audit(Some(REPO), None)
            .await
            .unwrap()
    }

    /// Fails unless the `signoff` status on `sha` is a failure that says `says`.
    pub fn assert_failure(&self, sha: &str, says: &str) {
        let (state, description) = self.status(sha);
        assert_eq!(state, "failure", "{description}");
        assert!(description.contains(says), "{description}");
    }

    pub fn status_of(&self, sha: &str, context: &str) -> (String, String) {
        let s = self
            .fake
            .status(sha, context)
            .unwrap_or_else(|| panic!("no {context} status on {sha}: {:?}", self.fake.statuses()));
        (
            s["state"].as_str().unwrap().to_owned(),
            s["description"].as_str().unwrap_or("").to_owned(),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        self.get_url(&format!("{}{path}", self.base())).await
    }
}
