//! Turns a [`SearchQuery`] into a tantivy query.
//!
//! Free text becomes one group per word; a document must match every group (with a fallback
//! to "any word" done by the caller when that finds nothing). Each group is a disjunction of:
//! - exact term queries, BM25-scored, boosted per field (title and performers highest, venue
//!   and city lower, description lowest);
//! - a fuzzy term query (Damerau-Levenshtein, a transposition is one edit) on the combined
//!   `names` field (title, performers, venue, city) for words of 4+ characters, with a small
//!   constant score, so exact matches always outrank fuzzy ones;
//! - for the last word, unless the text ends with whitespace, a prefix query on `names`, so a
//!   word being typed already matches;
//! - for a word naming a category ("concert"), events of that category, with a constant score
//!   (checked on the category column, see `category.rs`).
//!
//! Filters are non-scoring clauses on keyword and numeric fields. The geo radius becomes a
//! handful of grid-cell terms covering its bounding box; the exact haversine check, the date
//! range and the price overlap happen in the collector, on columns. This module deliberately does not parse any query syntax (no
//! quotes, `AND`, `field:value`): user input is only ever treated as words.

use std::sync::Arc;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};

use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::category::CategoryOrQuery;
use super::geo::EARTH_RADIUS_KM;
use super::schema::{
    category_key, day_bucket, day_of, geo_cell, geo_cell_index, month_bucket, Fields, GEO_LEVELS,
    MONTH_DAYS,
};
use super::segment::SegmentCache;
use super::text;
use super::{GeoFilter, SearchError, SearchQuery};

/// Constant score of a fuzzy match (an exact match in a name field scores several times more).
const FUZZY_SCORE: f32 = 0.8;
/// A word found exactly in this many events' names is not looked up with typos.
const FUZZY_SKIP_DF: u64 = 100;
/// Constant score of a category word ("concert", "opera").
const CATEGORY_SCORE: f32 = 1.0;
/// Constant score of a prefix match of the last word.
const PREFIX_SCORE: f32 = 1.2;
/// Shortest last word that is also matched as a prefix.
const MIN_PREFIX_CHARS: usize = 2;
/// Widest date range (in days) narrowed down with show buckets.
const MAX_BUCKET_DAYS: i64 = 800;
/// Most grid cells used to find candidates for a radius search.
const MAX_GEO_CELLS: i64 = 16;

const KM_PER_DEGREE: f64 = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;

/// Free-text words after folding, ready to be turned into a query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TextQuery {
    pub words: Vec<String>,
    /// The last word may be incomplete (the text did not end with whitespace).
    pub last_is_prefix: bool,
}

impl TextQuery {
    /// Folds `q`; `None` when it has no words.
    pub fn parse(q: &str) -> Option<TextQuery> {
        let mut words = text::tokens(q);
        if words.iter().any(|w| !text::is_stop_word(w)) {
            let last = words.last().cloned();
            words.retain(|w| !text::is_stop_word(w));
            // A stop word being typed may be the start of a real word ("the" → "theatre").
            if let Some(last) = last {
                if text::is_stop_word(&last) && !q.ends_with(char::is_whitespace) {
                    words.push(last);
                }
            }
        }
        if words.is_empty() {
            return None;
        }
        Some(TextQuery {
            words,
            last_is_prefix: !q.ends_with(char::is_whitespace),
        })
    }
}

