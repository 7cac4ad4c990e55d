//! `boxoffice loadtest surge`: an on-sale behind the waiting room, measured from outside.
//!
//! A show of `--seats` seats with its waiting room on is watched by `--seat-subscribers` live
//! seat maps. `--arrivals` buyers (made beforehand by `boxoffice loadtest surge-buyers`, which
//! writes them straight into the store: registering a hundred thousand buyers one password
//! hash at a time would take an hour) join its queue at `--join-rate` per second: first the
//! `--early-share` who come before opening; then every `--stream-every`-th of them opens a
//! stream to follow their place (the server's memory is read before and after, which gives what
//! a connected waiting client costs); then the show opens and the rest arrive, their streamers
//! following at once. The others poll every 30 s. An admitted buyer holds 1 to
//! `--max-quantity` best-available seats with their admission and pays for them.
//!
//! It prints join latency (from each join's scheduled time, and the server's own histogram),
//! the server's RSS per connected waiting client, how stale position updates are when they
//! arrive (from the pacing step that moved the line, stamped by the server, to the event's
//! arrival: one clock, one machine), how soon seat changes reach the seat-map subscribers,
//! admissions against the seats sold, the time from opening to sold out, and the oversell
//! check. It measures; it asserts nothing.

use super::loadtest::{call, create_show, login, percentile};
use crate::store::{BulkBatch, BulkBuyer, DynStore};
use anyhow::{bail, Context};
use rand::Rng;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct SurgeBuyersArgs {
    /// Buyers to create.
    #[arg(long, default_value_t = 100_000)]
    pub count: usize,
    /// Their session tokens are `<prefix><n>`, n from 0.
    #[arg(long)]
    pub token_prefix: String,
}

/// Writes `count` signed-in buyers into the store the configuration names.
pub async fn surge_buyers(store: &DynStore, args: SurgeBuyersArgs) -> anyhow::Result<()> {
    let now = crate::clock::Clock::System.now_ms();
    // Above any id a test catalog or a person has taken.
    let first_id = 10_000_000;
    for chunk in (0..args.count).collect::<Vec<_>>().chunks(5_000) {
        let buyers = chunk
            .iter()
            .map(|n| BulkBuyer {
                id: first_id + *n as i64,
                email: format!("fan{n}.{}@load.test", args.token_prefix),
                name: format!("Fan {n}"),
                token_hash: crate::accounts::token_hash(&format!("{}{n}", args.token_prefix)),
                session_expires_at: now + 86_400_000,
            })
            .collect();
        let batch = BulkBatch {
            buyers,
            ..Default::default()
        };
        store.tools().bulk_load(batch, now).await?;
    }
    store.tools().bulk_finish().await?;
    println!("{} buyers ready", args.count);
    Ok(())
}

#[derive(Debug, Clone, clap::Args)]
pub struct SurgeArgs {
    /// Base URL of a running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    #[arg(long)]
    pub admin_email: String,
    #[arg(long)]
    pub admin_password: String,
    /// The token prefix given to `surge-buyers`.
    #[arg(long)]
    pub token_prefix: String,
    #[arg(long, default_value_t = 100_000)]
    pub arrivals: usize,
    /// Every n-th buyer follows their place over SSE.
    #[arg(long, default_value_t = 5)]
    pub stream_every: usize,
    #[arg(long, default_value_t = 10_000)]
    pub seat_subscribers: usize,
    #[arg(long, default_value_t = 5_000)]
    pub seats: usize,
    /// Joins per second offered.
    #[arg(long, default_value_t = 5_000)]
    pub join_rate: u32,
    /// The share of arrivals that come before the show opens.
    #[arg(long, default_value_t = 0.5)]
    pub early_share: f64,
    #[arg(long, default_value_t = 4)]
    pub max_quantity: usize,
    /// The server's process id, for its memory.
    #[arg(long)]
    pub server_pid: Option<u32>,
}

/// HTTP/2 clients (cleartext, prior knowledge), each one connection carrying up to a couple of
/// hundred streams: tens of thousands of open streams then need a few hundred sockets, not
/// tens of thousands (this machine allows 20,000 open files per process).
struct Clients(Vec<reqwest::Client>);

