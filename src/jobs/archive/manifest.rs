//! The manifest beside each archive file: what the file holds (table, day, class, time range,
//! rows, columns) and how to check it (size and SHA-256 of the compressed bytes). It is written
//! last: an archive file without a manifest is incomplete and is never listed.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use super::ArchiveError;
use super::location;

/// The newest manifest format this bridge reads (and older ones). Archives of `logs` are
/// written as version 1; archives of `spans` as version 2, which adds `source`, so that a
/// bridge from before spans were archived refuses them rather than restoring spans into
/// `logs_restored`.
pub const FORMAT_VERSION: u32 = 2;
/// How rows are encoded in the files this bridge writes.
pub const FORMAT: &str = "ndjson+zstd";

/// What an archive file holds, as written beside it in `<file stem>.manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The archive file's key inside the archive location (`logs/<day>/...ndjson.zst`).
    pub file: String,
    /// How rows are encoded: `ndjson+zstd`, one JSON object per row (`to_jsonb` of the row).
    pub format: String,
    /// The table the rows are of, `logs` or `spans` (absent before version 2: `logs`).
    #[serde(default)]
    pub source: Source,
    /// The partition (table) the rows came from.
    pub table: String,
    /// The day (UTC) the partition held.
    pub day: NaiveDate,
    /// The retention class of the partition.
    pub class: String,
    /// Earliest `ts` (of spans, `start_ts`) of the rows; none when the partition was empty.
    pub min_ts: Option<DateTime<Utc>>,
    /// Latest `ts` (of spans, `start_ts`) of the rows; none when the partition was empty.
    pub max_ts: Option<DateTime<Utc>>,
    /// Rows in the file (lines of the decompressed NDJSON).
    pub rows: u64,
    /// Size of the compressed file in bytes.
    pub bytes: u64,
    /// Size of the NDJSON before compression, in bytes.
    pub uncompressed_bytes: u64,
    /// SHA-256 of the compressed file, lowercase hex.
    pub sha256: String,
    /// The table's columns when it was archived, in order.
    pub columns: Vec<Column>,
    /// When the archive was written.
    pub created_at: DateTime<Utc>,
    /// The version of the bridge that wrote it.
    pub bridge_version: String,
}

/// The table whose partitions an archive holds rows of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    #[default]
    Logs,
    Spans,
}

impl Source {
    /// The table's name: `logs` or `spans`.
    pub fn table(self) -> &'static str {
        match self {
            Source::Logs => "logs",
            Source::Spans => "spans",
        }
    }

    /// The column rows are partitioned (and their time range read) by.
    pub fn time_column(self) -> &'static str {
        match self {
            Source::Logs => "ts",
            Source::Spans => "start_ts",
        }
    }

    /// The table a restore loads rows into.
    pub fn restored_table(self) -> &'static str {
        match self {
            Source::Logs => "logs_restored",
            Source::Spans => "spans_restored",
        }
    }

    /// The manifest format version its archives are written in.
    fn format_version(self) -> u32 {
        match self {
            Source::Logs => 1,
            Source::Spans => 2,
        }
    }
}

/// A column of an archived table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// PostgreSQL type as `format_type` writes it (`timestamp with time zone`, `jsonb`, ...).
    #[serde(rename = "type")]
    pub type_name: String,
}

