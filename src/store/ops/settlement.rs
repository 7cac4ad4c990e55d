//! Bookings and their money: turning a hold into a booking, applying payment results (from the
//! API's own charge or the provider's webhook), cancellations and refunds.
//!
//! Seats are sold only when money has arrived. Payment results race each other (the API answer
//! and the webhook for the same payment), so the booking row is locked first and the status
//! guards make the second result a no-op.

use super::super::exec::{q, Exec, Qb};
use super::super::{
    BookingMail, BookingStart, InventoryReport, OwedRefund, PendingPayment, ShowSales, StoreError,
    StoreResult, WebhookApplied, WebhookEffect, WebhookNotice,
};
use super::catalog::show_availability;
use super::holds::{free_held_tickets, held_seats, lock_tickets, owned_hold};
use super::{currency, decode, emit, emit_seats, SeatChange};
use crate::domain::booking::*;
use crate::domain::*;

/// A booking as its buyer sees it.
pub async fn booking<C: Exec>(c: &mut C, id: i64) -> StoreResult<Booking> {
    let r = q(
        "SELECT status, hold_id, show_id, total, currency, provider, payment_ref, \
           failure_reason, refund_status, refund_ref, created_at, updated_at \
         FROM bookings WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await?
    .ok_or(StoreError::NotFound("booking"))?;
    let hold: i64 = r.get("hold_id")?;
    let total: i64 = r.get("total")?;
    let refund = match r.get::<Option<String>>("refund_status")? {
        Some(status) => Some(RefundView {
            status,
            amount: total,
            refund_ref: r.get("refund_ref")?,
        }),
        None => None,
    };
    Ok(Booking {
        id: BookingId::new(id),
        status: decode(r.get("status")?, "booking status", BookingStatus::parse)?,
        hold_id: HoldId::new(hold),
        show_id: ShowId::new(r.get("show_id")?),
        seats: held_seats(c, hold).await?,
        total,
        currency: currency(&r, "currency")?,
        provider: r.get("provider")?,
        payment_ref: r.get("payment_ref")?,
        failure_reason: r.get("failure_reason")?,
        refund,
        created_at: rfc3339(r.get("created_at")?),
        updated_at: rfc3339(r.get("updated_at")?),
    })
}

/// A booking of `user`, or of anyone when `user` is `None` (admins and workers).
pub async fn owned_booking<C: Exec>(
    c: &mut C,
    id: BookingId,
    user: Option<UserId>,
) -> StoreResult<Booking> {
    if let Some(user) = user {
        let owner: Option<i64> = q("SELECT user_id FROM bookings WHERE id = $1")
            .bind(id.get())
            .scalar_opt(&mut *c)
            .await?;
        if owner != Some(user.get()) {
            return Err(StoreError::NotFound("booking"));
        }
    }
    booking(c, id.get()).await
}

pub async fn bookings_for_user<C: Exec>(c: &mut C, user: UserId) -> StoreResult<Vec<Booking>> {
    let ids: Vec<i64> = q("SELECT id FROM bookings WHERE user_id = $1 ORDER BY id DESC LIMIT 200")
        .bind(user.get())
        .scalars(&mut *c)
        .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(booking(c, id).await?);
    }
    Ok(out)
}

