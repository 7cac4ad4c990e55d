//! The source of truth: one [`Store`] trait, with an embedded SQLite implementation and a
//! PostgreSQL one side by side, both passing the same conformance suite (the `dual!` tests of
//! `tests/api`, run on each backend).
//!
//! Operations are shaped like use cases (`create_show`, `hold_seats`, …) and each runs in one
//! transaction, so every backend can lock in its own best way. Every catalog or inventory
//! change appends to the change feed in the same transaction (see [`Change`]).
//!
//! - `exec.rs`: the one query layer (`q(…).bind(…)`, rows read by column name) that sqlx's
//!   connections and the SQLite writer thread's connection all implement;
//! - `ops/`: every operation, written once as a plain function over that layer, grouped by use
//!   case (accounts, catalog, browse, holds, settlement, feed, idempotency, bulk);
//! - `backend.rs`: the small trait of what differs per backend, and the [`Store`]
//!   implementation written once over it;
//! - `sqlite.rs` (with `group_commit.rs`) and `postgres.rs`: the two backends.
//!
//! Test- and benchmark-only operations are apart, in [`StoreTools`].

use crate::domain::booking::*;
use crate::domain::catalog::*;
use crate::domain::surge::*;
use crate::domain::users::{NewUser, Role, User};
use crate::domain::*;
use async_trait::async_trait;
use std::sync::Arc;

mod backend;
mod exec;
mod group_commit;
mod ops;
mod postgres;
mod sqlite;

pub use ops::bulk::{
    BulkBatch, BulkBuyer, BulkCity, BulkEvent, BulkPerformer, BulkSeat, BulkSection, BulkShow,
    BulkVenue,
};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Why a store operation did not happen. Anything but `Unavailable` is the caller's fault and
/// changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("invalid input")]
    Invalid(Invalid),
    #[error("store unavailable: {0}")]
    Unavailable(#[from] sqlx::Error),
    /// Some requested seats are held or sold (ids given), or too few places are left.
    #[error("seats unavailable")]
    SeatsTaken {
        seat_ids: Vec<SeatId>,
        detail: String,
    },
    /// The thing existed but is gone for good (an expired hold).
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    Internal(String),
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Internal(format!("migration failed: {e}"))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A user row including the password hash, for logging in.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

/// A user whose password has been hashed and is ready to insert.
#[derive(Debug, Clone)]
pub struct HashedUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
}

impl HashedUser {
    pub fn new(user: NewUser, password_hash: String) -> Self {
        Self {
            email: user.email,
            name: user.name,
            password_hash,
            role: user.role,
        }
    }
}

/// One row of the change feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub at: UnixMs,
    /// What changed: `event`, `show`, `venue`, `performer`, `seat`, `hold`, `booking`.
    pub topic: String,
    pub entity_id: i64,
    pub show_id: Option<i64>,
    /// JSON describing the change, e.g. `{"seat_id":"1","status":"held"}` for `seat`.
    pub payload: String,
}

/// What `idempotency_begin` found for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// First use (or an abandoned or expired earlier use): run the request.
    Proceed,
    /// Same key, same request, finished: send this stored response again.
    Replay { status: u16, body: String },
    /// Same key, different request.
    Mismatch,
    /// Same key, same request, still running.
    InFlight,
}

/// What [`Store::start_booking`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum BookingStart {
    /// The booking is pending payment and a charge must be made now: it is new, or an earlier
    /// attempt failed and the hold still lasts.
    Charge(Booking),
    /// The hold already has a booking that is settled or whose charge is in flight.
    Existing(Booking),
}

/// What [`Store::apply_webhook`] did with a verified webhook.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookApplied {
    /// This event id was applied before: nothing changed.
    Duplicate,
    /// Recorded, but it names no booking of ours.
    UnknownPayment,
    /// Applied to this booking (which may not have changed: the status guards make a late or
    /// out-of-order event a no-op).
    Applied(Box<Booking>),
}

