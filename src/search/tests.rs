//! Tests of the search module on real indexes in temporary directories: relevance, typos and
//! accents, every filter and sort, pagination, facets, suggestions, updates and deletes,
//! persistence, corruption recovery and caching. They do not measure speed (see
//! `tools/search_bench.rs`).

use std::path::Path;

use super::*;
use crate::tools::synthetic::{self, synthetic_docs};

const NOW: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

fn ev(id: i64, title: &str) -> EventDoc {
    EventDoc {
        event_id: id,
        title: title.to_string(),
        description: String::new(),
        category: "concert".to_string(),
        performers: vec![],
        venue_id: 1,
        venue_name: "Olympiahalle".to_string(),
        city: "München".to_string(),
        country: "DE".to_string(),
        lat: 48.17,
        lon: 11.55,
        show_starts: vec![NOW + DAY],
        min_price: Some(3000),
        max_price: Some(9000),
        currency: Some("EUR".to_string()),
    }
}

fn with(mut e: EventDoc, f: impl FnOnce(&mut EventDoc)) -> EventDoc {
    f(&mut e);
    e
}

fn open(dir: &Path) -> SearchIndex {
    let (index, _) = SearchIndex::open(dir).expect("open index");
    index
}

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        q: Some(text.to_string()),
        now_ms: NOW,
        ..SearchQuery::default()
    }
}

fn all() -> SearchQuery {
    SearchQuery {
        now_ms: NOW,
        limit: 100,
        ..SearchQuery::default()
    }
}

fn ids(r: &SearchResults) -> Vec<i64> {
    r.items.iter().map(|h| h.event_id).collect()
}

/// A small catalogue with look-alike names, accents and varied places, dates and prices.
fn catalogue() -> Vec<EventDoc> {
    vec![
        with(ev(1, "Taylor Swift — The Eras Tour"), |e| {
            e.performers = vec![(100, "Taylor Swift".into())];
            e.venue_id = 10;
            e.venue_name = "Wembley Stadium".into();
            e.city = "London".into();
            e.country = "GB".into();
            e.lat = 51.556;
            e.lon = -0.280;
            e.show_starts = vec![NOW + 10 * DAY, NOW + 11 * DAY];
            e.min_price = Some(8000);
            e.max_price = Some(45000);
            e.currency = Some("GBP".into());
        }),
        with(ev(2, "Coldplay — Music of the Spheres"), |e| {
            e.performers = vec![(101, "Coldplay".into())];
            e.venue_id = 11;
            e.venue_name = "Allianz Arena".into();
            e.lat = 48.219;
            e.lon = 11.625;
            e.show_starts = vec![NOW + 3 * DAY];
            e.min_price = Some(6000);
            e.max_price = Some(20000);
        }),
        with(ev(3, "Metallica — M72 World Tour"), |e| {
            e.performers = vec![(102, "Metallica".into())];
            e.venue_id = 12;
            e.venue_name = "Olympiastadion".into();
            e.city = "Berlin".into();
            e.lat = 52.515;
            e.lon = 13.239;
            e.show_starts = vec![NOW - 5 * DAY, NOW + 40 * DAY];
            e.min_price = Some(7000);
            e.max_price = Some(15000);
        }),
        with(ev(4, "Die Zauberflöte"), |e| {
            e.category = "opera".into();
            e.performers = vec![(200, "Bayerische Staatsoper".into())];
            e.venue_id = 13;
            e.venue_name = "Nationaltheater".into();
            e.lat = 48.139;
            e.lon = 11.579;
            e.show_starts = vec![NOW + 2 * DAY];
            e.min_price = Some(2000);
            e.max_price = Some(18000);
            e.description = "Mozart's magic flute, sung in German with surtitles.".into();
        }),
        with(ev(5, "Björk — Cornucopia"), |e| {
            e.performers = vec![(103, "Björk".into())];
            e.venue_id = 14;
            e.venue_name = "Harpa".into();
            e.city = "Reykjavík".into();
            e.country = "IS".into();
            e.lat = 64.150;
            e.lon = -21.932;
            e.show_starts = vec![NOW + 20 * DAY];
            e.min_price = Some(9000);
            e.max_price = Some(12000);
            e.currency = Some("ISK".into());
        }),
        with(ev(6, "Hamlet"), |e| {
            e.category = "theatre".into();
            e.performers = vec![(300, "Royal Shakespeare Company".into())];
            e.venue_id = 15;
            e.venue_name = "Barbican Theatre".into();
            e.city = "London".into();
            e.country = "GB".into();
            e.lat = 51.520;
            e.lon = -0.094;
            e.show_starts = vec![NOW + 30 * DAY];
            e.min_price = Some(1500);
            e.max_price = Some(6000);
        }),
        with(ev(7, "An Evening of Danish Drama"), |e| {
            e.category = "theatre".into();
            e.description = "Scenes from Hamlet and other plays, read by local actors.".into();
            e.venue_id = 16;
            e.venue_name = "Kammerspiele".into();
            e.lat = 48.138;
            e.lon = 11.581;
            e.show_starts = vec![NOW - 30 * DAY];
            e.min_price = None;
            e.max_price = None;
            e.currency = None;
        }),
        with(ev(8, "Taylor Swift Tribute Night"), |e| {
            e.performers = vec![(104, "The Swifties".into())];
            e.venue_id = 17;
            e.venue_name = "Backstage".into();
            e.lat = 48.143;
            e.lon = 11.521;
            e.show_starts = vec![NOW + 5 * DAY];
            e.min_price = Some(1500);
            e.max_price = Some(1500);
        }),
        with(ev(9, "Metalica Cover Band"), |e| {
            e.performers = vec![(105, "Metalica".into())];
            e.venue_id = 18;
            e.venue_name = "Huxleys".into();
            e.city = "Berlin".into();
            e.lat = 52.486;
            e.lon = 13.424;
            e.show_starts = vec![NOW + 60 * DAY];
        }),
        with(ev(10, "FC Bayern München vs Borussia Dortmund"), |e| {
            e.category = "sport".into();
            e.performers = vec![
                (400, "FC Bayern München".into()),
                (401, "Borussia Dortmund".into()),
            ];
            e.venue_id = 11;
            e.venue_name = "Allianz Arena".into();
            e.lat = 48.219;
            e.lon = 11.625;
            e.show_starts = vec![NOW + 7 * DAY];
            e.min_price = Some(4000);
            e.max_price = Some(30000);
        }),
    ]
}

