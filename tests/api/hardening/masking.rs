//! The support mask holds: a support token cannot recover a masked address by filtering (the
//! oracle took 78 requests for an IP), every address form is masked, in attribute keys too,
//! and the alert history is masked like log rows.

use serde_json::{Value, json};

use crate::api::alerts::notify;
use crate::api::helpers::{TestApp, fixture, spawn_app_with};

const SECRET_IP: &str = "10.1.2.3";

/// A bridge that stores addresses as they are (no ingest redaction), so that only the mask
/// stands between them and a support token.
async fn unredacted_app() -> TestApp {
    spawn_app_with(|config| config.redaction.enabled = false).await
}

async fn ingest(app: &TestApp, records: Value) {
    let status = app.post_json(records.to_string()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_support_token_cannot_recover_a_masked_ip_by_filtering() {
    let app = unredacted_app().await;
    ingest(
        &app,
        json!([{"service": "shop", "message": format!("login from {SECRET_IP}"),
                "user_id": "u-42", "client.address": SECRET_IP, "note": format!("via {SECRET_IP}")}]),
    )
    .await;
    let support = app.token("support", None).await;
    let reader = app.token("reader", None).await;
    // The oracle: guess the address one character at a time.
    let mut answered_rows = 0;
    for guess in (0..10).map(|d| format!("10.1.2.{d}")) {
        for filter in [
            format!("contains={guess}"),
            format!("q={guess}"),
            format!("attr.client.address={guess}"),
            format!("attr.note=via%20{guess}"),
        ] {
            let path = format!("/api/v1/logs?{filter}");
            let answer = app.get_as(&support, &path).await;
            let status = answer.status();
            let body: Value = answer.json().await.unwrap();
            if status == 200 {
                answered_rows += body["logs"].as_array().map_or(0, Vec::len);
                continue;
            }
            assert_eq!(status, 403, "{path}: {body}");
            let parameter = filter.split('=').next().unwrap();
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(parameter), "{path}: {message}");
        }
    }
    assert_eq!(answered_rows, 0, "a filter told which guess was right");
    let by_user = app.get_as(&support, "/api/v1/logs?user_id=u-42").await;
    assert_eq!(by_user.status(), 403);
    let all = app.get_json(&support, "/api/v1/logs").await;
    assert!(!all.to_string().contains(SECRET_IP), "{all}");
    let found = app
        .get_json(&reader, &format!("/api/v1/logs?contains={SECRET_IP}"))
        .await;
    assert_eq!(
        found["logs"].as_array().unwrap().len(),
        1,
        "readers still filter"
    );
}

#[tokio::test]
async fn every_address_form_is_masked_for_support_tokens_keys_included() {
    let app = unredacted_app().await;
    let hidden = [
        "::1",
        "2001:db8::",
        "010.001.002.003",
        "bob%40example.com",
        "jörg.müller@bücher.de",
        "carol@example.com",
    ];
    let body = "from ::1 and 2001:db8:: and 010.001.002.003, reset?email=bob%40example.com, \
                to jörg.müller@bücher.de";
    let attributes = json!({"seen carol@example.com": 1, "peer": "2001:db8::"});
    let mut record = json!({"service": "shop", "message": body});
    record
        .as_object_mut()
        .unwrap()
        .extend(attributes.as_object().unwrap().clone());
    ingest(&app, json!([record])).await;
    let support = app.token("support", None).await;
    let answer = app.get_json(&support, "/api/v1/logs").await.to_string();
    for address in hidden {
        assert!(!answer.contains(address), "{address} in {answer}");
    }
    let reader = app.token("reader", None).await;
    let unmasked = app.get_json(&reader, "/api/v1/logs").await.to_string();
    assert!(unmasked.contains("carol@example.com") && unmasked.contains("2001:db8::"));
}

#[tokio::test]
async fn the_alert_history_is_masked_for_support_tokens() {
    let app = unredacted_app().await;
    let notification = String::from_utf8(fixture("alertmanager/no-service.json"))
        .unwrap()
        .replace("db-1", "10.20.30.40:9100")
        .replace(
            r#""severity":"warning""#,
            r#""severity":"warning","owner_email":"ops@example.com""#,
        )
        .replace(
            "%7Blevel%3D%22fatal%22%7D",
            "%7Binstance%3D%2210.20.30.40%22%7D",
        );
    let response = notify(&app, None, notification.into_bytes()).await;
    assert_eq!(response.status(), 200);
    let history = "/api/v1/monitoring/alerts/history";
    let reader = app.token("reader", None).await;
    let unmasked = app.get_json(&reader, history).await.to_string();
    assert!(unmasked.contains("10.20.30.40"), "{unmasked}");
    assert!(unmasked.contains("ops@example.com"), "{unmasked}");
    let support = app.token("support", None).await;
    let masked = app.get_json(&support, history).await;
    let text = masked.to_string();
    for hidden in ["10.20.30.40", "ops@example.com"] {
        assert!(!text.contains(hidden), "{hidden} in {text}");
    }
    let alert = &masked["alerts"][0];
    assert_eq!(alert["labels"]["alertname"], "DiskAlmostFull");
    assert!(
        alert["generator_url"].as_str().unwrap().contains("***"),
        "{alert}"
    );
}