fn fuzzy_distance(word: &str) -> u8 {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The query for one word: exact in any field (BM25, boosted per field), fuzzy or (for the
/// last word) prefix in the combined `names` field (constant, small score), and, for a word
/// naming a category, events of that category (constant score, see `category.rs`).
fn word_query(
    f: &Fields,
    word: &str,
    as_prefix: bool,
    fuzzy: bool,
    category: Option<&Arc<SegmentCache>>,
) -> Box<dyn Query> {
    let scored: [(Field, f32); 5] = [
        (f.title, 3.0),
        (f.performers, 3.0),
        (f.venue, 1.5),
        (f.city, 1.5),
        (f.description, 0.4),
    ];
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, boost) in scored {
        let term = Term::from_field_text(field, word);
        let q = TermQuery::new(term, IndexRecordOption::WithFreqs);
        clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
    }
    let distance = fuzzy_distance(word);
    if fuzzy && distance > 0 {
        let term = Term::from_field_text(f.names, word);
        let q = FuzzyTermQuery::new(term, distance, true);
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(q), FUZZY_SCORE)),
        ));
    }
    if as_prefix && word.chars().count() >= MIN_PREFIX_CHARS {
        let term = Term::from_field_text(f.names, word);
        let q = FuzzyTermQuery::new_prefix(term, 0, true);
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(q), PREFIX_SCORE)),
        ));
    }
    let text: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
    match category {
        Some(segments) => Box::new(CategoryOrQuery {
            word: word.to_string(),
            score: CATEGORY_SCORE,
            text,
            segments: segments.clone(),
        }),
        None => text,
    }
}

/// How a word of the query relates to the index.
pub(crate) struct WordInfo {
    /// The word names a category.
    pub is_category: bool,
    /// Number of events whose names (title, performers, venue, city) contain the word exactly.
    pub names_df: u64,
}

/// The free-text part: every word must match (`require_all`) or at least one. A word that many
/// events' names contain exactly is taken as typed: no fuzzy variants are looked for.
pub(crate) fn text_query(
    f: &Fields,
    t: &TextQuery,
    require_all: bool,
    info: &dyn Fn(&str) -> WordInfo,
    segments: &Arc<SegmentCache>,
) -> Box<dyn Query> {
    let last = t.words.len().saturating_sub(1);
    let group = |i: usize| {
        let word = &t.words[i];
        let info = info(word);
        let category = info.is_category.then_some(segments);
        let fuzzy = info.names_df < FUZZY_SKIP_DF;
        word_query(f, word, t.last_is_prefix && i == last, fuzzy, category)
    };
    if t.words.len() == 1 {
        return group(0);
    }
    let occur = if require_all {
        Occur::Must
    } else {
        Occur::Should
    };
    let groups = (0..t.words.len()).map(|i| (occur, group(i))).collect();
    Box::new(BooleanQuery::new(groups))
}

fn filter(q: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

fn term_query(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// Matches an entity given either as a decimal id or as a name.
fn id_or_name(id_field: Field, key_field: Field, value: &str) -> Box<dyn Query> {
    let name = term_query(key_field, &text::key(value));
    match value.trim().parse::<i64>() {
        Ok(id) => {
            let by_id = Box::new(TermQuery::new(
                Term::from_field_i64(id_field, id),
                IndexRecordOption::Basic,
            ));
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, by_id),
                (Occur::Should, name),
            ]))
        }
        Err(_) => name,
    }
}

/// Candidate cells for a radius search: the cells of the finest grid level that covers the
/// bounding box with at most [`MAX_GEO_CELLS`] cells. `None` when no level fits (huge radius,
/// poles, antimeridian): the collector's exact check then does all the work.
fn geo_cells(f: &Fields, g: &GeoFilter, radius_km: f64) -> Option<Box<dyn Query>> {
    let bbox = BoundingBox::around(g, radius_km);
    let (min_lon, max_lon) = bbox.lon?;
    for level in 0..GEO_LEVELS.len() {
        let (y0, x0) = geo_cell_index(level, bbox.min_lat, min_lon);
        let (y1, x1) = geo_cell_index(level, bbox.max_lat, max_lon);
        let count = (y1 - y0 + 1) * (x1 - x0 + 1);
        if count <= MAX_GEO_CELLS {
            let mut cells: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for y in y0..=y1 {
                for x in x0..=x1 {
                    cells.push((
                        Occur::Should,
                        term_query(f.geo_cell, &geo_cell(level, y, x)),
                    ));
                }
            }
            return Some(Box::new(BooleanQuery::new(cells)));
        }
    }
    None
}

