//! The contract's log-derived metrics as a pure derivation from records to samples (as Vector's
//! `log_to_metric`); `families` applies the samples to the registered metrics. Spans derive the
//! same request, query and exception samples through the same functions (`spans`).

use std::collections::HashMap;

use prometheus_client::encoding::EncodeLabelSet;

use super::guard::{OVERFLOW, Overflow, observable};
use super::web_vitals::{self, WebVitalLabels};
use crate::model::{DbQuery, ExceptionInfo, HttpRequest, Level, LogRecord};

/// The longest duration the duration histograms observe: a week. A longer one (`1.7e308` s)
/// would make their `_sum` infinite or swallow every later observation in rounding; it is
/// counted in `logbridge_rejected_observations_total` instead, and as nothing slow.
pub const MAX_DURATION_SECONDS: f64 = 7.0 * 86_400.0;

/// Slow thresholds, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub slow_request_seconds: f64,
    pub slow_query_seconds: f64,
}

macro_rules! label_set {
    ($name:ident { $($field:ident),* }) => {
        #[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
        pub struct $name { $(pub $field: String),* }
        impl Overflow for $name {
            fn overflow(&self) -> Self { $name { $($field: OVERFLOW.to_string()),* } }
        }
    };
}

label_set!(LogLabels { service, level });
label_set!(RequestLabels {
    service,
    method,
    route,
    status_code
});
label_set!(SlowRequestLabels {
    service,
    method,
    route
});
label_set!(QueryLabels {
    service,
    db_system,
    operation
});
label_set!(SlowQueryLabels {
    service,
    db_system,
    query
});
label_set!(ExceptionLabels {
    service,
    exception_type
});

/// The exemplar of a histogram observation.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TraceExemplar {
    pub trace_id: String,
}

/// One observation derived from records.
#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    Logs(LogLabels, u64),
    RequestDuration(RequestLabels, f64, Option<TraceExemplar>),
    SlowRequest(SlowRequestLabels),
    QueryDuration(QueryLabels, f64, Option<TraceExemplar>),
    SlowQuery(SlowQueryLabels),
    Exception(ExceptionLabels),
    /// A duration web vital (seconds) of a page.
    WebVitalDuration(WebVitalLabels, f64, Option<TraceExemplar>),
    /// A page's cumulative layout shift score.
    WebVitalCls(WebVitalLabels, f64),
}

/// Derives the samples of a batch of accepted records; log counts are summed per label set.
pub fn derive(records: &[LogRecord], thresholds: Thresholds) -> Vec<Sample> {
    let mut counts: HashMap<(&str, Level), u64> = HashMap::new();
    let mut samples = Vec::new();
    for record in records {
        *counts.entry((&record.service, record.level)).or_default() += 1;
        derive_record(record, thresholds, &mut samples);
    }
    let logs = counts.into_iter().map(|((service, level), n)| {
        let labels = LogLabels {
            service: service.to_string(),
            level: level.as_str().to_string(),
        };
        Sample::Logs(labels, n)
    });
    samples.extend(logs);
    samples
}

/// A duration the histograms observe (see [`MAX_DURATION_SECONDS`]); an implausible one is
/// counted as rejected by its histogram and as no slow request or query.
fn plausible(seconds: f64) -> bool {
    observable(seconds, MAX_DURATION_SECONDS)
}

fn derive_record(record: &LogRecord, thresholds: Thresholds, samples: &mut Vec<Sample>) {
    let service = &record.service;
    let exemplar = || {
        let trace_id = record.trace_id.clone()?;
        Some(TraceExemplar { trace_id })
    };
    if let Some(request) = &record.request {
        derive_request(service, request, exemplar, thresholds, samples);
    }
    if let Some(query) = &record.query {
        derive_query(service, query, exemplar, thresholds, samples);
    }
    if let Some(exception) = &record.exception {
        derive_exception(service, exception, samples);
    }
    web_vitals::derive(record, samples);
}

/// The samples of a request with a duration, from a log record or a server span.
pub(super) fn derive_request(
    service: &str,
    request: &HttpRequest,
    exemplar: impl FnOnce() -> Option<TraceExemplar>,
    thresholds: Thresholds,
    samples: &mut Vec<Sample>,
) {
    let Some(seconds) = request.duration_seconds else {
        return;
    };
    let status_code = request
        .status_code
        .map(|s| s.to_string())
        .unwrap_or_default();
    let labels = RequestLabels {
        service: service.to_string(),
        method: request.method.clone(),
        route: request.route.clone(),
        status_code,
    };
    samples.push(Sample::RequestDuration(labels, seconds, exemplar()));
    if seconds >= thresholds.slow_request_seconds && plausible(seconds) {
        samples.push(Sample::SlowRequest(SlowRequestLabels {
            service: service.to_string(),
            method: request.method.clone(),
            route: request.route.clone(),
        }));
    }
}

/// The samples of a query with a duration, from a log record or a database client span.
pub(super) fn derive_query(
    service: &str,
    query: &DbQuery,
    exemplar: impl FnOnce() -> Option<TraceExemplar>,
    thresholds: Thresholds,
    samples: &mut Vec<Sample>,
) {
    let Some(seconds) = query.duration_seconds else {
        return;
    };
    let labels = QueryLabels {
        service: service.to_string(),
        db_system: query.system.clone(),
        operation: query.operation.clone(),
    };
    samples.push(Sample::QueryDuration(labels, seconds, exemplar()));
    if seconds >= thresholds.slow_query_seconds && plausible(seconds) {
        samples.push(Sample::SlowQuery(SlowQueryLabels {
            service: service.to_string(),
            db_system: query.system.clone(),
            query: query.fingerprint.clone(),
        }));
    }
}

/// The sample of an exception, logged or recorded as a span event.
pub(super) fn derive_exception(
    service: &str,
    exception: &ExceptionInfo,
    samples: &mut Vec<Sample>,
) {
    samples.push(Sample::Exception(ExceptionLabels {
        service: service.to_string(),
        exception_type: exception.exception_type.clone(),
    }));
}
