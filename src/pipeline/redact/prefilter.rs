//! One pass over a text's bytes that tells which built-in patterns could match it, so that their
//! regexes run only on the few strings that may hold a secret. Byte-wise counters and flags that
//! the compiler can vectorize: a digit count, punctuation seen, and two-byte trigger pairs.

/// What one pass over a text found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// ASCII digits.
    pub digits: u32,
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
    /// Scans `text` once.
    pub fn of(text: &[u8]) -> Features {
        let mut features = Features::default();
        let mut previous = 0;
        // u8 counters vectorize; a chunk of 255 bytes cannot overflow them.
        for chunk in text.chunks(255) {
            let (mut digits, mut punct, mut pairs) = (0u8, 0u8, 0u8);
            let mut x = previous;
            for &y in chunk {
                digits += u8::from(y.is_ascii_digit());
                punct |= punct_bits(y);
                pairs |= pair_bits(x, y);
                x = y;
            }
            previous = x;
            features.digits += u32::from(digits);
            features.punct |= punct;
            features.pairs |= pairs;
        }
        features
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

/// `bit` when `condition` holds, else 0, without a branch.
#[inline(always)]
fn bit_if(condition: bool, bit: u8) -> u8 {
    u8::from(condition) * bit
}

#[inline(always)]
fn punct_bits(y: u8) -> u8 {
    bit_if(y == b'@', punct::AT)
        | bit_if(y == b':', punct::COLON)
        | bit_if(y == b'=', punct::EQUALS)
        | bit_if(y == b'.', punct::DOT)
        | bit_if(y == b'-', punct::DASH)
}

#[inline(always)]
fn pair_bits(x: u8, y: u8) -> u8 {
    let is = |a: u8, b: u8| (x == a) & (y == b);
    let bearer = ((x | 0x20) == b'b') & ((y | 0x20) == b'e');
    bit_if(is(b'y', b'J'), pair::JWT)
        | bit_if(is(b'I', b'A'), pair::AWS)
        | bit_if(is(b'I', b'z'), pair::GOOGLE)
        | bit_if(is(b'g', b'h') | is(b'b', b'_'), pair::GITHUB)
        | bit_if(is(b'x', b'o'), pair::SLACK)
        | bit_if(is(b'k', b'_'), pair::STRIPE)
        | bit_if(is(b'-', b'B'), pair::PEM)
        | bit_if(bearer, pair::BEARER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_digits_and_sees_punctuation() {
        let features = Features::of(b"mail bob@example.com, card 4111-1111, a=b");
        assert_eq!(features.digits, 8);
        assert!(features.has(punct::AT) && features.has(punct::EQUALS));
        assert!(features.has(punct::DASH) && features.has(punct::DOT));
        assert!(!features.has(punct::COLON));
    }

    #[test]
    fn sees_trigger_pairs_across_chunks() {
        let mut text = "x".repeat(254);
        text.push_str("eyJhbGciOiJIUzI1NiJ9");
        let features = Features::of(text.as_bytes());
        assert!(features.has_pair(pair::JWT));
        // The pair `yJ` straddles the 255-byte chunk boundary at 255/256.
        let mut split = "x".repeat(254);
        split.push_str("yJ");
        assert!(Features::of(split.as_bytes()).has_pair(pair::JWT));
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
