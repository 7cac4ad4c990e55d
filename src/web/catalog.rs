//! Finding something to see: the home page, browsing (by city, category and dates), search with
//! its facets, and an event's page with its shows.

use super::format::{day, money, price_range, when};
use super::session::Visitor;
use super::{page, Chrome, WebError};
use crate::domain::catalog::{BrowseQuery, EventSummary, CATEGORIES};
use crate::domain::params::QueryParams;
use crate::domain::*;
use crate::http::{ApiError, AppState};
use crate::search::SearchQuery;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;

/// An event as a card in a list.
pub struct EventCard {
    pub href: String,
    pub title: String,
    pub category: String,
    pub venue: String,
    pub city: String,
    pub when: String,
    pub price: String,
}

impl From<&EventSummary> for EventCard {
    fn from(e: &EventSummary) -> Self {
        EventCard {
            href: format!("/events/{}", e.id),
            title: e.title.clone(),
            category: e.category.clone(),
            venue: e.venue.name.clone(),
            city: e.city.clone(),
            when: if e.show_count > 1 {
                format!(
                    "from {} · {} shows",
                    when(&e.next_show_at, &e.venue.timezone),
                    e.show_count
                )
            } else {
                when(&e.next_show_at, &e.venue.timezone)
            },
            price: price_range(e.min_price, e.max_price, e.currency.as_deref()),
        }
    }
}

pub struct CityLink {
    pub name: String,
    pub country: String,
    pub count: i64,
    pub href: String,
}

fn city_href(name: &str) -> String {
    format!("/cities/{}", path_segment(name))
}

/// `s` as one path segment: everything but unreserved characters percent-encoded (a space is
/// `%20`; `+` means a plus in a path).
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    cities: Vec<CityLink>,
    soon: Vec<EventCard>,
}

/// `GET /`: cities with something on, what is on soon, and the search box.
pub async fn home(State(state): State<AppState>, visitor: Visitor) -> Result<Response, WebError> {
    let now = state.clock.now_ms();
    let cities = state
        .reads
        .cities(now)
        .await?
        .value
        .items
        .iter()
        .map(|c| CityLink {
            href: city_href(&c.name),
            name: c.name.clone(),
            country: c.country.clone(),
            count: c.event_count,
        })
        .collect();
    let soon = state
        .reads
        .browse(&BrowseQuery {
            from: now,
            page: 1,
            per_page: 12,
            ..BrowseQuery::default()
        })
        .await?;
    let template = Home {
        chrome: Chrome::new("Box Office", &visitor),
        cities,
        soon: soon.value.items.iter().map(EventCard::from).collect(),
    };
    Ok(page(StatusCode::OK, &template))
}

/// A filter choice shown as a link (facets, categories).
pub struct Choice {
    pub label: String,
    pub count: Option<u64>,
    pub href: String,
    pub active: bool,
}

/// Links to the previous and next pages of a listing.
pub struct Paging {
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

fn paging(base: &str, params: &[(&str, String)], page: i64, per_page: i64, total: u64) -> Paging {
    let pages = ((total as i64) + per_page - 1).max(1) / per_page.max(1);
    let pages = pages.max(1);
    let link = |p: i64| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            if !v.is_empty() && *k != "page" {
                query.append_pair(k, v);
            }
        }
        query.append_pair("page", &p.to_string());
        format!("{base}?{}", query.finish())
    };
    Paging {
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    }
}

#[derive(Template)]
#[template(path = "browse.html")]
struct Browse {
    chrome: Chrome,
    heading: String,
    action: String,
    city: String,
    from_date: String,
    to_date: String,
    categories: Vec<Choice>,
    items: Vec<EventCard>,
    total: u64,
    paging: Paging,
}

/// A date field (`2026-12-24`) as the instant its day starts (UTC), in the API's format; for
/// the last day of a range (`through`), the start of the day after, since the API's `to` is
/// exclusive and "to 24 December" includes the 24th.
fn date_param(raw: &HashMap<String, String>, field: &str, through: bool) -> Option<String> {
    let value = raw.get(field)?.trim();
    if value.is_empty() {
        return None;
    }
    let mut date = jiff::civil::Date::strptime("%Y-%m-%d", value).ok()?;
    if through {
        date = date.tomorrow().ok()?;
    }
    let at = date.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
    Some(at.timestamp().to_string())
}

/// Turns the page's own fields (dates without times) into the API's parameters.
fn api_params(raw: &HashMap<String, String>) -> Result<HashMap<String, String>, WebError> {
    let mut params: HashMap<String, String> = raw
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (field, api, through) in [("from_date", "from", false), ("to_date", "to", true)] {
        if params.remove(field).is_some() {
            match date_param(raw, field, through) {
                Some(at) => {
                    params.insert(api.into(), at);
                }
                None => {
                    return Err(
                        ApiError::invalid(field, "must be a date such as 2026-12-24").into(),
                    )
                }
            }
        }
    }
    Ok(params)
}

