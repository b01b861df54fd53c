//! The decision (SPEC §5): fixed field names, reason codes and key order. Everything the
//! CLI, the simulator and the bot show is read from this.

pub mod names;

pub use names::Names;

use crate::model::policy::WindowKind;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A user's name in a decision: stored inline up to 23 bytes (longer names share one
/// allocation), so a decision naming hundreds of candidates clones them without an
/// allocation or an atomic reference count each (those were most of an evaluation's cost).
pub type Name = smol_str::SmolStr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub decision: Outcome,
    /// One line, at most 140 characters; it becomes a commit status description.
    pub summary: String,
    pub policies: Vec<PolicyResult>,
    pub rejected_by: Vec<Name>,
    pub ignored: Vec<Ignored>,
    pub exempt: Option<Exemption>,
    pub window: Option<WindowHit>,
}

impl Decision {
    /// The canonical JSON: pretty, two-space indent, trailing newline. Byte for byte the
    /// same from the CLI, the wasm build and the bot.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approved,
    Pending,
    Rejected,
    Exempt,
    Blocked,
    NotRequired,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Pending => "pending",
            Outcome::Rejected => "rejected",
            Outcome::Exempt => "exempt",
            Outcome::Blocked => "blocked",
            Outcome::NotRequired => "not_required",
        }
    }

    /// May the change go ahead?
    pub fn allows(self) -> bool {
        matches!(
            self,
            Outcome::Approved | Outcome::Exempt | Outcome::NotRequired
        )
    }
}

/// What [`crate::Context::decide`] gives: the outcome and what decided it, without the
/// explanation (requirements, candidates, ignored grants, summary). It always agrees with
/// the full [`Decision`] for the same inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict<'p> {
    pub decision: Outcome,
    /// The policies that apply, in the decision's order, and whether each is satisfied.
    pub policies: Vec<PolicyVerdict<'p>>,
    /// As in [`Decision::rejected_by`]: sorted names.
    pub rejected_by: Vec<&'p str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyVerdict<'p> {
    pub name: &'p str,
    pub satisfied: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyResult {
    /// Shared with the compiled policy (inline up to 23 bytes): no allocation per decision.
    pub name: Name,
    pub satisfied: bool,
    pub requirements: Vec<RequirementResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementResult {
    /// A [`Name`] rather than a `String`: made once when the policy is compiled (or, for a
    /// percentage or a composite, inline on the stack), so a decision allocates none.
    pub label: Name,
    pub need: u32,
    pub have: u32,
    /// Who counts toward it, sorted. Like `candidates`, runs of a list shared with the
    /// evaluation context rather than copied names (a plain list in JSON).
    pub approved_by: Names,
    pub candidates: Names,
    pub candidates_more: u32,
    pub satisfied: bool,
    pub unsatisfiable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_of: Option<Vec<RequirementResult>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_of: Option<Vec<RequirementResult>>,
}

impl RequirementResult {
    /// The nested requirements of an `any_of` or `all_of`, or none for a leaf.
    pub fn children(&self) -> &[RequirementResult] {
        self.any_of
            .as_deref()
            .or(self.all_of.as_deref())
            .unwrap_or(&[])
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ignored {
    pub by: Name,
    pub reason: IgnoreReason,
}

/// Why a grant did not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoreReason {
    UnknownUser,
    Stale,
    Expired,
    Future,
    Superseded,
    NotApprover,
    SelfApproval,
    Contributor,
    NoMatchingRequirement,
    /// With `distinct_approvers: true`: in a pool, but the matching placed them in no slot.
    NotAssigned,
}

impl IgnoreReason {
    pub fn as_str(self) -> &'static str {
        match self {
            IgnoreReason::UnknownUser => "unknown_user",
            IgnoreReason::Stale => "stale",
            IgnoreReason::Expired => "expired",
            IgnoreReason::Future => "future",
            IgnoreReason::Superseded => "superseded",
            IgnoreReason::NotApprover => "not_approver",
            IgnoreReason::SelfApproval => "self_approval",
            IgnoreReason::Contributor => "contributor",
            IgnoreReason::NoMatchingRequirement => "no_matching_requirement",
            IgnoreReason::NotAssigned => "not_assigned",
        }
    }

    /// The reason in words, for pages and Markdown.
    pub fn describe(self) -> &'static str {
        match self {
            IgnoreReason::UnknownUser => "not a known user (deleted or never added)",
            IgnoreReason::Stale => "given on an earlier revision",
            IgnoreReason::Expired => "older than the policy's expiry",
            IgnoreReason::Future => "dated after the evaluation time",
            IgnoreReason::Superseded => "replaced by the same person's later action",
            IgnoreReason::NotApprover => "does not hold the approver role for this kind of request",
            IgnoreReason::SelfApproval => "the requester cannot approve their own request",
            IgnoreReason::Contributor => "contributors to the change may not approve it",
            IgnoreReason::NoMatchingRequirement => "not in the pool of any requirement",
            IgnoreReason::NotAssigned => {
                "placed in no slot: with distinct approvers each person fills at most one, and the slots they fit went to others"
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemption {
    pub reason: ExemptReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExemptReason {
    SuperAdmin,
    User,
    Group,
    Token,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowHit {
    pub name: String,
    pub kind: WindowKind,
    /// When the block ends: the blackout's end, or the next opening of a maintenance
    /// window; null when no opening is coming.
    pub until: Option<Timestamp>,
}
