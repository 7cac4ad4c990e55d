//! An in-process latency benchmark: a fixed mix of realistic queries run against an index,
//! reported per kind of query and overall (p50, p99, max, queries per second).
//!
//! Queries assume the index was filled with [`crate::tools::synthetic::synthetic_docs`] (they name its
//! performers and cities and use [`SYNTHETIC_NOW_MS`] as "now"), but run against any index.
//! Queries run one at a time on the calling thread, without the [`crate::search::SearchService`]
//! cache, so the figures are the engine's own. It deliberately does not measure concurrency,
//! HTTP or JSON encoding.
//!
//! The million-event figures come from the ignored test `bench_million`:
//! `cargo test --release --lib tools::search_bench -- --ignored --nocapture`.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::search::{GeoFilter, SearchIndex, SearchQuery, SortOrder};
use crate::tools::synthetic::SYNTHETIC_NOW_MS;

const DAY_MS: i64 = 86_400_000;

/// Latency figures for one kind of query (or all of them).
#[derive(Debug, Clone, Serialize)]
pub struct KindStats {
    pub kind: String,
    pub queries: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    /// Mean number of matching events, to show the queries are not trivially empty.
    pub mean_total: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub num_docs: u64,
    pub kinds: Vec<KindStats>,
    pub overall: KindStats,
    pub queries_per_second: f64,
    pub errors: usize,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "search benchmark over {} events", self.num_docs)?;
        writeln!(
            f,
            "{:<10} {:>8} {:>9} {:>9} {:>9} {:>9} {:>11}",
            "kind", "queries", "p50 ms", "p99 ms", "max ms", "mean ms", "mean total"
        )?;
        for k in self.kinds.iter().chain(std::iter::once(&self.overall)) {
            writeln!(
                f,
                "{:<10} {:>8} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>11.0}",
                k.kind, k.queries, k.p50_ms, k.p99_ms, k.max_ms, k.mean_ms, k.mean_total
            )?;
        }
        writeln!(
            f,
            "throughput: {:.0} queries/s (one thread); errors: {}",
            self.queries_per_second, self.errors
        )
    }
}