/// `GET /browse`: what is on, soonest first, filtered by city, category and dates.
pub async fn browse(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let city = raw.get("city").cloned().unwrap_or_default();
    render_browse(
        state,
        visitor,
        raw,
        "What's on".into(),
        "/browse".into(),
        city,
    )
    .await
}

/// `GET /cities/{city}`: a city's page, browsing what is on there.
pub async fn city(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(city): Path<String>,
    Query(mut raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    raw.insert("city".into(), city.clone());
    let action = city_href(&city);
    render_browse(
        state,
        visitor,
        raw,
        format!("What's on in {city}"),
        action,
        city,
    )
    .await
}

async fn render_browse(
    state: AppState,
    visitor: Visitor,
    raw: HashMap<String, String>,
    heading: String,
    action: String,
    city: String,
) -> Result<Response, WebError> {
    let now = state.clock.now_ms();
    let params = api_params(&raw)?;
    let query = BrowseQuery::try_from(QueryParams::new(&params, now)).map_err(ApiError::from)?;
    let found = state.reads.browse(&query).await?;
    let found = &found.value;
    let active = query.category.clone().unwrap_or_default();
    let keep: Vec<(&str, String)> = ["from_date", "to_date", "category"]
        .iter()
        .map(|k| (*k, raw.get(*k).cloned().unwrap_or_default()))
        .collect();
    let category_link = |c: &str| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &keep {
            if !v.is_empty() && *k != "category" {
                query.append_pair(k, v);
            }
        }
        if !c.is_empty() {
            query.append_pair("category", c);
        }
        let q = query.finish();
        if q.is_empty() {
            action.clone()
        } else {
            format!("{action}?{q}")
        }
    };
    let mut categories = vec![Choice {
        label: "All".into(),
        count: None,
        href: category_link(""),
        active: active.is_empty(),
    }];
    categories.extend(CATEGORIES.iter().map(|c| Choice {
        label: capitalise(c),
        count: None,
        href: category_link(c),
        active: active == *c,
    }));
    let template = Browse {
        chrome: Chrome::new(heading.clone(), &visitor),
        heading,
        paging: paging(
            &action,
            &keep,
            query.page,
            query.per_page,
            found.total as u64,
        ),
        action,
        city,
        from_date: raw.get("from_date").cloned().unwrap_or_default(),
        to_date: raw.get("to_date").cloned().unwrap_or_default(),
        categories,
        items: found.items.iter().map(EventCard::from).collect(),
        total: found.total as u64,
    };
    Ok(page(StatusCode::OK, &template))
}

pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct Search {
    chrome: Chrome,
    q: String,
    sort: String,
    from_date: String,
    to_date: String,
    max_price: String,
    near: bool,
    lat: String,
    lon: String,
    radius_km: String,
    categories: Vec<Choice>,
    cities: Vec<Choice>,
    items: Vec<SearchCard>,
    total: u64,
    paging: Paging,
}

pub struct SearchCard {
    pub href: String,
    pub title: String,
    pub category: String,
    pub venue: String,
    pub city: String,
    pub day: String,
    pub price: String,
    pub distance: Option<String>,
}

/// The search page's own fields, kept for its links.
const SEARCH_FIELDS: &[&str] = &[
    "q",
    "city",
    "category",
    "from_date",
    "to_date",
    "max_price",
    "sort",
    "lat",
    "lon",
    "radius_km",
];

