//! The one-line summary (≤ 140 characters) that becomes a commit status description:
//! what decided it, and for a pending request what is still missing, in words.

use super::context::Context;
use super::context::UserId;
use super::requirements::{Unplaced, from_list, push_from_list, push_joined, push_number};
use crate::compile::{Count, Leaf, Req, Source};
use crate::decision::{Decision, ExemptReason, Outcome, RequirementResult};
use crate::model::Request;
use crate::model::policy::WindowKind;
use std::ops::Range;

pub const MAX_SUMMARY: usize = 140;

pub(crate) fn summarize(
    decision: &Decision,
    request: &Request,
    context: &Context<'_>,
    effective: &[usize],
    // Per policy, what a distinct-approvers matching left out; empty when no policy
    // has distinct approvers.
    unplaced: &[Option<Unplaced>],
) -> String {
    let text = match decision.decision {
        Outcome::Blocked => blocked(decision),
        Outcome::NotRequired => "No approval required: no policy applies".to_owned(),
        Outcome::Exempt => exempt(decision, request),
        Outcome::Rejected => {
            let mut text = String::with_capacity(MAX_SUMMARY + 16);
            text.push_str("Rejected by ");
            push_joined(&mut text, decision.rejected_by.iter().map(|n| &**n), ", ");
            text
        }
        Outcome::Approved => {
            let mut names: Vec<&str> = decision
                .policies
                .iter()
                .flat_map(|p| p.requirements.iter())
                .flat_map(|r| r.approved_by.iter().map(|n| &**n))
                .collect();
            // The crate's shared sort: a few names, and a sort of `&str`s of its own
            // would cost the browser module about 5 KB (docs/simulator.md, "Size").
            crate::order::stable_sort_by(&mut names, |a, b| a.cmp(b));
            names.dedup();
            let mut text = String::with_capacity(MAX_SUMMARY + 16);
            text.push_str("Approved by ");
            push_joined(&mut text, names.into_iter(), ", ");
            text
        }
        Outcome::Pending => {
            // Every part written straight into the summary; a part already there (by its
            // text) is taken back out.
            let mut text = String::with_capacity(MAX_SUMMARY + 16);
            text.push_str("Pending: ");
            let mut parts: Vec<Range<usize>> = Vec::with_capacity(8);
            for (i, (result, &index)) in decision.policies.iter().zip(effective).enumerate() {
                // Empty when no policy has distinct approvers.
                let left_out = unplaced.get(i).and_then(Option::as_ref);
                let Some(policy) = context.policy.policies.get(index) else {
                    continue;
                };
                let why = Missing {
                    leaves: &policy.leaves,
                    unplaced: left_out,
                    context,
                };
                for (req, r) in policy.requires.iter().zip(&result.requirements) {
                    let mark = text.len();
                    if !parts.is_empty() {
                        text.push_str("; ");
                    }
                    let start = text.len();
                    let written = why.missing(req, r, &mut text);
                    let part = text.get(start..);
                    let repeated = parts.iter().any(|p| text.get(p.clone()) == part);
                    if written && !repeated {
                        parts.push(start..text.len());
                    } else {
                        text.truncate(mark);
                    }
                }
            }
            text
        }
    };
    truncate(text)
}

fn blocked(decision: &Decision) -> String {
    let Some(w) = &decision.window else {
        return "Blocked".to_owned();
    };
    match (w.kind, w.until) {
        (WindowKind::Blackout, Some(until)) => {
            format!("Blocked: blackout {} until {until}", w.name)
        }
        (WindowKind::Blackout, None) => format!("Blocked: blackout {}", w.name),
        (WindowKind::Maintenance, Some(next)) => {
            format!(
                "Blocked: outside maintenance window {}; next opens {next}",
                w.name
            )
        }
        (WindowKind::Maintenance, None) => format!(
            "Blocked: outside maintenance window {}; no opening ahead",
            w.name
        ),
    }
}

fn exempt(decision: &Decision, request: &Request) -> String {
    let who = &request.requester;
    match decision.exempt.as_ref().map(|e| e.reason) {
        Some(ExemptReason::SuperAdmin) => format!("Exempt: {who} is a super-admin"),
        Some(ExemptReason::User) => format!("Exempt: {who} is listed in the exceptions"),
        Some(ExemptReason::Group) => format!("Exempt: {who} is in an exempt group"),
        Some(ExemptReason::Token) => format!("Exempt: token {who} is listed in the exceptions"),
        None => "Exempt".to_owned(),
    }
}

const ANYONE: &str = "anyone";

/// What requirements of one policy still lack, in words.
struct Missing<'a, 'p> {
    leaves: &'a [Leaf],
    /// With distinct approvers, what the matching left out.
    unplaced: Option<&'a Unplaced>,
    context: &'a Context<'p>,
}

