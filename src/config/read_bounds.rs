//! `query.bounds:`: what one reader may hold of the read API (issue 20): answers bounded in
//! bytes, reads and exports in flight per token, exports bounded in time and idleness, and the
//! audit trail's own connections.

use serde::{Deserialize, Serialize};

/// Bounds on what readers hold: memory, connections and time.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReadBoundsConfig {
    /// Reads and exports one token may have in flight at once; beyond it 429 + Retry-After.
    pub token_max_concurrent: u32,
    /// Bytes of rows one list answer holds at most (about); a page reaching it ends early, with
    /// a `next_cursor` to the rest. Long fields are cut in list views anyway.
    pub answer_max_bytes: usize,
    /// Longest an export may run, in seconds, before its statement is cancelled.
    pub export_timeout_seconds: u64,
    /// Longest an export waits for its client to read, in seconds; then it is ended and its
    /// connection released.
    pub export_idle_seconds: u64,
    /// Connections of the audit trail's own pool (audit writes never take read connections).
    pub audit_connections: u32,
}

impl Default for ReadBoundsConfig {
    fn default() -> Self {
        ReadBoundsConfig {
            token_max_concurrent: 4,
            answer_max_bytes: 8 * 1024 * 1024,
            export_timeout_seconds: 600,
            export_idle_seconds: 30,
            audit_connections: 2,
        }
    }
}

impl ReadBoundsConfig {
    /// Every bound must be positive.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("token_max_concurrent", self.token_max_concurrent as u64),
            ("answer_max_bytes", self.answer_max_bytes as u64),
            ("export_timeout_seconds", self.export_timeout_seconds),
            ("export_idle_seconds", self.export_idle_seconds),
            ("audit_connections", self.audit_connections as u64),
        ];
        match positive.iter().find(|(_, value)| *value == 0) {
            Some((key, _)) => Err(format!("query.bounds.{key}: must be greater than 0")),
            None => Ok(()),
        }
    }
}
