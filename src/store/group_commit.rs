//! Group commit for SQLite: one writer thread owns a connection, runs queued write operations
//! back to back inside one transaction and answers each only after that transaction is
//! durable.
//!
//! A durable commit costs an fsync, and this disk does about 1,500 a second, so one commit per
//! request would cap every write at that rate. Here each operation runs inside its own
//! savepoint: an operation that fails (a seat already taken) is rolled back to its savepoint
//! without touching the others, and everything that queued up during one fsync shares the
//! next. No answer leaves before its batch commits, so nothing acknowledged can be lost to a
//! crash.
//!
//! The writer never checkpoints the WAL itself: a checkpoint copies pages back into the
//! database and syncs it, and SQLite's automatic one runs inside whichever commit crosses the
//! threshold (and again on every later commit while readers keep it from finishing), stalling
//! the whole queue behind it. A companion thread checkpoints on its own connection instead,
//! without taking the write lock, so the writer only ever appends to the WAL.
//!
//! The thread executes statements synchronously on its own connection (see `exec.rs` for why).
//! Operations are the async booking functions; over [`SqliteWriteConn`] their futures are
//! ready at every poll, so the thread drives them with `block_on` and never waits on anything
//! but SQLite.

use super::exec::SqliteWriteConn;
use super::{StoreError, StoreResult};
use futures::future::BoxFuture;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Largest number of operations committed together.
const MAX_BATCH: usize = 512;

/// How often the companion thread checkpoints the WAL.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Delivers an operation's result once the batch's fate is known.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A queued operation: runs on the writer's connection and says whether it succeeded.
type Job = Box<dyn for<'c> FnOnce(&'c mut SqliteWriteConn) -> BoxFuture<'c, (bool, Finish)> + Send>;

#[derive(Clone, Debug)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
    /// Checkpoints that found the whole WAL copied back (after which the writer restarts it);
    /// the WAL test waits on it.
    #[cfg_attr(not(test), allow(dead_code))]
    caught_up: Arc<AtomicU64>,
}

impl GroupCommit {
    /// Starts the writer thread on `conn` and the checkpoint thread on `checkpoints`; both
    /// stop once every handle to this writer is dropped.
    pub fn start(
        conn: SqliteWriteConn,
        checkpoints: rusqlite::Connection,
    ) -> std::io::Result<Self> {
        let (jobs, rx) = mpsc::channel(4096);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, rx))?;
        let alive = jobs.downgrade();
        let caught_up = Arc::new(AtomicU64::new(0));
        let counter = caught_up.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint(&checkpoints, &alive, &counter))?;
        Ok(Self { jobs, caught_up })
    }

    /// How many checkpoints so far found the whole WAL copied back.
    #[cfg(test)]
    fn checkpoints_caught_up(&self) -> u64 {
        self.caught_up.load(Ordering::Relaxed)
    }

    /// Queues `op` and waits until it ran and its batch committed (or rolled back).
    pub async fn submit<T, F>(&self, op: F) -> StoreResult<T>
    where
        F: for<'c> Fn(&'c mut SqliteWriteConn) -> BoxFuture<'c, StoreResult<T>>
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

/// Runs one batch: every job in its own savepoint, then one commit.
fn run_batch(
    conn: &mut SqliteWriteConn,
    batch: &mut Vec<Job>,
    finishes: &mut Vec<Finish>,
) -> StoreResult<()> {
    conn.batch("BEGIN IMMEDIATE; SAVEPOINT op")?;
    for job in batch.drain(..) {
        let (ok, finish) = futures::executor::block_on(job(conn));
        finishes.push(finish);
        let next = if ok {
            "RELEASE op; SAVEPOINT op"
        } else {
            "ROLLBACK TO op; RELEASE op; SAVEPOINT op"
        };
        if let Err(e) = conn.batch(next) {
            let _ = conn.batch("ROLLBACK");
            return Err(e);
        }
    }
    if let Err(e) = conn.batch("RELEASE op; COMMIT") {
        let _ = conn.batch("ROLLBACK");
        return Err(e);
    }
    Ok(())
}

fn run(mut conn: SqliteWriteConn, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(job) = rx.blocking_recv() {
        batch.push(job);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let size = batch.len();
        let mut finishes = Vec::with_capacity(size);
        let committed = run_batch(&mut conn, &mut batch, &mut finishes).map_err(|e| e.to_string());
        metrics::histogram!("store_group_commit_size").record(size as f64);
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

/// Checkpoints the WAL every [`CHECKPOINT_EVERY`] while the writer lives. A passive checkpoint
/// copies what no reader still needs and never blocks the writer or readers; once it has
/// copied everything, the writer starts the WAL over from its beginning.
fn checkpoint(conn: &rusqlite::Connection, alive: &mpsc::WeakSender<Job>, caught_up: &AtomicU64) {
    loop {
        std::thread::sleep(CHECKPOINT_EVERY);
        if alive.upgrade().is_none() {
            return;
        }
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        match done {
            Ok((frames, copied)) => {
                metrics::gauge!("store_wal_frames").set(frames as f64);
                if frames == copied {
                    caught_up.fetch_add(1, Ordering::Relaxed);
                }
                tracing::trace!(frames, copied, "checkpoint");
            }
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::exec::q;
    use std::path::Path;
    use std::time::Duration;

    fn open(path: &Path, pragmas: &str) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(path).expect("open");
        conn.execute_batch(&format!("PRAGMA synchronous = NORMAL; {pragmas}"))
            .expect("pragmas");
        conn
    }

    /// The writer never checkpoints, so without its companion thread the WAL would hold every
    /// page ever written. With it, the log is copied back and restarted from its beginning
    /// while writes go on, and the file stays a fraction of what was written. (Each round waits
    /// for the companion to catch up rather than for a fixed time, so a busy machine cannot
    /// make the check fail.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_is_checkpointed_and_reused_while_writing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("wal.db");
        open(
            &path,
            "PRAGMA journal_mode = WAL; CREATE TABLE blobs (id INTEGER PRIMARY KEY, data TEXT)",
        );
        let writer = SqliteWriteConn(open(&path, "PRAGMA wal_autocheckpoint = 0"));
        let group = GroupCommit::start(writer, open(&path, "")).expect("start");
        let blob = "x".repeat(32 * 1024);
        let rounds = 40;
        let per_round = 8;
        for _ in 0..rounds {
            let writes = (0..per_round).map(|_| {
                let blob = blob.clone();
                group.submit(move |conn| {
                    let blob = blob.clone();
                    Box::pin(async move {
                        q("INSERT INTO blobs (data) VALUES ($1)")
                            .bind(blob)
                            .execute(conn)
                            .await
                    })
                })
            });
            for written in futures::future::join_all(writes).await {
                assert_eq!(written.expect("insert"), 1);
            }
            let before = group.checkpoints_caught_up();
            let waited = tokio::time::timeout(Duration::from_secs(30), async {
                while group.checkpoints_caught_up() == before {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
            .await;
            assert!(waited.is_ok(), "the checkpoint thread never caught up");
        }
        let written = (rounds * per_round * blob.len()) as u64;
        let wal = std::fs::metadata(dir.path().join("wal.db-wal"))
            .expect("wal")
            .len();
        assert!(
            wal < written / 3,
            "WAL is {wal} bytes after writing {written} bytes"
        );
        let rows: i64 = open(&path, "")
            .query_row("SELECT count(*) FROM blobs", [], |r| r.get(0))
            .expect("count");
        assert_eq!(rows, (rounds * per_round) as i64);
    }
}
