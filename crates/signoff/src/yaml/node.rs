//! The located YAML tree, built straight from saphyr-parser's events.
//!
//! It replaces saphyr's `YamlLoader`/`MarkedYaml`, whose mappings are `LinkedHashMap`s that
//! hash every key on insertion and free a hash table per mapping on drop: a policy's
//! mappings are small and only ever walked in order, so here they are plain vectors of
//! pairs, and keys are hashed only to find duplicates in a large mapping. Everything a user
//! can observe is kept as saphyr's loader had it (docs/benchmarks.md, "Parse"): scalars
//! resolved by saphyr's core schema, custom tags, the "duplicated key in mapping" error at
//! the same marker, anchors copied on alias with saphyr's node budget and message, spans.

use saphyr::Scalar;
use saphyr_parser::{Event, Marker, ScanError, Span, Tag};
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// A node and where it was written. Equality and hashing look at the data only, as
/// saphyr's did, so duplicate keys are found whatever their position.
#[derive(Debug, Clone)]
pub(crate) struct Node<'i> {
    pub span: Span,
    pub data: Data<'i>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Data<'i> {
    Value(Scalar<'i>),
    Sequence(Vec<Node<'i>>),
    Mapping(Vec<(Node<'i>, Node<'i>)>),
    /// A node with a tag outside the core schema; the tag itself is only compared.
    Tagged(Cow<'i, Tag>, Box<Node<'i>>),
    /// A scalar the core schema rejects (`!!int abc`), an unknown alias, an empty document.
    BadValue,
}

impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data
    }
}
impl Eq for Node<'_> {}
impl Hash for Node<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.data.hash(state);
    }
}

impl<'i> Node<'i> {
    fn new(data: Data<'i>, span: Span) -> Self {
        Node { span, data }
    }

    fn bad() -> Self {
        Node::new(Data::BadValue, Span::default())
    }
}

/// How many nodes aliases may produce in all (saphyr's default budget).
const ALIAS_NODE_BUDGET: usize = 100_000;

/// Mappings with more keys than this look up duplicates by hash instead of by scanning.
const SCAN_LIMIT: usize = 16;

/// An open mapping or sequence and what it needs until its end event.
struct Open<'i> {
    node: Node<'i>,
    anchor: usize,
    tag: Option<Cow<'i, Tag>>,
    /// A mapping's pending key and the marker it was inserted at (`BadValue` when none,
    /// so a key that is itself a bad value leaves the slot open, as in saphyr's loader).
    key: Option<(Node<'i>, Marker)>,
    /// A large mapping's keys by hash, for the duplicate check.
    index: HashMap<u64, Vec<usize>>,
}

/// Builds the documents of a stream from its events.
#[derive(Default)]
pub(crate) struct Builder<'i> {
    docs: Vec<Node<'i>>,
    root: Option<Node<'i>>,
    open: Vec<Open<'i>>,
    anchors: HashMap<usize, Node<'i>>,
    alias_budget: Option<usize>,
}

