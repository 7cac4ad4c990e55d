//! PostgreSQL interleavings that a storm only hits by luck, forced deterministically: the test
//! holds a ticket's row lock, lets two store operations queue behind it (watching
//! `pg_stat_activity` until both wait), then lets go. The first in line runs first; the
//! second then works on a row that changed under its statement.
//!
//! SQLite has one writer, so these interleavings cannot happen there.

use crate::db::{charged, fresh_pg_database, postgres_or_skip};
use boxoffice::domain::booking::*;
use boxoffice::domain::catalog::*;
use boxoffice::domain::users::Role;
use boxoffice::domain::*;
use boxoffice::store::*;
use sqlx::{Connection, PgConnection};
use std::sync::Arc;

const TTL_SECONDS: i64 = 30;

struct Setup {
    url: String,
    store: DynStore,
    users: Vec<UserId>,
    event: EventId,
    show: ShowId,
    seat: SeatId,
    t0: i64,
}

/// A one-seat show on a fresh database, and three buyers.
async fn setup() -> Setup {
    let url = fresh_pg_database().await;
    let store: DynStore = Arc::new(PgStore::connect(&url).await.expect("connect"));
    store.migrate().await.expect("migrate");
    let t0 = boxoffice::clock::Clock::System.now_ms();
    let mut users = Vec::new();
    for i in 0..3 {
        let user = HashedUser {
            email: format!("buyer{i}@example.com"),
            name: format!("Buyer {i}"),
            password_hash: "not a hash".into(),
            role: Role::Buyer,
        };
        users.push(store.create_user(user, t0).await.unwrap().id);
    }
    let venue = VenueInput {
        name: "Lock Hall".into(),
        city: "Linz".into(),
        country: "Austria".into(),
        address: "1 Lock St".into(),
        lat: 48.3,
        lon: 14.3,
        timezone: None,
        sections: vec![SectionInput {
            name: "Stalls".into(),
            kind: "seated".into(),
            rows: Some(vec![RowInput {
                label: "A".into(),
                seats: 1,
            }]),
            capacity: None,
        }],
    };
    let venue = store
        .create_venue(NewVenue::try_from(venue).unwrap(), t0)
        .await
        .unwrap();
    let event = EventInput {
        title: "Lock Night".into(),
        description: String::new(),
        category: "concert".into(),
        venue_id: venue.id,
        performer_ids: Vec::new(),
    };
    let event = store
        .create_event(NewEvent::try_from(event).unwrap(), t0)
        .await
        .unwrap();
    let show = ShowInput {
        starts_at: rfc3339(t0 + 7 * 86_400_000),
        on_sale_at: None,
        hold_ttl_seconds: Some(TTL_SECONDS),
        max_per_order: None,
        prices: vec![PriceInput {
            section: "Stalls".into(),
            amount: 5000,
            currency: "EUR".into(),
        }],
        waiting_room: None,
    };
    let show = store
        .create_show(event.id, NewShow::parse(show, t0).unwrap(), t0)
        .await
        .unwrap();
    let seat = store.seat_map(show.id, t0).await.unwrap().sections[0].seats[0].id;
    Setup {
        url,
        store,
        users,
        event: event.id,
        show: show.id,
        seat,
        t0,
    }
}

impl Setup {
    fn seat(&self) -> NewHold {
        NewHold {
            show_id: self.show,
            selection: SeatSelection::Seats(vec![self.seat]),
        }
    }

    /// A transaction holding the ticket's row lock until `release`.
    async fn lock_ticket(&self) -> PgConnection {
        let mut conn = PgConnection::connect(&self.url).await.unwrap();
        sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
        sqlx::query("SELECT seat_id FROM tickets WHERE show_id = $1 AND seat_id = $2 FOR UPDATE")
            .bind(self.show.get())
            .bind(self.seat.get())
            .execute(&mut conn)
            .await
            .unwrap();
        conn
    }

    /// Waits until `n` transactions of this database wait for a lock (fails after a minute).
    async fn await_waiters(&self, n: i64) {
        let mut watch = PgConnection::connect(&self.url).await.unwrap();
        for _ in 0..6000 {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&mut watch)
            .await
            .unwrap();
            if waiting >= n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{n} transactions never queued for the ticket lock");
    }

    async fn report(&self, now: i64) -> InventoryReport {
        self.store
            .tools()
            .inventory_report(self.show, now)
            .await
            .unwrap()
    }

    async fn status(&self, now: i64) -> SeatStatus {
        self.store.seat_map(self.show, now).await.unwrap().sections[0].seats[0].status
    }
}

async fn release(mut lock: PgConnection) {
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
}

