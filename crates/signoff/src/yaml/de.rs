//! serde `Deserializer` over a saphyr node tree that locates every error.

use super::spanned;
use super::{Data, Node, Scalar, untag};
use crate::diagnostic::{Problem, Span};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::fmt;

/// A deserialisation error with a problem code and, once known, the node's position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeError {
    pub code: &'static str,
    pub message: String,
    pub span: Option<Span>,
}

impl DeError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        DeError {
            code,
            message: message.into(),
            span: None,
        }
    }

    /// Gives the error the position of `node` unless a deeper node already gave one.
    fn at(mut self, node: &Node<'_>) -> Self {
        if self.span.is_none() {
            self.span = Some(Span::from_yaml(node.span));
        }
        self
    }

    pub(crate) fn into_problem(self) -> Problem {
        Problem::error(self.code, self.span.unwrap_or_default(), self.message)
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new("invalid_value", msg.to_string())
    }
    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(
            "invalid_type",
            format!("expected {exp}, found {}", describe(unexp)),
        )
    }
    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(
            "invalid_value",
            format!("expected {exp}, found {}", describe(unexp)),
        )
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(
            "invalid_value",
            format!("unknown value `{variant}`, expected {}", one_of(expected)),
        )
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let visible: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|f| !f.starts_with("$__"))
            .collect();
        let hint = match suggest(field, &visible) {
            Some(s) => format!(" (did you mean `{s}`?)"),
            None => String::new(),
        };
        DeError::new(
            "unknown_field",
            format!(
                "unknown field `{field}`{hint}, expected {}",
                one_of(&visible)
            ),
        )
    }
    fn missing_field(field: &'static str) -> Self {
        DeError::new("missing_field", format!("missing field `{field}`"))
    }
    fn duplicate_field(field: &'static str) -> Self {
        DeError::new("duplicate_field", format!("duplicate field `{field}`"))
    }
}

/// What was found, in serde's words (`Unexpected`'s `Display`) but for our own "null", "a
/// mapping" and "a list". Spelled out here rather than calling that `Display`, whose arm for
/// `Float` prints an `f64` and so links core's float printing into the browser's module for
/// a variant we never build: a float is described by its text, as `Other` ([`invalid_type`]).
fn describe(unexp: de::Unexpected<'_>) -> String {
    use de::Unexpected as U;
    match unexp {
        U::Unit => "null".to_owned(),
        U::Map => "a mapping".to_owned(),
        U::Seq => "a list".to_owned(),
        U::Bool(b) => format!("boolean `{b}`"),
        U::Unsigned(i) => format!("integer `{i}`"),
        U::Signed(i) => format!("integer `{i}`"),
        U::Float(_) => "floating point number".to_owned(),
        U::Char(c) => format!("character `{c}`"),
        U::Str(s) => format!("string {s:?}"),
        U::Bytes(_) => "byte array".to_owned(),
        U::Option => "Option value".to_owned(),
        U::NewtypeStruct => "newtype struct".to_owned(),
        U::Enum => "enum".to_owned(),
        U::UnitVariant => "unit variant".to_owned(),
        U::NewtypeVariant => "newtype variant".to_owned(),
        U::TupleVariant => "tuple variant".to_owned(),
        U::StructVariant => "struct variant".to_owned(),
        U::Other(other) => other.to_owned(),
    }
}

fn one_of(names: &[&str]) -> String {
    match names {
        [] => "no fields here".to_owned(),
        [only] => format!("`{only}`"),
        _ => {
            let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!("one of {}", quoted.join(", "))
        }
    }
}

/// The expected name closest to a typo, when it is close enough to be a likely meaning.
fn suggest<'a>(typo: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (edit_distance(typo, n), *n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 4))
        .min()
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.last().copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// Deserialises a `T` from a node, locating any error.
pub(crate) fn from_node<'de, T: de::Deserialize<'de>>(node: &Node<'_>) -> Result<T, DeError> {
    T::deserialize(NodeDeserializer { node })
}

struct NodeDeserializer<'a, 'i> {
    node: &'a Node<'i>,
}