fn loaded() -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path());
    index.apply(catalogue(), vec![], 1).expect("apply");
    (dir, index)
}

fn first(index: &SearchIndex, query: &SearchQuery) -> i64 {
    let r = index.search(query).expect("search");
    assert!(!r.items.is_empty(), "no hits for {query:?}");
    r.items[0].event_id
}

#[test]
fn typos_find_the_right_event() {
    let (_dir, index) = loaded();
    assert_eq!(first(&index, &q("tayler swift")), 1);
    assert_eq!(first(&index, &q("coldpaly")), 2);
    assert_eq!(first(&index, &q("metallica")), 3);
    // Exact beats fuzzy in both directions.
    assert_eq!(first(&index, &q("metalica")), 9);
    let r = index.search(&q("metallica")).expect("search");
    assert_eq!(ids(&r), vec![3, 9]);
}

#[test]
fn accents_and_case_are_folded() {
    let (_dir, index) = loaded();
    assert_eq!(first(&index, &q("zauberflote")), 4);
    assert_eq!(first(&index, &q("ZAUBERFLÖTE")), 4);
    assert_eq!(first(&index, &q("bjork")), 5);
    assert_eq!(first(&index, &q("Bjo\u{308}rk")), 5);
    let r = index.search(&q("munchen opera")).expect("search");
    assert_eq!(ids(&r), vec![4]);
    let r = index.search(&q("reykjavik")).expect("search");
    assert_eq!(ids(&r), vec![5]);
}

#[test]
fn title_and_performer_outrank_description() {
    let (_dir, index) = loaded();
    let r = index.search(&q("hamlet")).expect("search");
    assert_eq!(ids(&r), vec![6, 7]);
    assert!(r.items[0].score > r.items[1].score);
    // Performer name matches too, above the tribute night that only has it in the title... both
    // have it in the title here, so the real thing wins by also matching the performer.
    let r = index.search(&q("taylor swift")).expect("search");
    assert_eq!(ids(&r), vec![1, 8]);
}

#[test]
fn last_word_matches_as_prefix_while_typing() {
    let (_dir, index) = loaded();
    assert_eq!(first(&index, &q("zauberfl")), 4);
    assert_eq!(first(&index, &q("taylor sw")), 1);
    // A finished word is not a prefix.
    let r = index.search(&q("zauberfl ")).expect("search");
    assert!(r.items.iter().all(|h| h.event_id != 4) || r.total == 0);
}

#[test]
fn all_words_required_with_fallback_to_any() {
    let (_dir, index) = loaded();
    let r = index.search(&q("coldplay london")).expect("search");
    // No event has both; fall back to events with either word, Coldplay first by title boost.
    assert!(r.total >= 2, "{r:?}");
    assert!(ids(&r).contains(&2));
    let r = index.search(&q("swift london")).expect("search");
    assert_eq!(ids(&r), vec![1]);
}

