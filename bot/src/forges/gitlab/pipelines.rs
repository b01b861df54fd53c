//! Where a merge request's answer must be on GitLab: its head pipeline. "Pipelines must
//! succeed" judges only that pipeline, and any pipeline made on the head after the bot
//! posted (a CI run, "Run pipeline", a detached merge request pipeline, or an external
//! one a Developer makes by posting a status with an unknown `pipeline_id`) becomes the
//! head pipeline. So the `signoff` status is posted into named pipelines, and the forge
//! shows the answer only when each of them holds it (docs/gitlab.md).

use super::api::{self, CommitStatus, MergeRequestState, NewStatus, Pipeline};
use super::client::ApiError;
use super::forge::{GitLabForge, forge_error, project, status_state};
use crate::event::Repo;
use crate::forge::{ForgeError, Result, Status};
use std::collections::BTreeSet;

/// How many of a commit's newest pipelines are read: the head pipeline to be is the
/// newest on a merge request's refs, and a head rarely has more pipelines than this.
const NEWEST: u32 = 20;

/// Where the answer on a commit goes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct GatePipelines {
    /// Pipelines that must hold the answer.
    pub ids: BTreeSet<u64>,
    /// Source branches of open merge requests on the commit with no pipeline of it yet:
    /// a status posted on that ref makes GitLab start one (an external pipeline).
    pub branches: BTreeSet<String>,
}

impl GatePipelines {
    /// No open merge request has this head: GitLab picks the pipeline.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.branches.is_empty()
    }
}

