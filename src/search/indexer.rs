//! Keeps the search index in step with the store by following the change feed.
//!
//! On start, an index that is new, missing or was found corrupt is rebuilt from the store in
//! batches (the feed position is taken *before* reading, and changes made meanwhile are applied
//! again afterwards, which is harmless). Then the indexer polls the feed every
//! [`POLL`]: each change that touches an event (`event`, `show`) re-reads that event and
//! replaces its document, or deletes it when the event is cancelled. The feed cursor is saved
//! in the index's own commit, so a restart resumes where it stopped, and deleting the index
//! loses nothing.

use super::{EventDoc, SearchService};
use crate::domain::EventId;
use crate::feed::Follower;
use crate::store::{Change, DynStore};
use std::collections::BTreeSet;
use std::time::Duration;

/// How often the feed is polled; the bound on how stale search results are.
pub const POLL: Duration = Duration::from_millis(200);
const REBUILD_BATCH: i64 = 5_000;

async fn apply(
    service: &SearchService,
    upserts: Vec<EventDoc>,
    deletes: Vec<i64>,
    cursor: i64,
) -> anyhow::Result<()> {
    let service = service.clone();
    tokio::task::spawn_blocking(move || service.apply(upserts, deletes, cursor)).await??;
    Ok(())
}

/// The store's listings of `ids`, as index documents.
async fn listings(store: &DynStore, ids: &[EventId]) -> anyhow::Result<Vec<EventDoc>> {
    let listings = store.event_listings(ids).await?;
    Ok(listings.into_iter().map(EventDoc::from).collect())
}

/// Re-reads the given events and writes them to the index with `cursor`.
async fn refresh(
    store: &DynStore,
    service: &SearchService,
    ids: BTreeSet<i64>,
    cursor: i64,
) -> anyhow::Result<()> {
    let wanted: Vec<EventId> = ids.iter().copied().map(EventId::new).collect();
    let docs = listings(store, &wanted).await?;
    let found: BTreeSet<i64> = docs.iter().map(|d| d.event_id).collect();
    let deletes = ids.difference(&found).copied().collect();
    apply(service, docs, deletes, cursor).await
}

/// Indexes every event in the store. The index is settled (merged) when this returns, also
/// when loading failed part way.
pub async fn rebuild(store: &DynStore, service: &SearchService) -> anyhow::Result<u64> {
    let started = std::time::Instant::now();
    service.index().begin_bulk_load()?;
    let loaded = load_all(store, service).await;
    let index = service.index().clone();
    tokio::task::spawn_blocking(move || index.end_bulk_load()).await??;
    let indexed = loaded?;
    tracing::info!(
        indexed,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "search index rebuilt"
    );
    Ok(indexed)
}

async fn load_all(store: &DynStore, service: &SearchService) -> anyhow::Result<u64> {
    let cursor = store.last_change().await?;
    let mut after = EventId::new(0);
    let mut indexed = 0;
    loop {
        let ids = store.event_ids_after(after, REBUILD_BATCH).await?;
        let Some(last) = ids.last().copied() else {
            break;
        };
        let docs = listings(store, &ids).await?;
        indexed += docs.len() as u64;
        // The saved cursor stays where it was until the last batch is in.
        apply(service, docs, Vec::new(), service.index().cursor()).await?;
        after = last;
    }
    apply(service, Vec::new(), Vec::new(), cursor).await?;
    Ok(indexed)
}

/// The events a change touches.
pub(crate) fn touched(change: &Change) -> Option<i64> {
    match change.topic.as_str() {
        "event" => Some(change.entity_id),
        "show" => serde_json::from_str::<serde_json::Value>(&change.payload)
            .ok()?
            .get("event_id")?
            .as_str()?
            .parse()
            .ok(),
        _ => None,
    }
}

/// One pass over what the feed holds now. Returns the number of changes consumed.
pub async fn catch_up(
    store: &DynStore,
    service: &SearchService,
    follower: &mut Follower,
) -> anyhow::Result<usize> {
    let mut consumed = 0;
    loop {
        let changes = follower.next(1_000).await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok(consumed);
        };
        let ids: BTreeSet<i64> = changes.iter().filter_map(touched).collect();
        refresh(store, service, ids, last).await?;
        follower.advance(last);
        consumed += changes.len();
    }
}

/// Rebuilds if needed, then follows the feed until `stop` fires.
pub async fn run(
    store: DynStore,
    service: SearchService,
    needs_rebuild: bool,
    mut stop: crate::shutdown::Stop,
) {
    if needs_rebuild {
        if let Err(e) = rebuild(&store, &service).await {
            tracing::error!(error = %e, "search index rebuild failed; following the feed from the start");
        }
    }
    let mut follower = Follower::new(store.clone(), service.index().cursor());
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = catch_up(&store, &service, &mut follower).await {
                    tracing::warn!(error = %e, "search indexing failed; will retry");
                    follower = Follower::new(store.clone(), service.index().cursor());
                }
            }
            () = crate::shutdown::stopped(&mut stop) => return,
        }
    }
}
