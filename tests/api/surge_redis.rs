//! Several instances on one PostgreSQL and one Redis are one waiting room, and a Redis outage
//! pauses the room without losing a sale or selling a seat twice.

use crate::helpers::{postgres_or_skip, redis_or_skip, redis_prefix, redis_url, TestApp};
use crate::surge::buyers;
use boxoffice::clock::Clock;
use boxoffice::config::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_one_redis_admit_as_one_queue() {
    let (Some(db), true) = (postgres_or_skip(), redis_or_skip()) else {
        return;
    };
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    let mut config = Config::for_data_dir(dir.path().to_path_buf());
    config.database_url = Some(crate::helpers::fresh_pg_database().await);
    config.redis_url = Some(redis_url());
    config.redis_prefix = redis_prefix();
    let clock = Clock::manual();
    let mut apps = Vec::new();
    for _ in 0..3 {
        apps.push(instance(db, &config, &clock).await);
    }
    let admin = apps[0].admin().await;
    let (_, show) = apps[0].scheduled_show(&admin, 1, 100, 0).await;
    let show_id = show["id"].as_str().expect("id").to_owned();
    patch_show(
        &apps[1],
        &admin,
        &show_id,
        json!({"waiting_room": true, "room_max_active": 5}),
    )
    .await;
    // Every instance sees the setting within its two-second cache.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let users = buyers(&apps[0], 30).await;
    let mut tokens = Vec::new();
    for (n, user) in users.iter().enumerate() {
        let app = &apps[n % 3];
        let e = app
            .post(
                &format!("/api/v1/shows/{show_id}/queue"),
                Some(user),
                json!({}),
            )
            .await
            .ok(201)
            .clone();
        tokens.push(e["token"].as_str().expect("token").to_owned());
    }
    // All three pace every 100 ms; however their steps interleave, five are in.
    let admitted = |tokens: Vec<String>| {
        let apps = &apps;
        async move {
            let mut states = Vec::new();
            for (n, t) in tokens.iter().enumerate() {
                let e = apps[(n + 1) % 3]
                    .get(&format!("/api/v1/queue/{t}"))
                    .await
                    .ok(200)
                    .clone();
                states.push(e);
            }
            states
        }
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut states = admitted(tokens.clone()).await;
    while states.iter().filter(|e| e["state"] == "admitted").count() < 5
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
        states = admitted(tokens.clone()).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let states = admitted(tokens.clone()).await;
    let count = states.iter().filter(|e| e["state"] == "admitted").count();
    assert_eq!(count, 5, "the cap holds across instances");
    assert!(
        states[..5].iter().all(|e| e["state"] == "admitted"),
        "in order of arrival"
    );
    // Every instance reads the same place for a buyer.
    for app in &apps {
        let e = app
            .get(&format!("/api/v1/queue/{}", tokens[10]))
            .await
            .ok(200)
            .clone();
        assert_eq!(e["position"], 6);
    }
    // Two leave, on different instances: exactly two more come in.
    for (n, t) in tokens[..2].iter().enumerate() {
        apps[n]
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v1/queue/{t}"),
                None,
                None,
            )
            .await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut states = admitted(tokens[2..].to_vec()).await;
    while states.iter().filter(|e| e["state"] == "admitted").count() < 5
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
        states = admitted(tokens[2..].to_vec()).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let states = admitted(tokens[2..].to_vec()).await;
    assert_eq!(
        states.iter().filter(|e| e["state"] == "admitted").count(),
        5
    );
    assert_eq!(states[5]["state"], "waiting");
}

/// Another instance on the same database and Redis, with its own data folder (search index).
async fn instance(db: crate::helpers::Db, config: &Config, clock: &Clock) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    let mut config = config.clone();
    config.data_dir = dir.path().to_path_buf();
    TestApp::start(db, config, dir, clock.clone()).await
}

async fn patch_show(app: &TestApp, admin: &str, show: &str, body: Value) {
    let r = app
        .client
        .patch(format!("{}/api/v1/shows/{show}", app.base))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), StatusCode::OK);
}

