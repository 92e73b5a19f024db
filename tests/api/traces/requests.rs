//! `POST /v1/traces` and `TraceService/Export` with hand-made requests: OTLP/JSON with hex ids,
//! gzip, partial success, authentication, redaction, and rows committed before the answer.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::trace::v1::span::Event;
use prost::Message;
use serde_json::{Value, json};
use sqlx::Row;

use super::{count_spans, now_nanos, request, span, string};
use crate::api::helpers::{spawn_app, spawn_app_with};
use crate::api::otlp_http::gzip;

#[tokio::test]
async fn otlp_json_with_hex_ids_is_stored() {
    let app = spawn_app().await;
    let start = now_nanos();
    let body = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "web"}}]},
        "scopeSpans": [{"scope": {"name": "express"}, "spans": [{
            "traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174",
            "parentSpanId": "eee19b7ec3c1b173", "name": "POST /cart", "kind": 2,
            "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 3_000_000).to_string(),
            "attributes": [
                {"key": "http.method", "value": {"stringValue": "POST"}},
                {"key": "http.status_code", "value": {"intValue": "201"}}
            ],
            "status": {"code": 1}
        }]}]
    }]});
    let response = app
        .post("/v1/traces", "application/json", body.to_string())
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.json::<Value>().await.unwrap(), json!({}));
    let row = sqlx::query("SELECT trace_id, span_id, parent_span_id, kind, duration_ns, status_code, http_method, http_status, scope FROM spans")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        row.get::<String, _>("trace_id"),
        "5b8efff798038103d269b633813fc60c"
    );
    assert_eq!(row.get::<String, _>("span_id"), "eee19b7ec3c1b174");
    assert_eq!(row.get::<String, _>("parent_span_id"), "eee19b7ec3c1b173");
    assert_eq!(row.get::<String, _>("kind"), "server");
    assert_eq!(row.get::<i64, _>("duration_ns"), 3_000_000);
    assert_eq!(row.get::<i16, _>("status_code"), 1);
    assert_eq!(row.get::<String, _>("http_method"), "POST");
    assert_eq!(row.get::<i16, _>("http_status"), 201);
    assert_eq!(row.get::<String, _>("scope"), "express");
}

#[tokio::test]
async fn a_gzip_protobuf_body_is_stored_and_counted_before_the_answer() {
    let app = spawn_app().await;
    let spans = (1..=50).map(span).collect();
    let body = gzip(&request("gzipped", spans).encode_to_vec());
    let response = app
        .client
        .post(format!("{}/v1/traces", app.http))
        .header("content-type", "application/x-protobuf")
        .header("content-encoding", "gzip")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Acknowledged after commit: every row is there the moment the answer is.
    assert_eq!(count_spans(&app, "service = 'gzipped'").await, 50);
    let answer = ExportTraceServiceResponse::decode(response.bytes().await.unwrap()).unwrap();
    assert_eq!(answer.partial_success, None);
}

#[tokio::test]
async fn a_bad_span_among_good_ones_is_rejected_through_partial_success() {
    let app = spawn_app().await;
    let mut bad = span(2);
    bad.span_id = vec![2; 7];
    let body = request("partial", vec![span(1), bad, span(3)]).encode_to_vec();
    let response = app.post("/v1/traces", "application/x-protobuf", body).await;
    assert_eq!(response.status(), 200);
    let answer = ExportTraceServiceResponse::decode(response.bytes().await.unwrap()).unwrap();
    let partial = answer.partial_success.expect("a partial success");
    assert_eq!(partial.rejected_spans, 1);
    assert!(
        partial
            .error_message
            .contains("spans[1]: spanId must be 8 bytes, got 7"),
        "{}",
        partial.error_message
    );
    assert_eq!(count_spans(&app, "service = 'partial'").await, 2);

    let mut ends_early = span(4);
    ends_early.end_time_unix_nano = ends_early.start_time_unix_nano - 1;
    let json_body = serde_json::to_string(&request("partial", vec![ends_early, span(5)])).unwrap();
    let response = app.post("/v1/traces", "application/json", json_body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["partialSuccess"]["rejectedSpans"], "1");
    let message = answer["partialSuccess"]["errorMessage"].as_str().unwrap();
    assert!(message.contains("endTimeUnixNano"), "{message}");
    assert_eq!(count_spans(&app, "service = 'partial'").await, 3);

    let mut client = TraceServiceClient::connect(app.grpc.clone()).await.unwrap();
    let mut zero_trace = span(6);
    zero_trace.trace_id = vec![0; 16];
    let answer = client
        .export(request("partial", vec![zero_trace, span(7)]))
        .await
        .unwrap();
    let partial = answer
        .into_inner()
        .partial_success
        .expect("a partial success");
    assert_eq!(partial.rejected_spans, 1);
    assert!(
        partial.error_message.contains("traceId is all zero"),
        "{}",
        partial.error_message
    );
    assert_eq!(count_spans(&app, "service = 'partial'").await, 4);
}

