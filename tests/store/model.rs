//! The store as a state machine, checked against a model: random sequences of holds, releases,
//! payments (prompt, declined, late), expiry, cancellations and webhook replays, driven straight
//! through the `Store` trait on both backends, with the invariants checked after every step.
//!
//! The model knows which hold or booking claims each seat, the state of every hold and
//! booking, and the clock (the store takes `now` as a parameter). It predicts every answer.

use crate::db::{charged, fresh_pg_database, postgres_or_skip};
use boxoffice::clock::Clock;
use boxoffice::domain::booking::*;
use boxoffice::domain::catalog::*;
use boxoffice::domain::users::Role;
use boxoffice::domain::*;
use boxoffice::store::*;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const TTL_SECONDS: i64 = 60;
/// How long a claim lasts: the TTL plus the server's grace.
const LIFETIME: i64 = TTL_SECONDS * 1000 + HOLD_GRACE_MS;
/// Two rows of three seats, and two standing places.
const SEATED: usize = 6;
const STANDING: i64 = 2;
const CAPACITY: i64 = SEATED as i64 + STANDING;
const USERS: usize = 3;
const OPS: std::ops::RangeInclusive<usize> = 10..=50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pay {
    Ok,
    Decline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fx {
    Succeeded,
    Failed,
    Refunded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Owner,
    Other,
    Admin,
}

#[derive(Debug, Clone)]
enum Op {
    /// Explicit seats (indexes into the seated seats).
    Hold {
        user: usize,
        seats: Vec<usize>,
    },
    HoldBest {
        user: usize,
        standing: bool,
        quantity: i64,
    },
    Release {
        hold: Index,
        wrong_user: bool,
    },
    /// `start_booking`, then the payment result at once.
    Book {
        hold: Index,
        pay: Pay,
    },
    /// `start_booking` only: the payment is in flight.
    Start {
        hold: Index,
    },
    /// A payment result arriving for a booking, possibly late; `open` picks among bookings
    /// still waiting for their money when there are any.
    Settle {
        booking: Index,
        open: bool,
        pay: Pay,
    },
    /// A verified webhook applied, then delivered again with the same event id.
    Webhook {
        booking: Index,
        open: bool,
        effect: Fx,
        by_ref: bool,
    },
    Cancel {
        booking: Index,
        by: By,
    },
    Advance {
        secs: i64,
        sweep: bool,
    },
    /// A payment that outlives its hold: book a live hold, let the clock pass its expiry
    /// (`extra` seconds past the exact instant), maybe sweep, maybe let `rival` hold one of its
    /// seats, then the success arrives (directly or by webhook).
    LatePayment {
        hold: Index,
        extra: i64,
        sweep: bool,
        rival: Option<usize>,
        webhook: bool,
    },
}

fn pay() -> impl Strategy<Value = Pay> {
    prop_oneof![3 => Just(Pay::Ok), 1 => Just(Pay::Decline)]
}

fn op() -> impl Strategy<Value = Op> {
    let seats = proptest::sample::subsequence((0..SEATED).collect::<Vec<_>>(), 1..=3);
    prop_oneof![
        4 => (0..USERS, seats).prop_map(|(user, seats)| Op::Hold { user, seats }),
        2 => (0..USERS, any::<bool>(), 1..=3i64)
            .prop_map(|(user, standing, quantity)| Op::HoldBest { user, standing, quantity }),
        1 => (any::<Index>(), prop::bool::weighted(0.2))
            .prop_map(|(hold, wrong_user)| Op::Release { hold, wrong_user }),
        3 => (any::<Index>(), pay()).prop_map(|(hold, pay)| Op::Book { hold, pay }),
        3 => any::<Index>().prop_map(|hold| Op::Start { hold }),
        3 => (any::<Index>(), prop::bool::weighted(0.75), pay())
            .prop_map(|(booking, open, pay)| Op::Settle { booking, open, pay }),
        2 => (
            any::<Index>(),
            prop::bool::weighted(0.75),
            prop_oneof![Just(Fx::Succeeded), Just(Fx::Failed), Just(Fx::Refunded)],
            any::<bool>()
        )
            .prop_map(|(booking, open, effect, by_ref)| Op::Webhook { booking, open, effect, by_ref }),
        1 => (any::<Index>(), prop_oneof![Just(By::Owner), Just(By::Other), Just(By::Admin)])
            .prop_map(|(booking, by)| Op::Cancel { booking, by }),
        3 => (prop_oneof![1..=10i64, 60..=90i64], prop::bool::weighted(0.6))
            .prop_map(|(secs, sweep)| Op::Advance { secs, sweep }),
        2 => (any::<Index>(), 0..3i64, any::<bool>(), proptest::option::of(0..USERS), any::<bool>())
            .prop_map(|(hold, extra, sweep, rival, webhook)| Op::LatePayment {
                hold,
                extra,
                sweep,
                rival,
                webhook
            }),
    ]
}

/// A hold's state as the database records it (an expired hold stays `Active` until swept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HoldState {
    Active,
    Released,
    Expired,
    Booked,
}

