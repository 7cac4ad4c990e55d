//! Following the change feed in order, without skipping a change that commits late.
//!
//! Consumers (the search indexer, the mailer) keep a cursor — the last `seq` they processed —
//! and ask for what comes after it. On PostgreSQL a sequence number is taken when a row is
//! inserted but becomes visible only when its transaction commits, so the feed can show
//! `…, 41, 43` while 42 is still running (or was rolled back and never comes). The follower
//! stops before such a gap and only steps over it once every transaction that was running when
//! the gap was seen has ended (see [`Store::feed_horizon`]).

use crate::store::{Change, DynStore, StoreResult};
use std::time::Duration;

pub struct Follower {
    store: DynStore,
    cursor: i64,
    /// A gap we are waiting on: the first missing seq and the horizon taken when it was seen.
    gap: Option<(i64, i64)>,
}

impl Follower {
    pub fn new(store: DynStore, cursor: i64) -> Self {
        Self {
            store,
            cursor,
            gap: None,
        }
    }

    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    /// The next changes in order (possibly none). Call [`Follower::advance`] once they are
    /// processed.
    pub async fn next(&mut self, limit: i64) -> StoreResult<Vec<Change>> {
        let mut changes = self.store.changes_after(self.cursor, limit).await?;
        let mut expected = self.cursor + 1;
        let mut contiguous = 0;
        for change in &changes {
            if change.seq != expected {
                break;
            }
            expected += 1;
            contiguous += 1;
        }
        if contiguous < changes.len() {
            let missing = expected;
            match self.gap {
                Some((seen, horizon)) if seen == missing => {
                    if self.store.feed_horizon_passed(horizon).await? {
                        // Everything that could fill the gap has ended: it is permanent.
                        self.gap = None;
                        return Ok(changes);
                    }
                }
                _ => self.gap = Some((missing, self.store.feed_horizon().await?)),
            }
            changes.truncate(contiguous);
        } else {
            self.gap = None;
        }
        Ok(changes)
    }

    /// Whether the last read stopped before a gap that may still fill.
    pub fn at_gap(&self) -> bool {
        self.gap.is_some()
    }

    /// Records that everything up to `seq` has been processed.
    pub fn advance(&mut self, seq: i64) {
        self.cursor = self.cursor.max(seq);
    }
}

/// The feed position a new follower may start from: the feed's end, once every transaction that
/// could still commit a change below it has ended. (On PostgreSQL a change takes its position
/// when written but appears at commit, so a lower one can still be on its way when the end is
/// read; starting past it would miss it. SQLite commits in order and answers at once.)
pub async fn settled_end(store: &DynStore) -> StoreResult<i64> {
    let end = store.last_change().await?;
    let horizon = store.feed_horizon().await?;
    while !store.feed_horizon_passed(horizon).await? {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(end)
}
