//! Bodies as Alloy, Vector, Fluent Bit and pino-loki send them become rows with their service,
//! level and attributes, committed before the 204.

use std::io::Write;
use std::time::Duration;

use flate2::Compression;
use flate2::write::ZlibEncoder;

use super::{JSON, PROTOBUF, push, snappy_push};
use crate::api::helpers::{eventually, fixture, spawn_app, spawn_app_with};

#[tokio::test]
async fn alloy_protobuf_with_snappy_encoding_is_stored_before_the_204() {
    let app = spawn_app().await;
    let headers = [
        PROTOBUF,
        ("content-encoding", "snappy"),
        ("x-scope-orgid", "team-a"),
    ];
    let response = push(&app, &headers, fixture("loki/alloy.pb.snappy")).await;
    assert_eq!(response.status(), 204);
    assert_eq!(response.bytes().await.unwrap().len(), 0);
    // Counted right after the answer: acknowledged only once committed.
    assert_eq!(app.count("true").await, 4);
    let logfmt = "service = 'checkout' AND level = 'error' AND body = 'payment declined' \
        AND attributes->>'trace_id' = '4bf92f3577b34da6a3ce929d0e0e4736' \
        AND attributes->>'order_id' = 'o-17' AND attributes->>'tenant' = 'team-a' \
        AND resource->>'namespace' = 'shop' AND resource->>'job' = 'checkout/api' \
        AND ts = '2026-12-03T10:00:00.001Z'";
    assert_eq!(app.count(logfmt).await, 1);
    let pino =
        "service = 'checkout' AND level = 'info' AND body = 'GET /cart 200' AND scope = 'http'";
    assert_eq!(app.count(pino).await, 1);
    let metadata_level = "level = 'warn' AND severity_text = 'warning' AND body LIKE 'plain text%'";
    assert_eq!(app.count(metadata_level).await, 1);
    let escaped = "service = 'worker' AND level = 'debug' AND resource->>'msg' = E'say \"hi\"\\n'";
    assert_eq!(app.count(escaped).await, 1);
    let counted = [("protocol", "loki"), ("outcome", "accepted")];
    let requests = app
        .metric_sum("logbridge_ingest_requests_total", &counted)
        .await;
    assert_eq!(requests, 1.0);
}

#[tokio::test]
async fn vector_unescaped_label_quotes_and_a_missing_encoding_header() {
    let app = spawn_app().await;
    let response = push(&app, &[PROTOBUF], fixture("loki/vector.pb.snappy")).await;
    assert_eq!(response.status(), 204);
    let quoted = "service = 'web' AND resource->>'msg' = 'say \"hi\"' AND level = 'error'";
    assert_eq!(app.count(quoted).await, 1);
    assert_eq!(app.count("service = 'web' AND level = 'info'").await, 1);
}

#[tokio::test]
async fn fluent_bit_gzip_json_with_one_stream_per_record() {
    let app = spawn_app().await;
    let headers = [
        JSON,
        ("content-encoding", "gzip"),
        ("user-agent", "Fluent-Bit"),
    ];
    let response = push(&app, &headers, fixture("loki/fluent-bit.json.gz")).await;
    assert_eq!(response.status(), 204);
    let error = "service = 'nginx' AND level = 'error' AND body LIKE '%GET /login%' \
        AND attributes->>'request_id' = 'r-1' AND resource->>'host' = 'node-3'";
    assert_eq!(app.count(error).await, 1);
    assert_eq!(app.count("service = 'nginx' AND level = 'info'").await, 1);
}

#[tokio::test]
async fn pino_loki_json_lines_and_a_logfmt_line() {
    let app = spawn_app().await;
    let response = push(&app, &[JSON], fixture("loki/pino-loki.json")).await;
    assert_eq!(response.status(), 204);
    let warn = "service = 'billing' AND level = 'warn' AND body = 'invoice overdue' \
        AND attributes->>'invoiceId' = 'inv-9' AND resource->>'hostname' = 'api-1'";
    assert_eq!(app.count(warn).await, 1);
    assert_eq!(
        app.count("service = 'billing' AND level = 'fatal'").await,
        1
    );
    let logfmt = r#"level=error msg="db down" db=orders"#;
    let body = snappy_push(r#"{job="cron"}"#, &[logfmt]);
    assert_eq!(push(&app, &[PROTOBUF], body).await.status(), 204);
    let split = "service = 'cron' AND level = 'error' AND body = 'db down' AND attributes->>'db' = 'orders'";
    assert_eq!(app.count(split).await, 1);
}

#[tokio::test]
async fn legacy_path_no_content_type_query_service_and_deflate() {
    let app = spawn_app().await;
    let body = snappy_push(r#"{host="h1"}"#, &["first", "second"]);
    let response = app
        .client
        .post(format!("{}/api/prom/push?service=edge", app.http))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204, "no content type reads as protobuf");
    assert_eq!(app.count("service = 'edge'").await, 2);
    let json =
        r#"{"streams":[{"stream":{"app":"zlib"},"values":[["1796292000000000000","deflated"]]}]}"#;
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(json.as_bytes()).unwrap();
    let deflated = encoder.finish().unwrap();
    let response = push(&app, &[JSON, ("content-encoding", "deflate")], deflated).await;
    assert_eq!(response.status(), 204);
    assert_eq!(app.count("service = 'zlib' AND body = 'deflated'").await, 1);
}

#[tokio::test]
async fn basic_auth_with_the_token_as_password_when_tokens_are_required() {
    let app = spawn_app_with(|config| config.ingest.require_token = true).await;
    let body = || snappy_push(r#"{app="secured"}"#, &["hello"]);
    let refused = push(&app, &[PROTOBUF], body()).await;
    assert_eq!(refused.status(), 401);
    assert!(
        refused.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let token = app.token("ingest", None).await;
    let url = format!("{}{}", app.http, super::PUSH);
    let request = app.client.post(url).header(PROTOBUF.0, PROTOBUF.1);
    let response = request
        .basic_auth("loki", Some(&token))
        .body(body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(app.count("service = 'secured'").await, 1);
}

#[tokio::test]
async fn ready_answers_for_vector_healthchecks() {
    let app = spawn_app().await;
    let response = app.get("/ready").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_with_retry_after_and_ready_follows() {
    let app = spawn_app().await;
    app.take_database_down().await;
    let answered_503 = eventually(Duration::from_secs(20), || async {
        let response = push(&app, &[PROTOBUF], snappy_push(r#"{app="down"}"#, &["x"])).await;
        let text = response.headers().get("content-type").cloned();
        let plain = text.is_some_and(|t| t.to_str().unwrap().starts_with("text/plain"));
        response.status() == 503 && response.headers().contains_key("retry-after") && plain
    })
    .await;
    assert!(
        answered_503,
        "a push answers 503 with Retry-After while the database is down"
    );
    assert_eq!(app.get("/ready").await.status(), 503);
    app.bring_database_back().await;
    let ready = eventually(Duration::from_secs(20), || async {
        app.get("/ready").await.status() == 200
    })
    .await;
    assert!(ready, "/ready returns without a restart");
    let response = push(&app, &[PROTOBUF], snappy_push(r#"{app="back"}"#, &["y"])).await;
    assert_eq!(response.status(), 204);
    assert_eq!(app.count("service = 'back'").await, 1);
}
