//! Search and autocomplete over the per-instance index (see `search/`). Browse and
//! availability never come from here: results link to the event view, which reads the store.

use super::error::{ApiError, ApiResult};
use super::middleware::public_cache;
use super::AppState;
use crate::domain::{parse_instant_or_date, rfc3339, FieldError};
use crate::search::{GeoFilter, SearchQuery, SortOrder, SuggestKind};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/search", get(search))
        .route("/search/suggest", get(suggest))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchItem {
    pub event_id: String,
    pub title: String,
    pub category: String,
    pub venue: String,
    pub venue_id: String,
    pub city: String,
    pub next_show_at: Option<String>,
    pub min_price: Option<i64>,
    pub currency: Option<String>,
    pub score: f32,
    pub distance_km: Option<f64>,
    /// The event view, for availability and shows.
    pub href: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchFacets {
    pub category: BTreeMap<String, u64>,
    pub city: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    pub items: Vec<SearchItem>,
    pub total: u64,
    pub page: i64,
    pub per_page: i64,
    pub facets: SearchFacets,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestItem {
    pub text: String,
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestList {
    pub items: Vec<SuggestItem>,
}

struct Params<'a> {
    raw: &'a HashMap<String, String>,
    errors: Vec<FieldError>,
}

impl Params<'_> {
    fn fail(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }
    fn text(&mut self, name: &str, max: usize) -> Option<String> {
        let value = self.raw.get(name)?.trim();
        if value.is_empty() {
            return None;
        }
        if value.chars().count() > max {
            self.fail(name, &format!("must be at most {max} characters"));
        }
        Some(value.to_owned())
    }
    fn number(&mut self, name: &str, min: f64, max: f64) -> Option<f64> {
        let raw = self.raw.get(name)?;
        match raw.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && (min..=max).contains(&v) => Some(v),
            _ => {
                self.fail(name, &format!("must be a number from {min} to {max}"));
                None
            }
        }
    }
    fn money(&mut self, name: &str) -> Option<i64> {
        let raw = self.raw.get(name)?;
        match raw.trim().parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => {
                self.fail(
                    name,
                    "must be a whole number of minor units (cents), 0 or more",
                );
                None
            }
        }
    }
    fn instant(&mut self, name: &str) -> Option<i64> {
        let raw = self.raw.get(name)?;
        let parsed = parse_instant_or_date(raw);
        if parsed.is_none() {
            self.fail(name, "must be an RFC 3339 time or a YYYY-MM-DD date");
        }
        parsed
    }
}

/// Full-text event search with filters, sorts, pagination and facets; typo tolerant.
#[utoipa::path(get, path = "/api/v1/search", tag = "search",
    params(("q" = Option<String>, Query), ("city" = Option<String>, Query), ("lat" = Option<f64>, Query), ("lon" = Option<f64>, Query),
           ("radius_km" = Option<f64>, Query), ("category" = Option<String>, Query), ("performer" = Option<String>, Query, description = "id or name"),
           ("venue" = Option<String>, Query, description = "id or name"), ("from" = Option<String>, Query), ("to" = Option<String>, Query),
           ("min_price" = Option<i64>, Query), ("max_price" = Option<i64>, Query), ("sort" = Option<String>, Query, description = "relevance | date | distance"),
           ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query, description = "1..=100, default 20")),
    responses((status = 200, body = SearchPage), (status = 422, body = super::Problem)))]
