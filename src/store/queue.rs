//! The ingest queue's capacity: records and bytes waiting to be committed, both bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Capacity accounting shared by every request; a reservation is held until its commit ends.
#[derive(Debug)]
pub struct Queue {
    records: AtomicUsize,
    bytes: AtomicUsize,
    max_records: usize,
    max_bytes: usize,
}

/// Room reserved in the queue; released when dropped.
#[derive(Debug)]
pub struct Permit {
    queue: Arc<Queue>,
    records: usize,
    bytes: usize,
}

impl Queue {
    /// An empty queue with the given bounds.
    pub fn new(max_records: usize, max_bytes: usize) -> Arc<Queue> {
        Arc::new(Queue {
            records: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
            max_records,
            max_bytes,
        })
    }

    /// Whether a batch of this size could ever fit, even into an empty queue.
    pub fn fits_at_all(&self, records: usize, bytes: usize) -> bool {
        records <= self.max_records && bytes <= self.max_bytes
    }

    /// Reserves room for a batch, or `None` when the queue is too full to take it now.
    pub fn try_reserve(self: &Arc<Self>, records: usize, bytes: usize) -> Option<Permit> {
        let held_records = self.records.fetch_add(records, Ordering::AcqRel);
        let held_bytes = self.bytes.fetch_add(bytes, Ordering::AcqRel);
        let permit = Permit {
            queue: Arc::clone(self),
            records,
            bytes,
        };
        let over = held_records + records > self.max_records || held_bytes + bytes > self.max_bytes;
        // Dropping the permit gives the room back.
        (!over).then_some(permit)
    }

    /// Records currently held.
    pub fn records(&self) -> usize {
        self.records.load(Ordering::Acquire)
    }

    /// Bytes currently held.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.queue.records.fetch_sub(self.records, Ordering::AcqRel);
        self.queue.bytes.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_bounded_and_released_on_drop() {
        let queue = Queue::new(10, 1000);
        let first = queue.try_reserve(6, 100).expect("fits");
        assert!(queue.try_reserve(5, 100).is_none(), "11 records exceed 10");
        assert_eq!(
            queue.records(),
            6,
            "a refused reservation leaves nothing held"
        );
        let second = queue.try_reserve(4, 900).expect("exactly full fits");
        assert!(queue.try_reserve(0, 1).is_none(), "bytes are bounded too");
        drop(first);
        drop(second);
        assert_eq!((queue.records(), queue.bytes()), (0, 0));
    }

    #[test]
    fn oversized_batches_never_fit() {
        let queue = Queue::new(10, 1000);
        assert!(!queue.fits_at_all(11, 1));
        assert!(!queue.fits_at_all(1, 1001));
        assert!(queue.fits_at_all(10, 1000));
    }
}
