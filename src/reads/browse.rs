//! The city list and the browse pages, answered from memory.
//!
//! [`Catalog`] holds every active event that has a scheduled show: its title, category, venue
//! and the start and prices of each scheduled show. Two ordered sets index it: every show by
//! start (`(start, event)`), and every event by its last show (`(last, event)`). Both are
//! kept in step by [`Catalog::upsert`] and [`Catalog::remove`], which the follower of the change
//! feed calls for each event a change touches (see `super::run`).
//!
//! - **The city list** counts, per city, the events whose last show is still to come. The
//!   counts are maintained: an event is counted while its last show is at or after the
//!   watermark, which [`Catalog::advance`] moves forward with the clock; a read subtracts
//!   the events whose last show fell between the watermark and now, so it is exact at the
//!   instant it is asked without recounting.
//! - **A browse page** walks the shows in start order from `from` and takes each event at its
//!   first show in the window, which is its next show, so the first `offset + per_page` events
//!   come out in order without looking at the rest. A city is small enough to rank its own
//!   events instead.
//!
//! Everything a page shows depends on `from` only through the set of shows starting at or after
//! it, so [`Catalog::normalise`] maps `from` to the first show start at or after it: the pages
//! for all the instants up to that start are the same page, and the cache in `super` keys on
//! it. The results are the same as the store's SQL (`store::ops::browse`), which the tests
//! compare them with after random catalog changes.

use crate::domain::catalog::{BrowseQuery, City, EventSummary, VenueRef, CATEGORIES};
use crate::domain::{rfc3339, EventId, UnixMs, VenueId};
use crate::store::{BrowseEntry, Page, Places};
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

/// A scheduled show: its start and its price range (`i64::MAX`/`i64::MIN` when it has no
/// prices, so folding with `min`/`max` needs no special case).
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: i64,
    min: i64,
    max: i64,
    currency: u16,
}

#[derive(Debug)]
struct Entry {
    title: Box<str>,
    category: u8,
    venue: i64,
    city: u32,
    /// By start.
    shows: Box<[Slot]>,
}

impl Entry {
    fn last(&self) -> i64 {
        self.shows.last().map_or(i64::MIN, |s| s.start)
    }

    /// The index of the first show at or after `from`.
    fn first_from(&self, from: i64) -> usize {
        self.shows.partition_point(|s| s.start < from)
    }
}

#[derive(Debug)]
struct CityInfo {
    name: String,
    country: String,
    /// Index into `Catalog::keys`.
    key: u32,
}

#[derive(Debug)]
struct VenueInfo {
    name: String,
    timezone: String,
    city: u32,
}

/// The in-memory browse index. See the module comment.
#[derive(Debug, Default)]
pub struct Catalog {
    cities: Vec<CityInfo>,
    city_index: HashMap<i64, u32>,
    /// Lower-cased city name → key index; `key_events[key]` the events of those cities.
    keys: HashMap<String, u32>,
    key_events: Vec<BTreeSet<i64>>,
    venues: HashMap<i64, VenueInfo>,
    currencies: Vec<Box<str>>,
    currency_index: HashMap<Box<str>, u16>,
    events: HashMap<i64, Entry>,
    /// `(start, event)` of every show in the index.
    starts: BTreeSet<(i64, i64)>,
    /// `(last show start, event)` of every event in the index, and per category.
    lasts: BTreeSet<(i64, i64)>,
    category_lasts: Vec<BTreeSet<(i64, i64)>>,
    /// Per city: its events whose last show starts at or after `watermark`.
    counted: Vec<i64>,
    watermark: i64,
}

fn category_index(category: &str) -> Option<u8> {
    CATEGORIES
        .iter()
        .position(|c| *c == category)
        .and_then(|i| u8::try_from(i).ok())
}

