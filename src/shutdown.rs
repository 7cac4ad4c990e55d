//! Shutdown signalling for the background jobs (booking housekeeping, the mail worker, the
//! search indexer): one `watch` flag that `app.rs` sets to `true` when the server drains.
//!
//! It sits at the bottom of the crate so every service can take a [`Stop`] without knowing
//! about the others.

use tokio::sync::watch;

/// The sending side: `send(true)` stops every job that holds a [`Stop`] made from it.
pub type Trigger = watch::Sender<bool>;

/// What a background job watches to know when to return.
pub type Stop = watch::Receiver<bool>;

/// A new flag, not yet set.
pub fn trigger() -> Trigger {
    watch::channel(false).0
}

/// Resolves once the shutdown flag is set (or its sender is gone).
pub async fn stopped(stop: &mut Stop) {
    let _ = stop.wait_for(|v| *v).await;
}
