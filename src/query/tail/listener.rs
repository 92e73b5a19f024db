//! The bridge's one listener of the tail's notices: it gathers the notices that arrived
//! together, fetches their rows once for every open tail (`store::read::tail`), and hands each
//! row to the tails it matches ([`TailHub::deliver`], which never waits). With no tail open it
//! only reads the notices. A lost connection is made again; rows committed while it was down
//! are not tailed.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::hub::{SharedRow, TailHub};
use crate::store::read::LogFilter;
use crate::store::read::tail::{self, TailRow};
use crate::store::tail::{CHANNEL, Notice};

/// Notices fetched together at most.
const NOTICES_PER_FETCH: usize = 256;
/// Pause before connecting again after a failure.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// Listens until the hub is closed.
pub async fn run(hub: Arc<TailHub>, reads: PgPool, listen: PgPool) {
    tokio::select! {
        () = listen_forever(&hub, &reads, &listen) => {}
        () = hub.closed() => {}
    }
}

async fn listen_forever(hub: &TailHub, reads: &PgPool, listen: &PgPool) {
    loop {
        match connect(listen).await {
            Ok(listener) => relay(hub, reads, listener).await,
            Err(error) => tracing::warn!(%error, "tail listener cannot connect; retrying"),
        }
        tokio::time::sleep(RECONNECT_PAUSE).await;
    }
}

async fn connect(listen: &PgPool) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(listen).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Relays notices until the listener fails.
async fn relay(hub: &TailHub, reads: &PgPool, mut listener: PgListener) {
    loop {
        let notices = match gather(&mut listener).await {
            Ok(notices) => notices,
            Err(error) => {
                tracing::warn!(%error, "tail listener failed; connecting again");
                return;
            }
        };
        let open = hub.filters();
        if notices.is_empty() || open.is_empty() {
            continue;
        }
        let filters: Vec<&LogFilter> = open.iter().map(|(_, f)| f.as_ref()).collect();
        match tail::rows(reads, &notices, &filters).await {
            Ok(rows) => hand_out(hub, &open, rows),
            Err(error) => tracing::warn!(%error, "tail rows not read; these rows are not tailed"),
        }
    }
}

/// Waits for a notice, then takes those already received, up to [`NOTICES_PER_FETCH`].
async fn gather(listener: &mut PgListener) -> sqlx::Result<Vec<Notice>> {
    let Some(first) = listener.try_recv().await? else {
        tracing::warn!(
            "tail listener lost its connection; rows committed meanwhile are not tailed"
        );
        return Ok(Vec::new());
    };
    let mut notices: Vec<Notice> = Notice::parse(first.payload()).into_iter().collect();
    while notices.len() < NOTICES_PER_FETCH {
        let Some(next) = listener.next_buffered() else {
            break;
        };
        notices.extend(Notice::parse(next.payload()));
    }
    Ok(notices)
}

/// Gives each row to the tails whose filter it matched.
fn hand_out(hub: &TailHub, open: &[(u64, Arc<LogFilter>)], rows: Vec<TailRow>) {
    for TailRow { row, matches } in rows {
        let row = Arc::new(SharedRow::new(row));
        let matched = open.iter().zip(matches).filter(|(_, m)| *m);
        for ((id, _), _) in matched {
            hub.deliver(*id, &row);
        }
    }
}
