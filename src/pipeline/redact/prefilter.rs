//! One pass over a text's bytes that tells which built-in patterns could match it, so that their
//! regexes run only on the few strings that may hold a secret: a digit count, the punctuation
//! seen, and two-byte trigger pairs, from one lookup per byte in a table of byte classes.

/// What one pass over a text found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// ASCII digits.
    pub digits: u32,
    /// The most digits in one run that only spaces and dashes interrupt (`4111 1111-1111`: 12);
    /// the digit count when that is under 9.
    pub digit_run: u32,
    /// [`punct`] bits of the punctuation seen.
    pub punct: u8,
    /// [`pair`] bits of the trigger pairs seen.
    pub pairs: u8,
}

/// Punctuation bits.
pub mod punct {
    pub const AT: u8 = 1;
    pub const COLON: u8 = 2;
    pub const EQUALS: u8 = 4;
    pub const DOT: u8 = 8;
    pub const DASH: u8 = 16;
    /// `%`, which may start an escape hiding an `@` or `:`.
    pub const PERCENT: u8 = 32;
}

/// Two-byte pairs that start (or sit in) the literal part of a token pattern.
pub mod pair {
    /// `yJ` of a JWT's `eyJ`.
    pub const JWT: u8 = 1;
    /// `IA` of `AKIA` / `ASIA`.
    pub const AWS: u8 = 2;
    /// `Iz` of `AIza`.
    pub const GOOGLE: u8 = 4;
    /// `gh` of `ghp_`, `b_` of `github_pat_`.
    pub const GITHUB: u8 = 8;
    /// `xo` of `xoxb-`.
    pub const SLACK: u8 = 16;
    /// `k_` of `sk_live_`.
    pub const STRIPE: u8 = 32;
    /// `-B` of `-----BEGIN`.
    pub const PEM: u8 = 64;
    /// `be` of `bearer`, any case.
    pub const BEARER: u8 = 128;
}

impl Features {
    /// Scans `text` once, one table lookup per byte; a second pass measures the digit run only
    /// when there are enough digits for it to matter.
    pub fn of(text: &[u8]) -> Features {
        let (mut digits, mut seen, mut pairs, mut first) = (0u32, 0u32, 0u32, 0u32);
        for &byte in text {
            let class = CLASSES[usize::from(byte)];
            digits += (class >> DIGIT_SHIFT) & 1;
            seen |= class;
            pairs |= first & (class >> SECOND_SHIFT);
            first = class >> FIRST_SHIFT;
        }
        Features {
            digits,
            digit_run: match digits >= RUN_WORTH_MEASURING {
                true => digit_run(text),
                false => digits,
            },
            punct: seen as u8,
            pairs: pairs as u8,
        }
    }

    /// Whether any of the punctuation bits was seen.
    pub fn has(&self, bits: u8) -> bool {
        self.punct & bits != 0
    }

    /// Whether the trigger pair was seen.
    pub fn has_pair(&self, bit: u8) -> bool {
        self.pairs & bit != 0
    }
}

/// Below this many digits, no gate needs the run: the digit count stands in for it.
const RUN_WORTH_MEASURING: u32 = 9;

/// The most digits in one run that only spaces and dashes interrupt.
fn digit_run(text: &[u8]) -> u32 {
    let (mut run, mut longest) = (0u32, 0u32);
    for &byte in text {
        run = match byte {
            b'0'..=b'9' => run + 1,
            b' ' | b'-' => run,
            _ => 0,
        };
        longest = longest.max(run);
    }
    longest
}

/// Where a byte's class keeps its flags: its [`punct`] bits in the low byte, then whether it
/// is a digit, then the [`pair`] bits of the pairs it can end and of those it can start.
const DIGIT_SHIFT: u32 = 8;
const SECOND_SHIFT: u32 = 16;
const FIRST_SHIFT: u32 = 24;

/// The class of every byte value.
static CLASSES: [u32; 256] = classes();

/// The two bytes of each trigger pair; a pair can match more than its own (`g_` for `gh`/`b_`),
/// which only lets a regex run, never stops one.
const PAIRS: [(u8, &[u8], &[u8]); 8] = [
    (pair::JWT, b"y", b"J"),
    (pair::AWS, b"I", b"A"),
    (pair::GOOGLE, b"I", b"z"),
    (pair::GITHUB, b"gb", b"h_"),
    (pair::SLACK, b"x", b"o"),
    (pair::STRIPE, b"k", b"_"),
    (pair::PEM, b"-", b"B"),
    (pair::BEARER, b"bB", b"eE"),
];

const fn classes() -> [u32; 256] {
    let mut classes = [0u32; 256];
    let punctuation = [
        (b'@', punct::AT),
        (b':', punct::COLON),
        (b'=', punct::EQUALS),
        (b'.', punct::DOT),
        (b'-', punct::DASH),
        (b'%', punct::PERCENT),
    ];
    let mut i = 0;
    while i < punctuation.len() {
        classes[punctuation[i].0 as usize] |= punctuation[i].1 as u32;
        i += 1;
    }
    let mut digit = b'0';
    while digit <= b'9' {
        classes[digit as usize] |= 1 << DIGIT_SHIFT;
        digit += 1;
    }
    let mut p = 0;
    while p < PAIRS.len() {
        let (bit, firsts, seconds) = PAIRS[p];
        let mut j = 0;
        while j < firsts.len() {
            classes[firsts[j] as usize] |= (bit as u32) << FIRST_SHIFT;
            j += 1;
        }
        j = 0;
        while j < seconds.len() {
            classes[seconds[j] as usize] |= (bit as u32) << SECOND_SHIFT;
            j += 1;
        }
        p += 1;
    }
    classes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_digits_and_sees_punctuation() {
        let features = Features::of(b"mail bob@example.com, card 4111-1111, a=b");
        assert_eq!(features.digits, 8);
        assert_eq!(features.digit_run, 8);
        assert!(features.has(punct::AT) && features.has(punct::EQUALS));
        assert!(features.has(punct::DASH) && features.has(punct::DOT));
        assert!(!features.has(punct::COLON));
    }

    #[test]
    fn measures_digit_runs_across_spaces_and_dashes() {
        assert_eq!(Features::of(b"4111 1111-1111 1111 x").digit_run, 16);
        assert_eq!(Features::of(b"123-45-6789").digit_run, 9);
        assert_eq!(Features::of(b"12.34.56.78 9").digit_run, 3);
        assert_eq!(Features::of(b"").digit_run, 0);
    }

    #[test]
    fn sees_trigger_pairs() {
        let mut text = "x".repeat(254);
        text.push_str("eyJhbGciOiJIUzI1NiJ9");
        assert!(Features::of(text.as_bytes()).has_pair(pair::JWT));
        assert!(!Features::of(b"y J").has_pair(pair::JWT));
        assert!(Features::of(b"a BEARER").has_pair(pair::BEARER));
        let all = Features::of(b"AKIA AIza gh xo sk_ -----BEGIN BEARER");
        assert_eq!(all.pairs, u8::MAX - pair::JWT);
    }

    #[test]
    fn plain_text_triggers_nothing() {
        let features = Features::of(b"GET /api/v1/orders/42 200 12 ms");
        assert_eq!(features.pairs, 0);
        assert_eq!(features.digits, 8);
    }
}
