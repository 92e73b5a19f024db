//! Tests of the merging of dedup rows within a batch and across a group's batches.

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::model::LogRecord;
use crate::store::copy::{self, COPY_STATEMENT};

fn record(body: &str, key: Option<i64>, second: i64) -> LogRecord {
    let ts = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap() + Duration::seconds(second);
    let mut record = LogRecord::new(body.to_string(), ts);
    record.dedup_key = key;
    record
}

fn row_body(row: &[u8]) -> String {
    let text = std::str::from_utf8(row).unwrap();
    assert!(text.ends_with('\n'), "one whole row: {text:?}");
    text.split('\t').nth(6).unwrap().to_string()
}

#[test]
fn records_with_a_key_are_merged_and_only_the_first_is_encoded() {
    let records = [
        record("plain", None, 0),
        record("dup", Some(7), 5),
        record("dup again", Some(7), 2),
        record("other", Some(9), 1),
        record("dup", Some(7), 8),
    ];
    let batch = copy::encode(&records);
    assert_eq!(batch.records, 5, "every record counts in the batch");
    assert_eq!(batch.data.iter().filter(|b| **b == b'\n').count(), 1);
    assert_eq!(batch.dedup.len(), 2);
    let group = Group::merged([&batch.dedup]);
    assert_eq!(
        row_body(group.row(7)),
        "dup",
        "the first record's row is kept"
    );
    let seven = group.seen(7);
    assert_eq!(seven.count, 3);
    assert_eq!(seven.ts, records[1].ts);
    assert_eq!((seven.first, seven.last), (records[2].ts, records[4].ts));
    assert_eq!(group.records(), 4);
    let columns = std::str::from_utf8(group.row(9))
        .unwrap()
        .split('\t')
        .count();
    assert_eq!(columns, COPY_STATEMENT.matches(',').count() + 1);
}

#[test]
fn a_group_merges_its_batches_by_key_in_key_order() {
    let first = copy::encode(&[record("a", Some(5), 3), record("b", Some(-2), 0)]);
    let second = copy::encode(&[record("a later", Some(5), 1), record("c", Some(1), 9)]);
    let group = Group::merged([&first.dedup, &second.dedup]);
    let keys: Vec<i64> = group.rows.keys().copied().collect();
    assert_eq!(keys, [-2, 1, 5]);
    assert_eq!(row_body(group.row(5)), "a", "the first batch's row");
    let five = group.seen(5);
    assert_eq!(five.count, 2);
    assert_eq!(five.first, first.dedup.rows[&5].1.ts - Duration::seconds(2));
    assert_eq!(group.records(), 4);
}

#[test]
fn resources_are_shared_between_plain_and_deduplicated_rows() {
    let resource = std::sync::Arc::new(
        serde_json::json!({"host": "h"})
            .as_object()
            .unwrap()
            .clone(),
    );
    let mut records = [
        record("x", None, 0),
        record("y", Some(1), 0),
        record("z", None, 0),
    ];
    records
        .iter_mut()
        .for_each(|r| r.resource = resource.clone());
    let batch = copy::encode(&records);
    let group = Group::merged([&batch.dedup]);
    // `resource`, the column before the last (`retention_class`).
    let last_column = |row: &str| row.trim_end().rsplit('\t').nth(1).unwrap().to_string();
    let deduplicated = std::str::from_utf8(group.row(1)).unwrap();
    assert_eq!(last_column(deduplicated), r#"{"host":"h"}"#);
    let plain = String::from_utf8(batch.data.clone()).unwrap();
    let plain: Vec<String> = plain.lines().map(last_column).collect();
    assert_eq!(plain, [r#"{"host":"h"}"#, r#"{"host":"h"}"#]);
    assert_eq!(batch.bytes(), batch.data.len() + deduplicated.len());
}
