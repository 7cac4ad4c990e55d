//! Search and autocomplete over the per-instance index (see `search/`). Browse and
//! availability never come from here: results link to the event view, which reads the store.

use super::error::{ApiError, ApiResult};
use super::middleware::public_cache;
use super::AppState;
use crate::domain::params::QueryParams;
use crate::domain::rfc3339;
use crate::search::{SearchQuery, SuggestKind};
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

/// `sort`: empty is the default order.
#[derive(Serialize, ToSchema)]
pub enum SortParam {
    #[serde(rename = "")]
    Default,
    #[serde(rename = "relevance")]
    Relevance,
    #[serde(rename = "date")]
    Date,
    #[serde(rename = "distance")]
    Distance,
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

/// Runs a search off the async runtime (the index is read on a blocking thread); a query the
/// index refuses is a 422 on `q`.
pub async fn run(
    state: &AppState,
    query: SearchQuery,
) -> ApiResult<(crate::search::SearchResults, crate::search::Source)> {
    let service = state.search.clone();
    tokio::task::spawn_blocking(move || service.search(&query))
        .await
        .map_err(|e| ApiError::Internal(format!("search task: {e}")))?
        .map_err(|e| match e {
            crate::search::SearchError::InvalidQuery(msg) => ApiError::invalid("q", msg),
            other => ApiError::Internal(other.to_string()),
        })
}

/// Full-text event search with filters, sorts, pagination and facets; typo tolerant.
#[utoipa::path(get, path = "/api/v1/search", tag = "search",
    params(("q" = Option<String>, Query, max_length = 200, pattern = r"^[^\u0000]*$"), ("city" = Option<String>, Query, max_length = 100, pattern = r"^[^\u0000]*$"),
           ("lat" = Option<f64>, Query, minimum = -90, maximum = 90, description = "with `lon`"),
           ("lon" = Option<f64>, Query, minimum = -180, maximum = 180, description = "with `lat`"),
           ("radius_km" = Option<f64>, Query, minimum = 0, maximum = 20000, description = "with `lat` and `lon`"),
           ("category" = Option<String>, Query, max_length = 50, pattern = r"^[^\u0000]*$"),
           ("performer" = Option<String>, Query, max_length = 200, pattern = r"^[^\u0000]*$", description = "id or name"),
           ("venue" = Option<String>, Query, max_length = 200, pattern = r"^[^\u0000]*$", description = "id or name"),
           ("from" = Option<super::catalog::InstantOrDate>, Query, description = "RFC 3339 time or YYYY-MM-DD"),
           ("to" = Option<super::catalog::InstantOrDate>, Query, description = "RFC 3339 time or YYYY-MM-DD, not before `from`"),
           ("min_price" = Option<i64>, Query, minimum = 0), ("max_price" = Option<i64>, Query, minimum = 0, description = "not below `min_price`"),
           ("sort" = Option<SortParam>, Query, description = "relevance (the default, also when empty) | date | distance (needs `lat` and `lon`)"),
           ("page" = Option<i64>, Query, minimum = 1, maximum = 10000, description = "default 1; `page` × `per_page` at most 10000"),
           ("per_page" = Option<i64>, Query, minimum = 1, maximum = 100, description = "default 20")),
    responses((status = 200, body = SearchPage),
              (status = 422, body = super::Problem, description = "a parameter is invalid, or parameters that go together do not (`lat` without `lon`, `radius_km` or `sort=distance` without both, `to` before `from`, `max_price` below `min_price`, past the 10000th result)")))]
async fn search(
    State(state): State<AppState>,
    Query(raw): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    // Minute resolution keeps "next show" stable enough for the result cache.
    let now = state.clock.now_ms() / 60_000 * 60_000;
    let query = SearchQuery::try_from(QueryParams::new(&raw, now))?;
    let (page, per_page) = query.page();
    let (results, source) = run(&state, query).await?;
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
    params(("q" = String, Query, min_length = 1, max_length = 100, pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 20, description = "default 8")),
    responses((status = 200, body = SuggestList), (status = 422, body = super::Problem)))]
async fn suggest(
    State(state): State<AppState>,
    Query(raw): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let mut p = QueryParams::new(&raw, 0).check();
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
    p.finish(())?;
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
