//! A show: its seat map (drawn by `static/seatmap.js` from the seat-map JSON and kept live over
//! the seat stream), the list of its seats for keyboard and screen-reader users, holding seats,
//! the waiting room and the waitlist.

use super::catalog::parse_id;
use super::format::{money, when};
use super::session::{cookie, is_https, set_cookie, Buyer, Form, Visitor};
use super::{page, Chrome, WebError};
use crate::booking::BookingError;
use crate::domain::booking::{HoldInput, NewHold};
use crate::domain::catalog::{SeatStatus, SectionKind, ShowView};
use crate::domain::surge::{NewWaitlistEntry, WaitlistInput, WaitlistState};
use crate::domain::*;
use crate::http::{ApiError, AppState};
use crate::store::StoreError;
use crate::surge::{QueueState, RoomError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

/// The cookie that carries a buyer's admission to a show whose waiting room let them in.
fn admission_cookie(show: ShowId) -> String {
    format!("bo_adm_{show}")
}

/// The cookie that remembers a buyer's waitlist entry for a show.
fn waitlist_cookie(show: ShowId) -> String {
    format!("bo_wl_{show}")
}

pub struct SectionOption {
    pub name: String,
    pub standing: bool,
    pub price: String,
    pub list_href: String,
}

pub struct WaitlistView {
    pub id: String,
    pub state: &'static str,
    pub offered: bool,
    pub position: i64,
    pub quantity: i64,
    pub hold_href: Option<String>,
    pub events_url: String,
}

#[derive(Template)]
#[template(path = "show.html")]
struct ShowPage {
    chrome: Chrome,
    show_id: String,
    title: String,
    event_href: String,
    venue: String,
    city: String,
    when: String,
    zone: String,
    on_sale: bool,
    opens: String,
    cancelled: bool,
    needs_queue: bool,
    available: i64,
    held: i64,
    max_per_order: i64,
    quantities: Vec<i64>,
    sections: Vec<SectionOption>,
    currency: String,
    seats_url: String,
    stream_url: String,
    seatmap_js: &'static str,
    live_js: &'static str,
    waitlist: Option<WaitlistView>,
    error: Option<String>,
}

/// `GET /shows/{id}`: the seat map, best available, and the waiting room or waitlist when
/// those apply.
pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id::<ShowId>(&id, "show")?;
    render(&state, &visitor, &headers, id, None, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    id: ShowId,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let now = state.clock.now_ms();
    let show: ShowView = state.store.show(id, now).await?;
    let venue = state.store.venue(show.venue.id).await?;
    let zone = show.venue.timezone.clone();
    let prices: HashMap<&str, i64> = show
        .prices
        .iter()
        .map(|p| (p.section.as_str(), p.amount))
        .collect();
    let currency = show.currency.as_str().to_owned();
    let sections = venue
        .sections
        .iter()
        .filter_map(|s| {
            let amount = *prices.get(s.name.as_str())?;
            Some(SectionOption {
                standing: s.kind == SectionKind::Standing,
                price: money(amount, &currency),
                list_href: format!(
                    "/shows/{id}/list?section={}",
                    super::catalog::url_encode(&s.name)
                ),
                name: s.name.clone(),
            })
        })
        .collect();
    let on_sale_at = parse_rfc3339(&show.on_sale_at).unwrap_or(0);
    let cancelled = show.status == "cancelled"
        || show.event.status == crate::domain::catalog::EventStatus::Cancelled;
    let admitted = visitor.user.as_ref().is_some_and(|u| {
        state
            .room
            .signer()
            .verify_admission(cookie(headers, &admission_cookie(id)), id, u.id, now)
            .is_ok()
    });
    let waitlist = match (&visitor.user, cookie(headers, &waitlist_cookie(id))) {
        (Some(user), Some(raw)) => match raw.parse::<WaitlistId>() {
            Ok(entry) => match state.store.waitlist_entry(entry, user.id, now).await {
                Ok(e) if matches!(e.state, WaitlistState::Waiting | WaitlistState::Offered) => {
                    Some(waitlist_view(&e))
                }
                Ok(_) | Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            Err(_) => None,
        },
        _ => None,
    };
    let template = ShowPage {
        chrome: Chrome::new(
            format!("{} · {}", show.event.title, when(&show.starts_at, &zone)),
            visitor,
        ),
        show_id: id.to_string(),
        event_href: format!("/events/{}", show.event_id),
        title: show.event.title.clone(),
        venue: show.venue.name.clone(),
        city: show.venue.city.clone(),
        when: when(&show.starts_at, &zone),
        zone: super::format::zone_abbreviation(&show.starts_at, &zone),
        on_sale: now >= on_sale_at && !cancelled,
        opens: when(&show.on_sale_at, &zone),
        cancelled,
        needs_queue: show.waiting_room && !admitted,
        available: show.available,
        held: show.held,
        max_per_order: show.max_per_order,
        quantities: (1..=show.max_per_order.min(10)).collect(),
        sections,
        currency,
        seats_url: format!("/api/v1/shows/{id}/seats"),
        stream_url: format!("/api/v1/shows/{id}/seats/stream"),
        seatmap_js: super::assets::asset("seatmap.js"),
        live_js: super::assets::asset("live.js"),
        waitlist,
        error,
    };
    Ok(page(status, &template))
}

fn waitlist_view(e: &crate::domain::surge::WaitlistEntry) -> WaitlistView {
    WaitlistView {
        id: e.id.to_string(),
        state: e.state.as_str(),
        offered: e.state == WaitlistState::Offered,
        position: e.position,
        quantity: e.quantity,
        hold_href: e.hold_id.map(|h| format!("/holds/{h}")),
        events_url: format!("/waitlist/{}/events", e.id),
    }
}

pub struct SeatOption {
    pub id: String,
    pub label: String,
    pub available: bool,
}

pub struct RowOption {
    pub label: String,
    pub seats: Vec<SeatOption>,
}

#[derive(Template)]
#[template(path = "seat_list.html")]
struct SeatList {
    chrome: Chrome,
    show_id: String,
    show_href: String,
    title: String,
    section: String,
    standing: bool,
    price: String,
    available: i64,
    rows: Vec<RowOption>,
    quantities: Vec<i64>,
    sections: Vec<(String, String)>,
}

/// `GET /shows/{id}/list?section=…`: a section's seats as a list of checkboxes, for keyboard
/// and screen-reader users and for browsers without JavaScript.
pub async fn seat_list(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id::<ShowId>(&id, "show")?;
    let now = state.clock.now_ms();
    let show = state.store.show(id, now).await?;
    let map = state.reads.seat_map(id, now).await?;
    let map = &map.value;
    let wanted = raw.get("section").map(|s| s.trim().to_owned());
    let section = match &wanted {
        Some(name) => map.sections.iter().find(|s| &s.name == name),
        None => map.sections.first(),
    }
    .ok_or_else(|| ApiError::NotFound("no such section".into()))?;
    let price = money(section.price, &section.currency);
    let mut rows: Vec<RowOption> = Vec::new();
    for seat in &section.seats {
        let row = seat.row.clone().unwrap_or_default();
        let status = match seat.status {
            SeatStatus::Available => "available",
            SeatStatus::Held => "held",
            SeatStatus::Sold => "sold",
        };
        let option = SeatOption {
            id: seat.id.to_string(),
            label: format!("Row {row}, seat {}, {price}, {status}", seat.number),
            available: seat.status == SeatStatus::Available,
        };
        match rows.last_mut() {
            Some(last) if last.label == row => last.seats.push(option),
            _ => rows.push(RowOption {
                label: row,
                seats: vec![option],
            }),
        }
    }
    let template = SeatList {
        chrome: Chrome::new(format!("{} · {}", section.name, show.event.title), &visitor),
        show_id: id.to_string(),
        show_href: format!("/shows/{id}"),
        title: show.event.title.clone(),
        section: section.name.clone(),
        standing: section.kind == SectionKind::Standing,
        price,
        available: section.available,
        rows,
        quantities: (1..=show.max_per_order.min(10)).collect(),
        sections: map
            .sections
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    format!(
                        "/shows/{id}/list?section={}",
                        super::catalog::url_encode(&s.name)
                    ),
                )
            })
            .collect(),
    };
    Ok(page(StatusCode::OK, &template))
}