#[test]
fn empty_and_filter_only_queries() {
    let (_dir, index) = loaded();
    let r = index.search(&all()).expect("search");
    assert_eq!(r.total, 10);
    assert_eq!(r.items.len(), 10);
    let r = index
        .search(&SearchQuery {
            q: Some("  ".into()),
            ..all()
        })
        .expect("search");
    assert_eq!(r.total, 10);
    let r = index
        .search(&SearchQuery {
            category: Some("Theatre".into()),
            ..all()
        })
        .expect("search");
    assert_eq!(r.total, 2);
}

#[test]
fn city_filter_is_case_and_accent_insensitive() {
    let (_dir, index) = loaded();
    for city in ["München", "MUNCHEN", "munchen"] {
        let r = index
            .search(&SearchQuery {
                city: Some(city.into()),
                ..all()
            })
            .expect("search");
        let mut got = ids(&r);
        got.sort_unstable();
        assert_eq!(got, vec![2, 4, 7, 8, 10], "{city}");
    }
    let r = index
        .search(&SearchQuery {
            city: Some("Münch".into()),
            ..all()
        })
        .expect("search");
    assert_eq!(r.total, 0, "city is an exact match, not a prefix");
}

#[test]
fn geo_radius_filter_and_distance_sort() {
    let (_dir, index) = loaded();
    // Marienplatz, München.
    let near = GeoFilter {
        lat: 48.137,
        lon: 11.575,
        radius_km: Some(3.0),
    };
    let r = index
        .search(&SearchQuery {
            near: Some(near),
            sort: SortOrder::Distance,
            ..all()
        })
        .expect("search");
    assert_eq!(ids(&r), vec![4, 7]);
    let d: Vec<f64> = r
        .items
        .iter()
        .map(|h| h.distance_km.unwrap_or(f64::NAN))
        .collect();
    assert!(d[0] < d[1] && d[1] < 3.0, "{d:?}");
    let near = GeoFilter {
        radius_km: Some(15.0),
        ..near
    };
    let r = index
        .search(&SearchQuery {
            near: Some(near),
            sort: SortOrder::Distance,
            ..all()
        })
        .expect("search");
    assert_eq!(ids(&r), vec![4, 7, 8, 2, 10]);
    // Distance sort without a radius returns everything, nearest first.
    let near = GeoFilter {
        radius_km: None,
        ..near
    };
    let r = index
        .search(&SearchQuery {
            near: Some(near),
            sort: SortOrder::Distance,
            ..all()
        })
        .expect("search");
    assert_eq!(r.total, 10);
    assert_eq!(r.items.last().map(|h| h.event_id), Some(5));
    // Distance sort needs a point.
    let err = index.search(&SearchQuery {
        sort: SortOrder::Distance,
        ..all()
    });
    assert!(matches!(err, Err(SearchError::InvalidQuery(_))));
}

#[test]
fn category_performer_and_venue_filters() {
    let (_dir, index) = loaded();
    let by = |f: fn(&mut SearchQuery)| {
        let mut query = all();
        f(&mut query);
        let mut got = ids(&index.search(&query).expect("search"));
        got.sort_unstable();
        got
    };
    assert_eq!(by(|q| q.category = Some("opera".into())), vec![4]);
    assert_eq!(by(|q| q.performer = Some("102".into())), vec![3]);
    assert_eq!(by(|q| q.performer = Some("bjork".into())), vec![5]);
    assert_eq!(
        by(|q| q.performer = Some("Borussia Dortmund".into())),
        vec![10]
    );
    assert_eq!(by(|q| q.venue = Some("11".into())), vec![2, 10]);
    assert_eq!(by(|q| q.venue = Some("allianz arena".into())), vec![2, 10]);
    assert_eq!(by(|q| q.venue = Some("999".into())), Vec::<i64>::new());
    assert_eq!(
        by(|q| {
            q.q = Some("munchen".into());
            q.category = Some("sport".into());
        }),
        vec![10]
    );
}

#[test]
fn date_range_matches_any_show() {
    let (_dir, index) = loaded();
    let range = |from: i64, to: i64| {
        let query = SearchQuery {
            from_ms: Some(NOW + from * DAY),
            to_ms: Some(NOW + to * DAY),
            ..all()
        };
        let mut got = ids(&index.search(&query).expect("search"));
        got.sort_unstable();
        got
    };
    assert_eq!(range(0, 4), vec![2, 4]);
    // Event 1 has shows on day 10 and 11; only the second is in range.
    assert_eq!(range(11, 12), vec![1]);
    // Event 3 played 5 days ago and plays again on day 40.
    assert_eq!(range(-6, -4), vec![3]);
    let open_ended = SearchQuery {
        from_ms: Some(NOW + 35 * DAY),
        ..all()
    };
    let mut got = ids(&index.search(&open_ended).expect("search"));
    got.sort_unstable();
    assert_eq!(got, vec![3, 9]);
    let bad = SearchQuery {
        from_ms: Some(NOW),
        to_ms: Some(NOW - 1),
        ..all()
    };
    assert!(matches!(
        index.search(&bad),
        Err(SearchError::InvalidQuery(_))
    ));
}

