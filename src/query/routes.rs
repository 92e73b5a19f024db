//! The read API's routes, each declared once by its handler's `#[utoipa::path]`: the router
//! and the read API's part of the OpenAPI 3 document (`GET /api/v1/openapi.json`) are both
//! built from [`declared`].

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    QueryState, alert_rules, alerts, audit, error, exceptions, export, listings, logs, monitoring,
    operations, patterns, reload, stats, tail, tokens, traces,
};

/// What the read API's part of the document holds besides the routes (the document itself,
/// with its security schemes, is `app::http`'s).
#[derive(OpenApi)]
#[openapi(components(schemas(error::ErrorBody, crate::store::read::LogRow)))]
struct ApiDoc;

/// Every route of the read API with its OpenAPI operation.
pub fn declared() -> OpenApiRouter<QueryState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(logs::list))
        .routes(routes!(export::export))
        .routes(routes!(tail::tail))
        .routes(routes!(listings::services))
        .routes(routes!(listings::scopes))
        .routes(routes!(listings::levels))
        .routes(routes!(patterns::patterns))
        .routes(routes!(operations::health))
        .routes(routes!(operations::run_retention))
        .routes(routes!(reload::reload))
        .routes(routes!(stats::stats))
        .routes(routes!(logs::by_id))
        .routes(routes!(logs::trace))
        .routes(routes!(traces::by_id))
        .routes(routes!(traces::search))
        .routes(routes!(monitoring::slow_requests))
        .routes(routes!(monitoring::slow_queries))
        .routes(routes!(monitoring::error_rates))
        .routes(routes!(alerts::history))
        .routes(routes!(alert_rules::rules))
        .routes(routes!(exceptions::list))
        .routes(routes!(exceptions::patterns))
        .routes(routes!(exceptions::by_id))
        .routes(routes!(exceptions::resolve))
        .routes(routes!(exceptions::reopen))
        .routes(routes!(audit::list))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> utoipa::openapi::OpenApi {
        declared().into_openapi()
    }

    #[test]
    fn views_are_documented_with_their_schemas() {
        let document = serde_json::to_value(spec()).unwrap();
        for path in [
            "/api/v1/logs/stats",
            "/api/v1/monitoring/slow-requests",
            "/api/v1/monitoring/slow-queries",
            "/api/v1/monitoring/error-rates",
            "/api/v1/monitoring/alerts/history",
        ] {
            assert!(document["paths"][path]["get"].is_object(), "{path}");
        }
        let schemas = &document["components"]["schemas"];
        for schema in [
            "Stats",
            "ErrorGroup",
            "SlowRequests",
            "QueryExample",
            "ErrorRates",
            "AlertHistory",
            "AlertRow",
        ] {
            assert!(schemas[schema].is_object(), "{schema}");
        }
    }

    /// Every `$ref` in the document, recursively.
    fn refs(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    found.push(target.clone());
                }
                map.values().for_each(|v| refs(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }

    #[test]
    fn exception_endpoints_are_documented_and_every_schema_reference_resolves() {
        let document = serde_json::to_value(spec()).unwrap();
        let paths = &document["paths"];
        assert!(paths["/api/v1/exceptions"]["get"].is_object());
        assert!(paths["/api/v1/exceptions/{id}"]["get"].is_object());
        assert!(paths["/api/v1/exceptions/{id}/resolve"]["put"].is_object());
        assert!(paths["/api/v1/exceptions/patterns"]["get"].is_object());
        let mut found = Vec::new();
        refs(&document, &mut found);
        for target in found {
            let name = target.trim_start_matches("#/components/schemas/");
            assert!(
                document["components"]["schemas"][name].is_object(),
                "{target} is not in the document"
            );
        }
    }
}
