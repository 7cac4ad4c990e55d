//! The store's operations, written once as plain async functions over [`Exec`] and grouped by
//! use case. Each takes a connection that is already inside the right transaction (or a read
//! connection); the backend decides how that transaction runs (`super::backend`).
//!
//! Rows are read by column name, so every selected expression that is not a plain column has
//! an alias. What differs in the SQL per backend is only the row-lock clauses, which are
//! constants of the connection type ([`Exec::FOR_UPDATE`] and friends).

use super::exec::{q, Exec, Row};
use super::{StoreError, StoreResult};
use crate::domain::catalog::VenueSummary;
use crate::domain::{Currency, ShowId, UnixMs, VenueId};

pub mod accounts;
pub mod browse;
pub mod bulk;
pub mod catalog;
pub mod feed;
pub mod holds;
pub mod idempotency;
pub mod settlement;
pub mod tickets;
pub mod waitlist;

/// The effective status of ticket `t` at the instant bound to placeholder `now` (for example
/// `"$2"`): a hold past its expiry is available.
fn effective_status(now: &str) -> String {
    format!("CASE WHEN t.status = 'held' AND t.hold_expires_at <= {now} THEN 'available' ELSE t.status END")
}

/// Appends one change-feed row inside the caller's transaction.
async fn emit<C: Exec>(
    c: &mut C,
    at: UnixMs,
    topic: &str,
    entity_id: i64,
    show_id: Option<i64>,
    payload: serde_json::Value,
) -> StoreResult<()> {
    q(
        "INSERT INTO change_feed (at, topic, entity_id, show_id, payload) \
       VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at)
    .bind(topic)
    .bind(entity_id)
    .bind(show_id)
    .bind(payload.to_string())
    .execute(c)
    .await?;
    Ok(())
}

/// Who changed which seats to what, for the change feed.
struct SeatChange<'a> {
    topic: &'a str,
    entity: i64,
    show: i64,
    kind: &'a str,
    status: &'a str,
}

/// One change row for a set of seats changing status together.
async fn emit_seats<C: Exec>(
    c: &mut C,
    now: UnixMs,
    change: SeatChange<'_>,
    seats: &[i64],
) -> StoreResult<()> {
    let SeatChange {
        topic,
        entity,
        show,
        kind,
        status,
    } = change;
    let ids: Vec<String> = seats.iter().map(|s| s.to_string()).collect();
    let payload = serde_json::json!({"kind": kind, "status": status, "seat_ids": ids});
    emit(c, now, topic, entity, Some(show), payload).await
}

/// Columns read by [`venue_summary`], for a query joining `venues v` and `cities c`.
const VENUE_COLUMNS: &str = "v.id AS venue_id, v.name AS venue_name, v.address AS venue_address, \
     v.lat AS venue_lat, v.lon AS venue_lon, v.timezone AS venue_timezone, c.name AS city, \
     c.country AS country";

fn venue_summary(row: &Row) -> StoreResult<VenueSummary> {
    Ok(VenueSummary {
        id: VenueId::new(row.get("venue_id")?),
        name: row.get("venue_name")?,
        address: row.get("venue_address")?,
        lat: row.get("venue_lat")?,
        lon: row.get("venue_lon")?,
        timezone: row.get("venue_timezone")?,
        city: row.get("city")?,
        country: row.get("country")?,
    })
}

/// `NotFound("show")` unless the show exists.
pub(super) async fn show_exists<C: Exec>(c: &mut C, id: ShowId) -> StoreResult<()> {
    let found: Option<i64> = q("SELECT id FROM shows WHERE id = $1")
        .bind(id.get())
        .scalar_opt(c)
        .await?;
    found.map(drop).ok_or(StoreError::NotFound("show"))
}

/// Decodes a stored enum value; an unknown one is a fault of the database, never a default.
fn decode<T>(raw: &str, what: &str, parse: impl FnOnce(&str) -> Option<T>) -> StoreResult<T> {
    parse(raw)
        .ok_or_else(|| StoreError::Internal(format!("unknown {what} {raw:?} in the database")))
}

/// The currency in column `name`; a stored code that is not one is a fault of the database.
fn currency(row: &Row, name: &str) -> StoreResult<Currency> {
    decode(row.get(name)?, "currency", |raw| Currency::parse(raw).ok())
}
