//! Source maps end to end: uploads (who may, what is refused), the configured directory, and
//! Faro exceptions symbolicated at ingest, so that two minified builds of the same code land in
//! one exception group (fixtures from tests/fixtures/sourcemaps/build.mjs, esbuild).

use serde_json::{Value, json};

use super::SHOP;
use crate::api::helpers::{TestApp, fixture, spawn_app, spawn_app_with};

/// The map of build `version` of the fixture bundle.
fn map(version: &str) -> Vec<u8> {
    fixture(&format!("sourcemaps/dist/shop/{version}/assets/app.js.map"))
}

/// The Faro payload of the exception build `version` throws.
fn payload(version: &str) -> Vec<u8> {
    fixture(&format!("sourcemaps/dist/shop/{version}/faro.json"))
}

/// POSTs a map to `/api/v1/sourcemaps?query` with a bearer `token` (if any).
async fn upload(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    map: Vec<u8>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/api/v1/sourcemaps?{query}", app.http))
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.body(map).send().await.expect("request is sent")
}

/// POSTs a Faro body from the shop's page with a browser key.
async fn collect(app: &TestApp, key: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(format!("{}/faro/collect", app.http))
        .header("content-type", "application/json")
        .header("origin", SHOP)
        .header("x-api-key", key)
        .body(body)
        .send()
        .await
        .expect("request is sent")
}

