//! The read side that holds a crowd: the city list, browse pages, event views and seat maps
//! answered from memory, kept current by one follower of the change feed per instance.
//!
//! - **Browse** ([`browse::Catalog`]): every listed event in memory, indexed by show start, with
//!   maintained city counts. Pages and the city list are rendered once per catalog version (and
//!   per normalised `from`, see [`browse::Catalog::normalise`]) and kept with their ETag.
//! - **Snapshots**: an event view or a seat map is read from the store once and kept, rendered,
//!   until the follower sees a change to it, or until the first live hold in it expires (a hold
//!   past its expiry reads as available at once, with no change written: the snapshot knows when
//!   that happens). A snapshot sits in its slot before the store is read, and the follower
//!   removes the slot when it sees a change, so a read that raced a change never stays behind.
//! - **Read your writes.** The follower wakes on every commit of this instance
//!   ([`Store::written`]) and records the last commit it has caught up with. A read first waits
//!   (briefly) until the follower has caught up with every commit made before it began, so a
//!   buyer who has just held seats sees them held. Other instances' changes arrive within a
//!   poll ([`POLL_EVERY`]).
//!
//! Until the catalog is loaded (a start on a large catalog takes a while), or when the follower
//! falls behind, reads go to the store, which answers the same, only slower; `/readyz` says not
//! ready until the load is done.

pub mod browse;

use crate::domain::catalog::{BrowseQuery, City, EventSummary, EventView, SeatMap};
use crate::domain::{EventId, ShowId, UnixMs};
use crate::feed::Follower;
use crate::shutdown::{self, Stop};
use crate::store::{Change, DynStore, Page, StoreResult};
use browse::Catalog;
use bytes::Bytes;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{watch, OnceCell};

/// How often the follower reads the feed when this instance writes nothing.
pub const POLL_EVERY: Duration = Duration::from_millis(200);
/// How long a read waits for the follower before it asks the store instead.
const CATCH_UP_WAIT: Duration = Duration::from_secs(1);
const LOAD_BATCH: i64 = 5_000;
/// Browse pages kept per catalog version.
const MAX_PAGES: usize = 2_048;
/// Event views and seat maps kept (the hot ones: what is on sale and being looked at).
const EVENT_SNAPSHOTS: u64 = 20_000;
const SEAT_MAP_SNAPSHOTS: u64 = 2_048;

/// A response body rendered once: its JSON, ETag, and compressed forms made on first demand.
pub struct Rendered<T> {
    pub value: T,
    json: Bytes,
    etag: String,
    /// The instant from which this snapshot no longer holds (a hold in it expires).
    valid_until: UnixMs,
    gzip: OnceCell<Bytes>,
    br: OnceCell<Bytes>,
}

/// A compressed representation a client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    pub fn name(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }
}

/// Bodies shorter than this go out as they are.
const COMPRESS_FROM: usize = 1024;

/// The weak ETag of a body: every response of the service names its version this way.
pub fn etag_of(body: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body);
    format!("W/\"{}\"", hex::encode(&digest[..12]))
}

impl<T: Serialize> Rendered<T> {
    fn new(value: T, valid_until: UnixMs) -> StoreResult<Self> {
        let json = serde_json::to_vec(&value)
            .map_err(|e| crate::store::StoreError::Internal(format!("rendering JSON: {e}")))?;
        Ok(Self {
            value,
            etag: etag_of(&json),
            json: Bytes::from(json),
            valid_until,
            gzip: OnceCell::new(),
            br: OnceCell::new(),
        })
    }
}

impl<T> Rendered<T> {
    pub fn etag(&self) -> &str {
        &self.etag
    }

    /// The body in `encoding` (compressed once, off the async threads, then shared), or as
    /// JSON when it is too small to be worth it; with the encoding actually used.
    pub async fn body(&self, encoding: Encoding) -> (Bytes, Encoding) {
        if self.json.len() < COMPRESS_FROM {
            return (self.json.clone(), Encoding::Identity);
        }
        let (cell, compress): (_, fn(&[u8]) -> Bytes) = match encoding {
            Encoding::Identity => return (self.json.clone(), Encoding::Identity),
            Encoding::Gzip => (&self.gzip, gzip),
            Encoding::Brotli => (&self.br, brotli),
        };
        let json = self.json.clone();
        let packed = cell
            .get_or_init(|| async move {
                let raw = json.clone();
                tokio::task::spawn_blocking(move || compress(&raw))
                    .await
                    .unwrap_or(json)
            })
            .await;
        if packed.len() >= self.json.len() {
            // Compression failed (or gained nothing): send it as it is.
            return (self.json.clone(), Encoding::Identity);
        }
        (packed.clone(), encoding)
    }
}

