//! The policy file as written (SPEC §2). These types mirror the YAML one to one and
//! reject unknown fields; `compile` checks what reading cannot (names, counts, globs,
//! windows) and builds the form evaluation uses. The JSON Schema is generated from them.
//!
//! They are read by hand (`read_policy.rs`), not by serde: the derives below exist in
//! tests only, where that reader is compared with them, and their `serde` attributes also
//! tell schemars the defaults and names.

use super::{ConfigKind, Kind};
use crate::yaml::Spanned;
#[cfg(test)]
use serde::Deserialize;
use serde::Serialize;
use std::collections::BTreeMap;

/// A whole policy file.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Format version; always 1.
    pub version: Spanned<u32>,
    /// Extra group membership, merged with the directory's groups.
    #[serde(default)]
    pub groups: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    /// Named sets of requirements ("approval profiles").
    #[serde(default)]
    pub policies: BTreeMap<Spanned<String>, PolicyDef>,
    /// Which policies apply to which requests.
    #[serde(default)]
    pub apply: Vec<Binding>,
    /// Requesters who need no approval, per kind.
    #[serde(default)]
    pub exceptions: Exceptions,
    #[serde(default)]
    pub options: Options,
    /// Blackout and maintenance windows.
    #[serde(default)]
    pub windows: Vec<Spanned<Window>>,
}

/// One named policy.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PolicyDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When true, one person fills at most one slot of this policy.
    #[serde(default)]
    pub distinct_approvers: bool,
    /// Every requirement must be satisfied.
    pub requires: Vec<Spanned<RawRequirement>>,
}

/// A requirement as written: exactly one source (`any`, `group`, `users`, `from`,
/// `any_of`, `all_of`) and an optional `count`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawRequirement {
    /// N approvals from anyone eligible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Spanned<CountValue>>,
    /// Eligible members of this group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Spanned<String>>,
    /// These users; all of them unless `count` says how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<Spanned<String>>>,
    /// The union of these users and groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<FromSource>,
    /// Satisfied when one branch is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_of: Option<Vec<Spanned<RawRequirement>>>,
    /// Satisfied when every branch is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_of: Option<Vec<Spanned<RawRequirement>>>,
    /// How many approvals: an integer ≥ 1 or a percentage of the pool such as "50%".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Spanned<CountValue>>,
}

/// `from: { groups: [...], users: [...] }`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FromSource {
    #[serde(default)]
    pub groups: Vec<Spanned<String>>,
    #[serde(default)]
    pub users: Vec<Spanned<String>>,
}

/// A count as written; checked in `compile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CountValue {
    Number(i64),
    Text(String),
}

#[cfg(test)]
impl<'de> Deserialize<'de> for CountValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl serde::de::Visitor<'_> for CountVisitor {
            type Value = CountValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer or a percentage such as \"50%\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<CountValue, E> {
                Ok(CountValue::Number(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<CountValue, E> {
                Ok(CountValue::Number(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CountValue, E> {
                Ok(CountValue::Text(v.to_owned()))
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for CountValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Count".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An integer ≥ 1, or a percentage of the pool such as \"50%\" (rounded up, at least 1).",
            "oneOf": [
                { "type": "integer", "minimum": 1 },
                { "type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?%$" }
            ]
        })
    }
}

/// Applies policies to requests of one kind, globally or where criteria hold.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Binding {
    pub policies: Spanned<Vec<Spanned<String>>>,
    pub to: Spanned<Kind>,
    /// With `to: config`: which config kinds (default: all three).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Spanned<Vec<ConfigKind>>>,
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub criteria: Option<Criteria>,
}

/// Match criteria: each a glob or a list of globs; all given criteria must match.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Globs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<Globs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Globs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<Globs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<Globs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_branch: Option<Globs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Globs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Globs>,
}

/// One glob or a list of globs, each with its position.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Globs(pub Vec<Spanned<String>>);

impl Globs {
    pub fn iter(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.0.iter()
    }
}

