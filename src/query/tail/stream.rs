//! One tail's events: its rows (masked for its caller) as `log` events, and before the next
//! row a `dropped` event whenever rows were left out because the client read too slowly. The
//! audit entry is completed with the rows sent when the stream ends: `client_gone` when the
//! client left, `complete` when the bridge stopped. An unmasked tail sends the row's shared
//! JSON (serialized once for all such tails); a masked one masks a copy and serializes it.

use std::convert::Infallible;
use std::sync::Arc;

use axum::response::sse::Event;
use futures_util::Stream;
use tokio::sync::oneshot;

use super::hub::{SharedRow, Subscription};
use crate::query::logs::masked;
use crate::store::audit::StreamEnd;

/// The events of a tail; `ended` learns how it ended and how many rows it sent.
pub fn events(
    subscription: Subscription,
    ended: oneshot::Sender<(StreamEnd, u64)>,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let tail = Tail {
        subscription,
        sent: 0,
        ended: Some(ended),
    };
    futures_util::stream::unfold(tail, |mut tail| async move {
        let event = tail.next_event().await?;
        Some((Ok(event), tail))
    })
}

struct Tail {
    subscription: Subscription,
    sent: u64,
    ended: Option<oneshot::Sender<(StreamEnd, u64)>>,
}

impl Tail {
    /// The next event; `None` once the hub has closed and every buffered row was sent.
    async fn next_event(&mut self) -> Option<Event> {
        let dropped = self.subscription.take_dropped();
        if dropped > 0 {
            return Some(dropped_event(dropped));
        }
        let Some(row) = self.subscription.receiver.recv().await else {
            self.report(StreamEnd::Complete);
            return None;
        };
        self.sent += 1;
        Some(self.log_event(row))
    }

    fn log_event(&self, shared: Arc<SharedRow>) -> Event {
        let caller = &self.subscription.caller;
        let event = Event::default().event("log").id(shared.row.id.to_string());
        if !caller.masks_personal_data() {
            return event.data(shared.unmasked_json());
        }
        let row = masked(vec![shared.row.clone()], caller).remove(0);
        // A row always serializes (plain fields and JSON values).
        event
            .json_data(&row)
            .unwrap_or_else(|_| Event::default().event("log"))
    }

    fn report(&mut self, end: StreamEnd) {
        if let Some(ended) = self.ended.take() {
            let _ = ended.send((end, self.sent));
        }
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        self.report(StreamEnd::ClientGone);
    }
}

fn dropped_event(dropped: u64) -> Event {
    let data = serde_json::json!({ "dropped": dropped }).to_string();
    Event::default().event("dropped").data(data)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures_util::StreamExt;

    use super::*;
    use crate::auth::{Principal, Role};
    use crate::config::TailConfig;
    use crate::query::tail::TailHub;
    use crate::store::read::LogFilter;

    fn principal(role: Role) -> Principal {
        Principal {
            token_id: 1,
            name: "t".into(),
            role,
            services: None,
            origins: None,
        }
    }

    fn shared(id: i64) -> Arc<SharedRow> {
        Arc::new(SharedRow::new(crate::query::tail::tests::row(id)))
    }

    /// The text of an event as sent on the wire.
    fn wire(event: Event) -> String {
        format!("{event:?}")
    }

    #[tokio::test]
    async fn a_slow_reader_is_told_how_many_rows_it_missed() {
        let config = TailConfig {
            max_streams: 1,
            buffer_rows: 2,
            heartbeat_seconds: 15,
        };
        let hub = TailHub::new(&config);
        let subscription = hub.subscribe(LogFilter::default(), principal(Role::Reader));
        let (ended, count) = oneshot::channel();
        let mut events = Box::pin(events(subscription.unwrap(), ended));
        let (id, _) = hub.filters()[0].clone();
        for n in 0..5 {
            hub.deliver(id, &shared(n));
        }
        let first = wire(events.next().await.unwrap().unwrap());
        assert!(first.contains("dropped") && first.contains("3"), "{first}");
        for _ in 0..2 {
            let log = wire(events.next().await.unwrap().unwrap());
            assert!(
                log.contains("log") && log.contains("bob@example.com"),
                "{log}"
            );
        }
        hub.close();
        assert!(
            events.next().await.is_none(),
            "the stream ends when the hub closes"
        );
        assert_eq!(count.await.unwrap(), (StreamEnd::Complete, 2));
    }

    #[tokio::test]
    async fn support_callers_get_masked_rows_and_a_gone_client_is_reported() {
        let hub = TailHub::new(&TailConfig::default());
        let subscription = hub.subscribe(LogFilter::default(), principal(Role::Support));
        let (ended, count) = oneshot::channel();
        let mut events = Box::pin(events(subscription.unwrap(), ended));
        let (id, _) = hub.filters()[0].clone();
        hub.deliver(id, &shared(7));
        let log = wire(events.next().await.unwrap().unwrap());
        assert!(
            !log.contains("bob@example.com") && log.contains("***"),
            "{log}"
        );
        drop(events);
        assert_eq!(count.await.unwrap(), (StreamEnd::ClientGone, 1));
        assert!(hub.filters().is_empty(), "a gone tail leaves the hub");
    }

    #[tokio::test]
    async fn unmasked_tails_send_one_serialization_and_masked_ones_their_own() {
        let hub = TailHub::new(&TailConfig::default());
        let mut streams = Vec::new();
        for role in [Role::Reader, Role::Admin, Role::Support] {
            let subscription = hub
                .subscribe(LogFilter::default(), principal(role))
                .unwrap();
            let (ended, _count) = oneshot::channel();
            streams.push(Box::pin(events(subscription, ended)));
        }
        let row = shared(9);
        for (id, _) in hub.filters() {
            hub.deliver(id, &row);
        }
        assert!(!row.is_serialized());
        let mut sent = Vec::new();
        for stream in &mut streams {
            sent.push(wire(stream.next().await.unwrap().unwrap()));
        }
        let serialized = Event::default().event("log").id("9").json_data(&row.row);
        let expected = wire(serialized.unwrap());
        assert_eq!(
            (&sent[0], &sent[1]),
            (&expected, &expected),
            "as serialized per tail"
        );
        assert!(!sent[2].contains("bob@example.com"), "{}", sent[2]);
        assert_eq!(
            row.row.body, "signed in as bob@example.com",
            "the shared row is not masked"
        );
        assert!(
            row.is_serialized(),
            "the unmasked tails sent the shared serialization"
        );
    }
}
