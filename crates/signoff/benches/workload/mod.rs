//! The reference workload of the benchmarks (issue 2, item 10): 2,000 users, 50 groups,
//! 20 policies, 40 bindings and 30 grants, generated deterministically (a fixed-seed
//! xorshift, no `rand`), so every run and every engine sees the same inputs.
//!
//! Shared by the criterion benchmark (`benches/evaluate.rs`) and by the test that keeps
//! `tests/bench/reference-case.yml` up to date (`tests/bench_workload.rs`), which the
//! browser benchmark reads.
//!
//! Besides the policy text and the evaluation input, the generator emits the same policy
//! as JSON data for the Rego version of the rules (`benches/rego/signoff.rego`): the form
//! signoff's compiler produces (defaults resolved, windows as nanoseconds), so both
//! engines start from a compiled policy.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{Value, json};
use signoff::{Action, Decision, Grant, Input, Outcome, PolicySet, RequirementResult};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub const USERS: usize = 2_000;
pub const GROUPS: usize = 50;
pub const POLICIES: usize = 20;
pub const BINDINGS: usize = 40;
pub const GRANTS: usize = 30;

const SEED: u64 = 0x5eed_0ff5_1990_2026;
const NOW: &str = "2026-11-24T09:30:00Z";
/// During the year-end freeze: the `blocked` variant.
const NOW_IN_FREEZE: &str = "2026-12-22T10:00:00Z";
/// A Tuesday, 06:00 in Berlin: before the weekday maintenance window opens.
const NOW_BEFORE_HOURS: &str = "2026-11-24T05:00:00Z";
const REVISION: &str = "sha256:9f2c4e1a7b3d5f60718293a4b5c6d7e8f9012345";
const OLD_REVISION: &str = "sha256:1b7e0d9c8a6f4e2d3c1b0a9f8e7d6c5b4a392817";
const REQUESTER: &str = "user0042";
const CONTRIBUTORS: [&str; 2] = ["user0043", "user0044"];

/// Specialist groups (about 25 members each); the other 40 are `team-00`..`team-39`.
const SPECIALISTS: [&str; 10] = [
    "security",
    "qa",
    "sre",
    "dba",
    "release-managers",
    "compliance",
    "platform",
    "payments-leads",
    "data-eng",
    "oncall",
];
/// Named approvers: every one of them holds all three approver roles.
const LEADS: [&str; 8] = [
    "user0100", "user0200", "user0300", "user0400", "user0500", "user0600", "user0700", "user0800",
];

/// xorshift64*: enough for a reproducible workload.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.next() % denominator < numerator
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

pub fn user(i: usize) -> String {
    format!("user{i:04}")
}

fn team(i: usize) -> String {
    format!("team-{i:02}")
}

