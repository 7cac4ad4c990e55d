use crate::dual;
use crate::helpers::{Db, TestApp};
use serde_json::{json, Value};

dual!(
    text_with_a_nul_character_is_refused_not_a_server_error,
    request_bodies_must_be_json_objects,
    catalog_writes_need_an_admin,
    venue_creation_generates_seats_and_validates,
    events_and_shows_validate_references,
    event_view_show_view_and_seat_map,
    update_and_cancel_events,
    browse_filters_and_paginates,
    browse_pages_past_an_event_with_many_shows,
    browse_counts_an_event_by_its_latest_show_added_concurrently,
    public_reads_are_cacheable,
    change_feed_records_every_catalog_change,
);

async fn catalog_writes_need_an_admin(db: Db) {
    let app = TestApp::spawn(db).await;
    let buyer = app.buyer().await;
    let body = json!({"name": "Someone"});
    app.post("/api/v1/performers", None, body.clone())
        .await
        .problem(401);
    app.post("/api/v1/performers", Some(&buyer), body.clone())
        .await
        .problem(403);
    app.post("/api/v1/venues", Some(&buyer), json!({}))
        .await
        .problem(403);
    app.post("/api/v1/events", Some(&buyer), json!({}))
        .await
        .problem(403);
    app.request(
        reqwest::Method::PATCH,
        "/api/v1/events/1",
        Some(&buyer),
        Some(json!({"title": "x"})),
    )
    .await
    .problem(403);
    app.request(reqwest::Method::DELETE, "/api/v1/events/1", None, None)
        .await
        .problem(401);
    app.post("/api/v1/events/1/shows", Some(&buyer), json!({}))
        .await
        .problem(403);
    let admin = app.admin().await;
    app.post("/api/v1/performers", Some(&admin), body)
        .await
        .ok(201);
}

async fn venue_creation_generates_seats_and_validates(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let venue = app.venue(&admin, "Vienna", 3, 4, 25).await;
    assert_eq!(venue["capacity"], 3 * 4 + 25);
    assert_eq!(venue["sections"][0]["rows"].as_array().unwrap().len(), 3);
    assert_eq!(venue["sections"][1]["kind"], "standing");
    let fetched = app
        .get(&format!("/api/v1/venues/{}", venue["id"].as_str().unwrap()))
        .await;
    assert_eq!(fetched.ok(200)["name"], "Vienna Hall");

    let bad = app
        .post(
            "/api/v1/venues",
            Some(&admin),
            json!({"name": "Bad", "city": "Graz", "country": "Austria", "address": "x", "lat": 100.0, "lon": 0.0,
                   "sections": [{"name": "A", "kind": "balcony"}, {"name": "B", "kind": "seated", "rows": [{"label": "1", "seats": 0}]}]}),
        )
        .await;
    assert_eq!(
        bad.invalid_fields(),
        ["lat", "sections[0].kind", "sections[1].rows[0].seats"]
    );
    let no_sections = app
        .post("/api/v1/venues", Some(&admin), json!({"name": "Bad", "city": "Graz", "country": "Austria", "address": "x", "lat": 1.0, "lon": 0.0, "sections": []}))
        .await;
    assert_eq!(no_sections.invalid_fields(), ["sections"]);
    // Nothing was written: Graz has no venue.
    let cities = app.get("/api/v1/cities").await;
    let names: Vec<_> = cities.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, [json!("Vienna")]);
}

