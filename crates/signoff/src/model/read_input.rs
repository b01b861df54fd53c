//! Reads the evaluation inputs of a case file or a scenario (SPEC §3: the request, the
//! directory, the grants, `now`) from the located YAML tree, by hand.
//!
//! The derives of `input.rs` stay for the CLI and the bot, which read a directory file
//! through `from_yaml_str`; the browser module reads through these instead, so the
//! derives' code is not linked there (docs/simulator.md, "Size"). The messages and
//! positions are the derives' (tested against them, `read_input_tests.rs`).

use super::read_policy;
use super::{Action, Attributes, Directory, Grant, Request, Role, User, Via};
use crate::yaml::read::{
    self, boolean, fields, list, map_entries, missing, option, string, strings,
};
use crate::yaml::{Data, DeError, Node, Scalar, untag};
use jiff::Timestamp;
use serde::de::Error as _;
use std::borrow::Cow;
use std::collections::BTreeMap;

pub(crate) fn request(node: &Node<'_>) -> Result<Request, DeError> {
    const FIELDS: &[&str] = &[
        "kind",
        "config",
        "requester",
        "revision",
        "attributes",
        "contributors",
    ];
    let mut kind = None;
    let mut config = None;
    let mut requester = None;
    let mut revision = None;
    let mut attributes = Attributes::default();
    let mut contributors = Vec::new();
    fields(node, "struct Request", FIELDS, &mut |field, value| {
        match field {
            0 => kind = Some(read_policy::kind(value)?),
            1 => config = option(value, read_policy::config_kind)?,
            2 => requester = Some(string(value)?),
            3 => revision = option(value, string)?,
            4 => attributes = self::attributes(value)?,
            _ => contributors = strings(value)?,
        }
        Ok(())
    })?;
    Ok(Request {
        kind: kind.ok_or_else(|| missing(node, "kind"))?,
        config,
        requester: requester.ok_or_else(|| missing(node, "requester"))?,
        revision,
        attributes,
        contributors,
    })
}

fn attributes(node: &Node<'_>) -> Result<Attributes, DeError> {
    const FIELDS: &[&str] = &[
        "app",
        "environment",
        "cluster",
        "repo",
        "branch",
        "source_branch",
        "labels",
        "paths",
    ];
    let mut a = Attributes::default();
    fields(node, "struct Attributes", FIELDS, &mut |field, value| {
        match field {
            0 => a.app = option(value, string)?,
            1 => a.environment = option(value, string)?,
            2 => a.cluster = option(value, string)?,
            3 => a.repo = option(value, string)?,
            4 => a.branch = option(value, string)?,
            5 => a.source_branch = option(value, string)?,
            6 => a.labels = strings(value)?,
            _ => a.paths = strings(value)?,
        }
        Ok(())
    })?;
    Ok(a)
}

pub(crate) fn directory(node: &Node<'_>) -> Result<Directory, DeError> {
    const FIELDS: &[&str] = &["users", "groups", "tokens"];
    let mut d = Directory::default();
    fields(node, "struct Directory", FIELDS, &mut |field, value| {
        match field {
            0 => d.users = map(value, user)?,
            1 => d.groups = map(value, strings)?,
            _ => d.tokens = strings(value)?,
        }
        Ok(())
    })?;
    Ok(d)
}

/// A mapping keyed by names, as serde reads a `BTreeMap` (a repeated key keeps the last
/// value).
fn map<'a, 'i, T>(
    node: &'a Node<'i>,
    read: impl Fn(&'a Node<'i>) -> Result<T, DeError>,
) -> Result<BTreeMap<String, T>, DeError> {
    let mut out = BTreeMap::new();
    for (key, value) in map_entries(node)? {
        let name = string(key).map_err(|e| read::located(e, key))?;
        let value = read(value).map_err(|e| read::located(e, value))?;
        out.insert(name, value);
    }
    Ok(out)
}

fn user(node: &Node<'_>) -> Result<User, DeError> {
    const FIELDS: &[&str] = &["groups", "roles", "super_admin"];
    let mut u = User::default();
    fields(node, "struct User", FIELDS, &mut |field, value| {
        match field {
            0 => u.groups = strings(value)?,
            1 => u.roles = list(value, role)?,
            _ => u.super_admin = boolean(value)?,
        }
        Ok(())
    })?;
    Ok(u)
}

fn role(node: &Node<'_>) -> Result<Role, DeError> {
    const ROLES: &[&str] = &[
        "deployment-approver",
        "config-approver",
        "pull-request-approver",
    ];
    Ok(match read::variant(node, "enum Role", ROLES)? {
        0 => Role::DeploymentApprover,
        1 => Role::ConfigApprover,
        _ => Role::PullRequestApprover,
    })
}

/// A list of grants; `None` for null.
pub(crate) fn grants(node: &Node<'_>) -> Result<Option<Vec<Grant>>, DeError> {
    option(node, |list_node| list(list_node, grant))
}

fn grant(node: &Node<'_>) -> Result<Grant, DeError> {
    const FIELDS: &[&str] = &["by", "action", "revision", "at", "via"];
    let mut by = None;
    let mut action = None;
    let mut revision = None;
    let mut at = None;
    let mut via = None;
    fields(node, "struct Grant", FIELDS, &mut |field, value| {
        match field {
            0 => by = Some(string(value)?),
            1 => {
                const ACTIONS: &[&str] = &["approve", "reject", "revoke"];
                action = Some(match read::variant(value, "enum Action", ACTIONS)? {
                    0 => Action::Approve,
                    1 => Action::Reject,
                    _ => Action::Revoke,
                })
            }
            2 => revision = option(value, string)?,
            3 => at = Some(timestamp(value)?),
            _ => {
                const VIAS: &[&str] = &["review", "comment", "deployment_review", "api"];
                via = option(value, |v| {
                    Ok(match read::variant(v, "enum Via", VIAS)? {
                        0 => Via::Review,
                        1 => Via::Comment,
                        2 => Via::DeploymentReview,
                        _ => Via::Api,
                    })
                })?
            }
        }
        Ok(())
    })?;
    Ok(Grant {
        by: by.ok_or_else(|| missing(node, "by"))?,
        action: action.ok_or_else(|| missing(node, "action"))?,
        revision,
        at: at.ok_or_else(|| missing(node, "at"))?,
        via,
    })
}

/// An RFC 3339 timestamp, as jiff's own `Deserialize` reads it (from a string; numbers
/// and booleans are read as their text, which is then refused), through our reader
/// (`crate::timestamp`, as the derives read it too) so that no jiff error is shown.
pub(crate) fn timestamp(node: &Node<'_>) -> Result<Timestamp, DeError> {
    let text: Cow<'_, str> = match &untag(node).data {
        Data::Value(Scalar::String(s)) => Cow::Borrowed(s),
        Data::Value(Scalar::Integer(i)) => Cow::Owned(i.to_string()),
        Data::Value(Scalar::Boolean(b)) => Cow::Owned(b.to_string()),
        _ => return Err(read::wrong_type(node, "a timestamp string")),
    };
    crate::timestamp::parse(&text).map_err(|e| read::located(DeError::custom(e), node))
}
