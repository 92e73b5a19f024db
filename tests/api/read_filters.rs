//! Filter correctness of `GET /api/v1/logs`: for random data and random filters every returned
//! row satisfies every filter and no matching row is missing (ground truth computed here from
//! the generated records); cursor paging under concurrent inserts; hostile keys and values.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, DurationRound, Utc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{Value, json};

use super::helpers::{TestApp, spawn_app_with};

const SERVICES: [&str; 3] = ["a", "b", "c"];
const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "fatal"];
const WORDS: [&str; 5] = ["alpha", "beta", "gamma", "delta", "epsilon"];
const TRACES: [&str; 2] = [
    "0123456789abcdef0123456789abcdef",
    "fedcba9876543210fedcba9876543210",
];
const ROUTES: [&str; 2] = ["/users/{id}", "/health"];
const STATUSES: [u16; 4] = [200, 404, 500, 503];

/// One generated record; `seq` identifies it in answers.
#[derive(Debug, Clone)]
struct Record {
    seq: usize,
    minute: i64,
    service: usize,
    level: usize,
    words: Vec<usize>,
    trace: Option<usize>,
    user: Option<usize>,
    request: Option<(usize, usize)>,
    tenant: Option<usize>,
    nested: Option<u8>,
}

/// One generated filter.
#[derive(Debug, Clone)]
struct Filter {
    from: Option<i64>,
    to: Option<i64>,
    services: Vec<usize>,
    levels: Vec<usize>,
    min_level: Option<usize>,
    trace: Option<usize>,
    user: Option<usize>,
    route: Option<usize>,
    status: Option<Status>,
    q: Vec<usize>,
    contains: Option<String>,
    tenant: Option<usize>,
    nested: Option<u8>,
    limit: usize,
}

#[derive(Debug, Clone, Copy)]
enum Status {
    Code(usize),
    Class(u16),
}

fn record_strategy() -> impl Strategy<Value = Record> {
    (
        (
            0i64..600,
            0..3usize,
            0..6usize,
            prop::collection::vec(0..5usize, 1..4),
        ),
        (prop::option::of(0..2usize), prop::option::of(0..2usize)),
        (
            prop::option::of((0..2usize, 0..4usize)),
            prop::option::of(0..2usize),
        ),
        prop::option::of(1u8..3),
    )
        .prop_map(
            |((minute, service, level, words), (trace, user), (request, tenant), nested)| Record {
                seq: 0,
                minute,
                service,
                level,
                words,
                trace,
                user,
                request,
                tenant,
                nested,
            },
        )
}

/// A condition present in one filter of four, so that combinations still match rows.
fn sparse<S: Strategy>(inner: S) -> impl Strategy<Value = Option<S::Value>> {
    prop::option::weighted(0.25, inner)
}

fn filter_strategy() -> impl Strategy<Value = Filter> {
    let status = prop_oneof![
        (0..4usize).prop_map(Status::Code),
        (4u16..6).prop_map(Status::Class)
    ];
    (
        (prop::option::of(0i64..600), prop::option::of(0i64..600)),
        (
            prop::collection::vec(0..3usize, 0..3),
            prop::collection::vec(0..6usize, 0..3),
        ),
        (sparse(0..6usize), sparse(0..2usize), sparse(0..2usize)),
        (sparse(0..2usize), sparse(status)),
        (
            prop::collection::vec(0..5usize, 0..2),
            sparse("(lph|ETA|amm|a d|ps)"),
        ),
        (sparse(0..2usize), sparse(1u8..3), 1..40usize),
    )
        .prop_map(
            |(
                (from, to),
                (services, levels),
                (min_level, trace, user),
                (route, status),
                (q, contains),
                (tenant, nested, limit),
            )| Filter {
                from,
                to,
                services,
                levels,
                min_level,
                trace,
                user,
                route,
                status,
                q,
                contains,
                tenant,
                nested,
                limit,
            },
        )
}

