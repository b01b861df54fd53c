//! Command comments that went missing. A comment holding a rejection or a revocation is
//! remembered once seen; when a later read of the change no longer lists it, it was
//! deleted. GitHub's webhook says who deleted a comment (and may never arrive); GitLab
//! sends none for a deleted note, and lets Maintainers delete anyone's. A command taken
//! away by an unnamed hand counts as tampering, like one deleted by someone else: the
//! gate fails for the head it spoke for. Deleting an approval needs no memory: the
//! approval is simply gone, which is the safe direction.

use super::Result;
use super::inputs::{holds_commands, written_on};
use crate::app::App;
use crate::event::{ForgeKind, Repo};
use crate::forge::{Activity, ActivityKind, Change, commands};
use crate::store::changes::SeenHead;
use crate::store::command_comments::SeenCommand;
use signoff::model::policy::Commands;
use std::collections::BTreeSet;

/// Who deleted a comment when the forge does not say.
pub const UNNAMED: &str = "someone the forge does not name";

/// Does `body` hold a rejection or a revocation in any of `words`?
pub fn withholds(body: &str, words: &Commands) -> bool {
    let only = Commands {
        approve: Vec::new(),
        reject: words.reject.clone(),
        revoke: words.revoke.clone(),
    };
    !commands::parse(body, &only).is_empty()
}

/// Comments in `activity` holding a rejection or a revocation in any of `words`.
pub fn withholding(
    activity: &[Activity],
    words: &Commands,
    heads: &[SeenHead],
    current: &str,
) -> Vec<SeenCommand> {
    activity
        .iter()
        .filter(|a| holds_commands(a) && withholds(&a.body, words))
        .filter_map(|a| match a.kind {
            ActivityKind::Comment { id } => Some(SeenCommand {
                comment_id: id,
                author: a.author.clone(),
                revision: written_on(a, heads, current),
            }),
            _ => None,
        })
        .collect()
}

/// The remembered comments `activity` no longer lists.
pub fn missing<'a>(remembered: &'a [SeenCommand], activity: &[Activity]) -> Vec<&'a SeenCommand> {
    let listed: BTreeSet<u64> = activity
        .iter()
        .filter_map(|a| match a.kind {
            ActivityKind::Comment { id } => Some(id),
            _ => None,
        })
        .collect();
    remembered
        .iter()
        .filter(|c| !listed.contains(&c.comment_id))
        .collect()
}

/// Records each remembered command comment that `activity` (the forge's full list, read
/// just now) no longer holds as tampered on the head it spoke for, and remembers the
/// ones it holds. Runs before the gate reads its recorded tampering.
pub async fn notice(
    app: &App,
    forge: ForgeKind,
    repo: &Repo,
    change: &Change,
    activity: &[Activity],
    words: &Commands,
    heads: &[SeenHead],
) -> Result<()> {
    let number = change.number;
    let remembered = app.store.command_comments(forge, repo, number).await?;
    let now = jiff::Timestamp::now().as_millisecond();
    for gone in missing(&remembered, activity) {
        tracing::warn!(repo = %repo, number, comment = gone.comment_id, author = gone.author, "command comment deleted; the forge does not say by whom");
        app.store
            .record_tamper(
                forge,
                repo,
                number,
                &gone.revision,
                gone.comment_id,
                &gone.author,
                UNNAMED,
                "deleted",
                now,
            )
            .await?;
        app.store
            .forget_command_comment(forge, repo, number, gone.comment_id)
            .await?;
    }
    let known: BTreeSet<u64> = remembered.iter().map(|c| c.comment_id).collect();
    for seen in withholding(activity, words, heads, &change.head_sha) {
        if !known.contains(&seen.comment_id) {
            app.store
                .remember_command_comment(forge, repo, number, &seen)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: u64, author: &str, body: &str) -> Activity {
        Activity {
            author: author.to_owned(),
            at: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
            body: body.to_owned(),
            kind: ActivityKind::Comment { id },
            node: None,
        }
    }

    #[test]
    fn rejections_and_revocations_are_remembered_approvals_are_not() {
        let activity = [
            comment(1, "alice", "/approve"),
            comment(2, "carol", "Not yet.\n/reject"),
            comment(3, "bob", "/unapprove I misread it"),
            comment(4, "dave", "no command"),
        ];
        let seen = withholding(&activity, &Commands::default(), &[], "h1");
        let ids: Vec<u64> = seen.iter().map(|c| c.comment_id).collect();
        assert_eq!(ids, [2, 3]);
        assert!(seen.iter().all(|c| !c.revision.is_empty()));
    }

    #[test]
    fn what_the_forge_no_longer_lists_is_missing() {
        let remembered = withholding(
            &[
                comment(2, "carol", "/reject"),
                comment(3, "bob", "/unapprove"),
            ],
            &Commands::default(),
            &[],
            "h1",
        );
        let now = [comment(3, "bob", "/unapprove")];
        let gone: Vec<u64> = missing(&remembered, &now)
            .iter()
            .map(|c| c.comment_id)
            .collect();
        assert_eq!(gone, [2]);
    }
}