#[derive(Debug)]
struct MHold {
    id: HoldId,
    user: usize,
    seats: BTreeSet<i64>,
    /// When its seats become free again.
    free_at: i64,
    state: HoldState,
    booking: Option<usize>,
}

#[derive(Debug)]
struct MBooking {
    id: BookingId,
    hold: usize,
    user: usize,
    status: BookingStatus,
    refund: Option<&'static str>,
    payment_ref: Option<String>,
    /// The status last read from the store.
    seen: BookingStatus,
}

/// Who owns a seat's ticket row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    Hold(usize),
    Sold(usize),
}

/// Everything a webhook replay must leave untouched.
#[derive(Debug, PartialEq)]
struct Observed {
    seats: Vec<(SeatId, SeatStatus)>,
    floor_available: i64,
    report: InventoryReport,
    bookings: Vec<Booking>,
    holds: Vec<Hold>,
}

fn kind(e: &StoreError) -> &'static str {
    match e {
        StoreError::NotFound(_) => "not_found",
        StoreError::Conflict(_) => "conflict",
        StoreError::Invalid(_) => "invalid",
        StoreError::Unavailable(_) => "unavailable",
        StoreError::SeatsTaken { .. } => "taken",
        StoreError::Gone(_) => "gone",
        StoreError::Internal(_) => "internal",
    }
}

fn expect_err<T: std::fmt::Debug>(r: StoreResult<T>, want: &str) -> Result<(), TestCaseError> {
    match r {
        Err(e) if kind(&e) == want => Ok(()),
        other => Err(TestCaseError::fail(format!(
            "expected a {want} error, got {other:?}"
        ))),
    }
}

fn ok<T>(r: StoreResult<T>) -> Result<T, TestCaseError> {
    r.map_err(|e| TestCaseError::fail(format!("unexpected error: {e:?}")))
}

struct World {
    store: DynStore,
    show: ShowId,
    users: [UserId; USERS],
    /// (seat id, row rank, number) in row order.
    seated: Vec<(i64, i64, i64)>,
    /// Standing places seen so far (the seat map does not list them).
    standing: BTreeSet<i64>,
    now: i64,
    tag: String,
    serial: usize,
    holds: Vec<MHold>,
    bookings: Vec<MBooking>,
    claims: BTreeMap<i64, Claim>,
    /// What happened, to show the cases reach the interesting corners.
    stats: BTreeMap<&'static str, usize>,
}

impl World {
    fn note(&mut self, what: &'static str) {
        *self.stats.entry(what).or_default() += 1;
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.serial += 1;
        format!("{prefix}_{}_{}", self.tag, self.serial)
    }

    fn status(&self, seat: i64) -> SeatStatus {
        match self.claims.get(&seat) {
            Some(Claim::Sold(_)) => SeatStatus::Sold,
            Some(Claim::Hold(h)) if self.now < self.holds[*h].free_at => SeatStatus::Held,
            _ => SeatStatus::Available,
        }
    }

    /// The hold still owns every seat and has not expired.
    fn live(&self, h: usize) -> bool {
        let hold = &self.holds[h];
        self.now < hold.free_at
            && hold
                .seats
                .iter()
                .all(|s| self.claims.get(s) == Some(&Claim::Hold(h)))
    }

    /// A booking by `index`: among those awaiting payment when `open` and there are any.
    fn pick_booking(&self, index: &Index, open: bool) -> Option<usize> {
        let waiting: Vec<usize> = (0..self.bookings.len())
            .filter(|b| {
                matches!(
                    self.bookings[*b].status,
                    BookingStatus::PendingPayment | BookingStatus::PaymentFailed
                )
            })
            .collect();
        if open && !waiting.is_empty() {
            Some(waiting[index.index(waiting.len())])
        } else if self.bookings.is_empty() {
            None
        } else {
            Some(index.index(self.bookings.len()))
        }
    }

    fn unclaim(&mut self, claim: Claim) {
        self.claims.retain(|_, c| *c != claim);
    }