impl Manifest {
    /// The manifest of an archive file about to be written; what the file holds is filled in
    /// once it is written and checked.
    pub fn draft(
        file: &Path,
        (source, table): (Source, &str),
        day: NaiveDate,
        class: &str,
        created_at: DateTime<Utc>,
    ) -> Manifest {
        Manifest {
            format_version: source.format_version(),
            file: file.to_string(),
            format: FORMAT.to_string(),
            source,
            table: table.to_string(),
            day,
            class: class.to_string(),
            min_ts: None,
            max_ts: None,
            rows: 0,
            bytes: 0,
            uncompressed_bytes: 0,
            sha256: String::new(),
            columns: Vec::new(),
            created_at,
            bridge_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The manifest's key beside its archive file.
    pub fn key(&self) -> Path {
        location::manifest_key(&Path::from(self.file.as_str()))
    }

    /// Parses a manifest read from `key`; a newer format than this bridge knows is refused.
    pub fn parse(key: &Path, bytes: &[u8]) -> Result<Manifest, ArchiveError> {
        let invalid = |reason: String| ArchiveError::Manifest {
            file: key.to_string(),
            reason,
        };
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        if manifest.format_version > FORMAT_VERSION {
            let reason = format!(
                "format version {} is newer than this bridge reads ({FORMAT_VERSION})",
                manifest.format_version
            );
            return Err(invalid(reason));
        }
        if manifest.format != FORMAT {
            return Err(invalid(format!("unknown format `{}`", manifest.format)));
        }
        Ok(manifest)
    }
}

/// Writes `manifest` beside its file and reads it back: Ok only when what is stored parses to
/// the same manifest.
pub async fn put(store: &Arc<dyn ObjectStore>, manifest: &Manifest) -> Result<(), ArchiveError> {
    let key = manifest.key();
    let json = serde_json::to_vec_pretty(manifest).expect("a manifest serializes");
    store.put(&key, PutPayload::from(json)).await?;
    let stored = read(store, &key).await?;
    if stored != *manifest {
        return Err(ArchiveError::Verification {
            file: key.to_string(),
            reason: "the manifest read back differs from the one written".to_string(),
        });
    }
    Ok(())
}

/// Reads and parses the manifest at `key`.
pub async fn read(store: &Arc<dyn ObjectStore>, key: &Path) -> Result<Manifest, ArchiveError> {
    let bytes = store
        .get(key)
        .await
        .map_err(|e| ArchiveError::from_storage(e, key))?
        .bytes()
        .await?;
    Manifest::parse(key, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Manifest {
        Manifest {
            format_version: FORMAT_VERSION,
            file: "logs/2024-02-01/standard-logs_p20240201-20240301T123045678Z.ndjson.zst".into(),
            format: "ndjson+zstd".into(),
            source: Source::Logs,
            table: "logs_p20240201".into(),
            day: NaiveDate::from_ymd_opt(2024, 2, 1).unwrap(),
            class: "standard".into(),
            min_ts: Some("2024-02-01T00:00:00.000001Z".parse().unwrap()),
            max_ts: Some("2024-02-01T23:59:59.999999Z".parse().unwrap()),
            rows: 3,
            bytes: 120,
            uncompressed_bytes: 900,
            sha256: "ab".repeat(32),
            columns: vec![Column {
                name: "ts".into(),
                type_name: "timestamp with time zone".into(),
            }],
            created_at: "2024-03-01T12:30:45.678901Z".parse().unwrap(),
            bridge_version: "0.1.0".into(),
        }
    }

    #[test]
    fn a_manifest_round_trips_through_json_to_the_microsecond() {
        let manifest = sample();
        let json = serde_json::to_vec(&manifest).unwrap();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(
            text.contains(r#""type":"timestamp with time zone""#),
            "{text}"
        );
        assert!(
            text.contains(r#""min_ts":"2024-02-01T00:00:00.000001Z""#),
            "{text}"
        );
        assert_eq!(Manifest::parse(&manifest.key(), &json).unwrap(), manifest);
        let expected = "logs/2024-02-01/standard-logs_p20240201-20240301T123045678Z.manifest.json";
        assert_eq!(manifest.key().as_ref(), expected);
    }

    #[test]
    fn a_manifest_without_a_source_is_of_logs_and_one_of_spans_is_version_2() {
        let mut json = serde_json::to_value(sample()).unwrap();
        json.as_object_mut().unwrap().remove("source");
        let bytes = serde_json::to_vec(&json).unwrap();
        let manifest = Manifest::parse(&sample().key(), &bytes).unwrap();
        assert_eq!(manifest.source, Source::Logs);
        let spans = Manifest::draft(
            &sample().key(),
            (Source::Spans, "spans_x20240201_3"),
            sample().day,
            "standard",
            sample().created_at,
        );
        assert_eq!(spans.format_version, 2);
        let text = serde_json::to_string(&spans).unwrap();
        assert!(text.contains(r#""source":"spans""#), "{text}");
    }

    #[test]
    fn a_newer_or_broken_manifest_is_refused_with_its_key() {
        let mut manifest = sample();
        manifest.format_version = FORMAT_VERSION + 1;
        let json = serde_json::to_vec(&manifest).unwrap();
        let error = Manifest::parse(&manifest.key(), &json)
            .unwrap_err()
            .to_string();
        assert!(error.contains("newer than this bridge reads"), "{error}");
        assert!(error.contains(".manifest.json"), "{error}");
        let error = Manifest::parse(&manifest.key(), b"{\"rows\": 1}").unwrap_err();
        assert!(matches!(error, ArchiveError::Manifest { .. }), "{error}");
    }
}
