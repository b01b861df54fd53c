#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Property tests of the evaluator (SPEC §4, §5).
//!
//! Small random policies (written out as YAML text and parsed the way users' files are),
//! directories of at most eight users and four groups, requests and grants. Properties:
//!
//! - (a) the order grants arrive in never changes the decision when their times differ;
//! - (b) one more eligible approval never turns `approved` into anything else;
//! - (c) the decision JSON reads back into `signoff::Decision` and writes out identically;
//! - (d) `distinct_approvers: true` agrees with a brute-force search over every choice of
//!   `any_of` branches and every assignment of approvers to slots (and, as a bonus,
//!   `distinct_approvers: false` agrees with plain counting).
//!
//! 256 cases per property by default; `PROPTEST_CASES=10000 cargo test -p signoff --test
//! properties --release` runs more.

use proptest::prelude::*;
use proptest::sample::{Index, subsequence};
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Value, json};
use signoff::{
    Action, Decision, Directory, Grant, Input, Kind, Outcome, PolicySet, Request, Role, User,
};
use std::collections::{BTreeMap, BTreeSet};

const NOW: &str = "2026-11-21T09:00:00Z";
const REVISION: &str = "r1";
const MAX_USERS: usize = 8;
const GROUPS: usize = 4;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256)
}

fn user(i: usize) -> String {
    format!("u{i}")
}

fn group(i: usize) -> String {
    format!("g{i}")
}

fn now() -> jiff::Timestamp {
    NOW.parse().unwrap()
}

// ---------------------------------------------------------------------------------------
// Policies

#[derive(Debug, Clone)]
enum Count {
    /// Not written.
    Default,
    Int(u32),
    /// A whole percentage.
    Pct(u32),
}

#[derive(Debug, Clone)]
enum Req {
    /// `any: N` or `any: "P%"`; never `Count::Default`.
    Any(Count),
    Group(usize, Count),
    /// Distinct user indices (indices past the directory are unknown users).
    Users(Vec<usize>, Count),
    From {
        groups: Vec<usize>,
        users: Vec<usize>,
        count: Count,
    },
    AnyOf(Vec<Req>),
    AllOf(Vec<Req>),
}

impl Req {
    fn leaves(&self) -> usize {
        match self {
            Req::AnyOf(c) | Req::AllOf(c) => c.iter().map(Req::leaves).sum(),
            _ => 1,
        }
    }

