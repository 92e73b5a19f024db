//! `listen.limits:`: how long a client may take to send a request, how many connections and how
//! many body bytes the listeners ([`crate::listen`]) hold at once; checked at load time.

use serde::{Deserialize, Serialize};

/// Bounds on what clients may hold of the HTTP listener (and, where tonic offers them, of the
/// gRPC one): slow or idle clients are cut off, and connections and body bytes are capped.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenLimits {
    /// Seconds a client has to send a request's headers, counted from when the connection is
    /// ready for a request: so it also closes an HTTP/1 keep-alive connection left idle that
    /// long between requests.
    pub header_read_timeout_seconds: u64,
    /// The window of the body rate rule, in seconds: a body still being read must bring at
    /// least `min_body_bytes_per_second` times this many bytes in every such window (the first
    /// counted from the request's start), or it is cut off (503, connection closed). A burst
    /// earns no credit for a later stall.
    pub body_grace_seconds: u64,
    /// Slowest body accepted, in bytes per second over each window of `body_grace_seconds`.
    pub min_body_bytes_per_second: u64,
    /// Seconds with no byte read or written after which a connection is closed (an idle HTTP/2
    /// connection, a client that stopped reading its answer). Keep it above the reads'
    /// `query.statement_timeout_seconds`, since a query runs silently.
    pub idle_timeout_seconds: u64,
    /// Open HTTP connections, at most; one more is answered 503 with Retry-After and closed.
    /// The gRPC listener has its own cap of the same size.
    pub max_connections: usize,
    /// Bytes of request bodies being read at once over all connections; a body arriving while
    /// they are all taken is answered 503 with Retry-After.
    pub max_body_bytes_in_flight: usize,
    /// Concurrent requests (streams) per gRPC connection.
    pub grpc_max_requests_per_connection: usize,
    /// Longest a gRPC request may take, in seconds.
    pub grpc_request_timeout_seconds: u64,
}

impl Default for ListenLimits {
    fn default() -> Self {
        ListenLimits {
            header_read_timeout_seconds: 10,
            body_grace_seconds: 10,
            min_body_bytes_per_second: 16 * 1024,
            idle_timeout_seconds: 120,
            max_connections: 1024,
            max_body_bytes_in_flight: 64 * 1024 * 1024,
            grpc_max_requests_per_connection: 64,
            grpc_request_timeout_seconds: 60,
        }
    }
}

impl ListenLimits {
    /// The first setting that is 0 (none may be), by its key.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            (
                "header_read_timeout_seconds",
                self.header_read_timeout_seconds as usize,
            ),
            ("body_grace_seconds", self.body_grace_seconds as usize),
            (
                "min_body_bytes_per_second",
                self.min_body_bytes_per_second as usize,
            ),
            ("idle_timeout_seconds", self.idle_timeout_seconds as usize),
            ("max_connections", self.max_connections),
            ("max_body_bytes_in_flight", self.max_body_bytes_in_flight),
            (
                "grpc_max_requests_per_connection",
                self.grpc_max_requests_per_connection,
            ),
            (
                "grpc_request_timeout_seconds",
                self.grpc_request_timeout_seconds as usize,
            ),
        ];
        match positive.iter().find(|(_, value)| *value == 0) {
            Some((key, _)) => Err(format!("listen.limits.{key}: must be greater than 0")),
            None => Ok(()),
        }
    }
}
