//! `elasticsearch:`: how the Elasticsearch-compatible root under `/es` presents itself to the
//! shippers that check it before sending (`ingest::elastic`).

use serde::{Deserialize, Serialize};

/// What the `/es` root tells clients about the "cluster".
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ElasticsearchConfig {
    /// The Elasticsearch version `GET /es/` reports (`version.number`): Filebeat refuses a
    /// server older than itself unless `allow_older_versions` is on, so keep it at or above
    /// the shippers' version.
    pub version: String,
}

impl Default for ElasticsearchConfig {
    fn default() -> Self {
        ElasticsearchConfig {
            version: "8.17.0".to_string(),
        }
    }
}
