//! The scale-out store: PostgreSQL, shared by any number of `boxoffice serve` processes.
//!
//! PostgreSQL handles concurrent writers itself (row locks, grouped WAL flushes), so writes are
//! ordinary short transactions from one pool; correctness comes from the conditional updates
//! and constraints in the SQL, never from in-process locks.
//!
//! A bulk load (`boxoffice seed`) commits its batches with `synchronous_commit = off` (a crash
//! can lose the last batches but never corrupts), follows seat batches with `ANALYZE` (so ticket
//! creation finds seats by index rather than by scanning them all), and `bulk_finish` moves the
//! id sequences past the explicit ids and runs `VACUUM ANALYZE`.

use super::backend::{SqlBackend, WriteOp};
use super::exec::q;
use super::ops::bulk;
use super::{Backend, BulkBatch, ClaimSwitch, StoreError, StoreResult, Written};
use crate::domain::UnixMs;
use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::Postgres;
use std::time::Duration;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The longest any one statement of the service may run (the request timeout's default):
/// work a timed-out request left behind ends here at the latest.
const STATEMENT_TIMEOUT: &str = "30s";

#[derive(Debug, Clone)]
pub struct PgStore {
    /// For migrations, which may run longer than [`STATEMENT_TIMEOUT`].
    url: String,
    pool: PgPool,
    claim: ClaimSwitch,
    written: Written,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // Under overload a request gets a prompt 503 rather than queueing for minutes.
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    q(format!("SET statement_timeout = '{STATEMENT_TIMEOUT}'"))
                        .execute(&mut *conn)
                        .await
                        .map_err(|e| match e {
                            StoreError::Unavailable(e) => e,
                            other => sqlx::Error::Protocol(other.to_string()),
                        })?;
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        Ok(Self {
            url: url.to_owned(),
            pool,
            claim: ClaimSwitch::default(),
            written: Written::default(),
        })
    }
}

impl PgStore {
    /// A connection without the statement timeout, for maintenance after a bulk load. It is
    /// closed afterwards rather than handed back to the pool.
    async fn unbounded(&self) -> StoreResult<PoolConnection<Postgres>> {
        let mut conn = self.pool.acquire().await?;
        conn.close_on_drop();
        q("SET statement_timeout = 0").execute(&mut *conn).await?;
        Ok(conn)
    }
}

#[async_trait]
impl SqlBackend for PgStore {
    type Read = PgConnection;
    type Reader = PoolConnection<Postgres>;
    type Write = PgConnection;

    const KIND: Backend = Backend::Postgres;

    async fn migrate(&self) -> StoreResult<()> {
        let own = PgPoolOptions::new()
            .max_connections(1)
            .connect(&self.url)
            .await?;
        MIGRATOR.run(&own).await?;
        own.close().await;
        Ok(())
    }

    async fn read(&self) -> StoreResult<Self::Reader> {
        Ok(self.pool.acquire().await?)
    }

    /// The first transaction id not yet assigned: every transaction running now is below it.
    async fn feed_horizon(&self) -> StoreResult<i64> {
        q("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax")
            .scalar(&mut *self.pool.acquire().await?)
            .await
    }

    /// Whether every transaction that was running at `horizon` has ended.
    async fn feed_horizon_passed(&self, horizon: i64) -> StoreResult<bool> {
        let xmin: i64 = q("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin")
            .scalar(&mut *self.pool.acquire().await?)
            .await?;
        Ok(xmin >= horizon)
    }

    /// Runs `op` in its own short transaction, retrying when PostgreSQL reports a deadlock or
    /// serialization failure (the claim SQL locks in seat order to avoid both; this is belt
    /// and braces).
    async fn write<T: Send + 'static, F: WriteOp<Self::Write, T>>(&self, op: F) -> StoreResult<T> {
        let mut attempt = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let error = match op(&mut tx).await {
                Ok(value) => match tx.commit().await {
                    Ok(()) => {
                        self.written.tell();
                        return Ok(value);
                    }
                    Err(e) => StoreError::Unavailable(e),
                },
                Err(e) => {
                    let _ = tx.rollback().await;
                    e
                }
            };
            let retry = matches!(&error, StoreError::Unavailable(sqlx::Error::Database(db))
                if matches!(db.code().as_deref(), Some("40P01") | Some("40001")));
            if !retry || attempt >= 5 {
                return Err(error);
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(2 << attempt)).await;
        }
    }

    /// A new show can go on sale minutes later, before autovacuum has looked at its tickets.
    /// Without statistics the planner claims seats by scanning every available ticket of the
    /// show instead of the primary key.
    async fn show_created(&self) -> StoreResult<()> {
        q("ANALYZE tickets, seats")
            .execute(&mut *self.pool.acquire().await?)
            .await
            .map(drop)
    }

    async fn bulk_load(&self, batch: BulkBatch, now: UnixMs) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        q("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await?;
        q("SET LOCAL statement_timeout = 0")
            .execute(&mut *tx)
            .await?;
        bulk::insert_batch(&mut *tx, &batch, now).await?;
        tx.commit().await?;
        self.written.tell();
        if !batch.seats.is_empty() {
            // Fresh tables have no planner statistics yet; without them PostgreSQL scans every
            // seat for each show's tickets instead of using `seats_section`.
            q("ANALYZE sections, seats")
                .execute(&mut *self.unbounded().await?)
                .await?;
        }
        Ok(())
    }

    async fn bulk_finish(&self) -> StoreResult<u64> {
        let mut conn = self.unbounded().await?;
        for table in bulk::ID_TABLES {
            q(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            ))
            .fetch_all(&mut *conn)
            .await?;
        }
        q("VACUUM ANALYZE").execute(&mut *conn).await?;
        let bytes: i64 = q("SELECT pg_database_size(current_database()) AS bytes")
            .scalar(&mut *conn)
            .await?;
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    fn claim_switch(&self) -> &ClaimSwitch {
        &self.claim
    }

    fn written_signal(&self) -> &Written {
        &self.written
    }
}
