//! A component built from the configuration and shared by every request, replaced whole when
//! the configuration is reloaded (`app::reload`): a reader takes the current one and keeps it
//! for its whole batch, so that a batch never sees half of an old and half of a new one.

use std::sync::{Arc, RwLock};

/// The current value, shared; cheap to clone.
#[derive(Debug)]
pub struct Live<T>(Arc<RwLock<Arc<T>>>);

impl<T> Clone for Live<T> {
    fn clone(&self) -> Self {
        Live(Arc::clone(&self.0))
    }
}

impl<T> Live<T> {
    /// Shares `value` until it is replaced.
    pub fn new(value: Arc<T>) -> Live<T> {
        Live(Arc::new(RwLock::new(value)))
    }

    /// The value in force now.
    pub fn current(&self) -> Arc<T> {
        Arc::clone(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts `value` in force for every reader that takes it from now on; gives the old one.
    pub fn replace(&self, value: Arc<T>) -> Arc<T> {
        let mut slot = self.0.write().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut slot, value)
    }
}

impl<T> From<Arc<T>> for Live<T> {
    fn from(value: Arc<T>) -> Live<T> {
        Live::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_keeps_its_value_while_later_readers_see_the_new_one() {
        let live = Live::new(Arc::new(1));
        let shared = live.clone();
        let held = live.current();
        assert_eq!(*shared.replace(Arc::new(2)), 1);
        assert_eq!((*held, *live.current()), (1, 2));
    }
}
