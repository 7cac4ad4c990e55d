//! The live seat map over Server-Sent Events, read the way a browser's `EventSource` reads it.

use crate::booking::seat_ids;
use crate::dual;
use crate::helpers::{Db, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

dual!(
    a_committed_write_wakes_this_instances_feed_followers,
    the_stream_starts_with_a_snapshot_then_follows_every_change,
    a_reconnect_gets_exactly_the_missed_changes,
    a_position_too_old_to_resume_gets_a_fresh_snapshot,
    a_cancelled_show_sends_a_fresh_snapshot,
    a_reconnect_after_a_cancellation_starts_over_with_a_snapshot,
    a_missing_show_is_a_404_with_or_without_a_position,
);

#[derive(Debug)]
pub struct SseEvent {
    pub event: String,
    pub id: String,
    pub data: Value,
}

/// An open event stream.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    async fn open(app: &TestApp, show: &Value, last_event_id: Option<&str>) -> Self {
        let url = format!(
            "{}/api/v1/shows/{}/seats/stream",
            app.base,
            show["id"].as_str().expect("show id")
        );
        let mut request = app.client.get(url);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("stream opens");
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers["content-type"], "text/event-stream");
        assert_eq!(headers["x-accel-buffering"], "no");
        Self::from_response(response)
    }

    pub fn from_response(response: reqwest::Response) -> Self {
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (heartbeat comments are skipped); fails after 10 s without one.
    pub async fn next(&mut self) -> SseEvent {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut id, mut data) = (String::new(), String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if event.is_empty() && data.is_empty() {
                    continue; // a comment
                }
                let data = serde_json::from_str(&data).expect("event data is JSON");
                return SseEvent { event, id, data };
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.response.chunk())
                .await
                .expect("an event within 10 s")
                .expect("stream readable")
                .expect("stream still open");
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }

    /// Whether an event arrives within `wait`.
    async fn quiet_for(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.next()).await.is_err()
    }
}

