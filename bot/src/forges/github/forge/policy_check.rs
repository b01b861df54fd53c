//! The `signoff/policy` check on GitHub: for an App, a completed check run whose
//! annotations point at the policy file's lines (GitHub takes at most 50 annotations per
//! request, so the rest follow in updates of the same run); for a token, a commit status.

use super::{GitHubForge, truncate};
use crate::event::Repo;
use crate::forge::policy_check::{Annotation, AnnotationLevel, PolicyCheck};
use crate::forge::{Result, StatusState};
use crate::forges::github::client::encode;
use serde_json::{Value, json};

/// GitHub's limit of annotations per create or update request.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;

fn annotation(a: &Annotation) -> Value {
    let mut out = json!({
        "path": a.path,
        "start_line": a.span.line.max(1),
        "end_line": a.span.end_line.max(a.span.line).max(1),
        "annotation_level": match a.level {
            AnnotationLevel::Failure => "failure",
            AnnotationLevel::Warning => "warning",
        },
        "message": truncate(&a.message, 4_000),
    });
    // GitHub takes columns only for an annotation on one line.
    if a.span.end_line <= a.span.line {
        if let Some(map) = out.as_object_mut() {
            map.insert("start_column".to_owned(), json!(a.span.col.max(1)));
            map.insert(
                "end_column".to_owned(),
                json!(a.span.end_col.max(a.span.col).max(1)),
            );
        }
    }
    out
}

fn output(check: &PolicyCheck, annotations: &[Annotation]) -> Value {
    json!({
        "title": check.title,
        "summary": truncate(&check.markdown, 60_000),
        "annotations": annotations.iter().map(annotation).collect::<Vec<_>>(),
    })
}

impl GitHubForge {
    pub(super) async fn post_policy_check(&self, repo: &Repo, check: &PolicyCheck) -> Result<()> {
        if !self.github.check_runs {
            let body = json!({
                "state": check.state.as_str(),
                "description": check.title,
                "context": check.context,
            });
            return self
                .post(
                    &format!("/repos/{repo}/statuses/{}", encode(&check.sha)),
                    &body,
                )
                .await;
        }
        let mut batches = check.annotations.chunks(ANNOTATIONS_PER_REQUEST);
        let first = batches.next().unwrap_or(&[]);
        let conclusion = match check.state {
            StatusState::Success => "success",
            StatusState::Pending | StatusState::Failure => "failure",
        };
        let run = json!({
            "name": check.context,
            "head_sha": check.sha,
            "status": "completed",
            "conclusion": conclusion,
            "output": output(check, first),
        });
        let id = self.create_check_run(repo, &run).await?;
        let path = format!("/repos/{repo}/check-runs/{id}");
        for batch in batches {
            let update = json!({ "output": output(check, batch) });
            self.github
                .client
                .write(&self.crab, http::Method::PATCH, &path, &update, &self.calls)
                .await?;
        }
        Ok(())
    }
}