impl Record {
    fn body(&self) -> String {
        self.words
            .iter()
            .map(|w| WORDS[*w])
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn to_json(&self, base: DateTime<Utc>) -> Value {
        let mut record = json!({
            "seq": self.seq,
            "timestamp": (base + Duration::minutes(self.minute)).to_rfc3339(),
            "service": SERVICES[self.service],
            "level": LEVELS[self.level],
            "message": self.body(),
        });
        let object = record.as_object_mut().unwrap();
        if let Some(t) = self.trace {
            object.insert("trace_id".into(), json!(TRACES[t]));
        }
        if let Some(u) = self.user {
            object.insert("user_id".into(), json!(format!("user-{u}")));
        }
        if let Some((route, status)) = self.request {
            object.insert("request_method".into(), json!("GET"));
            object.insert("http.route".into(), json!(ROUTES[route]));
            object.insert("response_status".into(), json!(STATUSES[status]));
        }
        if let Some(t) = self.tenant {
            object.insert("tenant".into(), json!(format!("t{t}")));
        }
        if let Some(k) = self.nested {
            object.insert("nested".into(), json!({"k": k}));
        }
        record
    }
}

impl Filter {
    fn matches(&self, r: &Record) -> bool {
        let level_ok = (self.levels.is_empty() || self.levels.contains(&r.level))
            && self.min_level.is_none_or(|min| r.level >= min);
        let status_ok = match (self.status, r.request) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(Status::Code(c)), Some((_, s))) => c == s,
            (Some(Status::Class(class)), Some((_, s))) => STATUSES[s] / 100 == class,
        };
        let body = r.body();
        self.from.is_none_or(|f| r.minute >= f)
            && self.to.is_none_or(|t| r.minute < t)
            && (self.services.is_empty() || self.services.contains(&r.service))
            && level_ok
            && status_ok
            && self.trace.is_none_or(|t| r.trace == Some(t))
            && self.user.is_none_or(|u| r.user == Some(u))
            && self
                .route
                .is_none_or(|route| r.request.is_some_and(|(x, _)| x == route))
            && self.q.iter().all(|w| r.words.contains(w))
            && self
                .contains
                .as_ref()
                .is_none_or(|c| body.to_lowercase().contains(&c.to_lowercase()))
            && self.tenant.is_none_or(|t| r.tenant == Some(t))
            && self.nested.is_none_or(|k| r.nested == Some(k))
    }

    fn query(&self, base: DateTime<Utc>) -> Vec<(String, String)> {
        let at = |minute: i64| (base + Duration::minutes(minute)).to_rfc3339();
        let mut query = vec![("limit".to_string(), self.limit.to_string())];
        let mut add = |name: &str, value: String| query.push((name.to_string(), value));
        if let Some(f) = self.from {
            add("from", at(f));
        }
        if let Some(t) = self.to {
            add("to", at(t));
        }
        for s in &self.services {
            add("service", SERVICES[*s].into());
        }
        for l in &self.levels {
            add("level", LEVELS[*l].into());
        }
        if let Some(m) = self.min_level {
            add("min_level", LEVELS[m].into());
        }
        if let Some(t) = self.trace {
            add("trace_id", TRACES[t].to_uppercase());
        }
        if let Some(u) = self.user {
            add("user_id", format!("user-{u}"));
        }
        if let Some(r) = self.route {
            add("route", ROUTES[r].into());
        }
        match self.status {
            Some(Status::Code(c)) => add("status", STATUSES[c].to_string()),
            Some(Status::Class(c)) => add("status", format!("{c}xx")),
            None => {}
        }
        if !self.q.is_empty() {
            let words: Vec<String> = self.q.iter().map(|w| WORDS[*w].to_uppercase()).collect();
            add("q", words.join(" "));
        }
        if let Some(c) = &self.contains {
            add("contains", c.clone());
        }
        if let Some(t) = self.tenant {
            add("attr.tenant", format!("t{t}"));
        }
        if let Some(k) = self.nested {
            add("attr.nested.k", k.to_string());
        }
        query
    }

    /// Whether the API must refuse it (listed levels all below `min_level`, or an empty range).
    fn is_invalid(&self) -> bool {
        let levels_conflict = self
            .min_level
            .is_some_and(|min| !self.levels.is_empty() && self.levels.iter().all(|l| *l < min));
        let empty_range = matches!((self.from, self.to), (Some(f), Some(t)) if f >= t);
        levels_conflict || empty_range
    }
}

/// A bridge whose read rate limit does not get in the way of many pages.
async fn unthrottled() -> TestApp {
    spawn_app_with(|config| {
        config.query.token_requests_per_second = 100_000;
        config.query.token_burst = 100_000;
    })
    .await
}

/// Every page of an answer, following `next_cursor`; the records' `seq`s in answer order.
async fn fetch_all(app: &TestApp, token: &str, query: &[(String, String)]) -> (u16, Vec<usize>) {
    let mut seqs = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = query.to_vec();
        if let Some(c) = &cursor {
            query.push(("cursor".into(), c.clone()));
        }
        let response = app
            .client
            .get(format!("{}/api/v1/logs", app.http))
            .bearer_auth(token)
            .query(&query)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        if status != 200 {
            return (status, seqs);
        }
        let page: Value = response.json().await.unwrap();
        for log in page["logs"].as_array().unwrap() {
            seqs.push(log["attributes"]["seq"].as_u64().unwrap() as usize);
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return (status, seqs),
        }
    }
}

