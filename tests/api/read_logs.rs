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

#[tokio::test]
async fn path_parameters_are_checked_like_query_parameters_and_roles_come_first() {
    let app = spawn_app().await;
    let reader = app.token("reader", None).await;
    let admin = app.token("admin", None).await;
    for (path, parameter, reason) in [
        ("/api/v1/logs/abc", "id", "must be an integer"),
        (
            "/api/v1/traces/xyz/logs",
            "trace_id",
            "must be 32 hex digits",
        ),
        (
            "/api/v1/logs?limit=1&limit=2",
            "limit",
            "given more than once",
        ),
        ("/api/v1/audit?limit=0", "limit", "must be from 1 to 1000"),
    ] {
        let response = app.get_as(&admin, path).await;
        assert_eq!(response.status(), 400, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_parameter", "{path}");
        assert_eq!(body["error"]["details"]["parameter"], parameter, "{path}");
        assert_eq!(body["error"]["details"]["reason"], reason, "{path}");
        let message = format!("invalid parameter {parameter:?}: {reason}");
        assert_eq!(body["error"]["message"], message.as_str(), "{path}");
    }
    // A reader is refused the admin endpoints before its parameters are looked at.
    let audit = app.get_as(&reader, "/api/v1/audit?limit=0").await;
    assert_eq!(audit.status(), 403);
    let revoke = |token: String| {
        app.client
            .delete(format!("{}/api/v1/tokens/abc", app.http))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(revoke(reader.clone()).await.unwrap().status(), 403);
    assert_eq!(revoke(admin.clone()).await.unwrap().status(), 400);
}

#[tokio::test]
async fn contains_ignores_case_for_ascii_and_other_letters_and_takes_wildcards_literally() {
    let app = spawn_app().await;
    let bodies = [
        "Connection TIMEOUT after 5 s",
        "Ärger im Lager",
        "50%_off sale",
        "5000 off sale",
        "plain",
    ];
    let records: Vec<Value> = bodies
        .iter()
        .map(|body| json!({"service": "api", "message": body}))
        .collect();
    assert_eq!(app.post_json(ndjson(&records)).await, 200);
    let reader = app.token("reader", None).await;
    for (contains, expected) in [
        ("timeout", vec!["Connection TIMEOUT after 5 s"]),
        ("TimeOut AFTER", vec!["Connection TIMEOUT after 5 s"]),
        ("äRGER", vec!["Ärger im Lager"]),
        ("%_", vec!["50%_off sale"]),
        ("0 OFF", vec!["5000 off sale"]),
        ("absent", vec![]),
    ] {
        let query = format!("/api/v1/logs?contains={}", urlencode(contains));
        let page = app.get_json(&reader, &query).await;
        let found: Vec<&str> = page["logs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["body"].as_str().unwrap())
            .collect();
        assert_eq!(found, expected, "contains={contains}");
    }
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
