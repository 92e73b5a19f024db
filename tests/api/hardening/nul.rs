//! NUL everywhere a client can put one: answered 2xx, stored as U+FFFD in the rows, the
//! exception groups and the rollups, never a 500 that loses the batch.

use serde_json::json;
use sqlx::Row;

use crate::api::helpers::spawn_app;

const FFFD: char = '\u{FFFD}';

#[tokio::test]
async fn nul_in_the_service_parameter_json_and_exceptions_is_stored_as_fffd() {
    let app = spawn_app().await;
    let records = json!([
        {"message": "plain"},
        {"message": "a\u{0}b", "service": "svc\u{0}json", "level": "error",
         "exception.type": "Value\u{0}Error", "exception.message": "bad\u{0}input",
         "exception.stacktrace": "at f\u{0}()", "route": "/users/\u{0}", "method": "GET",
         "status": 500, "k\u{0}ey": {"nested\u{0}": "v\u{0}"}},
        {"message": "oops", "level": "error", "error.message": "failed\u{0}here"},
    ]);
    let answer = app
        .post(
            "/api/v1/logs?service=%00x",
            "application/json",
            records.to_string(),
        )
        .await;
    let status = answer.status();
    assert_eq!(status, 200, "{}", answer.text().await.unwrap());
    assert_eq!(app.count(&format!("service = '{FFFD}x'")).await, 2);
    let stored = app
        .count(&format!(
            "service = 'svc{FFFD}json' AND body = 'a{FFFD}b' \
             AND attributes -> 'k{FFFD}ey' ->> 'nested{FFFD}' = 'v{FFFD}'"
        ))
        .await;
    assert_eq!(stored, 1);
    let group = sqlx::query("SELECT exception_type, message FROM exception_groups")
        .fetch_all(&app.db)
        .await
        .unwrap();
    let types: Vec<String> = group.iter().map(|row| row.get(0)).collect();
    assert!(types.contains(&format!("Value{FFFD}Error")), "{types:?}");
    let no_nul =
        |table: &str| format!("SELECT count(*) FROM {table} WHERE service LIKE '%{FFFD}%'");
    for table in ["log_counts", "error_counts", "exception_groups"] {
        let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(no_nul(table)))
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert!(rows >= 1, "{table}: {rows}");
    }
}

#[tokio::test]
async fn nul_in_otlp_service_name_attribute_keys_and_bodies_is_stored_as_fffd() {
    let app = spawn_app().await;
    let request = json!({"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "otel\u{0}svc"}},
            {"key": "host\u{0}", "value": {"stringValue": "h\u{0}"}}
        ]},
        "scopeLogs": [{"scope": {"name": "sc\u{0}ope"}, "logRecords": [
            {"severityNumber": 17, "body": {"stringValue": "boom\u{0}"},
             "attributes": [
                {"key": "exception.type", "value": {"stringValue": "E\u{0}rr"}},
                {"key": "exception.message", "value": {"stringValue": "m\u{0}"}},
                {"key": "a\u{0}b", "value": {"stringValue": "c"}}
             ]},
            {"severityNumber": 9, "body": {"stringValue": "second"}}
        ]}]
    }]});
    let answer = app
        .post("/v1/logs", "application/json", request.to_string())
        .await;
    let status = answer.status();
    assert_eq!(status, 200, "{}", answer.text().await.unwrap());
    let condition = format!(
        "service = 'otel{FFFD}svc' AND resource ->> 'host{FFFD}' = 'h{FFFD}' \
         AND scope = 'sc{FFFD}ope'"
    );
    assert_eq!(app.count(&condition).await, 2);
    let keyed = format!("body = 'boom{FFFD}' AND attributes ? 'a{FFFD}b'");
    assert_eq!(app.count(&keyed).await, 1);
    let groups: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM exception_groups WHERE exception_type = 'E{FFFD}rr'"
    )))
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(groups, 1);
}
