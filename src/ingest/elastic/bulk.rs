//! The bulk body's grammar: NDJSON action lines, each followed by its source line when the
//! action takes one. Splits a body into [`Entry`]s, one per action and in request order, without
//! decoding the documents; [`super::decode`] turns them into records and item answers.

use serde::Deserialize;
use serde_json::Value;

use super::answer::{ErrorType, ItemError};

/// What an action line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Index,
    Create,
    Delete,
    Update,
}

impl Op {
    /// The action's name: the key of its action line and of its item in the answer.
    pub fn name(self) -> &'static str {
        match self {
            Op::Index => "index",
            Op::Create => "create",
            Op::Delete => "delete",
            Op::Update => "update",
        }
    }
}

/// The metadata of an action line; `_type`, `pipeline`, `routing` and the rest are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Meta {
    /// `_index`, which overrides the index of the URL.
    #[serde(rename = "_index", default, deserialize_with = "text")]
    pub index: Option<String>,
    /// `_id`, a string or a number.
    #[serde(rename = "_id", default, deserialize_with = "text")]
    pub id: Option<String>,
    /// `op_type: "create"` in an `index` action makes it a `create`.
    #[serde(default, deserialize_with = "text")]
    pub op_type: Option<String>,
}

/// One action of a bulk body, in request order.
#[derive(Debug, PartialEq)]
pub enum Entry<'a> {
    /// An `index` or `create` action and its source line, not yet parsed.
    Document {
        op: Op,
        meta: Meta,
        source: &'a [u8],
        line: usize,
    },
    /// An action answered with an error without storing anything.
    Refused {
        op: Op,
        meta: Meta,
        error: ItemError,
    },
}

/// Splits a bulk body into its actions. Blank lines are skipped. An `index`/`create` action
/// followed by another action line or by the end of the body has no source; `delete` takes no
/// source line and `update` takes one, both refused. A line that is not an action where one is
/// expected is refused as one `index` item, and the lines after it up to the next action line
/// are taken as its source and skipped: the good pairs around it are kept.
pub fn entries(body: &[u8]) -> Vec<Entry<'_>> {
    let mut lines = lines(body).peekable();
    let mut entries = Vec::new();
    let mut resynchronizing = false;
    let mut actions = Actions::default();
    while let Some((number, line)) = lines.next() {
        let (op, meta) = match actions.parse(line) {
            Ok(action) => action,
            Err(_) if resynchronizing => continue,
            Err(reason) => {
                let reason = format!("malformed action/metadata line [{number}]: {reason}");
                entries.push(refused(Op::Index, Meta::default(), reason));
                resynchronizing = true;
                continue;
            }
        };
        resynchronizing = false;
        let source = match lines.peek() {
            Some((_, next)) if !looks_like_action(next) => lines.next(),
            _ => None,
        };
        entries.push(entry(op, meta, source, number));
    }
    entries
}

/// The entry of an action and the source line that follows it, if any.
fn entry<'a>(op: Op, meta: Meta, source: Option<(usize, &'a [u8])>, number: usize) -> Entry<'a> {
    let op = match (op, meta.op_type.as_deref()) {
        (Op::Index, Some("create")) => Op::Create,
        _ => op,
    };
    match (op, source) {
        (Op::Index | Op::Create, Some((line, source))) => Entry::Document {
            op,
            meta,
            source,
            line,
        },
        (Op::Index | Op::Create, None) => {
            let reason = format!("action/metadata line [{number}] has no source line after it");
            refused(op, meta, reason)
        }
        (Op::Delete | Op::Update, _) => {
            let reason = format!(
                "{} is not supported: the bridge stores logs and never changes them",
                op.name()
            );
            refused(op, meta, reason)
        }
    }
}

fn refused(op: Op, meta: Meta, reason: String) -> Entry<'static> {
    let error = ItemError::new(ErrorType::IllegalArgument, reason);
    Entry::Refused { op, meta, error }
}

/// The non-blank lines with their 1-based numbers, without line ends; line ends are found with
/// memchr, which a byte-by-byte split took as long as parsing the action lines.
fn lines(body: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let ends = memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len()));
    let mut start = 0;
    ends.enumerate()
        .map(move |(index, end)| {
            let line = &body[start..end];
            start = end + 1;
            (index + 1, line.trim_ascii())
        })
        .filter(|(_, line)| !line.is_empty())
}

/// An action line: one member, named by the action, whose value is an object of metadata.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionLine {
    index: Option<Meta>,
    create: Option<Meta>,
    delete: Option<Meta>,
    update: Option<Meta>,
}

/// Parses action lines, remembering the last one: shippers send the same action line before
/// every document (`{"create":{"_index":"logs"}}`), which is then parsed once.
#[derive(Default)]
struct Actions<'a> {
    last: Option<(&'a [u8], Op, Meta)>,
}

impl<'a> Actions<'a> {
    fn parse(&mut self, line: &'a [u8]) -> Result<(Op, Meta), String> {
        if let Some((last, op, meta)) = &self.last
            && *last == line
        {
            return Ok((*op, meta.clone()));
        }
        let (op, meta) = action(line)?;
        self.last = Some((line, op, meta.clone()));
        Ok((op, meta))
    }
}

/// Parses an action line.
fn action(line: &[u8]) -> Result<(Op, Meta), String> {
    let parsed: ActionLine =
        serde_json::from_slice(line).map_err(|e| format!("expected an action ({e})"))?;
    let actions = [
        (Op::Index, parsed.index),
        (Op::Create, parsed.create),
        (Op::Delete, parsed.delete),
        (Op::Update, parsed.update),
    ];
    let mut named = actions
        .into_iter()
        .filter_map(|(op, meta)| meta.map(|meta| (op, meta)));
    match (named.next(), named.next()) {
        (Some(action), None) => Ok(action),
        _ => Err("expected one action (index, create, delete or update)".to_string()),
    }
}

/// Whether a line is an action line rather than a document: checked on its first bytes
/// (`{"index":{`, spaces allowed) before it is parsed, so documents are not parsed twice.
fn looks_like_action(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"{") else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    const QUOTED: [&[u8]; 4] = [b"\"index\"", b"\"create\"", b"\"delete\"", b"\"update\""];
    let named = QUOTED.iter().find_map(|quoted| rest.strip_prefix(*quoted));
    let Some(rest) = named.map(<[u8]>::trim_ascii_start) else {
        return false;
    };
    let opens_meta = rest
        .strip_prefix(b":")
        .is_some_and(|rest| rest.trim_ascii_start().starts_with(b"{"));
    opens_meta && action(line).is_ok()
}

/// A string or number as text; null as nothing.
fn text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_any(TextVisitor)
}

/// Reads [`text`] without building a [`Value`] first.
struct TextVisitor;

impl<'de> serde::de::Visitor<'de> for TextVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Some(text.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(Some(text))
    }

    fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Self::Value, E> {
        Ok(Some(number.to_string()))
    }

    fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Self::Value, E> {
        Ok(Some(number.to_string()))
    }

    fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<Self::Value, E> {
        Ok(Some(Value::from(number).to_string()))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}