/// An active event denormalised with its venue, performers and scheduled shows: what the
/// search index is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct EventListing {
    pub event_id: i64,
    pub title: String,
    pub description: String,
    pub category: String,
    /// (performer id, name), in billing order.
    pub performers: Vec<(i64, String)>,
    pub venue_id: i64,
    pub venue_name: String,
    pub city: String,
    pub country: String,
    pub lat: f64,
    pub lon: f64,
    /// Unix milliseconds of each scheduled show, ascending.
    pub show_starts: Vec<i64>,
    /// Minor units, across all scheduled shows and sections.
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub currency: Option<String>,
}

/// An active event as the in-memory browse index keeps it (`crate::reads`).
#[derive(Debug, Clone, PartialEq)]
pub struct BrowseEntry {
    pub event_id: i64,
    pub title: String,
    pub category: String,
    pub venue_id: i64,
    /// Its scheduled shows, by start.
    pub shows: Vec<BrowseShow>,
}

/// A scheduled show of a [`BrowseEntry`].
#[derive(Debug, Clone, PartialEq)]
pub struct BrowseShow {
    pub starts_at: UnixMs,
    pub currency: String,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
}

/// Every city and venue, for the browse index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Places {
    /// (id, name, country, key): the key is the lower-cased name browse filters by.
    pub cities: Vec<(i64, String, String, String)>,
    /// (id, name, time zone, city id).
    pub venues: Vec<(i64, String, String, i64)>,
}

/// A payment to ask the provider about (reconciliation).
#[derive(Debug, Clone)]
pub struct PendingPayment {
    pub booking_id: BookingId,
    pub provider: String,
    pub payment_ref: String,
}

/// A refund owed to a buyer.
#[derive(Debug, Clone)]
pub struct OwedRefund {
    pub booking_id: BookingId,
    pub provider: String,
    pub payment_ref: String,
    pub amount: i64,
}

/// A verified provider webhook, as the store applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookNotice {
    pub provider: String,
    /// The provider's event id: each is applied once.
    pub event_id: String,
    /// From the payment's metadata, when the provider sends it.
    pub booking: Option<BookingId>,
    pub payment_ref: String,
    pub effect: WebhookEffect,
    pub reason: Option<String>,
}

/// What a provider webhook reported, already verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEffect {
    Payment(PaymentOutcome),
    Refunded,
    Ignored,
}

/// The switch behind [`StoreTools::set_claim_guard`]. It exists only in builds with the
/// `test-hooks` feature (the test suite's); elsewhere every claim is guarded and the check
/// compiles away.
#[derive(Debug, Clone, Default)]
pub struct ClaimSwitch {
    #[cfg(feature = "test-hooks")]
    unguarded: Arc<std::sync::atomic::AtomicBool>,
}

impl ClaimSwitch {
    fn claim(&self) -> ops::holds::Claim {
        #[cfg(feature = "test-hooks")]
        if self.unguarded.load(std::sync::atomic::Ordering::SeqCst) {
            return ops::holds::Claim::Unguarded;
        }
        ops::holds::Claim::Guarded
    }

