//! Every failure leaves the HTTP layer as `application/problem+json` (RFC 9457):
//! `{type, title, status, detail, errors?}`. Causes of 500s are logged, never sent.

use crate::domain::{FieldError, Invalid};
use crate::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The problem document clients receive.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Each invalid field of a 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldError>,
    /// Extra members some problems carry (e.g. `unavailable_seat_ids`); the schema allows
    /// members it does not name.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read (malformed JSON, bad header).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 403: this show's waiting room is on and the request carried no valid admission; the
    /// problem names the queue to join.
    #[error("{detail}")]
    AdmissionRequired { detail: String, queue: String },
    /// 404: no such resource (or not yours).
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists with other methods.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the request conflicts with the current state.
    #[error("{0}")]
    Conflict(String, Option<serde_json::Map<String, serde_json::Value>>),
    /// 410: the thing existed but is gone (an expired hold).
    #[error("{0}")]
    Gone(String),
    /// 413: the body is too large.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: the request was understood but is invalid; names every bad field.
    #[error("validation failed")]
    Invalid(Vec<FieldError>),
    /// 429: slow down.
    #[error("too many requests")]
    TooManyRequests,
    /// 503 with `Retry-After`: the waiting room's shared queue is unreachable; joining and
    /// admission pause until it is back.
    #[error("{0}")]
    Paused(String),
    /// 503: a dependency is down; safe to retry.
    #[error("{0}")]
    Unavailable(String),
    /// 503 at once: more requests are in flight than this instance takes on.
    #[error("the server is overloaded; retry in a moment")]
    Overloaded,
    /// 500: a bug or an unexpected failure; the cause is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(Invalid::one(field, message).0)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(..) => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::AdmissionRequired { .. } => StatusCode::FORBIDDEN,
            ApiError::Paused(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unavailable(_) | ApiError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::Conflict(..) => "conflict",
            ApiError::Gone(_) => "gone",
            ApiError::PayloadTooLarge => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::Invalid(_) => "validation",
            ApiError::TooManyRequests => "rate-limited",
            ApiError::AdmissionRequired { .. } => "admission-required",
            ApiError::Paused(_) => "waiting-room-paused",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Overloaded => "overloaded",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            ApiError::Invalid(errors) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("invalid fields: {}", fields.join(", "))
            }
            ApiError::Internal(_) => "an unexpected error occurred; it has been logged".into(),
            other => other.to_string(),
        };
        Problem {
            kind: format!("https://boxoffice.dev/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors: match self {
                ApiError::Invalid(errors) => errors.clone(),
                _ => Vec::new(),
            },
            extra: match self {
                ApiError::Conflict(_, extra) => extra.clone(),
                ApiError::AdmissionRequired { queue, .. } => {
                    let mut extra = serde_json::Map::new();
                    extra.insert("queue".into(), queue.clone().into());
                    Some(extra)
                }
                _ => None,
            },
        }
    }
}

/// The cause of a 500, stashed in the response so the request log line can report it once.
#[derive(Debug, Clone)]
pub struct ErrorCause(pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status(), body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::Internal(cause) | ApiError::Unavailable(cause) = &self {
            response.extensions_mut().insert(ErrorCause(cause.clone()));
        }
        let retry_after = match &self {
            ApiError::Paused(_) | ApiError::Unavailable(_) => Some("5"),
            ApiError::Overloaded => Some("1"),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
        }
        if let ApiError::Unauthorized(_) = &self {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            StoreError::Conflict(msg) => ApiError::Conflict(msg, None),
            StoreError::Invalid(invalid) => ApiError::Invalid(invalid.0),
            StoreError::Unavailable(e) => match e {
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                    ApiError::Unavailable(format!("the database is unavailable: {e}"))
                }
                // PostgreSQL refuses a NUL character in text: the request's fault, whichever
                // field the checks before the store did not cover.
                sqlx::Error::Database(db) if db.code().as_deref() == Some("22021") => {
                    ApiError::invalid("", "text must not contain the NUL character")
                }
                other => ApiError::Internal(format!("database: {other}")),
            },
            StoreError::SeatsTaken { seat_ids, detail } => {
                let mut extra = serde_json::Map::new();
                extra.insert("unavailable_seat_ids".into(), serde_json::json!(seat_ids));
                ApiError::Conflict(detail, Some(extra))
            }
            StoreError::Gone(msg) => ApiError::Gone(msg),
            StoreError::Internal(msg) => ApiError::Internal(msg),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        ApiError::Invalid(invalid.0)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
