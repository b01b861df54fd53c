//! YAML 1.2 (and so JSON) into our serde types, with every error located.
//!
//! saphyr-parser's events are built into a tree of nodes that know their position
//! (`node.rs`, which keeps what saphyr's own loader did); [`NodeDeserializer`] walks that
//! tree as a serde `Deserializer`, so the derived types reject unknown fields and wrong
//! types on their own, and any error without a position takes the position of the node
//! being read. [`Spanned`] lets a type keep a node's position for later checks (an unknown
//! policy named in a binding, a bad glob), which happen after deserialisation.

mod de;
mod fast;
mod node;
pub(crate) mod read;
mod scalar;
mod spanned;

pub(crate) use de::{DeError, from_node};
pub use spanned::Spanned;

use crate::diagnostic::{Problem, Span};
pub(crate) use node::{Data, Node};
use saphyr_parser::Event;
#[cfg(test)]
pub(crate) use scalar::Float;
pub(crate) use scalar::Scalar;
use std::collections::HashMap;

/// How deep mappings and sequences may nest. A real policy or case file stays under 20;
/// the limit exists because serde's walk over the tree (and dropping it) recurses once per
/// level, so a few kilobytes of `- - - - …` would otherwise overflow the stack and abort
/// the process (the CLI, the bot, or the browser tab) instead of giving a located error.
pub(crate) const MAX_DEPTH: usize = 64;

/// How many bytes alias expansion may add to a document, in total. saphyr bounds the
/// number of nodes aliases produce, but one alias can repeat a long string: 99,000 aliases
/// of a 400 KB string fit in an 800 KB file and would allocate about 40 GB. Legitimate
/// anchors (a list of approvers reused by a few policies) stay far below this.
pub(crate) const MAX_ALIAS_BYTES: usize = 4 * 1024 * 1024;

/// What one node costs besides its text, so many tiny aliased nodes count too.
const NODE_BYTES: usize = 32;

/// The largest policy file accepted (SPEC §2): a policy is a page or two of YAML; the bound
/// keeps a hostile one from costing the bot or a browser tab more than a moment.
pub(crate) const MAX_POLICY_BYTES: usize = 1024 * 1024;

/// Rejects a policy whose text `text[start..end]` (byte offsets) is larger than
/// [`MAX_POLICY_BYTES`], located at the first character past the limit.
pub(crate) fn check_policy_size(text: &str, start: usize, end: usize) -> Result<(), Problem> {
    let size = end.saturating_sub(start);
    if size <= MAX_POLICY_BYTES {
        return Ok(());
    }
    let mut limit = start.saturating_add(MAX_POLICY_BYTES);
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let before = text.get(..limit).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    let line = u32::try_from(line).unwrap_or(u32::MAX);
    let col = u32::try_from(col).unwrap_or(u32::MAX);
    Err(Problem::error(
        "too_large",
        Span {
            line,
            col,
            end_line: line,
            end_col: col,
        },
        format!(
            "a policy file may be at most 1 MiB ({MAX_POLICY_BYTES} bytes); this one has {size}"
        ),
    ))
}

/// The byte offset of the character at `index` (saphyr counts characters).
pub(crate) fn byte_offset(text: &str, index: usize) -> usize {
    text.char_indices()
        .nth(index)
        .map_or(text.len(), |(offset, _)| offset)
}

/// Loads the single document of `text`. An empty text is an error: an empty policy must
/// never mean "no approvals needed" by accident.
///
/// The events come from our fast path when it handles the whole text (`fast.rs`, the
/// same events saphyr-parser would give), else from saphyr-parser driven as an iterator (a
/// state machine, no recursion, unlike its `load`). Each event is checked for depth and
/// alias expansion and then built into the located tree.
pub(crate) fn load<'a>(text: &'a str) -> Result<Node<'a>, Problem> {
    let mut builder = node::Builder::default();
    let mut shape = ShapeCheck::default();
    let mut build = |event: Event<'a>, span| -> Result<(), Problem> {
        shape.check(&event, span)?;
        builder.on_event(event, span).map_err(|e| syntax(&e))
    };
    if let Some(events) = fast::events(text) {
        for (event, span) in events {
            build(event, span)?;
        }
    } else {
        for event in saphyr_parser::Parser::new_from_str(text) {
            let (event, span) = event.map_err(|e| syntax(&e))?;
            build(event, span)?;
        }
    }
    let mut docs = builder.into_documents();
    match docs.len() {
        0 => Err(Problem::error(
            "syntax",
            Span {
                line: 1,
                col: 1,
                end_line: 1,
                end_col: 1,
            },
            "the document is empty",
        )),
        1 => Ok(docs.remove(0)),
        _ => {
            let span = docs
                .get(1)
                .map(|d| Span::from_yaml(d.span))
                .unwrap_or_default();
            Err(Problem::error(
                "syntax",
                span,
                "expected one YAML document, found several",
            ))
        }
    }
}

