//! Pure: forge answers into the core's inputs (SPEC §3). Reviews and comment commands
//! become grants; writers, teams and super-admins become the directory.

use crate::forge::commands;
use crate::forge::{Activity, ActivityKind, Edit, EditsToCheck, People, ReviewState};
use crate::store::changes::{SeenHead, Tamper};
use signoff::model::policy::Commands;
use signoff::{Action, Directory, Grant, PolicySet, Role, User, Via};
use std::collections::{BTreeMap, BTreeSet};

/// The revision of something written before the first push the bot knows of: no real
/// head, so grants on it are stale.
pub const UNKNOWN_HEAD: &str = "unknown (written before the first push seen)";

/// The head that was current when something was written at `at`: the push interval
/// holding it. GitHub's times have a resolution of one second, so a comment written in
/// the same second as a push binds to the older head (the reviewer saw that one); only
/// the first push seen also takes comments from its own second. Before the first push
/// seen the revision is unknown.
pub fn head_at(heads: &[SeenHead], at: jiff::Timestamp) -> String {
    let second = at.as_second();
    let start = |h: &SeenHead| h.since.div_euclid(1000);
    let current = heads
        .iter()
        .rfind(|h| start(h) < second)
        .or_else(|| heads.first().filter(|h| start(h) == second));
    current.map_or_else(|| UNKNOWN_HEAD.to_owned(), |h| h.sha.clone())
}

/// Which word after a command names an environment: one the repository has, or one a
/// policy binds (any case, as GitHub's environment names).
pub struct Environments<'a> {
    /// The repository's environments, lower-cased; empty when not asked for.
    pub repository: BTreeSet<String>,
    pub policies: &'a [PolicySet],
}

impl Environments<'_> {
    pub fn names(&self, word: &str) -> bool {
        self.repository.contains(&word.to_lowercase())
            || self.policies.iter().any(|p| p.binds_environment(word))
    }

    /// Does any command argument in this activity need the repository's list to decide?
    pub fn need_repository(&self, activity: &[Activity], words: &Commands) -> bool {
        activity.iter().filter(|a| holds_commands(a)).any(|a| {
            commands::parse(&a.body, words)
                .iter()
                .filter_map(|c| c.argument.as_deref())
                .any(|word| !self.policies.iter().any(|p| p.binds_environment(word)))
        })
    }
}

/// Can this activity's body hold commands? Comments can, and reviews that only
/// comment; the body of an approval, a change request or a dismissed review cannot
/// (dismissal revokes everything that review granted).
pub(super) fn holds_commands(a: &Activity) -> bool {
    match &a.kind {
        ActivityKind::Comment { .. } => true,
        ActivityKind::Review { state, .. } => *state == ReviewState::Commented,
        ActivityKind::DeploymentReview { .. } => false,
    }
}

/// Comments and review bodies holding a command (in any of these words) whose edit
/// history must be asked: those whose grants could count, i.e. written on `counts_on`
/// (the revision under evaluation), or all when grants on every revision count
/// (`None`: a policy without `invalidate_on_push`). A stale grant never counts, so its
/// history costs no call. With `EditsToCheck::Every`, comments that hold no command
/// (now) are asked too: one may have lost its command to someone else's edit.
pub fn command_nodes(
    activity: &[Activity],
    words: &Commands,
    heads: &[SeenHead],
    current: &str,
    counts_on: Option<&str>,
    which: EditsToCheck,
) -> Vec<String> {
    activity
        .iter()
        .filter(|a| {
            holds_commands(a)
                && (which == EditsToCheck::Every || commands::mentions(&a.body, words))
        })
        .filter(|a| counts_on.is_none_or(|r| written_on(a, heads, current) == r))
        .filter_map(|a| a.node.clone())
        .collect()
}

/// Drops the text of every comment or review body last edited by someone other than
/// its author: its commands never count. Returns what was dropped as tampering, for
/// those written while `current` was the head (older ones would be stale anyway).
pub fn drop_tampered(
    activity: &mut [Activity],
    edits: &BTreeMap<String, Edit>,
    heads: &[SeenHead],
    current: &str,
) -> Vec<Tamper> {
    let mut out = Vec::new();
    for a in activity.iter_mut() {
        let Some(edit) = a.node.as_ref().and_then(|n| edits.get(n)) else {
            continue;
        };
        if edit.editor.as_deref() == Some(a.author.as_str()) {
            continue;
        }
        let by = edit
            .editor
            .clone()
            .unwrap_or_else(|| "a deleted account".to_owned());
        tracing::warn!(
            author = a.author,
            by,
            "command text edited by someone else; it does not count"
        );
        a.body.clear();
        if written_on(a, heads, current) == current {
            out.push(Tamper {
                comment_id: match a.kind {
                    ActivityKind::Comment { id } => id,
                    _ => 0,
                },
                author: a.author.clone(),
                by,
                action: "edited".to_owned(),
            });
        }
    }
    out
}