impl<'a, 'i> NodeDeserializer<'a, 'i> {
    fn data(&self) -> &'a Data<'i> {
        &untag(self.node).data
    }

    fn fail<T>(&self, exp: &dyn de::Expected) -> Result<T, DeError> {
        Err(invalid_type(self.node, exp))
    }
}

/// serde's "expected {exp}, found {the node}" (`invalid_type`). A float is described by
/// its own text, as serde's `Unexpected::Float` would print its `f64`: formatting an
/// `f64` would link core's float printing for this message alone (`yaml/scalar.rs`).
pub(crate) fn invalid_type(node: &Node<'_>, exp: &dyn de::Expected) -> DeError {
    let float;
    let found = match &untag(node).data {
        Data::Value(Scalar::FloatingPoint(f)) => {
            float = f.describe();
            de::Unexpected::Other(&float)
        }
        _ => unexpected(node),
    };
    de::Error::invalid_type(found, exp)
}

/// What a node other than a float is, in serde's words for "expected …, found …".
fn unexpected<'a>(node: &'a Node<'_>) -> de::Unexpected<'a> {
    match &untag(node).data {
        Data::Value(Scalar::Null) => de::Unexpected::Unit,
        Data::Value(Scalar::Boolean(b)) => de::Unexpected::Bool(*b),
        Data::Value(Scalar::Integer(i)) => de::Unexpected::Signed(*i),
        Data::Value(Scalar::String(s)) => de::Unexpected::Str(s),
        Data::Sequence(_) => de::Unexpected::Seq,
        Data::Mapping(_) => de::Unexpected::Map,
        _ => de::Unexpected::Other("an unsupported YAML node"),
    }
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.deserialize_any(visitor)
        })*
    };
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.node;
        let result = match self.data() {
            Data::Value(Scalar::Null) => visitor.visit_unit(),
            Data::Value(Scalar::Boolean(b)) => visitor.visit_bool(*b),
            Data::Value(Scalar::Integer(i)) => visitor.visit_i64(*i),
            // Where serde's `visit_f64` would refuse an `f64` (none of our types takes one),
            // with the float's text instead of the printed `f64`.
            Data::Value(Scalar::FloatingPoint(_)) => Err(invalid_type(node, &visitor)),
            Data::Value(Scalar::String(s)) => visitor.visit_str(s),
            Data::Sequence(items) => visitor.visit_seq(SeqAccess {
                items: items.iter(),
            }),
            Data::Mapping(map) => visitor.visit_map(MapAccess {
                entries: map.iter(),
                value: None,
            }),
            _ => Err(DeError::new(
                "invalid_type",
                "unsupported YAML node (alias or bad value)",
            )),
        };
        result.map_err(|e| e.at(node))
    }

    /// Names (users, groups, globs) written as plain numbers or booleans are still names:
    /// `users: [1234]` means the user called "1234".
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.node;
        let result = match self.data() {
            Data::Value(Scalar::String(s)) => visitor.visit_str(s),
            Data::Value(Scalar::Integer(i)) => visitor.visit_string(i.to_string()),
            Data::Value(Scalar::Boolean(b)) => visitor.visit_string(b.to_string()),
            _ => self.fail(&visitor),
        };
        result.map_err(|e| e.at(node))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.node;
        let result = match self.data() {
            Data::Value(Scalar::Null) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        };
        result.map_err(|e| e.at(node))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.node;
        let result = match self.data() {
            Data::Sequence(items) => visitor.visit_seq(SeqAccess {
                items: items.iter(),
            }),
            _ => self.fail(&visitor),
        };
        result.map_err(|e| e.at(node))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.node;
        let result = match self.data() {
            Data::Mapping(map) => visitor.visit_map(MapAccess {
                entries: map.iter(),
                value: None,
            }),
            _ => self.fail(&visitor),
        };
        result.map_err(|e| e.at(node))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == spanned::NAME {
            let span = Span::from_yaml(self.node.span);
            return visitor.visit_map(SpannedAccess {
                span: Some(span),
                node: Some(self.node),
            });
        }
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let node = self.node;
        let result = match self.data() {
            Data::Value(Scalar::String(s)) => visitor.visit_enum(s.as_ref().into_deserializer()),
            _ => self.fail(&visitor),
        };
        result.map_err(|e| e.at(node))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.node;
        let result = match self.data() {
            Data::Value(Scalar::Null) => visitor.visit_unit(),
            _ => self.fail(&visitor),
        };
        result.map_err(|e| e.at(node))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32
        deserialize_f64 deserialize_char deserialize_bytes deserialize_byte_buf
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }
}