fn statuses(event: &SseEvent) -> Vec<(String, String)> {
    let list = match &event.data {
        Value::Array(list) => list.clone(),
        one => vec![one.clone()],
    };
    list.iter()
        .map(|s| {
            (
                s["seat_id"].as_str().expect("seat_id").to_owned(),
                s["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

fn snapshot_status(event: &SseEvent, seat: &str) -> String {
    assert_eq!(event.event, "snapshot");
    event.data["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .find(|s| s["seat_id"] == seat)
        .and_then(|s| s["status"].as_str())
        .expect("the seat is in the snapshot")
        .to_owned()
}

/// `DELETE {collection}/{id}` of `thing` as `token`, which must succeed.
async fn delete(app: &TestApp, collection: &str, thing: &Value, token: &str) {
    let path = format!("{collection}/{}", thing["id"].as_str().expect("id"));
    let done = app
        .request(reqwest::Method::DELETE, &path, Some(token), None)
        .await;
    assert!(done.status.is_success(), "{}", done.text);
}

async fn hold(app: &TestApp, buyer: &str, show: &Value, seats: &[&String]) -> Value {
    app.post(
        "/api/v1/holds",
        Some(buyer),
        json!({"show_id": show["id"], "seat_ids": seats}),
    )
    .await
    .ok(201)
    .clone()
}

async fn the_stream_starts_with_a_snapshot_then_follows_every_change(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 6, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let mut stream = EventStream::open(&app, &show, None).await;
    let snapshot = stream.next().await;
    assert_eq!(snapshot.data["seats"].as_array().map(Vec::len), Some(6));
    assert_eq!(snapshot_status(&snapshot, &seats[0]), "available");
    let start: i64 = snapshot.id.parse().expect("numeric id");

    let held = hold(&app, &buyer, &show, &[&seats[0], &seats[1]]).await;
    let event = stream.next().await;
    assert_eq!(event.event, "seat");
    assert!(event.id.parse::<i64>().expect("numeric id") > start);
    let mut got = statuses(&event);
    got.sort();
    assert_eq!(
        got,
        vec![
            (seats[0].clone(), "held".to_owned()),
            (seats[1].clone(), "held".to_owned())
        ]
    );
    delete(&app, "/api/v1/holds", &held, &buyer).await;
    let event = stream.next().await;
    let mut got = statuses(&event);
    got.sort();
    assert_eq!(
        got,
        vec![
            (seats[0].clone(), "available".to_owned()),
            (seats[1].clone(), "available".to_owned())
        ]
    );
    // A single seat's change is one object, not a list.
    hold(&app, &buyer, &show, &[&seats[2]]).await;
    let event = stream.next().await;
    assert!(event.data.is_object(), "{:?}", event.data);
    assert_eq!(
        statuses(&event),
        vec![(seats[2].clone(), "held".to_owned())]
    );
}

async fn a_reconnect_gets_exactly_the_missed_changes(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 6, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let mut stream = EventStream::open(&app, &show, None).await;
    stream.next().await;
    hold(&app, &buyer, &show, &[&seats[0]]).await;
    let seen = stream.next().await;
    drop(stream);

    // While disconnected: two changes to this show (and one to another show).
    let (_, other_show) = app.scheduled_show(&admin, 1, 2, 0).await;
    let other_seats = seat_ids(&app.seat_map(&other_show).await, 0);
    hold(&app, &buyer, &show, &[&seats[1]]).await;
    hold(&app, &buyer, &other_show, &[&other_seats[0]]).await;
    hold(&app, &buyer, &show, &[&seats[2]]).await;

    let mut again = EventStream::open(&app, &show, Some(&seen.id)).await;
    // The missed changes, in order: one event each, or one for both when the instance read
    // them from the feed together.
    let mut missed = Vec::new();
    let mut last_id = seen.id.parse::<i64>().expect("id");
    while missed.len() < 2 {
        let event = again.next().await;
        assert_eq!(event.event, "seat", "resumed, not a snapshot: {event:?}");
        let id = event.id.parse::<i64>().expect("id");
        assert!(id > last_id, "positions only grow");
        last_id = id;
        missed.extend(statuses(&event));
    }
    assert_eq!(
        missed,
        vec![
            (seats[1].clone(), "held".to_owned()),
            (seats[2].clone(), "held".to_owned())
        ]
    );
    assert!(
        again.quiet_for(Duration::from_millis(600)).await,
        "nothing more: no duplicate"
    );
    // Live changes follow the missed ones.
    hold(&app, &buyer, &show, &[&seats[3]]).await;
    assert_eq!(
        statuses(&again.next().await),
        vec![(seats[3].clone(), "held".to_owned())]
    );
}

async fn a_position_too_old_to_resume_gets_a_fresh_snapshot(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    hold(&app, &buyer, &show, &[&seats[0]]).await;
    // Wait until this instance has followed the feed past that hold: a later change to another
    // show reaches that show's stream.
    let (_, other) = app.scheduled_show(&admin, 1, 2, 0).await;
    let other_seats = seat_ids(&app.seat_map(&other).await, 0);
    let mut watcher = EventStream::open(&app, &other, None).await;
    assert_eq!(watcher.next().await.event, "snapshot");
    hold(&app, &buyer, &other, &[&other_seats[0]]).await;
    assert_eq!(watcher.next().await.event, "seat");
    // Position 1 is from before this instance followed the show.
    let mut stream = EventStream::open(&app, &show, Some("1")).await;
    let snapshot = stream.next().await;
    assert_eq!(snapshot_status(&snapshot, &seats[0]), "held");
    assert_eq!(snapshot_status(&snapshot, &seats[1]), "available");
}

async fn a_cancelled_show_sends_a_fresh_snapshot(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (event, show) = app.scheduled_show(&admin, 1, 3, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    hold(&app, &buyer, &show, &[&seats[0]]).await;
    let mut stream = EventStream::open(&app, &show, None).await;
    assert_eq!(snapshot_status(&stream.next().await, &seats[0]), "held");
    delete(&app, "/api/v1/events", &event, &admin).await;
    // (The hold may still arrive as a seat event first: a snapshot can be newer than the
    // position it is sent at, and a seat event only ever repeats a state it already has.)
    let mut fresh = stream.next().await;
    for _ in 0..3 {
        if fresh.event == "snapshot" {
            break;
        }
        fresh = stream.next().await;
    }
    assert_eq!(snapshot_status(&fresh, &seats[0]), "available");
}

async fn a_reconnect_after_a_cancellation_starts_over_with_a_snapshot(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (event, show) = app.scheduled_show(&admin, 1, 3, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let mut stream = EventStream::open(&app, &show, None).await;
    stream.next().await;
    hold(&app, &buyer, &show, &[&seats[0]]).await;
    let seen = stream.next().await;
    assert_eq!(seen.event, "seat");
    drop(stream);
    // A second subscriber stays, to tell when this instance has followed the cancellation.
    let mut watcher = EventStream::open(&app, &show, Some(&seen.id)).await;
    delete(&app, "/api/v1/events", &event, &admin).await;
    assert_eq!(
        watcher.next().await.event,
        "snapshot",
        "the watcher saw the reset"
    );
    let mut again = EventStream::open(&app, &show, Some(&seen.id)).await;
    let first = again.next().await;
    assert_eq!(snapshot_status(&first, &seats[0]), "available");
}

async fn a_missing_show_is_a_404_with_or_without_a_position(db: Db) {
    let app = TestApp::spawn(db).await;
    for last_event_id in [None, Some("1")] {
        let mut request = app
            .client
            .get(format!("{}/api/v1/shows/424242/seats/stream", app.base));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = TestApp::read(request.send().await.expect("request")).await;
        response.problem(404);
    }
}

/// Two subscribers on two instances of one PostgreSQL database, holds made on the first: both
/// see every change, in the same order (each instance groups them into events by itself).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_stream_the_same_changes() {
    let Some(db) = crate::helpers::postgres_or_skip() else {
        return;
    };
    let first = TestApp::spawn(db).await;
    let second = first.second_instance().await;
    let admin = first.admin().await;
    let (_, show) = first.scheduled_show(&admin, 1, 8, 0).await;
    let seats = seat_ids(&first.seat_map(&show).await, 0);
    let buyer = first.buyer().await;
    let mut here = EventStream::open(&first, &show, None).await;
    let mut there = EventStream::open(&second, &show, None).await;
    assert_eq!(here.next().await.event, "snapshot");
    assert_eq!(there.next().await.event, "snapshot");
    for seat in &seats[..6] {
        hold(&first, &buyer, &show, &[seat]).await;
    }
    let expected: Vec<(String, String)> = seats[..6]
        .iter()
        .map(|s| (s.clone(), "held".to_owned()))
        .collect();
    let mut last_ids = Vec::new();
    for stream in [&mut here, &mut there] {
        let mut got = Vec::new();
        let mut last = String::new();
        while got.len() < expected.len() {
            let event = stream.next().await;
            assert_eq!(event.event, "seat");
            got.extend(statuses(&event));
            last = event.id;
        }
        assert_eq!(got, expected, "every change, in order, once");
        last_ids.push(last);
    }
    assert_eq!(
        last_ids[0], last_ids[1],
        "both end at the same feed position"
    );
}

/// The seat map follows this instance's writes at once, not at its next poll: every committed
/// write tells the store's followers.
async fn a_committed_write_wakes_this_instances_feed_followers(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let seats = crate::booking::seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let mut written = app.store.written();
    written.borrow_and_update();
    app.hold(&buyer, &show, &seats[..2]).await.ok(201);
    tokio::time::timeout(std::time::Duration::from_secs(5), written.changed())
        .await
        .expect("no word of the hold")
        .expect("the signal is open");
}
