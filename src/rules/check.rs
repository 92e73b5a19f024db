//! Checking parsed rules: infers the labels each (sub)expression carries, as Prometheus
//! computes them, and reports selectors of unknown metrics, matchers of labels a metric does not
//! carry, and `by`/`without`/`on`/`ignoring`/`group_*` labels their operands do not carry.

use std::collections::BTreeSet;
use std::path::PathBuf;

use promql_parser::label::Matcher;
use promql_parser::parser::{
    AggregateExpr, BinaryExpr, Call, Expr, LabelModifier, VectorMatchCardinality, VectorSelector,
};

use promql_parser::parser::value::ValueType;

use super::parse::{Rule, RuleKind, parse_file};
use super::{Known, LabelSet, Problem, Report, Source};

/// Checks rule files given as text: parses them, learns what their recording rules record,
/// then checks every rule against `known` plus those.
pub fn check_sources(sources: &[Source], known: &Known) -> Report {
    let mut report = Report {
        files: sources.len(),
        ..Report::default()
    };
    let mut files = Vec::new();
    for source in sources {
        let (rules, mut problems) = parse_file(source);
        report.problems.append(&mut problems);
        files.push((source, rules));
    }
    let all_rules = files.iter().flat_map(|(_, rules)| rules);
    let known = with_recorded(known, &all_rules.collect::<Vec<_>>());
    for (source, rules) in &files {
        for rule in rules {
            match rule.kind {
                RuleKind::Record(_) => report.recording_rules += 1,
                RuleKind::Alert(_) => report.alerting_rules += 1,
            }
            let Some(expr) = &rule.expr else { continue };
            let mut walker = Walker::new(&known);
            let output = walker.labels(expr);
            walker.templates(rule, &output);
            report
                .problems
                .extend(walker.problems.into_iter().map(|message| Problem {
                    file: source.file.clone(),
                    line: Some(rule.line),
                    message: format!("{}: {message}", rule.describe()),
                }));
        }
    }
    let position = |file: &PathBuf| sources.iter().position(|s| &s.file == file);
    report.problems.sort_by_key(|p| (position(&p.file), p.line));
    report
}

/// `known` plus every recording rule's output with the labels its expression keeps and its
/// static labels. Recording rules may use each other in any order, so this repeats until
/// nothing changes (at most once per rule: a longer chain would be a cycle).
fn with_recorded(known: &Known, rules: &[&Rule]) -> Known {
    let recording: Vec<(&str, &Expr, &Rule)> = rules
        .iter()
        .filter_map(|rule| match (&rule.kind, &rule.expr) {
            (RuleKind::Record(name), Some(expr)) => Some((name.as_str(), expr, *rule)),
            _ => None,
        })
        .collect();
    let mut outputs: Vec<LabelSet> = vec![LabelSet::Any; recording.len()];
    for _ in 0..=recording.len() {
        let mut current = known.clone();
        for ((name, _, _), labels) in recording.iter().zip(&outputs) {
            current.add_series(name, labels.clone());
        }
        let next: Vec<LabelSet> = recording
            .iter()
            .map(|(_, expr, rule)| {
                let labels = Walker::new(&current).labels(expr);
                labels.union(&LabelSet::only(rule.labels.keys()))
            })
            .collect();
        if next == outputs {
            return current;
        }
        outputs = next;
    }
    let mut current = known.clone();
    for ((name, _, _), labels) in recording.iter().zip(outputs) {
        current.add_series(name, labels);
    }
    current
}

/// Walks one expression, computing the labels of its result and collecting problems.
struct Walker<'a> {
    known: &'a Known,
    problems: Vec<String>,
}

impl<'a> Walker<'a> {
    fn new(known: &'a Known) -> Walker<'a> {
        Walker {
            known,
            problems: Vec::new(),
        }
    }

    /// The labels of `expr`'s result series.
    fn labels(&mut self, expr: &Expr) -> LabelSet {
        match expr {
            Expr::VectorSelector(selector) => self.selector(selector),
            Expr::MatrixSelector(matrix) => self.selector(&matrix.vs),
            Expr::Subquery(sub) => self.labels(&sub.expr),
            Expr::Paren(paren) => self.labels(&paren.expr),
            Expr::Unary(unary) => self.labels(&unary.expr),
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) => LabelSet::only::<&str>([]),
            Expr::Aggregate(aggregate) => self.aggregate(aggregate),
            Expr::Binary(binary) => self.binary(binary),
            Expr::Call(call) => self.call(call),
            Expr::Extension(_) => LabelSet::Any,
        }
    }

    fn selector(&mut self, selector: &VectorSelector) -> LabelSet {
        let matchers = &selector.matchers;
        let all: Vec<&Matcher> = matchers
            .matchers
            .iter()
            .chain(matchers.or_matchers.iter().flatten())
            .collect();
        let by_name = all
            .iter()
            .find(|m| m.name == "__name__" && matches!(m.op, promql_parser::label::MatchOp::Equal));
        let Some(name) = selector.name.as_ref().or(by_name.map(|m| &m.value)) else {
            return LabelSet::Any;
        };
        let Some(labels) = self.known.labels(name) else {
            self.problems.push(format!("unknown metric `{name}`"));
            return LabelSet::Any;
        };
        for matcher in all.iter().filter(|m| !labels.has(&m.name)) {
            self.problems.push(format!(
                "unknown label `{}` on `{name}` (it has {})",
                matcher.name,
                labels.describe()
            ));
        }
        labels.clone()
    }

