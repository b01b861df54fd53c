//! From the policy file as written to the form evaluation uses: names checked, counts
//! and globs parsed, windows resolved to instants and time zones. Every problem found
//! here is located at the node it is about.

use crate::diagnostic::{self, Diagnostic, Problem, Span};
use crate::eval::Pattern;
use crate::glob::{Case, Glob};
use crate::model::policy::Commands;
use crate::model::policy::{
    Binding, CountValue, Criteria, ExceptionRule, PolicyFile, RawRequirement, Weekday, Window,
    WindowKind,
};
use crate::model::{ConfigKind, Kind};
use crate::order;
use crate::yaml::{self, Spanned};
use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

/// A parsed, checked and indexed policy file; parse once, evaluate many times.
#[derive(Debug, Clone)]
pub struct PolicySet {
    pub(crate) groups: BTreeMap<String, BTreeSet<String>>,
    pub(crate) policies: Vec<CompiledPolicy>,
    pub(crate) bindings: Vec<CompiledBinding>,
    pub(crate) exceptions: [CompiledException; 3],
    pub(crate) options: CompiledOptions,
    pub(crate) windows: Vec<CompiledWindow>,
    /// Warnings found while compiling (unused policies); errors stop compilation.
    pub(crate) warnings: Vec<Problem>,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledPolicy {
    /// As decisions hold it, so each gets a copy rather than an allocation.
    pub name: crate::decision::Name,
    pub span: Span,
    pub distinct: bool,
    /// Every leaf requirement, in the order written (depth first).
    pub leaves: Vec<Leaf>,
    pub requires: Vec<Req>,
}

/// A requirement, ready to evaluate.
#[derive(Debug, Clone)]
pub(crate) enum Req {
    /// Index into the policy's `leaves`.
    Leaf(usize),
    AnyOf(Vec<Req>),
    AllOf(Vec<Req>),
}

#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub source: Source,
    pub count: Count,
    pub span: Span,
    /// The decision's label, made once here instead of on every evaluation (for a
    /// percentage, whose need depends on the pool, the text around the need).
    pub label: crate::eval::LeafLabel,
}

