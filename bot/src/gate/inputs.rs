//! Pure: forge answers into the core's inputs (SPEC §3). Reviews and comment commands
//! become grants; writers, teams and super-admins become the directory.

use crate::forge::commands::{self, Command};
use crate::forge::{Activity, ActivityKind, People, ReviewState};
use crate::store::changes::SeenHead;
use signoff::model::policy::Commands;
use signoff::{Action, Directory, Grant, Role, User, Via};

/// The head that was current when something was written at `at_ms`: the last head seen
/// pushed at or before then. Before the first head seen, the revision is unknown (and
/// grants on it stale); with no heads seen at all, the current head.
pub fn head_at(heads: &[SeenHead], at_ms: i64, current: &str) -> String {
    if heads.is_empty() {
        return current.to_owned();
    }
    heads.iter().rfind(|h| h.since <= at_ms).map_or_else(
        || "unknown (written before the first push seen)".to_owned(),
        |h| h.sha.clone(),
    )
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

/// Grants on a pull request: review states, and comment commands without an environment.
pub fn change_grants(
    activity: &[Activity],
    commands: &Commands,
    heads: &[SeenHead],
    current: &str,
) -> Vec<Grant> {
    let mut out = Vec::new();
    for a in activity {
        let written_on = |a: &Activity| match &a.kind {
            ActivityKind::Review {
                commit: Some(c), ..
            } => c.clone(),
            _ => head_at(heads, a.at.as_millisecond(), current),
        };
        if let ActivityKind::Review { state, commit } = &a.kind {
            let action = match state {
                ReviewState::Approved => Some(Action::Approve),
                ReviewState::ChangesRequested => Some(Action::Reject),
                ReviewState::Dismissed => Some(Action::Revoke),
                ReviewState::Commented => None,
            };
            if let Some(action) = action {
                let revision = commit.clone().unwrap_or_else(|| current.to_owned());
                out.push(grant(&a.author, action, revision, a.at, Via::Review));
            }
        }
        if matches!(a.kind, ActivityKind::DeploymentReview { .. }) {
            continue;
        }
        for Command {
            action,
            environment,
        } in commands::parse(&a.body, commands)
        {
            if environment.is_none() {
                out.push(grant(&a.author, action, written_on(a), a.at, Via::Comment));
            }
        }
    }
    out
}

/// Grants on a deployment: environment reviews of the run for this environment, and
/// `/approve <environment>` commands on the associated pull requests (each list of
/// activity with that pull request's heads).
pub fn deployment_grants(
    reviews: &[Activity],
    pulls: &[(Vec<Activity>, Vec<SeenHead>, String)],
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
    for (activity, heads, current) in pulls {
        for a in activity {
            if matches!(a.kind, ActivityKind::DeploymentReview { .. }) {
                continue;
            }
            let revision = match &a.kind {
                ActivityKind::Review {
                    commit: Some(c), ..
                } => c.clone(),
                _ => head_at(heads, a.at.as_millisecond(), current),
            };
            for Command {
                action,
                environment: env,
            } in commands::parse(&a.body, commands)
            {
                if env.is_some_and(|e| e.eq_ignore_ascii_case(environment)) {
                    comments.push(grant(
                        &a.author,
                        action,
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
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests stop at the first surprise"
)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn heads() -> Vec<SeenHead> {
        vec![
            SeenHead {
                sha: "a".into(),
                since: at("2026-01-01T10:00:00Z").as_millisecond(),
            },
            SeenHead {
                sha: "b".into(),
                since: at("2026-01-01T12:00:00Z").as_millisecond(),
            },
        ]
    }

    fn comment(by: &str, when: &str, body: &str) -> Activity {
        Activity {
            author: by.into(),
            at: at(when),
            body: body.into(),
            kind: ActivityKind::Comment { id: 1 },
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
            },
        ];
        let grants = change_grants(&activity, &Commands::default(), &heads(), "b");
        let got: Vec<(&str, Action, &str)> = grants
            .iter()
            .map(|g| (g.by.as_str(), g.action, g.revision.as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "ann",
                    Action::Approve,
                    "unknown (written before the first push seen)"
                ),
                ("bob", Action::Approve, "a"),
                ("dee", Action::Reject, "b"),
            ]
        );
        let deploy = deployment_grants(
            &[],
            &[(activity, heads(), "b".into())],
            &Commands::default(),
            "Production",
            "b",
        );
        assert_eq!(deploy.len(), 1);
        assert_eq!(deploy[0].by, "cy");
        assert_eq!(deploy[0].revision.as_deref(), Some("b"));
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
