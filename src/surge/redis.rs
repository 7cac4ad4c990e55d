//! The waiting room's queue in Redis: every instance on one Redis is one queue.
//!
//! Per show, under one hash tag (so a Redis Cluster keeps a show's keys on one node):
//! - `line`: sorted set of buyers in line (score: a draw in `[-1, 0)` before opening, then an
//!   arrival number from `seq`);
//! - `seen`: hash of when each buyer was last heard from;
//! - `state`: hash of each admitted buyer's admission end (`x` once skipped);
//! - `active`: sorted set of admissions in force, scored by their end;
//! - `total`, `opened`, and the surge counters `arrivals`, `surge`, `shoppers`.
//!
//! Every step that reads and then writes is one Lua script, so concurrent instances admit as
//! one queue: the admission script is the only writer of `active`, and Redis runs scripts one
//! at a time. Booking never depends on Redis: admissions verify by signature, and the database
//! guards the seats.

use super::queue::*;
use crate::domain::UnixMs;
use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::Script;
use std::time::Duration;

const SHOPPING_MS: i64 = 600_000;

/// `{prefix}:{q<show>}:<name>`.
fn key(prefix: &str, show: i64, name: &str) -> String {
    format!("{prefix}:{{q{show}}}:{name}")
}

const SPOT_FN: &str = r"
local function spot(line, state, opened, u, now)
  local st = redis.call('HGET', state, u)
  if st then
    if st ~= 'x' and tonumber(st) > now then return {'admitted', tonumber(st)} end
    return {'expired', 0}
  end
  local score = redis.call('ZSCORE', line, u)
  if not score then return {'missing', 0} end
  if tonumber(score) < 0 and redis.call('EXISTS', opened) == 0 then
    return {'waiting', redis.call('ZCOUNT', line, '-inf', '(0')}
  end
  return {'waiting', redis.call('ZRANK', line, u) + 1}
end
";

/// KEYS: line seen state seq opened rooms; ARGV: user score-or-empty now show.
const JOIN: &str = r"
local u, now = ARGV[1], tonumber(ARGV[3])
redis.call('HSET', KEYS[2], u, now)
local st = redis.call('HGET', KEYS[3], u)
if st then
  if st ~= 'x' and tonumber(st) > now then return {'admitted', tonumber(st)} end
  redis.call('HDEL', KEYS[3], u)
elseif redis.call('ZSCORE', KEYS[1], u) then
  return spot(KEYS[1], KEYS[3], KEYS[5], u, now)
end
local score
if ARGV[2] ~= '' then
  score = ARGV[2]
else
  redis.call('SET', KEYS[5], '1')
  score = redis.call('INCR', KEYS[4])
end
redis.call('ZADD', KEYS[1], score, u)
redis.call('SADD', KEYS[6], ARGV[4])
return spot(KEYS[1], KEYS[3], KEYS[5], u, now)
";

/// KEYS: line seen state opened; ARGV: user now.
const SPOT: &str = r"
local u, now = ARGV[1], tonumber(ARGV[2])
local found = spot(KEYS[1], KEYS[3], KEYS[4], u, now)
if found[1] ~= 'missing' then redis.call('HSET', KEYS[2], u, now) end
return found
";

/// KEYS: line seen state active total opened; ARGV: now cap window stale_before.
const ADMIT: &str = r"
local now, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
local untl, stale = now + tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('SET', KEYS[6], '1')
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local active = redis.call('ZCARD', KEYS[4])
local admitted, skipped = {}, 0
while active < cap do
  local head = redis.call('ZPOPMIN', KEYS[1])
  if #head == 0 then break end
  local u = head[1]
  if tonumber(redis.call('HGET', KEYS[2], u) or '0') < stale then
    redis.call('HSET', KEYS[3], u, 'x')
    skipped = skipped + 1
  else
    redis.call('ZADD', KEYS[4], untl, u)
    redis.call('HSET', KEYS[3], u, untl)
    admitted[#admitted + 1] = u
    active = active + 1
  end
end
local total = redis.call('INCRBY', KEYS[5], #admitted)
return {admitted, skipped, redis.call('ZCARD', KEYS[1]), active, total}
";

/// KEYS: arrivals surge shoppers; ARGV: user limit now hold_ms shopping_ms.
const ARRIVAL: &str = r"
local u, limit, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local second = math.floor(now / 1000)
local n
if tonumber(redis.call('HGET', KEYS[1], 's') or '-1') ~= second then
  redis.call('HSET', KEYS[1], 's', second, 'n', 1)
  n = 1
else
  n = redis.call('HINCRBY', KEYS[1], 'n', 1)
end
local from = tonumber(redis.call('HGET', KEYS[2], 'from') or '0')
local untl = tonumber(redis.call('HGET', KEYS[2], 'until') or '0')
if n > limit then
  if now >= untl then
    from = now
    redis.call('HSET', KEYS[2], 'from', from)
  end
  untl = now + tonumber(ARGV[4])
  redis.call('HSET', KEYS[2], 'until', untl)
end
local shopping = tonumber(ARGV[5])
if now < untl then
  local at = tonumber(redis.call('ZSCORE', KEYS[3], u) or '-1')
  if at >= 0 and at < from and at > from - shopping then return 1 end
  return 0
end
redis.call('ZADD', KEYS[3], now, u)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - shopping)
return 1
";

pub struct RedisQueue {
    conn: ConnectionManager,
    prefix: String,
    join: Script,
    spot: Script,
    admit: Script,
    arrival: Script,
}

fn unavailable(e: redis::RedisError) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

impl RedisQueue {
    /// Connects lazily: a Redis that is down at start-up only pauses the waiting room.
    /// `prefix` keeps deployments (and test runs) sharing one Redis apart.
    pub fn connect(url: &str, prefix: &str) -> QueueResult<Self> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
            join: Script::new(&format!("{SPOT_FN}{JOIN}")),
            spot: Script::new(&format!("{SPOT_FN}{SPOT}")),
            admit: Script::new(ADMIT),
            arrival: Script::new(ARRIVAL),
        })
    }

    fn key(&self, show: i64, name: &str) -> String {
        key(&self.prefix, show, name)
    }

    fn rooms(&self) -> String {
        format!("{}:rooms", self.prefix)
    }
}

