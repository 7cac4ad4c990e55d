//! Figures for the web pages, printed, asserting nothing about speed (`scripts/bench-pages.sh`
//! runs them on a release build): the time to an interactive seat map of a 20,000-seat hall in
//! headless Chromium, the delay from a seat changing to the map repainting it while seats
//! change 100 times a second, and the compressed transfer size of each main page.

use crate::booking::OK_CARD;
use crate::browser::{Browser, Viewport};
use crate::helpers::{Db, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant, SystemTime};

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// A hall of 20,000 seats: four sections of 50 rows of 100.
async fn big_show(app: &TestApp, admin: &str) -> Value {
    let rows: Vec<Value> = (0..50)
        .map(|r| json!({"label": format!("R{}", r + 1), "seats": 100}))
        .collect();
    let sections: Vec<Value> = ["Stalls", "Circle", "Balcony", "Gallery"]
        .iter()
        .map(|name| json!({"name": name, "kind": "seated", "rows": rows}))
        .collect();
    let venue = app
        .post(
            "/api/v1/venues",
            Some(admin),
            json!({"name": "Big Hall", "city": "Vienna", "country": "Austria", "address": "Ring 1",
                   "lat": 48.2, "lon": 16.37, "sections": sections}),
        )
        .await
        .ok(201)
        .clone();
    let event = app
        .event(admin, id(&venue), "Big Night", "concert", &[])
        .await;
    let prices: Vec<Value> = ["Stalls", "Circle", "Balcony", "Gallery"]
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"section": s, "amount": 9000 - i as i64 * 1500, "currency": "EUR"}))
        .collect();
    app.show(admin, id(&event), 7, json!({"prices": prices}))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "figures: scripts/bench-pages.sh"]
async fn seat_map_figures() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let admin = app.admin().await;
    let show = big_show(&app, &admin).await;
    let Some(b) = Browser::start(Viewport::Desktop).await else {
        return;
    };
    let url = format!("{}/shows/{}", app.base, id(&show));
    let mut ready = Vec::new();
    for _ in 0..5 {
        b.goto(&url).await;
        b.wait_for("document.getElementById('seatmap')?.dataset.live === 'true'")
            .await;
        let at = b
            .js(
                "const r = performance.getEntriesByType('resource').find(e => e.name.endsWith('/seats'));\
                 return [Number(document.getElementById('seatmap').dataset.readyAt), r ? r.responseEnd - r.startTime : null, r ? r.encodedBodySize : null, document.querySelectorAll('circle.seat').length];",
                vec![],
            )
            .await;
        ready.push(at);
    }
    println!("20,000-seat map, navigation start → interactive (ms), seat JSON fetch (ms), its compressed bytes, seats drawn:");
    for r in &ready {
        println!("  {r}");
    }
    let mut tti: Vec<f64> = ready.iter().filter_map(|r| r[0].as_f64()).collect();
    tti.sort_by(f64::total_cmp);
    println!(
        "time to an interactive map: median {:.0} ms, worst {:.0} ms",
        quantile(&tti, 0.5),
        quantile(&tti, 1.0)
    );

    // Seats change 100 times a second for 10 s (holds of one seat by other buyers); the page
    // reports each repaint with its wall-clock time.
    b.js(
        "window.__painted = {}; document.getElementById('seatmap').addEventListener('seats-painted', e => { for (const id of e.detail.ids) window.__painted[id] = e.detail.at; });",
        vec![],
    )
    .await;
    let map = app.seat_map(&show).await;
    let seats: Vec<String> = map["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["seats"].as_array().cloned().unwrap_or_default())
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect();
    let buyers: Vec<String> = {
        let mut out = Vec::new();
        for _ in 0..20 {
            out.push(app.buyer().await);
        }
        out
    };
    let started = Instant::now();
    let mut done_at: Vec<(String, f64)> = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..1000usize {
        let due = started + Duration::from_millis(i as u64 * 10);
        tokio::time::sleep_until(due.into()).await;
        let (app_base, token, seat, show_id) = (
            app.base.clone(),
            buyers[i % buyers.len()].clone(),
            seats[i * 7].clone(),
            id(&show).to_owned(),
        );
        let client = app.client.clone();
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(format!("{app_base}/api/v1/holds"))
                .bearer_auth(&token)
                .json(&json!({"show_id": show_id, "seat_ids": [seat]}))
                .send()
                .await
                .expect("hold");
            assert_eq!(resp.status(), 201);
            (seat, epoch_ms())
        }));
    }
    for t in tasks {
        done_at.push(t.await.expect("task"));
    }
    let offered = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let painted = b.js("return window.__painted;", vec![]).await;
    let mut delays: Vec<f64> = done_at
        .iter()
        .filter_map(|(seat, at)| painted[seat].as_f64().map(|p| (p - at).max(0.0)))
        .collect();
    delays.sort_by(f64::total_cmp);
    println!(
        "1,000 seat changes in {:.1} s ({:.0}/s): {} repainted; change → repaint p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        offered.as_secs_f64(),
        1000.0 / offered.as_secs_f64(),
        delays.len(),
        quantile(&delays, 0.5),
        quantile(&delays, 0.9),
        quantile(&delays, 0.99),
        quantile(&delays, 1.0),
    );
    b.close().await;
}