/// Turns a live hold into a booking pending payment. `Gone` when the hold expired.
pub async fn start_booking<C: Exec>(
    c: &mut C,
    hold: HoldId,
    user: UserId,
    provider: &str,
    now: UnixMs,
) -> StoreResult<BookingStart> {
    let owned = owned_hold(c, hold, user).await?;
    let existing = q("SELECT id, status FROM bookings WHERE hold_id = $1")
        .bind(hold.get())
        .fetch_optional(&mut *c)
        .await?;
    let live: i64 = q(
        // A CASE, so the hold's id is the only way in (not a walk over live holds).
        "SELECT COUNT(*) AS live FROM tickets WHERE hold_id = $1 \
         AND CASE WHEN status = 'held' THEN hold_expires_at > $2 ELSE 1 = 0 END",
    )
    .bind(hold.get())
    .bind(now)
    .scalar(&mut *c)
    .await?;
    let hold_live = live == owned.seat_count;
    if let Some(row) = existing {
        let id: i64 = row.get("id")?;
        let status = decode(row.get("status")?, "booking status", BookingStatus::parse)?;
        return match status {
            BookingStatus::PaymentFailed if hold_live => {
                q(
                    "UPDATE bookings SET status = 'pending_payment', attempt = attempt + 1, \
                     provider = $1, payment_ref = NULL, failure_reason = NULL, updated_at = $2 \
                   WHERE id = $3",
                )
                .bind(provider)
                .bind(now)
                .bind(id)
                .execute(&mut *c)
                .await?;
                Ok(BookingStart::Charge(booking(c, id).await?))
            }
            BookingStatus::PaymentFailed => Err(StoreError::Gone(
                "the hold has expired; hold the seats again".into(),
            )),
            _ => Ok(BookingStart::Existing(booking(c, id).await?)),
        };
    }
    if owned.status == "released" {
        return Err(StoreError::Conflict("the hold was released".into()));
    }
    if !hold_live {
        return Err(StoreError::Gone(
            "the hold has expired; hold the seats again".into(),
        ));
    }
    let id: i64 = q(
        "INSERT INTO bookings (hold_id, user_id, show_id, status, total, currency, \
           provider, attempt, created_at, updated_at) \
         SELECT id, user_id, show_id, 'pending_payment', total, currency, $1, 1, $2, $2 \
         FROM holds WHERE id = $3 RETURNING id",
    )
    .bind(provider)
    .bind(now)
    .bind(hold.get())
    .scalar(&mut *c)
    .await?;
    q("UPDATE holds SET status = 'booked' WHERE id = $1")
        .bind(hold.get())
        .execute(&mut *c)
        .await?;
    Ok(BookingStart::Charge(booking(c, id).await?))
}

/// Locks a booking's row, so payment results and cancellations of it take turns.
async fn lock_booking<C: Exec>(c: &mut C, id: i64) -> StoreResult<()> {
    if !C::FOR_UPDATE.is_empty() {
        q(format!(
            "SELECT id FROM bookings WHERE id = $1{}",
            C::FOR_UPDATE
        ))
        .bind(id)
        .fetch_optional(c)
        .await?;
    }
    Ok(())
}

/// Who reported a payment result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reporter {
    /// The answer to our own charge request.
    Charge,
    /// The provider's webhook.
    Webhook,
}

/// Applies a payment result; sells the seats on success, or refunds when they are gone.
pub async fn settle<C: Exec>(
    c: &mut C,
    booking_id: i64,
    payment_ref: &str,
    outcome: PaymentOutcome,
    reason: Option<&str>,
    reporter: Reporter,
    now: UnixMs,
) -> StoreResult<Booking> {
    lock_booking(c, booking_id).await?;
    let row = q(
        "SELECT b.status, b.hold_id, b.show_id, h.seat_count, b.payment_ref \
         FROM bookings b JOIN holds h ON h.id = b.hold_id WHERE b.id = $1",
    )
    .bind(booking_id)
    .fetch_optional(&mut *c)
    .await?
    .ok_or(StoreError::NotFound("booking"))?;
    let status = decode(row.get("status")?, "booking status", BookingStatus::parse)?;
    let hold: i64 = row.get("hold_id")?;
    let show: i64 = row.get("show_id")?;
    let seat_count: i64 = row.get("seat_count")?;
    let current_ref: Option<String> = row.get("payment_ref")?;
    // A failure reported by webhook may belong to an earlier attempt of a retried booking: it
    // counts only when it names the attempt the booking is waiting for. (While the current
    // charge is in flight, its own answer settles it.) Successes always count: money was taken,
    // so the seats are sold or the money refunded.
    if reporter == Reporter::Webhook
        && outcome == PaymentOutcome::Failed
        && current_ref.as_deref() != Some(payment_ref)
    {
        return booking(c, booking_id).await;
    }
    // The show's status, read under a share lock, so a cancellation of the event and this sale
    // take turns: whichever comes second sees the other.
    let show_status: String = q(format!(
        "SELECT status FROM shows WHERE id = $1{}",
        C::FOR_SHARE
    ))
    .bind(show)
    .scalar(&mut *c)
    .await?;
    if !payment_ref.is_empty() {
        q("UPDATE bookings SET payment_ref = $1 WHERE id = $2 AND payment_ref IS NULL")
            .bind(payment_ref)
            .bind(booking_id)
            .execute(&mut *c)
            .await?;
    }
    match status.on_payment(outcome) {
        Transition::Stay => {}
        Transition::To(next) => {
            q("UPDATE bookings SET status = $1, failure_reason = $2, updated_at = $3 WHERE id = $4")
                .bind(next.as_str())
                .bind(reason)
                .bind(now)
                .bind(booking_id)
                .execute(&mut *c)
                .await?;
            let payload = serde_json::json!({"kind": next.as_str()});
            emit(c, now, "booking", booking_id, Some(show), payload).await?;
        }
        Transition::SellSeats => {
            let sale = Sale {
                booking: booking_id,
                hold,
                show,
                seat_count,
                show_scheduled: show_status == "scheduled",
            };
            sell_seats(c, sale, now).await?;
        }
    }
    booking(c, booking_id).await
}

