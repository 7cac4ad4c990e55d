//! Start-up and shutdown: open the store, migrate, bind, serve until a signal arrives, then
//! drain in-flight requests and stop background tasks.

use crate::booking::BookingService;
use crate::clock::Clock;
use crate::config::Config;
use crate::http::{router, AppState};
use crate::notify::{MailFolder, MailTransport, Notifier, Smtp};
use crate::payments::stripe::{StripeConfig, StripeProvider};
use crate::payments::test_provider::TestProvider;
use crate::payments::{PaymentProvider, Payments};
use crate::search::{OpenOutcome, SearchIndex, SearchService};
use crate::seatmap::SeatHub;
use crate::shutdown;
use crate::store::{self, DynStore};
use crate::surge::memory::MemoryQueue;
use crate::surge::queue::QueueBackend;
use crate::surge::redis::RedisQueue;
use crate::surge::WaitingRoom;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;

/// The Prometheus recorder is process-global; every application in the process shares it.
pub fn metrics_handle() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: OnceLock<metrics_exporter_prometheus::PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ];
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&buckets)
                .unwrap_or_else(|_| metrics_exporter_prometheus::PrometheusBuilder::new())
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (e.g. by an embedding program); then
            // this handle simply renders nothing.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Payments still pending this long are looked up at the provider.
const RECONCILE_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

/// How long a stopping server waits for requests in flight before it cuts them off.
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Seat changes a live seat-map client may fall behind by before it is closed.
const SEAT_QUEUE: usize = 1_024;
/// Seat changes kept per show, so reconnecting clients get exactly what they missed.
const SEAT_BACKLOG: usize = 4_096;

/// The payment providers this deployment offers: Stripe when configured, and otherwise the
/// test provider (its webhooks come back to this server). A deployment that takes real money
/// never also takes the test cards.
fn payment_providers(config: &Config, addr: SocketAddr) -> anyhow::Result<Payments> {
    let provider: Arc<dyn PaymentProvider> = match &config.stripe {
        Some(stripe) => {
            let mut settings =
                StripeConfig::new(stripe.secret_key.expose(), stripe.webhook_secret.expose());
            if let Some(base) = &stripe.api_base {
                settings = settings.with_base_url(base.clone());
            }
            Arc::new(StripeProvider::new(settings).map_err(|e| anyhow::anyhow!("stripe: {e}"))?)
        }
        None => Arc::new(TestProvider::new(
            config.webhook_secret.expose().as_bytes().to_vec(),
            Some(format!("http://{addr}")),
            config.test_payment_delay,
        )),
    };
    Ok(Payments::new(vec![provider]))
}

/// A built application: store open and migrated, socket bound, not yet serving.
pub struct Application {
    listener: TcpListener,
    /// The search index was new or unreadable and must be rebuilt from the store.
    search_rebuild: bool,
    state: AppState,
    shutdown: shutdown::Trigger,
}

impl Application {
    pub async fn build(config: Config, clock: Clock) -> anyhow::Result<Self> {
        let store = store::open(config.database_url.as_deref(), &config.data_dir).await?;
        store.migrate().await?;
        Self::with_store(config, clock, store).await
    }

