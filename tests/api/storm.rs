//! Storms: hundreds of buyers at once against one small show, over the real HTTP server (one
//! in-process server per store, or three `boxoffice serve` processes on one PostgreSQL
//! database). Whatever interleaving happened, the books must balance afterwards.

use crate::audit;
use crate::booking::{seat_ids, OK_CARD};
use crate::dual;
use crate::helpers::{postgres_or_skip, Db, TestApp};
use crate::procs::Deployment;
use boxoffice::domain::ShowId;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub const DECLINED_CARD: &str = "4000000000000002";

dual!(storm_of_buyers_never_oversells);

const BUYERS: usize = 300;
/// 2 rows x 20 seats + a standing section of 40.
const ROWS: usize = 2;
const PER_ROW: i64 = 20;
const STANDING: i64 = 40;
const CAPACITY: i64 = ROWS as i64 * PER_ROW + STANDING;

/// A buyer: a session token on one of the servers.
#[derive(Clone)]
pub struct Shopper {
    pub token: String,
    pub app: usize,
}

/// A booking answered `confirmed`.
#[derive(Debug, Clone)]
pub struct Sale {
    pub booking: String,
    pub seats: Vec<String>,
    pub shopper: usize,
}

/// What the buyers saw.
#[derive(Debug, Default)]
pub struct Tally {
    pub sales: Vec<Sale>,
    /// Holds still live at the end (abandoned, or kept after a declined card).
    pub live_holds: Vec<(String, Vec<String>)>,
    pub holds: usize,
    pub conflicts: usize,
    pub declined: usize,
    pub released: usize,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.sales.extend(other.sales);
        self.live_holds.extend(other.live_holds);
        self.holds += other.holds;
        self.conflicts += other.conflicts;
        self.declined += other.declined;
        self.released += other.released;
    }
}

/// Registers and logs in `n` buyers, round-robin over `apps`, a batch at a time (each costs two
/// argon2 computations on the server).
pub async fn shoppers(apps: &[TestApp], n: usize) -> Vec<Shopper> {
    let mut out = Vec::with_capacity(n);
    let indexes: Vec<usize> = (0..n).collect();
    for batch in indexes.chunks(16) {
        let tokens =
            futures::future::join_all(batch.iter().map(|i| apps[i % apps.len()].buyer())).await;
        out.extend(batch.iter().zip(tokens).map(|(i, token)| Shopper {
            token,
            app: i % apps.len(),
        }));
    }
    out
}

