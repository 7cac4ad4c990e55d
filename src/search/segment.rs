//! What the search keeps per index segment: its fast-field columns, opened once, and what is
//! derived from them and never changes with the segment (facet names and counts, the
//! first-show order for browsing by date, the documents of each category as [`DocBits`]).
//!
//! [`SegmentCache`] holds them by segment and is the index reader's warmer, so a new segment is
//! prepared before the first query sees it. The collector, the category matcher and the index
//! all read from here; this module reads only the schema.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use tantivy::columnar::{BytesColumn, Column, StrColumn};
use tantivy::index::SegmentId;
use tantivy::{DocId, SegmentReader};

use super::schema::{col, NO_FIRST_SHOW};

/// Columns of one segment, opened once: opening a column looks it up in the segment's
/// (zstd-compressed) column directory, which costs more than most queries' actual work.
pub(crate) struct SegmentData {
    pub event_id: Column<i64>,
    pub first_show: Column<i64>,
    pub last_show: Column<i64>,
    pub shows: Column<i64>,
    pub lat: Column<f64>,
    pub lon: Column<f64>,
    pub min_price: Column<i64>,
    pub max_price: Column<i64>,
    pub venue_id: Column<i64>,
    pub category: StrColumn,
    pub city: StrColumn,
    category_names: OnceLock<Arc<Vec<String>>>,
    city_names: OnceLock<Arc<Vec<String>>>,
    by_first_show: OnceLock<Arc<ShowOrder>>,
    category_docs: OnceLock<Arc<Vec<Arc<DocBits>>>>,
    facet_counts: OnceLock<Arc<FacetCounts>>,
}

/// Number of documents per category and per city ordinal of one segment.
#[derive(Debug, Clone, Default)]
pub(crate) struct FacetCounts {
    pub category: Vec<u32>,
    pub city: Vec<u32>,
}

/// A set of documents of one segment, one bit each.
pub(crate) struct DocBits {
    words: Vec<u64>,
}

impl DocBits {
    pub(super) fn new(max_doc: DocId) -> DocBits {
        DocBits {
            words: vec![0; (max_doc as usize).div_ceil(64)],
        }
    }

    pub(super) fn insert(&mut self, doc: DocId) {
        if let Some(w) = self.words.get_mut(doc as usize / 64) {
            *w |= 1 << (doc % 64);
        }
    }

    pub fn contains(&self, doc: DocId) -> bool {
        self.words
            .get(doc as usize / 64)
            .is_some_and(|w| w & (1 << (doc % 64)) != 0)
    }

    /// The first document in the set at or after `from` and before `end`, else `end`.
    pub fn next(&self, from: DocId, end: DocId) -> DocId {
        let mut i = from as usize / 64;
        let Some(&first) = self.words.get(i) else {
            return end;
        };
        let mut word = first & (u64::MAX << (from % 64));
        loop {
            if word != 0 {
                let doc = (i * 64) as DocId + word.trailing_zeros();
                return doc.min(end);
            }
            i += 1;
            if i * 64 >= end as usize {
                return end;
            }
            match self.words.get(i) {
                Some(&w) => word = w,
                None => return end,
            }
        }
    }

    /// The union of several sets of the same segment.
    pub fn union(sets: &[&DocBits]) -> DocBits {
        let len = sets.iter().map(|s| s.words.len()).max().unwrap_or(0);
        let mut words = vec![0u64; len];
        for set in sets {
            for (w, x) in words.iter_mut().zip(&set.words) {
                *w |= x;
            }
        }
        DocBits { words }
    }
}

/// Documents of a segment ordered by first show, to browse by date without a full scan.
pub(crate) struct ShowOrder {
    /// (first show, last show, doc), ascending; documents without shows are left out.
    pub by_first: Vec<(i64, i64, DocId)>,
    /// Longest time between a document's first and last show.
    pub max_span: i64,
}

