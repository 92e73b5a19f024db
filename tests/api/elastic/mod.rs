//! The Elasticsearch-compatible root under `/es`: the start sequences of Logstash and the
//! official clients, the bulk bodies of Filebeat (gzip, `create`, `filter_path`), Fluent Bit
//! (`_type: _doc`) and Logstash, hostile bulk bodies, the metrics and exception groups of ECS
//! documents, and real clients (`elasticsearch` from PyPI, `@elastic/elasticsearch` and
//! `pino-elasticsearch` from npm) against a running bridge.

mod clients;

use std::io::Write;
use std::time::Duration;

use flate2::{Compression, write::GzEncoder};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use sqlx::Row;

use super::helpers::{TestApp, eventually, fixture, spawn_app, spawn_app_with};

const FILEBEAT_FILTER: &str = "errors,items.*.error,items.*.status";

/// Sends a request under `/es`.
async fn es(app: &TestApp, method: Method, path: &str) -> Response {
    let url = format!("{}/es{path}", app.http);
    let request = app.client.request(method, url);
    request.send().await.expect("request is sent")
}

/// POSTs a bulk body with a content type.
async fn bulk(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Response {
    app.post(&format!("/es{path}"), content_type, body).await
}

/// Asserts the answer looks like Elasticsearch's (the header and a JSON body) and parses it.
async fn es_json(response: Response) -> (u16, Value) {
    assert_eq!(response.headers()["x-elastic-product"], "Elasticsearch");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// `n` `(action, status)` pairs of a bulk answer.
fn statuses(answer: &Value) -> Vec<(String, u64)> {
    let items = answer["items"].as_array().expect("items");
    items
        .iter()
        .map(|item| {
            let (action, body) = item.as_object().unwrap().iter().next().unwrap();
            (action.clone(), body["status"].as_u64().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn the_logstash_start_sequence_finds_an_elasticsearch() {
    let app = spawn_app_with(|c| c.elasticsearch.version = "8.18.1".to_string()).await;
    let head = es(&app, Method::HEAD, "/").await;
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["x-elastic-product"], "Elasticsearch");
    for path in ["/", ""] {
        let (status, info) = es_json(es(&app, Method::GET, path).await).await;
        assert_eq!(status, 200, "GET /es{path}");
        assert_eq!(info["version"]["number"], "8.18.1");
        assert_eq!(info["version"]["build_flavor"], "default");
        assert_eq!(info["tagline"], "You Know, for Search");
        assert!(info["cluster_name"].is_string() && info["cluster_uuid"].is_string());
    }
    let (status, license) = es_json(es(&app, Method::GET, "/_license").await).await;
    assert_eq!(
        (status, &license["license"]["status"]),
        (200, &json!("active"))
    );
}

#[tokio::test]
async fn the_setup_calls_of_shippers_are_answered() {
    let app = spawn_app().await;
    let calls = [
        (Method::GET, "/_cluster/health", "status", json!("green")),
        (
            Method::PUT,
            "/_index_template/filebeat-8.17.0",
            "acknowledged",
            json!(true),
        ),
        (
            Method::PUT,
            "/_template/logstash",
            "acknowledged",
            json!(true),
        ),
        (
            Method::PUT,
            "/_ilm/policy/filebeat",
            "acknowledged",
            json!(true),
        ),
        (
            Method::PUT,
            "/_ingest/pipeline/filebeat-8.17.0-nginx",
            "acknowledged",
            json!(true),
        ),
        (
            Method::PUT,
            "/_data_stream/logs-app-default",
            "acknowledged",
            json!(true),
        ),
        (
            Method::PUT,
            "/_data_stream/filebeat-8.17.0/_lifecycle",
            "acknowledged",
            json!(true),
        ),
        (
            Method::POST,
            "/pino/_refresh",
            "_shards",
            json!({"total": 1, "successful": 1, "failed": 0}),
        ),
    ];
    for (method, path, key, expected) in calls {
        let (status, body) = es_json(es(&app, method, path).await).await;
        assert_eq!((status, &body[key]), (200, &expected), "{path}: {body}");
    }
    let (_, templates) =
        es_json(es(&app, Method::GET, "/_index_template/filebeat-8.17.0").await).await;
    assert_eq!(templates["index_templates"][0]["name"], "filebeat-8.17.0");
    let exists = es(&app, Method::HEAD, "/_index_template/filebeat-8.17.0").await;
    assert_eq!(
        exists.status(),
        200,
        "HEAD: the template exists, shippers install none"
    );
    for path in [
        "/_ilm/policy/filebeat",
        "/_ingest/pipeline/p",
        "/_nodes",
        "/_nodes/_local/http",
        "/_xpack",
        "/_data_stream/d",
    ] {
        let (status, _) = es_json(es(&app, Method::GET, path).await).await;
        assert_eq!(status, 200, "{path}");
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_elasticsearch_errors() {
    let app = spawn_app().await;
    let (status, error) = es_json(es(&app, Method::GET, "/logs/_search").await).await;
    assert_eq!(status, 404);
    assert_eq!(error["status"], 404);
    assert_eq!(error["error"]["type"], "resource_not_found_exception");
    assert!(
        error["error"]["root_cause"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("/es/logs/_search")
    );
    let (status, error) = es_json(es(&app, Method::DELETE, "/_license").await).await;
    assert_eq!((status, &error["status"]), (405, &json!(405)));
    let (status, error) = es_json(es(&app, Method::GET, "/_bulk").await).await;
    assert_eq!(status, 405, "{error}");
    let outside = app.get("/esx").await;
    assert!(
        !outside.headers().contains_key("x-elastic-product"),
        "only /es answers as Elasticsearch"
    );
}

#[tokio::test]
async fn filebeat_gzipped_create_bulk_with_filter_path_is_stored_before_the_answer() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!(
            "{}/es/_bulk?filter_path={FILEBEAT_FILTER}",
            app.http
        ))
        .header("content-type", "application/json; charset=UTF-8")
        .header("content-encoding", "gzip")
        .header("x-elastic-product-origin", "beats")
        .body(gzip(&fixture("elastic/filebeat-bulk.ndjson")))
        .send()
        .await
        .unwrap();
    let (status, answer) = es_json(response).await;
    let created = json!({"create": {"status": 201}});
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({"errors": false, "items": [created, created, created, created]})
    );
    // Counted right after the answer: acknowledged means committed.
    assert_eq!(
        app.count("attributes->>'es.index' = 'filebeat-8.17.0'")
            .await,
        4
    );
    let rows = sqlx::query(
        "SELECT service, level, body, resource->>'host.name' AS host, resource->>'agent.type' AS agent, \
         attributes->>'log.file.path' AS path, exception_type FROM logs ORDER BY ts",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.get("service"), r.get("level"), r.get("body")))
        .collect();
    assert_eq!(
        got,
        [
            (
                "filebeat-8.17.0".into(),
                "info".into(),
                "shop starting".into()
            ),
            (
                "shop".into(),
                "info".into(),
                "GET /users/42 200 12ms".into()
            ),
            ("shop".into(), "warn".into(), "payment declined".into()),
            ("shop".into(), "error".into(), "checkout failed".into()),
        ]
    );
    let first = &rows[0];
    assert_eq!(first.get::<String, _>("host"), "web-1");
    assert_eq!(first.get::<String, _>("agent"), "filebeat");
    assert_eq!(first.get::<String, _>("path"), "/var/log/shop/app.log");
    assert_eq!(
        rows[3]
            .get::<Option<String>, _>("exception_type")
            .as_deref(),
        Some("TimeoutError")
    );
}

#[tokio::test]
async fn fluent_bit_type_doc_actions_are_stored() {
    let app = spawn_app().await;
    let body = fixture("elastic/fluent-bit-bulk.ndjson");
    let (status, answer) = es_json(bulk(&app, "/_bulk", "application/x-ndjson", body).await).await;
    assert_eq!(status, 200);
    assert_eq!(answer["errors"], false);
    assert_eq!(statuses(&answer), vec![("create".to_string(), 201); 3]);
    assert_eq!(app.count("service = 'fluent-bit' AND attributes->>'stream' = 'stderr' AND body = 'connection reset by peer'").await, 1);
    assert_eq!(
        app.count("resource->>'kubernetes.pod_name' = 'api-7d9f'")
            .await,
        3
    );
}

#[tokio::test]
async fn logstash_and_vendor_media_types_with_null_ids_are_stored() {
    let app = spawn_app().await;
    let media = "application/vnd.elasticsearch+x-ndjson; compatible-with=8";
    let body = fixture("elastic/logstash-bulk.ndjson");
    let (status, answer) = es_json(bulk(&app, "/_bulk", media, body).await).await;
    assert_eq!(
        (status, &answer["errors"]),
        (200, &json!(false)),
        "{answer}"
    );
    assert_eq!(statuses(&answer), vec![("index".to_string(), 201); 2]);
    assert_eq!(
        app.count("service = 'orders' AND resource->>'host.name' = 'ls-1'")
            .await,
        2
    );
    let refused = bulk(&app, "/_bulk", "text/plain", "x").await;
    let (status, error) = es_json(refused).await;
    assert_eq!(
        (status, &error["error"]["type"]),
        (415, &json!("media_type_header_exception"))
    );
}

#[tokio::test]
async fn hostile_pairs_are_refused_per_item_and_the_good_documents_kept() {
    let app = spawn_app().await;
    let body = [
        "{\"index\":{\"_index\":\"app\"}}\n{\"message\":\"first\"}\n",
        "{\"index\":{\"_index\":\"app\"}}\n",
        "{\"index\":{\"_index\":\"app\"}}\nthis is not json\n",
        "{\"create\":{\"_index\":\"app\"}}\n{\"message\":\"second\"}\n",
        "not an action\n{\"message\":\"orphan\"}\n",
        "{\"delete\":{\"_index\":\"app\",\"_id\":\"1\"}}\n",
        "{\"index\":{\"_index\":\"app\"}}\n{\"message\":\"third\"}\n",
        "{\"index\":{\"_index\":\"app\"}}\n",
    ]
    .concat();
    let (status, answer) =
        es_json(bulk(&app, "/app/_bulk", "application/x-ndjson", body).await).await;
    assert_eq!(status, 200);
    assert_eq!(answer["errors"], true);
    let expected = [
        ("index", 201),
        ("index", 400),
        ("index", 400),
        ("create", 201),
        ("index", 400),
        ("delete", 400),
        ("index", 201),
        ("index", 400),
    ];
    let expected: Vec<_> = expected.iter().map(|(a, s)| (a.to_string(), *s)).collect();
    assert_eq!(statuses(&answer), expected);
    assert_eq!(
        answer["items"][2]["index"]["error"]["type"],
        "mapper_parsing_exception"
    );
    assert_eq!(app.count("service = 'app'").await, 3);
    assert_eq!(app.count("body IN ('first', 'second', 'third')").await, 3);
    let rejected = app
        .metric_sum(
            "logbridge_rejected_records_total",
            &[("reason", "invalid_record")],
        )
        .await;
    assert_eq!(rejected, 5.0);
}

#[tokio::test]
async fn ten_thousand_items_every_other_one_bad_keep_their_order() {
    let app = spawn_app().await;
    let mut body = String::new();
    for n in 0..10_000 {
        body.push_str("{\"create\":{\"_index\":\"bulk\"}}\n");
        match n % 2 {
            0 => body.push_str(&format!(
                "{{\"message\":\"good {n}\",\"log.level\":\"warn\"}}\n"
            )),
            _ => body.push_str(&format!("{{\"no_message\":{n}}}\n")),
        }
    }
    let (status, answer) = es_json(bulk(&app, "/_bulk", "application/x-ndjson", body).await).await;
    assert_eq!(status, 200);
    let statuses = statuses(&answer);
    assert_eq!(statuses.len(), 10_000);
    let in_order = statuses
        .iter()
        .enumerate()
        .all(|(n, (_, status))| *status == if n % 2 == 0 { 201 } else { 400 });
    assert!(in_order, "items keep the request's order");
    assert_eq!(
        app.count("service = 'bulk' AND level = 'warn'").await,
        5_000
    );
    assert_eq!(app.count("body = 'good 9998'").await, 1);
}

#[tokio::test]
async fn ecs_documents_feed_the_same_metrics_and_exception_groups_as_otlp() {
    let app = spawn_app().await;
    let docs = [
        json!({"@timestamp": "2026-12-03T10:00:00Z", "message": "GET /users/42", "log": {"level": "info"},
               "service": {"name": "shop"}, "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
               "url": {"path": "/users/42"}, "event": {"duration": 1_500_000_000_u64}}),
        json!({"@timestamp": "2026-12-03T10:00:01Z", "message": "query done", "service.name": "shop",
               "db": {"statement": "SELECT * FROM orders WHERE id = 12", "system": "postgresql"},
               "event.duration": 2_000_000_000_u64}),
        json!({"@timestamp": "2026-12-03T10:00:02Z", "message": "checkout failed", "log.level": "error",
               "service": {"name": "shop"}, "error": {"type": "TypeError", "message": "cart is undefined",
               "stack_trace": "TypeError: cart is undefined\n    at checkout (/app/cart.js:10:5)\n    at run (/app/index.js:3:1)"}}),
    ];
    let body: String = docs
        .iter()
        .map(|doc| format!("{{\"index\":{{\"_index\":\"logs-shop-default\"}}}}\n{doc}\n"))
        .collect();
    let (status, answer) = es_json(bulk(&app, "/_bulk", "application/x-ndjson", body).await).await;
    assert_eq!(
        (status, &answer["errors"]),
        (200, &json!(false)),
        "{answer}"
    );
    let request = [
        ("service", "shop"),
        ("method", "GET"),
        ("route", "/users/{id}"),
        ("status_code", "200"),
    ];
    assert_eq!(
        app.metric_sum("http_server_request_duration_seconds_count", &request)
            .await,
        1.0
    );
    assert_eq!(
        app.metric_sum("http_server_request_duration_seconds_sum", &request)
            .await,
        1.5
    );
    let slow = [
        ("service", "shop"),
        ("query", "SELECT * FROM orders WHERE id = ?"),
    ];
    assert_eq!(
        app.metric_sum("db_client_slow_queries_total", &slow).await,
        1.0
    );
    assert_eq!(
        app.metric_sum("exceptions_total", &[("exception_type", "TypeError")])
            .await,
        1.0
    );
    assert_eq!(
        app.count("http_duration_ms = 1500 AND http_route = '/users/{id}'")
            .await,
        1
    );
    let grouped = eventually(Duration::from_secs(10), || async {
        let row = sqlx::query("SELECT count(*) FROM exception_groups WHERE service = 'shop' AND exception_type = 'TypeError' AND message = 'cart is undefined'")
            .fetch_one(&app.db)
            .await
            .unwrap();
        row.get::<i64, _>(0) == 1
    })
    .await;
    assert!(grouped, "the error document has its exception group");
}

#[tokio::test]
async fn setup_calls_and_bulk_need_a_token_when_ingest_does() {
    let app = spawn_app_with(|c| c.ingest.require_token = true).await;
    let token = app.token("ingest", None).await;
    let (status, error) = es_json(es(&app, Method::GET, "/").await).await;
    assert_eq!(
        (status, &error["error"]["type"]),
        (401, &json!("security_exception"))
    );
    let body = "{\"index\":{\"_index\":\"a\"}}\n{\"message\":\"m\"}\n";
    let (status, _) = es_json(bulk(&app, "/_bulk", "application/x-ndjson", body).await).await;
    assert_eq!(status, 401);
    let info = app
        .client
        .get(format!("{}/es/", app.http))
        .basic_auth("elastic", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(
        es_json(info).await.0,
        200,
        "Basic with the token as the password"
    );
    let stored = app
        .client
        .post(format!("{}/es/_bulk", app.http))
        .header("authorization", format!("ApiKey {token}"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(es_json(stored).await.0, 200);
    assert_eq!(app.count("service = 'a'").await, 1);
}

#[tokio::test]
async fn bounds_answer_413_before_decoding() {
    let app = spawn_app_with(|c| c.ingest.max_records_per_request = 2).await;
    let body = "{\"index\":{\"_index\":\"a\"}}\n{\"message\":\"m\"}\n".repeat(3);
    let (status, error) = es_json(bulk(&app, "/_bulk", "application/x-ndjson", body).await).await;
    assert_eq!((status, &error["status"]), (413, &json!(413)));
    assert_eq!(app.count("true").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_the_whole_bulk_429_with_retry_after() {
    let app = spawn_app_with(|c| {
        c.ingest.queue_max_records = 3;
        c.ingest.writers = 1;
    })
    .await;
    let blocker = app.lock_logs().await;
    let record =
        |n: u32| json!({"message": format!("record {n}"), "service": "queued"}).to_string();
    let pending: Vec<_> = (0..3)
        .map(|n| app.post_json_in_background(record(n)))
        .collect();
    let full = eventually(Duration::from_secs(10), || async {
        app.metric_sum("logbridge_queue_records", &[]).await == 3.0
    })
    .await;
    assert!(full, "the three requests wait in the queue");
    let body = "{\"index\":{\"_index\":\"a\"}}\n{\"message\":\"m\"}\n";
    let response = bulk(&app, "/_bulk", "application/x-ndjson", body).await;
    assert_eq!(response.headers()["retry-after"], "1");
    let (status, error) = es_json(response).await;
    assert_eq!(
        (status, &error["error"]["type"]),
        (429, &json!("es_rejected_execution_exception"))
    );
    blocker.rollback().await.unwrap();
    for request in pending {
        assert_eq!(request.await.unwrap(), 200);
    }
    assert_eq!(app.count("service = 'a'").await, 0);
    let requests = [("protocol", "elasticsearch"), ("outcome", "throttled")];
    assert_eq!(
        app.metric_sum("logbridge_ingest_requests_total", &requests)
            .await,
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_refusals_under_es_look_like_elasticsearch_too() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app_with(|c| {
        c.ingest.max_body_bytes = 1024 * 1024;
        c.listen.limits.max_body_bytes_in_flight = 1024 * 1024;
    })
    .await;
    // One client holds 900 KiB of the 1 MiB body budget while it (slowly) sends the rest.
    let address = app.http.trim_start_matches("http://").to_string();
    let mut holder = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = "POST /api/v1/logs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                content-length: 1000000\r\n\r\n";
    holder.write_all(head.as_bytes()).await.unwrap();
    holder.write_all(&[b' '; 900 * 1024]).await.unwrap();
    let held = eventually(Duration::from_secs(10), || async {
        app.metric_sum("logbridge_http_body_in_flight_bytes", &[])
            .await
            >= 900.0 * 1024.0
    })
    .await;
    assert!(held, "the holder's bytes are admitted");
    let document = json!({"message": "x".repeat(200 * 1024)});
    let body = format!("{{\"index\":{{\"_index\":\"a\"}}}}\n{document}\n");
    let response = bulk(&app, "/_bulk", "application/x-ndjson", body).await;
    assert_eq!(response.headers()["retry-after"], "1");
    let (status, body) = es_json(response).await;
    assert_eq!(status, 503, "the budget is taken");
    assert_eq!(
        body["error"]["type"], "unavailable_shards_exception",
        "{body}"
    );
    assert_eq!(body["status"], 503, "{body}");
    let reason = body["error"]["reason"].as_str().unwrap_or_default();
    assert!(!reason.is_empty() && !reason.starts_with('{'), "{body}");
    drop(holder);
}
