//! `GET /api/v1/logs/patterns` (issue 15): a fixture of known templates is recovered exactly,
//! with its records and bytes; a sample smaller than the window estimates them; scoped tokens
//! see their services only, support tokens masked bodies; every read is audited.

use serde_json::{Value, json};

use super::helpers::{TestApp, spawn_app, spawn_app_with};

/// Known templates (`{}` where a variable goes).
const TEMPLATES: [&str; 5] = [
    "user {} logged in from {}",
    "connection to {} closed after {} ms",
    "cache miss for key {}",
    "payment {} declined: card expired",
    "worker pool resized to {} threads",
];

/// The `n`-th line of template `t`, its variables alternating between words and numbers.
fn line(t: usize, n: usize) -> String {
    let words = ["alice", "bob", "carol", "dave"];
    let mut out = String::new();
    for (i, part) in TEMPLATES[t].split("{}").enumerate() {
        if i > 0 {
            let value = if (n + i).is_multiple_of(2) {
                words[(n + i) % words.len()].to_string()
            } else {
                format!("{}", n * 13 + i)
            };
            out.push_str(&value);
        }
        out.push_str(part);
    }
    out
}

/// Template `t` logged `10 * (t + 1)` times by `service`; answers each template's lines' bytes.
async fn plant(app: &TestApp, service: &str) -> Vec<i64> {
    let mut records = Vec::new();
    let mut bytes = vec![0_i64; TEMPLATES.len()];
    for (t, total) in bytes.iter_mut().enumerate() {
        for n in 0..10 * (t + 1) {
            let message = line(t, n);
            *total += message.len() as i64;
            records.push(json!({"service": service, "message": message}));
        }
    }
    assert_eq!(app.post_json(json!(records).to_string()).await, 200);
    bytes
}

#[tokio::test]
async fn known_templates_are_recovered_exactly_with_their_records_and_bytes() {
    let app = spawn_app().await;
    let bytes = plant(&app, "shop").await;
    plant(&app, "other").await;
    let reader = app.token("reader", None).await;
    let answer = app
        .get_json(&reader, "/api/v1/logs/patterns?service=shop")
        .await;
    assert_eq!(answer["estimated"], false, "{answer}");
    assert_eq!(answer["window_records"], 150);
    assert_eq!(answer["sampled_rows"], 150);
    let mut found: Vec<(String, i64, i64)> = answer["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let template = p["template"].as_str().unwrap().to_string();
            (
                template,
                p["records"].as_i64().unwrap(),
                p["bytes"].as_i64().unwrap(),
            )
        })
        .collect();
    found.sort();
    let mut expected: Vec<(String, i64, i64)> = TEMPLATES
        .iter()
        .enumerate()
        .map(|(t, template)| {
            let records = 10 * (t as i64 + 1);
            (template.replace("{}", "<*>"), records, bytes[t])
        })
        .collect();
    expected.sort();
    assert_eq!(found, expected);
    let first = &answer["patterns"][0];
    let most_bytes = bytes.iter().max().unwrap();
    assert_eq!(first["bytes"], *most_bytes, "most bytes first");
    assert!(first["sample"].as_str().is_some_and(|s| !s.is_empty()));
    let audited = "endpoint = '/api/v1/logs/patterns' AND status = 200 AND rows = 5";
    assert_eq!(app.count_audit(audited).await, 1);
}

#[tokio::test]
async fn a_sample_smaller_than_the_window_estimates_the_window() {
    let app = spawn_app().await;
    let records: Vec<Value> = (0_u32..400)
        .map(|n| {
            let message = if n.is_multiple_of(4) {
                format!("cache miss for key {n}")
            } else {
                format!("job {n} done")
            };
            json!({"service": "shop", "message": message})
        })
        .collect();
    assert_eq!(app.post_json(json!(records).to_string()).await, 200);
    let reader = app.token("reader", None).await;
    let answer = app
        .get_json(
            &reader,
            "/api/v1/logs/patterns?service=shop&sample=100&from=now-10m",
        )
        .await;
    assert_eq!(answer["estimated"], true, "{answer}");
    assert!(answer["sampled_rows"].as_i64().unwrap() <= 100, "{answer}");
    let total: i64 = answer["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["records"].as_i64().unwrap())
        .sum();
    assert!(
        (total - 400).abs() <= 2,
        "the estimates add up to the window: {answer}"
    );
}

#[tokio::test]
async fn scoped_tokens_see_their_services_and_support_tokens_masked_bodies() {
    // Addresses stored as they are (not redacted at ingest), so that the mask has work to do.
    let app = spawn_app_with(|c| c.redaction.disabled_rules = vec!["email".into()]).await;
    let mail = json!([{"service": "shop", "message": "receipt mailed to jane@example.com"}]);
    assert_eq!(app.post_json(mail.to_string()).await, 200);
    plant(&app, "other").await;
    let scoped = app.token("reader", Some(&["shop"])).await;
    let refused = app
        .get_as(&scoped, "/api/v1/logs/patterns?service=other")
        .await;
    assert_eq!(refused.status(), 403);
    let mine = app.get_json(&scoped, "/api/v1/logs/patterns").await;
    let templates: Vec<&str> = mine["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["template"].as_str().unwrap())
        .collect();
    assert_eq!(templates, ["receipt mailed to jane@example.com"]);

    let support = app.token("support", None).await;
    let masked = app
        .get_json(&support, "/api/v1/logs/patterns?service=shop")
        .await;
    let text = masked.to_string();
    assert!(!text.contains("jane@example.com"), "{text}");
    assert!(text.contains("receipt mailed to"), "{text}");
    let invalid = app.get_as(&support, "/api/v1/logs/patterns?sample=5").await;
    assert_eq!(invalid.status(), 400);
    let audited = "endpoint = '/api/v1/logs/patterns' AND status = 403";
    assert_eq!(app.count_audit(audited).await, 1);
}
