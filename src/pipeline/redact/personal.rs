//! Personal data in text, one definition for the redact step (rules `email` and `ip_address`)
//! and the read API's mask for `support` tokens: e-mail addresses (ASCII or Unicode, a
//! punycode top-level domain included) and IP addresses ([`super::ip`]: IPv4, zero-padded
//! too, and every IPv6 text form, `::1` and `2001:db8::` included), also where
//! percent-encoding hides them (`bob%40example.com`, `%22::1%22`).

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::ip;

/// An e-mail address: letters, digits and marks of any script in the local part and domain,
/// and a top-level domain of letters or punycode (`xn--p1ai`).
pub const EMAIL: &str = concat!(
    r"[\p{L}\p{M}\p{N}._%+-]+@[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)*",
    r"\.(?:xn--[A-Za-z0-9-]+|[\p{L}\p{M}]{2,})",
);

static EMAIL_REGEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(EMAIL).expect("the e-mail pattern compiles"));

/// Appends the byte ranges of the e-mail and IP addresses in `text`, in no particular order
/// (they may overlap).
pub fn find(text: &str, out: &mut Vec<Range<usize>>) {
    find_emails(text, out);
    with_percent_decoded(text, out, ip::find);
}

/// Appends the byte ranges of the e-mail addresses in `text`, percent-encoded ones included.
pub fn find_emails(text: &str, out: &mut Vec<Range<usize>>) {
    with_percent_decoded(text, out, |text, out| {
        out.extend(EMAIL_REGEX.find_iter(text).map(|m| m.range()));
    });
}

/// Runs `find` on `text` and, when it holds `%XX` escapes of ASCII characters, also on `text`
/// with those decoded, mapping what it finds there back to ranges of `text`.
pub fn with_percent_decoded(
    text: &str,
    out: &mut Vec<Range<usize>>,
    find: impl Fn(&str, &mut Vec<Range<usize>>),
) {
    find(text, out);
    let Some((decoded, starts)) = percent_decoded(text) else {
        return;
    };
    let mut found = Vec::new();
    find(&decoded, &mut found);
    out.extend(found.into_iter().map(|r| starts[r.start]..starts[r.end]));
}

/// `text` with its `%XX` escapes of ASCII characters decoded (others kept, so the result is
/// valid UTF-8), and for every decoded byte the offset in `text` where it starts, plus
/// `text.len()` at the end; `None` without such an escape.
fn percent_decoded(text: &str) -> Option<(String, Vec<usize>)> {
    let bytes = text.as_bytes();
    let escape_at = |i: usize| -> Option<u8> {
        if bytes.get(i) != Some(&b'%') {
            return None;
        }
        let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
        u8::from_str_radix(hex, 16).ok().filter(u8::is_ascii)
    };
    let first = (0..bytes.len()).find(|&i| escape_at(i).is_some())?;
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut starts = Vec::with_capacity(bytes.len() + 1);
    decoded.extend_from_slice(&bytes[..first]);
    starts.extend(0..first);
    let mut i = first;
    while i < bytes.len() {
        starts.push(i);
        match escape_at(i) {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    starts.push(bytes.len());
    let decoded = String::from_utf8(decoded).expect("only ASCII bytes were replaced");
    Some((decoded, starts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let mut ranges = Vec::new();
        find(text, &mut ranges);
        ranges.sort_by_key(|r| (r.start, r.end));
        ranges.dedup();
        ranges.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn unicode_and_punycode_emails() {
        assert_eq!(
            found("to jörg.müller@bücher.de now"),
            ["jörg.müller@bücher.de"]
        );
        assert_eq!(found("用户@例子.广告"), ["用户@例子.广告"]);
        assert_eq!(found("a@b.xn--p1ai"), ["a@b.xn--p1ai"]);
        assert!(found("pkg@1.2.3 @types/node user@localhost").is_empty());
    }

    #[test]
    fn percent_encoded_addresses_are_found_in_the_original_text() {
        assert_eq!(
            found("/reset?email=bob%40example.com&x=1"),
            ["bob%40example.com"]
        );
        assert_eq!(found("q=%2210.1.2.3%22"), ["10.1.2.3"]);
        assert_eq!(found("ip=%3A%3A1"), ["%3A%3A1"]);
        assert_eq!(found("100% sure, 50%off"), Vec::<&str>::new());
    }

    #[test]
    fn every_ip_form_is_found() {
        assert_eq!(found("from ::1 and 2001:db8:: ok"), ["::1", "2001:db8::"]);
        assert_eq!(found("from 010.001.002.003 ok"), ["010.001.002.003"]);
        assert_eq!(found("::ffff:10.0.0.1"), ["::ffff:10.0.0.1", "10.0.0.1"]);
    }

    #[test]
    fn decoding_keeps_non_ascii_escapes_and_maps_offsets() {
        let (decoded, starts) = percent_decoded("a%40b%C3%A9").unwrap();
        assert_eq!(decoded, "a@b%C3%A9");
        assert_eq!(starts[..4], [0, 1, 4, 5]);
        assert_eq!(*starts.last().unwrap(), 11);
        assert!(percent_decoded("no escapes, 100%").is_none());
    }
}
