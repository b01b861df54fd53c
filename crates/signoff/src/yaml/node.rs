//! The located YAML tree, built straight from saphyr-parser's events.
//!
//! It replaces saphyr's `YamlLoader`/`MarkedYaml`, whose mappings are `LinkedHashMap`s that
//! hash every key on insertion and free a hash table per mapping on drop: a policy's
//! mappings are small and only ever walked in order, so here they are plain vectors of
//! pairs, and keys are hashed only to find duplicates in a large mapping. Everything a user
//! can observe is kept as saphyr's loader had it (docs/benchmarks.md, "Parse"): scalars
//! resolved by saphyr's core schema (in `scalar.rs`, which keeps a float's text), custom
//! tags, the "duplicated key in mapping" error at the same marker, anchors copied on alias
//! with saphyr's node budget and message, spans.

use super::scalar::{self, Scalar};
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

/// Whether an open collection is a sequence or a mapping.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sequence,
    Mapping,
}

/// An open mapping or sequence and what it needs until its end event. Its children wait
/// on the builder's shared stacks from `first` on, so each collection is allocated once, at
/// its exact size, when it ends.
struct Open<'i> {
    kind: Kind,
    start: Marker,
    anchor: usize,
    tag: Option<Cow<'i, Tag>>,
    first: usize,
    /// A mapping's pending key and the marker it was inserted at (`BadValue` when none,
    /// so a key that is itself a bad value leaves the slot open, as in saphyr's loader).
    key: (Node<'i>, Marker),
    /// A large mapping's keys by hash, for the duplicate check.
    index: HashMap<u64, Vec<usize>>,
}

