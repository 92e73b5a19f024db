//! Exposition: OpenMetrics text when the scraper asks for it (with exemplars), else Prometheus
//! text format 0.0.4, derived line by line from prometheus-client's OpenMetrics output.

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::registry::Registry;

/// An exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenMetrics,
    PrometheusText,
}

impl Format {
    /// OpenMetrics when the `Accept` header offers it, as Prometheus does; else text 0.0.4.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let offers_openmetrics = accept.is_some_and(|accept| {
            accept.split(',').any(|range| {
                let mut parts = range.split(';').map(str::trim);
                let is_openmetrics = parts.next() == Some("application/openmetrics-text");
                let refused = parts.any(|p| p.replace(' ', "") == "q=0");
                is_openmetrics && !refused
            })
        });
        if offers_openmetrics {
            Format::OpenMetrics
        } else {
            Format::PrometheusText
        }
    }
}

/// The `Content-Type` of a format.
pub fn content_type(format: Format) -> &'static str {
    match format {
        Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        Format::PrometheusText => "text/plain; version=0.0.4; charset=utf-8",
    }
}

/// Renders the registries, one after the other.
pub fn render(registries: &[&Registry], format: Format) -> String {
    let mut openmetrics = String::new();
    // Infallible: writing to a String cannot fail.
    for registry in registries {
        let _ = encode_registry(&mut openmetrics, registry);
    }
    let _ = encode_eof(&mut openmetrics);
    match format {
        Format::OpenMetrics => openmetrics,
        Format::PrometheusText => to_prometheus_text(&openmetrics),
    }
}

/// Converts OpenMetrics text to Prometheus text 0.0.4: counters are named with their `_total`
/// suffix in HELP and TYPE, `# UNIT` and `# EOF` go, `_created` samples and exemplars are dropped.
fn to_prometheus_text(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    let mut pending_help: Option<(&str, &str)> = None;
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            pending_help = rest.split_once(' ');
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let (name, kind) = match kind {
                "counter" => (format!("{name}_total"), "counter"),
                "unknown" => (name.to_string(), "untyped"),
                other => (name.to_string(), other),
            };
            if let Some((_, help)) = pending_help.take() {
                out.push_str(&format!("# HELP {name} {help}\n"));
            }
            out.push_str(&format!("# TYPE {name} {kind}\n"));
        } else if line.starts_with('#') {
            continue;
        } else if let Some(sample) = sample_without_exemplar(line) {
            out.push_str(sample);
            out.push('\n');
        }
    }
    out
}

/// The sample line without its exemplar, or `None` for `_created` samples.
fn sample_without_exemplar(line: &str) -> Option<&str> {
    let name_end = line.find(['{', ' ']).unwrap_or(line.len());
    if line[..name_end].ends_with("_created") {
        return None;
    }
    let labels_end = if line[name_end..].starts_with('{') {
        name_end + closing_brace(&line[name_end..])?
    } else {
        name_end
    };
    let rest = &line[labels_end..];
    let value_end = rest.find(" # ").map_or(line.len(), |i| labels_end + i);
    Some(&line[..value_end])
}

/// Index just past the `}` that closes the label set at the start of `s`, skipping quoted values.
fn closing_brace(s: &str) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '}' if !in_quotes => return Some(i + 1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_like_prometheus() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(
            Format::negotiate(Some("text/plain")),
            Format::PrometheusText
        );
        assert_eq!(Format::negotiate(None), Format::PrometheusText);
        let refused = "application/openmetrics-text; q=0, text/plain";
        assert_eq!(Format::negotiate(Some(refused)), Format::PrometheusText);
    }

    #[test]
    fn converts_counters_histograms_and_exemplars() {
        let om = "# HELP log_records Log records.\n# TYPE log_records counter\n\
            log_records_total{service=\"a # {b}\",level=\"info\"} 3\n\
            log_records_created{service=\"a\"} 1.7e9\n\
            # HELP d Duration.\n# TYPE d histogram\n# UNIT d seconds\n\
            d_bucket{le=\"0.5\"} 1 # {trace_id=\"abc\"} 0.3\nd_sum 0.3\nd_count 1\n# EOF\n";
        let text = to_prometheus_text(om);
        let expected = "# HELP log_records_total Log records.\n# TYPE log_records_total counter\n\
            log_records_total{service=\"a # {b}\",level=\"info\"} 3\n\
            # HELP d Duration.\n# TYPE d histogram\n\
            d_bucket{le=\"0.5\"} 1\nd_sum 0.3\nd_count 1\n";
        assert_eq!(text, expected);
    }
}
