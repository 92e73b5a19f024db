use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/alertmanager/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn captured_firing_notification_decodes() {
    let changes = decode(&fixture("firing.json")).unwrap();
    assert!(!changes.is_empty());
    for change in &changes {
        assert_eq!(change.status, "firing");
        assert!(!change.alertname.is_empty());
        assert!(change.starts_at.is_some());
        assert_eq!(change.ends_at, None, "zero time means still firing");
        assert!(change.receiver.is_some() && change.group_key.is_some());
    }
}

#[test]
fn captured_resolved_notification_has_end_times() {
    let changes = decode(&fixture("resolved.json")).unwrap();
    assert!(!changes.is_empty());
    for change in &changes {
        assert_eq!(change.status, "resolved");
        assert!(change.ends_at.is_some() && change.ends_at > change.starts_at);
    }
}

#[test]
fn computed_fingerprints_match_alertmanager() {
    for name in ["firing.json", "resolved.json"] {
        let body: Value = serde_json::from_slice(&fixture(name)).unwrap();
        for alert in body["alerts"].as_array().unwrap() {
            let labels: BTreeMap<String, String> =
                serde_json::from_value(alert["labels"].clone()).unwrap();
            assert_eq!(fingerprint(&labels), alert["fingerprint"], "{name}");
        }
    }
}

#[test]
fn missing_optional_fields_are_fine() {
    let body = br#"{"alerts": [{"status": "firing", "labels": {"alertname": "A"}}]}"#;
    let changes = decode(body).unwrap();
    assert_eq!(changes[0].alertname, "A");
    assert_eq!(changes[0].starts_at, None);
    assert_eq!(changes[0].fingerprint.len(), 16);
    assert_eq!(changes[0].service, None);
}

#[test]
fn bad_json_is_named_precisely() {
    let cases: [(&[u8], &str); 4] = [
        (b"{", "EOF while parsing"),
        (br#"{"version": "4"}"#, "missing field `alerts`"),
        (
            br#"{"alerts": [{"status": "firing", "labels": {}, "startsAt": "yesterday"}]}"#,
            "alerts[0].startsAt: ",
        ),
        (
            br#"{"alerts": [{"status": "firing", "labels": {"a": 1}}]}"#,
            "alerts[0].labels.a: invalid type",
        ),
    ];
    for (body, expected) in cases {
        let error = decode(body).unwrap_err().to_string();
        assert!(error.contains(expected), "{error}");
    }
}

#[test]
fn invalid_alerts_reject_the_notification_with_their_index() {
    let body = br#"{"alerts": [
        {"status": "firing", "labels": {"alertname": "A"}},
        {"status": "pending", "labels": {"alertname": "B"}},
        {"status": "resolving", "labels": {"alertname": "C"}}]}"#;
    let Err(IngestError::InvalidBatch { items, total }) = decode(body) else {
        panic!("rejected as a batch");
    };
    assert_eq!(total, 3);
    assert_eq!(items.iter().map(|i| i.index).collect::<Vec<_>>(), [1, 2]);
    assert!(items[0].reason.contains("pending"), "{}", items[0].reason);
}

#[test]
fn other_versions_and_too_many_alerts_are_refused() {
    let error = decode(br#"{"version": "3", "alerts": []}"#).unwrap_err();
    assert!(error.to_string().contains("version"), "{error}");
    let alert = r#"{"status": "firing", "labels": {"alertname": "A"}}"#;
    let many = vec![alert; MAX_ALERTS + 1].join(",");
    let error = decode(format!(r#"{{"alerts": [{many}]}}"#).as_bytes()).unwrap_err();
    assert!(error.to_string().contains("more than 1000"), "{error}");
}

#[test]
fn nul_anywhere_is_stored_as_fffd() {
    // Found by the alert_webhook fuzzer: a NUL in `groupKey` reached PostgreSQL's text column.
    // It was refused (400, which Alertmanager does not retry) until NUL became U+FFFD.
    let found = fuzz_reproducer("nul-in-group-key.json");
    let changes = decode(&found).unwrap();
    let group_key = changes[0].group_key.as_deref().unwrap();
    assert!(group_key.contains('\u{FFFD}') && !group_key.contains('\0'));
    let body = br#"{"receiver": "a\u0000", "alerts": [{"status": "firing",
        "labels": {"alertname": "x\u0000", "k\u0000": "v"}, "annotations": {"s": "\u0000"},
        "generatorURL": "u\u0000", "fingerprint": "f\u0000"}]}"#;
    let change = decode(body).unwrap().remove(0);
    assert_eq!(change.receiver.as_deref(), Some("a\u{FFFD}"));
    assert_eq!(change.alertname, "x\u{FFFD}");
    assert_eq!(change.labels["k\u{FFFD}"], "v");
    assert_eq!(change.annotations["s"], "\u{FFFD}");
    assert_eq!(change.generator_url.as_deref(), Some("u\u{FFFD}"));
    assert_eq!(change.fingerprint, "f\u{FFFD}");
}

fn fuzz_reproducer(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/fuzz/alert_webhook/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
