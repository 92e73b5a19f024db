//! The Elasticsearch-compatible root under `/es`: the bulk API (`_bulk`, decoded here into
//! `LogRecord`s and item answers) and the setup calls shippers make before sending
//! ([`setup`]), every answer in Elasticsearch's shapes ([`answer`]).

pub mod answer;
pub mod bulk;
pub mod document;
pub mod flat;
pub mod http;
pub mod routes;
pub mod setup;

use std::sync::Arc;

use rand::Rng as _;
use utoipa_axum::router::OpenApiRouter;

use super::bounds;
use super::error::IngestError;
use super::{Decoded, Ingest, RequestContext};
use crate::config::ElasticsearchConfig;
use answer::{ErrorType, Item, ItemError};
use bulk::{Entry, Meta, Op};
use document::Target;
use flat::Reader;

/// A decoded bulk request: the records to store, and one answer per action in request order.
#[derive(Debug, Default)]
pub struct Bulk {
    pub decoded: Decoded,
    pub items: Vec<Item>,
}

/// Decodes a bulk body: 413 before decoding when the upper bounds of its records and attribute
/// entries exceed the context's bounds, 400 when it holds no action; otherwise every action gets
/// an item, stored (201) or refused (400) on its own. `url_index` is the `/{index}/_bulk` one,
/// which an action's `_index` overrides.
pub fn decode(
    body: &[u8],
    url_index: Option<&str>,
    context: &RequestContext,
) -> Result<Bulk, IngestError> {
    (context.bounds).check(bounds::json::scan(body).bulk())?;
    let entries = bulk::entries(body);
    if entries.is_empty() {
        return Err(IngestError::Decode(
            "the bulk body holds no action".to_string(),
        ));
    }
    let mut documents = Documents {
        url_index,
        context,
        reader: Reader::new(document::roles(context.aliases)),
    };
    let mut bulk = Bulk::default();
    bulk.items.reserve(entries.len());
    bulk.decoded.records.reserve(entries.len());
    for entry in entries {
        let item = match entry {
            Entry::Document {
                op,
                meta,
                source,
                line,
            } => documents.read(&mut bulk.decoded, op, meta, (source, line)),
            Entry::Refused { op, meta, error } => {
                let index = meta.index.or_else(|| url_index.map(str::to_string));
                refused(&mut bulk.decoded, op.name(), index, meta.id, error)
            }
        };
        bulk.items.push(item);
    }
    document::share_resources(&mut bulk.decoded.records);
    Ok(bulk)
}

/// What the documents of one bulk request are read with.
struct Documents<'a> {
    /// The index of `/{index}/_bulk`, which an action's `_index` overrides.
    url_index: Option<&'a str>,
    context: &'a RequestContext<'a>,
    reader: Reader,
}

impl Documents<'_> {
    /// Decodes one document (its source line and its number) into `decoded`, answering its
    /// item.
    fn read(
        &mut self,
        decoded: &mut Decoded,
        op: Op,
        meta: Meta,
        (source, line): (&[u8], usize),
    ) -> Item {
        let Meta { index, id, .. } = meta;
        let Some(index) = index.or_else(|| self.url_index.map(str::to_string)) else {
            let reason =
                "index is missing: name it in the URL or in the action's _index".to_string();
            let error = ItemError::new(ErrorType::ActionRequestValidation, reason);
            return refused(decoded, op.name(), None, id, error);
        };
        let target = Target {
            index: &index,
            id: id.as_deref(),
        };
        let record = document::record(source, target, self.context, &mut self.reader)
            .map_err(|reason| format!("document on line [{line}]: {reason}"));
        match record {
            Ok(record) => {
                decoded.records.push(record);
                Item {
                    action: op.name(),
                    index: Some(index),
                    id: id.unwrap_or_else(generated_id),
                    outcome: Ok(()),
                }
            }
            Err(reason) => {
                let error = ItemError::new(ErrorType::MapperParsing, reason);
                refused(decoded, op.name(), Some(index), id, error)
            }
        }
    }
}

/// Counts a refused item in `decoded` and answers it.
fn refused(
    decoded: &mut Decoded,
    action: &'static str,
    index: Option<String>,
    id: Option<String>,
    error: ItemError,
) -> Item {
    decoded.rejected += 1;
    if decoded.first_error.is_none() {
        decoded.first_error = Some(error.reason.clone());
    }
    Item {
        action,
        index,
        id: id.unwrap_or_default(),
        outcome: Err(error),
    }
}

/// A document id for an action that gave none: 20 URL-safe characters, as Elasticsearch makes.
fn generated_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    let id = bytes.map(|byte| ALPHABET[usize::from(byte & 63)]);
    // ASCII from the alphabet, never invalid.
    String::from_utf8(id.to_vec()).unwrap_or_default()
}

/// The shared state of the `/es` handlers.
#[derive(Clone)]
pub struct Elastic {
    ingest: Ingest,
    cluster: Arc<setup::Cluster>,
}

/// The routes under `/es`; [`http::product`], layered around the whole HTTP router, makes every
/// answer under `/es` carry `X-Elastic-Product: Elasticsearch` and a JSON body. Setup calls need
/// a token when ingest does.
pub fn router(ingest: Ingest, config: &ElasticsearchConfig) -> OpenApiRouter {
    let cluster = Arc::new(setup::Cluster::new(config));
    let state = Elastic { ingest, cluster };
    let authenticated = axum::middleware::from_fn_with_state(state.clone(), http::authenticated);
    let routes = routes::setup()
        .route_layer(authenticated.clone())
        .merge(routes::bulk())
        .fallback(setup::unknown)
        .with_state(state.clone());
    // A nested `/` answers `/es` only; `/es/` is routed beside it.
    let root = OpenApiRouter::new()
        .routes(utoipa_axum::routes!(routes::root_with_slash))
        .route_layer(authenticated)
        .with_state(state);
    OpenApiRouter::new().nest("/es", routes).merge(root)
}

#[cfg(test)]
mod tests;
