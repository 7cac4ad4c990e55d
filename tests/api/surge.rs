//! The waiting room and the seat waitlist over the real server, on both stores.

use crate::helpers::{postgres_or_skip, redis_or_skip, redis_prefix, redis_url, Db, TestApp};
use boxoffice::domain::users::Role;
use boxoffice::store::HashedUser;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// Where a surge test runs: the embedded store with the in-process queue, PostgreSQL with
/// it, or PostgreSQL with the queue in Redis.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    pub db: Db,
    pub redis: bool,
}

/// Declares a test that runs on SQLite, on PostgreSQL, and on PostgreSQL with Redis.
macro_rules! each_setup {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Setup { db: Db::Sqlite, redis: false }).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = postgres_or_skip() {
                    super::$name(Setup { db, redis: false }).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_redis() {
                if let (Some(db), true) = (postgres_or_skip(), redis_or_skip()) {
                    super::$name(Setup { db, redis: true }).await
                }
            }
        }
    )*};
}

/// A configuration for `setup` (a fresh database, and a Redis prefix of its own).
pub async fn config_for(setup: Setup, dir: &std::path::Path) -> boxoffice::config::Config {
    let mut config = boxoffice::config::Config::for_data_dir(dir.to_path_buf());
    if setup.db == Db::Postgres {
        config.database_url = Some(crate::helpers::fresh_pg_database().await);
    }
    if setup.redis {
        config.redis_url = Some(redis_url());
        config.redis_prefix = redis_prefix();
    }
    config
}

async fn spawn(setup: Setup) -> TestApp {
    spawn_with(setup, |_| {}).await
}

async fn spawn_with(setup: Setup, tweak: impl FnOnce(&mut boxoffice::config::Config)) -> TestApp {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("tempdir"));
    let mut config = config_for(setup, dir.path()).await;
    tweak(&mut config);
    TestApp::start(setup.db, config, dir, boxoffice::clock::Clock::manual()).await
}

each_setup!(
    a_waiting_room_show_cannot_be_held_without_a_valid_admission,
    one_entry_per_buyer_and_leaving_ends_it,
    the_room_admits_as_many_as_the_inventory_can_absorb,
    the_queue_stream_pushes_the_admission,
    a_sold_out_show_tells_everyone_waiting,
    an_admin_turns_the_room_on_later,
    a_surge_of_arrivals_turns_the_room_on_for_newcomers,
    the_pre_queue_is_drawn_at_random_and_later_arrivals_keep_their_order,
    the_waitlist_takes_names_only_when_every_free_seat_is_held,
    freed_seats_go_to_the_first_waiter_that_fits_in_order,
    a_freed_seat_goes_to_its_waiter_under_a_storm_of_public_buyers,
    waitlist_entries_expire_and_end_when_sold_out,
    the_waitlist_stream_pushes_the_offer,
);

/// `n` buyers made straight in the store (one password hash for all), with session tokens.
pub async fn buyers(app: &TestApp, n: usize) -> Vec<String> {
    let now = app.clock.now_ms();
    let mut tokens = Vec::with_capacity(n);
    for _ in 0..n {
        let email = format!("fan{:x}@example.com", rand::random::<u64>());
        let user = app
            .store
            .create_user(
                HashedUser {
                    email,
                    name: "Fan".into(),
                    password_hash: "unused".into(),
                    role: Role::Buyer,
                },
                now,
            )
            .await
            .expect("user");
        let token = format!("t{:x}{:x}", rand::random::<u64>(), rand::random::<u64>());
        app.store
            .create_session(
                user.id,
                &boxoffice::accounts::token_hash(&token),
                now,
                now + 86_400_000,
            )
            .await
            .expect("session");
        tokens.push(token);
    }
    tokens
}

/// A show with `seats` seats in one row, and the given settings.
async fn show_with(app: &TestApp, admin: &str, seats: i64, extra: Value) -> Value {
    let venue = app.venue(admin, "Graz", 1, seats, 0).await;
    let event = app
        .event(
            admin,
            venue["id"].as_str().expect("id"),
            "Big Night",
            "concert",
            &[],
        )
        .await;
    app.show(admin, event["id"].as_str().expect("id"), 7, extra)
        .await
}

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

async fn hold_with(
    app: &TestApp,
    token: &str,
    body: Value,
    admission: Option<&str>,
) -> crate::helpers::Response {
    let mut req = app
        .client
        .post(format!("{}/api/v1/holds", app.base))
        .bearer_auth(token)
        .json(&body);
    if let Some(a) = admission {
        req = req.header("Admission", a);
    }
    TestApp::read(req.send().await.expect("request")).await
}

async fn join(app: &TestApp, show: &Value, token: &str) -> Value {
    app.post(
        &format!("/api/v1/shows/{}/queue", id(show)),
        Some(token),
        json!({}),
    )
    .await
    .ok(201)
    .clone()
}

