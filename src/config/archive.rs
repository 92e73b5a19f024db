//! `archive:`: where expired partitions are archived before they are dropped (a local directory
//! or S3-compatible object storage), and how they are compressed.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Secret;

/// Archival of expired partitions; off while `location` is empty.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveConfig {
    /// Where archives go: a local directory (`/var/lib/logbridge/archive` or
    /// `file:///var/lib/logbridge/archive`) or `s3://bucket/prefix`; empty: no archive.
    pub location: String,
    /// Whether retention archives a partition before dropping it, when `location` is set.
    pub enabled: bool,
    /// S3 connection settings; unset ones come from the usual `AWS_*` environment variables.
    pub s3: S3Config,
    /// zstd compression level (1-22; 3 is fast and compresses log rows about tenfold).
    pub zstd_level: i32,
}

/// S3 (or S3-compatible: MinIO, Ceph, moto) connection settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Config {
    /// Endpoint URL of an S3-compatible store (e.g. `http://127.0.0.1:9000`); AWS when unset.
    pub endpoint: Option<String>,
    /// Region (`AWS_DEFAULT_REGION` when unset, else `us-east-1`).
    pub region: Option<String>,
    /// Access key id (`AWS_ACCESS_KEY_ID` when unset).
    pub access_key_id: Option<String>,
    /// Secret access key (`AWS_SECRET_ACCESS_KEY` when unset); never printed.
    pub secret_access_key: Option<Secret>,
    /// Session token of temporary credentials (`AWS_SESSION_TOKEN` when unset); never printed.
    pub session_token: Option<Secret>,
    /// Whether a plain `http://` endpoint is allowed (a local MinIO or test server).
    pub allow_http: bool,
}

/// A parsed `archive.location`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveLocation {
    /// A directory on this machine (created when the first archive is written).
    Local(PathBuf),
    /// A bucket and a key prefix (possibly empty) in S3-compatible storage.
    S3 { bucket: String, prefix: String },
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        ArchiveConfig {
            location: String::new(),
            enabled: true,
            s3: S3Config::default(),
            zstd_level: 3,
        }
    }
}

impl ArchiveConfig {
    /// The parsed location; `None` when none is configured.
    pub fn parsed_location(&self) -> Result<Option<ArchiveLocation>, String> {
        let location = self.location.trim();
        if location.is_empty() {
            return Ok(None);
        }
        if let Some(path) = location.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(format!(
                    "archive.location: `{location}` must be file:///absolute/path"
                ));
            }
            return Ok(Some(ArchiveLocation::Local(PathBuf::from(path))));
        }
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!("archive.location: `{location}` names no bucket"));
            }
            let prefix = prefix.trim_matches('/').to_string();
            let bucket = bucket.to_string();
            return Ok(Some(ArchiveLocation::S3 { bucket, prefix }));
        }
        if let Some((scheme, _)) = location.split_once("://") {
            return Err(format!(
                "archive.location: unknown scheme `{scheme}://`; use a directory path, \
                 file:///path or s3://bucket/prefix"
            ));
        }
        Ok(Some(ArchiveLocation::Local(PathBuf::from(location))))
    }

    /// Checks the location's scheme and the compression level.
    pub(super) fn validate(&self) -> Result<(), String> {
        self.parsed_location()?;
        if !(1..=22).contains(&self.zstd_level) {
            return Err("archive.zstd_level: must be between 1 and 22".to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(text: &str) -> Result<Option<ArchiveLocation>, String> {
        let config = ArchiveConfig {
            location: text.to_string(),
            ..ArchiveConfig::default()
        };
        config.parsed_location()
    }

    #[test]
    fn locations_parse_to_a_directory_or_a_bucket_and_prefix() {
        assert_eq!(location(""), Ok(None));
        let local = |p: &str| Ok(Some(ArchiveLocation::Local(PathBuf::from(p))));
        assert_eq!(location("/var/archive"), local("/var/archive"));
        assert_eq!(location("archive"), local("archive"));
        assert_eq!(location("file:///var/archive"), local("/var/archive"));
        let s3 = |bucket: &str, prefix: &str| {
            Ok(Some(ArchiveLocation::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
            }))
        };
        assert_eq!(location("s3://logs"), s3("logs", ""));
        assert_eq!(location("s3://logs/"), s3("logs", ""));
        assert_eq!(
            location("s3://logs/bridge/prod/"),
            s3("logs", "bridge/prod")
        );
    }

    #[test]
    fn bad_locations_name_the_key() {
        for bad in ["gs://bucket/x", "s3:///prefix", "file://relative/dir"] {
            let error = location(bad).unwrap_err();
            assert!(error.starts_with("archive.location: "), "{error}");
        }
        assert!(
            location("gs://b")
                .unwrap_err()
                .contains("unknown scheme `gs://`")
        );
    }

    #[test]
    fn the_yaml_section_is_read_and_checked_at_startup() {
        let load = |yaml: &str| {
            super::super::Config::from_yaml_and_env(yaml, "test.yaml", None.into_iter())
        };
        let yaml = "archive:\n  location: s3://b/p\n  s3:\n    endpoint: http://127.0.0.1:9000\n    allow_http: true\n";
        let config = load(yaml).unwrap().archive;
        assert!(config.enabled, "on by default once a location is set");
        assert_eq!(config.zstd_level, 3);
        assert_eq!(config.s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        let error = load("archive:\n  location: ftp://host/dir\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("archive.location: unknown scheme"),
            "{error}"
        );
        let error = load("archive:\n  zstd_level: 30\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("archive.zstd_level"), "{error}");
        let error = load("archive:\n  bucket: x\n").unwrap_err().to_string();
        assert!(error.contains("bucket"), "{error}");
    }

    #[test]
    fn secrets_never_print() {
        let s3 = S3Config {
            secret_access_key: Some(Secret::from("hunter2")),
            session_token: Some(Secret::from("token-xyz")),
            ..S3Config::default()
        };
        let printed = format!("{s3:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains("token-xyz"),
            "{printed}"
        );
    }
}
