//! What differs per backend, behind one small trait, and the [`Store`] implementation written
//! once over it.
//!
//! A backend says how a read connection is had, how a write transaction runs (PostgreSQL: one
//! short transaction per operation, retried on deadlock; SQLite: group commit on the writer
//! thread), what follows the creation of a show (PostgreSQL refreshes planner statistics),
//! how a bulk load relaxes durability, and how far the change feed is settled. Everything else
//! is the shared operations of `ops/`, so no shared code asks which database it talks to.

use super::exec::Exec;
use super::ops::holds::Claim;
use super::ops::{
    accounts, browse, catalog, feed, holds, idempotency, settlement, tickets, waitlist,
};
use super::*;
use futures::future::BoxFuture;
use std::ops::DerefMut;

/// A write operation: runs on the backend's write connection inside its transaction. It may
/// run more than once (a PostgreSQL deadlock is retried), so it is `Fn`.
pub trait WriteOp<W, T>:
    for<'c> Fn(&'c mut W) -> BoxFuture<'c, StoreResult<T>> + Send + Sync + 'static
{
}

impl<W, T, F> WriteOp<W, T> for F where
    F: for<'c> Fn(&'c mut W) -> BoxFuture<'c, StoreResult<T>> + Send + Sync + 'static
{
}

#[async_trait]
pub trait SqlBackend: Send + Sync + 'static {
    /// The connection reads run on.
    type Read: Exec;
    /// A read connection on loan from a pool.
    type Reader: DerefMut<Target = Self::Read> + Send;
    /// The connection write operations run on.
    type Write: Exec + 'static;

    const KIND: Backend;

    async fn migrate(&self) -> StoreResult<()>;
    async fn read(&self) -> StoreResult<Self::Reader>;
    /// Runs `op` as one write transaction (or a savepoint of a shared one) and answers once it
    /// is durable.
    async fn write<T: Send + 'static, F: WriteOp<Self::Write, T>>(&self, op: F) -> StoreResult<T>;
    /// After a show and its tickets were committed.
    async fn show_created(&self) -> StoreResult<()>;
    /// Writes one batch of a bulk load with durability relaxed (see `ops/bulk.rs`).
    async fn bulk_load(&self, batch: BulkBatch, now: UnixMs) -> StoreResult<()>;
    /// Makes a bulk load durable and ready to serve; the database size in bytes.
    async fn bulk_finish(&self) -> StoreResult<u64>;
    /// See [`Store::feed_horizon`].
    async fn feed_horizon(&self) -> StoreResult<i64>;
    async fn feed_horizon_passed(&self, horizon: i64) -> StoreResult<bool>;
    /// The switch of the tests' negative control (see [`StoreTools::set_claim_guard`]).
    fn claim_switch(&self) -> &ClaimSwitch;
    /// Told after every committed write.
    fn written_signal(&self) -> &Written;
}

#[async_trait]
impl<B: SqlBackend> Store for B {
    fn backend(&self) -> Backend {
        B::KIND
    }

    async fn migrate(&self) -> StoreResult<()> {
        SqlBackend::migrate(self).await
    }

    async fn ping(&self) -> StoreResult<()> {
        let mut c = self.read().await?;
        exec::q("SELECT 1").execute(&mut *c).await.map(drop)
    }

    fn tools(&self) -> &dyn StoreTools {
        self
    }

    // Accounts ------------------------------------------------------------------------------

    async fn create_user(&self, user: HashedUser, now: UnixMs) -> StoreResult<User> {
        self.write(move |c| {
            let user = user.clone();
            Box::pin(async move { accounts::create_user(c, &user, now).await })
        })
        .await
    }

    async fn credentials_by_email(&self, email: &str) -> StoreResult<Option<Credentials>> {
        {
            let mut c = self.read().await?;
            accounts::credentials_by_email(&mut *c, email).await
        }
    }

