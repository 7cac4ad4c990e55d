//! The catalog: admins create venues, performers, events and shows; anyone browses and views.
//! Public reads carry Cache-Control (and, via middleware, an ETag) so a CDN can cache them.

use super::error::ApiResult;
use super::extract::{Admin, Json, PathId};
use super::middleware::{public_cache, rendered};
use super::AppState;
use crate::domain::catalog::*;
use crate::domain::params::QueryParams;
use crate::domain::*;
use crate::reads::{CityList, EventPage};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/venues", post(create_venue))
        .route("/venues/{id}", get(get_venue))
        .route("/performers", post(create_performer))
        .route("/performers/{id}", get(get_performer))
        .route("/events", post(create_event).get(browse_events))
        .route(
            "/events/{id}",
            get(get_event).patch(update_event).delete(cancel_event),
        )
        .route("/events/{id}/shows", post(create_show))
        .route("/cities", get(cities))
        .route(
            "/shows/{id}",
            get(get_show).patch(super::surge::update_show),
        )
        .route("/shows/{id}/seats", get(seat_map))
}

fn created<T: Serialize>(location: String, body: T) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Creates a venue and generates its seats from the section rows.
#[utoipa::path(post, path = "/api/v1/venues", tag = "catalog", request_body = VenueInput,
    responses((status = 201, body = Venue), (status = 401, body = super::Problem), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
async fn create_venue(
    State(state): State<AppState>,
    _admin: Admin,
    Json(input): Json<VenueInput>,
) -> ApiResult<Response> {
    let venue = NewVenue::try_from(input)?;
    let venue = state
        .store
        .create_venue(venue, state.clock.now_ms())
        .await?;
    Ok(created(format!("/api/v1/venues/{}", venue.id), venue))
}

/// A venue with its sections and rows.
#[utoipa::path(get, path = "/api/v1/venues/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Venue), (status = 404, body = super::Problem)))]
async fn get_venue(
    State(state): State<AppState>,
    PathId(id): PathId<VenueId>,
) -> ApiResult<Response> {
    let venue = state.store.venue(id).await?;
    Ok(public_cache(60, axum::Json(venue).into_response()))
}

#[utoipa::path(post, path = "/api/v1/performers", tag = "catalog", request_body = PerformerInput,
    responses((status = 201, body = Performer), (status = 401, body = super::Problem), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
async fn create_performer(
    State(state): State<AppState>,
    _admin: Admin,
    Json(input): Json<PerformerInput>,
) -> ApiResult<Response> {
    let performer = NewPerformer::try_from(input)?;
    let performer = state
        .store
        .create_performer(performer, state.clock.now_ms())
        .await?;
    Ok(created(
        format!("/api/v1/performers/{}", performer.id),
        performer,
    ))
}

#[utoipa::path(get, path = "/api/v1/performers/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Performer), (status = 404, body = super::Problem)))]
async fn get_performer(
    State(state): State<AppState>,
    PathId(id): PathId<PerformerId>,
) -> ApiResult<Response> {
    let performer = state.store.performer(id).await?;
    Ok(public_cache(60, axum::Json(performer).into_response()))
}

#[utoipa::path(post, path = "/api/v1/events", tag = "catalog", request_body = EventInput,
    responses((status = 201, body = EventView), (status = 401, body = super::Problem), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
async fn create_event(
    State(state): State<AppState>,
    _admin: Admin,
    Json(input): Json<EventInput>,
) -> ApiResult<Response> {
    let event = NewEvent::try_from(input)?;
    let event = state
        .store
        .create_event(event, state.clock.now_ms())
        .await?;
    Ok(created(format!("/api/v1/events/{}", event.id), event))
}

/// Changes an event's title, description, category or performers (admin); only the fields
/// sent change, and at least one must be sent.
#[utoipa::path(patch, path = "/api/v1/events/{id}", tag = "catalog", params(("id" = String, Path)), request_body = EventPatchInput,
    responses((status = 200, body = EventView), (status = 403, body = super::Problem, description = "not an admin"),
              (status = 404, body = super::Problem), (status = 409, body = super::Problem, description = "the event is cancelled"),
              (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
async fn update_event(
    State(state): State<AppState>,
    _admin: Admin,
    PathId(id): PathId<EventId>,
    Json(input): Json<EventPatchInput>,
) -> ApiResult<axum::Json<EventView>> {
    let patch = EventPatch::try_from(input)?;
    Ok(axum::Json(
        state
            .store
            .update_event(id, patch, state.clock.now_ms())
            .await?,
    ))
}

/// Cancels an event and all its shows (admin); its bookings are refunded.
///
/// DELETE does not remove the event: it stays readable at `GET /api/v1/events/{id}` (and its
/// shows at theirs) with `status: "cancelled"`, so buyers who hold tickets learn what
/// happened. Cancelling again answers the same cancelled event.
#[utoipa::path(delete, path = "/api/v1/events/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = EventView, description = "the event, now cancelled, and still readable"),
              (status = 403, body = super::Problem, description = "not an admin"), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
async fn cancel_event(
    State(state): State<AppState>,
    _admin: Admin,
    PathId(id): PathId<EventId>,
) -> ApiResult<axum::Json<EventView>> {
    Ok(axum::Json(
        state.store.cancel_event(id, state.clock.now_ms()).await?,
    ))
}

/// Schedules a show of an event, with one ticket per seat of every priced section.
#[utoipa::path(post, path = "/api/v1/events/{id}/shows", tag = "catalog", params(("id" = String, Path)), request_body = ShowInput,
    responses((status = 201, body = ShowView), (status = 403, body = super::Problem, description = "not an admin"),
              (status = 404, body = super::Problem), (status = 409, body = super::Problem, description = "the event is cancelled"),
              (status = 422, body = super::Problem, description = "invalid, or a price names a section the venue does not have")),
    security(("bearer" = [])))]
async fn create_show(
    State(state): State<AppState>,
    _admin: Admin,
    PathId(id): PathId<EventId>,
    Json(input): Json<ShowInput>,
) -> ApiResult<Response> {
    let now = state.clock.now_ms();
    let show = NewShow::parse(input, now)?;
    let show = state.store.create_show(id, show, now).await?;
    Ok(created(format!("/api/v1/shows/{}", show.id), show))
}

/// Cities with venues, and how many events with upcoming shows each has.
#[utoipa::path(get, path = "/api/v1/cities", tag = "catalog", responses((status = 200, body = CityList)))]
async fn cities(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let cities = state.reads.cities(state.clock.now_ms()).await?;
    Ok(rendered(&headers, &cities, 30).await)
}

pub use crate::domain::params::MAX_PER_PAGE;

/// A query parameter that is an RFC 3339 time or a `YYYY-MM-DD` date (midnight UTC).
pub struct InstantOrDate;

impl utoipa::PartialSchema for InstantOrDate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type,
        };
        let format = |f| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(f)))
        };
        AnyOfBuilder::new()
            .item(format(KnownFormat::DateTime))
            .item(format(KnownFormat::Date))
            .into()
    }
}