    fn depth(&self) -> usize {
        match self {
            Req::AnyOf(c) | Req::AllOf(c) => 1 + c.iter().map(Req::depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    fn to_json(&self) -> Value {
        let names = |list: &[usize], f: fn(usize) -> String| {
            Value::from(list.iter().map(|i| f(*i)).collect::<Vec<_>>())
        };
        let mut out = serde_json::Map::new();
        let count = match self {
            Req::Any(c) => {
                out.insert("any".into(), count_json(c).unwrap_or(json!(1)));
                None
            }
            Req::Group(g, c) => {
                out.insert("group".into(), json!(group(*g)));
                Some(c)
            }
            Req::Users(list, c) => {
                out.insert("users".into(), names(list, user));
                Some(c)
            }
            Req::From {
                groups,
                users,
                count,
            } => {
                let mut from = serde_json::Map::new();
                if !groups.is_empty() {
                    from.insert("groups".into(), names(groups, group));
                }
                if !users.is_empty() {
                    from.insert("users".into(), names(users, user));
                }
                out.insert("from".into(), Value::Object(from));
                Some(count)
            }
            Req::AnyOf(children) => {
                out.insert("any_of".into(), children.iter().map(Req::to_json).collect());
                None
            }
            Req::AllOf(children) => {
                out.insert("all_of".into(), children.iter().map(Req::to_json).collect());
                None
            }
        };
        if let Some(c) = count.and_then(count_json) {
            out.insert("count".into(), c);
        }
        Value::Object(out)
    }
}

fn count_json(c: &Count) -> Option<Value> {
    match c {
        Count::Default => None,
        Count::Int(n) => Some(json!(n)),
        Count::Pct(p) => Some(json!(format!("{p}%"))),
    }
}

#[derive(Debug, Clone)]
struct Policy {
    distinct: bool,
    requires: Vec<Req>,
}

#[derive(Debug, Clone)]
struct Options {
    self_approval: bool,
    contributors_can_approve: bool,
    invalidate_on_push: bool,
    block_on_rejection: bool,
    expires_after: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct PolicyText {
    policies: Vec<Policy>,
    options: Options,
    /// Extra membership the policy file adds: (group, user).
    groups: Vec<(usize, usize)>,
    /// The second binding only applies where `environment: prod*`.
    scoped: bool,
    /// Exceptions for deployments: these users.
    exempt_users: Vec<usize>,
    /// Written as JSON (which is YAML) rather than block YAML.
    as_json: bool,
}

impl PolicyText {
    fn to_value(&self) -> Value {
        let names: Vec<String> = (0..self.policies.len()).map(|i| format!("p{i}")).collect();
        let mut policies = serde_json::Map::new();
        for (name, p) in names.iter().zip(&self.policies) {
            policies.insert(
                name.clone(),
                json!({
                    "distinct_approvers": p.distinct,
                    "requires": p.requires.iter().map(Req::to_json).collect::<Vec<_>>(),
                }),
            );
        }
        let (first, rest) = names.split_at(1);
        let mut apply = Vec::new();
        for kind in ["deployment", "config", "pull_request"] {
            apply.push(json!({ "policies": first, "to": kind }));
            if !rest.is_empty() {
                if self.scoped {
                    apply.push(json!({ "policies": rest, "to": kind, "where": { "environment": "prod*" } }));
                } else {
                    apply.push(json!({ "policies": rest, "to": kind }));
                }
            }
        }
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (g, u) in &self.groups {
            groups.entry(group(*g)).or_default().push(user(*u));
        }
        let o = &self.options;
        let mut options = json!({
            "self_approval": o.self_approval,
            "contributors_can_approve": o.contributors_can_approve,
            "invalidate_on_push": o.invalidate_on_push,
            "block_on_rejection": o.block_on_rejection,
        });
        if let Some(e) = o.expires_after {
            options["expires_after"] = json!(e);
        }
        let mut file = json!({
            "version": 1,
            "groups": groups,
            "policies": policies,
            "apply": apply,
            "options": options,
        });
        if !self.exempt_users.is_empty() {
            let users: Vec<String> = self.exempt_users.iter().map(|u| user(*u)).collect();
            file["exceptions"] = json!({ "deployment": { "users": users } });
        }
        file
    }

    fn text(&self) -> String {
        let value = self.to_value();
        if self.as_json {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            let mut out = String::from("# generated\n");
            yaml_block(&value, 0, &mut out);
            out
        }
    }

    fn parse(&self) -> PolicySet {
        let text = self.text();
        match PolicySet::parse(&text, "policy.yml") {
            Ok(set) => set,
            Err(e) => panic!("generated policy does not parse: {e:?}\n{text}"),
        }
    }
}

/// Writes a JSON value as block-style YAML (strings double-quoted, as JSON writes them).
fn yaml_block(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let inline = |v: &Value| match v {
        Value::Array(a) if a.is_empty() => Some("[]".to_owned()),
        Value::Object(o) if o.is_empty() => Some("{}".to_owned()),
        Value::Array(_) | Value::Object(_) => None,
        scalar => Some(scalar.to_string()),
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match inline(v) {
                    Some(s) => out.push_str(&format!("{pad}{k}: {s}\n")),
                    None => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml_block(v, indent + 2, out);
                    }
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                match inline(v) {
                    Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                    None => {
                        out.push_str(&format!("{pad}-\n"));
                        yaml_block(v, indent + 2, out);
                    }
                }
            }
        }
        scalar => out.push_str(&format!("{pad}{scalar}\n")),
    }
}

/// Options for the general properties: `small` keeps needs at most 2 and `users` lists at
/// most 2 long when they have no count (SPEC: no count means all of them).
fn count_strategy(small: bool, allow_default: bool) -> BoxedStrategy<Count> {
    let max: u32 = if small { 2 } else { 3 };
    let mut options: Vec<BoxedStrategy<Count>> = vec![
        (1..=max).prop_map(Count::Int).boxed(),
        prop_oneof![Just(25u32), Just(50u32), Just(100u32), 1u32..=100]
            .prop_map(Count::Pct)
            .boxed(),
    ];
    if allow_default {
        options.push(Just(Count::Default).boxed());
    }
    proptest::strategy::Union::new(options).boxed()
}

fn leaf_strategy(small: bool) -> BoxedStrategy<Req> {
    let users = || subsequence((0..MAX_USERS + 1).collect::<Vec<_>>(), 1..=3);
    let users_req = (users(), count_strategy(small, true)).prop_map(move |(list, count)| {
        // A count above the list is a compile error; `small` keeps the implicit "all" ≤ 2.
        let count = match count {
            Count::Int(n) => Count::Int(n.min(u32::try_from(list.len()).unwrap())),
            Count::Default if small && list.len() > 2 => Count::Int(2),
            other => other,
        };
        Req::Users(list, count)
    });
    prop_oneof![
        count_strategy(small, false).prop_map(Req::Any),
        (0..GROUPS + 1, count_strategy(small, true)).prop_map(|(g, c)| Req::Group(g, c)),
        users_req,
        (
            subsequence((0..GROUPS).collect::<Vec<_>>(), 0..=2),
            subsequence((0..MAX_USERS + 1).collect::<Vec<_>>(), 0..=2),
            count_strategy(small, true)
        )
            .prop_map(|(groups, users, count)| {
                let groups = if groups.is_empty() && users.is_empty() {
                    vec![0]
                } else {
                    groups
                };
                Req::From {
                    groups,
                    users,
                    count,
                }
            }),
    ]
    .boxed()
}

/// A requirement with `any_of`/`all_of` nested at most two deep.
fn req_strategy(small: bool) -> BoxedStrategy<Req> {
    leaf_strategy(small)
        .prop_recursive(2, 6, 3, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..=3).prop_map(Req::AnyOf),
                proptest::collection::vec(inner, 2..=3).prop_map(Req::AllOf),
            ]
        })
        .boxed()
}

