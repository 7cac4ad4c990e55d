//! The books of one show as the database holds them (plain SQL, one consistent snapshot), and
//! the rules they must obey whatever happened before: a storm of buyers, a `kill -9`.

use boxoffice::config::Config;
use boxoffice::domain::booking::HOLD_GRACE_MS;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub status: String,
    pub hold_id: Option<i64>,
    pub hold_expires_at: Option<i64>,
    pub booking_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRow {
    pub status: String,
    pub seat_count: i64,
    pub expires_at: i64,
    pub seats: BTreeSet<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRow {
    pub hold_id: i64,
    pub status: String,
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// By seat id.
    pub tickets: BTreeMap<i64, Ticket>,
    pub holds: BTreeMap<i64, HoldRow>,
    pub bookings: BTreeMap<i64, BookingRow>,
}

type TicketTuple = (i64, String, Option<i64>, Option<i64>, Option<i64>);
type HoldTuple = (i64, String, i64, i64);
type BookingTuple = (i64, i64, String);
type Rows = (
    Vec<TicketTuple>,
    Vec<HoldTuple>,
    Vec<(i64, i64)>,
    Vec<BookingTuple>,
);

const TICKETS: &str =
    "SELECT seat_id, status, hold_id, hold_expires_at, booking_id FROM tickets WHERE show_id = $1";
const HOLDS: &str = "SELECT id, status, seat_count, expires_at FROM holds WHERE show_id = $1";
const HOLD_SEATS: &str = "SELECT hs.hold_id, hs.seat_id FROM hold_seats hs \
     JOIN holds h ON h.id = hs.hold_id WHERE h.show_id = $1";
const BOOKINGS: &str = "SELECT id, hold_id, status FROM bookings WHERE show_id = $1";

/// Reads the show's tickets, holds and bookings in one read transaction.
pub async fn snapshot(config: &Config, show: i64) -> Snapshot {
    let (tickets, holds, hold_seats, bookings): Rows = match config.database_url.as_deref() {
        Some(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
            let mut tx = conn.begin().await.unwrap();
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await
                .unwrap();
            let t = sqlx::query_as(TICKETS).bind(show).fetch_all(&mut *tx);
            let t = t.await.unwrap();
            let h = sqlx::query_as(HOLDS).bind(show).fetch_all(&mut *tx);
            let h = h.await.unwrap();
            let s = sqlx::query_as(HOLD_SEATS).bind(show).fetch_all(&mut *tx);
            let s = s.await.unwrap();
            let b = sqlx::query_as(BOOKINGS).bind(show).fetch_all(&mut *tx);
            let b = b.await.unwrap();
            tx.commit().await.unwrap();
            (t, h, s, b)
        }
        None => {
            use sqlx::Connection;
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(config.data_dir.join("boxoffice.db"))
                .read_only(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .expect("open");
            let mut tx = conn.begin().await.unwrap();
            let t = sqlx::query_as(TICKETS).bind(show).fetch_all(&mut *tx);
            let t = t.await.unwrap();
            let h = sqlx::query_as(HOLDS).bind(show).fetch_all(&mut *tx);
            let h = h.await.unwrap();
            let s = sqlx::query_as(HOLD_SEATS).bind(show).fetch_all(&mut *tx);
            let s = s.await.unwrap();
            let b = sqlx::query_as(BOOKINGS).bind(show).fetch_all(&mut *tx);
            let b = b.await.unwrap();
            tx.commit().await.unwrap();
            (t, h, s, b)
        }
    };
    let mut snap = Snapshot::default();
    for (seat, status, hold_id, hold_expires_at, booking_id) in tickets {
        snap.tickets.insert(
            seat,
            Ticket {
                status,
                hold_id,
                hold_expires_at,
                booking_id,
            },
        );
    }
    for (id, status, seat_count, expires_at) in holds {
        snap.holds.insert(
            id,
            HoldRow {
                status,
                seat_count,
                expires_at,
                seats: BTreeSet::new(),
            },
        );
    }
    for (hold, seat) in hold_seats {
        snap.holds
            .get_mut(&hold)
            .expect("hold of hold_seats")
            .seats
            .insert(seat);
    }
    for (id, hold_id, status) in bookings {
        snap.bookings.insert(id, BookingRow { hold_id, status });
    }
    snap
}

impl Snapshot {
    /// Seat ids sold to `booking`.
    pub fn sold_to(&self, booking: i64) -> BTreeSet<i64> {
        self.tickets
            .iter()
            .filter(|(_, t)| t.status == "sold" && t.booking_id == Some(booking))
            .map(|(s, _)| *s)
            .collect()
    }

    pub fn count(&self, status: &str) -> usize {
        self.tickets.values().filter(|t| t.status == status).count()
    }

    /// Every way the books can be half-done or contradictory, as readable lines (empty: none).
    /// `now` decides which holds still live.
    pub fn violations(&self, now: i64) -> Vec<String> {
        let mut bad = Vec::new();
        let booking_of_hold: BTreeMap<i64, (i64, &BookingRow)> = self
            .bookings
            .iter()
            .map(|(id, b)| (b.hold_id, (*id, b)))
            .collect();
        for (id, h) in &self.holds {
            if h.seats.len() as i64 != h.seat_count {
                bad.push(format!(
                    "hold {id} lists {} seats, expected {}",
                    h.seats.len(),
                    h.seat_count
                ));
            }
            let booking = booking_of_hold.get(id);
            if (h.status == "booked") != booking.is_some() {
                bad.push(format!(
                    "hold {id} is {} with booking {booking:?}",
                    h.status
                ));
            }
            let live = h.expires_at + HOLD_GRACE_MS > now;
            let owns_seats = match (h.status.as_str(), booking) {
                ("active", None) => live,
                ("booked", Some((_, b))) => {
                    live && matches!(b.status.as_str(), "pending_payment" | "payment_failed")
                }
                _ => false,
            };
            if owns_seats {
                for seat in &h.seats {
                    let t = self.tickets.get(seat);
                    let want = Some(h.expires_at + HOLD_GRACE_MS);
                    if !t.is_some_and(|t| {
                        t.status == "held" && t.hold_id == Some(*id) && t.hold_expires_at == want
                    }) {
                        bad.push(format!("live hold {id} lost seat {seat}: {t:?}"));
                    }
                }
            }
        }
        let mut confirmed_seats: BTreeMap<i64, i64> = BTreeMap::new();
        for (id, b) in &self.bookings {
            if !self.holds.contains_key(&b.hold_id) {
                bad.push(format!("booking {id} has no hold {}", b.hold_id));
                continue;
            }
            if b.status != "confirmed" {
                continue;
            }
            for seat in &self.holds[&b.hold_id].seats {
                if let Some(other) = confirmed_seats.insert(*seat, *id) {
                    bad.push(format!(
                        "seat {seat} is in confirmed bookings {other} and {id}"
                    ));
                }
                let t = self.tickets.get(seat);
                if !t.is_some_and(|t| t.status == "sold" && t.booking_id == Some(*id)) {
                    bad.push(format!(
                        "confirmed booking {id} does not own seat {seat}: {t:?}"
                    ));
                }
            }
        }
        for (seat, t) in &self.tickets {
            match t.status.as_str() {
                "sold" => {
                    let owner = t.booking_id.and_then(|b| self.bookings.get(&b));
                    let ok = t.hold_id.is_none()
                        && owner.is_some_and(|b| {
                            b.status == "confirmed"
                                && self
                                    .holds
                                    .get(&b.hold_id)
                                    .is_some_and(|h| h.seats.contains(seat))
                        });
                    if !ok {
                        bad.push(format!(
                            "seat {seat} sold without a confirmed booking: {t:?}"
                        ));
                    }
                }
                "held" => {
                    let hold = t.hold_id.and_then(|h| self.holds.get(&h));
                    let listed = hold.is_some_and(|h| h.seats.contains(seat));
                    if !listed || t.booking_id.is_some() || t.hold_expires_at.is_none() {
                        bad.push(format!("seat {seat} held oddly: {t:?}"));
                    }
                    let live = t.hold_expires_at.is_some_and(|at| at > now);
                    let hold_id = t.hold_id.unwrap_or_default();
                    let open = match hold.map(|h| h.status.as_str()) {
                        Some("active") => true,
                        Some("booked") => booking_of_hold.get(&hold_id).is_some_and(|(_, b)| {
                            matches!(b.status.as_str(), "pending_payment" | "payment_failed")
                        }),
                        _ => false,
                    };
                    if live && !open {
                        bad.push(format!(
                            "seat {seat} held for a closed hold {hold_id}: {t:?}"
                        ));
                    }
                }
                "available" => {
                    if t.hold_id.is_some() || t.booking_id.is_some() {
                        bad.push(format!("seat {seat} available but claimed: {t:?}"));
                    }
                }
                other => bad.push(format!("seat {seat} has status {other}")),
            }
        }
        bad
    }
}
