//! Reading our types by hand over the located YAML tree, with the messages and positions
//! that serde's derives gave over [`super::from_node`].
//!
//! A derive compiles its own copy of serde's visitor machinery for every type it reads,
//! monomorphised over the node deserializer: for the policy file that was about 75 KB of
//! the browser's wasm module. These few functions are shared by every reader instead.
//! Each error is built by the same constructors (`de::Error for DeError`) and takes the
//! position the deserializer gave it: the innermost node the problem is in.

use super::de::{DeError, invalid_type};
use super::{Data, Node, Scalar, Spanned, untag};
use crate::diagnostic::Span;
use serde::de::{Error as _, Unexpected};

/// Gives an error the position of `node` unless a deeper node already gave one.
pub(crate) fn located(mut e: DeError, node: &Node<'_>) -> DeError {
    e.span.get_or_insert_with(|| Span::from_yaml(node.span));
    e
}

/// "expected {what}, found {the node}" at the node, as serde's `invalid_type`.
pub(crate) fn wrong_type(node: &Node<'_>, what: &str) -> DeError {
    located(invalid_type(node, &what), node)
}

/// What the deserializer said when a self-describing read (a number, a boolean, a count,
/// a glob) met an alias it could not resolve or a value the core schema rejects.
fn unsupported(node: &Node<'_>) -> DeError {
    located(
        DeError::new("invalid_type", "unsupported YAML node (alias or bad value)"),
        node,
    )
}

/// A wrong type for a self-describing read: [`unsupported`] for a bad node, else
/// [`wrong_type`].
pub(crate) fn wrong_any(node: &Node<'_>, what: &str) -> DeError {
    match untag(node).data {
        Data::Value(_) | Data::Sequence(_) | Data::Mapping(_) => wrong_type(node, what),
        _ => unsupported(node),
    }
}

/// A string; names written as plain numbers or booleans are still names (`users: [1234]`
/// means the user called "1234").
pub(crate) fn string(node: &Node<'_>) -> Result<String, DeError> {
    match &untag(node).data {
        Data::Value(Scalar::String(s)) => Ok(s.to_string()),
        Data::Value(Scalar::Integer(i)) => Ok(i.to_string()),
        Data::Value(Scalar::Boolean(b)) => Ok(b.to_string()),
        _ => Err(wrong_type(node, "a string")),
    }
}

/// A string with the position of its node.
pub(crate) fn spanned_string(node: &Node<'_>) -> Result<Spanned<String>, DeError> {
    Ok(Spanned::new(Span::from_yaml(node.span), string(node)?))
}

pub(crate) fn boolean(node: &Node<'_>) -> Result<bool, DeError> {
    match untag(node).data {
        Data::Value(Scalar::Boolean(b)) => Ok(b),
        _ => Err(wrong_any(node, "a boolean")),
    }
}

pub(crate) fn u32(node: &Node<'_>) -> Result<u32, DeError> {
    match untag(node).data {
        Data::Value(Scalar::Integer(i)) => u32::try_from(i)
            .map_err(|_| located(DeError::invalid_value(Unexpected::Signed(i), &"u32"), node)),
        _ => Err(wrong_any(node, "u32")),
    }
}

/// `None` for null, else what `read` makes of the node.
pub(crate) fn option<'a, 'i, T>(
    node: &'a Node<'i>,
    read: impl FnOnce(&'a Node<'i>) -> Result<T, DeError>,
) -> Result<Option<T>, DeError> {
    match untag(node).data {
        Data::Value(Scalar::Null) => Ok(None),
        _ => read(node).map(Some),
    }
}

/// The items of a list node; anything else is "expected a sequence".
pub(crate) fn items<'a, 'i>(node: &'a Node<'i>) -> Result<&'a [Node<'i>], DeError> {
    match &untag(node).data {
        Data::Sequence(items) => Ok(items),
        _ => Err(wrong_type(node, "a sequence")),
    }
}

/// A list, each item read by `read`.
pub(crate) fn list<'a, 'i, T>(
    node: &'a Node<'i>,
    read: impl Fn(&'a Node<'i>) -> Result<T, DeError>,
) -> Result<Vec<T>, DeError> {
    let items = items(node)?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(read(item).map_err(|e| located(e, item))?);
    }
    Ok(out)
}

/// A list of names, each with its position.
pub(crate) fn spanned_strings(node: &Node<'_>) -> Result<Vec<Spanned<String>>, DeError> {
    list(node, spanned_string)
}

/// A list of plain strings.
pub(crate) fn strings(node: &Node<'_>) -> Result<Vec<String>, DeError> {
    list(node, string)
}

/// The entries of a mapping node read as a map; anything else is "expected a map".
pub(crate) fn map_entries<'a, 'i>(
    node: &'a Node<'i>,
) -> Result<&'a [(Node<'i>, Node<'i>)], DeError> {
    match &untag(node).data {
        Data::Mapping(entries) => Ok(entries),
        _ => Err(wrong_type(node, "a map")),
    }
}

/// The index of a unit variant among `variants`, written as its name; `what` is serde's
/// "enum Name" for any other type.
pub(crate) fn variant(
    node: &Node<'_>,
    what: &str,
    variants: &'static [&'static str],
) -> Result<usize, DeError> {
    let Data::Value(Scalar::String(name)) = &untag(node).data else {
        return Err(wrong_type(node, what));
    };
    variants
        .iter()
        .position(|v| v == name)
        .ok_or_else(|| located(DeError::unknown_variant(name, variants), node))
}

/// Walks a mapping as a derived struct with `deny_unknown_fields` reads it: `what` is
/// serde's "struct Name" for a node that is not a mapping; each key must be one of
/// `fields` and appear once; `field` reads each value in entry order, by the key's index
/// in `fields`. Missing fields are the caller's to report ([`missing`]), after the walk.
pub(crate) fn fields<'a, 'i>(
    node: &'a Node<'i>,
    what: &str,
    fields: &'static [&'static str],
    field: &mut dyn FnMut(usize, &'a Node<'i>) -> Result<(), DeError>,
) -> Result<(), DeError> {
    let Data::Mapping(entries) = &untag(node).data else {
        return Err(wrong_type(node, what));
    };
    let mut seen = 0u64;
    for (key, value) in entries {
        let index = field_index(key, fields)?;
        let bit = 1u64 << (index % 64);
        if seen & bit != 0 {
            let name = fields.get(index).copied().unwrap_or_default();
            return Err(located(DeError::duplicate_field(name), node));
        }
        seen |= bit;
        field(index, value).map_err(|e| located(e, value))?;
    }
    Ok(())
}

/// Which of `fields` a key names. Numbers and booleans read as their text, as names do.
fn field_index(key: &Node<'_>, fields: &'static [&'static str]) -> Result<usize, DeError> {
    let number;
    let name: &str = match &untag(key).data {
        Data::Value(Scalar::String(s)) => s,
        Data::Value(Scalar::Integer(i)) => {
            number = i.to_string();
            &number
        }
        Data::Value(Scalar::Boolean(b)) => {
            if *b {
                "true"
            } else {
                "false"
            }
        }
        _ => return Err(wrong_type(key, "field identifier")),
    };
    fields
        .iter()
        .position(|f| *f == name)
        .ok_or_else(|| located(DeError::unknown_field(name, fields), key))
}

/// "missing field `name`" at the struct's node.
pub(crate) fn missing(node: &Node<'_>, name: &'static str) -> DeError {
    located(DeError::missing_field(name), node)
}
