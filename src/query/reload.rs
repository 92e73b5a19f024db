//! `POST /api/v1/admin/reload`, for admins: reloads the configuration file as SIGHUP does
//! (`app::reload`), answering what was applied and what needs a restart, or 422 with the
//! startup's error for a file that does not load (the running configuration stays in force).

use axum::Json;
use axum::extract::State;
use axum::response::Response;

use super::error::{ApiError, ErrorBody};
use super::{Caller, QueryState, with_rows};
use crate::app::reload::Reloaded;
use crate::auth::Role;
use crate::error::ErrorCode;

/// Reloads the configuration file (admin): redaction rules, ingest policies and log metrics.
#[utoipa::path(post, path = "/api/v1/admin/reload", operation_id = "reload_config",
    tag = "operations",
    responses((status = 200, body = Reloaded), (status = 403, body = ErrorBody),
              (status = 422, description = "The file was refused; nothing changed",
                  body = ErrorBody),
              (status = 500, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reload(State(state): State<QueryState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Role::is_admin, "reload the configuration")?;
    let Some(reloaded) = state.reloader.reload_logged("api").await else {
        return Err(ApiError::coded(ErrorCode::Internal, "internal error"));
    };
    let reloaded = reloaded.map_err(|error| ApiError::invalid_config(error.to_string()))?;
    Ok(with_rows(Json(reloaded), 1))
}
