//! From the browser: browser keys (write only, one service, listed origins), CORS on the
//! receivers a page uses, and the Faro receiver; and the web console in a real browser.

mod captured;
mod chromium;
mod console;
mod cors;
mod faro;
mod keys;
mod otlp_stacks;
mod sourcemaps;
mod traces;
mod url_keys;

use crate::api::helpers::TestApp;

/// The origin the tests' pages are served from.
pub const SHOP: &str = "https://shop.example.com";

/// An OTLP/JSON logs body of one record of `service` saying `body`.
pub fn otlp_logs(service: &str, body: &str) -> String {
    serde_json::json!({"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": service}}
        ]},
        "scopeLogs": [{"logRecords": [{
            "timeUnixNano": "0",
            "severityNumber": 9,
            "body": {"stringValue": body}
        }]}]
    }]})
    .to_string()
}

/// POSTs `body` as JSON to `path` with a bearer `key` (if any) and an `Origin` (if any); gives
/// the answer.
pub async fn send(
    app: &TestApp,
    path: &str,
    key: Option<&str>,
    origin: Option<&str>,
    body: String,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}{path}", app.http))
        .header("content-type", "application/json");
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.body(body).send().await.expect("request is sent")
}