async fn events_and_shows_validate_references(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let venue = app.venue(&admin, "Vienna", 2, 2, 5).await;
    let venue_id = venue["id"].as_str().unwrap();
    let bad_venue = app
        .post(
            "/api/v1/events",
            Some(&admin),
            json!({"title": "X", "category": "concert", "venue_id": "999", "performer_ids": []}),
        )
        .await;
    assert_eq!(bad_venue.invalid_fields(), ["venue_id"]);
    let bad_performer = app
        .post("/api/v1/events", Some(&admin), json!({"title": "X", "category": "concert", "venue_id": venue_id, "performer_ids": ["777"]}))
        .await;
    assert_eq!(bad_performer.invalid_fields(), ["performer_ids[0]"]);
    let bad_category = app
        .post(
            "/api/v1/events",
            Some(&admin),
            json!({"title": " ", "category": "cooking", "venue_id": venue_id}),
        )
        .await;
    assert_eq!(bad_category.invalid_fields(), ["title", "category"]);
    assert_eq!(
        app.get("/api/v1/events?from=2000-01-01").await.ok(200)["total"],
        0
    );

    let event = app.event(&admin, venue_id, "Real", "concert", &[]).await;
    let event_id = event["id"].as_str().unwrap();
    let path = format!("/api/v1/events/{event_id}/shows");
    let unknown_section = app
        .post(&path, Some(&admin), json!({"starts_at": "2030-01-01T20:00:00Z", "prices": [{"section": "Balcony", "amount": 100, "currency": "EUR"}]}))
        .await;
    assert_eq!(unknown_section.invalid_fields(), ["prices[0].section"]);
    let bad_show = app
        .post(&path, Some(&admin), json!({"starts_at": "tomorrow", "hold_ttl_seconds": 5, "max_per_order": 0, "prices": []}))
        .await;
    assert_eq!(
        bad_show.invalid_fields(),
        ["starts_at", "hold_ttl_seconds", "max_per_order", "prices"]
    );
    app.post("/api/v1/events/4242/shows", Some(&admin), json!({"starts_at": "2030-01-01T20:00:00Z", "prices": [{"section": "Stalls", "amount": 1, "currency": "EUR"}]}))
        .await
        .problem(404);
    let view = app.get(&format!("/api/v1/events/{event_id}")).await;
    assert!(
        view.ok(200)["shows"].as_array().unwrap().is_empty(),
        "no show was created"
    );
}

async fn event_view_show_view_and_seat_map(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let venue = app.venue(&admin, "Vienna", 3, 4, 20).await;
    let p1 = app.performer(&admin, "Wiener Philharmoniker").await;
    let p2 = app.performer(&admin, "Anna Netrebko").await;
    let event = app
        .event(
            &admin,
            venue["id"].as_str().unwrap(),
            "Die Zauberflöte",
            "opera",
            &[p2["id"].as_str().unwrap(), p1["id"].as_str().unwrap()],
        )
        .await;
    let event_id = event["id"].as_str().unwrap();
    assert_eq!(event["performers"][0]["name"], "Anna Netrebko");
    let show = app
        .show(
            &admin,
            event_id,
            10,
            json!({"hold_ttl_seconds": 120, "max_per_order": 4}),
        )
        .await;
    assert_eq!(show["hold_ttl_seconds"], 120);
    assert_eq!(show["max_per_order"], 4);
    assert_eq!(show["available"], 32);
    assert_eq!(show["event"]["title"], "Die Zauberflöte");
    assert_eq!(show["venue"]["city"], "Vienna");
    app.show(&admin, event_id, 3, json!({})).await;

    let view = app.get(&format!("/api/v1/events/{event_id}")).await;
    let view = view.ok(200);
    assert_eq!(view["venue"]["name"], "Vienna Hall");
    let shows = view["shows"].as_array().unwrap();
    assert_eq!(shows.len(), 2);
    assert!(
        shows[0]["starts_at"].as_str() < shows[1]["starts_at"].as_str(),
        "shows in date order"
    );
    assert_eq!(shows[0]["available"], 32);
    assert_eq!(shows[0]["held"], 0);
    assert_eq!(shows[0]["sold"], 0);
    assert_eq!(shows[0]["min_price"], 3000);
    assert_eq!(shows[0]["max_price"], 5000);

    let show_id = show["id"].as_str().unwrap();
    let fetched = app.get(&format!("/api/v1/shows/{show_id}")).await;
    assert_eq!(
        fetched.ok(200)["prices"],
        json!([{"section": "Stalls", "amount": 5000, "currency": "EUR"}, {"section": "Floor", "amount": 3000, "currency": "EUR"}])
    );

    let map = app.get(&format!("/api/v1/shows/{show_id}/seats")).await;
    let map = map.ok(200);
    assert_eq!(map["show_id"], show_id);
    let stalls = &map["sections"][0];
    assert_eq!(stalls["name"], "Stalls");
    assert_eq!(stalls["price"], 5000);
    let seats = stalls["seats"].as_array().unwrap();
    assert_eq!(seats.len(), 12);
    assert!(seats
        .iter()
        .all(|s| s["status"] == "available" && s["x"].is_number() && s["y"].is_number()));
    assert_eq!(seats[0]["row"], "R1");
    assert_eq!(seats[0]["number"], 1);
    let ids: std::collections::HashSet<_> = seats
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 12, "seat ids are distinct");
    let floor = &map["sections"][1];
    assert_eq!(
        (
            floor["kind"].clone(),
            floor["capacity"].clone(),
            floor["available"].clone()
        ),
        (json!("standing"), json!(20), json!(20))
    );
    app.get("/api/v1/shows/999999/seats").await.problem(404);
    app.get("/api/v1/shows/999999").await.problem(404);
}

