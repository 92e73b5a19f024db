//! The Faro Web SDK's transport body (`TransportBody` in `@grafana/faro-core`): `meta` and the
//! batched `logs`, `exceptions`, `measurements` and `events`. Fields the SDK may add later are
//! ignored; `traces` (OTLP JSON) is not decoded here.

use serde::Deserialize;
use serde_json::{Map, Number, Value};

/// One `POST /faro/collect` body.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Payload {
    pub meta: Meta,
    pub logs: Vec<Log>,
    pub exceptions: Vec<Exception>,
    pub measurements: Vec<Measurement>,
    pub events: Vec<Event>,
}

/// `meta`: the app, and the session, user, page, browser, view, SDK, OS and device as
/// attribute objects.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Meta {
    pub app: App,
    pub session: Option<Map<String, Value>>,
    pub user: Option<Map<String, Value>>,
    pub page: Option<Map<String, Value>>,
    pub browser: Option<Map<String, Value>>,
    pub view: Option<Map<String, Value>>,
    pub sdk: Option<Map<String, Value>>,
    pub os: Option<Map<String, Value>>,
    pub device: Option<Map<String, Value>>,
}

/// `meta.app`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct App {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub version: Option<String>,
    pub release: Option<String>,
    pub environment: Option<String>,
    pub bundle_id: Option<String>,
}

/// `trace` of an item: the active span when it was pushed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Trace {
    pub trace_id: String,
    pub span_id: String,
}

/// `logs[]`: `faro.api.pushLog` and the console instrumentation.
#[derive(Debug, Deserialize)]
pub struct Log {
    pub message: String,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
    #[serde(default)]
    pub trace: Option<Trace>,
}

/// `exceptions[]`: `faro.api.pushError` and the errors instrumentation.
#[derive(Debug, Deserialize)]
pub struct Exception {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub fatal: Option<bool>,
    #[serde(default)]
    pub stacktrace: Option<Stacktrace>,
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
    #[serde(default)]
    pub trace: Option<Trace>,
}

/// `exceptions[].stacktrace`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Stacktrace {
    pub frames: Vec<Frame>,
}

/// One stack frame; positions are checked by the decoder (absurd ones are refused).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Frame {
    pub filename: Option<String>,
    pub function: Option<String>,
    pub lineno: Option<Number>,
    pub colno: Option<Number>,
}

/// `measurements[]`: web vitals and custom measurements.
#[derive(Debug, Deserialize)]
pub struct Measurement {
    #[serde(rename = "type")]
    pub kind: String,
    pub values: Map<String, Value>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
    #[serde(default)]
    pub trace: Option<Trace>,
}

/// `events[]`: `faro.api.pushEvent`, session and navigation events.
#[derive(Debug, Deserialize)]
pub struct Event {
    pub name: String,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub attributes: Option<Map<String, Value>>,
    #[serde(default)]
    pub trace: Option<Trace>,
}
