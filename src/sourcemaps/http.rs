//! `POST /api/v1/sourcemaps?app=&version=[&file=]` (the map as the body, gzip or not),
//! `GET /api/v1/sourcemaps?app=[&version=]` and `DELETE /api/v1/sourcemaps/{id}`: for admin
//! and ingest tokens; a browser key, which a page carries, never uploads.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{SourceMaps, StoreMapError};
use crate::auth::{Authenticator, Credentials, Direction, Role};
use crate::error::ErrorBody;
use crate::error::ErrorCode;
use crate::ingest::body;
use crate::ingest::error::IngestError;
use crate::query::ApiError;
use crate::store::sourcemaps as table;

/// Longest app or version name, in bytes.
const MAX_NAME_BYTES: usize = 256;
/// Maps listed at most.
const LIST_LIMIT: i64 = 1000;

/// What the handlers share.
#[derive(Clone)]
pub struct MapsApi {
    pub maps: SourceMaps,
    pub auth: Authenticator,
}

/// The routes of the source map API, each declared in the OpenAPI document.
pub fn router(api: MapsApi) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list, upload))
        .routes(routes!(remove))
        .with_state(api)
}

/// `?app=&version=&file=` of an upload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    app: Option<String>,
    version: Option<String>,
    file: Option<String>,
}

/// `?app=&version=` of a listing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    app: Option<String>,
    version: Option<String>,
}

/// Stores the source map of one minified file of an app's build (replacing the same file's).
#[utoipa::path(post, path = "/api/v1/sourcemaps", operation_id = "upload_sourcemap",
    tag = "sourcemaps",
    params(("app" = String, Query, description = "The app, as Faro's `meta.app.name`"),
        ("version" = String, Query, description = "The build, as `meta.app.version`"),
        ("file" = Option<String>, Query,
            description = "The minified file's URL path or base name; else the map's `file`")),
    request_body(content((String = "application/json")), description = "A source map (v3), \
        gzip allowed"),
    responses((status = 201, description = "The stored row"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
async fn upload(
    State(api): State<MapsApi>,
    credentials: Credentials,
    params: Result<Query<UploadParams>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    authorize(&api, &credentials, "upload source maps").await?;
    let Query(params) = params.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let app = name("app", params.app.as_deref())?;
    let version = name("version", params.version.as_deref())?;
    let limit = api.maps.config().max_map_bytes;
    let raw = body::read(&headers, body, limit).await.map_err(refused)?;
    let bytes = tokio::task::spawn_blocking(move || raw.decompress())
        .await
        .map_err(|_| ApiError::coded(ErrorCode::Internal, "the body could not be read"))?
        .map_err(refused)?;
    let stored = api
        .maps
        .store(app, version, params.file.as_deref(), bytes.to_vec())
        .await;
    let row = stored.map_err(|error| match error {
        StoreMapError::Database(error) => ApiError::database(error),
        StoreMapError::Interrupted => ApiError::coded(ErrorCode::Internal, error.to_string()),
        other => ApiError::coded(ErrorCode::DecodeError, other.to_string()),
    })?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

/// The source maps of an app (without their bodies).
#[utoipa::path(get, path = "/api/v1/sourcemaps", operation_id = "list_sourcemaps",
    tag = "sourcemaps",
    params(("app" = String, Query, description = "The app"),
        ("version" = Option<String>, Query, description = "One build only")),
    responses((status = 200, description = "The maps' rows"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list(
    State(api): State<MapsApi>,
    credentials: Credentials,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&api, &credentials, "list source maps").await?;
    let Query(params) = params.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let app = name("app", params.app.as_deref())?;
    let version = params.version.as_deref();
    let rows = table::list(api.maps.pool(), app, version, LIST_LIMIT).await?;
    Ok(Json(rows).into_response())
}

/// Removes one source map.
#[utoipa::path(delete, path = "/api/v1/sourcemaps/{id}", operation_id = "delete_sourcemap",
    tag = "sourcemaps",
    params(("id" = i64, Path, description = "The map's id, as listed")),
    responses((status = 204), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn remove(
    State(api): State<MapsApi>,
    credentials: Credentials,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    authorize(&api, &credentials, "delete source maps").await?;
    let Path(id) = id.map_err(|e| ApiError::invalid("id", e.body_text()))?;
    let row = table::delete(api.maps.pool(), id).await?;
    let row = row.ok_or_else(|| ApiError::not_found("source map"))?;
    api.maps.forget(&row.app, &row.version, &row.file);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An admin or ingest token; a browser key is refused (403).
async fn authorize(api: &MapsApi, credentials: &Credentials, action: &str) -> Result<(), ApiError> {
    let authorization = credentials.authorization();
    let principal = api
        .auth
        .authenticate(authorization, Direction::Ingest)
        .await?;
    principal.require(Role::can_ingest, action)?;
    Ok(())
}

/// A required app or version name: not empty, at most [`MAX_NAME_BYTES`], no control characters.
fn name<'a>(parameter: &str, value: Option<&'a str>) -> Result<&'a str, ApiError> {
    let value = value.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(ApiError::invalid(parameter, "is required"));
    }
    if value.len() > MAX_NAME_BYTES || value.chars().any(char::is_control) {
        let reason = "must be at most 256 bytes without control characters";
        return Err(ApiError::invalid(parameter, reason));
    }
    Ok(value)
}

/// A body refused while read: over the limit (413) or cut off by the listener.
fn refused(error: IngestError) -> ApiError {
    let message = match &error {
        IngestError::TooLarge { limit } => {
            format!("the source map exceeds sourcemaps.max_map_bytes ({limit} bytes)")
        }
        other => other.to_string(),
    };
    ApiError::coded(error.code(), message)
}