enum Op {
    Search(Box<SearchQuery>),
    Suggest(&'static str),
}

fn base() -> SearchQuery {
    SearchQuery {
        now_ms: SYNTHETIC_NOW_MS,
        limit: 20,
        ..SearchQuery::default()
    }
}

fn search(q: SearchQuery) -> Op {
    Op::Search(Box::new(q))
}

fn text(q: &str) -> Op {
    search(SearchQuery {
        q: Some(q.to_string()),
        ..base()
    })
}

fn near(lat: f64, lon: f64, radius_km: f64) -> GeoFilter {
    GeoFilter {
        lat,
        lon,
        radius_km: Some(radius_km),
    }
}

/// The fixed mix: (kind, queries of that kind).
fn mix() -> Vec<(&'static str, Vec<Op>)> {
    let now = SYNTHETIC_NOW_MS;
    vec![
        (
            "text",
            [
                "taylor swift",
                "coldplay",
                "metallica",
                "die zauberflöte",
                "hamlet",
                "bayern münchen",
                "comedy london",
                "opera wien",
                "jamie cullum",
                "concert",
                "concert berlin",
            ]
            .into_iter()
            .map(text)
            .collect(),
        ),
        (
            "typo",
            [
                "tayler swift",
                "coldpaly",
                "metalica",
                "zauberflote",
                "bjork",
                "rammstien",
                "beyonse",
                "ed sheran",
                "madam butterfly",
                "manchestr united",
            ]
            .into_iter()
            .map(text)
            .collect(),
        ),
        (
            "prefix",
            [
                "tay",
                "cold",
                "metal",
                "zauber",
                "ham",
                "swan la",
                "cirque du",
                "real mad",
            ]
            .into_iter()
            .map(text)
            .collect(),
        ),
        (
            "filter",
            vec![
                search(SearchQuery {
                    category: Some("opera".into()),
                    city: Some("Wien".into()),
                    ..base()
                }),
                search(SearchQuery {
                    city: Some("munchen".into()),
                    from_ms: Some(now),
                    to_ms: Some(now + 30 * DAY_MS),
                    sort: SortOrder::Date,
                    ..base()
                }),
                search(SearchQuery {
                    performer: Some("Taylor Swift".into()),
                    sort: SortOrder::Date,
                    ..base()
                }),
                search(SearchQuery {
                    category: Some("comedy".into()),
                    min_price: Some(1000),
                    max_price: Some(3000),
                    from_ms: Some(now),
                    to_ms: Some(now + 7 * DAY_MS),
                    ..base()
                }),
                search(SearchQuery {
                    q: Some("metallica".into()),
                    from_ms: Some(now),
                    to_ms: Some(now + 90 * DAY_MS),
                    max_price: Some(8000),
                    ..base()
                }),
                search(SearchQuery {
                    venue: Some("Royal Albert Hall".into()),
                    sort: SortOrder::Date,
                    ..base()
                }),
            ],
        ),
        (
            "geo",
            vec![
                search(SearchQuery {
                    near: Some(near(48.14, 11.58, 50.0)),
                    sort: SortOrder::Distance,
                    ..base()
                }),
                search(SearchQuery {
                    near: Some(near(51.51, -0.13, 25.0)),
                    category: Some("theatre".into()),
                    sort: SortOrder::Date,
                    ..base()
                }),
                search(SearchQuery {
                    q: Some("concert".into()),
                    near: Some(near(40.71, -74.0, 100.0)),
                    ..base()
                }),
                search(SearchQuery {
                    near: Some(near(52.37, 4.90, 150.0)),
                    from_ms: Some(now),
                    to_ms: Some(now + 14 * DAY_MS),
                    sort: SortOrder::Distance,
                    ..base()
                }),
            ],
        ),
        (
            "browse",
            vec![
                search(base()),
                search(SearchQuery {
                    from_ms: Some(now),
                    to_ms: Some(now + 7 * DAY_MS),
                    sort: SortOrder::Date,
                    ..base()
                }),
                search(SearchQuery {
                    category: Some("family".into()),
                    offset: 40,
                    ..base()
                }),
            ],
        ),
        (
            "suggest",
            [
                "t",
                "tay",
                "coldp",
                "metalli",
                "zauberf",
                "bjö",
                "munc",
                "wemb",
                "tyalor sw",
                "lond",
            ]
            .into_iter()
            .map(Op::Suggest)
            .collect(),
        ),
    ]
}

fn stats(kind: &str, mut samples: Vec<Duration>, totals: &[u64]) -> KindStats {
    samples.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |p: f64| {
        if samples.is_empty() {
            return 0.0;
        }
        let i = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
        ms(samples[i])
    };
    let sum: Duration = samples.iter().sum();
    KindStats {
        kind: kind.to_string(),
        queries: samples.len(),
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        max_ms: samples.last().map_or(0.0, |d| ms(*d)),
        mean_ms: if samples.is_empty() {
            0.0
        } else {
            ms(sum) / samples.len() as f64
        },
        mean_total: if totals.is_empty() {
            0.0
        } else {
            totals.iter().sum::<u64>() as f64 / totals.len() as f64
        },
    }
}

fn describe(op: &Op) -> String {
    match op {
        Op::Search(q) => {
            let mut parts = Vec::new();
            if let Some(t) = &q.q {
                parts.push(format!("q={t:?}"));
            }
            for (name, v) in [
                ("city", &q.city),
                ("category", &q.category),
                ("performer", &q.performer),
                ("venue", &q.venue),
            ] {
                if let Some(v) = v {
                    parts.push(format!("{name}={v:?}"));
                }
            }
            if let Some(g) = &q.near {
                parts.push(format!("near=({},{},{:?})", g.lat, g.lon, g.radius_km));
            }
            if q.from_ms.is_some() || q.to_ms.is_some() {
                parts.push("dates".into());
            }
            if q.min_price.is_some() || q.max_price.is_some() {
                parts.push("price".into());
            }
            parts.push(format!("sort={:?}", q.sort));
            if q.offset > 0 {
                parts.push(format!("offset={}", q.offset));
            }
            parts.join(" ")
        }
        Op::Suggest(p) => format!("suggest {p:?}"),
    }
}

/// CPU time used by this process so far (all threads), in ms; Linux only. Unlike wall-clock
/// latency it is not inflated by other processes competing for the cores.
pub fn process_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // Clock ticks are 100 per second on Linux.
    Some((utime + stime) * 10.0)
}