impl Clients {
    fn new(count: usize) -> anyhow::Result<Self> {
        let mut clients = Vec::with_capacity(count);
        for _ in 0..count {
            clients.push(
                reqwest::Client::builder()
                    .http2_prior_knowledge()
                    .timeout(Duration::from_secs(600))
                    .build()?,
            );
        }
        Ok(Self(clients))
    }

    fn get(&self, n: usize) -> &reqwest::Client {
        &self.0[n % self.0.len()]
    }
}

fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Waits (at most two minutes) until `done`, then a second more for the server to settle.
async fn settle(done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Splits a stream's bytes into SSE events (name, data).
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn next(&mut self) -> Option<(String, String, Instant)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if name.is_empty() {
                    continue;
                }
                return Some((name, data, Instant::now()));
            }
            let chunk = self.response.chunk().await.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// Everything measured, shared by the tasks.
#[derive(Default)]
struct Tally {
    join_ms: Mutex<Vec<f64>>,
    join_errors: AtomicUsize,
    position_lag_ms: Mutex<Vec<f64>>,
    fanout_ms: Mutex<Vec<f64>>,
    /// When each seat's hold was answered.
    held_at: Mutex<HashMap<String, Instant>>,
    streams_open: AtomicUsize,
    streams_peak: AtomicUsize,
    admitted: AtomicUsize,
    shopping: AtomicI64,
    shopping_peak: AtomicI64,
    no_seat: AtomicUsize,
    sold_out_told: AtomicUsize,
    /// Seat ids of every confirmed booking, to check that none was sold twice.
    sold: Mutex<Vec<String>>,
    last_sale: Mutex<Option<Instant>>,
    first_admission: Mutex<Option<Instant>>,
    bookings: AtomicUsize,
    done: AtomicBool,
    /// The server's RSS when the most waiting streams were open, and how many.
    rss_at_peak: AtomicU64,
}

fn now_unix_ms() -> i64 {
    crate::clock::Clock::System.now_ms()
}

