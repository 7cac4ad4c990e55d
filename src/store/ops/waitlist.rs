//! The seat waitlist: buyers waiting for seats that others hold, and the hand-over of freed
//! seats to the longest waiter whose quantity fits.
//!
//! The hand-over runs inside the transaction that frees the seats (a release, an expiry, a
//! refused sale, a cancellation), and a public hold of a show with waiters first hands lapsed
//! holds to the waiters in its own transaction. So a freed seat is never visible as available
//! to a public buyer while a waiter it fits is in line, and each seat goes to one waiter: the
//! waiter's hold is an ordinary claim, under the same guard as every other.

use super::super::exec::{q, Exec, Row};
use super::super::{OfferMail, StoreError, StoreResult};
use super::holds::{claim_seats, show_rules, Claim, ShowRules};
use super::{decode, emit};
use crate::domain::booking::{NewHold, SeatSelection};
use crate::domain::surge::*;
use crate::domain::*;
use std::collections::BTreeMap;

/// A section of the show with its free places, in the venue's order.
struct FreeSection {
    id: i64,
    name: String,
    free: i64,
}

/// Free places (lapsed holds included) per priced section, and seats under live holds.
async fn free_by_section<C: Exec>(
    c: &mut C,
    show: ShowId,
    now: UnixMs,
) -> StoreResult<(Vec<FreeSection>, i64)> {
    let rows = q("SELECT x.id, x.name, \
           (SELECT COUNT(*) FROM tickets t WHERE t.show_id = p.show_id AND t.section_id = x.id \
              AND CASE WHEN t.status = 'held' THEN t.hold_expires_at <= $2 \
                  ELSE t.status = 'available' END) AS free, \
           (SELECT COUNT(*) FROM tickets t WHERE t.show_id = p.show_id AND t.section_id = x.id \
              AND t.status = 'held' AND t.hold_expires_at > $2) AS held \
         FROM show_prices p JOIN sections x ON x.id = p.section_id \
         WHERE p.show_id = $1 ORDER BY x.position")
    .bind(show.get())
    .bind(now)
    .fetch_all(c)
    .await?;
    let mut held = 0;
    let mut sections = Vec::with_capacity(rows.len());
    for r in &rows {
        held += r.get::<i64>("held")?;
        sections.push(FreeSection {
            id: r.get("id")?,
            name: r.get("name")?,
            free: r.get("free")?,
        });
    }
    Ok((sections, held))
}

/// Puts `user` on the waitlist of a show whose free seats are too few. `Conflict` when enough
/// are free now; `Invalid` when more are asked for than could ever free up. Someone already
/// waiting gets their entry back.
pub async fn join<C: Exec>(
    c: &mut C,
    user: UserId,
    entry: &NewWaitlistEntry,
    now: UnixMs,
) -> StoreResult<WaitlistEntry> {
    let show = entry.show_id;
    let rules = show_rules(c, show).await?;
    rules.check_on_sale(now)?;
    if entry.quantity > rules.max_per_order {
        return Err(StoreError::Invalid(Invalid::one(
            "quantity",
            format!(
                "at most {} seats per order for this show",
                rules.max_per_order
            ),
        )));
    }
    let existing =
        q("SELECT id FROM waitlist WHERE show_id = $1 AND user_id = $2 AND status = 'waiting'")
            .bind(show.get())
            .bind(user.get())
            .fetch_optional(&mut *c)
            .await?;
    if let Some(row) = existing {
        return view(c, row.get("id")?, now).await;
    }
    let (sections, held) = free_by_section(c, show, now).await?;
    let section = match &entry.section {
        None => None,
        Some(name) => Some(
            sections
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    StoreError::Invalid(Invalid::one(
                        "section",
                        format!("this show has no section named {name:?}"),
                    ))
                })?,
        ),
    };
    let (free, fits_now) = match section {
        Some(s) => (s.free, s.free >= entry.quantity),
        None => (
            sections.iter().map(|s| s.free).sum(),
            sections.iter().any(|s| s.free >= entry.quantity),
        ),
    };
    if fits_now {
        return Err(StoreError::Conflict(format!(
            "{free} seats are free now: hold them instead"
        )));
    }
    // Seats held anywhere in the show may free up in the section asked for only if they are in
    // it; `free_by_section` counts held seats for the whole show, which bounds every section.
    if free + held < entry.quantity {
        return Err(StoreError::Invalid(Invalid::one(
            "quantity",
            format!(
                "only {} seats could ever free up ({free} free, {held} held by others)",
                free + held
            ),
        )));
    }
    let id: i64 = q("INSERT INTO waitlist \
           (show_id, user_id, quantity, section_id, status, created_at, expires_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'waiting', $5, $6, $5) RETURNING id")
    .bind(show.get())
    .bind(user.get())
    .bind(entry.quantity)
    .bind(section.map(|s| s.id))
    .bind(now)
    .bind(now + WAITLIST_TTL_MS)
    .scalar(&mut *c)
    .await?;
    emit_entry(
        c,
        now,
        id,
        show.get(),
        user.get(),
        WaitlistState::Waiting,
        None,
    )
    .await?;
    view(c, id, now).await
}