#[test]
fn price_range_overlaps() {
    let (_dir, index) = loaded();
    let price = |min: Option<i64>, max: Option<i64>| {
        let query = SearchQuery {
            min_price: min,
            max_price: max,
            ..all()
        };
        let mut got = ids(&index.search(&query).expect("search"));
        got.sort_unstable();
        got
    };
    // Events priced 20.00 somewhere in their range (event 7 has no price at all).
    assert_eq!(price(Some(2000), Some(2000)), vec![4, 6]);
    assert_eq!(price(Some(40000), None), vec![1]);
    assert_eq!(price(None, Some(1999)), vec![6, 8]);
}

#[test]
fn date_sort_uses_next_show() {
    let (_dir, index) = loaded();
    let r = index
        .search(&SearchQuery {
            sort: SortOrder::Date,
            ..all()
        })
        .expect("search");
    // Next shows: 4→2d, 2→3d, 8→5d, 10→7d, 1→10d, 5→20d, 6→30d, 3→40d (its first show is
    // past), 9→60d; 7 has no upcoming show and comes last.
    assert_eq!(ids(&r), vec![4, 2, 8, 10, 1, 5, 6, 3, 9, 7]);
    assert_eq!(r.items[7].next_show_at, Some(NOW + 40 * DAY));
    assert_eq!(r.items[9].next_show_at, None);
    // Relevance without text falls back to the date order.
    let r2 = index.search(&all()).expect("search");
    assert_eq!(ids(&r2), ids(&r));
    // With a text query, next_show_at is still filled in.
    let r = index.search(&q("metallica")).expect("search");
    assert_eq!(r.items[0].next_show_at, Some(NOW + 40 * DAY));
}

#[test]
fn hits_carry_display_fields() {
    let (_dir, index) = loaded();
    let r = index.search(&q("bjork")).expect("search");
    let h = &r.items[0];
    assert_eq!(h.title, "Björk — Cornucopia");
    assert_eq!(h.category, "concert");
    assert_eq!(h.venue, "Harpa");
    assert_eq!(h.venue_id, 14);
    assert_eq!(h.city, "Reykjavík");
    assert_eq!(h.next_show_at, Some(NOW + 20 * DAY));
    assert_eq!(h.min_price, Some(9000));
    assert_eq!(h.currency.as_deref(), Some("ISK"));
    assert!(h.score > 0.0);
    assert_eq!(h.distance_km, None);
}

#[test]
fn pagination_has_stable_total() {
    let (_dir, index) = loaded();
    let whole = index
        .search(&SearchQuery {
            sort: SortOrder::Date,
            ..all()
        })
        .expect("search");
    let mut paged = Vec::new();
    for page in 0..4 {
        let query = SearchQuery {
            sort: SortOrder::Date,
            offset: page * 3,
            limit: 3,
            ..all()
        };
        let r = index.search(&query).expect("search");
        assert_eq!(r.total, 10);
        assert_eq!(r.facets, whole.facets);
        paged.extend(ids(&r));
    }
    assert_eq!(paged, ids(&whole));
    let beyond = index
        .search(&SearchQuery {
            offset: 50,
            limit: 10,
            ..all()
        })
        .expect("search");
    assert_eq!(beyond.total, 10);
    assert!(beyond.items.is_empty());
    let counts_only = index
        .search(&SearchQuery { limit: 0, ..all() })
        .expect("search");
    assert_eq!(counts_only.total, 10);
    let too_deep = SearchQuery {
        offset: 20_000,
        ..all()
    };
    assert!(matches!(
        index.search(&too_deep),
        Err(SearchError::InvalidQuery(_))
    ));
}

#[test]
fn facets_count_the_whole_matching_set() {
    let (_dir, index) = loaded();
    let r = index
        .search(&SearchQuery { limit: 1, ..all() })
        .expect("search");
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.facets.category.get("concert"), Some(&6));
    assert_eq!(r.facets.category.get("theatre"), Some(&2));
    assert_eq!(r.facets.category.get("opera"), Some(&1));
    assert_eq!(r.facets.category.get("sport"), Some(&1));
    assert_eq!(r.facets.city.get("München"), Some(&5));
    assert_eq!(r.facets.city.get("London"), Some(&2));
    assert_eq!(r.facets.city.get("Berlin"), Some(&2));
    assert_eq!(r.facets.city.get("Reykjavík"), Some(&1));
    // Facets respect every filter, including the exact geo radius.
    let near = GeoFilter {
        lat: 48.137,
        lon: 11.575,
        radius_km: Some(3.0),
    };
    let r = index
        .search(&SearchQuery {
            near: Some(near),
            limit: 1,
            ..all()
        })
        .expect("search");
    assert_eq!(r.total, 2);
    assert_eq!(r.facets.city.get("München"), Some(&2));
    assert_eq!(r.facets.category.get("opera"), Some(&1));
    assert_eq!(r.facets.category.get("theatre"), Some(&1));
    assert_eq!(r.facets.category.len(), 2);
}