/// `GET /search`: full-text search with facets (category, city), dates, price, "near me".
pub async fn search(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let now = state.clock.now_ms() / 60_000 * 60_000;
    let mut params = api_params(&raw)?;
    // Prices are typed in whole units; the API takes minor units.
    if let Some(max) = params.remove("max_price") {
        let Some(minor) = super::format::parse_amount(&max, "EUR") else {
            return Err(ApiError::invalid("max_price", "must be an amount such as 50").into());
        };
        params.insert("max_price".into(), minor.to_string());
    }
    let query = SearchQuery::try_from(QueryParams::new(&params, now)).map_err(ApiError::from)?;
    let (page_no, per_page) = query.page();
    let (results, _) = crate::http::search::run(&state, query).await?;
    let keep: Vec<(&str, String)> = SEARCH_FIELDS
        .iter()
        .map(|k| (*k, raw.get(*k).cloned().unwrap_or_default()))
        .collect();
    let facet_link = |field: &str, value: &str| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &keep {
            if *k != field && !v.is_empty() {
                query.append_pair(k, v);
            }
        }
        if !value.is_empty() {
            query.append_pair(field, value);
        }
        format!("/search?{}", query.finish())
    };
    let facet = |field: &str,
                 counts: &std::collections::BTreeMap<String, u64>,
                 label: &dyn Fn(&str) -> String| {
        let current = raw
            .get(field)
            .map(|v| v.trim().to_lowercase())
            .unwrap_or_default();
        let mut out: Vec<Choice> = counts
            .iter()
            .map(|(value, count)| Choice {
                label: label(value),
                count: Some(*count),
                active: value.to_lowercase() == current,
                href: if value.to_lowercase() == current {
                    facet_link(field, "")
                } else {
                    facet_link(field, value)
                },
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
        out
    };
    let categories = facet("category", &results.facets.category, &capitalise);
    let cities = facet("city", &results.facets.city, &|c: &str| c.to_owned());
    let items = results
        .items
        .into_iter()
        .map(|hit| SearchCard {
            href: format!("/events/{}", hit.event_id),
            title: hit.title,
            category: hit.category,
            venue: hit.venue,
            city: hit.city,
            day: hit
                .next_show_at
                .map(|ms| day(&rfc3339(ms), "UTC"))
                .unwrap_or_default(),
            price: hit
                .min_price
                .map(|p| {
                    format!(
                        "from {}",
                        money(p, hit.currency.as_deref().unwrap_or("EUR"))
                    )
                })
                .unwrap_or_default(),
            distance: hit.distance_km.map(|d| format!("{d:.1} km away")),
        })
        .collect();
    let field = |k: &str| raw.get(k).cloned().unwrap_or_default();
    let template = Search {
        chrome: Chrome::new(
            if field("q").is_empty() {
                "Search".to_owned()
            } else {
                format!("{} · Search", field("q"))
            },
            &visitor,
        ),
        q: field("q"),
        sort: field("sort"),
        from_date: field("from_date"),
        to_date: field("to_date"),
        max_price: field("max_price"),
        near: !field("lat").is_empty(),
        lat: field("lat"),
        lon: field("lon"),
        radius_km: field("radius_km"),
        categories,
        cities,
        items,
        total: results.total,
        paging: paging("/search", &keep, page_no, per_page, results.total),
    };
    Ok(page(StatusCode::OK, &template))
}

pub struct ShowRow {
    pub href: String,
    pub when: String,
    pub zone: String,
    pub status: String,
    pub availability: String,
    pub price: String,
    pub bookable: bool,
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    chrome: Chrome,
    id: String,
    title: String,
    description: String,
    category: String,
    cancelled: bool,
    venue: String,
    address: String,
    city: String,
    city_href: String,
    performers: Vec<String>,
    shows: Vec<ShowRow>,
}

/// `GET /events/{id}`: the venue, performers and shows with live availability and prices.
pub async fn event(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id::<EventId>(&id, "event")?;
    let event = state.reads.event(id, state.clock.now_ms()).await?;
    let event = event.value.clone();
    let zone = event.venue.timezone.clone();
    let cancelled = event.status == crate::domain::catalog::EventStatus::Cancelled;
    let shows = event
        .shows
        .iter()
        .map(|s| {
            let on_sale = s.status == "scheduled";
            ShowRow {
                href: format!("/shows/{}", s.id),
                when: when(&s.starts_at, &zone),
                zone: super::format::zone_abbreviation(&s.starts_at, &zone),
                status: show_status(&s.status, s.available, s.held),
                availability: if s.available > 0 {
                    format!("{} seats left", s.available)
                } else if s.held > 0 {
                    "All seats taken for now; some may come back".into()
                } else {
                    "Sold out".into()
                },
                price: price_range(s.min_price, s.max_price, Some(&s.currency)),
                bookable: on_sale && !cancelled,
            }
        })
        .collect();
    let template = EventPage {
        chrome: Chrome::new(event.title.clone(), &visitor),
        id: id.to_string(),
        title: event.title,
        description: event.description,
        category: capitalise(&event.category),
        cancelled,
        city_href: city_href(&event.venue.city),
        venue: event.venue.name,
        address: event.venue.address,
        city: event.venue.city,
        performers: event.performers.into_iter().map(|p| p.name).collect(),
        shows,
    };
    Ok(page(StatusCode::OK, &template))
}

/// The status of a show in words.
pub fn show_status(status: &str, available: i64, held: i64) -> String {
    match status {
        "cancelled" => "Cancelled".into(),
        _ if available == 0 && held == 0 => "Sold out".into(),
        _ if available == 0 => "Waitlist open".into(),
        _ => "On sale".into(),
    }
}

/// A path id, or a 404 page (a mistyped link is not found, not invalid).
pub fn parse_id<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, WebError> {
    raw.parse::<T>()
        .map_err(|_| WebError::Api(ApiError::NotFound(format!("no such {what}"))))
}
