//! `GET /api/v1/shows/{id}/seats/stream`: the live seat map as Server-Sent Events.
//!
//! The first event is a `snapshot` of every seat's status (unless `Last-Event-ID` lets the
//! stream resume), then `seat` events: `{seat_id, status}`, or a list of those when one change
//! moved several seats or several changes were read from the feed together. Every event's
//! `id:` is the change-feed position of the last change it carries. A client
//! too slow to keep up gets a `close` event saying so, and the stream ends. A snapshot is read
//! just after the position it is sent at, so it may already show a change whose `seat` event
//! follows; such an event only repeats a status the client already has. The events come
//! from the instance's seat hub (`crate::seatmap`), never from per-client database queries.

use super::error::{ApiError, ApiResult};
use super::extract::PathId;
use super::AppState;
use crate::domain::ShowId;
use crate::seatmap::{snapshot_frame, SeatChange, SeatEvent, SeatState, Start, Unavailable};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures::stream::{self, Stream, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};

/// The comment line that keeps idle connections (and the proxies between) open.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

pub fn routes() -> Router<AppState> {
    Router::new().route("/shows/{id}/seats/stream", get(seat_stream))
}

/// Live seat statuses of a show as Server-Sent Events.
#[utoipa::path(get, path = "/api/v1/shows/{id}/seats/stream", tag = "catalog",
    params(("id" = String, Path), ("Last-Event-ID" = Option<String>, Header,
        description = "the last event id seen: resume with exactly the missed changes")),
    responses(
        (status = 200, content_type = "text/event-stream",
            description = "`snapshot`, then `seat` events; `close` when the client fell behind"),
        (status = 404, body = super::Problem),
        (status = 503, body = super::Problem)))]
async fn seat_stream(
    State(state): State<AppState>,
    PathId(show): PathId<ShowId>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    if !state.seats.follows(show) {
        // The first subscriber of a show on this instance: only a real show gets a channel.
        state.store.show(show, state.clock.now_ms()).await?;
    }
    let subscription = state.seats.subscribe(show, last_seen).map_err(|why| {
        ApiError::Unavailable(match why {
            Unavailable::Starting => "the live seat map is starting; retry in a moment".into(),
            Unavailable::Closed => "this instance is shutting down".into(),
        })
    })?;
    let (first, after) = match subscription.start {
        Start::Resume(missed) => {
            let after = missed.last().map_or(last_seen.unwrap_or(0), |e| e.seq);
            (missed.iter().map(|e| e.frame()).collect(), after)
        }
        Start::Snapshot {
            position,
            seats: Some(frame),
        } => (vec![frame], position),
        Start::Snapshot {
            position,
            seats: None,
        } => (vec![snapshot(&state, show, position).await?], position),
    };
    let live = live_events(state, show, subscription.events, after);
    let body = stream::iter(first.into_iter().map(Ok)).chain(live);
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        // Tell nginx and friends not to buffer the stream.
        .header("x-accel-buffering", "no")
        .body(Body::from_stream(body))
        .map_err(|e| ApiError::Internal(format!("seat stream response: {e}")))
}

/// Every seat's status read from the store now, as the event at feed position `position`;
/// the instance's seat hub keeps them from then on, so later snapshots come from memory.
async fn snapshot(state: &AppState, show: ShowId, position: i64) -> ApiResult<Bytes> {
    let seats: Vec<SeatState> = state
        .store
        .seat_statuses(show, state.clock.now_ms())
        .await?
        .into_iter()
        .map(|(seat_id, status)| SeatState { seat_id, status })
        .collect();
    let frame = snapshot_frame(show, position, &seats);
    state.seats.install(show, position, seats);
    Ok(frame)
}

/// The live part of a stream: changes after position `after` (each event rendered once by the
/// hub and shared by every subscriber), a fresh snapshot when the show was reset, a heartbeat
/// comment when nothing happened for a while, and a `close` event when this client fell
/// behind its queue.
fn live_events(
    state: AppState,
    show: ShowId,
    events: broadcast::Receiver<Arc<SeatEvent>>,
    after: i64,
) -> impl Stream<Item = Result<Bytes, ApiError>> {
    stream::unfold(Some((state, events, after)), move |open| async move {
        let (state, mut events, after) = open?;
        loop {
            let received = tokio::select! {
                received = events.recv() => received,
                () = tokio::time::sleep(HEARTBEAT) => {
                    return Some((Ok(Bytes::from_static(b":\n\n")), Some((state, events, after))));
                }
            };
            match received {
                Ok(event) if event.seq <= after => continue,
                Ok(event) => {
                    let next = match event.change {
                        SeatChange::Reset => snapshot(&state, show, event.seq).await,
                        SeatChange::Seats(_) => Ok(event.frame()),
                    };
                    return Some((next, Some((state, events, event.seq))));
                }
                Err(RecvError::Lagged(_)) => {
                    let reason = serde_json::json!({
                        "reason": "too slow to keep up; reconnect with Last-Event-ID"
                    });
                    let close = format!("event: close\ndata: {reason}\n\n");
                    return Some((Ok(Bytes::from(close)), None));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
