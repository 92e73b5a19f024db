//! Erasure and IP anonymization cover spans as they cover logs: a person's spans are deleted
//! and every other mention (attributes, events, links, status message) replaced, audited; old
//! days of spans get their addresses truncated once, recorded in the retention run.

use std::sync::atomic::AtomicBool;

use logbridge::config::{Config, Secret};
use logbridge::jobs::erase::{self, Subject};
use logbridge::jobs::retention::{Retention, Trigger};
use opentelemetry_proto::tonic::trace::v1::span::Event;
use opentelemetry_proto::tonic::trace::v1::{Span, Status};
use prost::Message;
use serde_json::{Value, json};

use super::{count_spans, request, span, string};
use crate::api::helpers::{TestApp, spawn_app_with};

const ANN: &str = "ann.lee@example.com";
const DAY_NANOS: u64 = 86_400 * 1_000_000_000;

/// A bridge that stores what it is sent: redaction would remove addresses at ingest.
async fn spawn() -> TestApp {
    spawn_app_with(|config| {
        config.redaction.enabled = false;
        config.retention.enabled = false;
    })
    .await
}

async fn send(app: &TestApp, spans: Vec<Span>) {
    let body = request("mail", spans).encode_to_vec();
    let response = app.post("/v1/traces", "application/x-protobuf", body).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn erasing_an_email_deletes_the_persons_spans_and_replaces_every_other_mention() {
    let app = spawn().await;
    let mut theirs = span(1);
    theirs.attributes = vec![string("enduser.id", "Ann.Lee@Example.com")];
    let mut mentions = span(2);
    mentions.attributes = vec![string("enduser.id", "support-7"), string("mail.to", ANN)];
    mentions.status = Some(Status {
        code: 2,
        message: format!("cannot deliver to {ANN}"),
    });
    mentions.events = vec![Event {
        name: "exception".into(),
        time_unix_nano: mentions.start_time_unix_nano,
        attributes: vec![
            string("exception.type", "MailError"),
            string("exception.message", &format!("bounce from {ANN}")),
        ],
        ..Event::default()
    }];
    let mut others = span(3);
    others.attributes = vec![
        string("enduser.id", "bob"),
        string("mail.to", "bob@example.com"),
    ];
    send(&app, vec![theirs, mentions, others]).await;
    let untouched: Value =
        sqlx::query_scalar("SELECT to_jsonb(s) FROM spans s WHERE span_id = '0303030303030303'")
            .fetch_one(&app.db)
            .await
            .unwrap();

    let report = erase::erase(&app.db, &Subject::Email(ANN.to_uppercase()))
        .await
        .unwrap();

    let tables: Vec<(&str, u64, u64)> = report
        .tables
        .iter()
        .map(|t| (t.table.as_str(), t.deleted, t.redacted))
        .collect();
    let today = format!("spans_p{}", chrono::Utc::now().format("%Y%m%d"));
    // The exception event's group holds the address in its message too.
    assert_eq!(tables, [(today.as_str(), 1, 1), ("exception_groups", 0, 1)]);
    assert_eq!(count_spans(&app, "true").await, 2);
    let rows: Vec<String> = sqlx::query_scalar("SELECT to_jsonb(s)::text FROM spans s")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(
        rows.iter().all(|row| !row.to_lowercase().contains(ANN)),
        "{rows:?}"
    );
    let (status, events): (String, Value) = sqlx::query_as(
        "SELECT status_message, events FROM spans WHERE span_id = '0202020202020202'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(status, "cannot deliver to [ERASED]");
    assert_eq!(
        events[0]["attributes"]["exception.message"],
        "bounce from [ERASED]"
    );
    let after: Value =
        sqlx::query_scalar("SELECT to_jsonb(s) FROM spans s WHERE span_id = '0303030303030303'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(after, untouched, "a span not about the person is unchanged");
    let audited: Value =
        sqlx::query_scalar("SELECT filters FROM audit_log WHERE endpoint = 'erase'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(audited["tables"][0]["deleted"], 1, "{audited}");
    assert!(!audited.to_string().to_lowercase().contains(ANN));
}

fn with_addresses(mut span: Span, days_ago: u64) -> Span {
    span.start_time_unix_nano -= days_ago * DAY_NANOS;
    span.end_time_unix_nano -= days_ago * DAY_NANOS;
    span.attributes = vec![
        string("client.address", "198.51.100.23"),
        string(
            "network.peer.address",
            "2001:db8:85a3:1234:5678:8a2e:370:7334",
        ),
    ];
    span.events = vec![Event {
        name: "retry".into(),
        time_unix_nano: span.start_time_unix_nano,
        attributes: vec![string("upstream", "refused by 203.0.113.77 twice")],
        ..Event::default()
    }];
    span
}

#[tokio::test]
async fn addresses_in_days_of_spans_past_the_age_are_truncated_once() {
    let app = spawn().await;
    send(
        &app,
        vec![with_addresses(span(1), 40), with_addresses(span(2), 5)],
    )
    .await;
    let mut config = Config::default();
    config.database.url = Secret::from(app.database_url().as_str());
    config.retention.anonymize_ips_after_days = Some(30);
    let retention = Retention::new(app.db.clone(), &config).unwrap();
    let never = AtomicBool::new(false);

    let report = retention.run(Trigger::Command, &never).await.unwrap();

    let anonymized: Vec<(&str, u64)> = report
        .anonymized
        .iter()
        .map(|a| (a.partition.as_str(), a.rows))
        .collect();
    assert_eq!(anonymized.len(), 1, "{anonymized:?}");
    assert!(
        anonymized[0].0.starts_with("spans_p") && anonymized[0].1 == 1,
        "{anonymized:?}"
    );
    let (attributes, events): (Value, Value) =
        sqlx::query_as("SELECT attributes, events FROM spans WHERE span_id = '0101010101010101'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        attributes,
        json!({"client.address": "198.51.100.0", "network.peer.address": "2001:db8:85a3::"})
    );
    assert_eq!(
        events[0]["attributes"]["upstream"],
        "refused by 203.0.113.0 twice"
    );
    let recent = count_spans(&app, "attributes->>'client.address' = '198.51.100.23'").await;
    assert_eq!(recent, 1, "newer spans keep their addresses");
    let recorded: Value = sqlx::query_scalar("SELECT anonymized FROM retention_runs WHERE id = $1")
        .bind(report.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(recorded[0]["partition"], anonymized[0].0);
    let again = retention.run(Trigger::Command, &never).await.unwrap();
    assert!(again.anonymized.is_empty(), "a day is anonymized once");
}