async fn search(
    State(state): State<AppState>,
    Query(raw): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let mut p = Params {
        raw: &raw,
        errors: Vec::new(),
    };
    let q = p.text("q", 200);
    let city = p.text("city", 100);
    let category = p.text("category", 50);
    let performer = p.text("performer", 200);
    let venue = p.text("venue", 200);
    let lat = p.number("lat", -90.0, 90.0);
    let lon = p.number("lon", -180.0, 180.0);
    let radius_km = p.number("radius_km", 0.0, 20_000.0);
    let from_ms = p.instant("from");
    let to_ms = p.instant("to");
    let min_price = p.money("min_price");
    let max_price = p.money("max_price");
    let sort = match raw.get("sort").map(|s| s.trim()) {
        None | Some("") | Some("relevance") => SortOrder::Relevance,
        Some("date") => SortOrder::Date,
        Some("distance") => SortOrder::Distance,
        Some(_) => {
            p.fail("sort", "must be relevance, date or distance");
            SortOrder::Relevance
        }
    };
    if raw.contains_key("lat") != raw.contains_key("lon") {
        p.fail(
            if raw.contains_key("lat") {
                "lon"
            } else {
                "lat"
            },
            "lat and lon go together",
        );
    }
    if radius_km.is_some() && (lat.is_none() || lon.is_none()) {
        p.fail("radius_km", "needs lat and lon");
    }
    if sort == SortOrder::Distance && (lat.is_none() || lon.is_none()) {
        p.fail("sort", "sorting by distance needs lat and lon");
    }
    if let (Some(from), Some(to)) = (from_ms, to_ms) {
        if to < from {
            p.fail("to", "must not be before from");
        }
    }
    if let (Some(low), Some(high)) = (min_price, max_price) {
        if high < low {
            p.fail("max_price", "must not be below min_price");
        }
    }
    let mut errors = std::mem::take(&mut p.errors);
    let (page, per_page) = super::catalog::paging(&raw, &mut errors);
    if (page * per_page) as usize > crate::search::MAX_WINDOW {
        errors.push(FieldError {
            field: "page".into(),
            message: format!(
                "results go up to the {}th; narrow the search",
                crate::search::MAX_WINDOW
            ),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let query = SearchQuery {
        q,
        city,
        near: lat.zip(lon).map(|(lat, lon)| GeoFilter {
            lat,
            lon,
            radius_km,
        }),
        category,
        performer,
        venue,
        from_ms,
        to_ms,
        min_price,
        max_price,
        sort,
        offset: ((page - 1) * per_page) as usize,
        limit: per_page as usize,
        // Minute resolution keeps "next show" stable enough for the result cache.
        now_ms: state.clock.now_ms() / 60_000 * 60_000,
    };
    let service = state.search.clone();
    let (results, source) = tokio::task::spawn_blocking(move || service.search(&query))
        .await
        .map_err(|e| ApiError::Internal(format!("search task: {e}")))?
        .map_err(|e| match e {
            crate::search::SearchError::InvalidQuery(msg) => ApiError::invalid("q", msg),
            other => ApiError::Internal(other.to_string()),
        })?;
    let items = results
        .items
        .into_iter()
        .map(|hit| SearchItem {
            event_id: hit.event_id.to_string(),
            href: format!("/api/v1/events/{}", hit.event_id),
            title: hit.title,
            category: hit.category,
            venue: hit.venue,
            venue_id: hit.venue_id.to_string(),
            city: hit.city,
            next_show_at: hit.next_show_at.map(rfc3339),
            min_price: hit.min_price,
            currency: hit.currency,
            score: hit.score,
            distance_km: hit.distance_km,
        })
        .collect();
    let body = SearchPage {
        items,
        total: results.total,
        page,
        per_page,
        facets: SearchFacets {
            category: results.facets.category,
            city: results.facets.city,
        },
    };
    let mut response = public_cache(10, axum::Json(body).into_response());
    // Whether this server's result cache answered (as CDNs report theirs).
    let cached = match source {
        crate::search::Source::Cache => "hit",
        crate::search::Source::Index => "miss",
    };
    response
        .headers_mut()
        .insert("x-cache", axum::http::HeaderValue::from_static(cached));
    Ok(response)
}

/// Autocomplete: events, performers, venues and cities by prefix, typo tolerant.
#[utoipa::path(get, path = "/api/v1/search/suggest", tag = "search",
    params(("q" = String, Query), ("limit" = Option<i64>, Query, description = "1..=20, default 8")),
    responses((status = 200, body = SuggestList), (status = 422, body = super::Problem)))]
async fn suggest(
    State(state): State<AppState>,
    Query(raw): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let mut p = Params {
        raw: &raw,
        errors: Vec::new(),
    };
    let q = p.text("q", 100);
    if q.is_none() {
        p.fail("q", "type at least one character");
    }
    let limit = match raw.get("limit") {
        None => 8,
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=20).contains(&n) => n,
            _ => {
                p.fail("limit", "must be a whole number from 1 to 20");
                8
            }
        },
    };
    if !p.errors.is_empty() {
        return Err(ApiError::Invalid(p.errors));
    }
    let service = state.search.clone();
    let prefix = q.unwrap_or_default();
    let found = tokio::task::spawn_blocking(move || service.suggest(&prefix, limit))
        .await
        .map_err(|e| ApiError::Internal(format!("suggest task: {e}")))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let items = found
        .into_iter()
        .map(|s| SuggestItem {
            text: s.text,
            kind: match s.kind {
                SuggestKind::Event => "event",
                SuggestKind::Performer => "performer",
                SuggestKind::Venue => "venue",
                SuggestKind::City => "city",
            }
            .into(),
            id: s.id,
        })
        .collect();
    Ok(public_cache(
        30,
        axum::Json(SuggestList { items }).into_response(),
    ))
}
