//! Booking endpoints: holds, bookings, cancellation, my bookings, provider webhooks.

use super::error::{ApiError, ApiResult};
use super::extract::{CurrentUser, Json, PathId};
use super::AppState;
use crate::booking::BookingError;
use crate::domain::booking::*;
use crate::domain::users::Role;
use crate::domain::*;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/holds", post(create_hold))
        .route("/holds/{id}", get(get_hold).delete(release_hold))
        .route("/bookings", post(create_booking))
        .route("/bookings/{id}", get(get_booking))
        .route("/bookings/{id}/cancel", post(cancel_booking))
        .route("/users/me/bookings", get(my_bookings))
        .route("/payments/webhooks/{provider}", post(webhook))
}

/// Webhook signature checks read the request's headers through the payments' own lookup.
impl crate::payments::WebhookHeaders for HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(|v| v.as_bytes())
    }
}

impl From<BookingError> for ApiError {
    fn from(e: BookingError) -> Self {
        match e {
            BookingError::Store(e) => e.into(),
            BookingError::UnknownProvider(p) => ApiError::invalid(
                "payment.provider",
                format!("unknown payment provider {p:?}"),
            ),
            BookingError::Payment(e) => ApiError::Unavailable(e.to_string()),
            BookingError::Webhook(e) => ApiError::BadRequest(e.to_string()),
        }
    }
}

/// Holds seats: explicit `seat_ids`, or `section` + `quantity` for the best available.
#[utoipa::path(post, path = "/api/v1/holds", tag = "booking", request_body = HoldInput,
    responses((status = 201, body = Hold), (status = 401, body = super::Problem), (status = 404, body = super::Problem),
              (status = 403, body = super::Problem, description = "the show's waiting room is on: send a valid `Admission` header (the problem's `queue` says where to queue)"),
              (status = 409, body = super::Problem, description = "some seat is not available: `unavailable_seat_ids`"),
              (status = 422, body = super::Problem)),
    params(("Admission" = Option<String>, Header, description = "the admission of an admitted queue entry")),
    security(("bearer" = [])))]
async fn create_hold(
    State(state): State<AppState>,
    current: CurrentUser,
    headers: HeaderMap,
    Json(input): Json<HoldInput>,
) -> ApiResult<Response> {
    let hold = NewHold::try_from(input)?;
    let admission = headers.get("admission").and_then(|v| v.to_str().ok());
    if let Err(e) = state
        .room
        .gate(hold.show_id, current.user.id, admission)
        .await
    {
        return Err(match ApiError::from(e) {
            ApiError::AdmissionRequired { detail, .. } => ApiError::AdmissionRequired {
                detail,
                queue: format!("/api/v1/shows/{}/queue", hold.show_id),
            },
            other => other,
        });
    }
    let hold = state.booking.hold(current.user.id, hold).await?;
    let mut response = (StatusCode::CREATED, axum::Json(&hold)).into_response();
    if let Ok(location) = format!("/api/v1/holds/{}", hold.id).parse() {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, location);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/holds/{id}", tag = "booking", params(("id" = String, Path)),
    responses((status = 200, body = Hold), (status = 404, body = super::Problem)), security(("bearer" = [])))]
async fn get_hold(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId<HoldId>,
) -> ApiResult<axum::Json<Hold>> {
    Ok(axum::Json(
        state
            .store
            .hold(id, current.user.id, state.clock.now_ms())
            .await?,
    ))
}

/// Releases a hold (owner only): its seats are available again at once.
///
/// DELETE ends the hold but keeps its record: `GET /api/v1/holds/{id}` still answers it, with
/// `status: "released"`. Releasing it again, or after it expired, changes nothing (204); a
/// hold that has a booking is a 409 (cancel the booking instead).
#[utoipa::path(delete, path = "/api/v1/holds/{id}", tag = "booking", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = super::Problem, description = "no such hold, or not yours"),
              (status = 409, body = super::Problem, description = "the hold has a booking")), security(("bearer" = [])))]
async fn release_hold(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId<HoldId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .release_hold(id, current.user.id, state.clock.now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Books a live hold and pays for it.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "booking", request_body = BookingInput,
    responses((status = 201, body = Booking), (status = 404, body = super::Problem), (status = 409, body = super::Problem),
              (status = 410, body = super::Problem, description = "the hold expired"), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
async fn create_booking(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(input): Json<BookingInput>,
) -> ApiResult<Response> {
    let booking = state.booking.book(current.user.id, input).await?;
    if booking.status == BookingStatus::Confirmed {
        state.room.finished(booking.show_id, current.user.id).await;
    }
    let mut response = (StatusCode::CREATED, axum::Json(&booking)).into_response();
    if let Ok(location) = format!("/api/v1/bookings/{}", booking.id).parse() {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, location);
    }
    Ok(response)
}

/// Whose bookings a caller may see: their own, or anyone's for an admin.
pub fn owner_scope(user: &crate::domain::users::User) -> Option<UserId> {
    (user.role != Role::Admin).then_some(user.id)
}

#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "booking", params(("id" = String, Path)),
    responses((status = 200, body = Booking), (status = 404, body = super::Problem)), security(("bearer" = [])))]
async fn get_booking(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId<BookingId>,
) -> ApiResult<axum::Json<Booking>> {
    Ok(axum::Json(
        state.store.booking(id, owner_scope(&current.user)).await?,
    ))
}

/// Cancels a confirmed booking and refunds it; the seats become available.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", tag = "booking", params(("id" = String, Path)),
    responses((status = 200, body = Booking), (status = 404, body = super::Problem), (status = 409, body = super::Problem)),
    security(("bearer" = [])))]
async fn cancel_booking(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId<BookingId>,
) -> ApiResult<axum::Json<Booking>> {
    Ok(axum::Json(
        state.booking.cancel(id, owner_scope(&current.user)).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingList {
    pub items: Vec<Booking>,
}

#[utoipa::path(get, path = "/api/v1/users/me/bookings", tag = "accounts",
    responses((status = 200, body = BookingList), (status = 401, body = super::Problem)), security(("bearer" = [])))]
async fn my_bookings(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<axum::Json<BookingList>> {
    Ok(axum::Json(BookingList {
        items: state.store.bookings_for_user(current.user.id).await?,
    }))
}

/// A payment provider's signed event. Bad signature or stale timestamp → 400; replays → 200
/// with no second effect.
#[utoipa::path(post, path = "/api/v1/payments/webhooks/{provider}", tag = "booking", params(("provider" = String, Path)),
    params(("Stripe-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">` with the webhook secret")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "the provider's event, signed in the Stripe-Signature header"),
    responses((status = 200, body = serde_json::Value, description = "`{received, applied}`; a replay is applied once"),
              (status = 400, body = super::Problem, description = "missing or wrong signature, stale timestamp, or not an event"),
              (status = 404, body = super::Problem, description = "no such payment provider"),
              (status = 413, body = super::Problem, description = "the body is larger than 2 MiB")))]
async fn webhook(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(format!("could not read the body: {rejection}"))
        }
    })?;
    if state.booking.payments().get(&provider).is_none() {
        return Err(ApiError::NotFound(format!(
            "no payment provider {provider:?}"
        )));
    }
    let applied = state.booking.webhook(&provider, &headers, &body).await?;
    Ok(axum::Json(
        serde_json::json!({"received": true, "applied": applied}),
    ))
}