impl Leaf {
    fn new(source: Source, count: Count, span: Span) -> Leaf {
        let mut leaf = Leaf {
            source,
            count,
            span,
            label: crate::eval::LeafLabel::default(),
        };
        leaf.label = crate::eval::LeafLabel::new(&leaf);
        leaf
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Source {
    Any,
    Group(String),
    /// Listed users, without repeats, in the order written.
    Users(Vec<String>),
    From {
        users: Vec<String>,
        groups: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    /// Not written: all listed users for `users`, otherwise one.
    Default,
    Exact(u32),
    /// Hundredths of a percent, so "12.5%" is exact.
    Percent(u32),
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledBinding {
    pub policies: Vec<usize>,
    pub kind: Kind,
    pub config: Option<Vec<ConfigKind>>,
    pub criteria: CompiledCriteria,
}

/// The request attributes a criterion can look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attribute {
    Cluster,
    App,
    Environment,
    Repo,
    Branch,
    SourceBranch,
    Labels,
    Paths,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CompiledCriteria {
    pub checks: Vec<(Attribute, Vec<Pattern>)>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CompiledException {
    pub super_admins: bool,
    pub users: BTreeSet<String>,
    pub groups: Vec<String>,
    pub tokens: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledOptions {
    pub self_approval: bool,
    pub contributors_can_approve: bool,
    pub invalidate_on_push: bool,
    pub block_on_rejection: bool,
    pub expires_after: Option<SignedDuration>,
    pub commands: Commands,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledWindow {
    pub name: String,
    pub kind: WindowKind,
    pub to: Kind,
    pub criteria: CompiledCriteria,
    pub schedule: Schedule,
    pub allow_users: BTreeSet<String>,
    pub allow_groups: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum Schedule {
    Absolute {
        from: Timestamp,
        until: Timestamp,
    },
    Weekly {
        days: [bool; 7],
        from: Time,
        until: Time,
        tz: TimeZone,
    },
}

impl PolicySet {
    /// Parses and compiles a policy file. `file` names the text in diagnostics.
    pub fn parse(text: &str, file: &str) -> Result<PolicySet, Vec<Diagnostic>> {
        parse_problems(text)
            .map_err(|problems| problems.into_iter().map(|p| p.in_file(file)).collect())
    }

    /// Warnings found while compiling (for example, a policy no binding uses).
    pub fn warnings(&self, file: &str) -> Vec<Diagnostic> {
        self.warnings
            .iter()
            .cloned()
            .map(|p| p.in_file(file))
            .collect()
    }

    /// The comment command words this policy configures (SPEC §6.3).
    pub fn commands(&self) -> &Commands {
        &self.options.commands
    }

    /// Names of the policies, in file order.
    pub fn policy_names(&self) -> impl Iterator<Item = &str> {
        self.policies.iter().map(|p| p.name.as_str())
    }

    /// Groups the policy file itself defines.
    pub fn groups(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.groups
    }

    /// Does any binding or window match on changed paths? A caller may skip listing a
    /// change's files when not.
    pub fn uses_paths(&self) -> bool {
        let criteria = self
            .bindings
            .iter()
            .map(|b| &b.criteria)
            .chain(self.windows.iter().map(|w| &w.criteria));
        criteria
            .into_iter()
            .any(|c| c.checks.iter().any(|(a, _)| *a == Attribute::Paths))
    }

    /// Does a binding or window of this policy name `environment` in its criteria?
    /// The bot reads the word after a comment command as an environment only then (or
    /// when the repository has one of that name). Any case, as forges treat
    /// environment names.
    pub fn binds_environment(&self, environment: &str) -> bool {
        self.bindings
            .iter()
            .map(|b| &b.criteria)
            .chain(self.windows.iter().map(|w| &w.criteria))
            .flat_map(|c| &c.checks)
            .filter(|(a, _)| *a == Attribute::Environment)
            .flat_map(|(_, globs)| globs)
            // Environment patterns compare case-insensitively (SPEC §2).
            .any(|g| g.matches(environment))
    }

    /// Do grants on another revision than the request's drop as `stale`
    /// (`invalidate_on_push`, the default)? A caller may then skip checking them.
    pub fn invalidates_on_push(&self) -> bool {
        self.options.invalidate_on_push
    }

    /// Do contributors matter (`contributors_can_approve: false`)? A caller may skip
    /// listing a change's commits when not.
    pub fn contributors_matter(&self) -> bool {
        !self.options.contributors_can_approve
    }

    /// Every group name the policy refers to (requirements, exceptions, window allow
    /// lists), sorted, without repeats: what a directory must resolve for this policy.
    pub fn referenced_groups(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        for leaf in self.policies.iter().flat_map(|p| &p.leaves) {
            match &leaf.source {
                Source::Group(g) => {
                    out.insert(g.as_str());
                }
                Source::From { groups, .. } => out.extend(groups.iter().map(String::as_str)),
                Source::Any | Source::Users(_) => {}
            }
        }
        out.extend(
            self.exceptions
                .iter()
                .flat_map(|e| e.groups.iter().map(String::as_str)),
        );
        out.extend(
            self.windows
                .iter()
                .flat_map(|w| w.allow_groups.iter().map(String::as_str)),
        );
        out
    }
}

/// Parses text into a policy set, or every problem found, sorted by position.
pub(crate) fn parse_problems(text: &str) -> Result<PolicySet, Vec<Problem>> {
    yaml::check_policy_size(text, 0, text.len()).map_err(|p| vec![p])?;
    let node = yaml::load(text).map_err(|p| vec![p])?;
    compile_node(&node)
}

/// Compiles a policy from an already loaded YAML node (a case file's `policy:` mapping).
pub(crate) fn compile_node(node: &yaml::Node<'_>) -> Result<PolicySet, Vec<Problem>> {
    let file = crate::model::read_policy::policy_file(node).map_err(|e| vec![e.into_problem()])?;
    compile(&file)
}

/// Checks a deserialised policy file and builds its compiled form.
pub fn compile(file: &PolicyFile) -> Result<PolicySet, Vec<Problem>> {
    let mut c = Compiler {
        problems: Vec::new(),
    };
    let set = c.compile(file);
    let (mut errors, mut warnings): (Vec<Problem>, Vec<Problem>) = c
        .problems
        .into_iter()
        .partition(|p| p.severity == diagnostic::Severity::Error);
    if errors.is_empty() {
        diagnostic::sort(&mut warnings);
        Ok(PolicySet { warnings, ..set })
    } else {
        diagnostic::sort(&mut errors);
        Err(errors)
    }
}

struct Compiler {
    problems: Vec<Problem>,
}

impl Compiler {
    fn error(&mut self, code: &'static str, span: Span, message: impl Into<String>) {
        self.problems.push(Problem::error(code, span, message));
    }

    fn compile(&mut self, file: &PolicyFile) -> PolicySet {
        if file.version.value != 1 {
            self.error(
                "unsupported_version",
                file.version.span,
                format!(
                    "unsupported version {}; this signoff reads version 1",
                    file.version.value
                ),
            );
        }
        let groups = order::map_of(file.groups.iter().map(|(name, members)| {
            (
                name.value.clone(),
                order::set_of(members.iter().map(|m| m.value.clone())),
            )
        }));
        let policies: Vec<CompiledPolicy> = file
            .policies
            .iter()
            .map(|(name, def)| {
                let mut leaves = Vec::new();
                let requires = self.requirements(&def.requires, name.span, &mut leaves);
                CompiledPolicy {
                    name: crate::decision::Name::new(&name.value),
                    span: name.span,
                    distinct: def.distinct_approvers,
                    leaves,
                    requires,
                }
            })
            .collect();
        let bindings = file
            .apply
            .iter()
            .filter_map(|b| self.binding(b, &policies))
            .collect::<Vec<_>>();
        for (i, policy) in policies.iter().enumerate() {
            if !bindings
                .iter()
                .any(|b: &CompiledBinding| b.policies.contains(&i))
            {
                self.problems.push(Problem::warning(
                    "unused_policy",
                    policy.span,
                    format!("policy `{}` is not applied by any binding", policy.name),
                ));
            }
        }
        let exceptions = [
            exception(file.exceptions.deployment.as_ref()),
            exception(file.exceptions.config.as_ref()),
            exception(file.exceptions.pull_request.as_ref()),
        ];
        let expires_after = file
            .options
            .expires_after
            .as_ref()
            .and_then(|d| self.duration(d));
        let options = CompiledOptions {
            self_approval: file.options.self_approval,
            contributors_can_approve: file.options.contributors_can_approve,
            invalidate_on_push: file.options.invalidate_on_push,
            block_on_rejection: file.options.block_on_rejection,
            expires_after,
            commands: file.options.commands.clone(),
        };
        let windows = file.windows.iter().filter_map(|w| self.window(w)).collect();
        PolicySet {
            groups,
            policies,
            bindings,
            exceptions,
            options,
            windows,
            warnings: Vec::new(),
        }
    }

    fn requirements(
        &mut self,
        requires: &[Spanned<RawRequirement>],
        at: Span,
        leaves: &mut Vec<Leaf>,
    ) -> Vec<Req> {
        if requires.is_empty() {
            self.error(
                "invalid_requirement",
                at,
                "a policy needs at least one requirement",
            );
        }
        requires
            .iter()
            .filter_map(|r| self.requirement(r, leaves))
            .collect()
    }

    fn requirement(
        &mut self,
        raw: &Spanned<RawRequirement>,
        leaves: &mut Vec<Leaf>,
    ) -> Option<Req> {
        let r = &raw.value;
        let sources = [
            r.any.is_some(),
            r.group.is_some(),
            r.users.is_some(),
            r.from.is_some(),
            r.any_of.is_some(),
            r.all_of.is_some(),
        ];
        let named = sources.iter().filter(|s| **s).count();
        if named != 1 {
            let what = if named == 0 {
                "names no source"
            } else {
                "names more than one source"
            };
            self.error(
                "invalid_requirement",
                raw.span,
                format!("a requirement {what}; give exactly one of `any`, `group`, `users`, `from`, `any_of`, `all_of`"),
            );
            return None;
        }
        let branches =
            |c: &mut Self, list: &[Spanned<RawRequirement>], leaves: &mut Vec<Leaf>| -> Vec<Req> {
                if list.len() < 2 {
                    c.error(
                        "invalid_requirement",
                        raw.span,
                        "`any_of` and `all_of` need at least two branches",
                    );
                }
                list.iter()
                    .filter_map(|b| c.requirement(b, leaves))
                    .collect()
            };
        if let Some(list) = &r.any_of {
            self.no_count(r, "any_of");
            return Some(Req::AnyOf(branches(self, list, leaves)));
        }
        if let Some(list) = &r.all_of {
            self.no_count(r, "all_of");
            return Some(Req::AllOf(branches(self, list, leaves)));
        }
        let source = if let Some(any) = &r.any {
            if let Some(count) = &r.count {
                self.error(
                    "invalid_requirement",
                    count.span,
                    "`any: N` already says how many; drop `count`",
                );
            }
            let count = self.count(any)?;
            leaves.push(Leaf::new(Source::Any, count, raw.span));
            return Some(Req::Leaf(leaves.len() - 1));
        } else if let Some(group) = &r.group {
            Source::Group(self.name(group, "group")?)
        } else if let Some(users) = &r.users {
            if users.is_empty() {
                self.error(
                    "invalid_requirement",
                    raw.span,
                    "`users` needs at least one user",
                );
            }
            Source::Users(self.unique_names(users))
        } else if let Some(from) = &r.from {
            if from.users.is_empty() && from.groups.is_empty() {
                self.error(
                    "invalid_requirement",
                    raw.span,
                    "`from` needs at least one user or group",
                );
            }
            Source::From {
                users: self.unique_names(&from.users),
                groups: self.unique_names(&from.groups),
            }
        } else {
            return None;
        };
        let count = match &r.count {
            Some(c) => self.count(c)?,
            None => Count::Default,
        };
        if let (Source::Users(users), Count::Exact(n)) = (&source, count) {
            if n as usize > users.len() {
                if let Some(c) = &r.count {
                    self.error(
                        "invalid_count",
                        c.span,
                        format!("count {n} is more than the {} listed users", users.len()),
                    );
                }
            }
        }
        leaves.push(Leaf::new(source, count, raw.span));
        Some(Req::Leaf(leaves.len() - 1))
    }

    fn no_count(&mut self, r: &RawRequirement, what: &str) {
        if let Some(count) = &r.count {
            self.error(
                "invalid_requirement",
                count.span,
                format!("`{what}` takes no `count`"),
            );
        }
    }

    fn name(&mut self, name: &Spanned<String>, what: &str) -> Option<String> {
        if name.value.trim().is_empty() {
            self.error(
                "invalid_value",
                name.span,
                format!("a {what} name cannot be empty"),
            );
            return None;
        }
        Some(name.value.clone())
    }

    fn unique_names(&mut self, names: &[Spanned<String>]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for n in names {
            if let Some(name) = self.name(n, "user or group") {
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }

    fn count(&mut self, count: &Spanned<CountValue>) -> Option<Count> {
        match &count.value {
            CountValue::Number(n) if *n >= 1 => {
                Some(Count::Exact(u32::try_from(*n).unwrap_or(u32::MAX)))
            }
            CountValue::Number(n) => {
                self.error(
                    "invalid_count",
                    count.span,
                    format!("count must be at least 1, found {n}"),
                );
                None
            }
            CountValue::Text(text) => match parse_percent(text) {
                Some(hundredths) if hundredths > 0 && hundredths <= 10_000 => {
                    Some(Count::Percent(hundredths))
                }
                _ => {
                    self.error(
                        "invalid_count",
                        count.span,
                        format!("invalid count `{text}`: expected an integer ≥ 1 or a percentage from 1% to 100% such as \"50%\""),
                    );
                    None
                }
            },
        }
    }

    fn binding(&mut self, b: &Binding, policies: &[CompiledPolicy]) -> Option<CompiledBinding> {
        if b.policies.value.is_empty() {
            self.error(
                "invalid_binding",
                b.policies.span,
                "a binding lists at least one policy",
            );
        }
        let mut indices = Vec::new();
        for name in &b.policies.value {
            match policies.iter().position(|p| p.name == name.value) {
                Some(i) if !indices.contains(&i) => indices.push(i),
                Some(_) => {}
                None => {
                    let known: Vec<&str> = policies.iter().map(|p| p.name.as_str()).collect();
                    let hint = if known.is_empty() {
                        "no policies are defined".to_owned()
                    } else {
                        format!("defined: {}", known.join(", "))
                    };
                    self.error(
                        "unknown_policy",
                        name.span,
                        format!("unknown policy `{}` ({hint})", name.value),
                    );
                }
            }
        }
        let config = match &b.config {
            Some(kinds) if b.to.value != Kind::Config => {
                self.error(
                    "invalid_binding",
                    kinds.span,
                    "`config` is only for bindings with `to: config`",
                );
                None
            }
            Some(kinds) if kinds.value.is_empty() => {
                self.error(
                    "invalid_binding",
                    kinds.span,
                    "`config` lists at least one config kind",
                );
                None
            }
            Some(kinds) => Some(kinds.value.clone()),
            None => None,
        };
        let criteria = self.criteria(b.criteria.as_ref());
        Some(CompiledBinding {
            policies: indices,
            kind: b.to.value,
            config,
            criteria,
        })
    }

    fn criteria(&mut self, criteria: Option<&Criteria>) -> CompiledCriteria {
        let Some(c) = criteria else {
            return CompiledCriteria::default();
        };
        let fields = [
            (Attribute::Cluster, &c.cluster),
            (Attribute::App, &c.app),
            (Attribute::Environment, &c.environment),
            (Attribute::Repo, &c.repo),
            (Attribute::Branch, &c.branch),
            (Attribute::SourceBranch, &c.source_branch),
            (Attribute::Labels, &c.labels),
            (Attribute::Paths, &c.paths),
        ];
        let mut checks = Vec::new();
        for (attribute, globs) in fields {
            let Some(globs) = globs else { continue };
            if globs.0.is_empty() {
                continue;
            }
            let mut parsed = Vec::new();
            for g in globs.iter() {
                // The forges treat environment names case-insensitively (SPEC §2).
                let case = match attribute {
                    Attribute::Environment => Case::Insensitive,
                    _ => Case::Sensitive,
                };
                let path = attribute == Attribute::Paths;
                match Glob::with_case(&g.value, path, case) {
                    Ok(glob) => parsed.push(Pattern::new(glob, case, path)),
                    Err(why) => self.error(
                        "invalid_glob",
                        g.span,
                        format!("invalid glob `{}`: {why}", g.value),
                    ),
                }
            }
            checks.push((attribute, parsed));
        }
        // All checks must match, so their order changes no answer, only how soon a
        // binding that does not apply is left: cheapest first (see `Pattern::cost`).
        // Through the crate's one shared sort: a `sort_by_key` of its own here cost the
        // browser module 8 KB (docs/simulator.md, "Size"), for a list of a few checks.
        order::stable_sort_by(&mut checks, |(a, pa), (b, pb)| {
            check_cost(*a, pa).cmp(&check_cost(*b, pb))
        });
        CompiledCriteria { checks }
    }

    fn duration(&mut self, text: &Spanned<String>) -> Option<SignedDuration> {
        match crate::duration::parse(text.value.trim()) {
            Some(d) if d.is_positive() => Some(d),
            _ => {
                self.error(
                    "invalid_duration",
                    text.span,
                    format!("invalid duration `{}`: expected a positive duration such as \"72h\", \"7d\" or \"1h30m\"", text.value),
                );
                None
            }
        }
    }

    fn timestamp(&mut self, text: &Spanned<String>, what: &str) -> Option<Timestamp> {
        match crate::timestamp::parse(&text.value) {
            Ok(t) => Some(t),
            Err(_) => {
                self.error(
                    "invalid_window",
                    text.span,
                    format!("invalid {what} `{}`: expected an RFC 3339 time such as 2026-12-20T00:00:00Z", text.value),
                );
                None
            }
        }
    }

    fn window(&mut self, spanned: &Spanned<Window>) -> Option<CompiledWindow> {
        let w = &spanned.value;
        let criteria = self.criteria(w.criteria.as_ref());
        let schedule = match (&w.from, &w.until, &w.weekly) {
            (Some(from), Some(until), None) => {
                let (from_t, until_t) = (
                    self.timestamp(from, "start")?,
                    self.timestamp(until, "end")?,
                );
                if from_t >= until_t {
                    self.error(
                        "invalid_window",
                        until.span,
                        format!("window `{}` ends before it starts", w.name),
                    );
                    return None;
                }
                Schedule::Absolute {
                    from: from_t,
                    until: until_t,
                }
            }
            (None, None, Some(weekly)) => self.weekly(&w.name, weekly)?,
            (_, _, Some(weekly)) => {
                self.error(
                    "invalid_window",
                    weekly.span,
                    "a window is either absolute (`from`/`until`) or `weekly`, not both",
                );
                return None;
            }
            (Some(t), None, None) | (None, Some(t), None) => {
                self.error(
                    "invalid_window",
                    t.span,
                    "an absolute window needs both `from` and `until`",
                );
                return None;
            }
            (None, None, None) => {
                self.error(
                    "invalid_window",
                    spanned.span,
                    format!("window `{}` needs `from` and `until`, or `weekly`", w.name),
                );
                return None;
            }
        };
        let allow = w.allow.clone().unwrap_or_default();
        Some(CompiledWindow {
            name: w.name.clone(),
            kind: w.kind,
            to: w.to,
            criteria,
            schedule,
            allow_users: order::set_of(allow.users.into_iter().map(|u| u.value)),
            allow_groups: allow.groups.into_iter().map(|g| g.value).collect(),
        })
    }

    fn weekly(
        &mut self,
        name: &str,
        weekly: &Spanned<crate::model::policy::Weekly>,
    ) -> Option<Schedule> {
        let w = &weekly.value;
        if w.days.is_empty() {
            self.error(
                "invalid_window",
                weekly.span,
                format!("weekly window `{name}` lists no days"),
            );
        }
        let mut days = [false; 7];
        for d in &w.days {
            if let Some(slot) = days.get_mut(weekday_index(d.value)) {
                *slot = true;
            }
        }
        let time = |c: &mut Self, t: &Spanned<String>| match parse_hhmm(&t.value) {
            Some(time) => Some(time),
            None => {
                c.error(
                    "invalid_window",
                    t.span,
                    format!(
                        "invalid time `{}`: expected \"HH:MM\" from 00:00 to 24:00",
                        t.value
                    ),
                );
                None
            }
        };
        let (from, until) = (time(self, &w.from), time(self, &w.until));
        let tz = match &w.timezone {
            Some(zone) => {
                match crate::zones::get(&zone.value) {
                    Some(tz) => Some(tz),
                    None => {
                        self.error("invalid_window", zone.span, format!("unknown time zone `{}`: expected an IANA name such as Europe/Berlin", zone.value));
                        None
                    }
                }
            }
            None => Some(TimeZone::UTC),
        };
        let (from, until, tz) = (from?, until?, tz?);
        if from == until {
            self.error(
                "invalid_window",
                w.until.span,
                format!("weekly window `{name}` starts and ends at the same time"),
            );
            return None;
        }
        if w.days.is_empty() {
            return None;
        }
        Some(Schedule::Weekly {
            days,
            from,
            until,
            tz,
        })
    }
}

/// How costly a criterion is to check, to order a binding's checks: an attribute with
/// one value before a list (labels, paths: every element is tried), then patterns
/// answered by a string comparison before those that run a glob, then fewer patterns.
fn check_cost(attribute: Attribute, patterns: &[Pattern]) -> (bool, bool, usize) {
    let list = matches!(attribute, Attribute::Labels | Attribute::Paths);
    let glob = patterns.iter().any(|p| !p.is_plain());
    (list, glob, patterns.len())
}

fn exception(rule: Option<&ExceptionRule>) -> CompiledException {
    let Some(rule) = rule else {
        return CompiledException::default();
    };
    CompiledException {
        super_admins: rule.super_admins,
        users: order::set_of(rule.users.iter().map(|u| u.value.clone())),
        groups: rule.groups.iter().map(|g| g.value.clone()).collect(),
        tokens: order::set_of(rule.tokens.iter().map(|t| t.value.clone())),
    }
}

/// Monday is 0, as in jiff's `to_monday_zero_offset`.
pub(crate) fn weekday_index(day: Weekday) -> usize {
    match day {
        Weekday::Mon => 0,
        Weekday::Tue => 1,
        Weekday::Wed => 2,
        Weekday::Thu => 3,
        Weekday::Fri => 4,
        Weekday::Sat => 5,
        Weekday::Sun => 6,
    }
}

/// "HH:MM"; "24:00" means the end of the day and is kept as [`Time::MAX`], which sorts
/// after every other time; windows read it as the next midnight.
fn parse_hhmm(text: &str) -> Option<Time> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    if h == 24 && m == 0 {
        return Some(Time::MAX);
    }
    Time::new(h, m, 0, 0).ok()
}

/// "50%" or "12.5%" as hundredths of a percent.
fn parse_percent(text: &str) -> Option<u32> {
    let number = text.trim().strip_suffix('%')?.trim();
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::PolicySet;

    #[test]
    fn referenced_groups_lists_every_use() {
        let text = "version: 1\npolicies:\n  p:\n    requires:\n      - group: acme/sec\n      - from: { groups: [qa], users: [x] }\n      - any_of: [ { group: acme/sec }, { any: 1 } ]\napply: [ { policies: [p], to: deployment } ]\nexceptions:\n  deployment: { groups: [sre] }\n";
        let policy = PolicySet::parse(text, "p.yml")
            .map_err(|d| d[0].to_string())
            .unwrap();
        let groups: Vec<&str> = policy.referenced_groups().into_iter().collect();
        assert_eq!(groups, vec!["acme/sec", "qa", "sre"]);
    }

    #[test]
    fn what_a_policy_looks_at() {
        let base = "version: 1\npolicies: { p: { requires: [ { any: 1 } ] } }\n";
        let plain = PolicySet::parse(
            &format!("{base}apply: [ {{ policies: [p], to: pull_request }} ]\n"),
            "a",
        )
        .unwrap();
        assert!(!plain.uses_paths() && !plain.contributors_matter());
        let paths = PolicySet::parse(
            &format!("{base}apply: [ {{ policies: [p], to: pull_request, where: {{ paths: [\"db/**\"] }} }} ]\noptions: {{ contributors_can_approve: false }}\n"),
            "b",
        )
        .unwrap();
        assert!(paths.uses_paths() && paths.contributors_matter());
    }

    #[test]
    fn environments_a_policy_binds() {
        let policy = PolicySet::parse(
            "version: 1\npolicies: { p: { requires: [ { any: 1 } ] } }\napply: [ { policies: [p], to: deployment, where: { environment: [production, \"eu-*\"] } } ]\noptions: { invalidate_on_push: false }\n",
            "p",
        )
        .unwrap();
        assert!(policy.binds_environment("production"));
        assert!(policy.binds_environment("Production"));
        assert!(policy.binds_environment("eu-west"));
        assert!(!policy.binds_environment("not"));
        assert!(!policy.invalidates_on_push());
    }
}
