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

/// The whole application as a router of its state, so tests can drive it in-process or over a
/// socket.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(accounts::routes())
        .merge(catalog::routes())
        .merge(booking::routes())
        .merge(search::routes())
        .merge(stream::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ));
    let app = Router::new()
        .nest("/api/v1", api)
        .merge(ops::routes())
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .with_state(state.clone());
    middleware::apply(app, &state.config)
}
