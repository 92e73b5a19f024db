//! The demo's traffic, as plain events: five services, each on its own protocol, serving routes
//! with statuses and latencies, running queries (some slow), throwing exceptions now and then,
//! and answering 5xx in a burst, so that every dashboard, view and alert has something to show.

/// What a service sends its records over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// OTLP/HTTP protobuf logs.
    OtlpLogs,
    /// OTLP/HTTP protobuf traces.
    OtlpTraces,
    /// The JSON logs API.
    Json,
    /// The Loki push API (JSON).
    Loki,
    /// The Elasticsearch bulk API.
    ElasticBulk,
}

/// A service of the demo and its protocol.
pub const SERVICES: [(&str, Protocol); 5] = [
    ("frontend", Protocol::Json),
    ("checkout", Protocol::OtlpLogs),
    ("payments", Protocol::Loki),
    ("users", Protocol::ElasticBulk),
    ("inventory", Protocol::OtlpTraces),
];

/// The routes each service serves: method, route template, a concrete path.
const ROUTES: [(&str, &str, &str); 5] = [
    ("GET", "/products/{id}", "/products/"),
    ("POST", "/cart/{id}/items", "/cart/"),
    ("GET", "/users/{id}", "/users/"),
    ("POST", "/orders", "/orders"),
    ("GET", "/health", "/health"),
];

const QUERIES: [&str; 3] = [
    "SELECT * FROM products WHERE id = $1",
    "UPDATE carts SET updated_at = now() WHERE id = $1",
    "SELECT o.id, o.total FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = $1",
];

const EXCEPTIONS: [(&str, &str); 3] = [
    (
        "TypeError",
        "Cannot read properties of undefined (reading 'price')",
    ),
    (
        "TimeoutError",
        "upstream payment provider did not answer within 3000 ms",
    ),
    ("ValidationError", "quantity must be a positive integer"),
];

/// One thing that happened in a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub service: &'static str,
    pub protocol: Protocol,
    /// `info`, `warn` or `error`.
    pub level: &'static str,
    pub message: String,
    /// Unix time in nanoseconds.
    pub time_ns: u64,
    pub trace_id: String,
    pub span_id: String,
    pub kind: Kind,
}

/// What the event is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A served request.
    Request {
        method: &'static str,
        route: &'static str,
        path: String,
        status: u16,
        duration_ms: u64,
    },
    /// A database query.
    Query {
        statement: &'static str,
        duration_ms: u64,
    },
    /// An exception with its stack.
    Exception {
        kind: &'static str,
        message: &'static str,
        stack: String,
    },
}

/// A small deterministic generator (xorshift64*), so a seed replays the same traffic.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed.max(1))
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }

    fn hex(&mut self, digits: usize) -> String {
        (0..digits)
            .map(|_| char::from_digit(self.below(16) as u32, 16).unwrap())
            .collect()
    }
}

/// The event number `n` at `time_ns`; `burst` makes most requests answer 5xx.
pub fn event(dice: &mut Dice, n: u64, time_ns: u64, burst: bool) -> Event {
    let (service, protocol) = SERVICES[(n % SERVICES.len() as u64) as usize];
    let roll = dice.below(100);
    let kind = match roll {
        0..=11 => query(dice),
        12..=16 => exception(dice, service),
        _ => request(dice, burst),
    };
    let (level, message) = describe(&kind);
    Event {
        service,
        protocol,
        level,
        message,
        time_ns,
        trace_id: dice.hex(32),
        span_id: dice.hex(16),
        kind,
    }
}

fn request(dice: &mut Dice, burst: bool) -> Kind {
    let (method, route, prefix) = ROUTES[dice.below(ROUTES.len() as u64) as usize];
    let path = match prefix.ends_with('/') {
        true => format!("{prefix}{}", 1000 + dice.below(9000)),
        false => prefix.to_string(),
    };
    let status = match (burst, dice.below(100)) {
        (true, 0..=69) => [500, 502, 503][dice.below(3) as usize],
        (_, 0..=2) => 404,
        (_, 3) => 500,
        _ if method == "POST" => 201,
        _ => 200,
    };
    let duration_ms = match dice.below(100) {
        0..=4 => 1000 + dice.below(2500),
        _ => 5 + dice.below(180),
    };
    Kind::Request {
        method,
        route,
        path,
        status,
        duration_ms,
    }
}

fn query(dice: &mut Dice) -> Kind {
    let statement = QUERIES[dice.below(QUERIES.len() as u64) as usize];
    let duration_ms = match dice.below(100) {
        0..=29 => 600 + dice.below(1400),
        _ => 1 + dice.below(40),
    };
    Kind::Query {
        statement,
        duration_ms,
    }
}

fn exception(dice: &mut Dice, service: &str) -> Kind {
    let (kind, message) = EXCEPTIONS[dice.below(EXCEPTIONS.len() as u64) as usize];
    let stack = format!(
        "{kind}: {message}\n    at handle ({service}/src/routes.js:{}:13)\n    at next ({service}/node_modules/express/lib/router/route.js:149:13)",
        40 + dice.below(3)
    );
    Kind::Exception {
        kind,
        message,
        stack,
    }
}

fn describe(kind: &Kind) -> (&'static str, String) {
    match kind {
        Kind::Request {
            method,
            path,
            status,
            duration_ms,
            ..
        } => {
            let level = match status {
                500.. => "error",
                400.. => "warn",
                _ => "info",
            };
            (level, format!("{method} {path} {status} {duration_ms}ms"))
        }
        Kind::Query { duration_ms, .. } if *duration_ms >= 500 => {
            ("warn", format!("slow query took {duration_ms}ms"))
        }
        Kind::Query { duration_ms, .. } => ("info", format!("query took {duration_ms}ms")),
        Kind::Exception { kind, message, .. } => ("error", format!("{kind}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_of_traffic_has_every_kind_on_every_protocol() {
        let mut dice = Dice::new(7);
        let events: Vec<Event> = (0..600).map(|n| event(&mut dice, n, n, false)).collect();
        for (_, protocol) in SERVICES {
            assert!(events.iter().any(|e| e.protocol == protocol));
        }
        let slow =
            |e: &Event| matches!(e.kind, Kind::Query { duration_ms, .. } if duration_ms >= 500);
        assert!(events.iter().any(slow));
        assert!(
            events
                .iter()
                .any(|e| matches!(e.kind, Kind::Exception { .. }))
        );
        let errors = |events: &[Event]| {
            events
                .iter()
                .filter(|e| matches!(e.kind, Kind::Request { status: 500.., .. }))
                .count()
        };
        let burst: Vec<Event> = (0..600).map(|n| event(&mut dice, n, n, true)).collect();
        assert!(
            errors(&burst) > 10 * errors(&events).max(1),
            "a burst of 5xx"
        );
    }
}
