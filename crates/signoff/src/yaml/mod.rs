//! YAML 1.2 (and so JSON) into our serde types, with every error located.
//!
//! saphyr gives a tree of nodes that know their position; [`NodeDeserializer`] walks that
//! tree as a serde `Deserializer`, so the derived types reject unknown fields and wrong
//! types on their own, and any error without a position takes the position of the node
//! being read. [`Spanned`] lets a type keep a node's position for later checks (an unknown
//! policy named in a binding, a bad glob), which happen after deserialisation.

mod de;
mod spanned;

pub(crate) use de::{DeError, from_node};
pub use spanned::Spanned;

use crate::diagnostic::{Problem, Span};
use saphyr::{MarkedYaml, YamlData, YamlLoader};
use saphyr_parser::{Event, SpannedEventReceiver};
use std::collections::HashMap;

/// A parsed YAML document: its root node.
pub(crate) type Node<'i> = MarkedYaml<'i>;

/// How deep mappings and sequences may nest. A real policy or case file stays under 20;
/// the limit exists because serde's walk over the tree (and dropping it) recurses once per
/// level, so a few kilobytes of `- - - - …` would otherwise overflow the stack and abort
/// the process (the CLI, the bot, or the browser tab) instead of giving a located error.
pub(crate) const MAX_DEPTH: usize = 64;

/// Loads the single document of `text`. An empty text is an error: an empty policy must
/// never mean "no approvals needed" by accident.
///
/// One pass: saphyr's parser is driven as an iterator (a state machine, no recursion,
/// unlike its `load`), each event is checked for depth and then handed to saphyr's loader,
/// which builds the located tree.
pub(crate) fn load(text: &str) -> Result<Node<'_>, Problem> {
    let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
    let mut depth = DepthCheck::default();
    for event in saphyr_parser::Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| syntax(&e))?;
        depth.check(&event, span)?;
        loader.on_event(event, span);
        if let Some(e) = loader.error() {
            return Err(syntax(e));
        }
    }
    let mut docs = loader.into_documents();
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

fn syntax(e: &saphyr::ScanError) -> Problem {
    Problem::error(
        "syntax",
        Span::at_marker(*e.marker()),
        format!("invalid YAML: {}", e.info()),
    )
}

/// Rejects nesting deeper than [`MAX_DEPTH`]. An alias counts as deep as the node it
/// repeats, so nested anchors cannot build a deep tree from shallow text.
#[derive(Default)]
struct DepthCheck {
    /// Each open mapping or list: its anchor id and the height of its tallest child so far.
    open: Vec<(usize, usize)>,
    heights: HashMap<usize, usize>,
}

impl DepthCheck {
    fn check(&mut self, event: &Event<'_>, span: saphyr_parser::Span) -> Result<(), Problem> {
        let height = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.open.push((*anchor, 0));
                0
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((anchor, tallest)) = self.open.pop() else {
                    return Ok(());
                };
                if anchor > 0 {
                    self.heights.insert(anchor, tallest + 1);
                }
                tallest + 1
            }
            Event::Scalar(_, _, anchor, _) => {
                if *anchor > 0 {
                    self.heights.insert(*anchor, 0);
                }
                0
            }
            Event::Alias(id) => self.heights.get(id).copied().unwrap_or(0),
            _ => return Ok(()),
        };
        if self.open.len() + height > MAX_DEPTH {
            let message = format!("mappings and lists nest more than {MAX_DEPTH} levels deep");
            return Err(Problem::error(
                "syntax",
                Span::at_marker(span.start),
                message,
            ));
        }
        if let Some(parent) = self.open.last_mut() {
            parent.1 = parent.1.max(height);
        }
        Ok(())
    }
}

/// Looks through tags (`!!str`, custom tags) to the node they carry.
pub(crate) fn untag<'a, 'i>(node: &'a Node<'i>) -> &'a Node<'i> {
    match &node.data {
        YamlData::Tagged(_, inner) => untag(inner),
        _ => node,
    }
}

/// The entries of a mapping node, or `None` when it is not a mapping.
pub(crate) fn entries<'a, 'i>(
    node: &'a Node<'i>,
) -> Option<impl Iterator<Item = (&'a Node<'i>, &'a Node<'i>)>> {
    match &untag(node).data {
        YamlData::Mapping(map) => Some(map.iter()),
        _ => None,
    }
}

/// The text of a scalar node used as a mapping key, if it is a plain string.
pub(crate) fn key_str<'a>(node: &'a Node<'_>) -> Option<&'a str> {
    match &untag(node).data {
        YamlData::Value(saphyr::Scalar::String(s)) => Some(s),
        _ => None,
    }
}
