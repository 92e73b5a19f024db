//! The pure part of an erasure: finding a person's identifier in text and JSON and replacing it.

use regex::{Regex, RegexBuilder};

/// What takes the identifier's place.
pub const ERASED: &str = "[ERASED]";

/// Identifiers shorter than this are replaced only where they are a whole value (a JSON string,
/// the `user_id` column), not inside free text, where "42" would hit "took 42 ms".
pub const MIN_FREE_TEXT_LEN: usize = 6;

/// Replaces one identifier, case-insensitively and as a whole token, wherever it occurs.
#[derive(Debug, Clone)]
pub struct Scrubber {
    identifier: String,
    in_free_text: Option<Regex>,
}

impl Scrubber {
    pub fn new(identifier: &str) -> Scrubber {
        let in_free_text = (identifier.chars().count() >= MIN_FREE_TEXT_LEN).then(|| {
            // A token boundary: the identifier is not part of a longer word, id or address.
            let pattern = format!(
                r"(^|[^\w.@+-]){}($|[^\w.@+-]|\.(?:\W|$))",
                regex::escape(identifier)
            );
            RegexBuilder::new(&pattern)
                .case_insensitive(true)
                .build()
                .expect("an escaped identifier is a valid pattern")
        });
        Scrubber {
            identifier: identifier.to_owned(),
            in_free_text,
        }
    }

    /// Whether free text is searched too (the identifier is long enough to be unambiguous).
    pub fn searches_free_text(&self) -> bool {
        self.in_free_text.is_some()
    }

    /// The text with every occurrence replaced, or None when it has none.
    pub fn text(&self, text: &str) -> Option<String> {
        if text.eq_ignore_ascii_case(&self.identifier) {
            return Some(ERASED.to_owned());
        }
        let regex = self.in_free_text.as_ref()?;
        if !regex.is_match(text) {
            return None;
        }
        // A match takes the boundary characters around it, so "id id" needs a second pass.
        let mut replaced = text.to_owned();
        for _ in 0..4 {
            let next = regex.replace_all(&replaced, |captures: &regex::Captures| {
                format!("{}{ERASED}{}", &captures[1], &captures[2])
            });
            if next == replaced {
                break;
            }
            replaced = next.into_owned();
        }
        Some(replaced)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::jobs::rewrite::rewrite_json;

    #[test]
    fn replaces_an_email_anywhere_in_free_text_case_insensitively() {
        let scrubber = Scrubber::new("Ann.Lee@example.com");
        assert_eq!(
            scrubber
                .text("mail to ann.lee@EXAMPLE.com failed, retry ann.lee@example.com.")
                .unwrap(),
            "mail to [ERASED] failed, retry [ERASED]."
        );
        assert_eq!(scrubber.text("bob@example.com"), None);
        assert_eq!(
            scrubber.text("xann.lee@example.com"),
            None,
            "a longer address is someone else"
        );
        assert_eq!(scrubber.text("ann.lee@example.com.au"), None);
        assert_eq!(
            scrubber
                .text("ann.lee@example.com ann.lee@example.com")
                .unwrap(),
            "[ERASED] [ERASED]"
        );
    }

    #[test]
    fn short_identifiers_are_replaced_only_as_whole_values() {
        let scrubber = Scrubber::new("42");
        assert!(!scrubber.searches_free_text());
        assert_eq!(scrubber.text("42").unwrap(), ERASED);
        assert_eq!(scrubber.text("took 42 ms"), None);
        let mut value = json!({"user": {"id": "42"}, "count": 42, "note": "42 items"});
        assert!(rewrite_json(&mut value, &|t: &str| scrubber.text(t)));
        assert_eq!(
            value,
            json!({"user": {"id": ERASED}, "count": 42, "note": "42 items"})
        );
    }

    #[test]
    fn long_identifiers_are_replaced_as_whole_tokens_in_text_keys_and_arrays() {
        let scrubber = Scrubber::new("user-8812");
        let mut value = json!({
            "who": ["user-8812", "user-88123"],
            "by_user": {"user-8812": "seen by user-8812 today"},
        });
        assert!(rewrite_json(&mut value, &|t: &str| scrubber.text(t)));
        assert_eq!(
            value,
            json!({"who": [ERASED, "user-88123"], "by_user": {ERASED: "seen by [ERASED] today"}})
        );
        assert!(!rewrite_json(
            &mut json!({"other": "user-88120"}),
            &|t: &str| scrubber.text(t)
        ));
    }

    #[test]
    fn regex_characters_in_the_identifier_are_literal() {
        let scrubber = Scrubber::new("a+b(1)*@x.io");
        assert_eq!(
            scrubber.text("to a+b(1)*@x.io now").unwrap(),
            "to [ERASED] now"
        );
        assert_eq!(scrubber.text("to aab(1)@x.io now"), None);
    }
}
