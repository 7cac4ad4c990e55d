//! The waiting room's queue in this process: the embedded deployment's backend.
//!
//! After opening, arrivals only ever join at the back, so a show's line is an append-only list
//! of slots with a head that admission moves forward. A buyer's position is their distance
//! from the head, less those ahead who left (kept as a short sorted list of slots). The
//! pre-queue is kept apart until the show opens and then sorted by draw into the front of the
//! line, once.

use super::queue::*;
use crate::domain::UnixMs;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

/// How long before a surge a buyer counts as already shopping.
const SHOPPING_MS: i64 = 600_000;

#[derive(Default)]
pub struct MemoryQueue {
    rooms: Mutex<HashMap<i64, Room>>,
}

impl MemoryQueue {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, show: i64, f: impl FnOnce(&mut Room) -> T) -> T {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        f(rooms.entry(show).or_default())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Pre,
    Slot(usize),
    Admitted(UnixMs),
    Expired,
}

struct Entry {
    seen: UnixMs,
    at: At,
}

#[derive(Default)]
struct Room {
    /// Joined before opening: (draw, user), unordered.
    pre: Vec<(u64, i64)>,
    /// The line after opening, by slot.
    order: Vec<i64>,
    /// The first slot not yet reached by admission.
    head: usize,
    /// Slots at or past the head whose buyer left, ascending.
    gone: Vec<usize>,
    entries: HashMap<i64, Entry>,
    /// Admissions in force: user → until.
    active: HashMap<i64, UnixMs>,
    admitted_total: u64,
    // Arrival rate, for turning the room on by surge.
    second: i64,
    arrivals: u64,
    surge_from: UnixMs,
    surge_until: UnixMs,
    shoppers: HashMap<i64, UnixMs>,
}

impl Room {
    /// Puts the pre-queue, in draw order, at the front of the line (once the show is open).
    fn open(&mut self) {
        if self.pre.is_empty() {
            return;
        }
        let mut pre = std::mem::take(&mut self.pre);
        pre.sort_unstable();
        let mut order = Vec::with_capacity(pre.len() + self.order.len() - self.head);
        for (_, user) in &pre {
            order.push(*user);
        }
        // Those still in line (arrivals after opening, when a late draw comes in) follow the
        // drawn pre-queue.
        for (slot, user) in self.order.iter().enumerate().skip(self.head) {
            if self.entries.get(user).map(|e| e.at) == Some(At::Slot(slot)) {
                order.push(*user);
            }
        }
        self.gone.clear();
        for (slot, user) in order.iter().enumerate() {
            if let Some(e) = self.entries.get_mut(user) {
                e.at = At::Slot(slot);
            }
        }
        self.order = order;
        self.head = 0;
    }

    fn spot(&self, user: i64, now: UnixMs) -> Spot {
        let Some(entry) = self.entries.get(&user) else {
            return Spot::Missing;
        };
        match entry.at {
            At::Pre => Spot::Waiting {
                position: self.pre.len() as u64,
            },
            At::Slot(slot) => {
                let gone_ahead = self.gone.partition_point(|g| *g < slot);
                Spot::Waiting {
                    position: (slot - self.head - gone_ahead) as u64 + 1,
                }
            }
            At::Admitted(until) if until > now => Spot::Admitted { until },
            At::Admitted(_) | At::Expired => Spot::Expired,
        }
    }

    fn active(&self, now: UnixMs) -> u64 {
        self.active.values().filter(|until| **until > now).count() as u64
    }

    fn stats(&self, now: UnixMs) -> RoomStats {
        RoomStats {
            waiting: (self.pre.len() + self.order.len() - self.head - self.gone.len()) as u64,
            active: self.active(now),
            admitted_total: self.admitted_total,
        }
    }

    fn remove(&mut self, user: i64) {
        let Some(entry) = self.entries.remove(&user) else {
            return;
        };
        match entry.at {
            At::Pre => self.pre.retain(|(_, u)| *u != user),
            At::Slot(slot) => {
                let at = self.gone.partition_point(|g| *g < slot);
                self.gone.insert(at, slot);
            }
            At::Admitted(_) => {
                self.active.remove(&user);
            }
            At::Expired => {}
        }
    }
}

