//! The export of `logs`: every matching row, newest first, streamed through a channel bounded
//! in bytes as well as rows, so that memory stays flat whatever the size of the rows. The
//! statement has its own timeout; an export whose client stops reading for the idle bound, or
//! goes away, is ended and its connection closed (not returned to the pool, which would wait
//! for every remaining row while the backend kept scanning).

use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt as _;
use sqlx::pool::PoolConnection;
use sqlx::{Acquire as _, PgConnection, Postgres, QueryBuilder};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::filter::LogFilter;
use super::row::{FULL_COLUMNS, LogRow};
use crate::store::audit::StreamEnd;

/// Rows in flight between the database and the encoder, at most.
const CHANNEL_ROWS: usize = 1024;

/// How long an export may run and wait for its client.
#[derive(Debug, Clone, Copy)]
pub struct ExportLimits {
    /// The statement timeout of the export.
    pub timeout: Duration,
    /// Longest the export waits for room in the channel (the client reading).
    pub idle: Duration,
}

/// The sending half of a row channel bounded in bytes.
pub struct RowSender {
    rows: mpsc::Sender<(LogRow, OwnedSemaphorePermit)>,
    bytes: Arc<Semaphore>,
    max_bytes: u32,
}

/// The receiving half: rows in the order sent; `None` once the sender is gone.
pub struct RowReceiver {
    rows: mpsc::Receiver<(LogRow, OwnedSemaphorePermit)>,
    bytes: Arc<Semaphore>,
}

/// A channel holding at most `max_bytes` of rows (about; a row larger than that passes alone).
pub fn row_channel(max_bytes: u32) -> (RowSender, RowReceiver) {
    let (sender, receiver) = mpsc::channel(CHANNEL_ROWS);
    let bytes = Arc::new(Semaphore::new(max_bytes as usize));
    let sending = RowSender {
        rows: sender,
        bytes: bytes.clone(),
        max_bytes,
    };
    (
        sending,
        RowReceiver {
            rows: receiver,
            bytes,
        },
    )
}

impl RowSender {
    /// Sends a row once there is room for its bytes; `Err` when the receiver is gone.
    async fn send(&self, row: LogRow) -> Result<(), ()> {
        let size = row.approx_bytes().clamp(1, self.max_bytes as usize) as u32;
        let permit = self.bytes.clone().acquire_many_owned(size).await;
        let permit = permit.map_err(|_| ())?;
        self.rows.send((row, permit)).await.map_err(|_| ())
    }
}

impl RowReceiver {
    /// The next row, waiting for it; `None` when the export has ended.
    pub async fn recv(&mut self) -> Option<LogRow> {
        self.rows.recv().await.map(|(row, _room)| row)
    }

    /// The next row if one has arrived.
    pub fn try_recv(&mut self) -> Result<LogRow, mpsc::error::TryRecvError> {
        self.rows.try_recv().map(|(row, _room)| row)
    }
}

impl Drop for RowReceiver {
    fn drop(&mut self) {
        // Wakes a sender waiting for room: nobody will read.
        self.bytes.close();
    }
}

/// Streams every matching row, newest first, into `rows` over `connection` (taken from the read
/// pool before the answer began, so that a busy pool is answered as such); returns how the
/// export ended and the rows sent. A failure is logged here.
#[tracing::instrument(name = "read.logs.export", skip_all,
    fields(filter = %filter.shape(), rows = tracing::field::Empty, end = tracing::field::Empty))]
pub async fn export(
    mut connection: PoolConnection<Postgres>,
    filter: &LogFilter,
    rows: RowSender,
    limits: ExportLimits,
) -> (StreamEnd, u64) {
    let mut sent = 0;
    let end = stream(&mut connection, filter, &rows, limits, &mut sent).await;
    if end != StreamEnd::Complete {
        // The statement may still be running: end its backend now.
        connection.close_on_drop();
    }
    let span = tracing::Span::current();
    span.record("rows", sent);
    span.record("end", end.as_str());
    (end, sent)
}

async fn stream(
    connection: &mut PgConnection,
    filter: &LogFilter,
    rows: &RowSender,
    limits: ExportLimits,
    sent: &mut u64,
) -> StreamEnd {
    let mut transaction = match connection.begin().await {
        Ok(transaction) => transaction,
        Err(error) => return failed(error),
    };
    let timeout_ms = limits.timeout.as_millis().to_string();
    let set = sqlx::query("SELECT set_config('statement_timeout', $1, true)").bind(timeout_ms);
    if let Err(error) = set.execute(&mut *transaction).await {
        return failed(error);
    }
    let mut sql = QueryBuilder::<Postgres>::new(format!("SELECT {FULL_COLUMNS} FROM logs"));
    filter.push_where(&mut sql);
    sql.push(" ORDER BY ts DESC, id DESC");
    let mut stream = sql.build_query_as::<LogRow>().fetch(&mut *transaction);
    loop {
        let next = tokio::select! {
            next = stream.try_next() => next,
            () = rows.rows.closed() => return StreamEnd::ClientGone,
        };
        let row = match next {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(error) => return failed(error),
        };
        match tokio::time::timeout(limits.idle, rows.send(row)).await {
            Ok(Ok(())) => *sent += 1,
            Ok(Err(())) => return StreamEnd::ClientGone,
            Err(_) => return StreamEnd::IdleTimeout,
        }
    }
    drop(stream);
    match transaction.commit().await {
        Ok(()) => StreamEnd::Complete,
        Err(error) => failed(error),
    }
}

fn failed(error: sqlx::Error) -> StreamEnd {
    if crate::store::is_query_canceled(&error) {
        tracing::warn!("export ran past its statement timeout");
        return StreamEnd::Timeout;
    }
    tracing::error!(%error, "export query failed");
    StreamEnd::Failed
}