#[test]
fn suggest_prefixes_typos_and_accents() {
    let (_dir, index) = loaded();
    let s = index.suggest("tay", 5).expect("suggest");
    assert_eq!(s[0].text, "Taylor Swift");
    assert_eq!(s[0].kind, SuggestKind::Performer);
    assert_eq!(s[0].id, "100");
    let texts = |p: &str| -> Vec<String> {
        index
            .suggest(p, 10)
            .expect("suggest")
            .into_iter()
            .map(|s| s.text)
            .collect()
    };
    assert!(texts("tyalor").contains(&"Taylor Swift".to_string()));
    assert!(texts("coldpl").contains(&"Coldplay".to_string()));
    assert!(texts("clodpl").contains(&"Coldplay".to_string()));
    assert_eq!(texts("bjo")[0], "Björk");
    assert!(texts("zauberflo").contains(&"Die Zauberflöte".to_string()));
    let munich = index.suggest("munch", 10).expect("suggest");
    assert!(munich
        .iter()
        .any(|s| s.kind == SuggestKind::City && s.id == "München" && s.text == "München"));
    let venue = index.suggest("allianz", 10).expect("suggest");
    assert_eq!(venue[0].kind, SuggestKind::Venue);
    assert_eq!(venue[0].id, "11");
    let event = index.suggest("hamlet", 10).expect("suggest");
    assert!(event
        .iter()
        .any(|s| s.kind == SuggestKind::Event && s.id == "6"));
    // Word starts inside names.
    assert!(texts("dortm").contains(&"Borussia Dortmund".to_string()));
    // De-duplicated: one entry per entity.
    let all = index.suggest("m", 50).expect("suggest");
    let mut seen = std::collections::HashSet::new();
    assert!(all.iter().all(|s| seen.insert((s.kind, s.id.clone()))));
    assert!(index.suggest("", 5).expect("suggest").is_empty());
    assert!(index.suggest("zzzzzz", 5).expect("suggest").is_empty());
}

#[test]
fn upsert_replaces_a_renamed_event() {
    let (_dir, index) = loaded();
    let renamed = with(catalogue().remove(5), |e| e.title = "Macbeth".into());
    index.apply(vec![renamed], vec![], 2).expect("apply");
    assert_eq!(index.num_docs(), 10);
    let r = index.search(&q("macbeth")).expect("search");
    assert_eq!(ids(&r), vec![6]);
    assert_eq!(r.items[0].title, "Macbeth");
    // Only the description mention of Hamlet is left.
    let r = index.search(&q("hamlet")).expect("search");
    assert_eq!(ids(&r), vec![7]);
    let s = index.suggest("hamlet", 10).expect("suggest");
    assert!(s.iter().all(|s| s.kind != SuggestKind::Event), "{s:?}");
    let s = index.suggest("macb", 10).expect("suggest");
    assert_eq!(s[0].id, "6");
    // Same id twice in one batch: the last one wins.
    index
        .apply(vec![ev(6, "Othello"), ev(6, "King Lear")], vec![], 3)
        .expect("apply");
    assert_eq!(ids(&index.search(&q("lear")).expect("search")), vec![6]);
    assert_eq!(index.search(&q("othello")).expect("search").total, 0);
    assert_eq!(index.num_docs(), 10);
}

#[test]
fn delete_removes_events_and_suggestions() {
    let (_dir, index) = loaded();
    index.apply(vec![], vec![5, 12345], 2).expect("apply");
    assert_eq!(index.num_docs(), 9);
    assert_eq!(index.search(&q("bjork")).expect("search").total, 0);
    assert!(index.suggest("bjork", 5).expect("suggest").is_empty());
    assert!(index.suggest("reykj", 5).expect("suggest").is_empty());
    // A delete beats an upsert of the same id in the same batch.
    index
        .apply(vec![ev(11, "Ghost Event")], vec![11], 3)
        .expect("apply");
    assert_eq!(index.search(&q("ghost")).expect("search").total, 0);
    assert_eq!(index.num_docs(), 9);
}

#[test]
fn cursor_and_documents_survive_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let (index, outcome) = SearchIndex::open(dir.path()).expect("open");
        assert_eq!(outcome, OpenOutcome::Created);
        assert!(outcome.needs_full_reindex());
        assert_eq!(index.cursor(), 0);
        index.apply(catalogue(), vec![], 41).expect("apply");
        index.apply(vec![], vec![1], 42).expect("apply");
        assert_eq!(index.cursor(), 42);
    }
    let (index, outcome) = SearchIndex::open(dir.path()).expect("reopen");
    assert_eq!(outcome, OpenOutcome::Opened);
    assert!(!outcome.needs_full_reindex());
    assert_eq!(index.cursor(), 42);
    assert_eq!(index.num_docs(), 9);
    // Suggestions are rebuilt from the index.
    assert_eq!(
        index.suggest("coldp", 1).expect("suggest")[0].text,
        "Coldplay"
    );
    assert!(index.suggest("the eras", 5).expect("suggest").is_empty());
    assert!(index.size_bytes() > 0);
}

