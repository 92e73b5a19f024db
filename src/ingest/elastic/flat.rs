//! A bulk document parsed straight into dotted keys: nested objects (`{"log":{"level":..}}`) are
//! flattened while they are read (`"log.level"`), as OTLP attributes are, without building
//! the nested maps first; on the way, the fields that describe the emitter go to the resource
//! and those the alias table names (message, level, time...) are sorted out by role.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::ingest::json::named::{Candidates, Named, Roles};
use crate::model::Attributes;

/// Prefixes of the fields that describe the emitter rather than the event: ECS's, the
/// Kubernetes metadata Filebeat adds (`kubernetes.*`) and OpenTelemetry's `k8s.*`, as an OTLP
/// resource holds them.
const RESOURCE_PREFIXES: [&str; 9] = [
    "host.",
    "agent.",
    "ecs.",
    "service.",
    "cloud.",
    "container.",
    "orchestrator.",
    "kubernetes.",
    "k8s.",
];
/// The one field under those prefixes that stays with the record: it names its service.
const SERVICE_NAME: &str = "service.name";

/// A document's fields as dotted keys: those the alias table names, the resource fields, and
/// the others.
#[derive(Debug, Default, PartialEq)]
pub struct FlatDocument {
    pub named: Named,
    pub fields: Map<String, Value>,
    /// Shared with the documents before it that gave the same resource fields.
    pub resource: Arc<Attributes>,
}

/// Reads the documents of one request: its buffers are reused from one document to the next,
/// and a document repeating the resource fields of the one before it (as every document of one
/// emitter does) shares its resource, which is then neither built nor compared again.
pub struct Reader {
    roles: Roles,
    fields: Vec<(String, Value)>,
    resource: Vec<(String, Value)>,
    /// The resource fields of the last document, as read and as shared.
    last: (Vec<(String, Value)>, Arc<Attributes>),
}

/// The fields as they are read, in document order: sorted into maps once at the end, which
/// costs less than inserting each into a map.
/// `'a` is the source's lifetime too, whose member names the alias roles borrow.
struct Fields<'a> {
    roles: &'a Roles,
    named: Candidates<Cow<'a, str>>,
    fields: &'a mut Vec<(String, Value)>,
    resource: &'a mut Vec<(String, Value)>,
}

impl<'a> Fields<'a> {
    fn insert(&mut self, key: Cow<'a, str>, value: Value) {
        if is_resource(&key) {
            self.resource.push((key.into_owned(), value));
        } else if let Some(role) = self.roles.of(&key) {
            self.named.push(key, value, role);
        } else {
            self.fields.push((key.into_owned(), value));
        }
    }
}

/// Whether a key describes the emitter; its first byte is compared before the prefix.
fn is_resource(key: &str) -> bool {
    let first = key.as_bytes().first();
    let prefixed = RESOURCE_PREFIXES
        .iter()
        .any(|prefix| first == prefix.as_bytes().first() && key.starts_with(prefix));
    prefixed && key != SERVICE_NAME
}

impl Reader {
    /// A reader sorting out the fields `roles` name.
    pub fn new(roles: Roles) -> Reader {
        // Enough for a typical ECS document without growing.
        Reader {
            roles,
            fields: Vec::with_capacity(32),
            resource: Vec::with_capacity(8),
            last: (Vec::new(), Arc::default()),
        }
    }

    /// Parses a source line; the reason when it is not UTF-8, not JSON or not an object. Where
    /// a dotted key and a nested path name the same field, the later wins; arrays and empty
    /// objects are values. The line is checked as UTF-8 once, so that serde_json need not
    /// check each string.
    pub fn parse(&mut self, source: &[u8]) -> Result<FlatDocument, String> {
        let source = std::str::from_utf8(source)
            .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
        self.fields.clear();
        self.resource.clear();
        let mut fields = Fields {
            roles: &self.roles,
            named: Candidates::default(),
            fields: &mut self.fields,
            resource: &mut self.resource,
        };
        let mut deserializer = serde_json::Deserializer::from_str(source);
        let parsed = Top(&mut fields).deserialize(&mut deserializer);
        let kind = parsed
            .and_then(|kind| deserializer.end().map(|()| kind))
            .map_err(|e| format!("failed to parse: {e}"))?;
        if let Some(kind) = kind {
            return Err(format!("the document is {kind}, not a JSON object"));
        }
        let named = fields.named.settle(fields.fields);
        // Of a key given twice, the later value (a map built from an iterator keeps the last of
        // equal keys).
        let fields = self.fields.drain(..).collect();
        Ok(FlatDocument {
            named,
            fields,
            resource: self.resource(),
        })
    }