/// A pipeline of the merge request's own project (one of a fork cannot take the bot's
/// status: docs/gitlab.md, "Known limits").
fn in_project(pipeline: &Pipeline, mr_project: Option<u64>) -> bool {
    match (pipeline.project_id, mr_project) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// Whether `pipeline` holds the bot's `status`: its latest status of that name is the
/// bot's, in that state (GitLab cannot change a description without the state).
pub(super) fn holds(statuses: &[CommitStatus], pipeline: u64, status: &Status, bot: &str) -> bool {
    statuses
        .iter()
        .filter(|s| s.name == status.context && s.pipeline_id == Some(pipeline))
        .max_by_key(|s| s.id)
        .is_some_and(|s| {
            s.status == status_state(status.state)
                && s.author.as_ref().is_some_and(|a| a.username == bot)
        })
}

impl GitLabForge {
    /// The pipelines that must hold the answer on `sha`: for each open merge request
    /// whose head it is, its head pipeline and the newest pipeline of `sha` on its source
    /// branch or merge request ref (the head pipeline to be: GitLab may send a new
    /// pipeline's hook before it makes it the head pipeline).
    pub(super) async fn gate_pipelines(&self, repo: &Repo, sha: &str) -> Result<GatePipelines> {
        let id = project(repo);
        let open: Vec<u64> = self
            .client
            .merge_requests_of_commit(&id, sha)
            .await
            .map_err(forge_error)?
            .into_iter()
            .filter(|mr| mr.state == MergeRequestState::Opened && mr.sha == sha)
            .map(|mr| mr.iid)
            .collect();
        let mut targets = GatePipelines::default();
        if open.is_empty() {
            return Ok(targets);
        }
        let newest = self
            .client
            .newest_pipelines(&id, sha, NEWEST)
            .await
            .map_err(forge_error)?;
        // The merge requests (and their head pipelines) as this event read them: a
        // pipeline made since is among the newest pipelines, read now.
        for iid in open {
            let mr = self.merge_request_at(repo, iid, sha).await?;
            if mr.state != MergeRequestState::Opened || mr.sha != sha {
                // Pushed to meanwhile: its new head gets its own answer.
                continue;
            }
            // From a fork, the source branch is the fork's: only the merge request ref is
            // in this project (a pipeline the project runs for it).
            let from_fork = matches!(
                (mr.source_project_id, mr.project_id),
                (Some(source), Some(target)) if source != target
            );
            let mr_ref = format!("refs/merge-requests/{iid}/head");
            let on_its_refs = newest.iter().find(|p| {
                p.git_ref
                    .as_deref()
                    .is_some_and(|r| r == mr_ref || (!from_fork && r == mr.source_branch))
            });
            let head = mr.head_pipeline.as_ref().filter(|p| p.sha == sha);
            let found: Vec<u64> = [head, on_its_refs]
                .into_iter()
                .flatten()
                .filter(|p| in_project(p, mr.project_id))
                .map(|p| p.id)
                .collect();
            if found.is_empty() && !from_fork {
                targets.branches.insert(mr.source_branch);
            }
            targets.ids.extend(found);
        }
        Ok(targets)
    }

    /// The statuses of commit `sha` (every page) and the bot user's name, to tell its own.
    pub(super) async fn statuses_and_bot(
        &self,
        repo: &Repo,
        sha: &str,
    ) -> Result<(Vec<CommitStatus>, &str)> {
        let statuses = self
            .client
            .commit_statuses(&project(repo), sha)
            .await
            .map_err(forge_error)?;
        Ok((statuses, self.bot().await?))
    }

    /// Whether every pipeline that must hold `status` does.
    pub(super) async fn pipelines_show(
        &self,
        repo: &Repo,
        targets: &GatePipelines,
        status: &Status,
    ) -> Result<bool> {
        if !targets.branches.is_empty() {
            return Ok(false);
        }
        let (statuses, bot) = self.statuses_and_bot(repo, &status.sha).await?;
        Ok(targets
            .ids
            .iter()
            .all(|p| holds(&statuses, *p, status, bot)))
    }

    /// Posts `status` into each pipeline that does not hold it yet, and on each branch
    /// with no pipeline of the commit. Any pipeline left without it is an error.
    pub(super) async fn post_into_pipelines(
        &self,
        repo: &Repo,
        targets: &GatePipelines,
        status: &Status,
    ) -> Result<()> {
        let id = project(repo);
        let (statuses, bot) = self.statuses_and_bot(repo, &status.sha).await?;
        let bot = bot.to_owned();
        let new = NewStatus::new(
            status_state(status.state),
            &status.context,
            &status.description,
            status.target_url.clone(),
        );
        for pipeline in targets.ids.iter().copied() {
            if holds(&statuses, pipeline, status, &bot) {
                continue;
            }
            let into = NewStatus {
                pipeline_id: Some(pipeline),
                ..new.clone()
            };
            match self.client.set_status(&id, &status.sha, &into).await {
                // GitLab makes a new pipeline for a `pipeline_id` it does not find on the
                // commit: the answer is then not where it must be.
                Ok(posted) if posted.pipeline_id.is_some_and(|p| p != pipeline) => {
                    return Err(ForgeError::Transient(format!(
                        "GitLab put {} on {} into a new pipeline, not into pipeline {pipeline}",
                        status.context, status.sha
                    )));
                }
                Ok(_) => {}
                // GitLab moves the bot's own pending job there and cannot `enqueue` it
                // again; someone else's status under its name may have come after it.
                Err(ApiError::StatusUnchanged(message)) => {
                    self.replace_others(repo, pipeline, status, &into, &bot, &message)
                        .await?;
                }
                Err(e) => return Err(forge_error(e)),
            }
        }
        for branch in &targets.branches {
            let on_branch = NewStatus {
                git_ref: Some(branch.clone()),
                ..new.clone()
            };
            self.client
                .set_status(&id, &status.sha, &on_branch)
                .await
                .map_err(forge_error)?;
        }
        Ok(())
    }
    /// After GitLab refused `into` (the bot's pending job in `pipeline` is pending
    /// already): if another's status under the bot's name is the latest there, the
    /// bot's job is failed (a transition GitLab allows) and the pending answer posted
    /// anew, so it is the latest; read back, never assumed. Waiting for a retry would
    /// leave the other's success in the head pipeline meanwhile.
    async fn replace_others(
        &self,
        repo: &Repo,
        pipeline: u64,
        status: &Status,
        into: &NewStatus,
        bot: &str,
        refusal: &str,
    ) -> Result<()> {
        let id = project(repo);
        let read = || async {
            self.client
                .commit_statuses(&id, &status.sha)
                .await
                .map_err(forge_error)
        };
        if holds(&read().await?, pipeline, status, bot) {
            return Ok(());
        }
        if into.state == api::StatusState::Pending {
            let failed = NewStatus {
                state: api::StatusState::Failed,
                description: "Replaced: another's status under this name came after signoff's"
                    .to_owned(),
                ..into.clone()
            };
            self.client
                .set_status(&id, &status.sha, &failed)
                .await
                .map_err(forge_error)?;
            self.client
                .set_status(&id, &status.sha, into)
                .await
                .map_err(forge_error)?;
            if holds(&read().await?, pipeline, status, bot) {
                return Ok(());
            }
        }
        Err(ForgeError::Transient(format!(
            "GitLab refused to post {} into pipeline {pipeline} ({refusal}) and shows another's status under that name there",
            status.context
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::StatusState;

    fn posted(id: u64, pipeline: Option<u64>, state: api::StatusState, by: &str) -> CommitStatus {
        CommitStatus {
            id,
            sha: "a1".to_owned(),
            name: "signoff".to_owned(),
            status: state,
            description: None,
            target_url: None,
            author: Some(api::UserRef {
                username: by.to_owned(),
            }),
            pipeline_id: pipeline,
        }
    }

    fn pending() -> Status {
        Status {
            sha: "a1".to_owned(),
            context: "signoff".to_owned(),
            state: StatusState::Pending,
            description: "Pending".to_owned(),
            target_url: None,
            markdown: String::new(),
        }
    }

    #[test]
    fn a_pipeline_holds_the_answer_only_when_its_latest_is_the_bots_in_that_state() {
        use api::StatusState::{Pending, Success};
        let bot = "signoff-bot";
        let statuses = [
            posted(1, Some(7), Pending, bot),
            posted(2, Some(8), Pending, bot),
            posted(3, Some(8), Success, "mallory"),
            posted(4, None, Pending, bot),
            posted(5, Some(9), Success, bot),
        ];
        assert!(holds(&statuses, 7, &pending(), bot));
        assert!(
            !holds(&statuses, 8, &pending(), bot),
            "another's came after"
        );
        assert!(!holds(&statuses, 9, &pending(), bot), "another state");
        assert!(
            !holds(&statuses, 10, &pending(), bot),
            "not in that pipeline"
        );
    }

    #[test]
    fn the_pipeline_is_named_in_the_post_only_when_given() {
        let mut new = NewStatus::new(api::StatusState::Pending, "signoff", "Pending", None);
        let body = serde_json::to_value(&new).unwrap_or_default();
        assert!(body.get("pipeline_id").is_none());
        new.pipeline_id = Some(31);
        let body = serde_json::to_value(&new).unwrap_or_default();
        assert_eq!(body["pipeline_id"], 31);
    }
}
