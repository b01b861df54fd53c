//! SPEC §4 step 8: each policy's requirements against the eligible approvals, explained.

use super::assess::{Assessment, LeafState, PolicyState};
use super::context::{Context, IdSet, Pool, UserId};
use crate::compile::{Count, Leaf, Req, Source};
use crate::decision::names::NamesBuilder;
use crate::decision::{Name, Names, PolicyResult, RequirementResult};
use smol_str::SmolStrBuilder;

/// At most this many candidates are listed per requirement; the rest are counted.
pub const CANDIDATES_SHOWN: usize = 50;

/// What the matching of a `distinct_approvers: true` policy left out, for `ignored` and
/// the summary.
pub(crate) struct Unplaced {
    /// Approvers in a pool of the policy whom the matching assigned to no slot, sorted.
    pub unassigned: Vec<UserId>,
    /// Per leaf: when it is short and someone in its pool who approved counts elsewhere,
    /// the other leaves whose holders could move into it (along alternating paths), in
    /// leaf order; a new approver in any of them would fill it. Empty otherwise.
    pub also_from: Vec<Vec<usize>>,
    /// Per leaf: who in its pool approved, sorted.
    pub approved: Vec<Vec<UserId>>,
}

/// For a policy with distinct approvers, what its matching left out; `None` otherwise.
pub(crate) fn unplaced(assessment: &Assessment<'_>, state: &PolicyState) -> Option<Unplaced> {
    let assigned = state.assigned.as_ref()?;
    let leaves = assessment
        .leaves
        .get(state.leaves.clone())
        .unwrap_or_default();
    let approved_of = |leaf: &LeafState<'_>| assessment.approved(leaf);
    let placed = |id: &UserId| assigned.iter().any(|a| a.contains(id));
    let mut unassigned: Vec<UserId> = leaves
        .iter()
        .flat_map(|s| approved_of(s).iter().copied())
        .filter(|id| !placed(id))
        .collect();
    unassigned.sort_unstable();
    unassigned.dedup();
    let counted = |leaf: usize| assigned.get(leaf).map_or(&[][..], Vec::as_slice);
    let also_from = leaves
        .iter()
        .enumerate()
        .map(|(leaf, state)| {
            let short = counted(leaf).len() < state.need as usize;
            let elsewhere = approved_of(state)
                .iter()
                .any(|id| !counted(leaf).contains(id));
            if !short || !elsewhere {
                return Vec::new();
            }
            // Leaves whose holders could move, directly or along a chain, into this one.
            let mut reached = vec![leaf];
            loop {
                let next = (0..leaves.len()).find(|m| {
                    !reached.contains(m)
                        && counted(*m).iter().any(|holder| {
                            reached.iter().any(|&r| {
                                leaves
                                    .get(r)
                                    .is_some_and(|s| approved_of(s).binary_search(holder).is_ok())
                            })
                        })
                });
                match next {
                    Some(m) => reached.push(m),
                    None => break,
                }
            }
            reached.retain(|&m| m != leaf);
            reached.sort_unstable();
            reached
        })
        .collect();
    Some(Unplaced {
        unassigned,
        also_from,
        approved: leaves.iter().map(|s| approved_of(s).to_vec()).collect(),
    })
}

/// The explanation of one assessed policy: its requirements with labels, counts,
/// approvers and candidates.
pub(crate) fn explain_policy(
    context: &Context<'_>,
    assessment: &Assessment<'_>,
    not_candidates: &[UserId],
    state: &PolicyState,
) -> Option<PolicyResult> {
    let policy = context.policy.policies.get(state.index)?;
    let builder = TreeBuilder {
        context,
        assessment,
        not_candidates,
        state,
        leaves: &policy.leaves,
    };
    let requirements: Vec<RequirementResult> =
        policy.requires.iter().map(|r| builder.build(r)).collect();
    Some(PolicyResult {
        name: policy.name.clone(),
        satisfied: state.satisfied,
        requirements,
    })
}

struct TreeBuilder<'a, 'p> {
    context: &'a Context<'p>,
    assessment: &'a Assessment<'a>,
    /// The request's excluded users and every approver, sorted: never candidates.
    not_candidates: &'a [UserId],
    state: &'a PolicyState,
    leaves: &'a [Leaf],
}

impl TreeBuilder<'_, '_> {
    /// The names of `ids` (sorted), as runs of the directory's names: ids follow name
    /// order, and a few approvers fit in a `Names` without a list of their own.
    fn names(&self, ids: &[UserId]) -> Names {
        let mut out = NamesBuilder::new(self.context.names());
        for &id in ids {
            let id = id as usize;
            out.push_run(id, id + 1);
        }
        out.finish()
    }

