//! The embedded store: one SQLite file in WAL mode with durable (`synchronous = FULL`) commits.
//!
//! SQLite allows one writer at a time. Every write operation goes through the group-commit
//! writer thread (`group_commit.rs`), which begins with `BEGIN IMMEDIATE` (the write lock is
//! taken up front, so a transaction never fails half-way upgrading a read lock). Migrations and
//! bulk loads, which run before serving, use a pool of exactly one sqlx connection. Reads use
//! their own pool and are never blocked by the writer, thanks to WAL.
//!
//! A bulk load (`boxoffice seed`) relaxes durability for the load only: the batch's connection
//! runs with `synchronous = OFF` and is set back to `FULL` before it returns to the pool (a
//! connection that cannot be restored is closed instead); `bulk_finish` then checkpoints the WAL
//! with `synchronous = FULL`, so the loaded catalog is on disk before the seed reports success.
//! A power cut during the load can lose or damage what was loaded so far — seed again into a
//! fresh data folder.

use super::backend::{SqlBackend, WriteOp};
use super::exec::{q, SqliteWriteConn};
use super::group_commit::GroupCommit;
use super::ops::bulk;
use super::{Backend, BulkBatch, ClaimSwitch, StoreResult, Written};
use crate::domain::UnixMs;
use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, SqliteConnection};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// SQLite virtual-machine steps between two checks of whether a read was abandoned.
const INTERRUPT_CHECK_OPS: i32 = 10_000;

/// A read connection on loan. When it is dropped with a statement still running (the request
/// timed out or its client went away), the statement is interrupted at its next check rather
/// than left to run to the end on the connection's thread.
pub struct Reader {
    conn: PoolConnection<Sqlite>,
    abandoned: Arc<AtomicBool>,
}

impl std::ops::Deref for Reader {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Reader {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.abandoned.store(true, Ordering::Relaxed);
    }
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    reader: SqlitePool,
    /// For migrations and bulk loads.
    writer: SqlitePool,
    /// The writer thread that batches write operations into shared durable commits.
    group: GroupCommit,
    claim: ClaimSwitch,
    written: Written,
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
            claim: ClaimSwitch::default(),
            written: Written::default(),
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
}

#[async_trait]
impl SqlBackend for SqliteStore {
    type Read = SqliteConnection;
    type Reader = Reader;
    type Write = SqliteWriteConn;

    const KIND: Backend = Backend::Sqlite;

    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.writer).await?;
        Ok(())
    }

    async fn read(&self) -> StoreResult<Self::Reader> {
        let mut conn = self.reader.acquire().await?;
        let abandoned = Arc::new(AtomicBool::new(false));
        let flag = abandoned.clone();
        conn.lock_handle()
            .await?
            .set_progress_handler(INTERRUPT_CHECK_OPS, move || !flag.load(Ordering::Relaxed));
        Ok(Reader { conn, abandoned })
    }

    /// Through group commit (see `group_commit.rs`).
    async fn write<T: Send + 'static, F: WriteOp<Self::Write, T>>(&self, op: F) -> StoreResult<T> {
        let done = self.group.submit(op).await;
        if done.is_ok() {
            self.written.tell();
        }
        done
    }

    async fn show_created(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn bulk_load(&self, batch: BulkBatch, now: UnixMs) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await?;
        // The load may skip fsyncs; `bulk_finish` makes it durable at the end.
        q("PRAGMA synchronous = OFF").execute(&mut *conn).await?;
        let written = async {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            bulk::insert_batch(&mut *tx, &batch, now).await?;
            tx.commit().await?;
            StoreResult::Ok(())
        }
        .await;
        let restored = q("PRAGMA synchronous = FULL").execute(&mut *conn).await;
        if restored.is_err() {
            // Never hand a relaxed connection back to ordinary writes.
            conn.close_on_drop();
        }
        written?;
        self.written.tell();
        restored.map(drop)
    }

    async fn bulk_finish(&self) -> StoreResult<u64> {
        let mut conn = self.writer.acquire().await?;
        q("PRAGMA synchronous = FULL").execute(&mut *conn).await?;
        q("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_all(&mut *conn)
            .await?;
        let files = q("PRAGMA database_list").fetch_all(&mut *conn).await?;
        let mut bytes = 0;
        for row in files {
            let name: String = row.get("name")?;
            let file: String = row.get("file")?;
            if name != "main" || file.is_empty() {
                continue;
            }
            for path in [file.clone(), format!("{file}-wal")] {
                bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            }
        }
        Ok(bytes)
    }

    /// One writer commits at a time, so sequence numbers become visible in order: no gaps.
    async fn feed_horizon(&self) -> StoreResult<i64> {
        Ok(0)
    }

    async fn feed_horizon_passed(&self, _horizon: i64) -> StoreResult<bool> {
        Ok(true)
    }

    fn claim_switch(&self) -> &ClaimSwitch {
        &self.claim
    }

    fn written_signal(&self) -> &Written {
        &self.written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A read dropped mid-statement (its request timed out) gives its connection back at once:
    /// the statement is interrupted rather than left running on the connection's thread.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_read_is_interrupted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("t.db"))
            .await
            .expect("open");
        let readers = store.reader.options().get_max_connections() as usize;
        // Seconds of work for SQLite, started on every reader.
        let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                    WHERE x < 1000000000) SELECT COUNT(*) AS n FROM c";
        for _ in 0..readers {
            let mut conn = store.read().await.expect("reader");
            let run = async move { q(slow).scalar::<i64, _>(&mut *conn).await };
            assert!(
                tokio::time::timeout(Duration::from_millis(50), run)
                    .await
                    .is_err(),
                "the statement is slow enough to be abandoned"
            );
        }
        let started = Instant::now();
        let mut held = Vec::new();
        for _ in 0..readers {
            let mut conn = store.read().await.expect("reader");
            let one: i64 = q("SELECT 1 AS one")
                .scalar(&mut *conn)
                .await
                .expect("select");
            assert_eq!(one, 1);
            held.push(conn);
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "every reader was free again in {:?}",
            started.elapsed()
        );
    }
}
