//! The conformance suite of the waiting room's queue: every [`QueueBackend`] passes it, the
//! in-process one and Redis (a real server, under a key prefix of its own).

use crate::helpers::{redis_or_skip, redis_prefix, redis_url};
use boxoffice::surge::memory::MemoryQueue;
use boxoffice::surge::queue::*;
use boxoffice::surge::redis::RedisQueue;
use std::sync::Arc;

/// Declares a test that runs once on each queue backend.
macro_rules! each_backend {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() {
                super::$name(std::sync::Arc::new(super::MemoryQueue::new())).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                if super::redis_or_skip() {
                    super::$name(super::redis()).await
                }
            }
        }
    )*};
}

fn redis() -> Arc<dyn QueueBackend> {
    Arc::new(RedisQueue::connect(&redis_url(), &redis_prefix()).expect("redis"))
}

each_backend!(
    one_entry_per_user_in_arrival_order,
    leaving_moves_everyone_behind_up,
    the_pre_queue_stands_in_draw_order_ahead_of_later_arrivals,
    admission_fills_the_cap_in_order_and_finishing_frees_a_place,
    lapsed_admissions_free_their_place,
    entries_not_heard_from_are_skipped_and_may_rejoin_at_the_back,
    concurrent_pacing_never_passes_the_cap,
    a_surge_queues_newcomers_but_not_those_already_shopping,
);

const SHOW: i64 = 7;
const T0: i64 = 1_800_000_000_000;

fn step(cap: u64) -> Admit {
    Admit {
        cap,
        window_ms: 600_000,
        stale_before: T0 - 300_000,
    }
}

async fn position(q: &Arc<dyn QueueBackend>, user: i64) -> Spot {
    q.spot(SHOW, user, T0).await.expect("spot")
}

async fn one_entry_per_user_in_arrival_order(q: Arc<dyn QueueBackend>) {
    for user in 1..=5 {
        let spot = q.join(SHOW, user, Place::Arrival, T0).await.expect("join");
        assert_eq!(
            spot,
            Spot::Waiting {
                position: user as u64
            }
        );
    }
    // Joining again changes nothing.
    assert_eq!(
        q.join(SHOW, 3, Place::Arrival, T0).await.expect("join"),
        Spot::Waiting { position: 3 }
    );
    assert_eq!(q.stats(SHOW, T0).await.expect("stats").waiting, 5);
    assert_eq!(position(&q, 99).await, Spot::Missing);
    assert_eq!(q.shows().await.expect("shows"), vec![SHOW]);
}

async fn leaving_moves_everyone_behind_up(q: Arc<dyn QueueBackend>) {
    for user in 1..=5 {
        q.join(SHOW, user, Place::Arrival, T0).await.expect("join");
    }
    q.leave(SHOW, 2).await.expect("leave");
    q.leave(SHOW, 4).await.expect("leave");
    assert_eq!(position(&q, 1).await, Spot::Waiting { position: 1 });
    assert_eq!(position(&q, 3).await, Spot::Waiting { position: 2 });
    assert_eq!(position(&q, 5).await, Spot::Waiting { position: 3 });
    assert_eq!(position(&q, 2).await, Spot::Missing);
    let done = q.admit(SHOW, step(2), T0).await.expect("admit");
    assert_eq!(done.users, vec![1, 3]);
    assert_eq!(position(&q, 5).await, Spot::Waiting { position: 1 });
}

async fn the_pre_queue_stands_in_draw_order_ahead_of_later_arrivals(q: Arc<dyn QueueBackend>) {
    let draws = [(1, 900u64), (2, 100), (3, 500), (4, (1 << 52) - 1), (5, 0)];
    for (user, draw) in draws {
        q.join(SHOW, user, Place::Drawn(draw), T0)
            .await
            .expect("join");
    }
    // Before opening, every place is still to be drawn: all see the pre-queue's size.
    for (user, _) in draws {
        assert_eq!(position(&q, user).await, Spot::Waiting { position: 5 });
    }
    let opened = q.admit(SHOW, step(1), T0).await.expect("open");
    assert_eq!(opened.users, vec![5], "the lowest draw goes first");
    q.join(SHOW, 6, Place::Arrival, T0).await.expect("join");
    assert_eq!(position(&q, 2).await, Spot::Waiting { position: 1 });
    assert_eq!(position(&q, 3).await, Spot::Waiting { position: 2 });
    assert_eq!(position(&q, 1).await, Spot::Waiting { position: 3 });
    assert_eq!(position(&q, 4).await, Spot::Waiting { position: 4 });
    assert_eq!(position(&q, 6).await, Spot::Waiting { position: 5 });
}