    async fn create_session(
        &self,
        user: UserId,
        token_hash: &str,
        now: UnixMs,
        expires_at: UnixMs,
    ) -> StoreResult<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |c| {
            let token_hash = token_hash.clone();
            Box::pin(async move {
                accounts::create_session(c, user, &token_hash, now, expires_at).await
            })
        })
        .await
    }

    async fn session_user(&self, token_hash: &str, now: UnixMs) -> StoreResult<Option<User>> {
        {
            let mut c = self.read().await?;
            accounts::session_user(&mut *c, token_hash, now).await
        }
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |c| {
            let token_hash = token_hash.clone();
            Box::pin(async move { accounts::delete_session(c, &token_hash).await })
        })
        .await
    }

    // Catalog writes --------------------------------------------------------------------------

    async fn create_venue(&self, venue: NewVenue, now: UnixMs) -> StoreResult<Venue> {
        let id = self
            .write(move |c| {
                let venue = venue.clone();
                Box::pin(async move { catalog::create_venue(c, &venue, now).await })
            })
            .await?;
        self.venue(VenueId::new(id)).await
    }

    async fn create_performer(&self, p: NewPerformer, now: UnixMs) -> StoreResult<Performer> {
        self.write(move |c| {
            let p = p.clone();
            Box::pin(async move { catalog::create_performer(c, &p, now).await })
        })
        .await
    }

    async fn create_event(&self, e: NewEvent, now: UnixMs) -> StoreResult<EventView> {
        let id = self
            .write(move |c| {
                let e = e.clone();
                Box::pin(async move { catalog::create_event(c, &e, now).await })
            })
            .await?;
        self.event(id, now).await
    }

    async fn update_event(
        &self,
        id: EventId,
        patch: EventPatch,
        now: UnixMs,
    ) -> StoreResult<EventView> {
        self.write(move |c| {
            let patch = patch.clone();
            Box::pin(async move { catalog::update_event(c, id, &patch, now).await })
        })
        .await?;
        self.event(id, now).await
    }

    async fn cancel_event(&self, id: EventId, now: UnixMs) -> StoreResult<EventView> {
        self.write(move |c| Box::pin(catalog::cancel_event(c, id, now)))
            .await?;
        self.event(id, now).await
    }

    async fn create_show(
        &self,
        event: EventId,
        show: NewShow,
        now: UnixMs,
    ) -> StoreResult<ShowView> {
        let id = self
            .write(move |c| {
                let show = show.clone();
                Box::pin(async move { catalog::create_show(c, event, &show, now).await })
            })
            .await?;
        self.show_created().await?;
        self.show(id, now).await
    }

    // Catalog reads ---------------------------------------------------------------------------

    async fn venues(&self, limit: i64) -> StoreResult<Vec<VenueSummary>> {
        let mut c = self.read().await?;
        catalog::venues(&mut *c, limit).await
    }

    async fn venue(&self, id: VenueId) -> StoreResult<Venue> {
        {
            let mut c = self.read().await?;
            catalog::venue(&mut *c, id).await
        }
    }

    async fn performer(&self, id: PerformerId) -> StoreResult<Performer> {
        {
            let mut c = self.read().await?;
            catalog::performer(&mut *c, id).await
        }
    }

    async fn cities(&self, now: UnixMs) -> StoreResult<Vec<City>> {
        {
            let mut c = self.read().await?;
            browse::cities(&mut *c, now).await
        }
    }

    async fn browse_events(&self, q: &BrowseQuery) -> StoreResult<Page<EventSummary>> {
        {
            let mut c = self.read().await?;
            browse::browse_events(&mut *c, q).await
        }
    }

    async fn event(&self, id: EventId, now: UnixMs) -> StoreResult<EventView> {
        {
            let mut c = self.read().await?;
            catalog::event(&mut *c, id, now).await
        }
    }

    async fn show(&self, id: ShowId, now: UnixMs) -> StoreResult<ShowView> {
        {
            let mut c = self.read().await?;
            catalog::show(&mut *c, id, now).await
        }
    }

    async fn seat_map(&self, id: ShowId, now: UnixMs) -> StoreResult<SeatMap> {
        {
            let mut c = self.read().await?;
            catalog::seat_map(&mut *c, id, now).await
        }
    }

    async fn seat_statuses(
        &self,
        id: ShowId,
        now: UnixMs,
    ) -> StoreResult<Vec<(SeatId, SeatStatus)>> {
        let mut c = self.read().await?;
        catalog::seat_statuses(&mut *c, id, now).await
    }

    async fn event_listings(&self, ids: &[EventId]) -> StoreResult<Vec<EventListing>> {
        {
            let mut c = self.read().await?;
            browse::event_listings(&mut *c, ids).await
        }
    }

    async fn browse_entries(&self, ids: &[EventId]) -> StoreResult<Vec<BrowseEntry>> {
        let mut c = self.read().await?;
        browse::browse_entries(&mut *c, ids).await
    }

    async fn places(&self) -> StoreResult<Places> {
        let mut c = self.read().await?;
        browse::places(&mut *c).await
    }

    async fn events_of_shows(&self, shows: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        let mut c = self.read().await?;
        browse::events_of_shows(&mut *c, shows).await
    }

    async fn next_hold_expiry(&self, shows: &[ShowId], now: UnixMs) -> StoreResult<Option<UnixMs>> {
        let mut c = self.read().await?;
        browse::next_hold_expiry(&mut *c, shows, now).await
    }

    async fn event_ids_after(&self, after: EventId, limit: i64) -> StoreResult<Vec<EventId>> {
        {
            let mut c = self.read().await?;
            browse::event_ids_after(&mut *c, after, limit).await
        }
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        {
            let mut c = self.read().await?;
            browse::is_empty(&mut *c).await
        }
    }

    // Booking ---------------------------------------------------------------------------------

    async fn hold_seats(&self, user: UserId, hold: NewHold, now: UnixMs) -> StoreResult<Hold> {
        let claim = self.claim_switch().claim();
        if claim == Claim::Unguarded {
            // The negative control: check in application code, then write blindly.
            if !{
                let mut c = self.read().await?;
                holds::seats_look_free(&mut *c, &hold, now).await
            }? {
                return Err(StoreError::SeatsTaken {
                    seat_ids: Vec::new(),
                    detail: "taken".into(),
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.write(move |c| {
            let hold = hold.clone();
            Box::pin(async move { holds::hold_seats(c, user, &hold, claim, now).await })
        })
        .await
    }

    async fn hold(&self, id: HoldId, user: UserId, now: UnixMs) -> StoreResult<Hold> {
        let mut c = self.read().await?;
        holds::owned_hold(&mut *c, id, user).await?;
        holds::hold_view(&mut *c, id.get(), now).await
    }

    async fn release_hold(&self, id: HoldId, user: UserId, now: UnixMs) -> StoreResult<()> {
        self.write(move |c| Box::pin(holds::release_hold(c, id, user, now)))
            .await
    }

    async fn start_booking(
        &self,
        hold: HoldId,
        user: UserId,
        provider: &str,
        now: UnixMs,
    ) -> StoreResult<BookingStart> {
        let provider = provider.to_owned();
        self.write(move |c| {
            let provider = provider.clone();
            Box::pin(async move { settlement::start_booking(c, hold, user, &provider, now).await })
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
        self.write(move |c| {
            let (payment_ref, reason) = (payment_ref.clone(), reason.clone());
            Box::pin(async move {
                let reason = reason.as_deref();
                let by = settlement::Reporter::Charge;
                settlement::settle(c, booking.get(), &payment_ref, outcome, reason, by, now).await
            })
        })
        .await
    }

    async fn apply_webhook(
        &self,
        notice: WebhookNotice,
        now: UnixMs,
    ) -> StoreResult<WebhookApplied> {
        self.write(move |c| {
            let notice = notice.clone();
            Box::pin(async move { settlement::apply_webhook(c, &notice, now).await })
        })
        .await
    }

    async fn cancel_booking(
        &self,
        id: BookingId,
        user: Option<UserId>,
        now: UnixMs,
    ) -> StoreResult<Booking> {
        self.write(move |c| Box::pin(settlement::cancel_booking(c, id, user, now)))
            .await
    }

    async fn refund_done(
        &self,
        id: BookingId,
        refund_ref: &str,
        now: UnixMs,
    ) -> StoreResult<Booking> {
        let refund_ref = refund_ref.to_owned();
        self.write(move |c| {
            let refund_ref = refund_ref.clone();
            Box::pin(async move { settlement::refund_done(c, id, &refund_ref, now).await })
        })
        .await
    }

    async fn booking(&self, id: BookingId, user: Option<UserId>) -> StoreResult<Booking> {
        {
            let mut c = self.read().await?;
            settlement::owned_booking(&mut *c, id, user).await
        }
    }

    async fn bookings_for_user(&self, user: UserId) -> StoreResult<Vec<Booking>> {
        {
            let mut c = self.read().await?;
            settlement::bookings_for_user(&mut *c, user).await
        }
    }

    async fn expire_holds(&self, now: UnixMs, limit: i64) -> StoreResult<u64> {
        self.write(move |c| Box::pin(holds::expire_holds(c, now, limit)))
            .await
    }

    async fn pending_payments(
        &self,
        older_than: UnixMs,
        limit: i64,
    ) -> StoreResult<Vec<PendingPayment>> {
        {
            let mut c = self.read().await?;
            settlement::pending_payments(&mut *c, older_than, limit).await
        }
    }

    async fn owed_refunds(&self, limit: i64) -> StoreResult<Vec<OwedRefund>> {
        {
            let mut c = self.read().await?;
            settlement::owed_refunds(&mut *c, limit).await
        }
    }

    // Surge ---------------------------------------------------------------------------------

    async fn join_waitlist(
        &self,
        user: UserId,
        entry: NewWaitlistEntry,
        now: UnixMs,
    ) -> StoreResult<WaitlistEntry> {
        self.write(move |c| {
            let entry = entry.clone();
            Box::pin(async move { waitlist::join(c, user, &entry, now).await })
        })
        .await
    }

    async fn waitlist_entry(
        &self,
        id: WaitlistId,
        user: UserId,
        now: UnixMs,
    ) -> StoreResult<WaitlistEntry> {
        let mut c = self.read().await?;
        waitlist::entry(&mut *c, id, user, now).await
    }

    async fn leave_waitlist(&self, id: WaitlistId, user: UserId, now: UnixMs) -> StoreResult<()> {
        self.write(move |c| Box::pin(waitlist::leave(c, id, user, now)))
            .await
    }

    async fn room_show(&self, show: ShowId) -> StoreResult<RoomShow> {
        let mut c = self.read().await?;
        waitlist::room_show(&mut *c, show).await
    }

    async fn room_inventory(&self, show: ShowId, now: UnixMs) -> StoreResult<RoomInventory> {
        let mut c = self.read().await?;
        waitlist::room_inventory(&mut *c, show, now).await
    }

    async fn show_sales(&self, show: ShowId, now: UnixMs) -> StoreResult<ShowSales> {
        let mut c = self.read().await?;
        settlement::show_sales(&mut *c, show, now).await
    }

    async fn update_show(
        &self,
        show: ShowId,
        patch: ShowChange,
        now: UnixMs,
    ) -> StoreResult<ShowView> {
        self.write(move |c| {
            let patch = patch.clone();
            Box::pin(async move { waitlist::update_room(c, show, &patch, now).await })
        })
        .await?;
        self.show(show, now).await
    }

    async fn shared_secret(&self, name: &str, candidate: &str, now: UnixMs) -> StoreResult<String> {
        let (name, candidate) = (name.to_owned(), candidate.to_owned());
        self.write(move |c| {
            let (name, candidate) = (name.clone(), candidate.clone());
            Box::pin(async move { waitlist::shared_secret(c, &name, &candidate, now).await })
        })
        .await
    }

    // Idempotency keys ------------------------------------------------------------------------

    async fn idempotency_begin(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: UnixMs,
    ) -> StoreResult<IdempotencyBegin> {
        let owned = (scope.to_owned(), key.to_owned(), request_hash.to_owned());
        self.write(move |c| {
            let (scope, key, hash) = owned.clone();
            Box::pin(async move { idempotency::begin(c, &scope, &key, &hash, now).await })
        })
        .await
    }

    async fn idempotency_finish(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        let owned = (scope.to_owned(), key.to_owned(), body.to_owned());
        self.write(move |c| {
            let (scope, key, body) = owned.clone();
            Box::pin(async move { idempotency::finish(c, &scope, &key, status, &body).await })
        })
        .await
    }

    async fn idempotency_abort(&self, scope: &str, key: &str) -> StoreResult<()> {
        let owned = (scope.to_owned(), key.to_owned());
        self.write(move |c| {
            let (scope, key) = owned.clone();
            Box::pin(async move { idempotency::abort(c, &scope, &key).await })
        })
        .await
    }

    // Change-feed consumers -------------------------------------------------------------------

    async fn lease_consumer(
        &self,
        name: &str,
        owner: &str,
        now: UnixMs,
        ttl_ms: i64,
    ) -> StoreResult<Option<i64>> {
        let owned = (name.to_owned(), owner.to_owned());
        self.write(move |c| {
            let (name, owner) = owned.clone();
            Box::pin(async move { feed::lease_consumer(c, &name, &owner, now, ttl_ms).await })
        })
        .await
    }

    async fn advance_consumer(&self, name: &str, owner: &str, seq: i64) -> StoreResult<bool> {
        let owned = (name.to_owned(), owner.to_owned());
        self.write(move |c| {
            let (name, owner) = owned.clone();
            Box::pin(async move { feed::advance_consumer(c, &name, &owner, seq).await })
        })
        .await
    }

    async fn release_consumer(&self, name: &str, owner: &str) -> StoreResult<()> {
        let owned = (name.to_owned(), owner.to_owned());
        self.write(move |c| {
            let (name, owner) = owned.clone();
            Box::pin(async move { feed::release_consumer(c, &name, &owner).await })
        })
        .await
    }

    async fn offer_mail(&self, entry: WaitlistId, now: UnixMs) -> StoreResult<OfferMail> {
        let mut c = self.read().await?;
        waitlist::offer_mail(&mut *c, entry, now).await
    }

    async fn booking_mail(&self, booking: BookingId) -> StoreResult<BookingMail> {
        {
            let mut c = self.read().await?;
            settlement::booking_mail(&mut *c, booking).await
        }
    }

    async fn mail_sent(&self, key: &str) -> StoreResult<bool> {
        {
            let mut c = self.read().await?;
            feed::mail_sent(&mut *c, key).await
        }
    }

    async fn record_mail(&self, key: &str, now: UnixMs) -> StoreResult<()> {
        let key = key.to_owned();
        self.write(move |c| {
            let key = key.clone();
            Box::pin(async move { feed::record_mail(c, &key, now).await })
        })
        .await
    }

    // Change feed -----------------------------------------------------------------------------

    async fn changes_after(&self, after: i64, limit: i64) -> StoreResult<Vec<Change>> {
        {
            let mut c = self.read().await?;
            feed::changes_after(&mut *c, after, limit).await
        }
    }

    fn written(&self) -> tokio::sync::watch::Receiver<u64> {
        self.written_signal().subscribe()
    }

    async fn last_change(&self) -> StoreResult<i64> {
        {
            let mut c = self.read().await?;
            feed::last_change(&mut *c).await
        }
    }

    async fn feed_horizon(&self) -> StoreResult<i64> {
        SqlBackend::feed_horizon(self).await
    }

    async fn feed_horizon_passed(&self, horizon: i64) -> StoreResult<bool> {
        SqlBackend::feed_horizon_passed(self, horizon).await
    }

    // Tickets and check-in --------------------------------------------------------------------

    async fn booking_tickets(
        &self,
        id: BookingId,
        user: Option<UserId>,
        now: UnixMs,
    ) -> StoreResult<Vec<crate::tickets::IssuedTicket>> {
        // A read first: once issued, reading tickets never queues behind the writer.
        let (found, buyer, issued) = {
            let mut c = self.read().await?;
            let found = settlement::owned_booking(&mut *c, id, user).await?;
            let buyer: i64 = exec::q("SELECT user_id FROM bookings WHERE id = $1")
                .bind(id.get())
                .scalar(&mut *c)
                .await?;
            let issued = tickets::issued_count(&mut *c, id.get()).await?;
            (found, buyer, issued)
        };
        match found.status {
            BookingStatus::Confirmed => {}
            BookingStatus::Cancelled | BookingStatus::Refunded => {
                return Err(StoreError::Gone(
                    "the booking was cancelled or refunded: its tickets are void".into(),
                ))
            }
            _ => {
                return Err(StoreError::Conflict(
                    "tickets are issued once the payment is confirmed".into(),
                ))
            }
        }
        if issued < found.seats.len() as i64 {
            self.write(move |c| Box::pin(tickets::issue_tickets(c, id.get(), now)))
                .await?;
        }
        let mut c = self.read().await?;
        tickets::booking_tickets(&mut *c, id.get(), buyer).await
    }

    async fn held_tickets(
        &self,
        user: UserId,
        now: UnixMs,
    ) -> StoreResult<Vec<crate::tickets::IssuedTicket>> {
        let unissued = {
            let mut c = self.read().await?;
            tickets::bookings_without_tickets(&mut *c, user).await?
        };
        for booking in unissued {
            self.write(move |c| Box::pin(tickets::issue_tickets(c, booking, now)))
                .await?;
        }
        let mut c = self.read().await?;
        tickets::held_tickets(&mut *c, user).await
    }

    async fn ticket_keys(&self) -> StoreResult<Vec<crate::tickets::PublishedKey>> {
        let mut c = self.read().await?;
        tickets::published_keys(&mut *c).await
    }

    async fn revoked_tickets(&self, show: ShowId) -> StoreResult<Vec<TicketId>> {
        let mut c = self.read().await?;
        tickets::revoked_tickets(&mut *c, show).await
    }

    async fn checkin_counts(&self, show: ShowId) -> StoreResult<crate::tickets::CheckinCounts> {
        let mut c = self.read().await?;
        tickets::checkin_counts(&mut *c, show).await
    }

    async fn check_in(
        &self,
        scan: crate::tickets::TicketScan,
        now: UnixMs,
    ) -> StoreResult<crate::tickets::CheckinOutcome> {
        self.write(move |c| {
            let scan = scan.clone();
            Box::pin(async move { tickets::check_in(c, &scan, now).await })
        })
        .await
    }

    async fn transfer_ticket(
        &self,
        ticket: TicketId,
        from: UserId,
        email: &str,
        now: UnixMs,
    ) -> StoreResult<crate::tickets::TicketTransfer> {
        let email = email.to_owned();
        self.write(move |c| {
            let email = email.clone();
            Box::pin(async move { tickets::transfer_ticket(c, ticket, from, &email, now).await })
        })
        .await
    }

    async fn rotate_ticket_key(&self, now: UnixMs) -> StoreResult<i64> {
        self.write(move |c| Box::pin(tickets::rotate_key(c, now)))
            .await
    }

    async fn set_role(&self, user: UserId, role: Role) -> StoreResult<User> {
        self.write(move |c| Box::pin(tickets::set_role(c, user, role)))
            .await
    }
}

#[async_trait]
impl<B: SqlBackend> StoreTools for B {
    async fn bulk_load(&self, batch: BulkBatch, now: UnixMs) -> StoreResult<()> {
        SqlBackend::bulk_load(self, batch, now).await
    }

    async fn bulk_finish(&self) -> StoreResult<u64> {
        SqlBackend::bulk_finish(self).await
    }

    async fn like_search(&self, term: &str, limit: i64) -> StoreResult<Vec<EventId>> {
        {
            let mut c = self.read().await?;
            browse::like_search(&mut *c, term, limit).await
        }
    }

    async fn inventory_report(&self, show: ShowId, now: UnixMs) -> StoreResult<InventoryReport> {
        {
            let mut c = self.read().await?;
            settlement::inventory_report(&mut *c, show, now).await
        }
    }

    #[cfg(feature = "test-hooks")]
    fn set_claim_guard(&self, on: bool) {
        self.claim_switch().set(on);
    }
}
