//! Encoding of records into PostgreSQL `COPY ... FROM STDIN` text format for table `logs`, and
//! of spans for table `spans` ([`spans`]).
//!
//! PostgreSQL cannot store NUL in `text` or `jsonb`: every NUL becomes U+FFFD here, so a NUL in
//! any field never fails a batch.

use std::io::{self, Write};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::ser::{CharEscape, Formatter};

use crate::model::{Attributes, DEFAULT_RETENTION_CLASS, LogRecord};

pub use super::dedup::DedupRows;
pub use super::exceptions::ExceptionCounts;
pub use super::rollups::Rollups;

pub use super::copy_text::COPY_STATEMENT;
use super::copy_text::timestamp;
use super::partitions::PartitionKey;
pub use spans::{SPANS_COPY_STATEMENT, SpanKey, SpanRows, encode_spans};

mod spans;

const REPLACEMENT: &str = "\u{FFFD}";

/// Records encoded as `COPY` rows, with what the writer needs to know about them.
#[derive(Debug, Default)]
pub struct EncodedBatch {
    /// `COPY` text rows, one per record without a dedup key.
    pub data: Vec<u8>,
    /// Records in the batch: rows in `data` and records with a dedup key.
    pub records: usize,
    /// The partitions of the rows (UTC day of `ts`, retention class), so that they exist
    /// before the `COPY`.
    pub partitions: PartitionKeys,
    /// The records' exceptions, one entry per group, for table `exception_groups` (those of
    /// spans are in `spans`).
    pub exceptions: ExceptionCounts,
    /// The records counted per minute, for tables `log_counts` and `error_counts`.
    pub rollups: Rollups,
    /// Records with a dedup key: one row per key, stored through table `dedup_heads`.
    pub dedup: DedupRows,
    /// Rows of table `spans`, for a batch of spans.
    pub spans: SpanRows,
    /// The earliest and latest `ts` of the rows of `logs`, which the live tail's notice
    /// names ([`super::tail`]).
    pub times: Option<TimeRange>,
}

/// The earliest and latest of some timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

impl TimeRange {
    /// The range holding `ts` as well.
    pub fn with(range: Option<TimeRange>, ts: DateTime<Utc>) -> TimeRange {
        match range {
            None => TimeRange {
                first: ts,
                last: ts,
            },
            Some(r) => TimeRange {
                first: r.first.min(ts),
                last: r.last.max(ts),
            },
        }
    }

    /// The range of several ranges; `None` when none is given.
    pub fn union(ranges: impl Iterator<Item = TimeRange>) -> Option<TimeRange> {
        ranges.fold(None, |all, r| {
            Some(TimeRange::with(Some(TimeRange::with(all, r.first)), r.last))
        })
    }
}

/// The distinct (day, retention class) pairs of a batch's rows: a handful per batch, so a list
/// with a pointer-equality fast path (records of one class share its name) beats a set.
#[derive(Debug, Default, Clone)]
pub struct PartitionKeys(Vec<(NaiveDate, Arc<str>)>);

impl PartitionKeys {
    /// Adds a pair unless it is already listed.
    pub fn add(&mut self, day: NaiveDate, class: &Arc<str>) {
        let listed = self
            .0
            .iter()
            .any(|(d, c)| *d == day && (Arc::ptr_eq(c, class) || c == class));
        if !listed {
            self.0.push((day, Arc::clone(class)));
        }
    }

    /// The pairs, in the order first seen.
    pub fn iter(&self) -> impl Iterator<Item = &(NaiveDate, Arc<str>)> {
        self.0.iter()
    }
}

impl EncodedBatch {
    /// Bytes held by the encoded rows, for the queue's bound.
    pub fn bytes(&self) -> usize {
        self.data.len() + self.dedup.bytes() + self.spans.data.len()
    }