    /// Who counts toward the leaves below `req`, one after another (unsorted, repeats
    /// kept).
    fn counted_below(&self, req: &Req, out: &mut Vec<UserId>) {
        match req {
            Req::Leaf(i) => out.extend_from_slice(self.assessment.counted(self.state, *i)),
            Req::AnyOf(children) | Req::AllOf(children) => {
                for c in children {
                    self.counted_below(c, out);
                }
            }
        }
    }

    fn build(&self, req: &Req) -> RequirementResult {
        match req {
            Req::Leaf(i) => self.leaf(*i),
            Req::AnyOf(children) | Req::AllOf(children) => {
                let any = matches!(req, Req::AnyOf(_));
                let results: Vec<RequirementResult> =
                    children.iter().map(|c| self.build(c)).collect();
                let done = results.iter().filter(|r| r.satisfied).count();
                let (need, satisfied, unsatisfiable) = if any {
                    (1, done >= 1, results.iter().all(|r| r.unsatisfiable))
                } else {
                    (
                        results.len(),
                        done == results.len(),
                        results.iter().any(|r| r.unsatisfiable),
                    )
                };
                // The union of the branches' approvers, sorted: their ids (in name order).
                let mut approved: Vec<UserId> = Vec::new();
                self.counted_below(req, &mut approved);
                approved.sort_unstable();
                approved.dedup();
                let approved_by = self.names(&approved);
                let (candidates, more) = if satisfied {
                    (Names::default(), 0)
                } else {
                    self.open_candidates(req)
                };
                // Pieces pushed rather than formatted: this runs on every evaluation.
                // On the stack: "all of 12 requirements" fits in a `Name` inline.
                let mut label = SmolStrBuilder::new();
                label.push_str(if any { "one of " } else { "all of " });
                push_number(&mut label, results.len() as u64);
                label.push_str(if any { " options" } else { " requirements" });
                let label = label.finish();
                let need = u32::try_from(need).unwrap_or(u32::MAX);
                let have = u32::try_from(done).unwrap_or(u32::MAX).min(need);
                let (any_of, all_of) = if any {
                    (Some(results), None)
                } else {
                    (None, Some(results))
                };
                RequirementResult {
                    label,
                    need,
                    have,
                    approved_by,
                    candidates,
                    candidates_more: u32::try_from(more).unwrap_or(u32::MAX),
                    satisfied,
                    unsatisfiable,
                    any_of,
                    all_of,
                }
            }
        }
    }

    /// Candidates of the unsatisfied leaves below a composite requirement, the first
    /// [`CANDIDATES_SHOWN`] in name order, and how many more: the union of their pools
    /// as a bitmap, less the people who cannot be candidates; runs of the directory's
    /// names (ids follow name order).
    fn open_candidates(&self, req: &Req) -> (Names, usize) {
        let mut open = IdSet::with_users(self.context.user_count());
        self.open_pools(req, &mut open);
        for &id in self.not_candidates {
            open.remove(id);
        }
        let total = open.len();
        let shown = total.min(CANDIDATES_SHOWN);
        let mut names = NamesBuilder::new(self.context.names());
        for id in open.iter().take(shown) {
            let id = id as usize;
            names.push_run(id, id + 1);
        }
        (names.finish(), total - shown)
    }

    fn open_pools(&self, req: &Req, out: &mut IdSet) {
        match req {
            Req::Leaf(i) => {
                if let Some(leaf) = self.assessment.leaf(self.state, *i) {
                    if !self.assessment.leaf_satisfied(self.state, *i) {
                        out.union_with(&leaf.pool.set);
                    }
                }
            }
            Req::AnyOf(children) | Req::AllOf(children) => {
                for c in children {
                    self.open_pools(c, out);
                }
            }
        }
    }

    fn leaf(&self, i: usize) -> RequirementResult {
        let (Some(leaf), Some(state)) = (self.leaves.get(i), self.assessment.leaf(self.state, i))
        else {
            return RequirementResult {
                label: Name::default(),
                need: 0,
                have: 0,
                approved_by: Names::default(),
                candidates: Names::default(),
                candidates_more: 0,
                satisfied: false,
                unsatisfiable: true,
                any_of: None,
                all_of: None,
            };
        };
        let counted = self.assessment.counted(self.state, i);
        let have = u32::try_from(counted.len())
            .unwrap_or(u32::MAX)
            .min(state.need);
        let open = state
            .pool_len
            .saturating_sub(self.assessment.approved(state).len());
        let candidates = first_candidates(state.pool, self.not_candidates, CANDIDATES_SHOWN);
        let more = open.saturating_sub(candidates.len());
        RequirementResult {
            label: leaf.label.with_need(state.need),
            need: state.need,
            have,
            approved_by: self.names(counted),
            candidates,
            candidates_more: u32::try_from(more).unwrap_or(u32::MAX),
            satisfied: have >= state.need,
            unsatisfiable: state.pool_len < state.need as usize,
            any_of: None,
            all_of: None,
        }
    }
}