#[derive(Debug, Clone)]
enum Source {
    Any,
    Group(String),
    Users(Vec<String>),
    From {
        users: Vec<String>,
        groups: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Count {
    Default,
    N(u32),
    Percent(u32),
}

#[derive(Debug, Clone)]
enum Req {
    Leaf(Source, Count),
    AnyOf(Vec<Req>),
    AllOf(Vec<Req>),
}

struct Policy {
    name: &'static str,
    description: &'static str,
    requires: Vec<Req>,
}

struct Binding {
    policies: Vec<&'static str>,
    to: &'static str,
    config: Option<Vec<&'static str>>,
    /// (attribute, globs), in the order written.
    criteria: Vec<(&'static str, Vec<String>)>,
}

fn group(g: &str, count: Count) -> Req {
    Req::Leaf(Source::Group(g.to_owned()), count)
}

fn users(list: &[&str], count: Count) -> Req {
    Req::Leaf(
        Source::Users(list.iter().map(|u| (*u).to_owned()).collect()),
        count,
    )
}

fn from(list: &[&str], groups: &[&str], count: Count) -> Req {
    Req::Leaf(
        Source::From {
            users: list.iter().map(|u| (*u).to_owned()).collect(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        },
        count,
    )
}

fn any(n: u32) -> Req {
    Req::Leaf(Source::Any, Count::N(n))
}

fn policies() -> Vec<Policy> {
    use Count::{Default as D, N, Percent as P};
    let p = |name, description, requires| Policy {
        name,
        description,
        requires,
    };
    vec![
        p(
            "two-approvals",
            "Two approvals from any approver",
            vec![any(2)],
        ),
        p(
            "security-review",
            "Two approvals from security",
            vec![group("security", N(2))],
        ),
        p(
            "qa-signoff",
            "A fifth of QA signs off",
            vec![group("qa", P(20))],
        ),
        p(
            "named-leads",
            "The banking leads, all of them",
            vec![users(&LEADS[..3], D)],
        ),
        p(
            "two-of-leads",
            "Two of the platform leads",
            vec![users(&LEADS[3..7], N(2))],
        ),
        p(
            "release",
            "A release manager, or security plus two others",
            vec![Req::AnyOf(vec![
                from(&["user0900"], &["release-managers"], N(1)),
                Req::AllOf(vec![group("security", N(1)), any(2)]),
            ])],
        ),
        p(
            "dba-change",
            "A DBA and two from platform or SRE",
            vec![
                group("dba", D),
                from(&[LEADS[7]], &["platform", "sre"], N(2)),
            ],
        ),
        p(
            "compliance",
            "A tenth of compliance",
            vec![group("compliance", P(10))],
        ),
        p(
            "payments",
            "Payments lead and security",
            vec![Req::AllOf(vec![
                group("payments-leads", N(1)),
                group("security", N(1)),
            ])],
        ),
        p("sre-ack", "One SRE acknowledges", vec![group("sre", D)]),
        p("pr-review", "One review", vec![any(1)]),
        p(
            "pr-owners",
            "Two code owners",
            vec![from(&[], &["team-03", "team-07"], N(2))],
        ),
        p(
            "config-guard",
            "A lead and platform",
            vec![users(&LEADS[..2], N(1)), group("platform", D)],
        ),
        p(
            "secret-guard",
            "Security twice and compliance or a lead",
            vec![
                group("security", N(2)),
                Req::AnyOf(vec![group("compliance", D), users(&[LEADS[0]], D)]),
            ],
        ),
        p(
            "data-review",
            "Two data engineers",
            vec![group("data-eng", N(2))],
        ),
        p(
            "mobile-release",
            "A team-11 member and one more",
            vec![group("team-11", D), any(1)],
        ),
        p(
            "hotfix",
            "Two SREs or a release manager",
            vec![Req::AnyOf(vec![
                group("sre", N(2)),
                group("release-managers", N(1)),
            ])],
        ),
        p(
            "template-review",
            "Half of platform and the release leads",
            vec![from(&[LEADS[1]], &["platform", "release-leads"], P(50))],
        ),
        p(
            "four-eyes",
            "Two approvals, one of them QA",
            vec![any(2), group("qa", N(1))],
        ),
        p(
            "migrations",
            "Two DBAs and a lead",
            vec![group("dba", N(2)), users(&LEADS[4..6], N(1))],
        ),
    ]
}

fn globs(list: &[&str]) -> Vec<String> {
    list.iter().map(|g| (*g).to_owned()).collect()
}

fn bindings(rng: &mut Rng) -> Vec<Binding> {
    let b = |policies: &[&'static str], to, criteria: Vec<(&'static str, Vec<String>)>| Binding {
        policies: policies.to_vec(),
        to,
        config: None,
        criteria,
    };
    let mut out = vec![
        // These match the reference deployment request.
        b(
            &["security-review"],
            "deployment",
            vec![("environment", globs(&["production"]))],
        ),
        b(
            &["qa-signoff", "security-review"],
            "deployment",
            vec![
                ("cluster", globs(&["prod-*"])),
                ("app", globs(&["banking-*", "payments"])),
            ],
        ),
        b(
            &["named-leads"],
            "deployment",
            vec![
                ("app", globs(&["banking-*"])),
                ("environment", globs(&["production", "prod-*"])),
            ],
        ),
        b(
            &["payments"],
            "deployment",
            vec![("labels", globs(&["payments"]))],
        ),
        b(
            &["sre-ack"],
            "deployment",
            vec![("cluster", globs(&["prod-??-?"]))],
        ),
        b(
            &["hotfix"],
            "deployment",
            vec![
                ("repo", globs(&["acme/*"])),
                ("branch", globs(&["main"])),
                ("labels", globs(&["release", "hotfix"])),
            ],
        ),
        b(
            &["two-of-leads"],
            "deployment",
            vec![
                ("environment", globs(&["production"])),
                ("repo", globs(&["acme/bank*"])),
            ],
        ),
        // Near misses for the reference request.
        b(
            &["two-approvals"],
            "deployment",
            vec![("environment", globs(&["staging"]))],
        ),
        b(
            &["release"],
            "deployment",
            vec![("environment", globs(&["preprod", "staging-*"]))],
        ),
        b(
            &["dba-change"],
            "deployment",
            vec![
                ("app", globs(&["banking-db"])),
                ("environment", globs(&["production"])),
            ],
        ),
        b(
            &["compliance"],
            "deployment",
            vec![
                ("cluster", globs(&["prod-us-*"])),
                ("app", globs(&["banking-*"])),
            ],
        ),
        // Pull requests and configuration.
        b(&["pr-review"], "pull_request", vec![]),
        b(
            &["migrations"],
            "pull_request",
            vec![("paths", globs(&["migrations/**"]))],
        ),
        b(
            &["pr-owners"],
            "pull_request",
            vec![
                ("repo", globs(&["acme/*"])),
                ("paths", globs(&["src/**/*.rs"])),
            ],
        ),
        b(
            &["data-review"],
            "pull_request",
            vec![("repo", globs(&["acme/data-*"]))],
        ),
        b(
            &["mobile-release"],
            "pull_request",
            vec![("labels", globs(&["mobile", "ios-*", "android-*"]))],
        ),
        Binding {
            config: Some(vec!["configmap", "secret"]),
            ..b(&["config-guard"], "config", vec![])
        },
        Binding {
            config: Some(vec!["secret"]),
            ..b(&["secret-guard"], "config", vec![])
        },
        Binding {
            config: Some(vec!["deployment-template"]),
            ..b(
                &["template-review"],
                "config",
                vec![("app", globs(&["banking-*"]))],
            )
        },
        b(
            &["four-eyes"],
            "config",
            vec![("environment", globs(&["production"]))],
        ),
    ];
    // The rest: scopes of other environments, repositories and branches, none of which
    // match the reference requests.
    let names: Vec<&'static str> = policies().iter().map(|p| p.name).collect();
    let environments = ["staging", "dev-*", "qa", "preprod", "sandbox-?"];
    let clusters = ["stage-*", "dev-?", "test-eu-*", "lab"];
    let apps = ["shop-*", "search", "mobile-api", "data-*", "billing-?"];
    let repos = ["acme/shop", "acme/search-*", "acme/infra", "labs/*"];
    let branches = ["release/*", "develop", "hotfix/*"];
    let labels = ["experimental", "needs-*", "deps"];
    let paths = [
        "docs/**",
        "deploy/*.yaml",
        "**/Cargo.lock",
        "charts/**/values.yaml",
    ];
    let mut i = 0;
    while out.len() < BINDINGS {
        let first = names[i % names.len()];
        let mut policies = vec![first];
        if rng.chance(1, 3) {
            let second = *rng.pick(&names);
            if second != first {
                policies.push(second);
            }
        }
        let binding = match i % 3 {
            0 => {
                let mut criteria =
                    vec![("environment", vec![(*rng.pick(&environments)).to_owned()])];
                if rng.chance(1, 2) {
                    criteria.insert(
                        0,
                        (
                            "cluster",
                            vec![
                                (*rng.pick(&clusters)).to_owned(),
                                (*rng.pick(&clusters)).to_owned(),
                            ],
                        ),
                    );
                }
                if rng.chance(1, 2) {
                    criteria.push(("app", vec![(*rng.pick(&apps)).to_owned()]));
                }
                b(&policies, "deployment", criteria)
            }
            1 => {
                let mut criteria = vec![("branch", vec![(*rng.pick(&branches)).to_owned()])];
                if rng.chance(1, 2) {
                    criteria.insert(0, ("repo", vec![(*rng.pick(&repos)).to_owned()]));
                }
                if rng.chance(1, 2) {
                    criteria.push(("labels", vec![(*rng.pick(&labels)).to_owned()]));
                }
                if rng.chance(1, 2) {
                    criteria.push((
                        "paths",
                        vec![
                            (*rng.pick(&paths)).to_owned(),
                            (*rng.pick(&paths)).to_owned(),
                        ],
                    ));
                }
                b(&policies, "pull_request", criteria)
            }
            _ => {
                let kinds = ["deployment-template", "configmap", "secret"];
                let config = vec![*rng.pick(&kinds)];
                let criteria = vec![("environment", vec![(*rng.pick(&environments)).to_owned()])];
                Binding {
                    config: Some(config),
                    ..b(&policies, "config", criteria)
                }
            }
        };
        out.push(binding);
        i += 1;
    }
    out
}

/// A user of the directory as generated.
struct DirUser {
    name: String,
    groups: Vec<String>,
    roles: Vec<&'static str>,
    super_admin: bool,
}

struct DirectoryGen {
    users: Vec<DirUser>,
    /// More membership by group (some of it unknown users).
    groups: Vec<(String, Vec<String>)>,
}

fn directory(rng: &mut Rng) -> DirectoryGen {
    let mut users = Vec::with_capacity(USERS);
    for i in 1..=USERS {
        let name = user(i);
        let mut groups = vec![team(i % 40)];
        let mut specialist = false;
        if rng.chance(1, 8) {
            groups.push((*rng.pick(&SPECIALISTS)).to_owned());
            specialist = true;
        }
        if rng.chance(1, 40) {
            let g = (*rng.pick(&SPECIALISTS)).to_owned();
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        let lead = LEADS.contains(&name.as_str());
        let mut roles = Vec::new();
        if lead || specialist || rng.chance(1, 2) {
            roles.push("deployment-approver");
        }
        if lead || rng.chance(3, 10) {
            roles.push("config-approver");
        }
        if lead || rng.chance(6, 10) {
            roles.push("pull-request-approver");
        }
        // The requester and the contributors approve deployments, so their own
        // approvals are ignored for the right reason; the oncall group is not theirs.
        if name == REQUESTER || CONTRIBUTORS.contains(&name.as_str()) {
            groups.retain(|g| g != "oncall");
            if !roles.contains(&"deployment-approver") {
                roles.insert(0, "deployment-approver");
            }
        }
        let super_admin = i > USERS - 2;
        users.push(DirUser {
            name,
            groups,
            roles,
            super_admin,
        });
    }
    // A few people are members through the group's own list, and one has left.
    let mut groups = Vec::new();
    for g in ["security", "release-managers", "sre", "platform", "oncall"] {
        let mut list: Vec<String> = (0..3).map(|_| user(1 + rng.below(USERS))).collect();
        if g == "security" {
            list.push("former-employee".to_owned());
        }
        list.retain(|u| u != REQUESTER && !CONTRIBUTORS.contains(&u.as_str()));
        list.sort();
        list.dedup();
        groups.push((g.to_owned(), list));
    }
    DirectoryGen { users, groups }
}

impl DirectoryGen {
    fn in_group(&self, u: &DirUser, g: &str) -> bool {
        u.groups.iter().any(|x| x == g)
            || self
                .groups
                .iter()
                .any(|(name, list)| name == g && list.contains(&u.name))
    }

    /// Deployment approvers who may approve the reference request, in name order.
    fn approvers(&self) -> impl Iterator<Item = &DirUser> {
        self.users.iter().filter(|u| {
            u.roles.contains(&"deployment-approver")
                && !u.super_admin
                && u.name != REQUESTER
                && !CONTRIBUTORS.contains(&u.name.as_str())
        })
    }

    fn members<'a>(&'a self, g: &'a str) -> impl Iterator<Item = &'a DirUser> + 'a {
        self.approvers().filter(move |u| self.in_group(u, g))
    }
}

struct GrantGen {
    by: String,
    action: &'static str,
    revision: Option<&'static str>,
    /// Minutes before `now` (negative: after).
    minutes_ago: i64,
    via: &'static str,
}

fn grants(dir: &DirectoryGen) -> Vec<GrantGen> {
    let g = |by: &str, action, minutes_ago, via| GrantGen {
        by: by.to_owned(),
        action,
        revision: Some(REVISION),
        minutes_ago,
        via,
    };
    let mut out = Vec::new();
    let mut taken: Vec<String> = Vec::new();
    let take = |group: &str, n: usize, taken: &mut Vec<String>| -> Vec<String> {
        let picked: Vec<String> = dir
            .members(group)
            .filter(|u| !taken.contains(&u.name))
            .take(n)
            .map(|u| u.name.clone())
            .collect();
        taken.extend(picked.iter().cloned());
        picked
    };
    let mut minutes = 300;
    let mut approve = |out: &mut Vec<GrantGen>, by: &str, via| {
        out.push(g(by, "approve", minutes, via));
        minutes -= 7;
    };
    for u in take("security", 2, &mut taken) {
        approve(&mut out, &u, "review");
    }
    for u in take("qa", 3, &mut taken) {
        approve(&mut out, &u, "deployment_review");
    }
    // Two of the three named leads: `named-leads` stays pending.
    approve(&mut out, LEADS[0], "review");
    approve(&mut out, LEADS[1], "comment");
    for u in take("payments-leads", 1, &mut taken) {
        approve(&mut out, &u, "deployment_review");
    }
    for u in take("sre", 1, &mut taken) {
        approve(&mut out, &u, "comment");
    }
    for u in take("release-managers", 1, &mut taken) {
        approve(&mut out, &u, "review");
    }
    approve(&mut out, LEADS[3], "review");
    // Approvers outside every pool of the request: ignored, no matching requirement.
    let outsiders: Vec<String> = dir
        .approvers()
        .filter(|u| {
            u.groups.len() == 1 && !LEADS.contains(&u.name.as_str()) && !taken.contains(&u.name)
        })
        .take(5)
        .map(|u| u.name.clone())
        .collect();
    for u in outsiders.iter().take(3) {
        approve(&mut out, u, "api");
    }
    // A rejection by an approver in no pool of the request: does not block.
    if let Some(u) = outsiders.get(3) {
        out.push(g(u, "reject", 95, "review"));
    }
    // An approval, then its revocation.
    if let Some(u) = outsiders.get(4) {
        out.push(g(u, "approve", 90, "review"));
        out.push(g(u, "revoke", 30, "review"));
    }
    // Approved again later: the first one is superseded.
    if let Some(first) = out.first() {
        let by = first.by.clone();
        out.push(g(&by, "approve", 20, "comment"));
    }
    // On the previous revision: stale.
    let stale = take("security", 1, &mut taken);
    for u in &stale {
        out.push(GrantGen {
            revision: Some(OLD_REVISION),
            ..g(u, "approve", 600, "review")
        });
    }
    // A deleted user, a token, the requester, a contributor, someone without the role.
    out.push(g("former-employee", "approve", 80, "review"));
    out.push(g("ci-bot", "approve", 75, "api"));
    out.push(g(REQUESTER, "approve", 70, "review"));
    out.push(g(CONTRIBUTORS[0], "approve", 65, "review"));
    if let Some(u) = dir
        .users
        .iter()
        .find(|u| !u.roles.contains(&"deployment-approver"))
    {
        out.push(g(&u.name, "approve", 60, "review"));
    }
    // Without a revision (on the request's), and one from the future.
    for u in take("qa", 1, &mut taken) {
        out.push(GrantGen {
            revision: None,
            ..g(&u, "approve", 50, "deployment_review")
        });
    }
    out.push(g(LEADS[5], "approve", -60, "review"));
    // Fill up to 30 with approvals by members of teams bound to no policy of the request.
    let mut extra = dir.approvers().filter(|u| {
        u.groups.len() == 1
            && !taken.contains(&u.name)
            && !outsiders.contains(&u.name)
            && !LEADS.contains(&u.name.as_str())
    });
    while out.len() < GRANTS {
        let Some(u) = extra.nth(7) else { break };
        out.push(g(&u.name, "approve", 40 - out.len() as i64, "review"));
    }
    assert_eq!(out.len(), GRANTS, "the workload has {GRANTS} grants");
    out
}

/// The generated reference workload.
pub struct Workload {
    /// The policy file (about 300 lines).
    pub policy_text: String,
    /// The same policy as Rego data (`data.policy`).
    pub policy_data: Value,
    /// The whole case file: policy, directory, request, grants, `now`, expected decision.
    pub case_text: String,
    /// The parsed policy and input (the case file's).
    pub policy: PolicySet,
    pub input: Input,
}

/// Generates the reference workload. Deterministic: the same text every time.
pub fn generate() -> Workload {
    let mut rng = Rng(SEED);
    let dir = directory(&mut rng);
    let policies = policies();
    let bindings = bindings(&mut rng);
    assert_eq!(policies.len(), POLICIES);
    assert_eq!(bindings.len(), BINDINGS);
    let grants = grants(&dir);
    let policy_text = policy_yaml(&policies, &bindings);
    let body = case_body(&policy_text, &dir, &grants);
    let policy = PolicySet::parse(&policy_text, "reference-policy.yml")
        .expect("the generated policy compiles");
    let input = parse_input(&body);
    let decision = signoff::evaluate(&policy, &input);
    let mut case_text = String::new();
    case_text.push_str(HEADER);
    case_text.push_str(&body);
    let _ = writeln!(
        case_text,
        "expect:\n  decision: {}",
        outcome_str(decision.decision)
    );
    Workload {
        policy_text,
        policy_data: policy_data(&policies, &bindings),
        case_text,
        policy,
        input,
    }
}

const HEADER: &str = "\
# The reference workload of the signoff benchmarks: 2,000 users, 50 groups, 20 policies,
# 40 bindings, 30 grants. Generated by crates/signoff/benches/workload (do not edit by hand);
# regenerate with: SIGNOFF_BLESS=1 cargo test -p signoff --test bench_workload
# Evaluate with: cargo run -q -p signoff-bot -- eval tests/bench/reference-case.yml
";

fn parse_input(case_body: &str) -> Input {
    let case =
        signoff::parse_case(case_body, "reference-case.yml").expect("the generated case parses");
    case.input
}

pub fn outcome_str(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Approved => "approved",
        Outcome::Pending => "pending",
        Outcome::Rejected => "rejected",
        Outcome::Exempt => "exempt",
        Outcome::Blocked => "blocked",
        Outcome::NotRequired => "not_required",
    }
}

fn flow_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

/// Plain when safe, double-quoted otherwise.
fn quote(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if plain {
        s.to_owned()
    } else {
        format!("\"{s}\"")
    }
}

fn count_yaml(count: Count) -> Option<String> {
    match count {
        Count::Default => None,
        Count::N(n) => Some(n.to_string()),
        Count::Percent(p) => Some(format!("\"{p}%\"")),
    }
}

fn req_yaml(out: &mut String, req: &Req, indent: usize) {
    let pad = " ".repeat(indent);
    match req {
        Req::Leaf(source, count) => {
            match (source, count) {
                (Source::Any, Count::N(n)) => {
                    let _ = writeln!(out, "{pad}- any: {n}");
                    return;
                }
                (Source::Any, _) => {
                    let _ = writeln!(
                        out,
                        "{pad}- any: {}",
                        count_yaml(*count).unwrap_or_else(|| "1".to_owned())
                    );
                    return;
                }
                (Source::Group(g), _) => {
                    let _ = writeln!(out, "{pad}- group: {}", quote(g));
                }
                (Source::Users(list), _) => {
                    let _ = writeln!(out, "{pad}- users: {}", flow_list(list));
                }
                (Source::From { users, groups }, _) => {
                    let mut parts = Vec::new();
                    if !groups.is_empty() {
                        parts.push(format!("groups: {}", flow_list(groups)));
                    }
                    if !users.is_empty() {
                        parts.push(format!("users: {}", flow_list(users)));
                    }
                    let _ = writeln!(out, "{pad}- from: {{ {} }}", parts.join(", "));
                }
            }
            if let Some(c) = count_yaml(*count) {
                let _ = writeln!(out, "{pad}  count: {c}");
            }
        }
        Req::AnyOf(children) | Req::AllOf(children) => {
            let key = if matches!(req, Req::AnyOf(_)) {
                "any_of"
            } else {
                "all_of"
            };
            let _ = writeln!(out, "{pad}- {key}:");
            for c in children {
                req_yaml(out, c, indent + 4);
            }
        }
    }
}

fn criteria_yaml(out: &mut String, criteria: &[(&str, Vec<String>)], indent: usize) {
    let pad = " ".repeat(indent);
    if criteria.is_empty() {
        return;
    }
    let value = |globs: &[String]| match globs {
        [one] => quote(one),
        many => flow_list(many),
    };
    if let [(attribute, globs)] = criteria {
        let _ = writeln!(out, "{pad}where: {{ {attribute}: {} }}", value(globs));
        return;
    }
    let _ = writeln!(out, "{pad}where:");
    for (attribute, globs) in criteria {
        let _ = writeln!(out, "{pad}  {attribute}: {}", value(globs));
    }
}

fn policy_yaml(policies: &[Policy], bindings: &[Binding]) -> String {
    let mut out = String::new();
    out.push_str("version: 1\n\ngroups:\n");
    let _ = writeln!(
        out,
        "  release-leads: {}",
        flow_list(&[LEADS[0], LEADS[2], "user1500"])
    );
    out.push_str("\npolicies:\n");
    for p in policies {
        let _ = writeln!(out, "  {}:", p.name);
        let _ = writeln!(out, "    description: {}", p.description);
        out.push_str("    requires:\n");
        for r in &p.requires {
            req_yaml(&mut out, r, 6);
        }
    }
    out.push_str("\napply:\n");
    for b in bindings {
        let _ = writeln!(out, "  - policies: {}", flow_list(&b.policies));
        let _ = writeln!(out, "    to: {}", b.to);
        if let Some(config) = &b.config {
            let _ = writeln!(out, "    config: {}", flow_list(config));
        }
        criteria_yaml(&mut out, &b.criteria, 4);
    }
    out.push_str(POLICY_TAIL);
    out
}

const POLICY_TAIL: &str = r#"
exceptions:
  deployment:
    super_admins: true
    users: [ops-oncall-bot]
    groups: [oncall]
    tokens: [release-pipeline]
  config:
    super_admins: false
    users: [config-sync-bot]
  pull_request:
    users: [dependabot]
    tokens: [ci-bot]

options:
  self_approval: false
  contributors_can_approve: false
  invalidate_on_push: true
  block_on_rejection: true
  expires_after: 168h

windows:
  - name: year-end-freeze
    kind: blackout
    to: deployment
    where: { environment: production }
    from: 2026-12-20T00:00:00Z
    until: 2027-01-04T00:00:00Z
    allow: { users: [user0100], groups: [oncall] }
  - name: weekday-deploys
    kind: maintenance
    to: deployment
    where: { environment: [production, "prod-*"] }
    weekly: { days: [mon, tue, wed, thu, fri], from: "07:00", until: "19:00", timezone: Europe/Berlin }
"#;

fn timestamp(minutes_ago: i64) -> String {
    let now: jiff::Timestamp = NOW.parse().expect("a timestamp");
    let at = now
        .checked_sub(jiff::SignedDuration::from_mins(minutes_ago))
        .expect("in range");
    at.to_string()
}

fn case_body(policy_text: &str, dir: &DirectoryGen, grants: &[GrantGen]) -> String {
    let mut out = String::new();
    out.push_str("name: reference workload of the benchmarks\npolicy: |\n");
    for line in policy_text.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {line}");
        }
    }
    out.push_str("directory:\n  users:\n");
    for u in &dir.users {
        let mut parts = vec![format!("groups: {}", flow_list(&u.groups))];
        if !u.roles.is_empty() {
            parts.push(format!("roles: {}", flow_list(&u.roles)));
        }
        if u.super_admin {
            parts.push("super_admin: true".to_owned());
        }
        let _ = writeln!(out, "    {}: {{ {} }}", u.name, parts.join(", "));
    }
    out.push_str("  groups:\n");
    for (g, list) in &dir.groups {
        let _ = writeln!(out, "    {g}: {}", flow_list(list));
    }
    out.push_str("  tokens: [release-pipeline, ci-bot]\n");
    let _ = write!(
        out,
        "request:\n  kind: deployment\n  requester: {REQUESTER}\n  revision: \"{REVISION}\"\n  attributes: {{ app: banking-api, environment: production, cluster: prod-eu-1, repo: acme/banking, branch: main, labels: [release, payments] }}\n  contributors: {}\n",
        flow_list(&CONTRIBUTORS)
    );
    out.push_str("grants:\n");
    for g in grants {
        let revision = g
            .revision
            .map(|r| format!(", revision: \"{r}\""))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  - {{ by: {}, action: {}{revision}, at: {}, via: {} }}",
            g.by,
            g.action,
            timestamp(g.minutes_ago),
            g.via
        );
    }
    let _ = writeln!(out, "now: {NOW}");
    out
}