    /// Every partition the batch's rows go to, of `logs` and of `spans`.
    pub(super) fn partition_keys(&self) -> impl Iterator<Item = PartitionKey> + '_ {
        let logs =
            (self.partitions.iter()).map(|(day, class)| PartitionKey::Logs(*day, class.clone()));
        let spans = self.spans.days.iter().map(|day| PartitionKey::Spans(*day));
        logs.chain(spans)
    }
}

/// Encodes records as `COPY` text rows in the column order of [`COPY_STATEMENT`]; records with
/// a dedup key are merged per key, only the first of each encoded. Every record is counted in
/// the exceptions and rollups.
pub fn encode(records: &[LogRecord]) -> EncodedBatch {
    let mut batch = EncodedBatch {
        data: Vec::with_capacity(records.len() * 512),
        records: records.len(),
        ..EncodedBatch::default()
    };
    let mut encoder = RowEncoder::default();
    let default_class: Arc<str> = Arc::from(DEFAULT_RETENTION_CLASS);
    for record in records {
        let class = record.retention_class.as_ref().unwrap_or(&default_class);
        batch.partitions.add(record.ts.date_naive(), class);
        batch.times = Some(TimeRange::with(batch.times, record.ts));
        batch.exceptions.add(record);
        batch.rollups.add(record);
        match record.dedup_key {
            None => encoder.row(&mut batch.data, record),
            Some(key) => batch
                .dedup
                .add(key, record.ts, |out| encoder.row(out, record)),
        }
    }
    batch
}

/// Encodes rows, reusing its buffers.
#[derive(Default)]
struct RowEncoder<'a> {
    scratch: Vec<u8>,
    /// The last resource encoded and its bytes: records of one resource share it, so it is
    /// encoded once and copied.
    resource: Option<(&'a Arc<Attributes>, Vec<u8>)>,
}

impl<'a> RowEncoder<'a> {
    /// Appends the record's row, newline included.
    fn row(&mut self, out: &mut Vec<u8>, record: &'a LogRecord) {
        encode_row(out, record, &mut self.scratch);
        match &mut self.resource {
            Some((resource, bytes)) if Arc::ptr_eq(resource, &record.resource) => {
                out.extend_from_slice(bytes);
            }
            cached => {
                let mut bytes = Vec::new();
                json(&mut bytes, &*record.resource, &mut self.scratch);
                out.extend_from_slice(&bytes);
                *cached = Some((&record.resource, bytes));
            }
        }
        tab(out);
        let class = record.retention_class.as_deref();
        text(out, class.unwrap_or(DEFAULT_RETENTION_CLASS));
        out.push(b'\n');
    }
}

/// Every column but the last (`resource`), each followed by a tab.
fn encode_row(out: &mut Vec<u8>, r: &LogRecord, scratch: &mut Vec<u8>) {
    let request = r.request.as_ref();
    let query = r.query.as_ref();
    let exception = r.exception.as_ref();
    timestamp(out, &r.ts);
    tab(out);
    timestamp(out, &r.observed_ts);
    tab(out);
    text(out, &r.service);
    tab(out);
    text(out, r.level.as_str());
    tab(out);
    number(out, r.severity_number);
    tab(out);
    optional_text(out, r.severity_text.as_deref());
    tab(out);
    text(out, &r.body);
    tab(out);
    optional_text(out, r.trace_id.as_deref());
    tab(out);
    optional_text(out, r.span_id.as_deref());
    tab(out);
    optional_text(out, r.scope.as_deref());
    tab(out);
    optional_text(out, request.map(|q| q.method.as_str()));
    tab(out);
    optional_text(out, request.map(|q| q.route.as_str()));
    tab(out);
    optional_number(out, request.and_then(|q| q.status_code));
    tab(out);
    optional_millis(out, request.and_then(|q| q.duration_seconds));
    tab(out);
    optional_text(out, query.map(|q| q.system.as_str()));
    tab(out);
    optional_text(out, query.map(|q| q.operation.as_str()));
    tab(out);
    optional_text(out, query.map(|q| q.fingerprint.as_str()));
    tab(out);
    optional_millis(out, query.and_then(|q| q.duration_seconds));
    tab(out);
    optional_text(out, exception.map(|e| e.exception_type.as_str()));
    tab(out);
    optional_text(out, exception.map(|e| e.message.as_str()));
    tab(out);
    optional_text(out, exception.and_then(|e| e.stacktrace.as_deref()));
    tab(out);
    optional_text(out, exception.map(|e| e.fingerprint.as_str()));
    tab(out);
    optional_text(out, r.user_id.as_deref());
    tab(out);
    optional_text(out, r.error_fingerprint.as_deref());
    tab(out);
    json(out, &r.attributes, scratch);
    tab(out);
}

