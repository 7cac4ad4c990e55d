//! The source of truth: one [`Store`] trait, with an embedded SQLite implementation and a
//! PostgreSQL one side by side, both passing the same conformance suite (`tests/store.rs`).
//!
//! Operations are shaped like use cases (`create_show`, `hold_seats`, …) and each runs in one
//! transaction, so every backend can lock in its own best way. Every catalog or inventory
//! change appends to the change feed in the same transaction (see [`Change`]).
//!
//! Most SQL is portable (`$n` placeholders, `RETURNING`, unix-millisecond integers) and lives
//! once in `sql.rs`; what differs per backend (connection set-up, how a write transaction
//! begins, schema types) lives in `sqlite.rs` and `postgres.rs`.

use crate::domain::catalog::*;
use crate::domain::users::{NewUser, Role, User};
use crate::domain::*;
use async_trait::async_trait;
use std::sync::Arc;

mod postgres;
mod sql;
mod sqlite;

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
    async fn performer(&self, id: PerformerId) -> StoreResult<Performer>;
    async fn cities(&self, now: UnixMs) -> StoreResult<Vec<City>>;
    async fn browse_events(&self, q: &BrowseQuery) -> StoreResult<Page<EventSummary>>;
    async fn event(&self, id: EventId, now: UnixMs) -> StoreResult<EventView>;
    async fn show(&self, id: ShowId, now: UnixMs) -> StoreResult<ShowView>;
    async fn seat_map(&self, id: ShowId, now: UnixMs) -> StoreResult<SeatMap>;
    /// Whether the catalog holds no venue yet (the demo loader only fills an empty store).
    async fn is_empty(&self) -> StoreResult<bool>;

    // Change feed -----------------------------------------------------------------------------
    /// Up to `limit` changes with `seq > after`, in order.
    async fn changes_after(&self, after: i64, limit: i64) -> StoreResult<Vec<Change>>;
    /// The newest sequence number, 0 when the feed is empty.
    async fn last_change(&self) -> StoreResult<i64>;
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
