//! Configuration, read once from the environment into a validated [`Config`].
//!
//! Every setting has a default that works on a fresh machine: the embedded SQLite store in
//! `./data`, listening on `127.0.0.1:8080`. Secrets are wrapped in [`Secret`] so they never
//! appear in logs or debug output.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A value that must not be printed.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `BOXOFFICE_ADDR`; port 0 picks a free port.
    pub addr: SocketAddr,
    /// `BOXOFFICE_DATA_DIR`: SQLite file, search index and mail folder.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: `postgres://…` for PostgreSQL, unset for SQLite in the data folder.
    pub database_url: Option<String>,
    /// `REDIS_URL`: shared waiting room, rate limits and fan-out across instances.
    pub redis_url: Option<String>,
    /// `BOXOFFICE_PAYMENTS_WEBHOOK_SECRET`: signs and verifies test-provider webhooks.
    pub webhook_secret: Secret,
    /// `BOXOFFICE_SESSION_TTL_HOURS`: how long a login lasts (default 720 = 30 days).
    pub session_ttl: Duration,
    /// `BOXOFFICE_REQUEST_TIMEOUT_SECS`: requests taking longer get 408 (default 30).
    pub request_timeout: Duration,
    /// `BOXOFFICE_MAX_IN_FLIGHT`: requests this instance works on at once (event streams and
    /// health checks aside); more get 503 with `Retry-After` at once (default 512).
    pub max_in_flight: usize,
    /// `BOXOFFICE_TEST_PAYMENT_DELAY_MS`: how long the test provider's delayed card
    /// (4000000000000077) takes to settle (default 2000).
    pub test_payment_delay: Duration,
    /// `BOXOFFICE_STRIPE_SECRET_KEY` (+ `BOXOFFICE_STRIPE_WEBHOOK_SECRET`,
    /// `BOXOFFICE_STRIPE_API_BASE`): enables the `stripe` provider. With
    /// `BOXOFFICE_STRIPE_PUBLISHABLE_KEY` the checkout page takes cards in Stripe's Payment
    /// Element (`BOXOFFICE_STRIPE_JS_URL`, default Stripe.js v3, names the script).
    pub stripe: Option<StripeSettings>,
    /// `BOXOFFICE_SMTP_URL` (e.g. `smtp://localhost:25`) and `BOXOFFICE_MAIL_FROM`: send mail by
    /// SMTP; without a URL, mail is written as `.eml` files to `<data dir>/mail`.
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    /// `BOXOFFICE_HOUSEKEEPING_MS`: how often holds are expired and payments reconciled
    /// (default 1000).
    pub housekeeping_every: Duration,
    /// `BOXOFFICE_LOG_FORMAT`: `json` for one JSON object per line, otherwise human-readable.
    pub log_json: bool,
    /// `BOXOFFICE_REDIS_PREFIX` (default `boxoffice`): keeps deployments sharing a Redis apart.
    pub redis_prefix: String,
    /// `BOXOFFICE_ROOM_SECRET`: the waiting room's signing key (queue tokens, admissions, the
    /// pre-queue draw). Unset, the instances share one they keep in the database.
    pub room_secret: Option<Secret>,
    /// `BOXOFFICE_ROOM_TICK_MS` (default 500), `BOXOFFICE_ROOM_SURGE_RATE` (hold attempts per
    /// second for one show that turn its waiting room on; default 500, 0 never) and
    /// `BOXOFFICE_ROOM_SEATS_PER_BUYER` (default 2).
    pub room: crate::surge::RoomConfig,
}

#[derive(Debug, Clone)]
pub struct StripeSettings {
    pub secret_key: Secret,
    pub webhook_secret: Secret,
    pub api_base: Option<String>,
    /// `pk_…`: lets Stripe.js in the buyer's browser collect the card. Without it the checkout
    /// page asks for a PaymentMethod id, which only suits testing.
    pub publishable_key: Option<String>,
    /// Where pages load Stripe.js from.
    pub js_url: String,
}

