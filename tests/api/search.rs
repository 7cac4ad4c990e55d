//! Search over a real index fed by the change feed, with a catalog built through the API.

use crate::dual;
use crate::helpers::{Db, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

dual!(
    search_finds_with_typos_accents_and_boosts,
    search_filters_sorts_paginates_and_counts,
    suggest_completes_prefixes,
    search_follows_catalog_changes_and_rebuilds,
    search_rejects_bad_parameters,
);

struct Catalog {
    berlin_swift: String,
    zauberflote: String,
    coldplay_id: String,
}

async fn venue(app: &TestApp, admin: &str, name: &str, city: &str, lat: f64, lon: f64) -> String {
    app.post(
        "/api/v1/venues",
        Some(admin),
        json!({"name": name, "city": city, "country": "Europe", "address": "1 Street", "lat": lat, "lon": lon,
               "sections": [{"name": "Stalls", "kind": "seated", "rows": [{"label": "A", "seats": 4}]}]}),
    )
    .await
    .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An event with one show `days` from now at `price`.
struct Ev<'a> {
    title: &'a str,
    category: &'a str,
    description: &'a str,
    performers: &'a [&'a str],
    days: i64,
    price: i64,
}

async fn event(app: &TestApp, admin: &str, venue: &str, ev: Ev<'_>) -> String {
    let Ev {
        title,
        category,
        description,
        performers,
        days,
        price,
    } = ev;
    let e = app
        .post("/api/v1/events", Some(admin), json!({"title": title, "description": description, "category": category, "venue_id": venue, "performer_ids": performers}))
        .await;
    let id = e.ok(201)["id"].as_str().unwrap().to_owned();
    let starts = boxoffice::domain::rfc3339(app.clock.now_ms() + days * 86_400_000);
    app.post(&format!("/api/v1/events/{id}/shows"), Some(admin), json!({"starts_at": starts, "prices": [{"section": "Stalls", "amount": price, "currency": "EUR"}]}))
        .await
        .ok(201);
    id
}

async fn catalog(app: &TestApp, admin: &str) -> Catalog {
    let berlin = venue(app, admin, "Olympiastadion", "Berlin", 52.5147, 13.2395).await;
    let london = venue(app, admin, "Royal Albert Hall", "London", 51.5009, -0.1774).await;
    let vienna = venue(app, admin, "Wiener Staatsoper", "Vienna", 48.2030, 16.3690).await;
    let swift = app.performer(admin, "Taylor Swift").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let coldplay = app.performer(admin, "Coldplay").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let metallica = app.performer(admin, "Metallica").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let phil = app.performer(admin, "Wiener Philharmoniker").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let berlin_swift = event(
        app,
        admin,
        &berlin,
        Ev {
            title: "Taylor Swift — The Eras Tour",
            category: "concert",
            description: "Every era, one night.",
            performers: &[&swift],
            days: 30,
            price: 12_900,
        },
    )
    .await;
    event(
        app,
        admin,
        &london,
        Ev {
            title: "Coldplay — Music of the Spheres",
            category: "concert",
            description: "Wristbands and lasers.",
            performers: &[&coldplay],
            days: 20,
            price: 9_900,
        },
    )
    .await;
    event(
        app,
        admin,
        &berlin,
        Ev {
            title: "Metallica — M72 World Tour",
            category: "concert",
            description: "Heavy.",
            performers: &[&metallica],
            days: 40,
            price: 11_000,
        },
    )
    .await;
    let zauberflote = event(
        app,
        admin,
        &vienna,
        Ev {
            title: "Die Zauberflöte",
            category: "opera",
            description: "Mozart's magic opera.",
            performers: &[&phil],
            days: 10,
            price: 4_500,
        },
    )
    .await;
    event(
        app,
        admin,
        &london,
        Ev {
            title: "A Poetry Evening",
            category: "other",
            description: "Readings inspired by Taylor Swift lyrics.",
            performers: &[],
            days: 15,
            price: 1_500,
        },
    )
    .await;
    wait_for(app, "/api/v1/search?per_page=100", |b| {
        // Each event's show lands in the index a moment after the event itself.
        b["total"] == 5
            && b["items"]
                .as_array()
                .is_some_and(|items| items.iter().all(|i| i["next_show_at"].is_string()))
    })
    .await;
    Catalog {
        berlin_swift,
        zauberflote,
        coldplay_id: coldplay,
    }
}