#[test]
fn corrupt_index_is_rebuilt_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let index = open(dir.path());
        index.apply(catalogue(), vec![], 7).expect("apply");
    }
    std::fs::write(dir.path().join("meta.json"), b"{ this is not json").expect("write");
    let (index, outcome) = SearchIndex::open(dir.path()).expect("open");
    assert!(
        matches!(outcome, OpenOutcome::Rebuilt { .. }),
        "{outcome:?}"
    );
    assert!(outcome.needs_full_reindex());
    assert_eq!(index.num_docs(), 0);
    assert_eq!(index.cursor(), 0);
    assert!(index.suggest("coldp", 5).expect("suggest").is_empty());
    // And it works normally afterwards.
    index.apply(catalogue(), vec![], 1).expect("apply");
    assert_eq!(first(&index, &q("coldplay")), 2);
    drop(index);
    let (_, outcome) = SearchIndex::open(dir.path()).expect("reopen");
    assert_eq!(outcome, OpenOutcome::Opened);
}

#[test]
fn garbage_directory_is_rebuilt_and_lock_is_respected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let segment_file = "0123456789abcdef0123456789abcdef.idx";
    std::fs::write(dir.path().join("meta.json"), b"").expect("write");
    std::fs::write(dir.path().join(segment_file), b"junk").expect("write");
    std::fs::write(dir.path().join("notes.txt"), b"not ours").expect("write");
    let (index, outcome) = SearchIndex::open(dir.path()).expect("open");
    assert!(matches!(outcome, OpenOutcome::Rebuilt { .. }));
    assert!(!dir.path().join(segment_file).exists());
    // Files that are not tantivy's are never deleted.
    assert!(dir.path().join("notes.txt").exists());
    // A second writer on the same directory is refused rather than wiping a live index.
    assert!(SearchIndex::open(dir.path()).is_err());
    drop(index);
}

#[test]
fn generation_moves_on_every_apply() {
    let (_dir, index) = loaded();
    let g = index.generation();
    index.apply(vec![], vec![], 2).expect("apply");
    assert_ne!(index.generation(), g);
    assert_eq!(index.cursor(), 2);
}

#[test]
fn service_caches_and_invalidates_on_apply() {
    let (_dir, index) = loaded();
    let service = SearchService::new(index.clone());
    let query = q("coldplay");
    let (a, source) = service.search(&query).expect("search");
    assert_eq!(source, Source::Index);
    assert_eq!(ids(&a), vec![2]);
    service.results_sync();
    assert_eq!(service.cached_results(), 1);
    // Same normalised query (case, accents, whitespace, now within the minute): cache hit.
    let again = SearchQuery {
        q: Some("COLDPLAY".into()),
        now_ms: NOW + 10,
        ..query.clone()
    };
    assert_eq!(service.search(&again).expect("search"), (a, Source::Cache));
    service.results_sync();
    assert_eq!(service.cached_results(), 1);
    let s = service.suggest("coldp", 5).expect("suggest");
    assert_eq!(s[0].text, "Coldplay");
    // Rename through the index directly: the service must notice.
    index
        .apply(
            vec![with(catalogue().remove(1), |e| {
                e.title = "Coldplay — Moon Music".into()
            })],
            vec![],
            2,
        )
        .expect("apply");
    let (b, source) = service.search(&query).expect("search");
    assert_eq!(source, Source::Index);
    assert_eq!(b.items[0].title, "Coldplay — Moon Music");
    index.apply(vec![], vec![2], 3).expect("apply");
    assert_eq!(service.search(&query).expect("search").0.total, 0);
    assert!(service.suggest("coldp", 5).expect("suggest").is_empty());
}

#[test]
fn concurrent_searches_during_applies() {
    let (_dir, index) = loaded();
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let index = index.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let r = index.search(&q("coldplay")).expect("search");
                    assert!(r.total <= 1);
                    index.suggest("tay", 5).expect("suggest");
                }
            })
        })
        .collect();
    for i in 0..20 {
        index
            .apply(vec![ev(1000 + i, "Filler")], vec![], 10 + i)
            .expect("apply");
    }
    for r in readers {
        r.join().expect("reader thread");
    }
    assert_eq!(index.num_docs(), 30);
    assert_eq!(index.cursor(), 29);
}