/// The revision a review or comment speaks for: a review's commit, else the head
/// current when it was written.
pub(super) fn written_on(a: &Activity, heads: &[SeenHead], current: &str) -> String {
    match &a.kind {
        ActivityKind::Review {
            commit: Some(c), ..
        } => c.clone(),
        ActivityKind::Review { commit: None, .. } => current.to_owned(),
        _ => head_at(heads, a.at),
    }
}

fn grant(by: &str, action: Action, revision: String, at: jiff::Timestamp, via: Via) -> Grant {
    Grant {
        by: by.to_owned(),
        action,
        revision: Some(revision),
        at,
        via: Some(via),
    }
}

/// Grants on a pull request: review states, and comment commands that name no
/// environment.
pub fn change_grants(
    activity: &[Activity],
    commands: &Commands,
    heads: &[SeenHead],
    current: &str,
    environments: &Environments<'_>,
) -> Vec<Grant> {
    let mut out = Vec::new();
    for a in activity {
        if let ActivityKind::Review { state, .. } = &a.kind {
            let action = match state {
                ReviewState::Approved => Some(Action::Approve),
                ReviewState::ChangesRequested => Some(Action::Reject),
                ReviewState::Dismissed => Some(Action::Revoke),
                ReviewState::Commented => None,
            };
            if let Some(action) = action {
                out.push(grant(
                    &a.author,
                    action,
                    written_on(a, heads, current),
                    a.at,
                    Via::Review,
                ));
            }
        }
        if !holds_commands(a) {
            continue;
        }
        for command in commands::parse(&a.body, commands) {
            if command.environment(|w| environments.names(w)).is_none() {
                out.push(grant(
                    &a.author,
                    command.action,
                    written_on(a, heads, current),
                    a.at,
                    Via::Comment,
                ));
            }
        }
    }
    out
}

/// A key for each environment review that stays the same across listings: reviewer,
/// state, environments, comment and how many identical ones came before it (the forge
/// gives reviews no id and no time; the bot records when it first saw each key).
pub fn review_keys(reviews: &[Activity]) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    reviews
        .iter()
        .map(|a| {
            let (approved, mut environments) = match &a.kind {
                ActivityKind::DeploymentReview {
                    approved,
                    environments,
                } => (*approved, environments.clone()),
                _ => (false, Vec::new()),
            };
            environments.sort();
            let what = serde_json::json!([a.author, approved, environments, a.body]).to_string();
            let n = seen.entry(what.clone()).or_default();
            *n += 1;
            hex::encode(Sha256::digest(format!("{what}#{n}").as_bytes()))
        })
        .collect()
}

/// One associated pull request's activity, its pushes and its head now.
pub struct PullActivity {
    pub activity: Vec<Activity>,
    pub heads: Vec<SeenHead>,
    pub current: String,
}

/// Grants on a deployment: environment reviews of the run for this environment, and
/// `/approve <environment>` commands on the associated pull requests.
pub fn deployment_grants(
    reviews: &[Activity],
    pulls: &[PullActivity],
    commands: &Commands,
    environment: &str,
    sha: &str,
) -> Vec<Grant> {
    let mut out = Vec::new();
    for a in reviews {
        if let ActivityKind::DeploymentReview {
            approved,
            environments,
        } = &a.kind
        {
            if environments
                .iter()
                .any(|e| e.eq_ignore_ascii_case(environment))
            {
                let action = if *approved {
                    Action::Approve
                } else {
                    Action::Reject
                };
                out.push(grant(
                    &a.author,
                    action,
                    sha.to_owned(),
                    a.at,
                    Via::DeploymentReview,
                ));
            }
        }
    }
    let mut comments = Vec::new();
    for pull in pulls {
        for a in pull.activity.iter().filter(|a| holds_commands(a)) {
            let revision = written_on(a, &pull.heads, &pull.current);
            for command in commands::parse(&a.body, commands) {
                if command
                    .environment(|w| w.eq_ignore_ascii_case(environment))
                    .is_some()
                {
                    comments.push(grant(
                        &a.author,
                        command.action,
                        revision.clone(),
                        a.at,
                        Via::Comment,
                    ));
                }
            }
        }
    }
    comments.sort_by_key(|g| g.at);
    out.extend(comments);
    out
}

