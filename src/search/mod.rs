//! Event search: an embedded tantivy index of events, denormalised for search.
//!
//! The index lives in a directory chosen by the caller and is *derived state*: it can be
//! deleted at any time and rebuilt from the database. The caller feeds it batches from a change
//! feed through [`SearchIndex::apply`], which commits the documents together with the feed
//! cursor, so after a restart [`SearchIndex::cursor`] says where to resume.
//!
//! What lives where:
//! - [`SearchIndex`] (in `index.rs`): open/create/repair, apply batches, search, suggest.
//! - [`SearchService`] (in `service.rs`): a result cache in front of the index.
//! - `text.rs`: accent/case folding shared by indexing, querying and suggestions.
//! - `query.rs` and `collector.rs`: turning a [`SearchQuery`] into tantivy queries and
//!   collecting totals, facets and the requested page in one pass.
//! - `segment.rs`: per-segment columns and what is derived from them once (facets, show
//!   order, category sets); `geo.rs`: great-circle distances.
//! - `category.rs`: matching category words ("concert") on a column, not a posting list.
//! - `suggest.rs`: the in-memory autocomplete structure.
//! - `params.rs`: a [`SearchQuery`] from query-string parameters, validated.
//!
//! Things worth knowing when integrating:
//! - One `SearchIndex` per directory and process: it holds tantivy's writer lock, and a second
//!   `open` of the same directory fails (it never wipes a directory another writer uses).
//! - `apply` is synchronous and does disk I/O (a commit with fsync): call it from
//!   `spawn_blocking`, as `search` and `suggest` on a busy server (they take milliseconds).
//! - Searches use a small thread pool (one thread per core, at most four) to search segments
//!   in parallel; memory: the writer's 256 MB budget, the suggestion map, and per segment a
//!   first-show order of 20 bytes per event.
//! - Reopening rebuilds the suggestion map from the index (about a second for a million
//!   events).
//!
//! This module deliberately does not talk to the database or HTTP: it neither reads the change
//! feed nor decides when to reindex. [`OpenOutcome::needs_full_reindex`] tells the caller when
//! the index it got is empty and must be rebuilt from scratch.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod category;
mod collector;
mod geo;
mod index;
pub mod indexer;
mod params;
mod query;
mod schema;
mod segment;
mod service;
mod suggest;
mod text;

#[cfg(test)]
mod tests;

pub use index::{SearchIndex, MAX_LIMIT, MAX_WINDOW};
pub use service::{SearchService, Source, NOW_GRANULARITY_MS};

/// One event as the search index sees it: everything needed to match, filter, sort and show a
/// result, flattened from the event, its shows, performers, venue and prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDoc {
    pub event_id: i64,
    pub title: String,
    pub description: String,
    /// e.g. "concert", "theatre", "sport", "comedy", "opera", "family".
    pub category: String,
    /// (performer id, name).
    pub performers: Vec<(i64, String)>,
    pub venue_id: i64,
    pub venue_name: String,
    pub city: String,
    pub country: String,
    pub lat: f64,
    pub lon: f64,
    /// Unix milliseconds of each scheduled show.
    pub show_starts: Vec<i64>,
    /// Minor units, across all shows and sections.
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub currency: Option<String>,
}

impl From<crate::store::EventListing> for EventDoc {
    fn from(e: crate::store::EventListing) -> Self {
        Self {
            event_id: e.event_id,
            title: e.title,
            description: e.description,
            category: e.category,
            performers: e.performers,
            venue_id: e.venue_id,
            venue_name: e.venue_name,
            city: e.city,
            country: e.country,
            lat: e.lat,
            lon: e.lon,
            show_starts: e.show_starts,
            min_price: e.min_price,
            max_price: e.max_price,
            currency: e.currency,
        }
    }
}

/// What [`SearchIndex::open`] found in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "outcome")]
pub enum OpenOutcome {
    /// An existing, compatible index was opened; resume the feed from [`SearchIndex::cursor`].
    Opened,
    /// There was no index: a new empty one was created.
    Created,
    /// The directory held a corrupt or schema-incompatible index: it was wiped and an empty
    /// index was created in its place.
    Rebuilt { reason: String },
}

