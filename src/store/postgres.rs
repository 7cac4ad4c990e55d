//! The scale-out store: PostgreSQL, shared by any number of `boxoffice serve` processes.
//!
//! PostgreSQL handles concurrent writers itself (row locks, grouped WAL flushes), so writes are
//! ordinary short transactions from one pool; correctness comes from the conditional updates
//! and constraints in the SQL, never from in-process locks.

use super::sql::sql_store;
use futures::future::BoxFuture;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::time::Duration;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// On except in the negative-control test (see `Store::set_claim_guard`).
    claim_guard: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        Ok(Self {
            pool,
            claim_guard: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
        })
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    /// The first transaction id not yet assigned: every transaction running now is below it.
    async fn transaction_horizon(&self) -> super::StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Whether every transaction that was running at `horizon` has ended.
    async fn transactions_ended(&self, horizon: i64) -> super::StoreResult<bool> {
        let xmin: i64 =
            sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
                .fetch_one(&self.pool)
                .await?;
        Ok(xmin >= horizon)
    }

    /// Runs `op` in its own short transaction, retrying when PostgreSQL reports a deadlock or
    /// serialization failure (the claim SQL locks in seat order to avoid both; this is belt
    /// and braces).
    async fn in_write<T, F>(&self, op: F) -> super::StoreResult<T>
    where
        F: for<'c> Fn(&'c mut PgConnection) -> BoxFuture<'c, super::StoreResult<T>>
            + Send
            + Sync
            + 'static,
        T: Send + 'static,
    {
        let mut attempt = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let error = match op(&mut tx).await {
                Ok(value) => match tx.commit().await {
                    Ok(()) => return Ok(value),
                    Err(e) => super::StoreError::Unavailable(e),
                },
                Err(e) => {
                    let _ = tx.rollback().await;
                    e
                }
            };
            let retry = matches!(&error, super::StoreError::Unavailable(sqlx::Error::Database(db))
                if matches!(db.code().as_deref(), Some("40P01") | Some("40001")));
            if !retry || attempt >= 5 {
                return Err(error);
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(2 << attempt)).await;
        }
    }

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    fn backend() -> super::Backend {
        super::Backend::Postgres
    }
}

sql_store!(
    PgStore,
    Postgres,
    lock = " FOR UPDATE",
    skip_locked = " FOR UPDATE SKIP LOCKED"
);
