//! One-pass collection of a search: exact total, facet counts and the top `offset + limit`
//! candidates by the requested sort, all from fast fields.
//!
//! The collector also applies the filters that are cheaper on columns than as queries: the
//! date range (any show in range; `first_show`/`last_show` settle most documents without reading
//! the multi-valued `shows` column), the price overlap, and the exact geo radius (haversine) that
//! the query only approximates with grid cells. That is why the total and the facets are
//! computed here and not with tantivy's `Count`/aggregation collectors. For the date sort,
//! `first_show` is the next show whenever it is not in the past, and otherwise a lower bound used
//! to skip documents that cannot enter the page. Unscored blocks of documents read their
//! columns in batches.
//!
//! It deliberately does not fetch anything for display: `index.rs` reads the few fields of the
//! final page afterwards.

use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::Weight;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::geo::haversine_km;
use super::schema::NO_FIRST_SHOW;
use super::segment::{next_show, SegmentCache, SegmentData};
use super::GeoFilter;

/// What the page is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortKey {
    Score,
    NextShow,
    Distance,
}

#[derive(Debug, Clone)]
pub(crate) struct EventCollector {
    pub sort: SortKey,
    /// Number of candidates to keep (offset + limit).
    pub k: usize,
    pub now_ms: i64,
    pub geo: Option<GeoFilter>,
    /// Some show must start in `[from, to]`.
    pub dates: Option<(i64, i64)>,
    /// `[min_price, max_price]` must overlap `[lo, hi]`.
    pub price: Option<(i64, i64)>,
    /// Count facets (off when the caller already knows them, e.g. for match-all).
    pub count_facets: bool,
    pub segments: Arc<SegmentCache>,
}

/// A document that made it into the top `k`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    /// Smaller is better.
    key: u64,
    pub event_id: i64,
    pub segment: SegmentOrdinal,
    pub doc: DocId,
    pub score: Score,
    pub distance_km: Option<f64>,
    /// Only known when sorting by date; computed for the page otherwise.
    pub next_show: Option<i64>,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.key, self.event_id).cmp(&(other.key, other.event_id))
    }
}

/// Maps an `f64` to a `u64` with the same order.
fn f64_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

fn i64_key(v: i64) -> u64 {
    (v as u64) ^ (1 << 63)
}

/// Higher scores first.
fn score_key(s: Score) -> u64 {
    u64::MAX - f64_key(f64::from(s))
}

/// Everything a segment contributes.
pub(crate) struct SegmentFruit {
    data: Arc<SegmentData>,
    total: u64,
    category_counts: Vec<u32>,
    city_counts: Vec<u32>,
    top: Vec<Candidate>,
}

/// The merged result.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub total: u64,
    pub category: BTreeMap<String, u64>,
    pub city: BTreeMap<String, u64>,
    /// Best first.
    pub top: Vec<Candidate>,
}

pub(crate) struct EventSegmentCollector {
    plan: EventCollector,
    /// Date sort and no filter left to the collector.
    plain_date_sort: bool,
    segment: SegmentOrdinal,
    data: Arc<SegmentData>,
    category_counts: Vec<u32>,
    city_counts: Vec<u32>,
    total: u64,
    heap: BinaryHeap<Candidate>,
    /// Taken out while a block is processed.
    buffers: Option<Box<Buffers>>,
}

const BLOCK: usize = tantivy::COLLECT_BLOCK_BUFFER_LEN;
/// A lower bound of the length of one degree of latitude, in km.
const KM_PER_DEGREE_LAT: f64 = 110.5;

/// Scratch space for reading columns a block of documents at a time.
struct Buffers {
    category: [Option<u64>; BLOCK],
    city: [Option<u64>; BLOCK],
    first_show: [Option<i64>; BLOCK],
    last_show: [Option<i64>; BLOCK],
    lat: [Option<f64>; BLOCK],
    lon: [Option<f64>; BLOCK],
}

/// Column values already read for a document.
#[derive(Clone, Copy)]
struct Prefetched {
    category: Option<u64>,
    city: Option<u64>,
    first_show: Option<i64>,
    /// Only read when there is a geo condition.
    lat_lon: Option<(Option<f64>, Option<f64>)>,
}

impl EventSegmentCollector {
    /// Whether `doc` has a show in `[from, to]`.
    #[inline]
    fn has_show_in(&self, doc: DocId, first: i64, from: i64, to: i64) -> bool {
        if first > to {
            return false;
        }
        if first >= from {
            return true;
        }
        let last = self.data.last_show.first(doc).unwrap_or(i64::MIN);
        if last < from {
            return false;
        }
        if last <= to {
            return true;
        }
        self.data
            .shows
            .values_for_doc(doc)
            .any(|s| s >= from && s <= to)
    }

