//! Reads a policy file (SPEC §2) from the located YAML tree, by hand.
//!
//! These readers replace the serde derives of `policy.rs` (kept there for the tests
//! only), whose code was the largest part of the browser's wasm module (docs/simulator.md,
//! "Size"). They say what the derives said, at the same positions: the first problem in
//! entry order, then the first missing field in declaration order. The tests below
//! compare the two on every policy of the repository and on mutations of each.

use super::policy::{
    Allow, Binding, Commands, CountValue, Criteria, ExceptionRule, Exceptions, FromSource, Globs,
    Options, PolicyDef, PolicyFile, RawRequirement, Weekday, Weekly, Window, WindowKind,
};
use super::{ConfigKind, Kind};
use crate::diagnostic::Span;
use crate::yaml::read::{
    self, boolean, fields, list, map_entries, missing, option, spanned_string, spanned_strings,
    string, strings, variant,
};
use crate::yaml::{Data, DeError, Node, Scalar, Spanned, untag};
use std::collections::BTreeMap;

/// Reads a whole policy file.
pub(crate) fn policy_file(node: &Node<'_>) -> Result<PolicyFile, DeError> {
    const FIELDS: &[&str] = &[
        "version",
        "groups",
        "policies",
        "apply",
        "exceptions",
        "options",
        "windows",
    ];
    let mut version = None;
    let mut groups = BTreeMap::new();
    let mut policies = BTreeMap::new();
    let mut apply = Vec::new();
    let mut exceptions = Exceptions::default();
    let mut options = Options::default();
    let mut windows = Vec::new();
    fields(node, "struct PolicyFile", FIELDS, &mut |field, value| {
        match field {
            0 => version = Some(spanned(value, read::u32)?),
            1 => groups = map(value, spanned_strings)?,
            2 => policies = map(value, policy_def)?,
            3 => apply = list(value, binding)?,
            4 => exceptions = self::exceptions(value)?,
            5 => options = self::options(value)?,
            _ => windows = list(value, |w| spanned(w, window))?,
        }
        Ok(())
    })?;
    Ok(PolicyFile {
        version: version.ok_or_else(|| missing(node, "version"))?,
        groups,
        policies,
        apply,
        exceptions,
        options,
        windows,
    })
}

/// A value with the position of its node.
fn spanned<'a, 'i, T>(
    node: &'a Node<'i>,
    read: impl FnOnce(&'a Node<'i>) -> Result<T, DeError>,
) -> Result<Spanned<T>, DeError> {
    Ok(Spanned::new(Span::from_yaml(node.span), read(node)?))
}

/// A mapping keyed by located names, as serde reads a `BTreeMap`: a repeated key (which
/// the YAML loader lets through only when the two are tagged differently) keeps the
/// first key's position and the last value.
fn map<'a, 'i, T>(
    node: &'a Node<'i>,
    read: impl Fn(&'a Node<'i>) -> Result<T, DeError>,
) -> Result<BTreeMap<Spanned<String>, T>, DeError> {
    let mut out = BTreeMap::new();
    for (key, value) in map_entries(node)? {
        let name = spanned_string(key).map_err(|e| read::located(e, key))?;
        let value = read(value).map_err(|e| read::located(e, value))?;
        out.insert(name, value);
    }
    Ok(out)
}

fn policy_def(node: &Node<'_>) -> Result<PolicyDef, DeError> {
    const FIELDS: &[&str] = &["description", "distinct_approvers", "requires"];
    let mut description = None;
    let mut distinct_approvers = false;
    let mut requires = None;
    fields(node, "struct PolicyDef", FIELDS, &mut |field, value| {
        match field {
            0 => description = option(value, string)?,
            1 => distinct_approvers = boolean(value)?,
            _ => requires = Some(requirements(value)?),
        }
        Ok(())
    })?;
    Ok(PolicyDef {
        description,
        distinct_approvers,
        requires: requires.ok_or_else(|| missing(node, "requires"))?,
    })
}

fn requirements(node: &Node<'_>) -> Result<Vec<Spanned<RawRequirement>>, DeError> {
    list(node, |item| spanned(item, requirement))
}

fn requirement(node: &Node<'_>) -> Result<RawRequirement, DeError> {
    const FIELDS: &[&str] = &["any", "group", "users", "from", "any_of", "all_of", "count"];
    let mut r = RawRequirement::default();
    fields(
        node,
        "struct RawRequirement",
        FIELDS,
        &mut |field, value| {
            match field {
                0 => r.any = option(value, |v| spanned(v, count))?,
                1 => r.group = option(value, spanned_string)?,
                2 => r.users = option(value, spanned_strings)?,
                3 => r.from = option(value, from_source)?,
                4 => r.any_of = option(value, requirements)?,
                5 => r.all_of = option(value, requirements)?,
                _ => r.count = option(value, |v| spanned(v, count))?,
            }
            Ok(())
        },
    )?;
    Ok(r)
}

