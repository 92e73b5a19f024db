//! In a real browser: headless Chromium loads a page served by the test that uses the real
//! Grafana Faro Web SDK and the real OpenTelemetry JS log and trace exporters and fetch
//! instrumentation (tests/clients/browser, its bundle and source map built once by `build.sh`),
//! driven by `drive.js`. The page logs, throws (its frames symbolicated through the uploaded
//! map), calls its back end with a `traceparent` (the back end logs under that trace id), goes
//! offline and back, and unloads (a beacon with the key in its URL on the way out); a copy of
//! the page on another origin is refused. Chromium and the driver are installed by `scripts/test`; when they
//! are absent the test fails, unless `SKIP_BROWSER_TEST` is set, when it is skipped with a note.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::process::Command;

use crate::api::helpers::{TestApp, eventually, spawn_app};

pub(super) fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/browser")
}

pub(super) fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Whether Chromium and the driver's packages are there; when not, a failure unless
/// `SKIP_BROWSER_TEST` says to skip.
pub(super) fn browser_installed() -> bool {
    let missing = [
        (chromium(), "Chromium (Debian package `chromium`)"),
        (
            clients_dir().join("node_modules"),
            "tests/clients/browser/node_modules (npm ci)",
        ),
    ]
    .into_iter()
    .find(|(path, _)| !path.exists());
    let Some((_, what)) = missing else {
        return true;
    };
    assert!(
        std::env::var_os("SKIP_BROWSER_TEST").is_some(),
        "{what} is not installed (scripts/test installs it); set SKIP_BROWSER_TEST=1 to skip"
    );
    eprintln!("the real-browser test is skipped: {what} is not installed");
    false
}

/// The page's back end: `POST /api/checkout` logs to the bridge under the trace id of the
/// request's `traceparent`, as a service whose logger reads the trace context would.
#[derive(Clone)]
struct Backend {
    bridge: String,
    token: String,
    /// The `traceparent` headers received.
    traceparents: Arc<Mutex<Vec<String>>>,
}

async fn checkout(State(backend): State<Backend>, headers: HeaderMap) -> Json<Value> {
    let traceparent = headers.get("traceparent").and_then(|v| v.to_str().ok());
    let traceparent = traceparent.unwrap_or_default().to_string();
    // version-traceid-parentid-flags
    let mut parts = traceparent.split('-').skip(1);
    let (trace_id, span_id) = (parts.next(), parts.next());
    let log = json!({"service": "shop-api", "level": "info", "message": "checkout handled",
        "trace_id": trace_id, "span_id": span_id, "request_method": "POST",
        "request_path": "/api/checkout", "response_status": 200});
    let logged = reqwest::Client::new()
        .post(format!("{}/api/v1/logs", backend.bridge))
        .bearer_auth(&backend.token)
        .json(&log)
        .send()
        .await
        .map(|answer| answer.status().as_u16());
    backend.traceparents.lock().unwrap().push(traceparent);
    Json(json!({"logged": logged.ok()}))
}

/// Serves the test page at `/cart/42` (a route the web vitals are labelled by), its bundle and
/// its back end's `/api/checkout`, on a port of its own: an origin `http://127.0.0.1:PORT`.
async fn serve_page(backend: Backend) -> String {
    let dir = clients_dir().join("page");
    let html = std::fs::read_to_string(dir.join("index.html")).expect("the page");
    let bundle = std::fs::read_to_string(dir.join("bundle.js")).expect("the page's bundle");
    let javascript = [("content-type", "text/javascript")];
    let page = Router::new()
        .route("/cart/42", get(move || async move { Html(html) }))
        .route(
            "/bundle.js",
            get(move || async move { (javascript, bundle) }),
        )
        .route("/api/checkout", post(checkout))
        .with_state(backend);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, page).await.unwrap() });
    origin
}

/// Uploads the bundle's source map as the page's build (app `shop`, version `1.4.2`).
async fn upload_map(app: &TestApp, token: &str) {
    let map = std::fs::read(clients_dir().join("page/bundle.js.map")).expect("the bundle's map");
    let answer = app
        .client
        .post(format!(
            "{}/api/v1/sourcemaps?app=shop&version=1.4.2&file=/bundle.js",
            app.http
        ))
        .bearer_auth(token)
        .body(map)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201, "{}", answer.text().await.unwrap());
}

/// Runs drive.js against the pages and the bridge; gives what the browser reported.
async fn drive(app: &TestApp, page: &str, foreign: &str, key: &str) -> String {
    let arguments = serde_json::json!({
        "page": format!("{page}/cart/42"),
        "foreign": format!("{foreign}/cart/42"),
        "bridge": app.http,
        "key": key,
    });
    let output = Command::new("node")
        .arg("drive.js")
        .arg(arguments.to_string())
        .env("CHROMIUM", chromium())
        .current_dir(clients_dir())
        .output()
        .await
        .expect("node runs drive.js");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "drive.js: {stdout}\n{stderr}");
    stdout
}

/// The tagged records stored, counted by SDK and tag (`otel-offline: 5`), for failure messages.
async fn tally(app: &TestApp) -> String {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT regexp_replace(body, '-[0-9]+$', ''), count(*) FROM logs \
         WHERE body ~ '^(faro|otel|beacon)-' GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let counts = rows.iter().map(|(tag, count)| format!("{tag}: {count}"));
    counts.collect::<Vec<_>>().join(", ")
}

