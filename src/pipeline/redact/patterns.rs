//! Value patterns over one text: the built-in ones behind their gates, IP addresses by the
//! configured mode, and the configured patterns (a `RegexSet` tells which of them run). Matches
//! are replaced in one pass over the text; overlapping matches merge into one, named by the
//! first.

use std::cmp::Reverse;
use std::ops::Range;

use regex::{Regex, RegexSet};

use super::builtins::{self, BuiltinPattern};
use super::check::InvalidRedaction;
use super::ip;
use super::keys::KeyRules;
use super::personal;
use super::prefilter::Features;
use super::rules::{Builtin, Profile, RuleId};
use crate::config::{IpMode, RedactionConfig};

/// Texts shorter than this cannot hold a built-in match (the shortest is `::1`).
const SHORTEST_MATCH: usize = 3;

/// The value patterns of a configuration.
#[derive(Debug, Clone)]
pub struct Patterns {
    builtins: Vec<BuiltinPattern>,
    ip: IpMode,
    custom: Option<Custom>,
}

/// The configured patterns: the set tells which match, then those run alone for positions.
#[derive(Debug, Clone)]
struct Custom {
    set: RegexSet,
    /// Each pattern, and whether it has a `secret` group.
    regexes: Vec<(Regex, bool)>,
    first_rule: RuleId,
}

/// A range of a text to replace, and the rule that found it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    range: Range<usize>,
    rule: RuleId,
    /// An IP address to truncate rather than replace.
    truncate: bool,
}

impl Patterns {
    /// Compiles the patterns; a configured regex that does not compile is an error naming it.
    pub fn new(
        config: &RedactionConfig,
        keys: &KeyRules,
        first_custom: RuleId,
    ) -> Result<Patterns, InvalidRedaction> {
        let custom = match config.patterns.is_empty() {
            true => None,
            false => Some(Custom::new(config, first_custom)?),
        };
        Ok(Patterns {
            builtins: builtins::compile(keys),
            ip: config.ip_addresses,
            custom,
        })
    }

    /// `text` with every match of the profile's patterns replaced by `replacement(rule)` (or an
    /// IP address truncated), counting each replacement; `None` when nothing matched. Most texts
    /// leave at the prefilter, before any regex.
    pub fn redact<'r>(
        &self,
        text: &str,
        profile: &Profile,
        replacement: impl Fn(RuleId) -> &'r str,
        counts: &mut [u64],
    ) -> Option<String> {
        let candidates = self.candidates(text, profile);
        if candidates == 0 && self.custom.is_none() {
            return None;
        }
        self.replace_matches(text, profile, candidates, replacement, counts)
    }

    /// The built-in rules the prefilter lets run on `text`: bit `id` of each.
    #[inline]
    fn candidates(&self, text: &str, profile: &Profile) -> u32 {
        if text.len() < SHORTEST_MATCH {
            return 0;
        }
        let features = Features::of(text.as_bytes());
        let mut candidates = builtins::candidates(&features) & profile.builtins();
        if self.ip == IpMode::Keep {
            candidates &= !(1 << Builtin::IpAddress.id());
        }
        candidates
    }

    #[inline(never)]
    fn replace_matches<'r>(
        &self,
        text: &str,
        profile: &Profile,
        candidates: u32,
        replacement: impl Fn(RuleId) -> &'r str,
        counts: &mut [u64],
    ) -> Option<String> {
        let spans = self.spans(text, profile, candidates);
        if spans.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut done = 0;
        for span in merged(spans) {
            out.push_str(&text[done..span.range.start]);
            let found = &text[span.range.clone()];
            let truncated = span.truncate.then(|| ip::truncate_one(found));
            // What does not parse as it is (percent-encoded) is replaced rather than kept.
            if let Some(truncated) = truncated.filter(|t| t != found) {
                out.push_str(&truncated);
            } else {
                out.push_str(replacement(span.rule));
            }
            counts[span.rule] += 1;
            done = span.range.end;
        }
        out.push_str(&text[done..]);
        Some(out)
    }

    fn spans(&self, text: &str, profile: &Profile, candidates: u32) -> Vec<Span> {
        let mut spans = Vec::new();
        if let Some(custom) = &self.custom {
            custom.spans(text, profile, &mut spans);
        }
        let mut ranges = Vec::new();
        for pattern in &self.builtins {
            if candidates & (1 << pattern.rule.id()) != 0 {
                pattern.find(text, &mut ranges);
                push(&mut spans, ranges.drain(..), pattern.rule.id(), false);
            }
        }
        let ip = Builtin::IpAddress;
        if candidates & (1 << ip.id()) != 0 {
            personal::with_percent_decoded(text, &mut ranges, ip::find);
            let truncate = self.ip == IpMode::Truncate;
            push(&mut spans, ranges.drain(..), ip.id(), truncate);
        }
        spans
    }
}

fn push(
    spans: &mut Vec<Span>,
    ranges: impl Iterator<Item = Range<usize>>,
    rule: RuleId,
    truncate: bool,
) {
    spans.extend(ranges.map(|range| Span {
        range,
        rule,
        truncate,
    }));
}

/// The spans in order, overlapping ones merged into the first; a merged span that grew past an
/// IP address is replaced rather than truncated.
fn merged(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_unstable_by_key(|span| (span.range.start, Reverse(span.range.end)));
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match out.last_mut() {
            Some(last) if span.range.start < last.range.end => {
                if span.range.end > last.range.end {
                    last.range.end = span.range.end;
                    last.truncate = false;
                }
            }
            _ => out.push(span),
        }
    }
    out
}

impl Custom {
    fn new(config: &RedactionConfig, first_rule: RuleId) -> Result<Custom, InvalidRedaction> {
        let mut regexes = Vec::with_capacity(config.patterns.len());
        for (i, pattern) in config.patterns.iter().enumerate() {
            let regex = Regex::new(&pattern.regex).map_err(|e| InvalidRedaction::Pattern {
                index: i,
                name: pattern.name.clone(),
                reason: e.to_string(),
            })?;
            let names = regex.capture_names().flatten();
            let secret = names.into_iter().any(|name| name.starts_with("secret"));
            regexes.push((regex, secret));
        }
        let set = RegexSet::new(regexes.iter().map(|(regex, _)| regex.as_str()))
            .map_err(|e| InvalidRedaction::Patterns(e.to_string()))?;
        Ok(Custom {
            set,
            regexes,
            first_rule,
        })
    }

    fn spans(&self, text: &str, profile: &Profile, spans: &mut Vec<Span>) {
        for index in self.set.matches(text).iter() {
            let rule = self.first_rule + index;
            if !profile.enabled(rule) {
                continue;
            }
            let (regex, secret) = &self.regexes[index];
            if *secret {
                let found = regex.captures_iter(text);
                let found = found.filter_map(|captures| builtins::secret_group(regex, &captures));
                push(spans, found, rule, false);
            } else {
                let found = regex.find_iter(text).map(|m| m.range());
                push(spans, found.filter(|range| !range.is_empty()), rule, false);
            }
        }
    }
}
