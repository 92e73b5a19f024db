//! What a token may see, as the console shows it: a support token sees masked values on every
//! page; a token scoped to one service never sees another service anywhere; a refused view
//! says so instead of breaking.

use serde_json::{Value, json};

use super::{PAGES, drive, every_page, post};
use crate::api::helpers::{TestApp, spawn_app};

/// Logs, a slow request, a slow query and an exception of `shop` and of `ledgerx`, with IP
/// addresses in them (which ingest keeps; e-mail addresses it redacts already).
async fn two_services(app: &TestApp) {
    let mut records = Vec::new();
    for service in ["shop", "ledgerx"] {
        records.extend([
            json!({"service": service, "level": "error",
                "message": format!("{service} refund for u-81 from 10.1.2.3"),
                "client_ip": "10.1.2.3", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}),
            json!({"service": service, "message": "GET /orders/7", "request_method": "GET",
                "request_path": "/orders/7", "response_status": 503, "duration_ms": 2400}),
            json!({"service": service, "message": "slow query", "db.system": "postgresql",
                "db.statement": "SELECT * FROM refunds WHERE id = 7", "duration_ms": 900}),
            json!({"service": service, "level": "error", "message": "refund failed",
                "exception.type": format!("{service}RefundError"),
                "exception.message": "10.9.8.7 has no card",
                "exception.stacktrace": "RefundError: 10.9.8.7 has no card\n    at refund (r.js:1:1)"}),
        ]);
    }
    post(app, &records).await;
}

fn pages_with_trace() -> Value {
    let mut args = every_page(false);
    let pages = args["pages"].as_array_mut().unwrap();
    pages.push(json!("#/trace/4bf92f3577b34da6a3ce929d0e0e4736"));
    args
}

#[tokio::test]
async fn a_support_token_sees_masked_values_on_every_page() {
    let app = spawn_app().await;
    two_services(&app).await;
    let support = app.token("support", None).await;
    let Some(report) = drive(&app, &support, "visit", pages_with_trace()).await else {
        return;
    };
    // Health is for admins: its 403 is shown as a notice (and logged by Chromium).
    report.assert_quiet(&app, &["status of 403"]);
    let stored = "body LIKE '%from 10.1.2.3' AND attributes->>'client_ip' = '10.1.2.3'";
    assert_eq!(
        app.count(stored).await,
        2,
        "stored unmasked: the mask is the read's"
    );
    let logs = report.page("#/logs");
    assert!(logs.contains("refund for u-81 from ***"), "{logs}");
    assert!(
        logs.contains("\"client_ip\": \"***\""),
        "the opened records: {logs}"
    );
    for (route, text) in report.found["pages"].as_object().unwrap() {
        let text = text.as_str().unwrap();
        for personal in ["10.1.2.3", "10.9.8.7"] {
            assert!(!text.contains(personal), "{route} shows {personal}: {text}");
        }
    }
    assert!(
        report
            .page("#/exceptions/first")
            .contains("*** has no card")
    );
    assert!(
        report
            .page("#/health")
            .contains("This token may not see this")
    );
}

#[tokio::test]
async fn a_token_scoped_to_one_service_never_sees_another_in_the_console() {
    let app = spawn_app().await;
    two_services(&app).await;
    let scoped = app.token("reader", Some(&["shop"])).await;
    let Some(report) = drive(&app, &scoped, "visit", pages_with_trace()).await else {
        return;
    };
    report.assert_quiet(&app, &["status of 403"]);
    let pages = report.found["pages"].as_object().unwrap();
    assert_eq!(
        pages.len(),
        PAGES.len() + 2,
        "every page, a group and the trace"
    );
    for (route, text) in pages {
        let text = text.as_str().unwrap();
        assert!(
            !text.to_lowercase().contains("ledgerx"),
            "{route} shows ledgerx: {text}"
        );
    }
    assert!(report.page("#/logs").contains("shop refund"));
    assert!(report.page("#/services").contains("shop"));
    assert!(report.page("#/exceptions").contains("shopRefundError"));
    assert!(
        report
            .page("#/performance")
            .contains("SELECT * FROM refunds")
    );
    let trace = report.page("#/trace/4bf92f3577b34da6a3ce929d0e0e4736");
    assert!(trace.contains("shop refund"), "{trace}");
}
