//! Following the change feed in order, without skipping a change that commits late.
//!
//! Consumers (the search indexer, the mailer) keep a cursor — the last `seq` they processed —
//! and ask for what comes after it. On PostgreSQL a sequence number is taken when a row is
//! inserted but becomes visible only when its transaction commits, so the feed can show
//! `…, 41, 43` while 42 is still running (or was rolled back and never comes). The follower
//! stops before such a gap and only steps over it once every transaction that was running when
//! the gap was seen has ended (see [`Store::feed_horizon`]).

use crate::store::{Change, DynStore, StoreResult};

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

    /// Records that everything up to `seq` has been processed.
    pub fn advance(&mut self, seq: i64) {
        self.cursor = self.cursor.max(seq);
    }
}
