//! Web vitals from the browser: a Faro `web-vitals` measurement record (see
//! `crate::ingest::faro`) becomes observations of `browser_web_vitals_duration_seconds` (LCP,
//! FCP, TTFB, INP, reported in milliseconds) and `browser_web_vitals_cls` (layout shift, a
//! score), per service and page route (the page URL's route template).

use prometheus_client::encoding::EncodeLabelSet;
use serde_json::Value;

use super::derived::{Sample, TraceExemplar};
use super::guard::{OVERFLOW, Overflow};
use crate::model::LogRecord;
use crate::pipeline::route;

/// The labels of both web-vitals histograms; `vital` is one of [`DURATIONS`] or `cls`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WebVitalLabels {
    pub service: String,
    pub route: String,
    pub vital: String,
}

impl Overflow for WebVitalLabels {
    fn overflow(&self) -> Self {
        WebVitalLabels {
            service: OVERFLOW.to_string(),
            route: OVERFLOW.to_string(),
            vital: OVERFLOW.to_string(),
        }
    }
}

/// The vitals that are durations, as the Faro SDK names its values (milliseconds).
pub const DURATIONS: [&str; 4] = ["lcp", "fcp", "ttfb", "inp"];

/// The web-vitals samples of a record: none unless it is a Faro `web-vitals` measurement.
pub fn derive(record: &LogRecord, samples: &mut Vec<Sample>) {
    if record.scope.as_deref() != Some("faro") {
        return;
    }
    let attributes = &record.attributes;
    let text = |key: &str| attributes.get(key).and_then(Value::as_str);
    if text("measurement.type") != Some("web-vitals") {
        return;
    }
    let route = route::template(text("page.url").unwrap_or("/"));
    let exemplar = || {
        let trace_id = record.trace_id.clone()?;
        Some(TraceExemplar { trace_id })
    };
    let labels = |vital: &str| WebVitalLabels {
        service: record.service.clone(),
        route: route.clone(),
        vital: vital.to_string(),
    };
    for vital in DURATIONS {
        let value = attributes.get(&format!("measurement.{vital}"));
        if let Some(milliseconds) = value.and_then(Value::as_f64) {
            let sample = Sample::WebVitalDuration(labels(vital), milliseconds / 1000.0, exemplar());
            samples.push(sample);
        }
    }
    if let Some(score) = attributes.get("measurement.cls").and_then(Value::as_f64) {
        samples.push(Sample::WebVitalCls(labels("cls"), score));
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;

    fn measurement(values: Value) -> LogRecord {
        let mut record = LogRecord::new("measurement web-vitals".into(), Utc::now());
        record.service = "shop".into();
        record.scope = Some("faro".into());
        let mut attributes = json!({
            "measurement.type": "web-vitals",
            "page.url": "https://shop.example.com/cart/1234?x=1",
        });
        for (name, value) in values.as_object().unwrap() {
            attributes[format!("measurement.{name}")] = value.clone();
        }
        record.attributes = attributes.as_object().unwrap().clone();
        record
    }

    #[test]
    fn vitals_are_observed_per_service_and_page_route() {
        let mut samples = Vec::new();
        derive(
            &measurement(json!({"lcp": 1874.0, "delta": 3.0})),
            &mut samples,
        );
        derive(&measurement(json!({"cls": 0.12})), &mut samples);
        let labels = |vital: &str| WebVitalLabels {
            service: "shop".into(),
            route: "/cart/{id}".into(),
            vital: vital.into(),
        };
        assert_eq!(
            samples,
            [
                Sample::WebVitalDuration(labels("lcp"), 1.874, None),
                Sample::WebVitalCls(labels("cls"), 0.12),
            ]
        );
    }

    #[test]
    fn other_records_give_nothing() {
        let mut samples = Vec::new();
        let mut custom = measurement(json!({"lcp": 1.0}));
        custom.attributes["measurement.type"] = json!("custom");
        derive(&custom, &mut samples);
        let mut not_faro = measurement(json!({"lcp": 1.0}));
        not_faro.scope = None;
        derive(&not_faro, &mut samples);
        assert!(samples.is_empty());
    }
}
