//! Sensitive attribute keys. A key matches a rule when its last words are the rule's words, so
//! `db.password`, `user_password`, `userPassword` and `http.request.header.authorization` match
//! `password` / `authorization`, while `tokens_used` and `session.id` match neither `token` nor
//! `session`. Words are split at any character other than an ASCII letter or digit and where
//! camelCase changes case, and compared ASCII case-insensitively, without allocating.

use super::rules::{Profile, RuleId};
use super::words::{ends_with_words, skip_separators, word_start, words};

/// One sensitive key: its rule and lowercase words.
#[derive(Debug, Clone)]
struct KeyRule {
    rule: RuleId,
    words: Vec<String>,
}

/// The sensitive keys, checked from the most specific (most words) to the least.
#[derive(Debug, Clone, Default)]
pub struct KeyRules {
    rules: Vec<KeyRule>,
    /// Index: a last word's byte length; the distinct last words of that length, each with its
    /// rules (indices into `rules`, most specific first). A key's last word is found once and
    /// compared with the few words of its length, so most keys are ruled out in a few bytes.
    last_words: Vec<Vec<LastWord>>,
}

/// The rules that end in one word.
#[derive(Debug, Clone)]
struct LastWord {
    word: String,
    rules: Vec<usize>,
}

impl KeyRules {
    /// The rules of `keys`, the first having id `first`.
    pub fn new<'a>(keys: impl Iterator<Item = &'a str>, first: RuleId) -> KeyRules {
        let mut rules: Vec<KeyRule> = keys
            .enumerate()
            .map(|(i, key)| KeyRule {
                rule: first + i,
                words: words(key),
            })
            .filter(|rule| !rule.words.is_empty())
            .collect();
        rules.sort_by_key(|rule| std::cmp::Reverse(rule.words.len()));
        let mut last_words: Vec<Vec<LastWord>> = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            let word = rule.words.last().expect("rules have words");
            if last_words.len() <= word.len() {
                last_words.resize(word.len() + 1, Vec::new());
            }
            let same_length = &mut last_words[word.len()];
            match same_length.iter_mut().find(|last| &last.word == word) {
                Some(last) => last.rules.push(index),
                None => same_length.push(LastWord {
                    word: word.clone(),
                    rules: vec![index],
                }),
            }
        }
        KeyRules { rules, last_words }
    }

    /// The first rule enabled in `profile` whose words end `key`.
    pub fn matching(&self, key: &str, profile: &Profile) -> Option<RuleId> {
        let bytes = key.as_bytes();
        let end = skip_separators(bytes, bytes.len());
        let last = &bytes[word_start(bytes, end)..end];
        let candidates = self.last_words.get(last.len())?;
        let same = candidates
            .iter()
            .find(|candidate| last.eq_ignore_ascii_case(candidate.word.as_bytes()))?;
        same.rules
            .iter()
            .map(|&index| &self.rules[index])
            .find(|rule| profile.enabled(rule.rule) && ends_with_words(bytes, &rule.words))
            .map(|rule| rule.rule)
    }

    /// Every key's words, for the `key_value` text rule.
    pub fn all_words(&self) -> impl Iterator<Item = &[String]> {
        self.rules.iter().map(|rule| rule.words.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RedactionConfig;
    use crate::pipeline::redact::rules::{self, FIRST_KEY_RULE};

    fn defaults() -> (KeyRules, Profile) {
        let config = RedactionConfig::default();
        let keys = KeyRules::new(rules::configured_keys(&config), FIRST_KEY_RULE);
        let names = rules::rule_names(&config);
        (keys, Profile::new(&names, [].iter()))
    }

    fn name_of(key: &str) -> Option<String> {
        let (keys, profile) = defaults();
        let names = rules::rule_names(&RedactionConfig::default());
        keys.matching(key, &profile).map(|id| names[id].clone())
    }

    #[test]
    fn dotted_prefixed_and_camel_case_keys_match() {
        let cases = [
            ("password", "key:password"),
            ("PASSWORD", "key:password"),
            ("db.password", "key:password"),
            ("user_password", "key:password"),
            ("userPassword", "key:password"),
            ("http.request.header.authorization", "key:authorization"),
            ("http.response.header.set-cookie", "key:set_cookie"),
            ("X-Api-Key", "key:api_key"),
            ("apiKey", "key:api_key"),
            ("access_token", "key:access_token"),
            ("csrf_token", "key:token"),
            ("creditCardNumber", "key:card_number"),
            ("aws_secret_access_key", "key:access_key"),
        ];
        for (key, rule) in cases {
            assert_eq!(name_of(key).as_deref(), Some(rule), "{key}");
        }
    }

    #[test]
    fn words_that_only_contain_a_key_do_not_match() {
        for key in [
            "tokens_used",
            "session.id",
            "session_id",
            "max_tokens",
            "token_count",
            "mypassword",
            "passwords_rotated",
            "cookies_enabled",
            "enduser.id",
            "",
        ] {
            assert_eq!(name_of(key), None, "{key}");
        }
    }

    #[test]
    fn disabled_rules_let_less_specific_ones_match() {
        let (keys, _) = defaults();
        let names = rules::rule_names(&RedactionConfig::default());
        let profile = Profile::new(&names, ["key:access_token".to_string()].iter());
        let id = keys.matching("access_token", &profile).unwrap();
        assert_eq!(names[id], "key:token");
        let none = Profile::new(&names, names.iter());
        assert_eq!(keys.matching("access_token", &none), None);
    }
}
