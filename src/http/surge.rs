//! Surge endpoints: the waiting room's queue, the seat waitlist, and the organiser's settings.
//!
//! A queue entry is read and left by its signed token alone, so a browser's `EventSource`
//! (which cannot send headers) can follow it. Waitlist entries belong to their buyer.

use super::error::{ApiError, ApiResult};
use super::extract::{Admin, CurrentUser, Json, PathId};
use super::stream::HEARTBEAT;
use super::AppState;
use crate::domain::catalog::ShowView;
use crate::domain::surge::*;
use crate::domain::*;
use crate::surge::queue::QueueError;
use crate::surge::{QueueEntry, QueueState, RoomError};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures::stream::{self, Stream};
use std::time::Duration;

/// A stream sends its entry at least this often, and at once after a pacing step changed it.
pub const PUSH_EVERY: Duration = Duration::from_secs(5);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/shows/{id}/queue", post(join_queue))
        .route("/queue/{token}", get(queue_entry).delete(leave_queue))
        .route("/queue/{token}/stream", get(queue_stream))
        .route("/shows/{id}/waitlist", post(join_waitlist))
        .route("/waitlist/{id}", get(waitlist_entry).delete(leave_waitlist))
        .route("/waitlist/{id}/stream", get(waitlist_stream))
}

impl From<RoomError> for ApiError {
    fn from(e: RoomError) -> Self {
        match e {
            RoomError::UnknownToken => ApiError::NotFound("no such queue entry".into()),
            RoomError::Store(e) => e.into(),
            RoomError::Queue(QueueError::Unavailable(why)) => {
                ApiError::Paused(format!("the waiting room is paused ({why}); retry shortly"))
            }
            RoomError::Admission(why) => ApiError::AdmissionRequired {
                detail: why.to_string(),
                queue: String::new(),
            },
        }
    }
}

/// Changes a show's waiting-room settings (admin).
#[utoipa::path(patch, path = "/api/v1/shows/{id}", tag = "surge", params(("id" = String, Path)),
    request_body = ShowPatch,
    responses((status = 200, body = ShowView), (status = 403, body = super::Problem),
              (status = 404, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
pub(super) async fn update_show(
    State(state): State<AppState>,
    _admin: Admin,
    PathId(show): PathId<ShowId>,
    Json(patch): Json<ShowPatch>,
) -> ApiResult<axum::Json<ShowView>> {
    let patch = patch.validate()?;
    let view = state
        .store
        .update_show(show, patch, state.clock.now_ms())
        .await?;
    state.room.forget(show);
    Ok(axum::Json(view))
}

/// Joins a show's waiting room: one entry per buyer (joining again returns it).
#[utoipa::path(post, path = "/api/v1/shows/{id}/queue", tag = "surge", params(("id" = String, Path)),
    responses((status = 201, body = QueueEntry), (status = 401, body = super::Problem),
              (status = 404, body = super::Problem), (status = 409, body = super::Problem),
              (status = 503, body = super::Problem, description = "the shared queue is unreachable; retry after `Retry-After`")),
    security(("bearer" = [])))]
pub(super) async fn join_queue(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(show): PathId<ShowId>,
) -> ApiResult<Response> {
    let entry = state.room.join(show, current.user.id).await?;
    Ok((StatusCode::CREATED, axum::Json(entry)).into_response())
}

/// A queue entry by its token: position, ETA, and the admission once admitted.
#[utoipa::path(get, path = "/api/v1/queue/{token}", tag = "surge", params(("token" = String, Path)),
    responses((status = 200, body = QueueEntry), (status = 404, body = super::Problem),
              (status = 503, body = super::Problem)))]
pub(super) async fn queue_entry(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<QueueEntry>> {
    Ok(axum::Json(state.room.status(&token).await?))
}

/// Leaves the queue (or gives up an admission).
///
/// The token stays readable: `GET /api/v1/queue/{token}` then says `state: "expired"`, and
/// joining the show's queue again starts at the back.
#[utoipa::path(delete, path = "/api/v1/queue/{token}", tag = "surge", params(("token" = String, Path)),
    responses((status = 204), (status = 404, body = super::Problem), (status = 503, body = super::Problem)))]
