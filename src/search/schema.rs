//! The tantivy schema for events and the mapping from [`EventDoc`] to a tantivy document.
//!
//! Text fields are indexed with the folding analyzer (see `text.rs`) with term frequencies but
//! no positions: queries are bags of words, never phrases, and positions would double the
//! postings size. Everything used for filtering, sorting, faceting and autocomplete is a fast
//! (columnar) field; the text shown in a hit (title, venue, city, category, currency) is also
//! stored, because reading a page of stored documents is cheaper than decoding column
//! dictionaries. Two keyword fields exist only to find candidates quickly: grid cells of the
//! venue (geo radius) and day/30-day buckets of the shows (date ranges).
//!
//! It deliberately does not store the original document: the index is derived state and the
//! database stays the source of truth for anything beyond a search hit.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::TantivyDocument;

use super::text::{self, FOLD_TOKENIZER};
use super::EventDoc;

/// Bump when the schema or the meaning of a field changes: an index with another version is
/// wiped and rebuilt on open.
pub(crate) const SCHEMA_VERSION: u32 = 5;

/// Separates the id from the name in the `performer_f` column.
pub(crate) const ID_SEP: char = '\u{1f}';

/// Field names used with fast-field (column) readers.
pub(crate) mod col {
    pub const EVENT_ID: &str = "event_id";
    pub const TITLE: &str = "title";
    pub const VENUE: &str = "venue";
    pub const VENUE_ID: &str = "venue_id";
    pub const CITY: &str = "city";
    pub const CATEGORY: &str = "category_k";
    pub const PERFORMER: &str = "performer_f";
    pub const LAT: &str = "lat";
    pub const LON: &str = "lon";
    pub const SHOWS: &str = "shows";
    pub const FIRST_SHOW: &str = "first_show";
    pub const LAST_SHOW: &str = "last_show";
    pub const MIN_PRICE: &str = "min_price";
    pub const MAX_PRICE: &str = "max_price";
    pub const CURRENCY: &str = "currency";
}

/// Sentinels for events without shows, so `first_show`/`last_show` always have a value.
pub(crate) const NO_FIRST_SHOW: i64 = i64::MAX;
pub(crate) const NO_LAST_SHOW: i64 = i64::MIN;

#[derive(Clone, Debug)]
pub(crate) struct Fields {
    pub event_id: Field,
    // Free-text fields (folded, with term frequencies).
    pub title: Field,
    pub performers: Field,
    pub venue: Field,
    pub city: Field,
    pub description: Field,
    /// Title, performers, venue and city together, without scoring data: the target of the
    /// fuzzy and prefix clauses, so a word costs one automaton instead of one per field.
    pub names: Field,
    // Keyword fields holding folded keys, for exact filters.
    pub category_k: Field,
    pub city_k: Field,
    pub venue_k: Field,
    pub performer_k: Field,
    pub performer_id: Field,
    pub venue_id: Field,
    /// Grid cells containing the venue at every level of [`GEO_LEVELS`].
    pub geo_cell: Field,
    /// Day and 30-day buckets of the shows, to find candidates for a date range.
    pub show_bucket: Field,
    // Columns only.
    pub performer_f: Field,
    pub lat: Field,
    pub lon: Field,
    pub shows: Field,
    pub first_show: Field,
    pub last_show: Field,
    pub min_price: Field,
    pub max_price: Field,
    pub currency: Field,
}

pub(crate) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Text shown in hits is also stored: reading a few stored documents is cheaper than
    // decoding (zstd-compressed) column dictionaries.
    let folded = |fast_and_stored: bool| {
        let opts = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(FOLD_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        if fast_and_stored {
            opts.set_fast(None).set_stored()
        } else {
            opts
        }
    };
    // Words matched without scoring data (constant score).
    let folded_basic = || {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(FOLD_TOKENIZER)
                .set_fieldnorms(false)
                .set_index_option(IndexRecordOption::Basic),
        )
    };
    let keyword = |fast: bool| {
        let opts = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_fieldnorms(false)
                .set_index_option(IndexRecordOption::Basic),
        );
        if fast {
            opts.set_fast(None)
        } else {
            opts
        }
    };
    let column_only = || TextOptions::default().set_fast(None);
    let num_fast = || NumericOptions::default().set_fast();
    let num_indexed_fast = || NumericOptions::default().set_indexed().set_fast();

    let fields = Fields {
        event_id: b.add_i64_field(col::EVENT_ID, num_indexed_fast()),
        title: b.add_text_field(col::TITLE, folded(true)),
        performers: b.add_text_field("performers", folded(false)),
        venue: b.add_text_field(col::VENUE, folded(true)),
        city: b.add_text_field(col::CITY, folded(true)),
        description: b.add_text_field("description", folded(false)),
        names: b.add_text_field("names", folded_basic()),
        category_k: b.add_text_field(col::CATEGORY, keyword(true).set_stored()),
        city_k: b.add_text_field("city_k", keyword(false)),
        venue_k: b.add_text_field("venue_k", keyword(false)),
        performer_k: b.add_text_field("performer_k", keyword(false)),
        performer_id: b.add_i64_field("performer_id", NumericOptions::default().set_indexed()),
        venue_id: b.add_i64_field(col::VENUE_ID, num_indexed_fast()),
        geo_cell: b.add_text_field("geo_cell", keyword(false)),
        show_bucket: b.add_text_field("show_bucket", keyword(false)),
        performer_f: b.add_text_field(col::PERFORMER, column_only()),
        lat: b.add_f64_field(col::LAT, num_fast()),
        lon: b.add_f64_field(col::LON, num_fast()),
        shows: b.add_i64_field(col::SHOWS, num_fast()),
        first_show: b.add_i64_field(col::FIRST_SHOW, num_fast()),
        last_show: b.add_i64_field(col::LAST_SHOW, num_fast()),
        min_price: b.add_i64_field(col::MIN_PRICE, num_fast()),
        max_price: b.add_i64_field(col::MAX_PRICE, num_fast()),
        currency: b.add_text_field(col::CURRENCY, TextOptions::default().set_stored()),
    };
    (b.build(), fields)
}

