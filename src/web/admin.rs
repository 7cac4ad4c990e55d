//! The organiser's side (admin role): upcoming events and shows, and each show's live sales
//! page (seats by status, revenue, the waiting room's line and the waitlist).

use super::catalog::parse_id;
use super::format::{money, when};
use super::session::Buyer;
use super::{page, Chrome, WebError};
use crate::domain::catalog::BrowseQuery;
use crate::domain::*;
use crate::http::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

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