#[tokio::test]
async fn a_page_with_faro_and_otel_js_loses_nothing_offline_or_on_unload() {
    if !browser_installed() {
        return;
    }
    let app = spawn_app().await;
    let token = app.token("ingest", None).await;
    upload_map(&app, &token).await;
    let backend = Backend {
        bridge: app.http.clone(),
        token,
        traceparents: Arc::default(),
    };
    let page = serve_page(backend.clone()).await;
    let foreign = serve_page(backend.clone()).await;
    let key = app.browser_key("shop", &[&page]).await;
    let seen = drive(&app, &page, &foreign, &key).await;
    let offline = "net::ERR_INTERNET_DISCONNECTED";
    assert!(
        seen.contains(offline),
        "the SDKs met the offline spell: {seen}"
    );

    // Every tagged record of each SDK, once: 5 online, 5 offline, 5 just before unload.
    let all_arrived = eventually(Duration::from_secs(15), || async {
        app.count("body LIKE 'faro-%' OR body LIKE 'otel-%' OR body LIKE 'beacon-%'")
            .await
            >= 33
    })
    .await;
    let tally = tally(&app).await;
    assert!(all_arrived, "stored {tally}; the browser saw: {seen}");
    for sdk in ["faro", "otel"] {
        for tag in ["online", "offline", "unload"] {
            let tagged = format!("service = 'shop' AND body LIKE '{sdk}-{tag}-%'");
            assert_eq!(app.count(&tagged).await, 5, "{sdk} {tag}; saw {seen}");
        }
    }
    let beacon = "service = 'shop' AND body LIKE 'beacon-unload-%' AND scope = 'shop.beacon'";
    assert_eq!(app.count(beacon).await, 3, "the unload beacon; saw {seen}");
    let distinct: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT body) FROM logs WHERE body ~ '^(faro|otel|beacon)-'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(distinct, 33, "no record twice");

    // The page on another origin sent nothing: its preflights were refused and counted.
    assert_eq!(app.count("body LIKE '%-foreign-%'").await, 0, "saw {seen}");
    for receiver in ["faro", "otlp_logs"] {
        let labels = [("receiver", receiver), ("stage", "preflight")];
        let refused = app.metric_sum("logbridge_browser_origin_refused_total", &labels);
        assert!(refused.await >= 1.0, "{receiver}; saw {seen}");
    }

    // The uncaught TypeError (Faro) and the caught one (OpenTelemetry), their frames
    // symbolicated through the bundle's map to page.js, in exception groups.
    let thrown = "at cartTotal (page.js:";
    for sent in [
        "attributes->>'faro.kind' = 'exception'",
        "body = 'page-otel-exception'",
    ] {
        let stack: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT attributes->>'exception.stacktrace' FROM logs WHERE service = 'shop' AND {sent}"
        )))
        .fetch_one(&app.db)
        .await
        .expect("the page's TypeError is stored");
        assert!(stack.contains(thrown), "{sent}: {stack}; saw {seen}");
    }
    let groups: Vec<(i64, String)> = sqlx::query_as(
        "SELECT occurrences, sample_stacktrace FROM exception_groups \
         WHERE service = 'shop' AND exception_type = 'TypeError'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let occurrences: i64 = groups.iter().map(|(count, _)| count).sum();
    assert_eq!(occurrences, 2, "{groups:?}");
    assert!(
        groups.iter().all(|(_, stack)| stack.contains(thrown)),
        "{groups:?}"
    );

    page_and_server_share_the_trace(&app, &backend, &seen).await;

    // Web vitals of the page's route, from Faro's web-vitals instrumentation.
    let ttfb = [
        ("service", "shop"),
        ("route", "/cart/{id}"),
        ("vital", "ttfb"),
    ];
    let vitals = "browser_web_vitals_duration_seconds_count";
    assert!(app.metric_sum(vitals, &ttfb).await >= 1.0, "saw {seen}");
}

/// The page's checkout: its fetch carried the page's trace id to the back end, whose log
/// shares it with the page's log and spans, all under `GET /api/v1/traces/{id}/logs`.
async fn page_and_server_share_the_trace(app: &TestApp, backend: &Backend, seen: &str) {
    let report: Value = serde_json::from_str(seen.trim().lines().last().unwrap()).unwrap();
    let checkout = &report["checkout"];
    assert_eq!(checkout["status"], 200, "saw {seen}");
    assert_eq!(
        checkout["answered"]["logged"], 200,
        "the back end logged; saw {seen}"
    );
    assert_eq!(
        checkout["failed"],
        json!([]),
        "the page's exports; saw {seen}"
    );
    let trace = checkout["traceId"].as_str().expect("the page's trace id");
    let received = backend.traceparents.lock().unwrap().clone();
    assert!(
        received.iter().any(|t| t.split('-').nth(1) == Some(trace)),
        "the back end got the page's trace id {trace}: {received:?}"
    );
    let in_trace = format!("trace_id = '{trace}'");
    let both = eventually(Duration::from_secs(10), || async {
        app.count(&in_trace).await >= 2
    });
    assert!(both.await, "the page's and the server's logs; saw {seen}");
    let reader = app.token("reader", None).await;
    let logs = app
        .get_json(&reader, &format!("/api/v1/traces/{trace}/logs"))
        .await;
    let mut found: Vec<(String, String)> = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| {
            (
                log["service"].as_str().unwrap().into(),
                log["body"].as_str().unwrap().into(),
            )
        })
        .collect();
    found.sort();
    let expected = [("shop", "page-checkout"), ("shop-api", "checkout handled")];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(s, b)| (s.to_string(), b.to_string()))
        .collect();
    assert_eq!(found, expected);
    let spans: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM spans WHERE trace_id = $1 AND service = 'shop' ORDER BY start_ts",
    )
    .bind(trace)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(
        spans.len() >= 2 && spans[0] == "checkout",
        "the page's spans: {spans:?}"
    );
}
