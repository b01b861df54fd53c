//! A policy joined with a directory: user names interned to ids (ids follow name order,
//! so sorted ids are sorted names), roles as flags, and for every kind and every leaf
//! requirement the sorted ids of the users who hold that kind's approver role.
//! Evaluation then only subtracts the few people a request excludes.
//!
//! Pools are built lazily, per kind and policy, the first time a request needs them: the
//! simulator rebuilds the context on every keystroke and evaluates one request, which
//! needs one kind and only the policies that apply to it. Each pool is kept twice: as
//! sorted ids (candidates are listed in name order) and as a bitmap over the directory
//! (membership is one bit test, the union of several pools a few word ORs).

use super::criteria::{self, Pattern};
use super::user_index::UserIndex;
use super::windows::ZoneSpan;
use crate::compile::{Count, Leaf, PolicySet, Schedule, Source};
use crate::decision::Name;
use crate::model::{Directory, Kind, Role};
use jiff::Timestamp;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock, OnceLock};

pub(crate) type UserId = u32;

/// One policy's leaf pools for one kind, or `None` for an `any` leaf.
type PolicyPools = Vec<Option<Pool>>;

/// Users as a bitmap over the directory's ids.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdSet {
    pub words: Vec<u64>,
}

impl IdSet {
    /// An empty set able to hold ids below `users`.
    pub fn with_users(users: usize) -> IdSet {
        IdSet {
            words: vec![0; users.div_ceil(64)],
        }
    }

    pub fn contains(&self, id: UserId) -> bool {
        self.words
            .get((id / 64) as usize)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    pub fn insert(&mut self, id: UserId) {
        if let Some(w) = self.words.get_mut((id / 64) as usize) {
            *w |= 1 << (id % 64);
        }
    }

    pub fn remove(&mut self, id: UserId) {
        if let Some(w) = self.words.get_mut((id / 64) as usize) {
            *w &= !(1 << (id % 64));
        }
    }

    pub fn union_with(&mut self, other: &IdSet) {
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w |= o;
        }
    }

    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The members in id order (so in name order).
    pub fn iter(&self) -> impl Iterator<Item = UserId> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &word)| {
            let base = u32::try_from(i * 64).unwrap_or(u32::MAX);
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                Some(base + bit)
            })
        })
    }
}

/// The role holders of a requirement's source: sorted ids, the same as a bitmap, and
/// their names in the same order (a decision's candidates are runs of these, copied
/// without looking each name up).
#[derive(Debug, Clone, Default)]
pub(crate) struct Pool {
    pub ids: Vec<UserId>,
    pub set: IdSet,
    /// Shared with the decisions whose candidates are runs of it.
    pub names: Arc<[Name]>,
}

impl Pool {
    pub(crate) fn new(ids: Vec<UserId>, all_names: &[Name]) -> Pool {
        let mut set = IdSet::with_users(all_names.len());
        for &id in &ids {
            set.insert(id);
        }
        let names = ids
            .iter()
            .map(|&id| all_names.get(id as usize).cloned().unwrap_or_default())
            .collect::<Vec<Name>>()
            .into();
        Pool { ids, set, names }
    }

    pub fn contains(&self, id: UserId) -> bool {
        self.set.contains(id)
    }
}

/// `a == b`, with names (and criteria's plain text) of up to 16 bytes compared in two words (which may overlap)
/// in place instead of through a call to `memcmp`, which costs more than the comparison
/// itself at these lengths. (Longer text, such as a revision's digest, is left to
/// `memcmp`: comparing it a word at a time here measured slower.)
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |chunk: Option<&[u8; 8]>| chunk.map(|c| u64::from_ne_bytes(*c));
    match a.len() {
        0..8 => a.iter().zip(b).all(|(x, y)| x == y),
        8..=16 => {
            word(a.first_chunk()) == word(b.first_chunk())
                && word(a.last_chunk()) == word(b.last_chunk())
        }
        _ => a == b,
    }
}

