//! Autocomplete over event titles, performer names, venue names and city names.
//!
//! This is an in-memory structure, not a second index: a map of entities (one per distinct
//! event title, performer id, venue id and city) with the number of live events referring to
//! them, plus a sorted map from folded keys to entities. Every entity is reachable from the
//! start of its name and from the start of each later word ("swi" finds "Taylor Swift").
//!
//! It is built from the main index's fast fields when the index is opened, then kept up to date
//! by [`crate::search::SearchIndex::apply`], which reads the previous version of each changed
//! event from the index and swaps its contribution for the new one. Lookups are a range scan
//! for the exact prefix plus, for prefixes of 4+ characters, range scans for every variant at
//! one edit (deletion, insertion, substitution or transposition). Ranking: exact name, then
//! name prefix, then word prefix, then the same three for typo matches; within each, entities
//! with more events first.
//!
//! It deliberately does not persist anything (it is rebuilt on open) and does not rank by
//! popularity beyond event counts. For an event title shared by several events (a tour), the
//! suggestion carries the smallest event id.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Bound;

use super::text;
use super::{SuggestKind, Suggestion};

/// Prefixes at least this long (in characters) also match with one typo.
const FUZZY_MIN_CHARS: usize = 4;
/// At most this many keys are examined for the exact prefix.
const MAX_EXACT_KEYS: usize = 20_000;
/// At most this many keys are examined per typo variant.
const MAX_VARIANT_KEYS: usize = 64;
/// At most this many word-start keys per entity (long titles).
const MAX_KEYS_PER_ENTITY: usize = 8;
/// Characters tried for insertions and substitutions.
const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789 ";

/// What one event contributes to the suggestions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventEntities {
    pub event_id: i64,
    pub title: String,
    pub performers: Vec<(i64, String)>,
    pub venue: (i64, String),
    pub city: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum EntityKey {
    /// Keyed by the folded title: events sharing a title are one suggestion.
    Event(String),
    Performer(i64),
    Venue(i64),
    /// Keyed by the folded name.
    City(String),
}

impl EntityKey {
    /// Tie-break between kinds with equal match quality and event counts.
    fn priority(&self) -> u8 {
        match self {
            EntityKey::Performer(_) => 0,
            EntityKey::Event(_) => 1,
            EntityKey::Venue(_) => 2,
            EntityKey::City(_) => 3,
        }
    }

    fn kind(&self) -> SuggestKind {
        match self {
            EntityKey::Event(_) => SuggestKind::Event,
            EntityKey::Performer(_) => SuggestKind::Performer,
            EntityKey::Venue(_) => SuggestKind::Venue,
            EntityKey::City(_) => SuggestKind::City,
        }
    }
}

#[derive(Debug)]
struct Entity {
    text: String,
    norm: String,
    count: u64,
    /// Events with this title (events only).
    event_ids: BTreeSet<i64>,
}

#[derive(Debug, Default)]
pub(crate) struct Suggester {
    entities: HashMap<EntityKey, Entity>,
    keys: BTreeMap<String, Vec<EntityKey>>,
}

/// Word-start keys of a folded name: the name itself and each suffix starting at a later word.
fn word_keys(norm: &str) -> Vec<&str> {
    let mut out = vec![norm];
    for (i, c) in norm.char_indices() {
        if c == ' ' && out.len() < MAX_KEYS_PER_ENTITY {
            let rest = &norm[i + 1..];
            if rest.chars().count() > 1 {
                out.push(rest);
            }
        }
    }
    out
}

impl Suggester {
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    fn link(&mut self, key: &EntityKey, norm: &str) {
        for k in word_keys(norm) {
            let list = self.keys.entry(k.to_string()).or_default();
            if !list.contains(key) {
                list.push(key.clone());
            }
        }
    }

    fn unlink(&mut self, key: &EntityKey, norm: &str) {
        for k in word_keys(norm) {
            if let Some(list) = self.keys.get_mut(k) {
                list.retain(|e| e != key);
                if list.is_empty() {
                    self.keys.remove(k);
                }
            }
        }
    }

    /// Adds `count` references to an entity, creating it or renaming it to `display`.
    fn add(&mut self, key: EntityKey, display: &str, count: u64, event_ids: &[i64]) {
        let norm = text::key(display);
        if norm.is_empty() || count == 0 {
            return;
        }
        let renamed_from = match self.entities.get_mut(&key) {
            Some(e) => {
                e.count += count;
                e.event_ids.extend(event_ids.iter().copied());
                if e.text != display {
                    e.text = display.to_string();
                }
                if e.norm != norm {
                    Some(std::mem::replace(&mut e.norm, norm.clone()))
                } else {
                    None
                }
            }
            None => {
                self.link(&key, &norm);
                self.entities.insert(
                    key,
                    Entity {
                        text: display.to_string(),
                        norm,
                        count,
                        event_ids: event_ids.iter().copied().collect(),
                    },
                );
                return;
            }
        };
        if let Some(old) = renamed_from {
            self.unlink(&key, &old);
            self.link(&key, &norm);
        }
    }

