//! The change feed, the cursors of the consumers that follow it once per deployment, and the
//! sent-mail log that makes their deliveries happen once.

use super::super::exec::{q, Exec};
use super::super::{Change, StoreResult};
use crate::domain::UnixMs;

/// Up to `limit` changes with `seq > after`, in order.
pub async fn changes_after<C: Exec>(c: &mut C, after: i64, limit: i64) -> StoreResult<Vec<Change>> {
    let rows = q(
        "SELECT seq, at, topic, entity_id, show_id, payload FROM change_feed \
         WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Change {
                seq: r.get("seq")?,
                at: r.get("at")?,
                topic: r.get("topic")?,
                entity_id: r.get("entity_id")?,
                show_id: r.get("show_id")?,
                payload: r.get("payload")?,
            })
        })
        .collect()
}

/// The newest sequence number, 0 when the feed is empty.
pub async fn last_change<C: Exec>(c: &mut C) -> StoreResult<i64> {
    let seq: Option<i64> = q("SELECT MAX(seq) AS seq FROM change_feed")
        .scalar(c)
        .await?;
    Ok(seq.unwrap_or(0))
}

/// Takes (or renews) the lease on consumer `name` for `owner`; returns its cursor, or `None`
/// while another owner holds an unexpired lease.
pub async fn lease_consumer<C: Exec>(
    c: &mut C,
    name: &str,
    owner: &str,
    now: UnixMs,
    ttl_ms: i64,
) -> StoreResult<Option<i64>> {
    q(
        "INSERT INTO consumer_cursors (name, seq, lease_owner, lease_until) \
       VALUES ($1, 0, NULL, 0) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .execute(&mut *c)
    .await?;
    q(
        "UPDATE consumer_cursors SET lease_owner = $1, lease_until = $2 \
       WHERE name = $3 AND (lease_owner = $1 OR lease_owner IS NULL OR lease_until <= $4) \
       RETURNING seq",
    )
    .bind(owner)
    .bind(now + ttl_ms)
    .bind(name)
    .bind(now)
    .scalar_opt(c)
    .await
}

/// Moves the cursor of a consumer this owner leases; `false` if the lease was lost.
pub async fn advance_consumer<C: Exec>(
    c: &mut C,
    name: &str,
    owner: &str,
    seq: i64,
) -> StoreResult<bool> {
    let moved = q("UPDATE consumer_cursors SET seq = $1 WHERE name = $2 AND lease_owner = $3")
        .bind(seq)
        .bind(name)
        .bind(owner)
        .execute(c)
        .await?;
    Ok(moved == 1)
}

/// Gives up a lease (on shutdown), so another instance can take over at once.
pub async fn release_consumer<C: Exec>(c: &mut C, name: &str, owner: &str) -> StoreResult<()> {
    q(
        "UPDATE consumer_cursors SET lease_owner = NULL, lease_until = 0 \
       WHERE name = $1 AND lease_owner = $2",
    )
    .bind(name)
    .bind(owner)
    .execute(c)
    .await
    .map(drop)
}

pub async fn mail_sent<C: Exec>(c: &mut C, key: &str) -> StoreResult<bool> {
    let found: Option<String> = q("SELECT mail_key FROM sent_mail WHERE mail_key = $1")
        .bind(key)
        .scalar_opt(c)
        .await?;
    Ok(found.is_some())
}

pub async fn record_mail<C: Exec>(c: &mut C, key: &str, now: UnixMs) -> StoreResult<()> {
    q("INSERT INTO sent_mail (mail_key, sent_at) VALUES ($1, $2) \
       ON CONFLICT (mail_key) DO NOTHING")
    .bind(key)
    .bind(now)
    .execute(c)
    .await
    .map(drop)
}
