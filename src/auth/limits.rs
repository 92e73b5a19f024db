//! Per-token rate limits (token buckets from `governor`), one set for reads, one for ingest.

use std::num::NonZeroU32;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::AuthError;
use crate::config::Config;

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Read,
    Ingest,
}

/// The read and ingest token buckets, keyed by token id.
pub struct RateLimits {
    read: DefaultKeyedRateLimiter<i64>,
    ingest: DefaultKeyedRateLimiter<i64>,
    clock: DefaultClock,
}

impl RateLimits {
    /// Buckets with the configured rates and bursts.
    pub fn new(config: &Config) -> RateLimits {
        let quota = |rate: u32, burst: u32| {
            let rate = NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN);
            let burst = NonZeroU32::new(burst.max(rate.get())).unwrap_or(rate);
            Quota::per_second(rate).allow_burst(burst)
        };
        let (query, ingest) = (&config.query, &config.ingest);
        RateLimits {
            read: RateLimiter::keyed(quota(query.token_requests_per_second, query.token_burst)),
            ingest: RateLimiter::keyed(quota(ingest.token_requests_per_second, ingest.token_burst)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from the token's bucket, or says when to retry.
    pub fn check(&self, direction: Direction, token_id: i64) -> Result<(), AuthError> {
        let limiter = match direction {
            Direction::Read => &self.read,
            Direction::Ingest => &self.ingest,
        };
        limiter.check_key(&token_id).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            AuthError::RateLimited {
                retry_after_seconds: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }
}
