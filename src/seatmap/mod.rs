//! The live seat map: one follower of the change feed per instance turns committed seat changes
//! into events and fans them out, in memory, to every subscriber of the show (the Server-Sent
//! Events of `GET /api/v1/shows/{id}/seats/stream`). No subscriber ever queries the database for
//! changes; each instance follows the shared feed itself, so every instance sees every change.
//!
//! Every event carries its change-feed position. A show's channel keeps its most recent events,
//! so a client that reconnects with the last position it saw gets exactly the events it missed:
//! subscribing and copying the backlog happen under the same lock as publishing, so nothing
//! falls between the two and nothing comes twice. When the position is older than the backlog
//! (or from before this instance started following), the client gets a fresh snapshot instead.
//!
//! Each subscriber has a bounded queue (a `broadcast` channel). One that falls too far behind is
//! told so and closed rather than allowed to grow memory; it reconnects with its last position.

use crate::domain::catalog::SeatStatus;
use crate::domain::{SeatId, ShowId};
use crate::feed::Follower;
use crate::shutdown::{self, Stop};
use crate::store::{Change, DynStore, StoreResult};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// How often the follower asks the feed for new changes.
const POLL_EVERY: Duration = Duration::from_millis(200);
/// How long a channel nobody listens to is kept, so reconnecting clients can resume.
const KEEP_IDLE: Duration = Duration::from_secs(300);

/// A seat's new status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeatState {
    pub seat_id: SeatId,
    pub status: SeatStatus,
}

/// What one change did to a show's seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeatChange {
    /// These seats now have these statuses.
    Seats(Vec<SeatState>),
    /// Every seat may have changed (the show was cancelled): take a fresh snapshot.
    Reset,
}

/// A change with its change-feed position.
#[derive(Debug, Clone)]
pub struct SeatEvent {
    pub seq: i64,
    pub change: SeatChange,
    /// The event as Server-Sent Events bytes, rendered once for every subscriber.
    frame: std::sync::OnceLock<bytes::Bytes>,
}

impl PartialEq for SeatEvent {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq && self.change == other.change
    }
}

impl Eq for SeatEvent {}

impl SeatEvent {
    pub fn new(seq: i64, change: SeatChange) -> Self {
        Self {
            seq,
            change,
            frame: std::sync::OnceLock::new(),
        }
    }

    /// The `seat` event: `{seat_id, status}` for one seat, a list of those for several
    /// (rendered once, then shared by every subscriber).
    pub fn frame(&self) -> bytes::Bytes {
        self.frame
            .get_or_init(|| {
                let data = match &self.change {
                    SeatChange::Seats(seats) if seats.len() == 1 => {
                        serde_json::json!(seats[0]).to_string()
                    }
                    SeatChange::Seats(seats) => serde_json::json!(seats).to_string(),
                    SeatChange::Reset => "[]".to_owned(),
                };
                sse_frame("seat", self.seq, &data)
            })
            .clone()
    }
}

/// One Server-Sent Event. `data` is compact JSON, so it holds no line break.
pub fn sse_frame(event: &str, id: i64, data: &str) -> bytes::Bytes {
    bytes::Bytes::from(format!("event: {event}\nid: {id}\ndata: {data}\n\n"))
}

/// The `snapshot` event at `position`: every seat's status.
pub fn snapshot_frame(show: ShowId, position: i64, seats: &[SeatState]) -> bytes::Bytes {
    sse_frame("snapshot", position, &snapshot_data(show, seats))
}

/// The `snapshot` event's data: every seat's status.
pub fn snapshot_data(show: ShowId, seats: &[SeatState]) -> String {
    serde_json::json!({ "show_id": show, "seats": seats }).to_string()
}

/// How a new subscription starts.
#[derive(Debug)]
pub enum Start {
    /// The events after the position the client gave, in order; live events follow.
    Resume(Vec<Arc<SeatEvent>>),
    /// The client needs a snapshot as of `position`; live events after it follow. `seats` is
    /// that snapshot's event when this instance keeps the show's seats in memory; otherwise
    /// the caller reads them from the store and hands them over with [`SeatHub::install`].
    Snapshot {
        position: i64,
        seats: Option<bytes::Bytes>,
    },
}