impl Catalog {
    pub fn new(now: UnixMs) -> Self {
        Self {
            watermark: now,
            category_lasts: vec![BTreeSet::new(); CATEGORIES.len()],
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn knows_venue(&self, venue: i64) -> bool {
        self.venues.contains_key(&venue)
    }

    /// Adds the cities and venues not known yet (neither is ever deleted) and takes the names
    /// of those known.
    pub fn set_places(&mut self, places: Places) {
        for (id, name, country, key) in places.cities {
            let next_key = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
            let key = *self.keys.entry(key).or_insert_with(|| {
                self.key_events.push(BTreeSet::new());
                next_key
            });
            match self.city_index.get(&id) {
                Some(&i) => {
                    let city = &mut self.cities[i as usize];
                    city.name = name;
                    city.country = country;
                }
                None => {
                    let i = u32::try_from(self.cities.len()).unwrap_or(u32::MAX);
                    self.cities.push(CityInfo { name, country, key });
                    self.counted.push(0);
                    self.city_index.insert(id, i);
                }
            }
        }
        for (id, name, timezone, city_id) in places.venues {
            if let Some(&city) = self.city_index.get(&city_id) {
                self.venues.insert(
                    id,
                    VenueInfo {
                        name,
                        timezone,
                        city,
                    },
                );
            }
        }
    }

    fn currency(&mut self, code: String) -> u16 {
        if let Some(&i) = self.currency_index.get(code.as_str()) {
            return i;
        }
        let i = u16::try_from(self.currencies.len()).unwrap_or(u16::MAX);
        let code: Box<str> = code.into_boxed_str();
        self.currencies.push(code.clone());
        self.currency_index.insert(code, i);
        i
    }

    /// Takes event `id` out of the index.
    pub fn remove(&mut self, id: i64) {
        let Some(entry) = self.events.remove(&id) else {
            return;
        };
        for show in entry.shows.iter() {
            self.starts.remove(&(show.start, id));
        }
        let last = entry.last();
        self.lasts.remove(&(last, id));
        self.category_lasts[entry.category as usize].remove(&(last, id));
        if last >= self.watermark {
            self.counted[entry.city as usize] -= 1;
        }
        let key = self.cities[entry.city as usize].key;
        self.key_events[key as usize].remove(&id);
    }

    /// Puts an event as the store has it now: an event without scheduled shows is not listed.
    /// An event at a venue not known yet is skipped (the caller loads the places first).
    pub fn upsert(&mut self, entry: BrowseEntry) {
        let id = entry.event_id;
        self.remove(id);
        let (Some(venue), Some(category)) = (
            self.venues.get(&entry.venue_id),
            category_index(&entry.category),
        ) else {
            return;
        };
        if entry.shows.is_empty() {
            return;
        }
        let city = venue.city;
        let mut shows: Vec<Slot> = entry
            .shows
            .into_iter()
            .map(|s| Slot {
                start: s.starts_at,
                min: s.min_price.unwrap_or(i64::MAX),
                max: s.max_price.unwrap_or(i64::MIN),
                currency: self.currency(s.currency),
            })
            .collect();
        shows.sort_by_key(|s| s.start);
        let entry = Entry {
            title: entry.title.into_boxed_str(),
            category,
            venue: entry.venue_id,
            city,
            shows: shows.into_boxed_slice(),
        };
        for show in entry.shows.iter() {
            self.starts.insert((show.start, id));
        }
        let last = entry.last();
        self.lasts.insert((last, id));
        self.category_lasts[entry.category as usize].insert((last, id));
        if last >= self.watermark {
            self.counted[city as usize] += 1;
        }
        let key = self.cities[city as usize].key;
        self.key_events[key as usize].insert(id);
        self.events.insert(id, entry);
    }

    /// Whether [`Catalog::advance`] to `now` would change anything (a last show has started
    /// since the watermark).
    pub fn needs_advance(&self, now: UnixMs) -> bool {
        self.lasts
            .range((self.watermark, i64::MIN)..(now, i64::MIN))
            .next()
            .is_some()
    }

    /// Moves the watermark to `now`: events whose last show has started stop being counted.
    pub fn advance(&mut self, now: UnixMs) {
        if now <= self.watermark {
            return;
        }
        let mut counted = std::mem::take(&mut self.counted);
        self.shift(&mut counted, self.watermark, now, -1);
        self.counted = counted;
        self.watermark = now;
    }

    /// Adds `by` to the count of each event whose last show starts in `[from, to)`.
    fn shift(&self, counts: &mut [i64], from: i64, to: i64, by: i64) {
        for &(_, id) in self.lasts.range((from, i64::MIN)..(to, i64::MIN)) {
            if let Some(entry) = self.events.get(&id) {
                counts[entry.city as usize] += by;
            }
        }
    }

    /// The first show start at or after `from` (`i64::MAX` when none): every page and count
    /// for `from` is the same as for it.
    pub fn normalise(&self, from: UnixMs) -> i64 {
        self.starts
            .range((from, i64::MIN)..)
            .next()
            .map_or(i64::MAX, |&(start, _)| start)
    }

    /// The first last-show start at or after `now` (`i64::MAX` when none): the city list is
    /// the same for every instant up to it.
    pub fn normalise_cities(&self, now: UnixMs) -> i64 {
        self.lasts
            .range((now, i64::MIN)..)
            .next()
            .map_or(i64::MAX, |&(last, _)| last)
    }

    /// Every city with its number of events with a show at or after `now`, by name and
    /// country.
    pub fn cities(&self, now: UnixMs) -> Vec<City> {
        let mut counts = self.counted.clone();
        if now > self.watermark {
            self.shift(&mut counts, self.watermark, now, -1);
        } else {
            self.shift(&mut counts, now, self.watermark, 1);
        }
        let mut cities: Vec<City> = self
            .cities
            .iter()
            .zip(counts)
            .map(|(city, event_count)| City {
                name: city.name.clone(),
                country: city.country.clone(),
                event_count,
            })
            .collect();
        cities.sort_by(|a, b| (&a.name, &a.country).cmp(&(&b.name, &b.country)));
        cities
    }

    /// One browse page, as `store::ops::browse::browse_events` answers it. `known_total` is the
    /// total when the caller has it already (from another page of the same query), so the
    /// count over every matching event is not made again.
    pub fn browse(&self, q: &BrowseQuery, known_total: Option<i64>) -> Page<EventSummary> {
        let empty = Page {
            items: Vec::new(),
            total: 0,
        };
        let category = match &q.category {
            Some(c) => match category_index(c) {
                Some(i) => Some(i),
                None => return empty,
            },
            None => None,
        };
        let to = q.to.unwrap_or(i64::MAX);
        if to <= q.from {
            return empty;
        }
        let offset = usize::try_from((q.page - 1).max(0) * q.per_page).unwrap_or(usize::MAX);
        let per_page = usize::try_from(q.per_page).unwrap_or(0);
        let wanted = |entry: &Entry| category.is_none_or(|c| entry.category == c);
        // The event's next show in the window, if it has one.
        let next_in_window = |entry: &Entry| {
            entry
                .shows
                .get(entry.first_from(q.from))
                .map(|s| s.start)
                .filter(|&start| start < to)
        };
        let (ids, total) = match &q.city {
            Some(city) => {
                let Some(&key) = self.keys.get(&city.to_lowercase()) else {
                    return empty;
                };
                let mut ranked: Vec<(i64, i64)> = self.key_events[key as usize]
                    .iter()
                    .filter_map(|id| {
                        let entry = self.events.get(id)?;
                        if !wanted(entry) {
                            return None;
                        }
                        Some((next_in_window(entry)?, *id))
                    })
                    .collect();
                let total = ranked.len();
                ranked.sort_unstable();
                let ids: Vec<i64> = ranked
                    .into_iter()
                    .skip(offset)
                    .take(per_page)
                    .map(|(_, id)| id)
                    .collect();
                (ids, total)
            }
            None => {
                // A show is an event's next one when it is its first at or after `from`.
                let firsts = self
                    .starts
                    .range((
                        Bound::Included((q.from, i64::MIN)),
                        Bound::Excluded((to, i64::MIN)),
                    ))
                    .filter(|(start, id)| {
                        self.events.get(id).is_some_and(|entry| {
                            wanted(entry) && next_in_window(entry) == Some(*start)
                        })
                    });
                let ids: Vec<i64> = firsts
                    .clone()
                    .skip(offset)
                    .take(per_page)
                    .map(|&(_, id)| id)
                    .collect();
                let total = if let Some(known) = known_total {
                    usize::try_from(known).unwrap_or(0)
                } else if q.to.is_none() {
                    // Every event with a show from `from` on: those whose last show is.
                    let lasts = match category {
                        Some(c) => &self.category_lasts[c as usize],
                        None => &self.lasts,
                    };
                    lasts.range((q.from, i64::MIN)..).count()
                } else {
                    firsts.count()
                };
                (ids, total)
            }
        };
        let items = ids
            .iter()
            .filter_map(|id| self.summary(*id, q.from, to))
            .collect();
        Page {
            items,
            total: i64::try_from(total).unwrap_or(i64::MAX),
        }
    }

    /// An event's browse line for the window `[from, to)`: its next show and the number of
    /// shows in the window; prices over every show from `from` on, as the store computes them.
    fn summary(&self, id: i64, from: i64, to: i64) -> Option<EventSummary> {
        let entry = self.events.get(&id)?;
        let venue = self.venues.get(&entry.venue)?;
        let city = self.cities.get(entry.city as usize)?;
        let onward = &entry.shows[entry.first_from(from)..];
        let in_window = &onward[..onward.partition_point(|s| s.start < to)];
        let next = in_window.first()?;
        let min = onward
            .iter()
            .map(|s| s.min)
            .min()
            .filter(|&m| m != i64::MAX);
        let max = onward
            .iter()
            .map(|s| s.max)
            .max()
            .filter(|&m| m != i64::MIN);
        let currency = in_window
            .iter()
            .filter_map(|s| self.currencies.get(s.currency as usize))
            .min()
            .map(|c| c.to_string());
        Some(EventSummary {
            id: EventId::new(id),
            title: entry.title.to_string(),
            category: CATEGORIES
                .get(entry.category as usize)
                .map_or_else(String::new, |c| (*c).to_owned()),
            venue: VenueRef {
                id: VenueId::new(entry.venue),
                name: venue.name.clone(),
                timezone: venue.timezone.clone(),
            },
            city: city.name.clone(),
            country: city.country.clone(),
            next_show_at: rfc3339(next.start),
            show_count: i64::try_from(in_window.len()).unwrap_or(i64::MAX),
            min_price: min,
            max_price: max,
            currency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BrowseShow;

    fn places() -> Places {
        Places {
            cities: vec![
                (1, "Lyon".into(), "FR".into(), "lyon".into()),
                (2, "Paris".into(), "FR".into(), "paris".into()),
                (3, "Paris".into(), "US".into(), "paris".into()),
            ],
            venues: vec![
                (10, "Halle".into(), "Europe/Paris".into(), 1),
                (20, "Salle".into(), "Europe/Paris".into(), 2),
                (30, "Hall".into(), "America/Chicago".into(), 3),
            ],
        }
    }

    fn entry(id: i64, venue: i64, category: &str, starts: &[i64]) -> BrowseEntry {
        BrowseEntry {
            event_id: id,
            title: format!("Event {id}"),
            category: category.into(),
            venue_id: venue,
            shows: starts
                .iter()
                .map(|&s| BrowseShow {
                    starts_at: s,
                    currency: "EUR".into(),
                    min_price: Some(s),
                    max_price: Some(s + 1),
                })
                .collect(),
        }
    }

    fn query(
        city: Option<&str>,
        from: i64,
        to: Option<i64>,
        page: i64,
        per_page: i64,
    ) -> BrowseQuery {
        BrowseQuery {
            city: city.map(str::to_owned),
            category: None,
            from,
            to,
            page,
            per_page,
        }
    }

    impl Catalog {
        fn browse_q(&self, q: &BrowseQuery) -> Page<EventSummary> {
            let page = self.browse(q, None);
            let again = self.browse(q, Some(page.total));
            assert_eq!(
                ids(&again),
                ids(&page),
                "a known total changes nothing else"
            );
            page
        }
    }

    fn ids(page: &Page<EventSummary>) -> Vec<i64> {
        page.items.iter().map(|e| e.id.get()).collect()
    }

    fn catalog() -> Catalog {
        let mut c = Catalog::new(0);
        c.set_places(places());
        c.upsert(entry(1, 10, "concert", &[100, 500]));
        c.upsert(entry(2, 20, "theatre", &[200]));
        c.upsert(entry(3, 30, "concert", &[50, 300]));
        c
    }

    #[test]
    fn pages_come_by_next_show_and_totals_count_every_match() {
        let c = catalog();
        let page = c.browse_q(&query(None, 0, None, 1, 2));
        assert_eq!((ids(&page), page.total), (vec![3, 1], 3));
        let page = c.browse_q(&query(None, 150, None, 1, 10));
        assert_eq!((ids(&page), page.total), (vec![2, 3, 1], 3));
        let next = &page.items[2];
        assert_eq!(
            (next.show_count, next.min_price, next.max_price),
            (1, Some(500), Some(501))
        );
        let page = c.browse_q(&query(None, 150, Some(301), 2, 2));
        assert_eq!((ids(&page), page.total), (Vec::<i64>::new(), 2));
    }

    #[test]
    fn a_city_name_matches_its_cities_in_every_country() {
        let c = catalog();
        let page = c.browse_q(&query(Some("PARIS"), 0, None, 1, 10));
        assert_eq!((ids(&page), page.total), (vec![3, 2], 2));
        assert_eq!(c.browse_q(&query(Some("Nowhere"), 0, None, 1, 10)).total, 0);
    }

    #[test]
    fn city_counts_follow_the_clock_and_the_changes() {
        let mut c = catalog();
        let counts = |c: &Catalog, now| -> Vec<i64> {
            c.cities(now).iter().map(|city| city.event_count).collect()
        };
        // Lyon, Paris FR, Paris US.
        assert_eq!(counts(&c, 0), vec![1, 1, 1]);
        assert_eq!(counts(&c, 250), vec![1, 0, 1]);
        c.advance(250);
        assert_eq!(counts(&c, 250), vec![1, 0, 1]);
        assert_eq!(counts(&c, 400), vec![1, 0, 0]);
        // An instant before the watermark is counted as exactly.
        assert_eq!(counts(&c, 0), vec![1, 1, 1]);
        c.upsert(entry(2, 20, "theatre", &[200, 900]));
        assert_eq!(counts(&c, 400), vec![1, 1, 0]);
        c.remove(1);
        assert_eq!(counts(&c, 400), vec![0, 1, 0]);
    }

    #[test]
    fn normalising_keeps_the_answer() {
        let c = catalog();
        assert_eq!(c.normalise(60), 100);
        assert_eq!(c.normalise(600), i64::MAX);
        let a = c.browse_q(&query(None, 60, None, 1, 10));
        let b = c.browse_q(&query(None, 100, None, 1, 10));
        assert_eq!((ids(&a), a.total), (ids(&b), b.total));
    }
}
