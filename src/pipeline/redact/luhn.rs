//! Payment card numbers: 13 to 19 digits, alone or in groups separated by single spaces or dashes,
//! starting like a card network's numbers (2221-2720, 3, 4, 5 or 6: epoch timestamps and most
//! ids start with 1) and passing the Luhn checksum. Other digit runs are left alone.

use std::ops::Range;

/// Card numbers have this many digits.
const DIGITS: Range<usize> = 13..20;

/// The card numbers in `run`, a run of digit groups (as the credit-card regex matches it), as
/// byte ranges offset by `offset`. From each group on, the longest valid number made of whole
/// groups is taken, so a card followed by its CVV (`4111 1111 1111 1111 123`) is still found.
pub fn cards(run: &str, offset: usize, out: &mut Vec<Range<usize>>) {
    let groups = groups(run);
    let mut first = 0;
    while first < groups.len() {
        match longest_card(run, &groups[first..]) {
            Some(taken) => {
                let last = &groups[first + taken - 1];
                out.push(offset + groups[first].start..offset + last.end);
                first += taken;
            }
            None => first += 1,
        }
    }
}

/// The byte ranges of the digit groups of `run`.
fn groups(run: &str) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let mut start = None;
    for (i, byte) in run.bytes().enumerate() {
        match (byte.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                groups.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        groups.push(s..run.len());
    }
    groups
}

/// How many of the leading `groups` make the longest valid card number, if any do.
fn longest_card(run: &str, groups: &[Range<usize>]) -> Option<usize> {
    let mut digits = Vec::with_capacity(DIGITS.end);
    let mut candidates = Vec::new();
    for (taken, group) in groups.iter().enumerate() {
        digits.extend(run[group.clone()].bytes().map(|b| b - b'0'));
        if digits.len() >= DIGITS.end {
            break;
        }
        if DIGITS.contains(&digits.len()) {
            candidates.push((taken + 1, digits.clone()));
        }
    }
    let valid = candidates.into_iter().rev().find(|(_, d)| is_card(d));
    valid.map(|(taken, _)| taken)
}

/// Whether the digits (values 0-9) are a card number.
pub fn is_card(digits: &[u8]) -> bool {
    DIGITS.contains(&digits.len()) && has_card_prefix(digits) && luhn(digits)
}

fn has_card_prefix(digits: &[u8]) -> bool {
    let prefix = digits[..4].iter().fold(0u32, |n, d| n * 10 + u32::from(*d));
    matches!(digits[0], 3..=6) || (2221..=2720).contains(&prefix)
}

/// The Luhn checksum: doubling every second digit from the right, the sum is a multiple of 10.
pub fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            match i % 2 {
                0 => d,
                _ if d * 2 > 9 => d * 2 - 9,
                _ => d * 2,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether a JSON integer is a card number.
pub fn is_card_number(n: u64) -> bool {
    if n < 10u64.pow(12) {
        return false;
    }
    let digits: Vec<u8> = n.to_string().bytes().map(|b| b - b'0').collect();
    is_card(&digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        cards(text, 0, &mut out);
        out.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn test_numbers_of_the_networks_are_cards() {
        for number in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "5500 0000 0000 0004",
            "2223003122003222",
            "378282246310005",
            "6011111111111117",
            "3530111333300000",
            "4222222222222",
        ] {
            assert_eq!(found(number), [number], "{number}");
        }
    }

    #[test]
    fn luhn_invalid_runs_and_timestamps_are_not() {
        for run in [
            "4111111111111112",
            "1700000000004",       // Luhn-valid epoch milliseconds
            "1732300000000000004", // Luhn-valid epoch nanoseconds
            "7111111111111114",    // Luhn-valid, no card network
            "41111111111111111111111",
        ] {
            assert!(found(run).is_empty(), "{run}");
        }
    }

    #[test]
    fn a_card_followed_by_more_digits_is_still_found() {
        assert_eq!(found("4111 1111 1111 1111 123"), ["4111 1111 1111 1111"]);
        assert_eq!(
            found("4111 1111 1111 1111 5500 0000 0000 0004"),
            ["4111 1111 1111 1111", "5500 0000 0000 0004"]
        );
    }

    #[test]
    fn integers_are_checked_too() {
        assert!(is_card_number(4111111111111111));
        assert!(!is_card_number(4111111111111112));
        assert!(!is_card_number(1_700_000_000_004));
        assert!(!is_card_number(42));
    }
}