fn gzip(data: &[u8]) -> Bytes {
    use std::io::Write;
    let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = out.write_all(data);
    Bytes::from(out.finish().unwrap_or_default())
}

fn brotli(data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() / 4);
    let params = ::brotli::enc::BrotliEncoderParams {
        quality: 5,
        lgwin: 22,
        ..Default::default()
    };
    let mut input = data;
    // Reading from a slice and writing to a Vec cannot fail.
    let _ = ::brotli::BrotliCompress(&mut input, &mut out, &params);
    Bytes::from(out)
}

/// The JSON of `GET /api/v1/cities`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CityList {
    pub items: Vec<City>,
}

/// The JSON of `GET /api/v1/events` (a browse page).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventPage {
    pub items: Vec<EventSummary>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl EventPage {
    fn new(page: Page<EventSummary>, q: &BrowseQuery) -> Self {
        Self {
            items: page.items,
            total: page.total,
            page: q.page,
            per_page: q.per_page,
        }
    }
}

/// A browse page's cache key: the query with `from` normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PageKey {
    city: Option<String>,
    category: Option<String>,
    from: i64,
    to: Option<i64>,
    page: i64,
    per_page: i64,
}

/// What a catalog version has rendered.
#[derive(Default)]
struct Renders {
    version: u64,
    pages: HashMap<PageKey, Arc<Rendered<EventPage>>>,
    /// Pages being computed: a burst of requests for one page not cached computes it once.
    computing: HashMap<PageKey, Slot<EventPage>>,
    /// The total of each query (its key at page 0), shared by its pages.
    totals: HashMap<PageKey, i64>,
    /// The city list with the normalised instant it holds for.
    cities: Option<(i64, Arc<Rendered<CityList>>)>,
}

/// A snapshot's place in its cache: filled once by the first reader.
type Slot<T> = Arc<OnceCell<Arc<Rendered<T>>>>;

struct Inner {
    store: DynStore,
    catalog: RwLock<(u64, Catalog)>,
    loaded: AtomicBool,
    rendered: Mutex<Renders>,
    /// Browse pages computed (not served from the cache) since start.
    pages_computed: std::sync::atomic::AtomicU64,
    events: moka::sync::Cache<i64, Slot<EventView>>,
    seat_maps: moka::sync::Cache<i64, Slot<SeatMap>>,
    /// The event of every show a change has named, to drop its view on a seat change (the
    /// follower's own: it looks up the shows it has not seen before).
    show_events: Mutex<HashMap<i64, i64>>,
    /// Whether the follower's last step succeeded; while not, reads go to the store at once.
    healthy: AtomicBool,
    /// This instance's commits, and the last of them the follower has caught up with.
    written: watch::Receiver<u64>,
    applied: watch::Sender<u64>,
}

/// The read side (see the module comment). Cheap to clone.
#[derive(Clone)]
pub struct Reads(Arc<Inner>);

/// A cache of at most `entries` snapshots. (Counted, not weighed: a slot is cached before
/// it is filled, so its size is not known when the cache would weigh it.)
fn snapshot_cache<T: Send + Sync + 'static>(entries: u64) -> moka::sync::Cache<i64, Slot<T>> {
    moka::sync::Cache::new(entries)
}

impl Reads {
    pub fn new(store: DynStore, now: UnixMs) -> Self {
        let written = store.written();
        Self(Arc::new(Inner {
            store,
            catalog: RwLock::new((0, Catalog::new(now))),
            loaded: AtomicBool::new(false),
            rendered: Mutex::new(Renders::default()),
            pages_computed: std::sync::atomic::AtomicU64::new(0),
            // An event view is a few KiB; a seat map of 2,000 seats about 60 KiB as JSON.
            events: snapshot_cache(EVENT_SNAPSHOTS),
            seat_maps: snapshot_cache(SEAT_MAP_SNAPSHOTS),
            show_events: Mutex::new(HashMap::new()),
            healthy: AtomicBool::new(true),
            written,
            applied: watch::channel(0).0,
        }))
    }

    /// How many browse pages were computed rather than served from the cache.
    pub fn pages_computed(&self) -> u64 {
        self.0.pages_computed.load(Ordering::Relaxed)
    }

    /// Whether the catalog has been loaded into memory.
    pub fn ready(&self) -> bool {
        self.0.loaded.load(Ordering::Acquire)
    }

