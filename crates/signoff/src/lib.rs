//! signoff: an approval-policy engine.
//!
//! The core: the policy language, its parser with located errors, the compiled policy,
//! the evaluator and lint. No I/O, no clock (`now` is an input), no network, so the same
//! code runs in the CLI, the bot and the browser and gives the same answer byte for byte.
//!
//! ```
//! let policy = signoff::PolicySet::parse(
//!     "version: 1\npolicies: { two: { requires: [ { any: 2 } ] } }\napply: [ { policies: [two], to: deployment } ]\n",
//!     "signoff.yml",
//! ).map_err(|d| d[0].to_string()).unwrap();
//! let input: signoff::Input = serde_json::from_str(r#"{
//!   "request": { "kind": "deployment", "requester": "dave" },
//!   "directory": { "users": { "alice": { "roles": ["deployment-approver"] } } },
//!   "grants": [ { "by": "alice", "action": "approve", "at": "2026-11-20T10:00:00Z" } ],
//!   "now": "2026-11-21T09:00:00Z"
//! }"#).unwrap();
//! let decision = signoff::evaluate(&policy, &input);
//! assert_eq!(decision.decision, signoff::Outcome::Pending);
//! ```

pub mod case;
mod compile;
pub mod decision;
pub mod diagnostic;
mod duration;
mod eval;
pub mod glob;
mod lint;
pub mod model;
pub mod order;
pub mod scenario;
#[cfg(test)]
mod test_rng;
pub mod timestamp;
mod yaml;
pub mod zones;

pub use case::{Case, Expect, check, evaluate_case, parse_case};
pub use compile::PolicySet;
pub use decision::{
    Decision, ExemptReason, Exemption, IgnoreReason, Ignored, Outcome, PolicyResult, PolicyVerdict,
    RequirementResult, Verdict, WindowHit,
};
pub use diagnostic::{Diagnostic, Severity, Span};
pub use eval::{CANDIDATES_SHOWN, Context, evaluate};
pub use lint::lint;
pub use model::policy::PolicyFile;
pub use model::{
    Action, Attributes, ConfigKind, Directory, Grant, Input, Kind, Request, Role, User, Via,
};
pub use yaml::Spanned;

/// The version of this evaluator, as the CLI, the wasm API and the bot report it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Reads any of the contract's types (a directory, a request, grants) from YAML or JSON
/// text, with located errors.
pub fn from_yaml_str<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
) -> Result<T, Vec<Diagnostic>> {
    let node = yaml::load(text).map_err(|p| vec![p.in_file(file)])?;
    yaml::from_node(&node).map_err(|e| vec![e.into_problem().in_file(file)])
}
