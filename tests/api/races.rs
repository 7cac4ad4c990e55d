//! Two buyers, one seat, the same instant, over the real HTTP server.
//!
//! The negative control switches the claim guard off (the claim becomes a read in application
//! code, then a blind write): both buyers then win the same seat, which shows the race is real
//! and that the test can see it. With the guard on, exactly one wins every time.

use crate::booking::{seat_ids, OK_CARD};
use crate::dual;
use crate::helpers::{Db, Response, TestApp};
use boxoffice::domain::ShowId;
use serde_json::{json, Value};

dual!(
    without_the_claim_guard_both_buyers_win,
    with_the_claim_guard_exactly_one_buyer_wins,
);

const CONTROL_ROUNDS: usize = 20;
const GUARDED_ROUNDS: usize = 100;

/// Both buyers ask for `seat` at once; the order they are sent in alternates with `round`.
async fn race(
    app: &TestApp,
    show: &Value,
    a: &str,
    b: &str,
    seat: &str,
    round: usize,
) -> (Response, Response) {
    let one = [seat.to_owned()];
    if round.is_multiple_of(2) {
        tokio::join!(app.hold(a, show, &one), app.hold(b, show, &one))
    } else {
        let (rb, ra) = tokio::join!(app.hold(b, show, &one), app.hold(a, show, &one));
        (ra, rb)
    }
}

/// Opens a connection per buyer before the races, so both requests start equally warm.
async fn warm_up(app: &TestApp, show: &Value) {
    let path = format!("/api/v1/shows/{}", show["id"].as_str().unwrap());
    let (x, y) = tokio::join!(app.get(&path), app.get(&path));
    x.ok(200);
    y.ok(200);
}

async fn without_the_claim_guard_both_buyers_win(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app
        .scheduled_show(&admin, 1, CONTROL_ROUNDS as i64, 0)
        .await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let (a, b) = (app.buyer().await, app.buyer().await);
    warm_up(&app, &show).await;
    app.store.tools().set_claim_guard(false);
    let mut doubled = Vec::new();
    for (round, seat) in seats.iter().enumerate() {
        let (ra, rb) = race(&app, &show, &a, &b, seat, round).await;
        for r in [&ra, &rb] {
            assert!(
                r.status == 201 || r.status == 409,
                "hold answered {}: {}",
                r.status,
                r.text
            );
        }
        if ra.status == 201 && rb.status == 201 {
            doubled.push((ra.body, rb.body));
        }
    }
    app.store.tools().set_claim_guard(true);
    eprintln!(
        "{db:?}: without the guard both buyers won {} of {CONTROL_ROUNDS} races",
        doubled.len()
    );
    assert_eq!(
        doubled.len(),
        CONTROL_ROUNDS,
        "the unguarded claim lets both buyers win every race"
    );

    // The damage is real: two live holds name the same seat.
    let (ha, hb) = &doubled[0];
    assert_eq!(ha["seats"][0]["id"], hb["seats"][0]["id"]);
    for (token, hold) in [(&a, ha), (&b, hb)] {
        let path = format!("/api/v1/holds/{}", hold["id"].as_str().unwrap());
        assert_eq!(app.get_as(&path, token).await.ok(200)["status"], "active");
    }
    // Only the buyer whose write came last still owns the ticket: the other, told the seat was
    // theirs, finds the hold dead when paying (the sale itself is guarded separately).
    let mut outcomes = Vec::new();
    for (token, hold) in [(&a, ha), (&b, hb)] {
        let r = app.book(token, hold, OK_CARD).await;
        outcomes.push(match r.status.as_u16() {
            201 => r.body["status"].as_str().unwrap().to_owned(),
            _ => r.problem(410)["status"].to_string(),
        });
    }
    outcomes.sort();
    assert_eq!(outcomes, ["410", "confirmed"]);
    let report = app
        .store
        .tools()
        .inventory_report(
            show["id"].as_str().unwrap().parse::<ShowId>().unwrap(),
            app.clock.now_ms(),
        )
        .await
        .unwrap();
    assert_eq!((report.oversold, report.mismatched, report.sold), (0, 0, 1));

    // Guard back on: a third buyer cannot take a seat both of them hold.
    let c = app.buyer().await;
    let taken = app.hold(&c, &show, &seats[1..2]).await;
    assert_eq!(
        taken.problem(409)["unavailable_seat_ids"],
        json!([seats[1]])
    );
}

async fn with_the_claim_guard_exactly_one_buyer_wins(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 5, 20, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    assert_eq!(seats.len(), GUARDED_ROUNDS);
    let (a, b) = (app.buyer().await, app.buyer().await);
    warm_up(&app, &show).await;
    let mut wins = [Vec::new(), Vec::new()];
    for (round, seat) in seats.iter().enumerate() {
        let (ra, rb) = race(&app, &show, &a, &b, seat, round).await;
        let (winner, loser, w) = match (ra.status.as_u16(), rb.status.as_u16()) {
            (201, 409) => (&ra, &rb, 0),
            (409, 201) => (&rb, &ra, 1),
            other => panic!(
                "round {round}: expected one 201 and one 409, got {other:?}: {} / {}",
                ra.text, rb.text
            ),
        };
        assert_eq!(winner.body["seats"][0]["id"], json!(seat));
        assert_eq!(winner.body["seats"].as_array().unwrap().len(), 1);
        assert_eq!(
            loser.problem(409)["unavailable_seat_ids"],
            json!([seat]),
            "round {round}"
        );
        wins[w].push((seat.clone(), winner.body["id"].clone()));
    }
    eprintln!(
        "{db:?}: buyer a won {} races, buyer b {}",
        wins[0].len(),
        wins[1].len()
    );

    // Every seat is held once, by its winner.
    let show_id: ShowId = show["id"].as_str().unwrap().parse().unwrap();
    let report = app
        .store
        .tools()
        .inventory_report(show_id, app.clock.now_ms())
        .await
        .unwrap();
    assert_eq!(
        (
            report.capacity,
            report.held,
            report.available,
            report.sold,
            report.oversold,
            report.mismatched
        ),
        (GUARDED_ROUNDS as i64, GUARDED_ROUNDS as i64, 0, 0, 0, 0),
        "{report:?}"
    );
    let map = app.seat_map(&show).await;
    assert!(map["sections"][0]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "held"));
    for ((mine, theirs), owns) in [((&a, &b), &wins[0]), ((&b, &a), &wins[1])] {
        for (seat, hold) in owns {
            let path = format!("/api/v1/holds/{}", hold.as_str().unwrap());
            let h = app.get_as(&path, mine).await;
            assert_eq!(h.ok(200)["status"], "active");
            assert_eq!(h.body["seats"][0]["id"], json!(seat));
            app.get_as(&path, theirs).await.problem(404);
        }
    }
}
