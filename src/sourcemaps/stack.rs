//! JavaScript stack traces as text (`exception.stacktrace` of an OTLP record or span event, as
//! OpenTelemetry JS and browsers print them): the frame files to look maps up for, and the
//! stack rewritten with each mapped frame at its original file, line, column and function
//! (`    at total (src/cart.js:7:13)`, as the Faro receiver renders them). Lines that are no
//! frame, and frames without a map, stay as sent.

use std::fmt::Write as _;

use super::Resolved;
use super::lookup::MAX_URL_BYTES;

/// Longest stack read, in bytes; past it the rest stays as sent.
pub const MAX_STACK_BYTES: usize = 256 * 1024;
/// Frames read of one stack, at most.
pub const MAX_FRAMES: usize = 1000;
/// The largest line or column number taken as a position.
const MAX_POSITION: u64 = 100_000_000;

/// One frame line: `at fn (file:line:column)`, `at file:line:column` (V8) or
/// `fn@file:line:column` (Firefox, Safari).
#[derive(Debug, PartialEq, Eq)]
struct Frame<'a> {
    function: Option<&'a str>,
    file: &'a str,
    line: u64,
    column: u64,
}

/// The distinct files of the stack's frames, in order of first appearance.
pub fn frame_files(stack: &str) -> Vec<&str> {
    let mut files: Vec<&str> = Vec::new();
    for frame in frames(stack).filter_map(|(_, frame)| frame) {
        if !files.contains(&frame.file) {
            files.push(frame.file);
        }
    }
    files
}

/// The stack with its mapped frames at their original positions; `None` when no frame has a
/// map (the stack stays as sent).
pub fn symbolicate(stack: &str, maps: &Resolved) -> Option<String> {
    let mut out = String::with_capacity(stack.len());
    let mut changed = false;
    let mut rest = stack;
    for (line, frame) in frames(stack) {
        let original = frame.and_then(|f| Some((maps.original(f.file, f.line, f.column)?, f)));
        match original {
            Some((original, _)) => {
                let indent = &line[..line.len() - line.trim_start().len()];
                let at = format!("{}:{}:{}", original.file, original.line, original.column);
                let _ = match original.function.as_deref().filter(|f| !f.is_empty()) {
                    Some(function) => write!(out, "{indent}at {function} ({at})"),
                    None => write!(out, "{indent}at {at}"),
                };
                changed = true;
            }
            None => out.push_str(line),
        }
        rest = &rest[line.len()..];
        if let Some(after) = rest.strip_prefix('\n') {
            out.push('\n');
            rest = after;
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// The stack's lines (without their `\n`), each with the frame it is, within the bounds.
fn frames(stack: &str) -> impl Iterator<Item = (&str, Option<Frame<'_>>)> {
    // Whole lines only: a line cut in two could read as a frame at a wrong column.
    let end = match stack.len() <= MAX_STACK_BYTES {
        true => stack.len(),
        false => stack.as_bytes()[..MAX_STACK_BYTES]
            .iter()
            .rposition(|&b| b == b'\n')
            .unwrap_or(0),
    };
    let mut read = 0;
    stack[..end].split('\n').map(move |line| {
        let frame = (read < MAX_FRAMES).then(|| frame(line)).flatten();
        read += usize::from(frame.is_some());
        (line, frame)
    })
}

fn frame(line: &str) -> Option<Frame<'_>> {
    let trimmed = line.trim();
    let (function, location) = match trimmed.strip_prefix("at ") {
        Some(rest) => match rest.strip_suffix(')').and_then(|r| r.rsplit_once(" (")) {
            Some((function, location)) => (Some(function), location),
            None => (None, rest),
        },
        None => {
            let (function, location) = trimmed.split_once('@')?;
            (Some(function), location)
        }
    };
    let mut parts = location.rsplitn(3, ':');
    let column = position(parts.next()?)?;
    let line = position(parts.next()?)?;
    let file = parts
        .next()
        .filter(|f| !f.is_empty() && f.len() <= MAX_URL_BYTES)?;
    let function = function
        .map(|f| f.trim_start_matches("async "))
        .filter(|f| !f.is_empty());
    Some(Frame {
        function,
        file,
        line,
        column,
    })
}

fn position(text: &str) -> Option<u64> {
    let all_digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let number: u64 = all_digits.then(|| text.parse().ok()).flatten()?;
    (number <= MAX_POSITION).then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "TypeError: Cannot read properties of undefined (reading 'reduce')\n    at total (https://shop.example.com/assets/app.js:1:48213)\n    at https://shop.example.com/assets/app.js:1:50110\n    at HTMLButtonElement.onclick (https://shop.example.com/cart:1:6)";

    #[test]
    fn v8_and_firefox_frames_are_read_with_their_positions() {
        assert_eq!(
            frame("    at async total (https://x/app.js:1:48213)"),
            Some(Frame {
                function: Some("total"),
                file: "https://x/app.js",
                line: 1,
                column: 48213
            })
        );
        let firefox = frame("total@https://x/app.js:3:9").unwrap();
        assert_eq!((firefox.function, firefox.line), (Some("total"), 3));
        let anonymous = frame("  at https://x/app.js:1:2").unwrap();
        assert_eq!(
            (anonymous.function, anonymous.file),
            (None, "https://x/app.js")
        );
        for not_a_frame in [
            "TypeError: x",
            "at the end of the day",
            "at f (native)",
            "a@b:1:99999999999",
        ] {
            assert_eq!(frame(not_a_frame), None, "{not_a_frame}");
        }
    }

    #[test]
    fn frame_files_are_listed_once_in_order() {
        assert_eq!(
            frame_files(CHROME),
            [
                "https://shop.example.com/assets/app.js",
                "https://shop.example.com/cart"
            ]
        );
    }

    #[test]
    fn without_maps_nothing_changes() {
        assert_eq!(symbolicate(CHROME, &Resolved::none()), None);
    }

    #[test]
    fn bounds_hold_on_absurd_stacks() {
        let many = "at f (https://x/a.js:1:1)\n".repeat(5000);
        assert_eq!(
            frames(&many).filter(|(_, f)| f.is_some()).count(),
            MAX_FRAMES
        );
        let huge = "x".repeat(MAX_STACK_BYTES * 2);
        assert_eq!(frames(&huge).count(), 1, "an empty first line");
        let long = format!(
            "E\nat f (https://x/a.js:1:1)\n{}",
            "at g (https://x/b.js:1:1)\n".repeat(20_000)
        );
        let files: Vec<&str> = frames(&long)
            .filter_map(|(_, f)| f)
            .map(|f| f.file)
            .collect();
        assert!(files.len() < 20_000 && files.len() <= MAX_FRAMES);
    }
}