    /// Reports each of `labels` that `input` does not carry.
    fn require(&mut self, clause: &str, labels: &[String], input: &LabelSet) {
        for label in labels.iter().filter(|l| !input.has(l)) {
            self.problems.push(format!(
                "unknown label `{label}` in `{clause}`: its operand has {}",
                input.describe()
            ));
        }
    }

    fn aggregate(&mut self, aggregate: &AggregateExpr) -> LabelSet {
        let input = self.labels(&aggregate.expr);
        if let Some(param) = &aggregate.param {
            self.labels(param);
        }
        let op = aggregate.op.to_string();
        let output = match &aggregate.modifier {
            Some(LabelModifier::Include(by)) => {
                self.require(&format!("{op} by"), &by.labels, &input);
                LabelSet::only(&by.labels)
            }
            Some(LabelModifier::Exclude(without)) => {
                self.require(&format!("{op} without"), &without.labels, &input);
                input.without(&without.labels)
            }
            None => LabelSet::only::<&str>([]),
        };
        match op.as_str() {
            "topk" | "bottomk" | "limitk" | "limit_ratio" => input,
            "count_values" => match aggregate.param.as_deref() {
                Some(Expr::StringLiteral(label)) => output.union(&LabelSet::only([&label.val])),
                _ => LabelSet::Any,
            },
            _ => output,
        }
    }

    fn binary(&mut self, binary: &BinaryExpr) -> LabelSet {
        let left = self.labels(&binary.lhs);
        let right = self.labels(&binary.rhs);
        if binary.lhs.value_type() == ValueType::Scalar {
            return right;
        }
        if binary.rhs.value_type() == ValueType::Scalar {
            return left;
        }
        let Some(modifier) = &binary.modifier else {
            return left;
        };
        let both = left.union(&right);
        match &modifier.matching {
            Some(LabelModifier::Include(on)) => self.require("on", &on.labels, &both),
            Some(LabelModifier::Exclude(ignoring)) => {
                self.require("ignoring", &ignoring.labels, &both)
            }
            None => {}
        }
        match &modifier.card {
            VectorMatchCardinality::ManyToOne(include) => {
                self.require("group_left", &include.labels, &right);
                left.union(&LabelSet::only(&include.labels))
            }
            VectorMatchCardinality::OneToMany(include) => {
                self.require("group_right", &include.labels, &left);
                right.union(&LabelSet::only(&include.labels))
            }
            VectorMatchCardinality::ManyToMany if binary.op.to_string() == "or" => both,
            VectorMatchCardinality::ManyToMany => left,
            VectorMatchCardinality::OneToOne => match &modifier.matching {
                Some(LabelModifier::Include(on)) => LabelSet::only(&on.labels),
                Some(LabelModifier::Exclude(ignoring)) => left.without(&ignoring.labels),
                None => left,
            },
        }
    }

    fn call(&mut self, call: &Call) -> LabelSet {
        let args = &call.args.args;
        let mut output = LabelSet::only::<&str>([]);
        for arg in args {
            let labels = self.labels(arg);
            if matches!(arg.value_type(), ValueType::Vector | ValueType::Matrix) {
                output = output.union(&labels);
            }
        }
        let string = |index: usize| match args.get(index).map(|a| a.as_ref()) {
            Some(Expr::StringLiteral(s)) => Some(s.val.clone()),
            _ => None,
        };
        match call.func.name {
            "histogram_quantile" => output.without(&["le"]),
            "label_replace" | "label_join" => {
                let sources: Vec<String> = match call.func.name {
                    "label_replace" => string(3).into_iter().collect(),
                    _ => (3..args.len()).filter_map(string).collect(),
                };
                let sources: Vec<String> = sources.into_iter().filter(|s| !s.is_empty()).collect();
                self.require(call.func.name, &sources, &output);
                output.union(&LabelSet::only(string(1)))
            }
            _ => output,
        }
    }

    /// Reports `$labels.x` in the rule's labels and annotations where the result has no `x`.
    fn templates(&mut self, rule: &Rule, output: &LabelSet) {
        let result = output.union(&LabelSet::only(rule.labels.keys()));
        let texts = rule.labels.values().chain(rule.annotations.values());
        let used: BTreeSet<String> = texts.flat_map(|text| template_labels(text)).collect();
        for label in used.iter().filter(|l| !result.has(l)) {
            self.problems.push(format!(
                "`$labels.{label}` in a template: the result has {}",
                result.describe()
            ));
        }
    }
}

/// The `x` of every `$labels.x` in a template.
fn template_labels(text: &str) -> Vec<String> {
    text.split("$labels.")
        .skip(1)
        .map(|rest| {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            rest[..end].to_string()
        })
        .filter(|label| !label.is_empty())
        .collect()
}