/// The directory: writers hold every approver role; team members and everyone who gave
/// a grant are known users (so a grant by a non-writer is ignored as `not_approver`,
/// not as unknown); super-admins come from the bot's configuration.
pub fn directory(people: &People, grants: &[Grant], super_admins: &[String]) -> Directory {
    let mut dir = Directory::default();
    let roles = vec![
        Role::DeploymentApprover,
        Role::ConfigApprover,
        Role::PullRequestApprover,
    ];
    for w in &people.writers {
        dir.users.insert(
            w.clone(),
            User {
                roles: roles.clone(),
                ..User::default()
            },
        );
    }
    for members in people.groups.values() {
        for m in members {
            dir.users.entry(m.clone()).or_default();
        }
    }
    for g in grants {
        dir.users.entry(g.by.clone()).or_default();
    }
    for admin in super_admins {
        dir.users.entry(admin.clone()).or_default().super_admin = true;
    }
    for (group, members) in &people.groups {
        dir.groups.insert(group.clone(), members.clone());
    }
    dir
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn push(sha: &str, since: &str, until: Option<&str>) -> SeenHead {
        SeenHead {
            sha: sha.into(),
            since: at(since).as_millisecond(),
            until: until.map(|u| at(u).as_millisecond()),
        }
    }

    fn heads() -> Vec<SeenHead> {
        vec![
            push("a", "2026-01-01T10:00:00Z", Some("2026-01-01T12:00:00Z")),
            push("b", "2026-01-01T12:00:00Z", None),
        ]
    }

    fn comment(by: &str, when: &str, body: &str) -> Activity {
        Activity {
            author: by.into(),
            at: at(when),
            body: body.into(),
            kind: ActivityKind::Comment { id: 1 },
            node: Some(format!("IC_{by}")),
        }
    }

    fn no_environments() -> Environments<'static> {
        Environments {
            repository: BTreeSet::from(["production".to_owned()]),
            policies: &[],
        }
    }

    #[test]
    fn comments_bind_to_the_head_of_their_time() {
        let activity = vec![
            comment("ann", "2026-01-01T09:00:00Z", "/approve"),
            comment("bob", "2026-01-01T11:00:00Z", "/lgtm"),
            comment("cy", "2026-01-01T13:00:00Z", "/approve production"),
            Activity {
                author: "dee".into(),
                at: at("2026-01-01T13:30:00Z"),
                body: String::new(),
                kind: ActivityKind::Review {
                    state: ReviewState::ChangesRequested,
                    commit: Some("b".into()),
                },
                node: None,
            },
        ];
        let grants = change_grants(
            &activity,
            &Commands::default(),
            &heads(),
            "b",
            &no_environments(),
        );
        let got: Vec<(&str, Action, &str)> = grants
            .iter()
            .map(|g| (g.by.as_str(), g.action, g.revision.as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("ann", Action::Approve, UNKNOWN_HEAD),
                ("bob", Action::Approve, "a"),
                ("dee", Action::Reject, "b"),
            ]
        );
        let pulls = [PullActivity {
            activity,
            heads: heads(),
            current: "b".into(),
        }];
        let deploy = deployment_grants(&[], &pulls, &Commands::default(), "Production", "b");
        assert_eq!(deploy.len(), 1);
        assert_eq!(deploy[0].by, "cy");
        assert_eq!(deploy[0].revision.as_deref(), Some("b"));
    }

    #[test]
    fn a_tie_in_the_same_second_binds_to_the_older_head() {
        let pushes = vec![
            push(
                "a",
                "2026-01-01T10:00:00.300Z",
                Some("2026-01-01T10:00:05.100Z"),
            ),
            push(
                "b",
                "2026-01-01T10:00:05.100Z",
                Some("2026-01-01T10:00:09Z"),
            ),
            push("a", "2026-01-01T10:00:09Z", None),
        ];
        assert_eq!(
            head_at(&pushes, at("2026-01-01T10:00:00Z")),
            "a",
            "first push: its own second"
        );
        assert_eq!(head_at(&pushes, at("2026-01-01T10:00:05Z")), "a");
        assert_eq!(head_at(&pushes, at("2026-01-01T10:00:06Z")), "b");
        assert_eq!(head_at(&pushes, at("2026-01-01T10:00:09Z")), "b");
        assert_eq!(head_at(&pushes, at("2026-01-01T10:00:10Z")), "a");
        assert_eq!(head_at(&pushes, at("2026-01-01T09:59:59Z")), UNKNOWN_HEAD);
        assert_eq!(head_at(&[], at("2026-01-01T10:00:10Z")), UNKNOWN_HEAD);
    }

    #[test]
    fn commands_count_only_in_comments_and_comment_reviews() {
        let review = |state| Activity {
            author: "ann".into(),
            at: at("2026-01-01T13:00:00Z"),
            body: "/approve".into(),
            kind: ActivityKind::Review {
                state,
                commit: Some("b".into()),
            },
            node: None,
        };
        let actions = |state| {
            change_grants(
                &[review(state)],
                &Commands::default(),
                &heads(),
                "b",
                &no_environments(),
            )
            .iter()
            .map(|g| g.action)
            .collect::<Vec<_>>()
        };
        assert_eq!(actions(ReviewState::Commented), vec![Action::Approve]);
        assert_eq!(actions(ReviewState::Dismissed), vec![Action::Revoke]);
        assert_eq!(actions(ReviewState::ChangesRequested), vec![Action::Reject]);
    }

    #[test]
    fn only_commands_that_could_count_are_checked_for_edits() {
        let activity = vec![
            comment("ann", "2026-01-01T11:00:00Z", "/approve"),
            comment("bob", "2026-01-01T13:00:00Z", "/approve"),
            comment("cy", "2026-01-01T13:00:00Z", "thanks"),
        ];
        let words = Commands::default();
        let nodes =
            |counts_on, which| command_nodes(&activity, &words, &heads(), "b", counts_on, which);
        assert_eq!(
            nodes(Some("b"), EditsToCheck::HoldingCommands),
            vec!["IC_bob"]
        );
        assert_eq!(
            nodes(None, EditsToCheck::HoldingCommands),
            vec!["IC_ann", "IC_bob"]
        );
        assert_eq!(
            nodes(Some("b"), EditsToCheck::Every),
            vec!["IC_bob", "IC_cy"]
        );
    }

    #[test]
    fn text_edited_by_someone_else_is_dropped() {
        let mut activity = vec![
            comment("ann", "2026-01-01T13:00:00Z", "/approve"),
            comment("bob", "2026-01-01T11:00:00Z", "/approve"),
            comment("cy", "2026-01-01T13:00:00Z", "/approve"),
        ];
        let edit = |by: Option<&str>| Edit {
            editor: by.map(str::to_owned),
            at: at("2026-01-01T14:00:00Z"),
        };
        let edits = BTreeMap::from([
            ("IC_ann".to_owned(), edit(Some("dave"))),
            ("IC_bob".to_owned(), edit(None)),
            ("IC_cy".to_owned(), edit(Some("cy"))),
        ]);
        let tampers = drop_tampered(&mut activity, &edits, &heads(), "b");
        assert_eq!(tampers.len(), 1, "bob's comment binds to an older head");
        assert_eq!(
            (tampers[0].author.as_str(), tampers[0].by.as_str()),
            ("ann", "dave")
        );
        let bodies: Vec<&str> = activity.iter().map(|a| a.body.as_str()).collect();
        assert_eq!(bodies, vec!["", "", "/approve"]);
    }

    #[test]
    fn review_keys_survive_a_reordered_listing_and_tell_repeats_apart() {
        let review = |by: &str, approved: bool| Activity {
            author: by.into(),
            at: at("2026-01-01T13:00:00Z"),
            body: String::new(),
            kind: ActivityKind::DeploymentReview {
                approved,
                environments: vec!["production".into()],
            },
            node: None,
        };
        let first = review_keys(&[review("ann", true), review("bob", false)]);
        let later = review_keys(&[
            review("bob", false),
            review("ann", true),
            review("ann", true),
        ]);
        assert_eq!(later[0], first[1]);
        assert_eq!(later[1], first[0]);
        assert!(
            !first.contains(&later[2]),
            "a second identical review is new"
        );
    }

    #[test]
    fn directory_roles() {
        let mut people = People::default();
        people.writers.insert("w".into());
        people
            .groups
            .insert("acme/sec".into(), vec!["w".into(), "t".into()]);
        let grants = vec![grant(
            "outsider",
            Action::Approve,
            "x".into(),
            at("2026-01-01T00:00:00Z"),
            Via::Review,
        )];
        let dir = directory(&people, &grants, &["root".to_owned()]);
        assert_eq!(dir.users["w"].roles.len(), 3);
        assert!(dir.users["t"].roles.is_empty());
        assert!(dir.users.contains_key("outsider"));
        assert!(dir.users["root"].super_admin);
        assert_eq!(dir.groups["acme/sec"], vec!["w", "t"]);
    }
}