async fn emit_entry<C: Exec>(
    c: &mut C,
    now: UnixMs,
    id: i64,
    show: i64,
    user: i64,
    state: WaitlistState,
    hold: Option<i64>,
) -> StoreResult<()> {
    let payload = serde_json::json!({
        "state": state.as_str(),
        "user_id": user.to_string(),
        "hold_id": hold.map(|h| h.to_string()),
    });
    emit(c, now, "waitlist", id, Some(show), payload).await
}

/// An entry of `user` (someone else's is `NotFound`).
pub async fn entry<C: Exec>(
    c: &mut C,
    id: WaitlistId,
    user: UserId,
    now: UnixMs,
) -> StoreResult<WaitlistEntry> {
    let owner: Option<i64> = q("SELECT user_id FROM waitlist WHERE id = $1")
        .bind(id.get())
        .fetch_optional(&mut *c)
        .await?
        .map(|r: Row| r.get("user_id"))
        .transpose()?;
    if owner != Some(user.get()) {
        return Err(StoreError::NotFound("waitlist entry"));
    }
    view(c, id.get(), now).await
}

async fn view<C: Exec>(c: &mut C, id: i64, now: UnixMs) -> StoreResult<WaitlistEntry> {
    let row = q(
        "SELECT w.show_id, w.quantity, w.status, w.hold_id, w.expires_at, x.name AS section \
         FROM waitlist w LEFT JOIN sections x ON x.id = w.section_id WHERE w.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await?
    .ok_or(StoreError::NotFound("waitlist entry"))?;
    let mut state = decode(row.get("status")?, "waitlist status", WaitlistState::parse)?;
    let expires_at: i64 = row.get("expires_at")?;
    if state == WaitlistState::Waiting && expires_at <= now {
        state = WaitlistState::Expired;
    }
    let show: i64 = row.get("show_id")?;
    let position = if state == WaitlistState::Waiting {
        let ahead: i64 = q("SELECT COUNT(*) AS ahead FROM waitlist \
             WHERE show_id = $1 AND status = 'waiting' AND id < $2 AND expires_at > $3")
        .bind(show)
        .bind(id)
        .bind(now)
        .scalar(&mut *c)
        .await?;
        ahead + 1
    } else {
        0
    };
    Ok(WaitlistEntry {
        id: WaitlistId::new(id),
        show_id: ShowId::new(show),
        position,
        quantity: row.get("quantity")?,
        section: row.get("section")?,
        state,
        hold_id: row.get::<Option<i64>>("hold_id")?.map(HoldId::new),
        expires_at: rfc3339(expires_at),
    })
}

/// Takes `user`'s entry off the list (an entry that no longer waits is left as it is).
pub async fn leave<C: Exec>(
    c: &mut C,
    id: WaitlistId,
    user: UserId,
    now: UnixMs,
) -> StoreResult<()> {
    let row = q("SELECT show_id, user_id, status FROM waitlist WHERE id = $1")
        .bind(id.get())
        .fetch_optional(&mut *c)
        .await?
        .ok_or(StoreError::NotFound("waitlist entry"))?;
    if row.get::<i64>("user_id")? != user.get() {
        return Err(StoreError::NotFound("waitlist entry"));
    }
    let left = q("UPDATE waitlist SET status = 'left', updated_at = $1 \
         WHERE id = $2 AND status = 'waiting'")
    .bind(now)
    .bind(id.get())
    .execute(&mut *c)
    .await?;
    if left > 0 {
        let show = row.get("show_id")?;
        emit_entry(
            c,
            now,
            id.get(),
            show,
            user.get(),
            WaitlistState::Left,
            None,
        )
        .await?;
    }
    Ok(())
}

/// After seats of `show` were freed: offers them to its waiters, if it has any.
pub async fn offer_after_freeing<C: Exec>(c: &mut C, show: i64, now: UnixMs) -> StoreResult<()> {
    let rules = show_rules(c, ShowId::new(show)).await?;
    if rules.waiters && rules.check_on_sale(now).is_ok() {
        offer_freed(c, ShowId::new(show), &rules, now).await?;
    }
    Ok(())
}

/// Hands the show's free places to its waiters, longest waiting first: each waiter whose
/// quantity fits the free places of its section (or of any one section) gets a hold on them.
/// A waiter that does not fit keeps its place; later, smaller ones may be served meanwhile.
pub(super) async fn offer_freed<C: Exec>(
    c: &mut C,
    show: ShowId,
    rules: &ShowRules,
    now: UnixMs,
) -> StoreResult<()> {
    let waiters = q("SELECT id, user_id, quantity, section_id FROM waitlist \
         WHERE show_id = $1 AND status = 'waiting' AND expires_at > $2 ORDER BY id LIMIT 500")
    .bind(show.get())
    .bind(now)
    .fetch_all(&mut *c)
    .await?;
    if waiters.is_empty() {
        return Ok(());
    }
    let (sections, _) = free_by_section(c, show, now).await?;
    let mut free: BTreeMap<usize, i64> = sections.iter().map(|s| s.free).enumerate().collect();
    for w in &waiters {
        let (id, user, quantity): (i64, i64, i64) =
            (w.get("id")?, w.get("user_id")?, w.get("quantity")?);
        let wanted: Option<i64> = w.get("section_id")?;
        let Some(index) = sections.iter().enumerate().position(|(i, s)| {
            wanted.is_none_or(|want| want == s.id) && free.get(&i).copied().unwrap_or(0) >= quantity
        }) else {
            continue;
        };
        let hold = NewHold {
            show_id: show,
            selection: SeatSelection::BestAvailable {
                section: sections[index].name.clone(),
                quantity,
            },
        };
        // A seated section may lack `quantity` places in an order best-available accepts
        // only in theory; a claim that fails leaves nothing behind.
        q("SAVEPOINT waitlist_offer").execute(&mut *c).await?;
        match claim_seats(c, UserId::new(user), &hold, rules, Claim::Guarded, now).await {
            Ok(held) => {
                q("RELEASE SAVEPOINT waitlist_offer")
                    .execute(&mut *c)
                    .await?;
                q(
                    "UPDATE waitlist SET status = 'offered', hold_id = $1, updated_at = $2 \
                   WHERE id = $3",
                )
                .bind(held.id.get())
                .bind(now)
                .bind(id)
                .execute(&mut *c)
                .await?;
                emit_entry(
                    c,
                    now,
                    id,
                    show.get(),
                    user,
                    WaitlistState::Offered,
                    Some(held.id.get()),
                )
                .await?;
                if let Some(left) = free.get_mut(&index) {
                    *left -= quantity;
                }
            }
            Err(StoreError::SeatsTaken { .. }) => {
                q("ROLLBACK TO SAVEPOINT waitlist_offer")
                    .execute(&mut *c)
                    .await?;
                q("RELEASE SAVEPOINT waitlist_offer")
                    .execute(&mut *c)
                    .await?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Ends entries that can no longer be served: an hour old, a show that started or was
/// cancelled (`expired`), or a show with nothing free and nothing held (`sold_out`).
pub async fn housekeeping<C: Exec>(c: &mut C, now: UnixMs) -> StoreResult<()> {
    let ending = q("SELECT w.id, w.show_id, w.user_id, \
           CASE WHEN w.expires_at <= $1 OR s.status <> 'scheduled' OR s.starts_at <= $1 \
             THEN 'expired' ELSE 'sold_out' END AS ending \
         FROM waitlist w JOIN shows s ON s.id = w.show_id \
         WHERE w.status = 'waiting' AND (w.expires_at <= $1 OR s.status <> 'scheduled' \
           OR s.starts_at <= $1 OR NOT EXISTS (SELECT 1 FROM tickets t \
             WHERE t.show_id = w.show_id AND t.status IN ('available', 'held'))) \
         LIMIT 1000")
    .bind(now)
    .fetch_all(&mut *c)
    .await?;
    for r in &ending {
        let id: i64 = r.get("id")?;
        let state = decode(r.get("ending")?, "waitlist ending", WaitlistState::parse)?;
        let ended = q("UPDATE waitlist SET status = $1, updated_at = $2 \
             WHERE id = $3 AND status = 'waiting'")
        .bind(state.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
        if ended > 0 {
            emit_entry(
                c,
                now,
                id,
                r.get("show_id")?,
                r.get("user_id")?,
                state,
                None,
            )
            .await?;
        }
    }
    Ok(())
}

/// What the waiting room paces a show by: free places, seats under live holds, live holds.
pub async fn room_inventory<C: Exec>(
    c: &mut C,
    show: ShowId,
    now: UnixMs,
) -> StoreResult<RoomInventory> {
    let row = q("SELECT \
           (SELECT COUNT(*) FROM tickets t WHERE t.show_id = $1 \
              AND CASE WHEN t.status = 'held' THEN t.hold_expires_at <= $2 \
                  ELSE t.status = 'available' END) AS free, \
           (SELECT COUNT(*) FROM tickets t WHERE t.show_id = $1 AND t.status = 'held' \
              AND t.hold_expires_at > $2) AS held, \
           (SELECT COUNT(*) FROM holds h WHERE h.show_id = $1 AND h.status = 'active' \
              AND h.expires_at > $2) AS holds")
    .bind(show.get())
    .bind(now)
    .fetch_one(c)
    .await?;
    Ok(RoomInventory {
        free: row.get("free")?,
        held: row.get("held")?,
        holds: row.get("holds")?,
    })
}

/// The waiting-room settings of a show.
pub async fn room_show<C: Exec>(c: &mut C, show: ShowId) -> StoreResult<RoomShow> {
    let row = q(
        "SELECT waiting_room, on_sale_at, starts_at, status, room_max_active, \
           shopping_window_seconds FROM shows WHERE id = $1",
    )
    .bind(show.get())
    .fetch_optional(c)
    .await?
    .ok_or(StoreError::NotFound("show"))?;
    Ok(RoomShow {
        show_id: show,
        waiting_room: row.get("waiting_room")?,
        on_sale_at: row.get("on_sale_at")?,
        starts_at: row.get("starts_at")?,
        scheduled: row.get::<&str>("status")? == "scheduled",
        max_active: row.get("room_max_active")?,
        window_ms: row.get::<i64>("shopping_window_seconds")? * 1000,
    })
}

/// Changes a show's waiting-room settings.
pub async fn update_room<C: Exec>(
    c: &mut C,
    show: ShowId,
    patch: &ShowChange,
    now: UnixMs,
) -> StoreResult<()> {
    let starts_at: i64 = q("SELECT starts_at FROM shows WHERE id = $1")
        .bind(show.get())
        .fetch_optional(&mut *c)
        .await?
        .ok_or(StoreError::NotFound("show"))?
        .get("starts_at")?;
    if let Some(on_sale_at) = patch.on_sale_at {
        if on_sale_at >= starts_at {
            return Err(StoreError::Invalid(Invalid::one(
                "on_sale_at",
                "must be before the show starts",
            )));
        }
        q("UPDATE shows SET on_sale_at = $1 WHERE id = $2")
            .bind(on_sale_at)
            .bind(show.get())
            .execute(&mut *c)
            .await?;
    }
    if let Some(on) = patch.waiting_room {
        q("UPDATE shows SET waiting_room = $1 WHERE id = $2")
            .bind(on)
            .bind(show.get())
            .execute(&mut *c)
            .await?;
    }
    if let Some(max) = patch.room_max_active {
        q("UPDATE shows SET room_max_active = $1 WHERE id = $2")
            .bind((max > 0).then_some(max))
            .bind(show.get())
            .execute(&mut *c)
            .await?;
    }
    if let Some(window) = patch.shopping_window_seconds {
        q("UPDATE shows SET shopping_window_seconds = $1 WHERE id = $2")
            .bind(window)
            .bind(show.get())
            .execute(&mut *c)
            .await?;
    }
    emit(
        c,
        now,
        "show",
        show.get(),
        Some(show.get()),
        serde_json::json!({"kind": "room"}),
    )
    .await
}

/// The secret stored under `name`, made from `candidate` by whoever asks first.
pub async fn shared_secret<C: Exec>(
    c: &mut C,
    name: &str,
    candidate: &str,
    now: UnixMs,
) -> StoreResult<String> {
    q(
        "INSERT INTO shared_secrets (name, value, created_at) VALUES ($1, $2, $3) \
       ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(candidate)
    .bind(now)
    .execute(&mut *c)
    .await?;
    q("SELECT value FROM shared_secrets WHERE name = $1")
        .bind(name)
        .scalar(c)
        .await
}

/// Everything the email telling a waiter their seats are held needs.
pub async fn offer_mail<C: Exec>(c: &mut C, id: WaitlistId, now: UnixMs) -> StoreResult<OfferMail> {
    let row = q(
        "SELECT w.hold_id, u.email, u.name, e.title, s.starts_at, v.name AS venue, \
           c.name AS city FROM waitlist w \
         JOIN users u ON u.id = w.user_id JOIN shows s ON s.id = w.show_id \
         JOIN events e ON e.id = s.event_id JOIN venues v ON v.id = e.venue_id \
         JOIN cities c ON c.id = v.city_id WHERE w.id = $1",
    )
    .bind(id.get())
    .fetch_optional(&mut *c)
    .await?
    .ok_or(StoreError::NotFound("waitlist entry"))?;
    let hold: i64 = row
        .get::<Option<i64>>("hold_id")?
        .ok_or(StoreError::NotFound("waitlist offer"))?;
    Ok(OfferMail {
        entry: id,
        hold: super::holds::hold_view(c, hold, now).await?,
        email: row.get("email")?,
        name: row.get("name")?,
        event_title: row.get("title")?,
        starts_at: row.get("starts_at")?,
        venue: row.get("venue")?,
        city: row.get("city")?,
    })
}