/// Grid sizes in degrees used for geo candidate cells, finest first.
pub(crate) const GEO_LEVELS: [f64; 5] = [0.05, 0.2, 1.0, 4.0, 16.0];

/// The cell of `(lat, lon)` at `level`, as indexed in `geo_cell`.
pub(crate) fn geo_cell(level: usize, lat_idx: i64, lon_idx: i64) -> String {
    format!("{level}:{lat_idx}:{lon_idx}")
}

/// Row and column of the cell containing `(lat, lon)` at `level`.
pub(crate) fn geo_cell_index(level: usize, lat: f64, lon: f64) -> (i64, i64) {
    let size = GEO_LEVELS[level];
    (
        ((lat + 90.0) / size).floor() as i64,
        ((lon + 180.0) / size).floor() as i64,
    )
}

const DAY_MS: i64 = 86_400_000;
/// Days per coarse show bucket.
pub(crate) const MONTH_DAYS: i64 = 30;

/// Day number (since the epoch) of a unix-millisecond instant.
pub(crate) fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

pub(crate) fn day_bucket(day: i64) -> String {
    format!("d{day}")
}

pub(crate) fn month_bucket(month: i64) -> String {
    format!("m{month}")
}

/// Keyword form of a category ("Concert " → "concert").
pub(crate) fn category_key(category: &str) -> String {
    text::key(category)
}

/// Encodes a performer for the `performer_f` column.
pub(crate) fn performer_entry(id: i64, name: &str) -> String {
    format!("{id}{ID_SEP}{name}")
}

/// Decodes a `performer_f` column value.
pub(crate) fn parse_performer_entry(entry: &str) -> Option<(i64, &str)> {
    let (id, name) = entry.split_once(ID_SEP)?;
    Some((id.parse().ok()?, name))
}

pub(crate) fn to_document(f: &Fields, e: &EventDoc) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    d.add_i64(f.event_id, e.event_id);
    let title = text::nfc(&e.title);
    d.add_text(f.title, &title);
    d.add_text(f.names, &title);
    for (id, name) in &e.performers {
        let name = text::nfc(name);
        d.add_text(f.performers, &name);
        d.add_text(f.names, &name);
        d.add_text(f.performer_k, text::key(&name));
        d.add_i64(f.performer_id, *id);
        d.add_text(f.performer_f, performer_entry(*id, &name));
    }
    let venue = text::nfc(&e.venue_name);
    d.add_text(f.venue, &venue);
    d.add_text(f.names, &venue);
    d.add_text(f.venue_k, text::key(&e.venue_name));
    d.add_i64(f.venue_id, e.venue_id);
    let city = text::nfc(&e.city);
    d.add_text(f.city, &city);
    d.add_text(f.names, &city);
    d.add_text(f.city_k, text::key(&e.city));
    d.add_text(f.category_k, category_key(&e.category));
    d.add_text(f.description, text::nfc(&e.description));
    d.add_f64(f.lat, e.lat);
    d.add_f64(f.lon, e.lon);
    if e.lat.is_finite() && e.lon.is_finite() {
        for level in 0..GEO_LEVELS.len() {
            let (y, x) = geo_cell_index(level, e.lat, e.lon);
            d.add_text(f.geo_cell, geo_cell(level, y, x));
        }
    }
    let mut shows = e.show_starts.clone();
    shows.sort_unstable();
    shows.dedup();
    let mut buckets = Vec::new();
    for s in &shows {
        d.add_i64(f.shows, *s);
        let day = day_of(*s);
        buckets.push(day_bucket(day));
        buckets.push(month_bucket(day.div_euclid(MONTH_DAYS)));
    }
    buckets.sort_unstable();
    buckets.dedup();
    for b in buckets {
        d.add_text(f.show_bucket, b);
    }
    d.add_i64(
        f.first_show,
        shows.first().copied().unwrap_or(NO_FIRST_SHOW),
    );
    d.add_i64(f.last_show, shows.last().copied().unwrap_or(NO_LAST_SHOW));
    if let Some(p) = e.min_price.or(e.max_price) {
        d.add_i64(f.min_price, p);
    }
    if let Some(p) = e.max_price.or(e.min_price) {
        d.add_i64(f.max_price, p);
    }
    if let Some(c) = &e.currency {
        d.add_text(f.currency, c);
    }
    d
}