    /// Waits until the follower has caught up with every commit of this instance made before
    /// now; `false` when it is not loaded or takes too long (then the caller asks the store).
    pub async fn caught_up(&self) -> bool {
        if !self.ready() || !self.0.healthy.load(Ordering::Relaxed) {
            return false;
        }
        let target = *self.0.written.borrow();
        if *self.0.applied.borrow() >= target {
            return true;
        }
        let mut applied = self.0.applied.subscribe();
        tokio::time::timeout(CATCH_UP_WAIT, applied.wait_for(|&a| a >= target))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    fn catalog(&self) -> std::sync::RwLockReadGuard<'_, (u64, Catalog)> {
        self.0.catalog.read().unwrap_or_else(|e| e.into_inner())
    }

    fn catalog_mut(&self) -> std::sync::RwLockWriteGuard<'_, (u64, Catalog)> {
        self.0.catalog.write().unwrap_or_else(|e| e.into_inner())
    }

    /// What catalog version `version` has rendered. Called with the catalog read guard held,
    /// so `version` is the newest there is: older renders are dropped, never newer ones.
    fn rendered(&self, version: u64) -> std::sync::MutexGuard<'_, Renders> {
        let mut r = self.0.rendered.lock().unwrap_or_else(|e| e.into_inner());
        if r.version < version {
            *r = Renders {
                version,
                ..Renders::default()
            };
        }
        r
    }

    /// `GET /api/v1/cities` at `now`.
    pub async fn cities(&self, now: UnixMs) -> StoreResult<Arc<Rendered<CityList>>> {
        if self.caught_up().await {
            return self.cities_from_memory(now);
        }
        let items = self.0.store.cities(now).await?;
        Ok(Arc::new(Rendered::new(CityList { items }, UnixMs::MAX)?))
    }

    fn cities_from_memory(&self, now: UnixMs) -> StoreResult<Arc<Rendered<CityList>>> {
        let guard = self.catalog();
        let (version, catalog) = (guard.0, &guard.1);
        let at = catalog.normalise_cities(now);
        if let Some((held, cities)) = &self.rendered(version).cities {
            if *held == at {
                return Ok(cities.clone());
            }
        }
        let cities = Arc::new(Rendered::new(
            CityList {
                items: catalog.cities(now),
            },
            UnixMs::MAX,
        )?);
        self.rendered(version).cities = Some((at, cities.clone()));
        Ok(cities)
    }

    /// `GET /api/v1/events`: a browse page.
    pub async fn browse(&self, q: &BrowseQuery) -> StoreResult<Arc<Rendered<EventPage>>> {
        if self.caught_up().await {
            let slot = match self.cached_page(q) {
                Ok(page) => return Ok(page),
                Err(slot) => slot,
            };
            // A page not cached may walk many shows: once, however many ask for it at the same
            // time, and off the async threads, so the requests the cache answers go on.
            let (reads, q) = (self.clone(), q.clone());
            let compute = || async move {
                tokio::task::spawn_blocking(move || reads.browse_from_memory(&q))
                    .await
                    .map_err(|e| crate::store::StoreError::Internal(format!("browse task: {e}")))?
            };
            return slot.get_or_try_init(compute).await.cloned();
        }
        let page = self.0.store.browse_events(q).await?;
        Ok(Arc::new(Rendered::new(
            EventPage::new(page, q),
            UnixMs::MAX,
        )?))
    }

    /// A browse page's cache key in `catalog`.
    fn page_key(catalog: &Catalog, q: &BrowseQuery) -> PageKey {
        PageKey {
            city: q.city.as_ref().map(|c| c.to_lowercase()),
            category: q.category.clone(),
            from: catalog.normalise(q.from),
            to: q.to.map(|to| catalog.normalise(to)),
            page: q.page,
            per_page: q.per_page,
        }
    }

    /// The page when it is cached for the catalog's current version, or else the slot that
    /// whoever computes it first fills.
    fn cached_page(&self, q: &BrowseQuery) -> Result<Arc<Rendered<EventPage>>, Slot<EventPage>> {
        let guard = self.catalog();
        let key = Self::page_key(&guard.1, q);
        let mut rendered = self.rendered(guard.0);
        match rendered.pages.get(&key) {
            Some(page) => Ok(page.clone()),
            None => Err(rendered.computing.entry(key).or_default().clone()),
        }
    }

    fn browse_from_memory(&self, q: &BrowseQuery) -> StoreResult<Arc<Rendered<EventPage>>> {
        let guard = self.catalog();
        let (version, catalog) = (guard.0, &guard.1);
        let key = Self::page_key(catalog, q);
        let totals_key = PageKey {
            page: 0,
            per_page: 0,
            ..key.clone()
        };
        let known_total = {
            let rendered = self.rendered(version);
            if let Some(page) = rendered.pages.get(&key) {
                return Ok(page.clone());
            }
            rendered.totals.get(&totals_key).copied()
        };
        self.0.pages_computed.fetch_add(1, Ordering::Relaxed);
        let page = catalog.browse(q, known_total);
        let total = page.total;
        let page = Arc::new(Rendered::new(EventPage::new(page, q), UnixMs::MAX)?);
        let mut rendered = self.rendered(version);
        if rendered.pages.len() >= MAX_PAGES {
            rendered.pages.clear();
            rendered.totals.clear();
        }
        rendered.computing.remove(&key);
        rendered.pages.insert(key, page.clone());
        rendered.totals.insert(totals_key, total);
        Ok(page)
    }

    /// `GET /api/v1/events/{id}` at `now`.
    pub async fn event(&self, id: EventId, now: UnixMs) -> StoreResult<Arc<Rendered<EventView>>> {
        let store = self.0.store.clone();
        let load = || async move {
            let view = store.event(id, now).await?;
            let shows: Vec<ShowId> = view.shows.iter().map(|s| s.id).collect();
            let until = store.next_hold_expiry(&shows, now).await?;
            Rendered::new(view, until.unwrap_or(UnixMs::MAX))
        };
        self.snapshot(&self.0.events, id.get(), now, load).await
    }

    /// `GET /api/v1/shows/{id}/seats` at `now`.
    pub async fn seat_map(&self, id: ShowId, now: UnixMs) -> StoreResult<Arc<Rendered<SeatMap>>> {
        let store = self.0.store.clone();
        let load = || async move {
            let map = store.seat_map(id, now).await?;
            let until = store.next_hold_expiry(&[id], now).await?;
            Rendered::new(map, until.unwrap_or(UnixMs::MAX))
        };
        self.snapshot(&self.0.seat_maps, id.get(), now, load).await
    }

    /// The snapshot of `key` in `cache`, loaded when missing or past its validity.
    async fn snapshot<T, F, Fut>(
        &self,
        cache: &moka::sync::Cache<i64, Slot<T>>,
        key: i64,
        now: UnixMs,
        load: F,
    ) -> StoreResult<Arc<Rendered<T>>>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = StoreResult<Rendered<T>>>,
    {
        if !self.caught_up().await {
            return load().await.map(Arc::new);
        }
        let mut slot = cache.get_with(key, Slot::default);
        if slot.get().is_some_and(|r| r.valid_until <= now) {
            slot = Slot::default();
            cache.insert(key, slot.clone());
        }
        let mut fresh = Some(load);
        let rendered = slot
            .get_or_try_init(|| async {
                match fresh.take() {
                    Some(load) => load().await.map(Arc::new),
                    None => Err(crate::store::StoreError::Internal("loaded twice".into())),
                }
            })
            .await?
            .clone();
        if rendered.valid_until <= now {
            // Another reader's load, from before a hold in it lapsed at `now`.
            if let Some(load) = fresh.take() {
                return load().await.map(Arc::new);
            }
        }
        Ok(rendered)
    }

    /// Applies one batch of changes: re-reads the events they touch into the catalog and drops
    /// the snapshots they change.
    async fn apply(&self, changes: &[Change]) -> StoreResult<()> {
        let mut events: BTreeSet<i64> = BTreeSet::new();
        let mut places = false;
        let mut shows: BTreeSet<i64> = BTreeSet::new();
        for change in changes {
            match change.topic.as_str() {
                // Venues and performers are only ever created: that changes no event.
                "venue" => places = true,
                "event" => {
                    events.insert(change.entity_id);
                }
                "show" => {
                    events.extend(crate::search::indexer::touched(change));
                }
                _ => {}
            }
            if let Some(show) = change.show_id {
                shows.insert(show);
                self.0.seat_maps.invalidate(&show);
            }
        }
        // The events of the shows named: their views count the shows' seats.
        let unknown: Vec<i64> = {
            let known = self.0.show_events.lock().unwrap_or_else(|e| e.into_inner());
            shows
                .iter()
                .copied()
                .filter(|s| !known.contains_key(s))
                .collect()
        };
        let found = if unknown.is_empty() {
            Vec::new()
        } else {
            self.0.store.events_of_shows(&unknown).await?
        };
        {
            let mut known = self.0.show_events.lock().unwrap_or_else(|e| e.into_inner());
            known.extend(found);
            for show in &shows {
                if let Some(event) = known.get(show) {
                    self.0.events.invalidate(event);
                }
            }
        }
        for event in &events {
            self.0.events.invalidate(event);
        }
        if !places && events.is_empty() {
            return Ok(());
        }
        let ids: Vec<EventId> = events.iter().copied().map(EventId::new).collect();
        let mut entries = Vec::with_capacity(ids.len());
        for batch in ids.chunks(LOAD_BATCH as usize) {
            entries.extend(self.0.store.browse_entries(batch).await?);
        }
        let unknown_venue = {
            let catalog = self.catalog();
            entries.iter().any(|e| !catalog.1.knows_venue(e.venue_id))
        };
        let places = if places || unknown_venue {
            Some(self.0.store.places().await?)
        } else {
            None
        };
        let mut catalog = self.catalog_mut();
        if let Some(places) = places {
            catalog.1.set_places(places);
        }
        for id in &events {
            catalog.1.remove(*id);
        }
        for entry in entries {
            catalog.1.upsert(entry);
        }
        catalog.0 += 1;
        Ok(())
    }

    /// Loads the whole catalog; returns the feed position it reflects.
    async fn load(&self) -> StoreResult<i64> {
        let started = std::time::Instant::now();
        let store = &self.0.store;
        let cursor = crate::feed::settled_end(store).await?;
        let places = store.places().await?;
        self.catalog_mut().1.set_places(places);
        let mut after = EventId::new(0);
        loop {
            let ids = store.event_ids_after(after, LOAD_BATCH).await?;
            let Some(last) = ids.last().copied() else {
                break;
            };
            let entries = store.browse_entries(&ids).await?;
            let mut catalog = self.catalog_mut();
            for entry in entries {
                catalog.1.upsert(entry);
            }
            after = last;
        }
        let events = {
            let mut catalog = self.catalog_mut();
            catalog.0 += 1;
            catalog.1.len()
        };
        tracing::info!(
            events,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "browse catalog loaded"
        );
        Ok(cursor)
    }
}

