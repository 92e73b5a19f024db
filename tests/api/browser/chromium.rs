//! In a real browser: headless Chromium loads a page served by the test that uses the real
//! Grafana Faro Web SDK and the real OpenTelemetry JS log exporter (tests/clients/browser, its
//! bundle built once by `build.sh`), driven by `drive.js`. The page logs, throws, goes offline
//! and back, and unloads (a beacon with the key in its URL on the way out); a copy of the page on
//! another origin is refused. Chromium and the driver are installed by `scripts/test`; when they
//! are absent the test fails, unless `SKIP_BROWSER_TEST` is set, when it is skipped with a note.

use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
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

/// Serves the test page at `/cart/42` (a route the web vitals are labelled by) and its bundle,
/// on a port of its own: an origin `http://127.0.0.1:PORT`.
async fn serve_page() -> String {
    let dir = clients_dir().join("page");
    let html = std::fs::read_to_string(dir.join("index.html")).expect("the page");
    let bundle = std::fs::read_to_string(dir.join("bundle.js")).expect("the page's bundle");
    let javascript = [("content-type", "text/javascript")];
    let page = Router::new()
        .route("/cart/42", get(move || async move { Html(html) }))
        .route(
            "/bundle.js",
            get(move || async move { (javascript, bundle) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, page).await.unwrap() });
    origin
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
    let (page, foreign) = (serve_page().await, serve_page().await);
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

    // The uncaught TypeError, with the page's frames, in an exception group.
    let (occurrences, stack): (i64, String) = sqlx::query_as(
        "SELECT occurrences, sample_stacktrace FROM exception_groups \
         WHERE service = 'shop' AND exception_type = 'TypeError'",
    )
    .fetch_one(&app.db)
    .await
    .expect("the page's TypeError is grouped");
    assert_eq!(occurrences, 1);
    assert!(
        stack.contains("cartTotal") && stack.contains(&format!("{page}/bundle.js")),
        "{stack}"
    );

    // Web vitals of the page's route, from Faro's web-vitals instrumentation.
    let ttfb = [
        ("service", "shop"),
        ("route", "/cart/{id}"),
        ("vital", "ttfb"),
    ];
    let vitals = "browser_web_vitals_duration_seconds_count";
    assert!(app.metric_sum(vitals, &ttfb).await >= 1.0, "saw {seen}");
}