fn ids(v: &Value) -> Vec<String> {
    v["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["id"].as_str().expect("seat id").to_owned())
        .collect()
}

/// One buyer: hold (explicit random seats or best available; one retry after a 409), then pay,
/// pay with a declined card (and maybe retry with a good one), release, or walk away.
async fn shop(
    app: &TestApp,
    token: &str,
    show: &Value,
    seated: &[String],
    who: usize,
    rng: &mut StdRng,
) -> Tally {
    let mut tally = Tally::default();
    let mut hold = None;
    for _ in 0..2 {
        let resp = match rng.gen_range(0..100) {
            0..45 => {
                let k = rng.gen_range(1..=3);
                let seats: Vec<String> = seated.choose_multiple(rng, k).cloned().collect();
                app.hold(token, show, &seats).await
            }
            45..75 => {
                app.hold_best(token, show, "Stalls", rng.gen_range(1..=3))
                    .await
            }
            _ => {
                app.hold_best(token, show, "Floor", rng.gen_range(1..=4))
                    .await
            }
        };
        match resp.status.as_u16() {
            201 => {
                hold = Some(resp.body);
                break;
            }
            409 => tally.conflicts += 1,
            other => panic!("hold answered {other}: {}", resp.text),
        }
    }
    let Some(hold) = hold else { return tally };
    tally.holds += 1;
    let seats = ids(&hold);
    let sale = |b: &Value| Sale {
        booking: b["id"].as_str().expect("booking id").to_owned(),
        seats: ids(b),
        shopper: who,
    };
    match rng.gen_range(0..100) {
        0..60 => {
            let b = app.book(token, &hold, OK_CARD).await;
            assert_eq!(b.ok(201)["status"], "confirmed", "{}", b.text);
            assert_eq!(ids(&b.body), seats);
            tally.sales.push(sale(&b.body));
        }
        60..80 => {
            let b = app.book(token, &hold, DECLINED_CARD).await;
            assert_eq!(b.ok(201)["status"], "payment_failed", "{}", b.text);
            tally.declined += 1;
            if rng.gen_bool(0.5) {
                let b = app.book(token, &hold, OK_CARD).await;
                assert_eq!(b.ok(201)["status"], "confirmed", "{}", b.text);
                tally.sales.push(sale(&b.body));
            } else {
                tally
                    .live_holds
                    .push((hold["id"].as_str().unwrap().to_owned(), seats));
            }
        }
        80..92 => {
            let path = format!("/api/v1/holds/{}", hold["id"].as_str().unwrap());
            let r = app
                .request(reqwest::Method::DELETE, &path, Some(token), None)
                .await;
            assert_eq!(r.status, 204, "{}", r.text);
            tally.released += 1;
        }
        _ => tally
            .live_holds
            .push((hold["id"].as_str().unwrap().to_owned(), seats)),
    }
    tally
}

/// Lets every shopper loose at once (a barrier releases them together).
pub async fn storm(
    apps: Arc<Vec<TestApp>>,
    show: &Value,
    shoppers: &[Shopper],
    seed: u64,
) -> Tally {
    let seated = Arc::new(seat_ids(&apps[0].seat_map(show).await, 0));
    let barrier = Arc::new(tokio::sync::Barrier::new(shoppers.len()));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, s) in shoppers.iter().enumerate() {
        let (apps, show, seated, barrier, s) = (
            apps.clone(),
            show.clone(),
            seated.clone(),
            barrier.clone(),
            s.clone(),
        );
        tasks.spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed.wrapping_add(i as u64));
            barrier.wait().await;
            shop(&apps[s.app], &s.token, &show, &seated, i, &mut rng).await
        });
    }
    let mut tally = Tally::default();
    while let Some(done) = tasks.join_next().await {
        tally.merge(done.expect("shopper task"));
    }
    tally
}