pub(super) async fn leave_queue(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<StatusCode> {
    state.room.leave(&token).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn sse(events: impl Stream<Item = Result<Event, ApiError>> + Send + 'static) -> Response {
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT))
        .into_response();
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

fn entry_event<T: serde::Serialize>(name: &'static str, entry: &T) -> Event {
    Event::default()
        .event(name)
        .data(serde_json::to_string(entry).unwrap_or_default())
}

/// The queue entry as Server-Sent Events: an `entry` event at once; then the entry is read
/// again every second (each stream on its own beat, so a crowd of them spreads out) and sent
/// when its state or place changed, at least every 5 s, and at once when a pacing step on this
/// instance admits it. The stream ends after the entry stops waiting. Each event's
/// `changed_at` is when the pacing step that last moved the place or state ran, so a client
/// can tell how fresh its place is.
#[utoipa::path(get, path = "/api/v1/queue/{token}/stream", tag = "surge", params(("token" = String, Path)),
    responses((status = 200, content_type = "text/event-stream", description = "`entry` events"),
              (status = 404, body = super::Problem), (status = 503, body = super::Problem)))]
pub(super) async fn queue_stream(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    let (show, user) = state.room.entry_of(&token)?;
    let first = state.room.status_of(show, user).await?;
    let follow = QueueFollow {
        wake: state.room.waker(show, user),
        state,
        entry: (show, user),
        sent: None,
        first: Some(first),
    };
    Ok(sse(stream::unfold(Some(follow), |follow| async move {
        follow?.next().await
    })))
}

/// How often a stream reads its entry.
const READ_EVERY: Duration = Duration::from_secs(1);

struct QueueFollow {
    state: AppState,
    entry: (ShowId, UserId),
    /// Woken when a pacing step here admits this entry.
    wake: std::sync::Arc<tokio::sync::Notify>,
    /// What was sent last, when, and the `changed_at` it carried.
    sent: Option<(QueueEntry, std::time::Instant, String)>,
    first: Option<QueueEntry>,
}

impl QueueFollow {
    async fn next(mut self) -> Option<(Result<Event, ApiError>, Option<Self>)> {
        let (entry, changed_at) = match self.first.take() {
            Some(entry) => {
                let at = entry.as_of.clone();
                (entry, at)
            }
            None => loop {
                // The first wait is a random part of a beat, so streams opened together do not
                // read together.
                let wait = match &self.sent {
                    Some((_, at, _)) if at.elapsed() < READ_EVERY => {
                        READ_EVERY.mul_f64(rand::random::<f64>())
                    }
                    _ => READ_EVERY,
                };
                let _ = tokio::time::timeout(wait, self.wake.notified()).await;
                if self.state.room.is_closed() {
                    return None;
                }
                let (show, user) = self.entry;
                let entry = match self.state.room.status_of(show, user).await {
                    Ok(entry) => entry,
                    Err(e) => return Some((Err(e.into()), None)),
                };
                let Some((last, at, changed_at)) = &self.sent else {
                    let at = entry.as_of.clone();
                    break (entry, at);
                };
                if entry.state != last.state || entry.position != last.position {
                    let at = entry.as_of.clone();
                    break (entry, at);
                }
                if at.elapsed() >= PUSH_EVERY {
                    let at = changed_at.clone();
                    break (entry, at);
                }
            },
        };
        let mut data = serde_json::to_value(&entry).unwrap_or_default();
        if let Some(object) = data.as_object_mut() {
            object.insert("changed_at".into(), changed_at.clone().into());
        }
        let event = Event::default().event("entry").data(data.to_string());
        let waiting = entry.state == QueueState::Waiting;
        self.sent = Some((entry, std::time::Instant::now(), changed_at));
        Some((Ok(event), waiting.then_some(self)))
    }
}

