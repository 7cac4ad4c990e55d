//! Bulk loading of generated catalogs (`boxoffice seed`): rows arrive with their ids already
//! chosen, in batches, and each batch is written in one transaction with multi-row `INSERT`s.
//!
//! This bypasses the per-item catalog operations (and their validation) because a benchmark
//! catalog of a million events cannot be created one API call at a time; the generator is
//! responsible for producing rows those operations would accept. Each batch still follows the
//! store's rules: every event gets its change-feed row in the same transaction, and a show marked
//! `inventory` gets one ticket per seat of every priced section, as `create_show` does.
//!
//! The rows are written here, once for both backends; how durability is relaxed during the
//! load and restored at its end is the backend's bulk mode (`SqlBackend::bulk_load` and
//! `bulk_finish`).

use super::super::exec::{q, Arg, Exec, Qb};
use super::super::StoreResult;
use super::catalog::create_tickets;
use crate::domain::catalog::SectionKind;
use crate::domain::UnixMs;

#[derive(Debug, Clone)]
pub struct BulkCity {
    pub id: i64,
    pub name: String,
    pub country: String,
}

#[derive(Debug, Clone)]
pub struct BulkVenue {
    pub id: i64,
    pub city_id: i64,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone)]
pub struct BulkSection {
    pub id: i64,
    pub venue_id: i64,
    pub name: String,
    pub kind: SectionKind,
    pub capacity: i64,
    pub position: i64,
}