impl SegmentData {
    fn open(reader: &SegmentReader) -> tantivy::Result<SegmentData> {
        Ok(SegmentData {
            event_id: i64_column(reader, col::EVENT_ID)?,
            first_show: i64_column(reader, col::FIRST_SHOW)?,
            last_show: i64_column(reader, col::LAST_SHOW)?,
            shows: i64_column(reader, col::SHOWS)?,
            lat: f64_column(reader, col::LAT)?,
            lon: f64_column(reader, col::LON)?,
            min_price: i64_column(reader, col::MIN_PRICE)?,
            max_price: i64_column(reader, col::MAX_PRICE)?,
            venue_id: i64_column(reader, col::VENUE_ID)?,
            category: str_column(reader, col::CATEGORY)?,
            city: str_column(reader, col::CITY)?,
            category_names: OnceLock::new(),
            city_names: OnceLock::new(),
            by_first_show: OnceLock::new(),
            category_docs: OnceLock::new(),
            facet_counts: OnceLock::new(),
        })
    }

    /// Counts the categories and cities of `docs`.
    fn count_facets(&self, docs: impl Iterator<Item = DocId>) -> FacetCounts {
        let mut counts = FacetCounts {
            category: vec![0; self.category.num_terms()],
            city: vec![0; self.city.num_terms()],
        };
        for doc in docs {
            if let Some(c) = self
                .category
                .ords()
                .first(doc)
                .and_then(|o| counts.category.get_mut(o as usize))
            {
                *c += 1;
            }
            if let Some(c) = self
                .city
                .ords()
                .first(doc)
                .and_then(|o| counts.city.get_mut(o as usize))
            {
                *c += 1;
            }
        }
        counts
    }

    /// Facet counts of the live documents of `reader`: those of every document (counted once
    /// per segment, as segments never change) minus those of the deleted ones.
    pub fn live_facet_counts(&self, reader: &SegmentReader) -> Arc<FacetCounts> {
        let max_doc = reader.max_doc();
        let all = self.facet_counts(max_doc);
        let Some(alive) = reader.alive_bitset() else {
            return all;
        };
        let dead = self.count_facets((0..max_doc).filter(|&d| alive.is_deleted(d)));
        let mut live = (*all).clone();
        for (n, d) in live.category.iter_mut().zip(&dead.category) {
            *n = n.saturating_sub(*d);
        }
        for (n, d) in live.city.iter_mut().zip(&dead.city) {
            *n = n.saturating_sub(*d);
        }
        Arc::new(live)
    }

    /// Facet counts of every document of the segment, deleted or not (counted once).
    fn facet_counts(&self, max_doc: DocId) -> Arc<FacetCounts> {
        self.facet_counts
            .get_or_init(|| Arc::new(self.count_facets(0..max_doc)))
            .clone()
    }

    /// Every value of a str column, by ordinal (decoded once per segment).
    fn names(
        cell: &OnceLock<Arc<Vec<String>>>,
        column: &StrColumn,
    ) -> tantivy::Result<Arc<Vec<String>>> {
        if let Some(names) = cell.get() {
            return Ok(names.clone());
        }
        let mut names = Vec::with_capacity(column.num_terms());
        let mut stream = column.dictionary().stream()?;
        while stream.advance() {
            names.push(String::from_utf8_lossy(stream.key()).into_owned());
        }
        Ok(cell.get_or_init(|| Arc::new(names)).clone())
    }

    pub fn show_order(&self, max_doc: DocId) -> Arc<ShowOrder> {
        self.by_first_show
            .get_or_init(|| {
                let mut by_first = Vec::with_capacity(max_doc as usize);
                let mut max_span = 0;
                for doc in 0..max_doc {
                    let first = self.first_show.first(doc).unwrap_or(NO_FIRST_SHOW);
                    if first == NO_FIRST_SHOW {
                        continue;
                    }
                    let last = self.last_show.first(doc).unwrap_or(first);
                    max_span = max_span.max(last.saturating_sub(first));
                    by_first.push((first, last, doc));
                }
                by_first.sort_unstable();
                Arc::new(ShowOrder { by_first, max_span })
            })
            .clone()
    }

    /// The documents of each category, by category ordinal (built in one pass, then kept).
    pub fn category_docs(&self, max_doc: DocId) -> Arc<Vec<Arc<DocBits>>> {
        self.category_docs
            .get_or_init(|| {
                let mut sets: Vec<DocBits> = (0..self.category.num_terms())
                    .map(|_| DocBits::new(max_doc))
                    .collect();
                for doc in 0..max_doc {
                    if let Some(set) = self
                        .category
                        .ords()
                        .first(doc)
                        .and_then(|o| sets.get_mut(o as usize))
                    {
                        set.insert(doc);
                    }
                }
                Arc::new(sets.into_iter().map(Arc::new).collect())
            })
            .clone()
    }