    fn remove(&mut self, key: EntityKey, event_id: Option<i64>) {
        let gone = match self.entities.get_mut(&key) {
            Some(e) => {
                e.count = e.count.saturating_sub(1);
                if let Some(id) = event_id {
                    e.event_ids.remove(&id);
                }
                e.count == 0
            }
            None => false,
        };
        if gone {
            if let Some(e) = self.entities.remove(&key) {
                self.unlink(&key, &e.norm);
            }
        }
    }

    fn event_keys(e: &EventEntities) -> impl Iterator<Item = (EntityKey, &str)> + '_ {
        let title = (EntityKey::Event(text::key(&e.title)), e.title.as_str());
        let performers = e
            .performers
            .iter()
            .map(|(id, name)| (EntityKey::Performer(*id), name.as_str()));
        let venue = (EntityKey::Venue(e.venue.0), e.venue.1.as_str());
        let city = (EntityKey::City(text::key(&e.city)), e.city.as_str());
        std::iter::once(title)
            .chain(performers)
            .chain([venue, city])
    }

    pub fn add_event(&mut self, e: &EventEntities) {
        let mut seen = HashSet::new();
        for (key, display) in Self::event_keys(e) {
            if seen.insert(key.clone()) {
                let ids: &[i64] = match key {
                    EntityKey::Event(_) => &[e.event_id],
                    _ => &[],
                };
                self.add(key, display, 1, ids);
            }
        }
    }

    pub fn remove_event(&mut self, e: &EventEntities) {
        let mut seen = HashSet::new();
        for (key, _) in Self::event_keys(e) {
            if seen.insert(key.clone()) {
                let id = matches!(key, EntityKey::Event(_)).then_some(e.event_id);
                self.remove(key, id);
            }
        }
    }

    /// Bulk adds used when building from the index.
    pub fn add_title(&mut self, title: &str, event_ids: &[i64]) {
        let key = EntityKey::Event(text::key(title));
        self.add(key, title, event_ids.len() as u64, event_ids);
    }

    pub fn add_performer(&mut self, id: i64, name: &str, count: u64) {
        self.add(EntityKey::Performer(id), name, count, &[]);
    }

    pub fn add_venue(&mut self, id: i64, name: &str, count: u64) {
        self.add(EntityKey::Venue(id), name, count, &[]);
    }

    pub fn add_city(&mut self, name: &str, count: u64) {
        self.add(EntityKey::City(text::key(name)), name, count, &[]);
    }

    /// Visits up to `max` keys starting with `prefix`.
    fn scan<'s>(
        &'s self,
        prefix: &str,
        max: usize,
        mut visit: impl FnMut(&'s str, &'s [EntityKey]),
    ) {
        let keys = self
            .keys
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(max);
        for (k, list) in keys {
            visit(k, list);
        }
    }

    pub fn suggest(&self, prefix: &str, limit: usize) -> Vec<Suggestion> {
        let p = text::key(prefix);
        if p.is_empty() || limit == 0 {
            return Vec::new();
        }
        // Best match quality per entity: lower is better.
        let mut best: HashMap<&EntityKey, u8> = HashMap::new();
        let note = |key_str: &str, entity_key: &'_ EntityKey, typo: u8| -> Option<u8> {
            let e = self.entities.get(entity_key)?;
            let q = if key_str == e.norm {
                if key_str == p {
                    0
                } else {
                    1
                }
            } else {
                2
            };
            Some(q + typo)
        };
        {
            let best = &mut best;
            self.scan(&p, MAX_EXACT_KEYS, |k, list| {
                for ek in list {
                    if let Some(q) = note(k, ek, 0) {
                        let slot = best.entry(ek).or_insert(u8::MAX);
                        *slot = (*slot).min(q);
                    }
                }
            });
        }
        if p.chars().count() >= FUZZY_MIN_CHARS {
            for variant in one_edit_variants(&p) {
                let best = &mut best;
                self.scan(&variant, MAX_VARIANT_KEYS, |k, list| {
                    for ek in list {
                        if let Some(q) = note(k, ek, 3) {
                            let slot = best.entry(ek).or_insert(u8::MAX);
                            *slot = (*slot).min(q);
                        }
                    }
                });
            }
        }
        let mut ranked: Vec<(u8, &EntityKey, &Entity)> = best
            .into_iter()
            .filter_map(|(k, q)| self.entities.get(k).map(|e| (q, k, e)))
            .collect();
        let order = |a: &(u8, &EntityKey, &Entity), b: &(u8, &EntityKey, &Entity)| {
            a.0.cmp(&b.0)
                .then(b.2.count.cmp(&a.2.count))
                .then(a.1.priority().cmp(&b.1.priority()))
                .then(a.2.text.cmp(&b.2.text))
                .then(a.1.cmp(b.1))
        };
        if ranked.len() > limit {
            ranked.select_nth_unstable_by(limit - 1, order);
            ranked.truncate(limit);
        }
        ranked.sort_unstable_by(order);
        ranked
            .into_iter()
            .filter_map(|(_, k, e)| {
                let id = match k {
                    EntityKey::Event(_) => e.event_ids.first()?.to_string(),
                    EntityKey::Performer(id) | EntityKey::Venue(id) => id.to_string(),
                    EntityKey::City(_) => e.text.clone(),
                };
                Some(Suggestion {
                    text: e.text.clone(),
                    kind: k.kind(),
                    id,
                })
            })
            .collect()
    }
}

