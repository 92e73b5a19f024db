use proptest::prelude::*;

use super::*;

const WAIT: Duration = Duration::from_secs(10);

fn side(service: &str, seconds: f64, failed: bool) -> Side {
    Side {
        service: Arc::from(service),
        seconds,
        failed,
    }
}

fn client(trace: u128, span: u64, service: &str, node: Option<VirtualNode>) -> GraphSpan {
    GraphSpan::Client {
        key: (trace, span),
        side: side(service, 0.5, false),
        messaging: false,
        node,
    }
}

fn server(trace: u128, parent: Option<u64>, service: &str, failed: bool) -> GraphSpan {
    GraphSpan::Server {
        trace,
        parent,
        side: side(service, 0.25, failed),
    }
}

#[test]
fn a_client_and_its_server_are_one_edge_in_either_order() {
    let now = Instant::now();
    for server_first in [false, true] {
        let mut store = PairingStore::new(WAIT, 100);
        let mut out = Outcome::default();
        let spans = [client(1, 7, "web", None), server(1, Some(7), "api", true)];
        let order: Vec<_> = match server_first {
            true => spans.into_iter().rev().collect(),
            false => spans.into_iter().collect(),
        };
        for span in order {
            store.add(span, now, &mut out);
        }
        assert_eq!(out.edges.len(), 1);
        let edge = &out.edges[0];
        assert_eq!((&*edge.client, &*edge.server), ("web", "api"));
        assert_eq!(edge.connection, Connection::Unset);
        assert!(edge.failed, "the server side failed");
        assert_eq!(
            (edge.client_seconds, edge.server_seconds),
            (Some(0.5), Some(0.25))
        );
        assert!(store.is_empty());
    }
}

#[test]
fn a_root_server_span_is_an_edge_from_user() {
    let mut store = PairingStore::new(WAIT, 100);
    let mut out = Outcome::default();
    store.add(server(1, None, "api", false), Instant::now(), &mut out);
    assert_eq!(&*out.edges[0].client, USER_NODE);
    assert_eq!(out.edges[0].connection, Connection::VirtualNode);
    assert!(store.is_empty());
}

#[test]
fn a_lone_client_is_drawn_to_its_virtual_node_or_given_up_after_the_wait() {
    let now = Instant::now();
    let mut store = PairingStore::new(WAIT, 100);
    let mut out = Outcome::default();
    let database = Some(VirtualNode::Database("orders".into()));
    store.add(client(1, 1, "api", database), now, &mut out);
    let peer = Some(VirtualNode::Peer("payments".into()));
    store.add(client(1, 2, "api", peer), now, &mut out);
    store.add(client(1, 3, "api", None), now, &mut out);
    store.add(server(1, Some(9), "api", false), now, &mut out);
    store.expire(now + WAIT - Duration::from_millis(1), &mut out);
    assert_eq!(out, Outcome::default(), "still waiting");
    store.expire(now + WAIT, &mut out);
    let drawn: Vec<_> = (out.edges.iter())
        .map(|e| (&*e.server, e.connection))
        .collect();
    assert_eq!(
        drawn,
        [
            ("orders", Connection::Database),
            ("payments", Connection::VirtualNode)
        ]
    );
    assert_eq!((out.expired, out.evicted), (2, 0));
    assert!(store.is_empty());
}

#[test]
fn a_full_store_gives_up_its_oldest_side() {
    let now = Instant::now();
    let mut store = PairingStore::new(WAIT, 2);
    let mut out = Outcome::default();
    for span in 1..=3 {
        store.add(client(1, span, "api", None), now, &mut out);
    }
    assert_eq!((store.len(), out.evicted), (2, 1));
    store.add(server(1, Some(1), "db", false), now, &mut out);
    assert!(out.edges.is_empty(), "span 1 was given up");
    store.add(server(1, Some(3), "db", false), now, &mut out);
    assert_eq!(out.edges.len(), 1);
}

#[test]
fn the_expiry_queue_stays_bounded_while_sides_pair() {
    let now = Instant::now();
    let mut store = PairingStore::new(WAIT, 10);
    let mut out = Outcome::default();
    for span in 0..1000 {
        store.add(client(5, span, "web", None), now, &mut out);
        store.add(server(5, Some(span), "api", false), now, &mut out);
    }
    assert_eq!(out.edges.len(), 1000);
    assert!(store.queue.len() <= 20, "{}", store.queue.len());
}

proptest! {
    /// However a trace's spans are split into requests and ordered, and whatever other traces
    /// arrive between, a parent/child pair is one edge.
    #[test]
    fn a_pair_across_two_requests_is_one_edge(
        server_first in any::<bool>(),
        trace in 1u128..,
        span in 1u64..,
        others in proptest::collection::vec((1u128.., 1u64..), 0..20),
        seconds_between in 0u64..10,
    ) {
        let mut store = PairingStore::new(WAIT, 1000);
        let mut out = Outcome::default();
        let start = Instant::now();
        let pair = [client(trace, span, "web", None), server(trace, Some(span), "api", false)];
        let [first, second] = match server_first {
            true => [pair[1].clone(), pair[0].clone()],
            false => pair,
        };
        store.add(first, start, &mut out);
        for (other_trace, other_span) in others {
            if other_trace != trace {
                store.add(client(other_trace, other_span, "noise", None), start, &mut out);
            }
        }
        let later = start + Duration::from_secs(seconds_between);
        store.expire(later, &mut out);
        store.add(second, later, &mut out);
        store.expire(later + WAIT, &mut out);
        let edges: Vec<_> = out.edges.iter().filter(|e| &*e.server == "api").collect();
        prop_assert_eq!(edges.len(), 1);
        prop_assert_eq!(&*edges[0].client, "web");
        prop_assert_eq!(edges[0].trace, trace);
    }
}
