//! The catalog: venues with their seats, performers, events and shows, written by admins and
//! read by everyone.
//!
//! Every change appends to the change feed in its transaction. Creating a show creates one
//! ticket per seat of every priced section: the inventory the booking operations claim.

use super::super::exec::{q, Arg, Exec, Qb};
use super::super::{StoreError, StoreResult};
use super::{currency, decode, effective_status, emit, venue_summary, VENUE_COLUMNS};
use crate::domain::catalog::*;
use crate::domain::*;
use std::collections::HashMap;

pub async fn create_venue<C: Exec>(c: &mut C, venue: &NewVenue, now: UnixMs) -> StoreResult<i64> {
    let key = venue.city.to_lowercase();
    q(
        "INSERT INTO cities (name, country, key) VALUES ($1, $2, $3) \
       ON CONFLICT (key, country) DO NOTHING",
    )
    .bind(&venue.city)
    .bind(&venue.country)
    .bind(&key)
    .execute(&mut *c)
    .await?;
    let city_id: i64 = q("SELECT id FROM cities WHERE key = $1 AND country = $2")
        .bind(&key)
        .bind(&venue.country)
        .scalar(&mut *c)
        .await?;
    let venue_id: i64 = q(
        "INSERT INTO venues (name, city_id, address, lat, lon, timezone, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&venue.name)
    .bind(city_id)
    .bind(&venue.address)
    .bind(venue.lat)
    .bind(venue.lon)
    .bind(&venue.timezone)
    .bind(now)
    .scalar(&mut *c)
    .await?;
    let mut y = 0.0;
    for (position, section) in venue.sections.iter().enumerate() {
        let section_id: i64 = q(
            "INSERT INTO sections (venue_id, name, kind, capacity, position) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(venue_id)
        .bind(&section.name)
        .bind(section.kind.as_str())
        .bind(section.capacity)
        .bind(position as i64)
        .scalar(&mut *c)
        .await?;
        let seats = section.seats(y);
        y += section.depth() + 2.0;
        // Multi-row inserts keep a 100,000-seat venue to a few hundred statements.
        for chunk in seats.chunks(1000) {
            let mut insert = Qb::new(
                "INSERT INTO seats (section_id, row_label, row_rank, number, x, y) VALUES ",
            );
            insert.push_rows(chunk.iter().map(|seat| {
                [
                    Arg::from(section_id),
                    Arg::from(seat.row_label.clone()),
                    Arg::from(seat.row_rank),
                    Arg::from(seat.number),
                    Arg::from(seat.x),
                    Arg::from(seat.y),
                ]
            }));
            insert.build().execute(&mut *c).await?;
        }
    }
    let created = serde_json::json!({"kind": "created"});
    emit(c, now, "venue", venue_id, None, created).await?;
    Ok(venue_id)
}

pub async fn create_performer<C: Exec>(
    c: &mut C,
    p: &NewPerformer,
    now: UnixMs,
) -> StoreResult<Performer> {
    let id: i64 = q(
        "INSERT INTO performers (name, genre, description, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&p.name)
    .bind(&p.genre)
    .bind(&p.description)
    .bind(now)
    .scalar(&mut *c)
    .await?;
    emit(
        c,
        now,
        "performer",
        id,
        None,
        serde_json::json!({"kind": "created"}),
    )
    .await?;
    Ok(Performer {
        id: PerformerId::new(id),
        name: p.name.clone(),
        genre: p.genre.clone(),
        description: p.description.clone(),
    })
}

async fn check_performers<C: Exec>(c: &mut C, ids: &[PerformerId]) -> StoreResult<()> {
    for (i, id) in ids.iter().enumerate() {
        let found: Option<i64> = q("SELECT id FROM performers WHERE id = $1")
            .bind(id.get())
            .scalar_opt(&mut *c)
            .await?;
        if found.is_none() {
            return Err(StoreError::Invalid(Invalid::one(
                format!("performer_ids[{i}]"),
                format!("no performer with id {id}"),
            )));
        }
    }
    Ok(())
}

async fn set_performers<C: Exec>(c: &mut C, event: i64, ids: &[PerformerId]) -> StoreResult<()> {
    q("DELETE FROM event_performers WHERE event_id = $1")
        .bind(event)
        .execute(&mut *c)
        .await?;
    for (position, id) in ids.iter().enumerate() {
        q("INSERT INTO event_performers (event_id, performer_id, position) VALUES ($1, $2, $3)")
            .bind(event)
            .bind(id.get())
            .bind(position as i64)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Status and venue of an event inside a write transaction: `NotFound` if missing.
async fn event_status<C: Exec>(c: &mut C, id: EventId) -> StoreResult<(EventStatus, i64)> {
    let row = q("SELECT status, venue_id FROM events WHERE id = $1")
        .bind(id.get())
        .fetch_optional(c)
        .await?
        .ok_or(StoreError::NotFound("event"))?;
    let status = decode(row.get("status")?, "event status", EventStatus::parse)?;
    Ok((status, row.get("venue_id")?))
}

/// The venue of an event that may still change: `Conflict` once it is cancelled.
async fn active_event<C: Exec>(c: &mut C, id: EventId) -> StoreResult<i64> {
    match event_status(c, id).await? {
        (EventStatus::Cancelled, _) => Err(StoreError::Conflict("the event is cancelled".into())),
        (EventStatus::Active, venue) => Ok(venue),
    }
}

pub async fn create_event<C: Exec>(c: &mut C, e: &NewEvent, now: UnixMs) -> StoreResult<EventId> {
    let venue: Option<i64> = q("SELECT id FROM venues WHERE id = $1")
        .bind(e.venue_id.get())
        .scalar_opt(&mut *c)
        .await?;
    if venue.is_none() {
        return Err(StoreError::Invalid(Invalid::one(
            "venue_id",
            format!("no venue with id {}", e.venue_id),
        )));
    }
    check_performers(c, &e.performer_ids).await?;
    let id: i64 = q(
        "INSERT INTO events (title, description, category, venue_id, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'active', $5, $5) RETURNING id",
    )
    .bind(&e.title)
    .bind(&e.description)
    .bind(&e.category)
    .bind(e.venue_id.get())
    .bind(now)
    .scalar(&mut *c)
    .await?;
    set_performers(c, id, &e.performer_ids).await?;
    emit(
        c,
        now,
        "event",
        id,
        None,
        serde_json::json!({"kind": "created"}),
    )
    .await?;
    Ok(EventId::new(id))
}

pub async fn update_event<C: Exec>(
    c: &mut C,
    id: EventId,
    patch: &EventPatch,
    now: UnixMs,
) -> StoreResult<()> {
    active_event(c, id).await?;
    if let Some(ids) = &patch.performer_ids {
        check_performers(c, ids).await?;
        set_performers(c, id.get(), ids).await?;
    }
    q("UPDATE events SET title = COALESCE($1, title), \
         description = COALESCE($2, description), \
         category = COALESCE($3, category), updated_at = $4 \
       WHERE id = $5")
    .bind(&patch.title)
    .bind(&patch.description)
    .bind(&patch.category)
    .bind(now)
    .bind(id.get())
    .execute(&mut *c)
    .await?;
    emit(
        c,
        now,
        "event",
        id.get(),
        None,
        serde_json::json!({"kind": "updated"}),
    )
    .await
}

/// Marks the event and its shows cancelled and releases their inventory: confirmed bookings
/// become cancelled with a refund owed (the refund worker pays it), live holds end, nothing
/// stays sold.
pub async fn cancel_event<C: Exec>(c: &mut C, id: EventId, now: UnixMs) -> StoreResult<()> {
    let (status, _) = event_status(c, id).await?;
    if status == EventStatus::Cancelled {
        return Ok(());
    }
    q("UPDATE events SET status = 'cancelled', updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.get())
        .execute(&mut *c)
        .await?;
    let shows: Vec<i64> = q("UPDATE shows SET status = 'cancelled' \
         WHERE event_id = $1 AND status = 'scheduled' RETURNING id")
    .bind(id.get())
    .scalars(&mut *c)
    .await?;
    // No scheduled show is left.
    q("UPDATE events SET last_show_at = NULL WHERE id = $1")
        .bind(id.get())
        .execute(&mut *c)
        .await?;
    for show in shows {
        let cancelled: Vec<i64> = q(
            "UPDATE bookings SET status = 'cancelled', refund_status = 'pending', updated_at = $1 \
             WHERE show_id = $2 AND status = 'confirmed' RETURNING id",
        )
        .bind(now)
        .bind(show)
        .scalars(&mut *c)
        .await?;
        for booking in cancelled {
            let payload = serde_json::json!({"kind": "cancelled", "reason": "event_cancelled"});
            emit(c, now, "booking", booking, Some(show), payload).await?;
        }
        q("UPDATE holds SET status = 'released' WHERE show_id = $1 AND status = 'active'")
            .bind(show)
            .execute(&mut *c)
            .await?;
        q(
            "UPDATE tickets SET status = 'available', hold_id = NULL, hold_expires_at = NULL, \
             booking_id = NULL WHERE show_id = $1 AND status <> 'available'",
        )
        .bind(show)
        .execute(&mut *c)
        .await?;
        let payload = serde_json::json!({"kind": "cancelled", "event_id": id.to_string()});
        emit(c, now, "show", show, Some(show), payload).await?;
    }
    emit(
        c,
        now,
        "event",
        id.get(),
        None,
        serde_json::json!({"kind": "cancelled"}),
    )
    .await
}

/// Raises an event's `last_show_at` (which browse filters on) to a new show's start. Written
/// against the row itself rather than as a `MAX` over the shows: on PostgreSQL two shows added
/// at once would each read the shows as of their own snapshot, and the later commit could lower
/// the value; an update of the row's own column is re-evaluated on the latest row instead.
async fn note_new_show<C: Exec>(c: &mut C, event: i64, starts_at: i64) -> StoreResult<()> {
    q(
        "UPDATE events SET last_show_at = CASE WHEN last_show_at IS NULL OR last_show_at < $2 \
         THEN $2 ELSE last_show_at END WHERE id = $1",
    )
    .bind(event)
    .bind(starts_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Creates the show and one ticket per seat of every priced section.
pub async fn create_show<C: Exec>(
    c: &mut C,
    event: EventId,
    show: &NewShow,
    now: UnixMs,
) -> StoreResult<ShowId> {
    let venue_id = active_event(c, event).await?;
    let sections = q("SELECT id, name FROM sections WHERE venue_id = $1")
        .bind(venue_id)
        .fetch_all(&mut *c)
        .await?;
    let mut priced = Vec::new();
    for (i, (name, amount)) in show.prices.iter().enumerate() {
        let mut found = None;
        for row in &sections {
            if row.get::<&str>("name")?.eq_ignore_ascii_case(name) {
                found = Some(row.get::<i64>("id")?);
            }
        }
        match found {
            Some(section) => priced.push((section, *amount)),
            None => {
                return Err(StoreError::Invalid(Invalid::one(
                    format!("prices[{i}].section"),
                    format!("the venue has no section named {name:?}"),
                )))
            }
        }
    }
    let show_id: i64 = q(
        "INSERT INTO shows (event_id, starts_at, on_sale_at, hold_ttl_seconds, \
           max_per_order, waiting_room, currency, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled', $8) RETURNING id",
    )
    .bind(event.get())
    .bind(show.starts_at)
    .bind(show.on_sale_at)
    .bind(show.hold_ttl_seconds)
    .bind(show.max_per_order)
    .bind(show.waiting_room)
    .bind(show.currency.as_str())
    .bind(now)
    .scalar(&mut *c)
    .await?;
    note_new_show(c, event.get(), show.starts_at).await?;
    for (section, amount) in priced {
        q("INSERT INTO show_prices (show_id, section_id, amount) VALUES ($1, $2, $3)")
            .bind(show_id)
            .bind(section)
            .bind(amount)
            .execute(&mut *c)
            .await?;
        create_tickets(c, show_id, section, amount).await?;
    }
    let payload = serde_json::json!({"kind": "created", "event_id": event.to_string()});
    emit(c, now, "show", show_id, Some(show_id), payload).await?;
    Ok(ShowId::new(show_id))
}

/// One available ticket per seat of `section` for `show`, at `amount`.
pub(super) async fn create_tickets<C: Exec>(
    c: &mut C,
    show: i64,
    section: i64,
    amount: i64,
) -> StoreResult<()> {
    q(
        "INSERT INTO tickets (show_id, seat_id, section_id, seat_rank, price, status) \
       SELECT $1, id, section_id, row_rank * 1000 + number, $2, 'available' \
       FROM seats WHERE section_id = $3",
    )
    .bind(show)
    .bind(amount)
    .bind(section)
    .execute(c)
    .await?;
    Ok(())
}

// Reads ------------------------------------------------------------------------------------

pub async fn venues<C: Exec>(c: &mut C, limit: i64) -> StoreResult<Vec<VenueSummary>> {
    let rows = q(format!(
        "SELECT {VENUE_COLUMNS} FROM venues v JOIN cities c ON c.id = v.city_id \
         ORDER BY v.name, v.id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(c)
    .await?;
    rows.iter().map(venue_summary).collect()
}

pub async fn venue<C: Exec>(c: &mut C, id: VenueId) -> StoreResult<Venue> {
    let row = q(format!(
        "SELECT {VENUE_COLUMNS} FROM venues v JOIN cities c ON c.id = v.city_id WHERE v.id = $1"
    ))
    .bind(id.get())
    .fetch_optional(&mut *c)
    .await?
    .ok_or(StoreError::NotFound("venue"))?;
    let summary = venue_summary(&row)?;
    let section_rows =
        q("SELECT id, name, kind, capacity FROM sections WHERE venue_id = $1 ORDER BY position")
            .bind(id.get())
            .fetch_all(&mut *c)
            .await?;
    let row_rows = q(
        "SELECT s.section_id, s.row_label, COUNT(*) AS seats FROM seats s \
         JOIN sections x ON x.id = s.section_id \
         WHERE x.venue_id = $1 AND s.row_label IS NOT NULL \
         GROUP BY s.section_id, s.row_label, s.row_rank \
         ORDER BY s.section_id, s.row_rank",
    )
    .bind(id.get())
    .fetch_all(c)
    .await?;
    let mut sections = Vec::new();
    for row in section_rows {
        let section_id: i64 = row.get("id")?;
        let mut rows = Vec::new();
        for r in &row_rows {
            if r.get::<i64>("section_id")? == section_id {
                rows.push(RowView {
                    label: r.get("row_label")?,
                    seats: r.get("seats")?,
                });
            }
        }
        sections.push(SectionView {
            id: SectionId::new(section_id),
            name: row.get("name")?,
            kind: decode(row.get("kind")?, "section kind", SectionKind::parse)?,
            capacity: row.get("capacity")?,
            rows,
        });
    }
    Ok(Venue {
        id,
        name: summary.name,
        city: summary.city,
        country: summary.country,
        address: summary.address,
        lat: summary.lat,
        lon: summary.lon,
        timezone: summary.timezone,
        capacity: sections.iter().map(|s| s.capacity).sum(),
        sections,
    })
}

pub async fn performer<C: Exec>(c: &mut C, id: PerformerId) -> StoreResult<Performer> {
    let row = q("SELECT name, genre, description FROM performers WHERE id = $1")
        .bind(id.get())
        .fetch_optional(c)
        .await?
        .ok_or(StoreError::NotFound("performer"))?;
    Ok(Performer {
        id,
        name: row.get("name")?,
        genre: row.get("genre")?,
        description: row.get("description")?,
    })
}

/// Held, sold and available tickets per show, for the shows `filter` selects by `$1 = key`.
pub(super) async fn availability_by_show<C: Exec>(
    c: &mut C,
    filter: &str,
    key: i64,
    now: UnixMs,
) -> StoreResult<HashMap<i64, Availability>> {
    let rows = q(format!(
        "SELECT t.show_id, \
           SUM(CASE WHEN t.status = 'sold' THEN 1 ELSE 0 END) AS sold, \
           SUM(CASE WHEN t.status = 'held' AND t.hold_expires_at > $2 THEN 1 ELSE 0 END) AS held, \
           COUNT(*) AS total \
         FROM tickets t {filter} GROUP BY t.show_id"
    ))
    .bind(key)
    .bind(now)
    .fetch_all(c)
    .await?;
    let mut out = HashMap::new();
    for row in rows {
        let sold: i64 = row.get("sold")?;
        let held: i64 = row.get("held")?;
        let total: i64 = row.get("total")?;
        out.insert(
            row.get("show_id")?,
            Availability {
                available: total - sold - held,
                held,
                sold,
            },
        );
    }
    Ok(out)
}

/// The availability of one show.
pub(super) async fn show_availability<C: Exec>(
    c: &mut C,
    show: ShowId,
    now: UnixMs,
) -> StoreResult<Availability> {
    Ok(
        availability_by_show(c, "WHERE t.show_id = $1", show.get(), now)
            .await?
            .remove(&show.get())
            .unwrap_or_default(),
    )
}

pub async fn event<C: Exec>(c: &mut C, id: EventId, now: UnixMs) -> StoreResult<EventView> {
    let row = q(format!(
        "SELECT e.title, e.description, e.category, e.status, e.created_at, e.updated_at, \
           {VENUE_COLUMNS} \
         FROM events e JOIN venues v ON v.id = e.venue_id JOIN cities c ON c.id = v.city_id \
         WHERE e.id = $1"
    ))
    .bind(id.get())
    .fetch_optional(&mut *c)
    .await?
    .ok_or(StoreError::NotFound("event"))?;
    let performers = q(
        "SELECT p.id, p.name, p.genre, p.description FROM event_performers ep \
         JOIN performers p ON p.id = ep.performer_id \
         WHERE ep.event_id = $1 ORDER BY ep.position",
    )
    .bind(id.get())
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        Ok(Performer {
            id: PerformerId::new(r.get("id")?),
            name: r.get("name")?,
            genre: r.get("genre")?,
            description: r.get("description")?,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    let counts = availability_by_show(
        c,
        "JOIN shows s ON s.id = t.show_id WHERE s.event_id = $1",
        id.get(),
        now,
    )
    .await?;
    let shows = q(
        "SELECT s.id, s.starts_at, s.on_sale_at, s.status, s.currency, \
           (SELECT MIN(amount) FROM show_prices WHERE show_id = s.id) AS min_price, \
           (SELECT MAX(amount) FROM show_prices WHERE show_id = s.id) AS max_price \
         FROM shows s WHERE s.event_id = $1 ORDER BY s.starts_at, s.id",
    )
    .bind(id.get())
    .fetch_all(c)
    .await?
    .iter()
    .map(|r| {
        let show_id: i64 = r.get("id")?;
        let a = counts.get(&show_id).copied().unwrap_or_default();
        Ok(ShowSummary {
            id: ShowId::new(show_id),
            starts_at: rfc3339(r.get("starts_at")?),
            on_sale_at: rfc3339(r.get("on_sale_at")?),
            status: r.get("status")?,
            currency: r.get("currency")?,
            min_price: r.get("min_price")?,
            max_price: r.get("max_price")?,
            available: a.available,
            held: a.held,
            sold: a.sold,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(EventView {
        id,
        title: row.get("title")?,
        description: row.get("description")?,
        category: row.get("category")?,
        status: decode(row.get("status")?, "event status", EventStatus::parse)?,
        created_at: rfc3339(row.get("created_at")?),
        updated_at: rfc3339(row.get("updated_at")?),
        venue: venue_summary(&row)?,
        performers,
        shows,
    })
}

pub async fn show<C: Exec>(c: &mut C, id: ShowId, now: UnixMs) -> StoreResult<ShowView> {
    let row = q(format!(
        "SELECT s.event_id, s.starts_at, s.on_sale_at, s.hold_ttl_seconds, s.max_per_order, \
           s.waiting_room, s.status, s.currency, e.title, e.category, e.status AS event_status, \
           {VENUE_COLUMNS} \
         FROM shows s JOIN events e ON e.id = s.event_id \
         JOIN venues v ON v.id = e.venue_id JOIN cities c ON c.id = v.city_id \
         WHERE s.id = $1"
    ))
    .bind(id.get())
    .fetch_optional(&mut *c)
    .await?
    .ok_or(StoreError::NotFound("show"))?;
    let currency = currency(&row, "currency")?;
    let prices = q("SELECT x.name, p.amount FROM show_prices p \
         JOIN sections x ON x.id = p.section_id \
         WHERE p.show_id = $1 ORDER BY x.position")
    .bind(id.get())
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        Ok(PriceView {
            section: r.get("name")?,
            amount: r.get("amount")?,
            currency: currency.clone(),
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    let a = show_availability(c, id, now).await?;
    let event_id = EventId::new(row.get("event_id")?);
    Ok(ShowView {
        id,
        event_id,
        starts_at: rfc3339(row.get("starts_at")?),
        on_sale_at: rfc3339(row.get("on_sale_at")?),
        hold_ttl_seconds: row.get("hold_ttl_seconds")?,
        max_per_order: row.get("max_per_order")?,
        waiting_room: row.get("waiting_room")?,
        status: row.get("status")?,
        currency,
        prices,
        available: a.available,
        held: a.held,
        sold: a.sold,
        event: EventRef {
            id: event_id,
            title: row.get("title")?,
            category: row.get("category")?,
            status: decode(row.get("event_status")?, "event status", EventStatus::parse)?,
        },
        venue: venue_summary(&row)?,
    })
}

pub async fn seat_map<C: Exec>(c: &mut C, id: ShowId, now: UnixMs) -> StoreResult<SeatMap> {
    let sections = q(
        "SELECT x.id, x.name, x.kind, x.capacity, p.amount, s.currency FROM shows s \
         LEFT JOIN show_prices p ON p.show_id = s.id \
         LEFT JOIN sections x ON x.id = p.section_id \
         WHERE s.id = $1 ORDER BY x.position",
    )
    .bind(id.get())
    .fetch_all(&mut *c)
    .await?;
    if sections.is_empty() {
        return Err(StoreError::NotFound("show"));
    }
    let status = effective_status("$2");
    let available: HashMap<i64, i64> = q(format!(
        "SELECT t.section_id, COUNT(*) AS available FROM tickets t \
         WHERE t.show_id = $1 AND {status} = 'available' GROUP BY t.section_id"
    ))
    .bind(id.get())
    .bind(now)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| Ok((r.get("section_id")?, r.get("available")?)))
    .collect::<StoreResult<_>>()?;
    let seats = q(format!(
        "SELECT t.section_id, t.seat_id, st.row_label, st.number, st.x, st.y, {status} AS status \
         FROM tickets t JOIN seats st ON st.id = t.seat_id \
         JOIN sections x ON x.id = t.section_id \
         WHERE t.show_id = $1 AND x.kind = 'seated' \
         ORDER BY t.section_id, st.row_rank, st.number"
    ))
    .bind(id.get())
    .bind(now)
    .fetch_all(c)
    .await?;
    let mut out = Vec::new();
    for section in &sections {
        let Some(section_id) = section.get::<Option<i64>>("id")? else {
            continue;
        };
        let mut list = Vec::new();
        for seat in &seats {
            if seat.get::<i64>("section_id")? != section_id {
                continue;
            }
            list.push(SeatView {
                id: SeatId::new(seat.get("seat_id")?),
                row: seat.get("row_label")?,
                number: seat.get("number")?,
                x: seat.get("x")?,
                y: seat.get("y")?,
                status: decode(seat.get("status")?, "seat status", SeatStatus::parse)?,
            });
        }
        out.push(SeatMapSection {
            name: section.get("name")?,
            kind: decode(section.get("kind")?, "section kind", SectionKind::parse)?,
            capacity: section.get("capacity")?,
            price: section.get("amount")?,
            currency: section.get("currency")?,
            available: available.get(&section_id).copied().unwrap_or(0),
            seats: list,
        });
    }
    Ok(SeatMap {
        show_id: id,
        sections: out,
    })
}

/// Every ticket of a show (seated and standing places) with its status at `now`: what a live
/// seat map starts from. `NotFound` when there is no such show.
pub async fn seat_statuses<C: Exec>(
    c: &mut C,
    id: ShowId,
    now: UnixMs,
) -> StoreResult<Vec<(SeatId, SeatStatus)>> {
    super::show_exists(&mut *c, id).await?;
    let status = effective_status("$2");
    q(format!(
        "SELECT t.seat_id, {status} AS status FROM tickets t WHERE t.show_id = $1 ORDER BY t.seat_id"
    ))
    .bind(id.get())
    .bind(now)
    .fetch_all(c)
    .await?
    .iter()
    .map(|r| {
        let status = decode(r.get("status")?, "seat status", SeatStatus::parse)?;
        Ok((SeatId::new(r.get("seat_id")?), status))
    })
    .collect()
}
