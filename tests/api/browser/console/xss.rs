//! Hostile content: payloads that run script or fetch a URL if ever parsed as HTML, CSS or a
//! template, stored as log bodies, attribute values, service names and exception types,
//! messages and stack traces. On every page of the console nothing runs (no dialog, no page
//! error, no console error, no request but the console's own) and the text shows as written.

use serde_json::{Value, json};

use super::{drive, every_page, post};
use crate::api::helpers::spawn_app;

/// Each one alerts, sets `window.__xss` or requests a foreign URL when it is interpreted.
const PAYLOADS: &[&str] = &[
    "<script>window.__xss='script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    "<a href=\"javascript:alert('link')\">click me</a>",
    "javascript:alert('bare url')",
    "<svg onload=\"alert('svg')\"><circle r=\"5\"></circle></svg>",
    "${alert('template')} `${window.__xss='backtick'}`",
    "</td><td style=\"background:url(http://evil.example/css)\">css",
    "<style>body{background:url('http://evil.example/style')}</style>",
    "\"><iframe src=\"http://evil.example/frame\"></iframe>",
    "{{constructor.constructor('alert(1)')()}}",
];

fn hostile_records() -> Vec<Value> {
    let mut records = Vec::new();
    for (n, payload) in PAYLOADS.iter().enumerate() {
        records
            .push(json!({"service": "xss", "level": "warn", "message": payload, "note": payload}));
        records
            .push(json!({"service": payload, "level": "error", "message": format!("service {n}")}));
        records.push(
            json!({"service": "xss", "level": "error", "message": format!("exception {n}"),
            "exception.type": format!("Hostile{n}"), "exception.message": payload,
            "exception.stacktrace": format!("Hostile{n}: {payload}\n    at f ({payload}:1:1)")}),
        );
    }
    records
}

#[tokio::test]
async fn hostile_log_content_shows_as_text_on_every_page_and_never_runs() {
    let app = spawn_app().await;
    post(&app, &hostile_records()).await;
    let admin = app.token("admin", None).await;
    let Some(report) = drive(&app, &admin, "visit", every_page(false)).await else {
        return;
    };
    report.assert_quiet(&app, &[]);
    let (logs, services) = (report.page("#/logs"), report.page("#/services"));
    let exceptions = report.page("#/exceptions");
    for payload in PAYLOADS {
        assert!(logs.contains(payload), "the body as written: {payload}");
        let attribute = serde_json::to_string(payload).unwrap();
        assert!(
            logs.contains(&format!("\"note\": {attribute}")),
            "the attribute: {payload}"
        );
        assert!(services.contains(payload), "the service name: {payload}");
        assert!(
            exceptions.contains(payload),
            "the exception message: {payload}"
        );
    }
    let group = report.page("#/exceptions/first");
    assert!(
        group.contains("    at f ("),
        "the stack trace as written: {group}"
    );
    let shown = PAYLOADS
        .iter()
        .filter(|p| group.contains(&format!("at f ({p}:1:1)")));
    assert_eq!(shown.count(), 1, "{group}");
}