    fn new_hold(&mut self, user: usize, hold: &Hold) -> Result<(), TestCaseError> {
        prop_assert_eq!(hold.status, HoldStatus::Active);
        prop_assert_eq!(hold.show_id, self.show);
        prop_assert_eq!(&hold.expires_at, &rfc3339(self.now + TTL_SECONDS * 1000));
        let seats: BTreeSet<i64> = hold.seats.iter().map(|s| s.id.get()).collect();
        prop_assert_eq!(seats.len(), hold.seats.len());
        for seat in &seats {
            prop_assert_eq!(
                self.status(*seat),
                SeatStatus::Available,
                "seat {} was not free",
                seat
            );
        }
        let index = self.holds.len();
        for seat in &seats {
            self.claims.insert(*seat, Claim::Hold(index));
        }
        self.holds.push(MHold {
            id: hold.id,
            user,
            seats,
            free_at: self.now + LIFETIME,
            state: HoldState::Active,
            booking: None,
        });
        Ok(())
    }

    /// Applies a payment result to the model, as the store must.
    fn pay(&mut self, b: usize, outcome: PaymentOutcome, payment_ref: &str) {
        if !payment_ref.is_empty() && self.bookings[b].payment_ref.is_none() {
            self.bookings[b].payment_ref = Some(payment_ref.to_owned());
        }
        use BookingStatus::*;
        match (self.bookings[b].status, outcome) {
            (PendingPayment | PaymentFailed, PaymentOutcome::Succeeded) => {
                let h = self.bookings[b].hold;
                let sellable = self.holds[h]
                    .seats
                    .iter()
                    .all(|s| match self.claims.get(s) {
                        None => true,
                        Some(Claim::Hold(x)) => *x == h || self.now >= self.holds[*x].free_at,
                        Some(Claim::Sold(_)) => false,
                    });
                let late = self.now >= self.holds[h].free_at;
                if sellable {
                    for seat in self.holds[h].seats.clone() {
                        self.claims.insert(seat, Claim::Sold(b));
                    }
                    self.bookings[b].status = Confirmed;
                    self.note(if late {
                        "late payment honoured"
                    } else {
                        "confirmed"
                    });
                } else {
                    self.note("late payment refunded");
                    self.unclaim(Claim::Hold(h));
                    self.bookings[b].status = Refunded;
                    self.bookings[b].refund = Some("pending");
                }
            }
            (PendingPayment, PaymentOutcome::Failed) => {
                self.note("declined");
                self.bookings[b].status = PaymentFailed
            }
            _ => self.note("payment result ignored"),
        }
    }

    async fn settle(&mut self, b: usize, pay: Pay) -> Result<(), TestCaseError> {
        let payment_ref = self.fresh("pay");
        let (outcome, reason) = match pay {
            Pay::Ok => (PaymentOutcome::Succeeded, None),
            Pay::Decline => (PaymentOutcome::Failed, Some("card_declined")),
        };
        let id = self.bookings[b].id;
        let got = ok(self
            .store
            .settle_payment(id, &payment_ref, outcome, reason, self.now)
            .await)?;
        self.pay(b, outcome, &payment_ref);
        prop_assert_eq!(got.status, self.bookings[b].status);
        Ok(())
    }

    /// `start_booking` on hold `h`; the booking index when a charge is due.
    async fn start(&mut self, h: usize) -> Result<Option<usize>, TestCaseError> {
        let (id, user) = (self.holds[h].id, self.holds[h].user);
        let r = self
            .store
            .start_booking(id, self.users[user], "test", self.now)
            .await;
        let live = self.live(h);
        if let Some(b) = self.holds[h].booking {
            if self.bookings[b].status == BookingStatus::PaymentFailed {
                if !live {
                    self.note("retry after expiry refused");
                    return expect_err(r, "gone").map(|()| None);
                }
                self.note("retry after decline");
                let (booking, charge) = charged(ok(r)?);
                prop_assert!(charge);
                prop_assert_eq!(booking.id, self.bookings[b].id);
                prop_assert_eq!(booking.status, BookingStatus::PendingPayment);
                self.bookings[b].status = BookingStatus::PendingPayment;
                self.bookings[b].payment_ref = None;
                return Ok(Some(b));
            }
            let (booking, charge) = charged(ok(r)?);
            prop_assert!(!charge);
            prop_assert_eq!(booking.id, self.bookings[b].id);
            prop_assert_eq!(booking.status, self.bookings[b].status);
            return Ok(None);
        }
        if self.holds[h].state == HoldState::Released {
            self.note("booking a released hold refused");
            return expect_err(r, "conflict").map(|()| None);
        }
        if !live {
            self.note("booking an expired hold refused");
            return expect_err(r, "gone").map(|()| None);
        }
        self.note("booking started");
        let (booking, charge) = charged(ok(r)?);
        prop_assert!(charge);
        prop_assert_eq!(booking.status, BookingStatus::PendingPayment);
        prop_assert_eq!(booking.hold_id, id);
        let b = self.bookings.len();
        self.bookings.push(MBooking {
            id: booking.id,
            hold: h,
            user,
            status: BookingStatus::PendingPayment,
            refund: None,
            payment_ref: None,
            seen: BookingStatus::PendingPayment,
        });
        self.holds[h].state = HoldState::Booked;
        self.holds[h].booking = Some(b);
        Ok(Some(b))
    }

