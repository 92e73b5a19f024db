//! .NET stack traces: `at Ns.Type.Method(args) in /src/File.cs:line 12` frames, inner
//! exceptions after ` ---> ` (the root cause printed first on the header line).

use super::trace::{Frame, Thrown, without_counter};

/// The chain of a .NET stack trace, outermost first; inner exceptions named on the header line
/// (`Outer: msg ---> Inner: msg`) carry no frames of their own.
pub fn chain(text: &str) -> Vec<Thrown> {
    let mut chain: Vec<Thrown> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(frame) = frame(trimmed) {
            if chain.is_empty() {
                chain.push(Thrown::default());
            }
            if let Some(last) = chain.last_mut() {
                last.frames.push(frame);
            }
        } else if chain.is_empty() && !trimmed.is_empty() {
            for header in trimmed.split(" ---> ") {
                let name = header.split([':', ' ']).next().unwrap_or(header);
                chain.push(Thrown {
                    exception_type: name.to_string(),
                    frames: Vec::new(),
                });
            }
        }
    }
    chain
}

/// `at Ns.Type.Method(String id) in /src/File.cs:line 12`, or without ` in ...` for code
/// without symbols.
fn frame(line: &str) -> Option<Frame> {
    let rest = line.strip_prefix("at ")?;
    let (qualified, after) = rest.split_once('(')?;
    let is_dotnet = after.contains(") in ")
        || after.ends_with(')') && !after.contains(".java:") && !after.contains(".kt:");
    if !is_dotnet || after.contains(".js:") || qualified.contains(' ') {
        return None;
    }
    let (class, method) = qualified.rsplit_once('.')?;
    let library = ["System.", "Microsoft.", "Newtonsoft."];
    Some(Frame {
        module: class.to_string(),
        function: without_counter(method),
        in_app: !library.iter().any(|p| class.starts_with(p)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_with_and_without_symbols() {
        let text = "System.InvalidOperationException: Sequence contains no elements\n   at System.Linq.ThrowHelper.ThrowNoElementsException()\n   at Shop.Orders.First(List`1 items) in /src/Orders.cs:line 12";
        let chain = chain(text);
        assert_eq!(chain[0].exception_type, "System.InvalidOperationException");
        assert!(!chain[0].frames[0].in_app);
        assert_eq!(chain[0].crashing_frame().unwrap().function, "First");
    }
}