fn policy_strategy(small: bool) -> impl Strategy<Value = Policy> {
    (
        any::<bool>(),
        proptest::collection::vec(req_strategy(small), 1..=3),
    )
        .prop_filter(
            "at most 4 leaf requirements, nested at most 2 deep",
            move |(_, requires)| {
                !small
                    || (requires.iter().map(Req::leaves).sum::<usize>() <= 4
                        && requires.iter().all(|r| r.depth() <= 2))
            },
        )
        .prop_map(|(distinct, requires)| Policy { distinct, requires })
}

fn options_strategy() -> impl Strategy<Value = Options> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![3 => Just(None), 1 => Just(Some("20m")), 1 => Just(Some("1h"))],
    )
        .prop_map(
            |(
                self_approval,
                contributors_can_approve,
                invalidate_on_push,
                block_on_rejection,
                expires_after,
            )| Options {
                self_approval,
                contributors_can_approve,
                invalidate_on_push,
                block_on_rejection,
                expires_after,
            },
        )
}

fn policy_text_strategy() -> impl Strategy<Value = PolicyText> {
    (
        proptest::collection::vec(policy_strategy(false), 1..=3),
        options_strategy(),
        proptest::collection::vec((0..GROUPS, 0..MAX_USERS + 1), 0..=3),
        any::<bool>(),
        prop_oneof![4 => Just(Vec::new()), 1 => subsequence((0..MAX_USERS).collect::<Vec<_>>(), 1..=2)],
        any::<bool>(),
    )
        .prop_map(|(policies, options, groups, scoped, exempt_users, as_json)| PolicyText {
            policies,
            options,
            groups,
            scoped,
            exempt_users,
            as_json,
        })
}

// ---------------------------------------------------------------------------------------
// Inputs

