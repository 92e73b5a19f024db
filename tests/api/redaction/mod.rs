//! Redaction end to end: what is stored and counted for users' records, per-service settings,
//! IP truncation and typed replacements, and startup errors; the property test is in `property`.

mod property;
mod secrets;

use serde_json::{Value, json};
use sqlx::Row;

use super::helpers::{spawn_app, spawn_app_with};
use logbridge::config::{Config, IpMode, PatternConfig, ServiceRedaction};

/// The stored `body`, `attributes`, `user_id` and `exception_message` of the only row of a service.
async fn row(
    app: &super::helpers::TestApp,
    service: &str,
) -> (String, Value, Option<String>, Option<String>) {
    let row = sqlx::query(
        "SELECT body, attributes, user_id, exception_message FROM logs WHERE service = $1",
    )
    .bind(service)
    .fetch_one(&app.db)
    .await
    .expect("one row");
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

#[tokio::test]
async fn secrets_are_replaced_before_storage_and_counted_by_rule() {
    let app = spawn_app().await;
    let record = json!({
        "service": "shop", "level": "error", "message": "reset for bob@example.com failed",
        "password": "hunter2", "http": {"request": {"header": {"authorization": ["Basic Ym9iOmh1bnRlcjI="]}}},
        "user.id": "alice@example.com", "tokens_used": 42,
        "exception.type": "PaymentError", "exception.message": "card 4111 1111 1111 1111 declined",
    });
    assert_eq!(app.post_json(record.to_string()).await, 200);

    let (body, attributes, user_id, exception) = row(&app, "shop").await;
    assert_eq!(body, "reset for ***REDACTED*** failed");
    assert_eq!(attributes["password"], "***REDACTED***");
    assert_eq!(
        attributes["http"]["request"]["header"]["authorization"],
        "***REDACTED***"
    );
    assert_eq!(
        attributes["tokens_used"], 42,
        "a count of tokens is no token"
    );
    assert_eq!(
        user_id.as_deref(),
        Some("***REDACTED***"),
        "enrich reads the redacted attribute"
    );
    assert_eq!(exception.as_deref(), Some("card ***REDACTED*** declined"));
    let group: String = sqlx::query_scalar("SELECT message FROM exception_groups")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(group, "card ***REDACTED*** declined");

    let counted = |rule: &'static str| {
        let app = &app;
        async move {
            app.metric_sum("logbridge_redactions_total", &[("rule", rule)])
                .await
        }
    };
    assert_eq!(counted("email").await, 2.0);
    assert_eq!(counted("credit_card").await, 1.0);
    assert_eq!(counted("key:password").await, 1.0);
    assert_eq!(counted("key:authorization").await, 1.0);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("logbridge_redactions_total{rule=\"jwt\"} 0"),
        "every rule is exported from the start"
    );
}

#[tokio::test]
async fn services_can_turn_redaction_or_one_rule_off() {
    let app = spawn_app_with(|config| {
        let services = &mut config.redaction.services;
        let off = ServiceRedaction {
            enabled: Some(false),
            ..Default::default()
        };
        services.insert("audit".into(), off);
        let no_email = ServiceRedaction {
            disabled_rules: vec!["email".into()],
            ..Default::default()
        };
        services.insert("crm".into(), no_email);
    })
    .await;
    let records: Vec<Value> = ["audit", "crm", "shop"]
        .iter()
        .map(|service| json!({"service": service, "message": "mail bob@example.com", "token": "t0ps3cret"}))
        .collect();
    assert_eq!(app.post_json(json!(records).to_string()).await, 200);

    let (body, attributes, ..) = row(&app, "audit").await;
    assert_eq!(
        (body.as_str(), &attributes["token"]),
        ("mail bob@example.com", &json!("t0ps3cret"))
    );
    let (body, attributes, ..) = row(&app, "crm").await;
    assert_eq!(
        (body.as_str(), &attributes["token"]),
        ("mail bob@example.com", &json!("***REDACTED***"))
    );
    let (body, attributes, ..) = row(&app, "shop").await;
    assert_eq!(
        (body.as_str(), &attributes["token"]),
        ("mail ***REDACTED***", &json!("***REDACTED***"))
    );
}

#[tokio::test]
async fn ips_truncate_and_replacements_name_their_rule_when_configured() {
    let app = spawn_app_with(|config| {
        config.redaction.ip_addresses = IpMode::Truncate;
        config.redaction.replacement = "[REDACTED:{rule}]".into();
        config.redaction.patterns = vec![PatternConfig {
            name: "order_secret".into(),
            regex: r"order-pin (?P<secret>\d{4})".into(),
        }];
    })
    .await;
    let record = json!({
        "service": "edge", "message": "login from 203.0.113.77 by bob@example.com, order-pin 1234",
        "client.address": "2001:db8:85a3:8d3:1319:8a2e:370:7348", "api_key": "k",
    });
    assert_eq!(app.post_json(record.to_string()).await, 200);
    let (body, attributes, ..) = row(&app, "edge").await;
    assert_eq!(
        body,
        "login from 203.0.113.0 by [REDACTED:email], order-pin [REDACTED:order_secret]"
    );
    assert_eq!(attributes["client.address"], "2001:db8:85a3::");
    assert_eq!(attributes["api_key"], "[REDACTED:key:api_key]");
    let counted = app
        .metric_sum("logbridge_redactions_total", &[("rule", "order_secret")])
        .await;
    assert_eq!(counted, 1.0);
    let truncated = app
        .metric_sum("logbridge_redactions_total", &[("rule", "ip_address")])
        .await;
    assert_eq!(truncated, 2.0);
}

#[tokio::test]
async fn an_invalid_pattern_stops_startup_naming_it() {
    let yaml = "redaction:\n  patterns:\n    - { name: ok, regex: 'x+' }\n    - { name: broken, regex: 'a(b' }\n";
    let error = logbridge::settings::from_yaml_and_env(yaml, "logbridge.yaml", std::iter::empty())
        .unwrap_err();
    let error = error.to_string();
    assert!(
        error.contains("logbridge.yaml")
            && error.contains("redaction.patterns[1] \"broken\": regex parse error"),
        "{error}"
    );

    let mut config = Config::default();
    config.redaction.patterns = vec![PatternConfig {
        name: "broken".into(),
        regex: "a(b".into(),
    }];
    let error = logbridge::app::start(config)
        .await
        .err()
        .expect("startup fails")
        .to_string();
    assert!(
        error.contains("redaction.patterns[0] \"broken\""),
        "{error}"
    );
}