fn from_source(node: &Node<'_>) -> Result<FromSource, DeError> {
    const FIELDS: &[&str] = &["groups", "users"];
    let mut from = FromSource::default();
    fields(node, "struct FromSource", FIELDS, &mut |field, value| {
        match field {
            0 => from.groups = spanned_strings(value)?,
            _ => from.users = spanned_strings(value)?,
        }
        Ok(())
    })?;
    Ok(from)
}

/// An integer or a text such as "50%", checked later by the compiler.
fn count(node: &Node<'_>) -> Result<CountValue, DeError> {
    match &untag(node).data {
        Data::Value(Scalar::Integer(i)) => Ok(CountValue::Number(*i)),
        Data::Value(Scalar::String(s)) => Ok(CountValue::Text(s.to_string())),
        _ => Err(read::wrong_any(
            node,
            "an integer or a percentage such as \"50%\"",
        )),
    }
}

fn binding(node: &Node<'_>) -> Result<Binding, DeError> {
    const FIELDS: &[&str] = &["policies", "to", "config", "where"];
    let mut policies = None;
    let mut to = None;
    let mut config = None;
    let mut criteria = None;
    fields(node, "struct Binding", FIELDS, &mut |field, value| {
        match field {
            0 => policies = Some(spanned(value, spanned_strings)?),
            1 => to = Some(spanned(value, kind)?),
            2 => config = option(value, |v| spanned(v, |v| list(v, config_kind)))?,
            _ => criteria = option(value, self::criteria)?,
        }
        Ok(())
    })?;
    Ok(Binding {
        policies: policies.ok_or_else(|| missing(node, "policies"))?,
        to: to.ok_or_else(|| missing(node, "to"))?,
        config,
        criteria,
    })
}

/// A kind of request, as in a binding, a window or a request.
pub(crate) fn kind(node: &Node<'_>) -> Result<Kind, DeError> {
    const KINDS: &[&str] = &["deployment", "config", "pull_request"];
    let index = variant(node, "enum Kind", KINDS)?;
    Ok(Kind::ALL.get(index).copied().unwrap_or(Kind::Deployment))
}

pub(crate) fn config_kind(node: &Node<'_>) -> Result<ConfigKind, DeError> {
    const KINDS: &[&str] = &["deployment-template", "configmap", "secret"];
    Ok(match variant(node, "enum ConfigKind", KINDS)? {
        0 => ConfigKind::DeploymentTemplate,
        1 => ConfigKind::Configmap,
        _ => ConfigKind::Secret,
    })
}

fn criteria(node: &Node<'_>) -> Result<Criteria, DeError> {
    const FIELDS: &[&str] = &[
        "cluster",
        "app",
        "environment",
        "repo",
        "branch",
        "source_branch",
        "labels",
        "paths",
    ];
    let mut c = Criteria::default();
    fields(node, "struct Criteria", FIELDS, &mut |field, value| {
        let globs = option(value, globs)?;
        match field {
            0 => c.cluster = globs,
            1 => c.app = globs,
            2 => c.environment = globs,
            3 => c.repo = globs,
            4 => c.branch = globs,
            5 => c.source_branch = globs,
            6 => c.labels = globs,
            _ => c.paths = globs,
        }
        Ok(())
    })?;
    Ok(c)
}

/// One glob (taking the node's position) or a list of globs.
fn globs(node: &Node<'_>) -> Result<Globs, DeError> {
    let one = |text: String| Ok(Globs(vec![Spanned::new(Span::from_yaml(node.span), text)]));
    match &untag(node).data {
        Data::Value(Scalar::String(s)) => one(s.to_string()),
        Data::Value(Scalar::Integer(i)) => one(i.to_string()),
        Data::Sequence(_) => spanned_strings(node).map(Globs),
        _ => Err(read::wrong_any(node, "a glob or a list of globs")),
    }
}

fn exceptions(node: &Node<'_>) -> Result<Exceptions, DeError> {
    const FIELDS: &[&str] = &["deployment", "config", "pull_request"];
    let mut e = Exceptions::default();
    fields(node, "struct Exceptions", FIELDS, &mut |field, value| {
        let rule = option(value, exception_rule)?;
        match field {
            0 => e.deployment = rule,
            1 => e.config = rule,
            _ => e.pull_request = rule,
        }
        Ok(())
    })?;
    Ok(e)
}