/// A paid booking whose seats are to be sold.
struct Sale {
    booking: i64,
    hold: i64,
    show: i64,
    seat_count: i64,
    show_scheduled: bool,
}

/// Marks the hold's seats sold if they are still its own or free; otherwise (the seats went to
/// someone else, or the show was cancelled, while the payment was in flight) keeps nothing and
/// refunds the payment, once.
async fn sell_seats<C: Exec>(c: &mut C, sale: Sale, now: UnixMs) -> StoreResult<()> {
    let Sale {
        booking,
        hold,
        show,
        seat_count,
        show_scheduled,
    } = sale;
    // The hold's seats first, then the tickets by explicit ids: a join or subquery here leaves
    // the plan to table statistics, and a fresh show has none (PostgreSQL then hash-joins the
    // whole show per booking).
    let seats: Vec<i64> = q("SELECT seat_id FROM hold_seats WHERE hold_id = $1 ORDER BY seat_id")
        .bind(hold)
        .scalars(&mut *c)
        .await?;
    lock_tickets(c, show, &seats).await?;
    q("SAVEPOINT sell").execute(&mut *c).await?;
    let sold = if show_scheduled && !seats.is_empty() {
        let mut qb = Qb::new("UPDATE tickets SET status = 'sold', booking_id = ");
        qb.push_bind(booking)
            .push(", hold_id = NULL, hold_expires_at = NULL WHERE show_id = ")
            .push_bind(show)
            .push(" AND seat_id IN ")
            .push_ids(&seats);
        // This hold's tickets, or free ones (a CASE, as in the claim).
        qb.push(" AND CASE WHEN status = 'held' THEN hold_id = ")
            .push_bind(hold)
            .push(" OR hold_expires_at <= ")
            .push_bind(now)
            .push(" ELSE status = 'available' END");
        qb.build().execute(&mut *c).await? as i64
    } else {
        0
    };
    if sold == seat_count {
        q("RELEASE SAVEPOINT sell").execute(&mut *c).await?;
        q(
            "UPDATE bookings SET status = 'confirmed', failure_reason = NULL, updated_at = $1 \
           WHERE id = $2",
        )
        .bind(now)
        .bind(booking)
        .execute(&mut *c)
        .await?;
        let change = SeatChange {
            topic: "booking",
            entity: booking,
            show,
            kind: "confirmed",
            status: "sold",
        };
        return emit_seats(c, now, change, &seats).await;
    }
    q("ROLLBACK TO SAVEPOINT sell").execute(&mut *c).await?;
    q("RELEASE SAVEPOINT sell").execute(&mut *c).await?;
    let freed = free_held_tickets(c, hold).await?;
    let reason = if show_scheduled {
        "the seats were released before the payment arrived"
    } else {
        "the show was cancelled"
    };
    q(
        "UPDATE bookings SET status = 'refunded', refund_status = 'pending', \
         failure_reason = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(reason)
    .bind(now)
    .bind(booking)
    .execute(&mut *c)
    .await?;
    let change = SeatChange {
        topic: "booking",
        entity: booking,
        show,
        kind: "refunded",
        status: "available",
    };
    emit_seats(c, now, change, &freed).await?;
    super::waitlist::offer_after_freeing(c, show, now).await
}

/// Applies a verified webhook once.
pub async fn apply_webhook<C: Exec>(
    c: &mut C,
    notice: &WebhookNotice,
    now: UnixMs,
) -> StoreResult<WebhookApplied> {
    let WebhookNotice {
        provider,
        event_id,
        booking: named,
        payment_ref,
        effect,
        reason,
    } = notice;
    let fresh = q(
        "INSERT INTO webhook_events (provider, event_id, received_at) \
         VALUES ($1, $2, $3) ON CONFLICT (provider, event_id) DO NOTHING",
    )
    .bind(provider)
    .bind(event_id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    if fresh == 0 {
        return Ok(WebhookApplied::Duplicate);
    }
    let id: Option<i64> = match named {
        Some(b) => {
            q("SELECT id FROM bookings WHERE id = $1 AND provider = $2")
                .bind(b.get())
                .bind(provider)
                .scalar_opt(&mut *c)
                .await?
        }
        None => {
            q("SELECT id FROM bookings WHERE provider = $1 AND payment_ref = $2")
                .bind(provider)
                .bind(payment_ref)
                .scalar_opt(&mut *c)
                .await?
        }
    };
    let Some(id) = id else {
        return Ok(WebhookApplied::UnknownPayment);
    };
    let result = match *effect {
        WebhookEffect::Payment(outcome) => {
            let reason = reason.as_deref();
            settle(c, id, payment_ref, outcome, reason, Reporter::Webhook, now).await?
        }
        WebhookEffect::Refunded => {
            q(
                "UPDATE bookings SET refund_status = 'succeeded', updated_at = $1 \
               WHERE id = $2 AND refund_status = 'pending'",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *c)
            .await?;
            booking(c, id).await?
        }
        WebhookEffect::Ignored => booking(c, id).await?,
    };
    Ok(WebhookApplied::Applied(Box::new(result)))
}

/// Cancels a confirmed booking (by its owner, or by anyone when `user` is `None`): the seats
/// become available and a refund is owed.
pub async fn cancel_booking<C: Exec>(
    c: &mut C,
    id: BookingId,
    user: Option<UserId>,
    now: UnixMs,
) -> StoreResult<Booking> {
    lock_booking(c, id.get()).await?;
    let row = q("SELECT status, user_id, show_id FROM bookings WHERE id = $1")
        .bind(id.get())
        .fetch_optional(&mut *c)
        .await?
        .ok_or(StoreError::NotFound("booking"))?;
    if let Some(user) = user {
        if row.get::<i64>("user_id")? != user.get() {
            return Err(StoreError::NotFound("booking"));
        }
    }
    let status = decode(row.get("status")?, "booking status", BookingStatus::parse)?;
    let show: i64 = row.get("show_id")?;
    if status == BookingStatus::Cancelled {
        return booking(c, id.get()).await;
    }
    if !status.can_cancel() {
        return Err(StoreError::Conflict(format!(
            "a {} booking cannot be cancelled",
            status.as_str()
        )));
    }
    q(
        "UPDATE bookings SET status = 'cancelled', refund_status = 'pending', updated_at = $1 \
       WHERE id = $2",
    )
    .bind(now)
    .bind(id.get())
    .execute(&mut *c)
    .await?;
    let freed: Vec<i64> = q(
        "UPDATE tickets SET status = 'available', booking_id = NULL \
         WHERE booking_id = $1 AND status = 'sold' RETURNING seat_id",
    )
    .bind(id.get())
    .scalars(&mut *c)
    .await?;
    let change = SeatChange {
        topic: "booking",
        entity: id.get(),
        show,
        kind: "cancelled",
        status: "available",
    };
    emit_seats(c, now, change, &freed).await?;
    super::waitlist::offer_after_freeing(c, show, now).await?;
    booking(c, id.get()).await
}

pub async fn refund_done<C: Exec>(
    c: &mut C,
    id: BookingId,
    refund_ref: &str,
    now: UnixMs,
) -> StoreResult<Booking> {
    q(
        "UPDATE bookings SET refund_status = 'succeeded', refund_ref = COALESCE(refund_ref, $1), \
         updated_at = $2 WHERE id = $3 AND refund_status IS NOT NULL",
    )
    .bind(refund_ref)
    .bind(now)
    .bind(id.get())
    .execute(&mut *c)
    .await?;
    booking(c, id.get()).await
}

/// Payments still pending since `older_than`, to ask the provider about (reconciliation).
pub async fn pending_payments<C: Exec>(
    c: &mut C,
    older_than: UnixMs,
    limit: i64,
) -> StoreResult<Vec<PendingPayment>> {
    let rows = q("SELECT id, provider, payment_ref FROM bookings \
         WHERE status = 'pending_payment' AND updated_at <= $1 AND payment_ref IS NOT NULL \
         ORDER BY updated_at LIMIT $2")
    .bind(older_than)
    .bind(limit)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PendingPayment {
                booking_id: BookingId::new(r.get("id")?),
                provider: r.get("provider")?,
                payment_ref: r.get("payment_ref")?,
            })
        })
        .collect()
}

