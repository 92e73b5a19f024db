//! PHP traces (`getTraceAsString()`): `#0 /app/src/Cart.php(12): Cart->total()` frames.

use super::trace::{Frame, Thrown, file_name};

/// The one exception of a PHP trace, typed by a `PHP Fatal error:  Uncaught Name: ...` or
/// `Name: ...` line above the frames when there is one.
pub fn chain(text: &str) -> Vec<Thrown> {
    let frames: Vec<Frame> = text.lines().filter_map(frame).collect();
    if frames.is_empty() {
        return Vec::new();
    }
    let header = text.lines().next().unwrap_or_default();
    let header = header.split("Uncaught ").nth(1).unwrap_or(header);
    let name = header.split([':', ' ']).next().unwrap_or_default();
    let exception_type = if name.starts_with('#') { "" } else { name };
    vec![Thrown {
        exception_type: exception_type.to_string(),
        frames,
    }]
}

/// `#3 /app/src/Cart.php(12): App\Cart->total(Array)`, or `#4 {main}` (no frame).
fn frame(line: &str) -> Option<Frame> {
    let rest = line.trim().strip_prefix('#')?;
    let (_, rest) = rest.split_once(' ')?;
    let (location, call) = rest.split_once(": ")?;
    let path = location.split('(').next().unwrap_or(location);
    let call = call.split('(').next().unwrap_or(call);
    let (module, function) = call
        .rsplit_once("->")
        .or_else(|| call.rsplit_once("::"))
        .unwrap_or(("", call));
    Some(Frame {
        module: if module.is_empty() {
            file_name(path).to_string()
        } else {
            module.to_string()
        },
        function: function.to_string(),
        in_app: !path.contains("/vendor/") && !path.starts_with('['),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_frames_are_library() {
        let text = "PHP Fatal error:  Uncaught TypeError: total(): Argument #1 must be of type array\n#0 /app/vendor/slim/App.php(5): Closure->call()\n#1 /app/src/Cart.php(12): App\\Cart->total(NULL)\n#2 {main}";
        let chain = chain(text);
        assert_eq!(chain[0].exception_type, "TypeError");
        assert!(!chain[0].frames[0].in_app);
        let crash = chain[0].crashing_frame().unwrap();
        assert_eq!(
            (crash.module.as_str(), crash.function.as_str()),
            ("App\\Cart", "total")
        );
    }
}