/// Every string at one edit from `s`: deletion, adjacent transposition, substitution and
/// insertion (over [`ALPHABET`]).
fn one_edit_variants(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = HashSet::new();
    let n = chars.len();
    let collect = |v: &[char]| v.iter().collect::<String>();
    for i in 0..n {
        let mut v = chars.clone();
        v.remove(i);
        out.insert(collect(&v));
        if i + 1 < n && chars[i] != chars[i + 1] {
            let mut v = chars.clone();
            v.swap(i, i + 1);
            out.insert(collect(&v));
        }
    }
    for i in 0..=n {
        for c in ALPHABET.chars() {
            if i < n && chars[i] != c {
                let mut v = chars.clone();
                v[i] = c;
                out.insert(collect(&v));
            }
            let mut v = chars.clone();
            v.insert(i, c);
            out.insert(collect(&v));
        }
    }
    out.remove(s);
    out.retain(|v| !v.trim().is_empty());
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(
        id: i64,
        title: &str,
        performer: (i64, &str),
        venue: (i64, &str),
        city: &str,
    ) -> EventEntities {
        EventEntities {
            event_id: id,
            title: title.into(),
            performers: vec![(performer.0, performer.1.into())],
            venue: (venue.0, venue.1.into()),
            city: city.into(),
        }
    }

    #[test]
    fn prefix_typo_and_word_start() {
        let mut s = Suggester::default();
        s.add_event(&event(
            1,
            "Taylor Swift — The Eras Tour",
            (10, "Taylor Swift"),
            (5, "Wembley Stadium"),
            "London",
        ));
        s.add_event(&event(
            2,
            "Taylor Swift — The Eras Tour",
            (10, "Taylor Swift"),
            (6, "Olympiastadion"),
            "München",
        ));
        s.add_event(&event(
            3,
            "Björk — Cornucopia",
            (11, "Björk"),
            (6, "Olympiastadion"),
            "München",
        ));
        let texts = |v: Vec<Suggestion>| v.into_iter().map(|s| s.text).collect::<Vec<_>>();
        assert_eq!(
            texts(s.suggest("tay", 2)),
            vec!["Taylor Swift", "Taylor Swift — The Eras Tour"]
        );
        assert!(texts(s.suggest("swi", 5)).contains(&"Taylor Swift".to_string()));
        assert!(texts(s.suggest("tyalor", 5)).contains(&"Taylor Swift".to_string()));
        assert_eq!(texts(s.suggest("bjo", 1)), vec!["Björk"]);
        assert_eq!(texts(s.suggest("munc", 1)), vec!["München"]);
        let eras = s.suggest("taylor swift the", 5);
        assert_eq!(eras[0].id, "1");
        s.remove_event(&event(
            1,
            "Taylor Swift — The Eras Tour",
            (10, "Taylor Swift"),
            (5, "Wembley Stadium"),
            "London",
        ));
        assert_eq!(s.suggest("taylor swift the", 5)[0].id, "2");
        assert!(s.suggest("wembley", 5).is_empty());
        assert!(s.suggest("lond", 5).is_empty());
    }

    #[test]
    fn variants_cover_transposition() {
        let v = one_edit_variants("clodp");
        assert!(v.contains(&"coldp".to_string()));
        assert!(v.contains(&"lodp".to_string()));
        assert!(v.contains(&"cloudp".to_string()));
    }
}
