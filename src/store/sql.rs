//! The SQL both backends share. `$n` placeholders, `RETURNING` and integer times are portable
//! between SQLite and PostgreSQL, so each operation is written once here and expanded for each
//! backend by [`sql_store!`]. A backend provides:
//!
//! - `fn reader(&self) -> &Pool<Db>`: a pool for reads (never blocked by the writer);
//! - `fn writer(&self) -> &Pool<Db>`: the pool migrations run on;
//! - `async fn begin_write(&self) -> StoreResult<Transaction<'_, Db>>`: a write transaction that
//!   holds the backend's write lock from its first statement, so read-check-write sequences
//!   inside it cannot interleave with another writer;
//! - `fn migrator() -> &'static Migrator` and `fn backend() -> Backend`.

/// The effective status of a ticket at `$now`: a hold past its expiry is available.
macro_rules! effective_status {
    ($now:literal) => {
        concat!(
            "CASE WHEN t.status = 'held' AND t.hold_expires_at <= ",
            $now,
            " THEN 'available' ELSE t.status END"
        )
    };
}
pub(crate) use effective_status;

/// Most shows browse walks in start order before it groups every event instead.
pub(crate) const BROWSE_WALK_LIMIT: i64 = 262_144;

macro_rules! sql_store {
    ($store:ty, $db:ty, lock = $lock:literal, skip_locked = $skip:literal) => {
        use crate::domain::booking::*;
        use crate::domain::catalog::*;
        use crate::domain::users::{Role, User};
        use crate::domain::*;
        use crate::store::sql::{effective_status, BROWSE_WALK_LIMIT};
        use crate::store::*;
        use sqlx::Row;

        type Tx<'a> = sqlx::Transaction<'a, $db>;

        crate::store::sql_booking::booking_sql!($store, $db, $lock, $skip);
        crate::store::bulk::bulk_sql!($store, $db);

        fn unique_violation(e: &sqlx::Error) -> bool {
            matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
        }

        impl $store {
            /// Runs one statement as a write transaction of its own; returns the rows changed.
            async fn write_one(&self, query: crate::store::exec::Q) -> StoreResult<u64> {
                self.in_write(move |conn| {
                    let query = query.clone();
                    Box::pin(async move { query.execute(&mut *conn).await })
                })
                .await
            }

            /// Appends one change-feed row inside the caller's transaction.
            async fn emit(
                tx: &mut Tx<'_>,
                at: UnixMs,
                topic: &str,
                entity_id: i64,
                show_id: Option<i64>,
                payload: serde_json::Value,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO change_feed (at, topic, entity_id, show_id, payload) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(at)
                .bind(topic)
                .bind(entity_id)
                .bind(show_id)
                .bind(payload.to_string())
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn check_performers(
                tx: &mut Tx<'_>,
                ids: &[PerformerId],
            ) -> StoreResult<()> {
                for (i, id) in ids.iter().enumerate() {
                    let found = sqlx::query("SELECT id FROM performers WHERE id = $1")
                        .bind(id.get())
                        .fetch_optional(&mut **tx)
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

            async fn set_performers(
                tx: &mut Tx<'_>,
                event: i64,
                ids: &[PerformerId],
            ) -> StoreResult<()> {
                sqlx::query("DELETE FROM event_performers WHERE event_id = $1")
                    .bind(event)
                    .execute(&mut **tx)
                    .await?;
                for (position, id) in ids.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO event_performers (event_id, performer_id, position) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(event)
                    .bind(id.get())
                    .bind(position as i64)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }

            /// The first `want` events by next show (then id) for a browse without a city, or
            /// `None` when that would take walking more than [`BROWSE_WALK_LIMIT`] shows
            /// (including pages so deep that the first window would).
            ///
            /// Shows are walked in start order through their index: the first appearance of
            /// each event in that order is its next show, so once a window of shows holds
            /// `want` distinct events they are exactly the first `want`. The window grows
            /// until it does, or until the shows run out.
            async fn first_events_by_show(&self, q: &BrowseQuery, want: i64) -> StoreResult<Option<Vec<i64>>> {
                let mut window = (want * 4).max(64);
                if window > BROWSE_WALK_LIMIT {
                    return Ok(None); // a deep page: grouping is no worse
                }
                loop {
                    // CROSS JOIN keeps SQLite's planner on the shows' start index.
                    let mut walk = sqlx::QueryBuilder::<$db>::new(
                        "SELECT w.event_id, COUNT(*) FROM (SELECT s.event_id, s.starts_at FROM shows s \
                         CROSS JOIN events e WHERE e.id = s.event_id AND s.status = 'scheduled' AND s.starts_at >= ",
                    );
                    walk.push_bind(q.from);
                    if let Some(to) = q.to {
                        walk.push(" AND s.starts_at < ").push_bind(to);
                    }
                    walk.push(" AND e.status = 'active'");
                    if let Some(category) = &q.category {
                        walk.push(" AND e.category = ").push_bind(category.clone());
                    }
                    walk.push(" ORDER BY s.starts_at, s.event_id LIMIT ").push_bind(window);
                    walk.push(") w GROUP BY w.event_id ORDER BY MIN(w.starts_at), w.event_id");
                    let rows = walk.build().fetch_all(self.reader()).await?;
                    let walked: i64 = rows.iter().map(|r| r.try_get::<i64, _>(1)).sum::<Result<i64, _>>()?;
                    if walked < window || rows.len() as i64 >= want {
                        return rows.iter().take(usize::try_from(want).unwrap_or(usize::MAX))
                            .map(|r| Ok(r.try_get::<i64, _>(0)?))
                            .collect::<StoreResult<Vec<i64>>>()
                            .map(Some);
                    }
                    if window >= BROWSE_WALK_LIMIT {
                        return Ok(None);
                    }
                    window *= 4;
                }
            }

            /// Raises an event's `last_show_at` (which browse filters on) to a new show's
            /// start. Written against the row itself rather than as a `MAX` over the shows:
            /// on PostgreSQL two shows added at once would each read the shows as of their
            /// own snapshot, and the later commit could lower the value; an update of the
            /// row's own column is re-evaluated on the latest row instead.
            async fn note_new_show(tx: &mut Tx<'_>, event: i64, starts_at: i64) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE events SET last_show_at = CASE WHEN last_show_at IS NULL OR last_show_at < $2 \
                       THEN $2 ELSE last_show_at END WHERE id = $1",
                )
                .bind(event)
                .bind(starts_at)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Status and venue of an event inside a write transaction: `NotFound` if missing.
            async fn event_status(tx: &mut Tx<'_>, id: EventId) -> StoreResult<(EventStatus, i64)> {
                let row = sqlx::query("SELECT status, venue_id FROM events WHERE id = $1")
                    .bind(id.get())
                    .fetch_optional(&mut **tx)
                    .await?
                    .ok_or(StoreError::NotFound("event"))?;
                Ok((EventStatus::parse(row.try_get::<&str, _>(0)?), row.try_get(1)?))
            }

            /// The venue of an event that may still change: `Conflict` once it is cancelled.
            async fn active_event(tx: &mut Tx<'_>, id: EventId) -> StoreResult<i64> {
                match Self::event_status(tx, id).await? {
                    (EventStatus::Cancelled, _) => Err(StoreError::Conflict("the event is cancelled".into())),
                    (EventStatus::Active, venue) => Ok(venue),
                }
            }

            async fn availability_by_show(
                &self,
                sql_filter: &str,
                key: i64,
                now: UnixMs,
            ) -> StoreResult<std::collections::HashMap<i64, Availability>> {
                let sql = format!(
                    "SELECT t.show_id, \
                       SUM(CASE WHEN t.status = 'sold' THEN 1 ELSE 0 END), \
                       SUM(CASE WHEN t.status = 'held' AND t.hold_expires_at > $2 THEN 1 ELSE 0 END), \
                       COUNT(*) \
                     FROM tickets t {sql_filter} GROUP BY t.show_id"
                );
                let rows = sqlx::query(&sql)
                    .bind(key)
                    .bind(now)
                    .fetch_all(self.reader())
                    .await?;
                let mut out = std::collections::HashMap::new();
                for row in rows {
                    let sold: i64 = row.try_get(1)?;
                    let held: i64 = row.try_get(2)?;
                    let total: i64 = row.try_get(3)?;
                    out.insert(
                        row.try_get(0)?,
                        Availability {
                            available: total - sold - held,
                            held,
                            sold,
                        },
                    );
                }
                Ok(out)
            }

            fn venue_summary(row: &<$db as sqlx::Database>::Row, at: usize) -> StoreResult<VenueSummary> {
                Ok(VenueSummary {
                    id: VenueId::new(row.try_get(at)?),
                    name: row.try_get(at + 1)?,
                    address: row.try_get(at + 2)?,
                    lat: row.try_get(at + 3)?,
                    lon: row.try_get(at + 4)?,
                    city: row.try_get(at + 5)?,
                    country: row.try_get(at + 6)?,
                })
            }
        }

        /// Columns read by `venue_summary`, in order, for a query joining `venues v` and `cities c`.
        const VENUE_COLUMNS: &str = "v.id, v.name, v.address, v.lat, v.lon, c.name, c.country";

        fn user_from_row(row: &<$db as sqlx::Database>::Row) -> StoreResult<User> {
            let role: String = row.try_get("role")?;
            Ok(User {
                id: UserId::new(row.try_get("id")?),
                email: row.try_get("email")?,
                name: row.try_get("name")?,
                role: Role::parse(&role)
                    .ok_or_else(|| StoreError::Internal(format!("unknown role {role}")))?,
            })
        }

        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> Backend {
                Self::backend()
            }

            async fn migrate(&self) -> StoreResult<()> {
                Self::migrator().run(self.writer()).await?;
                Ok(())
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(self.reader()).await?;
                Ok(())
            }

            // Accounts ------------------------------------------------------------------------

            async fn create_user(&self, user: HashedUser, now: UnixMs) -> StoreResult<User> {
                let mut tx = self.begin_write().await?;
                let inserted = sqlx::query(
                    "INSERT INTO users (email, name, password_hash, role, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(&user.email)
                .bind(&user.name)
                .bind(&user.password_hash)
                .bind(user.role.as_str())
                .bind(now)
                .fetch_one(&mut *tx)
                .await;
                let row = match inserted {
                    Err(e) if unique_violation(&e) => {
                        return Err(StoreError::Conflict(
                            "an account with this email already exists".into(),
                        ))
                    }
                    other => other?,
                };
                tx.commit().await?;
                Ok(User {
                    id: UserId::new(row.try_get(0)?),
                    email: user.email,
                    name: user.name,
                    role: user.role,
                })
            }

            async fn credentials_by_email(&self, email: &str) -> StoreResult<Option<Credentials>> {
                let row = sqlx::query(
                    "SELECT id, email, name, role, password_hash FROM users WHERE email = $1",
                )
                .bind(email)
                .fetch_optional(self.reader())
                .await?;
                row.map(|row| {
                    Ok(Credentials {
                        user: user_from_row(&row)?,
                        password_hash: row.try_get("password_hash")?,
                    })
                })
                .transpose()
            }

            async fn create_session(
                &self,
                user: UserId,
                token_hash: &str,
                now: UnixMs,
                expires_at: UnixMs,
            ) -> StoreResult<()> {
                let token_hash = token_hash.to_owned();
                self.in_write(move |conn| {
                    let token_hash = token_hash.clone();
                    Box::pin(async move {
                        q("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                            .bind(token_hash)
                            .bind(user.get())
                            .bind(now)
                            .bind(expires_at)
                            .execute(&mut *conn)
                            .await?;
                        // Tidy this user's expired sessions while we hold the write lock anyway.
                        q("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
                            .bind(user.get())
                            .bind(now)
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    })
                })
                .await
            }

            async fn session_user(&self, token_hash: &str, now: UnixMs) -> StoreResult<Option<User>> {
                let row = sqlx::query(
                    "SELECT u.id, u.email, u.name, u.role FROM sessions s \
                     JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(self.reader())
                .await?;
                row.as_ref().map(user_from_row).transpose()
            }

            async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
                self.write_one(q("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash))
                    .await
                    .map(drop)
            }

            // Catalog writes -------------------------------------------------------------------

            async fn create_venue(&self, venue: NewVenue, now: UnixMs) -> StoreResult<Venue> {
                let mut tx = self.begin_write().await?;
                let key = venue.city.to_lowercase();
                sqlx::query(
                    "INSERT INTO cities (name, country, key) VALUES ($1, $2, $3) \
                     ON CONFLICT (key, country) DO NOTHING",
                )
                .bind(&venue.city)
                .bind(&venue.country)
                .bind(&key)
                .execute(&mut *tx)
                .await?;
                let city_id: i64 =
                    sqlx::query_scalar("SELECT id FROM cities WHERE key = $1 AND country = $2")
                        .bind(&key)
                        .bind(&venue.country)
                        .fetch_one(&mut *tx)
                        .await?;
                let venue_id: i64 = sqlx::query_scalar(
                    "INSERT INTO venues (name, city_id, address, lat, lon, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(&venue.name)
                .bind(city_id)
                .bind(&venue.address)
                .bind(venue.lat)
                .bind(venue.lon)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let mut y = 0.0;
                for (position, section) in venue.sections.iter().enumerate() {
                    let section_id: i64 = sqlx::query_scalar(
                        "INSERT INTO sections (venue_id, name, kind, capacity, position) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(venue_id)
                    .bind(&section.name)
                    .bind(section.kind.as_str())
                    .bind(section.capacity)
                    .bind(position as i64)
                    .fetch_one(&mut *tx)
                    .await?;
                    let seats = section.seats(y);
                    y += section.depth() + 2.0;
                    // Multi-row inserts keep a 100,000-seat venue to a few hundred statements.
                    for chunk in seats.chunks(1000) {
                        let mut insert = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO seats (section_id, row_label, row_rank, number, x, y) ",
                        );
                        insert.push_values(chunk, |mut b, seat| {
                            b.push_bind(section_id)
                                .push_bind(seat.row_label.clone())
                                .push_bind(seat.row_rank)
                                .push_bind(seat.number)
                                .push_bind(seat.x)
                                .push_bind(seat.y);
                        });
                        insert.build().execute(&mut *tx).await?;
                    }
                }
                Self::emit(&mut tx, now, "venue", venue_id, None, serde_json::json!({"kind": "created"}))
                    .await?;
                tx.commit().await?;
                self.venue(VenueId::new(venue_id)).await
            }

            async fn create_performer(&self, p: NewPerformer, now: UnixMs) -> StoreResult<Performer> {
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO performers (name, genre, description, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(&p.name)
                .bind(&p.genre)
                .bind(&p.description)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                Self::emit(&mut tx, now, "performer", id, None, serde_json::json!({"kind": "created"}))
                    .await?;
                tx.commit().await?;
                Ok(Performer {
                    id: PerformerId::new(id),
                    name: p.name,
                    genre: p.genre,
                    description: p.description,
                })
            }

            async fn create_event(&self, e: NewEvent, now: UnixMs) -> StoreResult<EventView> {
                let mut tx = self.begin_write().await?;
                let venue = sqlx::query("SELECT id FROM venues WHERE id = $1")
                    .bind(e.venue_id.get())
                    .fetch_optional(&mut *tx)
                    .await?;
                if venue.is_none() {
                    return Err(StoreError::Invalid(Invalid::one(
                        "venue_id",
                        format!("no venue with id {}", e.venue_id),
                    )));
                }
                Self::check_performers(&mut tx, &e.performer_ids).await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO events (title, description, category, venue_id, status, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'active', $5, $5) RETURNING id",
                )
                .bind(&e.title)
                .bind(&e.description)
                .bind(&e.category)
                .bind(e.venue_id.get())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                Self::set_performers(&mut tx, id, &e.performer_ids).await?;
                Self::emit(&mut tx, now, "event", id, None, serde_json::json!({"kind": "created"}))
                    .await?;
                tx.commit().await?;
                self.event(EventId::new(id), now).await
            }

            async fn update_event(
                &self,
                id: EventId,
                patch: EventPatch,
                now: UnixMs,
            ) -> StoreResult<EventView> {
                let mut tx = self.begin_write().await?;
                Self::active_event(&mut tx, id).await?;
                if let Some(ids) = &patch.performer_ids {
                    Self::check_performers(&mut tx, ids).await?;
                    Self::set_performers(&mut tx, id.get(), ids).await?;
                }
                sqlx::query(
                    "UPDATE events SET title = COALESCE($1, title), \
                       description = COALESCE($2, description), \
                       category = COALESCE($3, category), updated_at = $4 \
                     WHERE id = $5",
                )
                .bind(&patch.title)
                .bind(&patch.description)
                .bind(&patch.category)
                .bind(now)
                .bind(id.get())
                .execute(&mut *tx)
                .await?;
                Self::emit(&mut tx, now, "event", id.get(), None, serde_json::json!({"kind": "updated"}))
                    .await?;
                tx.commit().await?;
                self.event(id, now).await
            }

            async fn cancel_event(&self, id: EventId, now: UnixMs) -> StoreResult<EventView> {
                let mut tx = self.begin_write().await?;
                let (status, _) = Self::event_status(&mut tx, id).await?;
                if status == EventStatus::Active {
                    sqlx::query("UPDATE events SET status = 'cancelled', updated_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(id.get())
                        .execute(&mut *tx)
                        .await?;
                    let shows: Vec<i64> = sqlx::query_scalar(
                        "UPDATE shows SET status = 'cancelled' \
                         WHERE event_id = $1 AND status = 'scheduled' RETURNING id",
                    )
                    .bind(id.get())
                    .fetch_all(&mut *tx)
                    .await?;
                    // No scheduled show is left.
                    sqlx::query("UPDATE events SET last_show_at = NULL WHERE id = $1")
                        .bind(id.get())
                        .execute(&mut *tx)
                        .await?;
                    for show in shows {
                        // Buyers are refunded: confirmed bookings become cancelled with a refund
                        // owed (the refund worker pays it); live holds end; nothing stays sold.
                        let cancelled: Vec<i64> = sqlx::query_scalar(
                            "UPDATE bookings SET status = 'cancelled', refund_status = 'pending', updated_at = $1 \
                             WHERE show_id = $2 AND status = 'confirmed' RETURNING id",
                        )
                        .bind(now)
                        .bind(show)
                        .fetch_all(&mut *tx)
                        .await?;
                        for booking in cancelled {
                            Self::emit(&mut tx, now, "booking", booking, Some(show),
                                serde_json::json!({"kind": "cancelled", "reason": "event_cancelled"})).await?;
                        }
                        sqlx::query("UPDATE holds SET status = 'released' WHERE show_id = $1 AND status = 'active'")
                            .bind(show)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(
                            "UPDATE tickets SET status = 'available', hold_id = NULL, hold_expires_at = NULL, \
                               booking_id = NULL WHERE show_id = $1 AND status <> 'available'",
                        )
                        .bind(show)
                        .execute(&mut *tx)
                        .await?;
                        Self::emit(&mut tx, now, "show", show, Some(show),
                            serde_json::json!({"kind": "cancelled", "event_id": id.to_string()})).await?;
                    }
                    Self::emit(&mut tx, now, "event", id.get(), None,
                        serde_json::json!({"kind": "cancelled"})).await?;
                }
                tx.commit().await?;
                self.event(id, now).await
            }

            async fn create_show(
                &self,
                event: EventId,
                show: NewShow,
                now: UnixMs,
            ) -> StoreResult<ShowView> {
                let mut tx = self.begin_write().await?;
                let venue_id = Self::active_event(&mut tx, event).await?;
                let sections = sqlx::query("SELECT id, name FROM sections WHERE venue_id = $1")
                    .bind(venue_id)
                    .fetch_all(&mut *tx)
                    .await?;
                let mut priced = Vec::new();
                for (i, (name, amount)) in show.prices.iter().enumerate() {
                    let mut found = None;
                    for row in &sections {
                        let candidate: &str = row.try_get(1)?;
                        if candidate.eq_ignore_ascii_case(name) {
                            found = Some(row.try_get::<i64, _>(0)?);
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
                let show_id: i64 = sqlx::query_scalar(
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
                .fetch_one(&mut *tx)
                .await?;
                Self::note_new_show(&mut tx, event.get(), show.starts_at).await?;
                for (section, amount) in priced {
                    sqlx::query("INSERT INTO show_prices (show_id, section_id, amount) VALUES ($1, $2, $3)")
                        .bind(show_id)
                        .bind(section)
                        .bind(amount)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO tickets (show_id, seat_id, section_id, seat_rank, price, status) \
                         SELECT $1, id, section_id, row_rank * 1000 + number, $2, 'available' FROM seats WHERE section_id = $3",
                    )
                    .bind(show_id)
                    .bind(amount)
                    .bind(section)
                    .execute(&mut *tx)
                    .await?;
                }
                Self::emit(&mut tx, now, "show", show_id, Some(show_id),
                    serde_json::json!({"kind": "created", "event_id": event.to_string()})).await?;
                tx.commit().await?;
                if Self::backend() == Backend::Postgres {
                    // A new show can go on sale minutes later, before autovacuum has looked at
                    // its tickets. Without statistics the planner claims seats by scanning every
                    // available ticket of the show instead of the primary key.
                    sqlx::query("ANALYZE tickets, seats").execute(self.writer()).await?;
                }
                self.show(ShowId::new(show_id), now).await
            }

            async fn bulk_load(&self, batch: BulkBatch, now: UnixMs) -> StoreResult<()> {
                self.bulk_load_impl(batch, now).await
            }

            async fn bulk_finish(&self) -> StoreResult<u64> {
                self.bulk_finish_impl().await
            }

            // Catalog reads --------------------------------------------------------------------

            async fn venue(&self, id: VenueId) -> StoreResult<Venue> {
                let row = sqlx::query(&format!(
                    "SELECT {VENUE_COLUMNS} FROM venues v JOIN cities c ON c.id = v.city_id WHERE v.id = $1"
                ))
                .bind(id.get())
                .fetch_optional(self.reader())
                .await?
                .ok_or(StoreError::NotFound("venue"))?;
                let summary = Self::venue_summary(&row, 0)?;
                let section_rows = sqlx::query(
                    "SELECT id, name, kind, capacity FROM sections WHERE venue_id = $1 ORDER BY position",
                )
                .bind(id.get())
                .fetch_all(self.reader())
                .await?;
                let row_rows = sqlx::query(
                    "SELECT s.section_id, s.row_label, COUNT(*) FROM seats s \
                     JOIN sections x ON x.id = s.section_id \
                     WHERE x.venue_id = $1 AND s.row_label IS NOT NULL \
                     GROUP BY s.section_id, s.row_label, s.row_rank \
                     ORDER BY s.section_id, s.row_rank",
                )
                .bind(id.get())
                .fetch_all(self.reader())
                .await?;
                let mut sections = Vec::new();
                for row in section_rows {
                    let section_id: i64 = row.try_get(0)?;
                    let mut rows = Vec::new();
                    for r in &row_rows {
                        if r.try_get::<i64, _>(0)? == section_id {
                            rows.push(RowView { label: r.try_get(1)?, seats: r.try_get(2)? });
                        }
                    }
                    let kind: &str = row.try_get(2)?;
                    sections.push(SectionView {
                        id: SectionId::new(section_id),
                        name: row.try_get(1)?,
                        kind: SectionKind::parse(kind).unwrap_or(SectionKind::Seated),
                        capacity: row.try_get(3)?,
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
                    capacity: sections.iter().map(|s| s.capacity).sum(),
                    sections,
                })
            }

            async fn performer(&self, id: PerformerId) -> StoreResult<Performer> {
                let row = sqlx::query("SELECT name, genre, description FROM performers WHERE id = $1")
                    .bind(id.get())
                    .fetch_optional(self.reader())
                    .await?
                    .ok_or(StoreError::NotFound("performer"))?;
                Ok(Performer {
                    id,
                    name: row.try_get(0)?,
                    genre: row.try_get(1)?,
                    description: row.try_get(2)?,
                })
            }

            async fn cities(&self, now: UnixMs) -> StoreResult<Vec<City>> {
                let rows = sqlx::query(
                    "SELECT c.name, c.country, COUNT(DISTINCT e.id) FROM cities c \
                     LEFT JOIN venues v ON v.city_id = c.id \
                     LEFT JOIN events e ON e.venue_id = v.id AND e.status = 'active' \
                       AND EXISTS (SELECT 1 FROM shows s WHERE s.event_id = e.id \
                                   AND s.status = 'scheduled' AND s.starts_at >= $1) \
                     GROUP BY c.id, c.name, c.country ORDER BY c.name, c.country",
                )
                .bind(now)
                .fetch_all(self.reader())
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(City {
                            name: row.try_get(0)?,
                            country: row.try_get(1)?,
                            event_count: row.try_get(2)?,
                        })
                    })
                    .collect()
            }

            async fn browse_events(&self, q: &BrowseQuery) -> StoreResult<Page<EventSummary>> {
                let city = q.city.as_ref().map(|c| c.to_lowercase());
                // Only the filters given become SQL, so each one can use its index (an
                // `$1 IS NULL OR …` clause would hide the city index from the planner).
                let filters = |qb: &mut sqlx::QueryBuilder<'_, $db>| {
                    qb.push(" WHERE e.status = 'active'");
                    if let Some(city) = &city {
                        qb.push(" AND c.key = ").push_bind(city.clone());
                    }
                    if let Some(category) = &q.category {
                        qb.push(" AND e.category = ").push_bind(category.clone());
                    }
                };
                let show_in_range = |qb: &mut sqlx::QueryBuilder<'_, $db>, alias: &str| {
                    qb.push(format!(" {alias}.status = 'scheduled' AND {alias}.starts_at >= ")).push_bind(q.from);
                    if let Some(to) = q.to {
                        qb.push(format!(" AND {alias}.starts_at < ")).push_bind(to);
                    }
                };
                // An event has a scheduled show at or after `from` exactly when its latest one
                // is (`last_show_at`, indexed). With an end as well, the shows in the window
                // are counted instead (through their start index), unless a city narrows the
                // events down first.
                let mut count = sqlx::QueryBuilder::<$db>::new("");
                match (q.to, &city) {
                    (Some(_), None) => {
                        count.push(
                            "SELECT COUNT(DISTINCT s.event_id) FROM shows s CROSS JOIN events e \
                             WHERE e.id = s.event_id AND",
                        );
                        show_in_range(&mut count, "s");
                        count.push(" AND e.status = 'active'");
                        if let Some(category) = &q.category {
                            count.push(" AND e.category = ").push_bind(category.clone());
                        }
                    }
                    _ => {
                        count.push("SELECT COUNT(*) FROM events e");
                        if city.is_some() {
                            count.push(" JOIN venues v ON v.id = e.venue_id JOIN cities c ON c.id = v.city_id");
                        }
                        filters(&mut count);
                        count.push(" AND e.last_show_at >= ").push_bind(q.from);
                        if q.to.is_some() {
                            count.push(" AND EXISTS (SELECT 1 FROM shows s WHERE s.event_id = e.id AND");
                            show_in_range(&mut count, "s");
                            count.push(")");
                        }
                    }
                }
                let total: i64 = count.build_query_scalar().fetch_one(self.reader()).await?;
                let offset = (q.page - 1) * q.per_page;
                // The page's events, by next show: found by walking the shows in start order
                // (a city is selective enough to group all of its events instead).
                let chosen = if city.is_none() {
                    self.first_events_by_show(q, offset + q.per_page).await?
                } else {
                    None
                };
                let chosen: Option<Vec<i64>> = chosen.map(|ids| {
                    ids.into_iter().skip(usize::try_from(offset).unwrap_or(usize::MAX)).collect()
                });
                if chosen.as_ref().is_some_and(|ids| ids.is_empty()) {
                    return Ok(Page { items: Vec::new(), total });
                }
                let mut page = sqlx::QueryBuilder::<$db>::new(
                    "SELECT e.id, e.title, e.category, v.id, v.name, c.name, c.country, MIN(s.starts_at), COUNT(*), \
                       (SELECT MIN(p.amount) FROM show_prices p JOIN shows s2 ON s2.id = p.show_id \
                         WHERE s2.event_id = e.id AND s2.status = 'scheduled' AND s2.starts_at >= ",
                );
                page.push_bind(q.from).push(
                    "), (SELECT MAX(p.amount) FROM show_prices p JOIN shows s2 ON s2.id = p.show_id \
                       WHERE s2.event_id = e.id AND s2.status = 'scheduled' AND s2.starts_at >= ",
                );
                page.push_bind(q.from).push(
                    "), MIN(s.currency) FROM events e JOIN venues v ON v.id = e.venue_id \
                     JOIN cities c ON c.id = v.city_id JOIN shows s ON s.event_id = e.id AND",
                );
                show_in_range(&mut page, "s");
                filters(&mut page);
                if let Some(ids) = &chosen {
                    page.push(" AND e.id IN (");
                    let mut list = page.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    list.push_unseparated(")");
                }
                page.push(" GROUP BY e.id, e.title, e.category, v.id, v.name, c.name, c.country ORDER BY MIN(s.starts_at), e.id");
                if chosen.is_none() {
                    page.push(" LIMIT ").push_bind(q.per_page).push(" OFFSET ").push_bind(offset);
                }
                let rows = page.build().fetch_all(self.reader()).await?;
                let items = rows
                    .iter()
                    .map(|row| {
                        Ok(EventSummary {
                            id: EventId::new(row.try_get(0)?),
                            title: row.try_get(1)?,
                            category: row.try_get(2)?,
                            venue: VenueRef { id: VenueId::new(row.try_get(3)?), name: row.try_get(4)? },
                            city: row.try_get(5)?,
                            country: row.try_get(6)?,
                            next_show_at: rfc3339(row.try_get(7)?),
                            show_count: row.try_get(8)?,
                            min_price: row.try_get(9)?,
                            max_price: row.try_get(10)?,
                            currency: row.try_get(11)?,
                        })
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
                Ok(Page { items, total })
            }

            async fn event(&self, id: EventId, now: UnixMs) -> StoreResult<EventView> {
                let row = sqlx::query(&format!(
                    "SELECT e.title, e.description, e.category, e.status, e.created_at, e.updated_at, \
                       {VENUE_COLUMNS} \
                     FROM events e JOIN venues v ON v.id = e.venue_id JOIN cities c ON c.id = v.city_id \
                     WHERE e.id = $1"
                ))
                .bind(id.get())
                .fetch_optional(self.reader())
                .await?
                .ok_or(StoreError::NotFound("event"))?;
                let performers = sqlx::query(
                    "SELECT p.id, p.name, p.genre, p.description FROM event_performers ep \
                     JOIN performers p ON p.id = ep.performer_id \
                     WHERE ep.event_id = $1 ORDER BY ep.position",
                )
                .bind(id.get())
                .fetch_all(self.reader())
                .await?
                .iter()
                .map(|r| {
                    Ok(Performer {
                        id: PerformerId::new(r.try_get(0)?),
                        name: r.try_get(1)?,
                        genre: r.try_get(2)?,
                        description: r.try_get(3)?,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
                let counts = self
                    .availability_by_show("JOIN shows s ON s.id = t.show_id WHERE s.event_id = $1", id.get(), now)
                    .await?;
                let shows = sqlx::query(
                    "SELECT s.id, s.starts_at, s.on_sale_at, s.status, s.currency, \
                       (SELECT MIN(amount) FROM show_prices WHERE show_id = s.id), \
                       (SELECT MAX(amount) FROM show_prices WHERE show_id = s.id) \
                     FROM shows s WHERE s.event_id = $1 ORDER BY s.starts_at, s.id",
                )
                .bind(id.get())
                .fetch_all(self.reader())
                .await?
                .iter()
                .map(|r| {
                    let show_id: i64 = r.try_get(0)?;
                    let a = counts.get(&show_id).copied().unwrap_or_default();
                    Ok(ShowSummary {
                        id: ShowId::new(show_id),
                        starts_at: rfc3339(r.try_get(1)?),
                        on_sale_at: rfc3339(r.try_get(2)?),
                        status: r.try_get(3)?,
                        currency: r.try_get(4)?,
                        min_price: r.try_get(5)?,
                        max_price: r.try_get(6)?,
                        available: a.available,
                        held: a.held,
                        sold: a.sold,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
                Ok(EventView {
                    id,
                    title: row.try_get(0)?,
                    description: row.try_get(1)?,
                    category: row.try_get(2)?,
                    status: EventStatus::parse(row.try_get::<&str, _>(3)?),
                    created_at: rfc3339(row.try_get(4)?),
                    updated_at: rfc3339(row.try_get(5)?),
                    venue: Self::venue_summary(&row, 6)?,
                    performers,
                    shows,
                })
            }

            async fn show(&self, id: ShowId, now: UnixMs) -> StoreResult<ShowView> {
                let row = sqlx::query(&format!(
                    "SELECT s.event_id, s.starts_at, s.on_sale_at, s.hold_ttl_seconds, s.max_per_order, \
                       s.waiting_room, s.status, s.currency, e.title, e.category, e.status, {VENUE_COLUMNS} \
                     FROM shows s JOIN events e ON e.id = s.event_id \
                     JOIN venues v ON v.id = e.venue_id JOIN cities c ON c.id = v.city_id \
                     WHERE s.id = $1"
                ))
                .bind(id.get())
                .fetch_optional(self.reader())
                .await?
                .ok_or(StoreError::NotFound("show"))?;
                let currency: String = row.try_get(7)?;
                let prices = sqlx::query(
                    "SELECT x.name, p.amount FROM show_prices p JOIN sections x ON x.id = p.section_id \
                     WHERE p.show_id = $1 ORDER BY x.position",
                )
                .bind(id.get())
                .fetch_all(self.reader())
                .await?
                .iter()
                .map(|r| {
                    Ok(PriceView { section: r.try_get(0)?, amount: r.try_get(1)?, currency: currency.clone() })
                })
                .collect::<StoreResult<Vec<_>>>()?;
                let a = self
                    .availability_by_show("WHERE t.show_id = $1", id.get(), now)
                    .await?
                    .remove(&id.get())
                    .unwrap_or_default();
                let event_id = EventId::new(row.try_get(0)?);
                Ok(ShowView {
                    id,
                    event_id,
                    starts_at: rfc3339(row.try_get(1)?),
                    on_sale_at: rfc3339(row.try_get(2)?),
                    hold_ttl_seconds: row.try_get(3)?,
                    max_per_order: row.try_get(4)?,
                    waiting_room: row.try_get(5)?,
                    status: row.try_get(6)?,
                    currency,
                    prices,
                    available: a.available,
                    held: a.held,
                    sold: a.sold,
                    event: EventRef {
                        id: event_id,
                        title: row.try_get(8)?,
                        category: row.try_get(9)?,
                        status: EventStatus::parse(row.try_get::<&str, _>(10)?),
                    },
                    venue: Self::venue_summary(&row, 11)?,
                })
            }

            async fn seat_map(&self, id: ShowId, now: UnixMs) -> StoreResult<SeatMap> {
                let sections = sqlx::query(
                    "SELECT x.id, x.name, x.kind, x.capacity, p.amount, s.currency FROM shows s \
                     LEFT JOIN show_prices p ON p.show_id = s.id \
                     LEFT JOIN sections x ON x.id = p.section_id \
                     WHERE s.id = $1 ORDER BY x.position",
                )
                .bind(id.get())
                .fetch_all(self.reader())
                .await?;
                if sections.is_empty() {
                    return Err(StoreError::NotFound("show"));
                }
                let available: std::collections::HashMap<i64, i64> = sqlx::query(concat!(
                    "SELECT t.section_id, COUNT(*) FROM tickets t WHERE t.show_id = $1 AND ",
                    effective_status!("$2"),
                    " = 'available' GROUP BY t.section_id"
                ))
                .bind(id.get())
                .bind(now)
                .fetch_all(self.reader())
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<StoreResult<_>>()?;
                let seats = sqlx::query(concat!(
                    "SELECT t.section_id, t.seat_id, st.row_label, st.number, st.x, st.y, ",
                    effective_status!("$2"),
                    " FROM tickets t JOIN seats st ON st.id = t.seat_id \
                     JOIN sections x ON x.id = t.section_id \
                     WHERE t.show_id = $1 AND x.kind = 'seated' \
                     ORDER BY t.section_id, st.row_rank, st.number"
                ))
                .bind(id.get())
                .bind(now)
                .fetch_all(self.reader())
                .await?;
                let mut out = Vec::new();
                for section in &sections {
                    let Some(section_id) = section.try_get::<Option<i64>, _>(0)? else { continue };
                    let kind: &str = section.try_get(2)?;
                    let mut list = Vec::new();
                    for seat in seats.iter() {
                        if seat.try_get::<i64, _>(0)? != section_id {
                            continue;
                        }
                        list.push(SeatView {
                            id: SeatId::new(seat.try_get(1)?),
                            row: seat.try_get(2)?,
                            number: seat.try_get(3)?,
                            x: seat.try_get(4)?,
                            y: seat.try_get(5)?,
                            status: SeatStatus::parse(seat.try_get::<&str, _>(6)?),
                        });
                    }
                    out.push(SeatMapSection {
                        name: section.try_get(1)?,
                        kind: SectionKind::parse(kind).unwrap_or(SectionKind::Seated),
                        capacity: section.try_get(3)?,
                        price: section.try_get(4)?,
                        currency: section.try_get(5)?,
                        available: available.get(&section_id).copied().unwrap_or(0),
                        seats: list,
                    });
                }
                Ok(SeatMap { show_id: id, sections: out })
            }

            async fn search_docs(&self, ids: &[EventId]) -> StoreResult<Vec<crate::search::EventDoc>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let raw: Vec<i64> = ids.iter().map(|id| id.get()).collect();
                let in_list = |qb: &mut sqlx::QueryBuilder<'_, $db>| {
                    qb.push("(");
                    let mut sep = qb.separated(", ");
                    for id in &raw {
                        sep.push_bind(*id);
                    }
                    sep.push_unseparated(")");
                };
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT e.id, e.title, e.description, e.category, v.id, v.name, c.name, c.country, v.lat, v.lon \
                     FROM events e JOIN venues v ON v.id = e.venue_id JOIN cities c ON c.id = v.city_id \
                     WHERE e.status = 'active' AND e.id IN ",
                );
                in_list(&mut qb);
                let events = qb.build().fetch_all(self.reader()).await?;
                let mut docs: std::collections::BTreeMap<i64, crate::search::EventDoc> = Default::default();
                for r in &events {
                    let id: i64 = r.try_get(0)?;
                    docs.insert(id, crate::search::EventDoc {
                        event_id: id,
                        title: r.try_get(1)?,
                        description: r.try_get(2)?,
                        category: r.try_get(3)?,
                        performers: Vec::new(),
                        venue_id: r.try_get(4)?,
                        venue_name: r.try_get(5)?,
                        city: r.try_get(6)?,
                        country: r.try_get(7)?,
                        lat: r.try_get(8)?,
                        lon: r.try_get(9)?,
                        show_starts: Vec::new(),
                        min_price: None,
                        max_price: None,
                        currency: None,
                    });
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT ep.event_id, p.id, p.name FROM event_performers ep JOIN performers p ON p.id = ep.performer_id \
                     WHERE ep.event_id IN ",
                );
                in_list(&mut qb);
                qb.push(" ORDER BY ep.event_id, ep.position");
                for r in qb.build().fetch_all(self.reader()).await? {
                    if let Some(doc) = docs.get_mut(&r.try_get::<i64, _>(0)?) {
                        doc.performers.push((r.try_get(1)?, r.try_get(2)?));
                    }
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT s.event_id, s.starts_at, s.currency, \
                       (SELECT MIN(amount) FROM show_prices WHERE show_id = s.id), \
                       (SELECT MAX(amount) FROM show_prices WHERE show_id = s.id) \
                     FROM shows s WHERE s.status = 'scheduled' AND s.event_id IN ",
                );
                in_list(&mut qb);
                qb.push(" ORDER BY s.event_id, s.starts_at");
                for r in qb.build().fetch_all(self.reader()).await? {
                    if let Some(doc) = docs.get_mut(&r.try_get::<i64, _>(0)?) {
                        doc.show_starts.push(r.try_get(1)?);
                        doc.currency.get_or_insert(r.try_get(2)?);
                        let (low, high): (Option<i64>, Option<i64>) = (r.try_get(3)?, r.try_get(4)?);
                        doc.min_price = match (doc.min_price, low) { (Some(a), Some(b)) => Some(a.min(b)), (a, b) => a.or(b) };
                        doc.max_price = match (doc.max_price, high) { (Some(a), Some(b)) => Some(a.max(b)), (a, b) => a.or(b) };
                    }
                }
                Ok(docs.into_values().collect())
            }

            async fn like_search(&self, term: &str, limit: i64) -> StoreResult<Vec<EventId>> {
                let pattern = format!("%{}%", term.to_lowercase());
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT e.id FROM events e WHERE e.status = 'active' AND (LOWER(e.title) LIKE $1 \
                       OR LOWER(e.description) LIKE $1 OR EXISTS (SELECT 1 FROM event_performers ep \
                       JOIN performers p ON p.id = ep.performer_id WHERE ep.event_id = e.id AND LOWER(p.name) LIKE $1)) \
                     ORDER BY e.id LIMIT $2",
                )
                .bind(pattern)
                .bind(limit)
                .fetch_all(self.reader())
                .await?;
                Ok(ids.into_iter().map(EventId::new).collect())
            }

            async fn event_ids_after(&self, after: EventId, limit: i64) -> StoreResult<Vec<EventId>> {
                let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM events WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after.get())
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await?;
                Ok(ids.into_iter().map(EventId::new).collect())
            }

            async fn is_empty(&self) -> StoreResult<bool> {
                let any: Option<i64> = sqlx::query_scalar("SELECT id FROM venues LIMIT 1")
                    .fetch_optional(self.reader())
                    .await?;
                Ok(any.is_none())
            }


            // Booking ------------------------------------------------------------------------

            fn set_claim_guard(&self, on: bool) {
                self.claim_guard.store(on, std::sync::atomic::Ordering::SeqCst);
            }

            async fn hold_seats(&self, user: UserId, hold: NewHold, now: UnixMs) -> StoreResult<Hold> {
                let guarded = self.claim_guard.load(std::sync::atomic::Ordering::SeqCst);
                if !guarded {
                    // The negative control: check in application code, then write blindly.
                    if let SeatSelection::Seats(ids) = &hold.selection {
                        let ids: Vec<i64> = ids.iter().map(|s| s.get()).collect();
                        let mut qb = crate::store::exec::Qb::new("SELECT COUNT(*) FROM tickets t WHERE t.show_id = ");
                        qb.push_bind(hold.show_id.get()).push(" AND t.seat_id IN ");
                        qb.push_ids(&ids);
                        qb.push(" AND (t.status = 'available' OR (t.status = 'held' AND t.hold_expires_at <= ")
                            .push_bind(now)
                            .push("))");
                        let mut conn = self.reader().acquire().await?;
                        let free: i64 = qb.build().scalar(&mut *conn).await?;
                        if free < ids.len() as i64 {
                            return Err(StoreError::SeatsTaken { seat_ids: Vec::new(), detail: "taken".into() });
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
                self.in_write(move |conn| {
                    let hold = hold.clone();
                    Box::pin(async move { Self::hold_seats_in(conn, user, &hold, guarded, now).await })
                })
                .await
            }

            async fn hold(&self, id: HoldId, user: UserId, now: UnixMs) -> StoreResult<Hold> {
                let mut conn = self.reader().acquire().await?;
                Self::owned_hold(&mut *conn, id, user).await?;
                Self::hold_view(&mut *conn, id.get(), now).await
            }

            async fn release_hold(&self, id: HoldId, user: UserId, now: UnixMs) -> StoreResult<()> {
                self.in_write(move |conn| Box::pin(Self::release_hold_in(conn, id, user, now))).await
            }

            async fn start_booking(&self, hold: HoldId, user: UserId, provider: &str, now: UnixMs) -> StoreResult<(Booking, bool)> {
                let provider = provider.to_owned();
                self.in_write(move |conn| {
                    let provider = provider.clone();
                    Box::pin(async move { Self::start_booking_in(conn, hold, user, &provider, now).await })
                })
                .await
            }

            async fn settle_payment(
                &self,
                booking: BookingId,
                payment_ref: &str,
                outcome: PaymentOutcome,
                reason: Option<&str>,
                now: UnixMs,
            ) -> StoreResult<Booking> {
                let payment_ref = payment_ref.to_owned();
                let reason = reason.map(str::to_owned);
                self.in_write(move |conn| {
                    let (payment_ref, reason) = (payment_ref.clone(), reason.clone());
                    Box::pin(async move {
                        Self::settle_in(conn, booking.get(), &payment_ref, outcome, reason.as_deref(), false, now).await
                    })
                })
                .await
            }

            async fn apply_webhook(&self, notice: WebhookNotice, now: UnixMs) -> StoreResult<Option<Option<Booking>>> {
                self.in_write(move |conn| {
                    let notice = notice.clone();
                    Box::pin(async move { Self::webhook_in(conn, &notice, now).await })
                })
                .await
            }

            async fn cancel_booking(&self, id: BookingId, user: Option<UserId>, now: UnixMs) -> StoreResult<Booking> {
                self.in_write(move |conn| Box::pin(Self::cancel_booking_in(conn, id, user, now))).await
            }

            async fn refund_done(&self, id: BookingId, refund_ref: &str, now: UnixMs) -> StoreResult<Booking> {
                let refund_ref = refund_ref.to_owned();
                self.in_write(move |conn| {
                    let refund_ref = refund_ref.clone();
                    Box::pin(async move {
                        crate::store::exec::q(
                            "UPDATE bookings SET refund_status = 'succeeded', refund_ref = COALESCE(refund_ref, $1), \
                               updated_at = $2 WHERE id = $3 AND refund_status IS NOT NULL",
                        )
                        .bind(&refund_ref)
                        .bind(now)
                        .bind(id.get())
                        .execute(&mut *conn)
                        .await?;
                        Self::booking_in(conn, id.get()).await
                    })
                })
                .await
            }

            async fn booking(&self, id: BookingId, user: Option<UserId>) -> StoreResult<Booking> {
                let mut conn = self.reader().acquire().await?;
                if let Some(user) = user {
                    let owner: Option<i64> = sqlx::query_scalar("SELECT user_id FROM bookings WHERE id = $1")
                        .bind(id.get())
                        .fetch_optional(&mut *conn)
                        .await?;
                    if owner != Some(user.get()) {
                        return Err(StoreError::NotFound("booking"));
                    }
                }
                Self::booking_in(&mut *conn, id.get()).await
            }

            async fn bookings_for_user(&self, user: UserId) -> StoreResult<Vec<Booking>> {
                let mut conn = self.reader().acquire().await?;
                let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM bookings WHERE user_id = $1 ORDER BY id DESC LIMIT 200")
                    .bind(user.get())
                    .fetch_all(&mut *conn)
                    .await?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    out.push(Self::booking_in(&mut *conn, id).await?);
                }
                Ok(out)
            }

            async fn expire_holds(&self, now: UnixMs, limit: i64) -> StoreResult<u64> {
                self.in_write(move |conn| Box::pin(Self::expire_in(conn, now, limit))).await
            }

            async fn pending_payments(&self, older_than: UnixMs, limit: i64) -> StoreResult<Vec<PendingPayment>> {
                let rows = sqlx::query(
                    "SELECT id, provider, payment_ref FROM bookings WHERE status = 'pending_payment' \
                     AND updated_at <= $1 AND payment_ref IS NOT NULL ORDER BY updated_at LIMIT $2",
                )
                .bind(older_than)
                .bind(limit)
                .fetch_all(self.reader())
                .await?;
                rows.iter()
                    .map(|r| Ok(PendingPayment { booking_id: BookingId::new(r.try_get(0)?), provider: r.try_get(1)?, payment_ref: r.try_get(2)? }))
                    .collect()
            }

            async fn owed_refunds(&self, limit: i64) -> StoreResult<Vec<OwedRefund>> {
                let rows = sqlx::query(
                    "SELECT id, provider, payment_ref, total FROM bookings WHERE refund_status = 'pending' \
                     AND payment_ref IS NOT NULL ORDER BY updated_at LIMIT $1",
                )
                .bind(limit)
                .fetch_all(self.reader())
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(OwedRefund {
                            booking_id: BookingId::new(r.try_get(0)?),
                            provider: r.try_get(1)?,
                            payment_ref: r.try_get(2)?,
                            amount: r.try_get(3)?,
                        })
                    })
                    .collect()
            }

            async fn inventory_report(&self, show: ShowId, now: UnixMs) -> StoreResult<InventoryReport> {
                let a = self
                    .availability_by_show("WHERE t.show_id = $1", show.get(), now)
                    .await?
                    .remove(&show.get())
                    .unwrap_or_default();
                let oversold: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM (SELECT hs.seat_id FROM bookings b JOIN hold_seats hs ON hs.hold_id = b.hold_id \
                     WHERE b.show_id = $1 AND b.status = 'confirmed' GROUP BY hs.seat_id HAVING COUNT(*) > 1) AS doubles",
                )
                .bind(show.get())
                .fetch_one(self.reader())
                .await?;
                let mismatched: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM bookings b JOIN hold_seats hs ON hs.hold_id = b.hold_id \
                     LEFT JOIN tickets t ON t.show_id = b.show_id AND t.seat_id = hs.seat_id \
                     WHERE b.show_id = $1 AND b.status = 'confirmed' \
                     AND (t.status IS NULL OR t.status <> 'sold' OR t.booking_id IS NULL OR t.booking_id <> b.id)",
                )
                .bind(show.get())
                .fetch_one(self.reader())
                .await?;
                let confirmed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE show_id = $1 AND status = 'confirmed'")
                    .bind(show.get())
                    .fetch_one(self.reader())
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

            async fn idempotency_begin(&self, scope: &str, key: &str, request_hash: &str, now: UnixMs) -> StoreResult<IdempotencyBegin> {
                let owned = (scope.to_owned(), key.to_owned(), request_hash.to_owned());
                self.in_write(move |conn| {
                    let (scope, key, hash) = owned.clone();
                    Box::pin(async move { Self::idempotency_begin_in(conn, &scope, &key, &hash, now).await })
                })
                .await
            }

            async fn idempotency_finish(&self, scope: &str, key: &str, status: u16, body: &str) -> StoreResult<()> {
                self.write_one(
                    q("UPDATE idempotency_keys SET status_code = $1, response = $2 WHERE scope = $3 AND key = $4")
                        .bind(i64::from(status))
                        .bind(body)
                        .bind(scope)
                        .bind(key),
                )
                .await
                .map(drop)
            }

            async fn idempotency_abort(&self, scope: &str, key: &str) -> StoreResult<()> {
                self.write_one(
                    q("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status_code IS NULL")
                        .bind(scope)
                        .bind(key),
                )
                .await
                .map(drop)
            }

            // Change feed ----------------------------------------------------------------------

            async fn changes_after(&self, after: i64, limit: i64) -> StoreResult<Vec<Change>> {
                let rows = sqlx::query(
                    "SELECT seq, at, topic, entity_id, show_id, payload FROM change_feed \
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(self.reader())
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Change {
                            seq: r.try_get(0)?,
                            at: r.try_get(1)?,
                            topic: r.try_get(2)?,
                            entity_id: r.try_get(3)?,
                            show_id: r.try_get(4)?,
                            payload: r.try_get(5)?,
                        })
                    })
                    .collect()
            }

            async fn feed_horizon(&self) -> StoreResult<i64> {
                self.transaction_horizon().await
            }

            async fn feed_horizon_passed(&self, horizon: i64) -> StoreResult<bool> {
                self.transactions_ended(horizon).await
            }

            async fn lease_consumer(&self, name: &str, owner: &str, now: UnixMs, ttl_ms: i64) -> StoreResult<Option<i64>> {
                let owned = (name.to_owned(), owner.to_owned());
                self.in_write(move |conn| {
                    let (name, owner) = owned.clone();
                    Box::pin(async move {
                        q("INSERT INTO consumer_cursors (name, seq, lease_owner, lease_until) VALUES ($1, 0, NULL, 0) \
                           ON CONFLICT (name) DO NOTHING")
                            .bind(&name)
                            .execute(&mut *conn)
                            .await?;
                        q("UPDATE consumer_cursors SET lease_owner = $1, lease_until = $2 \
                           WHERE name = $3 AND (lease_owner = $1 OR lease_owner IS NULL OR lease_until <= $4) RETURNING seq")
                            .bind(owner)
                            .bind(now + ttl_ms)
                            .bind(name)
                            .bind(now)
                            .scalar_opt(&mut *conn)
                            .await
                    })
                })
                .await
            }

            async fn advance_consumer(&self, name: &str, owner: &str, seq: i64) -> StoreResult<bool> {
                let moved = self
                    .write_one(
                        q("UPDATE consumer_cursors SET seq = $1 WHERE name = $2 AND lease_owner = $3")
                            .bind(seq)
                            .bind(name)
                            .bind(owner),
                    )
                    .await?;
                Ok(moved == 1)
            }

            async fn release_consumer(&self, name: &str, owner: &str) -> StoreResult<()> {
                self.write_one(
                    q("UPDATE consumer_cursors SET lease_owner = NULL, lease_until = 0 WHERE name = $1 AND lease_owner = $2")
                        .bind(name)
                        .bind(owner),
                )
                .await
                .map(drop)
            }

            async fn booking_mail(&self, booking: BookingId) -> StoreResult<BookingMail> {
                let mut conn = self.reader().acquire().await?;
                let view = Self::booking_in(&mut *conn, booking.get()).await?;
                let row = sqlx::query(
                    "SELECT u.email, u.name, e.title, s.starts_at, v.name, c.name FROM bookings b \
                     JOIN users u ON u.id = b.user_id JOIN shows s ON s.id = b.show_id \
                     JOIN events e ON e.id = s.event_id JOIN venues v ON v.id = e.venue_id \
                     JOIN cities c ON c.id = v.city_id WHERE b.id = $1",
                )
                .bind(booking.get())
                .fetch_one(&mut *conn)
                .await?;
                Ok(BookingMail {
                    booking: view,
                    email: row.try_get(0)?,
                    name: row.try_get(1)?,
                    event_title: row.try_get(2)?,
                    starts_at: row.try_get(3)?,
                    venue: row.try_get(4)?,
                    city: row.try_get(5)?,
                })
            }

            async fn mail_sent(&self, key: &str) -> StoreResult<bool> {
                let found: Option<String> = sqlx::query_scalar("SELECT mail_key FROM sent_mail WHERE mail_key = $1")
                    .bind(key)
                    .fetch_optional(self.reader())
                    .await?;
                Ok(found.is_some())
            }

            async fn record_mail(&self, key: &str, now: UnixMs) -> StoreResult<()> {
                self.write_one(
                    q("INSERT INTO sent_mail (mail_key, sent_at) VALUES ($1, $2) ON CONFLICT (mail_key) DO NOTHING")
                        .bind(key)
                        .bind(now),
                )
                .await
                .map(drop)
            }

            async fn last_change(&self) -> StoreResult<i64> {
                let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM change_feed")
                    .fetch_one(self.reader())
                    .await?;
                Ok(seq.unwrap_or(0))
            }
        }
    };
}
pub(crate) use sql_store;
