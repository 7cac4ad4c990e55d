//! Tickets: issuing them (lazily and idempotently, once per seat of a confirmed booking),
//! listing them, transfers, check-in at the doors, the signing keys and the revocation list.
//!
//! Whether a ticket admits anyone is derived, never stored on the ticket: it is live while it
//! is not revoked (by a transfer) and its booking is still `confirmed`. So cancelling or
//! refunding a booking (`settlement.rs`) voids its tickets without knowing they exist.

use super::super::exec::{q, Exec, Row};
use super::super::{StoreError, StoreResult};
use super::decode;
use super::settlement::booking;
use crate::domain::booking::BookingStatus;
use crate::domain::users::{Role, User};
use crate::domain::*;
use crate::tickets::{
    code, keys, unix_secs, CheckinOutcome, IssuedTicket, PublishedKey, Revocation, ScanRecord,
    TicketClaims, TicketScan, TicketSeat, TicketTransfer, VALID_AFTER_START_MS,
};
use ed25519_dalek::SigningKey;

const TICKET_COLUMNS: &str = "SELECT it.id, it.booking_id, it.show_id, it.seat_id, it.code, \
     it.holder_id, se.name AS section, s.row_label, s.number \
     FROM issued_tickets it JOIN seats s ON s.id = it.seat_id \
     JOIN sections se ON se.id = s.section_id ";

const TICKET_ORDER: &str = " ORDER BY it.show_id, se.position, s.row_rank, s.number, it.id";

fn ticket_from_row(row: &Row) -> StoreResult<IssuedTicket> {
    Ok(IssuedTicket {
        id: TicketId::new(row.get("id")?),
        booking_id: BookingId::new(row.get("booking_id")?),
        show_id: ShowId::new(row.get("show_id")?),
        seat: seat_from_row(row)?,
        code: row.get("code")?,
        holder: UserId::new(row.get("holder_id")?),
    })
}

fn seat_from_row(row: &Row) -> StoreResult<TicketSeat> {
    Ok(TicketSeat::new(
        SeatId::new(row.get("seat_id")?),
        row.get("section")?,
        row.get("row_label")?,
        row.get("number")?,
    ))
}

/// A stored id as the unsigned integer a code carries.
fn unsigned(id: i64) -> StoreResult<u64> {
    u64::try_from(id).map_err(|_| StoreError::Internal(format!("negative id {id}")))
}

// Keys ------------------------------------------------------------------------------------------

/// The active signing key, created on first need. Two first needs at once (PostgreSQL) both
/// insert; the unique index on the active flag lets one win and the other reads it.
async fn active_key<C: Exec>(c: &mut C, now: UnixMs) -> StoreResult<(u32, SigningKey)> {
    for _ in 0..2 {
        let row = q("SELECT id, private_key FROM ticket_keys WHERE active")
            .fetch_optional(&mut *c)
            .await?;
        if let Some(row) = row {
            let id: i64 = row.get("id")?;
            let id = u32::try_from(id)
                .map_err(|_| StoreError::Internal(format!("ticket key id {id} out of range")))?;
            let key = keys::decode_private(row.get("private_key")?)
                .ok_or_else(|| StoreError::Internal(format!("ticket key {id} does not decode")))?;
            return Ok((id, key));
        }
        insert_key(c, now).await?;
    }
    Err(StoreError::Internal("no active ticket key".into()))
}