async fn update_and_cancel_events(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (event, _) = app.scheduled_show(&admin, 1, 2, 2).await;
    let id = event["id"].as_str().unwrap();
    let path = format!("/api/v1/events/{id}");
    let p = app.performer(&admin, "New Headliner").await;
    let updated = app
        .request(
            reqwest::Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"title": "Renamed", "performer_ids": [p["id"]]})),
        )
        .await;
    let updated = updated.ok(200);
    assert_eq!(updated["title"], "Renamed");
    assert_eq!(updated["description"], "A night to remember");
    assert_eq!(updated["performers"][0]["name"], "New Headliner");

    let bad = app
        .request(
            reqwest::Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"category": "knitting"})),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["category"]);
    let empty = app
        .request(reqwest::Method::PATCH, &path, Some(&admin), Some(json!({})))
        .await;
    empty.problem(422);
    assert_eq!(
        app.get(&path).await.ok(200)["category"],
        "concert",
        "bad patches change nothing"
    );
    app.request(
        reqwest::Method::PATCH,
        "/api/v1/events/9999",
        Some(&admin),
        Some(json!({"title": "x"})),
    )
    .await
    .problem(404);

    let cancelled = app
        .request(reqwest::Method::DELETE, &path, Some(&admin), None)
        .await;
    let cancelled = cancelled.ok(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["shows"][0]["status"], "cancelled");
    app.request(
        reqwest::Method::PATCH,
        &path,
        Some(&admin),
        Some(json!({"title": "again"})),
    )
    .await
    .problem(409);
    app.post(&format!("{path}/shows"), Some(&admin), json!({"starts_at": "2030-01-01T20:00:00Z", "prices": [{"section": "Stalls", "amount": 1, "currency": "EUR"}]}))
        .await
        .problem(409);
    // Cancelled events leave browse.
    assert_eq!(app.get("/api/v1/events").await.ok(200)["total"], 0);
    // Cancelling twice is harmless.
    app.request(reqwest::Method::DELETE, &path, Some(&admin), None)
        .await
        .ok(200);
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn browse_filters_and_paginates(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let vienna = app.venue(&admin, "Vienna", 1, 2, 2).await;
    let london = app.venue(&admin, "London", 1, 2, 2).await;
    let v = vienna["id"].as_str().unwrap();
    let l = london["id"].as_str().unwrap();
    for (i, (venue, category)) in [
        (v, "opera"),
        (v, "concert"),
        (l, "concert"),
        (v, "opera"),
        (l, "comedy"),
    ]
    .iter()
    .enumerate()
    {
        let e = app
            .event(&admin, venue, &format!("Event {i}"), category, &[])
            .await;
        app.show(
            &admin,
            e["id"].as_str().unwrap(),
            10 + i as i64 * 10,
            json!({}),
        )
        .await;
    }
    let all = app.get("/api/v1/events").await;
    assert_eq!(all.ok(200)["total"], 5);
    assert_eq!(
        titles(&all.body),
        ["Event 0", "Event 1", "Event 2", "Event 3", "Event 4"],
        "soonest first"
    );
    assert_eq!(all.body["items"][0]["city"], "Vienna");
    assert_eq!(all.body["items"][0]["min_price"], 3000);

    let vienna_events = app.get("/api/v1/events?city=vienna").await;
    assert_eq!(
        titles(vienna_events.ok(200)),
        ["Event 0", "Event 1", "Event 3"]
    );
    let operas = app.get("/api/v1/events?city=Vienna&category=opera").await;
    assert_eq!(titles(operas.ok(200)), ["Event 0", "Event 3"]);
    let day = 86_400_000;
    let from = boxoffice::domain::rfc3339(app.clock.now_ms() + 25 * day);
    let to = boxoffice::domain::rfc3339(app.clock.now_ms() + 45 * day);
    let window = app
        .get(&format!("/api/v1/events?from={from}&to={to}"))
        .await;
    assert_eq!(titles(window.ok(200)), ["Event 2", "Event 3"]);

    let page2 = app.get("/api/v1/events?page=2&per_page=2").await;
    let page2 = page2.ok(200);
    assert_eq!(
        (
            page2["total"].clone(),
            page2["page"].clone(),
            page2["per_page"].clone()
        ),
        (json!(5), json!(2), json!(2))
    );
    assert_eq!(titles(page2), ["Event 2", "Event 3"]);
    assert!(titles(app.get("/api/v1/events?page=9&per_page=2").await.ok(200)).is_empty());

    let bad = app
        .get("/api/v1/events?per_page=1000&page=0&from=someday&category=cooking")
        .await;
    assert_eq!(
        bad.invalid_fields(),
        ["from", "category", "page", "per_page"]
    );
    let backwards = app
        .get(&format!("/api/v1/events?from={to}&to={from}"))
        .await;
    assert_eq!(backwards.invalid_fields(), ["to"]);

    let cities = app.get("/api/v1/cities").await;
    assert_eq!(
        cities.ok(200)["items"],
        json!([{"name": "London", "country": "Testland", "event_count": 2}, {"name": "Vienna", "country": "Testland", "event_count": 3}])
    );
}