#[cfg(test)]
impl<'de> Deserialize<'de> for Globs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// A lone string has no position of its own inside the visitor, so the whole
        /// value is read as `Spanned` and a lone string takes the value's position.
        enum OneOrMany {
            One(String),
            Many(Vec<Spanned<String>>),
        }
        struct OneOrManyVisitor;
        impl<'de> serde::de::Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a glob or a list of globs")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<OneOrMany, A::Error> {
                let mut many = Vec::new();
                while let Some(item) = seq.next_element()? {
                    many.push(item);
                }
                Ok(OneOrMany::Many(many))
            }
        }
        impl<'de> Deserialize<'de> for OneOrMany {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(OneOrManyVisitor)
            }
        }
        let spanned = Spanned::<OneOrMany>::deserialize(deserializer)?;
        Ok(Globs(match spanned.value {
            OneOrMany::One(one) => vec![Spanned::new(spanned.span, one)],
            OneOrMany::Many(many) => many,
        }))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Globs {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Globs".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A glob or a list of globs (any may match). `*` matches any run of characters, `?` one; in `paths`, `**` crosses `/`.",
            "oneOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } }
            ]
        })
    }
}

/// Exceptions per kind of request.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Exceptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<ExceptionRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ExceptionRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<ExceptionRule>,
}

/// Who needs no approval for one kind.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExceptionRule {
    /// Super-admins need no approval (default false).
    #[serde(default)]
    pub super_admins: bool,
    #[serde(default)]
    pub users: Vec<Spanned<String>>,
    #[serde(default)]
    pub groups: Vec<Spanned<String>>,
    /// API tokens (from the directory) that need no approval.
    #[serde(default)]
    pub tokens: Vec<Spanned<String>>,
}

/// Evaluation options; the defaults are the strict ones.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Does the requester's own approval count?
    #[serde(default)]
    pub self_approval: bool,
    /// May people who pushed commits or built the artifact approve?
    #[serde(default = "yes")]
    pub contributors_can_approve: bool,
    /// Approvals count only for the revision they were given on.
    #[serde(default = "yes")]
    pub invalidate_on_push: bool,
    /// An eligible rejection blocks the request.
    #[serde(default = "yes")]
    pub block_on_rejection: bool,
    /// Older approvals no longer count, e.g. "72h", "7d", "1h30m".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_after: Option<Spanned<String>>,
    /// Comment command words.
    #[serde(default)]
    pub commands: Commands,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            self_approval: false,
            contributors_can_approve: yes(),
            invalidate_on_push: yes(),
            block_on_rejection: yes(),
            expires_after: None,
            commands: Commands::default(),
        }
    }
}

fn yes() -> bool {
    true
}

/// Comment command words (SPEC §6.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Commands {
    #[serde(default = "default_approve")]
    pub approve: Vec<String>,
    #[serde(default = "default_reject")]
    pub reject: Vec<String>,
    #[serde(default = "default_revoke")]
    pub revoke: Vec<String>,
}

fn default_approve() -> Vec<String> {
    vec!["/approve".to_owned(), "/lgtm".to_owned()]
}
fn default_reject() -> Vec<String> {
    vec!["/reject".to_owned()]
}
fn default_revoke() -> Vec<String> {
    vec!["/unapprove".to_owned()]
}

impl Default for Commands {
    fn default() -> Self {
        Commands {
            approve: default_approve(),
            reject: default_reject(),
            revoke: default_revoke(),
        }
    }
}

/// A blackout (no changes while open) or maintenance window (changes only while open).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub name: String,
    pub kind: WindowKind,
    pub to: Kind,
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub criteria: Option<Criteria>,
    /// Absolute start (RFC 3339), inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Spanned<String>>,
    /// Absolute end (RFC 3339), exclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly: Option<Spanned<Weekly>>,
    /// Requesters the window does not hold back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<Allow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    Blackout,
    Maintenance,
}

/// A window that repeats every week, in local time of an IANA time zone.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Weekly {
    pub days: Vec<Spanned<Weekday>>,
    /// Local start time, "HH:MM".
    pub from: Spanned<String>,
    /// Local end time, "HH:MM"; earlier than `from` runs past midnight.
    pub until: Spanned<String>,
    /// IANA time zone such as "Europe/Berlin"; default UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// Who a window lets through.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Allow {
    #[serde(default)]
    pub users: Vec<Spanned<String>>,
    #[serde(default)]
    pub groups: Vec<Spanned<String>>,
}
