//! Service-graph pairing (as Tempo's metrics-generator pairs spans): a client span waits under
//! (trace id, its span id), a server span under (trace id, its parent span id); when both
//! sides are in, they are one edge from the client's service to the server's. A side left
//! alone for the wait is drawn to a virtual node when it names one (a database, a
//! `peer.service`), else given up; the store holds a bounded number of sides and gives up the
//! oldest when full. Spans of one trace may arrive in different requests.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What `connection_type` an edge has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// A client and a server span paired.
    Unset,
    /// A side drawn to a node no span describes: `user` for a root server span, a
    /// `peer.service` for a client span.
    VirtualNode,
    /// A producer and a consumer span paired.
    MessagingSystem,
    /// A database client span drawn to its database.
    Database,
}

impl Connection {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Connection::Unset => "unset",
            Connection::VirtualNode => "virtual_node",
            Connection::MessagingSystem => "messaging_system",
            Connection::Database => "database",
        }
    }
}

/// The node a client span stands for when no server span answers it.
#[derive(Debug, Clone, PartialEq)]
pub enum VirtualNode {
    /// Its database (`db.namespace`, `db.name`, else the system).
    Database(String),
    /// `peer.service`, else `server.address`.
    Peer(String),
}

/// One side of an edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub service: Arc<str>,
    pub seconds: f64,
    pub failed: bool,
}

/// A span that takes part in the service graph.
#[derive(Debug, Clone, PartialEq)]
pub enum GraphSpan {
    /// A client (or producer) span, keyed by its own span id.
    Client {
        key: (u128, u64),
        side: Side,
        messaging: bool,
        node: Option<VirtualNode>,
    },
    /// A server (or consumer) span, keyed by its parent span id; `None` for a root span.
    Server {
        trace: u128,
        parent: Option<u64>,
        side: Side,
    },
}

/// An edge of the service graph: a request from `client` to `server`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub client: Arc<str>,
    pub server: Arc<str>,
    pub connection: Connection,
    pub failed: bool,
    pub client_seconds: Option<f64>,
    pub server_seconds: Option<f64>,
    pub trace: u128,
}

/// What adding spans and expiring sides produced.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub edges: Vec<Edge>,
    /// Sides given up when their wait passed.
    pub expired: u64,
    /// Sides given up early because the store was full.
    pub evicted: u64,
}

/// A side waiting for its peer.
#[derive(Debug)]
struct Pending {
    client: Option<(Side, bool, Option<VirtualNode>)>,
    server: Option<Side>,
    /// Which entry of the expiry queue is this one's.
    ticket: u64,
}

/// The sides waiting for their peers, at most `max_items`, each for at most `wait`.
#[derive(Debug)]
pub struct PairingStore {
    wait: Duration,
    max_items: usize,
    pending: HashMap<(u128, u64), Pending>,
    /// Deadlines in arrival order; an entry whose ticket no longer matches is stale.
    queue: VecDeque<(Instant, (u128, u64), u64)>,
    next_ticket: u64,
}

/// The client node of a root server span.
pub const USER_NODE: &str = "user";

impl PairingStore {
    /// A store holding at most `max_items` sides, each for `wait`.
    pub fn new(wait: Duration, max_items: usize) -> PairingStore {
        PairingStore {
            wait,
            max_items,
            pending: HashMap::new(),
            queue: VecDeque::new(),
            next_ticket: 0,
        }
    }

    /// Sides waiting.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no side waits.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Pairs a span with its waiting peer, or makes it wait; a root server span is an edge
    /// from `user` at once.
    pub fn add(&mut self, span: GraphSpan, now: Instant, out: &mut Outcome) {
        match span {
            GraphSpan::Server {
                trace,
                parent: None,
                side,
            } => out.edges.push(Edge {
                client: Arc::from(USER_NODE),
                server: side.service,
                connection: Connection::VirtualNode,
                failed: side.failed,
                client_seconds: None,
                server_seconds: Some(side.seconds),
                trace,
            }),
            GraphSpan::Server {
                trace,
                parent: Some(parent),
                side,
            } => self.upsert((trace, parent), now, out, |p| p.server = Some(side)),
            GraphSpan::Client {
                key,
                side,
                messaging,
                node,
            } => self.upsert(key, now, out, |p| p.client = Some((side, messaging, node))),
        }
    }