#[derive(Debug, Clone)]
pub struct BulkSeat {
    pub id: i64,
    pub section_id: i64,
    pub row_label: Option<String>,
    pub row_rank: i64,
    pub number: i64,
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone)]
pub struct BulkPerformer {
    pub id: i64,
    pub name: String,
    pub genre: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BulkEvent {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub category: String,
    pub venue_id: i64,
    /// In billing order.
    pub performer_ids: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct BulkShow {
    pub id: i64,
    pub event_id: i64,
    pub starts_at: UnixMs,
    pub on_sale_at: UnixMs,
    pub hold_ttl_seconds: i64,
    pub max_per_order: i64,
    pub waiting_room: bool,
    pub currency: String,
    /// (section id, amount in minor units) for every section on sale.
    pub prices: Vec<(i64, i64)>,
    /// Whether to create the show's tickets (one per seat of every priced section).
    pub inventory: bool,
}

/// A buyer for load tests, signed in: the session token's hash is stored as a login stores it.
/// The account has no usable password.
#[derive(Debug, Clone)]
pub struct BulkBuyer {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub token_hash: String,
    pub session_expires_at: UnixMs,
}

/// One transaction's worth of generated catalog. Rows may only refer to rows of the same batch
/// or of earlier batches.
#[derive(Debug, Clone, Default)]
pub struct BulkBatch {
    pub cities: Vec<BulkCity>,
    pub venues: Vec<BulkVenue>,
    pub sections: Vec<BulkSection>,
    pub seats: Vec<BulkSeat>,
    pub performers: Vec<BulkPerformer>,
    pub events: Vec<BulkEvent>,
    pub shows: Vec<BulkShow>,
    pub buyers: Vec<BulkBuyer>,
}

/// Bind parameters per statement. Well under SQLite's limit (32,766) and PostgreSQL's (65,535),
/// because binding costs SQLite time in the square of a statement's parameters (each numbered
/// parameter is looked up by walking a list): 30,000 took 1.4 s a statement, 2,000 a few ms.
const MAX_BINDS: usize = 2_000;

/// Tables whose ids the bulk loader chooses (their sequences move past the loaded ids).
pub const ID_TABLES: &[&str] = &[
    "users",
    "cities",
    "venues",
    "sections",
    "seats",
    "performers",
    "events",
    "shows",
];

/// Inserts `rows` with as many rows per statement as the bind limit allows.
async fn insert_rows<C: Exec, T, const N: usize>(
    c: &mut C,
    head: &str,
    rows: &[T],
    values: impl Fn(&T) -> [Arg; N],
) -> StoreResult<()> {
    for chunk in rows.chunks((MAX_BINDS / N).max(1)) {
        let mut qb = Qb::new(head);
        qb.push(" VALUES ").push_rows(chunk.iter().map(&values));
        qb.build().execute(&mut *c).await?;
    }
    Ok(())
}

/// Writes one batch inside the caller's transaction.
pub async fn insert_batch<C: Exec>(c: &mut C, batch: &BulkBatch, now: UnixMs) -> StoreResult<()> {
    insert_rows(
        c,
        "INSERT INTO cities (id, name, country, key)",
        &batch.cities,
        |x| {
            [
                x.id.into(),
                x.name.as_str().into(),
                x.country.as_str().into(),
                x.name.to_lowercase().into(),
            ]
        },
    )
    .await?;
    insert_rows(
        c,
        "INSERT INTO venues (id, name, city_id, address, lat, lon, created_at)",
        &batch.venues,
        |v| {
            [
                v.id.into(),
                v.name.as_str().into(),
                v.city_id.into(),
                v.address.as_str().into(),
                v.lat.into(),
                v.lon.into(),
                now.into(),
            ]
        },
    )
    .await?;
    insert_rows(
        c,
        "INSERT INTO sections (id, venue_id, name, kind, capacity, position)",
        &batch.sections,
        |s| {
            [
                s.id.into(),
                s.venue_id.into(),
                s.name.as_str().into(),
                s.kind.as_str().into(),
                s.capacity.into(),
                s.position.into(),
            ]
        },
    )
    .await?;
    insert_rows(
        c,
        "INSERT INTO seats (id, section_id, row_label, row_rank, number, x, y)",
        &batch.seats,
        |s| {
            [
                s.id.into(),
                s.section_id.into(),
                s.row_label.as_deref().into(),
                s.row_rank.into(),
                s.number.into(),
                s.x.into(),
                s.y.into(),
            ]
        },
    )
    .await?;
    insert_rows(
        c,
        "INSERT INTO performers (id, name, genre, description, created_at)",
        &batch.performers,
        |p| {
            [
                p.id.into(),
                p.name.as_str().into(),
                p.genre.as_deref().into(),
                p.description.as_deref().into(),
                now.into(),
            ]
        },
    )
    .await?;
    insert_rows(
        c,
        "INSERT INTO events (id, title, description, category, venue_id, status, created_at, \
         updated_at)",
        &batch.events,
        |e| {
            [
                e.id.into(),
                e.title.as_str().into(),
                e.description.as_str().into(),
                e.category.as_str().into(),
                e.venue_id.into(),
                "active".into(),
                now.into(),
                now.into(),
            ]
        },
    )
    .await?;
    let billing: Vec<[i64; 3]> = batch
        .events
        .iter()
        .flat_map(|e| {
            e.performer_ids
                .iter()
                .enumerate()
                .map(move |(position, p)| [e.id, *p, position as i64])
        })
        .collect();
    insert_rows(
        c,
        "INSERT INTO event_performers (event_id, performer_id, position)",
        &billing,
        |row| row.map(Arg::from),
    )
    .await?;
    insert_rows(
        c,
        "INSERT INTO shows (id, event_id, starts_at, on_sale_at, hold_ttl_seconds, \
           max_per_order, waiting_room, currency, status, created_at)",
        &batch.shows,
        |s| {
            [
                s.id.into(),
                s.event_id.into(),
                s.starts_at.into(),
                s.on_sale_at.into(),
                s.hold_ttl_seconds.into(),
                s.max_per_order.into(),
                s.waiting_room.into(),
                s.currency.as_str().into(),
                "scheduled".into(),
                now.into(),
            ]
        },
    )
    .await?;
    if let (Some(low), Some(high)) = (
        batch.shows.iter().map(|s| s.id).min(),
        batch.shows.iter().map(|s| s.id).max(),
    ) {
        // As `create_show` does: the events of these shows note their latest one.
        q(
            "UPDATE events SET last_show_at = (SELECT MAX(s.starts_at) FROM shows s \
             WHERE s.event_id = events.id AND s.status = 'scheduled') \
           WHERE id IN (SELECT event_id FROM shows WHERE id BETWEEN $1 AND $2)",
        )
        .bind(low)
        .bind(high)
        .execute(&mut *c)
        .await?;
    }
    let prices: Vec<[i64; 3]> = batch
        .shows
        .iter()
        .flat_map(|s| {
            s.prices
                .iter()
                .map(move |(section, amount)| [s.id, *section, *amount])
        })
        .collect();
    insert_rows(
        c,
        "INSERT INTO show_prices (show_id, section_id, amount)",
        &prices,
        |row| row.map(Arg::from),
    )
    .await?;
    for show in batch.shows.iter().filter(|s| s.inventory) {
        // As `create_show` does: one available ticket per seat of each priced section.
        for (section, amount) in &show.prices {
            create_tickets(c, show.id, *section, *amount).await?;
        }
    }
    insert_rows(
        c,
        "INSERT INTO users (id, email, name, password_hash, role, created_at)",
        &batch.buyers,
        |b| {
            [
                b.id.into(),
                b.email.as_str().into(),
                b.name.as_str().into(),
                "!".into(),
                "buyer".into(),
                now.into(),
            ]
        },
    )
    .await?;
    insert_rows(
        c,
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)",
        &batch.buyers,
        |b| {
            [
                b.token_hash.as_str().into(),
                b.id.into(),
                now.into(),
                b.session_expires_at.into(),
            ]
        },
    )
    .await?;
    if let (Some(first), Some(last)) = (batch.events.first(), batch.events.last()) {
        // One `event` change per event, in id order, so feed followers index them.
        q("INSERT INTO change_feed (at, topic, entity_id, payload) \
           SELECT $1, 'event', id, $2 FROM events WHERE id >= $3 AND id <= $4 ORDER BY id")
        .bind(now)
        .bind(serde_json::json!({"kind": "created"}).to_string())
        .bind(first.id)
        .bind(last.id)
        .execute(&mut *c)
        .await?;
    }
    // Shows added to events of earlier batches change those events too.
    let loaded: std::collections::BTreeSet<i64> = batch.events.iter().map(|e| e.id).collect();
    let extended: std::collections::BTreeSet<i64> = batch
        .shows
        .iter()
        .map(|s| s.event_id)
        .filter(|id| !loaded.contains(id))
        .collect();
    for event in extended {
        super::emit(
            &mut *c,
            now,
            "event",
            event,
            None,
            serde_json::json!({"kind": "shows_added"}),
        )
        .await?;
    }
    Ok(())
}
