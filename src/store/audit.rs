//! Table `audit_log`: one row per read request, and the admin's view of it. Audit rows are
//! written through their own small pool ([`pool`]), so that a read never waits for a second
//! read connection to be audited.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::config::Config;

/// Longest an audit write waits for a connection of its pool: a read that cannot be audited
/// is answered "busy, retry" soon rather than held.
const AUDIT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest an audit statement may run.
const AUDIT_STATEMENT_TIMEOUT_MS: u64 = 5_000;
/// Characters of a `User-Agent` kept.
pub const USER_AGENT_MAX_CHARS: usize = 512;

/// One audited request.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub token_id: Option<i64>,
    pub token_name: Option<String>,
    pub role: Option<String>,
    pub method: String,
    pub endpoint: String,
    /// The request's query parameters.
    #[schema(value_type = Object)]
    pub filters: Json<Value>,
    /// The HTTP status of the answer.
    pub status: i16,
    /// Rows returned, when the endpoint returns rows.
    pub rows: Option<i64>,
    /// The caller's address (the TCP peer).
    pub client_addr: Option<String>,
    /// The caller's `User-Agent`.
    pub user_agent: Option<String>,
    /// For a streamed answer: `open` until it ends, then how it ended (see [`StreamEnd`]).
    pub stream: Option<String>,
}

/// What is recorded about one request.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub token_id: Option<i64>,
    pub token_name: Option<String>,
    pub role: Option<String>,
    pub method: String,
    pub endpoint: String,
    pub filters: Value,
    pub status: u16,
    pub rows: Option<u64>,
    pub client_addr: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// `Some(StreamEnd::Open)` for a streamed answer whose entry is written before its first
    /// byte; `None` for an answer audited whole.
    pub stream: Option<StreamEnd>,
}

/// How a streamed answer ended, as column `stream` records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// Not ended yet (or the process died mid-stream).
    Open,
    Complete,
    /// The client disconnected.
    ClientGone,
    /// The client stopped reading for longer than the idle bound.
    IdleTimeout,
    /// The statement ran past the export timeout.
    Timeout,
    Failed,
}

impl StreamEnd {
    /// The value of column `stream`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamEnd::Open => "open",
            StreamEnd::Complete => "complete",
            StreamEnd::ClientGone => "client_gone",
            StreamEnd::IdleTimeout => "idle_timeout",
            StreamEnd::Timeout => "timeout",
            StreamEnd::Failed => "failed",
        }
    }
}

/// The audit pool: `query.bounds.audit_connections` connections of their own, with short timeouts.
pub fn pool(config: &Config) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = config.database.url.expose().parse()?;
    let options = options
        .application_name("logbridge-audit")
        .options([("statement_timeout", AUDIT_STATEMENT_TIMEOUT_MS.to_string())]);
    Ok(PgPoolOptions::new()
        .max_connections(config.query.bounds.audit_connections)
        .acquire_timeout(AUDIT_ACQUIRE_TIMEOUT)
        .connect_lazy_with(options))
}

/// Writes one audit row and returns its id.
pub async fn insert(pool: &PgPool, record: &AuditRecord) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO audit_log (token_id, token_name, role, method, endpoint, filters, status, \
         rows, client_addr, user_agent, stream) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::inet, $10, $11) RETURNING id",
    )
    .bind(record.token_id)
    .bind(&record.token_name)
    .bind(&record.role)
    .bind(&record.method)
    .bind(&record.endpoint)
    .bind(Json(&record.filters))
    .bind(record.status as i16)
    .bind(record.rows.map(|rows| rows as i64))
    .bind(record.client_addr.map(|addr| addr.to_string()))
    .bind(&record.user_agent)
    .bind(record.stream.map(StreamEnd::as_str))
    .fetch_one(pool)
    .await
}

/// Completes the entry of a streamed answer: how it ended and the rows it sent.
pub async fn finish(pool: &PgPool, id: i64, end: StreamEnd, rows: u64) -> sqlx::Result<()> {
    sqlx::query("UPDATE audit_log SET stream = $2, rows = $3 WHERE id = $1")
        .bind(id)
        .bind(end.as_str())
        .bind(rows as i64)
        .execute(pool)
        .await?;
    Ok(())
}

/// Filters of the audit view.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub token_id: Option<i64>,
    pub endpoint: Option<String>,
    /// Entries with an id below this one (paging, newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Audit entries, newest first.
pub async fn list(pool: &PgPool, filter: &AuditFilter) -> sqlx::Result<Vec<AuditEntry>> {
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT id, at, token_id, token_name, role, method, endpoint, filters, status, rows, \
         host(client_addr) AS client_addr, user_agent, stream FROM audit_log WHERE true",
    );
    if let Some(from) = filter.from {
        sql.push(" AND at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        sql.push(" AND at < ").push_bind(to);
    }
    if let Some(token_id) = filter.token_id {
        sql.push(" AND token_id = ").push_bind(token_id);
    }
    if let Some(endpoint) = &filter.endpoint {
        sql.push(" AND endpoint = ").push_bind(endpoint.clone());
    }
    if let Some(before) = filter.before_id {
        sql.push(" AND id < ").push_bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ").push_bind(filter.limit);
    sql.build_query_as().fetch_all(pool).await
}
