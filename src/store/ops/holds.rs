//! Holds: claiming seats, releasing them, and letting lapsed holds go.
//!
//! The inventory invariant lives here: a ticket is claimed only by a conditional `UPDATE`
//! whose `WHERE` treats an expired hold as free, inside the caller's transaction, all seats or
//! none. Rows are locked with the connection's [`Exec::FOR_UPDATE`] in seat order, so two
//! overlapping claims cannot deadlock, and standing places are picked with
//! [`Exec::SKIP_LOCKED`], so best-available buyers do not queue behind each other; SQLite
//! needs neither, having one writer.

use super::super::exec::{q, Exec, Qb, Q};
use super::super::{StoreError, StoreResult};
use super::{currency, decode, emit_seats, SeatChange};
use crate::domain::booking::*;
use crate::domain::*;
use std::collections::{BTreeMap, HashMap, HashSet};

pub(super) struct ShowRules {
    status: String,
    on_sale_at: i64,
    starts_at: i64,
    ttl_ms: i64,
    pub max_per_order: i64,
    currency: Currency,
    /// Someone is on the show's waitlist.
    pub waiters: bool,
}

impl ShowRules {
    /// `Conflict` unless seats of the show can be held at `now`.
    pub fn check_on_sale(&self, now: UnixMs) -> StoreResult<()> {
        if self.status != "scheduled" {
            return Err(StoreError::Conflict("the show is cancelled".into()));
        }
        if now < self.on_sale_at {
            return Err(StoreError::Conflict(format!(
                "the show goes on sale at {}",
                rfc3339(self.on_sale_at)
            )));
        }
        if now >= self.starts_at {
            return Err(StoreError::Conflict("the show has started".into()));
        }
        Ok(())
    }
}

pub(super) async fn show_rules<C: Exec>(c: &mut C, show: ShowId) -> StoreResult<ShowRules> {
    let row = q(
        "SELECT status, on_sale_at, starts_at, hold_ttl_seconds, max_per_order, currency, \
           EXISTS (SELECT 1 FROM waitlist w WHERE w.show_id = shows.id AND w.status = 'waiting') \
             AS waiters \
         FROM shows WHERE id = $1",
    )
    .bind(show.get())
    .fetch_optional(c)
    .await?
    .ok_or(StoreError::NotFound("show"))?;
    Ok(ShowRules {
        status: row.get("status")?,
        on_sale_at: row.get("on_sale_at")?,
        starts_at: row.get("starts_at")?,
        ttl_ms: row.get::<i64>("hold_ttl_seconds")? * 1000,
        max_per_order: row.get("max_per_order")?,
        currency: currency(&row, "currency")?,
        waiters: row.get("waiters")?,
    })
}

