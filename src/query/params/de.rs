//! A serde `Deserializer` over [`Pairs`], so that each endpoint's parameters are one
//! `#[derive(Deserialize)]` struct. Fields are read in their declared order (so the first
//! invalid one is the one reported), `Option` fields are absent or given once, sequences are
//! repeatable or comma-separated, a map field named `prefix.<key>` takes every `prefix.*` pair,
//! and a struct field reads its own fields from the same pairs. A pair no field consumed is an
//! `unknown parameter`. Errors name the parameter and keep the field type's own reason.

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::error::ParamError;
use super::pairs::Pairs;

/// The struct `T` read from `pairs`; a pair none of its fields consumed is an error.
pub fn from_pairs<'de, T: de::Deserialize<'de>>(pairs: &'de Pairs) -> Result<T, ParamError> {
    let value = T::deserialize(Struct { pairs })?;
    pairs.finish()?;
    Ok(value)
}

/// The pairs as a struct.
struct Struct<'de> {
    pairs: &'de Pairs,
}

impl<'de> Deserializer<'de> for Struct<'de> {
    type Error = ParamError;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        visitor.visit_map(Fields {
            pairs: self.pairs,
            fields: fields.iter(),
            current: "",
        })
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ParamError> {
        Err(de::Error::custom(
            "query parameters deserialize into a struct",
        ))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Every declared field of a struct, present or not, in declared order.
struct Fields<'de> {
    pairs: &'de Pairs,
    fields: std::slice::Iter<'static, &'static str>,
    current: &'static str,
}

impl<'de> MapAccess<'de> for Fields<'de> {
    type Error = ParamError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ParamError> {
        let Some(name) = self.fields.next() else {
            return Ok(None);
        };
        self.current = name;
        seed.deserialize(name.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ParamError> {
        let value = Value {
            pairs: self.pairs,
            name: self.current,
        };
        seed.deserialize(value)
            .map_err(|error| error.or_named(self.current))
    }
}

/// The values of one field: read as the field's type asks.
struct Value<'de> {
    pairs: &'de Pairs,
    name: &'static str,
}

impl<'de> Deserializer<'de> for Value<'de> {
    type Error = ParamError;

    /// One value: given twice is an error.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        match self.pairs.one(self.name)? {
            Some(text) => visitor.visit_borrowed_str(text),
            None => Err(ParamError::new(self.name, "is required")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        if self.pairs.has(self.name) {
            visitor.visit_some(self)
        } else {
            visitor.visit_none()
        }
    }

    /// Every value, repeated or comma-separated.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        let mut values = SeqDeserializer::new(self.pairs.all(self.name).into_iter());
        let value = visitor.visit_seq(&mut values)?;
        values.end()?;
        Ok(value)
    }

    /// Every `prefix.<key>=value` pair of a field named `prefix.<key>`, as `key => value`.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        let prefix = self
            .name
            .strip_suffix("<key>")
            .ok_or_else(|| de::Error::custom("a map parameter is named `prefix.<key>`"))?;
        let mut entries = MapDeserializer::new(self.pairs.prefixed(prefix).into_iter());
        let value = visitor.visit_map(&mut entries)?;
        entries.end()?;
        Ok(value)
    }

    /// A group of parameters of its own (the log filters), read from the same pairs.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        Struct { pairs: self.pairs }.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct tuple tuple_struct enum identifier ignored_any
    }
}