impl OpenOutcome {
    /// True when the index is empty and the caller must feed it every event again.
    pub fn needs_full_reindex(&self) -> bool {
        !matches!(self, OpenOutcome::Opened)
    }
}

/// Geographic filter and/or distance-sort origin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoFilter {
    pub lat: f64,
    pub lon: f64,
    /// When given, only events whose venue lies within this many km are returned.
    pub radius_km: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Best text match first. Without a text query, or when the text is a single category word
    /// ("concert"), this is [`SortOrder::Date`] (and hits carry no score).
    #[default]
    Relevance,
    /// Next show (first show starting at or after `now_ms`) ascending; events without an
    /// upcoming show come last.
    Date,
    /// Distance from `near` ascending; requires `near`.
    Distance,
}

/// A search request. Every filter is optional; all given filters must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    /// Free text; typo tolerant, accent and case insensitive; the last word also matches as a
    /// prefix unless the text ends with whitespace.
    pub q: Option<String>,
    /// Case- and accent-insensitive exact city name.
    pub city: Option<String>,
    pub near: Option<GeoFilter>,
    pub category: Option<String>,
    /// Performer id as a decimal string, or performer name (case/accent-insensitive).
    pub performer: Option<String>,
    /// Venue id as a decimal string, or venue name (case/accent-insensitive).
    pub venue: Option<String>,
    /// The event has a show starting in `[from_ms, to_ms]`.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// The event's price range overlaps `[min_price, max_price]`.
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub sort: SortOrder,
    pub offset: usize,
    /// Page size, at most [`MAX_LIMIT`]; `offset + limit` may not exceed [`MAX_WINDOW`].
    pub limit: usize,
    /// "Next show" means the first show starting at or after this instant.
    pub now_ms: i64,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            q: None,
            city: None,
            near: None,
            category: None,
            performer: None,
            venue: None,
            from_ms: None,
            to_ms: None,
            min_price: None,
            max_price: None,
            sort: SortOrder::Relevance,
            offset: 0,
            limit: 20,
            now_ms: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// Number of events matching the query (all pages).
    pub total: u64,
    pub items: Vec<SearchHit>,
    pub facets: Facets,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub event_id: i64,
    pub title: String,
    pub category: String,
    pub venue: String,
    pub venue_id: i64,
    pub city: String,
    pub next_show_at: Option<i64>,
    pub min_price: Option<i64>,
    pub currency: Option<String>,
    /// Relevance score; 0 when the results were not sorted by relevance.
    pub score: f32,
    /// Distance from `near`, when `near` was given.
    pub distance_km: Option<f64>,
}

/// Counts over the whole matching set (all filters applied), not just the returned page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Keyed by the folded category (lowercase, no accents).
    pub category: BTreeMap<String, u64>,
    /// Keyed by the city name as indexed.
    pub city: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuggestKind {
    Event,
    Performer,
    Venue,
    City,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub text: String,
    pub kind: SuggestKind,
    /// Event, performer or venue id as a decimal string; for a city, the city name.
    pub id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("invalid search query: {0}")]
    InvalidQuery(String),
    /// A lock was poisoned by a panic in another thread; the index should be reopened.
    #[error("search index is unusable after a panic in another thread")]
    Poisoned,
}

impl SearchError {
    /// The same error, for each caller that waited on one computation.
    pub(crate) fn duplicate(&self) -> SearchError {
        match self {
            SearchError::Index(e) => SearchError::Index(e.clone()),
            SearchError::Io(e) => SearchError::Io(std::io::Error::new(e.kind(), e.to_string())),
            SearchError::InvalidQuery(m) => SearchError::InvalidQuery(m.clone()),
            SearchError::Poisoned => SearchError::Poisoned,
        }
    }
}

impl From<tantivy::directory::error::OpenDirectoryError> for SearchError {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        SearchError::Index(e.into())
    }
}