    pub async fn with_store(config: Config, clock: Clock, store: DynStore) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let payments = Arc::new(payment_providers(&config, addr)?);
        let booking = BookingService::new(store.clone(), payments, clock.clone());
        let (index, opened) = SearchIndex::open(&config.data_dir.join("search"))?;
        if let OpenOutcome::Rebuilt { reason } = &opened {
            tracing::warn!(%reason, "the search index was unreadable; rebuilding it from the store");
        }
        let queue: Arc<dyn QueueBackend> = match &config.redis_url {
            Some(url) => Arc::new(
                RedisQueue::connect(url, &config.redis_prefix)
                    .map_err(|e| anyhow::anyhow!("REDIS_URL: {e}"))?,
            ),
            None => Arc::new(MemoryQueue::new()),
        };
        let signer = match &config.room_secret {
            Some(secret) => crate::surge::token::Signer::new(secret.expose().as_bytes()),
            None => WaitingRoom::shared_signer(&store, clock.now_ms()).await?,
        };
        let room = WaitingRoom::new(
            store.clone(),
            clock.clone(),
            queue,
            signer,
            config.room.clone(),
        );
        let state = AppState {
            room,
            reads: crate::reads::Reads::new(store.clone(), clock.now_ms()),
            search: SearchService::new(index),
            store,
            clock,
            config: Arc::new(config),
            metrics: metrics_handle(),
            booking,
            sessions: crate::http::session_cache(),
            seats: SeatHub::new(SEAT_QUEUE, SEAT_BACKLOG),
        };
        let shutdown = shutdown::trigger();
        Ok(Self {
            listener,
            search_rebuild: opened.needs_full_reindex(),
            state,
            shutdown,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.config.addr)
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A handle that stops the server when sent `true` (tests use it instead of a signal).
    pub fn shutdown_handle(&self) -> shutdown::Trigger {
        self.shutdown.clone()
    }

    /// Serves until SIGINT/SIGTERM or the shutdown handle fires, then drains.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let mut stop = self.shutdown.subscribe();
        let app = router(self.state.clone());
        let seats_from = crate::feed::settled_end(&self.state.store).await?;
        self.state.seats.start_at(seats_from);
        let jobs = tokio::spawn(self.state.booking.clone().run_jobs(
            self.state.config.housekeeping_every,
            RECONCILE_AFTER,
            self.shutdown.subscribe(),
        ));
        let config = &self.state.config;
        let transport: Arc<dyn MailTransport> = match &config.smtp_url {
            Some(url) => Arc::new(Smtp::from_url(url.expose())?),
            None => Arc::new(MailFolder::new(config.data_dir.join("mail"))),
        };
        let notifier = Notifier::new(
            self.state.store.clone(),
            transport,
            self.state.clock.clone(),
            config.mail_from.clone(),
        );
        let mailer =
            tokio::spawn(notifier.run(config.housekeeping_every, self.shutdown.subscribe()));
        let seat_feed = tokio::spawn(crate::seatmap::run(
            self.state.store.clone(),
            self.state.seats.clone(),
            self.shutdown.subscribe(),
        ));
        let indexer = tokio::spawn(crate::search::indexer::run(
            self.state.store.clone(),
            self.state.search.clone(),
            self.search_rebuild,
            self.shutdown.subscribe(),
        ));
        let pacer = tokio::spawn(self.state.room.clone().run(self.shutdown.subscribe()));
        let reads = tokio::spawn(crate::reads::run(
            self.state.reads.clone(),
            self.state.clock.clone(),
            self.shutdown.subscribe(),
        ));
        let seats = self.state.seats.clone();
        let room = self.state.room.clone();
        let (draining, drain_started) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            tokio::select! {
                () = os_signal() => {},
                () = shutdown::stopped(&mut stop) => {},
            }
            tracing::info!("shutting down: draining in-flight requests");
            // Live seat-map streams never end by themselves: end them so the drain can finish.
            seats.close();
            room.close();
            let _ = draining.send(());
        };
        let serve = axum::serve(self.listener, app.into_make_service())
            .with_graceful_shutdown(signal)
            .into_future();
        tokio::select! {
            served = serve => served?,
            () = async {
                if drain_started.await.is_ok() {
                    tokio::time::sleep(DRAIN_LIMIT).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => tracing::warn!(
                limit_s = DRAIN_LIMIT.as_secs(),
                "requests still running at the drain limit were cut off"
            ),
        }
        let _ = self.shutdown.send(true);
        let _ = jobs.await;
        let _ = mailer.await;
        let _ = indexer.await;
        let _ = seat_feed.await;
        let _ = pacer.await;
        let _ = reads.await;
        Ok(())
    }
}

async fn os_signal() {
    {
        let ctrl_c = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = term => {},
        }
    }
}
