//! Pure: a merge request's approvals, notes and versions into the gate's activity.
//!
//! An approval binds to the head GitLab showed when it was given (the merge request
//! version current at its system note's time), so `invalidate_on_push` works whether
//! or not the project resets approvals on push. A note is a comment at its creation
//! time. Notes whose `updated_at` moved carry a node for the edit check (edits.rs).

use super::api::{ApprovalTime, Note, TimedApproval, Version, head_at};
use crate::forge::{Activity, ActivityKind, ReviewState};

/// The handle `Forge::edits` is given for a note: where to find it and which it is.
pub fn note_node(project: &str, iid: u64, note: u64) -> String {
    format!("{project}!{iid}#{note}")
}

/// Reads what `note_node` wrote: (project path, merge request iid, note id).
pub fn parse_node(node: &str) -> Option<(&str, u64, u64)> {
    let (rest, note) = node.rsplit_once('#')?;
    let (project, iid) = rest.rsplit_once('!')?;
    Some((project, iid.parse().ok()?, note.parse().ok()?))
}

/// Approvals (with the head each was given on) and user notes, oldest first. The bot's
/// own approval (`approve_merge_requests`: it follows the answer, it is not a person's
/// review) and its own notes never count. An approval without a known time or head is left out: it
/// cannot be bound to a revision, so it must not count on the current one.
pub fn merge_request_activity(
    project: &str,
    iid: u64,
    approvals: &[TimedApproval],
    notes: &[Note],
    versions: &[Version],
    bot: &str,
) -> Vec<Activity> {
    let mut out = Vec::new();
    for approval in approvals.iter().filter(|a| a.username != bot) {
        let ApprovalTime::At(at) = approval.at else {
            tracing::warn!(
                user = approval.username,
                iid,
                "approval without a system note; not counted"
            );
            continue;
        };
        let Some(head) = head_at(versions, at) else {
            tracing::warn!(
                user = approval.username,
                iid,
                "approval older than every version; not counted"
            );
            continue;
        };
        out.push(Activity {
            author: approval.username.clone(),
            at,
            body: String::new(),
            kind: ActivityKind::Review {
                state: ReviewState::Approved,
                commit: Some(head.to_owned()),
            },
            node: None,
        });
    }
    for note in notes
        .iter()
        .filter(|n| !n.system && n.author.username != bot)
    {
        out.push(Activity {
            author: note.author.username.clone(),
            at: note.created_at,
            body: note.body.clone(),
            kind: ActivityKind::Comment { id: note.id },
            node: note
                .maybe_edited()
                .then(|| note_node(project, iid, note.id)),
        });
    }
    out.sort_by_key(|a| a.at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forges::gitlab::api::UserRef;

    fn ts(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    fn version(sha: &str, at: &str) -> Version {
        Version {
            head_commit_sha: sha.to_owned(),
            created_at: ts(at),
        }
    }

    fn note(id: u64, user: &str, body: &str, at: &str, updated: &str, system: bool) -> Note {
        Note {
            id,
            body: body.to_owned(),
            author: UserRef {
                username: user.to_owned(),
            },
            created_at: ts(at),
            updated_at: ts(updated),
            system,
        }
    }

    #[test]
    fn approvals_bind_to_the_head_shown_when_given() {
        let versions = [
            version("a1", "2026-01-01T00:00:00Z"),
            version("b2", "2026-01-01T01:00:00Z"),
        ];
        let approvals = [
            TimedApproval {
                username: "early".to_owned(),
                at: ApprovalTime::At(ts("2026-01-01T00:30:00Z")),
            },
            TimedApproval {
                username: "tie".to_owned(),
                at: ApprovalTime::At(ts("2026-01-01T01:00:00Z")),
            },
            TimedApproval {
                username: "late".to_owned(),
                at: ApprovalTime::At(ts("2026-01-01T02:00:00Z")),
            },
            TimedApproval {
                username: "unknown".to_owned(),
                at: ApprovalTime::Unknown,
            },
        ];
        let activity = merge_request_activity("g/p", 1, &approvals, &[], &versions, "bot");
        let bound: Vec<(&str, Option<&str>)> = activity
            .iter()
            .map(|a| match &a.kind {
                ActivityKind::Review { commit, .. } => (a.author.as_str(), commit.as_deref()),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            bound,
            [
                ("early", Some("a1")),
                ("tie", Some("a1")),
                ("late", Some("b2"))
            ]
        );
    }

    #[test]
    fn the_bot_users_own_approval_is_not_a_review() {
        let versions = [version("a1", "2026-01-01T00:00:00Z")];
        let approvals = ["signoff-bot", "alice"].map(|user| TimedApproval {
            username: user.to_owned(),
            at: ApprovalTime::At(ts("2026-01-01T00:30:00Z")),
        });
        let activity = merge_request_activity("g/p", 1, &approvals, &[], &versions, "signoff-bot");
        let authors: Vec<&str> = activity.iter().map(|a| a.author.as_str()).collect();
        assert_eq!(authors, ["alice"]);
    }

    #[test]
    fn system_and_bot_notes_are_not_comments_and_edited_notes_are_checked() {
        let notes = [
            note(
                1,
                "alice",
                "/approve",
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
                false,
            ),
            note(
                2,
                "root",
                "approved this merge request",
                "2026-01-01T00:01:00Z",
                "2026-01-01T00:01:00Z",
                true,
            ),
            note(
                3,
                "bot",
                "/approve",
                "2026-01-01T00:02:00Z",
                "2026-01-01T00:02:00Z",
                false,
            ),
            note(
                4,
                "carol",
                "/approve",
                "2026-01-01T00:03:00Z",
                "2026-01-01T00:09:00Z",
                false,
            ),
        ];
        let activity = merge_request_activity("g/sub/p", 7, &[], &notes, &[], "bot");
        let seen: Vec<(&str, Option<&str>)> = activity
            .iter()
            .map(|a| (a.author.as_str(), a.node.as_deref()))
            .collect();
        assert_eq!(seen, [("alice", None), ("carol", Some("g/sub/p!7#4"))]);
        assert_eq!(parse_node("g/sub/p!7#4"), Some(("g/sub/p", 7, 4)));
    }
}