    fn upsert(
        &mut self,
        key: (u128, u64),
        now: Instant,
        out: &mut Outcome,
        set: impl FnOnce(&mut Pending),
    ) {
        if let Some(pending) = self.pending.get_mut(&key) {
            set(pending);
            if let Some(edge) = paired(pending, key.0) {
                self.pending.remove(&key);
                out.edges.push(edge);
            }
            return;
        }
        if self.pending.len() >= self.max_items {
            self.evict_oldest(out);
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let mut pending = Pending {
            client: None,
            server: None,
            ticket,
        };
        set(&mut pending);
        self.pending.insert(key, pending);
        self.queue.push_back((now + self.wait, key, ticket));
        self.compact();
    }

    /// Draws or gives up every side whose wait has passed at `now`.
    pub fn expire(&mut self, now: Instant, out: &mut Outcome) {
        while let Some(&(deadline, key, ticket)) = self.queue.front() {
            if deadline > now {
                break;
            }
            self.queue.pop_front();
            if let Some(pending) = self.take(key, ticket) {
                out.expired += give_up(pending, key.0, &mut out.edges);
            }
        }
    }

    /// Gives up the side that has waited longest.
    fn evict_oldest(&mut self, out: &mut Outcome) {
        while let Some((_, key, ticket)) = self.queue.pop_front() {
            if let Some(pending) = self.take(key, ticket) {
                out.evicted += give_up(pending, key.0, &mut out.edges);
                return;
            }
        }
    }

    fn take(&mut self, key: (u128, u64), ticket: u64) -> Option<Pending> {
        let current = self.pending.get(&key)?.ticket == ticket;
        current.then(|| self.pending.remove(&key)).flatten()
    }

    /// Drops the queue's stale entries (of sides paired since) once they outnumber the live
    /// ones, so that the queue stays within twice the store's size.
    fn compact(&mut self) {
        if self.queue.len() <= 2 * self.max_items {
            return;
        }
        let pending = &self.pending;
        self.queue
            .retain(|(_, key, ticket)| pending.get(key).is_some_and(|p| p.ticket == *ticket));
    }
}

/// The edge of a pending entry holding both sides.
fn paired(pending: &mut Pending, trace: u128) -> Option<Edge> {
    if pending.client.is_none() || pending.server.is_none() {
        return None;
    }
    let (client, messaging, _) = pending.client.take()?;
    let server = pending.server.take()?;
    let connection = match messaging {
        true => Connection::MessagingSystem,
        false => Connection::Unset,
    };
    Some(Edge {
        failed: client.failed || server.failed,
        client: client.service,
        server: server.service,
        connection,
        client_seconds: Some(client.seconds),
        server_seconds: Some(server.seconds),
        trace,
    })
}

/// Draws a lone client side to its virtual node, if it names one; returns the sides given up
/// (0 or 1).
fn give_up(pending: Pending, trace: u128, edges: &mut Vec<Edge>) -> u64 {
    let Some((side, _, Some(node))) = pending.client else {
        return 1;
    };
    let (server, connection) = match node {
        VirtualNode::Database(name) => (name, Connection::Database),
        VirtualNode::Peer(name) => (name, Connection::VirtualNode),
    };
    edges.push(Edge {
        client: side.service,
        server: Arc::from(server),
        connection,
        failed: side.failed,
        client_seconds: Some(side.seconds),
        server_seconds: None,
        trace,
    });
    0
}

#[cfg(test)]
mod tests;
