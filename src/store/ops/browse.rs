//! Browsing the catalog: the city list, event pages by next show, and the denormalised events
//! the search index is built from.
//!
//! A page without a city walks the shows in start order through their index (see
//! [`first_events_by_show`]); a city is selective enough to group its own events directly.

use super::super::exec::{q, Exec, Qb};
use super::super::{BrowseEntry, BrowseShow, EventListing, Page, Places, StoreResult};
use crate::domain::catalog::*;
use crate::domain::*;
use std::collections::BTreeMap;

/// Most shows browse walks in start order before it groups every event instead.
pub(crate) const BROWSE_WALK_LIMIT: i64 = 262_144;

pub async fn cities<C: Exec>(c: &mut C, now: UnixMs) -> StoreResult<Vec<City>> {
    let rows = q(
        "SELECT c.name, c.country, COUNT(DISTINCT e.id) AS event_count FROM cities c \
         LEFT JOIN venues v ON v.city_id = c.id \
         LEFT JOIN events e ON e.venue_id = v.id AND e.status = 'active' \
           AND EXISTS (SELECT 1 FROM shows s WHERE s.event_id = e.id \
                       AND s.status = 'scheduled' AND s.starts_at >= $1) \
         GROUP BY c.id, c.name, c.country",
    )
    .bind(now)
    .fetch_all(c)
    .await?;
    let mut cities = rows
        .iter()
        .map(|row| {
            Ok(City {
                name: row.get("name")?,
                country: row.get("country")?,
                event_count: row.get("event_count")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    // By name and country as bytes: the same on every database whatever its collation.
    cities.sort_by(|a, b| (&a.name, &a.country).cmp(&(&b.name, &b.country)));
    Ok(cities)
}

/// ` s.status = 'scheduled' AND s.starts_at >= … [AND s.starts_at < …]` for show alias `alias`.
fn show_in_range(qb: &mut Qb, q: &BrowseQuery, alias: &str) {
    qb.push(&format!(
        " {alias}.status = 'scheduled' AND {alias}.starts_at >= "
    ))
    .push_bind(q.from);
    if let Some(to) = q.to {
        qb.push(&format!(" AND {alias}.starts_at < ")).push_bind(to);
    }
}

pub async fn browse_events<C: Exec>(c: &mut C, q: &BrowseQuery) -> StoreResult<Page<EventSummary>> {
    let city = q.city.as_ref().map(|c| c.to_lowercase());
    // Only the filters given become SQL, so each one can use its index (an `$1 IS NULL OR …`
    // clause would hide the city index from the planner).
    let filters = |qb: &mut Qb| {
        qb.push(" WHERE e.status = 'active'");
        if let Some(city) = &city {
            qb.push(" AND c.key = ").push_bind(city.clone());
        }
        if let Some(category) = &q.category {
            qb.push(" AND e.category = ").push_bind(category.clone());
        }
    };
    // An event has a scheduled show at or after `from` exactly when its latest one is
    // (`last_show_at`, indexed). With an end as well, the shows in the window are counted
    // instead (through their start index), unless a city narrows the events down first.
    let mut count = Qb::default();
    match (q.to, &city) {
        (Some(_), None) => {
            count.push(
                "SELECT COUNT(DISTINCT s.event_id) AS total FROM shows s CROSS JOIN events e \
                 WHERE e.id = s.event_id AND",
            );
            show_in_range(&mut count, q, "s");
            count.push(" AND e.status = 'active'");
            if let Some(category) = &q.category {
                count.push(" AND e.category = ").push_bind(category.clone());
            }
        }
        _ => {
            count.push("SELECT COUNT(*) AS total FROM events e");
            if city.is_some() {
                count.push(" JOIN venues v ON v.id = e.venue_id JOIN cities c ON c.id = v.city_id");
            }
            filters(&mut count);
            count.push(" AND e.last_show_at >= ").push_bind(q.from);
            if q.to.is_some() {
                count.push(" AND EXISTS (SELECT 1 FROM shows s WHERE s.event_id = e.id AND");
                show_in_range(&mut count, q, "s");
                count.push(")");
            }
        }
    }
    let total: i64 = count.build().scalar(&mut *c).await?;
    let offset = (q.page - 1) * q.per_page;
    // The page's events, by next show: found by walking the shows in start order (a city is
    // selective enough to group all of its events instead).
    let chosen = if city.is_none() {
        first_events_by_show(c, q, offset + q.per_page).await?
    } else {
        None
    };
    let chosen: Option<Vec<i64>> = chosen.map(|ids| {
        ids.into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .collect()
    });
    if chosen.as_ref().is_some_and(|ids| ids.is_empty()) {
        return Ok(Page {
            items: Vec::new(),
            total,
        });
    }
    let mut page = Qb::new(
        "SELECT e.id, e.title, e.category, v.id AS venue_id, v.name AS venue_name, \
           v.timezone AS venue_timezone, c.name AS city, c.country, MIN(s.starts_at) AS next_show_at, COUNT(*) AS show_count, \
           (SELECT MIN(p.amount) FROM show_prices p JOIN shows s2 ON s2.id = p.show_id \
             WHERE s2.event_id = e.id AND s2.status = 'scheduled' AND s2.starts_at >= ",
    );
    page.push_bind(q.from).push(
        ") AS min_price, (SELECT MAX(p.amount) FROM show_prices p JOIN shows s2 ON s2.id = p.show_id \
           WHERE s2.event_id = e.id AND s2.status = 'scheduled' AND s2.starts_at >= ",
    );
    page.push_bind(q.from).push(
        ") AS max_price, MIN(s.currency) AS currency FROM events e JOIN venues v ON v.id = e.venue_id \
         JOIN cities c ON c.id = v.city_id JOIN shows s ON s.event_id = e.id AND",
    );
    show_in_range(&mut page, q, "s");
    filters(&mut page);
    if let Some(ids) = &chosen {
        page.push(" AND e.id IN ").push_ids(ids);
    }
    page.push(
        " GROUP BY e.id, e.title, e.category, v.id, v.name, v.timezone, c.name, c.country \
         ORDER BY MIN(s.starts_at), e.id",
    );
    if chosen.is_none() {
        page.push(" LIMIT ")
            .push_bind(q.per_page)
            .push(" OFFSET ")
            .push_bind(offset);
    }
    let rows = page.build().fetch_all(c).await?;
    let items = rows
        .iter()
        .map(|row| {
            Ok(EventSummary {
                id: EventId::new(row.get("id")?),
                title: row.get("title")?,
                category: row.get("category")?,
                venue: VenueRef {
                    id: VenueId::new(row.get("venue_id")?),
                    name: row.get("venue_name")?,
                    timezone: row.get("venue_timezone")?,
                },
                city: row.get("city")?,
                country: row.get("country")?,
                next_show_at: rfc3339(row.get("next_show_at")?),
                show_count: row.get("show_count")?,
                min_price: row.get("min_price")?,
                max_price: row.get("max_price")?,
                currency: row.get("currency")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page { items, total })
}

/// The first `want` events by next show (then id) for a browse without a city, or `None` when
/// that would take walking more than [`BROWSE_WALK_LIMIT`] shows (including pages so deep that
/// the first window would).
///
/// Shows are walked in start order through their index: the first appearance of each event in
/// that order is its next show, so once a window of shows holds `want` distinct events they are
/// exactly the first `want`. The window grows until it does, or until the shows run out.
async fn first_events_by_show<C: Exec>(
    c: &mut C,
    q: &BrowseQuery,
    want: i64,
) -> StoreResult<Option<Vec<i64>>> {
    let mut window = (want * 4).max(64);
    if window > BROWSE_WALK_LIMIT {
        return Ok(None); // a deep page: grouping is no worse
    }
    loop {
        // CROSS JOIN keeps SQLite's planner on the shows' start index.
        let mut walk = Qb::new(
            "SELECT w.event_id, COUNT(*) AS shows FROM (SELECT s.event_id, s.starts_at FROM shows s \
             CROSS JOIN events e WHERE e.id = s.event_id AND s.status = 'scheduled' \
             AND s.starts_at >= ",
        );
        walk.push_bind(q.from);
        if let Some(to) = q.to {
            walk.push(" AND s.starts_at < ").push_bind(to);
        }
        walk.push(" AND e.status = 'active'");
        if let Some(category) = &q.category {
            walk.push(" AND e.category = ").push_bind(category.clone());
        }
        walk.push(" ORDER BY s.starts_at, s.event_id LIMIT ")
            .push_bind(window);
        walk.push(") w GROUP BY w.event_id ORDER BY MIN(w.starts_at), w.event_id");
        let rows = walk.build().fetch_all(&mut *c).await?;
        let walked: i64 = rows
            .iter()
            .map(|r| r.get::<i64>("shows"))
            .sum::<StoreResult<i64>>()?;
        if walked < window || rows.len() as i64 >= want {
            return rows
                .iter()
                .take(usize::try_from(want).unwrap_or(usize::MAX))
                .map(|r| r.get::<i64>("event_id"))
                .collect::<StoreResult<Vec<i64>>>()
                .map(Some);
        }
        if window >= BROWSE_WALK_LIMIT {
            return Ok(None);
        }
        window *= 4;
    }
}

/// The active events among `ids`, denormalised with their venue, performers and scheduled
/// shows (cancelled or missing events are simply absent).
pub async fn event_listings<C: Exec>(c: &mut C, ids: &[EventId]) -> StoreResult<Vec<EventListing>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let raw: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    let mut qb = Qb::new(
        "SELECT e.id, e.title, e.description, e.category, v.id AS venue_id, v.name AS venue_name, \
           c.name AS city, c.country, v.lat, v.lon \
         FROM events e JOIN venues v ON v.id = e.venue_id JOIN cities c ON c.id = v.city_id \
         WHERE e.status = 'active' AND e.id IN ",
    );
    qb.push_ids(&raw);
    let events = qb.build().fetch_all(&mut *c).await?;
    let mut listings: BTreeMap<i64, EventListing> = BTreeMap::new();
    for r in &events {
        let id: i64 = r.get("id")?;
        let listing = EventListing {
            event_id: id,
            title: r.get("title")?,
            description: r.get("description")?,
            category: r.get("category")?,
            performers: Vec::new(),
            venue_id: r.get("venue_id")?,
            venue_name: r.get("venue_name")?,
            city: r.get("city")?,
            country: r.get("country")?,
            lat: r.get("lat")?,
            lon: r.get("lon")?,
            show_starts: Vec::new(),
            min_price: None,
            max_price: None,
            currency: None,
        };
        listings.insert(id, listing);
    }
    let mut qb = Qb::new(
        "SELECT ep.event_id, p.id, p.name FROM event_performers ep \
         JOIN performers p ON p.id = ep.performer_id WHERE ep.event_id IN ",
    );
    qb.push_ids(&raw).push(" ORDER BY ep.event_id, ep.position");
    for r in qb.build().fetch_all(&mut *c).await? {
        if let Some(listing) = listings.get_mut(&r.get::<i64>("event_id")?) {
            listing.performers.push((r.get("id")?, r.get("name")?));
        }
    }
    let mut qb = Qb::new(
        "SELECT s.event_id, s.starts_at, s.currency, \
           (SELECT MIN(amount) FROM show_prices WHERE show_id = s.id) AS min_price, \
           (SELECT MAX(amount) FROM show_prices WHERE show_id = s.id) AS max_price \
         FROM shows s WHERE s.status = 'scheduled' AND s.event_id IN ",
    );
    qb.push_ids(&raw).push(" ORDER BY s.event_id, s.starts_at");
    for r in qb.build().fetch_all(c).await? {
        if let Some(listing) = listings.get_mut(&r.get::<i64>("event_id")?) {
            listing.show_starts.push(r.get("starts_at")?);
            listing.currency.get_or_insert(r.get("currency")?);
            let low: Option<i64> = r.get("min_price")?;
            let high: Option<i64> = r.get("max_price")?;
            listing.min_price = match (listing.min_price, low) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            listing.max_price = match (listing.max_price, high) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
    }
    Ok(listings.into_values().collect())
}

/// The active events among `ids` with their scheduled shows (see [`BrowseEntry`]).
pub async fn browse_entries<C: Exec>(c: &mut C, ids: &[EventId]) -> StoreResult<Vec<BrowseEntry>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let raw: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    let mut qb = Qb::new(
        "SELECT e.id, e.title, e.category, e.venue_id FROM events e \
         WHERE e.status = 'active' AND e.id IN ",
    );
    qb.push_ids(&raw);
    let mut entries: BTreeMap<i64, BrowseEntry> = BTreeMap::new();
    for r in qb.build().fetch_all(&mut *c).await? {
        let id: i64 = r.get("id")?;
        entries.insert(
            id,
            BrowseEntry {
                event_id: id,
                title: r.get("title")?,
                category: r.get("category")?,
                venue_id: r.get("venue_id")?,
                shows: Vec::new(),
            },
        );
    }
    let mut qb = Qb::new(
        "SELECT s.event_id, s.starts_at, s.currency, \
           (SELECT MIN(amount) FROM show_prices WHERE show_id = s.id) AS min_price, \
           (SELECT MAX(amount) FROM show_prices WHERE show_id = s.id) AS max_price \
         FROM shows s WHERE s.status = 'scheduled' AND s.event_id IN ",
    );
    qb.push_ids(&raw)
        .push(" ORDER BY s.event_id, s.starts_at, s.id");
    for r in qb.build().fetch_all(c).await? {
        if let Some(entry) = entries.get_mut(&r.get::<i64>("event_id")?) {
            entry.shows.push(BrowseShow {
                starts_at: r.get("starts_at")?,
                currency: r.get("currency")?,
                min_price: r.get("min_price")?,
                max_price: r.get("max_price")?,
            });
        }
    }
    Ok(entries.into_values().collect())
}

/// Every city and venue.
pub async fn places<C: Exec>(c: &mut C) -> StoreResult<Places> {
    let cities = q("SELECT id, name, country, key FROM cities ORDER BY id")
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.get("id")?,
                r.get("name")?,
                r.get("country")?,
                r.get("key")?,
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let venues = q("SELECT id, name, timezone, city_id FROM venues ORDER BY id")
        .fetch_all(c)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.get("id")?,
                r.get("name")?,
                r.get("timezone")?,
                r.get("city_id")?,
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Places { cities, venues })
}

/// The event of each of `shows` that exists.
pub async fn events_of_shows<C: Exec>(c: &mut C, shows: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
    if shows.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = Qb::new("SELECT id, event_id FROM shows WHERE id IN ");
    qb.push_ids(shows);
    qb.build()
        .fetch_all(c)
        .await?
        .iter()
        .map(|r| Ok((r.get("id")?, r.get("event_id")?)))
        .collect()
}

/// The soonest expiry after `now` of a live hold on a ticket of `shows`.
pub async fn next_hold_expiry<C: Exec>(
    c: &mut C,
    shows: &[ShowId],
    now: UnixMs,
) -> StoreResult<Option<UnixMs>> {
    if shows.is_empty() {
        return Ok(None);
    }
    let raw: Vec<i64> = shows.iter().map(|id| id.get()).collect();
    let mut qb = Qb::new(
        "SELECT MIN(t.hold_expires_at) AS until FROM tickets t \
         WHERE t.status = 'held' AND t.hold_expires_at > ",
    );
    qb.push_bind(now).push(" AND t.show_id IN ").push_ids(&raw);
    qb.build().scalar(c).await
}

/// The naive search the index replaces — `LIKE '%term%'` over titles, descriptions and
/// performer names — kept as the baseline the search benchmark measures against.
pub async fn like_search<C: Exec>(c: &mut C, term: &str, limit: i64) -> StoreResult<Vec<EventId>> {
    let pattern = format!("%{}%", term.to_lowercase());
    let ids: Vec<i64> = q(
        "SELECT e.id FROM events e WHERE e.status = 'active' AND (LOWER(e.title) LIKE $1 \
           OR LOWER(e.description) LIKE $1 OR EXISTS (SELECT 1 FROM event_performers ep \
           JOIN performers p ON p.id = ep.performer_id \
           WHERE ep.event_id = e.id AND LOWER(p.name) LIKE $1)) \
         ORDER BY e.id LIMIT $2",
    )
    .bind(pattern)
    .bind(limit)
    .scalars(c)
    .await?;
    Ok(ids.into_iter().map(EventId::new).collect())
}

/// Event ids above `after`, ascending, for rebuilding the index in batches.
pub async fn event_ids_after<C: Exec>(
    c: &mut C,
    after: EventId,
    limit: i64,
) -> StoreResult<Vec<EventId>> {
    let ids: Vec<i64> = q("SELECT id FROM events WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after.get())
        .bind(limit)
        .scalars(c)
        .await?;
    Ok(ids.into_iter().map(EventId::new).collect())
}

/// Whether the catalog holds no venue yet (the demo loader only fills an empty store).
pub async fn is_empty<C: Exec>(c: &mut C) -> StoreResult<bool> {
    let any: Option<i64> = q("SELECT id FROM venues LIMIT 1").scalar_opt(c).await?;
    Ok(any.is_none())
}