    async fn hold_explicit(&mut self, user: usize, ids: Vec<i64>) -> Result<(), TestCaseError> {
        let taken: BTreeSet<i64> = ids
            .iter()
            .copied()
            .filter(|s| self.status(*s) != SeatStatus::Available)
            .collect();
        let hold = NewHold {
            show_id: self.show,
            selection: SeatSelection::Seats(ids.iter().map(|s| SeatId::new(*s)).collect()),
        };
        let r = self
            .store
            .hold_seats(self.users[user], hold, self.now)
            .await;
        self.note(if taken.is_empty() {
            "hold"
        } else {
            "hold refused"
        });
        if taken.is_empty() {
            let hold = ok(r)?;
            let got: BTreeSet<i64> = hold.seats.iter().map(|s| s.id.get()).collect();
            prop_assert_eq!(got, ids.iter().copied().collect::<BTreeSet<_>>());
            self.new_hold(user, &hold)?;
        } else {
            match r {
                Err(StoreError::SeatsTaken { seat_ids, .. }) => {
                    let named: BTreeSet<i64> = seat_ids.iter().map(|s| s.get()).collect();
                    prop_assert_eq!(named, taken);
                }
                other => {
                    return Err(TestCaseError::fail(format!(
                        "seats {taken:?} are taken, yet the hold gave {other:?}"
                    )))
                }
            }
        }
        Ok(())
    }

    /// A verified webhook applied, then delivered again: the replay must change nothing.
    async fn webhook(&mut self, b: usize, effect: Fx, by_ref: bool) -> Result<(), TestCaseError> {
        let (target, payment_ref) = match (&self.bookings[b].payment_ref, by_ref) {
            (Some(known), true) => (None, known.clone()),
            _ => (Some(self.bookings[b].id), self.fresh("pay")),
        };
        let (fx, reason) = match effect {
            Fx::Succeeded => (WebhookEffect::Payment(PaymentOutcome::Succeeded), None),
            Fx::Failed => (
                WebhookEffect::Payment(PaymentOutcome::Failed),
                Some("card_declined".to_owned()),
            ),
            Fx::Refunded => (WebhookEffect::Refunded, None),
        };
        let notice = WebhookNotice {
            provider: "test".into(),
            event_id: self.fresh("evt"),
            booking: target,
            payment_ref: payment_ref.clone(),
            effect: fx,
            reason,
        };
        let first = ok(self.store.apply_webhook(notice.clone(), self.now).await)?;
        match fx {
            // A failure webhook that does not name the attempt the booking waits for may be an
            // earlier attempt's: it changes nothing.
            WebhookEffect::Payment(PaymentOutcome::Failed)
                if self.bookings[b].payment_ref.as_deref() != Some(payment_ref.as_str()) => {}
            WebhookEffect::Payment(outcome) => self.pay(b, outcome, &payment_ref),
            _ => {
                if self.bookings[b].refund == Some("pending") {
                    self.bookings[b].refund = Some("succeeded");
                }
            }
        }
        match first {
            WebhookApplied::Applied(got) => {
                prop_assert_eq!(got.id, self.bookings[b].id);
                prop_assert_eq!(got.status, self.bookings[b].status);
            }
            other => {
                return Err(TestCaseError::fail(format!(
                    "first delivery not applied: {other:?}"
                )))
            }
        }
        self.check().await?;
        let before = self.observe().await?;
        let again = ok(self.store.apply_webhook(notice, self.now).await)?;
        prop_assert!(
            again == WebhookApplied::Duplicate,
            "replay applied again: {:?}",
            again
        );
        let after = self.observe().await?;
        prop_assert_eq!(before, after, "a webhook replay changed something");
        self.note("webhook replayed");
        Ok(())
    }

