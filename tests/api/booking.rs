use crate::dual;
use crate::helpers::{Db, Response, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

dual!(
    hold_view_release_and_ownership,
    conflicting_holds_name_the_seats_and_leave_nothing,
    hold_requests_are_validated,
    best_available_picks_adjacent_seats_and_standing_places,
    expired_holds_are_free_at_once_and_swept,
    booking_confirms_and_sells_the_seats,
    declined_payment_keeps_the_hold_for_a_retry,
    delayed_payment_settles_by_webhook,
    cancel_refunds_and_frees_the_seats,
    late_payment_is_honoured_when_the_seats_are_free,
    late_payment_after_resale_is_refunded_once,
    webhooks_are_verified_and_deduplicated,
    idempotency_keys_replay_and_reject,
    idempotency_keys_follow_the_caller_whatever_the_scheme_case,
    cancelling_an_event_refunds_its_bookings,
);

pub const OK_CARD: &str = "4242424242424242";
const DECLINED_CARD: &str = "4000000000000002";
const DELAYED_CARD: &str = "4000000000000077";

pub fn seat_ids(map: &Value, section: usize) -> Vec<String> {
    map["sections"][section]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

impl TestApp {
    pub async fn seat_map(&self, show: &Value) -> Value {
        self.get(&format!(
            "/api/v1/shows/{}/seats",
            show["id"].as_str().unwrap()
        ))
        .await
        .ok(200)
        .clone()
    }
    pub async fn hold(&self, token: &str, show: &Value, seats: &[String]) -> Response {
        self.post(
            "/api/v1/holds",
            Some(token),
            json!({"show_id": show["id"], "seat_ids": seats}),
        )
        .await
    }
    pub async fn hold_best(
        &self,
        token: &str,
        show: &Value,
        section: &str,
        quantity: i64,
    ) -> Response {
        self.post(
            "/api/v1/holds",
            Some(token),
            json!({"show_id": show["id"], "section": section, "quantity": quantity}),
        )
        .await
    }
    pub async fn book(&self, token: &str, hold: &Value, card: &str) -> Response {
        self.post(
            "/api/v1/bookings",
            Some(token),
            json!({"hold_id": hold["id"], "payment": {"provider": "test", "card_number": card}}),
        )
        .await
    }
    pub async fn booking(&self, token: &str, id: &Value) -> Response {
        self.get_as(&format!("/api/v1/bookings/{}", id.as_str().unwrap()), token)
            .await
    }
    /// Polls a booking until `pred` holds (webhooks arrive asynchronously).
    pub async fn wait_booking(
        &self,
        token: &str,
        id: &Value,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        for _ in 0..100 {
            let b = self.booking(token, id).await;
            if pred(&b.body) {
                return b.body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "booking {id} never reached the expected state: {}",
            self.booking(token, id).await.text
        );
    }
    pub async fn counts(&self, show: &Value) -> (i64, i64, i64) {
        let s = self
            .get(&format!("/api/v1/shows/{}", show["id"].as_str().unwrap()))
            .await;
        let b = s.ok(200);
        (
            b["available"].as_i64().unwrap(),
            b["held"].as_i64().unwrap(),
            b["sold"].as_i64().unwrap(),
        )
    }
}

fn statuses(map: &Value, ids: &[String]) -> Vec<String> {
    let seats = map["sections"][0]["seats"].as_array().unwrap();
    ids.iter()
        .map(|id| {
            seats.iter().find(|s| s["id"] == json!(id)).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

async fn hold_view_release_and_ownership(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 2, 5, 10).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let other = app.buyer().await;
    let before = app.clock.now_ms();
    let hold = app.hold(&buyer, &show, &seats[0..2]).await;
    let hold = hold.ok(201).clone();
    assert_eq!(hold["seats"].as_array().unwrap().len(), 2);
    assert_eq!(hold["total"], 10_000);
    assert_eq!(hold["currency"], "EUR");
    assert_eq!(hold["status"], "active");
    let expires = boxoffice::domain::parse_rfc3339(hold["expires_at"].as_str().unwrap()).unwrap();
    assert!(
        (expires - before - 300_000).abs() < 5_000,
        "TTL from the show (300 s)"
    );
    assert_eq!(
        statuses(&app.seat_map(&show).await, &seats[0..3]),
        ["held", "held", "available"]
    );
    assert_eq!(app.counts(&show).await, (18, 2, 0));

    let path = format!("/api/v1/holds/{}", hold["id"].as_str().unwrap());
    assert_eq!(app.get_as(&path, &buyer).await.ok(200)["id"], hold["id"]);
    app.get_as(&path, &other).await.problem(404);
    app.get(&path).await.problem(401);
    app.request(reqwest::Method::DELETE, &path, Some(&other), None)
        .await
        .problem(404);
    assert_eq!(
        app.request(reqwest::Method::DELETE, &path, Some(&buyer), None)
            .await
            .status,
        204
    );
    assert_eq!(
        statuses(&app.seat_map(&show).await, &seats[0..2]),
        ["available", "available"]
    );
    assert_eq!(
        app.get_as(&path, &buyer).await.ok(200)["status"],
        "released"
    );
    // Released seats can be held by someone else straight away.
    app.hold(&other, &show, &seats[0..2]).await.ok(201);
}

async fn conflicting_holds_name_the_seats_and_leave_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 6, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let (a, b) = (app.buyer().await, app.buyer().await);
    app.hold(&a, &show, &seats[1..3]).await.ok(201);
    let clash = app
        .hold(
            &b,
            &show,
            &[seats[0].clone(), seats[2].clone(), seats[3].clone()],
        )
        .await;
    let problem = clash.problem(409);
    assert_eq!(problem["unavailable_seat_ids"], json!([seats[2]]));
    // All or nothing: seats 0 and 3 stay available, and no hold was recorded for b.
    assert_eq!(
        statuses(&app.seat_map(&show).await, &seats[0..4]),
        ["available", "held", "held", "available"]
    );
    assert_eq!(app.counts(&show).await, (4, 2, 0));
}

async fn hold_requests_are_validated(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 2, 8, 5).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    app.post(
        "/api/v1/holds",
        None,
        json!({"show_id": show["id"], "seat_ids": [seats[0]]}),
    )
    .await
    .problem(401);
    assert_eq!(
        app.post(
            "/api/v1/holds",
            Some(&buyer),
            json!({"show_id": show["id"], "seat_ids": []})
        )
        .await
        .invalid_fields(),
        ["seat_ids"]
    );
    assert_eq!(
        app.hold(&buyer, &show, &seats[0..11])
            .await
            .invalid_fields(),
        ["seat_ids"],
        "over max_per_order (10)"
    );
    assert_eq!(
        app.hold_best(&buyer, &show, "Stalls", 11)
            .await
            .invalid_fields(),
        ["quantity"]
    );
    assert_eq!(
        app.hold_best(&buyer, &show, "Balcony", 1)
            .await
            .invalid_fields(),
        ["section"]
    );
    assert_eq!(
        app.hold(&buyer, &show, &["999999".to_owned()])
            .await
            .invalid_fields(),
        ["seat_ids"]
    );
    assert_eq!(
        app.post(
            "/api/v1/holds",
            Some(&buyer),
            json!({"show_id": show["id"]})
        )
        .await
        .invalid_fields(),
        ["seat_ids"]
    );
    assert_eq!(
        app.post(
            "/api/v1/holds",
            Some(&buyer),
            json!({"seat_ids": [seats[0]]})
        )
        .await
        .invalid_fields(),
        ["show_id"]
    );
    app.post(
        "/api/v1/holds",
        Some(&buyer),
        json!({"show_id": "424242", "seat_ids": [seats[0]]}),
    )
    .await
    .problem(404);
    assert_eq!(app.counts(&show).await, (21, 0, 0), "nothing was held");
    let booking = app
        .post(
            "/api/v1/bookings",
            Some(&buyer),
            json!({"hold_id": "424242", "payment": {"provider": "test", "card_number": OK_CARD}}),
        )
        .await;
    booking.problem(404);
    let hold = app.hold(&buyer, &show, &seats[0..1]).await.ok(201).clone();
    let bad_provider = app
        .post(
            "/api/v1/bookings",
            Some(&buyer),
            json!({"hold_id": hold["id"], "payment": {"provider": "cash"}}),
        )
        .await;
    assert_eq!(bad_provider.invalid_fields(), ["payment.provider"]);
    let no_card = app
        .post(
            "/api/v1/bookings",
            Some(&buyer),
            json!({"hold_id": hold["id"]}),
        )
        .await;
    assert_eq!(no_card.invalid_fields(), ["payment"]);
}

async fn best_available_picks_adjacent_seats_and_standing_places(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 2, 6, 5).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    // Break up row 1: take seats 3 and 4 (the middle).
    app.hold(&buyer, &show, &seats[2..4]).await.ok(201);
    let pair = app.hold_best(&buyer, &show, "stalls", 2).await;
    let pair = pair.ok(201);
    let numbers: Vec<_> = pair["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["row"].clone(), s["number"].clone()))
        .collect();
    assert!(
        numbers == [(json!("R1"), json!(1)), (json!("R1"), json!(2))]
            || numbers == [(json!("R1"), json!(5)), (json!("R1"), json!(6))],
        "{numbers:?}"
    );
    let four = app.hold_best(&buyer, &show, "Stalls", 4).await;
    let rows: Vec<_> = four.ok(201)["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["row"].clone())
        .collect();
    assert_eq!(
        rows,
        vec![json!("R2"); 4],
        "four together only fit in row 2"
    );
    let floor = app.hold_best(&buyer, &show, "Floor", 5).await;
    assert_eq!(floor.ok(201)["seats"].as_array().unwrap().len(), 5);
    assert_eq!(floor.body["total"], 15_000);
    let none_left = app.hold_best(&buyer, &show, "Floor", 1).await;
    none_left.problem(409);
}

async fn expired_holds_are_free_at_once_and_swept(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let venue = app.venue(&admin, "Vienna", 1, 4, 0).await;
    let event = app
        .event(
            &admin,
            venue["id"].as_str().unwrap(),
            "Short Holds",
            "concert",
            &[],
        )
        .await;
    let show = app
        .show(
            &admin,
            event["id"].as_str().unwrap(),
            5,
            json!({"hold_ttl_seconds": 60}),
        )
        .await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let (a, b) = (app.buyer().await, app.buyer().await);
    let hold = app.hold(&a, &show, &seats[0..2]).await.ok(201).clone();
    let start = app.store.last_change().await.unwrap();
    app.hold(&b, &show, &seats[0..1]).await.problem(409);
    // Past the TTL and the server's grace: free for every read and write at once.
    app.clock.advance(Duration::from_secs(66));
    assert_eq!(
        statuses(&app.seat_map(&show).await, &seats[0..2]),
        ["available", "available"]
    );
    assert_eq!(
        app.get_as(
            &format!("/api/v1/holds/{}", hold["id"].as_str().unwrap()),
            &a
        )
        .await
        .ok(200)["status"],
        "expired"
    );
    app.book(&a, &hold, OK_CARD).await.problem(410);
    app.hold(&b, &show, &seats[0..1]).await.ok(201);
    // The sweeper tidies the rest and tells the change feed.
    let mut swept = false;
    for _ in 0..50 {
        let changes = app.store.changes_after(start, 100).await.unwrap();
        if changes.iter().any(|c| {
            c.topic == "hold"
                && c.payload.contains("\"expired\"")
                && c.payload.contains(&format!("\"{}\"", seats[1]))
        }) {
            swept = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        swept,
        "the sweeper emitted an expiry change for seat {}",
        seats[1]
    );
    let metrics = app.get("/metrics").await.text;
    assert!(
        metrics.contains("holds_expired_total") && metrics.contains("holds_rejected_total"),
        "{metrics}"
    );
}

async fn booking_confirms_and_sells_the_seats(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 5, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let (buyer, other) = (app.buyer().await, app.buyer().await);
    let hold = app.hold(&buyer, &show, &seats[0..3]).await.ok(201).clone();
    let booking = app.book(&buyer, &hold, OK_CARD).await;
    let booking = booking.ok(201).clone();
    assert_eq!(booking["status"], "confirmed");
    assert_eq!(booking["hold_id"], hold["id"]);
    assert_eq!(booking["total"], 15_000);
    assert_eq!(booking["seats"].as_array().unwrap().len(), 3);
    assert_eq!(
        statuses(&app.seat_map(&show).await, &seats[0..4]),
        ["sold", "sold", "sold", "available"]
    );
    assert_eq!(app.counts(&show).await, (2, 0, 3));
    // Booking the same hold again returns the same booking, no second charge.
    let again = app.book(&buyer, &hold, OK_CARD).await;
    assert_eq!(again.ok(201)["id"], booking["id"]);
    app.booking(&buyer, &booking["id"]).await.ok(200);
    app.booking(&other, &booking["id"]).await.problem(404);
    assert_eq!(
        app.booking(&admin, &booking["id"]).await.ok(200)["id"],
        booking["id"]
    );
    app.book(&other, &hold, OK_CARD).await.problem(404);
    let mine = app.get_as("/api/v1/users/me/bookings", &buyer).await;
    assert_eq!(mine.ok(200)["items"][0]["id"], booking["id"]);
    assert!(app
        .get_as("/api/v1/users/me/bookings", &other)
        .await
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .is_empty());
    // Sold seats cannot be held or released.
    app.hold(&other, &show, &seats[0..1]).await.problem(409);
    app.request(
        reqwest::Method::DELETE,
        &format!("/api/v1/holds/{}", hold["id"].as_str().unwrap()),
        Some(&buyer),
        None,
    )
    .await
    .problem(409);
    let report = app
        .store
        .tools()
        .inventory_report(
            show["id"].as_str().unwrap().parse().unwrap(),
            app.clock.now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            report.sold,
            report.oversold,
            report.mismatched,
            report.confirmed_bookings
        ),
        (3, 0, 0, 1)
    );
}

async fn declined_payment_keeps_the_hold_for_a_retry(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let hold = app.hold(&buyer, &show, &seats[0..2]).await.ok(201).clone();
    let declined = app.book(&buyer, &hold, DECLINED_CARD).await;
    let declined = declined.ok(201).clone();
    assert_eq!(declined["status"], "payment_failed");
    assert_eq!(declined["failure_reason"], "card_declined");
    assert_eq!(
        statuses(&app.seat_map(&show).await, &seats[0..2]),
        ["held", "held"],
        "the hold stays"
    );
    let retried = app.book(&buyer, &hold, OK_CARD).await;
    assert_eq!(retried.ok(201)["status"], "confirmed");
    assert_eq!(retried.body["id"], declined["id"]);
    // The decline's own webhook, arriving late, does not undo the confirmation.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.booking(&buyer, &declined["id"]).await.ok(200)["status"],
        "confirmed"
    );
}

async fn delayed_payment_settles_by_webhook(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let hold = app.hold(&buyer, &show, &seats[0..2]).await.ok(201).clone();
    let pending = app.book(&buyer, &hold, DELAYED_CARD).await;
    let pending = pending.ok(201).clone();
    assert_eq!(pending["status"], "pending_payment");
    assert_eq!(
        statuses(&app.seat_map(&show).await, &seats[0..2]),
        ["held", "held"],
        "not sold before the money"
    );
    let done = app
        .wait_booking(&buyer, &pending["id"], |b| b["status"] == "confirmed")
        .await;
    assert_eq!(done["payment_ref"], pending["payment_ref"]);
    assert_eq!(
        statuses(&app.seat_map(&show).await, &seats[0..2]),
        ["sold", "sold"]
    );
}

async fn cancel_refunds_and_frees_the_seats(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let (buyer, other) = (app.buyer().await, app.buyer().await);
    let hold = app.hold(&buyer, &show, &seats[0..2]).await.ok(201).clone();
    let booking = app.book(&buyer, &hold, OK_CARD).await.ok(201).clone();
    let path = format!(
        "/api/v1/bookings/{}/cancel",
        booking["id"].as_str().unwrap()
    );
    app.post(&path, Some(&other), json!({})).await.problem(404);
    let start = app.store.last_change().await.unwrap();
    let cancelled = app.post(&path, Some(&buyer), json!({})).await;
    let cancelled = cancelled.ok(200).clone();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["refund"]["status"], "succeeded");
    assert_eq!(cancelled["refund"]["amount"], 10_000);
    assert!(cancelled["refund"]["refund_ref"].is_string());
    assert_eq!(
        statuses(&app.seat_map(&show).await, &seats[0..2]),
        ["available", "available"]
    );
    let changes = app.store.changes_after(start, 10).await.unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c.topic == "booking" && c.payload.contains("cancelled")),
        "{changes:?}"
    );
    assert_eq!(
        app.post(&path, Some(&buyer), json!({})).await.ok(200)["status"],
        "cancelled",
        "cancelling twice is harmless"
    );
    app.hold(&other, &show, &seats[0..2]).await.ok(201);
    // Only confirmed bookings can be cancelled.
    let hold2 = app.hold(&buyer, &show, &seats[2..3]).await.ok(201).clone();
    let pending = app.book(&buyer, &hold2, DELAYED_CARD).await.ok(201).clone();
    app.post(
        &format!(
            "/api/v1/bookings/{}/cancel",
            pending["id"].as_str().unwrap()
        ),
        Some(&buyer),
        json!({}),
    )
    .await
    .problem(409);
}