/// Chooses `quantity` free places of a section: for seated sections the lowest row with enough
/// adjacent seats, else the best seats in row order; for standing sections any free places.
async fn best_available<C: Exec>(
    c: &mut C,
    show: ShowId,
    section: &str,
    quantity: i64,
    now: UnixMs,
) -> StoreResult<Vec<i64>> {
    let found = q(
        "SELECT x.id, x.kind FROM show_prices p JOIN sections x ON x.id = p.section_id \
         WHERE p.show_id = $1 AND LOWER(x.name) = LOWER($2)",
    )
    .bind(show.get())
    .bind(section)
    .fetch_optional(&mut *c)
    .await?
    .ok_or_else(|| {
        StoreError::Invalid(Invalid::one(
            "section",
            format!("this show has no section named {section:?}"),
        ))
    })?;
    let section_id: i64 = found.get("id")?;
    let standing = found.get::<&str>("kind")? == "standing";
    // Free places in best-first order, straight from the (show, section, status, rank) index:
    // available ones, then holds that have lapsed (a partial index keeps those few apart from
    // the many live holds). The best rows are read first and the window widens only when they
    // hold no adjacent run.
    let mut window = if standing {
        quantity
    } else {
        (quantity * 8).max(128)
    };
    // Standing places are interchangeable, so PostgreSQL buyers skip each other's locked rows;
    // seated windows are not locked (a buyer whose pick was taken meanwhile gets a 409 and asks
    // again).
    let skip = if standing { C::SKIP_LOCKED } else { "" };
    let chosen = loop {
        let mut free: Vec<(i64, i64)> = Vec::new();
        let mut full = false;
        // Lapsed holds are read unordered: ordering them by rank would let the planner walk
        // every live hold in rank order instead of the partial index. They are few, and sorted
        // below; should a section ever have more than a window of them, best available picks
        // among those read.
        let queries = [
            ("t.status = 'available' ORDER BY t.seat_rank", skip),
            ("t.status = 'held' AND t.hold_expires_at <= $3", ""),
        ];
        for (filter_and_order, lock) in queries {
            let rows = q(format!(
                "SELECT t.seat_id, t.seat_rank FROM tickets t \
                 WHERE t.show_id = $1 AND t.section_id = $2 AND {filter_and_order} LIMIT $4{lock}"
            ))
            .bind(show.get())
            .bind(section_id)
            .bind(now)
            .bind(window)
            .fetch_all(&mut *c)
            .await?;
            full |= rows.len() as i64 == window;
            for r in &rows {
                free.push((r.get("seat_id")?, r.get("seat_rank")?));
            }
        }
        // The first `window` free places of the section, best first.
        free.sort_by_key(|(_, rank)| *rank);
        free.truncate(window as usize);
        if standing {
            break free
                .iter()
                .take(quantity as usize)
                .map(|(id, _)| *id)
                .collect::<Vec<i64>>();
        }
        let seats: Vec<(i64, i64, i64)> = free
            .iter()
            .map(|(id, rank)| (*id, rank / 1000, rank % 1000))
            .collect();
        if !full {
            // Every free seat of the section is here.
            break choose_adjacent(&seats, quantity as usize);
        }
        // The window may end inside a row: judge complete rows only.
        let last_row = seats.last().map_or(0, |s| s.1);
        let complete: Vec<(i64, i64, i64)> =
            seats.iter().copied().filter(|s| s.1 != last_row).collect();
        if let Some(run) = adjacent_run(&complete, quantity as usize) {
            break run;
        }
        window *= 4;
    };
    if (chosen.len() as i64) < quantity {
        return Err(StoreError::SeatsTaken {
            seat_ids: Vec::new(),
            detail: format!("only {} places left in {section}", chosen.len()),
        });
    }
    Ok(chosen)
}

pub async fn hold_view<C: Exec>(c: &mut C, hold: i64, now: UnixMs) -> StoreResult<Hold> {
    let row = q("SELECT show_id, status, total, currency, expires_at FROM holds WHERE id = $1")
        .bind(hold)
        .fetch_optional(&mut *c)
        .await?
        .ok_or(StoreError::NotFound("hold"))?;
    let expires_at: i64 = row.get("expires_at")?;
    let mut status = decode(row.get("status")?, "hold status", HoldStatus::parse)?;
    if status == HoldStatus::Active && expires_at + HOLD_GRACE_MS <= now {
        status = HoldStatus::Expired;
    }
    Ok(Hold {
        id: HoldId::new(hold),
        show_id: ShowId::new(row.get("show_id")?),
        status,
        seats: held_seats(c, hold).await?,
        expires_at: rfc3339(expires_at),
        total: row.get("total")?,
        currency: currency(&row, "currency")?,
    })
}

pub(super) async fn held_seats<C: Exec>(c: &mut C, hold: i64) -> StoreResult<Vec<HeldSeat>> {
    // Seat ids first, then the seats by explicit ids (see `settle` for why).
    let ids: Vec<i64> = q("SELECT seat_id FROM hold_seats WHERE hold_id = $1")
        .bind(hold)
        .scalars(&mut *c)
        .await?;
    hold_seats_by_id(c, hold, &ids).await
}

/// The seats `ids` of `hold`, for display, in section and row order.
async fn hold_seats_by_id<C: Exec>(
    c: &mut C,
    hold: i64,
    ids: &[i64],
) -> StoreResult<Vec<HeldSeat>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = Qb::new(
        "SELECT hs.seat_id, x.name AS section, st.row_label, st.number, hs.price FROM hold_seats hs \
         JOIN seats st ON st.id = hs.seat_id JOIN sections x ON x.id = st.section_id \
         WHERE hs.hold_id = ",
    );
    qb.push_bind(hold).push(" AND st.id IN ").push_ids(ids);
    qb.push(" ORDER BY x.position, st.row_rank, st.number");
    let rows = qb.build().fetch_all(c).await?;
    rows.iter()
        .map(|r| {
            Ok(HeldSeat {
                id: SeatId::new(r.get("seat_id")?),
                section: r.get("section")?,
                row: r.get("row_label")?,
                number: r.get("number")?,
                price: r.get("price")?,
            })
        })
        .collect()
}

