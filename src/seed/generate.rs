//! Generated catalogs for benchmarks.

use crate::cli::Scale;
use crate::domain::UnixMs;
use crate::store::DynStore;

pub async fn generated(store: &DynStore, scale: Scale, now: UnixMs) -> anyhow::Result<()> {
    let _ = (store, scale, now);
    anyhow::bail!("not built yet")
}