pub async fn owed_refunds<C: Exec>(c: &mut C, limit: i64) -> StoreResult<Vec<OwedRefund>> {
    let rows = q("SELECT id, provider, payment_ref, total FROM bookings \
         WHERE refund_status = 'pending' AND payment_ref IS NOT NULL \
         ORDER BY updated_at LIMIT $1")
    .bind(limit)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OwedRefund {
                booking_id: BookingId::new(r.get("id")?),
                provider: r.get("provider")?,
                payment_ref: r.get("payment_ref")?,
                amount: r.get("total")?,
            })
        })
        .collect()
}

/// Everything a booking email needs.
pub async fn booking_mail<C: Exec>(c: &mut C, id: BookingId) -> StoreResult<BookingMail> {
    let view = booking(c, id.get()).await?;
    let row = q(
        "SELECT u.email, u.name, e.title, s.starts_at, v.name AS venue, c.name AS city \
         FROM bookings b \
         JOIN users u ON u.id = b.user_id JOIN shows s ON s.id = b.show_id \
         JOIN events e ON e.id = s.event_id JOIN venues v ON v.id = e.venue_id \
         JOIN cities c ON c.id = v.city_id WHERE b.id = $1",
    )
    .bind(id.get())
    .fetch_one(c)
    .await?;
    Ok(BookingMail {
        booking: view,
        email: row.get("email")?,
        name: row.get("name")?,
        event_title: row.get("title")?,
        starts_at: row.get("starts_at")?,
        venue: row.get("venue")?,
        city: row.get("city")?,
    })
}