/// `SELECT seat_id FROM tickets` for `seats` of `show`, then `tail`.
pub(super) fn tickets_of(show: i64, seats: &[i64], tail: &str) -> Q {
    let mut qb = Qb::new("SELECT seat_id FROM tickets WHERE show_id = ");
    qb.push_bind(show).push(" AND seat_id IN ").push_ids(seats);
    qb.push(tail);
    qb.build()
}

/// Locks the tickets of `seats` in seat order, so overlapping claims cannot deadlock.
pub(super) async fn lock_tickets<C: Exec>(c: &mut C, show: i64, seats: &[i64]) -> StoreResult<()> {
    if !C::FOR_UPDATE.is_empty() && !seats.is_empty() {
        let tail = format!(" ORDER BY seat_id{}", C::FOR_UPDATE);
        tickets_of(show, seats, &tail).fetch_all(c).await?;
    }
    Ok(())
}

/// Why a claim of `seats` got only `got`: 422 naming ids that are not seats of the show,
/// otherwise 409 naming the seats that are taken.
async fn unavailable<C: Exec>(
    c: &mut C,
    show: ShowId,
    seats: &[i64],
    got: &[i64],
) -> StoreResult<StoreError> {
    let existing: HashSet<i64> = tickets_of(show.get(), seats, "")
        .scalars::<i64, _>(c)
        .await?
        .into_iter()
        .collect();
    let unknown: Vec<String> = seats
        .iter()
        .filter(|s| !existing.contains(s))
        .map(|s| s.to_string())
        .collect();
    if !unknown.is_empty() {
        return Ok(StoreError::Invalid(Invalid::one(
            "seat_ids",
            format!("not seats of this show: {}", unknown.join(", ")),
        )));
    }
    let taken: Vec<SeatId> = seats
        .iter()
        .filter(|s| !got.contains(s))
        .map(|s| SeatId::new(*s))
        .collect();
    Ok(StoreError::SeatsTaken {
        detail: format!("{} of the requested seats are not available", taken.len()),
        seat_ids: taken,
    })
}

/// Whether the explicitly chosen seats of `hold` are free now, read outside the claim: the
/// negative control's read-then-write (see [`Claim::Unguarded`]).
pub async fn seats_look_free<C: Exec>(c: &mut C, hold: &NewHold, now: UnixMs) -> StoreResult<bool> {
    let SeatSelection::Seats(ids) = &hold.selection else {
        return Ok(true);
    };
    let ids: Vec<i64> = ids.iter().map(|s| s.get()).collect();
    let mut qb = Qb::new("SELECT COUNT(*) AS free FROM tickets t WHERE t.show_id = ");
    qb.push_bind(hold.show_id.get())
        .push(" AND t.seat_id IN ")
        .push_ids(&ids);
    qb.push(" AND (t.status = 'available' OR (t.status = 'held' AND t.hold_expires_at <= ")
        .push_bind(now)
        .push("))");
    let free: i64 = qb.build().scalar(c).await?;
    Ok(free >= ids.len() as i64)
}

/// How a claim treats seats that are not free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The real claim: only free tickets (never sold, never live-held) change.
    Guarded,
    /// The tests' negative control: an unconditional write, trusting an earlier read.
    Unguarded,
}

/// Claims seats for `user`, all or none. `SeatsTaken` names the unavailable seats.
///
/// A lapsed hold's seats are free to anyone, except while the show has a waitlist: then they
/// are first offered to the waiters, in this same transaction, and the buyer claims from what
/// is left, so no public buyer takes seats owed to a waiter.
pub async fn hold_seats<C: Exec>(
    c: &mut C,
    user: UserId,
    hold: &NewHold,
    claim: Claim,
    now: UnixMs,
) -> StoreResult<Hold> {
    let rules = show_rules(c, hold.show_id).await?;
    rules.check_on_sale(now)?;
    if rules.waiters && has_lapsed_holds(c, hold.show_id, now).await? {
        super::waitlist::offer_freed(c, hold.show_id, &rules, now).await?;
    }
    claim_seats(c, user, hold, &rules, claim, now).await
}

async fn has_lapsed_holds<C: Exec>(c: &mut C, show: ShowId, now: UnixMs) -> StoreResult<bool> {
    let lapsed = q("SELECT seat_id FROM tickets \
         WHERE show_id = $1 AND status = 'held' AND hold_expires_at <= $2 LIMIT 1")
    .bind(show.get())
    .bind(now)
    .fetch_optional(c)
    .await?;
    Ok(lapsed.is_some())
}

