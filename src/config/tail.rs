//! `query.tail:`: the live tail (`GET /api/v1/logs/tail`): streams open at once per bridge,
//! rows buffered per stream, and the heartbeat that keeps idle proxies from cutting a stream.

use serde::{Deserialize, Serialize};

/// Bounds of the live tail.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TailConfig {
    /// Tails open at once on this bridge; beyond it 429 + Retry-After.
    pub max_streams: usize,
    /// Rows buffered per tail for a client that reads slowly; past it rows are dropped (the
    /// client is told how many by a `dropped` event), and ingest never waits.
    pub buffer_rows: usize,
    /// Seconds between heartbeats (SSE comments) on a quiet tail, so that idle proxies keep it.
    pub heartbeat_seconds: u64,
}

impl Default for TailConfig {
    fn default() -> Self {
        TailConfig {
            max_streams: 64,
            buffer_rows: 1000,
            heartbeat_seconds: 15,
        }
    }
}

impl TailConfig {
    /// Every bound must be positive.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("max_streams", self.max_streams as u64),
            ("buffer_rows", self.buffer_rows as u64),
            ("heartbeat_seconds", self.heartbeat_seconds),
        ];
        match positive.iter().find(|(_, value)| *value == 0) {
            Some((key, _)) => Err(format!("query.tail.{key}: must be greater than 0")),
            None => Ok(()),
        }
    }
}
