//! What the Faro receiver does before decoding a payload's records, off the CPU pool's decode:
//! it outlines the body ([`outline`]), commits its `traces` on the span path first (spans are
//! stored exactly once, so a retry after a later failure adds none), and resolves the source
//! maps of its exceptions' frames (a cache miss loads from the database without holding a
//! worker).

use axum::body::Bytes;

use super::outline::{decode_traces, outline};
use crate::ingest::Ingest;
use crate::ingest::body::Raw;
use crate::ingest::error::IngestError;
use crate::metrics::Protocol;
use crate::sourcemaps::Resolved;

/// The maps of the payload's frames, and the spans committed from its `traces`.
/// Nothing here counts the request: the receiver counts it once ([`Ingest::accept_part`]).
pub async fn ahead(ingest: &Ingest, raw: &Raw) -> Result<(Resolved, usize), IngestError> {
    let maps = ingest.source_maps();
    let with_files = match maps {
        Some(maps) => maps.any().await,
        None => false,
    };
    let body = raw.clone();
    let outlined = ingest
        .cpu()
        .run(move || body.decompress().map(|bytes| outline(&bytes, with_files)))
        .await;
    let outline = outlined?;
    let mut spans = 0;
    if let Some(traces) = &outline.traces {
        let scope = raw.service_scope().map(str::to_owned);
        let service = outline.app.clone().or_else(|| scope.clone());
        let traces = Raw::plain(Bytes::copy_from_slice(traces.get().as_bytes())).scoped_to(scope);
        spans = ingest
            .accept_part(Protocol::faro, traces, service, decode_traces)
            .await?
            .records;
    }
    let resolved = match (maps, &outline.app, &outline.version) {
        (Some(maps), Some(app), Some(version)) if !outline.files.is_empty() => {
            maps.resolve(app, version, &outline.files).await
        }
        _ => Resolved::none(),
    };
    Ok((resolved, spans))
}