/// An upper bound of the number of documents a filter matches: the sum of its terms' document
/// frequencies.
fn estimate(q: &dyn Query, searcher: &Searcher) -> u64 {
    let mut total = 0u64;
    q.query_terms(&mut |term, _| {
        total = total.saturating_add(searcher.doc_freq(term).unwrap_or(u64::MAX));
    });
    total
}

/// Checks the request for values that cannot mean anything.
pub(crate) fn validate(q: &SearchQuery) -> Result<(), SearchError> {
    let bad = |m: &str| Err(SearchError::InvalidQuery(m.to_string()));
    if let (Some(a), Some(b)) = (q.from_ms, q.to_ms) {
        if a > b {
            return bad("from_ms is after to_ms");
        }
    }
    if let (Some(a), Some(b)) = (q.min_price, q.max_price) {
        if a > b {
            return bad("min_price is above max_price");
        }
    }
    if let Some(g) = &q.near {
        if !(g.lat.is_finite() && (-90.0..=90.0).contains(&g.lat)) {
            return bad("near.lat must be within [-90, 90]");
        }
        if !(g.lon.is_finite() && (-180.0..=180.0).contains(&g.lon)) {
            return bad("near.lon must be within [-180, 180]");
        }
        if let Some(r) = g.radius_km {
            if !(r.is_finite() && r >= 0.0) {
                return bad("near.radius_km must be a non-negative number");
            }
        }
    }
    if q.sort == super::SortOrder::Distance && q.near.is_none() {
        return bad("sort=distance requires near (lat/lon)");
    }
    Ok(())
}

/// Non-scoring filter clauses for the filters that have an index: city, category, performer,
/// venue, geo cells and show buckets. Dates, prices and the exact radius are checked by the
/// collector on columns.
pub(crate) fn filters(
    f: &Fields,
    q: &SearchQuery,
    has_text: bool,
    searcher: &Searcher,
) -> Vec<(Occur, Box<dyn Query>)> {
    let mut out = Vec::new();
    if let Some(city) = non_blank(&q.city) {
        out.push(filter(term_query(f.city_k, &text::key(city))));
    }
    if let Some(category) = non_blank(&q.category) {
        out.push(filter(term_query(f.category_k, &category_key(category))));
    }
    if let Some(p) = non_blank(&q.performer) {
        out.push(filter(id_or_name(f.performer_id, f.performer_k, p)));
    }
    if let Some(v) = non_blank(&q.venue) {
        out.push(filter(id_or_name(f.venue_id, f.venue_k, v)));
    }
    if let Some(g) = &q.near {
        if let Some(cells) = g.radius_km.and_then(|r| geo_cells(f, g, r)) {
            out.push(filter(cells));
        }
    }
    // Show buckets find the candidates of a date range, unless something else finds fewer:
    // a union of many day buckets is walked in full by tantivy, while the collector checks a
    // few candidates cheaply. Text queries are assumed to be selective enough.
    if !has_text {
        if let (Some(from), Some(to)) = (q.from_ms, q.to_ms) {
            if let Some(buckets) = show_buckets(f, from, to) {
                let others = out
                    .iter()
                    .map(|(_, q)| estimate(q.as_ref(), searcher))
                    .min()
                    .unwrap_or(u64::MAX);
                if estimate(buckets.as_ref(), searcher) < others {
                    out.push(filter(buckets));
                }
            }
        }
    }
    out
}

fn non_blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

/// Combines the text query (if any) with the filters.
pub(crate) fn combine(
    text: Option<Box<dyn Query>>,
    filters: Vec<(Occur, Box<dyn Query>)>,
) -> Box<dyn Query> {
    let mut clauses = Vec::with_capacity(filters.len() + 1);
    if let Some(t) = text {
        clauses.push((Occur::Must, t));
    }
    clauses.extend(filters);
    match clauses.len() {
        0 => Box::new(AllQuery),
        1 => match clauses.pop() {
            Some((_, q)) => q,
            None => Box::new(AllQuery),
        },
        _ => Box::new(BooleanQuery::new(clauses)),
    }
}

