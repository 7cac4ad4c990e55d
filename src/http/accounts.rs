//! Accounts: register, log in and out, who am I.

use super::error::{ApiError, ApiResult};
use super::extract::{CurrentUser, Json};
use super::AppState;
use crate::accounts::{self, HashError, LoginError, RegisterError};
use crate::domain::password::Password;
use crate::domain::rfc3339;
use crate::domain::users::User;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", post(register))
        .route("/users/me", get(me))
        .route("/sessions", post(login))
        .route("/sessions/current", delete(logout))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterInput {
    /// Compared without regard to case; taken already is a 409.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub name: String,
    #[schema(value_type = String, min_length = 8, max_length = 256)]
    pub password: Password,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginInput {
    pub email: String,
    #[schema(value_type = String)]
    pub password: Password,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub token: String,
    pub expires_at: String,
    pub user: User,
}

fn internal(e: HashError) -> ApiError {
    ApiError::Internal(e.0)
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::Invalid(invalid) => invalid.into(),
            RegisterError::Hash(e) => internal(e),
            RegisterError::Store(e) => e.into(),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Wrong => ApiError::Unauthorized(e.to_string()),
            LoginError::Hash(e) => internal(e),
            LoginError::Store(e) => e.into(),
        }
    }
}

/// Creates a user account with the buyer role.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = RegisterInput,
    responses((status = 201, body = User), (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
async fn register(
    State(state): State<AppState>,
    Json(input): Json<RegisterInput>,
) -> ApiResult<impl IntoResponse> {
    let created = accounts::register(
        &state.store,
        &input.email,
        &input.name,
        input.password.expose(),
        state.clock.now_ms(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// Logs in and returns a bearer token.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "accounts", request_body = LoginInput,
    responses((status = 201, body = SessionView), (status = 401, body = super::Problem)))]
async fn login(
    State(state): State<AppState>,
    Json(input): Json<LoginInput>,
) -> ApiResult<impl IntoResponse> {
    let session = accounts::log_in(
        &state.store,
        &input.email,
        input.password,
        state.clock.now_ms(),
        state.config.session_ttl,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(SessionView {
            token: session.token,
            expires_at: rfc3339(session.expires_at),
            user: session.user,
        }),
    ))
}

/// Logs out: the token stops working at once.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "accounts",
    responses((status = 204), (status = 401, body = super::Problem)), security(("bearer" = [])))]
async fn logout(State(state): State<AppState>, current: CurrentUser) -> ApiResult<StatusCode> {
    state.store.delete_session(&current.token_hash).await?;
    state.sessions.invalidate(&current.token_hash);
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "accounts",
    responses((status = 200, body = User), (status = 401, body = super::Problem)), security(("bearer" = [])))]
async fn me(current: CurrentUser) -> axum::Json<User> {
    axum::Json(current.user)
}