    #[cfg(feature = "test-hooks")]
    fn set(&self, guarded: bool) {
        self.unguarded
            .store(!guarded, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Tells this process's change-feed followers that a write committed, so they read the feed
/// at once instead of at their next poll (writes on other instances still reach them by the
/// poll). A counter in a watch channel: a follower busy when a write lands sees it next time
/// it waits, so no wake is lost.
/// Clones share one channel (a store's clones are one store).
#[derive(Debug, Clone)]
pub struct Written(Arc<tokio::sync::watch::Sender<u64>>);

impl Default for Written {
    fn default() -> Self {
        Self(Arc::new(tokio::sync::watch::channel(0).0))
    }
}

impl Written {
    /// A write committed.
    pub fn tell(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// How a show is selling, for its organiser's sales page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShowSales {
    pub available: i64,
    pub held: i64,
    pub sold: i64,
    pub confirmed_bookings: i64,
    /// The total of confirmed bookings, in the show's currency's minor units.
    pub revenue: i64,
    /// Buyers on the seat waitlist now.
    pub waitlist: i64,
}

/// The books of one show, for the oversell checks of tests and load tools.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct InventoryReport {
    pub capacity: i64,
    pub available: i64,
    pub held: i64,
    pub sold: i64,
    /// Seats that appear in more than one confirmed booking (must be 0).
    pub oversold: i64,
    /// Seats of confirmed bookings that are not sold to that booking (must be 0).
    pub mismatched: i64,
    pub confirmed_bookings: i64,
}

/// Everything a booking email needs.
#[derive(Debug, Clone)]
pub struct BookingMail {
    pub booking: Booking,
    pub email: String,
    pub name: String,
    pub event_title: String,
    pub starts_at: UnixMs,
    pub venue: String,
    pub city: String,
}

/// Everything the email offering a waiter their seats needs.
#[derive(Debug, Clone)]
pub struct OfferMail {
    pub entry: WaitlistId,
    pub hold: Hold,
    pub email: String,
    pub name: String,
    pub event_title: String,
    pub starts_at: UnixMs,
    pub venue: String,
    pub city: String,
}

/// Which database a store talks to, for logs and readiness output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A page of browse results.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Applies pending migrations; safe to call on every start.
    async fn migrate(&self) -> StoreResult<()>;
    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
    /// The operations only tests, load tools and benchmarks use.
    fn tools(&self) -> &dyn StoreTools;

    // Accounts -------------------------------------------------------------------------------
    /// Creates a user; `Conflict` when the email is taken.
    async fn create_user(&self, user: HashedUser, now: UnixMs) -> StoreResult<User>;
    async fn credentials_by_email(&self, email: &str) -> StoreResult<Option<Credentials>>;
    async fn create_session(
        &self,
        user: UserId,
        token_hash: &str,
        now: UnixMs,
        expires_at: UnixMs,
    ) -> StoreResult<()>;
    /// The user behind a live session token hash.
    async fn session_user(&self, token_hash: &str, now: UnixMs) -> StoreResult<Option<User>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    // Catalog writes (admin) ------------------------------------------------------------------
    async fn create_venue(&self, venue: NewVenue, now: UnixMs) -> StoreResult<Venue>;
    async fn create_performer(&self, p: NewPerformer, now: UnixMs) -> StoreResult<Performer>;
    /// `Invalid` naming `venue_id` / `performer_ids` when they do not exist.
    async fn create_event(&self, e: NewEvent, now: UnixMs) -> StoreResult<EventView>;
    async fn update_event(
        &self,
        id: EventId,
        patch: EventPatch,
        now: UnixMs,
    ) -> StoreResult<EventView>;
    /// Marks the event and its shows cancelled and releases their inventory. Returns the
    /// event; refunding bookings is the booking layer's job (it reacts to the change feed).
    async fn cancel_event(&self, id: EventId, now: UnixMs) -> StoreResult<EventView>;
    /// Creates the show and one ticket per seat of every priced section.
    async fn create_show(
        &self,
        event: EventId,
        show: NewShow,
        now: UnixMs,
    ) -> StoreResult<ShowView>;

    // Catalog reads ---------------------------------------------------------------------------
    async fn venue(&self, id: VenueId) -> StoreResult<Venue>;
    /// Venues by name, at most `limit` (the organiser's pickers).
    async fn venues(&self, limit: i64) -> StoreResult<Vec<VenueSummary>>;
    async fn performer(&self, id: PerformerId) -> StoreResult<Performer>;
    async fn cities(&self, now: UnixMs) -> StoreResult<Vec<City>>;
    async fn browse_events(&self, q: &BrowseQuery) -> StoreResult<Page<EventSummary>>;
    async fn event(&self, id: EventId, now: UnixMs) -> StoreResult<EventView>;
    async fn show(&self, id: ShowId, now: UnixMs) -> StoreResult<ShowView>;
    async fn seat_map(&self, id: ShowId, now: UnixMs) -> StoreResult<SeatMap>;
    /// Every ticket of a show (seated and standing) with its status: a live seat map's start.
    async fn seat_statuses(
        &self,
        id: ShowId,
        now: UnixMs,
    ) -> StoreResult<Vec<(SeatId, SeatStatus)>>;
    /// The active events among `ids`, denormalised for the search index (cancelled or missing
    /// events are simply absent, so the caller removes them from the index).
    async fn event_listings(&self, ids: &[EventId]) -> StoreResult<Vec<EventListing>>;
    /// The active events among `ids` with their scheduled shows, for the browse index
    /// (cancelled or missing events are absent).
    async fn browse_entries(&self, ids: &[EventId]) -> StoreResult<Vec<BrowseEntry>>;
    /// Every city and venue, for the browse index.
    async fn places(&self) -> StoreResult<Places>;
    /// (show, event) for each of these shows that exists.
    async fn events_of_shows(&self, shows: &[i64]) -> StoreResult<Vec<(i64, i64)>>;
    /// The soonest expiry after `now` of a live hold on a ticket of these shows: until then
    /// their seat statuses stay as they are unless a change comes through the feed.
    async fn next_hold_expiry(&self, shows: &[ShowId], now: UnixMs) -> StoreResult<Option<UnixMs>>;
    /// Event ids above `after`, ascending, for rebuilding the index in batches.
    async fn event_ids_after(&self, after: EventId, limit: i64) -> StoreResult<Vec<EventId>>;
    /// Whether the catalog holds no venue yet (the demo loader only fills an empty store).
    async fn is_empty(&self) -> StoreResult<bool>;

    // Booking ---------------------------------------------------------------------------------
    /// Claims seats for `user`, all or none. `SeatsTaken` names the unavailable seats.
    async fn hold_seats(&self, user: UserId, hold: NewHold, now: UnixMs) -> StoreResult<Hold>;
    /// A hold of `user` (someone else's is `NotFound`).
    async fn hold(&self, id: HoldId, user: UserId, now: UnixMs) -> StoreResult<Hold>;
    async fn release_hold(&self, id: HoldId, user: UserId, now: UnixMs) -> StoreResult<()>;
    /// Turns a live hold into a booking pending payment, or finds the hold's booking. `Gone`
    /// when the hold expired.
    async fn start_booking(
        &self,
        hold: HoldId,
        user: UserId,
        provider: &str,
        now: UnixMs,
    ) -> StoreResult<BookingStart>;
    /// Applies a payment result; sells the seats on success, or refunds when they are gone.
    async fn settle_payment(
        &self,
        booking: BookingId,
        payment_ref: &str,
        outcome: PaymentOutcome,
        reason: Option<&str>,
        now: UnixMs,
    ) -> StoreResult<Booking>;
    /// Applies a verified webhook once.
    async fn apply_webhook(
        &self,
        notice: WebhookNotice,
        now: UnixMs,
    ) -> StoreResult<WebhookApplied>;
    /// Cancels a confirmed booking (by its owner, or by anyone when `user` is `None`): the
    /// seats become available and a refund is owed.
    async fn cancel_booking(
        &self,
        id: BookingId,
        user: Option<UserId>,
        now: UnixMs,
    ) -> StoreResult<Booking>;
    async fn refund_done(
        &self,
        id: BookingId,
        refund_ref: &str,
        now: UnixMs,
    ) -> StoreResult<Booking>;
    /// A booking of `user` (`None`: any booking, for admins and workers).
    async fn booking(&self, id: BookingId, user: Option<UserId>) -> StoreResult<Booking>;
    async fn bookings_for_user(&self, user: UserId) -> StoreResult<Vec<Booking>>;
    /// Frees expired holds (and forgets idempotency keys older than a day); returns how many
    /// holds expired.
    async fn expire_holds(&self, now: UnixMs, limit: i64) -> StoreResult<u64>;
    async fn pending_payments(
        &self,
        older_than: UnixMs,
        limit: i64,
    ) -> StoreResult<Vec<PendingPayment>>;
    async fn owed_refunds(&self, limit: i64) -> StoreResult<Vec<OwedRefund>>;

    // Surge: the seat waitlist and what the waiting room paces by --------------------------------
    /// Puts `user` on a show's waitlist (see `ops/waitlist.rs`): `Conflict` when enough seats
    /// are free now, `Invalid` when more are asked for than could ever free up.
    async fn join_waitlist(
        &self,
        user: UserId,
        entry: NewWaitlistEntry,
        now: UnixMs,
    ) -> StoreResult<WaitlistEntry>;
    /// An entry of `user` (someone else's is `NotFound`).
    async fn waitlist_entry(
        &self,
        id: WaitlistId,
        user: UserId,
        now: UnixMs,
    ) -> StoreResult<WaitlistEntry>;
    async fn leave_waitlist(&self, id: WaitlistId, user: UserId, now: UnixMs) -> StoreResult<()>;
    async fn room_show(&self, show: ShowId) -> StoreResult<RoomShow>;
    async fn room_inventory(&self, show: ShowId, now: UnixMs) -> StoreResult<RoomInventory>;
    /// Seats by status, confirmed bookings, revenue and the waitlist of one show.
    async fn show_sales(&self, show: ShowId, now: UnixMs) -> StoreResult<ShowSales>;
    /// Changes a show's waiting-room settings and opening (admin).
    async fn update_show(
        &self,
        show: ShowId,
        patch: ShowChange,
        now: UnixMs,
    ) -> StoreResult<ShowView>;
    /// The secret every instance shares under `name`; the first caller's `candidate` wins.
    async fn shared_secret(&self, name: &str, candidate: &str, now: UnixMs) -> StoreResult<String>;

    // Idempotency keys --------------------------------------------------------------------------
    async fn idempotency_begin(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: UnixMs,
    ) -> StoreResult<IdempotencyBegin>;
    async fn idempotency_finish(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()>;
    async fn idempotency_abort(&self, scope: &str, key: &str) -> StoreResult<()>;

    // Change-feed consumers that run once per deployment ----------------------------------------
    /// Takes (or renews) the lease on consumer `name` for `owner`; returns its cursor, or `None`
    /// while another owner holds an unexpired lease.
    async fn lease_consumer(
        &self,
        name: &str,
        owner: &str,
        now: UnixMs,
        ttl_ms: i64,
    ) -> StoreResult<Option<i64>>;
    /// Moves the cursor of a consumer this owner leases; `false` if the lease was lost.
    async fn advance_consumer(&self, name: &str, owner: &str, seq: i64) -> StoreResult<bool>;
    /// Gives up a lease (on shutdown), so another instance can take over at once.
    async fn release_consumer(&self, name: &str, owner: &str) -> StoreResult<()>;
    async fn booking_mail(&self, booking: BookingId) -> StoreResult<BookingMail>;
    async fn offer_mail(&self, entry: WaitlistId, now: UnixMs) -> StoreResult<OfferMail>;
    async fn mail_sent(&self, key: &str) -> StoreResult<bool>;
    async fn record_mail(&self, key: &str, now: UnixMs) -> StoreResult<()>;

    // Change feed -----------------------------------------------------------------------------
    /// Up to `limit` changes with `seq > after`, in order.
    async fn changes_after(&self, after: i64, limit: i64) -> StoreResult<Vec<Change>>;
    /// The newest sequence number, 0 when the feed is empty.
    async fn last_change(&self) -> StoreResult<i64>;
    /// Changes whenever a write of this process commits (see [`Written`]).
    fn written(&self) -> tokio::sync::watch::Receiver<u64>;
    /// A mark of the transactions running now. Sequence numbers are taken when a row is
    /// inserted but become visible at commit, so a follower can meet a gap that a running
    /// transaction will still fill, or that a rolled-back one left for good. Once
    /// [`Store::feed_horizon_passed`] says every transaction running at the mark has ended, a
    /// gap seen before the mark is permanent. (SQLite commits one writer at a time: no gaps.)
    async fn feed_horizon(&self) -> StoreResult<i64>;
    async fn feed_horizon_passed(&self, horizon: i64) -> StoreResult<bool>;

    // Tickets and check-in ----------------------------------------------------------------------
    /// The live tickets of a booking held by its buyer, issued on first read (idempotently:
    /// every read returns the same codes). `user` scopes it like [`Store::booking`]. `Conflict`
    /// while the booking is not paid, `Gone` once it was cancelled or refunded.
    async fn booking_tickets(
        &self,
        booking: BookingId,
        user: Option<UserId>,
        now: UnixMs,
    ) -> StoreResult<Vec<crate::tickets::IssuedTicket>>;
    /// Every live ticket `user` holds: bought, or received by transfer.
    async fn held_tickets(
        &self,
        user: UserId,
        now: UnixMs,
    ) -> StoreResult<Vec<crate::tickets::IssuedTicket>>;
    /// Every key that signed tickets (scanners verify codes with these).
    async fn ticket_keys(&self) -> StoreResult<Vec<crate::tickets::PublishedKey>>;
    /// Tickets of the show that must not admit anyone (transferred, or their booking cancelled
    /// or refunded); `NotFound` for a show that does not exist.
    async fn revoked_tickets(&self, show: ShowId) -> StoreResult<Vec<TicketId>>;
    /// Tickets of the show checked in and seats sold; `NotFound` for no such show.
    async fn checkin_counts(&self, show: ShowId) -> StoreResult<crate::tickets::CheckinCounts>;
    /// Records a scan of a verified code: admitted once, whatever the number of gates.
    async fn check_in(
        &self,
        scan: crate::tickets::TicketScan,
        now: UnixMs,
    ) -> StoreResult<crate::tickets::CheckinOutcome>;
    /// Hands a ticket of `from` to the account with `email` (normalised); the old code is
    /// revoked and the recipient gets a new one.
    async fn transfer_ticket(
        &self,
        ticket: TicketId,
        from: UserId,
        email: &str,
        now: UnixMs,
    ) -> StoreResult<crate::tickets::TicketTransfer>;
    /// Retires the active signing key and makes a new one; its id.
    async fn rotate_ticket_key(&self, now: UnixMs) -> StoreResult<i64>;
    /// Gives a user another role.
    async fn set_role(&self, user: UserId, role: Role) -> StoreResult<User>;
}

/// What tests, load tools and benchmarks need of a store beyond the product's operations.
#[async_trait]
pub trait StoreTools: Send + Sync {
    /// Writes one batch of a generated catalog (`boxoffice seed`) in one transaction: rows with
    /// explicit ids, an `event` change per event, tickets for shows marked `inventory`. Only for
    /// loading an empty catalog; durability is relaxed until `bulk_finish` (see `ops/bulk.rs`).
    async fn bulk_load(&self, batch: BulkBatch, now: UnixMs) -> StoreResult<()>;
    /// Ends a bulk load: makes it durable, moves id sequences past the loaded ids, and returns
    /// the database size in bytes (SQLite: file plus WAL).
    async fn bulk_finish(&self) -> StoreResult<u64>;
    /// The naive search the index replaces — `LIKE '%term%'` over titles, descriptions and
    /// performer names — kept as the baseline the search benchmark measures against.
    async fn like_search(&self, term: &str, limit: i64) -> StoreResult<Vec<EventId>>;
    /// The books of one show: every oversell check reads this.
    async fn inventory_report(&self, show: ShowId, now: UnixMs) -> StoreResult<InventoryReport>;
    /// The negative control of the race tests: with the guard off, seats are claimed by a read
    /// in application code followed by an unconditional write — the race the guard prevents.
    #[cfg(feature = "test-hooks")]
    fn set_claim_guard(&self, on: bool);
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store the configuration names: PostgreSQL for `postgres://` URLs, otherwise the
/// SQLite file `boxoffice.db` in the data folder.
pub async fn open(database_url: Option<&str>, data_dir: &std::path::Path) -> StoreResult<DynStore> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PgStore::connect(url).await?))
        }
        Some(url) if url.starts_with("sqlite:") => Ok(Arc::new(SqliteStore::open_url(url).await?)),
        Some(other) => Err(StoreError::Internal(format!(
            "DATABASE_URL must start with postgres:// or sqlite: (got {})",
            other.split(':').next().unwrap_or("")
        ))),
        None => {
            std::fs::create_dir_all(data_dir).map_err(|e| {
                StoreError::Internal(format!(
                    "cannot create data folder {}: {e}",
                    data_dir.display()
                ))
            })?;
            Ok(Arc::new(
                SqliteStore::open(&data_dir.join("boxoffice.db")).await?,
            ))
        }
    }
}