/// Polls a search until `pred` holds: the index follows the feed a moment behind the store.
async fn wait_for(app: &TestApp, path: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let r = app.get(path).await;
        if r.status == 200 && pred(&r.body) {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never matched: {}", app.get(path).await.text);
}

fn titles(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn search_finds_with_typos_accents_and_boosts(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let c = catalog(&app, &admin).await;
    for (q, want) in [
        ("tayler swift", "Taylor Swift — The Eras Tour"),
        ("coldpaly", "Coldplay — Music of the Spheres"),
        ("metalica", "Metallica — M72 World Tour"),
        ("zauberflote", "Die Zauberflöte"),
        ("ZAUBERFLÖTE", "Die Zauberflöte"),
        ("philharmoniker", "Die Zauberflöte"),
    ] {
        let r = app
            .get(&format!("/api/v1/search?q={}", q.replace(' ', "%20")))
            .await;
        assert_eq!(
            titles(r.ok(200)).first().map(String::as_str),
            Some(want),
            "{q}: {}",
            r.text
        );
    }
    // Title and performer outrank a mention in a description.
    let r = app.get("/api/v1/search?q=taylor%20swift").await;
    assert_eq!(
        titles(r.ok(200)),
        ["Taylor Swift — The Eras Tour", "A Poetry Evening"]
    );
    let first = &r.body["items"][0];
    assert_eq!(first["event_id"], json!(c.berlin_swift));
    assert_eq!(first["href"], format!("/api/v1/events/{}", c.berlin_swift));
    assert_eq!(
        (
            first["city"].clone(),
            first["venue"].clone(),
            first["min_price"].clone()
        ),
        (json!("Berlin"), json!("Olympiastadion"), json!(12_900))
    );
    assert!(first["next_show_at"].as_str().unwrap().ends_with('Z'));
    assert!(first["score"].as_f64().unwrap() > r.body["items"][1]["score"].as_f64().unwrap());
    assert!(r.headers["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public"));
    let none = app.get("/api/v1/search?q=xylophone").await;
    assert_eq!(none.headers["x-cache"], "miss");
    assert_eq!(none.ok(200)["total"], 0);
    // The same search again (folded the same way) comes from the result cache.
    let again = app.get("/api/v1/search?q=XYLOPHONE").await;
    assert_eq!(again.headers["x-cache"], "hit");
    assert_eq!(again.ok(200)["total"], 0);
}

async fn search_filters_sorts_paginates_and_counts(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let c = catalog(&app, &admin).await;
    let get = |q: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/search?{q}"))
                .await
                .ok(200)
                .clone()
        }
    };
    let mut berlin = titles(&get("city=berlin".into()).await);
    berlin.sort();
    assert_eq!(
        berlin,
        ["Metallica — M72 World Tour", "Taylor Swift — The Eras Tour"]
    );
    assert_eq!(
        titles(&get("category=opera".into()).await),
        ["Die Zauberflöte"]
    );
    assert_eq!(
        titles(&get("performer=coldplay".into()).await),
        ["Coldplay — Music of the Spheres"]
    );
    assert_eq!(
        titles(&get(format!("performer={}", c.coldplay_id)).await),
        ["Coldplay — Music of the Spheres"]
    );
    assert_eq!(
        titles(&get("venue=Wiener%20Staatsoper".into()).await),
        ["Die Zauberflöte"]
    );
    let day = 86_400_000;
    let from = boxoffice::domain::rfc3339(app.clock.now_ms() + 18 * day);
    let to = boxoffice::domain::rfc3339(app.clock.now_ms() + 35 * day);
    assert_eq!(
        titles(&get(format!("from={from}&to={to}&sort=date")).await),
        [
            "Coldplay — Music of the Spheres",
            "Taylor Swift — The Eras Tour"
        ]
    );
    assert_eq!(
        titles(&get("min_price=10000&max_price=11500&sort=date".into()).await),
        ["Metallica — M72 World Tour"]
    );
    assert_eq!(
        titles(&get("lat=48.21&lon=16.37&radius_km=10".into()).await),
        ["Die Zauberflöte"]
    );
    let near_london = get("lat=51.5&lon=-0.12&sort=distance".into()).await;
    let cities: Vec<_> = near_london["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["city"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(cities, ["London", "London", "Berlin", "Berlin", "Vienna"]);
    let distances: Vec<f64> = near_london["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["distance_km"].as_f64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    let by_date = titles(&get("sort=date".into()).await);
    assert_eq!(
        by_date,
        [
            "Die Zauberflöte",
            "A Poetry Evening",
            "Coldplay — Music of the Spheres",
            "Taylor Swift — The Eras Tour",
            "Metallica — M72 World Tour"
        ]
    );
    // Pages are slices of one stable order, with the same total.
    let p1 = get("sort=date&per_page=2&page=1".into()).await;
    let p3 = get("sort=date&per_page=2&page=3".into()).await;
    assert_eq!(
        (p1["total"].clone(), p3["total"].clone()),
        (json!(5), json!(5))
    );
    assert_eq!(titles(&p1), by_date[0..2]);
    assert_eq!(titles(&p3), by_date[4..5]);
    // Facets count the whole match, not the page.
    let all = get("q=concert&per_page=1".into()).await;
    assert_eq!(all["facets"]["category"], json!({"concert": 3}));
    assert_eq!(all["facets"]["city"], json!({"Berlin": 2, "London": 1}));
}

async fn suggest_completes_prefixes(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    catalog(&app, &admin).await;
    let suggest = |q: &str| {
        let path = format!("/api/v1/search/suggest?q={q}");
        let app = &app;
        async move {
            app.get(&path).await.ok(200)["items"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let metal = suggest("metal").await;
    assert!(
        metal
            .iter()
            .any(|s| s["text"] == "Metallica" && s["kind"] == "performer"),
        "{metal:?}"
    );
    assert!(suggest("zauberf")
        .await
        .iter()
        .any(|s| s["text"] == "Die Zauberflöte" && s["kind"] == "event"));
    assert!(suggest("berl")
        .await
        .iter()
        .any(|s| s["text"] == "Berlin" && s["kind"] == "city"));
    assert!(suggest("royal").await.iter().any(|s| s["kind"] == "venue"));
    assert!(
        suggest("tayler")
            .await
            .iter()
            .any(|s| s["text"] == "Taylor Swift"),
        "typo tolerant"
    );
    assert!(suggest("qqqq").await.is_empty());
}

async fn search_follows_catalog_changes_and_rebuilds(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let c = catalog(&app, &admin).await;
    let vienna = app
        .get(&format!("/api/v1/events/{}", c.zauberflote))
        .await
        .ok(200)["venue"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // New events are found.
    let new = event(
        &app,
        &admin,
        &vienna,
        Ev {
            title: "Don Giovanni",
            category: "opera",
            description: "Mozart again.",
            performers: &[],
            days: 50,
            price: 6_000,
        },
    )
    .await;
    wait_for(&app, "/api/v1/search?q=giovanni", |b| b["total"] == 1).await;
    // Renamed events are found by their new title only.
    app.request(
        reqwest::Method::PATCH,
        &format!("/api/v1/events/{new}"),
        Some(&admin),
        Some(json!({"title": "Così fan tutte"})),
    )
    .await
    .ok(200);
    wait_for(&app, "/api/v1/search?q=cosi", |b| b["total"] == 1).await;
    assert_eq!(
        app.get("/api/v1/search?q=giovanni").await.ok(200)["total"],
        0
    );
    // New shows re-price the event.
    let starts = boxoffice::domain::rfc3339(app.clock.now_ms() + 60 * 86_400_000);
    app.post(&format!("/api/v1/events/{new}/shows"), Some(&admin), json!({"starts_at": starts, "prices": [{"section": "Stalls", "amount": 900, "currency": "EUR"}]})).await.ok(201);
    wait_for(&app, "/api/v1/search?q=cosi", |b| {
        b["items"][0]["min_price"] == 900
    })
    .await;
    // Cancelled events leave the results.
    app.request(
        reqwest::Method::DELETE,
        &format!("/api/v1/events/{new}"),
        Some(&admin),
        None,
    )
    .await
    .ok(200);
    wait_for(&app, "/api/v1/search?q=cosi", |b| b["total"] == 0).await;
    // The index is derived state: delete it, restart, and everything is searchable again.
    let mut app = app;
    app.stop().await;
    std::fs::remove_dir_all(app.data_dir.path().join("search")).unwrap();
    let app = app.restart().await;
    wait_for(&app, "/api/v1/search?per_page=100", |b| b["total"] == 5).await;
    wait_for(&app, "/api/v1/search?q=tayler", |b| b["total"] == 1).await;
}

async fn search_rejects_bad_parameters(db: Db) {
    let app = TestApp::spawn(db).await;
    for (query, fields) in [
        ("lat=48.2", vec!["lon"]),
        ("sort=distance", vec!["sort"]),
        ("sort=popularity", vec!["sort"]),
        ("radius_km=5", vec!["radius_km"]),
        ("lat=91&lon=0", vec!["lat"]),
        ("min_price=-1&max_price=abc", vec!["min_price", "max_price"]),
        ("from=someday", vec!["from"]),
        ("per_page=500&page=0", vec!["page", "per_page"]),
        ("min_price=500&max_price=100", vec!["max_price"]),
        ("page=200&per_page=100", vec!["page"]),
    ] {
        let r = app.get(&format!("/api/v1/search?{query}")).await;
        assert_eq!(r.invalid_fields(), fields, "{query}");
    }
    assert_eq!(
        app.get("/api/v1/search/suggest").await.invalid_fields(),
        ["q"]
    );
    assert_eq!(
        app.get("/api/v1/search/suggest?q=a&limit=0")
            .await
            .invalid_fields(),
        ["limit"]
    );
}
