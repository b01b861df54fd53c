//! A policy joined with a directory: user names interned to ids (ids follow name order,
//! so sorted ids are sorted names), roles as flags, and for every kind and every leaf
//! requirement the sorted ids of the users who hold that kind's approver role. Built
//! once per directory; evaluation then only subtracts the few people a request excludes.

use crate::compile::{Count, Leaf, PolicySet, Source};
use crate::decision::Name;
use crate::model::{Directory, Kind, Role};
use std::collections::{BTreeSet, HashMap, HashSet};

pub(crate) type UserId = u32;

/// A compiled policy bound to a directory, ready to evaluate many requests.
#[derive(Debug, Clone)]
pub struct Context<'p> {
    pub(crate) policy: &'p PolicySet,
    pub(crate) names: Vec<Name>,
    pub(crate) ids: HashMap<String, UserId>,
    pub(crate) super_admin: Vec<bool>,
    /// `roles[kind][user]`: holds the approver role for that kind (super-admins hold all).
    roles: [Vec<bool>; 3],
    /// Every group's members by name, known or not, from the user entries, the
    /// directory's groups and the policy's groups.
    pub(crate) members: HashMap<String, BTreeSet<String>>,
    pub(crate) tokens: HashSet<String>,
    /// `pools[kind][policy][leaf]`: sorted ids of users in the leaf's source who hold the
    /// approver role for the kind.
    pub(crate) pools: [Vec<Vec<Vec<UserId>>>; 3],
}

pub(crate) fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Deployment => 0,
        Kind::Config => 1,
        Kind::PullRequest => 2,
    }
}

impl<'p> Context<'p> {
    pub fn new(policy: &'p PolicySet, directory: &Directory) -> Context<'p> {
        let names: Vec<Name> = directory
            .users
            .keys()
            .map(|n| Name::from(n.as_str()))
            .collect();
        let ids: HashMap<String, UserId> = directory
            .users
            .keys()
            .enumerate()
            .map(|(i, n)| (n.clone(), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        let super_admin: Vec<bool> = directory.users.values().map(|u| u.super_admin).collect();
        let roles = Kind::ALL.map(|kind| {
            let role = kind.approver_role();
            directory
                .users
                .values()
                .map(|u| u.super_admin || u.roles.contains(&role))
                .collect::<Vec<bool>>()
        });
        let mut members: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (name, user) in &directory.users {
            for group in &user.groups {
                members
                    .entry(group.clone())
                    .or_default()
                    .insert(name.clone());
            }
        }
        for (group, list) in &directory.groups {
            members
                .entry(group.clone())
                .or_default()
                .extend(list.iter().cloned());
        }
        for (group, list) in &policy.groups {
            members
                .entry(group.clone())
                .or_default()
                .extend(list.iter().cloned());
        }
        let tokens = directory.tokens.iter().cloned().collect();
        let mut context = Context {
            policy,
            names,
            ids,
            super_admin,
            roles,
            members,
            tokens,
            pools: [Vec::new(), Vec::new(), Vec::new()],
        };
        context.pools = Kind::ALL.map(|kind| {
            policy
                .policies
                .iter()
                .map(|p| {
                    p.leaves
                        .iter()
                        .map(|leaf| context.base_pool(leaf, kind))
                        .collect()
                })
                .collect()
        });
        context
    }

    pub(crate) fn id(&self, name: &str) -> Option<UserId> {
        self.ids.get(name).copied()
    }

    pub(crate) fn name(&self, id: UserId) -> Name {
        self.names
            .get(id as usize)
            .cloned()
            .unwrap_or_else(|| Name::from(""))
    }

    pub(crate) fn has_role(&self, id: UserId, kind: Kind) -> bool {
        self.roles
            .get(kind_index(kind))
            .and_then(|r| r.get(id as usize))
            .copied()
            .unwrap_or(false)
    }

    pub(crate) fn is_super_admin(&self, id: UserId) -> bool {
        self.super_admin.get(id as usize).copied().unwrap_or(false)
    }

    /// Is `name` (a user or not) in `group`?
    pub(crate) fn in_group(&self, name: &str, group: &str) -> bool {
        self.members.get(group).is_some_and(|m| m.contains(name))
    }

    /// Does the group exist anywhere (directory or policy)?
    pub fn group_exists(&self, group: &str) -> bool {
        self.members.contains_key(group)
    }

    fn group_ids(&self, group: &str) -> Vec<UserId> {
        self.members
            .get(group)
            .map(|m| m.iter().filter_map(|n| self.id(n)).collect())
            .unwrap_or_default()
    }

    fn base_pool(&self, leaf: &Leaf, kind: Kind) -> Vec<UserId> {
        let mut ids: Vec<UserId> = match &leaf.source {
            Source::Any => (0..u32::try_from(self.names.len()).unwrap_or(u32::MAX)).collect(),
            Source::Group(g) => self.group_ids(g),
            Source::Users(users) => users.iter().filter_map(|u| self.id(u)).collect(),
            Source::From { users, groups } => users
                .iter()
                .filter_map(|u| self.id(u))
                .chain(groups.iter().flat_map(|g| self.group_ids(g)))
                .collect(),
        };
        ids.retain(|id| self.has_role(*id, kind));
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    pub(crate) fn pool(&self, kind: Kind, policy: usize, leaf: usize) -> &[UserId] {
        self.pools
            .get(kind_index(kind))
            .and_then(|p| p.get(policy))
            .and_then(|p| p.get(leaf))
            .map_or(&[], Vec::as_slice)
    }
}

/// How many approvals a leaf needs given its eligible pool size.
pub(crate) fn need(leaf: &Leaf, pool: usize) -> u32 {
    match (leaf.count, &leaf.source) {
        (Count::Exact(n), _) => n,
        (Count::Default, Source::Users(users)) => u32::try_from(users.len()).unwrap_or(u32::MAX),
        (Count::Default, _) => 1,
        (Count::Percent(hundredths), _) => {
            let scaled = (pool as u64) * u64::from(hundredths);
            u32::try_from(scaled.div_ceil(10_000))
                .unwrap_or(u32::MAX)
                .max(1)
        }
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::DeploymentApprover => "deployment-approver",
            Role::ConfigApprover => "config-approver",
            Role::PullRequestApprover => "pull-request-approver",
        }
    }
}
