//! A policy joined with a directory: user names interned to ids (ids follow name order,
//! so sorted ids are sorted names), roles as flags, and for every kind and every leaf
//! requirement the sorted ids of the users who hold that kind's approver role.
//! Evaluation then only subtracts the few people a request excludes.
//!
//! Pools are built lazily, per kind and policy, the first time a request needs them: the
//! simulator rebuilds the context on every keystroke and evaluates one request, which
//! needs one kind and only the policies that apply to it.

use crate::compile::{Count, Leaf, PolicySet, Source};
use crate::decision::Name;
use crate::model::{Directory, Kind, Role};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

pub(crate) type UserId = u32;

/// One policy's leaf pools for one kind: sorted ids, or `None` for an `any` leaf.
type PolicyPools = Vec<Option<Vec<UserId>>>;

/// A compiled policy bound to a directory, ready to evaluate many requests.
#[derive(Debug, Clone)]
pub struct Context<'p> {
    pub(crate) policy: &'p PolicySet,
    /// Users by id; their shared `Name`s are made the first time a decision needs them.
    users: Vec<&'p str>,
    names: Vec<OnceLock<Name>>,
    pub(crate) ids: HashMap<&'p str, UserId>,
    pub(crate) super_admin: Vec<bool>,
    /// `roles[kind][user]`: holds the approver role for that kind (super-admins hold all).
    roles: [Vec<bool>; 3],
    /// Every group's members by name, known or not, from the user entries, the
    /// directory's groups and the policy's groups.
    pub(crate) members: HashMap<&'p str, BTreeSet<&'p str>>,
    pub(crate) tokens: HashSet<&'p str>,
    /// `approvers[kind]`: sorted ids of every holder of the kind's approver role, the
    /// pool of every `any` requirement.
    approvers: [OnceLock<Vec<UserId>>; 3],
    /// `pools[kind][policy][leaf]`: sorted ids of users in the leaf's source who hold the
    /// approver role for the kind; `None` for `any` (see `approvers`).
    pools: [Vec<OnceLock<PolicyPools>>; 3],
}

pub(crate) fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Deployment => 0,
        Kind::Config => 1,
        Kind::PullRequest => 2,
    }
}

impl<'p> Context<'p> {
    pub fn new(policy: &'p PolicySet, directory: &'p Directory) -> Context<'p> {
        let users: Vec<&str> = directory.users.keys().map(String::as_str).collect();
        let names = users.iter().map(|_| OnceLock::new()).collect();
        let ids: HashMap<&str, UserId> = directory
            .users
            .keys()
            .enumerate()
            .map(|(i, n)| (n.as_str(), u32::try_from(i).unwrap_or(u32::MAX)))
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
        let mut members: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for (name, user) in &directory.users {
            for group in &user.groups {
                members.entry(group).or_default().insert(name);
            }
        }
        for (group, list) in &directory.groups {
            members
                .entry(group)
                .or_default()
                .extend(list.iter().map(String::as_str));
        }
        for (group, list) in &policy.groups {
            members
                .entry(group)
                .or_default()
                .extend(list.iter().map(String::as_str));
        }
        let tokens = directory.tokens.iter().map(String::as_str).collect();
        let lazy = || {
            policy
                .policies
                .iter()
                .map(|_| OnceLock::new())
                .collect::<Vec<_>>()
        };
        Context {
            policy,
            users,
            names,
            ids,
            super_admin,
            roles,
            members,
            tokens,
            approvers: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
            pools: [lazy(), lazy(), lazy()],
        }
    }

    pub(crate) fn id(&self, name: &str) -> Option<UserId> {
        self.ids.get(name).copied()
    }

    pub(crate) fn name(&self, id: UserId) -> Name {
        match (self.names.get(id as usize), self.users.get(id as usize)) {
            (Some(cell), Some(user)) => cell.get_or_init(|| Name::from(*user)).clone(),
            _ => Name::from(""),
        }
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

    fn base_pool(&self, leaf: &Leaf, kind: Kind) -> Option<Vec<UserId>> {
        let mut ids: Vec<UserId> = match &leaf.source {
            Source::Any => return None,
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
        Some(ids)
    }

    fn approvers(&self, kind: Kind) -> &[UserId] {
        let Some(cell) = self.approvers.get(kind_index(kind)) else {
            return &[];
        };
        cell.get_or_init(|| {
            let count = u32::try_from(self.users.len()).unwrap_or(u32::MAX);
            (0..count).filter(|id| self.has_role(*id, kind)).collect()
        })
    }

    /// Sorted ids of the role holders in a leaf's source, before a request's exclusions.
    pub(crate) fn pool(&self, kind: Kind, policy: usize, leaf: usize) -> &[UserId] {
        let (Some(cell), Some(compiled)) = (
            self.pools.get(kind_index(kind)).and_then(|p| p.get(policy)),
            self.policy.policies.get(policy),
        ) else {
            return &[];
        };
        let leaves = cell.get_or_init(|| {
            compiled
                .leaves
                .iter()
                .map(|l| self.base_pool(l, kind))
                .collect()
        });
        match leaves.get(leaf) {
            Some(Some(ids)) => ids,
            Some(None) => self.approvers(kind),
            None => &[],
        }
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