// ---- The policy as Rego data ----

fn count_json(source: &Source, count: Count) -> Value {
    match (count, source) {
        (Count::N(n), _) => json!({ "n": n }),
        (Count::Percent(p), _) => json!({ "percent": p }),
        (Count::Default, Source::Users(list)) => json!({ "n": list.len() }),
        (Count::Default, _) => json!({ "n": 1 }),
    }
}

fn leaf_json(source: &Source, count: Count) -> Value {
    let count = count_json(source, count);
    match source {
        Source::Any => json!({ "source": "any", "count": count }),
        Source::Group(g) => {
            json!({ "source": "group", "groups": [g], "users": [], "count": count })
        }
        Source::Users(list) => {
            json!({ "source": "users", "groups": [], "users": list, "count": count })
        }
        Source::From { users, groups } => {
            json!({ "source": "from", "groups": groups, "users": users, "count": count })
        }
    }
}

/// Requirement trees as nodes over a flat list of leaves; at most three levels deep
/// (Rego has no recursion, so the Rego rules unroll three).
fn node_json(req: &Req, leaves: &mut Vec<Value>, depth: usize) -> Value {
    assert!(
        depth < 3,
        "the Rego rules handle requirement trees three levels deep"
    );
    match req {
        Req::Leaf(source, count) => {
            leaves.push(leaf_json(source, *count));
            json!({ "leaf": leaves.len() - 1 })
        }
        Req::AnyOf(children) => {
            json!({ "any_of": children.iter().map(|c| node_json(c, leaves, depth + 1)).collect::<Vec<_>>() })
        }
        Req::AllOf(children) => {
            json!({ "all_of": children.iter().map(|c| node_json(c, leaves, depth + 1)).collect::<Vec<_>>() })
        }
    }
}

