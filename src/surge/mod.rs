//! The virtual waiting room: who may shop for a show during an on-sale, in what order, and how
//! fast.
//!
//! A show's room is on when its organiser switched it on, or by itself when more buyers arrive
//! to hold its seats in one second than `BOXOFFICE_ROOM_SURGE_RATE`: then those already
//! shopping carry on and newcomers queue. Buyers join with `POST /shows/{id}/queue` and follow
//! their place with a signed queue token; when their turn comes they get a signed admission,
//! which `POST /holds` checks without any lookup (see [`token`]).
//!
//! Order and admissions live behind [`queue::QueueBackend`]: in this process, or in Redis so
//! that every instance is one queue. Every instance runs the pacing loop ([`WaitingRoom::run`]);
//! each step is atomic in the backend, so together they never pass the cap.
//!
//! **Pacing by inventory.** The cap on admissions in force is what the show can absorb: the
//! buyers holding seats now, plus one buyer for every `q` free seats, where `q` is the mean size
//! of the live holds (`BOXOFFICE_ROOM_SEATS_PER_BUYER` before there are any), and at most the
//! organiser's `room_max_active`. A buyer who books, leaves, or lets the shopping window pass
//! makes room for the next, so admissions follow how fast admitted buyers finish. With nothing
//! free, nobody is admitted; with nothing free and nothing held, the show is sold out and
//! everyone waiting is told so (and offered the waitlist while holds remain).

pub mod memory;
pub mod queue;
pub mod redis;
pub mod token;

use crate::clock::Clock;
use crate::domain::surge::{RoomInventory, RoomShow};
use crate::domain::*;
use crate::shutdown::{self, Stop};
use crate::store::{DynStore, StoreError};
use queue::*;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use token::{Admission, AdmissionError, Signer};

/// An entry not heard from for this long is skipped when its turn comes.
pub const STALE_MS: i64 = 300_000;
/// The window the ETA's admission rate is measured over.
const RATE_WINDOW_MS: i64 = 30_000;

#[derive(Debug, Clone)]
pub struct RoomConfig {
    /// How often each instance runs a pacing step for every room.
    pub tick: Duration,
    /// Hold attempts per second for one show past which its room turns on (0: never).
    pub surge_rate: u64,
    /// Seats a buyer is assumed to take before any live hold says otherwise.
    pub seats_per_buyer: i64,
}

impl Default for RoomConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_millis(500),
            surge_rate: 500,
            seats_per_buyer: 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    Waiting,
    /// `admission` is set: send it as the `Admission` header of `POST /holds`.
    Admitted,
    /// Skipped for not being heard from, admission lapsed, or the entry is gone: join again.
    Expired,
    /// Nothing is free and nothing can free up.
    SoldOut,
}

/// A queue entry as its buyer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QueueEntry {
    pub token: String,
    pub show_id: ShowId,
    /// 1 is next; 0 once not waiting. Before opening every place is drawn at opening, so this
    /// is the size of the pre-queue.
    pub position: u64,
    /// `None` until admissions have been observed (see `eta_basis`).
    pub eta_seconds: Option<u64>,
    /// How the ETA was found: `observed` admission rate, `opening` (the show opens first, then
    /// the observed rate), or `none` (no admissions observed yet).
    pub eta_basis: &'static str,
    pub state: QueueState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission_expires_at: Option<String>,
    /// Every free seat is held by someone: the waitlist takes names.
    pub waitlist_open: bool,
    /// When the pacing step this entry reflects ran (the line moves only at those steps, or
    /// when someone ahead leaves).
    pub as_of: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error("no such queue entry")]
    UnknownToken,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Admission(#[from] AdmissionError),
}

/// What the pacing loop last saw of a show.
#[derive(Debug, Default)]
struct Pace {
    inventory: RoomInventory,
    /// (when, admissions ever made), over the last [`RATE_WINDOW_MS`].
    samples: VecDeque<(UnixMs, u64)>,
}

impl Pace {
    /// Admissions per second over the window, if any were seen.
    fn rate(&self) -> Option<f64> {
        let (first, last) = (self.samples.front()?, self.samples.back()?);
        let (dt, dn) = (last.0 - first.0, last.1.saturating_sub(first.1));
        (dt > 0 && dn > 0).then(|| dn as f64 * 1000.0 / dt as f64)
    }
}