/// For every query of the mix, slowest first (for tuning): median wall-clock ms, mean CPU ms
/// (all threads, when available) and the number of matches.
pub fn bench_each(index: &SearchIndex, runs: usize) -> Vec<(String, f64, f64, u64)> {
    let mut out = Vec::new();
    for (kind, ops) in mix() {
        for op in &ops {
            let mut times = Vec::new();
            let mut total = 0;
            let cpu_before = process_cpu_ms();
            for _ in 0..runs.max(1) {
                let t = Instant::now();
                total = match op {
                    Op::Search(q) => index.search(q).map(|r| r.total).unwrap_or(0),
                    Op::Suggest(p) => index.suggest(p, 10).map(|s| s.len() as u64).unwrap_or(0),
                };
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let cpu = match (cpu_before, process_cpu_ms()) {
                (Some(a), Some(b)) => (b - a) / times.len() as f64,
                _ => f64::NAN,
            };
            times.sort_by(f64::total_cmp);
            out.push((
                format!("{kind}: {}", describe(op)),
                times[times.len() / 2],
                cpu,
                total,
            ));
        }
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// Runs the mix `iterations` times (after one unmeasured warm-up round) and reports latencies.
pub fn bench(index: &SearchIndex, iterations: usize) -> BenchReport {
    let mix = mix();
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); mix.len()];
    let mut totals: Vec<Vec<u64>> = vec![Vec::new(); mix.len()];
    let mut errors = 0;
    let mut busy = Duration::ZERO;
    for round in 0..=iterations {
        for (k, (_, ops)) in mix.iter().enumerate() {
            for op in ops {
                let t = Instant::now();
                let total = match op {
                    Op::Search(q) => index.search(q).map(|r| r.total),
                    Op::Suggest(p) => index.suggest(p, 10).map(|s| s.len() as u64),
                };
                let elapsed = t.elapsed();
                if round == 0 {
                    continue; // warm-up
                }
                busy += elapsed;
                match total {
                    Ok(total) => {
                        samples[k].push(elapsed);
                        totals[k].push(total);
                    }
                    Err(e) => {
                        errors += 1;
                        tracing::warn!(error = %e, "bench query failed");
                    }
                }
            }
        }
    }
    let all: Vec<Duration> = samples.iter().flatten().copied().collect();
    let all_totals: Vec<u64> = totals.iter().flatten().copied().collect();
    let count = all.len();
    BenchReport {
        num_docs: index.num_docs(),
        kinds: mix
            .iter()
            .enumerate()
            .map(|(k, (kind, _))| stats(kind, samples[k].clone(), &totals[k]))
            .collect(),
        overall: stats("all", all, &all_totals),
        queries_per_second: if busy.is_zero() {
            0.0
        } else {
            count as f64 / busy.as_secs_f64()
        },
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::synthetic::synthetic_docs;

    #[test]
    fn bench_runs_on_small_index() {
        let dir = tempfile::tempdir().unwrap();
        let (index, _) = SearchIndex::open(dir.path()).unwrap();
        index
            .apply(synthetic_docs(3000, 1).collect(), vec![], 1)
            .unwrap();
        let report = bench(&index, 1);
        assert_eq!(report.errors, 0);
        assert_eq!(report.kinds.len(), 7);
        assert!(report.overall.queries > 40);
        let table = report.to_string();
        assert!(table.contains("typo"), "{table}");
    }

    /// Builds a 1,000,000-event index in a temp dir and prints build time, size and latencies.
    /// `cargo test --release --lib tools::search_bench -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn bench_million() {
        let n: usize = std::env::var("BENCH_DOCS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        // BENCH_DIR keeps the index between runs (rebuilt only when its size differs).
        let tmp = tempfile::tempdir().unwrap();
        let path = std::env::var("BENCH_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| tmp.path().to_path_buf());
        let (index, _) = SearchIndex::open(&path).unwrap();
        let started = Instant::now();
        let mut cursor = index.cursor();
        if index.num_docs() != n as u64 {
            index.begin_bulk_load().unwrap();
            index.apply(vec![], (1..=n as i64).collect(), 0).unwrap();
            let mut batch = Vec::with_capacity(10_000);
            for doc in synthetic_docs(n, 42) {
                batch.push(doc);
                if batch.len() == 10_000 {
                    cursor += 1;
                    index
                        .apply(std::mem::take(&mut batch), vec![], cursor)
                        .unwrap();
                }
            }
            if !batch.is_empty() {
                cursor += 1;
                index.apply(batch, vec![], cursor).unwrap();
            }
            index.end_bulk_load().unwrap();
        }
        let built = started.elapsed();
        println!(
            "built {} events in {:.1}s ({} segments, {:.0} MB)",
            index.num_docs(),
            built.as_secs_f64(),
            index.num_segments(),
            index.size_bytes() as f64 / 1e6
        );
        // Reopen, as after a restart: this rebuilds the in-memory suggestions.
        drop(index);
        let t = Instant::now();
        let (index, outcome) = SearchIndex::open(&path).unwrap();
        assert_eq!(outcome, crate::search::OpenOutcome::Opened);
        println!("reopened in {:.2}s", t.elapsed().as_secs_f64());
        if std::env::var("BENCH_EACH").is_ok() {
            println!("  wall p50     cpu mean    matches  query");
            for (what, ms, cpu, total) in bench_each(&index, 40) {
                println!("{ms:>8.3} ms  {cpu:>8.3} ms  {total:>8}  {what}");
            }
        }
        let t = Instant::now();
        let report = bench(&index, 30);
        println!("{report}");
        println!("bench took {:.1}s", t.elapsed().as_secs_f64());
        // A small batch on the big index, as the change feed does every 200 ms.
        let mut small: Vec<_> = synthetic_docs(5, 99).collect();
        for (i, d) in small.iter_mut().enumerate() {
            d.event_id = 1 + i as i64 * 1000; // replaces existing events
        }
        let t = Instant::now();
        index.apply(small, vec![], cursor + 1).unwrap();
        println!(
            "small apply on the full index: {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
}

#[cfg(test)]
mod profile {
    use super::*;

    /// Repeats one query (JSON `SearchQuery` in BENCH_QUERY) on the index in BENCH_DIR, for
    /// profiling: `BENCH_DIR=... BENCH_QUERY='{"q":"concert berlin"}' perf record ...`
    #[test]
    #[ignore]
    fn bench_one() {
        let Ok(dir) = std::env::var("BENCH_DIR") else {
            return;
        };
        let json = std::env::var("BENCH_QUERY").unwrap_or_else(|_| "{}".into());
        let mut query: SearchQuery = serde_json::from_str(&json).unwrap();
        if query.now_ms == 0 {
            query.now_ms = SYNTHETIC_NOW_MS;
        }
        let (index, _) = SearchIndex::open(Path::new(&dir)).unwrap();
        let runs: usize = std::env::var("BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200);
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..runs {
            let t = Instant::now();
            total = index.search(&query).unwrap().total;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "total {total}; p50 {:.3} ms; min {:.3} ms",
            times[runs / 2],
            times[0]
        );
    }

    /// Times small applies (a handful of upserts, as the change feed sends every 200 ms) on
    /// the index in BENCH_DIR.
    #[test]
    #[ignore]
    fn bench_apply() {
        let Ok(dir) = std::env::var("BENCH_DIR") else {
            return;
        };
        let (index, _) = SearchIndex::open(Path::new(&dir)).unwrap();
        let mut cursor = index.cursor();
        for round in 0..10 {
            let mut small: Vec<_> = synthetic_docs(5, 1000 + round).collect();
            for (i, d) in small.iter_mut().enumerate() {
                d.event_id = 1 + (round as i64 * 5 + i as i64) * 997;
            }
            cursor += 1;
            let t = Instant::now();
            index.apply(small, vec![], cursor).unwrap();
            let upsert = t.elapsed().as_secs_f64() * 1000.0;
            cursor += 1;
            let t = Instant::now();
            index.apply(vec![], vec![], cursor).unwrap();
            let empty = t.elapsed().as_secs_f64() * 1000.0;
            println!("apply 5 upserts: {upsert:.1} ms; empty apply: {empty:.1} ms");
        }
    }

    use crate::tools::synthetic::synthetic_docs;
    use std::path::Path;
}
