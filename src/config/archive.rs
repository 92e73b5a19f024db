//! (stub) `archive:`: where expired partitions are archived before they are dropped. STUB for
//! the retention branch: the archive branch's `ArchiveConfig` (S3 settings, compression)
//! replaces this file at merge.

use serde::Deserialize;

/// Archival of expired partitions; off while `location` is empty.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveConfig {
    /// Where archives go: a local directory (`/var/lib/logbridge/archive` or
    /// `file:///var/lib/logbridge/archive`) or `s3://bucket/prefix`; empty: no archive.
    pub location: String,
    /// Whether retention archives a partition before dropping it, when `location` is set.
    pub enabled: bool,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        ArchiveConfig {
            location: String::new(),
            enabled: true,
        }
    }
}
