use std::sync::{Arc, LazyLock};

use chrono::Utc;
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::config::{IpMode, PatternConfig, ServiceRedaction};

#[path = "../../../tests/api/redaction/secrets.rs"]
#[allow(dead_code, reason = "the integration test uses all of it")]
mod secrets;

const R: &str = "***REDACTED***";

fn redactor(adjust: impl FnOnce(&mut RedactionConfig)) -> Redactor {
    let mut config = RedactionConfig::default();
    adjust(&mut config);
    Redactor::from_config(&config).expect("valid configuration")
}

/// The body after redaction with `redactor`.
fn body_with(redactor: &Redactor, text: &str) -> String {
    let mut record = LogRecord::new(text.into(), Utc::now());
    redactor.redact(&mut record, &mut redactor.batch());
    record.body
}

/// The body after redaction with the default rules.
fn body(text: &str) -> String {
    static DEFAULT: LazyLock<Redactor> = LazyLock::new(|| redactor(|_| {}));
    body_with(&DEFAULT, text)
}

/// Each text redacts to its expected form, where `{R}` stands for the replacement.
#[track_caller]
fn assert_redacts(cases: &[(&str, &str)]) {
    for (text, expected) in cases {
        assert_eq!(body(text), expected.replace("{R}", R), "{text}");
    }
}

#[track_caller]
fn assert_keeps(texts: &[&str]) {
    for text in texts {
        assert_eq!(body(text), *text);
    }
}

#[test]
fn emails() {
    assert_redacts(&[
        ("mail bob.smith+x@mail.example.com now", "mail {R} now"),
        ("<alice@example.org>", "<{R}>"),
    ]);
    assert_keeps(&["pkg@1.2.3", "@types/node", "user@localhost"]);
}

#[test]
fn card_numbers_pass_luhn_and_start_like_a_network() {
    assert_eq!(
        body("paid with 4111 1111 1111 1111."),
        format!("paid with {R}.")
    );
    assert_eq!(body("card=5500-0000-0000-0004"), format!("card={R}"));
    assert_keeps(&[
        "paid with 4111 1111 1111 1112",
        "ts 1700000000004 ns 1732300000000000004",
        "order 12345678901234",
    ]);
}

#[test]
fn ssns_outside_the_invalid_ranges() {
    assert_eq!(body("ssn 123-45-6789"), format!("ssn {R}"));
    assert_keeps(&[
        "000-12-3456",
        "666-12-3456",
        "912-12-3456",
        "123-00-4567",
        "123-45-0000",
        "1-123-45-6789-2",
    ]);
}

#[test]
fn tokens_of_known_issuers() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    let cases = [
        format!("token {jwt} expired"),
        "key AKIAIOSFODNN7EXAMPLE used".into(),
        format!("pushed with ghp_{} ok", "a1B2".repeat(9)),
        "hook xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx".into(),
        format!("maps AIza{} ok", "Sy9-_x".repeat(6).get(..35).unwrap()),
        format!("charge sk_live_{} ok", "4eC39HqLyjWDarjtT1zdp7dc"),
    ];
    for text in cases {
        let redacted = body(&text);
        assert!(
            redacted.contains(R) && redacted.split(R).count() == 2,
            "{text} -> {redacted}"
        );
    }
    assert_keeps(&["eyJust.a.word", "AKIA is short", "ghp_short", "xoxb-1"]);
}

#[test]
fn bearer_tokens_but_not_the_word() {
    assert_eq!(
        body("sent Bearer abc.DEF-123_xyz"),
        format!("sent Bearer {R}")
    );
    assert_keeps(&["the bearer of bad news", "Bearer authentication failed"]);
}

#[test]
fn private_key_blocks_whole_or_cut_off() {
    let block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----";
    assert_eq!(
        body(&format!("key:\n{block}\nend")),
        format!("key:\n{R}\nend")
    );
    let cut = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq";
    assert_eq!(body(&format!("x {cut}")), format!("x {R}"));
    assert_keeps(&["-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"]);
}