pub async fn surge(args: SurgeArgs) -> anyhow::Result<()> {
    let url = args.url.trim_end_matches('/').to_owned();
    // About 120 long streams per connection, below the usual HTTP/2 limit of 200 concurrent
    // streams, which the short requests share.
    let streams = args.arrivals / args.stream_every.max(1) + args.seat_subscribers;
    let clients = Arc::new(Clients::new((streams / 120).max(64))?);
    let admin = login(
        clients.get(0),
        &url,
        &args.admin_email,
        &args.admin_password,
    )
    .await?;
    let (show, sections) = create_show(clients.get(0), &url, &admin, args.seats).await?;
    let section = sections.first().context("no section")?.clone();
    let patch = |body: Value| {
        let (client, url, admin, show) = (
            clients.get(0).clone(),
            url.clone(),
            admin.clone(),
            show.clone(),
        );
        async move {
            let r = client
                .patch(format!("{url}/api/v1/shows/{show}"))
                .bearer_auth(admin)
                .json(&body)
                .send()
                .await?;
            if !r.status().is_success() {
                bail!("updating the show failed: {}", r.status());
            }
            anyhow::Ok(())
        }
    };
    let far = crate::domain::rfc3339(now_unix_ms() + 3_600_000);
    patch(json!({"waiting_room": true, "on_sale_at": far})).await?;
    let tally = Arc::new(Tally::default());
    let rss_base = rss_kib(args.server_pid);

    // The seat-map subscribers; the first 200 note when every seat change arrives.
    eprintln!("opening {} seat-map streams…", args.seat_subscribers);
    let mut subscribers = Vec::new();
    for n in 0..args.seat_subscribers {
        let response = clients
            .get(n)
            .get(format!("{url}/api/v1/shows/{show}/seats/stream"))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("seat stream: {}", response.status());
        }
        let tally = tally.clone();
        let sample = n < 200;
        subscribers.push(tokio::spawn(async move {
            if !sample {
                // Read and drop: the rest only load the server.
                let mut response = response;
                while let Ok(Some(_)) = response.chunk().await {}
                return;
            }
            let mut events = Events {
                response,
                buffer: String::new(),
            };
            let mut seen = HashSet::new();
            while let Some((name, data, at)) = events.next().await {
                if name != "seat" {
                    continue;
                }
                let Ok(value) = serde_json::from_str::<Value>(&data) else {
                    continue;
                };
                let list = match value {
                    Value::Array(list) => list,
                    one => vec![one],
                };
                let held_at = tally.held_at.lock().map(|h| {
                    list.iter()
                        .filter_map(|s| s["seat_id"].as_str())
                        .filter(|id| seen.insert(id.to_string()))
                        .filter_map(|id| h.get(id).copied())
                        .collect::<Vec<_>>()
                });
                if let (Ok(held), Ok(mut lags)) = (held_at, tally.fanout_ms.lock()) {
                    for h in held {
                        lags.push(at.saturating_duration_since(h).as_secs_f64() * 1e3);
                    }
                }
            }
        }));
    }
    let rss_with_maps = rss_kib(args.server_pid);

    // The arrivals: the early ones join while the show is not yet open, then those of them that
    // follow their place open their streams (the server's memory is read before and after:
    // that difference, per stream, is what a waiting client costs), then the show opens and the
    // rest arrive.
    let early = (args.arrivals as f64 * args.early_share) as usize;
    let interval = Duration::from_secs_f64(1.0 / f64::from(args.join_rate.max(1)));
    let every = args.stream_every.max(1);
    let early_streams = (0..early).filter(|n| n.is_multiple_of(every)).count();
    eprintln!(
        "{} arrivals at {}/s; {early} before opening, {early_streams} of them then open streams",
        args.arrivals, args.join_rate,
    );
    let sampler = {
        let (tally, pid) = (tally.clone(), args.server_pid);
        tokio::spawn(async move {
            while !tally.done.load(Ordering::Relaxed) {
                let open = tally.streams_open.load(Ordering::Relaxed);
                if open > tally.streams_peak.load(Ordering::Relaxed) {
                    if let Some(rss) = rss_kib(pid) {
                        tally.streams_peak.store(open, Ordering::Relaxed);
                        tally.rss_at_peak.store(rss, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let (open_streams, streams_may_open) = tokio::sync::watch::channel(false);
    let joined = Arc::new(AtomicUsize::new(0));
    let mut buyers = Vec::with_capacity(args.arrivals);
    let spawn_buyer =
        |n: usize, scheduled: Instant, gate: Option<tokio::sync::watch::Receiver<bool>>| {
            let (clients, url, show, section, tally, prefix, joined) = (
                clients.clone(),
                url.clone(),
                show.clone(),
                section.clone(),
                tally.clone(),
                args.token_prefix.clone(),
                joined.clone(),
            );
            let streams = n.is_multiple_of(every);
            let max_q = args.max_quantity.max(1);
            tokio::spawn(async move {
                tokio::time::sleep_until(scheduled.into()).await;
                let client = clients.get(n);
                let token = format!("{prefix}{n}");
                let answer = call(
                    client
                        .post(format!("{url}/api/v1/shows/{show}/queue"))
                        .bearer_auth(&token),
                )
                .await;
                joined.fetch_add(1, Ordering::Relaxed);
                let entry = match answer {
                    Ok((201, entry)) => entry,
                    _ => {
                        tally.join_errors.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                };
                if let Ok(mut ms) = tally.join_ms.lock() {
                    ms.push(scheduled.elapsed().as_secs_f64() * 1e3);
                }
                let Some(queue_token) = entry["token"].as_str().map(str::to_owned) else {
                    return;
                };
                let admitted = if streams {
                    if let Some(mut gate) = gate {
                        let _ = gate.wait_for(|open| *open).await;
                    }
                    follow_stream(client, &url, &queue_token, &tally).await
                } else {
                    poll(client, &url, &queue_token, &tally).await
                };
                if let Some(admission) = admitted {
                    let buyer = Buyer {
                        token: &token,
                        queue_token: &queue_token,
                        admission: &admission,
                    };
                    shop(client, &url, &show, &section, buyer, max_q, &tally).await;
                }
            })
        };
    let start = Instant::now();
    for n in 0..early {
        buyers.push(spawn_buyer(
            n,
            start + interval * n as u32,
            Some(streams_may_open.clone()),
        ));
    }
    settle(|| joined.load(Ordering::Relaxed) >= early).await;
    let rss_joined = rss_kib(args.server_pid);
    let _ = open_streams.send(true);
    settle(|| tally.streams_open.load(Ordering::Relaxed) >= early_streams).await;
    let rss_streams = rss_kib(args.server_pid);
    let waiting_streams = tally.streams_open.load(Ordering::Relaxed);
    eprintln!("{early} joined, {waiting_streams} streams open; the show opens in a second");
    patch(json!({"on_sale_at": crate::domain::rfc3339(now_unix_ms() + 1_000)})).await?;
    let opened_at = Instant::now() + Duration::from_secs(1);
    let late_start = Instant::now();
    for n in early..args.arrivals {
        buyers.push(spawn_buyer(
            n,
            late_start + interval * (n - early) as u32,
            None,
        ));
    }
    for b in buyers {
        let _ = b.await;
    }
    tally.done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    for s in &subscribers {
        s.abort();
    }

    // Figures.
    println!(
        "== surge: {} arrivals, {} seats, {} seat-map subscribers",
        args.arrivals, args.seats, args.seat_subscribers
    );
    let mut join = tally.join_ms.lock().map(|v| v.clone()).unwrap_or_default();
    println!(
        "join          n {:>7}  p50 {:>8.1} ms  p99 {:>8.1} ms  max {:>8.1} ms  errors {}",
        join.len(),
        percentile(&mut join, 50.0),
        percentile(&mut join, 99.0),
        percentile(&mut join, 100.0),
        tally.join_errors.load(Ordering::Relaxed)
    );
    let peak_streams = tally.streams_peak.load(Ordering::Relaxed);
    if let (Some(base), Some(maps), Some(joined), Some(streams)) =
        (rss_base, rss_with_maps, rss_joined, rss_streams)
    {
        let peak = tally.rss_at_peak.load(Ordering::Relaxed).max(streams);
        println!(
            "server RSS    {:.0} MiB before, {:.0} MiB with {} seat maps, {:.0} MiB after {early} joins, {:.0} MiB with their {waiting_streams} streams open, {:.0} MiB at the peak of {peak_streams} streams",
            base as f64 / 1024.0,
            maps as f64 / 1024.0,
            args.seat_subscribers,
            joined as f64 / 1024.0,
            streams as f64 / 1024.0,
            peak as f64 / 1024.0,
        );
        println!(
            "RSS per connected waiting client {:.1} KiB (the streams' growth over the joined entries); per queue entry {:.2} KiB; per seat-map subscriber {:.1} KiB",
            streams.saturating_sub(joined) as f64 / waiting_streams.max(1) as f64,
            joined.saturating_sub(maps) as f64 / early.max(1) as f64,
            maps.saturating_sub(base) as f64 / args.seat_subscribers.max(1) as f64
        );
    }
    let mut lag = tally
        .position_lag_ms
        .lock()
        .map(|v| v.clone())
        .unwrap_or_default();
    println!(
        "position lag  n {:>7}  p50 {:>8.1} ms  p99 {:>8.1} ms  max {:>8.1} ms  (from the pacing step that moved the line)",
        lag.len(),
        percentile(&mut lag, 50.0),
        percentile(&mut lag, 99.0),
        percentile(&mut lag, 100.0)
    );
    let mut fan = tally
        .fanout_ms
        .lock()
        .map(|v| v.clone())
        .unwrap_or_default();
    println!(
        "seat fan-out  n {:>7}  p50 {:>8.1} ms  p99 {:>8.1} ms  max {:>8.1} ms  (hold answered → event at a subscriber; 200 of them sampled)",
        fan.len(),
        percentile(&mut fan, 50.0),
        percentile(&mut fan, 99.0),
        percentile(&mut fan, 100.0)
    );
    let sold = tally.sold.lock().map(|v| v.clone()).unwrap_or_default();
    let unique: HashSet<&String> = sold.iter().collect();
    let admitted = tally.admitted.load(Ordering::Relaxed);
    let first = tally.first_admission.lock().ok().and_then(|f| *f);
    let last = tally.last_sale.lock().ok().and_then(|l| *l);
    if let (Some(first), Some(last)) = (first, last) {
        let secs = last
            .saturating_duration_since(first)
            .as_secs_f64()
            .max(0.001);
        println!(
            "admissions    {admitted} over {secs:.1} s ({:.0}/s); {} seats sold in {} bookings; most shopping at once {}; admitted but found no seat {}",
            admitted as f64 / secs,
            sold.len(),
            tally.bookings.load(Ordering::Relaxed),
            tally.shopping_peak.load(Ordering::Relaxed),
            tally.no_seat.load(Ordering::Relaxed)
        );
        println!(
            "opening → sold out {:.1} s (opening → first admission {:.1} s); told sold out {}",
            last.saturating_duration_since(opened_at).as_secs_f64(),
            first.saturating_duration_since(opened_at).as_secs_f64(),
            tally.sold_out_told.load(Ordering::Relaxed)
        );
    }
    if let Ok(metrics) = clients.get(0).get(format!("{url}/metrics")).send().await {
        let text = metrics.text().await.unwrap_or_default();
        for (name, route) in [
            (
                "join (server side)",
                "POST\",route=\"/api/v1/shows/{id}/queue",
            ),
            ("hold (server side)", "POST\",route=\"/api/v1/holds"),
            ("book (server side)", "POST\",route=\"/api/v1/bookings"),
        ] {
            if let Some((p50, p99, n)) = server_quantiles(&text, route) {
                println!(
                    "{name:<19} n {n:>7}  p50 ≤ {p50:>6} s  p99 ≤ {p99:>6} s  (Prometheus buckets)"
                );
            }
        }
    }
    let map: Value = clients
        .get(0)
        .get(format!("{url}/api/v1/shows/{show}"))
        .send()
        .await?
        .json()
        .await?;
    println!(
        "oversold      {} (seats in two confirmed bookings); seat map: sold {} held {} available {}",
        sold.len() - unique.len(),
        map["sold"],
        map["held"],
        map["available"]
    );
    Ok(())
}

/// The bucket bounds under which half and 99% of a route's requests finished, by the server's
/// own histogram, and how many there were.
fn server_quantiles(metrics: &str, route: &str) -> Option<(String, String, u64)> {
    let mut buckets: Vec<(String, u64)> = metrics
        .lines()
        .filter(|l| l.starts_with("http_request_duration_seconds_bucket") && l.contains(route))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?.to_owned();
            let n = l.rsplit(' ').next()?.parse().ok()?;
            Some((le, n))
        })
        .collect();
    buckets.sort_by_key(|(_, n)| *n);
    let total = buckets.last()?.1;
    let under = |share: f64| {
        buckets
            .iter()
            .find(|(_, n)| *n as f64 >= share * total as f64)
            .map(|(le, _)| le.clone())
    };
    Some((under(0.5)?, under(0.99)?, total))
}

/// Follows a queue entry's stream until admitted (the admission) or told otherwise (`None`).
async fn follow_stream(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    tally: &Tally,
) -> Option<String> {
    let response = client
        .get(format!("{url}/api/v1/queue/{token}/stream"))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    tally.streams_open.fetch_add(1, Ordering::Relaxed);
    let mut events = Events {
        response,
        buffer: String::new(),
    };
    let mut last: Option<(Value, Value)> = None;
    let mut result = None;
    while let Some((_, data, at)) = events.next().await {
        let Ok(entry) = serde_json::from_str::<Value>(&data) else {
            continue;
        };
        let now = (entry["position"].clone(), entry["state"].clone());
        let moved = last.as_ref().is_some_and(|l| *l != now);
        last = Some(now);
        // How stale a change is when it arrives: only events that carry one count.
        if moved {
            if let Some(changed) = entry["changed_at"]
                .as_str()
                .and_then(crate::domain::parse_rfc3339)
            {
                let lag = now_unix_ms() - changed - at.elapsed().as_millis() as i64;
                if let Ok(mut lags) = tally.position_lag_ms.lock() {
                    lags.push(lag as f64);
                }
            }
        }
        match entry["state"].as_str() {
            Some("waiting") => continue,
            Some("admitted") => result = entry["admission"].as_str().map(str::to_owned),
            Some("sold_out") => {
                tally.sold_out_told.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        break;
    }
    tally.streams_open.fetch_sub(1, Ordering::Relaxed);
    result
}

/// Polls a queue entry every 30 s until admitted or told otherwise.
async fn poll(client: &reqwest::Client, url: &str, token: &str, tally: &Tally) -> Option<String> {
    loop {
        let jitter = Duration::from_millis(rand::thread_rng().gen_range(0..5_000));
        tokio::time::sleep(Duration::from_secs(30) + jitter).await;
        let (status, entry) = call(client.get(format!("{url}/api/v1/queue/{token}")))
            .await
            .ok()?;
        if status != 200 {
            continue;
        }
        match entry["state"].as_str() {
            Some("waiting") => {}
            Some("admitted") => return entry["admission"].as_str().map(str::to_owned),
            Some("sold_out") => {
                tally.sold_out_told.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            _ => return None,
        }
    }
}

/// An admitted buyer's credentials.
struct Buyer<'a> {
    token: &'a str,
    queue_token: &'a str,
    admission: &'a str,
}

/// An admitted buyer: holds best-available seats and pays, or leaves the room when none are
/// left.
async fn shop(
    client: &reqwest::Client,
    url: &str,
    show: &str,
    section: &str,
    buyer: Buyer<'_>,
    max_q: usize,
    tally: &Tally,
) {
    let Buyer {
        token,
        queue_token,
        admission,
    } = buyer;
    let now = Instant::now();
    if let Ok(mut first) = tally.first_admission.lock() {
        first.get_or_insert(now);
    }
    tally.admitted.fetch_add(1, Ordering::Relaxed);
    let shopping = tally.shopping.fetch_add(1, Ordering::Relaxed) + 1;
    tally.shopping_peak.fetch_max(shopping, Ordering::Relaxed);
    let mut quantity = rand::thread_rng().gen_range(1..=max_q);
    let mut hold = None;
    while quantity > 0 {
        let answer = call(
            client
                .post(format!("{url}/api/v1/holds"))
                .bearer_auth(token)
                .header("Admission", admission)
                .json(&json!({"show_id": show, "section": section, "quantity": quantity})),
        )
        .await;
        match answer {
            Ok((201, body)) => {
                hold = Some(body);
                break;
            }
            Ok((409, _)) => quantity -= 1,
            _ => break,
        }
    }
    if let Some(hold) = hold {
        let answered = Instant::now();
        let seats: Vec<String> = hold["seats"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["id"].as_str().map(str::to_owned))
            .collect();
        if let Ok(mut held) = tally.held_at.lock() {
            for s in &seats {
                held.insert(s.clone(), answered);
            }
        }
        let booked = call(
            client
                .post(format!("{url}/api/v1/bookings"))
                .bearer_auth(token)
                .json(&json!({"hold_id": hold["id"], "payment": {"provider": "test", "card_number": "4242424242424242"}})),
        )
        .await;
        if let Ok((201, booking)) = booked {
            if booking["status"] == "confirmed" {
                tally.bookings.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut sold) = tally.sold.lock() {
                    sold.extend(seats);
                }
                if let Ok(mut last) = tally.last_sale.lock() {
                    *last = Some(Instant::now());
                }
            }
        }
    } else {
        tally.no_seat.fetch_add(1, Ordering::Relaxed);
        let _ = client
            .delete(format!("{url}/api/v1/queue/{queue_token}"))
            .send()
            .await;
    }
    tally.shopping.fetch_sub(1, Ordering::Relaxed);
}
