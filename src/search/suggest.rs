//! Autocomplete over event titles, performer names, venue names and city names.
//!
//! This is an in-memory structure, not a second index: a slab of entities (one per distinct
//! event title, performer id, venue id and city) with the number of live events referring to
//! them, plus a sorted map from folded keys to entity ids. Every entity is reachable from the
//! start of its name and from the start of each later word ("swi" finds "Taylor Swift").
//!
//! It is built from the main index's fast fields when the index is opened, then kept up to date
//! by [`crate::search::SearchIndex::apply`], which reads the previous version of each changed
//! event from the index and swaps its contribution for the new one.
//!
//! Ranking: exact name, then name prefix, then word prefix, then the same three for typo
//! matches; within each, entities with more events first. A prefix of 4+ characters is a range
//! scan over the keys plus, only when that finds fewer than asked for, range scans for every
//! variant at one edit (deletion, insertion, substitution or transposition): typo matches rank
//! below every exact one, so they can only fill up. Prefixes of 1 to 3 characters match a
//! large share of all keys ("t" alone is a few hundred thousand at a million events), so for
//! each of them the suggester keeps its best [`KEPT`] entities in order and updates those lists
//! as entities change, recomputing a list by a scan only when removals shrink it too far.
//!
//! It deliberately does not persist anything (it is rebuilt on open) and does not rank by
//! popularity beyond event counts. For an event title shared by several events (a tour), the
//! suggestion carries the smallest event id.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Bound;

use super::text;
use super::{SuggestKind, Suggestion};

/// Prefixes at least this long (in characters) also match with one typo.
const FUZZY_MIN_CHARS: usize = 4;
/// At most this many keys are examined for the exact prefix of a long prefix.
const MAX_EXACT_KEYS: usize = 20_000;
/// At most this many keys are examined per typo variant.
const MAX_VARIANT_KEYS: usize = 64;
/// At most this many word-start keys per entity (long titles).
const MAX_KEYS_PER_ENTITY: usize = 8;
/// Prefixes up to this many characters are answered from kept lists.
const SHORT_PREFIX_CHARS: usize = 3;
/// Length of a kept list (short in tests, so small catalogs overflow and shrink lists).
#[cfg(not(test))]
const KEPT: usize = 64;
#[cfg(test)]
const KEPT: usize = 6;
/// Kept lists answer requests for at most this many suggestions; a list that removals shrink
/// below it is recomputed.
#[cfg(not(test))]
const KEPT_SERVES: usize = 20;
#[cfg(test)]
const KEPT_SERVES: usize = 3;
/// Characters tried for insertions and substitutions.
const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789 ";

/// Index of an entity in [`Suggester::entities`].
type Id = u32;

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

/// One suggestion target. A slot whose `count` is 0 is free.
#[derive(Debug)]
struct Entity {
    key: EntityKey,
    text: String,
    norm: String,
    count: u64,
    /// Events with this title (events only).
    event_ids: BTreeSet<i64>,
}

/// A match: quality (lower is better) and entity.
type Ranked = (u8, Id);