/// The claim itself, for a show whose rules were read and checked.
pub(super) async fn claim_seats<C: Exec>(
    c: &mut C,
    user: UserId,
    hold: &NewHold,
    rules: &ShowRules,
    claim: Claim,
    now: UnixMs,
) -> StoreResult<Hold> {
    let count = hold.selection.count();
    if count > rules.max_per_order {
        let field = match hold.selection {
            SeatSelection::Seats(_) => "seat_ids",
            SeatSelection::BestAvailable { .. } => "quantity",
        };
        return Err(StoreError::Invalid(Invalid::one(
            field,
            format!(
                "at most {} seats per order for this show",
                rules.max_per_order
            ),
        )));
    }
    let mut seats: Vec<i64> = match &hold.selection {
        SeatSelection::Seats(ids) => ids.iter().map(|s| s.get()).collect(),
        SeatSelection::BestAvailable { section, quantity } => {
            best_available(c, hold.show_id, section, *quantity, now).await?
        }
    };
    seats.sort_unstable();
    lock_tickets(c, hold.show_id.get(), &seats).await?;
    let expires_at = now + rules.ttl_ms;
    let hold_id: i64 = q("INSERT INTO holds \
           (show_id, user_id, status, seat_count, total, currency, created_at, expires_at) \
         VALUES ($1, $2, 'active', $3, 0, $4, $5, $6) RETURNING id")
    .bind(hold.show_id.get())
    .bind(user.get())
    .bind(seats.len() as i64)
    .bind(rules.currency.as_str())
    .bind(now)
    .bind(expires_at)
    .scalar(&mut *c)
    .await?;
    let mut qb = Qb::new("UPDATE tickets SET status = 'held', hold_id = ");
    qb.push_bind(hold_id)
        .push(", hold_expires_at = ")
        .push_bind(expires_at + HOLD_GRACE_MS)
        .push(" WHERE show_id = ")
        .push_bind(hold.show_id.get())
        .push(" AND seat_id IN ")
        .push_ids(&seats);
    if claim == Claim::Guarded {
        // The claim guard: only free tickets (never sold, never live-held) change. Written as
        // a CASE so that no planner turns it into a scan of every free or held ticket of the
        // show: the primary key is the only way in.
        qb.push(" AND CASE WHEN status = 'held' THEN hold_expires_at <= ")
            .push_bind(now)
            .push(" ELSE status = 'available' END");
    }
    qb.push(" RETURNING seat_id, price");
    let claimed = qb.build().fetch_all(&mut *c).await?;
    if claimed.len() < seats.len() {
        let got = claimed
            .iter()
            .map(|r| r.get::<i64>("seat_id"))
            .collect::<StoreResult<Vec<i64>>>()?;
        return Err(unavailable(c, hold.show_id, &seats, &got).await?);
    }
    let mut total = 0;
    let mut rows = Vec::with_capacity(claimed.len());
    for r in &claimed {
        let price: i64 = r.get("price")?;
        total += price;
        rows.push([hold_id, r.get::<i64>("seat_id")?, price]);
    }
    let mut insert = Qb::new("INSERT INTO hold_seats (hold_id, seat_id, price) VALUES ");
    insert.push_rows(rows);
    insert.build().execute(&mut *c).await?;
    q("UPDATE holds SET total = $1 WHERE id = $2")
        .bind(total)
        .bind(hold_id)
        .execute(&mut *c)
        .await?;
    let change = SeatChange {
        topic: "hold",
        entity: hold_id,
        show: hold.show_id.get(),
        kind: "created",
        status: "held",
    };
    emit_seats(c, now, change, &seats).await?;
    Ok(Hold {
        id: HoldId::new(hold_id),
        show_id: hold.show_id,
        status: HoldStatus::Active,
        seats: hold_seats_by_id(c, hold_id, &seats).await?,
        expires_at: rfc3339(expires_at),
        total,
        currency: rules.currency.clone(),
    })
}

/// A hold's row as its owner may act on it.
pub struct OwnedHold {
    pub status: String,
    pub show: i64,
    pub seat_count: i64,
}

/// Reads a hold of `user`, locking its row so concurrent bookings or releases of the same hold
/// take turns. Someone else's hold is `NotFound`.
pub async fn owned_hold<C: Exec>(c: &mut C, id: HoldId, user: UserId) -> StoreResult<OwnedHold> {
    let row = q(format!(
        "SELECT status, show_id, seat_count, user_id FROM holds WHERE id = $1{}",
        C::FOR_UPDATE
    ))
    .bind(id.get())
    .fetch_optional(c)
    .await?
    .ok_or(StoreError::NotFound("hold"))?;
    if row.get::<i64>("user_id")? != user.get() {
        return Err(StoreError::NotFound("hold"));
    }
    Ok(OwnedHold {
        status: row.get("status")?,
        show: row.get("show_id")?,
        seat_count: row.get("seat_count")?,
    })
}