struct SeqAccess<'a, 'i> {
    items: std::slice::Iter<'a, Node<'i>>,
}

/// Both accesses tell serde how many elements remain, so the vectors and maps it builds
/// are allocated once at their size instead of growing by doubling.
impl<'de> de::SeqAccess<'de> for SeqAccess<'_, '_> {
    type Error = DeError;
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(NodeDeserializer { node })
                .map(Some)
                .map_err(|e| e.at(node)),
            None => Ok(None),
        }
    }
}

struct MapAccess<'a, 'i> {
    entries: std::slice::Iter<'a, (Node<'i>, Node<'i>)>,
    value: Option<&'a Node<'i>>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'_, '_> {
    type Error = DeError;
    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(NodeDeserializer { node: key })
                    .map(Some)
                    .map_err(|e| e.at(key))
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        match self.value.take() {
            Some(node) => seed
                .deserialize(NodeDeserializer { node })
                .map_err(|e| e.at(node)),
            None => Err(DeError::new(
                "internal",
                "internal: value requested before key",
            )),
        }
    }
}

/// Hands a [`spanned::Spanned`] its position, then its value.
struct SpannedAccess<'a, 'i> {
    span: Option<Span>,
    node: Option<&'a Node<'i>>,
}

impl<'de> de::MapAccess<'de> for SpannedAccess<'_, '_> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let key = if self.span.is_some() {
            spanned::SPAN_FIELD
        } else if self.node.is_some() {
            spanned::VALUE_FIELD
        } else {
            return Ok(None);
        };
        seed.deserialize(key.into_deserializer()).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        if let Some(span) = self.span.take() {
            let parts = [span.line, span.col, span.end_line, span.end_col];
            return seed.deserialize(de::value::SeqDeserializer::new(parts.into_iter()));
        }
        match self.node.take() {
            Some(node) => seed.deserialize(NodeDeserializer { node }),
            None => Err(DeError::new(
                "internal",
                "internal: located value read twice",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::describe;
    use crate::yaml::{self, read};
    use serde::de::Unexpected as U;

    /// Our words are serde's but for null, mappings, lists and floats.
    #[test]
    fn describes_as_serde_does() {
        for unexp in [
            U::Bool(true),
            U::Unsigned(7),
            U::Signed(-7),
            U::Char('x'),
            U::Str("a \"b\"\n"),
            U::Bytes(b"x"),
            U::Option,
            U::NewtypeStruct,
            U::Enum,
            U::UnitVariant,
            U::NewtypeVariant,
            U::TupleVariant,
            U::StructVariant,
            U::Other("something"),
        ] {
            assert_eq!(describe(unexp), unexp.to_string());
        }
        assert_eq!(describe(U::Unit), "null");
        assert_eq!(describe(U::Map), "a mapping");
        assert_eq!(describe(U::Seq), "a list");
    }

    /// A float is named by its text, through serde's derives as through our readers; the
    /// same as serde printed its `f64` when the text is how `f64` prints (`1.5`, `2.0`).
    #[test]
    fn a_float_is_found_as_written() {
        for text in [
            "1.5",
            "2.0",
            "1.50",
            "1e3",
            "-.inf",
            ".NaN",
            "9223372036854775808",
        ] {
            let node = yaml::load(text).unwrap();
            let message = format!("expected u32, found floating point `{text}`");
            assert_eq!(yaml::from_node::<u32>(&node).unwrap_err().message, message);
            assert_eq!(read::u32(&node).unwrap_err().message, message);
            let message = format!("expected a string, found floating point `{text}`");
            assert_eq!(
                yaml::from_node::<String>(&node).unwrap_err().message,
                message
            );
            assert_eq!(read::string(&node).unwrap_err().message, message);
        }
    }
}