/// Waits for seats that others hold: the first waiter that fits gets a hold on freed seats.
#[utoipa::path(post, path = "/api/v1/shows/{id}/waitlist", tag = "surge", params(("id" = String, Path)),
    request_body = WaitlistInput,
    responses((status = 201, body = WaitlistEntry), (status = 401, body = super::Problem),
              (status = 404, body = super::Problem),
              (status = 409, body = super::Problem, description = "enough seats are free now: hold them instead"),
              (status = 422, body = super::Problem, description = "more than could ever free up")),
    security(("bearer" = [])))]
pub(super) async fn join_waitlist(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(show): PathId<ShowId>,
    Json(input): Json<WaitlistInput>,
) -> ApiResult<Response> {
    let entry = NewWaitlistEntry::parse(show, input)?;
    let entry = state
        .store
        .join_waitlist(current.user.id, entry, state.clock.now_ms())
        .await?;
    let mut response = (StatusCode::CREATED, axum::Json(&entry)).into_response();
    if let Ok(location) = format!("/api/v1/waitlist/{}", entry.id).parse() {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, location);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/waitlist/{id}", tag = "surge", params(("id" = String, Path)),
    responses((status = 200, body = WaitlistEntry), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
pub(super) async fn waitlist_entry(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId<WaitlistId>,
) -> ApiResult<axum::Json<WaitlistEntry>> {
    Ok(axum::Json(
        state
            .store
            .waitlist_entry(id, current.user.id, state.clock.now_ms())
            .await?,
    ))
}

/// Leaves the waitlist (owner only).
///
/// The entry stays readable at `GET /api/v1/waitlist/{id}`, no longer waiting.
#[utoipa::path(delete, path = "/api/v1/waitlist/{id}", tag = "surge", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = super::Problem)), security(("bearer" = [])))]
pub(super) async fn leave_waitlist(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId<WaitlistId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .leave_waitlist(id, current.user.id, state.clock.now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The waitlist entry as Server-Sent Events: an `entry` event at once, whenever a seat of the
/// show changes (the instance's seat hub wakes it), and at least every 5 s; the stream ends
/// once the entry stops waiting.
#[utoipa::path(get, path = "/api/v1/waitlist/{id}/stream", tag = "surge", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/event-stream", description = "`entry` events"),
              (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
pub(super) async fn waitlist_stream(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId<WaitlistId>,
) -> ApiResult<Response> {
    waitlist_events(state, current.user.id, id).await
}

/// The events of `waitlist_stream` for the entry `id` of `user` (the web pages follow the same
/// stream with their cookie session).
pub async fn waitlist_events(state: AppState, user: UserId, id: WaitlistId) -> ApiResult<Response> {
    let first = state
        .store
        .waitlist_entry(id, user, state.clock.now_ms())
        .await?;
    let changes = state
        .seats
        .subscribe(first.show_id, None)
        .ok()
        .map(|s| s.events);
    let events = stream::unfold(
        Some((state, changes, Some(first))),
        move |open| async move {
            let (state, mut changes, ready) = open?;
            let entry = match ready {
                Some(entry) => entry,
                None => {
                    let wake = async {
                        match changes.as_mut() {
                            Some(rx) => rx.recv().await.err(),
                            None => std::future::pending().await,
                        }
                    };
                    let woke = tokio::time::timeout(PUSH_EVERY, wake).await;
                    if let Ok(Some(tokio::sync::broadcast::error::RecvError::Closed)) = woke {
                        // The instance is shutting down.
                        return None;
                    }
                    match state
                        .store
                        .waitlist_entry(id, user, state.clock.now_ms())
                        .await
                    {
                        Ok(entry) => entry,
                        Err(e) => return Some((Err(e.into()), None)),
                    }
                }
            };
            let event = entry_event("entry", &entry);
            let next = (entry.state == WaitlistState::Waiting).then_some((state, changes, None));
            Some((Ok(event), next))
        },
    );
    Ok(sse(events))
}
