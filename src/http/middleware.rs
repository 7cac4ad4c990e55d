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
    let in_flight = std::sync::Arc::new(tokio::sync::Semaphore::new(config.max_in_flight));
    router
        .layer(axum::middleware::from_fn(conditional_get))
        .layer(axum::middleware::from_fn(move |req, next| {
            shed(in_flight.clone(), req, next)
        }))
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

/// Load shedding: a request beyond the in-flight limit is answered 503 with `Retry-After` at
/// once instead of queueing behind the others (which would only make every one of them late).
/// Event streams, health checks and assets don't count: they are long-lived or cost nothing.
async fn shed(
    in_flight: std::sync::Arc<tokio::sync::Semaphore>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let exempt = path.ends_with("/stream")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
        || path.starts_with("/static/");
    if exempt {
        return next.run(req).await;
    }
    let Ok(_permit) = in_flight.try_acquire() else {
        metrics::counter!("http_requests_shed_total").increment(1);
        return ApiError::Overloaded.into_response();
    };
    next.run(req).await
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
    if let Some(etag) = response.headers().get(header::ETAG) {
        // Rendered once with its ETag (a snapshot): compare without reading the body.
        if matches_etag(if_none_match.as_ref(), etag.as_bytes()) {
            let (mut parts, _) = response.into_parts();
            parts.status = StatusCode::NOT_MODIFIED;
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.remove(header::CONTENT_ENCODING);
            return Response::from_parts(parts, Body::empty());
        }
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::Internal("could not buffer response".into()).into_response();
    };
    let etag = crate::reads::etag_of(&bytes);
    let Ok(etag_value) = HeaderValue::from_str(&etag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let matches = matches_etag(if_none_match.as_ref(), etag.as_bytes());
    parts.headers.insert(header::ETAG, etag_value);
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether an `If-None-Match` header names `etag` (or is `*`), compared weakly: `W/"x"`
/// and `"x"` are the same version.
fn matches_etag(if_none_match: Option<&HeaderValue>, etag: &[u8]) -> bool {
    let opaque = |tag: &[u8]| tag.strip_prefix(b"W/").unwrap_or(tag).to_vec();
    let wanted = opaque(etag);
    if_none_match
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || opaque(t.as_bytes()) == wanted)
        })
}

/// The encoding to send a pre-rendered body in, from `Accept-Encoding`: the acceptable one
/// with the highest weight among brotli and gzip (brotli on a tie). A coding named with
/// `q=0` is refused, also when `*` would allow it; `*` stands for the codings not named.
pub fn preferred_encoding(headers: &axum::http::HeaderMap) -> crate::reads::Encoding {
    use crate::reads::Encoding;
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let weights: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let coding = parts.next()?.trim().to_ascii_lowercase();
            if coding.is_empty() {
                return None;
            }
            let q = parts
                .filter_map(|p| {
                    let (name, value) = p.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("q")
                        .then(|| value.trim().parse::<f32>().ok())?
                })
                .next()
                .unwrap_or(1.0);
            Some((coding, q))
        })
        .collect();
    let weight = |name: &str| {
        let named = weights.iter().find(|(c, _)| c == name);
        let any = weights.iter().find(|(c, _)| c == "*");
        named.or(any).map_or(0.0, |(_, q)| *q)
    };
    let (br, gz) = (weight("br"), weight("gzip"));
    if br > 0.0 && br >= gz {
        Encoding::Brotli
    } else if gz > 0.0 {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// A response for a body rendered once ([`crate::reads::Rendered`]): JSON in the encoding the
/// client prefers, with its ETag and `Cache-Control: public, max-age`.
pub async fn rendered<T>(
    headers: &axum::http::HeaderMap,
    body: &crate::reads::Rendered<T>,
    max_age: u32,
) -> Response {
    let (bytes, encoding) = body.body(preferred_encoding(headers)).await;
    let mut response = Response::new(Body::from(bytes));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(name) = encoding.name() {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    if let Ok(etag) = HeaderValue::from_str(body.etag()) {
        h.insert(header::ETAG, etag);
    }
    public_cache(max_age, response)
}

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
