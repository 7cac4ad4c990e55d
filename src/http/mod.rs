//! The HTTP layer: routing, middleware and the mapping between JSON and the domain.
//!
//! Each resource module owns its routes (`accounts`, `catalog`, `ops`); this module only merges
//! them and wraps them in the cross-cutting layers: request ids, one log line per request,
//! Prometheus metrics by matched route, timeouts, panics as 500s, problem+json for unknown
//! routes. Handlers stay thin: parse at the edge, call the store or a service, render.

pub mod accounts;
pub mod booking;
pub mod catalog;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod middleware;
pub mod ops;
pub mod search;
pub mod stream;
pub mod surge;
pub mod tickets;

use crate::clock::Clock;
use crate::config::Config;
use crate::store::DynStore;
use axum::Router;
use std::sync::Arc;

pub use error::{ApiError, ApiResult, Problem};

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    pub clock: Clock,
    pub config: Arc<Config>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    pub booking: crate::booking::BookingService,
    pub search: crate::search::SearchService,
    /// The live seat map's fan-out (see `crate::seatmap`).
    pub seats: crate::seatmap::SeatHub,
    /// The catalog reads served from memory (see `crate::reads`).
    pub reads: crate::reads::Reads,
    /// The waiting room of every show (see `crate::surge`).
    pub room: crate::surge::WaitingRoom,
    /// Recently seen sessions (token hash → user), so most requests skip the session lookup.
    /// Logging out evicts here at once; other instances notice within [`SESSION_CACHE_TTL`].
    pub sessions: moka::sync::Cache<String, crate::domain::users::User>,
}

/// How long another instance may keep honouring a session that was logged out elsewhere.
pub const SESSION_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// A session cache sized for a busy instance.
pub fn session_cache() -> moka::sync::Cache<String, crate::domain::users::User> {
    moka::sync::Cache::builder()
        .max_capacity(100_000)
        .time_to_live(SESSION_CACHE_TTL)
        .build()
}

/// The API's routes under `/api/v1`, without the cross-cutting layers.
fn api_routes() -> Router<AppState> {
    Router::new()
        .merge(accounts::routes())
        .merge(catalog::routes())
        .merge(booking::routes())
        .merge(search::routes())
        .merge(stream::routes())
        .merge(surge::routes())
        .merge(tickets::routes())
}

/// The whole application as a router of its state, so tests can drive it in-process or over a
/// socket.
pub fn router(state: AppState) -> Router {
    let api = api_routes().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        idempotency::layer,
    ));
    let app = Router::new()
        .nest("/api/v1", api)
        .merge(ops::routes())
        .merge(crate::web::routes())
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .with_state(state.clone());
    middleware::apply(app, &state.config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use utoipa::OpenApi;

    /// Routes served on purpose without an OpenAPI operation: the document itself, its HTML
    /// rendering and the Prometheus scrape.
    const UNDOCUMENTED: &[(&str, &str)] = &[
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/metrics"),
    ];

    /// (method, path) of every route of `router`. axum has no route listing, so this reads the
    /// router's `Debug` form: each route id with its methods (`allow_header`) and its path.
    fn served(router: &Router<AppState>, prefix: &str) -> BTreeSet<(String, String)> {
        let debug = format!("{router:?}");
        // Only the path router proper; the fallback router after it holds catch-alls.
        let routes = debug
            .split("fallback_router:")
            .next()
            .expect("a Debug form");
        let (methods, paths) = routes
            .split_once("node: Node { paths: {")
            .expect("the router's Debug form lists its paths");
        let mut by_id = std::collections::HashMap::new();
        for entry in methods.split("RouteId(").skip(1) {
            let (id, rest) = entry.split_once(')').expect("route id");
            if let Some((_, allow)) = rest.split_once("allow_header: Bytes(b\"") {
                let allow = allow.split('"').next().unwrap_or_default();
                by_id.insert(id.to_owned(), allow.to_owned());
            }
        }
        let mut out = BTreeSet::new();
        for entry in paths.split("RouteId(").skip(1) {
            let (id, rest) = entry.split_once(')').expect("route id");
            let path = rest.split('"').nth(1).expect("quoted path");
            let allow = by_id.get(id).expect("methods of every path");
            for method in allow.split(',').filter(|m| *m != "HEAD") {
                out.insert((method.to_owned(), format!("{prefix}{path}")));
            }
        }
        out
    }

    fn documented() -> BTreeSet<(String, String)> {
        let doc = ops::ApiDoc::openapi();
        let mut out = BTreeSet::new();
        for (method, path, _) in ops::operations(&doc) {
            out.insert((method.to_owned(), path.clone()));
        }
        out
    }

    #[test]
    fn every_route_is_documented_and_every_documented_path_is_routed() {
        let mut routed = served(&api_routes(), "/api/v1");
        routed.extend(served(&ops::routes(), ""));
        assert!(routed.len() > 20, "read too few routes: {routed:?}");
        for (method, path) in UNDOCUMENTED {
            assert!(
                routed.remove(&(method.to_string(), path.to_string())),
                "{method} {path} is no longer served; drop it from UNDOCUMENTED"
            );
        }
        let documented = documented();
        let missing_docs: Vec<_> = routed.difference(&documented).collect();
        let missing_routes: Vec<_> = documented.difference(&routed).collect();
        assert!(
            missing_docs.is_empty(),
            "routes without an OpenAPI operation (add the handler to ApiDoc's paths): {missing_docs:?}"
        );
        assert!(
            missing_routes.is_empty(),
            "OpenAPI operations no route serves: {missing_routes:?}"
        );
    }
}