/// Stripe.js, which Stripe requires to be loaded from its own site.
pub const STRIPE_JS_URL: &str = "https://js.stripe.com/v3/";

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name} {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|_| ConfigError {
            name,
            message: format!("must be a whole number, got {raw:?}"),
        }),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let addr = var("BOXOFFICE_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let addr = addr.parse().map_err(|_| ConfigError {
            name: "BOXOFFICE_ADDR",
            message: format!("must be host:port such as 127.0.0.1:8080, got {addr:?}"),
        })?;
        Ok(Self {
            addr,
            data_dir: var("BOXOFFICE_DATA_DIR")
                .map_or_else(|| PathBuf::from("data"), PathBuf::from),
            database_url: var("DATABASE_URL"),
            redis_url: var("REDIS_URL"),
            webhook_secret: Secret::new(
                var("BOXOFFICE_PAYMENTS_WEBHOOK_SECRET")
                    .unwrap_or_else(|| "whsec_boxoffice_local_test_secret".into()),
            ),
            session_ttl: Duration::from_secs(number("BOXOFFICE_SESSION_TTL_HOURS", 720)? * 3600),
            request_timeout: Duration::from_secs(number("BOXOFFICE_REQUEST_TIMEOUT_SECS", 30)?),
            max_in_flight: usize::try_from(number("BOXOFFICE_MAX_IN_FLIGHT", 512)?)
                .unwrap_or(usize::MAX)
                .max(1),
            test_payment_delay: Duration::from_millis(number(
                "BOXOFFICE_TEST_PAYMENT_DELAY_MS",
                2000,
            )?),
            stripe: var("BOXOFFICE_STRIPE_SECRET_KEY").map(|key| StripeSettings {
                secret_key: Secret::new(key),
                webhook_secret: Secret::new(
                    var("BOXOFFICE_STRIPE_WEBHOOK_SECRET").unwrap_or_default(),
                ),
                api_base: var("BOXOFFICE_STRIPE_API_BASE"),
                publishable_key: var("BOXOFFICE_STRIPE_PUBLISHABLE_KEY"),
                js_url: var("BOXOFFICE_STRIPE_JS_URL").unwrap_or_else(|| STRIPE_JS_URL.into()),
            }),
            smtp_url: var("BOXOFFICE_SMTP_URL").map(Secret::new),
            mail_from: var("BOXOFFICE_MAIL_FROM")
                .unwrap_or_else(|| "Box Office <tickets@boxoffice.local>".into()),
            housekeeping_every: Duration::from_millis(
                number("BOXOFFICE_HOUSEKEEPING_MS", 1000)?.max(10),
            ),
            log_json: var("BOXOFFICE_LOG_FORMAT").is_some_and(|f| f == "json"),
            redis_prefix: var("BOXOFFICE_REDIS_PREFIX").unwrap_or_else(|| "boxoffice".into()),
            room_secret: var("BOXOFFICE_ROOM_SECRET").map(Secret::new),
            room: crate::surge::RoomConfig {
                tick: Duration::from_millis(number("BOXOFFICE_ROOM_TICK_MS", 500)?.max(10)),
                surge_rate: number("BOXOFFICE_ROOM_SURGE_RATE", 500)?,
                seats_per_buyer: number("BOXOFFICE_ROOM_SEATS_PER_BUYER", 2)?.clamp(1, 50) as i64,
            },
        })
    }

    /// A configuration for tests and tools: SQLite in `data_dir`, a free port.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url: None,
            redis_url: None,
            webhook_secret: Secret::new("whsec_boxoffice_local_test_secret"),
            session_ttl: Duration::from_secs(720 * 3600),
            request_timeout: Duration::from_secs(30),
            max_in_flight: 512,
            test_payment_delay: Duration::from_millis(300),
            stripe: None,
            smtp_url: None,
            mail_from: "Box Office <tickets@boxoffice.local>".into(),
            housekeeping_every: Duration::from_millis(200),
            log_json: false,
            redis_prefix: "boxoffice".into(),
            room_secret: None,
            // Tests turn the surge detection on where they test it.
            room: crate::surge::RoomConfig {
                tick: Duration::from_millis(100),
                surge_rate: 0,
                ..Default::default()
            },
        }
    }
}
