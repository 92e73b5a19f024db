//! Tests of exception fingerprints and error groups.

use super::*;
use crate::model::ExceptionInfo;
use chrono::Utc;

fn fingerprint(service: &str, kind: &str, message: &str, stack: Option<&str>) -> String {
    let mut record = LogRecord::new(String::new(), Utc::now());
    record.service = service.into();
    record.exception = Some(ExceptionInfo {
        exception_type: kind.into(),
        message: message.into(),
        stacktrace: stack.map(Into::into),
        fingerprint: String::new(),
    });
    assign(&mut record);
    record.exception.unwrap().fingerprint
}

#[test]
fn variable_parts_of_messages_are_replaced() {
    assert_eq!(normalize("user 42 not found"), "user ? not found");
    assert_eq!(
        normalize("id 550e8400-e29b-41d4-a716-446655440000 gone"),
        "id ? gone"
    );
    assert_eq!(normalize("key 'abc' and \"d e\""), "key ? and ?");
    assert_eq!(normalize("0xdeadbeef cafe"), "? cafe");
    assert_eq!(normalize("face value"), "face value");
    assert_eq!(normalize("http2 error"), "http2 error");
}

#[test]
fn occurrences_differing_in_ids_and_line_numbers_share_a_group() {
    let a = fingerprint(
        "api",
        "KeyError",
        "no user 1",
        Some("  File \"a.py\", line 3, in f"),
    );
    let b = fingerprint(
        "api",
        "KeyError",
        "no user 2",
        Some("  File \"a.py\", line 9, in f"),
    );
    assert_eq!(a, b);
    assert_eq!(a.len(), FINGERPRINT_HEX);
}

#[test]
fn service_type_and_crashing_frame_separate_groups_and_the_message_does_not() {
    let base = fingerprint("api", "E", "boom", Some("at f (a.js:1:2)"));
    assert_ne!(
        base,
        fingerprint("web", "E", "boom", Some("at f (a.js:1:2)"))
    );
    assert_ne!(
        base,
        fingerprint("api", "F", "boom", Some("at f (a.js:1:2)"))
    );
    assert_ne!(
        base,
        fingerprint("api", "E", "boom", Some("at g (a.js:1:2)"))
    );
    assert_eq!(
        base,
        fingerprint("api", "E", "bang", Some("at f (a.js:9:2)"))
    );
}

#[test]
fn without_frames_the_normalized_message_separates_groups() {
    let currency =
        |code: &str| fingerprint("api", "ValueError", &format!("bad currency '{code}'"), None);
    assert_eq!(currency("GBP"), currency("JPY"));
    let a = fingerprint("api", "E", "can't reach db", None);
    assert_ne!(a, fingerprint("api", "E", "can't parse 'x'", None));
}