#[derive(Debug, Clone)]
struct GrantSpec {
    /// A user index; `MAX_USERS` is a user nobody knows.
    by: usize,
    action: Action,
    /// 0: no revision written, 1: the current one, 2: an older one.
    revision: u8,
}

fn directory_strategy() -> impl Strategy<Value = Directory> {
    let user_strategy = (
        subsequence((0..GROUPS).collect::<Vec<_>>(), 0..=2),
        prop_oneof![
            4 => Just(vec![Role::DeploymentApprover, Role::ConfigApprover, Role::PullRequestApprover]),
            2 => Just(vec![Role::DeploymentApprover]),
            1 => Just(vec![Role::ConfigApprover]),
            1 => Just(vec![Role::PullRequestApprover]),
            1 => Just(Vec::new()),
        ],
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(groups, roles, super_admin)| User { groups: groups.into_iter().map(group).collect(), roles, super_admin });
    (
        proptest::collection::vec(user_strategy, 1..=MAX_USERS),
        proptest::collection::vec((0..GROUPS, 0..MAX_USERS + 1), 0..=3),
    )
        .prop_map(|(users, extra)| {
            let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (g, u) in extra {
                groups.entry(group(g)).or_default().push(user(u));
            }
            Directory {
                users: users
                    .into_iter()
                    .enumerate()
                    .map(|(i, u)| (user(i), u))
                    .collect(),
                groups,
                tokens: vec!["tok".to_owned()],
            }
        })
}

fn kind_strategy() -> impl Strategy<Value = Kind> {
    prop_oneof![3 => Just(Kind::Deployment), 1 => Just(Kind::Config), 1 => Just(Kind::PullRequest)]
}

fn request_strategy() -> impl Strategy<Value = Request> {
    (
        kind_strategy(),
        prop_oneof![2 => (0..MAX_USERS).prop_map(user), 1 => Just("outsider".to_owned()), 1 => Just("tok".to_owned())],
        any::<bool>(),
        subsequence((0..MAX_USERS).collect::<Vec<_>>(), 0..=2),
        prop_oneof![Just("prod-eu"), Just("staging")],
    )
        .prop_map(|(kind, requester, has_revision, contributors, environment)| Request {
            kind,
            config: (kind == Kind::Config).then_some(signoff::ConfigKind::Secret),
            requester,
            revision: has_revision.then(|| REVISION.to_owned()),
            attributes: signoff::Attributes { environment: Some(environment.to_owned()), ..Default::default() },
            contributors: contributors.into_iter().map(user).collect(),
        })
}

fn grant_spec_strategy() -> impl Strategy<Value = GrantSpec> {
    (
        prop_oneof![8 => 0..MAX_USERS, 1 => Just(MAX_USERS)],
        prop_oneof![6 => Just(Action::Approve), 2 => Just(Action::Reject), 1 => Just(Action::Revoke)],
        prop_oneof![3 => Just(0u8), 3 => Just(1u8), 1 => Just(2u8)],
    )
        .prop_map(|(by, action, revision)| GrantSpec { by, action, revision })
}

/// Grant times: distinct whole minutes from 40 minutes before `now` to 5 after, never
/// exactly `now` (property (b) adds a grant there).
fn grants_strategy() -> impl Strategy<Value = Vec<Grant>> {
    let minutes: Vec<i64> = (-40..=5).filter(|m| *m != 0).collect();
    (
        proptest::collection::vec(grant_spec_strategy(), 0..=12),
        Just(minutes).prop_shuffle(),
    )
        .prop_map(|(specs, minutes)| {
            specs
                .into_iter()
                .zip(minutes)
                .map(|(spec, minute)| Grant {
                    by: if spec.by == MAX_USERS {
                        "ghost".to_owned()
                    } else {
                        user(spec.by)
                    },
                    action: spec.action,
                    revision: match spec.revision {
                        0 => None,
                        1 => Some(REVISION.to_owned()),
                        _ => Some("r0".to_owned()),
                    },
                    at: now()
                        .checked_add(jiff::SignedDuration::from_mins(minute))
                        .unwrap(),
                    via: None,
                })
                .collect()
        })
}

