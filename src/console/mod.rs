//! The web console at `/ui/`: static HTML, CSS and ES modules embedded in the binary, served
//! beside the read API they call (the browser brings its token; the API checks it). Every
//! answer carries a strict Content-Security-Policy (scripts and styles from this origin only,
//! no inline ones, no framing), so that log data shown by the console can never run as code.

mod assets;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use assets::{ASSETS, Asset};

/// The console's policy: everything from this origin only, nothing inline, no framing, no
/// plugins, no `<base>`; forms may post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The console's routes, each with its OpenAPI operation.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(index))
        .routes(routes!(asset))
}

/// `GET /ui`: to the console's page.
#[utoipa::path(get, path = "/ui", operation_id = "console_root", tag = "console",
    responses((status = 308, description = "To `/ui/`")))]
async fn root() -> Redirect {
    Redirect::permanent("/ui/")
}

/// `GET /ui/`: the console's one page (each view is a module it loads).
#[utoipa::path(get, path = "/ui/", operation_id = "console", tag = "console",
    responses((status = 200, description = "The console's page", content_type = "text/html")))]
async fn index() -> Response {
    served(assets::find("index.html"))
}

/// `GET /ui/{asset}`: a script, style sheet or image of the console.
#[utoipa::path(get, path = "/ui/{*asset}", operation_id = "console_asset", tag = "console",
    params(("asset" = String, Path, description = "An asset's name, e.g. `pages/logs.js`")),
    responses((status = 200, description = "The asset"),
              (status = 404, description = "No such asset", body = String)))]
async fn asset(Path(name): Path<String>) -> Response {
    served(assets::find(&name))
}

/// An asset with the console's security headers, or a 404 naming nothing but the fact.
fn served(found: Option<&'static Asset>) -> Response {
    let mut response = match found {
        Some(asset) => {
            let content_type = [(header::CONTENT_TYPE, asset.content_type)];
            (content_type, asset.body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such console asset").into_response(),
    };
    let headers = response.headers_mut();
    let policy = HeaderValue::from_static(CONTENT_SECURITY_POLICY);
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    let static_values = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    for (name, value) in static_values {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
