//! The organiser's side (admin role): upcoming events and shows, each show's live sales page
//! (seats by status, revenue, the waiting room's line and the waitlist), and the forms that
//! make the catalog: venues with a seat-layout editor, events, shows; cancelling an event.

use super::catalog::parse_id;
use super::format::{money, when};
use super::session::{Buyer, Form};
use super::{page, Chrome, WebError};
use crate::domain::catalog::*;
use crate::domain::*;
use crate::http::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

/// An admin, or a 403 page (anyone not logged in logs in first).
fn admin(buyer: &Buyer) -> Result<(), WebError> {
    if buyer.visitor.is_admin() {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "Only organisers may see this page.".into(),
        ))
    }
}

pub struct AdminShow {
    pub href: String,
    pub when: String,
}

pub struct AdminEvent {
    pub title: String,
    pub href: String,
    pub venue: String,
    pub shows: Vec<AdminShow>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct Dashboard {
    chrome: Chrome,
    events: Vec<AdminEvent>,
}

/// `GET /admin`: the next events and their shows, each linking to its sales page.
pub async fn dashboard(State(state): State<AppState>, buyer: Buyer) -> Result<Response, WebError> {
    admin(&buyer)?;
    let now = state.clock.now_ms();
    let upcoming = state
        .store
        .browse_events(&BrowseQuery {
            from: now,
            page: 1,
            per_page: 20,
            ..BrowseQuery::default()
        })
        .await?;
    let mut events = Vec::new();
    for e in upcoming.items {
        let view = state.store.event(e.id, now).await?;
        events.push(AdminEvent {
            href: format!("/events/{}", e.id),
            venue: format!("{}, {}", view.venue.name, view.venue.city),
            shows: view
                .shows
                .iter()
                .map(|s| AdminShow {
                    href: format!("/admin/shows/{}", s.id),
                    when: when(&s.starts_at, &view.venue.timezone),
                })
                .collect(),
            title: view.title,
        });
    }
    let template = Dashboard {
        chrome: Chrome::new("Organiser", &buyer.visitor),
        events,
    };
    Ok(page(StatusCode::OK, &template))
}

#[derive(Template)]
#[template(path = "sales.html")]
struct Sales {
    chrome: Chrome,
    title: String,
    when: String,
    show_href: String,
    available: i64,
    held: i64,
    sold: i64,
    sold_percent: i64,
    bookings: i64,
    revenue: String,
    waiting_room: bool,
    in_line: u64,
    shopping: u64,
    waitlist: i64,
}

/// `GET /admin/shows/{id}`: how the show is selling now (the page refreshes itself).
pub async fn sales(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    admin(&buyer)?;
    let id = parse_id::<ShowId>(&id, "show")?;
    let now = state.clock.now_ms();
    let show = state.store.show(id, now).await?;
    let sales = state.store.show_sales(id, now).await?;
    let room = state.room.stats(id).await.unwrap_or_default();
    let capacity = (sales.available + sales.held + sales.sold).max(1);
    let template = Sales {
        chrome: Chrome::new(format!("Sales · {}", show.event.title), &buyer.visitor),
        title: show.event.title.clone(),
        when: when(&show.starts_at, &show.venue.timezone),
        show_href: format!("/shows/{id}"),
        available: sales.available,
        held: sales.held,
        sold: sales.sold,
        sold_percent: sales.sold * 100 / capacity,
        bookings: sales.confirmed_bookings,
        revenue: money(sales.revenue, show.currency.as_str()),
        waiting_room: show.waiting_room,
        in_line: room.waiting,
        shopping: room.active,
        waitlist: sales.waitlist,
    };
    Ok(page(StatusCode::OK, &template))
}

// ---------------------------------------------------------------------------------------------
// Creating the catalog: venues (with the seat-layout editor), events with a performer, shows.

/// The outcome of a create form: the page again with what was typed and why it failed.
fn failures(invalid: &crate::domain::Invalid) -> Vec<String> {
    invalid
        .0
        .iter()
        .map(|f| {
            if f.field.is_empty() {
                f.message.clone()
            } else {
                format!("{}: {}", f.field, f.message)
            }
        })
        .collect()
}

/// One section row of the venue form, as typed.
pub struct SectionDraft {
    pub name: String,
    pub standing: bool,
    pub rows: String,
    pub seats: String,
    pub capacity: String,
}

#[derive(Template)]
#[template(path = "admin_venue.html")]
struct VenueForm {
    chrome: Chrome,
    name: String,
    city: String,
    country: String,
    address: String,
    lat: String,
    lon: String,
    timezone: String,
    sections: Vec<SectionDraft>,
    errors: Vec<String>,
    admin_js: &'static str,
}

fn blank_sections() -> Vec<SectionDraft> {
    vec![
        SectionDraft {
            name: "Stalls".into(),
            standing: false,
            rows: "10".into(),
            seats: "20".into(),
            capacity: String::new(),
        },
        SectionDraft {
            name: String::new(),
            standing: false,
            rows: String::new(),
            seats: String::new(),
            capacity: String::new(),
        },
    ]
}

/// `GET /admin/venues/new`: the venue form with its seat-layout editor and live preview.
pub async fn new_venue(buyer: Buyer) -> Result<Response, WebError> {
    admin(&buyer)?;
    let template = VenueForm {
        chrome: Chrome::new("New venue", &buyer.visitor),
        name: String::new(),
        city: String::new(),
        country: String::new(),
        address: String::new(),
        lat: String::new(),
        lon: String::new(),
        timezone: String::new(),
        sections: blank_sections(),
        errors: Vec::new(),
        admin_js: super::assets::asset("admin.js"),
    };
    Ok(page(StatusCode::OK, &template))
}

/// `POST /admin/venues`: the sections' rows are generated (A, B, …, each with the same number
/// of seats); blank section lines are ignored.
pub async fn create_venue(
    State(state): State<AppState>,
    buyer: Buyer,
    form: Form,
) -> Result<Response, WebError> {
    admin(&buyer)?;
    let names = form.values("section_name");
    let kinds = form.values("section_kind");
    let rows = form.values("section_rows");
    let seats = form.values("section_seats");
    let capacities = form.values("section_capacity");
    let at = |list: &[&str], i: usize| list.get(i).copied().unwrap_or_default().to_owned();
    let drafts: Vec<SectionDraft> = (0..names.len())
        .map(|i| SectionDraft {
            name: at(&names, i),
            standing: at(&kinds, i) == "standing",
            rows: at(&rows, i),
            seats: at(&seats, i),
            capacity: at(&capacities, i),
        })
        .filter(|d| !d.name.is_empty())
        .collect();
    let number = |raw: &str| raw.trim().parse::<i64>().unwrap_or(0);
    let input = VenueInput {
        name: form.get("name").unwrap_or_default().to_owned(),
        city: form.get("city").unwrap_or_default().to_owned(),
        country: form.get("country").unwrap_or_default().to_owned(),
        address: form.get("address").unwrap_or_default().to_owned(),
        lat: form
            .get("lat")
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN),
        lon: form
            .get("lon")
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN),
        timezone: form.get("timezone").map(str::to_owned),
        sections: drafts
            .iter()
            .map(|d| SectionInput {
                name: d.name.clone(),
                kind: if d.standing { "standing" } else { "seated" }.into(),
                rows: (!d.standing).then(|| {
                    (0..number(&d.rows).clamp(0, 500) as usize)
                        .map(|r| RowInput {
                            label: row_label(r),
                            seats: number(&d.seats),
                        })
                        .collect()
                }),
                capacity: d.standing.then(|| number(&d.capacity)),
            })
            .collect(),
    };
    let result = NewVenue::try_from(input);
    let created = match result {
        Ok(venue) => state.store.create_venue(venue, state.clock.now_ms()).await,
        Err(invalid) => Err(crate::store::StoreError::Invalid(invalid)),
    };
    match created {
        Ok(venue) => {
            Ok(Redirect::to(&format!("/admin/events/new?venue={}", venue.id)).into_response())
        }
        Err(crate::store::StoreError::Invalid(invalid)) => {
            let field = |name: &str| form.get(name).unwrap_or_default().to_owned();
            let template = VenueForm {
                chrome: Chrome::new("New venue", &buyer.visitor),
                name: field("name"),
                city: field("city"),
                country: field("country"),
                address: field("address"),
                lat: field("lat"),
                lon: field("lon"),
                timezone: field("timezone"),
                sections: if drafts.is_empty() {
                    blank_sections()
                } else {
                    drafts
                },
                errors: failures(&invalid),
                admin_js: super::assets::asset("admin.js"),
            };
            Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &template))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_event.html")]