fn ns(rfc3339: &str) -> i128 {
    let t: jiff::Timestamp = rfc3339.parse().expect("a timestamp");
    t.as_nanosecond()
}

fn policy_data(policies: &[Policy], bindings: &[Binding]) -> Value {
    let mut compiled = serde_json::Map::new();
    for p in policies {
        let mut leaves = Vec::new();
        let requires: Vec<Value> = p
            .requires
            .iter()
            .map(|r| node_json(r, &mut leaves, 0))
            .collect();
        compiled.insert(
            p.name.to_owned(),
            json!({ "leaves": leaves, "requires": requires }),
        );
    }
    let bindings: Vec<Value> = bindings
        .iter()
        .map(|b| {
            let criteria: serde_json::Map<String, Value> = b
                .criteria
                .iter()
                .map(|(a, g)| ((*a).to_owned(), json!(g)))
                .collect();
            json!({ "policies": b.policies, "to": b.to, "config": b.config, "where": criteria })
        })
        .collect();
    json!({
        "groups": { "release-leads": [LEADS[0], LEADS[2], "user1500"] },
        "policies": compiled,
        "bindings": bindings,
        "exceptions": {
            "deployment": { "super_admins": true, "users": ["ops-oncall-bot"], "groups": ["oncall"], "tokens": ["release-pipeline"] },
            "config": { "super_admins": false, "users": ["config-sync-bot"], "groups": [], "tokens": [] },
            "pull_request": { "super_admins": false, "users": ["dependabot"], "groups": [], "tokens": ["ci-bot"] },
        },
        "options": {
            "self_approval": false,
            "contributors_can_approve": false,
            "invalidate_on_push": true,
            "block_on_rejection": true,
            "expires_after_ns": 168_i64 * 3600 * 1_000_000_000,
        },
        "windows": [
            {
                "name": "year-end-freeze", "kind": "blackout", "to": "deployment",
                "where": { "environment": ["production"] },
                "from_ns": ns("2026-12-20T00:00:00Z") as i64, "until_ns": ns("2027-01-04T00:00:00Z") as i64,
                "allow": { "users": ["user0100"], "groups": ["oncall"] },
            },
            {
                "name": "weekday-deploys", "kind": "maintenance", "to": "deployment",
                "where": { "environment": ["production", "prod-*"] },
                "weekly": {
                    "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
                    "from": 7 * 60, "until": 19 * 60, "timezone": "Europe/Berlin",
                },
                "allow": { "users": [], "groups": [] },
            },
        ],
    })
}

