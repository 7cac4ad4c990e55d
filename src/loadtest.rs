//! `boxoffice loadtest onsale`: an on-sale against a running server, measured from outside.
//!
//! It creates a show of `seats` places, registers `buyers` buyers, then lets them all loose at
//! once. The rush: each buyer holds (explicit seats or best available, 1–`max_quantity`
//! places) again and again until the show is sold out. Checkout: each buyer pays for each of
//! their holds with the test provider. It prints holds per
//! second, confirmed bookings per second, p50/p99 latency per step, errors, and the oversell
//! check (no seat in two confirmed bookings; sold seats = seats of confirmed bookings;
//! available + held + sold = capacity). It measures; it asserts nothing.

use anyhow::{bail, Context};
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct OnsaleArgs {
    /// Base URL of a running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    #[arg(long)]
    pub admin_email: String,
    #[arg(long)]
    pub admin_password: String,
    /// Concurrent buyers.
    #[arg(long, default_value_t = 500)]
    pub buyers: usize,
    /// Places on sale (seated, in sections of 100 rows of 50).
    #[arg(long, default_value_t = 10_000)]
    pub seats: usize,
    /// Most places per hold.
    #[arg(long, default_value_t = 4)]
    pub max_quantity: usize,
    /// Card every buyer pays with.
    #[arg(long, default_value = "4242424242424242")]
    pub card: String,
}

#[derive(Default)]
struct Stats {
    hold_ms: Vec<f64>,
    book_ms: Vec<f64>,
    holds: usize,
    hold_conflicts: usize,
    confirmed: usize,
    other_booking_status: usize,
    errors: Vec<String>,
    confirmed_seats: Vec<String>,
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (values.len() as f64 - 1.0)).round() as usize;
    values[rank.min(values.len() - 1)]
}

async fn call(req: reqwest::RequestBuilder) -> anyhow::Result<(u16, Value)> {
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, body))
}

async fn login(
    client: &reqwest::Client,
    url: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let (status, body) = call(
        client
            .post(format!("{url}/api/v1/sessions"))
            .json(&json!({"email": email, "password": password})),
    )
    .await?;
    if status != 201 {
        bail!("login {email} failed: {status} {body}");
    }
    body["token"]
        .as_str()
        .map(str::to_owned)
        .context("no token")
}