#[tokio::test]
async fn requests_without_a_valid_token_are_refused_and_nothing_is_stored() {
    let app = spawn_app_with(|config| config.ingest.require_token = true).await;
    let body = request("guarded", vec![span(1)]).encode_to_vec();
    let response = app
        .post("/v1/traces", "application/x-protobuf", body.clone())
        .await;
    assert_eq!(response.status(), 401);
    let mut client = TraceServiceClient::connect(app.grpc.clone()).await.unwrap();
    let refused = client
        .export(request("guarded", vec![span(2)]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    assert_eq!(count_spans(&app, "true").await, 0);

    let token = app.token("ingest", None).await;
    let response = app
        .client
        .post(format!("{}/v1/traces", app.http))
        .header("content-type", "application/x-protobuf")
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(count_spans(&app, "service = 'guarded'").await, 1);
}

#[tokio::test]
async fn span_names_attributes_events_and_resource_are_redacted() {
    let app = spawn_app().await;
    let mut one = span(1);
    one.name = "mail alice@example.com".into();
    one.attributes = vec![string("user.note", "write to bob@example.com")];
    one.events = vec![Event {
        time_unix_nano: one.start_time_unix_nano,
        name: "exception".into(),
        attributes: vec![string("exception.message", "no carol@example.com")],
        ..Event::default()
    }];
    let mut body = request("private", vec![one]);
    let resource = body.resource_spans[0].resource.as_mut().unwrap();
    resource
        .attributes
        .push(string("host.owner", "dave@example.com"));
    let response = app
        .post("/v1/traces", "application/x-protobuf", body.encode_to_vec())
        .await;
    assert_eq!(response.status(), 200);
    let row = sqlx::query("SELECT name, attributes::text, events::text, resource::text FROM spans")
        .fetch_one(&app.db)
        .await
        .unwrap();
    for column in 0..4 {
        let text: String = row.get(column);
        assert!(!text.contains("@example.com"), "column {column}: {text}");
    }
    let events: String = row.get(2);
    assert!(events.contains("exception.message"), "{events}");
}

#[tokio::test]
async fn the_grafana_role_reads_spans() {
    let app = spawn_app().await;
    let body = request("visible", vec![span(1)]).encode_to_vec();
    let response = app.post("/v1/traces", "application/x-protobuf", body).await;
    assert_eq!(response.status(), 200);
    let url = format!(
        "postgres://logbridge_grafana@127.0.0.1:5432/{}",
        app.db_name
    );
    let grafana = sqlx::PgPool::connect(&url).await.unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM spans WHERE service = 'visible'")
        .fetch_one(&grafana)
        .await
        .expect("logbridge_grafana may read spans");
    assert_eq!(seen, 1);
    let write = sqlx::query("DELETE FROM spans").execute(&grafana).await;
    assert!(write.is_err(), "and only read them");
}

#[tokio::test]
async fn too_many_spans_are_413_before_decoding() {
    let app = spawn_app_with(|config| config.ingest.max_records_per_request = 3).await;
    let body = request("bounded", (1..=4).map(span).collect()).encode_to_vec();
    let response = app.post("/v1/traces", "application/x-protobuf", body).await;
    assert_eq!(response.status(), 413);
    let json_body = serde_json::to_string(&request("bounded", (1..=4).map(span).collect()));
    let response = app
        .post("/v1/traces", "application/json", json_body.unwrap())
        .await;
    assert_eq!(response.status(), 413);
    let message = response.json::<Value>().await.unwrap()["message"].to_string();
    assert!(message.contains("spans"), "{message}");
    assert_eq!(count_spans(&app, "true").await, 0);
}

#[tokio::test]
async fn a_database_outage_is_503_with_retry_after() {
    let app = spawn_app_with(|config| config.ingest.retry_after_seconds = 9).await;
    app.take_database_down().await;
    let mut last = None;
    for _ in 0..100 {
        let body = request("outage", vec![span(1)]).encode_to_vec();
        let response = app.post("/v1/traces", "application/x-protobuf", body).await;
        if response.status() == 503 {
            last = Some(response);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let response = last.expect("503 once the bridge sees the database down");
    assert_eq!(response.headers()["retry-after"], "9");
    app.bring_database_back().await;
}