    async fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::Hold { user, seats } => {
                let ids = seats.iter().map(|i| self.seated[*i].0).collect();
                self.hold_explicit(*user, ids).await?;
            }
            Op::HoldBest {
                user,
                standing,
                quantity,
            } => {
                let section = if *standing { "Floor" } else { "Stalls" };
                let expected: Option<Vec<i64>> = if *standing {
                    let used = self
                        .standing
                        .iter()
                        .filter(|s| self.status(**s) != SeatStatus::Available)
                        .count() as i64;
                    (STANDING - used >= *quantity).then(Vec::new)
                } else {
                    let free: Vec<(i64, i64, i64)> = self
                        .seated
                        .iter()
                        .copied()
                        .filter(|s| self.status(s.0) == SeatStatus::Available)
                        .collect();
                    let chosen = choose_adjacent(&free, *quantity as usize);
                    (chosen.len() as i64 == *quantity).then_some(chosen)
                };
                let hold = NewHold {
                    show_id: self.show,
                    selection: SeatSelection::BestAvailable {
                        section: section.into(),
                        quantity: *quantity,
                    },
                };
                let r = self
                    .store
                    .hold_seats(self.users[*user], hold, self.now)
                    .await;
                self.note(match expected {
                    None => "best available refused",
                    Some(_) => "best available",
                });
                match expected {
                    None => expect_err(r, "taken")?,
                    Some(chosen) => {
                        let hold = ok(r)?;
                        let got: BTreeSet<i64> = hold.seats.iter().map(|s| s.id.get()).collect();
                        prop_assert_eq!(got.len() as i64, *quantity);
                        if *standing {
                            for seat in &got {
                                prop_assert!(
                                    !self.seated.iter().any(|s| s.0 == *seat),
                                    "standing hold got seated seat {}",
                                    seat
                                );
                                self.standing.insert(*seat);
                            }
                        } else {
                            prop_assert_eq!(got, chosen.into_iter().collect::<BTreeSet<_>>());
                        }
                        self.new_hold(*user, &hold)?;
                    }
                }
            }
            Op::Release { hold, wrong_user } => {
                if self.holds.is_empty() {
                    return Ok(());
                }
                let h = hold.index(self.holds.len());
                let owner = self.holds[h].user;
                let user = if *wrong_user {
                    (owner + 1) % USERS
                } else {
                    owner
                };
                let r = self
                    .store
                    .release_hold(self.holds[h].id, self.users[user], self.now)
                    .await;
                if *wrong_user {
                    return expect_err(r, "not_found");
                }
                match self.holds[h].state {
                    HoldState::Booked => expect_err(r, "conflict")?,
                    HoldState::Active => {
                        ok(r)?;
                        self.note("released");
                        self.unclaim(Claim::Hold(h));
                        self.holds[h].state = HoldState::Released;
                    }
                    HoldState::Released | HoldState::Expired => ok(r)?,
                }
            }
            Op::Book { hold, pay } => {
                if self.holds.is_empty() {
                    return Ok(());
                }
                if let Some(b) = self.start(hold.index(self.holds.len())).await? {
                    self.settle(b, *pay).await?;
                }
            }
            Op::Start { hold } => {
                if !self.holds.is_empty() {
                    self.start(hold.index(self.holds.len())).await?;
                }
            }
            Op::Settle { booking, open, pay } => {
                if let Some(b) = self.pick_booking(booking, *open) {
                    self.settle(b, *pay).await?;
                }
            }
            Op::Webhook {
                booking,
                open,
                effect,
                by_ref,
            } => {
                let Some(b) = self.pick_booking(booking, *open) else {
                    return Ok(());
                };
                self.webhook(b, *effect, *by_ref).await?;
            }
            Op::Cancel { booking, by } => {
                if self.bookings.is_empty() {
                    return Ok(());
                }
                let b = booking.index(self.bookings.len());
                let owner = self.bookings[b].user;
                let user = match by {
                    By::Owner => Some(self.users[owner]),
                    By::Other => Some(self.users[(owner + 1) % USERS]),
                    By::Admin => None,
                };
                let r = self
                    .store
                    .cancel_booking(self.bookings[b].id, user, self.now)
                    .await;
                if *by == By::Other {
                    return expect_err(r, "not_found");
                }
                match self.bookings[b].status {
                    BookingStatus::Cancelled => {
                        prop_assert_eq!(ok(r)?.status, BookingStatus::Cancelled);
                    }
                    BookingStatus::Confirmed => {
                        prop_assert_eq!(ok(r)?.status, BookingStatus::Cancelled);
                        self.note("cancelled");
                        self.unclaim(Claim::Sold(b));
                        self.bookings[b].status = BookingStatus::Cancelled;
                        self.bookings[b].refund = Some("pending");
                    }
                    _ => expect_err(r, "conflict")?,
                }
            }
            Op::LatePayment {
                hold,
                extra,
                sweep,
                rival,
                webhook,
            } => {
                let open: Vec<usize> = (0..self.holds.len())
                    .filter(|h| self.holds[*h].booking.is_none() && self.live(*h))
                    .collect();
                if open.is_empty() {
                    return Ok(());
                }
                let h = open[hold.index(open.len())];
                let Some(b) = self.start(h).await? else {
                    return Err(TestCaseError::fail("a live hold could not be booked"));
                };
                self.check().await?;
                self.now = self.holds[h].free_at + extra * 1000;
                if *sweep {
                    self.sweep().await?;
                }
                if let Some(rival) = rival {
                    let seat = *self.holds[h].seats.first().unwrap();
                    self.hold_explicit(*rival, vec![seat]).await?;
                }
                self.check().await?;
                if *webhook {
                    self.webhook(b, Fx::Succeeded, false).await?;
                } else {
                    self.settle(b, Pay::Ok).await?;
                }
            }
            Op::Advance { secs, sweep } => {
                self.now += secs * 1000;
                if *sweep {
                    self.sweep().await?;
                }
            }
        }
        Ok(())
    }

    /// The housekeeping job: expires holds and frees their seats.
    async fn sweep(&mut self) -> Result<(), TestCaseError> {
        let expected = self
            .holds
            .iter()
            .filter(|h| h.state == HoldState::Active && h.free_at <= self.now)
            .count() as u64;
        let n = ok(self.store.expire_holds(self.now, 1000).await)?;
        prop_assert_eq!(n, expected, "holds expired by the sweep");
        *self.stats.entry("holds swept").or_default() += n as usize;
        let now = self.now;
        for h in self.holds.iter_mut() {
            if h.state == HoldState::Active && h.free_at <= now {
                h.state = HoldState::Expired;
            }
        }
        let holds = &self.holds;
        self.claims.retain(|_, c| match c {
            Claim::Hold(h) => holds[*h].free_at > now,
            Claim::Sold(_) => true,
        });
        Ok(())
    }

    /// The invariants, after every step.
    async fn check(&mut self) -> Result<(), TestCaseError> {
        use BookingStatus::*;
        // Bookings: the model's status and refund; once confirmed, only ever cancelled.
        let mut claimed: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        let mut views = Vec::new();
        for b in self.bookings.iter_mut() {
            let got = ok(self.store.booking(b.id, None).await)?;
            prop_assert_eq!(got.status, b.status, "booking {}", b.id);
            prop_assert_eq!(
                got.refund.as_ref().map(|r| r.status.as_str()),
                b.refund,
                "refund of booking {}",
                b.id
            );
            let allowed = got.status == b.seen
                || matches!(
                    (b.seen, got.status),
                    (PendingPayment, Confirmed | PaymentFailed | Refunded)
                        | (PaymentFailed, PendingPayment | Confirmed | Refunded)
                        | (Confirmed, Cancelled)
                );
            prop_assert!(
                allowed,
                "booking {} went from {:?} to {:?}",
                b.id,
                b.seen,
                got.status
            );
            b.seen = got.status;
            if got.status == Confirmed {
                for s in &got.seats {
                    claimed
                        .entry(s.id.get())
                        .or_default()
                        .push(format!("booking {}", b.id));
                }
            }
            views.push(got);
        }
        // Holds: the view the owner gets, and the live claims it implies.
        for (h, hold) in self.holds.iter().enumerate() {
            let got = ok(self
                .store
                .hold(hold.id, self.users[hold.user], self.now)
                .await)?;
            let want = match hold.state {
                HoldState::Active if self.now >= hold.free_at => HoldStatus::Expired,
                HoldState::Active => HoldStatus::Active,
                HoldState::Released => HoldStatus::Released,
                HoldState::Expired => HoldStatus::Expired,
                HoldState::Booked => HoldStatus::Booked,
            };
            prop_assert_eq!(got.status, want, "hold {}", hold.id);
            let seats: BTreeSet<i64> = got.seats.iter().map(|s| s.id.get()).collect();
            prop_assert_eq!(&seats, &hold.seats, "seats of hold {}", hold.id);
            let expires = parse_rfc3339(&got.expires_at).unwrap_or_default();
            let booked_open = got.status == HoldStatus::Booked
                && self.now < expires + HOLD_GRACE_MS
                && hold
                    .booking
                    .is_some_and(|b| matches!(views[b].status, PendingPayment | PaymentFailed));
            if got.status == HoldStatus::Active || booked_open {
                for s in seats {
                    claimed.entry(s).or_default().push(format!("hold {h}"));
                }
            }
        }
        for (seat, by) in &claimed {
            prop_assert!(by.len() <= 1, "seat {} is claimed by {:?}", seat, by);
        }
        // The seat map, seat by seat, and the standing places by count.
        let map = ok(self.store.seat_map(self.show, self.now).await)?;
        for section in &map.sections {
            if section.kind == SectionKind::Seated {
                prop_assert_eq!(section.seats.len(), SEATED);
                for seat in &section.seats {
                    prop_assert_eq!(seat.status, self.status(seat.id.get()), "seat {}", seat.id);
                }
            } else {
                let used = self
                    .standing
                    .iter()
                    .filter(|s| self.status(**s) != SeatStatus::Available)
                    .count() as i64;
                prop_assert_eq!(section.available, STANDING - used, "standing places");
            }
        }
        // The books.
        let report = ok(self
            .store
            .tools()
            .inventory_report(self.show, self.now)
            .await)?;
        let all: Vec<i64> = self
            .seated
            .iter()
            .map(|s| s.0)
            .chain(self.standing.iter().copied())
            .collect();
        let count = |status| all.iter().filter(|s| self.status(**s) == status).count() as i64;
        let confirmed = self
            .bookings
            .iter()
            .filter(|b| b.status == Confirmed)
            .count() as i64;
        prop_assert_eq!(
            (report.oversold, report.mismatched, report.capacity),
            (0, 0, CAPACITY),
            "{:?}",
            report
        );
        prop_assert_eq!(
            report.available + report.held + report.sold,
            CAPACITY,
            "{:?}",
            report
        );
        prop_assert_eq!(
            (report.held, report.sold, report.confirmed_bookings),
            (count(SeatStatus::Held), count(SeatStatus::Sold), confirmed),
            "{:?}",
            report
        );
        Ok(())
    }

    async fn observe(&self) -> Result<Observed, TestCaseError> {
        let map = ok(self.store.seat_map(self.show, self.now).await)?;
        let mut seats = Vec::new();
        let mut floor_available = 0;
        for section in &map.sections {
            floor_available += i64::from(section.kind == SectionKind::Standing) * section.available;
            seats.extend(section.seats.iter().map(|s| (s.id, s.status)));
        }
        let mut bookings = Vec::new();
        for b in &self.bookings {
            bookings.push(ok(self.store.booking(b.id, None).await)?);
        }
        let mut holds = Vec::new();
        for h in &self.holds {
            holds.push(ok(self
                .store
                .hold(h.id, self.users[h.user], self.now)
                .await)?);
        }
        Ok(Observed {
            seats,
            floor_available,
            report: ok(self
                .store
                .tools()
                .inventory_report(self.show, self.now)
                .await)?,
            bookings,
            holds,
        })
    }
}