#[async_trait]
impl QueueBackend for MemoryQueue {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn join(&self, show: i64, user: i64, place: Place, now: UnixMs) -> QueueResult<Spot> {
        Ok(self.with(show, |room| {
            if let Some(entry) = room.entries.get_mut(&user) {
                entry.seen = now;
                match room.spot(user, now) {
                    Spot::Expired => room.remove(user),
                    spot => return spot,
                }
            }
            let at = match place {
                Place::Drawn(draw) => {
                    room.pre.push((draw, user));
                    At::Pre
                }
                Place::Arrival => {
                    room.open();
                    room.order.push(user);
                    At::Slot(room.order.len() - 1)
                }
            };
            room.entries.insert(user, Entry { seen: now, at });
            room.spot(user, now)
        }))
    }

    async fn spot(&self, show: i64, user: i64, now: UnixMs) -> QueueResult<Spot> {
        Ok(self.with(show, |room| {
            if let Some(entry) = room.entries.get_mut(&user) {
                entry.seen = now;
            }
            room.spot(user, now)
        }))
    }

    async fn leave(&self, show: i64, user: i64) -> QueueResult<()> {
        self.with(show, |room| room.remove(user));
        Ok(())
    }

    async fn admit(&self, show: i64, step: Admit, now: UnixMs) -> QueueResult<Admitted> {
        Ok(self.with(show, |room| {
            room.open();
            room.active.retain(|_, until| *until > now);
            let mut done = Admitted::default();
            while (room.active.len() as u64) < step.cap && room.head < room.order.len() {
                let slot = room.head;
                room.head += 1;
                if room.gone.first() == Some(&slot) {
                    room.gone.remove(0);
                    continue;
                }
                let user = room.order[slot];
                let Some(entry) = room.entries.get_mut(&user) else {
                    continue;
                };
                if entry.seen < step.stale_before {
                    entry.at = At::Expired;
                    done.skipped += 1;
                    continue;
                }
                let until = now + step.window_ms;
                entry.at = At::Admitted(until);
                room.active.insert(user, until);
                room.admitted_total += 1;
                done.users.push(user);
            }
            done.stats = room.stats(now);
            done
        }))
    }

    async fn finish(&self, show: i64, user: i64) -> QueueResult<()> {
        self.with(show, |room| room.active.remove(&user));
        Ok(())
    }

    async fn stats(&self, show: i64, now: UnixMs) -> QueueResult<RoomStats> {
        Ok(self.with(show, |room| room.stats(now)))
    }

    async fn shows(&self) -> QueueResult<Vec<i64>> {
        let rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        Ok(rooms
            .iter()
            .filter(|(_, room)| !room.entries.is_empty())
            .map(|(show, _)| *show)
            .collect())
    }

    async fn arrival(&self, show: i64, user: i64, limit: u64, now: UnixMs) -> QueueResult<Arrival> {
        Ok(self.with(show, |room| {
            let second = now.div_euclid(1000);
            if second != room.second {
                room.second = second;
                room.arrivals = 0;
                room.shoppers.retain(|_, at| *at > now - SHOPPING_MS);
            }
            room.arrivals += 1;
            if room.arrivals > limit {
                if now >= room.surge_until {
                    room.surge_from = now;
                }
                room.surge_until = now + SURGE_HOLD_MS;
            }
            if now < room.surge_until {
                let shopping = room
                    .shoppers
                    .get(&user)
                    .is_some_and(|at| *at < room.surge_from && *at > room.surge_from - SHOPPING_MS);
                return if shopping {
                    Arrival::Shop
                } else {
                    Arrival::Queue
                };
            }
            room.shoppers.insert(user, now);
            Arrival::Shop
        }))
    }

    async fn surging(&self, show: i64, now: UnixMs) -> QueueResult<bool> {
        Ok(self.with(show, |room| now < room.surge_until))
    }
}