/// A payment arrives just after its hold expired and sells the seat (it was still free) while
/// the expiry sweep is freeing that very seat. The sweep must not free a seat that was sold
/// meanwhile: doing so once let a second buyer buy it (two confirmed bookings, one seat).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expiry_sweep_never_frees_a_seat_sold_meanwhile() {
    if postgres_or_skip().is_none() {
        return;
    }
    let s = setup().await;
    let (a, c) = (s.users[0], s.users[2]);
    let hold = s.store.hold_seats(a, s.seat(), s.t0).await.unwrap();
    let (booking, _) = charged(
        s.store
            .start_booking(hold.id, a, "test", s.t0)
            .await
            .unwrap(),
    );
    // The hold is over (not yet swept); the money is on its way.
    let t1 = s.t0 + TTL_SECONDS * 1000 + HOLD_GRACE_MS;
    assert_eq!(s.status(t1).await, SeatStatus::Available);

    let lock = s.lock_ticket().await;
    let store = s.store.clone();
    let pay = tokio::spawn(async move {
        store
            .settle_payment(booking.id, "pay_late", PaymentOutcome::Succeeded, None, t1)
            .await
    });
    s.await_waiters(1).await;
    let store = s.store.clone();
    // The sweep skips a ticket another transaction is working on instead of waiting for it.
    store.expire_holds(t1, 100).await.unwrap();
    release(lock).await;
    let paid = pay.await.unwrap().unwrap();

    assert_eq!(paid.status, BookingStatus::Confirmed);
    assert_eq!(
        s.status(t1).await,
        SeatStatus::Sold,
        "the sweep freed a sold seat"
    );
    let report = s.report(t1).await;
    assert_eq!(
        (report.sold, report.mismatched, report.oversold),
        (1, 0, 0),
        "{report:?}"
    );
    let again = s.store.hold_seats(c, s.seat(), t1).await;
    assert!(
        matches!(again, Err(StoreError::SeatsTaken { .. })),
        "a sold seat was held again: {again:?}"
    );
}

/// A buyer claims a seat whose hold just expired while the expiry sweep is freeing it. The
/// fresh hold must keep its seat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expiry_sweep_never_frees_a_seat_claimed_meanwhile() {
    if postgres_or_skip().is_none() {
        return;
    }
    let s = setup().await;
    let (a, b, c) = (s.users[0], s.users[1], s.users[2]);
    s.store.hold_seats(a, s.seat(), s.t0).await.unwrap();
    let t1 = s.t0 + TTL_SECONDS * 1000 + HOLD_GRACE_MS + 1_000;

    let lock = s.lock_ticket().await;
    let store = s.store.clone();
    let hold = s.seat();
    let claim = tokio::spawn(async move { store.hold_seats(b, hold, t1).await });
    s.await_waiters(1).await;
    let store = s.store.clone();
    // The sweep skips a ticket another transaction is working on instead of waiting for it.
    store.expire_holds(t1, 100).await.unwrap();
    release(lock).await;
    let fresh = claim.await.unwrap().unwrap();

    assert_eq!(fresh.status, HoldStatus::Active);
    assert_eq!(
        s.status(t1).await,
        SeatStatus::Held,
        "the sweep freed a live hold"
    );
    let other = s.store.hold_seats(c, s.seat(), t1).await;
    assert!(
        matches!(other, Err(StoreError::SeatsTaken { .. })),
        "a second live hold on one seat: {other:?}"
    );
    let (booking, charge) = charged(
        s.store
            .start_booking(fresh.id, b, "test", t1)
            .await
            .unwrap(),
    );
    assert!(charge && booking.status == BookingStatus::PendingPayment);
}

/// A payment settling while an admin cancels the event: the payment holds a share lock on the
/// show, so the cancellation waits for it and then cancels (and refunds) the new booking too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_settling_during_event_cancellation_is_refunded() {
    if postgres_or_skip().is_none() {
        return;
    }
    let s = setup().await;
    let a = s.users[0];
    let hold = s.store.hold_seats(a, s.seat(), s.t0).await.unwrap();
    let (booking, _) = charged(
        s.store
            .start_booking(hold.id, a, "test", s.t0)
            .await
            .unwrap(),
    );
    let t1 = s.t0 + 1_000;

    let lock = s.lock_ticket().await;
    let store = s.store.clone();
    let pay = tokio::spawn(async move {
        store
            .settle_payment(booking.id, "pay_1", PaymentOutcome::Succeeded, None, t1)
            .await
    });
    s.await_waiters(1).await;
    let store = s.store.clone();
    let event = s.event;
    let cancel = tokio::spawn(async move { store.cancel_event(event, t1).await });
    s.await_waiters(2).await;
    release(lock).await;
    pay.await.unwrap().unwrap();
    cancel.await.unwrap().unwrap();

    let after = s.store.booking(booking.id, None).await.unwrap();
    assert!(
        matches!(
            after.status,
            BookingStatus::Cancelled | BookingStatus::Refunded
        ) && after.refund.is_some(),
        "a booking of a cancelled show: {after:?}"
    );
    let report = s.report(t1).await;
    assert_eq!((report.sold, report.mismatched), (0, 0), "{report:?}");
}
