//! `kill -9` in the middle of a storm of purchases: every booking the server answered
//! `confirmed` survives the restart, and nothing is left half-done.

use crate::audit;
use crate::booking::{seat_ids, OK_CARD};
use crate::dual;
use crate::helpers::{open_store, Db, TestApp};
use crate::procs::Deployment;
use crate::storm::{shoppers, Sale, DECLINED_CARD};
use boxoffice::domain::ShowId;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

dual!(kill_nine_mid_storm_keeps_every_confirmed_booking);

const BUYERS: usize = 120;
const ROUNDS: usize = 5;
/// The server is killed once this many bookings were answered `confirmed`.
const KILL_AFTER: usize = 20;
/// 4 rows x 25 seats + 100 standing.
const CAPACITY: i64 = 200;

/// A POST that reports a dead server as `None` instead of panicking.
async fn try_post(app: &TestApp, path: &str, token: &str, body: Value) -> Option<(u16, Value)> {
    let resp = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.ok()?;
    Some((status, body))
}

fn ids(v: &Value) -> Vec<String> {
    v["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

struct Shared {
    sales: Mutex<Vec<Sale>>,
    confirmed: AtomicUsize,
    interrupted: AtomicUsize,
}

/// One buyer: up to `ROUNDS` hold-and-pay rounds, until the server stops answering.
async fn buyer(
    app: &TestApp,
    token: &str,
    show: &Value,
    seated: &[String],
    who: usize,
    rng: &mut StdRng,
    shared: &Shared,
) {
    for _ in 0..ROUNDS {
        let body = match rng.gen_range(0..100) {
            0..45 => {
                let k = rng.gen_range(1..=3);
                let seats: Vec<&String> = seated.choose_multiple(rng, k).collect();
                json!({"show_id": show["id"], "seat_ids": seats})
            }
            45..75 => {
                json!({"show_id": show["id"], "section": "Stalls", "quantity": rng.gen_range(1..=3)})
            }
            _ => {
                json!({"show_id": show["id"], "section": "Floor", "quantity": rng.gen_range(1..=4)})
            }
        };
        let Some((status, hold)) = try_post(app, "/api/v1/holds", token, body).await else {
            shared.interrupted.fetch_add(1, Ordering::SeqCst);
            return;
        };
        match status {
            201 => {}
            409 => continue,
            other => panic!("hold answered {other}: {hold}"),
        }
        let card = if rng.gen_bool(0.85) {
            OK_CARD
        } else {
            DECLINED_CARD
        };
        let pay =
            json!({"hold_id": hold["id"], "payment": {"provider": "test", "card_number": card}});
        let Some((status, booking)) = try_post(app, "/api/v1/bookings", token, pay).await else {
            shared.interrupted.fetch_add(1, Ordering::SeqCst);
            return;
        };
        assert_eq!(status, 201, "{booking}");
        let want = if card == OK_CARD {
            "confirmed"
        } else {
            "payment_failed"
        };
        assert_eq!(booking["status"], want, "{booking}");
        if want == "confirmed" {
            assert_eq!(ids(&booking), ids(&hold));
            shared.sales.lock().unwrap().push(Sale {
                booking: booking["id"].as_str().unwrap().to_owned(),
                seats: ids(&booking),
                shopper: who,
            });
            shared.confirmed.fetch_add(1, Ordering::SeqCst);
        }
    }
}

async fn kill_nine_mid_storm_keeps_every_confirmed_booking(db: Db) {
    let deployment = Deployment::new(db, 1).await;
    let mut server = deployment.start(0).await;
    let app = deployment.attach(&server, 0).await;
    let admin = deployment.admin(&app).await;
    let (_, show) = app.scheduled_show(&admin, 4, 25, 100).await;
    let seated = Arc::new(seat_ids(&app.seat_map(&show).await, 0));
    let apps = Arc::new(vec![app]);
    let buyers = shoppers(&apps, BUYERS).await;

    let seed: u64 = rand::random();
    eprintln!("kill -9 storm seed {seed}");
    let shared = Arc::new(Shared {
        sales: Mutex::new(Vec::new()),
        confirmed: AtomicUsize::new(0),
        interrupted: AtomicUsize::new(0),
    });
    let barrier = Arc::new(tokio::sync::Barrier::new(buyers.len() + 1));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, b) in buyers.iter().enumerate() {
        let (apps, show, seated, barrier, shared, token) = (
            apps.clone(),
            show.clone(),
            seated.clone(),
            barrier.clone(),
            shared.clone(),
            b.token.clone(),
        );
        tasks.spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed.wrapping_add(i as u64));
            barrier.wait().await;
            buyer(&apps[0], &token, &show, &seated, i, &mut rng, &shared).await;
        });
    }
    barrier.wait().await;
    while shared.confirmed.load(Ordering::SeqCst) < KILL_AFTER {
        if let Some(done) = tasks.try_join_next() {
            done.expect("buyer task");
        }
        assert!(!tasks.is_empty(), "the storm ended before the kill");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    server.kill9();
    while let Some(done) = tasks.join_next().await {
        done.expect("buyer task");
    }
    let sales = shared.sales.lock().unwrap().clone();
    let interrupted = shared.interrupted.load(Ordering::SeqCst);
    eprintln!(
        "{db:?}: killed after {} confirmations; {} buyers were cut off",
        sales.len(),
        interrupted
    );
    assert!(sales.len() >= KILL_AFTER);
    assert!(
        interrupted > 0,
        "the kill landed while requests were in flight"
    );

    // Start again on the same data.
    let server = deployment.start(0).await;
    let app = deployment.attach(&server, 0).await;
    let show_id: ShowId = show["id"].as_str().unwrap().parse().unwrap();
    let map = app.seat_map(&show).await;
    let status_of = |seat: &str| {
        map["sections"][0]["seats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == json!(seat))
            .map(|s| s["status"].as_str().unwrap().to_owned())
    };
    let mut confirmed_seats = BTreeSet::new();
    for sale in &sales {
        let b = app
            .booking(
                &buyers[sale.shopper].token,
                &Value::String(sale.booking.clone()),
            )
            .await;
        assert_eq!(b.ok(200)["status"], "confirmed", "booking {}", sale.booking);
        assert_eq!(ids(&b.body), sale.seats);
        for seat in &sale.seats {
            assert!(
                confirmed_seats.insert(seat.clone()),
                "seat {seat} sold twice"
            );
            if let Some(status) = status_of(seat) {
                assert_eq!(status, "sold", "seat {seat} of booking {}", sale.booking);
            }
        }
    }

    // The database, opened directly, balances and holds nothing half-done.
    let store = open_store(&deployment.config()).await;
    let now = app.clock.now_ms();
    let report = store.tools().inventory_report(show_id, now).await.unwrap();
    eprintln!("{db:?}: after restart {report:?}");
    assert_eq!((report.oversold, report.mismatched), (0, 0), "{report:?}");
    assert_eq!(report.capacity, CAPACITY);
    assert_eq!(report.available + report.held + report.sold, CAPACITY);
    assert!(report.sold >= confirmed_seats.len() as i64, "{report:?}");
    assert!(report.confirmed_bookings >= sales.len() as i64);
    let snap = audit::snapshot(&deployment.config(), show_id.get()).await;
    let violations = snap.violations(now);
    assert!(violations.is_empty(), "{violations:#?}");
    for sale in &sales {
        let id: i64 = sale.booking.parse().unwrap();
        let seats: BTreeSet<i64> = sale.seats.iter().map(|s| s.parse().unwrap()).collect();
        assert_eq!(snap.sold_to(id), seats, "booking {id}");
    }

    // And the restarted server sells what is left.
    let fresh = app.buyer().await;
    let floor_left = map["sections"][1]["available"].as_i64().unwrap();
    let free_seat = map["sections"][0]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "available")
        .map(|s| s["id"].as_str().unwrap().to_owned());
    let hold = match (floor_left, free_seat) {
        (1.., _) => Some(app.hold_best(&fresh, &show, "Floor", 1).await),
        (_, Some(seat)) => Some(app.hold(&fresh, &show, &[seat]).await),
        _ => None,
    };
    if let Some(hold) = hold {
        let booked = app.book(&fresh, hold.ok(201), OK_CARD).await;
        assert_eq!(booked.ok(201)["status"], "confirmed");
    }
}
