//! What a deployment gate was told by a delivery, checked against GitLab before the
//! gate is evaluated. GitLab's webhook secret is a shared token: every project whose
//! hook points at the bot holds it, so whoever set up one hook can send a delivery
//! naming another project's deployment. Its environment and the default branch (whose
//! policy applies) decide which policy is read; a delivery that names others than
//! GitLab shows is refused, never evaluated by its own words.

use super::api;
use super::forge::{GitLabForge, forge_error, project};
use crate::event::{GateRequest, Repo};
use crate::forge::{ForgeError, Result};

impl GitLabForge {
    /// Fails when `deployment` (as GitLab shows it) is to another environment than the
    /// gate's, or the project's default branch is not the gate's.
    pub(super) async fn confirm_gate(
        &self,
        repo: &Repo,
        gate: &GateRequest,
        deployment: &api::Deployment,
    ) -> Result<()> {
        let environment = deployment.environment.as_ref().map(|e| e.name.as_str());
        if environment != Some(gate.environment.as_str()) {
            return Err(ForgeError::Fatal(format!(
                "deployment {} is to {}, not to {:?} as the delivery said",
                gate.gate_id,
                environment.map_or_else(|| "no environment".to_owned(), |e| format!("{e:?}")),
                gate.environment
            )));
        }
        let default_branch = self
            .client
            .project(&project(repo))
            .await
            .map_err(forge_error)?
            .default_branch;
        if default_branch.as_deref() != Some(gate.default_branch.as_str()) {
            return Err(ForgeError::Fatal(format!(
                "the default branch of {repo} is {}, not {:?} as the delivery said",
                default_branch.map_or_else(|| "unset".to_owned(), |b| format!("{b:?}")),
                gate.default_branch
            )));
        }
        Ok(())
    }
}
