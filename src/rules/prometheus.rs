//! Each alerting rule's state as Prometheus reports it (`GET <prometheus.url>/api/v1/rules`),
//! matched to the listed rules by group and alert name. Prometheus's answer is read up to
//! [`ANSWER_MAX_BYTES`].

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

use super::listing::RuleFileView;

/// Bytes of Prometheus's answer read at most.
pub const ANSWER_MAX_BYTES: usize = 8 * 1024 * 1024;

/// The state of every alerting rule Prometheus has loaded, by (group, alert).
#[derive(Debug, Default)]
pub struct AlertStates(HashMap<(String, String), (String, usize)>);

/// Why the states could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PrometheusError {
    #[error("request to Prometheus failed: {0}")]
    Request(#[from] reqwest::Error),
    #[error("Prometheus answered {0}")]
    Status(reqwest::StatusCode),
    #[error("Prometheus's answer is larger than {ANSWER_MAX_BYTES} bytes")]
    TooLarge,
    #[error("Prometheus's answer is not a rules answer: {0}")]
    Shape(#[from] serde_json::Error),
}

#[derive(Deserialize)]
struct Answer {
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    name: String,
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
struct Rule {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    alerts: Vec<serde_json::Value>,
}

/// Asks Prometheus at `base` for its alerting rules' states.
pub async fn alert_states(base: &str, timeout: Duration) -> Result<AlertStates, PrometheusError> {
    let client = reqwest::Client::builder().timeout(timeout).build()?;
    let url = format!("{}/api/v1/rules", base.trim_end_matches('/'));
    let mut response = client.get(url).query(&[("type", "alert")]).send().await?;
    if !response.status().is_success() {
        return Err(PrometheusError::Status(response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > ANSWER_MAX_BYTES {
            return Err(PrometheusError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(parse(&body)?)
}

fn parse(body: &[u8]) -> Result<AlertStates, serde_json::Error> {
    let answer: Answer = serde_json::from_slice(body)?;
    let mut states = HashMap::new();
    for group in answer.data.groups {
        for rule in group.rules.into_iter().filter(|r| r.kind == "alerting") {
            let state = rule.state.unwrap_or_else(|| "inactive".to_string());
            states.insert((group.name.clone(), rule.name), (state, rule.alerts.len()));
        }
    }
    Ok(AlertStates(states))
}

impl AlertStates {
    /// Sets `state` and `active` on every listed alert: Prometheus's, or `absent` when
    /// Prometheus has not loaded the rule.
    pub fn apply(&self, files: &mut [RuleFileView]) {
        for group in files.iter_mut().flat_map(|f| f.groups.iter_mut()) {
            for rule in group.rules.iter_mut().filter(|r| r.kind == "alert") {
                let key = (group.name.clone(), rule.name.clone());
                let (state, active) = match self.0.get(&key) {
                    Some((state, active)) => (state.clone(), Some(*active)),
                    None => ("absent".to_string(), None),
                };
                (rule.state, rule.active) = (Some(state), active);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerting_rules_are_read_and_recording_rules_left_out() {
        let body = br#"{"status":"success","data":{"groups":[{"name":"g","file":"/etc/a.yml",
            "rules":[{"name":"A","type":"alerting","state":"firing","alerts":[{},{}]},
                     {"name":"r:x","type":"recording"}]}]}}"#;
        let states = parse(body).unwrap();
        assert_eq!(states.0.len(), 1);
        assert_eq!(states.0[&("g".into(), "A".into())], ("firing".into(), 2));
        assert!(parse(b"{\"data\": 1}").is_err());
    }
}
