//! A structural scan of JSON bodies, an upper bound of what the JSON decoders will hold: values
//! by depth and object members, counted outside strings (strings are skipped with memchr).
//!
//! The scan follows JSON's structure exactly for valid JSON. Where a body is not valid JSON,
//! serde_json fails at the first bad byte, having held only what came before it, which the scan
//! counted the same way; so a hostile body cannot make it count less than the decoder holds.

use memchr::memchr2;

use super::Counted;

/// Depths told apart; the last bucket holds that depth and deeper ones.
const DEPTHS: usize = 9;

/// serde_json refuses JSON nested 128 deep (its recursion limit); the scan stops there too.
const MAX_DEPTH: usize = 128;

/// The structure of a JSON body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shape {
    /// Values at the top level: the NDJSON lines, or 1 for one document.
    pub top_values: usize,
    /// Array elements by their depth (1: elements of a top-level array), the last bucket
    /// holding deeper ones too.
    pub elements: [usize; DEPTHS],
    /// Object members at any depth.
    pub members: usize,
}

impl Shape {
    /// Bounds for `POST /api/v1/logs`: items are top-level values, elements of a top-level array
    /// or of `{"logs": [...]}`; attribute entries are members and array elements.
    pub fn json_logs(&self) -> Counted {
        Counted {
            records: self.top_values + self.elements[1] + self.elements[2],
            attributes: self.members + self.elements.iter().sum::<usize>(),
            estimated: true,
        }
    }

    /// Bounds for an Elasticsearch bulk body: every record takes an action line and a source
    /// line, so at most half the top-level values (rounded up) are records; attribute entries are
    /// members and array elements, the action lines' own included.
    pub fn bulk(&self) -> Counted {
        Counted {
            records: self.top_values.div_ceil(2),
            attributes: self.members + self.elements.iter().sum::<usize>(),
            estimated: true,
        }
    }

    /// Bounds for a Faro payload: `{"logs": [...], "exceptions": [...], ...}` puts items at
    /// depth 2; attribute entries are members and array elements (stack frames among them).
    pub fn faro(&self) -> Counted {
        Counted {
            records: self.elements[2],
            attributes: self.members + self.elements.iter().sum::<usize>(),
            estimated: true,
        }
    }

    /// Bounds for OTLP/JSON. `{"resourceLogs": [{"scopeLogs": [{"logRecords": [{...}]}]}]}`
    /// puts records at depth 6, resource attributes at 5 and every other attribute entry
    /// (scope and record attributes, kvlist entries, array elements) at 7 and deeper.
    pub fn otlp(&self) -> Counted {
        let deeper: usize = self.elements[7..].iter().sum();
        Counted {
            records: self.elements[6],
            attributes: self.elements[5] + deeper,
            estimated: true,
        }
    }
}

/// Scans a JSON body (one document or a stream of them).
pub fn scan(body: &[u8]) -> Shape {
    let mut scanner = Scanner::default();
    let mut at = 0;
    while let Some(&byte) = body.get(at) {
        at += 1;
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {}
            b':' => scanner.shape.members += 1,
            b'}' | b']' => scanner.depth = scanner.depth.saturating_sub(1),
            b'{' | b'[' => {
                scanner.value_starts();
                if !scanner.open(byte == b'[') {
                    break;
                }
            }
            b'"' => {
                scanner.value_starts();
                at = string_end(body, at);
            }
            _ => {
                scanner.value_starts();
                at = scalar_end(body, at);
            }
        }
    }
    scanner.shape
}

#[derive(Default)]
struct Scanner {
    shape: Shape,
    /// Containers open around the current position.
    depth: usize,
    /// Bit `d` set: the container at depth `d` is an array.
    arrays: u128,
}

impl Scanner {
    /// Counts a value starting here: at the top level or in an array (object keys and member
    /// values are not elements).
    fn value_starts(&mut self) {
        if self.depth == 0 {
            self.shape.top_values += 1;
        } else if self.arrays & (1 << (self.depth - 1)) != 0 {
            self.shape.elements[self.depth.min(DEPTHS - 1)] += 1;
        }
    }

    /// Opens a container; false past the depth serde_json refuses.
    fn open(&mut self, array: bool) -> bool {
        if self.depth >= MAX_DEPTH {
            return false;
        }
        let bit = 1u128 << self.depth;
        self.arrays = if array {
            self.arrays | bit
        } else {
            self.arrays & !bit
        };
        self.depth += 1;
        true
    }
}

/// How many bytes of a string are looked at eight at a time before memchr takes over: most
/// keys and many values are shorter, and for them a word loop costs less than memchr's setup.
const SHORT_STRING: usize = 48;

/// The position after the string whose opening quote precedes `at`.
fn string_end(body: &[u8], mut at: usize) -> usize {
    let short_end = at.saturating_add(SHORT_STRING);
    while at < short_end
        && let Some(word) = body.get(at..at + 8)
    {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let Some(offset) = quote_or_backslash(word) else {
            at += 8;
            continue;
        };
        let found = at + offset;
        if body[found] == b'"' {
            return found + 1;
        }
        at = found + 2;
    }
    long_string_end(body, at)
}

/// The offset of the first `"` or `\` in eight bytes (little-endian: the first byte lowest).
fn quote_or_backslash(word: u64) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Bytes equal to the searched one become zero; the lowest zero byte is found exactly.
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let found =
        zero_byte(word ^ (ONES * u64::from(b'"'))) | zero_byte(word ^ (ONES * u64::from(b'\\')));
    (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
}

/// The position after the string in which `at` is, found with memchr.
fn long_string_end(body: &[u8], mut at: usize) -> usize {
    while let Some(found) = body.get(at..).and_then(|rest| memchr2(b'"', b'\\', rest)) {
        if body[at + found] == b'"' {
            return at + found + 1;
        }
        at += found + 2;
    }
    body.len()
}

/// The bytes that end a number or literal.
const SCALAR_ENDS: [bool; 256] = {
    let mut ends = [false; 256];
    let bytes = b" \t\n\r,:]}[{\"";
    let mut i = 0;
    while i < bytes.len() {
        ends[bytes[i] as usize] = true;
        i += 1;
    }
    ends
};

/// The position after a number or literal whose first byte precedes `at`.
fn scalar_end(body: &[u8], at: usize) -> usize {
    let rest = body.get(at..).unwrap_or_default();
    let len = rest
        .iter()
        .position(|&b| SCALAR_ENDS[usize::from(b)])
        .unwrap_or(rest.len());
    at + len
}
