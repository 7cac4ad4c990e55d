//! Generated catalogs (`boxoffice seed`): a tiny plan loaded through the bulk loader on each
//! store, then read back through the API as buyers would.

use crate::dual;
use crate::helpers::{Db, TestApp};
use boxoffice::domain::{parse_rfc3339, EventId};
use boxoffice::store::{BulkBatch, BulkShow};
use boxoffice::tools::catalog::{generate_with, Plan};
use serde_json::{json, Value};

dual!(generated_catalog_is_complete_and_browsable);

fn tiny() -> Plan {
    Plan {
        seed: 11,
        cities: 3,
        venues_per_city: 4,
        performers: 300,
        events: 400,
        inventory_shows: 20,
        events_per_batch: 150,
    }
}

async fn generated_catalog_is_complete_and_browsable(db: Db) {
    let app = TestApp::spawn(db).await;
    let now = app.clock.now_ms();
    let summary = generate_with(&app.store, &tiny(), now, false)
        .await
        .expect("seed");
    assert_eq!(
        (
            summary.cities,
            summary.venues,
            summary.performers,
            summary.events
        ),
        (3, 12, 300, 400)
    );
    assert_eq!(summary.inventory_shows, 20);
    assert_eq!(summary.change_rows, 400);
    assert!((400..=1200).contains(&summary.shows), "{summary:?}");
    assert!(summary.tickets > 0 && summary.seats > 0 && summary.database_bytes > 0);

    // One `event` change per event, in id order.
    let changes = app.store.changes_after(0, 10_000).await.expect("feed");
    assert_eq!(changes.len(), 400);
    for (i, change) in changes.iter().enumerate() {
        assert_eq!(change.topic, "event");
        assert_eq!(change.entity_id, i as i64 + 1);
        assert_eq!(change.payload, r#"{"kind":"created"}"#);
    }

    // Every city is listed with its events, and browse finds them, soonest first.
    let cities = app.get("/api/v1/cities").await.ok(200).clone();
    let cities = cities["items"].as_array().expect("items").clone();
    assert_eq!(cities.len(), 3);
    let counted: i64 = cities
        .iter()
        .map(|c| c["event_count"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 400);
    let london = cities
        .iter()
        .find(|c| c["name"] == "London")
        .expect("London");
    let page = app
        .get("/api/v1/events?city=london&per_page=100")
        .await
        .ok(200)
        .clone();
    assert_eq!(page["total"], london["event_count"]);
    let items = page["items"].as_array().expect("items");
    assert!(!items.is_empty());
    let starts: Vec<i64> = items
        .iter()
        .map(|e| parse_rfc3339(e["next_show_at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]));
    assert!(items
        .iter()
        .all(|e| e["city"] == "London" && e["min_price"].is_i64()));

    // Exactly the soonest shows are on sale with tickets; the rest are announced.
    let mut on_sale = Vec::new();
    let mut announced = Vec::new();
    for id in 1..=400 {
        let event = app.store.event(EventId::new(id), now).await.expect("event");
        assert!(!event.performers.is_empty());
        for show in event.shows {
            let starts_at = parse_rfc3339(&show.starts_at).unwrap();
            let on_sale_at = parse_rfc3339(&show.on_sale_at).unwrap();
            assert!(starts_at > now && on_sale_at < starts_at);
            assert_eq!(show.held + show.sold, 0);
            if show.available > 0 {
                assert!(on_sale_at <= now);
                on_sale.push((starts_at, show.id));
            } else {
                assert!(
                    on_sale_at > now,
                    "a show without tickets is not on sale yet"
                );
                announced.push((starts_at, show.id));
            }
        }
    }
    assert_eq!(on_sale.len(), 20);
    assert_eq!(on_sale.len() + announced.len(), summary.shows as usize);
    let last_on_sale = on_sale.iter().map(|s| s.0).max().unwrap();
    assert!(announced.iter().all(|s| s.0 >= last_on_sale));

    // The seat map of a show on sale lists its seats, all available, and a buyer can hold some.
    let (_, show_id) = on_sale[0];
    let map = app
        .get(&format!("/api/v1/shows/{show_id}/seats"))
        .await
        .ok(200)
        .clone();
    let sections = map["sections"].as_array().expect("sections");
    assert!(!sections.is_empty());
    let seated = sections
        .iter()
        .find(|s| s["kind"] == "seated")
        .expect("a seated section");
    let seats = seated["seats"].as_array().expect("seats");
    assert!(!seats.is_empty());
    assert_eq!(seated["available"].as_i64(), Some(seats.len() as i64));
    assert!(seats.iter().all(|s| s["status"] == "available"));
    let buyer = app.buyer().await;
    let pick: Vec<String> = seats[..2]
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let show = json!({"id": show_id.to_string()});
    app.hold(&buyer, &show, &pick).await.ok(201);

    // An announced show refuses holds until it goes on sale.
    let (_, announced_id) = announced[0];
    let refused = app
        .post(
            "/api/v1/holds",
            Some(&buyer),
            json!({"show_id": announced_id.to_string(), "section": seated["name"], "quantity": 2}),
        )
        .await;
    let problem: &Value = refused.problem(409);
    assert!(
        problem["detail"].as_str().unwrap().contains("on sale"),
        "{problem}"
    );

    // A second seed is refused, and ordinary catalog writes carry on after the loaded ids.
    let again = generate_with(&app.store, &tiny(), now, false).await;
    assert!(again.unwrap_err().to_string().contains("not empty"));
    let admin = app.admin().await;
    let venue = app.venue(&admin, "London", 2, 5, 0).await;
    assert_eq!(venue["id"], "13");
    let performer = app.performer(&admin, "A New Act").await;
    assert_eq!(performer["id"], "301");

    // A batch may add shows to events of earlier batches; those events are then browsable up
    // to their new latest show.
    let day = 86_400_000;
    let far = now + 2_000 * day;
    let show = BulkShow {
        id: 1_000_000,
        event_id: 7,
        starts_at: far,
        on_sale_at: now,
        hold_ttl_seconds: 600,
        max_per_order: 8,
        waiting_room: false,
        currency: "EUR".into(),
        prices: vec![],
        inventory: false,
    };
    app.store
        .tools()
        .bulk_load(
            BulkBatch {
                shows: vec![show],
                ..BulkBatch::default()
            },
            now,
        )
        .await
        .expect("a later batch");
    let from = boxoffice::domain::rfc3339(far - day);
    let late = app.get(&format!("/api/v1/events?from={from}")).await;
    assert_eq!(late.ok(200)["total"], 1);
    assert_eq!(late.body["items"][0]["id"], "7");
}