/// Browse finds a page's events by walking shows in start order; an event with more shows
/// than the first window holds must not crowd the others out or repeat.
async fn browse_pages_past_an_event_with_many_shows(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let venue = app.venue(&admin, "Vienna", 1, 1, 2).await;
    let v = venue["id"].as_str().unwrap();
    let festival = app.event(&admin, v, "Festival", "concert", &[]).await;
    for day in 1..=70 {
        app.show(&admin, festival["id"].as_str().unwrap(), day, json!({}))
            .await;
    }
    for (title, day) in [("A", 80), ("B", 90), ("C", 100)] {
        let e = app.event(&admin, v, title, "concert", &[]).await;
        app.show(&admin, e["id"].as_str().unwrap(), day, json!({}))
            .await;
    }
    let first = app.get("/api/v1/events?per_page=2").await;
    assert_eq!(first.ok(200)["total"], 4);
    assert_eq!(titles(&first.body), ["Festival", "A"]);
    assert_eq!(first.body["items"][0]["show_count"], 70);
    let second = app.get("/api/v1/events?per_page=2&page=2").await;
    assert_eq!(titles(second.ok(200)), ["B", "C"]);
    let concerts = app.get("/api/v1/events?category=concert&per_page=3").await;
    assert_eq!(titles(concerts.ok(200)), ["Festival", "A", "B"]);
    // After the festival's last show only the others are left, and counted.
    let day = 86_400_000;
    let from = boxoffice::domain::rfc3339(app.clock.now_ms() + 75 * day);
    let later = app.get(&format!("/api/v1/events?from={from}")).await;
    assert_eq!(later.ok(200)["total"], 3);
    assert_eq!(titles(&later.body), ["A", "B", "C"]);
}

/// Shows of one event added at the same time: whichever commits last, the event is still
/// counted up to its latest show.
async fn browse_counts_an_event_by_its_latest_show_added_concurrently(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let venue = app.venue(&admin, "Vienna", 1, 1, 2).await;
    let v = venue["id"].as_str().unwrap();
    let day = 86_400_000;
    for round in 0..5 {
        let event = app
            .event(&admin, v, &format!("Tour {round}"), "concert", &[])
            .await;
        let id = event["id"].as_str().unwrap();
        futures::future::join_all((1..=8).map(|d| app.show(&admin, id, d * 10, json!({})))).await;
        let from = boxoffice::domain::rfc3339(app.clock.now_ms() + 75 * day);
        let late = app
            .get(&format!("/api/v1/events?from={from}&category=concert"))
            .await;
        assert_eq!(late.ok(200)["total"], round + 1, "round {round}");
        assert_eq!(late.body["items"].as_array().unwrap().len(), round + 1);
    }
}