/// The Rego input for one evaluation: the request, the grants and `now`.
pub fn rego_input(input: &Input) -> Value {
    json!({ "request": input.request, "grants": input.grants, "now": input.now })
}

/// The Rego data: the compiled policy, the directory, and the directory indexed once at
/// load time (as signoff's `Context` indexes it outside the timed loop): every group's
/// members, and every kind's approver-role holders, as objects keyed by user name.
pub fn rego_data(workload: &Workload) -> Value {
    let directory = &workload.input.directory;
    let mut members: BTreeMap<&str, BTreeMap<&str, bool>> = BTreeMap::new();
    for (name, user) in &directory.users {
        for group in &user.groups {
            members.entry(group).or_default().insert(name, true);
        }
    }
    for (group, list) in &directory.groups {
        let entry = members.entry(group).or_default();
        for user in list {
            entry.insert(user, true);
        }
    }
    for (group, list) in workload.policy.groups() {
        let entry = members.entry(group).or_default();
        for user in list {
            entry.insert(user, true);
        }
    }
    let approvers: BTreeMap<&str, BTreeMap<&str, bool>> = signoff::Kind::ALL
        .iter()
        .map(|kind| {
            let role = kind.approver_role();
            let holders = directory
                .users
                .iter()
                .filter(|(_, u)| u.super_admin || u.roles.contains(&role))
                .map(|(name, _)| (name.as_str(), true))
                .collect();
            (kind.as_str(), holders)
        })
        .collect();
    json!({
        "policy": workload.policy_data,
        "directory": directory,
        "index": { "members": members, "approvers": approvers },
    })
}

