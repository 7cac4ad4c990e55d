//! Bulk loading of generated catalogs (`boxoffice seed`): rows arrive with their ids already
//! chosen, in batches, and each batch is written in one transaction with multi-row `INSERT`s.
//!
//! This bypasses the per-item catalog operations (and their validation) because a benchmark
//! catalog of a million events cannot be created one API call at a time; the generator is
//! responsible for producing rows those operations would accept. Each batch still follows the
//! store's rules: every event gets its change-feed row in the same transaction, and a show marked
//! `inventory` gets one ticket per seat of every priced section, as `create_show` does.
//!
//! Durability is relaxed for the load only. On SQLite the batch's connection runs with
//! `synchronous = OFF` and is set back to `FULL` before it returns to the pool (a connection that
//! cannot be restored is closed instead); `bulk_finish` then checkpoints the WAL with
//! `synchronous = FULL`, so the loaded catalog is on disk before the seed reports success. A power
//! cut during the load can lose or damage what was loaded so far — seed again into a fresh data
//! folder. On PostgreSQL batches commit with `synchronous_commit = off` (a crash can lose the last
//! batches but never corrupts), seat batches are followed by `ANALYZE` (so ticket creation finds
//! seats by index rather than by scanning them all), and `bulk_finish` moves the id sequences past
//! the explicit ids and runs `VACUUM ANALYZE`.

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
}

/// Bind parameters per statement: under SQLite's limit (32,766) and PostgreSQL's (65,535).
pub(crate) const MAX_BINDS: usize = 30_000;

/// Tables whose ids the bulk loader chooses (their sequences move past the loaded ids).
pub(crate) const ID_TABLES: &[&str] = &[
    "cities",
    "venues",
    "sections",
    "seats",
    "performers",
    "events",
    "shows",
];