/// The names of the first `shown` members of `pool` not in `skip` (sorted), in name
/// order. The few skipped people split the pool's names into runs, each taken whole.
fn first_candidates(pool: &Pool, skip: &[UserId], shown: usize) -> Names {
    let mut out = NamesBuilder::new(&pool.names);
    let mut taken = 0;
    let mut start = 0;
    for &id in skip {
        if !pool.contains(id) {
            continue;
        }
        let rest = pool.ids.get(start..).unwrap_or_default();
        let at = start + rest.partition_point(|&p| p < id);
        let end = at.min(start + (shown - taken));
        out.push_run(start, end);
        taken += end - start;
        if taken >= shown {
            return out.finish();
        }
        start = at + 1;
    }
    let end = pool.names.len().min(start + (shown - taken));
    out.push_run(start, end);
    out.finish()
}

/// A leaf's label as compiled: whole, or for a percentage (whose need depends on the
/// pool, so on the request) the text before and after the need.
#[derive(Debug, Clone)]
pub(crate) enum LeafLabel {
    Whole(Name),
    AroundNeed(Name, Name),
}

impl Default for LeafLabel {
    fn default() -> LeafLabel {
        LeafLabel::Whole(Name::default())
    }
}

impl LeafLabel {
    /// "2 from group security", "all of john, jane, jessy", "50% (" and ") from group qa".
    pub fn new(leaf: &Leaf) -> LeafLabel {
        let Count::Percent(h) = leaf.count else {
            return LeafLabel::Whole(label(leaf, super::need_for(leaf, 0)));
        };
        let mut before = SmolStrBuilder::new();
        push_percent(&mut before, h);
        before.push_str(" (");
        let mut after = SmolStrBuilder::new();
        after.push_str(")");
        push_source(&mut after, &leaf.source);
        LeafLabel::AroundNeed(before.finish(), after.finish())
    }

    /// The label for a request whose pool gives this need. Written into a
    /// [`SmolStrBuilder`]: up to 23 bytes it stays on the stack.
    pub fn with_need(&self, need: u32) -> Name {
        match self {
            LeafLabel::Whole(label) => label.clone(),
            LeafLabel::AroundNeed(before, after) => {
                let mut out = SmolStrBuilder::new();
                out.push_str(before);
                push_number(&mut out, u64::from(need));
                out.push_str(after);
                out.finish()
            }
        }
    }
}

/// "2 from group security", "all of john, jane, jessy", "50% (2) from group qa".
fn label(leaf: &Leaf, need: u32) -> Name {
    let mut out = SmolStrBuilder::new();
    if let (Source::Users(users), Count::Default) = (&leaf.source, leaf.count) {
        match users.as_slice() {
            [one] => {
                out.push_str("user ");
                out.push_str(one);
            }
            _ => {
                out.push_str("all of ");
                push_joined(&mut out, users.iter().map(String::as_str), ", ");
            }
        }
        return out.finish();
    }
    if let Count::Percent(h) = leaf.count {
        push_percent(&mut out, h);
        out.push_str(" (");
        push_number(&mut out, u64::from(need));
        out.push_str(")");
    } else {
        push_number(&mut out, u64::from(need));
    }
    push_source(&mut out, &leaf.source);
    out.finish()
}

/// " from anyone", " from group qa", " of john, jane", " from group a, b".
fn push_source(out: &mut impl Text, source: &Source) {
    match source {
        Source::Any => out.push_str(" from anyone"),
        Source::Group(g) => {
            out.push_str(" from group ");
            out.push_str(g);
        }
        Source::Users(users) => {
            out.push_str(" of ");
            push_joined(out, users.iter().map(String::as_str), ", ");
        }
        Source::From { users, groups } => {
            out.push_str(" from ");
            push_from_list(out, users, groups);
        }
    }
}

/// "groups a, b or users c" in short: "a, b, c" with groups marked.
pub(crate) fn from_list(users: &[String], groups: &[String]) -> String {
    let mut out = String::new();
    push_from_list(&mut out, users, groups);
    out
}

pub(crate) fn push_from_list(out: &mut impl Text, users: &[String], groups: &[String]) {
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str("group ");
        out.push_str(g);
    }
    for (i, u) in users.iter().enumerate() {
        if i > 0 || !groups.is_empty() {
            out.push_str(", ");
        }
        out.push_str(u);
    }
}

/// The items with `separator` between them, as `join` gives, without a list first.
pub(crate) fn push_joined<'a>(
    out: &mut impl Text,
    items: impl Iterator<Item = &'a str>,
    separator: &str,
) {
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(item);
    }
}