#[test]
fn every_returned_row_matches_and_no_matching_row_is_missing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let app = unthrottled().await;
        let token = app.token("reader", None).await;
        let base = (Utc::now() - Duration::hours(12))
            .duration_trunc(Duration::minutes(1))
            .unwrap();
        let mut runner = TestRunner::new(ProptestConfig::with_cases(48));
        let strategy = prop::collection::vec(record_strategy(), 150..250);
        let mut records = strategy.new_tree(&mut runner).unwrap().current();
        for (seq, record) in records.iter_mut().enumerate() {
            record.seq = seq;
        }
        let body: String = records
            .iter()
            .map(|r| format!("{}\n", r.to_json(base)))
            .collect();
        assert_eq!(app.post_json(body).await, 200);

        let mut non_empty = 0;
        for _ in 0..48 {
            let filter = filter_strategy().new_tree(&mut runner).unwrap().current();
            let (status, got) = fetch_all(&app, &token, &filter.query(base)).await;
            if filter.is_invalid() {
                assert_eq!(status, 400, "{filter:?}");
                continue;
            }
            assert_eq!(status, 200, "{filter:?}");
            let mut expected: Vec<&Record> = records.iter().filter(|r| filter.matches(r)).collect();
            // Newest first; ties in time by id, which follows seq (one ordered batch).
            expected.sort_by_key(|r| (std::cmp::Reverse(r.minute), std::cmp::Reverse(r.seq)));
            let expected: Vec<usize> = expected.iter().map(|r| r.seq).collect();
            assert_eq!(got, expected, "{filter:?}");
            non_empty += usize::from(!expected.is_empty());
        }
        assert!(
            non_empty >= 12,
            "only {non_empty} of 48 filters matched rows: too selective"
        );
    });
}

#[tokio::test]
async fn cursor_paging_returns_each_row_once_while_rows_arrive() {
    let app = unthrottled().await;
    let token = app.token("reader", None).await;
    let base = Utc::now() - Duration::hours(1);
    let records: String = (0..300)
        .map(|i| {
            let ts = base + Duration::milliseconds(i / 3 * 10); // ties: three rows per instant
            format!(
                "{}\n",
                json!({"message": "old", "seq": i, "timestamp": ts.to_rfc3339()})
            )
        })
        .collect();
    assert_eq!(app.post_json(records).await, 200);
    // New rows arrive while the client pages: some newer than every page, some in between.
    let writer = {
        let (http, client) = (app.http.clone(), app.client.clone());
        tokio::spawn(async move {
            for i in 0..20 {
                let ts = if i % 2 == 0 {
                    Utc::now()
                } else {
                    base + Duration::milliseconds(i * 37)
                };
                let body = json!({"message": "new", "seq": 1000 + i, "timestamp": ts.to_rfc3339()});
                client
                    .post(format!("{http}/api/v1/logs"))
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    let query = vec![
        ("limit".to_string(), "7".to_string()),
        ("contains".into(), "old".into()),
    ];
    let (status, seqs) = fetch_all(&app, &token, &query).await;
    writer.await.unwrap();
    assert_eq!(status, 200);
    let unique: BTreeSet<usize> = seqs.iter().copied().collect();
    assert_eq!(unique.len(), seqs.len(), "no row twice");
    assert_eq!(unique, (0..300).collect(), "every old row once");
}

#[tokio::test]
async fn hostile_attribute_keys_and_values_are_data_not_sql() {
    let app = unthrottled().await;
    let token = app.token("reader", None).await;
    let hostile = "x' OR '1'='1'; DROP TABLE logs; --";
    let record = json!({"message": "m", hostile: hostile, "k\"ey": "v'al", "n": {"a'b": 1}});
    assert_eq!(app.post_json(record.to_string()).await, 200);
    for (key, value, expected) in [
        (hostile, hostile, 1),
        (hostile, "x", 0),
        ("k\"ey", "v'al", 1),
        ("n.a'b", "1", 1),
        ("') OR true --", "1", 0),
    ] {
        let response = app
            .client
            .get(format!("{}/api/v1/logs", app.http))
            .bearer_auth(&token)
            .query(&[
                (format!("attr.{key}"), value),
                ("contains".into(), "' OR 1=1 --"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{key}");
        let page: Value = response.json().await.unwrap();
        // `contains` of a quote-laden string matches nothing: it is a literal, not SQL.
        assert_eq!(page["logs"].as_array().unwrap().len(), 0, "{key}");
        let without_contains = app
            .client
            .get(format!("{}/api/v1/logs", app.http))
            .bearer_auth(&token)
            .query(&[(format!("attr.{key}"), value)])
            .send()
            .await
            .unwrap();
        let page: Value = without_contains.json().await.unwrap();
        assert_eq!(
            page["logs"].as_array().unwrap().len(),
            expected,
            "{key} = {value}"
        );
    }
    assert_eq!(app.count("true").await, 1, "the table is intact");
    for bad in [
        "q=%00",
        "service=%FF",
        "from=tomorrow",
        "limit=0",
        "limit=1001",
        "cursor=zz",
        "colour=red",
    ] {
        let response = app.get_as(&token, &format!("/api/v1/logs?{bad}")).await;
        assert_eq!(response.status(), 400, "{bad}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "invalid_parameter", "{bad}");
        assert!(error["error"]["details"]["parameter"].is_string(), "{bad}");
    }
}