/// Candidates for "a show in `[from, to]`": the day buckets at the edges and the 30-day buckets
/// in between. `None` when the range is too wide to be worth it (the collector checks anyway).
fn show_buckets(f: &Fields, from: i64, to: i64) -> Option<Box<dyn Query>> {
    let (d0, d1) = (day_of(from), day_of(to));
    if d1 < d0 || d1 - d0 > MAX_BUCKET_DAYS {
        return None;
    }
    let mut terms = Vec::new();
    // Whole months inside [d0, d1].
    let m0 = (d0 + MONTH_DAYS - 1).div_euclid(MONTH_DAYS);
    let m1 = (d1 + 1).div_euclid(MONTH_DAYS) - 1;
    if d1 - d0 < 2 * MONTH_DAYS || m1 < m0 {
        terms.extend((d0..=d1).map(day_bucket));
    } else {
        terms.extend((d0..m0 * MONTH_DAYS).map(day_bucket));
        terms.extend((m0..=m1).map(month_bucket));
        terms.extend(((m1 + 1) * MONTH_DAYS..=d1).map(day_bucket));
    }
    let clauses = terms
        .iter()
        .map(|t| (Occur::Should, term_query(f.show_bucket, t)))
        .collect();
    Some(Box::new(BooleanQuery::new(clauses)))
}

/// A lat/lon box containing every point within a radius of a centre.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BoundingBox {
    pub min_lat: f64,
    pub max_lat: f64,
    /// `None` when the box covers all longitudes (near a pole or across the antimeridian).
    pub lon: Option<(f64, f64)>,
}

impl BoundingBox {
    pub fn around(g: &GeoFilter, radius_km: f64) -> BoundingBox {
        // Slightly generous so that rounding never excludes a point on the circle.
        let dlat = radius_km / KM_PER_DEGREE * 1.001 + 1e-9;
        let min_lat = (g.lat - dlat).max(-90.0);
        let max_lat = (g.lat + dlat).min(90.0);
        let widest = min_lat.abs().max(max_lat.abs());
        let lon = if widest >= 89.0 {
            None
        } else {
            let dlon = dlat / widest.to_radians().cos();
            if dlon >= 180.0 || g.lon - dlon < -180.0 || g.lon + dlon > 180.0 {
                None
            } else {
                Some((g.lon - dlon, g.lon + dlon))
            }
        };
        BoundingBox {
            min_lat,
            max_lat,
            lon,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounding_box_contains_circle() {
        let g = GeoFilter {
            lat: 60.0,
            lon: 10.0,
            radius_km: Some(100.0),
        };
        let b = BoundingBox::around(&g, 100.0);
        for i in 0..360 {
            let bearing = (i as f64).to_radians();
            // Walk roughly 99.9 km along each bearing on a sphere.
            let d = 99.9 / EARTH_RADIUS_KM;
            let (lat1, lon1) = (g.lat.to_radians(), g.lon.to_radians());
            let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * bearing.cos()).asin();
            let lon2 = lon1
                + (bearing.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
            let (lat2, lon2) = (lat2.to_degrees(), lon2.to_degrees());
            assert!(lat2 >= b.min_lat && lat2 <= b.max_lat);
            let (lo, hi) = b.lon.unwrap_or((-180.0, 180.0));
            assert!(lon2 >= lo && lon2 <= hi, "{lon2} not in {lo}..{hi}");
        }
    }

    #[test]
    fn text_query_parsing() {
        let t = TextQuery::parse("The Zauberflöte ").unwrap_or_else(|| panic!("no words"));
        assert_eq!(t.words, vec!["zauberflote"]);
        assert!(!t.last_is_prefix);
        let t = TextQuery::parse("opera the").unwrap_or_else(|| panic!("no words"));
        assert_eq!(t.words, vec!["opera", "the"]);
        assert!(t.last_is_prefix);
        assert!(TextQuery::parse(" -- ").is_none());
        let t = TextQuery::parse("the").unwrap_or_else(|| panic!("no words"));
        assert_eq!(t.words, vec!["the"]);
    }
}
