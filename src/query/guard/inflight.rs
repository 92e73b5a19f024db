//! Reads and exports in flight per token: a semaphore per token, so that one reader cannot hold
//! every connection of the read pool; over the cap the read is answered 429.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The in-flight reads of every token.
pub struct InFlight {
    per_token: u32,
    tokens: Mutex<HashMap<i64, Arc<Semaphore>>>,
}

impl InFlight {
    /// At most `per_token` reads in flight per token.
    pub fn new(per_token: u32) -> InFlight {
        InFlight {
            per_token,
            tokens: Mutex::default(),
        }
    }

    /// The cap per token.
    pub fn per_token(&self) -> u32 {
        self.per_token
    }

    /// A slot for one more read of the token, held until the permit is dropped; `None` when
    /// the token has `per_token` reads in flight already.
    pub fn try_start(&self, token_id: i64) -> Option<OwnedSemaphorePermit> {
        let mut tokens = self.tokens.lock().expect("in-flight lock");
        // Forget idle tokens now and then, so that the map holds only tokens in use.
        if tokens.len() > 1024 {
            let idle = self.per_token as usize;
            tokens.retain(|_, s| s.available_permits() < idle);
        }
        let semaphore = tokens
            .entry(token_id)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_token as usize)));
        semaphore.clone().try_acquire_owned().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_has_its_own_cap() {
        let in_flight = InFlight::new(2);
        let first = in_flight.try_start(1).unwrap();
        let _second = in_flight.try_start(1).unwrap();
        assert!(in_flight.try_start(1).is_none(), "a third read of token 1");
        assert!(in_flight.try_start(2).is_some(), "token 2 is not held back");
        drop(first);
        assert!(
            in_flight.try_start(1).is_some(),
            "a slot freed is taken again"
        );
    }
}
