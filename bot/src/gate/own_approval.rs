//! The bot's own approval follows what a head shows (SPEC §8): each open change whose
//! head it is is approved for that head while the head shows success, and has the
//! approval taken back for anything else (pending, failure, an error, a change no policy
//! covers). Forges not configured to approve do nothing (`Forge::set_own_approval`).

use super::Result;
use crate::event::Repo;
use crate::forge::{Forge, OwnApproval, StatusState};
use crate::store::answers::ChangeAnswer;

/// Gives or takes back the approval of every change answered on `revision`, which shows
/// `state`.
pub(super) async fn follow_head(
    forge: &dyn Forge,
    repo: &Repo,
    revision: &str,
    state: StatusState,
    answers: &[ChangeAnswer],
) -> Result<()> {
    let approval = match state {
        StatusState::Success => OwnApproval::Give { head: revision },
        StatusState::Pending | StatusState::Failure => OwnApproval::Withdraw,
    };
    for answer in answers {
        forge
            .set_own_approval(repo, answer.number, approval)
            .await?;
    }
    Ok(())
}

/// Takes back the approval of change `number`: its head is about to be evaluated anew,
/// or no policy covers it any more.
pub(super) async fn withdraw(forge: &dyn Forge, repo: &Repo, number: u64) -> Result<()> {
    Ok(forge
        .set_own_approval(repo, number, OwnApproval::Withdraw)
        .await?)
}
