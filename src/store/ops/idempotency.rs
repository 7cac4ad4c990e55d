//! Idempotency keys: the first response to a key is stored and replayed to every retry.

use super::super::exec::{q, Exec};
use super::super::{IdempotencyBegin, StoreResult};
use crate::domain::UnixMs;

/// How long a key is remembered.
const KEEP_MS: i64 = 86_400_000;
/// After how long a request that never finished (a crash) counts as abandoned.
const ABANDONED_MS: i64 = 60_000;

pub async fn begin<C: Exec>(
    c: &mut C,
    scope: &str,
    key: &str,
    hash: &str,
    now: UnixMs,
) -> StoreResult<IdempotencyBegin> {
    let inserted = q(
        "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(hash)
    .bind(now)
    .execute(&mut *c)
    .await?;
    if inserted == 1 {
        return Ok(IdempotencyBegin::Proceed);
    }
    let row = q(
        "SELECT request_hash, status_code, response, created_at FROM idempotency_keys \
         WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_one(&mut *c)
    .await?;
    let created_at: i64 = row.get("created_at")?;
    let status: Option<i64> = row.get("status_code")?;
    let stale =
        created_at <= now - KEEP_MS || (status.is_none() && created_at <= now - ABANDONED_MS);
    if stale {
        q(
            "UPDATE idempotency_keys SET request_hash = $1, status_code = NULL, response = NULL, \
             created_at = $2 WHERE scope = $3 AND key = $4",
        )
        .bind(hash)
        .bind(now)
        .bind(scope)
        .bind(key)
        .execute(c)
        .await?;
        return Ok(IdempotencyBegin::Proceed);
    }
    if row.get::<&str>("request_hash")? != hash {
        return Ok(IdempotencyBegin::Mismatch);
    }
    Ok(match status {
        None => IdempotencyBegin::InFlight,
        Some(code) => IdempotencyBegin::Replay {
            status: u16::try_from(code).unwrap_or(500),
            body: row.get::<Option<String>>("response")?.unwrap_or_default(),
        },
    })
}

pub async fn finish<C: Exec>(
    c: &mut C,
    scope: &str,
    key: &str,
    status: u16,
    body: &str,
) -> StoreResult<()> {
    q("UPDATE idempotency_keys SET status_code = $1, response = $2 WHERE scope = $3 AND key = $4")
        .bind(i64::from(status))
        .bind(body)
        .bind(scope)
        .bind(key)
        .execute(c)
        .await
        .map(drop)
}

pub async fn abort<C: Exec>(c: &mut C, scope: &str, key: &str) -> StoreResult<()> {
    q("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status_code IS NULL")
        .bind(scope)
        .bind(key)
        .execute(c)
        .await
        .map(drop)
}
