//! The catalog reads served from memory (`boxoffice::reads`): snapshots that follow this
//! instance's writes at once and a hold's expiry without any write, bodies compressed once
//! per version in the encoding the client asks for, and a second instance's changes.

use crate::booking::seat_ids;
use crate::dual;
use crate::helpers::{Db, TestApp};
use serde_json::{json, Value};
use std::io::Read;
use std::time::Duration;

dual!(
    snapshots_follow_writes_and_hold_expiry,
    snapshots_come_compressed_as_asked,
    browse_and_cities_follow_catalog_changes,
);

fn status_of(map: &Value, seat: &str) -> String {
    map["sections"][0]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == seat)
        .map(|s| s["status"].as_str().unwrap().to_owned())
        .unwrap()
}

async fn snapshots_follow_writes_and_hold_expiry(db: Db) {
    // No sweeping during the test: a lapsed hold must read as free with no change written.
    let app = TestApp::spawn_with(db, |config| {
        config.housekeeping_every = Duration::from_secs(3_600);
    })
    .await;
    let admin = app.admin().await;
    let (event, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let event_path = format!("/api/v1/events/{}", event["id"].as_str().unwrap());
    let map = app.seat_map(&show).await;
    let seats = seat_ids(&map, 0);
    let first = app.get(&event_path).await;
    assert_eq!(first.ok(200)["shows"][0]["held"], 0);
    let etag = first.headers["etag"].clone();

    // A hold is in the very next read of the seat map and the event (no waiting for a poll).
    let buyer = app.buyer().await;
    app.hold(&buyer, &show, &seats[..2]).await.ok(201);
    let map = app.seat_map(&show).await;
    assert_eq!(status_of(&map, &seats[0]), "held");
    assert_eq!(status_of(&map, &seats[2]), "available");
    let held = app.get(&event_path).await;
    assert_eq!(held.ok(200)["shows"][0]["held"], 2);
    assert_eq!(held.body["shows"][0]["available"], 2);
    assert_ne!(held.headers["etag"], etag);

    // Once the hold has expired, its seats read as available at once, before any sweep has
    // written a change: the snapshot knew when it stopped holding.
    app.clock.advance(Duration::from_secs(3_600));
    let map = app.seat_map(&show).await;
    assert_eq!(status_of(&map, &seats[0]), "available");
    let freed = app.get(&event_path).await;
    assert_eq!(freed.ok(200)["shows"][0]["held"], 0);
    assert_eq!(freed.body["shows"][0]["available"], 4);

    // Organiser changes reach the event view at once too.
    app.request(
        reqwest::Method::PATCH,
        &event_path,
        Some(&admin),
        Some(json!({"title": "Renamed Night"})),
    )
    .await
    .ok(200);
    assert_eq!(app.get(&event_path).await.ok(200)["title"], "Renamed Night");
}

async fn get_encoded(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.base))
        .header("accept-encoding", accept)
        .send()
        .await
        .unwrap()
}

async fn snapshots_come_compressed_as_asked(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 6, 20, 0).await;
    let path = format!("/api/v1/shows/{}/seats", show["id"].as_str().unwrap());
    let plain = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let etag = plain.headers()["etag"].to_str().unwrap().to_owned();
    let plain = plain.bytes().await.unwrap();
    assert!(
        plain.len() > 4_096,
        "a map of 120 seats is {} bytes",
        plain.len()
    );

    let br = get_encoded(&app, &path, "gzip, deflate, br").await;
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.headers()["vary"], "accept-encoding");
    assert_eq!(br.headers()["etag"].to_str().unwrap(), etag);
    let packed = br.bytes().await.unwrap();
    assert!(
        packed.len() * 4 < plain.len(),
        "{} of {}",
        packed.len(),
        plain.len()
    );
    let mut unpacked = Vec::new();
    brotli::Decompressor::new(&packed[..], 4096)
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, plain);

    let gz = get_encoded(&app, &path, "br;q=0, gzip").await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let packed = gz.bytes().await.unwrap();
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, plain);

    let neither = get_encoded(&app, &path, "identity").await;
    assert!(neither.headers().get("content-encoding").is_none());
    assert_eq!(neither.bytes().await.unwrap(), plain);

    // Revalidating a compressed copy answers 304 with nothing.
    let again = app
        .client
        .get(format!("{}{path}", app.base))
        .header("accept-encoding", "br")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.headers().get("content-encoding").is_none());
    assert!(again.bytes().await.unwrap().is_empty());
}

async fn browse_and_cities_follow_catalog_changes(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let count_in = |cities: &Value, name: &str| {
        cities["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["event_count"].as_i64().unwrap())
    };
    let (event, _) = app.scheduled_show(&admin, 1, 2, 0).await;
    let cities = app.get("/api/v1/cities").await;
    assert_eq!(count_in(cities.ok(200), "Vienna"), Some(1));
    let page = app.get("/api/v1/events?city=vienna").await;
    assert_eq!(page.ok(200)["total"], 1);
    assert_eq!(page.body["items"][0]["id"], event["id"]);

    // Cancelling takes it out of both in the next read.
    let cancel = format!("/api/v1/events/{}", event["id"].as_str().unwrap());
    app.request(reqwest::Method::DELETE, &cancel, Some(&admin), None)
        .await;
    assert_eq!(
        count_in(app.get("/api/v1/cities").await.ok(200), "Vienna"),
        Some(0)
    );
    assert_eq!(
        app.get("/api/v1/events?city=vienna").await.ok(200)["total"],
        0
    );

    // An event whose only show has started drops out of the count when the clock passes it.
    let (_, _) = app.scheduled_show(&admin, 1, 2, 0).await;
    assert_eq!(
        count_in(app.get("/api/v1/cities").await.ok(200), "Vienna"),
        Some(1)
    );
    app.clock.advance(Duration::from_secs(8 * 86_400));
    assert_eq!(
        count_in(app.get("/api/v1/cities").await.ok(200), "Vienna"),
        Some(0)
    );
    assert_eq!(app.get("/api/v1/events").await.ok(200)["total"], 0);
}

/// Two instances of one PostgreSQL database: what one writes, the other's memory shows within
/// a poll of its feed follower.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instance_reads_the_changes_within_a_poll() {
    let Some(db) = crate::helpers::postgres_or_skip() else {
        return;
    };
    let first = TestApp::spawn(db).await;
    let second = first.second_instance().await;
    let admin = first.admin().await;
    let (_, show) = first.scheduled_show(&admin, 1, 4, 0).await;
    let seats = seat_ids(&first.seat_map(&show).await, 0);
    // The second instance reads (and keeps) the map before the hold.
    assert_eq!(
        status_of(&second.seat_map(&show).await, &seats[0]),
        "available"
    );
    let buyer = first.buyer().await;
    first.hold(&buyer, &show, &seats[..1]).await.ok(201);
    let mut seen = None;
    for _ in 0..50 {
        let status = status_of(&second.seat_map(&show).await, &seats[0]);
        let listed = second.get("/api/v1/events?city=vienna").await.ok(200)["total"].clone();
        if status == "held" && listed == 1 {
            seen = Some(());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        seen.is_some(),
        "the second instance never saw the hold and the event"
    );
}
