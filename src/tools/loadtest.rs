//! `boxoffice loadtest onsale`: an on-sale against a running server, measured from outside.
//!
//! It creates a show of `seats` places, registers `buyers` buyers, then runs two phases:
//!
//! - **The rush.** Every buyer holds again and again (explicit seats or best available,
//!   1–`max_quantity` places) until every seat is held. Buyers pick explicit seats from their
//!   view of the seat map: the seats of every answer (held, or named unavailable in a 409) are
//!   marked taken for all of them, as a live seat map would show.
//! - **Checkout.** Every buyer pays for each of their holds with the test provider.
//!
//! Each phase is paced: requests are sent on a schedule that adds up to the offered rate
//! (`--hold-rate`, `--book-rate`; 0 sends as fast as answers come back), and latency is taken
//! from the scheduled send time, so a server that falls behind shows it in its latency
//! instead of silently slowing the load down. A closed loop of 500 clients without pauses
//! would only measure 500 divided by the throughput.
//!
//! It prints per phase the offered and achieved rates, p50/p90/p99/max latency, conflicts and
//! errors, then the oversell check (no seat in two confirmed bookings; sold seats = seats of
//! confirmed bookings; available + held + sold = capacity). It measures; it asserts nothing.

use anyhow::{bail, Context};
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
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
    #[arg(long, default_value_t = 50_000)]
    pub seats: usize,
    /// Most places per hold.
    #[arg(long, default_value_t = 4)]
    pub max_quantity: usize,
    /// Hold requests per second offered by all buyers together (0: as fast as possible).
    #[arg(long, default_value_t = 2_500)]
    pub hold_rate: u32,
    /// Booking requests per second offered in checkout (0: as fast as possible).
    #[arg(long, default_value_t = 1_250)]
    pub book_rate: u32,
    /// Card every buyer pays with.
    #[arg(long, default_value = "4242424242424242")]
    pub card: String,
}

pub(crate) fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (values.len() as f64 - 1.0)).round() as usize;
    values[rank.min(values.len() - 1)]
}

pub(crate) async fn call(req: reqwest::RequestBuilder) -> anyhow::Result<(u16, Value)> {
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, body))
}