#[derive(Debug, Clone)]
struct Scenario {
    policy: PolicyText,
    input: Input,
}

fn scenario_strategy() -> impl Strategy<Value = Scenario> {
    (
        policy_text_strategy(),
        directory_strategy(),
        request_strategy(),
        grants_strategy(),
    )
        .prop_map(|(policy, directory, request, grants)| Scenario {
            policy,
            input: Input {
                request,
                directory,
                grants,
                now: now(),
            },
        })
}

fn evaluate(set: &PolicySet, input: &Input) -> Decision {
    signoff::evaluate(set, input)
}

// ---------------------------------------------------------------------------------------
// (d): the brute-force reference for distinct approvers

#[derive(Debug, Clone)]
struct DistinctScenario {
    policy: Policy,
    users: Vec<BTreeSet<usize>>,
    /// Directory-level extra membership (group, user).
    extra: Vec<(usize, usize)>,
    requester: usize,
    approvers: Vec<usize>,
}

impl DistinctScenario {
    fn known(&self, u: usize) -> bool {
        u < self.users.len()
    }

    fn members(&self, g: usize) -> BTreeSet<usize> {
        let mut out: BTreeSet<usize> = (0..self.users.len())
            .filter(|u| self.users[*u].contains(&g))
            .collect();
        out.extend(
            self.extra
                .iter()
                .filter(|(eg, _)| *eg == g)
                .map(|(_, u)| *u),
        );
        out
    }

    /// Eligible users in a leaf's source: known (everyone holds the role) and not the requester.
    fn pool(&self, leaf: &Req) -> BTreeSet<usize> {
        let raw: BTreeSet<usize> = match leaf {
            Req::Any(_) => (0..self.users.len()).collect(),
            Req::Group(g, _) => self.members(*g),
            Req::Users(list, _) => list.iter().copied().collect(),
            Req::From { groups, users, .. } => groups
                .iter()
                .flat_map(|g| self.members(*g))
                .chain(users.iter().copied())
                .collect(),
            Req::AnyOf(_) | Req::AllOf(_) => unreachable!(),
        };
        raw.into_iter()
            .filter(|u| self.known(*u) && *u != self.requester)
            .collect()
    }

    fn need(&self, leaf: &Req) -> usize {
        let pool = self.pool(leaf).len();
        let count = match leaf {
            Req::Any(c) | Req::Group(_, c) | Req::Users(_, c) | Req::From { count: c, .. } => c,
            Req::AnyOf(_) | Req::AllOf(_) => unreachable!(),
        };
        match (count, leaf) {
            (Count::Int(n), _) => *n as usize,
            (Count::Default, Req::Users(list, _)) => list.len(),
            (Count::Default, _) => 1,
            (Count::Pct(p), _) => (pool * *p as usize).div_ceil(100).max(1),
        }
    }

    /// Approvers who count: eligible, in the pool.
    fn approved(&self, leaf: &Req) -> BTreeSet<usize> {
        let pool = self.pool(leaf);
        self.approvers
            .iter()
            .copied()
            .filter(|u| pool.contains(u))
            .collect()
    }

    fn text(&self) -> String {
        let text = PolicyText {
            policies: vec![self.policy.clone()],
            options: Options {
                self_approval: false,
                contributors_can_approve: true,
                invalidate_on_push: true,
                block_on_rejection: true,
                expires_after: None,
            },
            groups: Vec::new(),
            scoped: false,
            exempt_users: Vec::new(),
            as_json: false,
        };
        text.text()
    }