fn syntax(e: &saphyr_parser::ScanError) -> Problem {
    Problem::error(
        "syntax",
        Span::at_marker(*e.marker()),
        format!("invalid YAML: {}", e.info()),
    )
}

/// Rejects nesting deeper than [`MAX_DEPTH`] and alias expansion past
/// [`MAX_ALIAS_BYTES`]. An alias counts as deep and as large as the node it repeats (with
/// the aliases inside it expanded), so nested anchors can build neither a deep tree nor a
/// large one from shallow, short text.
#[derive(Default)]
struct ShapeCheck {
    /// Each open mapping or list: its anchor id and its size so far.
    open: Vec<(usize, Size)>,
    /// Each anchor's size.
    anchors: HashMap<usize, Size>,
    /// Bytes added by aliases so far.
    expanded: usize,
}

#[derive(Default, Clone, Copy)]
struct Size {
    /// Levels of nesting below the node.
    height: usize,
    /// The node's text and per-node cost, aliases expanded.
    bytes: usize,
}

impl ShapeCheck {
    fn check(&mut self, event: &Event<'_>, span: saphyr_parser::Span) -> Result<(), Problem> {
        let size = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.open.push((
                    *anchor,
                    Size {
                        height: 0,
                        bytes: NODE_BYTES,
                    },
                ));
                Size::default()
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((anchor, inside)) = self.open.pop() else {
                    return Ok(());
                };
                let size = Size {
                    height: inside.height + 1,
                    bytes: inside.bytes,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, size);
                }
                size
            }
            Event::Scalar(value, _, anchor, _) => {
                let size = Size {
                    height: 0,
                    bytes: value.len().saturating_add(NODE_BYTES),
                };
                if *anchor > 0 {
                    self.anchors.insert(*anchor, size);
                }
                size
            }
            Event::Alias(id) => {
                let size = self.anchors.get(id).copied().unwrap_or_default();
                self.expanded = self.expanded.saturating_add(size.bytes);
                if self.expanded > MAX_ALIAS_BYTES {
                    let message = format!(
                        "aliases expand to more than {} MiB; repeat less, or write the values out",
                        MAX_ALIAS_BYTES / (1024 * 1024)
                    );
                    return Err(Problem::error("syntax", Span::from_yaml(span), message));
                }
                size
            }
            _ => return Ok(()),
        };
        if self.open.len() + size.height > MAX_DEPTH {
            let message = format!("mappings and lists nest more than {MAX_DEPTH} levels deep");
            return Err(Problem::error(
                "syntax",
                Span::at_marker(span.start),
                message,
            ));
        }
        if let Some((_, parent)) = self.open.last_mut() {
            parent.height = parent.height.max(size.height);
            parent.bytes = parent.bytes.saturating_add(size.bytes);
        }
        Ok(())
    }
}

/// Looks through tags (`!!str`, custom tags) to the node they carry.
pub(crate) fn untag<'a, 'i>(node: &'a Node<'i>) -> &'a Node<'i> {
    match &node.data {
        Data::Tagged(_, inner) => untag(inner),
        _ => node,
    }
}

/// The entries of a mapping node, or `None` when it is not a mapping.
pub(crate) fn entries<'a, 'i>(
    node: &'a Node<'i>,
) -> Option<impl Iterator<Item = (&'a Node<'i>, &'a Node<'i>)>> {
    match &untag(node).data {
        Data::Mapping(map) => Some(map.iter().map(|(k, v)| (k, v))),
        _ => None,
    }
}

/// The text of a scalar node used as a mapping key, if it is a plain string.
pub(crate) fn key_str<'a>(node: &'a Node<'_>) -> Option<&'a str> {
    match &untag(node).data {
        Data::Value(Scalar::String(s)) => Some(s),
        _ => None,
    }
}