async fn entry(app: &TestApp, queue_token: &str) -> Value {
    app.get(&format!("/api/v1/queue/{queue_token}"))
        .await
        .ok(200)
        .clone()
}

/// Polls a queue entry until `done` says so; fails after 10 s.
async fn entry_until(app: &TestApp, queue_token: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let e = entry(app, queue_token).await;
        if done(&e) {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("queue entry never reached the expected state");
}

fn seat_of(show_map: &Value, n: usize) -> String {
    show_map["sections"][0]["seats"][n]["id"]
        .as_str()
        .expect("seat")
        .to_owned()
}

async fn seat_map(app: &TestApp, show: &Value) -> Value {
    app.get(&format!("/api/v1/shows/{}/seats", id(show)))
        .await
        .ok(200)
        .clone()
}

async fn a_waiting_room_show_cannot_be_held_without_a_valid_admission(setup: Setup) {
    let app = spawn(setup).await;
    let admin = app.admin().await;
    let show = show_with(&app, &admin, 20, json!({"waiting_room": true})).await;
    let other_show = show_with(&app, &admin, 20, json!({"waiting_room": true})).await;
    let users = buyers(&app, 2).await;
    let map = seat_map(&app, &show).await;
    let body = json!({"show_id": id(&show), "seat_ids": [seat_of(&map, 0)]});

    let refused = hold_with(&app, &users[0], body.clone(), None).await;
    let problem = refused.problem(403);
    assert!(problem["type"]
        .as_str()
        .unwrap_or_default()
        .ends_with("/admission-required"));
    assert_eq!(
        problem["queue"],
        format!("/api/v1/shows/{}/queue", id(&show))
    );

    let admitted = join(&app, &show, &users[0]).await;
    let admitted = entry_until(&app, admitted["token"].as_str().expect("token"), |e| {
        e["state"] == "admitted"
    })
    .await;
    let admission = admitted["admission"]
        .as_str()
        .expect("admission")
        .to_owned();
    let other_admission = {
        let e = join(&app, &other_show, &users[0]).await;
        entry_until(&app, e["token"].as_str().expect("token"), |e| {
            e["state"] == "admitted"
        })
        .await["admission"]
            .as_str()
            .expect("admission")
            .to_owned()
    };

    // Forged: a flipped character of the signature.
    let mut forged = admission.clone().into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).expect("ascii");
    hold_with(&app, &users[0], body.clone(), Some(&forged))
        .await
        .problem(403);
    hold_with(&app, &users[0], body.clone(), Some("not-an-admission"))
        .await
        .problem(403);
    // Borrowed: another buyer presenting it.
    let borrowed = hold_with(&app, &users[1], body.clone(), Some(&admission)).await;
    assert!(borrowed.problem(403)["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("another buyer"));
    // Another show's.
    let elsewhere = hold_with(&app, &users[0], body.clone(), Some(&other_admission)).await;
    assert!(elsewhere.problem(403)["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("another show"));
    // Nothing was held by any of those.
    assert_eq!(
        seat_map(&app, &show).await["sections"][0]["seats"][0]["status"],
        "available"
    );

    // The genuine admission works.
    hold_with(&app, &users[0], body.clone(), Some(&admission))
        .await
        .ok(201);

    // Expired: past the shopping window (10 minutes by default).
    app.clock.advance(Duration::from_secs(601));
    let body2 = json!({"show_id": id(&show), "seat_ids": [seat_of(&map, 1)]});
    let expired = hold_with(&app, &users[0], body2, Some(&admission)).await;
    assert!(expired.problem(403)["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("expired"));
}

async fn one_entry_per_buyer_and_leaving_ends_it(setup: Setup) {
    let app = spawn(setup).await;
    let admin = app.admin().await;
    // On sale in an hour: nobody is admitted yet.
    let on_sale = boxoffice::domain::rfc3339(app.clock.now_ms() + 3_600_000);
    let show = show_with(
        &app,
        &admin,
        20,
        json!({"waiting_room": true, "on_sale_at": on_sale}),
    )
    .await;
    let users = buyers(&app, 3).await;
    let first = join(&app, &show, &users[0]).await;
    let again = join(&app, &show, &users[0]).await;
    assert_eq!(first["token"], again["token"]);
    assert_eq!(first["state"], "waiting");
    assert_eq!(first["eta_basis"], "opening");
    assert!(first["eta_seconds"].as_u64().expect("eta") >= 3_599);
    join(&app, &show, &users[1]).await;
    join(&app, &show, &users[2]).await;
    // Before opening, places are drawn later: everyone sees the size of the pre-queue.
    let e = entry(&app, first["token"].as_str().expect("token")).await;
    assert_eq!(e["position"], 3);

    let token = first["token"].as_str().expect("token");
    let resp = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/queue/{token}"),
            None,
            None,
        )
        .await;
    assert_eq!(resp.status, StatusCode::NO_CONTENT);
    assert_eq!(entry(&app, token).await["state"], "expired");
    let other = entry(
        &app,
        join(&app, &show, &users[1]).await["token"]
            .as_str()
            .expect("t"),
    )
    .await;
    assert_eq!(other["position"], 2);
    // A made-up token is no entry.
    app.get("/api/v1/queue/bm9wZQ.bm9wZQ").await.problem(404);
    // Joining needs a signed-in buyer, and a real show.
    app.post(
        &format!("/api/v1/shows/{}/queue", id(&show)),
        None,
        json!({}),
    )
    .await
    .problem(401);
    app.post("/api/v1/shows/999999/queue", Some(&users[0]), json!({}))
        .await
        .problem(404);
}

async fn the_room_admits_as_many_as_the_inventory_can_absorb(setup: Setup) {
    let app = spawn(setup).await;
    let admin = app.admin().await;
    // 10 seats, two per buyer by default: five buyers may shop at once.
    let show = show_with(
        &app,
        &admin,
        10,
        json!({"waiting_room": true, "max_per_order": 4}),
    )
    .await;
    let users = buyers(&app, 12).await;
    let mut tokens = Vec::new();
    for user in &users {
        tokens.push(
            join(&app, &show, user).await["token"]
                .as_str()
                .expect("t")
                .to_owned(),
        );
    }
    let fifth = entry_until(&app, &tokens[4], |e| e["state"] == "admitted").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let states: Vec<Value> = {
        let mut v = Vec::new();
        for t in &tokens {
            v.push(entry(&app, t).await);
        }
        v
    };
    let admitted = states.iter().filter(|e| e["state"] == "admitted").count();
    assert_eq!(admitted, 5, "{states:?}");
    assert!(
        states[..5].iter().all(|e| e["state"] == "admitted"),
        "first come, first served"
    );
    assert_eq!(states[5]["position"], 1);
    assert_eq!(states[11]["position"], 7);
    assert_eq!(states[5]["eta_basis"], "observed");
    assert!(fifth["admission_expires_at"].is_string());

    // The first buyer holds 4 seats and books them. Six seats are left for the four still
    // shopping, two seats each: ceil(6 / 2) = 3 < 4, so nobody new comes in.
    let map = seat_map(&app, &show).await;
    let admission = states[0]["admission"].as_str().expect("admission");
    let seats: Vec<String> = (0..4).map(|n| seat_of(&map, n)).collect();
    let hold = hold_with(
        &app,
        &users[0],
        json!({"show_id": id(&show), "seat_ids": seats}),
        Some(admission),
    )
    .await
    .ok(201)
    .clone();
    app.post(
        "/api/v1/bookings",
        Some(&users[0]),
        json!({"hold_id": hold["id"], "payment": {"provider": "test", "card_number": "4242424242424242"}}),
    )
    .await
    .ok(201);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(entry(&app, &tokens[5]).await["state"], "waiting");
    // Two shoppers give up: two are left, room for one more.
    for t in &tokens[3..5] {
        app.request(
            reqwest::Method::DELETE,
            &format!("/api/v1/queue/{t}"),
            None,
            None,
        )
        .await;
    }
    entry_until(&app, &tokens[5], |e| e["state"] == "admitted").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let next = entry(&app, &tokens[6]).await;
    assert_eq!(
        (next["state"].as_str(), next["position"].as_u64()),
        (Some("waiting"), Some(1))
    );
}

async fn the_queue_stream_pushes_the_admission(setup: Setup) {
    let app = spawn(setup).await;
    let admin = app.admin().await;
    let show = show_with(&app, &admin, 2, json!({"waiting_room": true})).await;
    let users = buyers(&app, 2).await;
    let first = join(&app, &show, &users[0]).await;
    let second = join(&app, &show, &users[1]).await;
    // One seat per buyer is assumed with two seats and the default of 2 seats a buyer: one in.
    entry_until(&app, first["token"].as_str().expect("t"), |e| {
        e["state"] == "admitted"
    })
    .await;
    let token = second["token"].as_str().expect("t");
    let response = app
        .client
        .get(format!("{}/api/v1/queue/{token}/stream", app.base))
        .send()
        .await
        .expect("stream");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["x-accel-buffering"], "no");
    let mut events = crate::seatmap::EventStream::from_response(response);
    let waiting = events.next().await;
    assert_eq!(waiting.event, "entry");
    assert_eq!(waiting.data["state"], "waiting");
    assert_eq!(waiting.data["position"], 1);
    // The first buyer leaves: the second is admitted and told at once.
    let t0 = first["token"].as_str().expect("t");
    app.request(
        reqwest::Method::DELETE,
        &format!("/api/v1/queue/{t0}"),
        None,
        None,
    )
    .await;
    let started = std::time::Instant::now();
    let admitted = loop {
        let e = events.next().await;
        if e.data["state"] != "waiting" {
            break e;
        }
    };
    assert_eq!(admitted.data["state"], "admitted");
    assert!(admitted.data["admission"].is_string());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "pushed at the next pacing step"
    );
}

async fn a_sold_out_show_tells_everyone_waiting(setup: Setup) {
    let app = spawn(setup).await;
    let admin = app.admin().await;
    let show = show_with(&app, &admin, 2, json!({"waiting_room": true})).await;
    let users = buyers(&app, 3).await;
    let first = join(&app, &show, &users[0]).await;
    let admitted = entry_until(&app, first["token"].as_str().expect("t"), |e| {
        e["state"] == "admitted"
    })
    .await;
    let later = join(&app, &show, &users[1]).await;
    let last = join(&app, &show, &users[2]).await;
    let map = seat_map(&app, &show).await;
    let hold = hold_with(
        &app,
        &users[0],
        json!({"show_id": id(&show), "seat_ids": [seat_of(&map, 0), seat_of(&map, 1)]}),
        admitted["admission"].as_str(),
    )
    .await
    .ok(201)
    .clone();
    // Everything is held: those waiting may join the waitlist.
    let e = entry_until(&app, later["token"].as_str().expect("t"), |e| {
        e["waitlist_open"] == true
    })
    .await;
    assert_eq!(e["state"], "waiting");
    app.post(
        "/api/v1/bookings",
        Some(&users[0]),
        json!({"hold_id": hold["id"], "payment": {"provider": "test", "card_number": "4242424242424242"}}),
    )
    .await
    .ok(201);
    for t in [&later, &last] {
        let e = entry_until(&app, t["token"].as_str().expect("t"), |e| {
            e["state"] != "waiting"
        })
        .await;
        assert_eq!(e["state"], "sold_out");
    }
}

async fn an_admin_turns_the_room_on_later(setup: Setup) {
    let app = spawn(setup).await;
    let admin = app.admin().await;
    let show = show_with(&app, &admin, 4, json!({})).await;
    assert_eq!(show["waiting_room"], false);
    let users = buyers(&app, 1).await;
    let path = format!("/api/v1/shows/{}", id(&show));
    let patch = |token: &str, body: Value| {
        let req = app
            .client
            .patch(format!("{}{path}", app.base))
            .bearer_auth(token.to_owned())
            .json(&body);
        async move { TestApp::read(req.send().await.expect("patch")).await }
    };
    patch(&users[0], json!({"waiting_room": true}))
        .await
        .problem(403);
    let fields = patch(&admin, json!({"shopping_window_seconds": 5}))
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["shopping_window_seconds"]);
    assert_eq!(
        app.get(&path).await.body["waiting_room"],
        false,
        "a refused change changes nothing"
    );
    let updated = patch(&admin, json!({"waiting_room": true, "room_max_active": 1})).await;
    assert_eq!(updated.ok(200)["waiting_room"], true);
    // Other instances notice within the settings cache's two seconds; this one at once.
    let map = seat_map(&app, &show).await;
    hold_with(
        &app,
        &users[0],
        json!({"show_id": id(&show), "seat_ids": [seat_of(&map, 0)]}),
        None,
    )
    .await
    .problem(403);
}

async fn a_surge_of_arrivals_turns_the_room_on_for_newcomers(setup: Setup) {
    let app = spawn_with(setup, |config| config.room.surge_rate = 5).await;
    let admin = app.admin().await;
    let show = show_with(&app, &admin, 40, json!({})).await;
    let users = buyers(&app, 22).await;
    let map = seat_map(&app, &show).await;
    let body = |n: usize| json!({"show_id": id(&show), "seat_ids": [seat_of(&map, n)]});
    // An early shopper, well before the surge.
    hold_with(&app, &users[0], body(0), None).await.ok(201);
    app.clock.advance(Duration::from_secs(2));
    // Twenty arrivals in a second or two: some second sees more than five, and from then on
    // every newcomer finds the room on.
    let mut refused = Vec::new();
    for (n, user) in users[1..21].iter().enumerate() {
        let r = hold_with(&app, user, body(n + 1), None).await;
        if r.status == StatusCode::FORBIDDEN {
            assert!(r.body["type"]
                .as_str()
                .unwrap_or_default()
                .ends_with("/admission-required"));
        } else {
            r.ok(201);
        }
        refused.push(r.status == StatusCode::FORBIDDEN);
    }
    let first = refused
        .iter()
        .position(|r| *r)
        .expect("the surge turned the room on");
    assert!(
        first >= 5,
        "the first five arrivals of a second shop freely"
    );
    assert!(
        refused[first..].iter().all(|r| *r),
        "newcomers queue once it is on: {refused:?}"
    );
    // The early shopper carries on; a newcomer queues and gets in through the room.
    hold_with(&app, &users[0], body(30), None).await.ok(201);
    hold_with(&app, &users[21], body(31), None)
        .await
        .problem(403);
    let e = join(&app, &show, &users[21]).await;
    let e = entry_until(&app, e["token"].as_str().expect("t"), |e| {
        e["state"] == "admitted"
    })
    .await;
    hold_with(&app, &users[21], body(31), e["admission"].as_str())
        .await
        .ok(201);
}

/// Kendall's τ between two rankings of the same items.
fn kendall_tau(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len();
    let (mut concordant, mut discordant) = (0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            let s = (a[i] as i64 - a[j] as i64).signum() * (b[i] as i64 - b[j] as i64).signum();
            if s > 0 {
                concordant += 1;
            } else if s < 0 {
                discordant += 1;
            }
        }
    }
    (concordant - discordant) as f64 / (n * (n - 1) / 2) as f64
}

/// The upper tail of the χ² distribution with `k` degrees of freedom at `x`
/// (Wilson–Hilferty: accurate to about 1% of the p-value here).
fn chi2_p_value(x: f64, k: f64) -> f64 {
    let z = ((x / k).cbrt() - (1.0 - 2.0 / (9.0 * k))) / (2.0 / (9.0 * k)).sqrt();
    // The normal upper tail, by the complementary error function (Abramowitz–Stegun 7.1.26).
    let t = 1.0 / (1.0 + 0.327_591_1 * z.abs() / std::f64::consts::SQRT_2);
    let erfc = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))))
        * (-(z * z) / 2.0).exp();
    if z >= 0.0 {
        erfc / 2.0
    } else {
        1.0 - erfc / 2.0
    }
}

