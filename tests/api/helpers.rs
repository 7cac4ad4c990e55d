//! Test harness: a real server on port 0 over a fresh SQLite file or a fresh PostgreSQL
//! database, and a client with one method per endpoint.

pub use crate::db::{
    fresh_pg_database, pg_base, postgres_or_skip, redis_or_skip, redis_prefix, redis_url, Db,
};
use boxoffice::app::Application;
use boxoffice::clock::Clock;
use boxoffice::config::Config;
use boxoffice::domain::users::{NewUser, Role};
use boxoffice::store::{self, DynStore, HashedUser};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Declares a test that runs once on each store.
#[macro_export]
macro_rules! dual {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::helpers::postgres_or_skip() {
                    super::$name(db).await
                }
            }
        }
    )*};
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: DynStore,
    pub clock: Clock,
    pub db: Db,
    pub config: Config,
    shutdown: tokio::sync::watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<()>>,
    pub data_dir: std::sync::Arc<tempfile::TempDir>,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Response {
    /// Asserts a problem+json error with this status and returns its body.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "problem content type for {}",
            self.text
        );
        assert_eq!(self.body["status"], status);
        assert!(
            self.body["title"].is_string()
                && self.body["detail"].is_string()
                && self.body["type"].is_string()
        );
        &self.body
    }

    /// The fields named by a 422.
    #[track_caller]
    pub fn invalid_fields(&self) -> Vec<String> {
        self.problem(422)["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        &self.body
    }
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        Self::spawn_with(db, |_| {}).await
    }

    /// Another instance on this one's database (its own data folder, the same clock).
    pub async fn second_instance(&self) -> TestApp {
        let dir = std::sync::Arc::new(tempfile::tempdir().expect("tempdir"));
        let mut config = self.config.clone();
        config.data_dir = dir.path().to_path_buf();
        Self::start(self.db, config, dir, self.clock.clone()).await
    }

    /// A server on a fresh store with its configuration adjusted first.
    pub async fn spawn_with(db: Db, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = std::sync::Arc::new(tempfile::tempdir().expect("tempdir"));
        let mut config = Config::for_data_dir(dir.path().to_path_buf());
        if db == Db::Postgres {
            config.database_url = Some(fresh_pg_database().await);
        }
        adjust(&mut config);
        Self::start(db, config, dir, Clock::manual()).await
    }

    /// Starts another server on the same data (a restart, or a second instance).
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let (db, config, dir, clock) = (
            self.db,
            self.config.clone(),
            self.data_dir.clone(),
            self.clock.clone(),
        );
        Self::start(db, config, dir, clock).await
    }

    pub async fn start(
        db: Db,
        config: Config,
        dir: std::sync::Arc<tempfile::TempDir>,
        clock: Clock,
    ) -> TestApp {
        let app = Application::build(config.clone(), clock.clone())
            .await
            .expect("build app");
        let base = format!("http://{}", app.local_addr());
        let store = app.state().store.clone();
        let shutdown = app.shutdown_handle();
        let server = tokio::spawn(async move {
            app.run_until_stopped().await.expect("server");
        });
        // As a load balancer would: no requests until the instance says it is ready (its
        // catalog reads are in memory).
        let client = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..3_000 {
            match client.get(format!("{base}/readyz")).send().await {
                Ok(r) if r.status() == 200 => {
                    ready = true;
                    break;
                }
                _ => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
        assert!(ready, "the server at {base} never said it was ready");
        TestApp {
            base,
            client,
            store,
            clock,
            db,
            config,
            shutdown,
            server: Some(server),
            data_dir: dir,
        }
    }

    /// A client for a server running elsewhere (a child process), with a store opened directly
    /// on the same data. `stop` and `restart` do nothing to that server.
    pub async fn attach(
        base: String,
        db: Db,
        config: Config,
        dir: std::sync::Arc<tempfile::TempDir>,
        clock: Clock,
    ) -> TestApp {
        let store = open_store(&config).await;
        TestApp {
            base,
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .expect("client"),
            store,
            clock,
            db,
            config,
            shutdown: tokio::sync::watch::channel(false).0,
            server: None,
            data_dir: dir,
        }
    }

    pub async fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        Self::read(resp).await
    }

    pub async fn read(resp: reqwest::Response) -> Response {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Response {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, None, None).await
    }
    pub async fn get_as(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }
    pub async fn raw_post(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
        token: Option<&str>,
    ) -> Response {
        let mut req = self
            .client
            .post(format!("{}{}", self.base, path))
            .header("content-type", content_type)
            .body(body.to_owned());
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        Self::read(req.send().await.expect("request")).await
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/users",
            None,
            json!({"email": email, "name": "Test Buyer", "password": password}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/sessions",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// Registers and logs in a fresh buyer; returns the token.
    pub async fn buyer(&self) -> String {
        let email = format!("buyer{:x}@example.com", rand::random::<u64>());
        self.register(&email, "correct horse battery").await.ok(201);
        self.login(&email, "correct horse battery").await.ok(201)["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// Creates an admin through the store (as `boxoffice admin create-user` does) and logs in.
    pub async fn admin(&self) -> String {
        self.member(Role::Admin, "Admin").await
    }

    /// Creates a user with `role` through the store and logs in; returns the token.
    pub async fn member(&self, role: Role, name: &str) -> String {
        let email = format!("{}{:x}@example.com", role.as_str(), rand::random::<u64>());
        let password = format!("{} password", role.as_str());
        let user = NewUser::parse(&email, name, &password, role).expect("valid");
        let hash = boxoffice::accounts::hash_password(user.password.clone())
            .await
            .expect("hash");
        self.store
            .create_user(HashedUser::new(user, hash), self.clock.now_ms())
            .await
            .expect("user");
        self.login(&email, &password).await.ok(201)["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// A venue with a seated section of `rows` x `seats` and a standing section of `standing`.
    pub async fn venue(
        &self,
        admin: &str,
        city: &str,
        rows: usize,
        seats: i64,
        standing: i64,
    ) -> Value {
        let row_list: Vec<Value> = (0..rows)
            .map(|r| json!({"label": format!("R{}", r + 1), "seats": seats}))
            .collect();
        self.post(
            "/api/v1/venues",
            Some(admin),
            json!({"name": format!("{city} Hall"), "city": city, "country": "Testland", "address": "1 Main St",
                   "lat": 48.2, "lon": 16.37,
                   "sections": if standing > 0 {
                       json!([{"name": "Stalls", "kind": "seated", "rows": row_list},
                              {"name": "Floor", "kind": "standing", "capacity": standing}])
                   } else {
                       json!([{"name": "Stalls", "kind": "seated", "rows": row_list}])
                   }}),
        )
        .await
        .ok(201)
        .clone()
    }

    pub async fn performer(&self, admin: &str, name: &str) -> Value {
        self.post(
            "/api/v1/performers",
            Some(admin),
            json!({"name": name, "genre": "rock"}),
        )
        .await
        .ok(201)
        .clone()
    }

    pub async fn event(
        &self,
        admin: &str,
        venue_id: &str,
        title: &str,
        category: &str,
        performers: &[&str],
    ) -> Value {
        self.post(
            "/api/v1/events",
            Some(admin),
            json!({"title": title, "description": "A night to remember", "category": category,
                   "venue_id": venue_id, "performer_ids": performers}),
        )
        .await
        .ok(201)
        .clone()
    }

    /// A show `days` from now with every section priced (Stalls 50.00, Floor 30.00).
    pub async fn show(&self, admin: &str, event_id: &str, days: i64, extra: Value) -> Value {
        let starts = boxoffice::domain::rfc3339(self.clock.now_ms() + days * 86_400_000);
        let event = self.get(&format!("/api/v1/events/{event_id}")).await;
        let venue = self
            .get(&format!(
                "/api/v1/venues/{}",
                event.body["venue"]["id"].as_str().expect("venue")
            ))
            .await;
        let prices: Vec<Value> = venue.body["sections"]
            .as_array()
            .expect("sections")
            .iter()
            .map(|s| json!({"section": s["name"], "amount": if s["name"] == "Floor" { 3000 } else { 5000 }, "currency": "EUR"}))
            .collect();
        let mut body = json!({"starts_at": starts, "prices": prices});
        if let (Some(obj), Some(more)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in more {
                obj.insert(k.clone(), v.clone());
            }
        }
        self.post(
            &format!("/api/v1/events/{event_id}/shows"),
            Some(admin),
            body,
        )
        .await
        .ok(201)
        .clone()
    }

    /// Venue + event + one show; returns (event, show).
    pub async fn scheduled_show(
        &self,
        admin: &str,
        rows: usize,
        seats: i64,
        standing: i64,
    ) -> (Value, Value) {
        let venue = self.venue(admin, "Vienna", rows, seats, standing).await;
        let event = self
            .event(
                admin,
                venue["id"].as_str().expect("id"),
                "Test Night",
                "concert",
                &[],
            )
            .await;
        let show = self
            .show(admin, event["id"].as_str().expect("id"), 7, json!({}))
            .await;
        (event, show)
    }
}

/// Opens the store the app used, directly (for checking what the database holds).
pub async fn open_store(config: &Config) -> DynStore {
    store::open(config.database_url.as_deref(), &config.data_dir)
        .await
        .expect("open store")
}