fn to_spot((state, n): (String, i64)) -> Spot {
    match state.as_str() {
        "waiting" => Spot::Waiting {
            position: n.max(0) as u64,
        },
        "admitted" => Spot::Admitted { until: n },
        "expired" => Spot::Expired,
        _ => Spot::Missing,
    }
}

#[async_trait]
impl QueueBackend for RedisQueue {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn join(&self, show: i64, user: i64, place: Place, now: UnixMs) -> QueueResult<Spot> {
        let score = match place {
            // Exact: a draw below 2^52 divided by 2^52 is a binary fraction a double holds.
            Place::Drawn(draw) => format!("{:?}", draw as f64 / (1u64 << 52) as f64 - 1.0),
            Place::Arrival => String::new(),
        };
        let found: (String, i64) = self
            .join
            .key(self.key(show, "line"))
            .key(self.key(show, "seen"))
            .key(self.key(show, "state"))
            .key(self.key(show, "seq"))
            .key(self.key(show, "opened"))
            .key(self.rooms())
            .arg(user)
            .arg(score)
            .arg(now)
            .arg(show)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(to_spot(found))
    }

    async fn spot(&self, show: i64, user: i64, now: UnixMs) -> QueueResult<Spot> {
        let found: (String, i64) = self
            .spot
            .key(self.key(show, "line"))
            .key(self.key(show, "seen"))
            .key(self.key(show, "state"))
            .key(self.key(show, "opened"))
            .arg(user)
            .arg(now)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(to_spot(found))
    }

    async fn leave(&self, show: i64, user: i64) -> QueueResult<()> {
        redis::pipe()
            .atomic()
            .zrem(self.key(show, "line"), user)
            .hdel(self.key(show, "state"), user)
            .zrem(self.key(show, "active"), user)
            .hdel(self.key(show, "seen"), user)
            .exec_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)
    }

    async fn admit(&self, show: i64, step: Admit, now: UnixMs) -> QueueResult<Admitted> {
        let (users, skipped, waiting, active, total): (Vec<i64>, u64, u64, u64, u64) = self
            .admit
            .key(self.key(show, "line"))
            .key(self.key(show, "seen"))
            .key(self.key(show, "state"))
            .key(self.key(show, "active"))
            .key(self.key(show, "total"))
            .key(self.key(show, "opened"))
            .arg(now)
            .arg(step.cap)
            .arg(step.window_ms)
            .arg(step.stale_before)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(Admitted {
            users,
            skipped,
            stats: RoomStats {
                waiting,
                active,
                admitted_total: total,
            },
        })
    }

    async fn finish(&self, show: i64, user: i64) -> QueueResult<()> {
        redis::cmd("ZREM")
            .arg(self.key(show, "active"))
            .arg(user)
            .exec_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)
    }

    async fn stats(&self, show: i64, now: UnixMs) -> QueueResult<RoomStats> {
        let (waiting, active, total): (u64, u64, Option<u64>) = redis::pipe()
            .zcard(self.key(show, "line"))
            .zcount(self.key(show, "active"), format!("({now}"), "+inf")
            .get(self.key(show, "total"))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(RoomStats {
            waiting,
            active,
            admitted_total: total.unwrap_or(0),
        })
    }

    async fn shows(&self) -> QueueResult<Vec<i64>> {
        redis::cmd("SMEMBERS")
            .arg(self.rooms())
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)
    }

    async fn arrival(&self, show: i64, user: i64, limit: u64, now: UnixMs) -> QueueResult<Arrival> {
        let shop: i64 = self
            .arrival
            .key(self.key(show, "arrivals"))
            .key(self.key(show, "surge"))
            .key(self.key(show, "shoppers"))
            .arg(user)
            .arg(limit)
            .arg(now)
            .arg(SURGE_HOLD_MS)
            .arg(SHOPPING_MS)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(if shop == 1 {
            Arrival::Shop
        } else {
            Arrival::Queue
        })
    }

    async fn surging(&self, show: i64, now: UnixMs) -> QueueResult<bool> {
        let until: Option<i64> = redis::cmd("HGET")
            .arg(self.key(show, "surge"))
            .arg("until")
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(until.is_some_and(|until| now < until))
    }
}