/// Why there is no subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// The follower has not yet taken its starting position (the first moments after start).
    Starting,
    /// The instance is shutting down.
    Closed,
}

#[derive(Debug)]
pub struct Subscription {
    pub start: Start,
    pub events: broadcast::Receiver<Arc<SeatEvent>>,
}

/// The fan-out of seat changes to subscribers, per show. Cheap to clone.
#[derive(Clone)]
pub struct SeatHub(Arc<Hub>);

struct Hub {
    state: Mutex<HubState>,
    /// Events a subscriber may fall behind by before it is closed.
    queue: usize,
    /// Events kept per show for resuming.
    backlog: usize,
}

#[derive(Default)]
struct HubState {
    /// The feed position up to which every change has been published.
    position: i64,
    /// Whether the follower has taken its starting position.
    following: bool,
    closed: bool,
    shows: HashMap<i64, Channel>,
}

struct Channel {
    tx: broadcast::Sender<Arc<SeatEvent>>,
    recent: VecDeque<Arc<SeatEvent>>,
    /// Every event of this show after this position is in `recent`.
    complete_after: i64,
    idle_since: Option<Instant>,
    /// Every seat's status, kept current by [`SeatHub::publish`] once loaded, so snapshots for
    /// a crowd of new subscribers come from memory, rendered once per position.
    seats: Option<SeatTable>,
}

struct SeatTable {
    statuses: Vec<SeatState>,
    index: HashMap<SeatId, usize>,
    rendered: Option<(i64, bytes::Bytes)>,
}

impl SeatTable {
    fn new(statuses: Vec<SeatState>) -> Self {
        let index = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| (s.seat_id, i))
            .collect();
        Self {
            statuses,
            index,
            rendered: None,
        }
    }

    fn apply(&mut self, seats: &[SeatState]) {
        for seat in seats {
            if let Some(&i) = self.index.get(&seat.seat_id) {
                self.statuses[i].status = seat.status;
            }
        }
        self.rendered = None;
    }

    fn render(&mut self, show: ShowId, position: i64) -> bytes::Bytes {
        match &self.rendered {
            Some((at, frame)) if *at == position => frame.clone(),
            _ => {
                let frame = snapshot_frame(show, position, &self.statuses);
                self.rendered = Some((position, frame.clone()));
                frame
            }
        }
    }
}

impl SeatHub {
    /// A hub whose subscribers may fall `queue` events behind, keeping `backlog` events per
    /// show for clients that reconnect.
    pub fn new(queue: usize, backlog: usize) -> Self {
        Self(Arc::new(Hub {
            state: Mutex::new(HubState::default()),
            queue: queue.max(1),
            backlog,
        }))
    }

    fn state(&self) -> MutexGuard<'_, HubState> {
        // A panic while holding the lock leaves plain data behind; carry on with it.
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Subscribes to a show's changes. With `last_seen`, the client's last position, the
    /// subscription resumes after it when this instance still has every later event of the
    /// show.
    pub fn subscribe(
        &self,
        show: ShowId,
        last_seen: Option<i64>,
    ) -> Result<Subscription, Unavailable> {
        let mut state = self.state();
        if state.closed {
            return Err(Unavailable::Closed);
        }
        if !state.following {
            // A snapshot now could predate the position the follower is about to take.
            return Err(Unavailable::Starting);
        }
        let position = state.position;
        let channel = state
            .shows
            .entry(show.get())
            .or_insert_with(|| Channel::new(self.0.queue, position));
        channel.idle_since = None;
        let events = channel.tx.subscribe();
        let start = match last_seen {
            Some(seen) if seen >= channel.complete_after && seen <= position => {
                let missed: Vec<_> = channel
                    .recent
                    .iter()
                    .filter(|e| e.seq > seen)
                    .cloned()
                    .collect();
                // A reset among them means every seat may have changed: start over.
                if missed.iter().any(|e| e.change == SeatChange::Reset) {
                    Start::Snapshot {
                        position,
                        seats: channel.seats.as_mut().map(|t| t.render(show, position)),
                    }
                } else {
                    Start::Resume(missed)
                }
            }
            _ => Start::Snapshot {
                position,
                seats: channel.seats.as_mut().map(|t| t.render(show, position)),
            },
        };
        Ok(Subscription { start, events })
    }

