//! Requests sent twice: the Faro Web SDK gives each batch an `Idempotency-Key` and keeps it
//! across its retries, and on unload a keepalive request that is still on its way can be sent
//! again without keepalive (the page sees the first fail while the browser delivers it). A
//! request whose key (with its credentials) was committed lately is answered without storing it
//! again; one that arrives while its twin is in flight waits for the twin's outcome. Bounded:
//! keys are remembered for [`REMEMBERED_FOR`], at most [`MAX_KEYS`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// How long a committed request's key is remembered.
const REMEMBERED_FOR: Duration = Duration::from_secs(300);
/// Keys remembered at most; past it the committed ones are forgotten.
const MAX_KEYS: usize = 100_000;
/// Longer keys are not remembered (the SDK sends 20 characters).
const MAX_KEY_BYTES: usize = 128;

enum Entry {
    /// Being received; the sender says whether it was committed.
    InFlight(watch::Receiver<Option<bool>>),
    Committed(Instant),
}

/// The keys of recent requests. Cheap to clone.
#[derive(Clone, Default)]
pub struct Idempotency {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

/// What to do with a request.
pub enum Claim {
    /// Receive it; tell the claim how it ended.
    Fresh(Claimed),
    /// Its twin was committed: answer as if it was, store nothing.
    Duplicate,
}

/// A request being received under its key.
pub struct Claimed {
    key: Option<String>,
    entries: Arc<Mutex<HashMap<String, Entry>>>,
    outcome: Option<watch::Sender<Option<bool>>>,
}

impl Idempotency {
    /// Claims `key` (scoped by `credentials`) for a request; without a usable key, always fresh.
    pub async fn claim(&self, credentials: Option<&str>, key: Option<&str>) -> Claim {
        let Some(key) = key.filter(|k| !k.is_empty() && k.len() <= MAX_KEY_BYTES) else {
            return Claim::Fresh(self.claimed(None, None));
        };
        let key = format!("{}\n{key}", credentials.unwrap_or(""));
        loop {
            let mut twin = {
                let mut entries = self.entries.lock().expect("idempotency lock");
                match entries.get(&key) {
                    Some(Entry::Committed(at)) if at.elapsed() < REMEMBERED_FOR => {
                        return Claim::Duplicate;
                    }
                    Some(Entry::InFlight(twin)) => twin.clone(),
                    _ => {
                        forget_old(&mut entries);
                        let (sender, receiver) = watch::channel(None);
                        entries.insert(key.clone(), Entry::InFlight(receiver));
                        return Claim::Fresh(self.claimed(Some(key), Some(sender)));
                    }
                }
            };
            // The twin's outcome, or its end without one; then look again.
            let _ = twin.wait_for(Option::is_some).await;
        }
    }

    fn claimed(
        &self,
        key: Option<String>,
        outcome: Option<watch::Sender<Option<bool>>>,
    ) -> Claimed {
        Claimed {
            key,
            entries: Arc::clone(&self.entries),
            outcome,
        }
    }
}

impl Claimed {
    /// Records whether the request was committed: a committed key is remembered, another freed
    /// for a retry.
    pub fn finish(mut self, committed: bool) {
        self.settle(committed);
    }

    fn settle(&mut self, committed: bool) {
        let Some(key) = self.key.take() else {
            return;
        };
        let mut entries = self.entries.lock().expect("idempotency lock");
        if committed {
            entries.insert(key, Entry::Committed(Instant::now()));
        } else {
            entries.remove(&key);
        }
        drop(entries);
        if let Some(outcome) = self.outcome.take() {
            let _ = outcome.send(Some(committed));
        }
    }
}

impl Drop for Claimed {
    /// A request dropped before it ended (its client went away) frees its key.
    fn drop(&mut self) {
        self.settle(false);
    }
}

fn forget_old(entries: &mut HashMap<String, Entry>) {
    if entries.len() < MAX_KEYS {
        return;
    }
    entries.retain(|_, entry| match entry {
        Entry::Committed(at) => at.elapsed() < REMEMBERED_FOR,
        Entry::InFlight(_) => true,
    });
    if entries.len() >= MAX_KEYS {
        entries.retain(|_, entry| matches!(entry, Entry::InFlight(_)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(claim: Claim) -> Claimed {
        match claim {
            Claim::Fresh(claimed) => claimed,
            Claim::Duplicate => panic!("a duplicate"),
        }
    }

    #[tokio::test]
    async fn a_committed_key_is_a_duplicate_for_the_same_credentials_only() {
        let keys = Idempotency::default();
        fresh(keys.claim(Some("Bearer a"), Some("k1")).await).finish(true);
        let again = keys.claim(Some("Bearer a"), Some("k1")).await;
        assert!(matches!(again, Claim::Duplicate));
        fresh(keys.claim(Some("Bearer b"), Some("k1")).await).finish(true);
        fresh(keys.claim(Some("Bearer a"), None).await).finish(true);
        fresh(keys.claim(Some("Bearer a"), None).await).finish(true);
    }

    #[tokio::test]
    async fn a_failed_or_dropped_request_frees_its_key() {
        let keys = Idempotency::default();
        fresh(keys.claim(None, Some("k")).await).finish(false);
        drop(fresh(keys.claim(None, Some("k")).await));
        fresh(keys.claim(None, Some("k")).await).finish(true);
        assert!(matches!(
            keys.claim(None, Some("k")).await,
            Claim::Duplicate
        ));
    }

    #[tokio::test]
    async fn a_twin_in_flight_waits_for_its_outcome() {
        let keys = Idempotency::default();
        let first = fresh(keys.claim(None, Some("k")).await);
        let waiting = tokio::spawn({
            let keys = keys.clone();
            async move { matches!(keys.claim(None, Some("k")).await, Claim::Duplicate) }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        first.finish(true);
        assert!(
            waiting.await.unwrap(),
            "the twin is a duplicate once the first committed"
        );

        let first = fresh(keys.claim(None, Some("j")).await);
        let waiting = tokio::spawn({
            let keys = keys.clone();
            async move {
                let claim = keys.claim(None, Some("j")).await;
                matches!(claim, Claim::Fresh(_))
            }
        });
        tokio::task::yield_now().await;
        first.finish(false);
        assert!(
            waiting.await.unwrap(),
            "the twin is received when the first failed"
        );
    }
}
