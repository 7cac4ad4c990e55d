use crate::dual;
use crate::helpers::{Db, TestApp};
use serde_json::json;

dual!(
    register_login_me_logout,
    registration_rejects_bad_input,
    login_rejects_wrong_credentials
);

async fn register_login_me_logout(db: Db) {
    let app = TestApp::spawn(db).await;
    let created = app
        .register("Ada@Example.com", "correct horse battery")
        .await;
    let user = created.ok(201);
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["role"], "buyer");
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());

    let session = app.login("ada@example.com", "correct horse battery").await;
    let token = session.ok(201)["token"].as_str().unwrap().to_owned();
    assert!(session.body["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(session.body["user"]["id"], user["id"]);

    let me = app.get_as("/api/v1/users/me", &token).await;
    assert_eq!(me.ok(200)["email"], "ada@example.com");

    let out = app
        .request(
            reqwest::Method::DELETE,
            "/api/v1/sessions/current",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(out.status, 204);
    app.get_as("/api/v1/users/me", &token).await.problem(401);
    app.get("/api/v1/users/me").await.problem(401);
    app.get_as("/api/v1/users/me", "not-a-token")
        .await
        .problem(401);
    let bad_scheme = app
        .client
        .get(format!("{}/api/v1/users/me", app.base))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_scheme.status(), 401);
}

async fn registration_rejects_bad_input(db: Db) {
    let app = TestApp::spawn(db).await;
    let bad = app
        .post(
            "/api/v1/users",
            None,
            json!({"email": "nope", "name": "", "password": "short"}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["email", "name", "password"]);

    let missing = app
        .post(
            "/api/v1/users",
            None,
            json!({"email": "a@b.co", "name": "A"}),
        )
        .await;
    assert_eq!(missing.invalid_fields(), ["password"]);

    let wrong_type = app
        .post(
            "/api/v1/users",
            None,
            json!({"email": 5, "name": "A", "password": "long enough"}),
        )
        .await;
    assert_eq!(wrong_type.invalid_fields(), ["email"]);

    app.raw_post("/api/v1/users", "application/json", "{\"email\": ", None)
        .await
        .problem(400);
    app.raw_post("/api/v1/users", "text/plain", "hello", None)
        .await
        .problem(415);

    // Nothing was created by the bad requests: the address is still free.
    app.register("a@b.co", "long enough").await.ok(201);
    let taken = app.register("A@B.co", "another password").await;
    taken.problem(409);
    app.login("a@b.co", "another password").await.problem(401);
}

async fn login_rejects_wrong_credentials(db: Db) {
    let app = TestApp::spawn(db).await;
    app.register("bob@example.com", "correct horse battery")
        .await
        .ok(201);
    app.login("bob@example.com", "wrong password!")
        .await
        .problem(401);
    app.login("nobody@example.com", "correct horse battery")
        .await
        .problem(401);
    app.login("not an email", "x").await.problem(401);
}