    /// Hands over a show's seats as read from the store after position `read_after` (so they
    /// hold at least every change up to it). The hub replays the later changes it published
    /// meanwhile and from then on keeps the table current; later snapshots come from memory.
    /// Statuses are absolute, so replaying a change the read already saw is harmless.
    pub fn install(&self, show: ShowId, read_after: i64, seats: Vec<SeatState>) {
        let mut state = self.state();
        let Some(channel) = state.shows.get_mut(&show.get()) else {
            return;
        };
        if channel.seats.is_some() || channel.complete_after > read_after {
            // Loaded already, or the backlog no longer covers the read: the next one tries.
            return;
        }
        let mut table = SeatTable::new(seats);
        for event in channel.recent.iter().filter(|e| e.seq > read_after) {
            match &event.change {
                SeatChange::Seats(changed) => table.apply(changed),
                SeatChange::Reset => return,
            }
        }
        channel.seats = Some(table);
    }

    /// Where the follower starts: changes up to `position` are already in the database (the
    /// feed's end when the instance starts). Subscriptions are refused until this is known.
    pub fn start_at(&self, position: i64) {
        let mut state = self.state();
        state.position = position;
        state.following = true;
        for channel in state.shows.values_mut() {
            channel.recent.clear();
            channel.complete_after = position;
            channel.seats = None;
        }
    }

    /// Publishes the changes of one batch of the feed, in order, and moves the position past
    /// `up_to` (the batch may hold changes that touch no seat).
    ///
    /// A show's consecutive seat changes within one batch go out as one event, at the position
    /// of the last of them: a subscriber that saw it has every change of the show up to there.
    /// So what a crowd of subscribers costs follows how often the feed is read, not how fast
    /// seats change.
    fn publish(&self, events: Vec<(ShowId, SeatEvent)>, up_to: i64) {
        let mut merged: Vec<(ShowId, SeatEvent)> = Vec::with_capacity(events.len());
        let mut last_of_show: HashMap<ShowId, usize> = HashMap::new();
        for (show, event) in events {
            if let Some(&i) = last_of_show.get(&show) {
                if let (SeatChange::Seats(pending), SeatChange::Seats(more)) =
                    (&mut merged[i].1.change, &event.change)
                {
                    pending.extend(more.iter().cloned());
                    merged[i].1.seq = event.seq;
                    continue;
                }
            }
            last_of_show.insert(show, merged.len());
            merged.push((show, event));
        }
        let mut state = self.state();
        for (show, event) in merged {
            let Some(channel) = state.shows.get_mut(&show.get()) else {
                continue; // nobody follows this show on this instance
            };
            match (&event.change, channel.seats.as_mut()) {
                (SeatChange::Seats(changed), Some(table)) => table.apply(changed),
                // Every seat may have changed: the next subscriber reads them again.
                (SeatChange::Reset, _) => channel.seats = None,
                (SeatChange::Seats(_), None) => {}
            }
            let event = Arc::new(event);
            channel.recent.push_back(event.clone());
            while channel.recent.len() > self.0.backlog {
                if let Some(dropped) = channel.recent.pop_front() {
                    channel.complete_after = dropped.seq;
                }
            }
            // No receiver is not an error: the channel stays for clients that come back.
            let _ = channel.tx.send(event);
        }
        state.position = state.position.max(up_to);
    }

    /// Whether this instance already follows `show` for someone (so the show exists).
    pub fn follows(&self, show: ShowId) -> bool {
        self.state().shows.contains_key(&show.get())
    }

    /// Forgets channels nobody has listened to for `idle`.
    fn prune(&self, idle: Duration) {
        let now = Instant::now();
        self.state().shows.retain(|_, channel| {
            if channel.tx.receiver_count() > 0 {
                channel.idle_since = None;
                return true;
            }
            let since = *channel.idle_since.get_or_insert(now);
            now.duration_since(since) < idle
        });
    }