/// Builds the documents of a stream from its events.
#[derive(Default)]
pub(crate) struct Builder<'i> {
    docs: Vec<Node<'i>>,
    root: Option<Node<'i>>,
    open: Vec<Open<'i>>,
    /// The items of the open sequences, innermost last.
    items: Vec<Node<'i>>,
    /// The entries of the open mappings, innermost last.
    entries: Vec<(Node<'i>, Node<'i>)>,
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
            Event::SequenceStart(anchor, tag) => self.open(Kind::Sequence, anchor, tag, mark),
            Event::MappingStart(anchor, tag) => self.open(Kind::Mapping, anchor, tag, mark),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = self.open.pop() else {
                    return Ok(());
                };
                let data = match open.kind {
                    Kind::Sequence => Data::Sequence(self.items.split_off(open.first)),
                    Kind::Mapping => Data::Mapping(self.entries.split_off(open.first)),
                };
                let mut node = Node::new(data, Span::new(open.start, mark));
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

    fn open(&mut self, kind: Kind, anchor: usize, tag: Option<Cow<'i, Tag>>, mark: Marker) {
        let first = match kind {
            Kind::Sequence => self.items.len(),
            Kind::Mapping => self.entries.len(),
        };
        self.open.push(Open {
            kind,
            start: mark,
            anchor,
            tag,
            first,
            key: (Node::bad(), mark),
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
        match parent.kind {
            Kind::Sequence => self.items.push(node),
            Kind::Mapping => {
                let (key, key_mark) = &mut parent.key;
                if key.data == Data::BadValue {
                    *key = node;
                    *key_mark = mark;
                } else {
                    let key = std::mem::replace(key, Node::bad());
                    let entries = self.entries.get(parent.first..).unwrap_or_default();
                    if duplicate(entries, &mut parent.index, &key) {
                        return Err(ScanError::new_str(*key_mark, "duplicated key in mapping"));
                    }
                    self.entries.push((key, node));
                }
            }
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
    scalar::resolve(value, style, tag.map(|t| &**t)).map_or(Data::BadValue, Data::Value)
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

/// The builder against saphyr's own loader, which it replaces: the same documents (data,
/// spans, tags; a float the text of saphyr's `f64`) or the same error, on every YAML file
/// of the repository and on the edge cases of the loader (duplicate keys, tags, aliases,
/// bad values, empty documents, float keys).
#[cfg(test)]
mod tests {
    use super::super::ShapeCheck;
    use super::super::scalar::tests::agrees;
    use super::{Builder, Data, Node};
    use saphyr::{MarkedYaml, YamlData, YamlLoader};
    use saphyr_parser::{Parser, SpannedEventReceiver};
    use std::path::Path;

    /// Both sides stop where `load` stops on nesting and alias size, since past those
    /// limits saphyr's recursive loader overflows the stack.
    fn ours(text: &str) -> Result<Vec<Node<'_>>, String> {
        let mut builder = Builder::default();
        let mut shape = ShapeCheck::default();
        for event in Parser::new_from_str(text) {
            let (event, span) = event.map_err(|e| e.to_string())?;
            shape.check(&event, span).map_err(|p| p.message)?;
            builder.on_event(event, span).map_err(|e| e.to_string())?;
        }
        Ok(builder.into_documents())
    }

    fn saphyrs(text: &str) -> Result<Vec<MarkedYaml<'_>>, String> {
        let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
        let mut shape = ShapeCheck::default();
        for event in Parser::new_from_str(text) {
            let (event, span) = event.map_err(|e| e.to_string())?;
            shape.check(&event, span).map_err(|p| p.message)?;
            loader.on_event(event, span);
            if let Some(e) = loader.error() {
                return Err(e.to_string());
            }
        }
        Ok(loader.into_documents())
    }

    fn same(ours: &Node<'_>, theirs: &MarkedYaml<'_>, at: &str) {
        assert_eq!(ours.span, theirs.span, "span at {at}");
        match (&ours.data, &theirs.data) {
            (Data::Value(a), YamlData::Value(b)) => {
                assert!(agrees(a, b), "scalar at {at}: ours {a:?}, saphyr's {b:?}");
            }
            (Data::BadValue, YamlData::BadValue) => {}
            (Data::Tagged(a, inner), YamlData::Tagged(b, their_inner)) => {
                assert_eq!(a, b, "tag at {at}");
                same(inner, their_inner, at);
            }
            (Data::Sequence(a), YamlData::Sequence(b)) => {
                assert_eq!(a.len(), b.len(), "length at {at}");
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    same(x, y, &format!("{at}/{i}"));
                }
            }
            (Data::Mapping(a), YamlData::Mapping(b)) => {
                assert_eq!(a.len(), b.len(), "length at {at}");
                for (i, ((k, v), (tk, tv))) in a.iter().zip(b.iter()).enumerate() {
                    same(k, tk, &format!("{at}/key {i}"));
                    same(v, tv, &format!("{at}/{i}"));
                }
            }
            (a, b) => panic!("different nodes at {at}: {a:?} and {b:?}"),
        }
    }

    fn check(text: &str, name: &str) {
        match (ours(text), saphyrs(text)) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.len(), b.len(), "documents in {name}");
                for (x, y) in a.iter().zip(&b) {
                    same(x, y, name);
                }
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "error in {name}"),
            (a, b) => panic!(
                "{name}: ours {:?}, saphyr's {:?}",
                a.map(|d| d.len()),
                b.map(|d| d.len())
            ),
        }
    }

    const EDGES: &[&str] = &[
        "",
        "---\n...\n---\na: 1\n",
        "a: 1\nb: 2\na: 3\n",
        "? [1, 2]\n: x\n? [1, 2]\n: y\n",
        "1: a\n'1': b\n",
        "1.0: a\n1.00: b\n",
        ".nan: a\n.NaN: b\n",
        "!!int abc: 1\nb: 2\n",
        "!!int abc\n",
        "!custom x\n",
        "!custom {a: 1}\n",
        "a: !custom [1, 2]\nb: !!str 12\nc: !!map {x: 1}\n",
        "!x {a: 1}: 1\n!y {a: 1}: 2\n",
        "!x {a: 1}: 1\n!x {a: 1}: 2\n",
        "a: &a [1, 2, {b: c}]\nb: *a\nc: *a\n",
        "a: *nowhere\nb: 1\n",
        "*nowhere : 1\nb: 2\n",
        "a: &x 1\n*x : 2\n",
        "- &k {a: 1}\n- {*k : 1, *k : 2}\n",
        "a: |\n  text\n  more\nb: >\n  folded\n",
        "{a: 1, b: [x, y], c: {d: e}}\n",
        "- - - [1, [2, [3]]]\n",
        "a: null\nb: ~\nc: true\nd: 0x1f\ne: 1e3\nf: -.inf\n",
        "[1.5, 1.50, 1e3, .nan, -0.0, 9223372036854775808, 0x8000000000000000, !!float 1]\n",
        "1e3: a\n1000.0: b\n",
        "0.0: a\n-0: b\n",
        "1e400: a\n.inf: b\n",
        "!!float 2: a\n2.0: b\n",
        "{1.5: a, 2.5: b, .inf: c, -.inf: d}\n",
    ];

    #[test]
    fn agrees_with_saphyrs_loader_on_edge_cases() {
        for (i, text) in EDGES.iter().enumerate() {
            check(text, &format!("edge case {i}: {text:?}"));
        }
    }

    #[test]
    fn agrees_with_saphyrs_loader_on_a_large_mapping_with_a_late_duplicate() {
        let mut text: String = (0..100).map(|i| format!("k{i}: {i}\n")).collect();
        check(&text, "100 keys");
        text.push_str("k57: again\n");
        check(&text, "100 keys and a duplicate");
        assert!(ours(&text).is_err());
    }

    #[test]
    fn agrees_with_saphyrs_loader_on_an_alias_bomb() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, prev) in ["b", "c", "d", "e", "f"]
            .iter()
            .zip(["a", "b", "c", "d", "e"])
        {
            let list = vec![format!("*{prev}"); 10].join(", ");
            text.push_str(&format!("{name}: &{name} [{list}]\n"));
        }
        check(&text, "alias bomb");
        let error = ours(&text).err().unwrap_or_default();
        assert!(error.contains("maximum node budget"), "{error}");
    }

    #[test]
    fn agrees_with_saphyrs_loader_on_every_yaml_file_of_the_repository() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut stack = vec![
            root.join("tests"),
            root.join("examples"),
            root.join("crates/signoff/tests"),
        ];
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    check(&text, &path.display().to_string());
                    seen += 1;
                }
            }
        }
        assert!(seen > 100, "only {seen} YAML files found");
    }
}
