//! The built-in value patterns: each a regex (ASCII-only but e-mail addresses, shared with the
//! read API's mask in [`personal`]; none uses a Unicode word boundary, so the lazy DFA always
//! applies), a gate
//! on the text's [`Features`] that must hold before the regex runs, and a check for what a regex
//! cannot say (Luhn, SSN ranges, IP parsing, what a bearer token looks like).

use std::ops::Range;

use aho_corasick::AhoCorasick;
use regex::{Captures, Regex};

use super::keys::KeyRules;
use super::luhn;
use super::personal;
use super::prefilter::{Features, pair, punct};
use super::rules::Builtin;

/// A built-in pattern, ready to run.
#[derive(Debug, Clone)]
pub struct BuiltinPattern {
    pub rule: Builtin,
    regex: Regex,
    check: Check,
    /// Words one of which every match holds (ASCII case-insensitively), searched for before
    /// the regex runs: what no byte gate can say for `key_value`.
    required: Option<AhoCorasick>,
}

/// What decides a match beyond the regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// The whole match.
    Whole,
    /// The whole match, in the text and in its percent-decoded form.
    Email,
    /// The first participating group whose name starts with `secret`.
    Secret,
    /// Card numbers among the match's digit groups.
    Card,
    /// A valid area, group and serial, not inside a longer dashed run.
    Ssn,
    /// The secret group, if it looks like a token rather than a word.
    Bearer,
}

const SOURCES: [(Builtin, &str, Check); 12] = [
    (Builtin::Email, personal::EMAIL, Check::Email),
    (
        Builtin::CreditCard,
        r"(?-u:\b)[0-9](?:[ -]?[0-9]){12,}(?-u:\b)",
        Check::Card,
    ),
    (
        Builtin::Ssn,
        r"(?-u:\b)[0-9]{3}-[0-9]{2}-[0-9]{4}(?-u:\b)",
        Check::Ssn,
    ),
    (
        Builtin::Jwt,
        r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*",
        Check::Whole,
    ),
    (
        Builtin::BearerToken,
        r"(?i-u:\bbearer)[ \t]+(?P<secret>[A-Za-z0-9._~+/=-]{8,})",
        Check::Bearer,
    ),
    (
        Builtin::AwsAccessKey,
        r"(?-u:\b)(?:AKIA|ASIA)[A-Z0-9]{16}(?-u:\b)",
        Check::Whole,
    ),
    (
        Builtin::GithubToken,
        r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?-u:\b)",
        Check::Whole,
    ),
    (
        Builtin::SlackToken,
        r"(?-u:\b)xox[abeoprs]-[A-Za-z0-9-]{10,}",
        Check::Whole,
    ),
    (
        Builtin::GoogleApiKey,
        r"AIza[0-9A-Za-z_-]{35}",
        Check::Whole,
    ),
    (
        Builtin::StripeKey,
        r"(?-u:\b)[rs]k_live_[0-9A-Za-z]{20,247}",
        Check::Whole,
    ),
    (
        Builtin::PrivateKey,
        r"-----BEGIN[A-Z ]*PRIVATE KEY[A-Z ]*-----(?s:.*?-----END[A-Z ]*PRIVATE KEY[A-Z ]*-----|.*)",
        Check::Whole,
    ),
    (
        Builtin::UrlPassword,
        r"(?-u:\b)[A-Za-z][A-Za-z0-9+.-]*://[^ \t\r\n/?#@:]*:(?P<secret>[^ \t\r\n/?#@]+)@",
        Check::Secret,
    ),
];

/// The `key_value` rule: the value after a sensitive key in text (`password=…`, `token: …`,
/// `"api_key": "…"`); quoted values up to their closing quote, bare ones up to whitespace, `&`,
/// `,` or `;`, an HTTP auth scheme (`Basic …`) included.
fn key_value_source(keys: &KeyRules) -> Option<String> {
    let mut names: Vec<String> = keys
        .all_words()
        .map(|words| {
            let escaped: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
            escaped.join("[._-]?")
        })
        .collect();
    if names.is_empty() {
        return None;
    }
    names.sort_by_key(|name| std::cmp::Reverse(name.len()));
    let names = names.join("|");
    Some(format!(
        r#"(?:^|[^A-Za-z0-9])(?i-u:{names})\\?["']?[ \t]*[=:][ \t]*(?:"(?P<secret>(?:[^"\\\n]|\\.)*)"|\\"(?P<secret2>(?:[^"\\\n]|\\[^"])*)\\"|'(?P<secret3>[^'\n]*)'|(?P<secret4>(?i-u:(?:basic|bearer|digest|negotiate|token)[ \t]+)?[^ \t\r\n"'&,;\\]+))"#
    ))
}