    /// The resource of the document just read: the last one when its fields are the same.
    fn resource(&mut self) -> Arc<Attributes> {
        if self.resource != self.last.0 {
            let resource = self.resource.iter().cloned().collect();
            std::mem::swap(&mut self.resource, &mut self.last.0);
            self.last.1 = Arc::new(resource);
        }
        Arc::clone(&self.last.1)
    }
}

/// The document: an object, flattened into its [`Fields`], or the kind of value it is.
struct Top<'a, 'r>(&'a mut Fields<'r>);

impl<'de: 'r, 'r> DeserializeSeed<'de> for Top<'_, 'r> {
    type Value = Option<&'static str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'r, 'r> Visitor<'de> for Top<'_, 'r> {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Members {
            document: self.0,
            prefix: None,
        }
        .read(map)?;
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Some("an array"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Some("a string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Some("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Some("null"))
    }
}

/// The members of an object at `prefix` (none at the top).
struct Members<'a, 'r> {
    document: &'a mut Fields<'r>,
    prefix: Option<&'a str>,
}

impl<'r> Members<'_, 'r> {
    /// Reads the members into the document; how many fields they gave.
    fn read<'de: 'r, A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut given = 0;
        while let Some(key) = map.next_key_seed(Key(self.prefix))? {
            given += map.next_value_seed(Member {
                document: self.document,
                key,
            })?;
        }
        Ok(given)
    }
}

/// A member's name as its dotted key, `prefix.name`, made in one allocation; a top-level name
/// without escapes is borrowed from the source, and copied only if it is kept (an object's
/// name is only a prefix).
struct Key<'a>(Option<&'a str>);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
        match self.0 {
            Some(_) => self.visit_str(name),
            None => Ok(Cow::Borrowed(name)),
        }
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(match self.0 {
            Some(prefix) => {
                let mut key = String::with_capacity(prefix.len() + 1 + name.len());
                key.push_str(prefix);
                key.push('.');
                key.push_str(name);
                key
            }
            None => name.to_string(),
        }))
    }

    fn visit_string<E: de::Error>(self, name: String) -> Result<Self::Value, E> {
        match self.0 {
            Some(_) => self.visit_str(&name),
            None => Ok(Cow::Owned(name)),
        }
    }
}

/// One member's value: an object is flattened under its key, anything else is a field.
struct Member<'a, 'r, 'de> {
    document: &'a mut Fields<'r>,
    key: Cow<'de, str>,
}

impl<'de: 'r, 'r> DeserializeSeed<'de> for Member<'_, 'r, 'de> {
    /// Fields given.
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'r, 'r> Member<'_, 'r, 'de> {
    fn field<E>(self, value: Value) -> Result<usize, E> {
        self.document.insert(self.key, value);
        Ok(1)
    }
}

impl<'de: 'r, 'r> Visitor<'de> for Member<'_, 'r, 'de> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<usize, A::Error> {
        let members = Members {
            document: &mut *self.document,
            prefix: Some(&*self.key),
        };
        match members.read(map)? {
            0 => self.field(Value::Object(Map::new())),
            given => Ok(given),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut elements = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(element) = seq.next_element::<Value>()? {
            elements.push(element);
        }
        self.field(Value::Array(elements))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<usize, E> {
        self.field(Value::String(text.to_string()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<usize, E> {
        self.field(Value::String(text))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<usize, E> {
        self.field(Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<usize, E> {
        self.field(Value::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<usize, E> {
        self.field(Value::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<usize, E> {
        self.field(Value::from(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<usize, E> {
        self.field(Value::Null)
    }
}
