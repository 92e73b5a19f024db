//! The rules a redactor knows and their names: the name is what `disabled_rules` refers to and the
//! `rule` label of `logbridge_redactions_total`. Built-in value rules come first, then one rule per
//! sensitive key (`key:<words>`), then the configured patterns.

use crate::config::RedactionConfig;

use super::words;

/// The built-in value rules, in the order of their rule ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Email,
    CreditCard,
    Ssn,
    Jwt,
    BearerToken,
    AwsAccessKey,
    GithubToken,
    SlackToken,
    GoogleApiKey,
    StripeKey,
    PrivateKey,
    UrlPassword,
    KeyValue,
    IpAddress,
}

impl Builtin {
    /// Every built-in value rule.
    pub const ALL: [Builtin; 14] = [
        Builtin::Email,
        Builtin::CreditCard,
        Builtin::Ssn,
        Builtin::Jwt,
        Builtin::BearerToken,
        Builtin::AwsAccessKey,
        Builtin::GithubToken,
        Builtin::SlackToken,
        Builtin::GoogleApiKey,
        Builtin::StripeKey,
        Builtin::PrivateKey,
        Builtin::UrlPassword,
        Builtin::KeyValue,
        Builtin::IpAddress,
    ];

    /// The rule's name.
    pub const fn name(self) -> &'static str {
        match self {
            Builtin::Email => "email",
            Builtin::CreditCard => "credit_card",
            Builtin::Ssn => "ssn",
            Builtin::Jwt => "jwt",
            Builtin::BearerToken => "bearer_token",
            Builtin::AwsAccessKey => "aws_access_key",
            Builtin::GithubToken => "github_token",
            Builtin::SlackToken => "slack_token",
            Builtin::GoogleApiKey => "google_api_key",
            Builtin::StripeKey => "stripe_key",
            Builtin::PrivateKey => "private_key",
            Builtin::UrlPassword => "url_password",
            Builtin::KeyValue => "key_value",
            Builtin::IpAddress => "ip_address",
        }
    }

    /// The rule's id: built-in rules come first.
    pub const fn id(self) -> RuleId {
        self as RuleId
    }
}

/// A rule's index in [`rule_names`]; counts are kept per id.
pub type RuleId = usize;

/// The prefix of sensitive-key rule names.
pub const KEY_PREFIX: &str = "key:";

/// The name of the rule of a sensitive key: `key:` and its words joined by `_`
/// (`X-Api-Key` is `key:x_api_key`).
pub fn key_rule_name(key: &str) -> String {
    format!("{KEY_PREFIX}{}", words::words(key).join("_"))
}

/// Every sensitive key the configuration names: `keys`, then `extra_keys`.
pub fn configured_keys(config: &RedactionConfig) -> impl Iterator<Item = &str> {
    config
        .keys
        .iter()
        .chain(&config.extra_keys)
        .map(String::as_str)
}

/// Every rule of a configuration, in id order: built-in value rules, key rules, patterns.
pub fn rule_names(config: &RedactionConfig) -> Vec<String> {
    let builtins = Builtin::ALL.iter().map(|b| b.name().to_string());
    let keys = configured_keys(config).map(key_rule_name);
    let patterns = config.patterns.iter().map(|p| p.name.clone());
    builtins.chain(keys).chain(patterns).collect()
}

/// The id of the first key rule.
pub const FIRST_KEY_RULE: RuleId = Builtin::ALL.len();

/// Which rules apply to one service: `enabled[id]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    enabled: Vec<bool>,
    /// The enabled built-in rules, bit `id` for each.
    builtins: u32,
}

impl Profile {
    /// Every rule of `names` except the `disabled` ones (names that exist, checked by validation).
    pub fn new<'a>(
        names: &[String],
        disabled: impl Iterator<Item = &'a String> + Clone,
    ) -> Profile {
        let enabled = names
            .iter()
            .map(|name| !disabled.clone().any(|d| d == name))
            .collect::<Vec<bool>>();
        let builtins = Builtin::ALL
            .iter()
            .filter(|rule| enabled[rule.id()])
            .fold(0, |mask, rule| mask | (1 << rule.id()));
        Profile { enabled, builtins }
    }

    /// Whether the rule applies.
    pub fn enabled(&self, rule: RuleId) -> bool {
        self.enabled[rule]
    }

    /// Whether the built-in rule applies.
    pub fn has(&self, rule: Builtin) -> bool {
        self.enabled(rule.id())
    }

    /// The enabled built-in rules as a mask: bit `id` of each.
    pub fn builtins(&self) -> u32 {
        self.builtins
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_rules_are_named_by_their_words() {
        assert_eq!(key_rule_name("password"), "key:password");
        assert_eq!(key_rule_name("set-cookie"), "key:set_cookie");
        assert_eq!(key_rule_name("X-Api-Key"), "key:x_api_key");
    }

    #[test]
    fn ids_follow_the_names() {
        let names = rule_names(&RedactionConfig::default());
        for builtin in Builtin::ALL {
            assert_eq!(names[builtin.id()], builtin.name());
        }
        assert_eq!(names[FIRST_KEY_RULE], "key:password");
    }

    #[test]
    fn profiles_leave_out_disabled_rules() {
        let names = rule_names(&RedactionConfig::default());
        let disabled = ["email".to_string(), "key:password".to_string()];
        let profile = Profile::new(&names, disabled.iter());
        assert!(!profile.has(Builtin::Email));
        assert!(!profile.enabled(FIRST_KEY_RULE));
        assert!(profile.has(Builtin::Jwt));
    }
}
