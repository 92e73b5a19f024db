//! An exception's frames rendered as the stack a browser prints (`Type: message` then
//! `    at function (file:line:column)`), which the exception grouping reads; a frame whose
//! file has a source map is rendered at its original file, line, column and function, the
//! others as sent. Frames past [`MAX_FRAMES`] and absurd positions are refused naming the frame.

use std::fmt::Write as _;

use serde_json::Number;

use super::payload::Frame;
use crate::ingest::error::IngestError;
use crate::sourcemaps::Resolved;

/// The most frames one exception may carry (browsers keep 10 to 200).
pub const MAX_FRAMES: usize = 1000;
/// The largest line or column number accepted (a minified bundle's lines are long, not this).
pub const MAX_POSITION: u64 = 100_000_000;

/// The stack text of exception `index`, symbolicated through `maps`.
pub fn render(
    index: usize,
    header: &str,
    frames: &[Frame],
    maps: &Resolved,
) -> Result<String, IngestError> {
    if frames.len() > MAX_FRAMES {
        return Err(IngestError::Decode(format!(
            "exceptions[{index}].stacktrace.frames holds {} frames; at most {MAX_FRAMES} are accepted",
            frames.len()
        )));
    }
    let mut stack = header.to_string();
    for (at, frame) in frames.iter().enumerate() {
        let path = |field| format!("exceptions[{index}].stacktrace.frames[{at}].{field}");
        let line = position(frame.lineno.as_ref(), || path("lineno"))?;
        let column = position(frame.colno.as_ref(), || path("colno"))?;
        let file = frame.filename.as_deref().unwrap_or("<anonymous>");
        let original = match (line, column, maps.is_empty()) {
            (Some(line), Some(column), false) => maps.original(file, line, column),
            _ => None,
        };
        let (function, location) = match &original {
            Some(original) => (
                original.function.as_deref(),
                format!("{}:{}:{}", original.file, original.line, original.column),
            ),
            None => (frame.function.as_deref(), as_sent(file, line, column)),
        };
        let function = function.filter(|f| !f.is_empty());
        let _ = match function {
            Some(function) => write!(stack, "\n    at {function} ({location})"),
            None => write!(stack, "\n    at {location}"),
        };
    }
    Ok(stack)
}

/// `file:line:column`, with the numbers the frame has.
fn as_sent(file: &str, line: Option<u64>, column: Option<u64>) -> String {
    let mut location = file.to_string();
    for number in [line, column].into_iter().flatten() {
        let _ = write!(location, ":{number}");
    }
    location
}

/// A line or column number: a whole number from 0 to [`MAX_POSITION`].
fn position(
    number: Option<&Number>,
    path: impl Fn() -> String,
) -> Result<Option<u64>, IngestError> {
    let Some(number) = number else {
        return Ok(None);
    };
    match number.as_u64() {
        Some(value) if value <= MAX_POSITION => Ok(Some(value)),
        _ => Err(IngestError::Decode(format!(
            "{}: {number} is not a line or column number (a whole number up to {MAX_POSITION})",
            path()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str, file: &str, line: u64, column: u64) -> Frame {
        Frame {
            function: Some(function.into()),
            filename: Some(file.into()),
            lineno: Some(line.into()),
            colno: Some(column.into()),
        }
    }

    #[test]
    fn frames_render_as_a_browser_stack() {
        let frames = [
            frame("checkout", "https://shop.example.com/app.js", 12, 34),
            Frame::default(),
        ];
        let stack = render(0, "TypeError: x is undefined", &frames, &Resolved::none()).unwrap();
        assert_eq!(
            stack,
            "TypeError: x is undefined\n    at checkout (https://shop.example.com/app.js:12:34)\
             \n    at <anonymous>"
        );
    }

    #[test]
    fn too_many_frames_and_absurd_positions_are_refused_naming_them() {
        let many: Vec<Frame> = (0..10_000).map(|_| Frame::default()).collect();
        let error = render(2, "E", &many, &Resolved::none())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("exceptions[2].stacktrace.frames holds 10000"),
            "{error}"
        );
        let absurd = [frame("f", "a.js", 1, 1), frame("g", "a.js", 1 << 40, 1)];
        let error = render(0, "E", &absurd, &Resolved::none())
            .unwrap_err()
            .to_string();
        assert!(error.contains("frames[1].lineno"), "{error}");
        let negative = Frame {
            colno: Some(Number::from(-3)),
            ..Frame::default()
        };
        let error = render(0, "E", &[negative], &Resolved::none())
            .unwrap_err()
            .to_string();
        assert!(error.contains("frames[0].colno: -3"), "{error}");
    }
}
