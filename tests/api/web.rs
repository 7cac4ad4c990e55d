//! The web pages over plain HTTP, on both stores: a purchase done with forms alone (as a
//! browser without JavaScript does it), CSRF and cross-site refusals that change nothing,
//! escaping and the Content-Security-Policy, hashed assets with long caching and compression,
//! log-in redirects and log-out, HTML 404s, venue time zones. `web_pages.rs` drives the same
//! pages in a real browser.

use crate::booking::{seat_ids, OK_CARD};
use crate::dual;
use crate::helpers::{Db, TestApp};
use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

dual!(
    a_buyer_pays_with_forms_alone,
    forms_without_the_csrf_token_change_nothing,
    pages_escape_what_organisers_type,
    assets_are_hashed_cached_and_compressed,
    log_in_comes_back_and_log_out_ends_the_session,
    unknown_pages_are_html_for_browsers_and_problems_for_the_api,
    venues_keep_a_time_zone_and_pages_show_local_times,
    the_waiting_room_works_without_javascript,
    organisers_see_each_show_selling_live,
    organisers_make_venues_events_and_shows_with_forms,
    an_expired_hold_gets_a_clear_page_and_takes_no_money,
    search_pages_filter_by_facets_and_page_through,
    a_buyer_leaves_the_waitlist_from_the_page,
);

/// A browser without JavaScript: keeps cookies, follows no redirects (tests look at them).
pub struct WebClient {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn redirects_to(&self, prefix: &str) -> &str {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.html);
        assert!(
            self.location().starts_with(prefix),
            "went to {} rather than {prefix}",
            self.location()
        );
        self.location()
    }

    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.status, StatusCode::OK, "{}", self.html);
        &self.html
    }

    /// The value of the first `name="csrf"` field.
    pub fn csrf(&self) -> String {
        attribute_after(&self.html, "name=\"csrf\" value=\"").expect("a form with a CSRF field")
    }
}

fn attribute_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

impl WebClient {
    pub fn new(app: &TestApp) -> Self {
        WebClient {
            base: app.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let raw = value.to_str().expect("cookie");
            let pair = raw.split(';').next().expect("pair");
            let (name, value) = pair.split_once('=').expect("name=value");
            if value.is_empty() || raw.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// Logs in with an API session token (the cookie carries the same token).
    pub fn use_session(&mut self, token: &str) {
        self.cookies.insert("bo_session".into(), token.into());
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET");
        self.read(resp).await
    }

    /// Posts a form; `csrf` is added from the cookie unless the fields carry their own.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut body = form_urlencoded::Serializer::new(String::new());
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            body.append_pair("csrf", self.cookie("bo_csrf").unwrap_or_default());
        }
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        self.post_raw(path, body.finish(), &[]).await
    }

    pub async fn post_raw(&mut self, path: &str, body: String, headers: &[(&str, &str)]) -> Page {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let resp = request.send().await.expect("POST");
        self.read(resp).await
    }

    async fn read(&mut self, resp: reqwest::Response) -> Page {
        let status = resp.status();
        let headers = resp.headers().clone();
        self.keep_cookies(&headers);
        let html = resp.text().await.expect("body");
        Page {
            status,
            headers,
            html,
        }
    }

    /// Registers through the page (which logs in), after a first visit for the CSRF cookie.
    pub async fn register(&mut self) -> String {
        self.get("/register").await.ok();
        let email = format!("web{:x}@example.com", rand::random::<u64>());
        self.post(
            "/register",
            &[
                ("name", "Web Buyer"),
                ("email", &email),
                ("password", "correct horse battery"),
                ("next", "/"),
            ],
        )
        .await
        .redirects_to("/");
        assert!(self.cookie("bo_session").is_some(), "no session cookie");
        email
    }
}

/// A show of 1 row x 6 seats plus 20 standing places, on sale.
async fn show(app: &TestApp) -> (String, Value) {
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 6, 20).await;
    (admin, show)
}

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

async fn available(app: &TestApp, show: &Value) -> i64 {
    app.get(&format!("/api/v1/shows/{}", id(show)))
        .await
        .ok(200)["available"]
        .as_i64()
        .expect("available")
}

