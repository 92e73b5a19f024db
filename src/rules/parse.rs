//! Reading rule files: which files, their YAML (errors with line), each rule's line, and its
//! PromQL expression.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use promql_parser::parser::Expr;
use serde::Deserialize;

use super::Problem;

/// A rule file's path and text.
#[derive(Debug, Clone)]
pub struct Source {
    pub file: PathBuf,
    pub text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleFile {
    #[serde(default)]
    pub groups: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Prometheus's own fields, accepted and not checked here.
pub(super) struct Group {
    pub name: String,
    pub interval: Option<String>,
    query_offset: Option<String>,
    limit: Option<u64>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(super) struct RawRule {
    pub record: Option<String>,
    pub alert: Option<String>,
    pub expr: String,
    #[serde(rename = "for")]
    pub for_duration: Option<String>,
    keep_firing_for: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// What a rule produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleKind {
    /// A recording rule and the series name it records.
    Record(String),
    /// An alerting rule and its alert name.
    Alert(String),
}

/// One rule, parsed.
#[derive(Debug)]
pub struct Rule {
    /// The line of its `record:` or `alert:` key.
    pub line: usize,
    pub kind: RuleKind,
    /// `None` when the expression did not parse (a problem says why).
    pub expr: Option<Expr>,
    /// Static labels, the group's included.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

impl Rule {
    /// `alert X` or `record x`, for messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            RuleKind::Record(name) => format!("record `{name}`"),
            RuleKind::Alert(name) => format!("alert `{name}`"),
        }
    }
}

/// The rule files at `paths`: files as given; directories walked for `*.yml`/`*.yaml`, in name
/// order, skipping `tests` directories (promtool unit tests, not rules).
pub fn rule_files(paths: &[impl AsRef<Path>]) -> (Vec<PathBuf>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths.iter().map(AsRef::as_ref) {
        let problem = |message: String| Problem {
            file: path.to_path_buf(),
            line: None,
            message,
        };
        if path.is_file() {
            files.push(path.to_path_buf());
            continue;
        }
        let before = files.len();
        if let Err(error) = walk(path, &mut files) {
            problems.push(problem(format!("cannot read: {error}")));
        } else if files.len() == before {
            problems.push(problem("no *.yml or *.yaml rule files".to_string()));
        }
    }
    (files, problems)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort();
    for path in entries {
        let is_yaml = path
            .extension()
            .is_some_and(|ext| ext == "yml" || ext == "yaml");
        if path.is_dir() && path.file_name().is_some_and(|name| name != "tests") {
            walk(&path, files)?;
        } else if path.is_file() && is_yaml {
            files.push(path);
        }
    }
    Ok(())
}

/// Parses one file's rules; YAML and PromQL errors become problems.
pub fn parse_file(source: &Source) -> (Vec<Rule>, Vec<Problem>) {
    let problem = |line: Option<usize>, message: String| Problem {
        file: source.file.clone(),
        line,
        message,
    };
    let parsed: Result<Option<RuleFile>, _> = serde_yaml_ng::from_str(&source.text);
    let groups = match parsed {
        Ok(file) => file.map(|f| f.groups).unwrap_or_default(),
        Err(error) => {
            let line = error.location().map(|l| l.line());
            return (Vec::new(), vec![problem(line, without_location(&error))]);
        }
    };
    let lines = rule_lines(&source.text);
    let raw: Vec<(BTreeMap<String, String>, RawRule)> = groups
        .into_iter()
        .flat_map(|g| g.rules.into_iter().map(move |r| (g.labels.clone(), r)))
        .collect();
    let same_count = lines.len() == raw.len();
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for (index, (group_labels, rule)) in raw.into_iter().enumerate() {
        let name = rule.record.as_ref().or(rule.alert.as_ref());
        let line = match (same_count, name) {
            (true, _) => lines[index].0,
            (false, Some(name)) => lines.iter().find(|(_, n)| n == name).map_or(1, |l| l.0),
            (false, None) => 1,
        };
        let kind = match (rule.record, rule.alert) {
            (Some(name), None) => RuleKind::Record(name),
            (None, Some(name)) => RuleKind::Alert(name),
            _ => {
                let message = "a rule needs exactly one of `record` and `alert`".to_string();
                problems.push(problem(Some(line), message));
                continue;
            }
        };
        let mut parsed = Rule {
            line,
            kind,
            expr: None,
            labels: group_labels,
            annotations: rule.annotations,
        };
        parsed.labels.extend(rule.labels);
        match promql_parser::parser::parse(&rule.expr) {
            Ok(expr) => parsed.expr = Some(expr),
            Err(error) => {
                let message = format!("{}: invalid expression: {error}", parsed.describe());
                problems.push(problem(Some(line), message));
            }
        }
        rules.push(parsed);
    }
    (rules, problems)
}

/// The 1-based line and value of every `record:` and `alert:` key, in document order (which is
/// the order of the rules: serde_yaml_ng keeps no positions of values that parsed).
pub(super) fn rule_lines(text: &str) -> Vec<(usize, String)> {
    let rule_name = |line: &str| {
        let line = line.trim_start();
        let line = line.strip_prefix("- ").map_or(line, str::trim_start);
        let value = line
            .strip_prefix("record:")
            .or_else(|| line.strip_prefix("alert:"))?;
        Some(value.trim().trim_matches(['"', '\'']).to_string())
    };
    let lines = text.lines().enumerate();
    lines
        .filter_map(|(i, line)| Some((i + 1, rule_name(line)?)))
        .collect()
}

/// A YAML error's message without its trailing ` at line L column C` (the line is given apart).
pub(super) fn without_location(error: &serde_yaml_ng::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => message[..at].to_string(),
        _ => message,
    }
}