fn exception_rule(node: &Node<'_>) -> Result<ExceptionRule, DeError> {
    const FIELDS: &[&str] = &["super_admins", "users", "groups", "tokens"];
    let mut r = ExceptionRule::default();
    fields(node, "struct ExceptionRule", FIELDS, &mut |field, value| {
        match field {
            0 => r.super_admins = boolean(value)?,
            1 => r.users = spanned_strings(value)?,
            2 => r.groups = spanned_strings(value)?,
            _ => r.tokens = spanned_strings(value)?,
        }
        Ok(())
    })?;
    Ok(r)
}

fn options(node: &Node<'_>) -> Result<Options, DeError> {
    const FIELDS: &[&str] = &[
        "self_approval",
        "contributors_can_approve",
        "invalidate_on_push",
        "block_on_rejection",
        "expires_after",
        "commands",
    ];
    let mut o = Options::default();
    fields(node, "struct Options", FIELDS, &mut |field, value| {
        match field {
            0 => o.self_approval = boolean(value)?,
            1 => o.contributors_can_approve = boolean(value)?,
            2 => o.invalidate_on_push = boolean(value)?,
            3 => o.block_on_rejection = boolean(value)?,
            4 => o.expires_after = option(value, spanned_string)?,
            _ => o.commands = commands(value)?,
        }
        Ok(())
    })?;
    Ok(o)
}

fn commands(node: &Node<'_>) -> Result<Commands, DeError> {
    const FIELDS: &[&str] = &["approve", "reject", "revoke"];
    let mut c = Commands::default();
    fields(node, "struct Commands", FIELDS, &mut |field, value| {
        match field {
            0 => c.approve = strings(value)?,
            1 => c.reject = strings(value)?,
            _ => c.revoke = strings(value)?,
        }
        Ok(())
    })?;
    Ok(c)
}

fn window(node: &Node<'_>) -> Result<Window, DeError> {
    const FIELDS: &[&str] = &[
        "name", "kind", "to", "where", "from", "until", "weekly", "allow",
    ];
    let mut name = None;
    let mut window_kind = None;
    let mut to = None;
    let mut criteria = None;
    let mut from = None;
    let mut until = None;
    let mut weekly = None;
    let mut allow = None;
    fields(node, "struct Window", FIELDS, &mut |field, value| {
        match field {
            0 => name = Some(string(value)?),
            1 => {
                const KINDS: &[&str] = &["blackout", "maintenance"];
                window_kind = Some(match variant(value, "enum WindowKind", KINDS)? {
                    0 => WindowKind::Blackout,
                    _ => WindowKind::Maintenance,
                })
            }
            2 => to = Some(kind(value)?),
            3 => criteria = option(value, self::criteria)?,
            4 => from = option(value, spanned_string)?,
            5 => until = option(value, spanned_string)?,
            6 => weekly = option(value, |v| spanned(v, self::weekly))?,
            _ => allow = option(value, self::allow)?,
        }
        Ok(())
    })?;
    Ok(Window {
        name: name.ok_or_else(|| missing(node, "name"))?,
        kind: window_kind.ok_or_else(|| missing(node, "kind"))?,
        to: to.ok_or_else(|| missing(node, "to"))?,
        criteria,
        from,
        until,
        weekly,
        allow,
    })
}

fn weekly(node: &Node<'_>) -> Result<Weekly, DeError> {
    const FIELDS: &[&str] = &["days", "from", "until", "timezone"];
    let mut days = None;
    let mut from = None;
    let mut until = None;
    let mut timezone = None;
    fields(node, "struct Weekly", FIELDS, &mut |field, value| {
        match field {
            0 => days = Some(list(value, |d| spanned(d, weekday))?),
            1 => from = Some(spanned_string(value)?),
            2 => until = Some(spanned_string(value)?),
            _ => timezone = option(value, spanned_string)?,
        }
        Ok(())
    })?;
    Ok(Weekly {
        days: days.ok_or_else(|| missing(node, "days"))?,
        from: from.ok_or_else(|| missing(node, "from"))?,
        until: until.ok_or_else(|| missing(node, "until"))?,
        timezone,
    })
}

fn weekday(node: &Node<'_>) -> Result<Weekday, DeError> {
    const DAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    let index = variant(node, "enum Weekday", DAYS)?;
    Ok(ALL.get(index).copied().unwrap_or(Weekday::Mon))
}

fn allow(node: &Node<'_>) -> Result<Allow, DeError> {
    const FIELDS: &[&str] = &["users", "groups"];
    let mut a = Allow::default();
    fields(node, "struct Allow", FIELDS, &mut |field, value| {
        match field {
            0 => a.users = spanned_strings(value)?,
            _ => a.groups = spanned_strings(value)?,
        }
        Ok(())
    })?;
    Ok(a)
}