async fn a_buyer_pays_with_forms_alone(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, show) = show(&app).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let mut web = WebClient::new(&app);
    web.register().await;
    let page = web.get(&format!("/shows/{}", id(&show))).await;
    let html = page.ok();
    assert!(html.contains(">Hold</button>"), "{html}");
    assert!(html.contains("Find best seats"));
    // The list mode names every seat for screen readers and works without the map.
    let list = web.get(&format!("/shows/{}/list", id(&show))).await;
    assert!(list.ok().contains("Row R1, seat 3, €"), "{}", list.html);

    let held = web
        .post(
            &format!("/shows/{}/hold", id(&show)),
            &[("seat", &seats[0]), ("seat", &seats[1])],
        )
        .await;
    let checkout = held.redirects_to("/holds/").to_owned();
    assert_eq!(available(&app, &show).await, 24);
    let page = web.get(&checkout).await;
    let html = page.ok();
    assert!(
        html.contains("R1, seat 1") && html.contains("R1, seat 2"),
        "{html}"
    );
    assert!(html.contains("data-expires-in=\""));

    // A declined card keeps the seats held and says so; another card pays.
    let declined = web
        .post(
            &format!("{checkout}/pay"),
            &[("card", "4000 0000 0000 0002")],
        )
        .await;
    assert_eq!(declined.status, StatusCode::PAYMENT_REQUIRED);
    assert!(
        declined.html.contains("Your card was declined"),
        "{}",
        declined.html
    );
    assert_eq!(available(&app, &show).await, 24);
    let paid = web
        .post(&format!("{checkout}/pay"), &[("card", OK_CARD)])
        .await;
    let booking_path = paid.redirects_to("/bookings/").to_owned();
    let booking = web.get(&booking_path).await;
    let html = booking.ok();
    assert!(html.contains("Confirmed"), "{html}");
    // The tickets shown are the ones the API issues, each with its QR code.
    let token = web.cookie("bo_session").expect("session").to_owned();
    let booking_id = booking_path.trim_start_matches("/bookings/");
    let tickets = app
        .get_as(&format!("/api/v1/bookings/{booking_id}/tickets"), &token)
        .await
        .ok(200)["items"]
        .as_array()
        .expect("tickets")
        .clone();
    assert_eq!(tickets.len(), 2);
    for t in &tickets {
        assert!(html.contains(t["code"].as_str().expect("code")), "{html}");
    }
    assert_eq!(html.matches("data:image/svg+xml;base64,").count(), 2);
    let print = web.get(&format!("{booking_path}/print")).await;
    assert_eq!(print.ok().matches("class=\"printed-ticket\"").count(), 2);

    let mine = web.get("/bookings").await;
    assert!(mine.ok().contains(&booking_path), "{}", mine.html);
    assert!(mine.html.contains("Cancel booking"));
    for t in &tickets {
        assert!(
            mine.html.contains(t["code"].as_str().expect("code")),
            "my bookings lacks a code"
        );
    }
    web.post(&format!("{booking_path}/cancel"), &[])
        .await
        .redirects_to(&booking_path);
    let cancelled = web.get(&booking_path).await;
    assert!(cancelled.ok().contains("Cancelled"), "{}", cancelled.html);
    assert!(
        !cancelled.html.contains("data:image/svg+xml"),
        "tickets of a cancelled booking"
    );
    assert_eq!(available(&app, &show).await, 26);

    // Best available by quantity, and a standing section by quantity.
    let best = web
        .post(
            &format!("/shows/{}/hold", id(&show)),
            &[("section", "Floor"), ("quantity", "3")],
        )
        .await;
    let hold = best.redirects_to("/holds/").to_owned();
    assert!(web.get(&hold).await.ok().contains("Floor, standing"));
    // Giving the seats back frees them at once.
    web.post(&format!("{hold}/release"), &[])
        .await
        .redirects_to(&format!("/shows/{}", id(&show)));
    assert_eq!(available(&app, &show).await, 26);
}

