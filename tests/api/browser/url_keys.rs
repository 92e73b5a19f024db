//! A browser key in the URL (`/v1/logs?key=`, `/collect/{key}`): what a `navigator.sendBeacon`
//! on unload can carry (no header, `text/plain`), taken for browser keys only; preflights to a
//! URL naming a key answered for that key's origins; browser keys limited per client address.

use super::{SHOP, otlp_logs};
use crate::api::helpers::{TestApp, fixture, spawn_app, spawn_app_with};

const BLOG: &str = "https://blog.example.org";
const BEACON: &str = "text/plain;charset=UTF-8";

/// POSTs `body` to `path` as a beacon does: `content_type`, an `Origin`, no credentials header.
async fn beacon(
    app: &TestApp,
    path: &str,
    origin: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    let request = app.client.post(format!("{}{path}", app.http));
    let request = request
        .header("content-type", content_type)
        .header("origin", origin);
    request.body(body).send().await.expect("request is sent")
}

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::StatusCode {
    let request = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}{path}", app.http))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type");
    request.send().await.expect("preflight is sent").status()
}

#[tokio::test]
async fn a_beacon_with_a_browser_key_in_its_url_is_taken_from_the_keys_origins() {
    let app = spawn_app_with(|config| config.ingest.require_token = true).await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let logs = |body: &str| otlp_logs("shop", body).into_bytes();
    let path = format!("/v1/logs?key={key}");
    let taken = beacon(&app, &path, SHOP, BEACON, logs("beacon")).await;
    assert_eq!(taken.status(), 200, "{}", taken.text().await.unwrap());
    let faro = format!("/collect/{key}");
    let faro_beacon = beacon(&app, &faro, SHOP, BEACON, fixture("faro/web-sdk.json")).await;
    assert_eq!(faro_beacon.status(), 202);
    assert_eq!(app.count("body = 'beacon'").await, 1);
    assert_eq!(app.count("attributes->>'faro.kind' = 'log'").await, 2);

    let foreign = beacon(&app, &path, BLOG, BEACON, logs("foreign")).await;
    assert_eq!(foreign.status(), 403);
    let no_origin = app.client.post(format!("{}{path}", app.http));
    let no_origin = no_origin.header("content-type", BEACON).body(logs("none"));
    assert_eq!(no_origin.send().await.unwrap().status(), 403);

    let ingest = app.token("ingest", None).await;
    for path in [
        format!("/v1/logs?key={ingest}"),
        format!("/collect/{ingest}"),
    ] {
        let json = beacon(&app, &path, SHOP, "application/json", logs("ingest")).await;
        assert_eq!(json.status(), 403, "{path}");
        let text = json.text().await.unwrap();
        assert!(text.contains("only a browser key"), "{path}: {text}");
    }
    let with_header = app.client.post(format!("{}/v1/logs", app.http));
    let with_header = with_header
        .bearer_auth(&key)
        .header("origin", SHOP)
        .header("content-type", BEACON)
        .body(logs("header"));
    let answer = with_header.send().await.unwrap();
    assert_eq!(
        answer.status(),
        415,
        "text/plain only with the key in the URL"
    );
    assert_eq!(app.count("body <> 'beacon' AND scope <> 'faro'").await, 0);
}

#[tokio::test]
async fn a_preflight_naming_a_key_is_answered_for_that_keys_origins_only() {
    let app = spawn_app().await;
    let shop = app.browser_key("shop", &[SHOP]).await;
    app.browser_key("blog", &[BLOG]).await;
    let collect = format!("/collect/{shop}");
    let query = format!("/v1/logs?key={shop}");
    for path in [&collect, &query] {
        assert_eq!(preflight(&app, path, SHOP).await, 204, "{path}");
        assert_eq!(preflight(&app, path, BLOG).await, 403, "{path}");
    }
    for path in ["/v1/logs", "/faro/collect"] {
        assert_eq!(
            preflight(&app, path, BLOG).await,
            204,
            "{path}: some key lists it"
        );
    }
    let unknown = "/collect/lb_not_a_key";
    assert_eq!(preflight(&app, unknown, "https://evil.example").await, 403);
    let labels = [("receiver", "faro"), ("stage", "preflight")];
    let refused = app.metric_sum("logbridge_browser_origin_refused_total", &labels);
    assert_eq!(refused.await, 2.0);
}

#[tokio::test]
async fn browser_keys_are_limited_per_client_address() {
    let app = spawn_app_with(|config| {
        config.access.browser_client_requests_per_second = 1;
        config.access.browser_client_burst = 2;
        config.access.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let ingest = app.token("ingest", None).await;
    // The test's socket peer, 127.0.0.1, is a trusted proxy: X-Forwarded-For names the client.
    let send = |token: &str, origin: Option<&str>, client: &str| {
        let mut request = app.client.post(format!("{}/v1/logs", app.http));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request
            .bearer_auth(token)
            .header("content-type", "application/json")
            .header("x-forwarded-for", client)
            .body(otlp_logs("shop", "x"))
            .send()
    };
    let ann = "198.51.100.1";
    for _ in 0..2 {
        let answer = send(&key, Some(SHOP), ann).await.unwrap();
        assert_eq!(answer.status(), 200);
    }
    let limited = send(&key, Some(SHOP), ann).await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    let text = limited.text().await.unwrap();
    assert!(text.contains("client address"), "{text}");

    let bob = send(&key, Some(SHOP), "198.51.100.2").await.unwrap();
    assert_eq!(bob.status(), 200, "another address has its own bucket");
    for _ in 0..3 {
        let answer = send(&ingest, None, ann).await.unwrap();
        assert_eq!(
            answer.status(),
            200,
            "an ingest token is not limited per address"
        );
    }
    assert_eq!(app.count("body = 'x'").await, 6);
}