struct Inner {
    store: DynStore,
    clock: Clock,
    queue: Arc<dyn QueueBackend>,
    signer: Signer,
    config: RoomConfig,
    shows: moka::sync::Cache<ShowId, Arc<RoomShow>>,
    paces: Mutex<HashMap<ShowId, Pace>>,
    /// The queue streams on this instance, to wake when a pacing step here admits them.
    wakers: Mutex<HashMap<(ShowId, UserId), std::sync::Weak<tokio::sync::Notify>>>,
    closed: std::sync::atomic::AtomicBool,
    /// When the last pacing pass began (0: none yet).
    last_step: std::sync::atomic::AtomicI64,
}

/// The waiting room of every show; cheap to clone.
#[derive(Clone)]
pub struct WaitingRoom(Arc<Inner>);

impl WaitingRoom {
    pub fn new(
        store: DynStore,
        clock: Clock,
        queue: Arc<dyn QueueBackend>,
        signer: Signer,
        config: RoomConfig,
    ) -> Self {
        Self(Arc::new(Inner {
            store,
            clock,
            queue,
            signer,
            config,
            // Settings changed by an admin reach every instance within this.
            shows: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(2))
                .build(),
            paces: Mutex::new(HashMap::new()),
            wakers: Mutex::new(HashMap::new()),
            closed: std::sync::atomic::AtomicBool::new(false),
            last_step: std::sync::atomic::AtomicI64::new(0),
        }))
    }

    /// The signing key every instance of this deployment shares, kept in the store.
    pub async fn shared_signer(store: &DynStore, now: UnixMs) -> Result<Signer, StoreError> {
        let candidate = hex::encode(rand::random::<[u8; 32]>());
        let key = store.shared_secret("waiting-room", &candidate, now).await?;
        Ok(Signer::new(key.as_bytes()))
    }

    pub fn backend(&self) -> &'static str {
        self.0.queue.kind()
    }

    pub fn signer(&self) -> &Signer {
        &self.0.signer
    }

    /// What a queue stream of `user` waits on: a pacing step here that admits them wakes it.
    pub fn waker(&self, show: ShowId, user: UserId) -> Arc<tokio::sync::Notify> {
        let notify = Arc::new(tokio::sync::Notify::new());
        let mut wakers = self.0.wakers.lock().unwrap_or_else(|e| e.into_inner());
        wakers.insert((show, user), Arc::downgrade(&notify));
        notify
    }

    /// Ends every queue stream (on shutdown) within a beat.
    pub fn close(&self) {
        self.0
            .closed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_closed(&self) -> bool {
        self.0.closed.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn show(&self, show: ShowId) -> Result<Arc<RoomShow>, StoreError> {
        if let Some(found) = self.0.shows.get(&show) {
            return Ok(found);
        }
        let found = Arc::new(self.0.store.room_show(show).await?);
        self.0.shows.insert(show, found.clone());
        Ok(found)
    }

    /// Forgets cached settings of a show (after an admin changed them here).
    pub fn forget(&self, show: ShowId) {
        self.0.shows.invalidate(&show);
    }

    /// Puts `user` in the queue of `show` (or finds their entry).
    pub async fn join(&self, show: ShowId, user: UserId) -> Result<QueueEntry, RoomError> {
        let settings = self.show(show).await?;
        let now = self.0.clock.now_ms();
        if !settings.scheduled || now >= settings.starts_at {
            return Err(StoreError::Conflict("the show is no longer on sale".into()).into());
        }
        let place = if now < settings.on_sale_at {
            Place::Drawn(self.0.signer.draw(show, user))
        } else {
            Place::Arrival
        };
        let spot = self
            .0
            .queue
            .join(show.get(), user.get(), place, now)
            .await?;
        metrics::counter!("queue_joins_total").increment(1);
        Ok(self.entry(&settings, user, spot, now))
    }

    /// The show and buyer of a genuine queue token.
    pub fn entry_of(&self, token: &str) -> Result<(ShowId, UserId), RoomError> {
        self.0
            .signer
            .read_queue_token(token)
            .ok_or(RoomError::UnknownToken)
    }

    /// The entry behind a queue token.
    pub async fn status(&self, token: &str) -> Result<QueueEntry, RoomError> {
        let (show, user) = self.entry_of(token)?;
        self.status_of(show, user).await
    }

    /// The queue entry of `user` for `show`.
    pub async fn status_of(&self, show: ShowId, user: UserId) -> Result<QueueEntry, RoomError> {
        let settings = self.show(show).await.map_err(|e| match e {
            StoreError::NotFound(_) => RoomError::UnknownToken,
            e => e.into(),
        })?;
        let now = self.0.clock.now_ms();
        let spot = self.0.queue.spot(show.get(), user.get(), now).await?;
        Ok(self.entry(&settings, user, spot, now))
    }

    pub async fn leave(&self, token: &str) -> Result<(), RoomError> {
        let (show, user) = self
            .0
            .signer
            .read_queue_token(token)
            .ok_or(RoomError::UnknownToken)?;
        Ok(self.0.queue.leave(show.get(), user.get()).await?)
    }

    fn entry(&self, settings: &RoomShow, user: UserId, spot: Spot, now: UnixMs) -> QueueEntry {
        let show = settings.show_id;
        let (rate, inventory) = {
            let paces = self.0.paces.lock().unwrap_or_else(|e| e.into_inner());
            paces
                .get(&show)
                .map_or((None, None), |p| (p.rate(), Some(p.inventory)))
        };
        let sold_out = inventory.is_some_and(|i| i.sold_out());
        let mut entry = QueueEntry {
            token: self.0.signer.queue_token(show, user),
            show_id: show,
            position: 0,
            eta_seconds: None,
            eta_basis: "none",
            state: QueueState::Expired,
            admission: None,
            admission_expires_at: None,
            waitlist_open: inventory.is_some_and(|i| i.free == 0 && i.held > 0),
            as_of: rfc3339(
                match self.0.last_step.load(std::sync::atomic::Ordering::Relaxed) {
                    0 => now,
                    step => step,
                },
            ),
        };
        match spot {
            Spot::Waiting { position } if sold_out => {
                entry.position = position;
                entry.state = QueueState::SoldOut;
            }
            Spot::Waiting { position } => {
                entry.position = position;
                entry.state = QueueState::Waiting;
                let opening = (settings.on_sale_at - now).max(0) as f64 / 1000.0;
                match rate {
                    Some(rate) => {
                        entry.eta_seconds = Some((opening + position as f64 / rate).ceil() as u64);
                        entry.eta_basis = "observed";
                    }
                    None if opening > 0.0 => {
                        entry.eta_seconds = Some(opening.ceil() as u64);
                        entry.eta_basis = "opening";
                    }
                    None => {}
                }
            }
            Spot::Admitted { until } => {
                entry.state = QueueState::Admitted;
                entry.eta_seconds = Some(0);
                entry.eta_basis = "observed";
                entry.admission = Some(self.0.signer.admission(Admission { show, user, until }));
                entry.admission_expires_at = Some(rfc3339(until));
            }
            Spot::Expired | Spot::Missing => {}
        }
        entry
    }

    /// Whether `user` may hold seats of `show` now: always, unless its room is on (by the
    /// organiser or by a surge); then only with a valid admission. When the shared queue is
    /// unreachable, a surge cannot be counted and only organiser rooms are enforced.
    pub async fn gate(
        &self,
        show: ShowId,
        user: UserId,
        admission: Option<&str>,
    ) -> Result<(), RoomError> {
        let settings = match self.show(show).await {
            Ok(settings) => settings,
            // The hold itself reports a missing show.
            Err(StoreError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let now = self.0.clock.now_ms();
        let verify = || self.0.signer.verify_admission(admission, show, user, now);
        if settings.waiting_room {
            verify()?;
            return Ok(());
        }
        if self.0.config.surge_rate == 0 || verify().is_ok() {
            return Ok(());
        }
        match self
            .0
            .queue
            .arrival(show.get(), user.get(), self.0.config.surge_rate, now)
            .await
        {
            Ok(Arrival::Shop) => Ok(()),
            Ok(Arrival::Queue) => Err(verify().err().unwrap_or(AdmissionError::Missing).into()),
            Err(e) => {
                tracing::warn!(error = %e, "waiting room: cannot count arrivals");
                Ok(())
            }
        }
    }

    /// How many wait in a show's line, and how many admissions are in force.
    pub async fn stats(&self, show: ShowId) -> Result<queue::RoomStats, RoomError> {
        Ok(self
            .0
            .queue
            .stats(show.get(), self.0.clock.now_ms())
            .await?)
    }

    /// `user` booked seats of `show`: their admission stops counting against the cap.
    pub async fn finished(&self, show: ShowId, user: UserId) {
        if let Err(e) = self.0.queue.finish(show.get(), user.get()).await {
            tracing::warn!(error = %e, "waiting room: could not record a finished buyer");
        }
    }

    /// One pacing step for one show.
    async fn pace(&self, show: ShowId) -> Result<(), RoomError> {
        let settings = self.show(show).await?;
        let now = self.0.clock.now_ms();
        if !settings.scheduled || now >= settings.starts_at || now < settings.on_sale_at {
            return Ok(());
        }
        let inventory = self.0.store.room_inventory(show, now).await?;
        let cap = admission_cap(&inventory, &settings, self.0.config.seats_per_buyer);
        let step = Admit {
            cap,
            window_ms: settings.window_ms,
            stale_before: now - STALE_MS,
        };
        let done = self.0.queue.admit(show.get(), step, now).await?;
        if !done.users.is_empty() {
            metrics::counter!("queue_admissions_total").increment(done.users.len() as u64);
            let mut wakers = self.0.wakers.lock().unwrap_or_else(|e| e.into_inner());
            for user in &done.users {
                if let Some(waker) = wakers.remove(&(show, UserId::new(*user))) {
                    if let Some(notify) = waker.upgrade() {
                        notify.notify_one();
                    }
                }
            }
        }
        let mut paces = self.0.paces.lock().unwrap_or_else(|e| e.into_inner());
        let pace = paces.entry(show).or_default();
        if pace.samples.is_empty() {
            // What the total was before this step, so its admissions count towards the rate.
            let before = done.stats.admitted_total - done.users.len() as u64;
            pace.samples.push_back((now - 1, before));
        }
        pace.inventory = inventory;
        pace.samples.push_back((now, done.stats.admitted_total));
        while pace
            .samples
            .front()
            .is_some_and(|(at, _)| *at < now - RATE_WINDOW_MS)
        {
            pace.samples.pop_front();
        }
        Ok(())
    }

    /// Paces every room every tick until `stop`.
    pub async fn run(self, mut stop: Stop) {
        let mut tick = tokio::time::interval(self.0.config.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut warned = false;
        let mut pruned = std::time::Instant::now();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = shutdown::stopped(&mut stop) => return,
            }
            let shows = match self.0.queue.shows().await {
                Ok(shows) => shows,
                Err(e) => {
                    if !warned {
                        tracing::warn!(error = %e, "waiting room paused");
                        warned = true;
                    }
                    continue;
                }
            };
            warned = false;
            let started = self.0.clock.now_ms();
            for show in shows {
                if let Err(e) = self.pace(ShowId::new(show)).await {
                    tracing::warn!(show, error = %e, "waiting room: pacing step failed");
                }
            }
            self.0
                .last_step
                .store(started, std::sync::atomic::Ordering::Relaxed);
            if pruned.elapsed() >= Duration::from_secs(10) {
                let mut wakers = self.0.wakers.lock().unwrap_or_else(|e| e.into_inner());
                wakers.retain(|_, waker| waker.strong_count() > 0);
                pruned = std::time::Instant::now();
            }
        }
    }
}

/// How many admissions may be in force for a show with this inventory (see the module docs).
pub fn admission_cap(inventory: &RoomInventory, settings: &RoomShow, default_q: i64) -> u64 {
    if inventory.free == 0 {
        // Nobody new can find a seat; those holding seats keep their admissions.
        return inventory.holds.max(0) as u64;
    }
    let q = if inventory.holds > 0 {
        (inventory.held + inventory.holds - 1) / inventory.holds
    } else {
        default_q
    }
    .max(1);
    let cap = inventory.holds + (inventory.free + q - 1) / q;
    let cap = settings.max_active.map_or(cap, |max| cap.min(max));
    cap.max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(max_active: Option<i64>) -> RoomShow {
        RoomShow {
            show_id: ShowId::new(1),
            waiting_room: true,
            on_sale_at: 0,
            starts_at: i64::MAX,
            scheduled: true,
            max_active,
            window_ms: 600_000,
        }
    }

    fn inventory(free: i64, held: i64, holds: i64) -> RoomInventory {
        RoomInventory { free, held, holds }
    }

    #[test]
    fn the_cap_follows_the_free_seats_and_the_size_of_orders() {
        // Nothing held yet: one buyer per two free seats.
        assert_eq!(admission_cap(&inventory(100, 0, 0), &show(None), 2), 50);
        // 20 holds of 4 seats: the holders plus one buyer per 4 free seats.
        assert_eq!(admission_cap(&inventory(20, 80, 20), &show(None), 2), 25);
        // The organiser's maximum wins when lower.
        assert_eq!(admission_cap(&inventory(100, 0, 0), &show(Some(10)), 2), 10);
        // Nothing free: only those holding seats stay admitted, nobody new.
        assert_eq!(admission_cap(&inventory(0, 30, 10), &show(None), 2), 10);
        assert_eq!(admission_cap(&inventory(0, 0, 0), &show(None), 2), 0);
    }
}