async fn forms_without_the_csrf_token_change_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, show) = show(&app).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let mut web = WebClient::new(&app);
    web.register().await;
    let path = format!("/shows/{}/hold", id(&show));
    let missing = web.post_raw(&path, format!("seat={}", seats[0]), &[]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.html.contains("did not come from this site"));
    let wrong = web
        .post(&path, &[("csrf", "not-the-token"), ("seat", &seats[0])])
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // The right token from another site's page is refused too.
    let token = web.cookie("bo_csrf").expect("csrf cookie").to_owned();
    // Pages carry the token masked afresh each time (so compressed pages never repeat it).
    let form = web.get(&format!("/shows/{}", id(&show))).await;
    let again = web.get(&format!("/shows/{}", id(&show))).await;
    assert_ne!(form.csrf(), token);
    assert_ne!(form.csrf(), again.csrf());
    let body = format!("csrf={token}&seat={}", seats[0]);
    let cross = web
        .post_raw(&path, body.clone(), &[("origin", "https://evil.example")])
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let fetched = web
        .post_raw(&path, body.clone(), &[("sec-fetch-site", "cross-site")])
        .await;
    assert_eq!(fetched.status, StatusCode::FORBIDDEN);
    assert_eq!(
        available(&app, &show).await,
        26,
        "a refused form held seats"
    );
    // The same form from our own page goes through, with the page's masked token too.
    web.post_raw(&path, body, &[("sec-fetch-site", "same-origin")])
        .await
        .redirects_to("/holds/");
    assert_eq!(available(&app, &show).await, 25);
    web.post(
        &path,
        &[
            ("csrf", &form.csrf()),
            ("section", "Floor"),
            ("quantity", "1"),
        ],
    )
    .await
    .redirects_to("/holds/");
    assert_eq!(available(&app, &show).await, 24);
    // Neither cookie reaches JavaScript.
    let fresh = WebClient::new(&app).get("/").await;
    let set: Vec<&str> = fresh
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        set.iter().any(|c| c.starts_with("bo_csrf=")
            && c.contains("HttpOnly")
            && c.contains("SameSite=Lax")),
        "{set:?}"
    );
}

async fn pages_escape_what_organisers_type(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let venue = app.venue(&admin, "Vienna", 1, 4, 0).await;
    let event = app
        .event(
            &admin,
            id(&venue),
            "<script>alert('x')</script> & <b>friends</b>",
            "concert",
            &[],
        )
        .await;
    app.show(&admin, id(&event), 7, json!({})).await;
    let mut web = WebClient::new(&app);
    let page = web.get(&format!("/events/{}", id(&event))).await;
    let html = page.ok();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<b>friends"), "{html}");
    assert!(html.contains("&#60;script&#62;alert"), "{html}");
    let csp = page
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .expect("a CSP");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(page.headers["x-frame-options"], "DENY");
    // No page has inline script or style for the policy to block.
    for path in ["/", "/browse", "/search?q=friends", "/login", "/register"] {
        let html = web.get(path).await.ok().to_owned();
        for tag in html.split("<script").skip(1) {
            let open = tag.split('>').next().unwrap_or_default();
            assert!(
                open.contains("src="),
                "{path} has an inline script: <script{open}>"
            );
        }
        assert!(
            !html.contains("<style") && !html.contains(" style=\""),
            "{path} has inline style"
        );
    }
}

