//! The rule files as the console lists them: each file's groups and rules (kind, name,
//! expression, `for`, labels, annotations, line), read from `rules.paths`; files that cannot be
//! read or parsed are named with why. The rules stay in git: this only shows them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::parse::{self, RuleFile};
use super::{Problem, rule_files};

/// One rule file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleFileView {
    /// Its path as configured (`rules.paths`).
    pub file: String,
    pub groups: Vec<RuleGroupView>,
}

/// One group of rules.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleGroupView {
    pub name: String,
    /// Evaluation interval, when the group sets one.
    pub interval: Option<String>,
    pub rules: Vec<RuleView>,
}

/// One recording or alerting rule.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleView {
    /// `alert` or `record`.
    pub kind: &'static str,
    /// The alert's name, or the series a recording rule records.
    pub name: String,
    /// The PromQL expression.
    pub expr: String,
    /// How long the condition must hold before the alert fires.
    #[serde(rename = "for")]
    pub for_duration: Option<String>,
    /// Its labels, the group's included.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The line of its `alert:` or `record:` key in the file.
    pub line: Option<usize>,
    /// From Prometheus, when `prometheus.url` is set: `firing`, `pending` or `inactive`.
    pub state: Option<String>,
    /// From Prometheus: the alert's active instances (pending or firing).
    pub active: Option<usize>,
}

/// The rule files under `paths` and the problems of those that could not be read.
pub fn list(paths: &[impl AsRef<Path>]) -> (Vec<RuleFileView>, Vec<Problem>) {
    let (files, mut problems) = rule_files(paths);
    let mut views = Vec::new();
    for file in files {
        match read(&file) {
            Ok(groups) => views.push(RuleFileView {
                file: file.display().to_string(),
                groups,
            }),
            Err(problem) => problems.push(problem),
        }
    }
    (views, problems)
}

fn read(file: &PathBuf) -> Result<Vec<RuleGroupView>, Problem> {
    let problem = |line, message| Problem {
        file: file.clone(),
        line,
        message,
    };
    let text = std::fs::read_to_string(file)
        .map_err(|error| problem(None, format!("cannot read: {error}")))?;
    let parsed: Option<RuleFile> = serde_yaml_ng::from_str(&text).map_err(|error| {
        let line = error.location().map(|l| l.line());
        problem(line, parse::without_location(&error))
    })?;
    let mut lines = parse::rule_lines(&text).into_iter();
    let groups = parsed.map(|f| f.groups).unwrap_or_default();
    let views = groups.into_iter().map(|group| RuleGroupView {
        name: group.name,
        interval: group.interval,
        rules: (group.rules.into_iter())
            .map(|rule| {
                let (kind, name) = match (rule.alert, rule.record) {
                    (Some(alert), _) => ("alert", alert),
                    (None, Some(record)) => ("record", record),
                    (None, None) => ("record", String::new()),
                };
                let line = lines.next().filter(|(_, n)| *n == name).map(|(l, _)| l);
                let mut labels = group.labels.clone();
                labels.extend(rule.labels);
                RuleView {
                    kind,
                    name,
                    expr: rule.expr.trim().to_string(),
                    for_duration: rule.for_duration,
                    labels,
                    annotations: rule.annotations,
                    line,
                    state: None,
                    active: None,
                }
            })
            .collect(),
    });
    Ok(views.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_are_listed_with_their_groups_and_lines() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("alert-rules");
        let (files, problems) = list(&[dir]);
        assert!(problems.is_empty(), "{problems:?}");
        let alerts = files
            .iter()
            .find(|f| f.file.ends_with("alerts.yml"))
            .unwrap();
        let first = &alerts.groups[0];
        assert_eq!(first.name, "logbridge-applications");
        let rule = &first.rules[0];
        assert_eq!(
            (rule.kind, rule.name.as_str()),
            ("alert", "HttpErrorRatioHigh")
        );
        assert_eq!(rule.for_duration.as_deref(), Some("2m"));
        assert_eq!(rule.labels["severity"], "critical");
        assert_eq!(rule.line, Some(7));
        assert!(files.iter().any(|f| {
            f.groups
                .iter()
                .any(|g| g.rules.iter().any(|r| r.kind == "record"))
        }));
    }

    #[test]
    fn an_unparsable_file_is_named_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.yml"),
            "groups:\n  - name: x\n    rulez: []\n",
        )
        .unwrap();
        let (files, problems) = list(&[dir.path()]);
        assert!(files.is_empty());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("rulez"), "{problems:?}");
    }
}