async fn admission_fills_the_cap_in_order_and_finishing_frees_a_place(q: Arc<dyn QueueBackend>) {
    for user in 1..=6 {
        q.join(SHOW, user, Place::Arrival, T0).await.expect("join");
    }
    let done = q.admit(SHOW, step(3), T0).await.expect("admit");
    assert_eq!(done.users, vec![1, 2, 3]);
    assert_eq!(
        done.stats,
        RoomStats {
            waiting: 3,
            active: 3,
            admitted_total: 3
        }
    );
    assert_eq!(
        position(&q, 2).await,
        Spot::Admitted {
            until: T0 + 600_000
        }
    );
    assert_eq!(position(&q, 4).await, Spot::Waiting { position: 1 });
    // A full room admits nobody more.
    assert!(q
        .admit(SHOW, step(3), T0)
        .await
        .expect("admit")
        .users
        .is_empty());
    // One buyer finished: one more gets in. Their own admission still reads as admitted.
    q.finish(SHOW, 1).await.expect("finish");
    assert_eq!(
        q.admit(SHOW, step(3), T0).await.expect("admit").users,
        vec![4]
    );
    assert!(matches!(position(&q, 1).await, Spot::Admitted { .. }));
    // Joining again while admitted returns the admission.
    assert!(matches!(
        q.join(SHOW, 2, Place::Arrival, T0).await.expect("join"),
        Spot::Admitted { .. }
    ));
    assert_eq!(q.stats(SHOW, T0).await.expect("stats").admitted_total, 4);
}

async fn lapsed_admissions_free_their_place(q: Arc<dyn QueueBackend>) {
    for user in 1..=3 {
        q.join(SHOW, user, Place::Arrival, T0).await.expect("join");
    }
    let short = Admit {
        window_ms: 1_000,
        ..step(1)
    };
    assert_eq!(
        q.admit(SHOW, short, T0).await.expect("admit").users,
        vec![1]
    );
    assert!(q
        .admit(SHOW, short, T0 + 999)
        .await
        .expect("admit")
        .users
        .is_empty());
    let later = q.admit(SHOW, short, T0 + 1_000).await.expect("admit");
    assert_eq!(later.users, vec![2]);
    assert_eq!(
        q.spot(SHOW, 1, T0 + 1_000).await.expect("spot"),
        Spot::Expired
    );
}

async fn entries_not_heard_from_are_skipped_and_may_rejoin_at_the_back(q: Arc<dyn QueueBackend>) {
    let stale = T0 - 400_000;
    q.join(SHOW, 1, Place::Arrival, stale).await.expect("join");
    q.join(SHOW, 2, Place::Arrival, T0).await.expect("join");
    q.join(SHOW, 3, Place::Arrival, T0).await.expect("join");
    let done = q.admit(SHOW, step(1), T0).await.expect("admit");
    assert_eq!((done.users, done.skipped), (vec![2], 1));
    assert_eq!(position(&q, 1).await, Spot::Expired);
    // Back in line behind everyone.
    assert_eq!(
        q.join(SHOW, 1, Place::Arrival, T0).await.expect("join"),
        Spot::Waiting { position: 2 }
    );
}

async fn concurrent_pacing_never_passes_the_cap(q: Arc<dyn QueueBackend>) {
    for user in 1..=200 {
        q.join(SHOW, user, Place::Arrival, T0).await.expect("join");
    }
    // Eight instances pace at once, over and over.
    let admitted = futures::future::join_all((0..8).map(|_| {
        let q = q.clone();
        async move {
            let mut mine = Vec::new();
            for _ in 0..10 {
                mine.extend(q.admit(SHOW, step(25), T0).await.expect("admit").users);
            }
            mine
        }
    }))
    .await;
    let mut all: Vec<i64> = admitted.into_iter().flatten().collect();
    assert_eq!(all.len(), 25, "the cap holds across concurrent steps");
    all.sort_unstable();
    assert_eq!(all, (1..=25).collect::<Vec<_>>(), "in order, each once");
    assert_eq!(q.stats(SHOW, T0).await.expect("stats").active, 25);
}

async fn a_surge_queues_newcomers_but_not_those_already_shopping(q: Arc<dyn QueueBackend>) {
    // A shopper arrives well before the surge.
    assert_eq!(
        q.arrival(SHOW, 1, 3, T0).await.expect("arrival"),
        Arrival::Shop
    );
    assert!(!q.surging(SHOW, T0).await.expect("surging"));
    let second = T0 + 10_000;
    let mut verdicts = Vec::new();
    for (n, user) in (10..16).enumerate() {
        let at = second + n as i64;
        verdicts.push(q.arrival(SHOW, user, 3, at).await.expect("arrival"));
    }
    assert_eq!(
        verdicts,
        [
            Arrival::Shop,
            Arrival::Shop,
            Arrival::Shop,
            Arrival::Queue,
            Arrival::Queue,
            Arrival::Queue
        ]
    );
    assert!(q.surging(SHOW, second).await.expect("surging"));
    // Those shopping before the surge carry on; a newcomer queues, even a second later.
    assert_eq!(
        q.arrival(SHOW, 1, 3, second + 1_000)
            .await
            .expect("arrival"),
        Arrival::Shop
    );
    assert_eq!(
        q.arrival(SHOW, 10, 3, second + 1_000)
            .await
            .expect("arrival"),
        Arrival::Shop
    );
    assert_eq!(
        q.arrival(SHOW, 99, 3, second + 1_000)
            .await
            .expect("arrival"),
        Arrival::Queue
    );
    // The surge ends a minute after arrivals fall back.
    let calm = second + 1_000 + SURGE_HOLD_MS;
    assert!(!q.surging(SHOW, calm).await.expect("surging"));
    assert_eq!(
        q.arrival(SHOW, 99, 3, calm).await.expect("arrival"),
        Arrival::Shop
    );
}