fn tab(out: &mut Vec<u8>) {
    out.push(b'\t');
}

fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\\N");
}

fn number(out: &mut Vec<u8>, value: impl std::fmt::Display) {
    let _ = write!(out, "{value}");
}

fn optional_number(out: &mut Vec<u8>, value: Option<impl std::fmt::Display>) {
    match value {
        Some(value) => number(out, value),
        None => null(out),
    }
}

fn optional_millis(out: &mut Vec<u8>, seconds: Option<f64>) {
    optional_number(out, seconds.filter(|s| s.is_finite()).map(|s| s * 1000.0));
}

fn optional_text(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => text(out, value),
        None => null(out),
    }
}

/// Writes a text value with `COPY` escapes; NUL becomes U+FFFD.
fn text(out: &mut Vec<u8>, value: &str) {
    let _ = CopyEscaper(out).write_all(value.as_bytes());
}

/// Writes a JSON value as a `COPY` value. serde_json escapes every control character (and the
/// formatter turns NUL into U+FFFD), so of `COPY`'s special bytes only backslashes remain; the
/// JSON goes to `scratch` first, then its backslashes are doubled (found by `memchr`'s SIMD
/// search).
fn json(out: &mut Vec<u8>, value: &impl serde::Serialize, scratch: &mut Vec<u8>) {
    scratch.clear();
    let mut serializer = serde_json::Serializer::with_formatter(&mut *scratch, NulSafeFormatter);
    // Infallible: maps of JSON values (and lists of them) always serialize, and a Vec cannot
    // fail to grow.
    let _ = serde::Serialize::serialize(value, &mut serializer);
    let mut done = 0;
    for backslash in memchr::memchr_iter(b'\\', scratch) {
        out.extend_from_slice(&scratch[done..=backslash]);
        out.push(b'\\');
        done = backslash + 1;
    }
    out.extend_from_slice(&scratch[done..]);
}

/// Writes bytes with the backslash escapes of `COPY` text format.
struct CopyEscaper<'a>(&'a mut Vec<u8>);

/// The escape of each byte that `COPY` text format needs escaped, else `None`.
fn escape(byte: u8) -> Option<&'static [u8]> {
    match byte {
        b'\\' => Some(b"\\\\"),
        b'\t' => Some(b"\\t"),
        b'\n' => Some(b"\\n"),
        b'\r' => Some(b"\\r"),
        0 => Some(REPLACEMENT.as_bytes()),
        _ => None,
    }
}

/// Which bytes [`escape`] changes, as a table so the common no-escape scan stays branch-light.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'\\' as usize] = true;
    table[b'\t' as usize] = true;
    table[b'\n' as usize] = true;
    table[b'\r' as usize] = true;
    table[0] = true;
    table
};

impl Write for CopyEscaper<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|b| SPECIAL[*b as usize]) {
            self.0.extend_from_slice(&rest[..i]);
            self.0
                .extend_from_slice(escape(rest[i]).unwrap_or_default());
            rest = &rest[i + 1..];
        }
        self.0.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// serde_json's compact format, except that NUL (which `jsonb` rejects) is written as U+FFFD.
struct NulSafeFormatter;

impl Formatter for NulSafeFormatter {
    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        match escape {
            CharEscape::AsciiControl(0) => writer.write_all(REPLACEMENT.as_bytes()),
            other => serde_json::ser::CompactFormatter.write_char_escape(writer, other),
        }
    }
}

#[cfg(test)]
mod tests;