/// Expands, inside `sql_store!`, to the bulk-loading helpers of one backend.
macro_rules! bulk_sql {
    ($store:ty, $db:ty) => {
        type Conn = <$db as sqlx::Database>::Connection;

        /// Inserts `rows` with as many rows per statement as the bind limit allows.
        async fn bulk_insert<'r, T: Sync>(
            conn: &mut Conn,
            head: &'static str,
            columns: usize,
            rows: &'r [T],
            bind: impl for<'q> Fn(&mut sqlx::query_builder::Separated<'q, 'r, $db, &'static str>, &'r T) + Send + Sync,
        ) -> StoreResult<()> {
            for chunk in rows.chunks((crate::store::bulk::MAX_BINDS / columns).max(1)) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(head);
                qb.push_values(chunk, |mut b, row| bind(&mut b, row));
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        impl $store {
            async fn bulk_rows_in(conn: &mut Conn, batch: &BulkBatch, now: UnixMs) -> StoreResult<()> {
                bulk_insert(conn, "INSERT INTO cities (id, name, country, key) ", 4, &batch.cities, |b, c| {
                    b.push_bind(c.id).push_bind(c.name.as_str()).push_bind(c.country.as_str()).push_bind(c.name.to_lowercase());
                })
                .await?;
                bulk_insert(
                    conn,
                    "INSERT INTO venues (id, name, city_id, address, lat, lon, created_at) ",
                    7,
                    &batch.venues,
                    |b, v| {
                        b.push_bind(v.id)
                            .push_bind(v.name.as_str())
                            .push_bind(v.city_id)
                            .push_bind(v.address.as_str())
                            .push_bind(v.lat)
                            .push_bind(v.lon)
                            .push_bind(now);
                    },
                )
                .await?;
                bulk_insert(
                    conn,
                    "INSERT INTO sections (id, venue_id, name, kind, capacity, position) ",
                    6,
                    &batch.sections,
                    |b, s| {
                        b.push_bind(s.id)
                            .push_bind(s.venue_id)
                            .push_bind(s.name.as_str())
                            .push_bind(s.kind.as_str())
                            .push_bind(s.capacity)
                            .push_bind(s.position);
                    },
                )
                .await?;
                bulk_insert(
                    conn,
                    "INSERT INTO seats (id, section_id, row_label, row_rank, number, x, y) ",
                    7,
                    &batch.seats,
                    |b, s| {
                        b.push_bind(s.id)
                            .push_bind(s.section_id)
                            .push_bind(s.row_label.as_deref())
                            .push_bind(s.row_rank)
                            .push_bind(s.number)
                            .push_bind(s.x)
                            .push_bind(s.y);
                    },
                )
                .await?;
                bulk_insert(
                    conn,
                    "INSERT INTO performers (id, name, genre, description, created_at) ",
                    5,
                    &batch.performers,
                    |b, p| {
                        b.push_bind(p.id)
                            .push_bind(p.name.as_str())
                            .push_bind(p.genre.as_deref())
                            .push_bind(p.description.as_deref())
                            .push_bind(now);
                    },
                )
                .await?;
                bulk_insert(
                    conn,
                    "INSERT INTO events (id, title, description, category, venue_id, status, created_at, updated_at) ",
                    8,
                    &batch.events,
                    |b, e| {
                        b.push_bind(e.id)
                            .push_bind(e.title.as_str())
                            .push_bind(e.description.as_str())
                            .push_bind(e.category.as_str())
                            .push_bind(e.venue_id)
                            .push_bind("active")
                            .push_bind(now)
                            .push_bind(now);
                    },
                )
                .await?;
                let billing: Vec<(i64, i64, i64)> = batch
                    .events
                    .iter()
                    .flat_map(|e| {
                        e.performer_ids
                            .iter()
                            .enumerate()
                            .map(move |(position, p)| (e.id, *p, position as i64))
                    })
                    .collect();
                bulk_insert(
                    conn,
                    "INSERT INTO event_performers (event_id, performer_id, position) ",
                    3,
                    &billing,
                    |b, (event, performer, position)| {
                        b.push_bind(*event).push_bind(*performer).push_bind(*position);
                    },
                )
                .await?;
                bulk_insert(
                    conn,
                    "INSERT INTO shows (id, event_id, starts_at, on_sale_at, hold_ttl_seconds, \
                       max_per_order, waiting_room, currency, status, created_at) ",
                    10,
                    &batch.shows,
                    |b, s| {
                        b.push_bind(s.id)
                            .push_bind(s.event_id)
                            .push_bind(s.starts_at)
                            .push_bind(s.on_sale_at)
                            .push_bind(s.hold_ttl_seconds)
                            .push_bind(s.max_per_order)
                            .push_bind(s.waiting_room)
                            .push_bind(s.currency.as_str())
                            .push_bind("scheduled")
                            .push_bind(now);
                    },
                )
                .await?;
                if let (Some(low), Some(high)) = (
                    batch.shows.iter().map(|s| s.id).min(),
                    batch.shows.iter().map(|s| s.id).max(),
                ) {
                    // As `create_show` does: the events of these shows note their latest one.
                    sqlx::query(
                        "UPDATE events SET last_show_at = (SELECT MAX(s.starts_at) FROM shows s \
                           WHERE s.event_id = events.id AND s.status = 'scheduled') \
                         WHERE id IN (SELECT event_id FROM shows WHERE id BETWEEN $1 AND $2)",
                    )
                    .bind(low)
                    .bind(high)
                    .execute(&mut *conn)
                    .await?;
                }
                let prices: Vec<(i64, i64, i64)> = batch
                    .shows
                    .iter()
                    .flat_map(|s| s.prices.iter().map(move |(section, amount)| (s.id, *section, *amount)))
                    .collect();
                bulk_insert(
                    conn,
                    "INSERT INTO show_prices (show_id, section_id, amount) ",
                    3,
                    &prices,
                    |b, (show, section, amount)| {
                        b.push_bind(*show).push_bind(*section).push_bind(*amount);
                    },
                )
                .await?;
                for show in batch.shows.iter().filter(|s| s.inventory) {
                    // As `create_show` does: one available ticket per seat of each priced section.
                    for (section, amount) in &show.prices {
                        sqlx::query(
                            "INSERT INTO tickets (show_id, seat_id, section_id, seat_rank, price, status) \
                             SELECT $1, id, section_id, row_rank * 1000 + number, $2, 'available' FROM seats WHERE section_id = $3",
                        )
                        .bind(show.id)
                        .bind(*amount)
                        .bind(*section)
                        .execute(&mut *conn)
                        .await?;
                    }
                }
                if let (Some(first), Some(last)) = (batch.events.first(), batch.events.last()) {
                    // One `event` change per event, in id order, so feed followers index them.
                    sqlx::query(
                        "INSERT INTO change_feed (at, topic, entity_id, payload) \
                         SELECT $1, 'event', id, $2 FROM events \
                         WHERE id >= $3 AND id <= $4 ORDER BY id",
                    )
                    .bind(now)
                    .bind(serde_json::json!({"kind": "created"}).to_string())
                    .bind(first.id)
                    .bind(last.id)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }

            async fn bulk_load_impl(&self, batch: BulkBatch, now: UnixMs) -> StoreResult<()> {
                let sqlite = Self::backend() == Backend::Sqlite;
                let mut conn = self.writer().acquire().await?;
                if sqlite {
                    // The load may skip fsyncs; `bulk_finish` makes it durable at the end.
                    sqlx::query("PRAGMA synchronous = OFF").execute(&mut *conn).await?;
                }
                let written = async {
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    if !sqlite {
                        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
                    }
                    Self::bulk_rows_in(&mut tx, &batch, now).await?;
                    tx.commit().await?;
                    StoreResult::Ok(())
                }
                .await;
                if !sqlite && written.is_ok() && !batch.seats.is_empty() {
                    // Fresh tables have no planner statistics yet; without them PostgreSQL scans
                    // every seat for each show's tickets instead of using `seats_section`.
                    sqlx::query("ANALYZE sections, seats").execute(&mut *conn).await?;
                }
                if sqlite {
                    let restored = sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await;
                    if restored.is_err() {
                        // Never hand a relaxed connection back to ordinary writes.
                        conn.close_on_drop();
                    }
                    written?;
                    restored?;
                    return Ok(());
                }
                written
            }

            async fn bulk_finish_impl(&self) -> StoreResult<u64> {
                let mut conn = self.writer().acquire().await?;
                if Self::backend() == Backend::Sqlite {
                    sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *conn).await?;
                    let files = sqlx::query("PRAGMA database_list").fetch_all(&mut *conn).await?;
                    let mut bytes = 0;
                    for row in files {
                        let name: String = row.try_get(1)?;
                        let file: String = row.try_get(2)?;
                        if name != "main" || file.is_empty() {
                            continue;
                        }
                        for path in [file.clone(), format!("{file}-wal")] {
                            bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                        }
                    }
                    Ok(bytes)
                } else {
                    for table in crate::store::bulk::ID_TABLES {
                        sqlx::query(&format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                             (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                        ))
                        .execute(&mut *conn)
                        .await?;
                    }
                    sqlx::query("VACUUM ANALYZE").execute(&mut *conn).await?;
                    let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                        .fetch_one(&mut *conn)
                        .await?;
                    Ok(u64::try_from(bytes).unwrap_or(0))
                }
            }
        }
    };
}
pub(crate) use bulk_sql;