    fn input(&self) -> Input {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (g, u) in &self.extra {
            groups.entry(group(*g)).or_default().push(user(*u));
        }
        let directory = Directory {
            users: self
                .users
                .iter()
                .enumerate()
                .map(|(i, gs)| {
                    (
                        user(i),
                        User {
                            groups: gs.iter().map(|g| group(*g)).collect(),
                            roles: vec![Role::DeploymentApprover],
                            super_admin: false,
                        },
                    )
                })
                .collect(),
            groups,
            tokens: Vec::new(),
        };
        let grants = self
            .approvers
            .iter()
            .enumerate()
            .map(|(i, u)| Grant {
                by: user(*u),
                action: Action::Approve,
                revision: None,
                at: now()
                    .checked_sub(jiff::SignedDuration::from_mins(
                        i64::try_from(i).unwrap() + 1,
                    ))
                    .unwrap(),
                via: None,
            })
            .collect();
        Input {
            request: Request {
                kind: Kind::Deployment,
                config: None,
                requester: user(self.requester),
                revision: Some(REVISION.to_owned()),
                attributes: signoff::Attributes::default(),
                contributors: Vec::new(),
            },
            directory,
            grants,
            now: now(),
        }
    }
}

/// Every choice of one branch per `any_of`, as the list of leaves it requires.
fn choices(requires: &[Req]) -> Vec<Vec<&Req>> {
    let mut acc: Vec<Vec<&Req>> = vec![Vec::new()];
    for req in requires {
        let options: Vec<Vec<&Req>> = match req {
            Req::AnyOf(children) => children
                .iter()
                .flat_map(|c| choices(std::slice::from_ref(c)))
                .collect(),
            Req::AllOf(children) => choices(children),
            leaf => vec![vec![leaf]],
        };
        acc = acc
            .iter()
            .flat_map(|a| {
                options
                    .iter()
                    .map(move |o| a.iter().chain(o).copied().collect())
            })
            .collect();
    }
    acc
}

/// Tries every assignment of distinct approvers to the slots.
fn fill(slots: &[&BTreeSet<usize>], used: &mut BTreeSet<usize>) -> bool {
    let Some((first, rest)) = slots.split_first() else {
        return true;
    };
    for &person in first.iter() {
        if used.insert(person) {
            if fill(rest, used) {
                return true;
            }
            used.remove(&person);
        }
    }
    false
}

fn reference_distinct(s: &DistinctScenario) -> bool {
    choices(&s.policy.requires).iter().any(|leaves| {
        let approved: Vec<(BTreeSet<usize>, usize)> =
            leaves.iter().map(|l| (s.approved(l), s.need(l))).collect();
        let slots: Vec<&BTreeSet<usize>> = approved
            .iter()
            .flat_map(|(set, need)| std::iter::repeat_n(set, *need))
            .collect();
        fill(&slots, &mut BTreeSet::new())
    })
}

fn reference_counting(s: &DistinctScenario, req: &Req) -> bool {
    match req {
        Req::AnyOf(children) => children.iter().any(|c| reference_counting(s, c)),
        Req::AllOf(children) => children.iter().all(|c| reference_counting(s, c)),
        leaf => s.approved(leaf).len() >= s.need(leaf),
    }
}

fn distinct_strategy() -> impl Strategy<Value = DistinctScenario> {
    (
        policy_strategy(true),
        proptest::collection::vec(
            subsequence((0..GROUPS).collect::<Vec<_>>(), 0..=2),
            1..=MAX_USERS,
        ),
        proptest::collection::vec((0..GROUPS, 0..MAX_USERS + 1), 0..=2),
        0..MAX_USERS + 1,
    )
        .prop_flat_map(|(policy, users, extra, requester)| {
            let n = users.len();
            let approvers = subsequence((0..n).collect::<Vec<_>>(), 0..=n.min(5)).prop_shuffle();
            (
                Just(policy),
                Just(users),
                Just(extra),
                Just(requester),
                approvers,
            )
        })
        .prop_map(
            |(policy, users, extra, requester, approvers)| DistinctScenario {
                policy,
                users: users.into_iter().map(|g| g.into_iter().collect()).collect(),
                extra,
                requester,
                approvers,
            },
        )
}

/// Leaf results of a decision's requirement tree, depth first (the order leaves are written).
fn leaf_results(reqs: &[signoff::RequirementResult], out: &mut Vec<signoff::RequirementResult>) {
    for r in reqs {
        if r.any_of.is_some() || r.all_of.is_some() {
            leaf_results(r.children(), out);
        } else {
            out.push(r.clone());
        }
    }
}

