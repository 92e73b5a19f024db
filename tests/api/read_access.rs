//! Access control of the read API and of ingest: roles, service scopes, masking for support
//! tokens, the audit log, rate limits, token management and the Grafana role.

use serde_json::{Value, json};
use sqlx::Row;

use super::helpers::{TestApp, spawn_app, spawn_app_with};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// Three records: two of service a (one with personal data), one of service b, one trace.
async fn seed(app: &TestApp) -> Vec<i64> {
    let records = [
        json!({"service": "a", "message": "login by bob@example.com from 10.0.0.7",
               "user_id": "u-42", "client.address": "10.0.0.7", "trace_id": TRACE}),
        json!({"service": "a", "message": "a second", "trace_id": TRACE}),
        json!({"service": "b", "message": "secret of b", "trace_id": TRACE}),
    ];
    let body: String = records.iter().map(|r| format!("{r}\n")).collect();
    assert_eq!(app.post_json(body).await, 200);
    let rows = sqlx::query("SELECT id FROM logs ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap();
    rows.iter().map(|row| row.get("id")).collect()
}

fn services(answer: &Value, key: &str) -> Vec<String> {
    answer[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| log["service"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_scoped_reader_never_reaches_other_services() {
    let app = spawn_app().await;
    let ids = seed(&app).await;
    let reader = app.token("reader", Some(&["a"])).await;

    let page = app.get_json(&reader, "/api/v1/logs").await;
    assert_eq!(services(&page, "logs"), ["a", "a"]);
    let trace = app
        .get_json(&reader, &format!("/api/v1/traces/{TRACE}/logs"))
        .await;
    assert_eq!(services(&trace, "logs"), ["a", "a"]);
    let b_id = ids[2];
    assert_eq!(
        app.get_as(&reader, &format!("/api/v1/logs/{b_id}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get_as(&reader, &format!("/api/v1/logs/{}", ids[0]))
            .await
            .status(),
        200
    );
    let export = app
        .get_as(&reader, "/api/v1/logs/export")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(export.lines().count(), 2, "{export}");
    assert!(!export.contains("secret of b"));
    for path in ["/api/v1/logs?service=b", "/api/v1/logs/export?service=a,b"] {
        let response = app.get_as(&reader, path).await;
        assert_eq!(response.status(), 403, "{path}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "forbidden");
    }
    // An admin sees everything.
    let admin = app.token("admin", None).await;
    let page = app.get_json(&admin, "/api/v1/logs").await;
    assert_eq!(page["logs"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn roles_decide_what_a_token_may_do() {
    let app = spawn_app().await;
    seed(&app).await;
    let ingest = app.token("ingest", None).await;
    let reader = app.token("reader", None).await;
    let admin = app.token("admin", None).await;
    assert_eq!(app.get_as(&ingest, "/api/v1/logs").await.status(), 403);
    assert_eq!(app.get_as(&reader, "/api/v1/audit").await.status(), 403);
    assert_eq!(app.get_as(&reader, "/api/v1/tokens").await.status(), 403);
    assert_eq!(app.get_as(&admin, "/api/v1/tokens").await.status(), 200);
    let unauthorized = app.get("/api/v1/logs").await;
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(unauthorized.headers()["www-authenticate"], "Bearer");
    let error: Value = unauthorized.json().await.unwrap();
    assert_eq!(error["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn support_tokens_see_personal_data_masked() {
    // Personal data as stored without redaction: masking is what is tested here.
    let app = spawn_app_with(|config| config.redaction.enabled = false).await;
    let ids = seed(&app).await;
    let support = app.token("support", None).await;
    let log = app
        .get_json(&support, &format!("/api/v1/logs/{}", ids[0]))
        .await;
    assert_eq!(log["body"], "login by *** from ***");
    assert_eq!(log["user_id"], "***");
    assert_eq!(log["attributes"]["client.address"], "***");
    let export = app
        .get_as(&support, "/api/v1/logs/export?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !export.contains("bob@example.com") && !export.contains("u-42"),
        "{export}"
    );
    // A reader sees the data as stored.
    let reader = app.token("reader", None).await;
    let log = app
        .get_json(&reader, &format!("/api/v1/logs/{}", ids[0]))
        .await;
    assert_eq!(log["user_id"], "u-42");
}

#[tokio::test]
async fn every_read_is_audited_and_admins_can_read_the_audit_log() {
    let app = spawn_app().await;
    seed(&app).await;
    let reader = app.token("reader", Some(&["a"])).await;
    app.get_json(&reader, "/api/v1/logs?service=a&q=login")
        .await;
    assert_eq!(
        app.get_as(&reader, "/api/v1/logs?service=b").await.status(),
        403
    );
    let export = app
        .get_as(&reader, "/api/v1/logs/export")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(export.lines().count(), 2);

    let admin = app.token("admin", None).await;
    // The export's entry is written before its first byte and completed when its stream ends.
    let audited = super::helpers::eventually(std::time::Duration::from_secs(5), || async {
        app.count_audit("endpoint = '/api/v1/logs/export' AND stream = 'complete'")
            .await
            == 1
    });
    assert!(audited.await, "the export was audited");
    let audit = app.get_json(&admin, "/api/v1/audit?limit=10").await;
    let entries = audit["entries"].as_array().unwrap();
    let by_reader: Vec<&Value> = entries
        .iter()
        .filter(|e| e["token_name"] == "test-reader")
        .collect();
    assert_eq!(by_reader.len(), 3, "{entries:#?}");
    let export = by_reader
        .iter()
        .find(|e| e["endpoint"] == "/api/v1/logs/export")
        .unwrap();
    assert_eq!(export["rows"], 2);
    let list = by_reader
        .iter()
        .find(|e| e["status"] == 200 && e["endpoint"] == "/api/v1/logs")
        .unwrap();
    assert_eq!(list["filters"], json!({"service": "a", "q": "login"}));
    assert_eq!(list["rows"], 1);
    assert_eq!(list["role"], "reader");
    assert!(by_reader.iter().any(|e| e["status"] == 403));
}

#[tokio::test]
async fn reads_beyond_the_rate_limit_get_429_with_retry_after() {
    let app = spawn_app_with(|config| {
        config.query.token_requests_per_second = 1;
        config.query.token_burst = 2;
    })
    .await;
    let reader = app.token("reader", None).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = app.get_as(&reader, "/api/v1/logs").await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(
                response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    >= 1
            );
        }
    }
    assert_eq!(&statuses[..2], [200, 200]);
    assert!(statuses[2..].contains(&429), "{statuses:?}");
    // Another token has its own bucket.
    let other = app.token("reader", None).await;
    assert_eq!(app.get_as(&other, "/api/v1/logs").await.status(), 200);
}

#[tokio::test]
async fn tokens_are_managed_by_admins_and_revocation_is_immediate() {
    let app = spawn_app().await;
    let admin = app.token("admin", None).await;
    let created: Value = app
        .client
        .post(format!("{}/api/v1/tokens", app.http))
        .bearer_auth(&admin)
        .json(&json!({"role": "reader", "services": ["a"], "name": "grafana"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("lb_"));
    assert_eq!(app.get_as(token, "/api/v1/logs").await.status(), 200);
    let listed = app.get_json(&admin, "/api/v1/tokens").await;
    assert!(
        !listed.to_string().contains(token),
        "secrets are never listed"
    );
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE name = 'grafana'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(stored.len(), 32, "a SHA-256 hash, not the token");
    let id = created["id"].as_i64().unwrap();
    let revoked = app
        .client
        .delete(format!("{}/api/v1/tokens/{id}", app.http))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(app.get_as(token, "/api/v1/logs").await.status(), 401);
}

#[tokio::test]
async fn ingest_takes_tokens_and_can_require_them() {
    let app = spawn_app_with(|config| config.ingest.require_token = true).await;
    let body = "{\"message\": \"hi\"}\n";
    assert_eq!(app.post_json(body.to_string()).await, 401);
    let send = |token: String| {
        app.client
            .post(format!("{}/api/v1/logs", app.http))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let reader = app.token("reader", None).await;
    assert_eq!(send(reader).await.unwrap().status(), 403);
    assert_eq!(send("lb_wrong".into()).await.unwrap().status(), 401);
    let ingest = app.token("ingest", None).await;
    assert_eq!(send(ingest.clone()).await.unwrap().status(), 200);
    let otlp = app
        .client
        .post(format!("{}/v1/logs", app.http))
        .header("content-type", "application/json")
        .body(r#"{"resourceLogs": []}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(otlp.status(), 401);
    assert_eq!(app.count("true").await, 1);
    assert_eq!(
        app.metric_sum(
            "logbridge_ingest_requests_total",
            &[("outcome", "rejected")]
        )
        .await,
        4.0
    );
}

#[tokio::test]
async fn the_grafana_role_reads_dashboard_tables_and_nothing_else() {
    let app = spawn_app().await;
    seed(&app).await;
    let url = format!(
        "postgres://logbridge_grafana@127.0.0.1:5432/{}",
        app.db_name
    );
    let grafana = sqlx::PgPool::connect(&url)
        .await
        .expect("the role can log in");
    for table in ["logs", "exception_groups", "audit_log"] {
        let sql = format!("SELECT count(*) FROM {table}");
        let result: sqlx::Result<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&grafana)
            .await;
        assert!(result.is_ok(), "{table}: {result:?}");
    }
    let secret = sqlx::query("SELECT token_hash FROM api_tokens")
        .fetch_all(&grafana)
        .await;
    assert!(secret.is_err(), "token hashes are not readable");
    let write = sqlx::query("DELETE FROM logs").execute(&grafana).await;
    assert!(write.is_err(), "the role cannot write");
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let app = spawn_app().await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/v1/logs",
        "/api/v1/logs/{id}",
        "/api/v1/logs/export",
        "/api/v1/traces/{trace_id}/logs",
        "/api/v1/traces/{trace_id}",
        "/api/v1/traces",
        "/api/v1/audit",
        "/api/v1/tokens",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_ingest_checks_the_authorization_metadata() {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;

    let app = spawn_app_with(|config| config.ingest.require_token = true).await;
    let mut client = LogsServiceClient::connect(app.grpc.clone()).await.unwrap();
    let request = |token: Option<&str>| {
        let json = super::helpers::fixture("otlp-handmade.json");
        let body: ExportLogsServiceRequest = serde_json::from_slice(&json).unwrap();
        let mut request = tonic::Request::new(body);
        if let Some(token) = token {
            let value = format!("Bearer {token}").parse().unwrap();
            request.metadata_mut().insert("authorization", value);
        }
        request
    };
    let missing = client.export(request(None)).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::Unauthenticated);
    let reader = app.token("reader", None).await;
    let denied = client.export(request(Some(&reader))).await.unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    assert_eq!(app.count("true").await, 0);
    let ingest = app.token("ingest", None).await;
    client
        .export(request(Some(&ingest)))
        .await
        .expect("an ingest token may send");
    assert!(app.count("true").await > 0);
}
