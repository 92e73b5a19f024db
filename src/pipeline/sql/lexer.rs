//! A forgiving single-pass SQL tokenizer for fingerprinting: literals and parameters become
//! [`Kind::Value`], comments and whitespace are skipped, unterminated quotes and comments run
//! to the end of the input. Never fails, linear in the input.

/// What a token is, as far as fingerprinting cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Keyword or identifier.
    Word,
    /// `"quoted"` or `` `quoted` `` identifier, kept verbatim.
    Quoted,
    /// A literal or bind parameter: rendered as `?`.
    Value,
    /// `(` or `[`.
    Open,
    /// `)` or `]`.
    Close,
    /// `,`.
    Comma,
    /// `.`.
    Dot,
    /// `;`.
    Semi,
    /// Operators and any other punctuation.
    Op,
}

/// One token: its kind, its source text, and whether whitespace or a comment preceded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    pub spaced: bool,
}

use super::keywords::keyword;

/// Operators of more than one character, longest first.
const MULTI_OPS: [&str; 15] = [
    "->>", "#>>", "::", ":=", "<=", ">=", "<>", "!=", "||", "->", "#>", "@>", "<@", "&&", "=>",
];

/// Tokens of `sql`, in order.
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    prev: Option<Token<'a>>,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`.
    pub fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            prev: None,
        }
    }

    fn byte(&self, at: usize) -> u8 {
        self.src.as_bytes().get(at).copied().unwrap_or(0)
    }

    /// Skips whitespace and comments; true if anything was skipped.
    fn skip_blank(&mut self) -> bool {
        let start = self.pos;
        loop {
            let b = self.byte(self.pos);
            if b.is_ascii_whitespace() {
                self.pos += 1;
            } else if b == b'-' && self.byte(self.pos + 1) == b'-' {
                self.pos = self.src[self.pos..]
                    .find('\n')
                    .map_or(self.src.len(), |n| self.pos + n);
            } else if b == b'/' && self.byte(self.pos + 1) == b'*' {
                self.skip_block_comment();
            } else {
                return self.pos > start;
            }
        }
    }

    /// Skips a (possibly nested) `/* */` comment.
    fn skip_block_comment(&mut self) {
        let mut depth = 0usize;
        while self.pos < self.src.len() {
            let pair = (self.byte(self.pos), self.byte(self.pos + 1));
            match pair {
                (b'/', b'*') => depth += 1,
                (b'*', b'/') => depth -= 1,
                _ => {
                    self.pos += 1;
                    continue;
                }
            }
            self.pos += 2;
            if depth == 0 {
                return;
            }
        }
    }

    /// Moves past a quoted run opened at `self.pos`; `backslash` enables `\x` escapes.
    fn skip_quoted(&mut self, quote: u8, backslash: bool) {
        self.pos += 1;
        while self.pos < self.src.len() {
            let b = self.byte(self.pos);
            self.pos += 1;
            if backslash && b == b'\\' {
                self.pos += 1;
            } else if b == quote {
                if self.byte(self.pos) != quote {
                    return;
                }
                self.pos += 1;
            }
        }
        self.pos = self.src.len();
    }

    /// `$1` parameters and `$tag$ ... $tag$` strings; `None` for a lone `$`.
    fn dollar(&mut self) -> Option<Kind> {
        let rest = &self.src.as_bytes()[self.pos + 1..];
        if rest.first().is_some_and(u8::is_ascii_digit) {
            self.pos += 1 + rest.iter().take_while(|b| b.is_ascii_digit()).count();
            return Some(Kind::Value);
        }
        let tag_len = rest
            .iter()
            .take_while(|b| is_word_byte(**b) && **b != b'$')
            .count();
        if rest.get(tag_len) != Some(&b'$') {
            return None;
        }
        let delimiter = &self.src[self.pos..self.pos + tag_len + 2];
        let body = self.pos + delimiter.len();
        self.pos = self.src[body..]
            .find(delimiter)
            .map_or(self.src.len(), |n| body + n + delimiter.len());
        Some(Kind::Value)
    }

    /// A number: hex `0x..`, or digits with optional fraction and exponent.
    fn number(&mut self) {
        let bytes = self.src.as_bytes();
        let digits = |from: usize| {
            bytes[from.min(bytes.len())..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        if self.byte(self.pos) == b'0' && matches!(self.byte(self.pos + 1), b'x' | b'X') {
            self.pos += 2;
            self.pos += bytes[self.pos..]
                .iter()
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            return;
        }
        self.pos += digits(self.pos);
        if self.byte(self.pos) == b'.' {
            self.pos += 1 + digits(self.pos + 1);
        }
        let sign = usize::from(matches!(self.byte(self.pos + 1), b'+' | b'-'));
        if matches!(self.byte(self.pos), b'e' | b'E')
            && self.byte(self.pos + 1 + sign).is_ascii_digit()
        {
            self.pos += 1 + sign + digits(self.pos + 1 + sign);
        }
    }

    /// Whether a `-` or `.` here starts a number rather than acting as an operator.
    fn number_may_start(&self) -> bool {
        match self.prev {
            None => true,
            Some(token) => match token.kind {
                Kind::Open | Kind::Comma | Kind::Op | Kind::Semi => true,
                Kind::Word => keyword(token.text).is_some(),
                _ => false,
            },
        }
    }

    /// The kind of the token starting at `self.pos`, advancing past it.
    fn scan(&mut self) -> Kind {
        let (b, next) = (self.byte(self.pos), self.byte(self.pos + 1));
        let starts_number =
            next.is_ascii_digit() || (next == b'.' && self.byte(self.pos + 2).is_ascii_digit());
        match b {
            b'\'' => self.skip_quoted(b'\'', false),
            b'"' | b'`' => {
                self.skip_quoted(b, false);
                return Kind::Quoted;
            }
            b'$' => return self.dollar().unwrap_or_else(|| self.single(Kind::Op)),
            b'0'..=b'9' => self.number(),
            b'.' if next.is_ascii_digit() && self.number_may_start() => self.number(),
            b'-' if starts_number && self.number_may_start() => {
                self.pos += 1;
                self.number();
            }
            b'?' => self.pos += 1,
            b':' if is_word_start(next) => self.pos += 1 + self.word_len(self.pos + 1),
            b'%' => return self.percent(),
            b'(' | b'[' => return self.single(Kind::Open),
            b')' | b']' => return self.single(Kind::Close),
            b',' => return self.single(Kind::Comma),
            b'.' => return self.single(Kind::Dot),
            b';' => return self.single(Kind::Semi),
            _ if is_word_start(b) => return self.word(),
            _ => return self.operator(),
        }
        Kind::Value
    }

    fn single(&mut self, kind: Kind) -> Kind {
        self.pos += 1;
        kind
    }

    fn word_len(&self, from: usize) -> usize {
        let bytes = &self.src.as_bytes()[from..];
        bytes.iter().take_while(|b| is_word_byte(**b)).count()
    }

    /// A word, or a prefixed string literal such as `E'..'`, `N'..'`, `X'..'`, `B'..'`.
    fn word(&mut self) -> Kind {
        let len = self.word_len(self.pos);
        let prefix = self.byte(self.pos).to_ascii_uppercase();
        let is_literal = len == 1
            && self.byte(self.pos + 1) == b'\''
            && matches!(prefix, b'E' | b'N' | b'X' | b'B');
        self.pos += len;
        if !is_literal {
            return Kind::Word;
        }
        self.skip_quoted(b'\'', prefix == b'E');
        Kind::Value
    }

    /// `%s`, `%d` and `%(name)s` parameters, else the `%` operator.
    fn percent(&mut self) -> Kind {
        let rest = self.src.as_bytes().get(self.pos + 1..).unwrap_or_default();
        let name = rest
            .iter()
            .skip(1)
            .take_while(|b| is_word_byte(**b))
            .count();
        let named = rest.first() == Some(&b'(')
            && rest.get(1 + name) == Some(&b')')
            && rest.get(2 + name) == Some(&b's');
        let len = match rest.first() {
            _ if named => name + 3,
            Some(b's' | b'd') => 1,
            _ => return self.single(Kind::Op),
        };
        if rest.get(len).is_some_and(|b| is_word_byte(*b)) {
            return self.single(Kind::Op);
        }
        self.pos += 1 + len;
        Kind::Value
    }

    /// The longest known operator here, else one ASCII character.
    fn operator(&mut self) -> Kind {
        let rest = &self.src[self.pos..];
        let len = MULTI_OPS
            .iter()
            .find(|op| rest.starts_with(**op))
            .map_or(1, |op| op.len());
        self.pos += len;
        Kind::Op
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let spaced = self.skip_blank();
        if self.pos >= self.src.len() {
            return None;
        }
        let start = self.pos;
        let kind = self.scan();
        let token = Token {
            kind,
            text: &self.src[start..self.pos],
            spaced,
        };
        self.prev = Some(token);
        Some(token)
    }
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}