/// A fresh venue, event and show at `now`, so cases sharing a store never share seats.
async fn new_show(store: &DynStore, now: i64, tag: &str) -> (ShowId, Vec<(i64, i64, i64)>) {
    let venue = VenueInput {
        name: format!("Model Hall {tag}"),
        city: "Graz".into(),
        country: "Austria".into(),
        address: "1 Model Way".into(),
        lat: 47.07,
        lon: 15.44,
        timezone: None,
        sections: vec![
            SectionInput {
                name: "Stalls".into(),
                kind: "seated".into(),
                rows: Some(vec![
                    RowInput {
                        label: "A".into(),
                        seats: 3,
                    },
                    RowInput {
                        label: "B".into(),
                        seats: 3,
                    },
                ]),
                capacity: None,
            },
            SectionInput {
                name: "Floor".into(),
                kind: "standing".into(),
                rows: None,
                capacity: Some(STANDING),
            },
        ],
    };
    let venue = store
        .create_venue(NewVenue::try_from(venue).expect("venue"), now)
        .await
        .expect("create venue");
    let event = EventInput {
        title: format!("Model Night {tag}"),
        description: String::new(),
        category: "concert".into(),
        venue_id: venue.id,
        performer_ids: Vec::new(),
    };
    let event = store
        .create_event(NewEvent::try_from(event).expect("event"), now)
        .await
        .expect("create event");
    let show = ShowInput {
        starts_at: rfc3339(now + 30 * 86_400_000),
        on_sale_at: None,
        hold_ttl_seconds: Some(TTL_SECONDS),
        max_per_order: None,
        prices: ["Stalls", "Floor"]
            .iter()
            .map(|s| PriceInput {
                section: (*s).into(),
                amount: 4000,
                currency: "EUR".into(),
            })
            .collect(),
        waiting_room: None,
    };
    let show = store
        .create_show(event.id, NewShow::parse(show, now).expect("show"), now)
        .await
        .expect("create show");
    let map = store.seat_map(show.id, now).await.expect("seat map");
    let mut rows: Vec<Option<String>> = Vec::new();
    let mut seated = Vec::new();
    for seat in &map.sections[0].seats {
        if !rows.contains(&seat.row) {
            rows.push(seat.row.clone());
        }
        let rank = rows.iter().position(|r| *r == seat.row).unwrap() as i64;
        seated.push((seat.id.get(), rank, seat.number));
    }
    assert_eq!(seated.len(), SEATED);
    (show.id, seated)
}

