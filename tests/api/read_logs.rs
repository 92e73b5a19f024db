//! The log read endpoints: list with filters and cursor, one log, a trace, and tokens.

use serde_json::{Value, json};

use super::helpers::spawn_app;

fn ndjson(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

#[tokio::test]
async fn listing_needs_a_token_and_returns_newest_first() {
    let app = spawn_app().await;
    let records: Vec<Value> = (0..5)
        .map(|i| {
            json!({"service": "api", "level": "info", "message": format!("m{i}"),
                        "timestamp": format!("2026-11-22T10:00:0{i}Z")})
        })
        .collect();
    assert_eq!(app.post_json(ndjson(&records)).await, 200);
    assert_eq!(app.get("/api/v1/logs").await.status(), 401);
    assert_eq!(
        app.get_as("lb_nonsense", "/api/v1/logs").await.status(),
        401
    );
    let reader = app.token("reader", None).await;
    let page = app
        .get_json(&reader, "/api/v1/logs?limit=2&from=2026-11-22T00:00:00Z")
        .await;
    let bodies: Vec<&str> = page["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["m4", "m3"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = app
        .get_json(
            &reader,
            &format!("/api/v1/logs?limit=2&from=2026-11-22T00:00:00Z&cursor={cursor}"),
        )
        .await;
    assert_eq!(next["logs"][0]["body"], "m2");
}