async fn public_reads_are_cacheable(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (event, show) = app.scheduled_show(&admin, 1, 2, 2).await;
    for path in [
        format!("/api/v1/events/{}", event["id"].as_str().unwrap()),
        format!("/api/v1/shows/{}", show["id"].as_str().unwrap()),
        format!("/api/v1/shows/{}/seats", show["id"].as_str().unwrap()),
        "/api/v1/events".to_owned(),
        "/api/v1/cities".to_owned(),
    ] {
        let first = app.get(&path).await;
        first.ok(200);
        let cache = first.headers["cache-control"].to_str().unwrap();
        assert!(cache.starts_with("public, max-age="), "{path}: {cache}");
        let etag = first.headers["etag"].to_str().unwrap().to_owned();
        let again = app
            .client
            .get(format!("{}{}", app.base, path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.bytes().await.unwrap().is_empty());
    }
    // A change produces a new ETag.
    let path = format!("/api/v1/events/{}", event["id"].as_str().unwrap());
    let before = app.get(&path).await.headers["etag"].clone();
    app.request(
        reqwest::Method::PATCH,
        &path,
        Some(&admin),
        Some(json!({"title": "Changed"})),
    )
    .await
    .ok(200);
    assert_ne!(app.get(&path).await.headers["etag"], before);
    // Private reads are not marked cacheable.
    let me = app.get_as("/api/v1/users/me", &admin).await;
    assert!(!me.headers.contains_key("cache-control") && !me.headers.contains_key("etag"));
}

async fn change_feed_records_every_catalog_change(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let start = app.store.last_change().await.unwrap();
    let (event, show) = app.scheduled_show(&admin, 1, 2, 2).await;
    let id = event["id"].as_str().unwrap();
    app.request(
        reqwest::Method::PATCH,
        &format!("/api/v1/events/{id}"),
        Some(&admin),
        Some(json!({"title": "New"})),
    )
    .await
    .ok(200);
    app.request(
        reqwest::Method::DELETE,
        &format!("/api/v1/events/{id}"),
        Some(&admin),
        None,
    )
    .await
    .ok(200);
    let changes = app.store.changes_after(start, 100).await.unwrap();
    let seen: Vec<_> = changes
        .iter()
        .map(|c| {
            (
                c.topic.as_str(),
                serde_json::from_str::<Value>(&c.payload).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("venue", "created".to_owned()),
            ("event", "created".into()),
            ("show", "created".into()),
            ("event", "updated".into()),
            ("show", "cancelled".into()),
            ("event", "cancelled".into())
        ]
    );
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        changes[2].show_id.map(|s| s.to_string()),
        show["id"].as_str().map(str::to_owned)
    );
    // Failed writes leave no trace in the feed.
    app.post(
        "/api/v1/events",
        Some(&admin),
        json!({"title": "X", "category": "concert", "venue_id": "999"}),
    )
    .await
    .problem(422);
    assert_eq!(
        app.store.last_change().await.unwrap(),
        changes.last().unwrap().seq
    );
}

/// No database keeps a NUL character in text: such text is a 422 naming the field, in bodies and
/// in query strings alike, never a 500.
async fn text_with_a_nul_character_is_refused_not_a_server_error(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let named = app
        .post(
            "/api/v1/performers",
            Some(&admin),
            json!({"name": "Björk\u{0}"}),
        )
        .await;
    assert_eq!(named.invalid_fields(), vec!["name"]);
    let genre = app
        .post(
            "/api/v1/performers",
            Some(&admin),
            json!({"name": "Björk", "genre": "a\u{0}b"}),
        )
        .await;
    assert_eq!(genre.invalid_fields(), vec!["genre"]);
    let venue = app.venue(&admin, "Vienna", 1, 2, 0).await;
    let event = app
        .post(
            "/api/v1/events",
            Some(&admin),
            json!({"title": "Night", "category": "concert", "venue_id": venue["id"], "description": "x\u{0}"}),
        )
        .await;
    assert_eq!(event.invalid_fields(), vec!["description"]);
    let login = app
        .post(
            "/api/v1/sessions",
            None,
            json!({"email": "a\u{0}@example.com", "password": "whatever123"}),
        )
        .await;
    login.problem(401);
    let browse = app.get("/api/v1/events?city=Vie%00nna").await;
    assert!(browse.status.as_u16() < 500, "{}", browse.text);
}

/// A struct is never read from an array of its fields: `[]` is no patch.
async fn request_bodies_must_be_json_objects(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 2, 0).await;
    let path = format!("/api/v1/shows/{}", show["id"].as_str().expect("id"));
    for body in [json!([]), json!([true]), json!("waiting_room"), json!(7)] {
        let answer = app
            .request(
                reqwest::Method::PATCH,
                &path,
                Some(&admin),
                Some(body.clone()),
            )
            .await;
        assert_eq!(answer.status.as_u16(), 422, "{body}: {}", answer.text);
    }
    let after = app.get(&path).await.ok(200).clone();
    assert_eq!(after["waiting_room"], show["waiting_room"]);
    app.post(
        "/api/v1/users",
        None,
        json!(["a@example.com", "Name", "password1"]),
    )
    .await
    .problem(422);
}
