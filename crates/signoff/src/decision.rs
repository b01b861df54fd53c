//! The decision (SPEC §5): fixed field names, reason codes and key order. Everything the
//! CLI, the simulator and the bot show is read from this.

use crate::model::policy::WindowKind;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A user's name in a decision. Shared with the directory index, so a decision that
/// names hundreds of candidates copies no strings (allocation was most of the cost of
/// an evaluation).
pub type Name = Arc<str>;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyResult {
    pub name: String,
    pub satisfied: bool,
    pub requirements: Vec<RequirementResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementResult {
    pub label: String,
    pub need: u32,
    pub have: u32,
    pub approved_by: Vec<Name>,
    pub candidates: Vec<Name>,
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