const CHECKOUT: &str = "Traceback (most recent call last):
  File \"/app/shop/api.py\", line 3, in checkout
    return load(order)
  File \"/app/shop/orders.py\", line 5, in load
    return order[\"currency\"]
KeyError: 'currency'";

#[test]
fn call_paths_share_a_group_and_same_named_functions_in_two_files_do_not() {
    let checkout = fingerprint("api", "KeyError", "'currency'", Some(CHECKOUT));
    let reorder = CHECKOUT.replace("line 3, in checkout", "line 9, in reorder");
    assert_eq!(
        checkout,
        fingerprint("api", "KeyError", "'total'", Some(&reorder))
    );
    let users = CHECKOUT.replace("shop/orders.py", "shop/users.py");
    assert_ne!(
        checkout,
        fingerprint("api", "KeyError", "'currency'", Some(&users))
    );
}

#[test]
fn library_frames_on_top_are_skipped_for_the_application_frame() {
    let stack = |library: &str| {
        format!(
            "SyntaxError: Unexpected end of JSON input\n    at {library}\n    at parse (/app/config.js:4:15)"
        )
    };
    let a = fingerprint(
        "api",
        "SyntaxError",
        "x",
        Some(&stack("JSON.parse (<anonymous>)")),
    );
    let b = fingerprint(
        "api",
        "SyntaxError",
        "y",
        Some(&stack("Object.x (/app/node_modules/j/i.js:1:1)")),
    );
    assert_eq!(a, b);
}

#[test]
fn the_root_cause_of_a_chain_separates_groups_under_one_wrapper() {
    let java = |cause: &str, at: &str| {
        format!(
            "shop.SyncException: sync failed\n\tat shop.Inventory.sync(Inventory.java:26)\nCaused by: {cause}: x\n\tat {at}\n\t... 2 more"
        )
    };
    let empty = java(
        "java.lang.IllegalStateException",
        "shop.Inventory.sync(Inventory.java:22)",
    );
    let number = java(
        "java.lang.NumberFormatException",
        "shop.Inventory.sync(Inventory.java:24)",
    );
    let kind = "shop.SyncException";
    assert_ne!(
        fingerprint("api", kind, "", Some(&empty)),
        fingerprint("api", kind, "", Some(&number))
    );
    let parse = java(
        "java.lang.NumberFormatException",
        "shop.Inventory.parse(Inventory.java:40)",
    );
    assert_ne!(
        fingerprint("api", kind, "", Some(&number)),
        fingerprint("api", kind, "", Some(&parse))
    );
}

#[test]
fn exception_fingerprint_attribute_overrides_grouping() {
    let custom = |value: &str, kind: &str| {
        let mut record = LogRecord::new(String::new(), Utc::now());
        record
            .attributes
            .insert(CUSTOM_FINGERPRINT.into(), value.into());
        record.exception = Some(ExceptionInfo {
            exception_type: kind.into(),
            message: String::new(),
            stacktrace: None,
            fingerprint: String::new(),
        });
        assign(&mut record);
        record.exception.unwrap().fingerprint
    };
    assert_eq!(
        custom("db-outage", "Timeout"),
        custom("db-outage", "ConnectionReset")
    );
    assert_ne!(custom("db-outage", "Timeout"), custom("cache", "Timeout"));
    assert_ne!(
        custom("db-outage", "Timeout"),
        fingerprint("", "Timeout", "", None)
    );
}

#[test]
fn error_records_get_an_error_group_and_others_none() {
    let record = |level: Level, body: &str| {
        let mut record = LogRecord::new(body.into(), Utc::now());
        record.level = level;
        assign(&mut record);
        record.error_fingerprint
    };
    assert_eq!(
        record(Level::Error, "order 1 failed"),
        record(Level::Fatal, "order 2 failed")
    );
    assert_ne!(
        record(Level::Error, "order 1 failed"),
        record(Level::Error, "disk full")
    );
    assert_eq!(record(Level::Warn, "order 1 failed"), None);
    let exception = fingerprint("api", "E", "boom", None);
    let mut with_exception = LogRecord::new("x".into(), Utc::now());
    with_exception.service = "api".into();
    with_exception.level = Level::Error;
    with_exception.exception = Some(ExceptionInfo {
        exception_type: "E".into(),
        message: "boom".into(),
        stacktrace: None,
        fingerprint: String::new(),
    });
    assign(&mut with_exception);
    assert_eq!(with_exception.error_fingerprint, Some(exception));
}

#[test]
fn a_configured_rule_groups_what_it_matches_and_the_attribute_wins() {
    let config: crate::config::grouping::GroupingConfig = serde_yaml_ng::from_str(
        "rules:\n- {fingerprint: db-outage, type: 'Timeout|Reset', module: '^db'}",
    )
    .unwrap();
    let rules = Rules::from_config(&config).unwrap();
    let grouped = |kind: &str, stack: &str, custom: Option<&str>| {
        let mut record = LogRecord::new(String::new(), Utc::now());
        if let Some(custom) = custom {
            record
                .attributes
                .insert(CUSTOM_FINGERPRINT.into(), custom.into());
        }
        record.exception = Some(ExceptionInfo {
            exception_type: kind.into(),
            message: String::new(),
            stacktrace: Some(stack.into()),
            fingerprint: String::new(),
        });
        assign_with(&mut record, &rules);
        record.exception.unwrap().fingerprint
    };
    let db = |function: &str| format!("E: x\n    at {function} (/app/db.js:1:2)");
    assert_eq!(
        grouped("Timeout", &db("query"), None),
        grouped("ConnectionReset", &db("connect"), None)
    );
    let elsewhere = "E: x\n    at query (/app/cache.js:1:2)";
    assert_ne!(
        grouped("Timeout", &db("query"), None),
        grouped("Timeout", elsewhere, None)
    );
    assert_ne!(
        grouped("Timeout", &db("query"), None),
        grouped("Timeout", &db("query"), Some("x"))
    );
}