/// Bindings of each kind, each list in file order. Most bindings scope an environment by
/// plain text (`production`), which equals the request's environment or not: looking the
/// environment up leaves most bindings unvisited, and those of other kinds are never
/// visited.
#[derive(Debug, Default)]
struct BindingIndex<'p> {
    /// `kinds[kind]`: the kind's bindings.
    kinds: [KindBindings<'p>; 3],
}

#[derive(Debug, Default)]
struct KindBindings<'p> {
    /// Those without a plain-text environment criterion.
    unkeyed: Vec<usize>,
    /// For each text of a plain-text environment criterion: the bindings with that
    /// text, and the unkeyed ones whose environment criterion (a glob such as `prod-*`),
    /// if any, lets that text through. A request whose environment is the text needs no
    /// other: the criterion's answer for it is known when the index is built.
    by_environment: Vec<(&'p str, Vec<usize>)>,
}

impl<'p> BindingIndex<'p> {
    fn new(policy: &'p PolicySet) -> BindingIndex<'p> {
        let mut out = BindingIndex::default();
        for (index, binding) in policy.bindings.iter().enumerate() {
            let Some(of_kind) = out.kinds.get_mut(kind_index(binding.kind)) else {
                continue;
            };
            let Some(globs) = criteria::plain_environment(&binding.criteria) else {
                of_kind.unkeyed.push(index);
                for (_, list) in &mut of_kind.by_environment {
                    list.push(index);
                }
                continue;
            };
            for text in globs.iter().filter_map(Pattern::folded_text) {
                if !of_kind.by_environment.iter().any(|(t, _)| *t == text) {
                    let unkeyed = of_kind.unkeyed.clone();
                    of_kind.by_environment.push((text, unkeyed));
                }
                for (t, list) in &mut of_kind.by_environment {
                    // A text repeated in one binding's globs lists it once.
                    if *t == text && list.last() != Some(&index) {
                        list.push(index);
                    }
                }
            }
        }
        // Then each text keeps only the bindings whose environment criterion lets it
        // through (an unkeyed binding's `prod-*` does for `production`, `dev-*` does not).
        // Bounded: a policy written to list a great many bindings under a great many
        // texts keeps its lists whole, which is exact too (each binding's criteria are
        // still checked), rather than make every context cost that many glob matches.
        for of_kind in &mut out.kinds {
            let listed: usize = of_kind.by_environment.iter().map(|(_, l)| l.len()).sum();
            if listed > FILTERED_AT_MOST {
                continue;
            }
            for (text, list) in &mut of_kind.by_environment {
                let environment = [(*text).to_owned()];
                list.retain(|&index| {
                    policy
                        .bindings
                        .get(index)
                        .is_some_and(|b| criteria::environment_admits(&b.criteria, &environment))
                });
            }
        }
        out
    }
}

/// The most index entries of one kind filtered by their environment glob (see
/// [`BindingIndex::new`]).
const FILTERED_AT_MOST: usize = 16_384;

/// What `pool_set` gives for an index that does not exist.
static NO_POOL: LazyLock<Pool> = LazyLock::new(Pool::default);

/// A compiled policy bound to a directory, ready to evaluate many requests.
#[derive(Debug, Clone)]
pub struct Context<'p> {
    pub(crate) policy: &'p PolicySet,
    /// Users by id, and the same as the `Name`s decisions hold (inline, so made up front
    /// for a few nanoseconds each and then copied, not allocated, per decision).
    users: Vec<&'p str>,
    names: Arc<[Name]>,
    ids: UserIndex,
    pub(crate) super_admin: Vec<bool>,
    /// `roles[kind][user]`: holds the approver role for that kind (super-admins hold all).
    roles: [Vec<bool>; 3],
    /// Every group's members by name, known or not, from the user entries, the
    /// directory's groups and the policy's groups.
    pub(crate) members: FxHashMap<&'p str, BTreeSet<&'p str>>,
    pub(crate) tokens: FxHashSet<&'p str>,
    /// `approvers[kind]`: every holder of the kind's approver role, the pool of every
    /// `any` requirement.
    approvers: [OnceLock<Pool>; 3],
    /// `exempt_by_name[kind]`: the directory users the kind's exception names, listed or
    /// through a group (built the first time a request of the kind is decided).
    exempt_by_name: [OnceLock<IdSet>; 3],
    /// `pools[kind][policy][leaf]`: sorted ids of users in the leaf's source who hold the
    /// approver role for the kind; `None` for `any` (see `approvers`).
    pools: [Vec<OnceLock<PolicyPools>>; 3],
    /// `zone_spans[window]`: the first offset span found for a weekly window's zone
    /// (see [`ZoneSpan`]); lock-free, so the context stays `Sync`.
    zone_spans: Vec<OnceLock<Option<ZoneSpan>>>,
    /// Which bindings a request can match (see [`BindingIndex`]). Shared, not copied,
    /// by a clone of the context: a clone of its own cost the browser module more than
    /// the `Arc`.
    bindings: Arc<BindingIndex<'p>>,
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
        let names: Arc<[Name]> = users.iter().map(Name::new).collect();
        let ids = UserIndex::new(&users);
        let super_admin: Vec<bool> = directory.users.values().map(|u| u.super_admin).collect();
        let roles = Kind::ALL.map(|kind| {
            let role = kind.approver_role();
            directory
                .users
                .values()
                .map(|u| u.super_admin || u.roles.contains(&role))
                .collect::<Vec<bool>>()
        });
        let mut members: FxHashMap<&str, BTreeSet<&str>> = FxHashMap::default();
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
        let bindings = Arc::new(BindingIndex::new(policy));
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
            exempt_by_name: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
            pools: [lazy(), lazy(), lazy()],
            zone_spans: policy.windows.iter().map(|_| OnceLock::new()).collect(),
            bindings,
        }
    }

    /// The bindings that can match a request, in file order: those of its kind, without
    /// those whose plain-text environment criterion the request's environment cannot
    /// match, when equality decides it (ASCII without uppercase, or no environment,
    /// which no criterion matches). `None` for another environment: every binding may
    /// (the caller still checks each one's kind).
    pub(crate) fn candidate_bindings(
        &self,
        kind: Kind,
        environment: Option<&str>,
    ) -> Option<&[usize]> {
        let index = self.bindings.kinds.get(kind_index(kind))?;
        match environment {
            None => Some(&index.unkeyed),
            Some(e) if e.is_ascii() && !e.bytes().any(|b| b.is_ascii_uppercase()) => Some(
                index
                    .by_environment
                    .iter()
                    .find(|(text, _)| *text == e)
                    .map_or(&index.unkeyed, |(_, list)| list),
            ),
            Some(_) => None,
        }
    }

    /// The offset span of window `window`'s zone covering `now`, if the one kept from the
    /// first call (a weekly window's, found then) covers it; `None` otherwise, and the
    /// caller converts through jiff. Only the first is kept: a bulk replay's instants
    /// mostly share it, and a cell set once needs no lock.
    pub(crate) fn zone_span(
        &self,
        window: usize,
        schedule: &Schedule,
        now: Timestamp,
    ) -> Option<ZoneSpan> {
        let Schedule::Weekly { tz, .. } = schedule else {
            return None;
        };
        let kept = self.zone_spans.get(window)?;
        (*kept.get_or_init(|| ZoneSpan::at(tz, now))).filter(|span| span.covers(now))
    }

    /// Inlined: every grant looks its author up, and in the grant loop the call and its
    /// register spills cost almost as much as the lookup (about 480 instructions of
    /// `decide` on the reference workload, for 0.1 KB of the browser module).
    #[inline(always)]
    pub(crate) fn id(&self, name: &str) -> Option<UserId> {
        self.ids.get(&self.users, name)
    }

    pub(crate) fn name(&self, id: UserId) -> Name {
        self.names.get(id as usize).cloned().unwrap_or_default()
    }

    /// Every user's name, by id: composite requirements' candidates are runs of it.
    pub(crate) fn names(&self) -> &Arc<[Name]> {
        &self.names
    }

    /// The user's name as the directory spells it.
    pub(crate) fn user_name(&self, id: UserId) -> &'p str {
        self.users.get(id as usize).copied().unwrap_or("")
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

    /// How many users the directory has (ids are below this).
    pub(crate) fn user_count(&self) -> usize {
        self.users.len()
    }

    fn base_pool(&self, leaf: &Leaf, kind: Kind) -> Option<Pool> {
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
        Some(Pool::new(ids, &self.names))
    }

    fn approvers(&self, kind: Kind) -> &Pool {
        let Some(cell) = self.approvers.get(kind_index(kind)) else {
            return &NO_POOL;
        };
        cell.get_or_init(|| {
            let count = u32::try_from(self.users.len()).unwrap_or(u32::MAX);
            let ids = (0..count).filter(|id| self.has_role(*id, kind)).collect();
            Pool::new(ids, &self.names)
        })
    }

    /// Could the kind's exception name this directory user (listed, or in a listed
    /// group)? A bit test where looking the name up in each group's members cost a
    /// decision several hundred instructions; `false` says no, `true` leaves the
    /// reason to the lists.
    pub(crate) fn exempt_by_name(&self, kind: Kind, id: UserId) -> bool {
        let Some(cell) = self.exempt_by_name.get(kind_index(kind)) else {
            return true;
        };
        cell.get_or_init(|| {
            let mut set = IdSet::with_users(self.users.len());
            if let Some(rule) = self.policy.exceptions.get(kind_index(kind)) {
                let members = rule
                    .groups
                    .iter()
                    .filter_map(|g| self.members.get(g.as_str()));
                let names = rule.users.iter().map(String::as_str);
                for id in names
                    .chain(members.flatten().copied())
                    .filter_map(|n| self.id(n))
                {
                    set.insert(id);
                }
            }
            set
        })
        .contains(id)
    }

    /// Sorted ids of the role holders in a leaf's source, before a request's exclusions.
    pub(crate) fn pool(&self, kind: Kind, policy: usize, leaf: usize) -> &[UserId] {
        &self.pool_set(kind, policy, leaf).ids
    }

    /// A leaf's pool, before a request's exclusions.
    pub(crate) fn pool_set(&self, kind: Kind, policy: usize, leaf: usize) -> &Pool {
        let (Some(cell), Some(compiled)) = (
            self.pools.get(kind_index(kind)).and_then(|p| p.get(policy)),
            self.policy.policies.get(policy),
        ) else {
            return &NO_POOL;
        };
        let leaves = cell.get_or_init(|| {
            compiled
                .leaves
                .iter()
                .map(|l| self.base_pool(l, kind))
                .collect()
        });
        match leaves.get(leaf) {
            Some(Some(pool)) => pool,
            Some(None) => self.approvers(kind),
            None => &NO_POOL,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The short-name comparison says what `==` says, at every length around its words.
    #[test]
    fn same_bytes_is_equality() {
        let texts: Vec<String> = (0..=20usize)
            .chain([23, 24, 25, 71])
            .flat_map(|n| {
                let base: String = ('a'..='z').cycle().take(n).collect();
                let mut variants = vec![base.clone()];
                for at in 0..n {
                    let mut bytes = base.clone().into_bytes();
                    bytes[at] = b'X';
                    variants.push(String::from_utf8(bytes).unwrap());
                }
                variants
            })
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(
                    same_bytes(a.as_bytes(), b.as_bytes()),
                    a == b,
                    "{a:?} {b:?}"
                );
            }
        }
    }

    /// Ids across word boundaries: membership, removal, union, count and order.
    #[test]
    fn id_sets_across_words() {
        let mut a = IdSet::with_users(200);
        for id in [0, 63, 64, 127, 128, 199] {
            a.insert(id);
        }
        assert!(a.contains(63) && a.contains(64) && !a.contains(65) && !a.contains(500));
        a.remove(127);
        let mut b = IdSet::with_users(200);
        b.insert(5);
        b.insert(127);
        a.union_with(&b);
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            vec![0, 5, 63, 64, 127, 128, 199]
        );
        assert_eq!(a.len(), 7);
        // Out of range: ignored, never a panic.
        a.insert(1_000);
        a.remove(1_000);
        assert_eq!(a.len(), 7);
    }
}