pub async fn onsale(args: OnsaleArgs) -> anyhow::Result<()> {
    let url = args.url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.buyers + 16)
        .timeout(Duration::from_secs(60))
        .build()?;
    let admin = login(&client, &url, &args.admin_email, &args.admin_password).await?;
    let run = rand::random::<u32>();

    // The show: sections of up to 100 rows x 50 seats.
    let mut sections = Vec::new();
    let mut left = args.seats;
    while left > 0 {
        let rows = left.div_ceil(50).min(100);
        let row_list: Vec<Value> = (0..rows)
            .map(|r| json!({"label": format!("{}", r + 1), "seats": if (r + 1) * 50 <= left { 50 } else { left - r * 50 }}))
            .collect();
        left -= row_list
            .iter()
            .map(|r| r["seats"].as_u64().unwrap_or(0) as usize)
            .sum::<usize>();
        sections.push(json!({"name": format!("Block {}", sections.len() + 1), "kind": "seated", "rows": row_list}));
    }
    let names: Vec<String> = sections
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    let bearer = |req: reqwest::RequestBuilder, token: &str| req.bearer_auth(token);
    let (status, venue) = call(bearer(client.post(format!("{url}/api/v1/venues")), &admin).json(&json!({
        "name": format!("Load Arena {run:x}"), "city": "Loadtown", "country": "Benchland", "address": "1 Queue Lane",
        "lat": 50.0, "lon": 8.0, "sections": sections}))).await?;
    if status != 201 {
        bail!("creating the venue failed: {status} {venue}");
    }
    let (_, event) = call(bearer(client.post(format!("{url}/api/v1/events")), &admin).json(&json!({
        "title": format!("On-sale {run:x}"), "description": "load test", "category": "concert", "venue_id": venue["id"]}))).await?;
    let starts = crate::domain::rfc3339(crate::clock::Clock::System.now_ms() + 30 * 86_400_000);
    let prices: Vec<Value> = names
        .iter()
        .map(|n| json!({"section": n, "amount": 4900, "currency": "EUR"}))
        .collect();
    let (status, show) = call(
        bearer(
            client.post(format!(
                "{url}/api/v1/events/{}/shows",
                event["id"].as_str().unwrap_or_default()
            )),
            &admin,
        )
        .json(&json!({"starts_at": starts, "prices": prices, "max_per_order": 10})),
    )
    .await?;
    if status != 201 {
        bail!("creating the show failed: {status} {show}");
    }
    let show_id = show["id"].as_str().unwrap_or_default().to_owned();
    let (_, map) = call(client.get(format!("{url}/api/v1/shows/{show_id}/seats"))).await?;
    let all_seats: Vec<String> = map["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| {
            s["seats"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|seat| seat["id"].as_str().map(str::to_owned))
        })
        .collect();
    let capacity = all_seats.len();
    eprintln!(
        "show {show_id}: {capacity} seats; registering {} buyers…",
        args.buyers
    );

    // Buyers (registration hashes passwords, so a few at a time).
    let mut tokens = Vec::with_capacity(args.buyers);
    for chunk in (0..args.buyers).collect::<Vec<_>>().chunks(16) {
        let logins = chunk.iter().map(|i| {
            let (client, url) = (client.clone(), url.clone());
            let email = format!("buyer{i}.{run:x}@load.test");
            async move {
                let (status, body) = call(client.post(format!("{url}/api/v1/users")).json(
                    &json!({"email": email, "name": "Buyer", "password": "load test password"}),
                ))
                .await?;
                if status != 201 {
                    bail!("register failed: {status} {body}");
                }
                login(&client, &url, &email, "load test password").await
            }
        });
        for token in futures::future::join_all(logins).await {
            tokens.push(token?);
        }
    }

    // Phase 1, the rush: every buyer holds again and again until nothing is left.
    eprintln!("on sale: {} buyers, {capacity} seats", args.buyers);
    let stats = Arc::new(Mutex::new(Stats::default()));
    let sold_out = Arc::new(AtomicBool::new(false));
    let all_seats = Arc::new(all_seats);
    let names = Arc::new(names);
    let started = Instant::now();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let (client, url, stats, sold_out, seats, names, show_id) =
                (client.clone(), url.clone(), stats.clone(), sold_out.clone(), all_seats.clone(), names.clone(), show_id.clone());
            let max_q = args.max_quantity.max(1);
            tokio::spawn(async move {
                let mut holds = Vec::new();
                let mut misses = 0;
                while !sold_out.load(Ordering::Relaxed) {
                    let body = {
                        let mut rng = rand::thread_rng();
                        let q = rng.gen_range(1..=max_q);
                        if rng.gen_bool(0.5) {
                            let picked: Vec<&String> = seats.choose_multiple(&mut rng, q).collect();
                            json!({"show_id": show_id, "seat_ids": picked})
                        } else {
                            json!({"show_id": show_id, "section": names.choose(&mut rng), "quantity": q})
                        }
                    };
                    let t = Instant::now();
                    let held = call(client.post(format!("{url}/api/v1/holds")).bearer_auth(&token).json(&body)).await;
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    if let Ok(mut s) = stats.lock() {
                        s.hold_ms.push(ms);
                        match held {
                            Ok((201, hold)) => {
                                s.holds += 1;
                                holds.push(hold["id"].clone());
                                misses = 0;
                            }
                            Ok((409, _)) => {
                                s.hold_conflicts += 1;
                                misses += 1;
                            }
                            Ok((status, body)) => s.errors.push(format!("hold {status}: {body}")),
                            Err(e) => s.errors.push(format!("hold: {e}")),
                        }
                    }
                    if misses >= 10 {
                        misses = 0;
                        let (_, show) = call(client.get(format!("{url}/api/v1/shows/{show_id}"))).await.unwrap_or((0, Value::Null));
                        if show["available"].as_i64() == Some(0) {
                            sold_out.store(true, Ordering::Relaxed);
                        }
                    }
                }
                (token, holds)
            })
        })
        .collect();
    let mut buyers = Vec::new();
    for task in tasks {
        buyers.push(task.await?);
    }
    let hold_secs = started.elapsed().as_secs_f64();

    // Phase 2, checkout: every buyer pays for each of their holds.
    let started = Instant::now();
    let tasks: Vec<_> = buyers
        .into_iter()
        .map(|(token, holds)| {
            let (client, url, stats, card) = (client.clone(), url.clone(), stats.clone(), args.card.clone());
            tokio::spawn(async move {
                for hold in holds {
                    let t = Instant::now();
                    let booked = call(client.post(format!("{url}/api/v1/bookings")).bearer_auth(&token)
                        .json(&json!({"hold_id": hold, "payment": {"provider": "test", "card_number": card}}))).await;
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    let Ok(mut s) = stats.lock() else { break };
                    s.book_ms.push(ms);
                    match booked {
                        Ok((201, b)) if b["status"] == "confirmed" => {
                            s.confirmed += 1;
                            for seat in b["seats"].as_array().into_iter().flatten() {
                                s.confirmed_seats.push(seat["id"].as_str().unwrap_or_default().to_owned());
                            }
                        }
                        Ok((201, _)) => s.other_booking_status += 1,
                        Ok((status, body)) => s.errors.push(format!("booking {status}: {body}")),
                        Err(e) => s.errors.push(format!("booking: {e}")),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    let book_secs = started.elapsed().as_secs_f64();
    let mut s = std::mem::take(
        &mut *stats
            .lock()
            .map_err(|_| anyhow::anyhow!("stats poisoned"))?,
    );
    // Webhooks of the test provider settle a moment after the answers; let them land.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The oversell check, from outside.
    let (_, map) = call(client.get(format!("{url}/api/v1/shows/{show_id}/seats"))).await?;
    let mut counts = (0, 0, 0);
    let mut sold = HashSet::new();
    for seat in map["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|sec| sec["seats"].as_array().into_iter().flatten())
    {
        match seat["status"].as_str() {
            Some("available") => counts.0 += 1,
            Some("held") => counts.1 += 1,
            Some("sold") => {
                counts.2 += 1;
                sold.insert(seat["id"].as_str().unwrap_or_default().to_owned());
            }
            _ => {}
        }
    }
    let unique: HashSet<&String> = s.confirmed_seats.iter().collect();
    let double_sold = s.confirmed_seats.len() - unique.len();
    let confirmed_not_sold = unique
        .iter()
        .filter(|id| !sold.contains(id.as_str()))
        .count();

    println!(
        "on-sale: {} buyers, {capacity} seats; holds {hold_secs:.1} s, checkout {book_secs:.1} s",
        args.buyers
    );
    println!("{:<28}{:>12}", "holds", s.holds);
    println!("{:<28}{:>12.0}", "holds/s", s.holds as f64 / hold_secs);
    println!(
        "{:<28}{:>12.0}",
        "hold requests/s",
        s.hold_ms.len() as f64 / hold_secs
    );
    println!("{:<28}{:>12}", "hold conflicts (409)", s.hold_conflicts);
    println!("{:<28}{:>12}", "confirmed bookings", s.confirmed);
    println!(
        "{:<28}{:>12.0}",
        "confirmed bookings/s",
        s.confirmed as f64 / book_secs
    );
    println!(
        "{:<28}{:>12}",
        "other booking outcomes", s.other_booking_status
    );
    println!(
        "{:<28}{:>12.1}",
        "hold p50 ms",
        percentile(&mut s.hold_ms, 50.0)
    );
    println!(
        "{:<28}{:>12.1}",
        "hold p99 ms",
        percentile(&mut s.hold_ms, 99.0)
    );
    println!(
        "{:<28}{:>12.1}",
        "booking p50 ms",
        percentile(&mut s.book_ms, 50.0)
    );
    println!(
        "{:<28}{:>12.1}",
        "booking p99 ms",
        percentile(&mut s.book_ms, 99.0)
    );
    println!("{:<28}{:>12}", "errors", s.errors.len());
    for e in s.errors.iter().take(5) {
        println!("  {e}");
    }
    println!(
        "{:<28}{:>12}",
        "seats available/held/sold",
        format!("{}/{}/{}", counts.0, counts.1, counts.2)
    );
    println!(
        "{:<28}{:>12}",
        "sum = capacity",
        counts.0 + counts.1 + counts.2 == capacity
    );
    println!("{:<28}{:>12}", "seats in 2+ bookings", double_sold);
    println!("{:<28}{:>12}", "confirmed but not sold", confirmed_not_sold);
    println!(
        "{:<28}{:>12}",
        "sold = confirmed seats",
        counts.2 == unique.len()
    );
    let oversold = double_sold > 0 || confirmed_not_sold > 0 || counts.2 != unique.len();
    println!(
        "{:<28}{:>12}",
        "OVERSOLD",
        if oversold { "YES" } else { "no" }
    );
    Ok(())
}

#[derive(Debug, Clone, clap::Args)]
pub struct SearchArgs {
    /// Base URL of a running server whose catalog is seeded (`boxoffice seed --scale large`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Requests per query kind.
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Also time the naive `LIKE '%term%'` scan on the store named by DATABASE_URL /
    /// BOXOFFICE_DATA_DIR, with this many queries per term.
    #[arg(long, default_value_t = 3)]
    pub like_queries: usize,
    /// Instead of HTTP, open this index directory in-process and run the engine's query mix.
    #[arg(long)]
    pub index_dir: Option<std::path::PathBuf>,
}

/// The query mix: free text with and without typos, filters, geo, browse by date.
const SEARCH_MIX: &[(&str, &str)] = &[
    ("text", "q=taylor%20swift"),
    ("text", "q=coldplay"),
    ("text", "q=hamlet"),
    ("typo", "q=tayler%20swift"),
    ("typo", "q=coldpaly"),
    ("typo", "q=metalica"),
    ("filter", "q=rock&category=concert&sort=date"),
    ("filter", "category=opera&city=Vienna"),
    ("filter", "min_price=2000&max_price=5000&category=comedy"),
    ("geo", "lat=48.2082&lon=16.3738&radius_km=50&sort=distance"),
    ("geo", "q=jazz&lat=51.5072&lon=-0.1276&radius_km=100"),
    ("browse", "sort=date&per_page=20"),
];

pub async fn search(args: SearchArgs, config: crate::config::Config) -> anyhow::Result<()> {
    if let Some(dir) = &args.index_dir {
        let (index, _) = crate::search::SearchIndex::open(dir)?;
        println!(
            "index: {} events, {:.1} MiB",
            index.num_docs(),
            index.size_bytes() as f64 / 1048576.0
        );
        let iterations = args.requests;
        let report =
            tokio::task::spawn_blocking(move || crate::search::bench::bench(&index, iterations))
                .await?;
        println!("{report}");
        return Ok(());
    }
    let url = args.url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    println!(
        "{:<10}{:>10}{:>12}{:>12}{:>12}",
        "kind", "requests", "p50 ms", "p99 ms", "req/s"
    );
    let mut all = Vec::new();
    let total_started = Instant::now();
    let kinds = ["text", "typo", "filter", "geo", "browse"];
    for kind in kinds {
        let queries: Vec<&str> = SEARCH_MIX
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, q)| *q)
            .collect();
        let started = Instant::now();
        let latencies = Arc::new(Mutex::new(Vec::new()));
        let per_task = args.requests.div_ceil(args.concurrency.max(1));
        let tasks: Vec<_> = (0..args.concurrency.max(1))
            .map(|t| {
                let (client, url, latencies) = (client.clone(), url.clone(), latencies.clone());
                let queries: Vec<String> = queries.iter().map(|q| q.to_string()).collect();
                tokio::spawn(async move {
                    for i in 0..per_task {
                        // A page number varies the request so the result cache does not answer everything.
                        let q = &queries[(t + i) % queries.len()];
                        let page = 1 + (i % 5);
                        let t0 = Instant::now();
                        let ok = client
                            .get(format!("{url}/api/v1/search?{q}&page={page}"))
                            .send()
                            .await
                            .map(|r| r.status().is_success());
                        if matches!(ok, Ok(true)) {
                            if let Ok(mut l) = latencies.lock() {
                                l.push(t0.elapsed().as_secs_f64() * 1000.0);
                            }
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await?;
        }
        let secs = started.elapsed().as_secs_f64();
        let mut l =
            std::mem::take(&mut *latencies.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
        println!(
            "{kind:<10}{:>10}{:>12.2}{:>12.2}{:>12.0}",
            l.len(),
            percentile(&mut l, 50.0),
            percentile(&mut l, 99.0),
            l.len() as f64 / secs
        );
        all.extend(l);
    }
    let secs = total_started.elapsed().as_secs_f64();
    println!(
        "{:<10}{:>10}{:>12.2}{:>12.2}{:>12.0}",
        "all",
        all.len(),
        percentile(&mut all, 50.0),
        percentile(&mut all, 99.0),
        all.len() as f64 / secs
    );

    if args.like_queries > 0 {
        let store = crate::store::open(config.database_url.as_deref(), &config.data_dir).await?;
        let mut like = Vec::new();
        for term in ["taylor swift", "coldplay", "hamlet", "jazz"] {
            for _ in 0..args.like_queries {
                let t0 = Instant::now();
                store.like_search(term, 20).await?;
                like.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let p50 = percentile(&mut like, 50.0);
        println!(
            "naive LIKE scan: {} queries, p50 {p50:.1} ms, p99 {:.1} ms",
            like.len(),
            percentile(&mut like, 99.0)
        );
        println!(
            "index (HTTP, text) vs LIKE p50: {:.0}x faster",
            p50 / percentile(&mut all, 50.0).max(0.001)
        );
    }
    Ok(())
}