async fn late_payment_is_honoured_when_the_seats_are_free(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let venue = app.venue(&admin, "Vienna", 1, 4, 0).await;
    let event = app
        .event(
            &admin,
            venue["id"].as_str().unwrap(),
            "Late",
            "concert",
            &[],
        )
        .await;
    let show = app
        .show(
            &admin,
            event["id"].as_str().unwrap(),
            5,
            json!({"hold_ttl_seconds": 30}),
        )
        .await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let hold = app.hold(&buyer, &show, &seats[0..2]).await.ok(201).clone();
    let pending = app.book(&buyer, &hold, DELAYED_CARD).await.ok(201).clone();
    // The hold lapses before the money arrives; nobody else took the seats.
    app.clock.advance(Duration::from_secs(40));
    let done = app
        .wait_booking(&buyer, &pending["id"], |b| b["status"] != "pending_payment")
        .await;
    assert_eq!(done["status"], "confirmed");
    assert_eq!(
        statuses(&app.seat_map(&show).await, &seats[0..2]),
        ["sold", "sold"]
    );
}

async fn late_payment_after_resale_is_refunded_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let venue = app.venue(&admin, "Vienna", 1, 4, 0).await;
    let event = app
        .event(
            &admin,
            venue["id"].as_str().unwrap(),
            "Late",
            "concert",
            &[],
        )
        .await;
    let show = app
        .show(
            &admin,
            event["id"].as_str().unwrap(),
            5,
            json!({"hold_ttl_seconds": 30}),
        )
        .await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let (slow, fast) = (app.buyer().await, app.buyer().await);
    let hold = app.hold(&slow, &show, &seats[0..2]).await.ok(201).clone();
    let pending = app.book(&slow, &hold, DELAYED_CARD).await.ok(201).clone();
    app.clock.advance(Duration::from_secs(40));
    let resold_hold = app.hold(&fast, &show, &seats[1..3]).await.ok(201).clone();
    let resold = app.book(&fast, &resold_hold, OK_CARD).await;
    assert_eq!(resold.ok(201)["status"], "confirmed");
    let done = app
        .wait_booking(&slow, &pending["id"], |b| {
            b["refund"]["status"] == "succeeded"
        })
        .await;
    assert_eq!(done["status"], "refunded");
    assert!(done["refund"]["refund_ref"].is_string());
    assert_eq!(
        statuses(&app.seat_map(&show).await, &seats[0..3]),
        ["available", "sold", "sold"]
    );
    let report = app
        .store
        .tools()
        .inventory_report(
            show["id"].as_str().unwrap().parse().unwrap(),
            app.clock.now_ms(),
        )
        .await
        .unwrap();
    assert_eq!((report.oversold, report.mismatched, report.sold), (0, 0, 2));
    // The reconciliation job, seeing nothing pending, does not refund again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.booking(&slow, &pending["id"]).await.ok(200)["refund"],
        done["refund"]
    );
}