    /// Key of the worst candidate kept, when the heap is full.
    #[inline]
    fn threshold(&self) -> Option<u64> {
        if self.heap.len() >= self.plan.k {
            Some(self.heap.peek().map_or(0, |c| c.key))
        } else {
            None
        }
    }
}

impl EventSegmentCollector {
    fn consider(&mut self, doc: DocId, score: Score, pre: Option<Prefetched>) {
        let first = match pre {
            Some(p) => p.first_show,
            None => self.data.first_show.first(doc),
        }
        .unwrap_or(NO_FIRST_SHOW);
        if let Some((from, to)) = self.plan.dates {
            if !self.has_show_in(doc, first, from, to) {
                return;
            }
        }
        if let Some((lo, hi)) = self.plan.price {
            let ok = match (
                self.data.min_price.first(doc),
                self.data.max_price.first(doc),
            ) {
                (Some(min), Some(max)) => min <= hi && max >= lo,
                _ => false,
            };
            if !ok {
                return;
            }
        }
        let mut distance_km = None;
        if let Some(g) = &self.plan.geo {
            let lat_lon = match pre.and_then(|p| p.lat_lon) {
                Some(ll) => ll,
                None => (self.data.lat.first(doc), self.data.lon.first(doc)),
            };
            match lat_lon {
                (Some(lat), Some(lon)) => {
                    // One degree of latitude is ~111 km everywhere: a cheap rejection first.
                    if g.radius_km
                        .is_some_and(|r| (lat - g.lat).abs() * KM_PER_DEGREE_LAT > r)
                    {
                        return;
                    }
                    let d = haversine_km(g.lat, g.lon, lat, lon);
                    if g.radius_km.is_some_and(|r| d > r) {
                        return;
                    }
                    distance_km = Some(d);
                }
                _ if g.radius_km.is_some() => return,
                _ => {}
            }
        }
        self.total += 1;
        if self.plan.count_facets {
            let (category, city) = match pre {
                Some(p) => (p.category, p.city),
                None => (
                    self.data.category.ords().first(doc),
                    self.data.city.ords().first(doc),
                ),
            };
            if let Some(c) = category.and_then(|o| self.category_counts.get_mut(o as usize)) {
                *c += 1;
            }
            if let Some(c) = city.and_then(|o| self.city_counts.get_mut(o as usize)) {
                *c += 1;
            }
        }
        self.rank(doc, score, first, distance_km);
    }

    /// Offers a matching document to the top-`k` heap.
    #[inline]
    fn rank(&mut self, doc: DocId, score: Score, first: i64, distance_km: Option<f64>) {
        if self.plan.k == 0 {
            return;
        }
        let threshold = self.threshold();
        let mut next = None;
        let key = match self.plan.sort {
            SortKey::Score => score_key(score),
            SortKey::Distance => f64_key(distance_km.unwrap_or(f64::INFINITY)),
            SortKey::NextShow => {
                let now = self.plan.now_ms;
                if first >= now {
                    next = (first != NO_FIRST_SHOW).then_some(first);
                } else {
                    // The next show, if any, is at or after `now`.
                    if threshold.is_some_and(|t| i64_key(now) > t) {
                        return;
                    }
                    let last = self.data.last_show.first(doc).unwrap_or(i64::MIN);
                    if last >= now {
                        next = next_show(&self.data.shows, doc, now);
                    }
                }
                next.map_or(u64::MAX, i64_key)
            }
        };
        if threshold.is_some_and(|t| key > t) {
            return;
        }
        let event_id = self.data.event_id.first(doc).unwrap_or(0);
        let candidate = Candidate {
            key,
            event_id,
            segment: self.segment,
            doc,
            score,
            distance_km,
            next_show: next,
        };
        if threshold.is_some() {
            if let Some(worst) = self.heap.peek() {
                if candidate >= *worst {
                    return;
                }
            }
            self.heap.pop();
        }
        self.heap.push(candidate);
    }
}