impl Missing<'_, '_> {
    /// Writes what a requirement still lacks into `out`; false (nothing written) when it
    /// is satisfied.
    fn missing(&self, req: &Req, result: &RequirementResult, out: &mut String) -> bool {
        if result.satisfied {
            return false;
        }
        let short = result.need.saturating_sub(result.have);
        match req {
            Req::Leaf(i) => {
                let Some(leaf) = self.leaves.get(*i) else {
                    return false;
                };
                match self.distinct_shortfall(*i, short) {
                    Some(text) => out.push_str(&text),
                    None => self.own_shortfall(*i, leaf, result, short, out),
                }
                if result.unsatisfiable {
                    out.push_str(" (not enough eligible approvers)");
                }
                true
            }
            Req::AllOf(children) | Req::AnyOf(children) => {
                let any = matches!(req, Req::AnyOf(_));
                if any {
                    out.push_str("either ");
                }
                let separator = if any { " or " } else { "; " };
                let mut first = true;
                for (c, r) in children.iter().zip(result.children()) {
                    let mark = out.len();
                    if !first {
                        out.push_str(separator);
                    }
                    if self.missing(c, r, out) {
                        first = false;
                    } else {
                        out.truncate(mark);
                    }
                }
                true
            }
        }
    }

    /// With distinct approvers, a short leaf whose own approvers fill other slots: what
    /// is missing is more people, from this leaf or from a leaf whose holders could move
    /// into it, never someone who has approved ("1 more distinct approver from group sec").
    fn distinct_shortfall(&self, leaf: usize, short: u32) -> Option<String> {
        let unplaced = self.unplaced?;
        let others = unplaced.also_from.get(leaf)?;
        if others.is_empty() {
            return None;
        }
        let mut sources: Vec<String> = Vec::new();
        for &i in std::iter::once(&leaf).chain(others) {
            let approved = unplaced.approved.get(i).map_or(&[][..], Vec::as_slice);
            let source = self.leaves.get(i).and_then(|l| self.source(l, approved));
            if let Some(source) = source {
                if !sources.contains(&source) {
                    sources.push(source);
                }
            }
        }
        // Anyone covers every other source.
        if sources.iter().any(|s| s == ANYONE) {
            sources.retain(|s| s == ANYONE);
        }
        let noun = if short == 1 { "approver" } else { "approvers" };
        if sources.is_empty() {
            // Everyone who could fill it has approved and fills another slot.
            return Some(format!(
                "{short} more distinct {noun}, but everyone who could has approved"
            ));
        }
        Some(format!(
            "{short} more distinct {noun} from {}",
            sources.join(" or ")
        ))
    }

    /// Who could still approve for a leaf, in words; `None` when everyone it lists has.
    fn source(&self, leaf: &Leaf, approved: &[UserId]) -> Option<String> {
        Some(match &leaf.source {
            Source::Any => ANYONE.to_owned(),
            Source::Group(g) => format!("group {g}"),
            Source::From { users, groups } => from_list(users, groups),
            Source::Users(users) => {
                let waiting: Vec<&str> = users
                    .iter()
                    .filter(|u| {
                        self.context
                            .id(u)
                            .is_none_or(|id| approved.binary_search(&id).is_err())
                    })
                    .map(String::as_str)
                    .collect();
                if waiting.is_empty() {
                    return None;
                }
                waiting.join(", ")
            }
        })
    }
}

impl Missing<'_, '_> {
    /// What a leaf lacks, from its own result, written into `out`. "… must approve"
    /// never names someone who approved: with distinct approvers, one whose approval sits
    /// in a branch of an `any_of` that the matching did not choose would count if it were
    /// chosen.
    fn own_shortfall(
        &self,
        index: usize,
        leaf: &Leaf,
        result: &RequirementResult,
        short: u32,
        out: &mut String,
    ) {
        match &leaf.source {
            Source::Users(users) if leaf.count == Count::Default => {
                let approved = self
                    .unplaced
                    .and_then(|u| u.approved.get(index))
                    .map(Vec::as_slice);
                let waiting = users
                    .iter()
                    .filter(|u| !result.approved_by.iter().any(|a| **a == ***u))
                    .filter(|u| {
                        approved.is_none_or(|approved| {
                            self.context
                                .id(u)
                                .is_none_or(|id| approved.binary_search(&id).is_err())
                        })
                    });
                push_joined(out, waiting.map(String::as_str), ", ");
                out.push_str(" must approve");
            }
            // Written piece by piece: this runs on every pending evaluation.
            Source::Users(users) => {
                more(out, short, " of ");
                push_joined(out, users.iter().map(String::as_str), ", ");
            }
            Source::Any => more(out, short, " from anyone"),
            Source::Group(g) => {
                more(out, short, " from group ");
                out.push_str(g);
            }
            Source::From { users, groups } => {
                more(out, short, " from ");
                push_from_list(out, users, groups);
            }
        }
    }
}

/// "2 more" followed by `then`.
fn more(out: &mut String, short: u32, then: &str) {
    push_number(out, u64::from(short));
    out.push_str(" more");
    out.push_str(then);
}

/// Cuts to at most 140 characters, ending with "…" when cut, and keeps it on one line.
fn truncate(text: String) -> String {
    // The usual summary: short ASCII without control characters, kept as it is.
    // Printable ASCII is 0x20..=0x7e; folded without stopping early, which the compiler
    // turns into a few wide compares instead of a branch per byte.
    let printable_ascii = text
        .bytes()
        .fold(true, |ok, b| ok & (b.wrapping_sub(0x20) < 0x5f));
    if text.len() <= MAX_SUMMARY && printable_ascii {
        return text;
    }
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= MAX_SUMMARY {
        return one_line;
    }
    let mut out: String = one_line.chars().take(MAX_SUMMARY - 1).collect();
    out.push('…');
    out
}
