//! What the Faro receiver needs before decoding a payload: the app and version, the files of
//! the exceptions' frames (to look their source maps up, off the CPU pool), and the `traces`
//! (OTLP/JSON `resourceSpans`), which go to the span path. A body that does not parse here
//! outlines as nothing; the decoder then names what is wrong with it.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::ingest::error::IngestError;
use crate::ingest::otlp::traces;
use crate::ingest::{DecodedSpans, RequestContext};
use crate::model::UNKNOWN_SERVICE;

/// The parts of a payload read ahead of decoding.
#[derive(Debug, Default)]
pub struct Outline {
    /// `meta.app.name`.
    pub app: Option<String>,
    /// `meta.app.version`.
    pub version: Option<String>,
    /// The distinct files of the exceptions' frames, in order of first appearance.
    pub files: Vec<String>,
    /// `traces`, as sent.
    pub traces: Option<Box<RawValue>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Body {
    meta: Meta,
    exceptions: Vec<Exception>,
    traces: Option<Box<RawValue>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Meta {
    app: App,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct App {
    name: Option<String>,
    version: Option<String>,
    release: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Exception {
    stacktrace: Stacktrace,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Stacktrace {
    frames: Vec<Frame>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Frame {
    filename: Option<String>,
}

/// Reads the outline of a payload; `with_files` is false when no map is stored, and frames
/// need not be listed. Bodies naming neither frames nor traces are not parsed at all.
pub fn outline(body: &[u8], with_files: bool) -> Outline {
    let has = |needle: &[u8]| memchr::memmem::find(body, needle).is_some();
    let wanted = (with_files && has(b"\"frames\"")) || has(b"\"traces\"");
    if !wanted {
        return Outline::default();
    }
    let Ok(parsed) = serde_json::from_slice::<Body>(body) else {
        return Outline::default();
    };
    let mut files: Vec<String> = Vec::new();
    let frames = parsed
        .exceptions
        .into_iter()
        .flat_map(|e| e.stacktrace.frames);
    for file in frames
        .filter_map(|frame| frame.filename)
        .filter(|_| with_files)
    {
        if !files.contains(&file) && files.len() < crate::sourcemaps::MAX_FILES_PER_REQUEST {
            files.push(file);
        }
    }
    Outline {
        app: parsed.meta.app.name,
        version: parsed.meta.app.version.or(parsed.meta.app.release),
        files,
        traces: parsed.traces,
    }
}

/// Decodes a payload's `traces` as `POST /v1/traces` decodes OTLP/JSON; spans whose resource
/// names no service are the app's (the context's service).
pub fn decode_traces(body: &[u8], context: &RequestContext) -> Result<DecodedSpans, IngestError> {
    let mut decoded = traces::decode_json(body, context)
        .map_err(|error| IngestError::Decode(format!("traces: {error}")))?;
    if let Some(service) = context.service {
        for span in decoded
            .spans
            .iter_mut()
            .filter(|s| s.service == UNKNOWN_SERVICE)
        {
            span.service = service.to_string();
        }
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outline_lists_the_app_frame_files_and_traces() {
        let body = br#"{"meta": {"app": {"name": "shop", "version": "2"}},
            "exceptions": [{"stacktrace": {"frames": [
                {"filename": "https://x/a.js"}, {"filename": "https://x/b.js"},
                {"filename": "https://x/a.js"}, {}]}}],
            "traces": {"resourceSpans": []}}"#;
        let outline = outline(body, true);
        assert_eq!(outline.app.as_deref(), Some("shop"));
        assert_eq!(outline.version.as_deref(), Some("2"));
        assert_eq!(outline.files, ["https://x/a.js", "https://x/b.js"]);
        assert_eq!(outline.traces.unwrap().get(), r#"{"resourceSpans": []}"#);
        let without_maps = super::outline(body, false);
        assert!(without_maps.files.is_empty());
        assert!(super::outline(br#"{"logs": []}"#, true).app.is_none());
        assert!(super::outline(b"{\"traces\" nope", true).traces.is_none());
    }
}