fn signed(app: &TestApp, body: &str, t: i64) -> reqwest::RequestBuilder {
    let header = boxoffice::payments::signature::sign(
        app.config.webhook_secret.expose().as_bytes(),
        t,
        body.as_bytes(),
    );
    app.client
        .post(format!("{}/api/v1/payments/webhooks/test", app.base))
        .header("Stripe-Signature", header)
        .header("content-type", "application/json")
        .body(body.to_owned())
}

async fn webhooks_are_verified_and_deduplicated(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let hold = app.hold(&buyer, &show, &seats[0..2]).await.ok(201).clone();
    let pending = app.book(&buyer, &hold, DELAYED_CARD).await.ok(201).clone();
    let payment_ref = pending["payment_ref"].as_str().unwrap();
    let body = json!({"id": "evt_replayed", "type": "payment_intent.succeeded", "created": 1,
        "data": {"object": {"id": payment_ref, "metadata": {"booking_id": pending["id"]}}}})
    .to_string();
    let now = boxoffice::payments::now_unix();
    // Tampered body, wrong signature, stale and future timestamps: 400 and no effect.
    let tampered = signed(&app, &body, now)
        .body(body.replace("succeeded", "payment_failed"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 400);
    let forged = app
        .client
        .post(format!("{}/api/v1/payments/webhooks/test", app.base))
        .header(
            "Stripe-Signature",
            format!("t={now},v1={}", "ab".repeat(32)),
        )
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    assert_eq!(
        signed(&app, &body, now - 301)
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    // (Ten seconds past the five-minute tolerance, so a slow machine's delay can't bring it in.)
    assert_eq!(
        signed(&app, &body, now + 310)
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    let unsigned = app
        .client
        .post(format!("{}/api/v1/payments/webhooks/test", app.base))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 400);
    assert_eq!(
        TestApp::read(unsigned).await.headers["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        app.booking(&buyer, &pending["id"]).await.ok(200)["status"],
        "pending_payment"
    );
    app.client
        .post(format!("{}/api/v1/payments/webhooks/paypal", app.base))
        .body("{}")
        .send()
        .await
        .map(|r| assert_eq!(r.status(), 404))
        .unwrap();

    // A hundred deliveries of one event: one confirmation, one change, one effect.
    let start = app.store.last_change().await.unwrap();
    let mut applied = 0;
    for _ in 0..100 {
        let resp = signed(&app, &body, boxoffice::payments::now_unix())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.unwrap();
        applied += i32::from(v["applied"] == json!(true));
    }
    assert_eq!(applied, 1);
    assert_eq!(
        app.booking(&buyer, &pending["id"]).await.ok(200)["status"],
        "confirmed"
    );
    // …and one email.
    let mails = wait_for_mail(&app, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(mail_files(&app).len(), 1, "{mails:?}");
    let confirmations = app
        .store
        .changes_after(start, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.topic == "booking" && c.payload.contains("confirmed"))
        .count();
    assert_eq!(confirmations, 1);
    // A failure reported after success (out of order) changes nothing.
    let late_failure =
        json!({"id": "evt_late_fail", "type": "payment_intent.payment_failed", "created": 1,
        "data": {"object": {"id": payment_ref, "metadata": {"booking_id": pending["id"]}}}})
        .to_string();
    assert_eq!(
        signed(&app, &late_failure, boxoffice::payments::now_unix())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.booking(&buyer, &pending["id"]).await.ok(200)["status"],
        "confirmed"
    );
    let metrics = app.get("/metrics").await.text;
    assert!(
        metrics.contains("webhooks_total{outcome=\"duplicate\"}")
            && metrics.contains("webhooks_total{outcome=\"rejected\"}")
    );
}

async fn idempotency_keys_replay_and_reject(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 6, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let (buyer, other) = (app.buyer().await, app.buyer().await);
    let post = |token: &str, key: &str, body: Value| {
        app.client
            .post(format!("{}/api/v1/holds", app.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body)
    };
    let body = json!({"show_id": show["id"], "seat_ids": [seats[0]]});
    let first = TestApp::read(post(&buyer, "k1", body.clone()).send().await.unwrap()).await;
    first.ok(201);
    let replay = TestApp::read(post(&buyer, "k1", body.clone()).send().await.unwrap()).await;
    assert_eq!(
        replay.ok(201)["id"],
        first.body["id"],
        "replayed, not a second hold"
    );
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(app.counts(&show).await.1, 1);
    let different = TestApp::read(
        post(
            &buyer,
            "k1",
            json!({"show_id": show["id"], "seat_ids": [seats[1]]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(different.invalid_fields(), ["Idempotency-Key"]);
    // Keys belong to their user: the same key from another buyer is a new request.
    let theirs = TestApp::read(
        post(
            &other,
            "k1",
            json!({"show_id": show["id"], "seat_ids": [seats[2]]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_ne!(theirs.ok(201)["id"], first.body["id"]);
    // Error answers are replayed too (they changed nothing).
    let conflict = TestApp::read(post(&other, "k2", body.clone()).send().await.unwrap()).await;
    conflict.problem(409);
    TestApp::read(post(&other, "k2", body.clone()).send().await.unwrap())
        .await
        .problem(409);
    // Registration is scoped to anonymous callers.
    let reg = |key: &str| {
        app.client
            .post(format!("{}/api/v1/users", app.base))
            .header("Idempotency-Key", key)
            .json(&json!({"email": "idem@example.com", "name": "I", "password": "long enough"}))
    };
    assert_eq!(reg("r1").send().await.unwrap().status(), 201);
    assert_eq!(
        reg("r1").send().await.unwrap().status(),
        201,
        "replay, not 409 taken"
    );
    assert_eq!(reg("r2").send().await.unwrap().status(), 409);
    // Keys are forgotten after 24 hours.
    app.clock.advance(Duration::from_secs(86_401));
    let fresh = TestApp::read(
        post(
            &buyer,
            "k1",
            json!({"show_id": show["id"], "seat_ids": [seats[3]]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    fresh.ok(201);
}

/// `BEARER` is as valid a scheme as `Bearer` (RFC 7235): the caller it names is the caller
/// the idempotency key belongs to, so nobody else can have that response replayed.
async fn idempotency_keys_follow_the_caller_whatever_the_scheme_case(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let (buyer, other) = (app.buyer().await, app.buyer().await);
    let body = json!({"show_id": show["id"], "seat_ids": [seats[0]]});
    let post = |authorization: Option<String>| {
        let mut request = app
            .client
            .post(format!("{}/api/v1/holds", app.base))
            .header("Idempotency-Key", "shared-key")
            .json(&body);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        request
    };
    let first = TestApp::read(post(Some(format!("BEARER {buyer}"))).send().await.unwrap()).await;
    let hold = first.ok(201)["id"].clone();
    let again = TestApp::read(post(Some(format!("bearer {buyer}"))).send().await.unwrap()).await;
    assert_eq!(again.ok(201)["id"], hold, "the same caller gets the replay");
    let theirs = TestApp::read(post(Some(format!("Bearer {other}"))).send().await.unwrap()).await;
    theirs.problem(409);
    let anonymous = TestApp::read(post(None).send().await.unwrap()).await;
    anonymous.problem(401);
    assert_eq!(app.counts(&show).await.1, 1, "one hold in all");
}

async fn cancelling_an_event_refunds_its_bookings(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (event, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let hold = app.hold(&buyer, &show, &seats[0..2]).await.ok(201).clone();
    let booking = app.book(&buyer, &hold, OK_CARD).await.ok(201).clone();
    let held = app.hold(&buyer, &show, &seats[2..3]).await.ok(201).clone();
    app.request(
        reqwest::Method::DELETE,
        &format!("/api/v1/events/{}", event["id"].as_str().unwrap()),
        Some(&admin),
        None,
    )
    .await
    .ok(200);
    let refunded = app
        .wait_booking(&buyer, &booking["id"], |b| {
            b["refund"]["status"] == "succeeded"
        })
        .await;
    assert_eq!(refunded["status"], "cancelled");
    assert_eq!(
        app.get_as(
            &format!("/api/v1/holds/{}", held["id"].as_str().unwrap()),
            &buyer
        )
        .await
        .ok(200)["status"],
        "released"
    );
    app.hold(&buyer, &show, &seats[3..4]).await.problem(409);
}

dual!(
    emails_follow_the_change_feed_once,
    a_key_in_flight_is_a_conflict
);

/// The store side of `Idempotency-Key`: a second use while the first request runs is
/// `InFlight` (409 over HTTP); a finished one replays; a different body mismatches.
async fn a_key_in_flight_is_a_conflict(db: Db) {
    use boxoffice::store::IdempotencyBegin;
    let app = TestApp::spawn(db).await;
    let now = app.clock.now_ms();
    let store = &app.store;
    assert_eq!(
        store
            .idempotency_begin("user:1", "k", "h1", now)
            .await
            .unwrap(),
        IdempotencyBegin::Proceed
    );
    assert_eq!(
        store
            .idempotency_begin("user:1", "k", "h1", now)
            .await
            .unwrap(),
        IdempotencyBegin::InFlight
    );
    assert_eq!(
        store
            .idempotency_begin("user:1", "k", "h2", now)
            .await
            .unwrap(),
        IdempotencyBegin::Mismatch
    );
    assert_eq!(
        store
            .idempotency_begin("user:2", "k", "h1", now)
            .await
            .unwrap(),
        IdempotencyBegin::Proceed
    );
    store
        .idempotency_finish("user:1", "k", 201, "{\"id\":\"7\"}")
        .await
        .unwrap();
    assert_eq!(
        store
            .idempotency_begin("user:1", "k", "h1", now)
            .await
            .unwrap(),
        IdempotencyBegin::Replay {
            status: 201,
            body: "{\"id\":\"7\"}".into()
        }
    );
    // A request that never finished (the server died) is abandoned after a minute.
    assert_eq!(
        store
            .idempotency_begin("user:2", "k", "h1", now + 61_000)
            .await
            .unwrap(),
        IdempotencyBegin::Proceed
    );
    // A failure that changed nothing frees the key for a retry.
    store
        .idempotency_begin("user:3", "k", "h1", now)
        .await
        .unwrap();
    store.idempotency_abort("user:3", "k").await.unwrap();
    assert_eq!(
        store
            .idempotency_begin("user:3", "k", "h1", now)
            .await
            .unwrap(),
        IdempotencyBegin::Proceed
    );
}

fn mail_files(app: &TestApp) -> Vec<(String, std::time::SystemTime)> {
    let dir = app.data_dir.path().join("mail");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        e.metadata().unwrap().modified().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

async fn wait_for_mail(app: &TestApp, count: usize) -> Vec<(String, std::time::SystemTime)> {
    for _ in 0..100 {
        let files = mail_files(app);
        if files.len() >= count {
            return files;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {count} emails, have {:?}", mail_files(app));
}

async fn emails_follow_the_change_feed_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 6, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let (buyer, other) = (app.buyer().await, app.buyer().await);
    let hold = app.hold(&buyer, &show, &seats[0..2]).await.ok(201).clone();
    // A failed hold rolls back its change row: on PostgreSQL that leaves a gap in the feed
    // which the mailer must step over.
    app.hold(&other, &show, &seats[1..3]).await.problem(409);
    let booking = app.book(&buyer, &hold, OK_CARD).await.ok(201).clone();
    let id = booking["id"].as_str().unwrap();
    let files = wait_for_mail(&app, 1).await;
    assert_eq!(
        files.iter().map(|f| f.0.clone()).collect::<Vec<_>>(),
        [format!("booking-{id}-confirmed.eml")]
    );
    let text = std::fs::read_to_string(app.data_dir.path().join("mail").join(&files[0].0)).unwrap();
    assert!(
        text.contains("Subject: Your tickets for Test Night"),
        "{text}"
    );
    assert!(text.contains("@example.com"), "{text}");
    assert!(text.contains("Stalls row R1 seat 1"), "{text}");
    // The confirmation carries the tickets the API issues (quoted-printable folds long lines).
    let unfolded = text.replace("=\r\n", "").replace("=\n", "");
    let tickets = app
        .get_as(&format!("/api/v1/bookings/{id}/tickets"), &buyer)
        .await
        .ok(200)["items"]
        .clone();
    for t in tickets.as_array().expect("tickets") {
        assert!(
            unfolded.contains(t["code"].as_str().expect("code")),
            "{text}"
        );
    }
    // Webhook replays and the provider's own success webhook add no second email.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(mail_files(&app).len(), 1);
    app.post(
        &format!("/api/v1/bookings/{id}/cancel"),
        Some(&buyer),
        json!({}),
    )
    .await
    .ok(200);
    let files = wait_for_mail(&app, 2).await;
    assert!(
        files
            .iter()
            .any(|f| f.0 == format!("booking-{id}-cancelled.eml")),
        "{files:?}"
    );
    // A restart resumes from the saved cursor: nothing is sent (or rewritten) again.
    let app = app.restart().await;
    let hold2 = app.hold(&other, &show, &seats[3..4]).await.ok(201).clone();
    let second = app.book(&other, &hold2, OK_CARD).await.ok(201).clone();
    let after = wait_for_mail(&app, 3).await;
    assert_eq!(after.len(), 3);
    for (name, modified) in &files {
        assert_eq!(
            after.iter().find(|f| &f.0 == name).map(|f| f.1),
            Some(*modified),
            "{name} untouched"
        );
    }
    assert!(after
        .iter()
        .any(|f| f.0 == format!("booking-{}-confirmed.eml", second["id"].as_str().unwrap())));
}

/// A deployment with Stripe configured takes no test cards: the test provider is not offered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_stripe_configured_test_cards_are_refused() {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("tempdir"));
    let mut config = boxoffice::config::Config::for_data_dir(dir.path().to_path_buf());
    config.stripe = Some(boxoffice::config::StripeSettings {
        secret_key: boxoffice::config::Secret::new("sk_test_unused"),
        webhook_secret: boxoffice::config::Secret::new("whsec_unused"),
        api_base: Some("http://127.0.0.1:9".into()),
        publishable_key: None,
        js_url: boxoffice::config::STRIPE_JS_URL.into(),
    });
    let app = TestApp::start(Db::Sqlite, config, dir, boxoffice::clock::Clock::manual()).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let hold = app.hold(&buyer, &show, &seats[..1]).await.ok(201).clone();
    let refused = app.book(&buyer, &hold, OK_CARD).await;
    assert_eq!(
        refused.invalid_fields(),
        vec!["payment.provider"],
        "{}",
        refused.text
    );
    let map = app.seat_map(&show).await;
    assert_eq!(
        map["sections"][0]["available"], 3,
        "the hold stays, nothing was sold"
    );
}
