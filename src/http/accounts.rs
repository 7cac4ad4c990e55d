//! Accounts: register, log in and out, who am I.

use super::error::{ApiError, ApiResult};
use super::extract::{CurrentUser, Json};
use super::AppState;
use crate::accounts::{hash_password, verify_password, HashError};
use crate::domain::password::Password;
use crate::domain::rfc3339;
use crate::domain::users::{normalise_email, NewUser, Role, User};
use crate::store::HashedUser;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::Router;
use base64::Engine;
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
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\f\r]")]
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

/// A hash of a random password, verified against when the email is unknown so that a wrong
/// email and a wrong password take the same time.
static DECOY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Creates a user account with the buyer role.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = RegisterInput,
    responses((status = 201, body = User), (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
async fn register(
    State(state): State<AppState>,
    Json(input): Json<RegisterInput>,
) -> ApiResult<impl IntoResponse> {
    let user = NewUser::parse(
        &input.email,
        &input.name,
        input.password.expose(),
        Role::Buyer,
    )?;
    let hash = hash_password(user.password.clone())
        .await
        .map_err(internal)?;
    let created = state
        .store
        .create_user(HashedUser::new(user, hash), state.clock.now_ms())
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
    let wrong = || ApiError::Unauthorized("wrong email or password".into());
    let email = normalise_email(&input.email);
    let found = match &email {
        Some(email) => state.store.credentials_by_email(email).await?,
        None => None,
    };
    let Some(credentials) = found else {
        let decoy = match DECOY_HASH.get() {
            Some(h) => h.clone(),
            None => {
                let h = hash_password(Password::new(format!("{:x}", rand::random::<u128>())))
                    .await
                    .map_err(internal)?;
                DECOY_HASH.get_or_init(|| h).clone()
            }
        };
        verify_password(input.password, decoy)
            .await
            .map_err(internal)?;
        return Err(wrong());
    };
    if !verify_password(input.password, credentials.password_hash)
        .await
        .map_err(internal)?
    {
        return Err(wrong());
    }
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let now = state.clock.now_ms();
    let expires_at = now + state.config.session_ttl.as_millis() as i64;
    state
        .store
        .create_session(
            credentials.user.id,
            &super::extract::token_hash(&token),
            now,
            expires_at,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(SessionView {
            token,
            expires_at: rfc3339(expires_at),
            user: credentials.user,
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
