//! The extractors that read an endpoint's parameters into its typed struct: [`Query`] for the
//! query string, [`Path`] for the path's `{...}` segments. Both answer a refusal as the read
//! API's 400 naming the parameter.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::de::from_pairs;
use super::pairs::Pairs;
use crate::query::ApiError;

/// The query string read into `T`, a `Deserialize` struct of the endpoint's parameters.
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let pairs = Pairs::parse(parts.uri.query())?;
        Ok(Query(from_pairs(&pairs)?))
    }
}

/// The path parameters read into `T`, a `Deserialize` struct (such as `{ id: Integer }`).
#[derive(Debug, Clone)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Path<T> {
    /// Axum's own answer for a path that is not UTF-8, else the read API's 400.
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let axum::extract::Path(segments) =
            axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
        let pairs = Pairs::new(segments);
        let value = from_pairs(&pairs).map_err(|e| ApiError::from(e).into_response())?;
        Ok(Path(value))
    }
}

/// The query string as a JSON object for the audit log; null when it cannot be decoded.
pub fn audit_filters(query: Option<&str>) -> serde_json::Value {
    Pairs::parse(query)
        .map(|pairs| pairs.to_json())
        .unwrap_or_default()
}
