//! Where archives live: the object store behind `archive.location` (a local directory or an S3
//! bucket and prefix) and the keys of archive files and their manifests inside it.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;

use crate::config::archive::{ArchiveLocation, S3Config};

/// Every archive key starts with this folder.
pub const ROOT: &str = "logs";
/// Suffix of an archive file: NDJSON, zstd-compressed.
pub const DATA_SUFFIX: &str = ".ndjson.zst";
/// Suffix of the manifest written beside (and after) an archive file.
pub const MANIFEST_SUFFIX: &str = ".manifest.json";

/// The object store for a location, and how the location is written by a person (the prefixes
/// `archive restore` strips from a file name it is given).
pub fn open(
    location: &ArchiveLocation,
    s3: &S3Config,
) -> Result<(Arc<dyn ObjectStore>, Vec<String>), String> {
    match location {
        ArchiveLocation::Local(dir) => {
            let dir = std::path::absolute(dir)
                .map_err(|e| format!("archive.location: {}: {e}", dir.display()))?;
            let root = Path::from_absolute_path(&dir)
                .map_err(|e| format!("archive.location: {}: {e}", dir.display()))?;
            let store = PrefixStore::new(LocalFileSystem::new(), root);
            let shown = dir.display().to_string();
            Ok((Arc::new(store), vec![format!("file://{shown}"), shown]))
        }
        ArchiveLocation::S3 { bucket, prefix } => {
            let store = s3_store(bucket, s3)?;
            let shown = format!("s3://{bucket}/{prefix}");
            let shown = shown.trim_end_matches('/').to_string();
            if prefix.is_empty() {
                return Ok((Arc::new(store), vec![shown]));
            }
            Ok((
                Arc::new(PrefixStore::new(store, prefix.as_str())),
                vec![shown],
            ))
        }
    }
}

/// An S3 client: the `AWS_*` environment first, then whatever `archive.s3` sets.
fn s3_store(bucket: &str, s3: &S3Config) -> Result<impl ObjectStore, String> {
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    if let Some(endpoint) = &s3.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(region) = &s3.region {
        builder = builder.with_region(region);
    }
    if let Some(key_id) = &s3.access_key_id {
        builder = builder.with_access_key_id(key_id);
    }
    if let Some(secret) = &s3.secret_access_key {
        builder = builder.with_secret_access_key(secret.expose());
    }
    if let Some(token) = &s3.session_token {
        builder = builder.with_token(token.expose());
    }
    if s3.allow_http {
        builder = builder.with_allow_http(true);
    }
    builder.build().map_err(|e| format!("archive.s3: {e}"))
}

/// The key of a new archive file: `logs/<day>/<class>-<table>-<created>.ndjson.zst`.
pub fn data_key(day: NaiveDate, class: &str, table: &str, created: DateTime<Utc>) -> Path {
    let created = created.format("%Y%m%dT%H%M%S%3fZ");
    let name = format!("{}-{}-{created}{DATA_SUFFIX}", safe(class), safe(table));
    Path::from_iter([ROOT, &day.to_string(), &name])
}

/// The manifest key beside an archive file.
pub fn manifest_key(data: &Path) -> Path {
    let text = data.as_ref();
    let stem = text.strip_suffix(DATA_SUFFIX).unwrap_or(text);
    Path::from(format!("{stem}{MANIFEST_SUFFIX}"))
}

/// The archive file a person named: its key as `archive list` prints it, or its manifest's,
/// either possibly written with the location in front (`s3://bucket/prefix/logs/...`).
pub fn resolve(input: &str, prefixes: &[String]) -> Option<Path> {
    let mut key = input.trim();
    for prefix in prefixes {
        if let Some(rest) = key.strip_prefix(prefix.as_str())
            && let Some(rest) = rest.strip_prefix('/')
        {
            key = rest;
            break;
        }
    }
    let stem = key
        .strip_suffix(MANIFEST_SUFFIX)
        .or_else(|| key.strip_suffix(DATA_SUFFIX))?;
    let path = Path::parse(format!("{stem}{DATA_SUFFIX}")).ok()?;
    path.as_ref()
        .starts_with(&format!("{ROOT}/"))
        .then_some(path)
}

/// A name part safe in every object store and file system: other characters become `_`.
fn safe(part: &str) -> String {
    part.chars()
        .map(|c| {
            let keep = c.is_ascii_alphanumeric() || matches!(c, '_' | '.');
            if keep { c } else { '_' }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created() -> DateTime<Utc> {
        "2024-03-01T12:30:45.678901Z".parse().unwrap()
    }

    #[test]
    fn archive_files_are_filed_by_day_class_table_and_creation_time() {
        let day = NaiveDate::from_ymd_opt(2024, 2, 1).unwrap();
        let key = data_key(day, "standard", "logs_p20240201", created());
        let expected = "logs/2024-02-01/standard-logs_p20240201-20240301T123045678Z.ndjson.zst";
        assert_eq!(key.as_ref(), expected);
        let manifest = manifest_key(&key);
        let expected = "logs/2024-02-01/standard-logs_p20240201-20240301T123045678Z.manifest.json";
        assert_eq!(manifest.as_ref(), expected);
    }

    #[test]
    fn odd_characters_in_names_cannot_leave_the_folder() {
        let day = NaiveDate::from_ymd_opt(2024, 2, 1).unwrap();
        let key = data_key(day, "../x y", "a/b\"c", created());
        let expected = "logs/2024-02-01/.._x_y-a_b_c-20240301T123045678Z.ndjson.zst";
        assert_eq!(key.as_ref(), expected);
        assert_eq!(key.parts().count(), 3);
    }

    #[test]
    fn a_file_is_named_by_key_manifest_or_with_the_location_in_front() {
        let prefixes = vec!["s3://b/p".to_string(), "/var/archive".to_string()];
        let key = "logs/2024-02-01/standard-t-20240301T123045678Z.ndjson.zst";
        let manifest = "logs/2024-02-01/standard-t-20240301T123045678Z.manifest.json";
        for input in [
            key.to_string(),
            manifest.to_string(),
            format!("s3://b/p/{key}"),
            format!("/var/archive/{manifest}"),
        ] {
            let resolved = resolve(&input, &prefixes).map(|p| p.to_string());
            assert_eq!(resolved.as_deref(), Some(key), "{input}");
        }
        for bad in [
            "logs/x.csv",
            "other/2024/a.ndjson.zst",
            "/elsewhere/logs/a.ndjson.zst",
        ] {
            assert_eq!(resolve(bad, &prefixes), None, "{bad}");
        }
    }
}