impl SegmentCollector for EventSegmentCollector {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.consider(doc, score, None);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for chunk in docs.chunks(BLOCK) {
            let n = chunk.len();
            let Some(mut b) = self.buffers.take() else {
                for &doc in chunk {
                    self.consider(doc, 0.0, None);
                }
                continue;
            };
            b.first_show[..n].fill(None);
            self.data
                .first_show
                .first_vals(chunk, &mut b.first_show[..n]);
            if self.plain_date_sort {
                // By date with nothing left to filter: every document matches and most are
                // rejected by their first show alone.
                self.total += n as u64;
                if self.plan.count_facets {
                    b.category[..n].fill(None);
                    b.city[..n].fill(None);
                    self.data
                        .category
                        .ords()
                        .first_vals(chunk, &mut b.category[..n]);
                    self.data.city.ords().first_vals(chunk, &mut b.city[..n]);
                    for ord in b.category[..n].iter().flatten() {
                        if let Some(c) = self.category_counts.get_mut(*ord as usize) {
                            *c += 1;
                        }
                    }
                    for ord in b.city[..n].iter().flatten() {
                        if let Some(c) = self.city_counts.get_mut(*ord as usize) {
                            *c += 1;
                        }
                    }
                }
                b.last_show[..n].fill(None);
                self.data.last_show.first_vals(chunk, &mut b.last_show[..n]);
                let now = self.plan.now_ms;
                let mut threshold = self.threshold();
                for (i, &doc) in chunk.iter().enumerate() {
                    let first = b.first_show[i].unwrap_or(NO_FIRST_SHOW);
                    let skip = match threshold {
                        None => false,
                        // The first show is the next one.
                        Some(t) if first >= now => i64_key(first) > t,
                        // All shows are past: no next show, ranked after every upcoming one.
                        Some(t) if b.last_show[i].unwrap_or(i64::MIN) < now => t < u64::MAX,
                        Some(_) => false,
                    };
                    if skip {
                        continue;
                    }
                    self.rank(doc, 0.0, first, None);
                    threshold = self.threshold();
                }
                self.buffers = Some(b);
                continue;
            }
            if self.plan.count_facets {
                b.category[..n].fill(None);
                b.city[..n].fill(None);
                self.data
                    .category
                    .ords()
                    .first_vals(chunk, &mut b.category[..n]);
                self.data.city.ords().first_vals(chunk, &mut b.city[..n]);
            }
            let geo = self.plan.geo.is_some();
            if geo {
                b.lat[..n].fill(None);
                b.lon[..n].fill(None);
                self.data.lat.first_vals(chunk, &mut b.lat[..n]);
                self.data.lon.first_vals(chunk, &mut b.lon[..n]);
            }
            for (i, &doc) in chunk.iter().enumerate() {
                let pre = Prefetched {
                    category: b.category[i],
                    city: b.city[i],
                    first_show: b.first_show[i],
                    lat_lon: geo.then(|| (b.lat[i], b.lon[i])),
                };
                self.consider(doc, 0.0, Some(pre));
            }
            self.buffers = Some(b);
        }
    }

    fn harvest(self) -> SegmentFruit {
        SegmentFruit {
            data: self.data,
            total: self.total,
            category_counts: self.category_counts,
            city_counts: self.city_counts,
            top: self.heap.into_vec(),
        }
    }
}

pub(crate) fn add_counts(into: &mut BTreeMap<String, u64>, names: &[String], counts: &[u32]) {
    for (name, &n) in names.iter().zip(counts).filter(|(_, &n)| n > 0) {
        match into.get_mut(name) {
            Some(v) => *v += u64::from(n),
            None => {
                into.insert(name.clone(), u64::from(n));
            }
        }
    }
}