    pub fn category_names(&self) -> tantivy::Result<Arc<Vec<String>>> {
        Self::names(&self.category_names, &self.category)
    }

    pub fn city_names(&self) -> tantivy::Result<Arc<Vec<String>>> {
        Self::names(&self.city_names, &self.city)
    }
}

/// [`SegmentData`] by segment. Segments never change, so an entry stays valid for the
/// segment's life; [`SegmentCache::retain`] drops those of merged-away segments.
#[derive(Default)]
pub(crate) struct SegmentCache {
    map: Mutex<HashMap<SegmentId, Arc<SegmentData>>>,
}

impl std::fmt::Debug for SegmentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentCache").finish_non_exhaustive()
    }
}

impl SegmentCache {
    pub fn get(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentData>> {
        let id = reader.segment_id();
        if let Some(data) = self.lock().get(&id) {
            return Ok(data.clone());
        }
        let data = Arc::new(SegmentData::open(reader)?);
        self.lock().insert(id, data.clone());
        Ok(data)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<SegmentData>>> {
        // A cache: whatever a panicking thread left behind is still valid.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps only the entries of these segments.
    pub fn retain(&self, live: &HashSet<SegmentId>) {
        self.lock().retain(|id, _| live.contains(id));
    }

    /// Opens the columns of every segment of `searcher` and builds their facet names and show
    /// order, so that the first query on a new (e.g. freshly merged) segment does not pay it.
    fn prepare(&self, searcher: &tantivy::Searcher) -> tantivy::Result<()> {
        for reader in searcher.segment_readers() {
            let data = self.get(reader)?;
            data.category_names()?;
            data.city_names()?;
            data.show_order(reader.max_doc());
            data.category_docs(reader.max_doc());
            data.facet_counts(reader.max_doc());
        }
        Ok(())
    }
}

/// Registered with the index reader: every reload (an apply, or a finished background merge)
/// prepares the new segments before the new searcher is used, and drops dead ones.
impl tantivy::Warmer for SegmentCache {
    fn warm(&self, searcher: &tantivy::Searcher) -> tantivy::Result<()> {
        self.prepare(searcher)
    }

    fn garbage_collect(&self, live_generations: &[&tantivy::SearcherGeneration]) {
        let live: HashSet<SegmentId> = live_generations
            .iter()
            .flat_map(|g| g.segments().keys().copied())
            .collect();
        self.retain(&live);
    }
}

pub(crate) fn str_column(reader: &SegmentReader, name: &str) -> tantivy::Result<StrColumn> {
    Ok(match reader.fast_fields().str(name)? {
        Some(c) => c,
        None => StrColumn::wrap(BytesColumn::empty(reader.max_doc())),
    })
}

pub(crate) fn i64_column(reader: &SegmentReader, name: &str) -> tantivy::Result<Column<i64>> {
    Ok(match reader.fast_fields().column_opt::<i64>(name)? {
        Some(c) => c,
        None => Column::build_empty_column(reader.max_doc()),
    })
}

pub(crate) fn f64_column(reader: &SegmentReader, name: &str) -> tantivy::Result<Column<f64>> {
    Ok(match reader.fast_fields().column_opt::<f64>(name)? {
        Some(c) => c,
        None => Column::build_empty_column(reader.max_doc()),
    })
}

/// First show at or after `now` among the (sorted) shows of `doc`.
pub(crate) fn next_show(shows: &Column<i64>, doc: DocId, now: i64) -> Option<i64> {
    shows.values_for_doc(doc).find(|&s| s >= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_bits_find_the_next_member() {
        let mut bits = DocBits::new(300);
        for doc in [3, 64, 65, 190, 299] {
            bits.insert(doc);
        }
        assert!(bits.contains(64) && !bits.contains(66));
        assert_eq!(bits.next(0, 300), 3);
        assert_eq!(bits.next(4, 300), 64);
        assert_eq!(bits.next(66, 300), 190);
        assert_eq!(bits.next(66, 100), 100);
        assert_eq!(bits.next(191, 300), 299);
        assert_eq!(bits.next(300, 300), 300);
        let mut other = DocBits::new(300);
        other.insert(100);
        let both = DocBits::union(&[&bits, &other]);
        assert_eq!(both.next(66, 300), 100);
    }
}