    /// Ends every subscription (shutdown): their streams finish and new ones are refused.
    pub fn close(&self) {
        let mut state = self.state();
        state.closed = true;
        state.shows.clear();
    }

    /// The position up to which changes have been published.
    pub fn position(&self) -> i64 {
        self.state().position
    }
}

impl Channel {
    fn new(queue: usize, position: i64) -> Self {
        Self {
            tx: broadcast::channel(queue).0,
            recent: VecDeque::new(),
            complete_after: position,
            idle_since: None,
            seats: None,
        }
    }
}

/// What a change-feed row means for a show's seats, if anything.
pub fn seat_change(change: &Change) -> Option<(ShowId, SeatChange)> {
    let show = ShowId::new(change.show_id?);
    let payload: serde_json::Value = serde_json::from_str(&change.payload).ok()?;
    match change.topic.as_str() {
        "hold" | "booking" => {
            let status = SeatStatus::parse(payload.get("status")?.as_str()?)?;
            let seats = payload
                .get("seat_ids")?
                .as_array()?
                .iter()
                .filter_map(|id| id.as_str()?.parse().ok())
                .map(|id| SeatState {
                    seat_id: SeatId::new(id),
                    status,
                })
                .collect::<Vec<_>>();
            (!seats.is_empty()).then_some((show, SeatChange::Seats(seats)))
        }
        "show" if payload.get("kind")?.as_str()? == "cancelled" => Some((show, SeatChange::Reset)),
        _ => None,
    }
}

/// Follows the change feed from the position the hub was started at (see
/// [`SeatHub::start_at`]) and publishes seat changes to `hub` until `stop`; then closes the
/// hub, which ends every stream. It reads the feed every [`POLL_EVERY`] when idle, and at once
/// when a write of this process commits.
pub async fn run(store: DynStore, hub: SeatHub, mut stop: Stop) {
    // Writes of this instance wake the follower at once; other instances' by the poll.
    let mut written = store.written();
    let mut follower = Follower::new(store, hub.position());
    let mut pruned = Instant::now();
    loop {
        let step = tokio::select! {
            step = follow(&mut follower, &hub) => step,
            () = shutdown::stopped(&mut stop) => break,
        };
        let wait = match step {
            Ok(true) => Duration::ZERO,
            Ok(false) => POLL_EVERY,
            Err(e) => {
                tracing::warn!(error = %e, "seat map: reading the feed failed; retrying");
                Duration::from_secs(1)
            }
        };
        if pruned.elapsed() >= KEEP_IDLE / 10 {
            hub.prune(KEEP_IDLE);
            pruned = Instant::now();
        }
        if wait == POLL_EVERY {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                Ok(()) = written.changed() => {}
                () = shutdown::stopped(&mut stop) => break,
            }
        } else {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = shutdown::stopped(&mut stop) => break,
            }
        }
    }
    hub.close();
}

