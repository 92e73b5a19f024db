//! `logbridge erase`: a person's rows are deleted, every other mention replaced, others untouched,
//! and the erasure audited without the identifier.

use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::helpers::{TestApp, spawn_app_with};
use logbridge::jobs::erase::{self, Subject};

const ANN: &str = "ann.lee@example.com";

/// A bridge that stores addresses as sent: redaction would otherwise remove them at ingest,
/// and erasure is for what it did not catch (or a bridge that does not redact).
async fn spawn() -> TestApp {
    spawn_app_with(|config| config.redaction.enabled = false).await
}

async fn send(app: &TestApp, records: Value) {
    let status = app.post_json(records.to_string()).await;
    assert_eq!(status, 200, "records are accepted");
}

/// Every stored row as JSON text, by body.
async fn rows(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as("SELECT body, row_to_json(l)::text FROM logs l ORDER BY body")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

fn seed() -> Value {
    json!([
        {"service": "web", "message": "signed in", "user_id": "Ann.Lee@Example.com"},
        {"service": "web", "message": "profile updated", "user_id": "ann.lee@example.com",
         "changes": {"email": "ann.lee@example.com"}},
        {"service": "mail", "message": "reset mail sent to ann.lee@example.com by support",
         "user_id": "support-7", "audit": {"targets": ["Ann.Lee@example.com", "bob@example.com"]}},
        {"service": "mail", "level": "error", "message": "delivery failed",
         "err": {"type": "MailError", "message": "cannot deliver to ann.lee@example.com",
                 "stack": "MailError: cannot deliver to ann.lee@example.com\n    at send (mail.js:10:5)"}},
        {"service": "mail", "message": "sent to bob@example.com", "user_id": "bob"},
        {"service": "mail", "message": "sent to ann.lee@example.com.au", "user_id": "ann-au"},
    ])
}

#[tokio::test]
async fn erasing_an_email_deletes_the_persons_rows_and_replaces_every_other_mention() {
    let app = spawn().await;
    send(&app, seed()).await;
    let before = rows(&app).await;
    let untouched: Vec<_> = before
        .iter()
        .filter(|(body, _)| body.contains("bob@") || body.contains(".au"))
        .cloned()
        .collect();

    let output = Command::new(env!("CARGO_BIN_EXE_logbridge"))
        .args(["erase", "--email", "ANN.LEE@example.com"])
        .env("DATABASE_URL", app.database_url())
        .output()
        .expect("logbridge runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("exception_groups: 0 rows deleted, 1 rows redacted"),
        "{stdout}"
    );
    assert!(
        stdout.contains("erased: 2 rows deleted, 3 rows redacted"),
        "{stdout}"
    );

    let after = rows(&app).await;
    assert_eq!(
        after.len(),
        4,
        "the two rows attributed to the address are gone"
    );
    for (body, row) in &after {
        let without_au = row.replace("ann.lee@example.com.au", "");
        assert!(
            !without_au.to_lowercase().contains(ANN),
            "{body}: the address is left in {row}"
        );
    }
    for row in &untouched {
        assert!(
            after.contains(row),
            "a row not about the person changed: {row:?}"
        );
    }
    let bodies: Vec<&str> = after.iter().map(|(body, _)| body.as_str()).collect();
    assert!(
        bodies.contains(&"reset mail sent to [ERASED] by support"),
        "{bodies:?}"
    );
    let targets: Value = sqlx::query_scalar(
        "SELECT attributes->'audit'->'targets' FROM logs WHERE user_id = 'support-7'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(targets, json!(["[ERASED]", "bob@example.com"]));

    let groups: Vec<String> = sqlx::query_scalar(
        "SELECT message || coalesce(sample_stacktrace, '') FROM exception_groups",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(!groups.is_empty());
    assert!(
        groups.iter().all(|g| !g.to_lowercase().contains(ANN)),
        "{groups:?}"
    );

    let audit: Value = sqlx::query_scalar(
        "SELECT filters FROM audit_log WHERE endpoint = 'erase' AND method = 'CLI'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let digest = hex::encode(Sha256::digest(ANN.as_bytes()));
    assert_eq!(audit["subject"], "email");
    assert_eq!(audit["sha256"], digest.as_str());
    assert!(
        !audit.to_string().to_lowercase().contains(ANN),
        "the audit row holds no address"
    );
}

#[tokio::test]
async fn erasing_a_user_id_deletes_their_rows_and_the_id_elsewhere_but_not_lookalikes() {
    let app = spawn().await;
    send(
        &app,
        json!([
            {"service": "shop", "message": "order placed", "enduser.id": "cust-88120"},
            {"service": "shop", "message": "order shipped", "user": {"id": "cust-88120"}},
            {"service": "shop", "message": "refund for cust-88120 approved", "user_id": "agent-1",
             "related": {"customer": "cust-88120"}},
            {"service": "shop", "message": "refund for cust-881201 approved", "user_id": "agent-1"},
        ]),
    )
    .await;

    let report = erase::erase(&app.db, &Subject::UserId("cust-88120".into()))
        .await
        .unwrap();
    assert_eq!((report.deleted(), report.redacted()), (2, 1));
    assert!(report.free_text_searched);

    let after = rows(&app).await;
    let bodies: Vec<&str> = after.iter().map(|(body, _)| body.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "refund for [ERASED] approved",
            "refund for cust-881201 approved"
        ]
    );
    assert!(after.iter().all(|(_, row)| !row.contains("\"cust-88120\"")));
}

#[tokio::test]
async fn a_short_user_id_is_replaced_only_as_a_whole_value() {
    let app = spawn().await;
    send(
        &app,
        json!([
            {"service": "shop", "message": "took 42 ms", "user_id": "7"},
            {"service": "shop", "message": "viewed", "user_id": "42"},
            {"service": "shop", "message": "assigned", "user_id": "7", "owner": "42"},
        ]),
    )
    .await;
    let report = erase::erase(&app.db, &Subject::UserId("42".into()))
        .await
        .unwrap();
    assert!(!report.free_text_searched);
    assert_eq!((report.deleted(), report.redacted()), (1, 1));
    let owner: Vec<Value> =
        sqlx::query_scalar("SELECT attributes->'owner' FROM logs WHERE body = 'assigned'")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(owner, [json!("[ERASED]")]);
    assert_eq!(app.count("body = 'took 42 ms'").await, 1);
}

#[tokio::test]
async fn erasure_pages_through_more_rows_than_one_page() {
    let app = spawn().await;
    let records: Vec<Value> = (0..4500)
        .map(|i| json!({"service": "mail", "message": format!("mail {i} to {ANN}"), "user_id": "bob"}))
        .collect();
    send(&app, Value::Array(records)).await;
    let report = erase::erase(&app.db, &Subject::Email(ANN.into()))
        .await
        .unwrap();
    assert_eq!(report.redacted(), 4500);
    assert_eq!(app.count("body LIKE '%[ERASED]'").await, 4500);
    assert_eq!(app.count("body ILIKE '%ann.lee%'").await, 0);
}

/// Every stored row of logs, spans and exception groups, as JSON text.
async fn everything(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT row_to_json(l)::text FROM logs l UNION ALL SELECT row_to_json(s)::text \
         FROM spans s UNION ALL SELECT row_to_json(g)::text FROM exception_groups g ORDER BY 1",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// The per-table lines of `logbridge erase` (with or without `--dry-run`), `would be ` removed.
fn table_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|line| line.contains(": ") && !line.starts_with("note"))
        .map(|line| line.replace("would be ", "").replace("dry run:", "erased:"))
        .collect()
}

#[tokio::test]
async fn a_dry_run_counts_what_erasure_would_change_and_changes_nothing() {
    let app = spawn().await;
    send(&app, seed()).await;
    let span = json!({"resourceSpans": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "mail"}}]},
        "scopeSpans": [{"spans": [
            {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "0101010101010101",
             "name": "send", "kind": 3, "startTimeUnixNano": "1", "endTimeUnixNano": "2",
             "attributes": [{"key": "enduser.id", "value": {"stringValue": ANN}}]},
            {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "0202020202020202",
             "name": "send", "kind": 3, "startTimeUnixNano": "1", "endTimeUnixNano": "2",
             "attributes": [{"key": "mail.to", "value": {"stringValue": ANN}}]}]}]}]});
    let now = chrono::Utc::now()
        .timestamp_nanos_opt()
        .unwrap()
        .to_string();
    let span = span.to_string().replace("\"1\"", &format!("\"{now}\""));
    let span = span.replace("\"2\"", &format!("\"{now}\""));
    let sent = app
        .post("/v1/traces", "application/json", span.into_bytes())
        .await;
    assert_eq!(sent.status(), 200);
    let before = everything(&app).await;
    let audited = app_audit_rows(&app).await;
    let erase = |dry_run: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_logbridge"));
        command.args(["erase", "--email", ANN]);
        if dry_run {
            command.arg("--dry-run");
        }
        let output = command
            .env("DATABASE_URL", app.database_url())
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };

    let preview = erase(true);
    assert!(preview.contains("nothing changed"), "{preview}");
    assert!(
        preview.contains("spans_p"),
        "spans are previewed: {preview}"
    );
    assert_eq!(everything(&app).await, before, "a dry run changes nothing");
    assert_eq!(app_audit_rows(&app).await, audited, "nor is it audited");

    let done = erase(false);
    assert_eq!(
        table_lines(&preview),
        table_lines(&done),
        "{preview}\n{done}"
    );
    assert_ne!(everything(&app).await, before);
}

async fn app_audit_rows(app: &TestApp) -> i64 {
    app.count_audit("endpoint = 'erase'").await
}
