//! Extractors that turn raw requests into checked values or problem+json errors: JSON bodies,
//! path ids, and the caller's identity.

use super::error::ApiError;
use super::AppState;
pub use crate::accounts::token_hash;
use crate::domain::users::{Role, User};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, Extensions, HeaderMap};
use serde::de::DeserializeOwned;

/// A JSON body. Malformed JSON is a 400; well-formed JSON of the wrong shape is a 422 naming
/// the field; a non-JSON content type is a 415.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "send a JSON body with Content-Type: application/json".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest(format!("could not read the body: {rejection}"))
                }
            })?;
        // Every request body of the API is an object; serde would also read a struct from an
        // array of its fields in order, which no client means.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{')
            && serde_json::from_slice::<serde_json::Value>(&bytes).is_ok()
        {
            return Err(ApiError::invalid("", "the body must be a JSON object"));
        }
        parse_json(&bytes).map(Json)
    }
}

/// Parses JSON, telling syntax errors (400) from shape errors (422 with the field's path).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut de) {
        Ok(value) => {
            de.end()
                .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
            Ok(value)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let message = inner.to_string();
                    // serde reports a missing field on the parent object; name the field itself.
                    let field = match message.strip_prefix("missing field `") {
                        Some(rest) => {
                            let name = rest.split('`').next().unwrap_or_default();
                            if path == "." {
                                name.to_owned()
                            } else {
                                format!("{path}.{name}")
                            }
                        }
                        None if path == "." => String::new(),
                        None => path,
                    };
                    let message = message
                        .split(" at line ")
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    Err(ApiError::invalid(&field, message))
                }
                _ => Err(ApiError::BadRequest(format!("malformed JSON: {inner}"))),
            }
        }
    }
}

/// The bearer token of `Authorization`, whatever the case of its scheme (RFC 7235).
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::Unauthorized(
            "use Authorization: Bearer <token> from POST /api/v1/sessions".into(),
        )),
    }
}

/// Who is calling: the one authentication path of every layer (extractors, idempotency keys).
/// `None` without an `Authorization` header; 401 for a malformed header or a dead session.
/// The answer is kept in the request's extensions, so each request is authenticated once and
/// every layer sees the same caller.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &mut Extensions,
) -> Result<Option<CurrentUser>, ApiError> {
    if let Some(found) = extensions.get::<CurrentUser>() {
        return Ok(Some(found.clone()));
    }
    let Some(token) = bearer(headers)? else {
        return Ok(None);
    };
    let hash = token_hash(token);
    let user = session_user(state, &hash).await?.ok_or_else(|| {
        ApiError::Unauthorized("the session has expired or was logged out".into())
    })?;
    let current = CurrentUser {
        user,
        token_hash: hash,
    };
    extensions.insert(current.clone());
    Ok(Some(current))
}

/// The user behind a session token hash, from the cache or the store.
pub async fn session_user(state: &AppState, hash: &str) -> Result<Option<User>, ApiError> {
    if let Some(user) = state.sessions.get(hash) {
        return Ok(Some(user));
    }
    let user = state.store.session_user(hash, state.clock.now_ms()).await?;
    if let Some(user) = &user {
        state.sessions.insert(hash.to_owned(), user.clone());
    }
    Ok(user)
}

/// A logged-in caller and the hash of the token they used.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(state, &parts.headers, &mut parts.extensions)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("log in first: this needs a bearer token".into()))
    }
}

/// A caller with the admin role: 401 when anonymous, 403 for buyers.
#[derive(Debug, Clone)]
pub struct Admin(pub User);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        if current.user.role != Role::Admin {
            return Err(ApiError::Forbidden(
                "only an admin may change the catalog".into(),
            ));
        }
        Ok(Admin(current.user))
    }
}

/// A typed id from the path; an id that cannot exist is a 404, not a 400.
pub struct PathId<T>(pub T);

impl<T, S> FromRequestParts<S> for PathId<T>
where
    T: std::str::FromStr + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::NotFound("no such resource".into()))?;
        raw.parse()
            .map(PathId)
            .map_err(|_| ApiError::NotFound(format!("no resource with id {raw:?}")))
    }
}