/// One step of the follower; whether there may be more changes right away.
async fn follow(follower: &mut Follower, hub: &SeatHub) -> StoreResult<bool> {
    const BATCH: i64 = 1_000;
    let changes = follower.next(BATCH).await?;
    let Some(last) = changes.last().map(|c| c.seq) else {
        return Ok(false);
    };
    let events = changes
        .iter()
        .filter_map(|change| {
            let (show, seats) = seat_change(change)?;
            Some((show, SeatEvent::new(change.seq, seats)))
        })
        .collect();
    hub.publish(events, last);
    follower.advance(last);
    Ok(changes.len() as i64 == BATCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seats(seq: i64, ids: &[i64], status: SeatStatus) -> SeatEvent {
        let seats = ids
            .iter()
            .map(|id| SeatState {
                seat_id: SeatId::new(*id),
                status,
            })
            .collect();
        SeatEvent::new(seq, SeatChange::Seats(seats))
    }

    #[test]
    fn nobody_subscribes_before_the_follower_has_its_position() {
        let hub = SeatHub::new(4, 4);
        assert_eq!(hub.subscribe(SHOW, None).err(), Some(Unavailable::Starting));
    }

    fn started(queue: usize, backlog: usize) -> SeatHub {
        let hub = SeatHub::new(queue, backlog);
        hub.start_at(10);
        hub
    }

    const SHOW: ShowId = ShowId::new(7);

    #[test]
    fn a_reconnect_gets_exactly_the_missed_events() {
        let hub = started(16, 16);
        let first = hub.subscribe(SHOW, None).expect("open");
        assert!(matches!(first.start, Start::Snapshot { position: 10, .. }));
        hub.publish(vec![(SHOW, seats(11, &[1], SeatStatus::Held))], 11);
        hub.publish(
            vec![(ShowId::new(8), seats(12, &[9], SeatStatus::Held))],
            12,
        );
        hub.publish(vec![(SHOW, seats(13, &[1], SeatStatus::Available))], 14);
        drop(first);
        let again = hub.subscribe(SHOW, Some(11)).expect("open");
        let Start::Resume(missed) = again.start else {
            panic!("expected a resume, got {:?}", again.start);
        };
        assert_eq!(missed.len(), 1);
        assert_eq!(*missed[0], seats(13, &[1], SeatStatus::Available));
        let current = hub.subscribe(SHOW, Some(14)).expect("open");
        assert!(matches!(current.start, Start::Resume(ref m) if m.is_empty()));
    }

    #[test]
    fn snapshots_come_from_memory_once_the_seats_are_installed() {
        let hub = started(16, 16);
        let first = hub.subscribe(SHOW, None).expect("open");
        assert!(matches!(
            first.start,
            Start::Snapshot {
                position: 10,
                seats: None
            }
        ));
        // A change is published while the store is read; the read may or may not hold it.
        hub.publish(vec![(SHOW, seats(11, &[1], SeatStatus::Held))], 11);
        let read = vec![
            SeatState {
                seat_id: SeatId::new(1),
                status: SeatStatus::Available,
            },
            SeatState {
                seat_id: SeatId::new(2),
                status: SeatStatus::Available,
            },
        ];
        hub.install(SHOW, 10, read);
        hub.publish(vec![(SHOW, seats(12, &[2], SeatStatus::Sold))], 12);
        let Start::Snapshot {
            position: 12,
            seats: Some(data),
        } = hub.subscribe(SHOW, None).expect("open").start
        else {
            panic!("a snapshot from memory");
        };
        let text = std::str::from_utf8(&data).expect("utf-8");
        assert!(
            text.starts_with("event: snapshot\nid: 12\ndata: "),
            "{text}"
        );
        let json = text
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .expect("data");
        let data: serde_json::Value = serde_json::from_str(json).expect("json");
        assert_eq!(
            data["seats"][0]["status"], "held",
            "the change during the read is replayed"
        );
        assert_eq!(data["seats"][1]["status"], "sold");
        // A reset drops the table: the next subscriber reads the store again.
        hub.publish(vec![(SHOW, SeatEvent::new(13, SeatChange::Reset))], 13);
        assert!(matches!(
            hub.subscribe(SHOW, None).expect("open").start,
            Start::Snapshot { seats: None, .. }
        ));
    }

    #[test]
    fn a_batch_sends_one_event_per_show_until_a_reset() {
        let hub = started(16, 16);
        let mut sub = hub.subscribe(SHOW, None).expect("open");
        let other = ShowId::new(8);
        hub.publish(
            vec![
                (SHOW, seats(11, &[1], SeatStatus::Held)),
                (other, seats(12, &[9], SeatStatus::Held)),
                (SHOW, seats(13, &[2, 3], SeatStatus::Sold)),
                (SHOW, SeatEvent::new(14, SeatChange::Reset)),
                (SHOW, seats(15, &[4], SeatStatus::Held)),
            ],
            15,
        );
        let merged = sub.events.try_recv().expect("merged");
        assert_eq!(merged.seq, 13);
        let SeatChange::Seats(states) = &merged.change else {
            panic!("expected seats, got {merged:?}");
        };
        let ids: Vec<i64> = states.iter().map(|s| s.seat_id.get()).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(
            sub.events.try_recv().expect("reset").change,
            SeatChange::Reset
        );
        assert_eq!(sub.events.try_recv().expect("after").seq, 15);
        assert!(sub.events.try_recv().is_err());
        // Resuming from the merged event's position misses nothing.
        let Start::Snapshot { .. } = hub.subscribe(SHOW, Some(13)).expect("open").start else {
            panic!("a reset since 13 means a snapshot");
        };
    }

    #[test]
    fn a_reset_among_the_missed_events_starts_over_with_a_snapshot() {
        let hub = started(16, 16);
        let _open = hub.subscribe(SHOW, None).expect("open");
        hub.publish(vec![(SHOW, seats(11, &[1], SeatStatus::Held))], 11);
        let reset = SeatEvent::new(12, SeatChange::Reset);
        hub.publish(vec![(SHOW, reset)], 12);
        assert!(matches!(
            hub.subscribe(SHOW, Some(11)).map(|s| s.start),
            Ok(Start::Snapshot { position: 12, .. })
        ));
        assert!(matches!(
            hub.subscribe(SHOW, Some(12)).map(|s| s.start),
            Ok(Start::Resume(ref m)) if m.is_empty()
        ));
    }

    #[test]
    fn a_position_older_than_the_backlog_or_from_the_future_gets_a_snapshot() {
        let hub = started(16, 2);
        let _open = hub.subscribe(SHOW, None).expect("open");
        for seq in 11..=15 {
            hub.publish(vec![(SHOW, seats(seq, &[seq], SeatStatus::Held))], seq);
        }
        // Kept: 14 and 15, so only positions from 13 on can resume.
        assert!(matches!(
            hub.subscribe(SHOW, Some(12)).ok().map(|s| s.start),
            Some(Start::Snapshot { position: 15, .. })
        ));
        assert!(matches!(
            hub.subscribe(SHOW, Some(13)).ok().map(|s| s.start),
            Some(Start::Resume(ref m)) if m.len() == 2
        ));
        assert!(matches!(
            hub.subscribe(SHOW, Some(99)).ok().map(|s| s.start),
            Some(Start::Snapshot { .. })
        ));
        // Before this instance followed the show at all.
        assert!(matches!(
            hub.subscribe(ShowId::new(8), Some(12))
                .ok()
                .map(|s| s.start),
            Some(Start::Snapshot { position: 15, .. })
        ));
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_so() {
        let hub = started(2, 16);
        let mut slow = hub.subscribe(SHOW, None).expect("open").events;
        for seq in 11..=15 {
            hub.publish(vec![(SHOW, seats(seq, &[seq], SeatStatus::Held))], seq);
        }
        assert!(matches!(
            slow.recv().await,
            Err(broadcast::error::RecvError::Lagged(3))
        ));
    }

    #[tokio::test]
    async fn closing_ends_every_subscription_and_refuses_new_ones() {
        let hub = started(4, 4);
        let mut open = hub.subscribe(SHOW, None).expect("open").events;
        hub.close();
        assert!(matches!(
            open.recv().await,
            Err(broadcast::error::RecvError::Closed)
        ));
        assert_eq!(hub.subscribe(SHOW, None).err(), Some(Unavailable::Closed));
    }

    #[test]
    fn feed_rows_become_seat_changes() {
        let row = |topic: &str, payload: &str| Change {
            seq: 5,
            at: 0,
            topic: topic.into(),
            entity_id: 1,
            show_id: Some(7),
            payload: payload.into(),
        };
        let held = row(
            "hold",
            r#"{"kind":"created","status":"held","seat_ids":["3","4"]}"#,
        );
        assert_eq!(
            seat_change(&held),
            Some((
                SHOW,
                SeatChange::Seats(vec![
                    SeatState {
                        seat_id: SeatId::new(3),
                        status: SeatStatus::Held
                    },
                    SeatState {
                        seat_id: SeatId::new(4),
                        status: SeatStatus::Held
                    },
                ])
            ))
        );
        let cancelled = row("show", r#"{"kind":"cancelled","event_id":"2"}"#);
        assert_eq!(seat_change(&cancelled), Some((SHOW, SeatChange::Reset)));
        assert_eq!(
            seat_change(&row("booking", r#"{"kind":"payment_failed"}"#)),
            None
        );
        assert_eq!(seat_change(&row("show", r#"{"kind":"created"}"#)), None);
    }
}
