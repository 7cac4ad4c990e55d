//! The read side's maintained state against a full recount: random catalog changes (venues in
//! a few cities, events, shows in the past and the future, category changes, cancellations)
//! on each store, and after every change the city list and a spread of browse pages answered
//! from memory must equal what the store's SQL computes from scratch.

use crate::db::{fresh_pg_database, postgres_or_skip};
use boxoffice::clock::Clock;
use boxoffice::domain::catalog::*;
use boxoffice::domain::*;
use boxoffice::reads::Reads;
use boxoffice::store::*;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use std::sync::Arc;

const HOUR: i64 = 3_600_000;
/// (city, country): one name in two countries, accents, and names a collation would order
/// differently from their bytes.
const CITIES: &[(&str, &str)] = &[
    ("Lyon", "FR"),
    ("Paris", "FR"),
    ("Paris", "US"),
    ("Zürich", "CH"),
    ("Évry", "FR"),
    ("New York", "US"),
    ("Newark", "US"),
    ("aarhus", "DK"),
];

#[derive(Debug, Clone)]
enum Op {
    Venue {
        city: Index,
    },
    Event {
        venue: Index,
        category: Index,
    },
    /// A show `hours` from now (negative: already started).
    Show {
        event: Index,
        hours: i64,
        price: i64,
    },
    Recategorise {
        event: Index,
        category: Index,
    },
    Cancel {
        event: Index,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => any::<Index>().prop_map(|city| Op::Venue { city }),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(venue, category)| Op::Event { venue, category }),
        // Often on the same few instants, so shows tie on their start.
        5 => (any::<Index>(), prop_oneof![-72i64..24 * 60, (-1i64..4).prop_map(|d| d * 48)], 1i64..500)
            .prop_map(|(event, hours, price)| Op::Show { event, hours, price }),
        1 => (any::<Index>(), any::<Index>())
            .prop_map(|(event, category)| Op::Recategorise { event, category }),
        1 => any::<Index>().prop_map(|event| Op::Cancel { event }),
    ]
}

struct World {
    store: DynStore,
    reads: Reads,
    now: UnixMs,
    venues: Vec<VenueId>,
    events: Vec<EventId>,
}

fn venue(city: usize) -> NewVenue {
    let (name, country) = CITIES[city % CITIES.len()];
    NewVenue {
        name: format!("Hall of {name}"),
        city: name.into(),
        country: country.into(),
        address: "1 Main Street".into(),
        lat: 45.0,
        lon: 5.0,
        timezone: "Europe/Paris".into(),
        sections: vec![NewSection {
            name: "Floor".into(),
            kind: SectionKind::Standing,
            rows: Vec::new(),
            capacity: 2,
        }],
    }
}

impl World {
    async fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let now = self.now;
        match op {
            Op::Venue { city } => {
                let v = self
                    .store
                    .create_venue(venue(city.index(CITIES.len())), now)
                    .await
                    .map_err(|e| TestCaseError::fail(format!("venue: {e}")))?;
                self.venues.push(v.id);
            }
            Op::Event { venue, category } => {
                if self.venues.is_empty() {
                    return Ok(());
                }
                let e = self
                    .store
                    .create_event(
                        NewEvent {
                            title: format!("Event {}", self.events.len()),
                            description: String::new(),
                            category: CATEGORIES[category.index(CATEGORIES.len())].into(),
                            venue_id: *venue.get(&self.venues),
                            performer_ids: Vec::new(),
                        },
                        now,
                    )
                    .await
                    .map_err(|e| TestCaseError::fail(format!("event: {e}")))?;
                self.events.push(e.id);
            }
            Op::Show {
                event,
                hours,
                price,
            } => {
                if self.events.is_empty() {
                    return Ok(());
                }
                let show = NewShow {
                    starts_at: now + hours * HOUR,
                    on_sale_at: now - HOUR,
                    hold_ttl_seconds: 60,
                    max_per_order: 2,
                    waiting_room: false,
                    currency: Currency::parse(if *price % 3 == 0 { "USD" } else { "EUR" })
                        .map_err(TestCaseError::fail)?,
                    prices: vec![("Floor".into(), *price * 100)],
                };
                // A show on a cancelled event is refused, which changes nothing.
                let _ = self
                    .store
                    .create_show(*event.get(&self.events), show, now)
                    .await;
            }
            Op::Recategorise { event, category } => {
                if self.events.is_empty() {
                    return Ok(());
                }
                let patch = EventPatch {
                    title: None,
                    description: None,
                    category: Some(CATEGORIES[category.index(CATEGORIES.len())].into()),
                    performer_ids: None,
                };
                let _ = self
                    .store
                    .update_event(*event.get(&self.events), patch, now)
                    .await;
            }
            Op::Cancel { event } => {
                if self.events.is_empty() {
                    return Ok(());
                }
                let _ = self.store.cancel_event(*event.get(&self.events), now).await;
            }
        }
        Ok(())
    }

    /// The queries each check asks both ways.
    fn queries(&self) -> Vec<BrowseQuery> {
        let base = BrowseQuery {
            from: self.now,
            page: 1,
            per_page: 5,
            ..BrowseQuery::default()
        };
        let mut queries = vec![
            base.clone(),
            BrowseQuery {
                page: 2,
                per_page: 2,
                ..base.clone()
            },
            BrowseQuery {
                from: self.now - 48 * HOUR,
                ..base.clone()
            },
            BrowseQuery {
                to: Some(self.now + 24 * HOUR),
                ..base.clone()
            },
            BrowseQuery {
                from: self.now + 2 * HOUR,
                to: Some(self.now + 200 * HOUR),
                per_page: 3,
                ..base.clone()
            },
            BrowseQuery {
                category: Some("concert".into()),
                ..base.clone()
            },
            BrowseQuery {
                category: Some("theatre".into()),
                to: Some(self.now + 300 * HOUR),
                ..base.clone()
            },
        ];
        for city in ["lyon", "PARIS", "Zürich", "Nowhere"] {
            queries.push(BrowseQuery {
                city: Some(city.into()),
                ..base.clone()
            });
            queries.push(BrowseQuery {
                city: Some(city.into()),
                category: Some("concert".into()),
                to: Some(self.now + 100 * HOUR),
                page: 1,
                per_page: 2,
                ..base.clone()
            });
        }
        queries
    }

    async fn check(&self) -> Result<(), TestCaseError> {
        prop_assert!(
            self.reads.caught_up().await,
            "the read side did not catch up with the store"
        );
        // Instants before the follower's clock too (the counts are kept from it on).
        for at in [
            self.now - 30 * HOUR,
            self.now,
            Clock::System.now_ms(),
            self.now + 5 * HOUR,
            self.now + 30 * 24 * HOUR,
        ] {
            let mine = self.reads.cities(at).await.map_err(fail)?;
            let recount = self.store.cities(at).await.map_err(fail)?;
            prop_assert_eq!(json(&mine.value.items), json(&recount), "cities at {}", at);
        }
        for q in self.queries() {
            let mine = self.reads.browse(&q).await.map_err(fail)?;
            let recount = self.store.browse_events(&q).await.map_err(fail)?;
            prop_assert_eq!(mine.value.total, recount.total, "total of {:?}", q);
            prop_assert_eq!(
                json(&mine.value.items),
                json(&recount.items),
                "items of {:?}",
                q
            );
        }
        Ok(())
    }
}

