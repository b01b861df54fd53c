//! Seeds an audit log with records made by the gate's own code, for the replay tests and
//! the replay bench.

use signoff::{Action, Attributes, Grant, Kind};
use signoff_bot::forge::People;
use signoff_bot::gate::inputs::directory;
use signoff_bot::gate::verdict::{Inputs, LayerPolicy, LayerResult, LayerSource, combine, layer};
use signoff_bot::store::Store;
use signoff_bot::store::audit::{Answer, AuditEntry, AuditRecord, TargetKind, insert_audit_on};

pub const TWO: &str = "version: 1\npolicies:\n  two:\n    requires:\n      - any: 2\napply:\n  - policies: [two]\n    to: pull_request\n";
pub const ONE: &str = "version: 1\npolicies:\n  one:\n    requires:\n      - any: 1\napply:\n  - policies: [one]\n    to: pull_request\n";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Kept,
    /// An invalid policy recorded before invalid layers kept their inputs.
    WithoutInputs,
    /// A record that no longer decodes.
    Damaged,
}

/// One decision to record.
#[derive(Clone)]
pub struct Decision {
    pub repo: String,
    pub kind: TargetKind,
    pub target: String,
    pub environment: Option<String>,
    pub approvers: Vec<String>,
    pub policy: String,
    pub days_ago: i64,
    pub writers: usize,
    shape: Shape,
}

impl Decision {
    pub fn pull_request(repo: &str, number: u64, approvers: &[&str]) -> Decision {
        Decision {
            repo: repo.to_owned(),
            kind: TargetKind::PullRequest,
            target: format!("#{number}"),
            environment: None,
            approvers: approvers.iter().map(|a| (*a).to_owned()).collect(),
            policy: TWO.to_owned(),
            days_ago: 1,
            writers: 4,
            shape: Shape::Kept,
        }
    }

    pub fn deployment(repo: &str, environment: &str, approvers: &[&str]) -> Decision {
        Decision {
            kind: TargetKind::Deployment,
            target: format!("{environment}@run1"),
            environment: Some(environment.to_owned()),
            ..Decision::pull_request(repo, 0, approvers)
        }
    }

    pub fn with_policy(mut self, policy: &str) -> Decision {
        policy.clone_into(&mut self.policy);
        self
    }

    pub fn written_before_inputs_were_kept(mut self) -> Decision {
        self.policy = "version: 1\npolicies: 3\n".to_owned();
        self.shape = Shape::WithoutInputs;
        self
    }

    pub fn damaged(mut self) -> Decision {
        self.shape = Shape::Damaged;
        self
    }

