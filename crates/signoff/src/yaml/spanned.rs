//! A value together with the position of the node it came from.

use crate::diagnostic::Span;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

/// The struct name our deserializer recognises to hand out a node's position, the way
/// the toml crate does for its own `Spanned`. Other deserializers see an ordinary struct
/// and fail, which is fine: policies are only ever read through ours.
pub(crate) const NAME: &str = "$__signoff_spanned";
pub(crate) const SPAN_FIELD: &str = "$__signoff_span";
pub(crate) const VALUE_FIELD: &str = "$__signoff_value";
pub(crate) const FIELDS: &[&str] = &[SPAN_FIELD, VALUE_FIELD];

/// A value and where it was written. Equality, ordering and hashing look at the value
/// only, so `Spanned<String>` works as a map key.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub span: Span,
    pub value: T,
}

impl<T> Spanned<T> {
    pub fn new(span: Span, value: T) -> Self {
        Spanned { span, value }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<T: Eq> Eq for Spanned<T> {}
impl<T: PartialOrd> PartialOrd for Spanned<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}
impl<T: Ord> Ord for Spanned<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value)
    }
}
impl<T: Hash> Hash for Spanned<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpannedVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
            type Value = Spanned<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a located value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut span = None;
                let mut value = None;
                while let Some(key) = map.next_key::<Field>()? {
                    if key == Field::Span {
                        let [line, col, end_line, end_col] = map.next_value::<[u32; 4]>()?;
                        span = Some(Span {
                            line,
                            col,
                            end_line,
                            end_col,
                        });
                    } else {
                        value = Some(map.next_value()?);
                    }
                }
                match (span, value) {
                    (Some(span), Some(value)) => Ok(Spanned { span, value }),
                    _ => Err(de::Error::custom(
                        "internal: located value without position",
                    )),
                }
            }
        }
        deserializer.deserialize_struct(NAME, FIELDS, SpannedVisitor(PhantomData))
    }
}

/// The two keys our deserializer hands a [`Spanned`], read without allocating: a policy
/// has hundreds of located values and each is read on every parse.
#[derive(PartialEq, Eq)]
enum Field {
    Span,
    Value,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the key of a located value")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Field, E> {
                match key {
                    SPAN_FIELD => Ok(Field::Span),
                    VALUE_FIELD => Ok(Field::Value),
                    _ => Err(E::custom("internal: unexpected key in located value")),
                }
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

#[cfg(feature = "schema")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for Spanned<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}
