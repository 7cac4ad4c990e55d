use crate::dual;
use crate::helpers::{Db, TestApp};
use serde_json::json;

dual!(
    health_ready_metrics_docs,
    unknown_routes_and_methods_are_problems,
    data_survives_a_restart,
    requests_beyond_the_in_flight_limit_are_shed_at_once
);

/// With room for one request, a second one while the first is still in flight (its body is
/// still arriving) is answered 503 with `Retry-After` at once; health checks still answer;
/// once the first is done, requests are taken again.
async fn requests_beyond_the_in_flight_limit_are_shed_at_once(db: Db) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(db, |config| config.max_in_flight = 1).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let body = json!({"email": "nobody@example.com", "password": "not the password"}).to_string();
    slow.write_all(
        format!(
            "POST /api/v1/sessions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{}",
            body.len(),
            &body[..5]
        )
        .as_bytes(),
    )
    .await
    .expect("send the head");
    // Give the server the head, so the slow request holds the one place.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let shed = app.get("/api/v1/cities").await;
    assert_eq!(
        shed.problem(503)["type"],
        "https://boxoffice.dev/problems/overloaded"
    );
    assert_eq!(shed.headers["retry-after"], "1");
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(app.get("/healthz").await.status, 200);
    // The slow request finishes normally (a wrong password), and the place is free again.
    slow.write_all(&body.as_bytes()[5..])
        .await
        .expect("send the rest");
    let mut answer = String::new();
    slow.read_to_string(&mut answer)
        .await
        .expect("read the answer");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    app.get("/api/v1/cities").await.ok(200);
}

async fn health_ready_metrics_docs(db: Db) {
    let app = TestApp::spawn(db).await;
    assert_eq!(app.get("/healthz").await.ok(200)["status"], "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(
        ready.ok(200)["store"],
        if db == Db::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
    let events = app.get("/api/v1/events/12345").await;
    events.problem(404);
    assert!(events.headers.contains_key("x-request-id"));

    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.text.contains(
            "http_requests_total{method=\"GET\",route=\"/api/v1/events/{id}\",status=\"404\"}"
        ),
        "metrics by matched route: {}",
        metrics.text
    );
    assert!(metrics
        .text
        .contains("http_request_duration_seconds_bucket"));

    let doc = app.get("/api/v1/openapi.json").await;
    let paths = doc.ok(200)["paths"].as_object().unwrap();
    for path in [
        "/api/v1/users",
        "/api/v1/sessions",
        "/api/v1/events",
        "/api/v1/events/{id}",
        "/api/v1/shows/{id}/seats",
        "/api/v1/cities",
    ] {
        assert!(paths.contains_key(path), "{path} documented");
    }
    let docs = app
        .client
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("/api/v1/events/{id}/shows") && !html.contains("<script"));
}

async fn unknown_routes_and_methods_are_problems(db: Db) {
    let app = TestApp::spawn(db).await;
    app.get("/api/v1/nothing-here").await.problem(404);
    app.request(reqwest::Method::PUT, "/api/v1/cities", None, None)
        .await
        .problem(405);
    app.get("/api/v1/events/not-an-id").await.problem(404);
    app.get("/api/v1/shows/-1/seats").await.problem(404);
    // A request id sent by the client is echoed back.
    let resp = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "abc123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc123");
}

async fn data_survives_a_restart(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (event, show) = app.scheduled_show(&admin, 2, 5, 10).await;
    app.register("keep@example.com", "correct horse battery")
        .await
        .ok(201);
    let app = app.restart().await;
    let again = app
        .get(&format!("/api/v1/events/{}", event["id"].as_str().unwrap()))
        .await;
    assert_eq!(again.ok(200)["title"], "Test Night");
    let seats = app
        .get(&format!(
            "/api/v1/shows/{}/seats",
            show["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        seats.ok(200)["sections"][0]["seats"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    app.login("keep@example.com", "correct horse battery")
        .await
        .ok(201);
    // The old admin session survives too.
    app.post(
        "/api/v1/performers",
        Some(&admin),
        json!({"name": "Still Admin"}),
    )
    .await
    .ok(201);
}
