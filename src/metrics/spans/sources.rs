//! Which signal counts a service's requests and queries, so that a request sent both as a
//! server span and as an access log is counted once: under `auto`, a service's spans take
//! over once it has sent an HTTP server span (a database client span, for queries) within the
//! window, and its logs count again when the window passes without one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::{MetricSource, MetricsConfig};

/// Services remembered per signal; past it those seen longest ago are forgotten (their logs
/// count again until their next span).
const MAX_SERVICES: usize = 100_000;

/// When each service last sent spans of one signal.
#[derive(Debug, Default)]
struct LastSeen(HashMap<String, Instant>);

impl LastSeen {
    fn mark(&mut self, service: &str, now: Instant, window: Duration) {
        if let Some(seen) = self.0.get_mut(service) {
            *seen = now;
            return;
        }
        if self.0.len() >= MAX_SERVICES {
            self.make_room(now, window);
        }
        self.0.insert(service.to_string(), now);
    }

    /// Forgets the services whose window has passed, and when that is not enough the tenth
    /// seen longest ago: linear, but once per tenth of the map's size at worst.
    fn make_room(&mut self, now: Instant, window: Duration) {
        self.0.retain(|_, seen| now.duration_since(*seen) < window);
        if self.0.len() < MAX_SERVICES {
            return;
        }
        let mut times: Vec<Instant> = self.0.values().copied().collect();
        let (_, cutoff, _) = times.select_nth_unstable(MAX_SERVICES / 10);
        let cutoff = *cutoff;
        self.0.retain(|_, seen| *seen > cutoff);
    }

    fn within(&self, service: &str, now: Instant, window: Duration) -> bool {
        (self.0.get(service)).is_some_and(|seen| now.duration_since(*seen) < window)
    }
}

/// One signal's choice (requests or queries) and who sent spans of it lately.
#[derive(Debug)]
pub struct Source {
    from: MetricSource,
    window: Duration,
    seen: Mutex<LastSeen>,
}

impl Source {
    fn new(from: MetricSource, window: Duration) -> Source {
        Source {
            from,
            window,
            seen: Mutex::default(),
        }
    }

    /// Whether spans count at all.
    pub fn spans_count(&self) -> bool {
        self.from != MetricSource::Logs
    }

    /// Notes that these services sent spans of this signal at `now`.
    pub fn mark<'s>(&self, services: impl IntoIterator<Item = &'s str>, now: Instant) {
        if self.from != MetricSource::Auto {
            return;
        }
        let mut seen = self.seen.lock().expect("sources lock");
        for service in services {
            seen.mark(service, now, self.window);
        }
    }

    /// Which of a batch's log samples count: `counts(service)` is asked for each, under one
    /// lock.
    pub fn logs_count<R>(
        &self,
        now: Instant,
        decide: impl FnOnce(&dyn Fn(&str) -> bool) -> R,
    ) -> R {
        match self.from {
            MetricSource::Spans => decide(&|_| false),
            MetricSource::Logs => decide(&|_| true),
            MetricSource::Auto => {
                let seen = self.seen.lock().expect("sources lock");
                decide(&|service| !seen.within(service, now, self.window))
            }
        }
    }
}

/// The choices of requests and of queries.
#[derive(Debug)]
pub struct Sources {
    pub requests: Source,
    pub queries: Source,
}

impl Sources {
    /// The sources of the `metrics:` settings.
    pub fn new(config: &MetricsConfig) -> Sources {
        let window = Duration::from_secs(config.span_window_seconds);
        Sources {
            requests: Source::new(config.requests_from, window),
            queries: Source::new(config.queries_from, window),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(from: MetricSource) -> Source {
        Source::new(from, Duration::from_secs(300))
    }

    fn logs_count(source: &Source, service: &str, now: Instant) -> bool {
        source.logs_count(now, |counts| counts(service))
    }

    #[test]
    fn under_auto_spans_take_over_for_the_window_then_logs_count_again() {
        let source = source(MetricSource::Auto);
        let start = Instant::now();
        assert!(logs_count(&source, "api", start), "no spans yet");
        source.mark(["api"], start);
        assert!(source.spans_count());
        assert!(!logs_count(
            &source,
            "api",
            start + Duration::from_secs(299)
        ));
        assert!(logs_count(&source, "web", start), "another service");
        assert!(logs_count(&source, "api", start + Duration::from_secs(300)));
    }

    #[test]
    fn a_forced_source_ignores_what_was_sent() {
        let now = Instant::now();
        let spans = source(MetricSource::Spans);
        spans.mark(["api"], now);
        assert!(spans.spans_count());
        assert!(!logs_count(&spans, "never-traced", now));
        let logs = source(MetricSource::Logs);
        logs.mark(["api"], now);
        assert!(!logs.spans_count());
        assert!(logs_count(&logs, "api", now));
    }

    #[test]
    fn the_services_remembered_are_bounded() {
        let mut seen = LastSeen::default();
        let window = Duration::from_secs(300);
        let start = Instant::now();
        for i in 0..MAX_SERVICES + 10 {
            seen.mark(
                &format!("s{i}"),
                start + Duration::from_millis(i as u64),
                window,
            );
        }
        assert!(seen.0.len() <= MAX_SERVICES, "{}", seen.0.len());
        assert!(seen.0.len() >= MAX_SERVICES * 8 / 10, "{}", seen.0.len());
        assert!(!seen.0.contains_key("s0"), "the oldest are forgotten");
        assert!(seen.0.contains_key(&format!("s{}", MAX_SERVICES + 9)));
    }
}
