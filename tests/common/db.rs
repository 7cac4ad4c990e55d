//! Database fixtures shared by the test targets: which stores a test runs on, and fresh
//! PostgreSQL databases. (Each target uses a part of them.)
#![allow(dead_code)]

use boxoffice::store::BookingStart;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create databases on.
pub fn pg_base() -> String {
    std::env::var("BOXOFFICE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// `Some(Db::Postgres)` when PostgreSQL is reachable. Without it tests are skipped locally, but
/// under CI (`CI` set) or with `BOXOFFICE_REQUIRE_PG=1` a missing PostgreSQL fails the run.
pub fn postgres_or_skip() -> Option<Db> {
    static UP: OnceLock<bool> = OnceLock::new();
    let up = *UP.get_or_init(|| {
        std::net::TcpStream::connect("127.0.0.1:5432").is_ok()
            || std::env::var("BOXOFFICE_TEST_PG").is_ok()
    });
    let required = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
        || std::env::var("BOXOFFICE_REQUIRE_PG").is_ok_and(|v| v == "1");
    if !up {
        assert!(
            !required,
            "PostgreSQL is required (CI or BOXOFFICE_REQUIRE_PG=1) but unreachable"
        );
        eprintln!("skipping: PostgreSQL unreachable");
        return None;
    }
    Some(Db::Postgres)
}

/// Creates a fresh, empty PostgreSQL database and returns its URL.
pub async fn fresh_pg_database() -> String {
    use sqlx::Connection;
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _guard = LOCK.lock().await;
    let name = format!("bo_test_{:016x}", rand::random::<u64>());
    let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", pg_base()))
        .await
        .expect("connect to PostgreSQL");
    for attempt in 0..5 {
        match sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
        {
            Ok(_) => break,
            Err(e) if attempt < 4 => {
                eprintln!("retrying CREATE DATABASE: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("CREATE DATABASE failed: {e}"),
        }
    }
    format!("{}/{name}", pg_base())
}

/// A started booking and whether a charge is to be made now.
pub fn charged(start: BookingStart) -> (boxoffice::domain::booking::Booking, bool) {
    match start {
        BookingStart::Charge(booking) => (booking, true),
        BookingStart::Existing(booking) => (booking, false),
    }
}

/// The Redis tests talk to (`BOXOFFICE_TEST_REDIS`, default the local one).
pub fn redis_url() -> String {
    std::env::var("BOXOFFICE_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Whether Redis is reachable. Without it Redis tests are skipped locally, but under CI (`CI`
/// set) or with `BOXOFFICE_REQUIRE_REDIS=1` a missing Redis fails the run.
pub fn redis_or_skip() -> bool {
    static UP: OnceLock<bool> = OnceLock::new();
    let up = *UP.get_or_init(|| {
        let url = redis_url();
        let addr = url
            .trim_start_matches("redis://")
            .split('/')
            .next()
            .unwrap_or("127.0.0.1:6379")
            .to_owned();
        std::net::TcpStream::connect(addr).is_ok()
    });
    let required = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
        || std::env::var("BOXOFFICE_REQUIRE_REDIS").is_ok_and(|v| v == "1");
    if !up {
        assert!(
            !required,
            "Redis is required (CI or BOXOFFICE_REQUIRE_REDIS=1) but unreachable"
        );
        eprintln!("skipping: Redis unreachable");
    }
    up
}

/// A key prefix no other test run uses.
pub fn redis_prefix() -> String {
    format!("bo_test_{:016x}", rand::random::<u64>())
}