#[test]
fn passwords_in_urls_and_after_sensitive_keys() {
    assert_redacts(&[
        (
            "postgres://app:s3cr3t@db:5432/x",
            "postgres://app:{R}@db:5432/x",
        ),
        (
            "login password=hunter2&user=bob",
            "login password={R}&user=bob",
        ),
        (
            r#"{"api_key": "a b c", "n": 1}"#,
            r#"{"api_key": "{R}", "n": 1}"#,
        ),
        (r#"{\"token\":\"abc\"}"#, r#"{\"token\":\"{R}\"}"#),
        ("DB_PASSWORD='x y' next", "DB_PASSWORD='{R}' next"),
        ("Authorization: Basic Ym9iOnB3", "Authorization: {R}"),
        (
            "Authorization: Bearer abc.DEF-123_xyz",
            "Authorization: {R}",
        ),
    ]);
    assert_keeps(&[
        "tokens_used=12",
        "session.id=abc",
        "mypassword=x",
        "password_hint shown",
    ]);
}

#[test]
fn hex_ids_versions_and_everyday_messages_are_kept() {
    assert_keeps(&[
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "550e8400-e29b-41d4-a716-446655440000",
        "GET /api/v1/orders/123456 200 12 ms",
        "version 1.2.3.4 at 10.0.0.1, 2001:db8::1",
        "java.lang.IllegalStateException: boom\n\tat com.acme.Client.charge(Client.java:212)",
        "2026-11-22T10:00:00Z took 12:30:45",
    ]);
}

#[test]
fn ip_addresses_by_mode() {
    let text = "from 203.0.113.77 and 2001:db8:85a3:8d3:1319:8a2e:370:7348";
    let truncate = redactor(|c| c.ip_addresses = IpMode::Truncate);
    assert_eq!(
        body_with(&truncate, text),
        "from 203.0.113.0 and 2001:db8:85a3::"
    );
    let redact = redactor(|c| c.ip_addresses = IpMode::Redact);
    assert_eq!(body_with(&redact, text), format!("from {R} and {R}"));
    assert_eq!(
        body_with(&redact, "library 1.2.3.4"),
        format!("library {R}"),
        "indistinguishable"
    );
}

#[test]
fn percent_encoded_unicode_and_zero_padded_addresses_are_caught_at_ingest() {
    assert_redacts(&[
        ("reset?email=bob%40example.com&x=1", "reset?email={R}&x=1"),
        ("to jörg.müller@bücher.de now", "to {R} now"),
        ("to 用户@例子.广告", "to {R}"),
    ]);
    let truncate = redactor(|c| c.ip_addresses = IpMode::Truncate);
    assert_eq!(
        body_with(&truncate, "from 010.001.002.077 and ::1 and ip=%3A%3A1"),
        format!("from 10.1.2.0 and :: and ip={}", "***REDACTED***"),
        "zero-padded truncated, encoded replaced: neither kept"
    );
    let redact = redactor(|c| c.ip_addresses = IpMode::Redact);
    assert_eq!(
        body_with(&redact, "net 2001:db8:: q=%2210.1.2.3%22"),
        format!("net {R} q=%22{R}%22")
    );
    let mut record = LogRecord::new("m".into(), Utc::now());
    record.attributes = json!({"seen bob@example.com": 1})
        .as_object()
        .unwrap()
        .clone();
    let default = redactor(|_| {});
    default.redact(&mut record, &mut default.batch());
    assert_eq!(
        serde_json::Value::Object(record.attributes),
        json!({format!("seen {R}"): 1})
    );
}

#[test]
fn sensitive_keys_replace_whole_values_at_any_depth() {
    let redactor = redactor(|_| {});
    let mut record = LogRecord::new("m".into(), Utc::now());
    let value = json!({"user": {"password": {"old": "a", "new": "b"}}, "list": [{"apiKey": 7}], "Cookie": ["a", "b"], "ok": true});
    record.attributes = value.as_object().unwrap().clone();
    let mut batch = redactor.batch();
    redactor.redact(&mut record, &mut batch);
    let expected =
        json!({"user": {"password": R}, "list": [{"apiKey": R}], "Cookie": R, "ok": true});
    assert_eq!(serde_json::Value::Object(record.attributes), expected);
    let counted: Vec<_> = batch.counted().collect();
    assert_eq!(
        counted,
        [("key:password", 1), ("key:api_key", 1), ("key:cookie", 1)]
    );
}

#[test]
fn keys_and_integers_holding_secrets_are_redacted() {
    let redactor = redactor(|_| {});
    let mut record = LogRecord::new("m".into(), Utc::now());
    record.attributes =
        json!({"bob@example.com": 1, "card": 4111111111111111u64, "n": 4111111111111112u64})
            .as_object()
            .unwrap()
            .clone();
    redactor.redact(&mut record, &mut redactor.batch());
    let expected = json!({R: 1, "card": R, "n": 4111111111111112u64});
    assert_eq!(serde_json::Value::Object(record.attributes), expected);
}

#[test]
fn a_shared_resource_is_redacted_once_per_request() {
    let redactor = redactor(|_| {});
    let resource = Arc::new(
        json!({"host.name": "h", "db.password": "p"})
            .as_object()
            .unwrap()
            .clone(),
    );
    let mut records: Vec<LogRecord> = (0..3)
        .map(|_| {
            let mut record = LogRecord::new("m".into(), Utc::now());
            record.resource = Arc::clone(&resource);
            record
        })
        .collect();
    let mut batch = redactor.batch();
    for record in &mut records {
        redactor.redact(record, &mut batch);
    }
    assert_eq!(records[0].resource["db.password"], R);
    assert!(
        Arc::ptr_eq(&records[0].resource, &records[2].resource),
        "one copy for the request"
    );
    assert_eq!(
        resource["db.password"], "p",
        "the decoder's map is not changed"
    );
    assert_eq!(batch.counted().collect::<Vec<_>>(), [("key:password", 1)]);
}

#[test]
fn services_can_turn_off_everything_or_one_rule() {
    let redactor = redactor(|c| {
        c.services.insert(
            "audit".into(),
            ServiceRedaction {
                enabled: Some(false),
                ..Default::default()
            },
        );
        c.services.insert(
            "crm".into(),
            ServiceRedaction {
                disabled_rules: vec!["email".into()],
                ..Default::default()
            },
        );
    });
    let text = "bob@example.com password=x";
    let body_of = |service: &str| {
        let mut record = LogRecord::new(text.into(), Utc::now());
        record.service = service.into();
        redactor.redact(&mut record, &mut redactor.batch());
        record.body
    };
    assert_eq!(body_of("audit"), text);
    assert_eq!(body_of("crm"), format!("bob@example.com password={R}"));
    assert_eq!(body_of("shop"), format!("{R} password={R}"));
}

#[test]
fn configured_patterns_and_typed_replacements() {
    let redactor = redactor(|c| {
        c.replacement = "[REDACTED:{rule}]".into();
        c.patterns = vec![PatternConfig {
            name: "employee_id".into(),
            regex: r"\bE-\d{6}\b".into(),
        }];
    });
    let redacted = body_with(&redactor, "E-123456 mailed bob@example.com");
    assert_eq!(redacted, "[REDACTED:employee_id] mailed [REDACTED:email]");
}

#[test]
fn invalid_settings_name_the_key() {
    let error = |adjust: fn(&mut RedactionConfig)| {
        let mut config = RedactionConfig::default();
        adjust(&mut config);
        Redactor::from_config(&config).unwrap_err().to_string()
    };
    fn pattern(name: &str, regex: &str) -> PatternConfig {
        PatternConfig {
            name: name.into(),
            regex: regex.into(),
        }
    }
    let bad_regex = error(|c| c.patterns = vec![pattern("ok", "x"), pattern("bad", "a(")]);
    assert!(
        bad_regex.starts_with("redaction.patterns[1] \"bad\": regex parse error"),
        "{bad_regex}"
    );
    let empty = error(|c| c.patterns = vec![pattern("any", "a*")]);
    assert!(empty.contains("matches the empty string"), "{empty}");
    let taken = error(|c| c.patterns = vec![pattern("email", "x")]);
    assert!(
        taken.contains("patterns[0] \"email\": the name is taken"),
        "{taken}"
    );
    let unknown = error(|c| c.disabled_rules = vec!["emial".into()]);
    assert!(
        unknown.starts_with("redaction.disabled_rules: unknown rule `emial`"),
        "{unknown}"
    );
    let twice = error(|c| c.extra_keys = vec!["Pass-Word".into(), "pass_word".into()]);
    assert!(
        twice.contains("`pass_word` is given twice (as key:pass_word)"),
        "{twice}"
    );
}

proptest! {
    #[test]
    fn generated_secrets_never_survive(secret in secrets::embedded()) {
        let redacted = body(&secret.text);
        for hidden in &secret.hidden {
            prop_assert!(!redacted.contains(hidden.as_str()), "{} in {}", hidden, redacted);
        }
    }

    #[test]
    fn redaction_is_idempotent(secret in secrets::embedded()) {
        let once = body(&secret.text);
        prop_assert_eq!(body(&once), once.clone());
    }
}
