//! The live tail's notices: every commit with rows of `logs` sends one on [`CHANNEL`], inside
//! its transaction, so that it is delivered only when the rows are committed, and to every
//! bridge listening on the database. A notice names the rows (the transaction id and their
//! time range: `read::tail` fetches exactly them through the `ts` index), never carries them:
//! NOTIFY payloads are limited to 8000 bytes.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};

use super::copy::TimeRange;
use crate::config::Config;

/// The channel of the notices.
pub const CHANNEL: &str = "logbridge_tail";

/// Which rows one commit added to `logs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    /// The committing transaction's id: the rows' `xmin`.
    pub xid: u32,
    /// The rows' earliest and latest `ts`.
    pub times: TimeRange,
}

/// Sends the notice of the current transaction's rows, whose `ts` lie in `times`.
pub(super) async fn notify(connection: &mut PgConnection, times: TimeRange) -> sqlx::Result<()> {
    sqlx::query(
        "SELECT pg_notify($1, concat_ws(' ', xid(pg_current_xact_id())::text, $2::text, $3::text))",
    )
    .bind(CHANNEL)
    .bind(times.first.timestamp_micros())
    .bind(times.last.timestamp_micros())
    .execute(connection)
    .await?;
    Ok(())
}

/// The one connection on which a bridge listens for the notices (connected lazily).
pub fn listener_pool(config: &Config) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = config.database.url.expose().parse()?;
    let options = options.application_name("logbridge-tail");
    Ok(PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(
            config.database.connect_timeout_seconds,
        ))
        .connect_lazy_with(options))
}

impl Notice {
    /// Reads a notice's payload: `<xid> <first µs> <last µs>`; `None` when it is not one.
    pub fn parse(payload: &str) -> Option<Notice> {
        let mut parts = payload.split(' ');
        let xid = parts.next()?.parse().ok()?;
        let mut micros = || -> Option<DateTime<Utc>> {
            DateTime::from_timestamp_micros(parts.next()?.parse().ok()?)
        };
        let (first, last) = (micros()?, micros()?);
        if parts.next().is_some() || first > last {
            return None;
        }
        Some(Notice {
            xid,
            times: TimeRange { first, last },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_are_read_back_and_anything_else_is_refused() {
        let notice = Notice::parse("812 1700000000000000 1700000000500000").unwrap();
        assert_eq!(notice.xid, 812);
        let span = notice.times.last - notice.times.first;
        assert_eq!(span.num_milliseconds(), 500);
        for bad in ["", "812", "x 1 2", "812 1 2 3", "812 5 1", "-1 1 2"] {
            assert_eq!(Notice::parse(bad), None, "{bad:?}");
        }
    }
}
