//! IP addresses in text: IPv4 dotted quads and IPv6 in its text forms, and their truncation like
//! Google Analytics' anonymizeIp (the last octet of IPv4 and the last 80 bits of IPv6 zeroed).
//! A version string such as `1.2.3.4` cannot be told from an address and counts as one; longer
//! dotted runs (`1.2.3.4.5`) do not.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// An octet, zero-padded or not (`010.001.002.003` is an address to `inet_aton` and to readers).
const OCTET: &str = "0{0,2}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";

static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?-u:\b)(?:{OCTET}\.){{3}}{OCTET}(?-u:\b)"))
        .expect("IPv4 pattern compiles")
});

/// Candidates only: what parses as an [`Ipv6Addr`] is an address.
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3}")
        .expect("IPv6 pattern compiles")
});

/// Appends the byte ranges of the IP addresses in `text`, in no particular order; an IPv4
/// address inside IPv6 text (`::ffff:10.0.0.1`) is found by both and overlaps.
pub fn find(text: &str, out: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    for found in IPV4.find_iter(text) {
        let before = &bytes[..found.start()];
        let after = &bytes[found.end()..];
        let dotted_before =
            before.ends_with(b".") && before.len() > 1 && digit(before[before.len() - 2]);
        let dotted_after = after.starts_with(b".") && after.get(1).is_some_and(|b| digit(*b));
        if !(dotted_before || dotted_after) {
            out.push(found.range());
        }
    }
    if !text.contains(':') {
        return;
    }
    for found in IPV6.find_iter(text) {
        let standalone = !bytes[..found.start()]
            .last()
            .is_some_and(|b| is_word(*b) || *b == b':' || *b == b'.')
            && !bytes
                .get(found.end())
                .is_some_and(|b| is_word(*b) || *b == b':');
        let hex = found.as_str().bytes().any(|b| b.is_ascii_hexdigit());
        if standalone && hex && found.as_str().parse::<Ipv6Addr>().is_ok() {
            out.push(found.range());
        }
    }
}

/// A dotted quad, its octets zero-padded or not.
fn ipv4(address: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = address.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        let valid = (1..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
        *octet = part.parse().ok().filter(|_| valid)?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn digit(byte: u8) -> bool {
    byte.is_ascii_digit()
}

/// One address truncated: `192.168.1.77` → `192.168.1.0`, `2001:db8:85a3:8d3::1` →
/// `2001:db8:85a3::`; an IPv4-mapped IPv6 address keeps its IPv4 form (`::ffff:10.1.2.0`).
/// Text that is no address comes back unchanged.
pub fn truncate_one(address: &str) -> String {
    if let Some(v4) = ipv4(address) {
        let [a, b, c, _] = v4.octets();
        return Ipv4Addr::new(a, b, c, 0).to_string();
    }
    let Ok(v6) = address.parse::<Ipv6Addr>() else {
        return address.to_string();
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        let [a, b, c, _] = v4.octets();
        return format!("::ffff:{}", Ipv4Addr::new(a, b, c, 0));
    }
    let [s0, s1, s2, ..] = v6.segments();
    Ipv6Addr::new(s0, s1, s2, 0, 0, 0, 0, 0).to_string()
}

/// Every IP address in `text` truncated (see [`truncate_one`]); borrowed when there is none.
/// For anonymizing stored text, e.g. IPs older than some days.
pub fn truncate_ip(text: &str) -> Cow<'_, str> {
    let mut found = Vec::new();
    find(text, &mut found);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    found.sort_by_key(|range| (range.start, std::cmp::Reverse(range.end)));
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for range in found {
        if range.start < done {
            continue; // inside the previous address
        }
        out.push_str(&text[done..range.start]);
        out.push_str(&truncate_one(&text[range.clone()]));
        done = range.end;
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(text: &str) -> Vec<&str> {
        let mut found = Vec::new();
        find(text, &mut found);
        found.sort_by_key(|r| r.start);
        found.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn finds_both_families_in_text() {
        let text = "from 10.0.12.200 via 2001:db8:85a3::8a2e:370:7334, ::1 and [fe80::1]:80.";
        assert_eq!(
            addresses(text),
            [
                "10.0.12.200",
                "2001:db8:85a3::8a2e:370:7334",
                "::1",
                "fe80::1"
            ]
        );
    }

    #[test]
    fn times_macs_paths_and_long_dotted_runs_are_not_addresses() {
        for text in [
            "12:30:45",
            "00:1a:2b:3c:4d:5e",
            "std::fmt::Debug",
            "version 1.2.3.4.5",
            "256.1.1.1",
            "a::b::c",
            "::",
        ] {
            assert!(addresses(text).is_empty(), "{text}: {:?}", addresses(text));
        }
    }

    #[test]
    fn a_four_part_version_string_is_an_address() {
        assert_eq!(addresses("library 1.2.3.4 loaded"), ["1.2.3.4"]);
        assert_eq!(addresses("from 010.001.002.003:80"), ["010.001.002.003"]);
    }

    #[test]
    fn truncation_zeroes_the_last_octet_or_80_bits() {
        assert_eq!(truncate_one("192.168.1.77"), "192.168.1.0");
        assert_eq!(truncate_one("192.168.001.077"), "192.168.1.0");
        assert_eq!(
            truncate_one("2001:db8:85a3:8d3:1319:8a2e:370:7348"),
            "2001:db8:85a3::"
        );
        assert_eq!(truncate_one("::ffff:10.1.2.3"), "::ffff:10.1.2.0");
        assert_eq!(truncate_one("not an address"), "not an address");
    }

    #[test]
    fn truncate_ip_rewrites_every_address_and_borrows_otherwise() {
        let text = "login from 203.0.113.9 and ::ffff:198.51.100.7 and 2001:db8::1";
        assert_eq!(
            truncate_ip(text),
            "login from 203.0.113.0 and ::ffff:198.51.100.0 and 2001:db8::"
        );
        assert!(matches!(truncate_ip("no address here"), Cow::Borrowed(_)));
    }
}