async fn insert_key<C: Exec>(c: &mut C, now: UnixMs) -> StoreResult<Option<i64>> {
    let key = keys::generate();
    q(
        "INSERT INTO ticket_keys (public_key, private_key, created_at, active) \
       VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(keys::encode_public(&key.verifying_key()))
    .bind(keys::encode_private(&key))
    .bind(now)
    .bind(true)
    .scalar_opt(c)
    .await
}

/// Retires the active key (it stays published, so its tickets keep verifying) and makes a new
/// one active; returns the new key's id.
pub async fn rotate_key<C: Exec>(c: &mut C, now: UnixMs) -> StoreResult<i64> {
    q("UPDATE ticket_keys SET active = $1 WHERE active")
        .bind(false)
        .execute(&mut *c)
        .await?;
    insert_key(c, now)
        .await?
        .ok_or_else(|| StoreError::Internal("a new ticket key was not stored".into()))
}

/// Every key that ever signed tickets, oldest first.
pub async fn published_keys<C: Exec>(c: &mut C) -> StoreResult<Vec<PublishedKey>> {
    let rows = q("SELECT id, public_key FROM ticket_keys ORDER BY id")
        .fetch_all(c)
        .await?;
    rows.iter()
        .map(|r| {
            let id: i64 = r.get("id")?;
            Ok(PublishedKey {
                id: u32::try_from(id)
                    .map_err(|_| StoreError::Internal(format!("ticket key id {id}")))?,
                public_key: r.get("public_key")?,
            })
        })
        .collect()
}

// Issuing ---------------------------------------------------------------------------------------

/// Writes a ticket row and its signed code; `None` when that (booking, seat, generation) exists.
#[allow(clippy::too_many_arguments)]
async fn issue_one<C: Exec>(
    c: &mut C,
    key: &(u32, SigningKey),
    booking: i64,
    show: i64,
    seat: i64,
    generation: i64,
    holder: i64,
    valid_until: UnixMs,
    now: UnixMs,
) -> StoreResult<Option<i64>> {
    let id: Option<i64> = q(
        "INSERT INTO issued_tickets (booking_id, show_id, seat_id, generation, holder_id, key_id, \
           code, issued_at) VALUES ($1, $2, $3, $4, $5, $6, '', $7) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(booking)
    .bind(show)
    .bind(seat)
    .bind(generation)
    .bind(holder)
    .bind(i64::from(key.0))
    .bind(now)
    .scalar_opt(&mut *c)
    .await?;
    let Some(id) = id else { return Ok(None) };
    let claims = TicketClaims {
        key_id: key.0,
        ticket_id: unsigned(id)?,
        show_id: unsigned(show)?,
        seat_id: unsigned(seat)?,
        valid_from: unix_secs(now),
        valid_until: unix_secs(valid_until),
    };
    q("UPDATE issued_tickets SET code = $1 WHERE id = $2")
        .bind(code::sign(&claims, &key.1))
        .bind(id)
        .execute(c)
        .await?;
    Ok(Some(id))
}

async fn valid_until<C: Exec>(c: &mut C, show: i64) -> StoreResult<UnixMs> {
    let starts: i64 = q("SELECT starts_at FROM shows WHERE id = $1")
        .bind(show)
        .scalar(c)
        .await?;
    Ok(starts.saturating_add(VALID_AFTER_START_MS))
}

/// Issues the tickets of a confirmed booking that has none yet: one per seat, held by the buyer.
/// Idempotent — a second call (or a concurrent one) adds nothing.
pub async fn issue_tickets<C: Exec>(c: &mut C, booking_id: i64, now: UnixMs) -> StoreResult<()> {
    let b = booking(c, booking_id).await?;
    if b.status != BookingStatus::Confirmed {
        return Ok(());
    }
    let buyer: i64 = q("SELECT user_id FROM bookings WHERE id = $1")
        .bind(booking_id)
        .scalar(&mut *c)
        .await?;
    let show = b.show_id.get();
    let until = valid_until(c, show).await?;
    let key = active_key(c, now).await?;
    for seat in &b.seats {
        issue_one(
            c,
            &key,
            booking_id,
            show,
            seat.id.get(),
            0,
            buyer,
            until,
            now,
        )
        .await?;
    }
    Ok(())
}

/// How many seats of a booking have their first ticket.
pub async fn issued_count<C: Exec>(c: &mut C, booking_id: i64) -> StoreResult<i64> {
    q("SELECT COUNT(*) AS n FROM issued_tickets WHERE booking_id = $1 AND generation = 0")
        .bind(booking_id)
        .scalar(c)
        .await
}

/// The live tickets of a booking still held by `holder`.
pub async fn booking_tickets<C: Exec>(
    c: &mut C,
    booking_id: i64,
    holder: i64,
) -> StoreResult<Vec<IssuedTicket>> {
    let rows = q(format!(
        "{TICKET_COLUMNS} WHERE it.booking_id = $1 AND it.holder_id = $2 \
         AND it.revoked_at IS NULL{TICKET_ORDER}"
    ))
    .bind(booking_id)
    .bind(holder)
    .fetch_all(c)
    .await?;
    rows.iter().map(ticket_from_row).collect()
}

/// Confirmed bookings of `user` whose tickets were never issued (never read yet).
pub async fn bookings_without_tickets<C: Exec>(c: &mut C, user: UserId) -> StoreResult<Vec<i64>> {
    q(
        "SELECT b.id FROM bookings b WHERE b.user_id = $1 AND b.status = 'confirmed' \
       AND NOT EXISTS (SELECT 1 FROM issued_tickets it WHERE it.booking_id = b.id)",
    )
    .bind(user.get())
    .scalars(c)
    .await
}

/// Every live ticket `user` holds (bought or received), for shows of confirmed bookings.
pub async fn held_tickets<C: Exec>(c: &mut C, user: UserId) -> StoreResult<Vec<IssuedTicket>> {
    let rows = q(format!(
        "{TICKET_COLUMNS} JOIN bookings b ON b.id = it.booking_id \
         WHERE it.holder_id = $1 AND it.revoked_at IS NULL AND b.status = 'confirmed'{TICKET_ORDER}"
    ))
    .bind(user.get())
    .fetch_all(c)
    .await?;
    rows.iter().map(ticket_from_row).collect()
}

// Revocation ------------------------------------------------------------------------------------

/// Why the ticket (whose booking has `status`) no longer admits, if it does not.
fn revocation(revoked: bool, status: BookingStatus) -> Option<Revocation> {
    match status {
        _ if revoked => Some(Revocation::Transferred),
        BookingStatus::Confirmed => None,
        BookingStatus::Refunded => Some(Revocation::Refunded),
        // A ticket only exists for a booking that was confirmed; any other state voids it.
        _ => Some(Revocation::Cancelled),
    }
}

/// Tickets of a show that must not admit: transferred away, or of a booking no longer
/// confirmed. Derived from the bookings at the time of asking.
pub async fn revoked_tickets<C: Exec>(c: &mut C, show: ShowId) -> StoreResult<Vec<TicketId>> {
    super::show_exists(&mut *c, show).await?;
    let ids: Vec<i64> = q(
        "SELECT it.id FROM issued_tickets it JOIN bookings b ON b.id = it.booking_id \
         WHERE it.show_id = $1 AND (it.revoked_at IS NOT NULL OR b.status <> 'confirmed') \
         ORDER BY it.id",
    )
    .bind(show.get())
    .scalars(c)
    .await?;
    Ok(ids.into_iter().map(TicketId::new).collect())
}

/// Tickets of a show checked in, and its seats sold; `NotFound` for a show that does not exist.
pub async fn checkin_counts<C: Exec>(
    c: &mut C,
    show: ShowId,
) -> StoreResult<crate::tickets::CheckinCounts> {
    super::show_exists(&mut *c, show).await?;
    let checked_in: i64 = q(
        "SELECT COUNT(*) FROM checkins ch JOIN issued_tickets it ON it.id = ch.ticket_id \
         WHERE it.show_id = $1",
    )
    .bind(show.get())
    .scalar(&mut *c)
    .await?;
    let sold: i64 = q("SELECT COUNT(*) FROM tickets WHERE show_id = $1 AND status = 'sold'")
        .bind(show.get())
        .scalar(c)
        .await?;
    Ok(crate::tickets::CheckinCounts { checked_in, sold })
}

// Check-in --------------------------------------------------------------------------------------

/// The ticket row a code names, locked (PostgreSQL) against a concurrent transfer.
struct TicketRow {
    booking_id: i64,
    show_id: i64,
    seat_id: i64,
    holder_id: i64,
    generation: i64,
    revoked: bool,
}

async fn lock_ticket<C: Exec>(c: &mut C, id: i64) -> StoreResult<Option<TicketRow>> {
    let row = q(format!(
        "SELECT booking_id, show_id, seat_id, holder_id, generation, revoked_at \
         FROM issued_tickets WHERE id = $1{}",
        C::FOR_UPDATE
    ))
    .bind(id)
    .fetch_optional(c)
    .await?;
    row.map(|r| {
        Ok(TicketRow {
            booking_id: r.get("booking_id")?,
            show_id: r.get("show_id")?,
            seat_id: r.get("seat_id")?,
            holder_id: r.get("holder_id")?,
            generation: r.get("generation")?,
            revoked: r.get::<Option<i64>>("revoked_at")?.is_some(),
        })
    })
    .transpose()
}

async fn booking_status<C: Exec>(c: &mut C, booking: i64) -> StoreResult<BookingStatus> {
    let raw: String = q("SELECT status FROM bookings WHERE id = $1")
        .bind(booking)
        .scalar(c)
        .await?;
    decode(&raw, "booking status", BookingStatus::parse)
}

async fn ticket_seat<C: Exec>(c: &mut C, seat: i64) -> StoreResult<TicketSeat> {
    let row = q(
        "SELECT s.id AS seat_id, se.name AS section, s.row_label, s.number FROM seats s \
         JOIN sections se ON se.id = s.section_id WHERE s.id = $1",
    )
    .bind(seat)
    .fetch_one(c)
    .await?;
    seat_from_row(&row)
}

/// Records the first scan of a ticket. The primary key of `checkins` decides between two gates
/// scanning at once: one insert wins, the other finds the winner's scan.
pub async fn check_in<C: Exec>(
    c: &mut C,
    scan: &TicketScan,
    now: UnixMs,
) -> StoreResult<CheckinOutcome> {
    let Ok(id) = i64::try_from(scan.claims.ticket_id) else {
        return Ok(CheckinOutcome::Unknown);
    };
    let Some(t) = lock_ticket(c, id).await? else {
        return Ok(CheckinOutcome::Unknown);
    };
    if u64::try_from(t.show_id).ok() != Some(scan.claims.show_id)
        || u64::try_from(t.seat_id).ok() != Some(scan.claims.seat_id)
    {
        return Ok(CheckinOutcome::Unknown);
    }
    let ticket_id = TicketId::new(id);
    if let Some(door) = scan.show {
        if door.get() != t.show_id {
            return Ok(CheckinOutcome::WrongShow {
                ticket_id,
                show_id: ShowId::new(t.show_id),
            });
        }
    }
    let status = booking_status(c, t.booking_id).await?;
    if let Some(why) = revocation(t.revoked, status) {
        return Ok(CheckinOutcome::Revoked { ticket_id, why });
    }
    let seat = ticket_seat(c, t.seat_id).await?;
    let this = ScanRecord {
        gate: scan.gate.clone(),
        scanned_at: rfc3339(scan.scanned_at),
    };
    let inserted: Option<i64> = q(
        "INSERT INTO checkins (ticket_id, gate, scanned_at, recorded_at, staff_id) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING ticket_id",
    )
    .bind(id)
    .bind(&scan.gate)
    .bind(scan.scanned_at)
    .bind(now)
    .bind(scan.staff.get())
    .scalar_opt(&mut *c)
    .await?;
    if inserted.is_some() {
        return Ok(CheckinOutcome::Admitted {
            ticket_id,
            show_id: ShowId::new(t.show_id),
            seat,
            scan: this,
        });
    }
    let first = q("SELECT gate, scanned_at FROM checkins WHERE ticket_id = $1")
        .bind(id)
        .fetch_one(c)
        .await?;
    Ok(CheckinOutcome::AlreadyScanned {
        ticket_id,
        seat,
        first: ScanRecord {
            gate: first.get("gate")?,
            scanned_at: rfc3339(first.get("scanned_at")?),
        },
        this,
    })
}

// Transfer --------------------------------------------------------------------------------------

/// Hands a live ticket of `from` to the account with `email`: a new ticket with a new code for
/// the recipient, and the old code revoked. Only the holder may transfer (others get
/// `NotFound`); a used ticket cannot be.
pub async fn transfer_ticket<C: Exec>(
    c: &mut C,
    ticket: TicketId,
    from: UserId,
    email: &str,
    now: UnixMs,
) -> StoreResult<TicketTransfer> {
    let t = lock_ticket(c, ticket.get())
        .await?
        .filter(|t| t.holder_id == from.get())
        .ok_or(StoreError::NotFound("ticket"))?;
    if t.revoked {
        return Err(StoreError::Gone(
            "this ticket was transferred already".into(),
        ));
    }
    let status = booking_status(c, t.booking_id).await?;
    if let Some(why) = revocation(false, status) {
        return Err(StoreError::Gone(format!(
            "the ticket is void: {}",
            why.describe()
        )));
    }
    let scanned: Option<i64> = q("SELECT ticket_id FROM checkins WHERE ticket_id = $1")
        .bind(ticket.get())
        .scalar_opt(&mut *c)
        .await?;
    if scanned.is_some() {
        return Err(StoreError::Conflict(
            "this ticket was already used at the door".into(),
        ));
    }
    let recipient: Option<i64> = q("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .scalar_opt(&mut *c)
        .await?;
    let recipient = recipient.ok_or_else(|| {
        StoreError::Invalid(Invalid::one(
            "email",
            "no account has this email; the recipient must register first",
        ))
    })?;
    if recipient == from.get() {
        return Err(StoreError::Invalid(Invalid::one(
            "email",
            "this is your own account",
        )));
    }
    let until = valid_until(c, t.show_id).await?;
    let key = active_key(c, now).await?;
    let new_id = issue_one(
        c,
        &key,
        t.booking_id,
        t.show_id,
        t.seat_id,
        t.generation + 1,
        recipient,
        until,
        now,
    )
    .await?
    .ok_or_else(|| StoreError::Conflict("this ticket was transferred already".into()))?;
    q("UPDATE issued_tickets SET revoked_at = $1, transferred_to = $2 WHERE id = $3")
        .bind(now)
        .bind(new_id)
        .bind(ticket.get())
        .execute(&mut *c)
        .await?;
    let row = q(format!("{TICKET_COLUMNS} WHERE it.id = $1"))
        .bind(new_id)
        .fetch_one(c)
        .await?;
    Ok(TicketTransfer {
        ticket: ticket_from_row(&row)?,
        from: ticket,
        recipient: email.to_owned(),
    })
}

// Roles -----------------------------------------------------------------------------------------

/// Gives a user another role (an admin makes door staff).
pub async fn set_role<C: Exec>(c: &mut C, user: UserId, role: Role) -> StoreResult<User> {
    let row = q("UPDATE users SET role = $1 WHERE id = $2 RETURNING id, email, name, role")
        .bind(role.as_str())
        .bind(user.get())
        .fetch_optional(c)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    Ok(User {
        id: UserId::new(row.get("id")?),
        email: row.get("email")?,
        name: row.get("name")?,
        role: decode(row.get("role")?, "role", Role::parse)?,
    })
}