/// Bytes on the wire of a GET with `Accept-Encoding: br, gzip`.
async fn compressed(client: &reqwest::Client, url: &str, cookie: Option<&str>) -> (usize, String) {
    let mut request = client.get(url).header("accept-encoding", "br, gzip");
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    let resp = request.send().await.expect("GET");
    let encoding = resp
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .to_owned();
    let bytes = resp.bytes().await.expect("body");
    (bytes.len(), encoding)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "figures: scripts/bench-pages.sh"]
async fn page_weight_figures() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let admin = app.admin().await;
    let show = big_show(&app, &admin).await;
    let buyer = app.buyer().await;
    let map = app.seat_map(&show).await;
    let seat = map["sections"][0]["seats"][0]["id"].clone();
    let hold = app
        .post(
            "/api/v1/holds",
            Some(&buyer),
            json!({"show_id": id(&show), "seat_ids": [seat]}),
        )
        .await
        .ok(201)
        .clone();
    let booking = app.book(&buyer, &hold, OK_CARD).await.ok(201).clone();
    let hold2 = app
        .post(
            "/api/v1/holds",
            Some(&buyer),
            json!({"show_id": id(&show), "seat_ids": [map["sections"][0]["seats"][1]["id"]]}),
        )
        .await
        .ok(201)
        .clone();
    // A plain client: nothing decompressed, so lengths are what travels.
    let client = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .expect("client");
    let cookie = format!("bo_session={buyer}");
    let home = reqwest::get(format!("{}/", app.base))
        .await
        .expect("home")
        .text()
        .await
        .expect("html");
    let mut assets = 0;
    for marker in ["rel=\"stylesheet\" href=\"", "type=\"module\" src=\""] {
        for part in home.split(marker).skip(1) {
            let path = part.split('"').next().unwrap_or_default();
            assets += compressed(&client, &format!("{}{path}", app.base), None)
                .await
                .0;
        }
    }
    let seatmap_js = {
        let page = reqwest::get(format!("{}/shows/{}", app.base, id(&show)))
            .await
            .expect("show")
            .text()
            .await
            .expect("html");
        let path = page
            .split("src=\"/static/seatmap.")
            .nth(1)
            .and_then(|p| p.split('"').next())
            .unwrap_or_default()
            .to_owned();
        compressed(
            &client,
            &format!("{}/static/seatmap.{path}", app.base),
            None,
        )
        .await
        .0
    };
    println!("app.css + app.js: {assets} bytes compressed; seatmap.js: {seatmap_js} bytes");
    let pages = [
        ("home", "/".to_owned()),
        ("search", "/search?q=Big".to_owned()),
        (
            "event",
            format!("/events/{}", show["event_id"].as_str().expect("event")),
        ),
        ("show (20,000 seats)", format!("/shows/{}", id(&show))),
        ("checkout", format!("/holds/{}", id(&hold2))),
        ("booking", format!("/bookings/{}", id(&booking))),
        ("my bookings", "/bookings".to_owned()),
    ];
    println!("page: HTML bytes on the wire (encoding); with its CSS and JS");
    for (name, path) in pages {
        let (html, encoding) =
            compressed(&client, &format!("{}{path}", app.base), Some(&cookie)).await;
        let extra = if name.starts_with("show") {
            seatmap_js
        } else {
            0
        };
        println!(
            "  {name}: {html} ({encoding}); {} in all",
            html + assets + extra
        );
    }
    let (seats, encoding) = compressed(
        &client,
        &format!("{}/api/v1/shows/{}/seats", app.base, id(&show)),
        None,
    )
    .await;
    println!("seat data of the 20,000-seat show: {seats} bytes ({encoding})");
}
