//! [`SearchService`]: a result cache in front of [`SearchIndex`].
//!
//! Results are cached (moka, bounded by entry count, with a time-to-live) under a key made of
//! the index generation and the *normalised* request: folded text and names, so "Björk" and
//! "bjork" share an entry. Because the generation is part of the key, an
//! [`SearchIndex::apply`] makes every older entry unreachable at once; the cache is also
//! cleared when a new generation is first seen so stale entries do not hold memory.
//!
//! To make caching possible at all, `now_ms` is rounded down to the minute before the query
//! runs: a show that started less than a minute ago may still count as "next". Concurrent
//! identical misses are coalesced: one caller searches and the others wait for its result, so a
//! hot query right after an apply (which empties the cache) runs once, not once per caller. The
//! service deliberately does not cache errors and does not write to the index except through
//! [`SearchService::apply`], which is only a convenience pass-through.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;

use super::query::TextQuery;
use super::text;
use super::{
    EventDoc, SearchError, SearchIndex, SearchQuery, SearchResults, SortOrder, Suggestion,
};

/// `now_ms` is rounded down to a multiple of this before searching.
pub const NOW_GRANULARITY_MS: i64 = 60_000;
const DEFAULT_CAPACITY: u64 = 10_000;
const TIME_TO_LIVE: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SearchKey {
    generation: u64,
    text: Option<TextQuery>,
    city: Option<String>,
    near: Option<(u64, u64, Option<u64>)>,
    category: Option<String>,
    performer: Option<String>,
    venue: Option<String>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    min_price: Option<i64>,
    max_price: Option<i64>,
    sort: SortOrder,
    offset: usize,
    limit: usize,
    now_ms: i64,
}

fn folded(v: &Option<String>) -> Option<String> {
    v.as_deref().map(text::key).filter(|k| !k.is_empty())
}

impl SearchKey {
    fn new(generation: u64, q: &SearchQuery) -> SearchKey {
        SearchKey {
            generation,
            text: q.q.as_deref().and_then(TextQuery::parse),
            city: folded(&q.city),
            near: q.near.map(|g| {
                (
                    g.lat.to_bits(),
                    g.lon.to_bits(),
                    g.radius_km.map(f64::to_bits),
                )
            }),
            category: folded(&q.category),
            // Ids stay as typed (trimmed); names are folded.
            performer: folded(&q.performer),
            venue: folded(&q.venue),
            from_ms: q.from_ms,
            to_ms: q.to_ms,
            min_price: q.min_price,
            max_price: q.max_price,
            sort: q.sort,
            offset: q.offset,
            limit: q.limit,
            now_ms: q.now_ms,
        }
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cache,
    Index,
}

/// Caches search and suggest results of a [`SearchIndex`]. Cheap to clone.
#[derive(Clone)]
pub struct SearchService {
    index: SearchIndex,
    results: Cache<SearchKey, Arc<SearchResults>>,
    suggestions: Cache<(u64, String, usize), Arc<Vec<Suggestion>>>,
    seen_generation: Arc<AtomicU64>,
    /// Searches that reached the index (cache misses).
    index_searches: Arc<AtomicU64>,
}

impl std::fmt::Debug for SearchService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchService")
            .field("index", &self.index)
            .field("cached_results", &self.results.entry_count())
            .finish_non_exhaustive()
    }
}

impl SearchService {
    pub fn new(index: SearchIndex) -> SearchService {
        SearchService::with_capacity(index, DEFAULT_CAPACITY)
    }

    /// `capacity` is the maximum number of cached result pages (and of suggestion lists).
    pub fn with_capacity(index: SearchIndex, capacity: u64) -> SearchService {
        let generation = index.generation();
        SearchService {
            index,
            results: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(TIME_TO_LIVE)
                .build(),
            suggestions: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(TIME_TO_LIVE)
                .build(),
            seen_generation: Arc::new(AtomicU64::new(generation)),
            index_searches: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Current generation; drops every cached entry the first time a new one is seen.
    fn generation(&self) -> u64 {
        let generation = self.index.generation();
        if self.seen_generation.swap(generation, Ordering::AcqRel) != generation {
            self.results.invalidate_all();
            self.suggestions.invalidate_all();
        }
        generation
    }

    /// Searches, or answers from the cache. Concurrent identical misses run the search once;
    /// the others wait for its result (and count as answered from the cache).
    pub fn search(&self, q: &SearchQuery) -> Result<(SearchResults, Source), SearchError> {
        let mut q = q.clone();
        q.now_ms = q.now_ms.div_euclid(NOW_GRANULARITY_MS) * NOW_GRANULARITY_MS;
        let key = SearchKey::new(self.generation(), &q);
        let entry = self
            .results
            .entry(key)
            .or_try_insert_with(|| {
                self.index_searches.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("boxoffice_search_index_queries_total").increment(1);
                self.index.search(&q).map(Arc::new)
            })
            .map_err(|e| e.duplicate())?;
        let source = if entry.is_fresh() {
            Source::Index
        } else {
            Source::Cache
        };
        Ok(((*entry.into_value()).clone(), source))
    }

    /// Number of searches that were not answered from the cache.
    pub fn index_searches(&self) -> u64 {
        self.index_searches.load(Ordering::Relaxed)
    }

    /// Concurrent identical misses are coalesced here too.
    pub fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<Suggestion>, SearchError> {
        let key = (self.generation(), text::key(prefix), limit);
        let hit = self
            .suggestions
            .try_get_with(key, || self.index.suggest(prefix, limit).map(Arc::new))
            .map_err(|e| e.duplicate())?;
        Ok((*hit).clone())
    }

    /// Same as [`SearchIndex::apply`].
    pub fn apply(
        &self,
        upserts: Vec<EventDoc>,
        deletes: Vec<i64>,
        cursor: i64,
    ) -> Result<(), SearchError> {
        self.index.apply(upserts, deletes, cursor)
    }

    /// Runs the cache's pending maintenance so counts are exact (tests only).
    #[cfg(test)]
    pub(crate) fn results_sync(&self) {
        self.results.run_pending_tasks();
    }

    /// Number of cached result pages (approximate; for metrics).
    pub fn cached_results(&self) -> u64 {
        self.results.entry_count()
    }
}