/// The stored stack traces of the shop's exceptions, oldest first.
async fn stacks(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT attributes->>'exception.stacktrace' FROM logs \
         WHERE service = 'shop' AND level = 'error' ORDER BY observed_ts, ts",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

const THROWN: &str = "    at total (../../../../src/cart.js:7:13)";

#[tokio::test]
async fn two_minified_builds_are_symbolicated_and_grouped_once() {
    let app = spawn_app().await;
    let ingest = app.token("ingest", None).await;
    for version in ["1.0.0", "1.0.1"] {
        let query = format!("app=shop&version={version}&file=/assets/app.js");
        let answer = upload(&app, Some(&ingest), &query, map(version)).await;
        assert_eq!(answer.status(), 201, "{}", answer.text().await.unwrap());
    }
    let key = app.browser_key("shop", &[SHOP]).await;
    for version in ["1.0.0", "1.0.1"] {
        assert_eq!(collect(&app, &key, payload(version)).await.status(), 202);
    }
    let stacks = stacks(&app).await;
    assert_eq!(stacks.len(), 2);
    for stack in &stacks {
        let lines: Vec<&str> = stack.lines().collect();
        assert_eq!(lines[0], "TypeError: item B-2 has no price");
        assert_eq!(lines[1], THROWN, "{stack}");
        assert!(
            lines[2].starts_with("    at checkout (../../../../src/main"),
            "{stack}"
        );
        assert_eq!(
            lines[3], "    at ? (https://shop.example.com/cart:1:6)",
            "left as sent"
        );
    }
    let groups: Vec<(i64, String)> = sqlx::query_as(
        "SELECT occurrences, sample_stacktrace FROM exception_groups WHERE service = 'shop'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(groups.len(), 1, "one bug, two builds: {groups:?}");
    assert_eq!(groups[0].0, 2);
    assert!(groups[0].1.contains(THROWN), "{}", groups[0].1);

    // Each build's map loaded once from the database; a third exception finds it in memory.
    let misses = app.metric_sum("logbridge_sourcemap_cache_misses_total", &[]);
    let misses = misses.await;
    assert!(misses >= 2.0, "each build's files looked up: {misses}");
    assert_eq!(collect(&app, &key, payload("1.0.0")).await.status(), 202);
    let after = app.metric_sum("logbridge_sourcemap_cache_misses_total", &[]);
    assert_eq!(after.await, misses, "no more database lookups");
    let hits = app.metric_sum("logbridge_sourcemap_cache_hits_total", &[]);
    assert!(hits.await >= 1.0);
    let maps = app.metric_sum("logbridge_sourcemap_cache_maps", &[]);
    assert_eq!(maps.await, 2.0, "the two builds' maps");
    let bytes = app.metric_sum("logbridge_sourcemap_cache_bytes", &[]);
    assert!(bytes.await > 1000.0, "the parsed maps' size");
}

#[tokio::test]
async fn admin_and_ingest_tokens_upload_and_nobody_else() {
    let app = spawn_app().await;
    let query = "app=shop&version=1.0.0&file=https://shop.example.com/assets/app.js";
    let browser = app.browser_key("shop", &[SHOP]).await;
    let reader = app.token("reader", None).await;
    for (token, status) in [
        (None, 401),
        (Some("lbt_not_a_token"), 401),
        (Some(&browser[..]), 403),
        (Some(&reader[..]), 403),
    ] {
        let answer = upload(&app, token, query, map("1.0.0")).await;
        assert_eq!(answer.status(), status, "{token:?}");
    }
    let count =
        || sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sourcemaps").fetch_one(&app.db);
    assert_eq!(count().await.unwrap(), 0);
    let (admin, ingest) = (
        app.token("admin", None).await,
        app.token("ingest", None).await,
    );
    let answer = upload(&app, Some(&admin), query, map("1.0.0")).await;
    assert_eq!(answer.status(), 201);
    let row: Value = answer.json().await.unwrap();
    assert_eq!(row["file"], "/assets/app.js");
    let again = upload(&app, Some(&ingest), query, map("1.0.0")).await;
    assert_eq!(again.status(), 201, "replaces the map of the same file");
    assert_eq!(count().await.unwrap(), 1);
    let listed = app.get_as(&ingest, "/api/v1/sourcemaps?app=shop").await;
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        app.get_as(&browser, "/api/v1/sourcemaps?app=shop")
            .await
            .status(),
        403
    );
    let id = listed[0]["id"].as_i64().unwrap();
    let delete = |token: String| {
        let url = format!("{}/api/v1/sourcemaps/{id}", app.http);
        app.client.delete(url).bearer_auth(token).send()
    };
    assert_eq!(delete(browser.clone()).await.unwrap().status(), 403);
    assert_eq!(delete(admin.clone()).await.unwrap().status(), 204);
    assert_eq!(delete(admin).await.unwrap().status(), 404);
    assert_eq!(count().await.unwrap(), 0);
}

#[tokio::test]
async fn hostile_maps_are_clear_4xx_and_hostile_frames_stay_as_sent() {
    let app = spawn_app_with(|config| config.sourcemaps.max_map_bytes = 1024 * 1024).await;
    let ingest = app.token("ingest", None).await;
    let query = "app=shop&version=1.0.0&file=/assets/app.js";
    let huge = format!(
        r#"{{"version":3,"sources":[],"names":[],"mappings":"{}"}}"#,
        "A".repeat(2 << 20)
    );
    let forged = json!({"version": 3, "sources": ["cart.js\n    at evil (x.js:1:1)"],
        "names": [], "mappings": "AAAA"});
    let cases = [
        (
            "app=shop&version=1.0.0",
            map("1.0.0"),
            400,
            "the minified file is not named",
        ),
        ("version=1.0.0&file=a.js", map("1.0.0"), 400, "\"app\""),
        (query, b"<html>not a map</html>".to_vec(), 400, "not JSON"),
        (
            query,
            br#"{"version": 2, "mappings": ""}"#.to_vec(),
            400,
            "`version` is 2",
        ),
        (
            query,
            forged.to_string().into_bytes(),
            400,
            "sources[0] holds control characters",
        ),
        (query, huge.into_bytes(), 413, "sourcemaps.max_map_bytes"),
    ];
    for (query, body, status, says) in cases {
        let answer = upload(&app, Some(&ingest), query, body).await;
        assert_eq!(answer.status(), status, "{says}");
        let text = answer.text().await.unwrap();
        assert!(text.contains(says), "{says}: {text}");
    }
    // A map whose sources point outside: names only, never opened.
    let outside = json!({"version": 3, "sources": ["../../../../../../outside/cart.js"],
        "names": [], "mappings": "AAAA"});
    let answer = upload(&app, Some(&ingest), query, outside.to_string().into_bytes()).await;
    assert_eq!(answer.status(), 201);
    let key = app.browser_key("shop", &[SHOP]).await;
    let frames = json!([
        {"filename": "https://shop.example.com/assets/app.js", "function": "a", "lineno": 1, "colno": 1},
        {"filename": "https://shop.example.com/assets/app.js", "function": "b", "lineno": 99_999_999, "colno": 99_999_999},
        {"filename": "https://shop.example.com/assets/other.js", "function": "c", "lineno": 1, "colno": 1},
    ]);
    let body = json!({"meta": {"app": {"name": "shop", "version": "1.0.0"}},
        "exceptions": [{"type": "Error", "value": "boom", "stacktrace": {"frames": frames}}]});
    assert_eq!(
        collect(&app, &key, body.to_string().into_bytes())
            .await
            .status(),
        202
    );
    let stack = stacks(&app).await.remove(0);
    let lines: Vec<&str> = stack.lines().collect();
    assert_eq!(
        lines[1..],
        [
            "    at ../../../../../../outside/cart.js:1:1",
            "    at b (https://shop.example.com/assets/app.js:99999999:99999999)",
            "    at c (https://shop.example.com/assets/other.js:1:1)",
        ]
    );
}

#[tokio::test]
async fn maps_of_the_configured_directory_symbolicate_from_the_start() {
    let directory =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sourcemaps/dist");
    let app = spawn_app_with(|config| config.sourcemaps.directory = Some(directory)).await;
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT version, file FROM sourcemaps ORDER BY version")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let expected = [("1.0.0", "/assets/app.js"), ("1.0.1", "/assets/app.js")];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(v, f)| (v.to_string(), f.to_string()))
        .collect();
    assert_eq!(stored, expected);
    let key = app.browser_key("shop", &[SHOP]).await;
    assert_eq!(collect(&app, &key, payload("1.0.1")).await.status(), 202);
    let stack = stacks(&app).await.remove(0);
    assert_eq!(stack.lines().nth(1), Some(THROWN), "{stack}");
}

#[tokio::test]
async fn a_map_of_100_mb_is_413_at_the_default_limit_and_the_bridge_goes_on() {
    let app = spawn_app().await;
    let ingest = app.token("ingest", None).await;
    let query = "app=shop&version=1.0.0&file=/assets/app.js";
    let huge = vec![b' '; 100 << 20];
    let answer = upload(&app, Some(&ingest), query, huge).await;
    assert_eq!(answer.status(), 413);
    let text = answer.text().await.unwrap();
    assert!(
        text.contains("sourcemaps.max_map_bytes (52428800 bytes)"),
        "{text}"
    );
    let fine = upload(&app, Some(&ingest), query, map("1.0.0")).await;
    assert_eq!(fine.status(), 201);
}
