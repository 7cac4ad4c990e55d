//! Booking SQL shared by both backends: holds, bookings, payments, expiry, idempotency keys.
//!
//! The inventory invariant lives here: a ticket is claimed only by a conditional `UPDATE`
//! whose `WHERE` treats an expired hold as free, inside the caller's transaction, all seats or
//! none. The backend passes `$lock` (PostgreSQL: `FOR UPDATE`, taken in seat order so two
//! overlapping claims cannot deadlock) and `$skip` (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so
//! best-available buyers do not queue behind each other); SQLite needs neither, having one
//! writer.
//!
//! Each operation is an `async fn …_in(conn, …)` over a connection already inside a write
//! transaction; the backend's `in_write` decides how that transaction is run (PostgreSQL: one
//! short transaction per operation; SQLite: group commit, see `sqlite.rs`).

macro_rules! booking_sql {
    ($store:ty, $db:ty, $lock:expr, $skip:expr) => {
        use crate::store::exec::{q, Exec, Qb};

        /// Who changed which seats to what, for the change feed.
        struct SeatChange<'a> {
            topic: &'a str,
            entity: i64,
            show: i64,
            kind: &'a str,
            status: &'a str,
        }

        struct ShowRules {
            status: String,
            on_sale_at: i64,
            starts_at: i64,
            ttl_ms: i64,
            max_per_order: i64,
            currency: String,
        }

        impl $store {
            async fn show_rules<E: Exec + ?Sized>(conn: &mut E, show: ShowId) -> StoreResult<ShowRules> {
                let row = q(
                    "SELECT status, on_sale_at, starts_at, hold_ttl_seconds, max_per_order, currency \
                     FROM shows WHERE id = $1",
                )
                .bind(show.get())
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound("show"))?;
                Ok(ShowRules {
                    status: row.try_get(0)?,
                    on_sale_at: row.try_get(1)?,
                    starts_at: row.try_get(2)?,
                    ttl_ms: row.try_get::<i64>(3)? * 1000,
                    max_per_order: row.try_get(4)?,
                    currency: row.try_get(5)?,
                })
            }

            /// Chooses `quantity` free places of a section: for seated sections the lowest row
            /// with enough adjacent seats, else the best seats in row order; for standing
            /// sections any free places.
            async fn best_available<E: Exec + ?Sized>(
                conn: &mut E,
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
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| {
                    StoreError::Invalid(Invalid::one("section", format!("this show has no section named {section:?}")))
                })?;
                let section_id: i64 = found.try_get(0)?;
                let kind: String = found.try_get(1)?;
                // Free places in best-first order, straight from the (show, section, status, rank)
                // index: available ones, then holds that have lapsed (a partial index keeps
                // those few apart from the many live holds). The best rows are read first and
                // the window widens only when they hold no adjacent run.
                let standing = kind == "standing";
                let mut window = if standing { quantity } else { (quantity * 8).max(128) };
                // Standing places are interchangeable, so PostgreSQL buyers skip each other's
                // locked rows; seated windows are not locked (a buyer whose pick was taken
                // meanwhile gets a 409 and asks again).
                let skip = if standing { $skip } else { "" };
                let chosen = loop {
                    let mut free: Vec<(i64, i64)> = Vec::new();
                    let mut full = false;
                    // Lapsed holds are read unordered: ordering them by rank would let the
                    // planner walk every live hold in rank order instead of the partial index.
                    // They are few, and sorted below; should a section ever have more than a
                    // window of them, best available picks among those read.
                    let queries = [("t.status = 'available' ORDER BY t.seat_rank", skip), ("t.status = 'held' AND t.hold_expires_at <= $3", "")];
                    for (filter_and_order, lock) in queries {
                        let rows = q(&format!(
                            "SELECT t.seat_id, t.seat_rank FROM tickets t WHERE t.show_id = $1 AND t.section_id = $2 AND {filter_and_order} \
                             LIMIT $4{lock}"
                        ))
                        .bind(show.get())
                        .bind(section_id)
                        .bind(now)
                        .bind(window)
                        .fetch_all(&mut *conn)
                        .await?;
                        full |= rows.len() as i64 == window;
                        for r in &rows {
                            free.push((r.try_get(0)?, r.try_get(1)?));
                        }
                    }
                    // The first `window` free places of the section, best first.
                    free.sort_by_key(|(_, rank)| *rank);
                    free.truncate(window as usize);
                    if standing {
                        break free.iter().take(quantity as usize).map(|(id, _)| *id).collect::<Vec<i64>>();
                    }
                    let seats: Vec<(i64, i64, i64)> = free.iter().map(|(id, rank)| (*id, rank / 1000, rank % 1000)).collect();
                    if !full {
                        // Every free seat of the section is here.
                        break crate::domain::booking::choose_adjacent(&seats, quantity as usize);
                    }
                    // The window may end inside a row: judge complete rows only.
                    let last_row = seats.last().map_or(0, |s| s.1);
                    let complete: Vec<(i64, i64, i64)> = seats.iter().copied().filter(|s| s.1 != last_row).collect();
                    if let Some(run) = crate::domain::booking::adjacent_run(&complete, quantity as usize) {
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

            async fn hold_view<E: Exec + ?Sized>(conn: &mut E, hold: i64, now: UnixMs) -> StoreResult<Hold> {
                let row = q(
                    "SELECT show_id, status, total, currency, expires_at FROM holds WHERE id = $1",
                )
                .bind(hold)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound("hold"))?;
                let expires_at: i64 = row.try_get(4)?;
                let mut status = HoldStatus::parse(row.try_get::<&str>(1)?);
                if status == HoldStatus::Active && expires_at + HOLD_GRACE_MS <= now {
                    status = HoldStatus::Expired;
                }
                Ok(Hold {
                    id: HoldId::new(hold),
                    show_id: ShowId::new(row.try_get(0)?),
                    status,
                    seats: Self::held_seats(conn, hold).await?,
                    expires_at: rfc3339(expires_at),
                    total: row.try_get(2)?,
                    currency: row.try_get(3)?,
                })
            }

            async fn held_seats<E: Exec + ?Sized>(conn: &mut E, hold: i64) -> StoreResult<Vec<HeldSeat>> {
                // Seat ids first, then the seats by explicit ids (see `SellSeats` for why).
                let ids: Vec<i64> = q("SELECT seat_id FROM hold_seats WHERE hold_id = $1")
                    .bind(hold)
                    .scalars(&mut *conn)
                    .await?;
                Self::hold_seats_by_id(conn, hold, &ids).await
            }

            /// The seats `ids` of `hold`, for display, in section and row order.
            async fn hold_seats_by_id<E: Exec + ?Sized>(conn: &mut E, hold: i64, ids: &[i64]) -> StoreResult<Vec<HeldSeat>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb = Qb::new(
                    "SELECT hs.seat_id, x.name, st.row_label, st.number, hs.price FROM hold_seats hs \
                     JOIN seats st ON st.id = hs.seat_id JOIN sections x ON x.id = st.section_id \
                     WHERE hs.hold_id = ",
                );
                qb.push_bind(hold).push(" AND st.id IN ");
                qb.push_ids(ids);
                qb.push(" ORDER BY x.position, st.row_rank, st.number");
                let rows = qb.build().fetch_all(&mut *conn).await?;
                rows.iter()
                    .map(|r| {
                        Ok(HeldSeat {
                            id: SeatId::new(r.try_get(0)?),
                            section: r.try_get(1)?,
                            row: r.try_get(2)?,
                            number: r.try_get(3)?,
                            price: r.try_get(4)?,
                        })
                    })
                    .collect()
            }

            /// `SELECT seat_id FROM tickets` for `seats` of `show`, then `tail`.
            fn tickets_of(show: i64, seats: &[i64], tail: &str) -> crate::store::exec::Q {
                let mut qb = Qb::new("SELECT seat_id FROM tickets WHERE show_id = ");
                qb.push_bind(show).push(" AND seat_id IN ");
                qb.push_ids(seats);
                qb.push(tail);
                qb.build()
            }

            /// Locks the tickets of `seats` in seat order, so overlapping claims cannot
            /// deadlock (PostgreSQL; SQLite's single writer needs no row locks).
            async fn lock_tickets<E: Exec + ?Sized>(conn: &mut E, show: i64, seats: &[i64]) -> StoreResult<()> {
                if !$lock.is_empty() && !seats.is_empty() {
                    Self::tickets_of(show, seats, concat!(" ORDER BY seat_id", $lock)).fetch_all(&mut *conn).await?;
                }
                Ok(())
            }

            /// Why a claim of `seats` got only `got`: 422 naming ids that are not seats of the
            /// show, otherwise 409 naming the seats that are taken.
            async fn unavailable<E: Exec + ?Sized>(
                conn: &mut E,
                show: ShowId,
                seats: &[i64],
                got: &[i64],
            ) -> StoreResult<StoreError> {
                let existing: std::collections::HashSet<i64> =
                    Self::tickets_of(show.get(), seats, "").scalars::<i64, _>(&mut *conn).await?.into_iter().collect();
                let unknown: Vec<String> = seats.iter().filter(|s| !existing.contains(s)).map(|s| s.to_string()).collect();
                if !unknown.is_empty() {
                    return Ok(StoreError::Invalid(Invalid::one(
                        "seat_ids",
                        format!("not seats of this show: {}", unknown.join(", ")),
                    )));
                }
                let taken: Vec<SeatId> = seats.iter().filter(|s| !got.contains(s)).map(|s| SeatId::new(*s)).collect();
                Ok(StoreError::SeatsTaken {
                    detail: format!("{} of the requested seats are not available", taken.len()),
                    seat_ids: taken,
                })
            }

            async fn hold_seats_in<E: Exec + ?Sized>(
                conn: &mut E,
                user: UserId,
                hold: &NewHold,
                guarded: bool,
                now: UnixMs,
            ) -> StoreResult<Hold> {
                let rules = Self::show_rules(conn, hold.show_id).await?;
                if rules.status != "scheduled" {
                    return Err(StoreError::Conflict("the show is cancelled".into()));
                }
                if now < rules.on_sale_at {
                    return Err(StoreError::Conflict(format!("the show goes on sale at {}", rfc3339(rules.on_sale_at))));
                }
                if now >= rules.starts_at {
                    return Err(StoreError::Conflict("the show has started".into()));
                }
                let count = hold.selection.count();
                if count > rules.max_per_order {
                    let field = match hold.selection {
                        SeatSelection::Seats(_) => "seat_ids",
                        SeatSelection::BestAvailable { .. } => "quantity",
                    };
                    return Err(StoreError::Invalid(Invalid::one(field, format!("at most {} seats per order for this show", rules.max_per_order))));
                }
                let mut seats: Vec<i64> = match &hold.selection {
                    SeatSelection::Seats(ids) => ids.iter().map(|s| s.get()).collect(),
                    SeatSelection::BestAvailable { section, quantity } => {
                        Self::best_available(conn, hold.show_id, section, *quantity, now).await?
                    }
                };
                seats.sort_unstable();
                Self::lock_tickets(conn, hold.show_id.get(), &seats).await?;
                let expires_at = now + rules.ttl_ms;
                let hold_id: i64 = q(
                    "INSERT INTO holds (show_id, user_id, status, seat_count, total, currency, created_at, expires_at) \
                     VALUES ($1, $2, 'active', $3, 0, $4, $5, $6) RETURNING id",
                )
                .bind(hold.show_id.get())
                .bind(user.get())
                .bind(seats.len() as i64)
                .bind(&rules.currency)
                .bind(now)
                .bind(expires_at)
                .scalar(&mut *conn)
                .await?;
                let mut qb = Qb::new("UPDATE tickets SET status = 'held', hold_id = ");
                qb.push_bind(hold_id)
                    .push(", hold_expires_at = ")
                    .push_bind(expires_at + HOLD_GRACE_MS)
                    .push(" WHERE show_id = ")
                    .push_bind(hold.show_id.get())
                    .push(" AND seat_id IN ");
                qb.push_ids(&seats);
                if guarded {
                    // The claim guard: only free tickets (never sold, never live-held) change.
                    // Written as a CASE so that no planner turns it into a scan of every free
                    // or held ticket of the show: the primary key is the only way in.
                    qb.push(" AND CASE WHEN status = 'held' THEN hold_expires_at <= ")
                        .push_bind(now)
                        .push(" ELSE status = 'available' END");
                }
                qb.push(" RETURNING seat_id, price");
                let claimed = qb.build().fetch_all(&mut *conn).await?;
                if claimed.len() < seats.len() {
                    let got = claimed.iter().map(|r| r.try_get::<i64>(0)).collect::<StoreResult<Vec<i64>>>()?;
                    return Err(Self::unavailable(conn, hold.show_id, &seats, &got).await?);
                }
                let mut total = 0;
                let mut insert = Qb::new("INSERT INTO hold_seats (hold_id, seat_id, price) ");
                let mut rows = Vec::with_capacity(claimed.len());
                for r in &claimed {
                    let price: i64 = r.try_get(1)?;
                    total += price;
                    rows.push((r.try_get::<i64>(0)?, price));
                }
                insert.push("VALUES ");
                for (i, (seat, price)) in rows.iter().enumerate() {
                    insert.push(if i == 0 { "(" } else { ", (" });
                    insert.push_bind(hold_id).push(", ").push_bind(*seat).push(", ").push_bind(*price).push(")");
                }
                insert.build().execute(&mut *conn).await?;
                q("UPDATE holds SET total = $1 WHERE id = $2")
                    .bind(total)
                    .bind(hold_id)
                    .execute(&mut *conn)
                    .await?;
                Self::emit_seats(conn, now, SeatChange { topic: "hold", entity: hold_id, show: hold.show_id.get(), kind: "created", status: "held" }, &seats).await?;
                Ok(Hold {
                    id: HoldId::new(hold_id),
                    show_id: hold.show_id,
                    status: HoldStatus::Active,
                    seats: Self::hold_seats_by_id(conn, hold_id, &seats).await?,
                    expires_at: rfc3339(expires_at),
                    total,
                    currency: rules.currency,
                })
            }

            /// One change row for a set of seats changing status together.
            async fn emit_seats<E: Exec + ?Sized>(conn: &mut E, now: UnixMs, change: SeatChange<'_>, seats: &[i64]) -> StoreResult<()> {
                let SeatChange { topic, entity, show, kind, status } = change;
                let ids: Vec<String> = seats.iter().map(|s| s.to_string()).collect();
                q(
                    "INSERT INTO change_feed (at, topic, entity_id, show_id, payload) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(now)
                .bind(topic)
                .bind(entity)
                .bind(show)
                .bind(serde_json::json!({"kind": kind, "status": status, "seat_ids": ids}).to_string())
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// Reads a hold of `user`, locking its row on PostgreSQL so concurrent bookings or
            /// releases of the same hold take turns.
            async fn owned_hold<E: Exec + ?Sized>(conn: &mut E, id: HoldId, user: UserId) -> StoreResult<(String, i64, i64)> {
                let row = q(concat!("SELECT status, show_id, seat_count, user_id FROM holds WHERE id = $1", $lock))
                    .bind(id.get())
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::NotFound("hold"))?;
                if row.try_get::<i64>(3)? != user.get() {
                    return Err(StoreError::NotFound("hold"));
                }
                Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
            }

            async fn release_hold_in<E: Exec + ?Sized>(conn: &mut E, id: HoldId, user: UserId, now: UnixMs) -> StoreResult<()> {
                let (status, show, _) = Self::owned_hold(conn, id, user).await?;
                match status.as_str() {
                    "booked" => return Err(StoreError::Conflict("the hold has a booking; cancel the booking instead".into())),
                    "active" => {}
                    _ => return Ok(()),
                }
                let freed: Vec<i64> = q(
                    "UPDATE tickets SET status = 'available', hold_id = NULL, hold_expires_at = NULL \
                     WHERE hold_id = $1 AND status = 'held' RETURNING seat_id",
                )
                .bind(id.get())
                .scalars(&mut *conn)
                .await?;
                q("UPDATE holds SET status = 'released' WHERE id = $1")
                    .bind(id.get())
                    .execute(&mut *conn)
                    .await?;
                if !freed.is_empty() {
                    Self::emit_seats(conn, now, SeatChange { topic: "hold", entity: id.get(), show, kind: "released", status: "available" }, &freed).await?;
                }
                Ok(())
            }

            async fn booking_in<E: Exec + ?Sized>(conn: &mut E, id: i64) -> StoreResult<Booking> {
                let r = q(
                    "SELECT status, hold_id, show_id, total, currency, provider, payment_ref, failure_reason, \
                       refund_status, refund_ref, created_at, updated_at FROM bookings WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound("booking"))?;
                let hold: i64 = r.try_get(1)?;
                let total: i64 = r.try_get(3)?;
                let refund_status: Option<String> = r.try_get(8)?;
                Ok(Booking {
                    id: BookingId::new(id),
                    status: BookingStatus::parse(r.try_get::<&str>(0)?),
                    hold_id: HoldId::new(hold),
                    show_id: ShowId::new(r.try_get(2)?),
                    seats: Self::held_seats(conn, hold).await?,
                    total,
                    currency: r.try_get(4)?,
                    provider: r.try_get(5)?,
                    payment_ref: r.try_get(6)?,
                    failure_reason: r.try_get(7)?,
                    refund: refund_status.map(|status| RefundView { status, amount: total, refund_ref: None }),
                    created_at: rfc3339(r.try_get(10)?),
                    updated_at: rfc3339(r.try_get(11)?),
                })
                .and_then(|mut b| {
                    if let Some(refund) = b.refund.as_mut() {
                        refund.refund_ref = r.try_get(9)?;
                    }
                    Ok(b)
                })
            }

            async fn start_booking_in<E: Exec + ?Sized>(
                conn: &mut E,
                hold: HoldId,
                user: UserId,
                provider: &str,
                now: UnixMs,
            ) -> StoreResult<(Booking, bool)> {
                let (status, _, seat_count) = Self::owned_hold(conn, hold, user).await?;
                let existing = q("SELECT id, status FROM bookings WHERE hold_id = $1")
                    .bind(hold.get())
                    .fetch_optional(&mut *conn)
                    .await?;
                let live: i64 = q(
                    // A CASE, so the hold's id is the only way in (not a walk over live holds).
                    "SELECT COUNT(*) FROM tickets WHERE hold_id = $1 \
                     AND CASE WHEN status = 'held' THEN hold_expires_at > $2 ELSE 1 = 0 END",
                )
                .bind(hold.get())
                .bind(now)
                .scalar(&mut *conn)
                .await?;
                let hold_live = live == seat_count;
                if let Some(row) = existing {
                    let id: i64 = row.try_get(0)?;
                    let booking_status = BookingStatus::parse(row.try_get::<&str>(1)?);
                    return match booking_status {
                        BookingStatus::PaymentFailed if hold_live => {
                            q(
                                "UPDATE bookings SET status = 'pending_payment', attempt = attempt + 1, provider = $1, \
                                   payment_ref = NULL, failure_reason = NULL, updated_at = $2 WHERE id = $3",
                            )
                            .bind(provider)
                            .bind(now)
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                            Ok((Self::booking_in(conn, id).await?, true))
                        }
                        BookingStatus::PaymentFailed => Err(StoreError::Gone("the hold has expired; hold the seats again".into())),
                        _ => Ok((Self::booking_in(conn, id).await?, false)),
                    };
                }
                if status == "released" {
                    return Err(StoreError::Conflict("the hold was released".into()));
                }
                if !hold_live {
                    return Err(StoreError::Gone("the hold has expired; hold the seats again".into()));
                }
                let id: i64 = q(
                    "INSERT INTO bookings (hold_id, user_id, show_id, status, total, currency, provider, attempt, created_at, updated_at) \
                     SELECT id, user_id, show_id, 'pending_payment', total, currency, $1, 1, $2, $2 FROM holds WHERE id = $3 \
                     RETURNING id",
                )
                .bind(provider)
                .bind(now)
                .bind(hold.get())
                .scalar(&mut *conn)
                .await?;
                q("UPDATE holds SET status = 'booked' WHERE id = $1")
                    .bind(hold.get())
                    .execute(&mut *conn)
                    .await?;
                Ok((Self::booking_in(conn, id).await?, true))
            }

            /// Applies a payment result; `webhook` marks results the provider's webhook reported.
            async fn settle_in<E: Exec + ?Sized>(
                conn: &mut E,
                booking: i64,
                payment_ref: &str,
                outcome: PaymentOutcome,
                reason: Option<&str>,
                webhook: bool,
                now: UnixMs,
            ) -> StoreResult<Booking> {
                // Payment results race each other (the API answer and the provider's webhook):
                // the booking row lock makes them take turns, the status check makes the second
                // a no-op.
                Self::lock_booking(conn, booking).await?;
                let row = q(
                    "SELECT b.status, b.hold_id, b.show_id, h.seat_count, b.payment_ref FROM bookings b \
                     JOIN holds h ON h.id = b.hold_id WHERE b.id = $1",
                )
                .bind(booking)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound("booking"))?;
                let status = BookingStatus::parse(row.try_get::<&str>(0)?);
                let hold: i64 = row.try_get(1)?;
                let show: i64 = row.try_get(2)?;
                let seat_count: i64 = row.try_get(3)?;
                let current_ref: Option<String> = row.try_get(4)?;
                // A failure reported by webhook may belong to an earlier attempt of a retried
                // booking: it counts only when it names the attempt the booking is waiting for.
                // (While the current charge is in flight, its own answer settles it.) Successes
                // always count: money was taken, so the seats are sold or the money refunded.
                if webhook && outcome == PaymentOutcome::Failed && current_ref.as_deref() != Some(payment_ref) {
                    return Self::booking_in(conn, booking).await;
                }
                // The show's status, read under a share lock on PostgreSQL, so a cancellation of
                // the event and this sale take turns: whichever comes second sees the other.
                let show_status: String = q(&format!(
                    "SELECT status FROM shows WHERE id = $1{}",
                    if $lock.is_empty() { "" } else { " FOR SHARE" }
                ))
                .bind(show)
                .scalar(&mut *conn)
                .await?;
                if !payment_ref.is_empty() {
                    q("UPDATE bookings SET payment_ref = $1 WHERE id = $2 AND payment_ref IS NULL")
                        .bind(payment_ref)
                        .bind(booking)
                        .execute(&mut *conn)
                        .await?;
                }
                match status.on_payment(outcome) {
                    Transition::Stay => {}
                    Transition::To(next) => {
                        q("UPDATE bookings SET status = $1, failure_reason = $2, updated_at = $3 WHERE id = $4")
                            .bind(next.as_str())
                            .bind(reason)
                            .bind(now)
                            .bind(booking)
                            .execute(&mut *conn)
                            .await?;
                        q(
                            "INSERT INTO change_feed (at, topic, entity_id, show_id, payload) VALUES ($1, 'booking', $2, $3, $4)",
                        )
                        .bind(now)
                        .bind(booking)
                        .bind(show)
                        .bind(serde_json::json!({"kind": next.as_str()}).to_string())
                        .execute(&mut *conn)
                        .await?;
                    }
                    Transition::SellSeats => {
                        // The hold's seats first, then the tickets by explicit ids: a join or
                        // subquery here leaves the plan to table statistics, and a fresh show has
                        // none (PostgreSQL then hash-joins the whole show per booking).
                        let seats: Vec<i64> = q("SELECT seat_id FROM hold_seats WHERE hold_id = $1 ORDER BY seat_id")
                            .bind(hold)
                            .scalars(&mut *conn)
                            .await?;
                        Self::lock_tickets(conn, show, &seats).await?;
                        q("SAVEPOINT sell").execute(&mut *conn).await?;
                        let sold = if show_status == "scheduled" && !seats.is_empty() {
                            let mut qb = Qb::new("UPDATE tickets SET status = 'sold', booking_id = ");
                            qb.push_bind(booking)
                                .push(", hold_id = NULL, hold_expires_at = NULL WHERE show_id = ")
                                .push_bind(show)
                                .push(" AND seat_id IN ");
                            qb.push_ids(&seats);
                            // This hold's tickets, or free ones (a CASE, as in the claim).
                            qb.push(" AND CASE WHEN status = 'held' THEN hold_id = ")
                                .push_bind(hold)
                                .push(" OR hold_expires_at <= ")
                                .push_bind(now)
                                .push(" ELSE status = 'available' END");
                            qb.build().execute(&mut *conn).await? as i64
                        } else {
                            0
                        };
                        if sold == seat_count {
                            q("RELEASE SAVEPOINT sell").execute(&mut *conn).await?;
                            q("UPDATE bookings SET status = 'confirmed', failure_reason = NULL, updated_at = $1 WHERE id = $2")
                                .bind(now)
                                .bind(booking)
                                .execute(&mut *conn)
                                .await?;
                            Self::emit_seats(conn, now, SeatChange { topic: "booking", entity: booking, show, kind: "confirmed", status: "sold" }, &seats).await?;
                        } else {
                            // The seats went to someone else (or the show was cancelled) while the
                            // payment was in flight: keep nothing, refund the payment, once.
                            q("ROLLBACK TO SAVEPOINT sell").execute(&mut *conn).await?;
                            q("RELEASE SAVEPOINT sell").execute(&mut *conn).await?;
                            let freed: Vec<i64> = q(
                                "UPDATE tickets SET status = 'available', hold_id = NULL, hold_expires_at = NULL \
                                 WHERE hold_id = $1 AND status = 'held' RETURNING seat_id",
                            )
                            .bind(hold)
                            .scalars(&mut *conn)
                            .await?;
                            q(
                                "UPDATE bookings SET status = 'refunded', refund_status = 'pending', \
                                   failure_reason = $1, updated_at = $2 WHERE id = $3",
                            )
                            .bind(if show_status == "scheduled" {
                                "the seats were released before the payment arrived"
                            } else {
                                "the show was cancelled"
                            })
                            .bind(now)
                            .bind(booking)
                            .execute(&mut *conn)
                            .await?;
                            Self::emit_seats(conn, now, SeatChange { topic: "booking", entity: booking, show, kind: "refunded", status: "available" }, &freed).await?;
                        }
                    }
                }
                Self::booking_in(conn, booking).await
            }

            async fn webhook_in<E: Exec + ?Sized>(conn: &mut E, notice: &WebhookNotice, now: UnixMs) -> StoreResult<Option<Option<Booking>>> {
                let WebhookNotice { provider, event_id, booking, payment_ref, effect, reason } = notice;
                let (booking, effect, reason) = (*booking, *effect, reason.as_deref());
                let fresh = q(
                    "INSERT INTO webhook_events (provider, event_id, received_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (provider, event_id) DO NOTHING",
                )
                .bind(provider)
                .bind(event_id)
                .bind(now)
                .execute(&mut *conn).await?;
                if fresh == 0 {
                    return Ok(None);
                }
                let id: Option<i64> = match booking {
                    Some(b) => q("SELECT id FROM bookings WHERE id = $1 AND provider = $2")
                        .bind(b.get())
                        .bind(provider)
                        .scalar_opt(&mut *conn)
                        .await?,
                    None => q("SELECT id FROM bookings WHERE provider = $1 AND payment_ref = $2")
                        .bind(provider)
                        .bind(payment_ref)
                        .scalar_opt(&mut *conn)
                        .await?,
                };
                let Some(id) = id else { return Ok(Some(None)) };
                let result = match effect {
                    WebhookEffect::Payment(outcome) => Self::settle_in(conn, id, payment_ref, outcome, reason, true, now).await?,
                    WebhookEffect::Refunded => {
                        q("UPDATE bookings SET refund_status = 'succeeded', updated_at = $1 WHERE id = $2 AND refund_status = 'pending'")
                            .bind(now)
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                        Self::booking_in(conn, id).await?
                    }
                    WebhookEffect::Ignored => Self::booking_in(conn, id).await?,
                };
                Ok(Some(Some(result)))
            }

            async fn lock_booking<E: Exec + ?Sized>(conn: &mut E, id: i64) -> StoreResult<()> {
                if !$lock.is_empty() {
                    q(concat!("SELECT id FROM bookings WHERE id = $1", $lock))
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            async fn cancel_booking_in<E: Exec + ?Sized>(conn: &mut E, id: BookingId, user: Option<UserId>, now: UnixMs) -> StoreResult<Booking> {
                Self::lock_booking(conn, id.get()).await?;
                let row = q("SELECT status, user_id, show_id FROM bookings WHERE id = $1")
                    .bind(id.get())
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::NotFound("booking"))?;
                if user.is_some_and(|u| u.get() != row.try_get::<i64>(1).unwrap_or_default()) {
                    return Err(StoreError::NotFound("booking"));
                }
                let status = BookingStatus::parse(row.try_get::<&str>(0)?);
                let show: i64 = row.try_get(2)?;
                if status == BookingStatus::Cancelled {
                    return Self::booking_in(conn, id.get()).await;
                }
                if !status.can_cancel() {
                    return Err(StoreError::Conflict(format!("a {} booking cannot be cancelled", status.as_str())));
                }
                q("UPDATE bookings SET status = 'cancelled', refund_status = 'pending', updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id.get())
                    .execute(&mut *conn)
                    .await?;
                let freed: Vec<i64> = q(
                    "UPDATE tickets SET status = 'available', booking_id = NULL WHERE booking_id = $1 AND status = 'sold' RETURNING seat_id",
                )
                .bind(id.get())
                .scalars(&mut *conn)
                .await?;
                Self::emit_seats(conn, now, SeatChange { topic: "booking", entity: id.get(), show, kind: "cancelled", status: "available" }, &freed).await?;
                Self::booking_in(conn, id.get()).await
            }

            async fn expire_in<E: Exec + ?Sized>(conn: &mut E, now: UnixMs, limit: i64) -> StoreResult<u64> {
                // Which holds lapsed (read first: the update below clears hold_id). On PostgreSQL
                // rows a claim is working on right now are skipped, not waited for.
                let lapsed = q(&format!(
                    "SELECT show_id, seat_id, hold_id FROM tickets WHERE status = 'held' AND hold_expires_at <= $1 \
                     ORDER BY show_id, seat_id LIMIT $2{}", $skip
                ))
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?;
                let mut holds = std::collections::HashMap::new();
                for r in &lapsed {
                    holds.insert((r.try_get::<i64>(0)?, r.try_get::<i64>(1)?), r.try_get::<Option<i64>>(2)?.unwrap_or(0));
                }
                let mut freed = Vec::new();
                if !lapsed.is_empty() {
                    // The condition is repeated: PostgreSQL re-checks the WHERE on a row changed
                    // while this statement waited for it (a fresh claim, a late payment's sale),
                    // and such a row must be left alone.
                    let mut qb = Qb::new(
                        "UPDATE tickets SET status = 'available', hold_id = NULL, hold_expires_at = NULL \
                         WHERE status = 'held' AND hold_expires_at <= ",
                    );
                    qb.push_bind(now).push(" AND (show_id, seat_id) IN (");
                    for (i, (show, seat)) in holds.keys().enumerate() {
                        qb.push(if i == 0 { "(" } else { ", (" });
                        qb.push_bind(*show).push(", ").push_bind(*seat).push(")");
                    }
                    qb.push(") RETURNING show_id, seat_id");
                    freed = qb.build().fetch_all(&mut *conn).await?;
                }
                let mut by_hold: std::collections::BTreeMap<(i64, i64), Vec<i64>> = Default::default();
                for r in &freed {
                    let (show, seat): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
                    let hold = holds.get(&(show, seat)).copied().unwrap_or(0);
                    by_hold.entry((hold, show)).or_default().push(seat);
                }
                for ((hold, show), seats) in &by_hold {
                    Self::emit_seats(conn, now, SeatChange { topic: "hold", entity: *hold, show: *show, kind: "expired", status: "available" }, seats).await?;
                }
                let expired = q(
                    "UPDATE holds SET status = 'expired' WHERE status = 'active' AND expires_at <= $1",
                )
                .bind(now - HOLD_GRACE_MS)
                .execute(&mut *conn).await?;
                q("DELETE FROM idempotency_keys WHERE created_at <= $1")
                    .bind(now - 86_400_000)
                    .execute(&mut *conn)
                    .await?;
                Ok(expired)
            }

            async fn idempotency_begin_in<E: Exec + ?Sized>(conn: &mut E, scope: &str, key: &str, hash: &str, now: UnixMs) -> StoreResult<IdempotencyBegin> {
                let inserted = q(
                    "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (scope, key) DO NOTHING",
                )
                .bind(scope)
                .bind(key)
                .bind(hash)
                .bind(now)
                .execute(&mut *conn).await?;
                if inserted == 1 {
                    return Ok(IdempotencyBegin::Proceed);
                }
                let row = q(
                    "SELECT request_hash, status_code, response, created_at FROM idempotency_keys WHERE scope = $1 AND key = $2",
                )
                .bind(scope)
                .bind(key)
                .fetch_one(&mut *conn)
                .await?;
                let created_at: i64 = row.try_get(3)?;
                let status: Option<i64> = row.try_get(1)?;
                // Keys live a day; a request that never finished (a crash) is abandoned after a minute.
                let stale = created_at <= now - 86_400_000 || (status.is_none() && created_at <= now - 60_000);
                if stale {
                    q(
                        "UPDATE idempotency_keys SET request_hash = $1, status_code = NULL, response = NULL, created_at = $2 \
                         WHERE scope = $3 AND key = $4",
                    )
                    .bind(hash)
                    .bind(now)
                    .bind(scope)
                    .bind(key)
                    .execute(&mut *conn)
                    .await?;
                    return Ok(IdempotencyBegin::Proceed);
                }
                if row.try_get::<&str>(0)? != hash {
                    return Ok(IdempotencyBegin::Mismatch);
                }
                Ok(match status {
                    None => IdempotencyBegin::InFlight,
                    Some(code) => IdempotencyBegin::Replay {
                        status: code as u16,
                        body: row.try_get::<Option<String>>(2)?.unwrap_or_default(),
                    },
                })
            }
        }
    };
}
pub(crate) use booking_sql;