/// The best entities for one short prefix, best first. `ids` is always the true top
/// `ids.len()` of all entities matching the prefix; `complete` when it holds all of them.
#[derive(Debug)]
struct Kept {
    ids: Vec<Ranked>,
    complete: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Suggester {
    entities: Vec<Entity>,
    free: Vec<Id>,
    by_key: HashMap<EntityKey, Id>,
    keys: BTreeMap<Box<str>, Vec<Id>>,
    /// One list per short prefix that any entity matches (no list: no match).
    kept: HashMap<Box<str>, Kept>,
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

/// The prefixes of 1 to [`SHORT_PREFIX_CHARS`] characters of every word key of `norm`.
fn short_prefixes(norm: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for k in word_keys(norm) {
        for (i, c) in k.char_indices().take(SHORT_PREFIX_CHARS) {
            out.push(&k[..i + c.len_utf8()]);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Quality of a match of `prefix` on one word key of a name (lower is better): the whole
/// name, the start of the name, the start of a later word.
fn quality(key: &str, norm: &str, prefix: &str) -> u8 {
    match (key == norm, key == prefix) {
        (true, true) => 0,
        (true, false) => 1,
        _ => 2,
    }
}

/// Best quality of `prefix` over the word keys of a name, if it matches at all.
fn best_quality(norm: &str, prefix: &str) -> Option<u8> {
    word_keys(norm)
        .into_iter()
        .filter(|k| k.starts_with(prefix))
        .map(|k| quality(k, norm, prefix))
        .min()
}

/// Ranking: match quality, then more events, then kind, then name.
fn order(entities: &[Entity], a: Ranked, b: Ranked) -> Ordering {
    let (x, y) = (&entities[a.1 as usize], &entities[b.1 as usize]);
    a.0.cmp(&b.0)
        .then(y.count.cmp(&x.count))
        .then(x.key.priority().cmp(&y.key.priority()))
        .then(x.text.cmp(&y.text))
        .then(x.key.cmp(&y.key))
}

impl Suggester {
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    fn link(&mut self, id: Id, norm: &str) {
        // Word keys of one name are distinct suffixes, so an entity is never listed twice.
        for k in word_keys(norm) {
            self.keys.entry(k.into()).or_default().push(id);
        }
    }

    fn unlink(&mut self, id: Id, norm: &str) {
        for k in word_keys(norm) {
            if let Some(list) = self.keys.get_mut(k) {
                list.retain(|&e| e != id);
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
        if let Some(&id) = self.by_key.get(&key) {
            let e = &mut self.entities[id as usize];
            e.count += count;
            e.event_ids.extend(event_ids.iter().copied());
            if e.text != display {
                e.text = display.to_string();
            }
            let renamed_from =
                (e.norm != norm).then(|| std::mem::replace(&mut e.norm, norm.clone()));
            if let Some(old) = &renamed_from {
                self.unlink(id, old);
                self.link(id, &norm);
            }
            self.rekeep(id, renamed_from.as_deref());
            return;
        }
        let entity = Entity {
            key: key.clone(),
            text: display.to_string(),
            norm,
            count,
            event_ids: event_ids.iter().copied().collect(),
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.entities[id as usize] = entity;
                id
            }
            None => {
                self.entities.push(entity);
                (self.entities.len() - 1) as Id
            }
        };
        self.by_key.insert(key, id);
        let norm = self.entities[id as usize].norm.clone();
        self.link(id, &norm);
        self.rekeep(id, None);
    }

    fn remove(&mut self, key: EntityKey, event_id: Option<i64>) {
        let Some(&id) = self.by_key.get(&key) else {
            return;
        };
        let e = &mut self.entities[id as usize];
        e.count = e.count.saturating_sub(1);
        if let Some(event) = event_id {
            e.event_ids.remove(&event);
        }
        if e.count > 0 {
            self.rekeep(id, None);
            return;
        }
        let norm = std::mem::take(&mut e.norm);
        e.text.clear();
        e.event_ids.clear();
        self.by_key.remove(&key);
        self.unlink(id, &norm);
        self.rekeep(id, Some(&norm));
        self.free.push(id);
    }

    /// Brings the kept lists of every short prefix of the entity's name (and of `old_norm`,
    /// its name before a rename or removal) up to date after the entity changed.
    fn rekeep(&mut self, id: Id, old_norm: Option<&str>) {
        let norm = self.entities[id as usize].norm.clone();
        let mut prefixes = short_prefixes(&norm);
        if let Some(old) = old_norm {
            prefixes.extend(short_prefixes(old));
            prefixes.sort_unstable();
            prefixes.dedup();
        }
        for p in prefixes {
            self.rekeep_prefix(id, p);
        }
    }

    fn rekeep_prefix(&mut self, id: Id, prefix: &str) {
        let e = &self.entities[id as usize];
        let q = if e.count > 0 {
            best_quality(&e.norm, prefix)
        } else {
            None
        };
        if !self.kept.contains_key(prefix) {
            if q.is_none() {
                return;
            }
            self.kept.insert(
                prefix.into(),
                Kept {
                    ids: Vec::new(),
                    complete: true,
                },
            );
        }
        let entities = &self.entities;
        let Some(kept) = self.kept.get_mut(prefix) else {
            return;
        };
        if let Some(at) = kept.ids.iter().position(|&(_, e)| e == id) {
            kept.ids.remove(at);
        }
        if let Some(q) = q {
            let item = (q, id);
            let at = kept
                .ids
                .partition_point(|&other| order(entities, other, item) == Ordering::Less);
            // Past the end of an incomplete list, unlisted entities may rank higher.
            if at < kept.ids.len() || kept.complete {
                kept.ids.insert(at, item);
                if kept.ids.len() > KEPT {
                    kept.ids.truncate(KEPT);
                    kept.complete = false;
                }
            }
        }
        if kept.complete && kept.ids.is_empty() {
            self.kept.remove(prefix);
        } else if !kept.complete && kept.ids.len() < KEPT_SERVES {
            let mut best = HashMap::new();
            self.gather(prefix, usize::MAX, 0, &mut best);
            let complete = best.len() <= KEPT;
            let ids = self.best_of(best, KEPT);
            self.kept.insert(prefix.into(), Kept { ids, complete });
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

    /// Notes the best quality (plus `penalty`) of every entity with a key starting with
    /// `prefix`, visiting at most `max_keys` keys.
    fn gather(&self, prefix: &str, max_keys: usize, penalty: u8, best: &mut HashMap<Id, u8>) {
        let keys = self
            .keys
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(max_keys);
        for (k, ids) in keys {
            for &id in ids {
                let q = quality(k, &self.entities[id as usize].norm, prefix) + penalty;
                let slot = best.entry(id).or_insert(u8::MAX);
                *slot = (*slot).min(q);
            }
        }
    }

    /// The `limit` best of `found`, in order.
    fn best_of(&self, found: HashMap<Id, u8>, limit: usize) -> Vec<Ranked> {
        let mut ranked: Vec<Ranked> = found.into_iter().map(|(id, q)| (q, id)).collect();
        let by_rank = |a: &Ranked, b: &Ranked| order(&self.entities, *a, *b);
        if ranked.len() > limit {
            if limit == 0 {
                return Vec::new();
            }
            ranked.select_nth_unstable_by(limit - 1, by_rank);
            ranked.truncate(limit);
        }
        ranked.sort_unstable_by(by_rank);
        ranked
    }

    pub fn suggest(&self, prefix: &str, limit: usize) -> Vec<Suggestion> {
        let p = text::key(prefix);
        if p.is_empty() || limit == 0 {
            return Vec::new();
        }
        let chars = p.chars().count();
        let mut ranked = if chars <= SHORT_PREFIX_CHARS && limit <= KEPT_SERVES {
            self.kept
                .get(p.as_str())
                .map(|k| k.ids.iter().take(limit).copied().collect())
                .unwrap_or_default()
        } else {
            let mut best = HashMap::new();
            self.gather(&p, MAX_EXACT_KEYS, 0, &mut best);
            self.best_of(best, limit)
        };
        // Typo matches rank below every exact match: they only fill up the list.
        if ranked.len() < limit && chars >= FUZZY_MIN_CHARS {
            let mut best = HashMap::new();
            for variant in one_edit_variants(&p) {
                self.gather(&variant, MAX_VARIANT_KEYS, 3, &mut best);
            }
            for (_, id) in &ranked {
                best.remove(id);
            }
            let more = self.best_of(best, limit - ranked.len());
            ranked.extend(more);
        }
        ranked
            .into_iter()
            .filter_map(|(_, id)| {
                let e = &self.entities[id as usize];
                let id = match &e.key {
                    EntityKey::Event(_) => e.event_ids.first()?.to_string(),
                    EntityKey::Performer(id) | EntityKey::Venue(id) => id.to_string(),
                    EntityKey::City(_) => e.text.clone(),
                };
                Some(Suggestion {
                    text: e.text.clone(),
                    kind: e.key.kind(),
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
    use proptest::prelude::*;

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

    /// Every kept list is the true head of the ranking a full scan gives, long enough to
    /// serve, and there is a list exactly for the prefixes something matches.
    fn check_kept(s: &Suggester) {
        let mut prefixes = BTreeSet::new();
        for e in s.entities.iter().filter(|e| e.count > 0) {
            prefixes.extend(short_prefixes(&e.norm).into_iter().map(str::to_string));
        }
        for p in &prefixes {
            let mut best = HashMap::new();
            s.gather(p, usize::MAX, 0, &mut best);
            let all = s.best_of(best, usize::MAX);
            let kept = &s.kept[p.as_str()];
            assert_eq!(kept.ids[..], all[..kept.ids.len()], "prefix {p:?}");
            assert!(kept.ids.len() >= KEPT_SERVES.min(all.len()), "prefix {p:?}");
            if kept.complete {
                assert_eq!(kept.ids.len(), all.len(), "prefix {p:?}");
            }
        }
        assert_eq!(s.kept.len(), prefixes.len());
    }

    fn name() -> impl Strategy<Value = String> {
        "[ab][ab ]{0,4}"
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Random adds, replacements and removals of events keep the short-prefix lists
        /// exact, including lists that overflow and then shrink below what they serve.
        #[test]
        fn kept_lists_follow_changes(ops in prop::collection::vec(
            (any::<bool>(), 0..60i64, name(), 0..90i64, name(), 0..20i64, name(), name()),
            1..300,
        )) {
            let mut s = Suggester::default();
            let mut live: HashMap<i64, EventEntities> = HashMap::new();
            for (add, id, title, performer, performer_name, venue, venue_name, city) in ops {
                if let Some(old) = live.remove(&id) {
                    s.remove_event(&old);
                }
                if add {
                    let e = event(id, &title, (performer, &performer_name), (venue, &venue_name), &city);
                    s.add_event(&e);
                    live.insert(id, e);
                }
                check_kept(&s);
            }
            for p in ["a", "ab", "b a", "ba"] {
                let mut best = HashMap::new();
                s.gather(p, usize::MAX, 0, &mut best);
                let expected: Vec<Id> = s.best_of(best, 8).into_iter().map(|(_, id)| id).collect();
                let got: Vec<String> = s.suggest(p, 8).into_iter().map(|x| x.text).collect();
                let want: Vec<String> = expected.iter().map(|&id| s.entities[id as usize].text.clone()).collect();
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn variants_cover_transposition() {
        let v = one_edit_variants("clodp");
        assert!(v.contains(&"coldp".to_string()));
        assert!(v.contains(&"lodp".to_string()));
        assert!(v.contains(&"cloudp".to_string()));
    }
}
