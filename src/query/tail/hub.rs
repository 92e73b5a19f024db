//! The open tails of this bridge: each with its filter, its caller and a buffer bounded in
//! rows. The listener ([`super::listener`]) hands every committed row to the tails whose filter
//! it matches without ever waiting: a full buffer drops the row and counts it for its tail.
//! A row is shared by every tail it matches ([`SharedRow`]): serialized once for all the tails
//! that see it unmasked.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

use crate::auth::Principal;
use crate::config::TailConfig;
use crate::store::read::{LogFilter, LogRow};

/// Every tail open on this bridge, at most `max_streams`.
pub struct TailHub {
    open: Mutex<HashMap<u64, Subscriber>>,
    next_id: AtomicU64,
    slots: Arc<Semaphore>,
    max_streams: usize,
    buffer_rows: usize,
    closed: watch::Sender<bool>,
}

/// A committed row as every tail it matches shares it: the row, and its JSON as the tails that
/// see it unmasked send it, made once by the first of them.
pub struct SharedRow {
    pub row: LogRow,
    unmasked_json: OnceLock<String>,
}

impl SharedRow {
    pub fn new(row: LogRow) -> SharedRow {
        SharedRow {
            row,
            unmasked_json: OnceLock::new(),
        }
    }

    /// The row as JSON, unmasked; serialized on the first call only.
    pub fn unmasked_json(&self) -> &str {
        // A row always serializes (plain fields and JSON values).
        self.unmasked_json
            .get_or_init(|| serde_json::to_string(&self.row).unwrap_or_default())
    }

    /// Whether the row was serialized already.
    #[cfg(test)]
    pub fn is_serialized(&self) -> bool {
        self.unmasked_json.get().is_some()
    }
}

/// One tail as the listener sees it.
struct Subscriber {
    filter: Arc<LogFilter>,
    sender: mpsc::Sender<Arc<SharedRow>>,
    dropped: Arc<AtomicU64>,
}

/// One tail as its stream sees it: its rows, what was dropped for it, and its caller. Closing it
/// (dropping it) takes it out of the hub and frees its slot.
pub struct Subscription {
    id: u64,
    hub: Arc<TailHub>,
    pub receiver: mpsc::Receiver<Arc<SharedRow>>,
    dropped: Arc<AtomicU64>,
    pub caller: Principal,
    _slot: OwnedSemaphorePermit,
}

/// Why a tail cannot open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// `max_streams` tails are open already.
    Full(usize),
    /// The bridge is stopping.
    Closed,
}

impl TailHub {
    pub fn new(config: &TailConfig) -> Arc<TailHub> {
        Arc::new(TailHub {
            open: Mutex::default(),
            next_id: AtomicU64::new(1),
            slots: Arc::new(Semaphore::new(config.max_streams)),
            max_streams: config.max_streams,
            buffer_rows: config.buffer_rows,
            closed: watch::Sender::new(false),
        })
    }

    /// Opens a tail of the rows matching `filter` (which holds the caller's scope).
    pub fn subscribe(
        self: &Arc<Self>,
        filter: LogFilter,
        caller: Principal,
    ) -> Result<Subscription, Refused> {
        if *self.closed.borrow() {
            return Err(Refused::Closed);
        }
        let slot = (self.slots.clone().try_acquire_owned())
            .map_err(|_| Refused::Full(self.max_streams))?;
        let (sender, receiver) = mpsc::channel(self.buffer_rows);
        let dropped = Arc::new(AtomicU64::new(0));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let subscriber = Subscriber {
            filter: Arc::new(filter),
            sender,
            dropped: dropped.clone(),
        };
        self.lock().insert(id, subscriber);
        Ok(Subscription {
            id,
            hub: self.clone(),
            receiver,
            dropped,
            caller,
            _slot: slot,
        })
    }

    /// The open tails' ids and filters, for one query of the rows they want.
    pub fn filters(&self) -> Vec<(u64, Arc<LogFilter>)> {
        let open = self.lock();
        open.iter().map(|(id, s)| (*id, s.filter.clone())).collect()
    }

    /// Hands `row` to the tail `id` (if still open) without waiting: into its buffer, else
    /// counted as dropped for it.
    pub fn deliver(&self, id: u64, row: &Arc<SharedRow>) {
        let open = self.lock();
        let Some(subscriber) = open.get(&id) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = subscriber.sender.try_send(row.clone()) {
            subscriber.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Ends every tail (each stream sends what it holds, then ends) and refuses new ones.
    pub fn close(&self) {
        self.closed.send_replace(true);
        self.lock().clear();
    }

    /// Completes when the hub is closed.
    pub async fn closed(&self) {
        let mut closed = self.closed.subscribe();
        let _ = closed.wait_for(|closed| *closed).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Subscriber>> {
        self.open.lock().expect("tail hub lock")
    }
}

impl Subscription {
    /// Rows dropped for this tail since the last call.
    pub fn take_dropped(&self) -> u64 {
        self.dropped.swap(0, Ordering::Relaxed)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    pub fn caller() -> Principal {
        Principal {
            token_id: 1,
            name: "t".into(),
            role: Role::Reader,
            services: None,
            origins: None,
        }
    }

    fn hub(max_streams: usize, buffer_rows: usize) -> Arc<TailHub> {
        TailHub::new(&TailConfig {
            max_streams,
            buffer_rows,
            heartbeat_seconds: 15,
        })
    }

    #[test]
    fn tails_are_capped_and_a_closed_tail_frees_its_slot() {
        let hub = hub(1, 4);
        let first = hub.subscribe(LogFilter::default(), caller()).unwrap();
        let refused = hub.subscribe(LogFilter::default(), caller()).err();
        assert_eq!(refused, Some(Refused::Full(1)));
        assert_eq!(hub.filters().len(), 1);
        drop(first);
        assert!(hub.filters().is_empty());
        assert!(hub.subscribe(LogFilter::default(), caller()).is_ok());
    }

    #[test]
    fn a_full_buffer_drops_and_counts_without_waiting() {
        let hub = hub(2, 2);
        let mut slow = hub.subscribe(LogFilter::default(), caller()).unwrap();
        let row = Arc::new(SharedRow::new(super::super::tests::row(1)));
        for _ in 0..5 {
            hub.deliver(slow.id, &row);
        }
        assert_eq!(slow.take_dropped(), 3);
        assert_eq!(slow.take_dropped(), 0, "counted once");
        assert!(slow.receiver.try_recv().is_ok() && slow.receiver.try_recv().is_ok());
    }

    #[test]
    fn closing_ends_the_tails_and_refuses_new_ones() {
        let hub = hub(2, 2);
        let mut open = hub.subscribe(LogFilter::default(), caller()).unwrap();
        hub.close();
        assert!(open.receiver.try_recv().is_err());
        let refused = hub.subscribe(LogFilter::default(), caller()).err();
        assert_eq!(refused, Some(Refused::Closed));
    }
}