impl ToSchema for InstantOrDate {}

/// Browses upcoming events, soonest first, by city, category and date.
#[utoipa::path(get, path = "/api/v1/events", tag = "catalog",
    params(("city" = Option<String>, Query, pattern = r"^[^\u0000]*$"), ("category" = Option<Category>, Query),
           ("from" = Option<InstantOrDate>, Query, description = "RFC 3339 time or YYYY-MM-DD; default now"),
           ("to" = Option<InstantOrDate>, Query, description = "RFC 3339 time or YYYY-MM-DD, after `from`"),
           ("page" = Option<i64>, Query, minimum = 1, maximum = 10000, description = "default 1"),
           ("per_page" = Option<i64>, Query, minimum = 1, maximum = 100, description = "default 20")),
    responses((status = 200, body = EventPage), (status = 422, body = super::Problem, description = "a parameter is invalid, or `to` is not after `from`")))]
async fn browse_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let query = BrowseQuery::try_from(QueryParams::new(&params, state.clock.now_ms()))?;
    let page = state.reads.browse(&query).await?;
    Ok(rendered(&headers, &page, 15).await)
}

/// An event with its venue, performers and shows with live availability.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = EventView), (status = 404, body = super::Problem)))]
async fn get_event(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathId(id): PathId<EventId>,
) -> ApiResult<Response> {
    let event = state.reads.event(id, state.clock.now_ms()).await?;
    Ok(rendered(&headers, &event, 5).await)
}

/// A show with its event, venue, prices and availability.
#[utoipa::path(get, path = "/api/v1/shows/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = ShowView), (status = 404, body = super::Problem)))]
async fn get_show(
    State(state): State<AppState>,
    PathId(id): PathId<ShowId>,
) -> ApiResult<Response> {
    let show = state.store.show(id, state.clock.now_ms()).await?;
    Ok(public_cache(5, axum::Json(show).into_response()))
}

/// The seat map: every seat with its position, price and status.
#[utoipa::path(get, path = "/api/v1/shows/{id}/seats", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = SeatMap), (status = 404, body = super::Problem)))]
async fn seat_map(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathId(id): PathId<ShowId>,
) -> ApiResult<Response> {
    let map = state.reads.seat_map(id, state.clock.now_ms()).await?;
    Ok(rendered(&headers, &map, 1).await)
}