// ---- Variants: the same policy and directory, other requests and grants ----

/// Named inputs that between them reach every decision the rules can give.
pub fn variants(workload: &Workload) -> Vec<(&'static str, Input)> {
    let base = workload.input.clone();
    let approved = fill_to_approved(&workload.policy, &base);
    let mut rejected = base.clone();
    // A security reviewer who approved changes their mind.
    let by = rejected
        .grants
        .first()
        .map(|g| g.by.clone())
        .unwrap_or_default();
    rejected
        .grants
        .push(grant(&by, Action::Reject, base.now, 1));
    let mut blocked = base.clone();
    blocked.now = NOW_IN_FREEZE.parse().expect("a timestamp");
    let mut exempt = base.clone();
    exempt.request.requester = "ops-oncall-bot".to_owned();
    let mut pull_request = base.clone();
    pull_request.request.kind = signoff::Kind::PullRequest;
    pull_request.request.attributes.labels = vec!["db".to_owned()];
    pull_request.request.attributes.paths = vec![
        "migrations/2026/0007_add_ledger.sql".to_owned(),
        "src/api/handler.rs".to_owned(),
        "README.md".to_owned(),
    ];
    pull_request.request.attributes.source_branch = Some("feature/ledger".to_owned());
    let mut config = base.clone();
    config.request.kind = signoff::Kind::Config;
    config.request.config = Some(signoff::ConfigKind::Secret);
    let mut nothing = base.clone();
    nothing.request.attributes.environment = Some("sandbox".to_owned());
    nothing.request.attributes.labels.clear();
    nothing.request.attributes.cluster = Some("lab".to_owned());
    nothing.request.attributes.repo = Some("labs/x".to_owned());
    // Wider than the eight decisions: cases a port of the rules can get wrong.
    let mut nested_names = base.clone();
    nested_names.request.attributes.repo = Some("acme/banking/eu".to_owned());
    nested_names.request.attributes.app = Some("banking-api/v2".to_owned());
    let mut subsecond = base.clone();
    // The first approver rejects, then approves half a second later: the approval stands
    // (as text, "…:00.5Z" sorts before "…:00Z").
    let at = base
        .now
        .checked_sub(jiff::SignedDuration::from_mins(3))
        .expect("in range");
    subsecond.grants.push(Grant {
        by: by.clone(),
        action: Action::Reject,
        revision: None,
        at,
        via: None,
    });
    subsecond.grants.push(Grant {
        by: by.clone(),
        action: Action::Approve,
        revision: None,
        at: at
            .checked_add(jiff::SignedDuration::from_millis(500))
            .expect("in range"),
        via: None,
    });
    let mut before_hours = base.clone();
    before_hours.now = NOW_BEFORE_HOURS.parse().expect("a timestamp");
    vec![
        ("reference", base),
        ("approved", approved),
        ("rejected", rejected),
        ("blocked", blocked),
        ("exempt", exempt),
        ("pull_request", pull_request),
        ("config", config),
        ("not_required", nothing),
        ("nested_names", nested_names),
        ("subsecond", subsecond),
        ("before_hours", before_hours),
    ]
}