fn leaves_of<'r>(reqs: &'r [Req], out: &mut Vec<&'r Req>) {
    for r in reqs {
        match r {
            Req::AnyOf(c) | Req::AllOf(c) => leaves_of(c, out),
            leaf => out.push(leaf),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The properties

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        // Shrunk failures are saved here (relative to the crate, where cargo runs tests)
        // and replayed first on every later run; commit the file with the fix.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/properties.proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    /// (a) Grants with distinct times: their input order never changes the decision.
    #[test]
    fn grant_order_never_changes_the_decision(
        (scenario, shuffled) in scenario_strategy().prop_flat_map(|s| {
            let grants = s.input.grants.clone();
            (Just(s), Just(grants).prop_shuffle())
        })
    ) {
        let set = scenario.policy.parse();
        let first = evaluate(&set, &scenario.input).to_json();
        let mut input = scenario.input.clone();
        input.grants = shuffled;
        let second = evaluate(&set, &input).to_json();
        prop_assert_eq!(first, second);
    }

    /// (b) One more eligible approval never turns `approved` into anything else. Starting
    /// from a random case, eligible users approve one after another (each later than their
    /// other grants and not after `now`), so most runs pass through `approved` on the way.
    #[test]
    fn an_eligible_approval_never_undoes_approved(scenario in scenario_strategy(), rotate in any::<Index>()) {
        let set = scenario.policy.parse();
        let input = &scenario.input;
        let role = input.request.kind.approver_role();
        let mut eligible: Vec<String> = input
            .directory
            .users
            .iter()
            .filter(|(_, u)| u.super_admin || u.roles.contains(&role))
            .map(|(name, _)| name.clone())
            .filter(|name| *name != input.request.requester && !input.request.contributors.contains(name))
            .filter(|name| input.grants.iter().filter(|g| g.by == *name).all(|g| g.at < input.now))
            .collect();
        if !eligible.is_empty() {
            let by = rotate.index(eligible.len());
            eligible.rotate_left(by);
        }
        let mut current = input.clone();
        let mut before = evaluate(&set, &current);
        for (step, who) in eligible.iter().enumerate() {
            // Grant times are whole minutes; these fall between the last minute and `now`.
            let at = input.now.checked_sub(jiff::SignedDuration::from_secs(30 - i64::try_from(step).unwrap())).unwrap();
            current.grants.push(Grant {
                by: who.clone(),
                action: Action::Approve,
                revision: input.request.revision.clone(),
                at,
                via: None,
            });
            let after = evaluate(&set, &current);
            if before.decision == Outcome::Approved {
                prop_assert_eq!(
                    after.decision,
                    Outcome::Approved,
                    "adding {}'s approval\npolicy:\n{}\ninput: {}\nafter: {}",
                    who,
                    scenario.policy.text(),
                    serde_json::to_string(&current).unwrap(),
                    after.to_json()
                );
            }
            before = after;
        }
    }

    /// (c) The decision JSON parses back into a `Decision` that writes the same text.
    #[test]
    fn decision_json_round_trips(scenario in scenario_strategy()) {
        let set = scenario.policy.parse();
        let decision = evaluate(&set, &scenario.input);
        let json = decision.to_json();
        let back: Decision = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &decision);
        prop_assert_eq!(back.to_json(), json);
    }

    /// (d) Distinct approvers agree with brute force; plain counting agrees with counting.
    #[test]
    fn distinct_approvers_agree_with_brute_force(scenario in distinct_strategy()) {
        let text = scenario.text();
        let set = PolicySet::parse(&text, "policy.yml").unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        let decision = evaluate(&set, &scenario.input());
        prop_assert_eq!(decision.policies.len(), 1);
        let result = &decision.policies[0];
        let want = if scenario.policy.distinct {
            reference_distinct(&scenario)
        } else {
            scenario.policy.requires.iter().all(|r| reference_counting(&scenario, r))
        };
        prop_assert_eq!(result.satisfied, want, "policy:\n{}\ndecision: {}", text, decision.to_json());
        prop_assert_eq!(decision.decision == Outcome::Approved, want);
        if scenario.policy.distinct {
            // The people listed are a valid assignment: nobody twice, each in the leaf's
            // pool, and no leaf over its need.
            let mut results = Vec::new();
            leaf_results(&result.requirements, &mut results);
            let mut leaves = Vec::new();
            leaves_of(&scenario.policy.requires, &mut leaves);
            prop_assert_eq!(results.len(), leaves.len());
            let mut seen = BTreeSet::new();
            for (r, leaf) in results.iter().zip(&leaves) {
                prop_assert!(r.approved_by.len() <= scenario.need(leaf));
                let approved: BTreeSet<String> = scenario.approved(leaf).into_iter().map(user).collect();
                for who in &r.approved_by {
                    prop_assert!(approved.contains(&**who), "{} is not an approver of {:?}", who, leaf);
                    prop_assert!(seen.insert(who.clone()), "{} fills two slots: {}", who, decision.to_json());
                }
            }
            // SPEC §4.9: every approver in a pool is either placed or ignored as
            // not_assigned, never both; and the summary never asks a placed or unplaced
            // approver to approve.
            let in_a_pool: BTreeSet<String> = leaves
                .iter()
                .flat_map(|leaf| scenario.approved(leaf))
                .map(user)
                .collect();
            let not_assigned: BTreeSet<String> = decision
                .ignored
                .iter()
                .filter(|i| i.reason == signoff::IgnoreReason::NotAssigned)
                .map(|i| i.by.to_string())
                .collect();
            for who in &in_a_pool {
                prop_assert!(
                    seen.iter().any(|s| **s == **who) != not_assigned.contains(who),
                    "{} is placed and not_assigned, or neither: {}", who, decision.to_json()
                );
            }
            for part in decision.summary.split("; ").flat_map(|p| p.split(" or ")) {
                if let Some(names) = part.strip_suffix(" must approve") {
                    let names = names.trim_start_matches("Pending: ").trim_start_matches("either ");
                    for name in names.split(", ") {
                        prop_assert!(
                            !in_a_pool.contains(name),
                            "the summary asks {} who approved: {}\npolicy:\n{}", name, decision.to_json(), text
                        );
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// (e): the decide-only path (`Context::decide`) against the full evaluation

/// What `decide` must reproduce from a full decision.
fn verdict_of(decision: &Decision) -> (Outcome, Vec<(String, bool)>, Vec<String>) {
    (
        decision.decision,
        decision
            .policies
            .iter()
            .map(|p| (p.name.to_string(), p.satisfied))
            .collect(),
        decision.rejected_by.iter().map(|n| n.to_string()).collect(),
    )
}

fn decided(set: &PolicySet, input: &Input) -> (Outcome, Vec<(String, bool)>, Vec<String>) {
    let context = signoff::Context::new(set, &input.directory);
    let verdict = context.decide(&input.request, &input.grants, input.now);
    (
        verdict.decision,
        verdict
            .policies
            .iter()
            .map(|p| (p.name.to_owned(), p.satisfied))
            .collect(),
        verdict
            .rejected_by
            .iter()
            .map(|n| (*n).to_owned())
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/properties.proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    /// (e) `decide` gives the outcome, the policies with whether each is satisfied, and
    /// `rejected_by` of the full evaluation, on random policies, directories and grants.
    #[test]
    fn decide_agrees_with_evaluate(scenario in scenario_strategy()) {
        let set = scenario.policy.parse();
        let full = evaluate(&set, &scenario.input);
        prop_assert_eq!(decided(&set, &scenario.input), verdict_of(&full), "decision: {}", full.to_json());
    }

    /// (e) The same with distinct approvers and nested requirements.
    #[test]
    fn decide_agrees_with_evaluate_on_distinct_approvers(scenario in distinct_strategy()) {
        let text = scenario.text();
        let set = PolicySet::parse(&text, "policy.yml").unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        let input = scenario.input();
        let full = evaluate(&set, &input);
        prop_assert_eq!(decided(&set, &input), verdict_of(&full), "policy:\n{}\ndecision: {}", text, full.to_json());
    }
}
