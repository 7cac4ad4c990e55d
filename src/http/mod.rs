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
}

/// The whole application as a router of its state, so tests can drive it in-process or over a
/// socket.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(accounts::routes())
        .merge(catalog::routes())
        .merge(booking::routes())
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
