//! Repeated errors collapsed in the bridge's own log: the first occurrence of an error is
//! logged, the repeats within a window are only counted, and the first occurrence after the
//! window is logged with a summary ("repeated 29 times in the last 60s"). An error is logged
//! with its `source()` chain on one line ([`chain`]).

use std::collections::HashMap;
use std::error::Error;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long repeats of one error are counted before the next is logged with their count.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Distinct errors tracked at once; past it the oldest entries are forgotten (so a flood of
/// distinct messages costs bounded memory and is logged, not collapsed).
const MAX_TRACKED: usize = 256;

/// The time, from the system or (in tests) a fake.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
}

/// The monotonic system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// What to do with one occurrence of an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrence {
    /// Log it: first seen, or first since a window without repeats.
    First,
    /// Log it with the count of repeats left unlogged over the last `over`.
    Repeated { times: u64, over: Duration },
    /// Count it, do not log it.
    Suppressed,
}

impl Occurrence {
    /// The suffix of the logged line: empty, or `" (repeated N times in the last Xs)"`.
    pub fn suffix(self) -> String {
        match self {
            Occurrence::Repeated { times, over } => {
                format!(" (repeated {times} times in the last {}s)", over.as_secs())
            }
            _ => String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    since: Instant,
    suppressed: u64,
}

/// Tracks the errors logged recently, by their text.
pub struct Repeats<C = SystemClock> {
    window: Duration,
    clock: C,
    seen: Mutex<HashMap<String, Seen>>,
}

impl Default for Repeats {
    fn default() -> Self {
        Repeats::with_clock(WINDOW, SystemClock)
    }
}

impl<C: Clock> Repeats<C> {
    pub fn with_clock(window: Duration, clock: C) -> Self {
        Repeats {
            window,
            clock,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Records one occurrence of the error `key` and says whether to log it.
    pub fn occur(&self, key: &str) -> Occurrence {
        let now = self.clock.now();
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(entry) = seen.get_mut(key) else {
            if seen.len() >= MAX_TRACKED {
                forget_oldest(&mut seen);
            }
            let first = Seen {
                since: now,
                suppressed: 0,
            };
            seen.insert(key.to_string(), first);
            return Occurrence::First;
        };
        let over = now.saturating_duration_since(entry.since);
        if over < self.window {
            entry.suppressed += 1;
            return Occurrence::Suppressed;
        }
        let times = std::mem::take(&mut entry.suppressed);
        entry.since = now;
        match times {
            0 => Occurrence::First,
            times => Occurrence::Repeated { times, over },
        }
    }
}

fn forget_oldest(seen: &mut HashMap<String, Seen>) {
    let oldest = seen
        .iter()
        .min_by_key(|(_, s)| s.since)
        .map(|(k, _)| k.clone());
    if let Some(key) = oldest {
        seen.remove(&key);
    }
}

/// An error and its causes on one line, `a: b: c`, leaving out a cause whose text the line
/// already holds (many errors put their source's text in their own message).
pub fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !cause_text.is_empty() && !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// A clock that moves only when told to.
    #[derive(Clone)]
    struct FakeClock {
        start: Instant,
        elapsed_ms: Arc<AtomicU64>,
    }

    impl FakeClock {
        fn advance(&self, duration: Duration) {
            let ms = duration.as_millis() as u64;
            self.elapsed_ms.fetch_add(ms, Ordering::Relaxed);
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Instant {
            self.start + Duration::from_millis(self.elapsed_ms.load(Ordering::Relaxed))
        }
    }

    fn repeats() -> (Repeats<FakeClock>, FakeClock) {
        let clock = FakeClock {
            start: Instant::now(),
            elapsed_ms: Arc::default(),
        };
        (Repeats::with_clock(WINDOW, clock.clone()), clock)
    }

    #[test]
    fn repeats_within_the_window_are_counted_and_summarized_after_it() {
        let (repeats, clock) = repeats();
        assert_eq!(repeats.occur("db down"), Occurrence::First);
        for _ in 0..29 {
            clock.advance(Duration::from_secs(1));
            assert_eq!(repeats.occur("db down"), Occurrence::Suppressed);
        }
        clock.advance(Duration::from_secs(31));
        let summary = repeats.occur("db down");
        let expected = Occurrence::Repeated {
            times: 29,
            over: Duration::from_secs(60),
        };
        assert_eq!(summary, expected);
        assert_eq!(summary.suffix(), " (repeated 29 times in the last 60s)");
        clock.advance(Duration::from_secs(1));
        assert_eq!(repeats.occur("db down"), Occurrence::Suppressed);
    }

    #[test]
    fn distinct_errors_and_an_error_after_a_quiet_window_are_logged() {
        let (repeats, clock) = repeats();
        assert_eq!(repeats.occur("a"), Occurrence::First);
        assert_eq!(repeats.occur("b"), Occurrence::First);
        clock.advance(WINDOW * 2);
        assert_eq!(repeats.occur("a"), Occurrence::First);
    }

    #[test]
    fn tracked_errors_are_bounded() {
        let (repeats, _) = repeats();
        for n in 0..MAX_TRACKED * 2 {
            assert_eq!(repeats.occur(&n.to_string()), Occurrence::First);
        }
        assert!(repeats.seen.lock().unwrap().len() <= MAX_TRACKED);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("{message}")]
    struct Layer {
        message: String,
        #[source]
        source: Option<Box<Layer>>,
    }

    fn layer(message: &str, source: Option<Layer>) -> Layer {
        Layer {
            message: message.into(),
            source: source.map(Box::new),
        }
    }

    #[test]
    fn a_chain_is_one_line_without_a_cause_already_in_the_message() {
        let root = layer("connection refused", None);
        let middle = layer(
            "connecting to 127.0.0.1:5432: connection refused",
            Some(root),
        );
        let top = layer("preparing the database", Some(middle));
        assert_eq!(
            chain(&top),
            "preparing the database: connecting to 127.0.0.1:5432: connection refused"
        );
        let plain = layer("a", Some(layer("b", Some(layer("c", None)))));
        assert_eq!(chain(&plain), "a: b: c");
    }
}