async fn run_case(
    store: &DynStore,
    users: [UserId; USERS],
    start: i64,
    ops: &[Op],
) -> (
    i64,
    BTreeMap<&'static str, usize>,
    Result<(), TestCaseError>,
) {
    let tag = format!("{:x}", rand::random::<u64>());
    // Whatever earlier cases left behind expires now, so the sweep counts only this case's holds.
    store
        .expire_holds(start, 1_000_000)
        .await
        .expect("sweep before the case");
    let (show, seated) = new_show(store, start, &tag).await;
    let mut world = World {
        store: store.clone(),
        show,
        users,
        seated,
        standing: BTreeSet::new(),
        now: start,
        tag,
        serial: 0,
        holds: Vec::new(),
        bookings: Vec::new(),
        claims: BTreeMap::new(),
        stats: BTreeMap::new(),
    };
    let result = world.run(ops).await;
    (world.now, world.stats, result)
}

impl World {
    async fn run(&mut self, ops: &[Op]) -> Result<(), TestCaseError> {
        self.check().await?;
        for (i, op) in ops.iter().enumerate() {
            let annotate = |e: TestCaseError| TestCaseError::fail(format!("step {i} {op:?}: {e}"));
            self.step(op).await.map_err(annotate)?;
            self.check().await.map_err(annotate)?;
        }
        Ok(())
    }
}

