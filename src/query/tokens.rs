//! Token management for admins: `GET/POST /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`. The
//! CLI (`logbridge tokens ...`) does the same through [`create_token`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::error::{ApiError, ErrorBody};
use super::params::{Integer, Path};
use super::{Caller, QueryState, with_rows};
use crate::auth::{Role, origins, token};
use crate::store::tokens::{self, NewRow, TokenRow};

/// A token to create.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub role: Role,
    /// Services a reader or support token may read (all when absent); a browser key's one
    /// service.
    pub services: Option<Vec<String>>,
    /// Origins a browser key may be used from: `https://shop.example.com` or
    /// `https://*.example.com`; required for a browser key, refused for the other roles.
    #[serde(default)]
    pub origins: Option<Vec<String>>,
    pub name: Option<String>,
}

/// The path of one token.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TokenPath {
    /// The token's id
    #[param(value_type = i64)]
    id: Integer,
}

/// A created token: the secret is shown here once and never again.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub token: String,
    #[serde(flatten)]
    pub row: TokenRow,
}

/// Creates a token and returns it with its secret.
pub async fn create_token(pool: &PgPool, new: &NewToken) -> Result<CreatedToken, ApiError> {
    let services = new.services.as_deref();
    if services.is_some_and(|s| s.is_empty() || s.iter().any(|name| name.trim().is_empty())) {
        return Err(ApiError::invalid(
            "services",
            "must list at least one non-empty name",
        ));
    }
    if services.is_some() && !matches!(new.role, Role::Reader | Role::Support | Role::Browser) {
        return Err(ApiError::invalid(
            "services",
            "only reader, support and browser tokens are scoped",
        ));
    }
    let origins = browser_scope(new)?;
    let secret = token::generate();
    let name = new
        .name
        .clone()
        .unwrap_or_else(|| new.role.as_str().to_string());
    let row = NewRow {
        name: &name,
        role: new.role.as_str(),
        services,
        origins: origins.as_deref(),
        hash: &token::hash(&secret),
    };
    let row = tokens::insert(pool, &row).await?;
    Ok(CreatedToken { token: secret, row })
}

/// A browser key's normalized origins: one service and at least one origin are required; other
/// roles take no origins.
fn browser_scope(new: &NewToken) -> Result<Option<Vec<String>>, ApiError> {
    let origins = new.origins.as_deref();
    if new.role != Role::Browser {
        if origins.is_some() {
            return Err(ApiError::invalid(
                "origins",
                "only browser keys have origins",
            ));
        }
        return Ok(None);
    }
    if new.services.as_ref().is_none_or(|s| s.len() != 1) {
        return Err(ApiError::invalid(
            "services",
            "a browser key names exactly one service",
        ));
    }
    let origins = origins
        .filter(|o| !o.is_empty())
        .ok_or_else(|| ApiError::invalid("origins", "a browser key lists at least one origin"))?;
    let normal = origins.iter().map(|o| origins::normalize(o));
    let normal: Result<Vec<String>, _> = normal.collect();
    normal
        .map(Some)
        .map_err(|error| ApiError::invalid("origins", error.to_string()))
}

/// Creates a token (admin).
#[utoipa::path(post, path = "/api/v1/tokens", operation_id = "create_token", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<QueryState>,
    caller: Caller,
    Json(new): Json<NewToken>,
) -> Result<Response, ApiError> {
    caller.require(Role::is_admin, "manage tokens")?;
    let created = create_token(&state.pool, &new).await?;
    Ok(with_rows((StatusCode::CREATED, Json(created)), 1))
}

/// Lists tokens, without their secrets (admin).
#[utoipa::path(get, path = "/api/v1/tokens", operation_id = "list_tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenRow>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(State(state): State<QueryState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Role::is_admin, "manage tokens")?;
    let rows = tokens::list(&state.pool).await?;
    let count = rows.len();
    Ok(with_rows(Json(rows), count))
}

/// Revokes a token at once (admin).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", operation_id = "revoke_token", tag = "tokens",
    params(TokenPath),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<QueryState>,
    caller: Caller,
    path: Result<Path<TokenPath>, Response>,
) -> Result<Response, ApiError> {
    // The role first: a non-admin learns nothing about the path.
    caller.require(Role::is_admin, "manage tokens")?;
    let Integer(id) = match path {
        Ok(Path(TokenPath { id })) => id,
        Err(refused) => return Ok(refused),
    };
    if !tokens::revoke(&state.pool, id).await? {
        return Err(ApiError::not_found("live token"));
    }
    state.auth.forget_cached();
    Ok(StatusCode::NO_CONTENT.into_response())
}