struct EventForm {
    chrome: Chrome,
    venues: Vec<(String, String, bool)>,
    categories: Vec<(&'static str, bool)>,
    title: String,
    description: String,
    performer: String,
    errors: Vec<String>,
}

async fn event_form(
    state: &AppState,
    buyer: &Buyer,
    chosen_venue: &str,
    chosen_category: &str,
    typed: (String, String, String),
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let venues = state
        .store
        .venues(1000)
        .await?
        .into_iter()
        .map(|v| {
            let id = v.id.to_string();
            let chosen = id == chosen_venue;
            (id, format!("{}, {}", v.name, v.city), chosen)
        })
        .collect();
    let template = EventForm {
        chrome: Chrome::new("New event", &buyer.visitor),
        venues,
        categories: CATEGORIES
            .iter()
            .map(|c| (*c, *c == chosen_category))
            .collect(),
        title: typed.0,
        description: typed.1,
        performer: typed.2,
        errors,
    };
    Ok(page(status, &template))
}

/// `GET /admin/events/new[?venue=…]`.
pub async fn new_event(
    State(state): State<AppState>,
    buyer: Buyer,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    admin(&buyer)?;
    let venue = raw.get("venue").cloned().unwrap_or_default();
    event_form(
        &state,
        &buyer,
        &venue,
        "",
        Default::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/events`: the event, and its performer when one is named (made if new).
pub async fn create_event(
    State(state): State<AppState>,
    buyer: Buyer,
    form: Form,
) -> Result<Response, WebError> {
    admin(&buyer)?;
    let now = state.clock.now_ms();
    let field = |name: &str| form.get(name).unwrap_or_default().to_owned();
    let typed = (field("title"), field("description"), field("performer"));
    let again = |errors: Vec<String>| {
        let (state, buyer, typed) = (state.clone(), buyer.clone(), typed.clone());
        let (venue, category) = (field("venue"), field("category"));
        async move {
            event_form(
                &state,
                &buyer,
                &venue,
                &category,
                typed,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let Ok(venue_id) = field("venue").parse::<VenueId>() else {
        return again(vec!["venue: choose a venue".into()]).await;
    };
    let input = EventInput {
        title: typed.0.clone(),
        description: typed.1.clone(),
        category: field("category"),
        venue_id,
        performer_ids: Vec::new(),
    };
    // Everything is checked before anything is made, so a refused form leaves nothing behind.
    let mut event = match NewEvent::try_from(input) {
        Ok(e) => e,
        Err(invalid) => return again(failures(&invalid)).await,
    };
    let performer = if typed.2.is_empty() {
        None
    } else {
        match NewPerformer::try_from(PerformerInput {
            name: typed.2.clone(),
            genre: None,
            description: None,
        }) {
            Ok(p) => Some(p),
            Err(invalid) => return again(failures(&invalid)).await,
        }
    };
    if state.store.venue(venue_id).await.is_err() {
        return again(vec!["venue: choose a venue".into()]).await;
    }
    if let Some(performer) = performer {
        event
            .performer_ids
            .push(state.store.create_performer(performer, now).await?.id);
    }
    match state.store.create_event(event, now).await {
        Ok(event) => {
            Ok(Redirect::to(&format!("/admin/events/{}/shows/new", event.id)).into_response())
        }
        Err(crate::store::StoreError::Invalid(invalid)) => again(failures(&invalid)).await,
        Err(e) => Err(e.into()),
    }
}

pub struct PriceField {
    pub index: usize,
    pub section: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "admin_show.html")]
struct ShowForm {
    chrome: Chrome,
    event_id: String,
    title: String,
    venue: String,
    zone: String,
    starts_at: String,
    on_sale_at: String,
    currency: String,
    hold_ttl: String,
    max_per_order: String,
    waiting_room: bool,
    prices: Vec<PriceField>,
    errors: Vec<String>,
}

/// `GET /admin/events/{id}/shows/new`: times in the venue's zone, a price per section.
pub async fn new_show(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    admin(&buyer)?;
    let id = parse_id::<EventId>(&id, "event")?;
    show_form(&state, &buyer, id, None, Vec::new(), StatusCode::OK).await
}

async fn show_form(
    state: &AppState,
    buyer: &Buyer,
    id: EventId,
    form: Option<&Form>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let event = state.store.event(id, state.clock.now_ms()).await?;
    let venue = state.store.venue(event.venue.id).await?;
    let field =
        |name: &str, default: &str| form.and_then(|f| f.get(name)).unwrap_or(default).to_owned();
    let prices = venue
        .sections
        .iter()
        .enumerate()
        .map(|(index, s)| PriceField {
            index,
            section: s.name.clone(),
            value: field(&format!("price_{index}"), ""),
        })
        .collect();
    let template = ShowForm {
        chrome: Chrome::new(format!("New show · {}", event.title), &buyer.visitor),
        event_id: id.to_string(),
        title: event.title.clone(),
        venue: format!("{}, {}", venue.name, venue.city),
        zone: venue.timezone.clone(),
        starts_at: field("starts_at", ""),
        on_sale_at: field("on_sale_at", ""),
        currency: field("currency", "EUR"),
        hold_ttl: field("hold_ttl_seconds", ""),
        max_per_order: field("max_per_order", ""),
        waiting_room: form.is_some_and(|f| f.get("waiting_room").is_some()),
        prices,
        errors,
    };
    Ok(page(status, &template))
}

/// `2026-12-24T19:30` in `zone` as an RFC 3339 instant.
fn local_instant(raw: &str, zone: &str) -> Option<String> {
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", raw.trim()).ok()?;
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let zoned = civil.to_zoned(tz).ok()?;
    Some(rfc3339(zoned.timestamp().as_millisecond()))
}

/// `POST /admin/events/{id}/shows`: sections left without a price are not sold.
pub async fn create_show(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, WebError> {
    admin(&buyer)?;
    let id = parse_id::<EventId>(&id, "event")?;
    let now = state.clock.now_ms();
    let event = state.store.event(id, now).await?;
    let venue = state.store.venue(event.venue.id).await?;
    let zone = venue.timezone.clone();
    let mut errors = Vec::new();
    let starts_at = match form.get("starts_at").map(|v| local_instant(v, &zone)) {
        Some(Some(at)) => at,
        _ => {
            errors.push("starts_at: give a date and time".to_owned());
            String::new()
        }
    };
    let on_sale_at = match form.get("on_sale_at") {
        None => None,
        Some(raw) => match local_instant(raw, &zone) {
            Some(at) => Some(at),
            None => {
                errors.push("on_sale_at: give a date and time".to_owned());
                None
            }
        },
    };
    let currency = form.get("currency").unwrap_or("EUR").to_owned();
    let mut prices = Vec::new();
    for (i, section) in venue.sections.iter().enumerate() {
        if let Some(raw) = form.get(&format!("price_{i}")) {
            match super::format::parse_amount(raw, &currency) {
                Some(amount) => prices.push(PriceInput {
                    section: section.name.clone(),
                    amount,
                    currency: currency.clone(),
                }),
                None => errors.push(format!("{}: a price such as 45.00", section.name)),
            }
        }
    }
    let number = |name: &str| form.get(name).and_then(|v| v.parse::<i64>().ok());
    if !errors.is_empty() {
        return show_form(
            &state,
            &buyer,
            id,
            Some(&form),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let input = ShowInput {
        starts_at,
        on_sale_at,
        hold_ttl_seconds: number("hold_ttl_seconds"),
        max_per_order: number("max_per_order"),
        prices,
        waiting_room: Some(form.get("waiting_room").is_some()),
    };
    let created = match NewShow::parse(input, now) {
        Ok(show) => state.store.create_show(id, show, now).await,
        Err(invalid) => Err(crate::store::StoreError::Invalid(invalid)),
    };
    match created {
        Ok(show) => Ok(Redirect::to(&format!("/admin/shows/{}", show.id)).into_response()),
        Err(crate::store::StoreError::Invalid(invalid)) => {
            show_form(
                &state,
                &buyer,
                id,
                Some(&form),
                failures(&invalid),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/events/{id}/cancel`: cancels the event and its shows; bookings are refunded.
pub async fn cancel_event(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
    _form: Form,
) -> Result<Response, WebError> {
    admin(&buyer)?;
    let id = parse_id::<EventId>(&id, "event")?;
    state.store.cancel_event(id, state.clock.now_ms()).await?;
    Ok(Redirect::to(&format!("/events/{id}")).into_response())
}