fn fail(e: StoreError) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

async fn open(backend: &str, dir: &std::path::Path) -> DynStore {
    let store: DynStore = match backend {
        "sqlite" => Arc::new(
            SqliteStore::open(&dir.join("reads.db"))
                .await
                .expect("sqlite"),
        ),
        _ => Arc::new(
            PgStore::connect(&fresh_pg_database().await)
                .await
                .expect("postgres"),
        ),
    };
    store.migrate().await.expect("migrate");
    store
}

/// The read side over `store`, with its change-feed follower running until `stop` is sent.
fn follow(
    store: &DynStore,
    now: UnixMs,
) -> (
    Reads,
    boxoffice::shutdown::Trigger,
    tokio::task::JoinHandle<()>,
) {
    let reads = Reads::new(store.clone(), now);
    let stop = boxoffice::shutdown::trigger();
    let follower = tokio::spawn(boxoffice::reads::run(
        reads.clone(),
        Clock::System,
        stop.subscribe(),
    ));
    (reads, stop, follower)
}

fn run(backend: &str, default_cases: u32) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let result = runner.run(&proptest::collection::vec(op(), 5..40), |ops| {
        rt.block_on(async {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = open(backend, dir.path()).await;
            let now = Clock::System.now_ms();
            let (reads, stop, follower) = follow(&store, now);
            for _ in 0..1_000 {
                if reads.ready() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            let mut world = World {
                store,
                reads,
                now,
                venues: Vec::new(),
                events: Vec::new(),
            };
            let mut outcome = Ok(());
            for (i, op) in ops.iter().enumerate() {
                let step = async {
                    world.step(op).await?;
                    world.check().await
                };
                if let Err(e) = step.await {
                    outcome = Err(TestCaseError::fail(format!("step {i} {op:?}: {e}")));
                    break;
                }
            }
            let _ = stop.send(true);
            let _ = follower.await;
            outcome
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A burst of requests for one browse page not yet cached computes it once, and every request
/// gets that one page.
#[test]
fn a_burst_for_one_cold_page_computes_it_once() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open("sqlite", dir.path()).await;
        let now = Clock::System.now_ms();
        let hall = store.create_venue(venue(0), now).await.expect("venue");
        for i in 0..300 {
            let event = NewEvent {
                title: format!("Event {i}"),
                description: String::new(),
                category: "concert".into(),
                venue_id: hall.id,
                performer_ids: Vec::new(),
            };
            let event = store.create_event(event, now).await.expect("event");
            let show = NewShow {
                starts_at: now + (i + 1) * HOUR,
                on_sale_at: now - HOUR,
                hold_ttl_seconds: 60,
                max_per_order: 2,
                waiting_room: false,
                currency: Currency::parse("EUR").expect("currency"),
                prices: vec![("Floor".into(), 1_000)],
            };
            store.create_show(event.id, show, now).await.expect("show");
        }
        let (reads, stop, follower) = follow(&store, now);
        while !reads.caught_up().await {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let q = BrowseQuery {
            from: now,
            page: 7,
            per_page: 20,
            ..BrowseQuery::default()
        };
        let before = reads.pages_computed();
        let burst: Vec<_> = (0..32)
            .map(|_| {
                let (reads, q) = (reads.clone(), q.clone());
                tokio::spawn(async move { reads.browse(&q).await.expect("browse") })
            })
            .collect();
        let mut pages = Vec::new();
        for task in burst {
            pages.push(task.await.expect("task"));
        }
        assert_eq!(reads.pages_computed() - before, 1, "computed once");
        assert!(pages.iter().all(|p| Arc::ptr_eq(p, &pages[0])));
        assert_eq!(pages[0].value.total, 300);
        assert_eq!(pages[0].value.items.len(), 20);
        let _ = stop.send(true);
        let _ = follower.await;
    });
}

#[test]
fn sqlite_reads_match_a_recount() {
    run("sqlite", 24);
}

#[test]
fn postgres_reads_match_a_recount() {
    if postgres_or_skip().is_none() {
        return;
    }
    run("postgres", 8);
}