#[test]
fn synthetic_catalogue_relevance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path());
    index
        .apply(synthetic_docs(5000, 3).collect(), vec![], 1)
        .expect("apply");
    let now = synthetic::SYNTHETIC_NOW_MS;
    for (text, expect) in [
        ("tayler swift", "Taylor Swift"),
        ("coldpaly", "Coldplay"),
        ("metalica", "Metallica"),
        ("zauberflote", "Die Zauberflöte"),
        ("bjork", "Björk"),
    ] {
        let r = index
            .search(&SearchQuery {
                q: Some(text.into()),
                now_ms: now,
                ..SearchQuery::default()
            })
            .expect("search");
        assert!(r.total > 0, "{text}");
        for hit in &r.items {
            assert!(hit.title.contains(expect), "{text}: {}", hit.title);
        }
    }
    let r = index
        .search(&SearchQuery {
            city: Some("munchen".into()),
            now_ms: now,
            ..SearchQuery::default()
        })
        .expect("search");
    assert!(r.total > 0);
    assert!(r.items.iter().all(|h| h.city == "München"));
}

#[test]
fn category_words_match_as_category_or_as_text() {
    let (_dir, index) = loaded();
    let phantom = with(ev(20, "The Phantom of the Opera"), |e| {
        e.category = "theatre".into()
    });
    index.apply(vec![phantom], vec![], 2).expect("apply");
    // "opera" is a category; "phantom" only appears in a theatre title that says "Opera".
    assert_eq!(
        ids(&index.search(&q("phantom opera")).expect("search")),
        vec![20]
    );
    // Category match plus another word (the title mention scores higher than the category).
    let mut got = ids(&index.search(&q("opera munchen")).expect("search"));
    got.sort_unstable();
    assert_eq!(got, vec![4, 20]);
    let r = index.search(&q("theatre london")).expect("search");
    assert_eq!(ids(&r), vec![6]);
    // A lone category word lists the category (and other mentions) by next show.
    let r = index.search(&q("opera")).expect("search");
    assert_eq!(ids(&r), vec![20, 4]);
    assert!(r.items.iter().all(|h| h.score == 0.0));
}

#[test]
fn unfiltered_facets_follow_applies() {
    let (_dir, index) = loaded();
    let before = index.search(&all()).expect("search").facets;
    assert_eq!(before.category.get("opera"), Some(&1));
    index.apply(vec![], vec![4], 2).expect("apply");
    let after = index.search(&all()).expect("search");
    assert_eq!(after.total, 9);
    assert_eq!(after.facets.category.get("opera"), None);
    assert_eq!(after.facets.city.get("München"), Some(&4));
}

#[test]
fn long_date_ranges_use_coarse_buckets_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path());
    // One event every 7 days over two years, each with a single show.
    let docs: Vec<EventDoc> = (0..104)
        .map(|i| {
            with(ev(i + 1, "Weekly"), |e| {
                e.show_starts = vec![NOW + i * 7 * DAY]
            })
        })
        .collect();
    index.apply(docs, vec![], 1).expect("apply");
    for (from_day, to_day) in [(0, 6), (3, 200), (29, 91), (100, 500), (-50, 10), (0, 727)] {
        let query = SearchQuery {
            from_ms: Some(NOW + from_day * DAY),
            to_ms: Some(NOW + to_day * DAY - 1),
            ..all()
        };
        let r = index.search(&query).expect("search");
        let expected = (0..104i64)
            .filter(|i| i * 7 >= from_day && i * 7 < to_day)
            .count() as u64;
        assert_eq!(r.total, expected, "days {from_day}..{to_day}");
    }
}