pub(crate) async fn login(
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

/// When each of `buyers` buyers sends its requests so that together they offer `rate` per
/// second: buyer `i` starts at a random point of its interval and keeps to it.
#[derive(Debug, Clone, Copy)]
struct Pace {
    interval: Option<Duration>,
}

impl Pace {
    fn new(rate: u32, buyers: usize) -> Pace {
        Pace {
            interval: (rate > 0).then(|| Duration::from_secs_f64(buyers as f64 / f64::from(rate))),
        }
    }

    fn first(&self, start: Instant) -> Instant {
        match self.interval {
            Some(i) => start + i.mul_f64(rand::thread_rng().gen::<f64>()),
            None => start,
        }
    }

    /// Waits for the slot at `at` and returns it (or now, unpaced) and the next slot.
    async fn wait(&self, at: Instant) -> (Instant, Instant) {
        match self.interval {
            Some(i) => {
                tokio::time::sleep_until(at.into()).await;
                (at, at + i)
            }
            None => {
                let now = Instant::now();
                (now, now)
            }
        }
    }
}

/// Latencies and outcomes of one phase.
#[derive(Default)]
struct Phase {
    ms: Vec<f64>,
    ok: usize,
    conflicts: usize,
    other: usize,
    errors: Vec<String>,
}

impl Phase {
    fn print(&mut self, name: &str, ok_name: &str, offered: u32, secs: f64) {
        let offered = if offered == 0 {
            "unpaced".to_owned()
        } else {
            format!("{offered}/s")
        };
        println!(
            "{name}: {} requests in {secs:.1} s (offered {offered})",
            self.ms.len()
        );
        println!(
            "  {:<26}{:>12.0}",
            "requests/s",
            self.ms.len() as f64 / secs
        );
        println!("  {:<26}{:>12}", ok_name, self.ok);
        println!(
            "  {:<26}{:>12.0}",
            format!("{ok_name}/s"),
            self.ok as f64 / secs
        );
        println!("  {:<26}{:>12}", "conflicts (409)", self.conflicts);
        println!("  {:<26}{:>12}", "other outcomes", self.other);
        for p in [50.0, 90.0, 99.0, 100.0] {
            let label = if p == 100.0 {
                "max ms".to_owned()
            } else {
                format!("p{p} ms")
            };
            println!("  {:<26}{:>12.1}", label, percentile(&mut self.ms, p));
        }
        println!("  {:<26}{:>12}", "errors", self.errors.len());
        for e in self.errors.iter().take(5) {
            println!("    {e}");
        }
    }
}

/// The buyers' shared view of the seat map: which seats are known to be taken.
struct SeatMap {
    ids: Vec<String>,
    index: HashMap<String, usize>,
    taken: Vec<AtomicBool>,
    known_taken: AtomicUsize,
    /// When the seat map was last read (ms since `born`), so one buyer at a time reads it.
    last_read_ms: AtomicU64,
    born: Instant,
}

impl SeatMap {
    fn new(ids: Vec<String>) -> SeatMap {
        let index = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
        let taken = ids.iter().map(|_| AtomicBool::new(false)).collect();
        SeatMap {
            ids,
            index,
            taken,
            known_taken: AtomicUsize::new(0),
            last_read_ms: AtomicU64::new(0),
            born: Instant::now(),
        }
    }

    /// Whether this buyer should read the seat map now: only a few seats are unaccounted for
    /// (a best-available miss says a section is full, not which seats), and nobody read it in
    /// the last quarter second.
    fn should_read(&self) -> bool {
        if self.ids.len() - self.known_taken.load(Ordering::Relaxed) >= 64 {
            return false;
        }
        let now = self.born.elapsed().as_millis() as u64;
        let last = self.last_read_ms.load(Ordering::Relaxed);
        now >= last + 250
            && self
                .last_read_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    fn mark<'a>(&self, ids: impl Iterator<Item = &'a str>) {
        for id in ids {
            if let Some(&i) = self.index.get(id) {
                if !self.taken[i].swap(true, Ordering::Relaxed) {
                    self.known_taken.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    fn sold_out(&self) -> bool {
        self.known_taken.load(Ordering::Relaxed) >= self.ids.len()
    }

    /// Up to `n` seats that look free, at random.
    fn pick(&self, n: usize) -> Vec<&str> {
        let mut rng = rand::thread_rng();
        let mut picked = Vec::with_capacity(n);
        for _ in 0..n * 64 {
            let i = rng.gen_range(0..self.ids.len());
            if !self.taken[i].load(Ordering::Relaxed) && !picked.contains(&self.ids[i].as_str()) {
                picked.push(self.ids[i].as_str());
                if picked.len() == n {
                    break;
                }
            }
        }
        picked
    }
}

/// The seat ids of a hold or booking answer.
fn seat_ids(body: &Value) -> impl Iterator<Item = &str> {
    body["seats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str())
}

pub(crate) async fn create_show(
    client: &reqwest::Client,
    url: &str,
    admin: &str,
    seats: usize,
) -> anyhow::Result<(String, Vec<String>)> {
    let run = rand::random::<u32>();
    let mut sections = Vec::new();
    let mut left = seats;
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
    let (status, venue) = call(client.post(format!("{url}/api/v1/venues")).bearer_auth(admin).json(&json!({
        "name": format!("Load Arena {run:x}"), "city": "Loadtown", "country": "Benchland", "address": "1 Queue Lane",
        "lat": 50.0, "lon": 8.0, "sections": sections}))).await?;
    if status != 201 {
        bail!("creating the venue failed: {status} {venue}");
    }
    let (status, event) = call(client.post(format!("{url}/api/v1/events")).bearer_auth(admin).json(&json!({
        "title": format!("On-sale {run:x}"), "description": "load test", "category": "concert", "venue_id": venue["id"]}))).await?;
    if status != 201 {
        bail!("creating the event failed: {status} {event}");
    }
    let starts = crate::domain::rfc3339(crate::clock::Clock::System.now_ms() + 30 * 86_400_000);
    let prices: Vec<Value> = names
        .iter()
        .map(|n| json!({"section": n, "amount": 4900, "currency": "EUR"}))
        .collect();
    let event_id = event["id"].as_str().unwrap_or_default();
    let (status, show) = call(
        client
            .post(format!("{url}/api/v1/events/{event_id}/shows"))
            .bearer_auth(admin)
            .json(&json!({"starts_at": starts, "prices": prices, "max_per_order": 10})),
    )
    .await?;
    if status != 201 {
        bail!("creating the show failed: {status} {show}");
    }
    Ok((show["id"].as_str().unwrap_or_default().to_owned(), names))
}

/// Every seat of the show and its status, from the public seat map.
async fn seat_statuses(
    client: &reqwest::Client,
    url: &str,
    show: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let (status, map) = call(client.get(format!("{url}/api/v1/shows/{show}/seats"))).await?;
    if status != 200 {
        bail!("reading the seat map failed: {status}");
    }
    Ok(map["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["seats"].as_array().into_iter().flatten())
        .filter_map(|seat| {
            Some((
                seat["id"].as_str()?.to_owned(),
                seat["status"].as_str()?.to_owned(),
            ))
        })
        .collect())
}

pub(crate) async fn register_buyers(
    client: &reqwest::Client,
    url: &str,
    buyers: usize,
) -> anyhow::Result<Vec<String>> {
    let run = rand::random::<u32>();
    let mut tokens = Vec::with_capacity(buyers);
    // Registration hashes passwords, so a few at a time.
    for chunk in (0..buyers).collect::<Vec<_>>().chunks(16) {
        let logins = chunk.iter().map(|i| {
            let email = format!("buyer{i}.{run:x}@load.test");
            async move {
                let (status, body) = call(client.post(format!("{url}/api/v1/users")).json(
                    &json!({"email": email, "name": "Buyer", "password": "load test password"}),
                ))
                .await?;
                if status != 201 {
                    bail!("register failed: {status} {body}");
                }
                login(client, url, &email, "load test password").await
            }
        });
        for token in futures::future::join_all(logins).await {
            tokens.push(token?);
        }
    }
    Ok(tokens)
}

pub async fn onsale(args: OnsaleArgs) -> anyhow::Result<()> {
    let url = args.url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.buyers + 16)
        .timeout(Duration::from_secs(60))
        .build()?;
    let admin = login(&client, &url, &args.admin_email, &args.admin_password).await?;
    let (show_id, names) = create_show(&client, &url, &admin, args.seats).await?;
    let map = Arc::new(SeatMap::new(
        seat_statuses(&client, &url, &show_id)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    ));
    let capacity = map.ids.len();
    eprintln!(
        "show {show_id}: {capacity} seats; registering {} buyers…",
        args.buyers
    );
    let tokens = register_buyers(&client, &url, args.buyers).await?;

    // The rush: every buyer holds until every seat is taken.
    eprintln!("on sale: {} buyers, {capacity} seats", args.buyers);
    let rush = Arc::new(Mutex::new(Phase::default()));
    let names = Arc::new(names);
    let pace = Pace::new(args.hold_rate, args.buyers);
    let max_q = args.max_quantity.max(1);
    let started = Instant::now();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let (client, url, rush, map, names, show_id) =
                (client.clone(), url.clone(), rush.clone(), map.clone(), names.clone(), show_id.clone());
            tokio::spawn(async move {
                let mut holds = Vec::new();
                let mut next = pace.first(started);
                while !map.sold_out() {
                    let (at, after) = pace.wait(next).await;
                    next = after;
                    let body = {
                        let mut rng = rand::thread_rng();
                        let q = rng.gen_range(1..=max_q);
                        let picked = if rng.gen_bool(0.5) { map.pick(q) } else { Vec::new() };
                        if picked.is_empty() {
                            json!({"show_id": show_id, "section": names.choose(&mut rng), "quantity": q})
                        } else {
                            json!({"show_id": show_id, "seat_ids": picked})
                        }
                    };
                    let held = call(client.post(format!("{url}/api/v1/holds")).bearer_auth(&token).json(&body)).await;
                    let ms = at.elapsed().as_secs_f64() * 1000.0;
                    match &held {
                        Ok((201, hold)) => map.mark(seat_ids(hold)),
                        Ok((409, problem)) => map.mark(
                            problem["unavailable_seat_ids"].as_array().into_iter().flatten().filter_map(Value::as_str),
                        ),
                        _ => {}
                    }
                    if let Ok(mut s) = rush.lock() {
                        s.ms.push(ms);
                        match held {
                            Ok((201, hold)) => {
                                s.ok += 1;
                                holds.push(hold["id"].clone());
                            }
                            Ok((409, _)) => s.conflicts += 1,
                            Ok((status, body)) => s.errors.push(format!("hold {status}: {body}")),
                            Err(e) => s.errors.push(format!("hold: {e}")),
                        }
                    }
                    if map.should_read() {
                        if let Ok(seats) = seat_statuses(&client, &url, &show_id).await {
                            map.mark(seats.iter().filter(|(_, st)| st != "available").map(|(id, _)| id.as_str()));
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
    let rush_secs = started.elapsed().as_secs_f64();

    // Checkout: every buyer pays for each of their holds.
    let checkout = Arc::new(Mutex::new(Phase::default()));
    let confirmed_seats = Arc::new(Mutex::new(Vec::new()));
    let pace = Pace::new(args.book_rate, args.buyers);
    let started = Instant::now();
    let tasks: Vec<_> = buyers
        .into_iter()
        .map(|(token, holds)| {
            let (client, url, checkout, confirmed_seats, card) =
                (client.clone(), url.clone(), checkout.clone(), confirmed_seats.clone(), args.card.clone());
            tokio::spawn(async move {
                let mut next = pace.first(started);
                for hold in holds {
                    let (at, after) = pace.wait(next).await;
                    next = after;
                    let booked = call(client.post(format!("{url}/api/v1/bookings")).bearer_auth(&token)
                        .json(&json!({"hold_id": hold, "payment": {"provider": "test", "card_number": card}}))).await;
                    let ms = at.elapsed().as_secs_f64() * 1000.0;
                    let Ok(mut s) = checkout.lock() else { break };
                    s.ms.push(ms);
                    match booked {
                        Ok((201, b)) if b["status"] == "confirmed" => {
                            s.ok += 1;
                            if let Ok(mut seats) = confirmed_seats.lock() {
                                seats.extend(seat_ids(&b).map(str::to_owned));
                            }
                        }
                        Ok((201, _)) => s.other += 1,
                        Ok((409, _)) => s.conflicts += 1,
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
    let checkout_secs = started.elapsed().as_secs_f64();

    // Webhooks of the test provider settle a moment after the answers; let them land.
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The oversell check, from outside.
    let mut counts = (0, 0, 0);
    let mut sold = HashSet::new();
    for (id, status) in seat_statuses(&client, &url, &show_id).await? {
        match status.as_str() {
            "available" => counts.0 += 1,
            "held" => counts.1 += 1,
            "sold" => {
                counts.2 += 1;
                sold.insert(id);
            }
            _ => {}
        }
    }
    let confirmed_seats = std::mem::take(
        &mut *confirmed_seats
            .lock()
            .map_err(|_| anyhow::anyhow!("results poisoned"))?,
    );
    let unique: HashSet<&String> = confirmed_seats.iter().collect();
    let double_sold = confirmed_seats.len() - unique.len();
    let confirmed_not_sold = unique
        .iter()
        .filter(|id| !sold.contains(id.as_str()))
        .count();

    println!("on-sale: {} buyers, {capacity} seats", args.buyers);
    let mut rush = std::mem::take(
        &mut *rush
            .lock()
            .map_err(|_| anyhow::anyhow!("results poisoned"))?,
    );
    rush.print("rush (holds)", "holds", args.hold_rate, rush_secs);
    let mut checkout = std::mem::take(
        &mut *checkout
            .lock()
            .map_err(|_| anyhow::anyhow!("results poisoned"))?,
    );
    checkout.print(
        "checkout (bookings)",
        "confirmed",
        args.book_rate,
        checkout_secs,
    );
    println!("oversell check:");
    println!(
        "  {:<26}{:>12}",
        "available/held/sold",
        format!("{}/{}/{}", counts.0, counts.1, counts.2)
    );
    println!(
        "  {:<26}{:>12}",
        "sum = capacity",
        counts.0 + counts.1 + counts.2 == capacity
    );
    println!("  {:<26}{:>12}", "seats in 2+ bookings", double_sold);
    println!(
        "  {:<26}{:>12}",
        "confirmed but not sold", confirmed_not_sold
    );
    println!(
        "  {:<26}{:>12}",
        "sold = confirmed seats",
        counts.2 == unique.len()
    );
    let oversold = double_sold > 0 || confirmed_not_sold > 0 || counts.2 != unique.len();
    println!(
        "  {:<26}{:>12}",
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

/// One line of the HTTP search table: count, p50, p99 and, over `secs`, requests per second.
fn search_row(name: &str, latencies: &mut [f64], secs: Option<f64>) {
    let rate = secs.map_or("-".to_owned(), |s| {
        format!("{:.0}", latencies.len() as f64 / s)
    });
    println!(
        "{name:<10}{:>10}{:>12.2}{:>12.2}{rate:>12}",
        latencies.len(),
        percentile(latencies, 50.0),
        percentile(latencies, 99.0),
    );
}

pub async fn search(args: SearchArgs, config: crate::config::Config) -> anyhow::Result<()> {
    if let Some(dir) = &args.index_dir {
        let (index, _) = crate::search::SearchIndex::open(dir)?;
        println!(
            "index: {} events, {:.1} MiB",
            index.num_docs(),
            index.size_bytes() as f64 / 1048576.0
        );
        let iterations = args.requests;
        let report = tokio::task::spawn_blocking(move || {
            crate::tools::search_bench::bench(&index, iterations)
        })
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
    let mut all: Vec<(f64, bool)> = Vec::new();
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
                        let response = client
                            .get(format!("{url}/api/v1/search?{q}&page={page}"))
                            .send()
                            .await;
                        let Ok(r) = response else { continue };
                        let miss = r.headers().get("x-cache").is_some_and(|v| v == "miss");
                        // Timed to the end of the body.
                        if r.status().is_success() && r.bytes().await.is_ok() {
                            if let Ok(mut l) = latencies.lock() {
                                l.push((t0.elapsed().as_secs_f64() * 1000.0, miss));
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
        let timed =
            std::mem::take(&mut *latencies.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
        let mut l: Vec<f64> = timed.iter().map(|(ms, _)| *ms).collect();
        search_row(kind, &mut l, Some(secs));
        all.extend(timed);
    }
    let secs = total_started.elapsed().as_secs_f64();
    let mut every: Vec<f64> = all.iter().map(|(ms, _)| *ms).collect();
    search_row("all", &mut every, Some(secs));
    // Answers the server computed (its result cache missed), from the x-cache header.
    let mut misses: Vec<f64> = all.iter().filter(|(_, m)| *m).map(|(ms, _)| *ms).collect();
    search_row("misses", &mut misses, None);

    if args.like_queries > 0 {
        let store = crate::store::open(config.database_url.as_deref(), &config.data_dir).await?;
        let mut like = Vec::new();
        for term in ["taylor swift", "coldplay", "hamlet", "jazz"] {
            for _ in 0..args.like_queries {
                let t0 = Instant::now();
                store.tools().like_search(term, 20).await?;
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
            p50 / percentile(&mut every, 50.0).max(0.001)
        );
    }
    Ok(())
}