async fn assets_are_hashed_cached_and_compressed(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut web = WebClient::new(&app);
    let home = web.get("/").await;
    let css = attribute_after(home.ok(), "rel=\"stylesheet\" href=\"").expect("stylesheet");
    let js = attribute_after(&home.html, "type=\"module\" src=\"").expect("script");
    assert!(
        css.starts_with("/static/app.") && css.ends_with(".css"),
        "{css}"
    );
    for (path, kind) in [(&css, "text/css"), (&js, "text/javascript")] {
        let http = reqwest::Client::new();
        let resp = http
            .get(format!("{}{path}", app.base))
            .header("accept-encoding", "br")
            .send()
            .await
            .expect("asset");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()[CONTENT_TYPE], kind);
        assert_eq!(
            resp.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(resp.headers()["content-encoding"], "br");
    }
    let missing = web.get("/static/app.0000.css").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // Pages and JSON are compressed too; pages are never cached by shared caches.
    let gz = reqwest::Client::new()
        .get(format!("{}/", app.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("home");
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["cache-control"], "private, no-cache");
    let api = reqwest::Client::new()
        .get(format!("{}/api/v1/openapi.json", app.base))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .expect("openapi");
    assert!(api.headers().contains_key("content-encoding"));
}

async fn log_in_comes_back_and_log_out_ends_the_session(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut web = WebClient::new(&app);
    web.get("/bookings")
        .await
        .redirects_to("/login?next=%2Fbookings");
    let email = web.register().await;
    let token = web.cookie("bo_session").expect("session").to_owned();
    app.get_as("/api/v1/users/me", &token).await.ok(200);
    web.post("/logout", &[]).await.redirects_to("/");
    assert!(web.cookie("bo_session").is_none(), "the cookie stays");
    app.get_as("/api/v1/users/me", &token).await.problem(401);
    web.get("/bookings").await.redirects_to("/login");

    let wrong = web
        .post(
            "/login",
            &[
                ("email", &email),
                ("password", "wrong password!"),
                ("next", "/bookings"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("Wrong email or password"));
    web.post(
        "/login",
        &[
            ("email", &email),
            ("password", "correct horse battery"),
            ("next", "/bookings"),
        ],
    )
    .await
    .redirects_to("/bookings");
    assert!(web.get("/bookings").await.ok().contains("My bookings"));
    // `next` never leads off the site.
    web.post("/logout", &[]).await;
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " //evil.example",
    ] {
        let page = web
            .post(
                "/login",
                &[
                    ("email", &email),
                    ("password", "correct horse battery"),
                    ("next", evil),
                ],
            )
            .await;
        assert_eq!(page.redirects_to("/"), "/", "next={evil}");
    }
    // A buyer is not an organiser.
    let admin_page = web.get("/admin").await;
    assert_eq!(admin_page.status, StatusCode::FORBIDDEN);
}

async fn unknown_pages_are_html_for_browsers_and_problems_for_the_api(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut web = WebClient::new(&app);
    let page = web.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.headers[CONTENT_TYPE]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/html"));
    let event = web.get("/events/999999").await;
    assert_eq!(event.status, StatusCode::NOT_FOUND);
    assert!(event.html.contains("Not found"));
    let garbage = web.get("/shows/not-a-number").await;
    assert_eq!(garbage.status, StatusCode::NOT_FOUND);
    let api = app.get("/api/v1/nothing").await;
    api.problem(404);
}

async fn venues_keep_a_time_zone_and_pages_show_local_times(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let body = |zone: Value, country: &str, lon: f64| {
        json!({"name": "Hall", "city": "New York", "country": country, "address": "1 Main St",
               "lat": 40.7, "lon": lon, "timezone": zone,
               "sections": [{"name": "Stalls", "kind": "seated", "rows": [{"label": "A", "seats": 2}]}]})
    };
    let given = app
        .post(
            "/api/v1/venues",
            Some(&admin),
            body(json!("America/New_York"), "United States", -74.0),
        )
        .await;
    assert_eq!(given.ok(201)["timezone"], "America/New_York");
    let by_country = app
        .post(
            "/api/v1/venues",
            Some(&admin),
            body(Value::Null, "Austria", 16.4),
        )
        .await;
    assert_eq!(by_country.ok(201)["timezone"], "Europe/Vienna");
    let by_longitude = app
        .post(
            "/api/v1/venues",
            Some(&admin),
            body(Value::Null, "United States", -87.6),
        )
        .await;
    assert_eq!(by_longitude.ok(201)["timezone"], "America/Chicago");
    let bad = app
        .post(
            "/api/v1/venues",
            Some(&admin),
            body(json!("Mars/Olympus"), "Austria", 16.4),
        )
        .await;
    assert_eq!(bad.invalid_fields(), vec!["timezone"]);
    // 23:30 UTC on 10 Jan 2027 is 18:30 in New York.
    let venue = given.body.clone();
    let event = app
        .event(&admin, id(&venue), "Late Show", "comedy", &[])
        .await;
    let show = app
        .post(
            &format!("/api/v1/events/{}/shows", id(&event)),
            Some(&admin),
            json!({"starts_at": "2027-01-10T23:30:00Z", "prices": [{"section": "Stalls", "amount": 2500, "currency": "USD"}]}),
        )
        .await
        .ok(201)
        .clone();
    assert_eq!(show["venue"]["timezone"], "America/New_York");
    let mut web = WebClient::new(&app);
    let page = web.get(&format!("/events/{}", id(&event))).await;
    let html = page.ok();
    assert!(
        html.contains("Sun 10 Jan 2027, 18:30") && html.contains("EST"),
        "{html}"
    );
    assert!(html.contains("$25.00"), "{html}");
    // A city's name is one path segment, spaces and all.
    assert!(html.contains("href=\"/cities/New%20York\""), "{html}");
    let city = web.get("/cities/New%20York").await;
    assert!(
        city.ok().contains("on in New York") && city.html.contains("Late Show"),
        "{}",
        city.html
    );
}

async fn the_waiting_room_works_without_javascript(db: Db) {
    let app = TestApp::spawn(db).await;
    let (admin, show) = show(&app).await;
    app.request(
        reqwest::Method::PATCH,
        &format!("/api/v1/shows/{}", id(&show)),
        Some(&admin),
        Some(json!({"waiting_room": true})),
    )
    .await
    .ok(200);
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let mut web = WebClient::new(&app);
    web.register().await;
    let page = web.get(&format!("/shows/{}", id(&show))).await;
    assert!(page.ok().contains("Join the queue"), "{}", page.html);
    // Holding without an admission leads to the queue.
    web.post(
        &format!("/shows/{}/hold", id(&show)),
        &[("seat", &seats[0])],
    )
    .await
    .redirects_to(&format!("/shows/{}/queue", id(&show)));
    web.post(&format!("/shows/{}/queue", id(&show)), &[])
        .await
        .redirects_to(&format!("/shows/{}/queue", id(&show)));
    // Until admitted the page shows the place and refreshes itself; then it hands over the
    // admission and goes to the seat map.
    let queue_path = format!("/shows/{}/queue", id(&show));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let seat_page = loop {
        let page = web.get(&queue_path).await;
        if page.status == StatusCode::SEE_OTHER {
            break page;
        }
        assert!(page.ok().contains("in line"), "{}", page.html);
        assert!(page.html.contains("http-equiv=\"refresh\""));
        assert!(std::time::Instant::now() < deadline, "never admitted");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    seat_page.redirects_to(&format!("/shows/{}", id(&show)));
    assert!(web.cookie(&format!("bo_adm_{}", id(&show))).is_some());
    assert!(web
        .get(&format!("/shows/{}", id(&show)))
        .await
        .ok()
        .contains(">Hold</button>"));
    web.post(
        &format!("/shows/{}/hold", id(&show)),
        &[("seat", &seats[0])],
    )
    .await
    .redirects_to("/holds/");
}

async fn organisers_see_each_show_selling_live(db: Db) {
    let app = TestApp::spawn(db).await;
    let (admin, show) = show(&app).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let hold = app.hold(&buyer, &show, &seats[..2]).await.ok(201).clone();
    app.book(&buyer, &hold, OK_CARD).await.ok(201);
    app.hold(&buyer, &show, &seats[2..3]).await.ok(201);
    let mut web = WebClient::new(&app);
    web.use_session(&admin);
    let dashboard = web.get("/admin").await;
    let sales_path = format!("/admin/shows/{}", id(&show));
    assert!(dashboard.ok().contains(&sales_path), "{}", dashboard.html);
    let page = web.get(&sales_path).await;
    let html = page.ok();
    let value = |name: &str| {
        let marker = format!("<dd id=\"{name}\">");
        let start = html.find(&marker).expect(name) + marker.len();
        html[start..]
            .split('<')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(value("sold"), "2");
    assert_eq!(value("held"), "1");
    assert_eq!(value("available"), "23");
    assert_eq!(value("revenue"), "€100.00");
    assert_eq!(value("bookings"), "1");
    // A buyer sees no sales.
    let mut buyer_web = WebClient::new(&app);
    buyer_web.use_session(&buyer);
    assert_eq!(
        buyer_web.get(&sales_path).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn organisers_make_venues_events_and_shows_with_forms(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let mut web = WebClient::new(&app);
    web.use_session(&admin);
    web.get("/admin/venues/new").await.ok();
    let venue_fields = |lat: &'static str| {
        vec![
            ("name", "Konzerthaus"),
            ("address", "Lothringerstraße 20"),
            ("city", "Vienna"),
            ("country", "Austria"),
            ("lat", lat),
            ("lon", "16.38"),
            ("timezone", ""),
            ("section_name", "Parkett"),
            ("section_kind", "seated"),
            ("section_rows", "3"),
            ("section_seats", "4"),
            ("section_capacity", ""),
            ("section_name", "Stehplatz"),
            ("section_kind", "standing"),
            ("section_rows", ""),
            ("section_seats", ""),
            ("section_capacity", "50"),
            ("section_name", ""),
            ("section_kind", "seated"),
            ("section_rows", ""),
            ("section_seats", ""),
            ("section_capacity", ""),
        ]
    };
    // A bad latitude: the form comes back with the reason and what was typed.
    let bad = web.post("/admin/venues", &venue_fields("north")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(
        bad.html.contains("lat") && bad.html.contains("value=\"Konzerthaus\""),
        "{}",
        bad.html
    );
    let made = web.post("/admin/venues", &venue_fields("48.2")).await;
    let next = made.redirects_to("/admin/events/new?venue=").to_owned();
    let venue_id = next.rsplit('=').next().expect("venue id").to_owned();
    let venue = app
        .get(&format!("/api/v1/venues/{venue_id}"))
        .await
        .ok(200)
        .clone();
    assert_eq!(venue["timezone"], "Europe/Vienna");
    assert_eq!(venue["capacity"], 62);
    assert_eq!(
        venue["sections"][0]["rows"],
        json!([{"label": "A", "seats": 4}, {"label": "B", "seats": 4}, {"label": "C", "seats": 4}])
    );
    let form = web.get(&next).await;
    assert!(
        form.ok()
            .contains(&format!("value=\"{venue_id}\" selected")),
        "{}",
        form.html
    );
    // A refused event form makes nothing, not even its performer.
    let refused = web
        .post(
            "/admin/events",
            &[
                ("title", ""),
                ("category", "classical"),
                ("venue", &venue_id),
                ("performer", "Ghost"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("value=\"Ghost\""), "{}", refused.html);
    let event = web
        .post(
            "/admin/events",
            &[
                ("title", "Neujahrskonzert"),
                ("category", "classical"),
                ("venue", &venue_id),
                ("performer", "Wiener Symphoniker"),
                ("description", "Strauss and more"),
            ],
        )
        .await;
    let shows_form = event.redirects_to("/admin/events/").to_owned();
    let event_id = shows_form.split('/').nth(3).expect("event id").to_owned();
    let view = app
        .get(&format!("/api/v1/events/{event_id}"))
        .await
        .ok(200)
        .clone();
    assert_eq!(view["performers"][0]["name"], "Wiener Symphoniker");
    assert_eq!(
        view["performers"][0]["id"], "1",
        "the refused form made a performer"
    );
    assert!(web.get(&shows_form).await.ok().contains("Europe/Vienna"));
    // Times are typed in the venue's zone: 19:30 in Vienna on 1 March is 18:30 UTC.
    let show = web
        .post(
            &format!("/admin/events/{event_id}/shows"),
            &[
                ("starts_at", "2027-03-01T19:30"),
                ("on_sale_at", ""),
                ("currency", "EUR"),
                ("price_0", "89.50"),
                ("price_1", "25"),
                ("hold_ttl_seconds", ""),
                ("max_per_order", "6"),
                ("waiting_room", "on"),
            ],
        )
        .await;
    let sales = show.redirects_to("/admin/shows/").to_owned();
    let show_id = sales.rsplit('/').next().expect("show id");
    let show = app
        .get(&format!("/api/v1/shows/{show_id}"))
        .await
        .ok(200)
        .clone();
    assert_eq!(show["starts_at"], "2027-03-01T18:30:00Z");
    assert_eq!(show["max_per_order"], 6);
    assert_eq!(show["waiting_room"], true);
    assert_eq!(
        show["prices"],
        json!([
            {"section": "Parkett", "amount": 8950, "currency": "EUR"},
            {"section": "Stehplatz", "amount": 2500, "currency": "EUR"},
        ])
    );
    assert!(web.get(&sales).await.ok().contains("Neujahrskonzert"));
    // A price that is not one is refused, and nothing is made.
    let wrong = web
        .post(
            &format!("/admin/events/{event_id}/shows"),
            &[("starts_at", "2027-03-02T19:30"), ("price_0", "lots")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let view = app
        .get(&format!("/api/v1/events/{event_id}"))
        .await
        .ok(200)
        .clone();
    assert_eq!(view["shows"].as_array().map(Vec::len), Some(1));
    // The event page offers the organiser a cancel button; cancelling ends the event.
    let page = web.get(&format!("/events/{event_id}")).await;
    assert!(page.ok().contains("Cancel event"));
    web.post(&format!("/admin/events/{event_id}/cancel"), &[])
        .await
        .redirects_to(&format!("/events/{event_id}"));
    let view = app
        .get(&format!("/api/v1/events/{event_id}"))
        .await
        .ok(200)
        .clone();
    assert_eq!(view["status"], "cancelled");
    // Buyers cannot reach any of it.
    let mut buyer = WebClient::new(&app);
    buyer.use_session(&app.buyer().await);
    assert_eq!(
        buyer.get("/admin/venues/new").await.status,
        StatusCode::FORBIDDEN
    );
    buyer.get("/").await;
    let refused = buyer
        .post("/admin/events", &[("title", "Mine"), ("venue", &venue_id)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn an_expired_hold_gets_a_clear_page_and_takes_no_money(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, show) = show(&app).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let mut web = WebClient::new(&app);
    web.register().await;
    let hold = web
        .post(
            &format!("/shows/{}/hold", id(&show)),
            &[("seat", &seats[0])],
        )
        .await
        .redirects_to("/holds/")
        .to_owned();
    app.clock.advance(std::time::Duration::from_secs(3600));
    let page = web.get(&hold).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.html.contains("Your hold expired") && page.html.contains("Nothing was charged"));
    assert!(
        page.html
            .contains(&format!("href=\"/shows/{}\"", id(&show))),
        "{}",
        page.html
    );
    let paid = web.post(&format!("{hold}/pay"), &[("card", OK_CARD)]).await;
    assert_eq!(paid.status, StatusCode::GONE, "{}", paid.html);
    let token = web.cookie("bo_session").expect("session").to_owned();
    let bookings = app
        .get_as("/api/v1/users/me/bookings", &token)
        .await
        .ok(200)
        .clone();
    assert!(
        bookings["items"]
            .as_array()
            .is_some_and(|b| b.iter().all(|b| b["status"] != "confirmed")),
        "{bookings}"
    );
    assert_eq!(available(&app, &show).await, 26);
}

async fn search_pages_filter_by_facets_and_page_through(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let vienna = app.venue(&admin, "Vienna", 1, 2, 0).await;
    let graz = app.venue(&admin, "Graz", 1, 2, 0).await;
    for i in 0..25 {
        let (venue, category) = if i % 5 == 0 {
            (&graz, "comedy")
        } else {
            (&vienna, "concert")
        };
        let event = app
            .event(
                &admin,
                id(venue),
                &format!("Festival night {i}"),
                category,
                &[],
            )
            .await;
        app.show(&admin, id(&event), 3 + i, json!({})).await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while app.get("/api/v1/search?q=festival").await.body["total"] != 25 {
        assert!(
            std::time::Instant::now() < deadline,
            "the events never reached the index"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut web = WebClient::new(&app);
    let all = web.get("/search?q=festival").await;
    let html = all.ok().to_owned();
    assert!(html.contains("25 events"), "{html}");
    assert_eq!(html.matches("class=\"card\"").count(), 20);
    assert!(html.contains("Page 1 of 2"));
    let next = attribute_after(&html, "href=\"/search?").map(|q| format!("/search?{q}"));
    assert!(html.contains("rel=\"next\""), "{html}");
    let second = html
        .split("rel=\"next\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .map(|q| {
            q.split('"')
                .next()
                .unwrap_or_default()
                .replace("&amp;", "&")
                .replace("&#38;", "&")
        })
        .expect("a next-page link");
    let _ = next;
    let page2 = web.get(&second).await;
    assert_eq!(page2.ok().matches("class=\"card\"").count(), 5, "{second}");
    // The facet links narrow the results, and show their counts.
    assert!(
        html.contains(">Comedy</a> <span class=\"muted\">5</span>"),
        "{html}"
    );
    let comedy = web.get("/search?q=festival&category=comedy").await;
    let html = comedy.ok();
    assert!(html.contains("5 events") && html.contains("Graz"), "{html}");
    assert!(!html.contains("Vienna Hall"), "{html}");
    let city = web.get("/search?q=festival&city=Vienna").await;
    assert!(city.ok().contains("20 events"), "{}", city.html);
    // A price limit in whole units, and a bad one named.
    let cheap = web.get("/search?q=festival&max_price=1").await;
    assert!(cheap.ok().contains("0 events"), "{}", cheap.html);
    let bad = web.get("/search?q=festival&max_price=lots").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("max_price"), "{}", bad.html);
    // Browsing by city and date, without words.
    let browse = web.get("/cities/Graz").await;
    assert!(browse.ok().contains("5 events"), "{}", browse.html);
    let later = web.get("/browse?from_date=2099-01-01").await;
    assert!(later.ok().contains("0 events"), "{}", later.html);
}

async fn a_buyer_leaves_the_waitlist_from_the_page(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 2, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let other = app.buyer().await;
    app.hold(&other, &show, &seats).await.ok(201);
    let mut web = WebClient::new(&app);
    web.register().await;
    let page = web.get(&format!("/shows/{}", id(&show))).await;
    assert!(page.ok().contains("Join the waitlist"), "{}", page.html);
    web.post(
        &format!("/shows/{}/waitlist", id(&show)),
        &[("quantity", "1")],
    )
    .await
    .redirects_to(&format!("/shows/{}", id(&show)));
    let page = web.get(&format!("/shows/{}", id(&show))).await;
    let html = page.ok().to_owned();
    assert!(html.contains("number 1 on the waitlist"), "{html}");
    let entry = attribute_after(&html, "action=\"/waitlist/").expect("leave form");
    let entry = entry.trim_end_matches("/leave").to_owned();
    // The page follows the entry live: its stream's first event arrives while it still waits.
    let mut events = reqwest::Client::new()
        .get(format!("{}/waitlist/{entry}/events", app.base))
        .header(
            "cookie",
            format!(
                "bo_session={}",
                web.cookie("bo_session").unwrap_or_default()
            ),
        )
        .send()
        .await
        .expect("events");
    assert_eq!(events.status(), 200);
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), events.chunk())
        .await
        .expect("no event while waiting")
        .expect("chunk")
        .expect("an event");
    let first = String::from_utf8_lossy(&first);
    assert!(
        first.contains("event: entry") && first.contains("\"state\":\"waiting\""),
        "{first}"
    );
    drop(events);
    // Someone else cannot end it.
    let mut stranger = WebClient::new(&app);
    stranger.register().await;
    let refused = stranger
        .post(&format!("/waitlist/{entry}/leave"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    web.post(&format!("/waitlist/{entry}/leave"), &[])
        .await
        .redirects_to(&format!("/shows/{}", id(&show)));
    let token = web.cookie("bo_session").expect("session").to_owned();
    let left = app
        .get_as(&format!("/api/v1/waitlist/{entry}"), &token)
        .await
        .ok(200)
        .clone();
    assert_eq!(left["state"], "left");
    assert!(web
        .get(&format!("/shows/{}", id(&show)))
        .await
        .ok()
        .contains("Join the waitlist"));
}