#[test]
fn browsing_by_date_matches_the_full_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path());
    let docs: Vec<EventDoc> = synthetic_docs(3000, 11).collect();
    index
        .apply(docs[..1500].to_vec(), vec![], 1)
        .expect("apply");
    index
        .apply(docs[1500..].to_vec(), (1..300).collect(), 2)
        .expect("apply");
    for days in [-200, -30, 0, 17, 300] {
        for (offset, limit) in [(0, 1), (0, 7), (5, 20), (40, 60)] {
            let now = synthetic::SYNTHETIC_NOW_MS + days * DAY;
            let browse = SearchQuery {
                sort: SortOrder::Date,
                now_ms: now,
                offset,
                limit,
                ..SearchQuery::default()
            };
            // A filter that keeps everything forces the ordinary collector.
            let scan = SearchQuery {
                from_ms: Some(i64::MIN),
                ..browse.clone()
            };
            let a = index.search(&browse).expect("search");
            let b = index.search(&scan).expect("search");
            assert_eq!(
                ids(&a),
                ids(&b),
                "days {days}, offset {offset}, limit {limit}"
            );
            assert_eq!(a.total, b.total);
            assert_eq!(a.facets, b.facets);
            let shows: Vec<_> = a.items.iter().map(|h| h.next_show_at).collect();
            assert_eq!(
                shows,
                b.items.iter().map(|h| h.next_show_at).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn filtered_date_sort_counts_facets_like_the_general_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path());
    index
        .apply(synthetic_docs(4000, 5).collect(), vec![], 1)
        .expect("apply");
    for category in ["concert", "family"] {
        let quick = SearchQuery {
            category: Some(category.into()),
            sort: SortOrder::Date,
            now_ms: synthetic::SYNTHETIC_NOW_MS,
            limit: 30,
            ..SearchQuery::default()
        };
        // A date filter that keeps everything takes the general path.
        let general = SearchQuery {
            from_ms: Some(i64::MIN),
            ..quick.clone()
        };
        let a = index.search(&quick).expect("search");
        let b = index.search(&general).expect("search");
        assert_eq!(a.total, b.total);
        assert_eq!(a.facets, b.facets);
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(a.facets.category.len(), 1);
        assert_eq!(a.facets.city.values().sum::<u64>(), a.total);
    }
}

#[test]
fn date_ranges_with_other_filters_count_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path());
    let docs: Vec<EventDoc> = synthetic_docs(4000, 9).collect();
    index.apply(docs.clone(), vec![], 1).expect("apply");
    let now = synthetic::SYNTHETIC_NOW_MS;
    for (city, category, days) in [
        (None, Some("concert"), 10),
        (Some("London"), None, 45),
        (Some("Berlin"), Some("sport"), 200),
        (None, Some("comedy"), 3),
    ] {
        let (from, to) = (now, now + days * DAY);
        let query = SearchQuery {
            city: city.map(str::to_string),
            category: category.map(str::to_string),
            from_ms: Some(from),
            to_ms: Some(to),
            now_ms: now,
            ..SearchQuery::default()
        };
        let expected = docs
            .iter()
            .filter(|d| city.is_none_or(|c| d.city == c))
            .filter(|d| category.is_none_or(|c| d.category == c))
            .filter(|d| d.show_starts.iter().any(|s| (from..=to).contains(s)))
            .count() as u64;
        let r = index.search(&query).expect("search");
        assert_eq!(r.total, expected, "{city:?} {category:?} {days}");
    }
}

#[test]
fn bulk_load_ends_settled_and_searchable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path());
    index.begin_bulk_load().expect("begin");
    // One apply per event: many small segments, none merged during the load.
    for (i, doc) in catalogue().into_iter().enumerate() {
        index.apply(vec![doc], vec![], 1 + i as i64).expect("apply");
    }
    assert!(index.num_segments() >= catalogue().len());
    let before = index.search(&all()).expect("search");
    index.end_bulk_load().expect("end");
    assert!(index.num_segments() <= super::index::search_threads());
    let after = index.search(&all()).expect("search");
    assert_eq!(ids(&after), ids(&before));
    assert_eq!(after.facets, before.facets);
    assert_eq!(first(&index, &q("tayler swift")), 1);
    // Ordinary applies (and background merges) go on afterwards.
    index.apply(vec![], vec![1], 99).expect("apply");
    assert_eq!(
        index.search(&all()).expect("search").total,
        before.total - 1
    );
}

#[test]
fn segments_are_grouped_by_document_count() {
    use super::index::balanced_groups;
    let ids: Vec<tantivy::index::SegmentId> = (0..5)
        .map(|_| tantivy::index::SegmentId::generate_random())
        .collect();
    let sizes = [500, 300, 200, 100, 100];
    let groups = balanced_groups(ids.iter().copied().zip(sizes).collect(), 2);
    let docs = |g: &Vec<tantivy::index::SegmentId>| -> u32 {
        g.iter()
            .map(|id| sizes[ids.iter().position(|x| x == id).expect("known id")])
            .sum()
    };
    assert_eq!(groups.len(), 2);
    assert_eq!(groups.iter().map(docs).collect::<Vec<_>>(), vec![600, 600]);
    // Never more groups than segments, and no empty ones.
    assert_eq!(
        balanced_groups(ids[..1].iter().map(|&id| (id, 7)).collect(), 4).len(),
        1
    );
    assert!(balanced_groups(Vec::new(), 2).is_empty());
}

#[test]
fn concurrent_identical_misses_search_once() {
    let (_dir, index) = loaded();
    let service = SearchService::new(index);
    let threads = 8;
    let rounds = 20;
    for round in 0..rounds {
        // A new query each round, so every round starts with a miss.
        let query = SearchQuery {
            offset: round,
            ..q("concert")
        };
        let barrier = std::sync::Barrier::new(threads);
        let results: Vec<SearchResults> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        service.search(&query).expect("search").0
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        assert!(results.windows(2).all(|w| w[0] == w[1]));
    }
    assert_eq!(service.index_searches(), rounds as u64);
}
