//! The redaction property over HTTP: secrets of every rule, surrounded by random text in the body,
//! attributes, nested objects, arrays, the resource, exception fields and URL paths of OTLP and
//! JSON records, and whole values under sensitive keys, never reach a stored row (any column of
//! `logs`, `exception_groups`, `error_counts`) or `/metrics`.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, KeyValue, KeyValueList, any_value,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use prost::Message;
use serde_json::{Map, Value, json};

use super::secrets::{Secret, embedded, keyed};
use crate::api::helpers::{TestApp, spawn_app, spawn_app_with};

type Keyed = (String, Value, Vec<String>);

/// One record's secrets, one in each place.
#[derive(Debug, Clone)]
struct Case {
    body: Secret,
    attribute: Secret,
    nested: Secret,
    listed: Secret,
    resource: Secret,
    exception: Secret,
    path: Secret,
    keyed: Keyed,
    nested_keyed: Keyed,
    resource_keyed: Keyed,
}

fn case() -> impl Strategy<Value = Case> {
    let texts = (
        embedded(),
        embedded(),
        embedded(),
        embedded(),
        embedded(),
        embedded(),
        embedded(),
    );
    (texts, keyed(), keyed(), keyed()).prop_map(|(texts, keyed, nested_keyed, resource_keyed)| {
        let (body, attribute, nested, listed, resource, exception, path) = texts;
        Case {
            body,
            attribute,
            nested,
            listed,
            resource,
            exception,
            path,
            keyed,
            nested_keyed,
            resource_keyed,
        }
    })
}

impl Case {
    fn hidden(&self) -> Vec<&str> {
        let texts = [
            &self.body,
            &self.attribute,
            &self.nested,
            &self.listed,
            &self.resource,
            &self.exception,
            &self.path,
        ];
        let keyed = [&self.keyed, &self.nested_keyed, &self.resource_keyed];
        let texts = texts.into_iter().flat_map(|s| &s.hidden);
        let keyed = keyed.into_iter().flat_map(|(_, _, hidden)| hidden);
        texts.chain(keyed).map(String::as_str).collect()
    }

    fn attributes(&self) -> Map<String, Value> {
        let mut inner = Map::new();
        inner.insert("text".into(), json!(self.nested.text));
        inner.insert(self.nested_keyed.0.clone(), self.nested_keyed.1.clone());
        let mut attributes = json!({
            "note": self.attribute.text,
            "ctx": {"inner": inner},
            "items": ["first", self.listed.text, {"deep": [self.listed.text]}],
            "exception.type": "RedactionTestError",
            "exception.message": self.exception.text,
            "exception.stacktrace": format!("RedactionTestError: {}\n    at handler (app.js:1:1)", self.exception.text),
            "http.request.method": "GET",
            "url.path": format!("/reset/{}", self.path.text),
            "http.response.status_code": 500,
        });
        let map = attributes.as_object_mut().expect("an object");
        map.insert(self.keyed.0.clone(), self.keyed.1.clone());
        map.clone()
    }

    fn resource(&self) -> Map<String, Value> {
        let mut resource = Map::new();
        resource.insert("service.name".into(), json!("redaction-otlp"));
        resource.insert("deployment.note".into(), json!(self.resource.text));
        resource.insert(self.resource_keyed.0.clone(), self.resource_keyed.1.clone());
        resource
    }

    fn otlp(&self) -> Vec<u8> {
        let record = LogRecord {
            severity_number: 17,
            body: Some(any(&json!(self.body.text))),
            attributes: key_values(&self.attributes()),
            ..Default::default()
        };
        let request = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(Resource {
                    attributes: key_values(&self.resource()),
                    ..Default::default()
                }),
                scope_logs: vec![ScopeLogs {
                    log_records: vec![record.clone(), record],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        request.encode_to_vec()
    }

    /// The same record for the JSON receiver; the resource's attributes become attributes.
    fn json(&self) -> String {
        let mut object = self.attributes();
        object.extend(self.resource());
        object.insert("service.name".into(), json!("redaction-json"));
        object.insert("message".into(), json!(self.body.text));
        object.insert("level".into(), json!("error"));
        Value::Object(object).to_string()
    }
}

fn any(value: &Value) -> AnyValue {
    use any_value::Value as V;
    let value = match value {
        Value::Null => None,
        Value::Bool(b) => Some(V::BoolValue(*b)),
        Value::Number(n) => Some(
            n.as_i64()
                .map_or_else(|| V::DoubleValue(n.as_f64().unwrap_or(0.0)), V::IntValue),
        ),
        Value::String(s) => Some(V::StringValue(s.clone())),
        Value::Array(items) => Some(V::ArrayValue(ArrayValue {
            values: items.iter().map(any).collect(),
        })),
        Value::Object(map) => Some(V::KvlistValue(KeyValueList {
            values: key_values(map),
        })),
    };
    AnyValue { value }
}

fn key_values(map: &Map<String, Value>) -> Vec<KeyValue> {
    let pairs = map.iter().map(|(key, value)| KeyValue {
        key: key.clone(),
        value: Some(any(value)),
        ..Default::default()
    });
    pairs.collect()
}

/// Every stored row of the tables that hold record data, as JSON text, and `/metrics`.
pub async fn stored_text(app: &TestApp) -> String {
    let mut text = String::new();
    for table in ["logs", "exception_groups", "error_counts"] {
        let sql =
            format!("SELECT coalesce(string_agg(row_to_json(t)::text, E'\\n'), '') FROM {table} t");
        let rows: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&app.db)
            .await
            .unwrap();
        text.push_str(&rows);
    }
    text.push_str(&app.get("/metrics").await.text().await.unwrap());
    text
}

/// Sends the case over OTLP/HTTP and the JSON receiver; returns what is stored afterwards.
async fn send(app: &TestApp, case: &Case) -> Result<String, TestCaseError> {
    let before = app.count("true").await;
    let otlp = app
        .post("/v1/logs", "application/x-protobuf", case.otlp())
        .await;
    prop_assert_eq!(otlp.status(), 200);
    let json = app
        .post("/api/v1/logs", "application/json", case.json())
        .await;
    prop_assert_eq!(json.status(), 200);
    prop_assert_eq!(
        app.count("true").await,
        before + 3,
        "every record is stored"
    );
    Ok(stored_text(app).await)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

#[test]
fn secrets_never_reach_rows_or_metrics() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(spawn_app());
    let result = runner(40).run(&case(), |case| {
        let stored = runtime.block_on(send(&app, &case))?;
        for hidden in case.hidden() {
            prop_assert!(!stored.contains(hidden), "`{}` was stored", hidden);
        }
        Ok(())
    });
    result.unwrap();
    let stored = runtime.block_on(stored_text(&app));
    assert!(
        stored.contains("***REDACTED***"),
        "the check reads what was stored"
    );
}

/// The property's check is able to fail: with redaction off, every secret is found.
#[test]
fn without_redaction_the_check_finds_every_secret() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(spawn_app_with(|config| config.redaction.enabled = false));
    let result = runner(5).run(&case(), |case| {
        let stored = runtime.block_on(send(&app, &case))?;
        for hidden in case.hidden() {
            prop_assert!(stored.contains(hidden), "`{}` is missing", hidden);
        }
        Ok(())
    });
    result.unwrap();
}