async fn the_pre_queue_is_drawn_at_random_and_later_arrivals_keep_their_order(setup: Setup) {
    // A fixed key makes the draw, and so this test, repeatable: a random one would fail a
    // test at p > 0.01 one run in a hundred by chance alone.
    let app = spawn_with(setup, |config| {
        config.room_secret = Some(boxoffice::config::Secret::new(
            "a fixed key for the fairness test",
        ))
    })
    .await;
    let admin = app.admin().await;
    const N: usize = 1_000;
    const TRIALS: usize = 4;
    const BUCKETS: usize = 10;
    let users = buyers(&app, N).await;
    // Opening in two minutes: every entry is still fresh (heard from within 5 minutes) then.
    let opens_in = Duration::from_secs(120);
    let on_sale = boxoffice::domain::rfc3339(app.clock.now_ms() + opens_in.as_millis() as i64);
    let mut shows = Vec::new();
    for _ in 0..TRIALS {
        // One seat and a cap of one: a single admission, and everyone else's place stands.
        shows.push(
            show_with(
                &app,
                &admin,
                1,
                json!({"waiting_room": true, "on_sale_at": on_sale}),
            )
            .await,
        );
    }
    let post_show = show_with(&app, &admin, 1, json!({"waiting_room": true})).await;
    let client = app.client.clone();
    let base = app.base.clone();
    let join_all = |show: String| {
        let (client, base, users) = (client.clone(), base.clone(), users.clone());
        async move {
            // Eight buyers at a time; each one's arrival is the midpoint of its request.
            let started = std::time::Instant::now();
            let mut joined =
                futures::stream::iter(users.into_iter().enumerate().map(|(i, user)| {
                    let (client, base, show) = (client.clone(), base.clone(), show.clone());
                    async move {
                        let sent = started.elapsed();
                        let r = client
                            .post(format!("{base}/api/v1/shows/{show}/queue"))
                            .bearer_auth(&user)
                            .send()
                            .await
                            .expect("join");
                        assert_eq!(r.status(), StatusCode::CREATED);
                        let arrived = (sent + started.elapsed()) / 2;
                        let body: Value = r.json().await.expect("entry");
                        (
                            i,
                            arrived,
                            body["token"].as_str().expect("token").to_owned(),
                        )
                    }
                }))
                .buffer_unordered(8)
                .collect::<Vec<_>>()
                .await;
            joined.sort_by_key(|(_, arrived, _)| *arrived);
            joined
        }
    };
    use futures::StreamExt;
    let mut table = [[0f64; BUCKETS]; BUCKETS];
    let mut joined_trials = Vec::new();
    for show in &shows {
        joined_trials.push(join_all(id(show).to_owned()).await);
    }
    app.clock.advance(opens_in + Duration::from_secs(1));
    for joined in &joined_trials {
        // The draw decides: read each buyer's place once the show opened.
        let mut places = Vec::with_capacity(N);
        for (_, _, token) in joined {
            let e = entry_until(&app, token, |e| {
                e["state"] != "waiting" || e["position"].as_u64() < Some(N as u64)
            })
            .await;
            places.push(if e["state"] == "admitted" {
                0
            } else {
                e["position"].as_u64().expect("position") as usize
            });
        }
        let mut sorted = places.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (0..N).collect::<Vec<_>>(),
            "every buyer has one place"
        );
        for (arrival, place) in places.iter().enumerate() {
            table[arrival * BUCKETS / N][place * BUCKETS / N] += 1.0;
        }
    }
    let expected = (TRIALS * N) as f64 / (BUCKETS * BUCKETS) as f64;
    let chi2: f64 = table
        .iter()
        .flatten()
        .map(|observed| (observed - expected).powi(2) / expected)
        .sum();
    let dof = ((BUCKETS - 1) * (BUCKETS - 1)) as f64;
    let p = chi2_p_value(chi2, dof);
    eprintln!("pre-queue: χ² = {chi2:.1} over {dof} degrees of freedom, p = {p:.3}");
    assert!(
        p > 0.01,
        "pre-opening places are not uniform: χ² = {chi2:.1}, p = {p:.4}"
    );

    // After opening: first come, first served.
    let joined = join_all(id(&post_show).to_owned()).await;
    let mut places = Vec::with_capacity(N);
    for (_, _, token) in &joined {
        let e = entry_until(&app, token, |e| {
            e["state"] != "waiting" || e["position"].as_u64().is_some()
        })
        .await;
        places.push(if e["state"] == "admitted" {
            0
        } else {
            e["position"].as_u64().expect("position") as usize
        });
    }
    let arrival: Vec<usize> = (0..N).collect();
    let tau = kendall_tau(&arrival, &places);
    eprintln!("post-opening: Kendall τ = {tau:.4}");
    assert!(
        tau >= 0.99,
        "admission order strays from arrival order: τ = {tau:.4}"
    );
    // The same statistic would have caught the draw: the pre-queue's τ is near 0.
    assert!(chi2_p_value(5000.0, dof) < 1e-6);
}