enum Backend {
    Sqlite(std::path::PathBuf),
    Postgres,
}

/// `corners`: fail when the cases never reached one of the situations the model is about (on
/// by default where there are enough cases for that to be certain).
fn run_model(backend: Backend, default_cases: u32, corners: bool) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (store, users) = rt.block_on(async {
        let store: DynStore = match &backend {
            Backend::Sqlite(path) => Arc::new(SqliteStore::open(path).await.expect("sqlite")),
            Backend::Postgres => Arc::new(
                PgStore::connect(&fresh_pg_database().await)
                    .await
                    .expect("postgres"),
            ),
        };
        store.migrate().await.expect("migrate");
        let now = Clock::System.now_ms();
        let mut users = Vec::new();
        for i in 0..USERS {
            let user = HashedUser {
                email: format!("model{i}@example.com"),
                name: format!("Model Buyer {i}"),
                password_hash: "not a hash".into(),
                role: Role::Buyer,
            };
            users.push(store.create_user(user, now).await.expect("user").id);
        }
        (store, users)
    });
    let users: [UserId; USERS] = users.try_into().unwrap();
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    // Each case starts a day after the previous one ended.
    let next_start = std::cell::Cell::new(Clock::System.now_ms());
    let stats = std::cell::RefCell::new(BTreeMap::new());
    let result = runner.run(&proptest::collection::vec(op(), OPS), |ops| {
        let start = next_start.get();
        let (end, seen, result) = rt.block_on(run_case(&store, users, start, &ops));
        next_start.set(end + 86_400_000);
        for (what, n) in seen {
            *stats.borrow_mut().entry(what).or_insert(0) += n;
        }
        result
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "{:?} model, {cases} cases: {:?}",
        store.backend(),
        stats.borrow()
    );
    // The cases must reach the corners the model is about.
    let corners = if corners {
        &[
            "confirmed",
            "declined",
            "late payment honoured",
            "late payment refunded",
            "retry after decline",
            "cancelled",
            "webhook replayed",
            "holds swept",
            "booking an expired hold refused",
        ][..]
    } else {
        &[]
    };
    for corner in corners {
        assert!(
            stats.borrow().get(corner).is_some_and(|n| *n > 0),
            "no case reached {corner:?}"
        );
    }
}

#[test]
fn sqlite_store_follows_the_model() {
    let dir = tempfile::tempdir().unwrap();
    run_model(Backend::Sqlite(dir.path().join("model.db")), 64, true);
}

#[test]
fn postgres_store_follows_the_model() {
    if postgres_or_skip().is_none() {
        return;
    }
    run_model(Backend::Postgres, 16, false);
}