/// The books of one show, for the oversell checks of tests and load tools.
pub async fn inventory_report<C: Exec>(
    c: &mut C,
    show: ShowId,
    now: UnixMs,
) -> StoreResult<InventoryReport> {
    let a = show_availability(c, show, now).await?;
    let oversold: i64 = q(
        "SELECT COUNT(*) AS doubles FROM (SELECT hs.seat_id FROM bookings b \
           JOIN hold_seats hs ON hs.hold_id = b.hold_id \
           WHERE b.show_id = $1 AND b.status = 'confirmed' \
           GROUP BY hs.seat_id HAVING COUNT(*) > 1) AS doubles",
    )
    .bind(show.get())
    .scalar(&mut *c)
    .await?;
    let mismatched: i64 = q("SELECT COUNT(*) AS mismatched FROM bookings b \
         JOIN hold_seats hs ON hs.hold_id = b.hold_id \
         LEFT JOIN tickets t ON t.show_id = b.show_id AND t.seat_id = hs.seat_id \
         WHERE b.show_id = $1 AND b.status = 'confirmed' \
         AND (t.status IS NULL OR t.status <> 'sold' OR t.booking_id IS NULL \
              OR t.booking_id <> b.id)")
    .bind(show.get())
    .scalar(&mut *c)
    .await?;
    let confirmed: i64 = q(
        "SELECT COUNT(*) AS confirmed FROM bookings WHERE show_id = $1 AND status = 'confirmed'",
    )
    .bind(show.get())
    .scalar(c)
    .await?;
    Ok(InventoryReport {
        capacity: a.available + a.held + a.sold,
        available: a.available,
        held: a.held,
        sold: a.sold,
        oversold,
        mismatched,
        confirmed_bookings: confirmed,
    })
}

/// Seats by status, confirmed bookings and their total, and the live waitlist of one show.
pub async fn show_sales<C: Exec>(c: &mut C, show: ShowId, now: UnixMs) -> StoreResult<ShowSales> {
    let a = show_availability(c, show, now).await?;
    let row = q(
        "SELECT COUNT(*) AS confirmed, CAST(COALESCE(SUM(total), 0) AS BIGINT) AS revenue FROM bookings \
         WHERE show_id = $1 AND status = 'confirmed'",
    )
    .bind(show.get())
    .fetch_one(&mut *c)
    .await?;
    let waitlist: i64 = q("SELECT COUNT(*) AS waiting FROM waitlist \
         WHERE show_id = $1 AND status = 'waiting' AND expires_at > $2")
    .bind(show.get())
    .bind(now)
    .scalar(c)
    .await?;
    Ok(ShowSales {
        available: a.available,
        held: a.held,
        sold: a.sold,
        confirmed_bookings: row.get("confirmed")?,
        revenue: row.get("revenue")?,
        waitlist,
    })
}
