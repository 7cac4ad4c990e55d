//! `boxoffice loadtest seat-stream`: how soon a committed seat change reaches live seat-map
//! subscribers, measured from outside.
//!
//! It creates a show, opens `subscribers` seat streams (spread over every `--stream-url`, so two
//! instances can be measured: holds go to `--url`, streams to the others), then holds the
//! show's seats one at a time at `--rate` per second. For every hold and every subscriber it
//! takes the time from the hold's answer (the change was committed before it) to the `seat`
//! event's arrival, and prints p50/p90/p99/max, with the same from the hold's request as an
//! upper bound. It measures; it asserts nothing.

use super::loadtest::{create_show, login, percentile, register_buyers};
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct SeatStreamArgs {
    /// Base URL of the server that takes the holds.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Servers the subscribers connect to (default: `--url`); repeat for several instances.
    #[arg(long = "stream-url")]
    pub stream_urls: Vec<String>,
    #[arg(long)]
    pub admin_email: String,
    #[arg(long)]
    pub admin_password: String,
    /// Open seat streams.
    #[arg(long, default_value_t = 200)]
    pub subscribers: usize,
    /// Holds to make (one seat each); also the show's size.
    #[arg(long, default_value_t = 1_000)]
    pub holds: usize,
    /// Holds per second.
    #[arg(long, default_value_t = 100)]
    pub rate: u32,
}

/// When each seat's event reached each subscriber.
type Arrivals = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

pub async fn seat_stream(args: SeatStreamArgs) -> anyhow::Result<()> {
    let url = args.url.trim_end_matches('/').to_owned();
    let streams: Vec<String> = if args.stream_urls.is_empty() {
        vec![url.clone()]
    } else {
        args.stream_urls
            .iter()
            .map(|u| u.trim_end_matches('/').to_owned())
            .collect()
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.subscribers + 16)
        .build()?;
    let admin = login(&client, &url, &args.admin_email, &args.admin_password).await?;
    let (show, _) = create_show(&client, &url, &admin, args.holds).await?;
    let buyer = register_buyers(&client, &url, 1)
        .await?
        .pop()
        .context("no buyer")?;
    let seats = seat_order(&client, &url, &show).await?;

    let arrivals: Arrivals = Arc::default();
    let mut readers = Vec::new();
    for i in 0..args.subscribers {
        let base = &streams[i % streams.len()];
        let response = client
            .get(format!("{base}/api/v1/shows/{show}/seats/stream"))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("opening a seat stream failed: {}", response.status());
        }
        readers.push(tokio::spawn(read_events(response, arrivals.clone())));
    }
    // Let every stream deliver its snapshot first.
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!(
        "show {show}: {} subscribers on {} instance(s), {} holds at {}/s",
        args.subscribers,
        streams.len(),
        seats.len(),
        args.rate
    );

    let interval = Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1)));
    let start = Instant::now();
    let mut sent = Vec::with_capacity(seats.len());
    for (i, seat) in seats.iter().enumerate() {
        tokio::time::sleep_until((start + interval * i as u32).into()).await;
        let asked = Instant::now();
        let response = client
            .post(format!("{url}/api/v1/holds"))
            .bearer_auth(&buyer)
            .json(&json!({"show_id": show, "seat_ids": [seat]}))
            .send()
            .await?;
        if response.status().as_u16() != 201 {
            bail!("a hold failed: {}", response.status());
        }
        sent.push((seat.clone(), asked, Instant::now()));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for reader in &readers {
        reader.abort();
    }

    let arrivals = arrivals.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let (mut from_answer, mut from_request, mut missing) = (Vec::new(), Vec::new(), 0);
    for (seat, asked, answered) in &sent {
        let got = arrivals.get(seat).map_or(&[][..], Vec::as_slice);
        missing += args.subscribers.saturating_sub(got.len());
        for at in got {
            from_answer.push(at.saturating_duration_since(*answered).as_secs_f64() * 1e3);
            from_request.push(at.saturating_duration_since(*asked).as_secs_f64() * 1e3);
        }
    }
    for (name, values) in [
        ("from the hold's answer", &mut from_answer),
        ("from the hold's request", &mut from_request),
    ] {
        println!(
            "{name:<24} events {:>8}  p50 {:>7.1} ms  p90 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
            values.len(),
            percentile(values, 50.0),
            percentile(values, 90.0),
            percentile(values, 99.0),
            percentile(values, 100.0),
        );
    }
    println!("events that never arrived: {missing}");
    Ok(())
}

/// The show's seats, in seat-map order.
async fn seat_order(
    client: &reqwest::Client,
    url: &str,
    show: &str,
) -> anyhow::Result<Vec<String>> {
    let map: Value = client
        .get(format!("{url}/api/v1/shows/{show}/seats"))
        .send()
        .await?
        .json()
        .await?;
    Ok(map["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["seats"].as_array().into_iter().flatten())
        .filter_map(|seat| seat["id"].as_str().map(str::to_owned))
        .collect())
}

/// Reads one stream, noting when each seat's `seat` event arrives.
async fn read_events(mut response: reqwest::Response, arrivals: Arrivals) -> anyhow::Result<()> {
    let mut buffer = String::new();
    while let Some(chunk) = response.chunk().await? {
        let at = Instant::now();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if !block
                .lines()
                .any(|l| l.strip_prefix("event:").map(str::trim) == Some("seat"))
            {
                continue;
            }
            let data: String = block
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim)
                .collect();
            let Ok(value) = serde_json::from_str::<Value>(&data) else {
                continue;
            };
            let seats = match value {
                Value::Array(list) => list,
                one => vec![one],
            };
            let mut arrivals = arrivals.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            for seat in seats {
                if let Some(id) = seat["seat_id"].as_str() {
                    arrivals.entry(id.to_owned()).or_default().push(at);
                }
            }
        }
    }
    Ok(())
}
