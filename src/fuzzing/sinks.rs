//! What must hold of what the sinks receive: `COPY` text PostgreSQL accepts, one row per record
//! with every column in place, and an exposition Prometheus can parse.

use serde_json::Value;

use super::invariants::has_nul;
use crate::metrics::{Format, Metrics};
use crate::model::{Level, LogRecord};
use crate::store::copy::{COPY_STATEMENT, EncodedBatch};

/// Checks every row of the batch the store would commit, against the records it encodes.
pub fn copy_rows(batch: &EncodedBatch, records: &[LogRecord]) {
    assert_eq!(batch.records, records.len());
    assert!(!batch.data.contains(&0), "NUL in COPY data");
    let text = std::str::from_utf8(&batch.data).expect("COPY data is UTF-8");
    let rows: Vec<&str> = text.split_terminator('\n').collect();
    assert_eq!(rows.len(), records.len(), "one line per record");
    let columns = COPY_STATEMENT.matches(',').count() + 1;
    for (row, record) in rows.iter().zip(records) {
        let fields: Vec<Option<String>> = row.split('\t').map(unescape).collect();
        assert_eq!(fields.len(), columns, "columns of {row:?}");
        row_matches(&fields, record);
    }
}

/// The columns read back equal the record's fields; the JSON columns are objects without the
/// `\u0000` escape that `jsonb` refuses.
fn row_matches(fields: &[Option<String>], record: &LogRecord) {
    let stored = |text: &str| Some(text.replace('\0', "\u{FFFD}"));
    assert_eq!(fields[2], stored(&record.service));
    assert_eq!(fields[3], stored(record.level.as_str()));
    assert!(
        Level::ALL
            .iter()
            .any(|l| Some(l.as_str()) == fields[3].as_deref())
    );
    assert_eq!(fields[6], stored(&record.body));
    assert_eq!(fields[7], record.trace_id);
    assert_eq!(fields[8], record.span_id);
    assert_eq!(fields[9], record.scope.as_deref().and_then(stored));
    for json in [&fields[24], &fields[25]] {
        let json = json.as_deref().expect("JSON columns are never NULL");
        let value: Value = serde_json::from_str(json).expect("JSON columns parse");
        assert!(
            value.is_object() && !has_nul(&value),
            "jsonb refuses \\u0000: {json}"
        );
    }
}

/// A `COPY` text field with its escapes undone; `\N` is NULL.
fn unescape(field: &str) -> Option<String> {
    if field == "\\N" {
        return None;
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            other => panic!("unexpected COPY escape \\{other:?} in {field:?}"),
        }
    }
    Some(out)
}

/// Renders the metrics in text format 0.0.4: every line is a comment or a well-formed sample,
/// so no label value broke out of its quotes or its line.
pub fn exposition(metrics: &Metrics) {
    let text = metrics.render(Format::PrometheusText);
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        assert!(is_sample(line), "sample line {line:?}");
    }
}

/// `name{label="value",...} number`, label values with only the `\\`, `\"` and `\n` escapes.
fn is_sample(line: &str) -> bool {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let rest = line.trim_start_matches(is_name);
    let rest = match rest.strip_prefix('{') {
        Some(labels) => match skip_labels(labels) {
            Some(rest) => rest,
            None => return false,
        },
        None => rest,
    };
    let Some(value) = rest.strip_prefix(' ') else {
        return false;
    };
    rest.len() < line.len() && (value.parse::<f64>().is_ok() || value == "+Inf")
}

/// The text after the closing `}` of a label set whose `{` came just before `labels`.
fn skip_labels(mut labels: &str) -> Option<&str> {
    loop {
        let name_end = labels.find('=')?;
        let name = &labels[..name_end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let mut chars = labels[name_end + 1..].strip_prefix('"')?.char_indices();
        let close = loop {
            match chars.next()? {
                (_, '\\') => matches!(chars.next()?.1, '\\' | '"' | 'n').then_some(())?,
                (_, '\n') => return None,
                (i, '"') => break i,
                _ => {}
            }
        };
        labels = &labels[name_end + 2 + close + 1..];
        match labels.as_bytes().first()? {
            b',' => labels = &labels[1..],
            b'}' => return Some(&labels[1..]),
            _ => return None,
        }
    }
}
