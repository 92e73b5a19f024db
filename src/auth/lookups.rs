//! The pace of token lookups in the database. A token not in the cache costs a statement on the
//! writers' pool (the lookup also marks the token used), so a client sending made-up tokens
//! could make the database work for every request: tokens found unknown are remembered for a
//! while (a bounded set), and lookups of uncached tokens, for all requests together, are held
//! to `access.token_lookups_per_second` (429 past it, the database untouched).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::AuthError;

/// How long a token found unknown stays unknown without a new lookup; a token created since
/// in another process works after at most this long.
const UNKNOWN_TTL: Duration = Duration::from_secs(5);
/// Unknown tokens remembered at most; past it the oldest half is forgotten.
const MAX_UNKNOWN: usize = 10_000;

/// Unknown tokens and the budget of lookups.
pub struct Lookups {
    unknown: Mutex<HashMap<Vec<u8>, Instant>>,
    budget: DefaultDirectRateLimiter,
    clock: DefaultClock,
}

impl Lookups {
    /// At most `per_second` lookups a second, in bursts of up to twice as many.
    pub fn new(per_second: u32) -> Lookups {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = rate.saturating_mul(NonZeroU32::new(2).expect("2 is not zero"));
        Lookups {
            unknown: Mutex::default(),
            budget: RateLimiter::direct(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// Whether a lookup of this token hash may go to the database: not when the token was
    /// found unknown lately (401) or when the lookups of the last second used the budget (429).
    pub fn admit(&self, hash: &[u8]) -> Result<(), AuthError> {
        let known_unknown = self.unknown_set().get(hash).is_some_and(|at| fresh(*at));
        if known_unknown {
            return Err(AuthError::Invalid);
        }
        self.budget.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            AuthError::RateLimited {
                retry_after_seconds: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }

    /// Remembers a token the database does not know.
    pub fn found_unknown(&self, hash: &[u8]) {
        let mut unknown = self.unknown_set();
        if unknown.len() >= MAX_UNKNOWN {
            unknown.retain(|_, at| fresh(*at));
        }
        if unknown.len() >= MAX_UNKNOWN {
            let mut times: Vec<Instant> = unknown.values().copied().collect();
            let (_, median, _) = times.select_nth_unstable(MAX_UNKNOWN / 2);
            let median = *median;
            unknown.retain(|_, at| *at > median);
        }
        unknown.insert(hash.to_vec(), Instant::now());
    }

    /// Forgets the unknown tokens, when tokens were created in this process.
    pub fn forget(&self) {
        self.unknown_set().clear();
    }

    fn unknown_set(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Instant>> {
        self.unknown.lock().expect("unknown token set lock")
    }
}

fn fresh(at: Instant) -> bool {
    at.elapsed() < UNKNOWN_TTL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_token_is_not_looked_up_again_at_once() {
        let lookups = Lookups::new(1_000);
        assert_eq!(lookups.admit(b"a"), Ok(()));
        lookups.found_unknown(b"a");
        assert_eq!(lookups.admit(b"a"), Err(AuthError::Invalid));
        assert_eq!(lookups.admit(b"b"), Ok(()));
        lookups.forget();
        assert_eq!(lookups.admit(b"a"), Ok(()));
    }

    #[test]
    fn lookups_past_the_budget_are_refused_without_the_database() {
        let lookups = Lookups::new(5);
        let admitted = (0..100u32)
            .filter(|i| lookups.admit(&i.to_be_bytes()).is_ok())
            .count();
        assert!((5..=10).contains(&admitted), "{admitted}");
        let refused = lookups.admit(b"late").unwrap_err();
        assert!(
            matches!(refused, AuthError::RateLimited { .. }),
            "{refused:?}"
        );
    }

    #[test]
    fn the_unknown_set_stays_bounded() {
        let lookups = Lookups::new(1);
        for i in 0..(MAX_UNKNOWN as u32 + 10) {
            lookups.found_unknown(&i.to_be_bytes());
        }
        assert!(lookups.unknown_set().len() <= MAX_UNKNOWN);
    }
}