    /// The audit entry the bot would write for it.
    pub fn entry(&self, now: jiff::Timestamp) -> AuditEntry {
        let at = now - jiff::SignedDuration::from_hours(self.days_ago * 24);
        let revision = format!("{:0>40x}", self.target.len() + self.approvers.len());
        let mut people = People::default();
        for w in ["alice", "bob", "carol", "dave"]
            .into_iter()
            .map(str::to_owned)
            .chain((4..self.writers).map(|i| format!("writer{i}")))
        {
            people.writers.insert(w);
        }
        people.groups.insert(
            "acme/sre".to_owned(),
            vec!["carol".to_owned(), "dave".to_owned()],
        );
        let grants: Vec<Grant> = self
            .approvers
            .iter()
            .map(|by| Grant {
                by: by.clone(),
                action: Action::Approve,
                revision: None,
                at: at - jiff::SignedDuration::from_mins(5),
                via: None,
            })
            .collect();
        let kind = match self.kind {
            TargetKind::PullRequest => Kind::PullRequest,
            TargetKind::Deployment => Kind::Deployment,
        };
        let request = signoff_bot::gate::request(
            kind,
            "erin",
            &revision,
            Attributes {
                repo: Some(self.repo.clone()),
                branch: Some("main".to_owned()),
                environment: self.environment.clone(),
                paths: vec!["src/lib.rs".to_owned()],
                ..Attributes::default()
            },
            vec!["erin".to_owned()],
        );
        let directory = directory(&people, &grants, &[]);
        let inputs = Inputs {
            request: &request,
            directory: &directory,
            grants: &grants,
            now: at,
        };
        let parsed = signoff::PolicySet::parse(&self.policy, ".github/signoff.yml");
        let policy = match &parsed {
            Ok(policy) => LayerPolicy::Valid {
                policy,
                text: &self.policy,
            },
            Err(diagnostics) => LayerPolicy::Invalid(diagnostics),
        };
        let mut repo_layer = layer(
            LayerSource::Repository,
            ".github/signoff.yml",
            None,
            policy,
            &inputs,
        );
        if self.shape == Shape::WithoutInputs {
            if let LayerResult::Invalid { inputs, .. } = &mut repo_layer.result {
                *inputs = None;
            }
        }
        let layers = vec![repo_layer];
        let verdict = combine(&layers, &[]).unwrap();
        AuditEntry {
            id: 0,
            at: at.as_millisecond(),
            forge: "github".to_owned(),
            repo: self.repo.clone(),
            kind: self.kind,
            target: self.target.clone(),
            revision: revision.clone(),
            decision: verdict.outcome,
            summary: verdict.summary.clone(),
            digest: String::new(),
            approvers: "[]".to_owned(),
            ignored: "[]".to_owned(),
            answer: Answer::Unposted,
            record: AuditRecord {
                repo: self.repo.clone(),
                kind: self.kind,
                target: self.target.clone(),
                revision,
                context: "signoff".to_owned(),
                verdict,
                layers,
            },
        }
    }
}

/// Records the decisions, in order (audit ids 1, 2, …).
pub async fn seed(database: &str, decisions: &[Decision]) {
    let store = Store::connect(database).await.unwrap();
    let now = jiff::Timestamp::now();
    for d in decisions {
        let id = store.insert_audit(&d.entry(now)).await.unwrap();
        if d.shape == Shape::Damaged {
            sqlx::query("UPDATE audit SET record = '{\"layers\": 5}' WHERE id = $1")
                .bind(id)
                .execute(store.pool())
                .await
                .unwrap();
        }
    }
    store.close().await;
}

/// Seeds `n` decisions quickly (one transaction) from a few hundred shapes: pull requests
/// and deployments in 20 repositories, 0–3 approvals, 30 writers, over the last 30 days.
/// Returns the bytes of records written.
#[allow(dead_code, reason = "used by the bench only")]
pub async fn seed_many(database: &str, n: usize, policy: &str) -> usize {
    let store = Store::connect(database).await.unwrap();
    let now = jiff::Timestamp::now();
    let names = ["alice", "bob", "carol", "dave", "writer7", "writer12"];
    let mut shapes = Vec::new();
    let mut bytes_per = Vec::new();
    for i in 0..240_usize {
        let repo = format!("acme/repo{}", i % 20);
        let approvers: Vec<&str> = names.iter().copied().skip(i % 3).take(i % 4).collect();
        let mut d = if i % 5 == 4 {
            Decision::deployment(
                &repo,
                if i % 2 == 0 { "production" } else { "staging" },
                &approvers,
            )
        } else {
            Decision::pull_request(&repo, i as u64, &approvers)
        }
        .with_policy(policy);
        d.writers = 30;
        d.days_ago = (i % 29) as i64;
        let entry = d.entry(now);
        bytes_per.push(serde_json::to_string(&entry.record).unwrap().len());
        shapes.push(entry);
    }
    let mut bytes = 0;
    let mut tx = store.pool().begin().await.unwrap();
    for i in 0..n {
        let mut e = shapes[i % shapes.len()].clone();
        bytes += bytes_per[i % shapes.len()];
        e.at -= i as i64;
        e.target = format!("#{i}");
        insert_audit_on(&mut *tx, &e).await.unwrap();
    }
    tx.commit().await.unwrap();
    store.close().await;
    bytes
}
