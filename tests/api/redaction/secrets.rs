//! Generated secrets of every redaction rule, for the property tests (the integration test over
//! HTTP and the unit test of the redactor, which includes this file).

use proptest::prelude::*;
use serde_json::{Value, json};

/// A secret as written into a log, and the parts of it that must never be stored.
#[derive(Debug, Clone)]
pub struct Secret {
    pub text: String,
    pub hidden: Vec<String>,
}

fn whole(text: String) -> Secret {
    Secret {
        hidden: vec![text.clone()],
        text,
    }
}

/// A payment card number of a network, Luhn-valid, as digits, in groups of 4 with spaces or
/// with dashes.
fn card() -> impl Strategy<Value = Secret> {
    let prefixes = prop::sample::select(vec![
        "4", "51", "55", "2221", "2720", "34", "37", "6011", "35",
    ]);
    let lengths = prop::sample::select(vec![13usize, 15, 16, 19]);
    let separators = prop::sample::select(vec!["", " ", "-"]);
    (
        prefixes,
        lengths,
        separators,
        prop::collection::vec(0u8..10, 19),
    )
        .prop_map(|(prefix, length, separator, random)| {
            let mut digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
            digits.extend(random.into_iter().take(length - 1 - digits.len()));
            digits.push(luhn_check_digit(&digits));
            let text: Vec<String> = digits
                .chunks(4)
                .map(|group| group.iter().map(|d| char::from(b'0' + d)).collect())
                .collect();
            whole(text.join(separator))
        })
}

/// The digit that makes `digits` followed by it pass the Luhn check.
fn luhn_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn ssn() -> impl Strategy<Value = Secret> {
    let area = (1u32..900).prop_filter("not 666", |a| *a != 666);
    (area, 1u32..100, 1u32..10000).prop_map(|(a, g, s)| whole(format!("{a:03}-{g:02}-{s:04}")))
}

fn private_key() -> impl Strategy<Value = Secret> {
    let kinds = prop::sample::select(vec!["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "]);
    let lines = prop::collection::vec("[A-Za-z0-9+/]{40,64}", 2..5);
    (kinds, lines).prop_map(|(kind, lines)| Secret {
        text: format!(
            "-----BEGIN {kind}PRIVATE KEY-----\n{}\n-----END {kind}PRIVATE KEY-----",
            lines.join("\n")
        ),
        hidden: lines,
    })
}

fn bearer() -> impl Strategy<Value = Secret> {
    let schemes = prop::sample::select(vec!["Bearer", "bearer", "BEARER"]);
    (schemes, "[A-Za-z0-9._~+/-]{12,40}[0-9]").prop_map(|(scheme, token)| Secret {
        text: format!("{scheme} {token}"),
        hidden: vec![token],
    })
}

fn url_password() -> impl Strategy<Value = Secret> {
    let schemes = prop::sample::select(vec!["postgres", "mysql", "https", "redis", "amqp"]);
    let hosts = "[a-z]{3,10}(\\.example)?(:[0-9]{4})?";
    (schemes, "[a-z]{3,8}", "[A-Za-z0-9]{10,20}", hosts).prop_map(
        |(scheme, user, password, host)| Secret {
            text: format!("{scheme}://{user}:{password}@{host}/db"),
            hidden: vec![password],
        },
    )
}

/// `password=…` and its relatives in text.
fn key_value() -> impl Strategy<Value = Secret> {
    let keys = prop::sample::select(vec![
        "password",
        "api_key",
        "token",
        "db.password",
        "client_secret",
        "Authorization",
    ]);
    let forms = prop::sample::select(vec![
        "{k}={v}",
        "{k}: {v}",
        "\"{k}\": \"{v}\"",
        "{k}='{v}'",
        "{k} = {v}",
    ]);
    (keys, forms, "[A-Za-z0-9]{12,24}").prop_map(|(key, form, value)| Secret {
        text: form.replace("{k}", key).replace("{v}", &value),
        hidden: vec![value],
    })
}

/// A secret of any value rule (IP addresses aside: they are kept by default).
pub fn text_secret() -> impl Strategy<Value = Secret> {
    prop_oneof![
        "[a-z][a-z0-9]{5,10}(\\.[a-z]{2,6})?@[a-z]{4,10}\\.(com|org|io|example)".prop_map(whole),
        card(),
        ssn(),
        "eyJ[A-Za-z0-9_-]{10,30}\\.eyJ[A-Za-z0-9_-]{10,40}\\.[A-Za-z0-9_-]{20,43}".prop_map(whole),
        bearer(),
        "(AKIA|ASIA)[A-Z0-9]{16}".prop_map(whole),
        "ghp_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82}".prop_map(whole),
        "xox[bp]-[0-9]{10,12}-[0-9]{10,12}-[A-Za-z0-9]{24}".prop_map(whole),
        "AIza[0-9A-Za-z_-]{35}".prop_map(whole),
        "[sr]k_live_[0-9A-Za-z]{24,32}".prop_map(whole),
        private_key(),
        url_password(),
        key_value(),
    ]
}

/// Random text around a secret: no digits, so that it cannot lengthen a number.
pub fn filler() -> impl Strategy<Value = String> {
    "[A-Za-z ,.!?/()-]{0,40}"
}

/// A secret surrounded by random text, a separator on each side.
pub fn embedded() -> impl Strategy<Value = Secret> {
    let separators = || prop::sample::select(vec![" ", "\n", "\t", ", ", " (", ") ", "; ", " | "]);
    (
        filler(),
        separators(),
        text_secret(),
        separators(),
        filler(),
    )
        .prop_map(|(before, open, secret, close, after)| Secret {
            text: format!("{before}{open}{}{close}{after}", secret.text),
            hidden: secret.hidden,
        })
}

/// A sensitive key (as services spell them) and a value of any JSON type.
pub fn keyed() -> impl Strategy<Value = (String, Value, Vec<String>)> {
    let keys = prop::sample::select(vec![
        "password",
        "db.password",
        "user_password",
        "userPassword",
        "passwd",
        "http.request.header.authorization",
        "X-Api-Key",
        "apiKey",
        "access_token",
        "refreshToken",
        "client_secret",
        "set-cookie",
        "http.request.header.cookie",
        "session",
        "credit_card",
        "cardNumber",
        "ssn",
        "private_key",
        "AWS_SECRET_ACCESS_KEY",
    ]);
    let values = prop_oneof![
        "[A-Za-z0-9]{12,24}".prop_map(|s| (json!(s), vec![s])),
        (100_000_000_000i64..i64::MAX).prop_map(|n| (json!(n), vec![n.to_string()])),
        prop::collection::vec("[A-Za-z0-9]{12,24}", 1..3).prop_map(|items| (json!(items), items)),
        "[A-Za-z0-9]{12,24}".prop_map(|s| (json!({"value": s, "hint": "x"}), vec![s])),
    ];
    (keys, values).prop_map(|(key, (value, hidden))| (key.to_string(), value, hidden))
}
