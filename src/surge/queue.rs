//! The waiting room's pluggable part: where queue order, admissions and arrival counts live.
//!
//! [`QueueBackend`] has two implementations side by side: [`super::memory::MemoryQueue`] for
//! one instance (the embedded deployment) and [`super::redis::RedisQueue`], which makes every
//! instance on one Redis a single queue (sorted sets, and Lua scripts so that admission is
//! atomic across instances). `tests/surge/` runs one conformance suite over both.
//!
//! The queue is a sorted set per show. A buyer who joins before the show opens gets the score
//! of their draw (a keyed hash, see [`super::token::Signer::draw`]) below zero, so the whole
//! pre-queue stands in a uniformly random order ahead of everyone who comes later; after
//! opening, each arrival gets the next number of a counter. Admission takes the lowest scores.

use crate::domain::UnixMs;
use async_trait::async_trait;

/// Where a buyer joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Before opening: at the place of this draw, in `[0, 2^52)`, among the pre-queue.
    Drawn(u64),
    /// After opening: at the back.
    Arrival,
}

/// Where a buyer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spot {
    /// In line; 1 is next. Before opening, everyone's place is the draw's: the position is
    /// then the number of people in the pre-queue.
    Waiting { position: u64 },
    /// Admitted to shop until then.
    Admitted { until: UnixMs },
    /// Skipped when their turn came (not heard from), or their admission lapsed.
    Expired,
    /// Not in this queue.
    Missing,
}

/// One pacing step for a show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admit {
    /// Admissions in force may not exceed this after the step.
    pub cap: u64,
    /// How long a new admission lasts.
    pub window_ms: i64,
    /// Entries last heard from before this are skipped.
    pub stale_before: UnixMs,
}

/// What a pacing step did, and the room's state after it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Admitted {
    pub users: Vec<i64>,
    pub skipped: u64,
    pub stats: RoomStats,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoomStats {
    /// Buyers in line.
    pub waiting: u64,
    /// Admissions in force (not lapsed, not finished).
    pub active: u64,
    /// Admissions ever made: their rate is what the ETA is computed from.
    pub admitted_total: u64,
}

/// What a buyer arriving to hold seats of a show without a waiting room should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Go ahead: no surge, or they were already shopping when it began.
    Shop,
    /// Arrivals passed the show's rate: the room is on for newcomers.
    Queue,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The shared queue cannot be reached: joining and admission pause.
    #[error("the waiting room is unavailable: {0}")]
    Unavailable(String),
}

pub type QueueResult<T> = Result<T, QueueError>;

/// How long a surge that turned a waiting room on keeps it on after arrivals fall back.
pub const SURGE_HOLD_MS: i64 = 60_000;

#[async_trait]
pub trait QueueBackend: Send + Sync + 'static {
    /// `memory` or `redis`, for logs and readiness.
    fn kind(&self) -> &'static str;
    /// Adds `user` to the queue of `show` unless they are in it (or admitted): one entry per
    /// user. Counts as hearing from them.
    async fn join(&self, show: i64, user: i64, place: Place, now: UnixMs) -> QueueResult<Spot>;
    /// Where `user` stands; counts as hearing from them.
    async fn spot(&self, show: i64, user: i64, now: UnixMs) -> QueueResult<Spot>;
    /// Takes `user` out of the line, or ends their admission.
    async fn leave(&self, show: i64, user: i64) -> QueueResult<()>;
    /// Drops lapsed admissions and admits from the front of the line, skipping entries not
    /// heard from, until `cap` admissions are in force: atomically, so instances sharing the
    /// queue never exceed the cap together.
    async fn admit(&self, show: i64, step: Admit, now: UnixMs) -> QueueResult<Admitted>;
    /// `user` finished shopping (booked): their admission no longer counts against the cap.
    async fn finish(&self, show: i64, user: i64) -> QueueResult<()>;
    async fn stats(&self, show: i64, now: UnixMs) -> QueueResult<RoomStats>;
    /// Shows that have had a queue, for the pacing loop.
    async fn shows(&self) -> QueueResult<Vec<i64>>;
    /// Counts an arrival to hold seats of a show without a waiting room. Past `limit` arrivals
    /// in one second the show surges for [`SURGE_HOLD_MS`]: buyers seen shopping before it
    /// began go on, newcomers queue.
    async fn arrival(&self, show: i64, user: i64, limit: u64, now: UnixMs) -> QueueResult<Arrival>;
    /// Whether the show is surging (its room on by arrival rate).
    async fn surging(&self, show: i64, now: UnixMs) -> QueueResult<bool>;
}