// ---- The waitlist --------------------------------------------------------------------------

async fn waitlist_join(
    app: &TestApp,
    show: &Value,
    token: &str,
    body: Value,
) -> crate::helpers::Response {
    app.post(
        &format!("/api/v1/shows/{}/waitlist", id(show)),
        Some(token),
        body,
    )
    .await
}

async fn hold_seats(app: &TestApp, token: &str, show: &Value, seats: &[String]) -> Value {
    app.post(
        "/api/v1/holds",
        Some(token),
        json!({"show_id": id(show), "seat_ids": seats}),
    )
    .await
    .ok(201)
    .clone()
}

async fn release(app: &TestApp, token: &str, hold: &Value) {
    let r = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/holds/{}", id(hold)),
            Some(token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

async fn waitlist(app: &TestApp, token: &str, entry: &Value) -> Value {
    app.get_as(&format!("/api/v1/waitlist/{}", id(entry)), token)
        .await
        .ok(200)
        .clone()
}

/// A waitlist entry once it stops waiting (the sweeper may need a moment); fails after 5 s.
async fn waitlist_ended(app: &TestApp, token: &str, entry: &Value) -> Value {
    for _ in 0..100 {
        let e = waitlist(app, token, entry).await;
        if e["state"] != "waiting" {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the waitlist entry still waits");
}

/// The seats of the hold a waiter was offered, sorted.
async fn offered_seats(app: &TestApp, token: &str, entry: &Value) -> Vec<String> {
    let hold = entry["hold_id"].as_str().expect("an offer names its hold");
    let hold = app
        .get_as(&format!("/api/v1/holds/{hold}"), token)
        .await
        .ok(200)
        .clone();
    let mut seats: Vec<String> = hold["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect();
    seats.sort();
    seats
}

async fn the_waitlist_takes_names_only_when_every_free_seat_is_held(setup: Setup) {
    let app = spawn(setup).await;
    let admin = app.admin().await;
    let show = show_with(&app, &admin, 6, json!({"max_per_order": 4})).await;
    let users = buyers(&app, 3).await;
    let map = seat_map(&app, &show).await;
    let all: Vec<String> = (0..6).map(|n| seat_of(&map, n)).collect();
    // Free seats: hold them instead.
    let free = waitlist_join(&app, &show, &users[1], json!({"quantity": 2})).await;
    assert!(free.problem(409)["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("hold them"));
    hold_seats(&app, &users[0], &show, &all[..4]).await;
    // Two free, three wanted: wait. Over max_per_order, or more than free + held: never.
    let fields = waitlist_join(&app, &show, &users[1], json!({"quantity": 5}))
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["quantity"]);
    waitlist_join(&app, &show, &users[1], json!({"quantity": 0}))
        .await
        .problem(422);
    waitlist_join(
        &app,
        &show,
        &users[1],
        json!({"quantity": 2, "section": "Balcony"}),
    )
    .await
    .problem(422);
    waitlist_join(&app, &show, &users[1], json!({"quantity": 2}))
        .await
        .problem(409);
    let entry = waitlist_join(&app, &show, &users[1], json!({"quantity": 3}))
        .await
        .ok(201)
        .clone();
    assert_eq!(entry["position"], 1);
    assert_eq!(entry["state"], "waiting");
    let again = waitlist_join(&app, &show, &users[1], json!({"quantity": 3}))
        .await
        .ok(201)
        .clone();
    assert_eq!(again["id"], entry["id"], "one entry per buyer and show");
    hold_seats(&app, &users[0], &show, &all[4..]).await;
    let second = waitlist_join(
        &app,
        &show,
        &users[2],
        json!({"quantity": 1, "section": "stalls"}),
    )
    .await
    .ok(201)
    .clone();
    assert_eq!(second["position"], 2);
    assert_eq!(second["section"], "Stalls");
    // Owner only; leaving moves the next one up.
    app.get_as(&format!("/api/v1/waitlist/{}", id(&entry)), &users[2])
        .await
        .problem(404);
    let r = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/waitlist/{}", id(&entry)),
            Some(&users[1]),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(waitlist(&app, &users[1], &entry).await["state"], "left");
    assert_eq!(waitlist(&app, &users[2], &second).await["position"], 1);
}

async fn freed_seats_go_to_the_first_waiter_that_fits_in_order(setup: Setup) {
    let app = spawn(setup).await;
    let admin = app.admin().await;
    let show = show_with(&app, &admin, 6, json!({"max_per_order": 6})).await;
    let users = buyers(&app, 5).await;
    let map = seat_map(&app, &show).await;
    let all: Vec<String> = (0..6).map(|n| seat_of(&map, n)).collect();
    let first_hold = hold_seats(&app, &users[0], &show, &all[..2]).await;
    let second_hold = hold_seats(&app, &users[0], &show, &all[2..]).await;
    // Waiters for 3, 2 and 1 seats, in that order.
    let three = waitlist_join(&app, &show, &users[1], json!({"quantity": 3}))
        .await
        .ok(201)
        .clone();
    let two = waitlist_join(&app, &show, &users[2], json!({"quantity": 2}))
        .await
        .ok(201)
        .clone();
    let one = waitlist_join(&app, &show, &users[3], json!({"quantity": 1}))
        .await
        .ok(201)
        .clone();
    // Two seats free up: the first waiter does not fit, the second does; the third waits on.
    release(&app, &users[0], &first_hold).await;
    assert_eq!(waitlist(&app, &users[1], &three).await["state"], "waiting");
    let offered = waitlist(&app, &users[2], &two).await;
    assert_eq!(offered["state"], "offered");
    let got = offered_seats(&app, &users[2], &offered).await;
    let mut freed = all[..2].to_vec();
    freed.sort();
    assert_eq!(got, freed, "the waiter holds exactly the freed seats");
    let third = waitlist(&app, &users[3], &one).await;
    assert_eq!(
        (third["state"].as_str(), third["position"].as_i64()),
        (Some("waiting"), Some(2))
    );
    // Four free up: the longest waiter (3) is served first, then the one-seat waiter.
    release(&app, &users[0], &second_hold).await;
    assert_eq!(waitlist(&app, &users[1], &three).await["state"], "offered");
    assert_eq!(waitlist(&app, &users[3], &one).await["state"], "offered");
    // No seat was given twice: every seat is held once.
    let report = app
        .store
        .tools()
        .inventory_report(
            boxoffice::domain::ShowId::new(id(&show).parse().expect("id")),
            app.clock.now_ms(),
        )
        .await
        .expect("report");
    assert_eq!((report.held, report.available), (6, 0));
    // The offer reached the mail outbox.
    let mail = app.data_dir.path().join("mail");
    let mut found = false;
    for _ in 0..100 {
        if let Ok(dir) = std::fs::read_dir(&mail) {
            found = dir.flatten().any(|f| {
                std::fs::read_to_string(f.path()).is_ok_and(|m| m.contains("held for you"))
            });
        }
        if found {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "the waiter is told by email");
}

async fn a_freed_seat_goes_to_its_waiter_under_a_storm_of_public_buyers(setup: Setup) {
    let app = spawn(setup).await;
    let admin = app.admin().await;
    // A 30 s hold: the seats lapse while the storm rages.
    let show = show_with(&app, &admin, 3, json!({"hold_ttl_seconds": 30})).await;
    let users = buyers(&app, 22).await;
    let map = seat_map(&app, &show).await;
    let all: Vec<String> = (0..3).map(|n| seat_of(&map, n)).collect();
    hold_seats(&app, &users[0], &show, &all).await;
    let waiter = waitlist_join(&app, &show, &users[1], json!({"quantity": 3}))
        .await
        .ok(201)
        .clone();
    // The hold lapses (30 s and the 5 s grace). Before the sweeper can act, twenty buyers race
    // for the lapsed seats: by id, and best available.
    app.clock.advance(Duration::from_secs(36));
    let storm = futures::future::join_all(users[2..].iter().enumerate().map(|(n, user)| {
        let body = if n % 2 == 0 {
            json!({"show_id": id(&show), "seat_ids": [all[n % 3].clone()]})
        } else {
            json!({"show_id": id(&show), "section": "Stalls", "quantity": 1})
        };
        hold_with(&app, user, body, None)
    }))
    .await;
    let entry = waitlist_ended(&app, &users[1], &waiter).await;
    assert_eq!(entry["state"], "offered");
    let got = offered_seats(&app, &users[1], &entry).await;
    assert_eq!(got, all, "every freed seat went to the waiter");
    // No public buyer got any of them.
    for r in &storm {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    }
    let report = app
        .store
        .tools()
        .inventory_report(
            boxoffice::domain::ShowId::new(id(&show).parse().expect("id")),
            app.clock.now_ms(),
        )
        .await
        .expect("report");
    assert_eq!((report.held, report.available, report.oversold), (3, 0, 0));
}

async fn waitlist_entries_expire_and_end_when_sold_out(setup: Setup) {
    let app = spawn(setup).await;
    let admin = app.admin().await;
    let users = buyers(&app, 3).await;
    // A show whose seats are held for an hour: the waiter's entry lapses first.
    let long = show_with(&app, &admin, 2, json!({"hold_ttl_seconds": 3600})).await;
    let map = seat_map(&app, &long).await;
    hold_seats(
        &app,
        &users[0],
        &long,
        &[seat_of(&map, 0), seat_of(&map, 1)],
    )
    .await;
    let lapsing = waitlist_join(&app, &long, &users[1], json!({"quantity": 1}))
        .await
        .ok(201)
        .clone();
    // A show whose held seats are then sold: nothing can free up any more.
    let short = show_with(&app, &admin, 2, json!({})).await;
    let map = seat_map(&app, &short).await;
    let hold = hold_seats(
        &app,
        &users[0],
        &short,
        &[seat_of(&map, 0), seat_of(&map, 1)],
    )
    .await;
    let hopeful = waitlist_join(&app, &short, &users[2], json!({"quantity": 2}))
        .await
        .ok(201)
        .clone();
    app.post(
        "/api/v1/bookings",
        Some(&users[0]),
        json!({"hold_id": hold["id"], "payment": {"provider": "test", "card_number": "4242424242424242"}}),
    )
    .await
    .ok(201);
    assert_eq!(
        waitlist_ended(&app, &users[2], &hopeful).await["state"],
        "sold_out"
    );
    app.clock.advance(Duration::from_secs(3_601));
    assert_eq!(
        waitlist_ended(&app, &users[1], &lapsing).await["state"],
        "expired"
    );
}

async fn the_waitlist_stream_pushes_the_offer(setup: Setup) {
    let app = spawn(setup).await;
    let admin = app.admin().await;
    let show = show_with(&app, &admin, 2, json!({})).await;
    let users = buyers(&app, 2).await;
    let map = seat_map(&app, &show).await;
    let all: Vec<String> = (0..2).map(|n| seat_of(&map, n)).collect();
    let hold = hold_seats(&app, &users[0], &show, &all).await;
    let entry = waitlist_join(&app, &show, &users[1], json!({"quantity": 2}))
        .await
        .ok(201)
        .clone();
    let response = app
        .client
        .get(format!(
            "{}/api/v1/waitlist/{}/stream",
            app.base,
            id(&entry)
        ))
        .bearer_auth(&users[1])
        .send()
        .await
        .expect("stream");
    assert_eq!(response.status(), StatusCode::OK);
    let mut events = crate::seatmap::EventStream::from_response(response);
    let first = events.next().await;
    assert_eq!(
        (first.event.as_str(), &first.data["state"]),
        ("entry", &json!("waiting"))
    );
    let started = std::time::Instant::now();
    release(&app, &users[0], &hold).await;
    let offered = loop {
        let e = events.next().await;
        if e.data["state"] != "waiting" {
            break e;
        }
    };
    assert_eq!(offered.data["state"], "offered");
    assert!(offered.data["hold_id"].is_string());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "pushed with the seat change"
    );
}
