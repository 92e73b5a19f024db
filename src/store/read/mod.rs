//! SQL of the read side: the read API's own connection pool and one module per kind of read.

pub mod alerts;
pub mod days;
pub mod exceptions;
pub mod export;
pub mod filter;
pub mod listings;
pub mod logs;
pub mod monitoring;
pub mod operations;
pub mod page;
pub mod patterns;
mod row;
pub mod spans;
pub mod stats;
pub mod tail;
mod windows;

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::Config;

pub use filter::{LogFilter, StatusFilter};
pub use row::{LIST_JSON_MAX_BYTES, LIST_TEXT_MAX_CHARS, LogRow, Position};

/// Records a read's row count as the `rows` field of the current span (the read's own).
fn counted<T>(rows: sqlx::Result<Vec<T>>) -> sqlx::Result<Vec<T>> {
    if let Ok(rows) = &rows {
        tracing::Span::current().record("rows", rows.len());
    }
    rows
}

/// Records whether a one-row read found its row, as `rows` (0 or 1) of the current span.
fn found<T>(row: sqlx::Result<Option<T>>) -> sqlx::Result<Option<T>> {
    if let Ok(row) = &row {
        tracing::Span::current().record("rows", usize::from(row.is_some()));
    }
    row
}

/// Has the backend check every 2 s whether its client is still there (PostgreSQL 14 and later;
/// older servers do not know the setting, and their reads stop at their next row sent).
async fn check_client_every_2s(connection: &mut sqlx::PgConnection) -> sqlx::Result<()> {
    let set = sqlx::query("SELECT set_config('client_connection_check_interval', '2000', false)");
    if let Err(error) = set.execute(connection).await {
        tracing::debug!(%error, "client_connection_check_interval not set");
    }
    Ok(())
}

/// The read pool: separate from the writers' pool so that slow reads cannot starve ingest,
/// with a statement timeout on every connection, and a backend that checks every few seconds
/// whether its client is still there (a read whose connection was closed mid-scan stops).
pub fn pool(config: &Config) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = config.database.url.expose().parse()?;
    let timeout_ms = config.query.statement_timeout_seconds * 1000;
    let options = options
        .application_name("logbridge-read")
        // JIT compiles generic plans of long ranges for 160-180 ms that interactive reads
        // never win back (bench/RESULTS.md).
        .options([
            ("statement_timeout", timeout_ms.to_string()),
            ("jit", "off".to_string()),
        ]);
    Ok(PgPoolOptions::new()
        .after_connect(|connection, _| Box::pin(check_client_every_2s(connection)))
        .max_connections(config.query.max_connections)
        .acquire_timeout(Duration::from_secs(config.database.connect_timeout_seconds))
        .connect_lazy_with(options))
}
