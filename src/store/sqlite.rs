//! The embedded store: one SQLite file in WAL mode with durable (`synchronous = FULL`) commits.
//!
//! SQLite allows one writer at a time. Booking, session and bookkeeping writes go through the
//! group-commit writer thread (`group_commit.rs`); rare catalog writes use a pool of exactly one
//! sqlx connection. Both begin with `BEGIN IMMEDIATE` (the write lock is taken up front, so a
//! transaction never fails half-way upgrading a read lock). Reads use their own pool and are
//! never blocked by the writer, thanks to WAL.

use super::exec::SqliteWriteConn;
use super::group_commit::GroupCommit;
use super::sql::sql_store;
use futures::future::BoxFuture;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    reader: SqlitePool,
    writer: SqlitePool,
    /// On except in the negative-control test (see `Store::set_claim_guard`).
    claim_guard: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The writer task that batches booking writes into shared durable commits.
    group: GroupCommit,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub async fn open(path: &std::path::Path) -> Result<Self, sqlx::Error> {
        Self::with_options(SqliteConnectOptions::new().filename(path)).await
    }

    /// Opens a `sqlite:` URL, e.g. `sqlite:///var/lib/boxoffice/boxoffice.db`.
    pub async fn open_url(url: &str) -> Result<Self, sqlx::Error> {
        Self::with_options(SqliteConnectOptions::from_str(url)?).await
    }

    async fn with_options(options: SqliteConnectOptions) -> Result<Self, sqlx::Error> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        let readers = std::thread::available_parallelism()
            .map_or(4, |n| n.get() * 2)
            .max(4);
        let reader = SqlitePoolOptions::new()
            .max_connections(readers as u32)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone().read_only(true))
            .await?;
        let group = GroupCommit::start(
            Self::booking_writer(&options)?,
            Self::connection(&options, "")?,
        )
        .map_err(sqlx::Error::Io)?;
        Ok(Self {
            reader,
            group,
            writer,
            claim_guard: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
        })
    }

    /// A connection outside the pools with the settings of the sqlx connections (those that
    /// are per connection: durability, foreign keys, waiting on the write lock) and `pragmas`.
    fn connection(
        options: &SqliteConnectOptions,
        pragmas: &str,
    ) -> Result<rusqlite::Connection, sqlx::Error> {
        let conn = rusqlite::Connection::open(options.get_filename())
            .map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
        conn.busy_timeout(Duration::from_secs(10))
            .and_then(|()| {
                conn.execute_batch(&format!(
                    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                     PRAGMA cache_size = -65536; PRAGMA temp_store = memory; {pragmas}"
                ))
            })
            .map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
        Ok(conn)
    }

    /// The group-commit writer's own connection. It leaves checkpoints to its companion
    /// thread, and trims the WAL file back to 64 MiB when it starts the log over.
    fn booking_writer(options: &SqliteConnectOptions) -> Result<SqliteWriteConn, sqlx::Error> {
        let conn = Self::connection(
            options,
            "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864",
        )?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(SqliteWriteConn(conn))
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }

    /// One writer commits at a time, so sequence numbers become visible in order: no gaps.
    async fn transaction_horizon(&self) -> super::StoreResult<i64> {
        Ok(0)
    }

    async fn transactions_ended(&self, _horizon: i64) -> super::StoreResult<bool> {
        Ok(true)
    }

    /// Booking writes go through group commit (see `group_commit.rs`).
    async fn in_write<T, F>(&self, op: F) -> super::StoreResult<T>
    where
        F: for<'c> Fn(&'c mut SqliteWriteConn) -> BoxFuture<'c, super::StoreResult<T>>
            + Send
            + Sync
            + 'static,
        T: Send + 'static,
    {
        self.group.submit(op).await
    }

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    fn backend() -> super::Backend {
        super::Backend::Sqlite
    }
}

sql_store!(SqliteStore, Sqlite, lock = "", skip_locked = "");
