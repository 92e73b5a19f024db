//! Python tracebacks: `File "path", line N, in function` frames, and chains printed root cause
//! first, joined by "The above exception was the direct cause..." or "During handling...".

use super::trace::{Frame, Thrown};

const HEADER: &str = "Traceback (most recent call last):";

/// The chain of a traceback text, outermost first (Python prints it the other way round).
pub fn chain(text: &str) -> Vec<Thrown> {
    let mut chain = Vec::new();
    let mut current: Option<Thrown> = None;
    for line in text.lines() {
        if line.trim_start().starts_with(HEADER) {
            chain.extend(current.replace(Thrown::default()));
            continue;
        }
        let Some(thrown) = current.as_mut() else {
            continue;
        };
        if let Some(frame) = frame(line) {
            thrown.frames.push(frame);
        } else if thrown.exception_type.is_empty() && !line.starts_with([' ', '\t']) {
            thrown.exception_type = exception_type(line);
        }
    }
    chain.extend(current);
    chain.retain(|thrown| !thrown.frames.is_empty() || !thrown.exception_type.is_empty());
    // Python prints the oldest call first and the root cause first.
    chain.iter_mut().for_each(|thrown| thrown.frames.reverse());
    chain.reverse();
    chain
}

/// `  File "/app/shop/orders.py", line 5, in load`; loguru's `backtrace=True` marks the frame
/// where the exception was caught with `> File`.
fn frame(line: &str) -> Option<Frame> {
    let line = line.trim_start();
    let line = line.strip_prefix('>').map_or(line, str::trim_start);
    let rest = line.strip_prefix("File \"")?;
    let (path, rest) = rest.split_once('"')?;
    let function = rest.split_once(", in ").map_or("", |(_, f)| f.trim());
    Some(Frame {
        module: module(path),
        function: function.to_string(),
        in_app: in_app(path),
    })
}

/// The file without `.py`, with its directory's name (`shop/orders`): two `load` functions in
/// `orders.py` and `users.py` are different code.
fn module(path: &str) -> String {
    let path = path.trim_end_matches(".py");
    let mut parts = path.rsplit(['/', '\\']);
    let file = parts.next().unwrap_or(path);
    match parts.next() {
        Some(dir) if !dir.is_empty() => format!("{dir}/{file}"),
        _ => file.to_string(),
    }
}

/// Library code: the standard library, installed packages and frozen or generated modules.
fn in_app(path: &str) -> bool {
    let library = [
        "/lib/python",
        "/lib64/python",
        "\\Lib\\",
        "site-packages",
        "dist-packages",
        "<frozen",
        "<string>",
    ];
    !library.iter().any(|marker| path.contains(marker))
}

/// The exception name of `KeyError: 'x'` or `app.errors.NotFound: user:7`.
fn exception_type(line: &str) -> String {
    let name = line.split(':').next().unwrap_or(line).trim();
    if name.contains(' ') {
        return String::new();
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAINED: &str = r#"Traceback (most recent call last):
  File "/srv/shop/payments.py", line 9, in card_token
    return card["token"]
KeyError: 'token'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/srv/run.py", line 17, in emit
    raise_it()
  File "/srv/shop/payments.py", line 19, in charge
    raise PaymentError("charge failed") from error
shop.payments.PaymentError: charge failed
"#;

    #[test]
    fn the_chain_is_outermost_first_with_frames_nearest_the_throw_first() {
        let chain = chain(CHAINED);
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].exception_type, "shop.payments.PaymentError");
        assert_eq!(chain[0].frames[0].function, "charge");
        assert_eq!(chain[1].exception_type, "KeyError");
        assert_eq!(chain[1].frames[0].module, "shop/payments");
    }

    #[test]
    fn standard_library_and_packages_are_not_in_app() {
        let line = "  File \"/usr/lib/python3.11/json/decoder.py\", line 3, in decode";
        assert!(!frame(line).unwrap().in_app);
        let line = "  File \"/venv/lib/site-packages/x/y.py\", line 3, in f";
        assert!(!frame(line).unwrap().in_app);
        assert!(frame("  File \"/app/a.py\", line 1, in f").unwrap().in_app);
        let windows = "  File \"C:\\Python311\\Lib\\json\\decoder.py\", line 3, in decode";
        assert!(!frame(windows).unwrap().in_app);
        let loguru = frame("> File \"/app/a.py\", line 1, in f").unwrap();
        assert_eq!(loguru.function, "f");
    }
}