/// Loads the catalog, then follows the change feed until `stop`. Wakes at once on this
/// instance's commits, and every [`POLL_EVERY`] for other instances'.
pub async fn run(reads: Reads, clock: crate::clock::Clock, mut stop: Stop) {
    let cursor = loop {
        tokio::select! {
            loaded = reads.load() => match loaded {
                Ok(cursor) => break cursor,
                Err(e) => tracing::warn!(error = %e, "loading the browse catalog failed; retrying"),
            },
            () = shutdown::stopped(&mut stop) => return,
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = shutdown::stopped(&mut stop) => return,
        }
    };
    let store = reads.0.store.clone();
    let mut follower = Follower::new(store.clone(), cursor);
    let mut written = store.written();
    loop {
        let seen = *written.borrow_and_update();
        let wait = match catch_up(&reads, &mut follower).await {
            Ok(()) => {
                reads.0.healthy.store(true, Ordering::Relaxed);
                // Ready once the changes made during the load are in too.
                reads.0.loaded.store(true, Ordering::Release);
                if !follower.at_gap() {
                    reads.0.applied.send_if_modified(|applied| {
                        let newer = *applied < seen;
                        *applied = (*applied).max(seen);
                        newer
                    });
                }
                // A gap on PostgreSQL is a transaction about to commit: look again soon.
                if follower.at_gap() {
                    Duration::from_millis(10)
                } else {
                    POLL_EVERY
                }
            }
            Err(e) => {
                reads.0.healthy.store(false, Ordering::Relaxed);
                tracing::warn!(error = %e, "reads: following the feed failed; retrying");
                Duration::from_secs(1)
            }
        };
        // The write lock only when a last show has started since (readers wait behind it).
        let now = clock.now_ms();
        if reads.catalog().1.needs_advance(now) {
            reads.catalog_mut().1.advance(now);
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            Ok(()) = written.changed() => {}
            () = shutdown::stopped(&mut stop) => return,
        }
    }
}

/// Applies everything the feed holds now.
async fn catch_up(reads: &Reads, follower: &mut Follower) -> StoreResult<()> {
    const BATCH: i64 = 1_000;
    loop {
        let changes = follower.next(BATCH).await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok(());
        };
        reads.apply(&changes).await?;
        follower.advance(last);
        if (changes.len() as i64) < BATCH {
            return Ok(());
        }
    }
}