/// Where labels and summaries are written: a `String`, or a [`SmolStrBuilder`], which
/// keeps up to 23 bytes on the stack.
pub(crate) trait Text {
    fn push_str(&mut self, text: &str);
}

impl Text for String {
    fn push_str(&mut self, text: &str) {
        String::push_str(self, text);
    }
}

impl Text for SmolStrBuilder {
    fn push_str(&mut self, text: &str) {
        SmolStrBuilder::push_str(self, text);
    }
}

#[cfg(test)]
fn percent(hundredths: u32) -> String {
    let mut out = String::new();
    push_percent(&mut out, hundredths);
    out
}

/// "20%", "12.5%", "0.05%".
fn push_percent(out: &mut impl Text, hundredths: u32) {
    let whole = hundredths / 100;
    let fraction = hundredths % 100;
    push_number(out, u64::from(whole));
    if fraction != 0 {
        out.push_str(".");
        if fraction < 10 {
            out.push_str("0");
        }
        let shown = if fraction % 10 == 0 {
            fraction / 10
        } else {
            fraction
        };
        push_number(out, u64::from(shown));
    }
    out.push_str("%");
}

/// Appends `n` in decimal. What `write!` does, without the formatting machinery, which
/// costs several hundred instructions a call on a path that runs on every evaluation.
pub(crate) fn push_number(out: &mut impl Text, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written, so the check cannot fail.
    out.push_str(std::str::from_utf8(digits.get(start..).unwrap_or_default()).unwrap_or("0"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Percentages read as they always did (the old formula: two decimals, a trailing
    /// zero dropped), for every value a policy can hold.
    #[test]
    fn percentages_read_as_before() {
        for hundredths in 0..=10_000u32 {
            let old = if hundredths % 100 == 0 {
                format!("{}%", hundredths / 100)
            } else {
                format!("{}.{:02}%", hundredths / 100, hundredths % 100).replace("0%", "%")
            };
            assert_eq!(percent(hundredths), old, "{hundredths}");
        }
    }

    /// The first candidates, taken as runs of the pool's names, are the pool's members
    /// not skipped, in order, at most `shown` of them: on pools and skip lists of every
    /// shape (skips before, inside and after the pool, more skips than runs kept).
    #[test]
    fn first_candidates_are_the_members_not_skipped() {
        let all: Vec<Name> = (0..64).map(|i| Name::new(format!("u{i:02}"))).collect();
        let mut seed = 7u64;
        let mut next = move |below: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % below
        };
        for _ in 0..2_000 {
            let ids: Vec<UserId> = (0..64u32).filter(|_| next(3) > 0).collect();
            let pool = Pool::new(ids.clone(), &all);
            let mut skip: Vec<UserId> = (0..64u32).filter(|_| next(6) == 0).collect();
            skip.dedup();
            let shown = next(12) as usize;
            let want: Vec<Name> = ids
                .iter()
                .filter(|id| !skip.contains(id))
                .take(shown)
                .map(|&id| all.get(id as usize).cloned().unwrap_or_default())
                .collect();
            let got = first_candidates(&pool, &skip, shown);
            assert_eq!(
                got.to_vec(),
                want,
                "pool {ids:?} skip {skip:?} shown {shown}"
            );
        }
    }

    /// A label made at compile time and completed with the need reads as the label made
    /// whole, for every count and source.
    #[test]
    fn compiled_labels_read_as_whole_ones() {
        let names = |list: &[&str]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
        let sources = [
            Source::Any,
            Source::Group("qa".to_owned()),
            Source::Group("a-group-with-a-rather-long-name".to_owned()),
            Source::Users(names(&["john"])),
            Source::Users(names(&["john", "jane", "jessy"])),
            Source::From {
                users: names(&["ann"]),
                groups: names(&["sec", "ops"]),
            },
        ];
        let counts = [
            Count::Default,
            Count::Exact(2),
            Count::Percent(2_000),
            Count::Percent(1_250),
            Count::Percent(5),
        ];
        for source in &sources {
            for count in counts {
                let leaf = Leaf {
                    source: source.clone(),
                    count,
                    span: crate::diagnostic::Span::default(),
                    label: LeafLabel::default(),
                };
                let compiled = LeafLabel::new(&leaf);
                for need in [0, 1, 6, 12_345] {
                    let need = match count {
                        Count::Percent(_) => need,
                        _ => super::super::need_for(&leaf, 0),
                    };
                    assert_eq!(
                        compiled.with_need(need),
                        label(&leaf, need),
                        "{leaf:?} {need}"
                    );
                }
            }
        }
    }

    #[test]
    fn numbers_read_as_display_gives_them() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            let mut out = String::from("x");
            push_number(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }
}