/// How many of [`variants`] are the eight decisions the first Rego port was checked on;
/// the rest are the wider cases.
pub const FIRST_VARIANTS: usize = 8;

fn grant(by: &str, action: Action, now: jiff::Timestamp, minutes_ago: i64) -> Grant {
    Grant {
        by: by.to_owned(),
        action,
        revision: None,
        at: now
            .checked_sub(jiff::SignedDuration::from_mins(minutes_ago))
            .expect("in range"),
        via: None,
    }
}

/// Adds approvals from the candidates of unsatisfied requirements until approved.
fn fill_to_approved(policy: &PolicySet, input: &Input) -> Input {
    let mut input = input.clone();
    for _ in 0..5 {
        let decision = signoff::evaluate(policy, &input);
        if decision.decision != Outcome::Pending {
            break;
        }
        let mut wanted = Vec::new();
        for p in &decision.policies {
            for r in &p.requirements {
                wanted_from(r, &mut wanted);
            }
        }
        for by in wanted {
            if !input.grants.iter().any(|g| g.by == by && g.at == input.now) {
                input.grants.push(grant(&by, Action::Approve, input.now, 0));
            }
        }
    }
    input
}

fn wanted_from(r: &RequirementResult, out: &mut Vec<String>) {
    if r.satisfied {
        return;
    }
    match (&r.any_of, &r.all_of) {
        (Some(children), _) => {
            if let Some(first) = children.first() {
                wanted_from(first, out);
            }
        }
        (_, Some(children)) => children.iter().for_each(|c| wanted_from(c, out)),
        (None, None) => {
            let short = r.need.saturating_sub(r.have) as usize;
            out.extend(r.candidates.iter().take(short).map(|n| n.to_string()));
        }
    }
}

/// The decision as JSON text, for comparing runs byte for byte.
pub fn decision_json(decision: &Decision) -> String {
    serde_json::to_string_pretty(decision).expect("a decision serialises")
}
