//! One bug reached from two callers is one exception group whose call paths, with counts, the
//! group's detail shows (`GET /api/v1/exceptions/{id}`).

use serde_json::{Value, json};

use super::helpers::spawn_app;

/// A Python KeyError in `shop/orders.py` `load`, reached through `caller` (python-json-logger).
fn key_error(caller: &str, key: &str) -> Value {
    let stack = format!(
        "Traceback (most recent call last):\n  File \"/app/shop/api.py\", line 3, in {caller}\n    return load(order)\n  File \"/app/shop/orders.py\", line 5, in load\n    return order[\"{key}\"]\nKeyError: '{key}'"
    );
    json!({"service": "shop", "levelname": "ERROR", "message": "request failed", "exc_info": stack})
}

#[tokio::test]
async fn a_bug_from_two_callers_is_one_group_listing_both_call_paths() {
    let app = spawn_app().await;
    let records = [
        key_error("checkout", "currency"),
        key_error("checkout", "total"),
        key_error("reorder", "currency"),
    ];
    let body: String = records.iter().map(|r| format!("{r}\n")).collect();
    assert_eq!(app.post_json(body).await, 200);
    let reader = app.token("reader", None).await;
    let groups = app.get_json(&reader, "/api/v1/exceptions").await;
    let groups = groups["exceptions"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0]["occurrences"], 3);
    let detail = app
        .get_json(&reader, &format!("/api/v1/exceptions/{}", groups[0]["id"]))
        .await;
    let paths: Vec<(String, i64)> = (detail["call_paths"].as_array().unwrap().iter())
        .map(|p| {
            (
                p["path"].as_str().unwrap().to_string(),
                p["occurrences"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            ("shop/orders.load < shop/api.checkout".to_string(), 2),
            ("shop/orders.load < shop/api.reorder".to_string(), 1),
        ]
    );
}
