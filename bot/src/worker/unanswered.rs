//! A head seen in a pipeline that the bot has no answer for: a change whose opening
//! (or push) the bot never heard of, its delivery lost or its hook disabled. Where the
//! forge's merge gate holds only what the bot posted (GitLab), such a change would merge
//! on CI alone; each open change on that head is queued for evaluation, once per head.

use crate::app::App;
use crate::event::{Event, Repo};
use crate::forge::Forge;
use crate::gate::Result;

/// Queues an evaluation of each open change whose head is `sha`, unless the bot has
/// an answer on `sha` already.
pub async fn queue(
    app: &App,
    forge: &dyn Forge,
    repo: &Repo,
    tenant: Option<u64>,
    sha: &str,
) -> Result<()> {
    let forge_name = forge.kind().as_str();
    if !app
        .store
        .change_answers_on(forge_name, repo, sha)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    for number in forge.open_changes_on(repo, sha).await? {
        tracing::warn!(repo = %repo, number, sha, "a change on a head the bot has no answer for; evaluating it");
        let event = Event::Change {
            repo: repo.clone(),
            tenant,
            number,
            action: "unanswered".to_owned(),
            head: None,
        };
        let delivery = format!("unanswered:{repo}!{number}@{sha}");
        let now = crate::store::now_ms();
        if app
            .store
            .enqueue(forge_name, "unanswered", &delivery, &event, now)
            .await?
        {
            app.work.notify_one();
        }
    }
    Ok(())
}