/// Every built-in text pattern but IP addresses, compiled.
pub fn compile(keys: &KeyRules) -> Vec<BuiltinPattern> {
    let key_value = key_value_source(keys).map(|source| (Builtin::KeyValue, source, Check::Secret));
    SOURCES
        .iter()
        .map(|(rule, source, check)| (*rule, source.to_string(), *check))
        .chain(key_value)
        .map(|(rule, source, check)| BuiltinPattern {
            rule,
            regex: Regex::new(&source).expect("built-in patterns compile"),
            check,
            required: (rule == Builtin::KeyValue).then(|| first_words(keys)),
        })
        .collect()
}

/// A case-insensitive search for the first word of every sensitive key.
fn first_words(keys: &KeyRules) -> AhoCorasick {
    let words = keys.all_words().filter_map(|words| words.first());
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(words)
        .expect("key words are short literals")
}

impl BuiltinPattern {
    /// Appends the ranges to redact in `text`.
    pub fn find(&self, text: &str, out: &mut Vec<Range<usize>>) {
        if let Some(words) = &self.required
            && !words.is_match(text)
        {
            return;
        }
        match self.check {
            Check::Whole => out.extend(self.regex.find_iter(text).map(|m| m.range())),
            Check::Email => personal::with_percent_decoded(text, out, |text, out| {
                out.extend(self.regex.find_iter(text).map(|m| m.range()));
            }),
            Check::Card => {
                for run in self.regex.find_iter(text) {
                    luhn::cards(run.as_str(), run.start(), out);
                }
            }
            Check::Ssn => {
                let ssns = self.regex.find_iter(text).map(|m| m.range());
                out.extend(ssns.filter(|range| is_ssn(text, range)));
            }
            Check::Secret | Check::Bearer => {
                for captures in self.regex.captures_iter(text) {
                    let secret = secret_group(&self.regex, &captures);
                    let token = secret
                        .filter(|r| self.check != Check::Bearer || is_token(&text[r.clone()]));
                    out.extend(token);
                }
            }
        }
    }
}

/// The built-in rules whose gates a text's features pass, as a mask of rule ids (see
/// [`Profile::builtins`](super::rules::Profile::builtins)); no branch per rule.
pub fn candidates(features: &Features) -> u32 {
    Builtin::ALL.iter().fold(0, |mask, &rule| {
        mask | (u32::from(may_match(rule, features)) << rule.id())
    })
}

/// The gate of each built-in rule.
pub fn may_match(rule: Builtin, f: &Features) -> bool {
    match rule {
        Builtin::Email => f.has(punct::AT | punct::PERCENT),
        Builtin::CreditCard => f.digit_run >= 13,
        Builtin::Ssn => f.digit_run >= 9 && f.has(punct::DASH),
        Builtin::Jwt => f.has_pair(pair::JWT) && f.has(punct::DOT),
        Builtin::BearerToken => f.has_pair(pair::BEARER),
        Builtin::AwsAccessKey => f.has_pair(pair::AWS),
        Builtin::GithubToken => f.has_pair(pair::GITHUB),
        Builtin::SlackToken => f.has_pair(pair::SLACK) && f.has(punct::DASH),
        Builtin::GoogleApiKey => f.has_pair(pair::GOOGLE),
        Builtin::StripeKey => f.has_pair(pair::STRIPE),
        Builtin::PrivateKey => f.has_pair(pair::PEM),
        Builtin::UrlPassword => f.has(punct::AT) && f.has(punct::COLON),
        Builtin::KeyValue => f.has(punct::EQUALS | punct::COLON),
        Builtin::IpAddress => {
            (f.digits >= 4 && f.has(punct::DOT)) || f.has(punct::COLON | punct::PERCENT)
        }
    }
}

/// The range of the first participating group named `secret…`.
pub fn secret_group(regex: &Regex, captures: &Captures) -> Option<Range<usize>> {
    let names = regex.capture_names().enumerate();
    let mut secrets = names.filter(|(_, name)| name.is_some_and(|n| n.starts_with("secret")));
    secrets
        .find_map(|(i, _)| captures.get(i))
        .map(|m| m.range())
        .filter(|range| !range.is_empty())
}

/// US SSN rules: area not 000, 666 or 9xx, group not 00, serial not 0000; and not part of a
/// longer run of dashed numbers.
fn is_ssn(text: &str, range: &Range<usize>) -> bool {
    let ssn = &text.as_bytes()[range.clone()];
    let area = &ssn[..3];
    let valid = area != b"000" && area != b"666" && area[0] != b'9';
    let valid = valid && &ssn[4..6] != b"00" && &ssn[7..] != b"0000";
    let before = &text.as_bytes()[..range.start];
    let after = &text.as_bytes()[range.end..];
    let dashed_before =
        before.ends_with(b"-") && before.len() > 1 && before[before.len() - 2].is_ascii_digit();
    let dashed_after = after.starts_with(b"-") && after.get(1).is_some_and(u8::is_ascii_digit);
    valid && !dashed_before && !dashed_after
}

/// A bearer token rather than an English word after "bearer": it holds a character other than
/// a letter, or is long.
fn is_token(token: &str) -> bool {
    token.len() >= 20 || token.bytes().any(|b| !b.is_ascii_alphabetic())
}