impl Collector for EventCollector {
    type Fruit = Collected;
    type Child = EventSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<EventSegmentCollector> {
        let data = self.segments.get(reader)?;
        let (categories, cities) = if self.count_facets {
            (data.category.num_terms(), data.city.num_terms())
        } else {
            (0, 0)
        };
        Ok(EventSegmentCollector {
            plain_date_sort: self.sort == SortKey::NextShow
                && self.dates.is_none()
                && self.price.is_none()
                && self.geo.is_none(),
            plan: self.clone(),
            segment,
            data,
            category_counts: vec![0; categories],
            city_counts: vec![0; cities],
            total: 0,
            heap: BinaryHeap::with_capacity(self.k.min(1024) + 1),
            buffers: Some(Box::new(Buffers {
                category: [None; BLOCK],
                city: [None; BLOCK],
                first_show: [None; BLOCK],
                last_show: [None; BLOCK],
                lat: [None; BLOCK],
                lon: [None; BLOCK],
            })),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == SortKey::Score
    }

    /// Like the default, but unscored documents always go through `collect_block` (also when
    /// the segment has deletes) so their columns are read in batches.
    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFruit> {
        let mut collector = self.for_segment(segment_ord, reader)?;
        let alive = reader.alive_bitset();
        if self.requires_scoring() {
            weight.for_each(reader, &mut |doc, score| {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    collector.collect(doc, score);
                }
            })?;
        } else {
            let mut live = Vec::with_capacity(BLOCK);
            weight.for_each_no_score(reader, &mut |docs| match alive {
                None => collector.collect_block(docs),
                Some(a) => {
                    live.clear();
                    live.extend(docs.iter().copied().filter(|&d| a.is_alive(d)));
                    collector.collect_block(&live);
                }
            })?;
        }
        Ok(collector.harvest())
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<Collected> {
        let mut out = Collected::default();
        let mut top = Vec::new();
        for fruit in fruits {
            out.total += fruit.total;
            if fruit.category_counts.iter().any(|&c| c > 0) {
                let names = fruit.data.category_names()?;
                add_counts(&mut out.category, &names, &fruit.category_counts);
            }
            if fruit.city_counts.iter().any(|&c| c > 0) {
                let names = fruit.data.city_names()?;
                add_counts(&mut out.city, &names, &fruit.city_counts);
            }
            top.extend(fruit.top);
        }
        top.sort_unstable();
        top.truncate(self.k);
        out.top = top;
        Ok(out)
    }
}

/// Most documents whose first show is past that are examined for a later show before giving up
/// on [`browse_by_date`] (long-running shows make this set large).
const MAX_STRADDLING: usize = 50_000;

/// The `k` live documents with the earliest next show, for a query without any condition,
/// using each segment's [`ShowOrder`] instead of visiting every document. `None` when this does
/// not pay off or cannot fill the page (fewer than `k` upcoming events): the caller then runs
/// the ordinary collector.
pub(crate) fn browse_by_date(
    searcher: &tantivy::Searcher,
    segments: &SegmentCache,
    k: usize,
    now: i64,
) -> tantivy::Result<Option<Vec<Candidate>>> {
    let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(k + 1);
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let data = segments.get(reader)?;
        let order = data.show_order(reader.max_doc());
        let alive = reader.alive_bitset();
        let is_alive = |doc: DocId| alive.is_none_or(|a| a.is_alive(doc));
        let offer = |best: &mut BinaryHeap<Candidate>, doc: DocId, next: i64| {
            let candidate = Candidate {
                key: i64_key(next),
                event_id: data.event_id.first(doc).unwrap_or(0),
                segment: ord as SegmentOrdinal,
                doc,
                score: 0.0,
                distance_km: None,
                next_show: Some(next),
            };
            if best.len() < k {
                best.push(candidate);
            } else if best.peek().is_some_and(|worst| candidate < *worst) {
                best.pop();
                best.push(candidate);
            }
        };
        let by_first = &order.by_first;
        let upcoming = by_first.partition_point(|(first, _, _)| *first < now);
        let straddling =
            by_first.partition_point(|(first, _, _)| *first < now.saturating_sub(order.max_span));
        if upcoming - straddling > MAX_STRADDLING {
            return Ok(None);
        }
        // Shows started before now but may continue after it.
        for &(_, last, doc) in &by_first[straddling..upcoming] {
            if last < now || !is_alive(doc) {
                continue;
            }
            if let Some(next) = next_show(&data.shows, doc, now) {
                offer(&mut best, doc, next);
            }
        }
        // First show upcoming: already in order; stop past the current k-th best.
        for &(first, _, doc) in &by_first[upcoming..] {
            if best.len() >= k && best.peek().is_some_and(|worst| i64_key(first) > worst.key) {
                break;
            }
            if is_alive(doc) {
                offer(&mut best, doc, first);
            }
        }
    }
    if best.len() < k {
        return Ok(None);
    }
    let mut top = best.into_vec();
    top.sort_unstable();
    Ok(Some(top))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_preserve_order() {
        let floats = [-1e9, -2.5, -0.0, 0.0, 1e-9, 3.0, 1e12, f64::INFINITY];
        for w in floats.windows(2) {
            assert!(f64_key(w[0]) <= f64_key(w[1]), "{w:?}");
        }
        let ints = [i64::MIN, -5, 0, 7, i64::MAX];
        for w in ints.windows(2) {
            assert!(i64_key(w[0]) < i64_key(w[1]));
        }
        assert!(score_key(10.0) < score_key(1.0));
        assert!(score_key(0.5) < score_key(0.0));
    }
}
