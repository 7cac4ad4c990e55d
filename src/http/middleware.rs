//! Cross-cutting request handling: request ids, the per-request log line, metrics, timeouts,
//! panics, body limits, and conditional GETs (ETag / If-None-Match).

use super::error::{ApiError, ErrorCause};
use crate::config::Config;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};

/// Bodies larger than this are refused with 413 before they are read.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

#[derive(Clone, Copy, Default)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = format!("{:016x}", rand::random::<u64>());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Wraps the router in the layers every request passes through (the last added runs first).
pub fn apply(router: axum::Router, config: &Config) -> axum::Router {
    router
        .layer(axum::middleware::from_fn(conditional_get))
        // gzip or brotli as the client asks; never for event streams (the default predicate
        // leaves `text/event-stream`, images and tiny bodies alone).
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            ApiError::Internal("handler panicked".into()).into_response()
        }))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(axum::middleware::from_fn(observe))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
}

/// One structured log line and the request metrics, labelled by matched route.
async fn observe(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let response = next.run(req).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let labels = [
        ("method", method.to_string()),
        ("route", route.clone()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!(
        "http_request_duration_seconds",
        &[("method", method.to_string()), ("route", route.clone())]
    )
    .record(elapsed.as_secs_f64());
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    match response.extensions().get::<ErrorCause>() {
        Some(ErrorCause(cause)) => tracing::error!(
            %method, %path, %route, status, latency_ms, request_id, error = %cause, "request failed"
        ),
        None => tracing::info!(%method, %path, %route, status, latency_ms, request_id, "request"),
    }
    response
}

/// Adds a weak ETag to successful GET responses and answers 304 when the client already has
/// that version, so browsers and CDNs can revalidate catalog reads cheaply.
async fn conditional_get(req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(req).await;
    // An event stream never ends by itself: buffering it to hash would hold back every event.
    let streaming = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if response.status() != StatusCode::OK
        || streaming
        || !response.headers().contains_key(header::CACHE_CONTROL)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::Internal("could not buffer response".into()).into_response();
    };
    let digest = sha2::Sha256::digest(&bytes);
    let etag = format!("W/\"{}\"", hex::encode(&digest[..12]));
    let Ok(etag_value) = HeaderValue::from_str(&etag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let matches = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    parts.headers.insert(header::ETAG, etag_value);
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

use sha2::Digest;

/// An unknown path: problem+json, or an HTML page for a browser outside the API.
pub async fn not_found(req: Request) -> Response {
    if !req.uri().path().starts_with("/api/") && crate::web::wants_html(req.headers()) {
        return crate::web::error_page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no page at this address.",
            Vec::new(),
        );
    }
    ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.uri().path()
    ))
    .into_response()
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Marks a response cacheable by shared caches for `max_age` seconds.
pub fn public_cache(max_age: u32, mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&format!(
        "public, max-age={max_age}, stale-while-revalidate={}",
        max_age.saturating_mul(5).max(5)
    )) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}
