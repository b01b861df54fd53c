//! The bot user's own approval of a merge request (`[gitlab] approve_merge_requests`):
//! with an approval rule requiring the bot user (Premium), a gate that holds where the
//! `signoff` status does not (a fork's pipeline, a pipeline other than the head's).
//! Given only for the head whose answer is success, and only while it is the head;
//! taken back for any other answer. Never a grant: activity.rs leaves it out.

use super::client::{ApiError, ProjectId};
use super::forge::{GitLabForge, forge_error, project};
use crate::event::Repo;
use crate::forge::{OwnApproval, Result};

impl GitLabForge {
    pub(super) async fn set_own_approval_on_gitlab(
        &self,
        repo: &Repo,
        iid: u64,
        approval: OwnApproval<'_>,
    ) -> Result<()> {
        if !self.gitlab.approve_merge_requests {
            return Ok(());
        }
        let id = project(repo);
        match approval {
            OwnApproval::Give { head } => self.approve(repo, &id, iid, head).await,
            OwnApproval::Withdraw => match self.client.unapprove_merge_request(&id, iid).await {
                Ok(()) => {
                    tracing::info!(repo = %repo, iid, "took the bot's approval back");
                    Ok(())
                }
                // GitLab's answer when the bot user does not approve: nothing to take back.
                Err(ApiError::NotFound(_)) => Ok(()),
                Err(e) => Err(forge_error(e)),
            },
        }
    }

    async fn approve(&self, repo: &Repo, id: &ProjectId, iid: u64, head: &str) -> Result<()> {
        // An approval that would outlive a push, or a rule the author can take off their
        // own merge request, is a gate in name only: none is given until the project is
        // set as the README says (the answer itself stands; it is the policy's).
        let settings = self
            .client
            .approval_settings(id)
            .await
            .map_err(forge_error)?;
        let missing = settings.missing();
        if !missing.is_empty() {
            tracing::error!(repo = %repo, iid, missing = missing.join("; "), "the bot's approval is withheld: the project's approval settings let it be walked around");
            return Ok(());
        }
        match self.client.approve_merge_request(id, iid, head).await {
            Ok(()) => {
                tracing::info!(repo = %repo, iid, sha = head, "approved the merge request");
                Ok(())
            }
            // The head moved after it was evaluated: GitLab approved nothing, and the
            // push's own event evaluates the new head.
            Err(ApiError::Status { status: 409, .. }) => {
                tracing::info!(repo = %repo, iid, sha = head, "head moved before the approval; not approved");
                Ok(())
            }
            // GitLab's answer both when the bot user already approves and when it refuses
            // the token: only the approvals list tells which.
            Err(ApiError::Unauthorized) => {
                let bot = self.bot().await?;
                let approvals = self.client.approvals(id, iid).await.map_err(forge_error)?;
                if approvals.approved_by.iter().any(|a| a.user.username == bot) {
                    Ok(())
                } else {
                    Err(forge_error(ApiError::Unauthorized))
                }
            }
            Err(e) => Err(forge_error(e)),
        }
    }
}