/// A Redis server of this test's own, which it can stop and start.
struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut redis = OwnRedis { port, child: None };
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts (Debian's redis-server package)");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not listen");
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_pauses_the_room_and_the_sale_completes_after() {
    let (Some(db), true) = (postgres_or_skip(), redis_or_skip()) else {
        return;
    };
    let mut redis = OwnRedis::start();
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    let mut config = Config::for_data_dir(dir.path().to_path_buf());
    config.database_url = Some(crate::helpers::fresh_pg_database().await);
    config.redis_url = Some(redis.url());
    config.redis_prefix = redis_prefix();
    let clock = Clock::manual();
    let apps = [
        instance(db, &config, &clock).await,
        instance(db, &config, &clock).await,
    ];
    let admin = apps[0].admin().await;
    let venue = apps[0].venue(&admin, "Linz", 1, 12, 0).await;
    let event = apps[0]
        .event(
            &admin,
            venue["id"].as_str().expect("id"),
            "Sold Out Night",
            "concert",
            &[],
        )
        .await;
    let show = apps[0]
        .show(
            &admin,
            event["id"].as_str().expect("id"),
            7,
            json!({"waiting_room": true, "room_max_active": 3, "max_per_order": 2}),
        )
        .await;
    let show_id = show["id"].as_str().expect("id").to_owned();
    let users = buyers(&apps[0], 10).await;
    let join = |n: usize| {
        let (app, user, show_id) = (&apps[n % 2], users[n].clone(), show_id.clone());
        async move {
            app.post(
                &format!("/api/v1/shows/{show_id}/queue"),
                Some(&user),
                json!({}),
            )
            .await
        }
    };
    let mut tokens = Vec::new();
    for n in 0..8 {
        tokens.push(
            join(n).await.ok(201)["token"]
                .as_str()
                .expect("token")
                .to_owned(),
        );
    }
    let entry = |n: usize, token: String| {
        let app = &apps[n % 2];
        async move { app.get(&format!("/api/v1/queue/{token}")).await }
    };
    let mut admissions = Vec::new();
    for (n, token) in tokens[..3].iter().enumerate() {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let e = entry(n, token.clone()).await;
            if e.body["state"] == "admitted" {
                admissions.push(e.body["admission"].as_str().expect("admission").to_owned());
                break;
            }
            assert!(Instant::now() < deadline, "never admitted: {}", e.text);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Redis goes away mid-sale.
    redis.stop();
    let paused = join(8).await;
    paused.problem(503);
    assert_eq!(paused.headers["retry-after"], "5");
    entry(0, tokens[5].clone()).await.problem(503);
    // Those admitted keep buying: their admissions verify by signature, the database guards
    // the seats.
    for (n, admission) in admissions.iter().enumerate() {
        let app = &apps[(n + 1) % 2];
        let hold = app
            .client
            .post(format!("{}/api/v1/holds", app.base))
            .bearer_auth(&users[n])
            .header("Admission", admission)
            .json(&json!({"show_id": show_id, "section": "Stalls", "quantity": 2}))
            .send()
            .await
            .expect("hold");
        let hold = TestApp::read(hold).await;
        let hold = hold.ok(201);
        let booking = app
            .post("/api/v1/bookings", Some(&users[n]),
                  json!({"hold_id": hold["id"], "payment": {"provider": "test", "card_number": "4242424242424242"}}))
            .await;
        assert_eq!(booking.ok(201)["status"], "confirmed");
    }

    // Redis is back, empty (no persistence): the room resumes, and those whose entries were
    // lost join again, as a client does when its entry reads `expired`.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    while join(8).await.status != StatusCode::CREATED {
        assert!(Instant::now() < deadline, "the room never resumed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut done = vec![false; 10];
    for d in done.iter_mut().take(3) {
        *d = true;
    }
    let mut bought = 3;
    let deadline = Instant::now() + Duration::from_secs(30);
    while done.iter().any(|d| !d) {
        assert!(
            Instant::now() < deadline,
            "the sale did not complete: {done:?}"
        );
        for n in 3..10 {
            if done[n] {
                continue;
            }
            let e = join(n).await;
            if e.status != StatusCode::CREATED {
                continue;
            }
            match e.body["state"].as_str() {
                Some("sold_out") => done[n] = true,
                Some("admitted") => {
                    let app = &apps[n % 2];
                    let hold = app
                        .client
                        .post(format!("{}/api/v1/holds", app.base))
                        .bearer_auth(&users[n])
                        .header(
                            "Admission",
                            e.body["admission"].as_str().expect("admission"),
                        )
                        .json(&json!({"show_id": show_id, "section": "Stalls", "quantity": 2}))
                        .send()
                        .await
                        .expect("hold");
                    let hold = TestApp::read(hold).await;
                    if hold.status == StatusCode::CONFLICT {
                        continue; // sold out meanwhile; the room says so at its next step
                    }
                    let booking = app
                        .post("/api/v1/bookings", Some(&users[n]),
                              json!({"hold_id": hold.ok(201)["id"], "payment": {"provider": "test", "card_number": "4242424242424242"}}))
                        .await;
                    assert_eq!(booking.ok(201)["status"], "confirmed");
                    bought += 1;
                    done[n] = true;
                }
                _ => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(bought, 6, "twelve seats, two each");
    let report = apps[0]
        .store
        .tools()
        .inventory_report(
            boxoffice::domain::ShowId::new(show_id.parse().expect("id")),
            clock.now_ms(),
        )
        .await
        .expect("report");
    assert_eq!(
        (report.sold, report.oversold, report.mismatched),
        (12, 0, 0)
    );
}