impl<'i> Builder<'i> {
    pub(crate) fn on_event(&mut self, event: Event<'i>, span: Span) -> Result<(), ScanError> {
        let mark = span.start;
        match event {
            Event::DocumentStart(_) | Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentEnd => {
                let doc = self
                    .root
                    .take()
                    .unwrap_or_else(|| Node::new(Data::BadValue, span));
                self.docs.push(doc);
            }
            Event::SequenceStart(anchor, tag) => self.open(Data::Sequence(Vec::new()), anchor, tag, mark),
            Event::MappingStart(anchor, tag) => self.open(Data::Mapping(Vec::new()), anchor, tag, mark),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = self.open.pop() else {
                    return Ok(());
                };
                let mut node = open.node;
                node.span.end = mark;
                if let Some(tag) = open.tag
                    && !tag.is_yaml_core_schema()
                {
                    let span = node.span;
                    node = Node::new(Data::Tagged(tag, Box::new(node)), span);
                }
                self.insert(node, open.anchor, mark)?;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let data = match tag {
                    Some(tag) if !tag.is_yaml_core_schema() => {
                        let inner = scalar(value, style, None);
                        Data::Tagged(tag, Box::new(Node::new(inner, Span::default())))
                    }
                    tag => scalar(value, style, tag.as_ref()),
                };
                self.insert(Node::new(data, span), anchor, mark)?;
            }
            Event::Alias(id) => {
                let mut node = self.resolve_alias(id, mark)?;
                node.span = span;
                self.insert(node, 0, mark)?;
            }
        }
        Ok(())
    }

    pub(crate) fn into_documents(self) -> Vec<Node<'i>> {
        self.docs
    }

    fn open(&mut self, data: Data<'i>, anchor: usize, tag: Option<Cow<'i, Tag>>, mark: Marker) {
        let key = matches!(data, Data::Mapping(_)).then(|| (Node::bad(), mark));
        self.open.push(Open {
            node: Node::new(data, Span::new(mark, Marker::default())),
            anchor,
            tag,
            key,
            index: HashMap::new(),
        });
    }

    fn insert(&mut self, node: Node<'i>, anchor: usize, mark: Marker) -> Result<(), ScanError> {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some(parent) = self.open.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match (&mut parent.node.data, &mut parent.key) {
            (Data::Sequence(items), _) => items.push(node),
            (Data::Mapping(entries), Some((key, key_mark))) => {
                if key.data == Data::BadValue {
                    *key = node;
                    *key_mark = mark;
                } else {
                    let key = std::mem::replace(key, Node::bad());
                    if duplicate(entries, &mut parent.index, &key) {
                        return Err(ScanError::new_str(*key_mark, "duplicated key in mapping"));
                    }
                    entries.push((key, node));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A copy of the anchored node, within saphyr's budget of nodes made by aliases.
    fn resolve_alias(&mut self, id: usize, mark: Marker) -> Result<Node<'i>, ScanError> {
        let Some(existing) = self.anchors.get(&id) else {
            return Ok(Node::bad());
        };
        let budget = self.alias_budget.get_or_insert(ALIAS_NODE_BUDGET);
        let mut remaining = *budget;
        if count_within(existing, &mut remaining) {
            *budget = remaining;
            Ok(existing.clone())
        } else {
            Err(ScanError::new_str(
                mark,
                "alias expansion exceeded the maximum node budget (possible billion-laughs attack)",
            ))
        }
    }
}

fn scalar<'i>(
    value: Cow<'i, str>,
    style: saphyr_parser::ScalarStyle,
    tag: Option<&Cow<'i, Tag>>,
) -> Data<'i> {
    Scalar::parse_from_cow_and_metadata(value, style, tag).map_or(Data::BadValue, Data::Value)
}

/// Whether an entry's key equals `key`: a scan in a small mapping, a hash lookup (the
/// index kept up to date here, `key` counted as the next entry) in a large one.
fn duplicate<'i>(
    entries: &[(Node<'i>, Node<'i>)],
    index: &mut HashMap<u64, Vec<usize>>,
    key: &Node<'i>,
) -> bool {
    if entries.len() < SCAN_LIMIT {
        return entries.iter().any(|(k, _)| k == key);
    }
    if index.is_empty() {
        for (at, (k, _)) in entries.iter().enumerate() {
            index.entry(hash(k)).or_default().push(at);
        }
    }
    let slot = index.entry(hash(key)).or_default();
    let found = slot
        .iter()
        .copied()
        .find(|&at| entries.get(at).is_some_and(|(k, _)| k == key));
    if found.is_none() {
        slot.push(entries.len());
    }
    found.is_some()
}

fn hash(node: &Node<'_>) -> u64 {
    let mut hasher = DefaultHasher::new();
    node.hash(&mut hasher);
    hasher.finish()
}

/// Counts `node`'s nodes against `budget` as saphyr does (a mapping's key counts as one
/// node), stopping once it is spent.
fn count_within(node: &Node<'_>, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match &node.data {
        Data::Sequence(items) => items.iter().all(|item| count_within(item, budget)),
        Data::Mapping(entries) => entries.iter().all(|(_, value)| {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            count_within(value, budget)
        }),
        _ => true,
    }
}
