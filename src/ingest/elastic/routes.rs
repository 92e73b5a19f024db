//! The routes under `/es`, each declared once with its OpenAPI operation: the bulk API and the
//! setup calls shippers make. A setup call's operation is declared here by [`setup_call!`],
//! which hands the request to its handler in [`setup`].

use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Elastic, setup};

/// An operation of a setup call: `$name` answers `$method $path` with `$handler`.
macro_rules! setup_call {
    ($name:ident, [$($method:tt)*], $path:tt, $summary:tt, $handler:expr $(, $param:tt)*) => {
        #[utoipa::path($($method)*, path = $path, operation_id = stringify!($name),
            tag = "elasticsearch", summary = $summary,
            params($(($param = String, Path),)*),
            responses((status = 200, description = "Elasticsearch's answer, in JSON"),
                (status = 401, description = "A token is required"),
                (status = 403, description = "The token may not ingest")),
            security((), ("bearer" = []), ("basic" = [])))]
        async fn $name(State(elastic): State<Elastic>, request: Request) -> Response {
            Handler::call($handler, request, elastic).await
        }
    };
}

setup_call!(
    root,
    [get],
    "/",
    "Cluster info (version, build flavor)",
    setup::info
);
setup_call!(
    license,
    [get],
    "/_license",
    "The license (basic, active)",
    setup::license
);
setup_call!(xpack, [get], "/_xpack", "X-Pack info", setup::xpack);
setup_call!(
    health,
    [get],
    "/_cluster/health",
    "Cluster health (green)",
    setup::health
);
setup_call!(
    index_health,
    [get],
    "/_cluster/health/{index}",
    "An index's health (green)",
    setup::health,
    "index"
);
setup_call!(
    nodes,
    [get],
    "/_nodes",
    "One node, without an HTTP address",
    setup::nodes
);
setup_call!(
    nodes_of,
    [get],
    "/_nodes/{*rest}",
    "One node, whatever the selector",
    setup::nodes,
    "rest"
);
setup_call!(
    index_template,
    [get],
    "/_index_template/{name}",
    "An index template (exists)",
    setup::index_template,
    "name"
);
setup_call!(
    put_index_template,
    [put],
    "/_index_template/{name}",
    "Acknowledged, not kept",
    setup::acknowledged,
    "name"
);
setup_call!(
    legacy_template,
    [get],
    "/_template/{name}",
    "A legacy template (exists)",
    setup::legacy_template,
    "name"
);
setup_call!(
    put_legacy_template,
    [put],
    "/_template/{name}",
    "Acknowledged, not kept",
    setup::acknowledged,
    "name"
);
setup_call!(
    ilm_policy,
    [get],
    "/_ilm/policy/{name}",
    "An ILM policy (exists)",
    setup::ilm_policy,
    "name"
);
setup_call!(
    put_ilm_policy,
    [put],
    "/_ilm/policy/{name}",
    "Acknowledged, not kept",
    setup::acknowledged,
    "name"
);
setup_call!(
    pipeline,
    [get],
    "/_ingest/pipeline/{id}",
    "An ingest pipeline (exists)",
    setup::pipeline,
    "id"
);
setup_call!(
    put_pipeline,
    [put],
    "/_ingest/pipeline/{id}",
    "Acknowledged, not kept",
    setup::acknowledged,
    "id"
);
setup_call!(
    data_stream,
    [get],
    "/_data_stream/{name}",
    "A data stream (exists)",
    setup::data_stream,
    "name"
);
setup_call!(
    put_data_stream,
    [put],
    "/_data_stream/{name}",
    "Acknowledged, not kept",
    setup::acknowledged,
    "name"
);
setup_call!(
    lifecycle,
    [get],
    "/_data_stream/{name}/_lifecycle",
    "A data stream's lifecycle",
    setup::lifecycle,
    "name"
);
setup_call!(
    put_lifecycle,
    [put],
    "/_data_stream/{name}/_lifecycle",
    "Acknowledged, not kept",
    setup::acknowledged,
    "name"
);
setup_call!(
    refresh,
    [method(get, post)],
    "/_refresh",
    "Nothing to do: records are searchable \
    once acknowledged",
    setup::refreshed
);
setup_call!(
    index_refresh,
    [method(get, post)],
    "/{index}/_refresh",
    "Nothing to do: records \
    are searchable once acknowledged",
    setup::refreshed,
    "index"
);

/// The setup calls (the bulk routes are added beside them).
pub fn setup() -> OpenApiRouter<Elastic> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(license))
        .routes(routes!(xpack))
        .routes(routes!(health))
        .routes(routes!(index_health))
        .routes(routes!(nodes))
        .routes(routes!(nodes_of))
        .routes(routes!(index_template, put_index_template))
        .routes(routes!(legacy_template, put_legacy_template))
        .routes(routes!(ilm_policy, put_ilm_policy))
        .routes(routes!(pipeline, put_pipeline))
        .routes(routes!(data_stream, put_data_stream))
        .routes(routes!(lifecycle, put_lifecycle))
        .routes(routes!(refresh))
        .routes(routes!(index_refresh))
}

/// The bulk API.
pub fn bulk() -> OpenApiRouter<Elastic> {
    OpenApiRouter::new()
        .routes(routes!(super::http::bulk))
        .routes(routes!(super::http::bulk_into))
}

/// `/es/` with its slash (a nested `/` answers `/es` only).
#[utoipa::path(get, path = "/es/", operation_id = "root_with_slash", tag = "elasticsearch",
    summary = "Cluster info (version, build flavor)",
    responses((status = 200, description = "Elasticsearch's answer, in JSON"),
        (status = 401, description = "A token is required"),
        (status = 403, description = "The token may not ingest")),
    security((), ("bearer" = []), ("basic" = [])))]
pub async fn root_with_slash(State(elastic): State<Elastic>, request: Request) -> Response {
    Handler::call(setup::info, request, elastic).await
}
