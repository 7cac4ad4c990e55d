//! Group commit for SQLite: one writer task runs queued write operations back to back inside
//! one transaction and answers each only after that transaction is durable.
//!
//! A durable commit costs an fsync, and this disk does about 1,500 a second, so one commit per
//! request would cap every write at that rate. Here each operation runs inside its own
//! savepoint: an operation that fails (a seat already taken) is rolled back to its savepoint
//! without touching the others, and a batch of a few hundred holds costs one fsync. No answer
//! leaves before its batch commits, so nothing acknowledged can be lost to a crash.

use super::{StoreError, StoreResult};
use futures::future::BoxFuture;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

/// Largest number of operations committed together.
const MAX_BATCH: usize = 512;

/// Delivers an operation's result once the batch's fate is known.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A queued operation: runs on the writer's connection and says whether it succeeded.
type Job =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, (bool, Finish)> + Send>;

#[derive(Clone, Debug)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts the writer task on the single-connection `writer` pool.
    pub fn start(writer: SqlitePool) -> Self {
        let (jobs, rx) = mpsc::channel(4096);
        tokio::spawn(run(writer, rx));
        Self { jobs }
    }

    /// Queues `op` and waits until it ran and its batch committed (or rolled back).
    pub async fn submit<T, F>(&self, op: F) -> StoreResult<T>
    where
        F: for<'c> Fn(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + Sync
            + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                let result = op(conn).await;
                let ok = result.is_ok();
                let finish: Finish = Box::new(move |committed| {
                    let _ = answer.send(match committed {
                        Ok(()) => result,
                        Err(e) if ok => Err(StoreError::Internal(format!("commit failed: {e}"))),
                        Err(_) => result,
                    });
                });
                (ok, finish)
            })
        });
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::Internal("the database writer has stopped".into()))?;
        answered
            .await
            .map_err(|_| StoreError::Internal("the database writer dropped a request".into()))?
    }
}

/// Runs fixed statements (no parameters) in one round trip to the connection's thread.
async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::Executor::execute(&mut *conn, sql).await.map(|_| ())
}

async fn run(writer: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let size = batch.len();
        let mut finishes = Vec::with_capacity(size);
        let outcome = async {
            let mut conn = writer.acquire().await?;
            // Savepoint bookkeeping rides along in one round trip per operation: each step
            // closes the previous operation's savepoint and opens the next one.
            exec(&mut conn, "BEGIN IMMEDIATE; SAVEPOINT op").await?;
            for job in batch.drain(..) {
                let (ok, finish) = job(&mut conn).await;
                finishes.push(finish);
                let next = if ok {
                    "RELEASE op; SAVEPOINT op"
                } else {
                    "ROLLBACK TO op; RELEASE op; SAVEPOINT op"
                };
                if let Err(e) = exec(&mut conn, next).await {
                    let _ = exec(&mut conn, "ROLLBACK").await;
                    return Err(e);
                }
            }
            if let Err(e) = exec(&mut conn, "RELEASE op; COMMIT").await {
                let _ = exec(&mut conn, "ROLLBACK").await;
                return Err(e);
            }
            Ok::<(), sqlx::Error>(())
        }
        .await;
        metrics::histogram!("store_group_commit_size").record(size as f64);
        let committed = outcome.map_err(|e| e.to_string());
        if let Err(e) = &committed {
            tracing::error!(error = %e, batch = size, "group commit failed");
        }
        // Jobs that never ran (a failure before them) get the failure via their dropped channel.
        batch.clear();
        for finish in finishes {
            finish(committed.clone());
        }
    }
}