pub async fn release_hold<C: Exec>(
    c: &mut C,
    id: HoldId,
    user: UserId,
    now: UnixMs,
) -> StoreResult<()> {
    let hold = owned_hold(c, id, user).await?;
    match hold.status.as_str() {
        "booked" => {
            return Err(StoreError::Conflict(
                "the hold has a booking; cancel the booking instead".into(),
            ))
        }
        "active" => {}
        _ => return Ok(()),
    }
    let freed = free_held_tickets(c, id.get()).await?;
    q("UPDATE holds SET status = 'released' WHERE id = $1")
        .bind(id.get())
        .execute(&mut *c)
        .await?;
    if !freed.is_empty() {
        let change = SeatChange {
            topic: "hold",
            entity: id.get(),
            show: hold.show,
            kind: "released",
            status: "available",
        };
        emit_seats(c, now, change, &freed).await?;
        super::waitlist::offer_after_freeing(c, hold.show, now).await?;
    }
    Ok(())
}

/// Makes the tickets `hold` still holds available again; the seats it freed.
pub(super) async fn free_held_tickets<C: Exec>(c: &mut C, hold: i64) -> StoreResult<Vec<i64>> {
    q(
        "UPDATE tickets SET status = 'available', hold_id = NULL, hold_expires_at = NULL \
       WHERE hold_id = $1 AND status = 'held' RETURNING seat_id",
    )
    .bind(hold)
    .scalars(c)
    .await
}

/// Frees up to `limit` lapsed tickets (and forgets idempotency keys older than a day); returns
/// how many holds expired.
pub async fn expire_holds<C: Exec>(c: &mut C, now: UnixMs, limit: i64) -> StoreResult<u64> {
    // Which holds lapsed (read first: the update below clears hold_id). On PostgreSQL rows a
    // claim is working on right now are skipped, not waited for.
    let lapsed = q(format!(
        "SELECT show_id, seat_id, hold_id FROM tickets \
         WHERE status = 'held' AND hold_expires_at <= $1 \
         ORDER BY show_id, seat_id LIMIT $2{}",
        C::SKIP_LOCKED
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    let mut holds = HashMap::new();
    for r in &lapsed {
        let hold = r.get::<Option<i64>>("hold_id")?.unwrap_or(0);
        holds.insert((r.get::<i64>("show_id")?, r.get::<i64>("seat_id")?), hold);
    }
    let mut freed = Vec::new();
    if !lapsed.is_empty() {
        // The condition is repeated: PostgreSQL re-checks the WHERE on a row changed while this
        // statement waited for it (a fresh claim, a late payment's sale), and such a row must
        // be left alone.
        let mut qb = Qb::new(
            "UPDATE tickets SET status = 'available', hold_id = NULL, hold_expires_at = NULL \
             WHERE status = 'held' AND hold_expires_at <= ",
        );
        qb.push_bind(now).push(" AND (show_id, seat_id) IN (");
        qb.push_rows(holds.keys().map(|(show, seat)| [*show, *seat]));
        qb.push(") RETURNING show_id, seat_id");
        freed = qb.build().fetch_all(&mut *c).await?;
    }
    let mut by_hold: BTreeMap<(i64, i64), Vec<i64>> = BTreeMap::new();
    for r in &freed {
        let (show, seat): (i64, i64) = (r.get("show_id")?, r.get("seat_id")?);
        let hold = holds.get(&(show, seat)).copied().unwrap_or(0);
        by_hold.entry((hold, show)).or_default().push(seat);
    }
    for ((hold, show), seats) in &by_hold {
        let change = SeatChange {
            topic: "hold",
            entity: *hold,
            show: *show,
            kind: "expired",
            status: "available",
        };
        emit_seats(c, now, change, seats).await?;
    }
    let shows: std::collections::BTreeSet<i64> = by_hold.keys().map(|(_, show)| *show).collect();
    for show in shows {
        super::waitlist::offer_after_freeing(c, show, now).await?;
    }
    super::waitlist::housekeeping(c, now).await?;
    let expired =
        q("UPDATE holds SET status = 'expired' WHERE status = 'active' AND expires_at <= $1")
            .bind(now - HOLD_GRACE_MS)
            .execute(&mut *c)
            .await?;
    q("DELETE FROM idempotency_keys WHERE created_at <= $1")
        .bind(now - 86_400_000)
        .execute(c)
        .await?;
    Ok(expired)
}
