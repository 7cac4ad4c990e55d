//! `Idempotency-Key` on creating POSTs: the first response to a key is stored and replayed to
//! retries of the same request for 24 hours; the same key with a different body is a 422; a
//! retry while the first is still running is a 409. Keys are scoped to the caller (their user,
//! or "anonymous" for registration and login), so one buyer cannot replay another's response.

use super::error::ApiError;
use super::extract::authenticate;
use super::AppState;
use crate::store::IdempotencyBegin;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";
/// The header as the OpenAPI document names it.
pub const HEADER_NAME: &str = "Idempotency-Key";

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || req.uri().path().contains("/payments/webhooks/") {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER).cloned() else {
        return next.run(req).await;
    };
    // Without credentials only registration and login take a key; anywhere else the handler's
    // 401 answers first, whatever the key.
    let path = req.uri().path();
    let anonymous_post = ["/users", "/sessions"].contains(&path.trim_start_matches("/api/v1"));
    if !anonymous_post && !req.headers().contains_key(header::AUTHORIZATION) {
        return next.run(req).await;
    }
    match handle(state, key, req, next).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn handle(
    state: AppState,
    key: HeaderValue,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let key = key
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            ApiError::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )
        })?
        .to_owned();
    let (mut parts, body) = req.into_parts();
    // The caller as every later layer will see it (see `extract::authenticate`).
    let scope = match authenticate(&state, &parts.headers, &mut parts.extensions).await? {
        Some(current) => format!("user:{}", current.user.id),
        None => "anonymous".to_owned(),
    };
    let bytes = axum::body::to_bytes(body, super::middleware::MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let mut hasher = Sha256::new();
    hasher.update(parts.uri.path().as_bytes());
    hasher.update([0]);
    hasher.update(&bytes);
    let hash = hex::encode(hasher.finalize());
    match state
        .store
        .idempotency_begin(&scope, &key, &hash, state.clock.now_ms())
        .await?
    {
        IdempotencyBegin::Mismatch => Err(ApiError::invalid(
            "Idempotency-Key",
            "this key was used for a different request; use a new key",
        )),
        IdempotencyBegin::InFlight => Err(ApiError::Conflict(
            "a request with this Idempotency-Key is still being processed; retry shortly".into(),
            None,
        )),
        IdempotencyBegin::Replay { status, body } => {
            let content_type = if status >= 400 {
                "application/problem+json"
            } else {
                "application/json"
            };
            let mut response = Response::new(Body::from(body));
            *response.status_mut() =
                axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(response)
        }
        IdempotencyBegin::Proceed => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let status = response.status();
            if status.is_server_error() {
                // Failures that changed nothing may be retried with the same key.
                state.store.idempotency_abort(&scope, &key).await?;
                return Ok(response);
            }
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .map_err(|e| ApiError::Internal(format!("buffering response: {e}")))?;
            let text = String::from_utf8_lossy(&bytes);
            state
                .store
                .idempotency_finish(&scope, &key, status.as_u16(), &text)
                .await?;
            Ok(Response::from_parts(parts, Body::from(bytes)))
        }
    }
}