/// The books after a storm, through the store, the seat map, the database and each buyer's
/// own view of their booking.
pub async fn check_books(
    apps: &[TestApp],
    show: &Value,
    shoppers: &[Shopper],
    tally: &Tally,
    capacity: i64,
) {
    let app = &apps[0];
    let show_id: ShowId = show["id"].as_str().unwrap().parse().unwrap();
    let now = app.clock.now_ms();
    let report = app
        .store
        .tools()
        .inventory_report(show_id, now)
        .await
        .unwrap();
    assert_eq!((report.oversold, report.mismatched), (0, 0), "{report:?}");
    assert_eq!(report.capacity, capacity, "{report:?}");
    assert_eq!(
        report.available + report.held + report.sold,
        capacity,
        "{report:?}"
    );

    // No seat in two confirmed answers; the store sold exactly the seats it confirmed.
    let mut sold = BTreeSet::new();
    for sale in &tally.sales {
        for seat in &sale.seats {
            assert!(
                sold.insert(seat.clone()),
                "seat {seat} is in two confirmed bookings"
            );
        }
    }
    assert_eq!(report.sold, sold.len() as i64, "{report:?}");
    assert_eq!(report.confirmed_bookings, tally.sales.len() as i64);
    let mut held = BTreeSet::new();
    for (hold, seats) in &tally.live_holds {
        for seat in seats {
            assert!(
                !sold.contains(seat) && held.insert(seat.clone()),
                "seat {seat} of live hold {hold} is claimed twice"
            );
        }
    }
    assert_eq!(report.held, held.len() as i64, "{report:?}");

    // Seat by seat, the public seat map agrees.
    let map = app.seat_map(show).await;
    for seat in map["sections"][0]["seats"].as_array().unwrap() {
        let id = seat["id"].as_str().unwrap();
        let want = if sold.contains(id) {
            "sold"
        } else if held.contains(id) {
            "held"
        } else {
            "available"
        };
        assert_eq!(seat["status"], want, "seat {id}");
    }

    // And so does the database, including the standing places the map does not list.
    let snap = audit::snapshot(&app.config, show_id.get()).await;
    assert_eq!(snap.tickets.len() as i64, capacity);
    let violations = snap.violations(now);
    assert!(violations.is_empty(), "{violations:#?}");
    let mut by_booking: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for sale in &tally.sales {
        let id: i64 = sale.booking.parse().unwrap();
        let seats: BTreeSet<i64> = sale.seats.iter().map(|s| s.parse().unwrap()).collect();
        assert_eq!(snap.sold_to(id), seats, "booking {id}");
        by_booking.insert(id, seats);
    }
    assert_eq!(snap.count("sold"), sold.len());
    assert_eq!(snap.count("held"), held.len());

    // Each buyer still sees a confirmed booking with those seats.
    for sale in &tally.sales {
        let s = &shoppers[sale.shopper];
        let b = apps[s.app]
            .booking(&s.token, &Value::String(sale.booking.clone()))
            .await;
        assert_eq!(b.ok(200)["status"], "confirmed");
        assert_eq!(ids(&b.body), sale.seats);
    }
}

fn seed() -> u64 {
    let seed = std::env::var("STORM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("storm seed {seed} (set STORM_SEED to repeat the buyers' choices)");
    seed
}

fn assert_contended(tally: &Tally) {
    eprintln!(
        "storm: {} holds, {} conflicts, {} confirmed, {} declined, {} released, {} live holds",
        tally.holds,
        tally.conflicts,
        tally.sales.len(),
        tally.declined,
        tally.released,
        tally.live_holds.len()
    );
    assert!(!tally.sales.is_empty(), "somebody bought something");
    assert!(tally.conflicts > 0, "buyers competed for places");
}

async fn storm_of_buyers_never_oversells(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, ROWS, PER_ROW, STANDING).await;
    let apps = Arc::new(vec![app]);
    let buyers = shoppers(&apps, BUYERS).await;
    let tally = storm(apps.clone(), &show, &buyers, seed()).await;
    assert_contended(&tally);
    check_books(&apps, &show, &buyers, &tally, CAPACITY).await;
}

/// Three `boxoffice serve` processes share one PostgreSQL database; the buyers are spread over
/// them round-robin, so the only thing keeping them apart is the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_across_three_servers_never_oversells() {
    if postgres_or_skip().is_none() {
        return;
    }
    let deployment = Deployment::new(Db::Postgres, 3).await;
    let mut servers = Vec::new();
    let mut apps = Vec::new();
    for n in 0..3 {
        let server = deployment.start(n).await;
        apps.push(deployment.attach(&server, n).await);
        servers.push(server);
    }
    let bases: BTreeSet<&String> = servers.iter().map(|s| &s.base).collect();
    assert_eq!(bases.len(), 3, "three servers on three ports");
    let admin = deployment.admin(&apps[0]).await;
    let (_, show) = apps[0]
        .scheduled_show(&admin, ROWS, PER_ROW, STANDING)
        .await;
    let apps = Arc::new(apps);
    let buyers = shoppers(&apps, BUYERS).await;
    let tally = storm(apps.clone(), &show, &buyers, seed()).await;
    assert_contended(&tally);
    for n in 0..3 {
        assert!(
            tally.sales.iter().any(|s| buyers[s.shopper].app == n),
            "server {n} sold something"
        );
    }
    check_books(&apps, &show, &buyers, &tally, CAPACITY).await;
    drop(servers);
}