/// Why a choice of seats was refused, in one sentence.
fn choose_again(invalid: &crate::domain::Invalid) -> String {
    let why: Vec<&str> = invalid.0.iter().map(|f| f.message.as_str()).collect();
    format!("Choose your seats again: {}.", why.join("; "))
}

/// `POST /shows/{id}/hold`: the chosen seats (`seat`, repeated) or the best `quantity` of a
/// `section`. Goes to checkout; a taken seat or a bad choice shows the show again with why.
pub async fn hold(
    State(state): State<AppState>,
    buyer: Buyer,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, WebError> {
    let id = parse_id::<ShowId>(&id, "show")?;
    let seats = form.all("seat");
    let input = if seats.is_empty() {
        HoldInput {
            show_id: id,
            seat_ids: None,
            section: form.get("section").map(str::to_owned),
            quantity: Some(
                form.get("quantity")
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(0),
            ),
        }
    } else {
        let mut ids = Vec::with_capacity(seats.len());
        for raw in seats {
            ids.push(
                raw.parse::<SeatId>()
                    .map_err(|_| WebError::BadRequest("unknown seat".into()))?,
            );
        }
        HoldInput {
            show_id: id,
            seat_ids: Some(ids),
            section: None,
            quantity: None,
        }
    };
    let again = |error: String, status: StatusCode| {
        let state = state.clone();
        let visitor = buyer.visitor.clone();
        let headers = headers.clone();
        async move { render(&state, &visitor, &headers, id, Some(error), status).await }
    };
    let hold = match NewHold::try_from(input) {
        Ok(hold) => hold,
        Err(invalid) => {
            return again(choose_again(&invalid), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    };
    let admission = cookie(&headers, &admission_cookie(id));
    match state.room.gate(id, buyer.user.id, admission).await {
        Ok(()) => {}
        Err(RoomError::Admission(_)) => {
            return Ok(Redirect::to(&format!("/shows/{id}/queue")).into_response())
        }
        Err(e) => return Err(e.into()),
    }
    match state.booking.hold(buyer.user.id, hold).await {
        Ok(hold) => Ok(Redirect::to(&format!("/holds/{}", hold.id)).into_response()),
        Err(BookingError::Store(StoreError::SeatsTaken { .. })) => {
            again(
                "Sorry, some of those seats were just taken by someone else. Please choose again."
                    .into(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(BookingError::Store(StoreError::Invalid(invalid))) => {
            again(choose_again(&invalid), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(BookingError::Store(StoreError::Conflict(why))) => {
            again(format!("{why}."), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    chrome: Chrome,
    show_id: String,
    show_href: String,
    title: String,
    when: String,
    joined: bool,
    waiting: bool,
    sold_out: bool,
    position: u64,
    eta: String,
    stream_url: String,
    live_js: &'static str,
}

fn eta_text(seconds: Option<u64>) -> String {
    match seconds {
        None => "We will know your wait once the line starts moving.".into(),
        Some(0) => "Any moment now.".into(),
        Some(s) if s < 90 => format!("About {s} seconds."),
        Some(s) if s < 5400 => format!("About {} minutes.", s.div_ceil(60)),
        Some(s) => format!("About {} hours.", s.div_ceil(3600)),
    }
}

/// `GET /shows/{id}/queue`: the buyer's place in the waiting room, live; once admitted, the
/// admission goes in a cookie and the buyer goes straight to the seat map.
pub async fn queue(
    State(state): State<AppState>,
    buyer: Buyer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id::<ShowId>(&id, "show")?;
    let now = state.clock.now_ms();
    let show = state.store.show(id, now).await?;
    let entry = state.room.status_of(id, buyer.user.id).await?;
    if entry.state == QueueState::Admitted {
        if let (Some(admission), Some(until)) = (
            &entry.admission,
            entry
                .admission_expires_at
                .as_deref()
                .and_then(parse_rfc3339),
        ) {
            let max_age = ((until - now) / 1000).max(1);
            let mut response = Redirect::to(&format!("/shows/{id}")).into_response();
            if let Some(value) = set_cookie(
                &admission_cookie(id),
                admission,
                max_age,
                "Lax",
                is_https(&headers),
            ) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            return Ok(response);
        }
    }
    let zone = show.venue.timezone.clone();
    let template = QueuePage {
        chrome: Chrome::new(
            format!("Waiting room · {}", show.event.title),
            &buyer.visitor,
        ),
        show_id: id.to_string(),
        show_href: format!("/shows/{id}"),
        title: show.event.title.clone(),
        when: when(&show.starts_at, &zone),
        joined: matches!(entry.state, QueueState::Waiting | QueueState::SoldOut),
        waiting: entry.state == QueueState::Waiting,
        sold_out: entry.state == QueueState::SoldOut,
        position: entry.position,
        eta: eta_text(entry.eta_seconds),
        stream_url: format!("/api/v1/queue/{}/stream", entry.token),
        live_js: super::assets::asset("live.js"),
    };
    Ok(page(StatusCode::OK, &template))
}

/// `POST /shows/{id}/queue`: joins the waiting room (joining again keeps the place).
pub async fn join_queue(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
    _form: Form,
) -> Result<Response, WebError> {
    let id = parse_id::<ShowId>(&id, "show")?;
    state.room.join(id, buyer.user.id).await?;
    Ok(Redirect::to(&format!("/shows/{id}/queue")).into_response())
}

/// `POST /shows/{id}/waitlist`: waits for `quantity` seats (of `section`, or any) that others
/// hold now.
pub async fn join_waitlist(
    State(state): State<AppState>,
    buyer: Buyer,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, WebError> {
    let id = parse_id::<ShowId>(&id, "show")?;
    let input = WaitlistInput {
        quantity: form
            .get("quantity")
            .and_then(|q| q.parse().ok())
            .unwrap_or(0),
        section: form.get("section").map(str::to_owned),
    };
    let entry = NewWaitlistEntry::parse(id, input).map_err(ApiError::from)?;
    let now = state.clock.now_ms();
    let entry = match state.store.join_waitlist(buyer.user.id, entry, now).await {
        Ok(entry) => entry,
        Err(StoreError::Conflict(why)) => {
            return render(
                &state,
                &buyer.visitor,
                &headers,
                id,
                Some(format!("{why}.")),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => return Err(e.into()),
    };
    let mut response = Redirect::to(&format!("/shows/{id}")).into_response();
    if let Some(value) = set_cookie(
        &waitlist_cookie(id),
        &entry.id.to_string(),
        3600 * 24,
        "Lax",
        is_https(&headers),
    ) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// `POST /waitlist/{id}/leave`.
pub async fn leave_waitlist(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
    _form: Form,
) -> Result<Response, WebError> {
    let id = parse_id::<WaitlistId>(&id, "waitlist entry")?;
    let now = state.clock.now_ms();
    let entry = state.store.waitlist_entry(id, buyer.user.id, now).await?;
    state.store.leave_waitlist(id, buyer.user.id, now).await?;
    Ok(Redirect::to(&format!("/shows/{}", entry.show_id)).into_response())
}

/// `GET /waitlist/{id}/events`: the entry's live state (the API's waitlist stream, for the
/// page's session).
pub async fn waitlist_events(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id::<WaitlistId>(&id, "waitlist entry")?;
    Ok(crate::http::surge::waitlist_events(state, buyer.user.id, id).await?)
}
