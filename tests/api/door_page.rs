//! The door page (`/door`) in a real browser: staff log in, open a door, scan a valid code
//! (green, with the seat), the same code again (red, naming the first scan's gate), a forged
//! one (red); counts follow. At phone width nothing overflows and every control is big enough
//! to tap. With the server down the page checks codes itself and syncs them once it is back.
//! Screenshots go to /tmp/door-shots (SQLite runs only).

use crate::booking::{seat_ids, OK_CARD};
use crate::browser::{Browser, Viewport};
use crate::dual;
use crate::helpers::{Db, TestApp};
use boxoffice::domain::users::{NewUser, Role};
use boxoffice::store::HashedUser;
use serde_json::{json, Value};

dual!(door_page_checks_tickets_in);

mod door_page_at_phone_width {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::door_page_at_phone_width(crate::helpers::Db::Sqlite).await
    }
}

mod door_page_checks_offline_and_syncs_later {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::door_page_checks_offline_and_syncs_later(crate::helpers::Db::Sqlite).await
    }
}

const ENTER: &str = "\u{E007}";
const STAFF_PASSWORD: &str = "door staff password";

/// What a door needs: a show with two sold tickets (and one of a cancelled booking), a
/// ticket for another show, and door staff to log in as.
struct Door {
    show_id: String,
    codes: Vec<String>,
    seats: Vec<String>,
    void_code: String,
    other_show_code: String,
    staff_email: String,
    staff_token: String,
}

/// A confirmed booking of `seats` of `show` and its tickets.
async fn bought(app: &TestApp, buyer: &str, show: &Value, seats: &[String]) -> (Value, Vec<Value>) {
    let hold = app.hold(buyer, show, seats).await.ok(201).clone();
    let booking = app.book(buyer, &hold, OK_CARD).await.ok(201).clone();
    assert_eq!(booking["status"], "confirmed");
    let tickets = app
        .get_as(
            &format!(
                "/api/v1/bookings/{}/tickets",
                booking["id"].as_str().expect("id")
            ),
            buyer,
        )
        .await
        .ok(200)["items"]
        .as_array()
        .expect("tickets")
        .clone();
    (booking, tickets)
}

async fn door(app: &TestApp) -> Door {
    let admin = app.admin().await;
    let (event, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let ids = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let (_, tickets) = bought(app, &buyer, &show, &ids[..2]).await;
    let (cancelled, void) = bought(app, &buyer, &show, &ids[2..3]).await;
    app.post(
        &format!(
            "/api/v1/bookings/{}/cancel",
            cancelled["id"].as_str().expect("id")
        ),
        Some(&buyer),
        json!({}),
    )
    .await
    .ok(200);
    let later = app
        .show(
            &admin,
            event["id"].as_str().expect("event id"),
            8,
            json!({}),
        )
        .await;
    let later_ids = seat_ids(&app.seat_map(&later).await, 0);
    let (_, other) = bought(app, &buyer, &later, &later_ids[..1]).await;
    let code = |t: &Value| t["code"].as_str().expect("code").to_owned();
    let staff_email = format!("door{:x}@example.com", rand::random::<u64>());
    let user =
        NewUser::parse(&staff_email, "Dana Door", STAFF_PASSWORD, Role::Staff).expect("valid");
    let hash = boxoffice::accounts::hash_password(user.password.clone())
        .await
        .expect("hash");
    app.store
        .create_user(HashedUser::new(user, hash), app.clock.now_ms())
        .await
        .expect("staff");
    let staff_token = app.login(&staff_email, STAFF_PASSWORD).await.ok(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let field = |t: &Value, a: &str, b: &str| t[a][b].as_str().map(str::to_owned);
    Door {
        show_id: show["id"].as_str().expect("show id").to_owned(),
        codes: tickets.iter().map(code).collect(),
        void_code: code(&void[0]),
        other_show_code: code(&other[0]),
        seats: tickets
            .iter()
            .map(|t| field(t, "seat", "label").expect("seat label"))
            .collect(),
        staff_email,
        staff_token,
    }
}

/// The same code with one character changed: the signature no longer matches.
fn forged(code: &str) -> String {
    let mut bytes = code.as_bytes().to_vec();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ascii")
}

/// The answer box: its outcome, class, text and background colour.
async fn result(b: &Browser) -> (String, String, String, String) {
    let v = b
        .js(
            "const r = document.getElementById('result');
             return [r.dataset.outcome || '', r.className, r.innerText,
                     getComputedStyle(r).backgroundColor];",
            vec![],
        )
        .await;
    let s = |i: usize| v[i].as_str().unwrap_or_default().to_owned();
    (s(0), s(1), s(2), s(3))
}

/// Scans `code` and waits for the answer to scan number `n`.
async fn scan(b: &Browser, code: &str, n: u32) -> (String, String, String, String) {
    b.type_into("code", &format!("{code}{ENTER}")).await;
    b.wait_for(&format!(
        "document.getElementById('result').innerText.includes('Scan {n} ·')"
    ))
    .await;
    result(b).await
}

const GREEN: &str = "rgb(11, 107, 46)";
const RED: &str = "rgb(164, 22, 26)";

/// Log in (after a wrong password) and open the door of `d.show_id` at `gate`.
async fn open_door(app: &TestApp, b: &Browser, d: &Door, gate: &str, shots: bool) {
    b.goto(&format!("{}/door", app.base)).await;
    b.wait_for("document.getElementById('email') === document.activeElement")
        .await;
    assert!(b.displayed("login").await);
    assert!(!b.displayed("scanning").await && !b.displayed("door").await);
    // Accessibility basics: every input has a label, the answer is announced.
    let unlabelled = b
        .js(
            "return [...document.querySelectorAll('input')]
                .filter(i => !i.labels || !i.labels.length || !i.labels[0].innerText.trim())
                .map(i => i.id);",
            vec![],
        )
        .await;
    assert_eq!(unlabelled, json!([]), "inputs without a label");
    let live = b
        .js(
            "const r = document.getElementById('result');
             return [r.getAttribute('aria-live'), r.getAttribute('role')];",
            vec![],
        )
        .await;
    assert_eq!(live, json!(["assertive", "status"]));
    assert_eq!(
        b.js("return document.documentElement.lang;", vec![]).await,
        json!("en")
    );
    // Everything the page loads comes from the server itself.
    let foreign = b
        .js(
            "return performance.getEntriesByType('resource')
                .map(e => e.name).filter(u => !u.startsWith(location.origin));",
            vec![],
        )
        .await;
    assert_eq!(foreign, json!([]), "the page loads nothing from elsewhere");
    if shots {
        b.screenshot("login").await;
    }

    b.type_into("email", &d.staff_email).await;
    b.type_into("password", &format!("not the password{ENTER}"))
        .await;
    b.wait_for("document.getElementById('login-error').innerText.length > 0")
        .await;
    assert!(
        b.displayed("login").await,
        "a wrong password stays on login"
    );
    b.type_into("password", &format!("{STAFF_PASSWORD}{ENTER}"))
        .await;
    b.wait_for("!document.getElementById('door').hidden").await;
    assert!(!b.displayed("login").await);
    let who = b
        .js("return document.getElementById('who').textContent;", vec![])
        .await;
    assert_eq!(who, json!("Dana Door"));
    assert!(b.displayed("logout").await);

    // A show that does not exist is refused on the spot.
    b.type_into("show", "999999").await;
    b.type_into("gate", &format!("{gate}{ENTER}")).await;
    b.wait_for("document.getElementById('door-error').innerText.includes('no show')")
        .await;
    b.type_into("show", &d.show_id).await;
    b.type_into("gate", &format!("{gate}{ENTER}")).await;
    b.wait_for("!document.getElementById('scanning').hidden")
        .await;
    assert!(!b.displayed("door").await);
    let heading = b.text("scan-heading").await;
    assert!(
        heading.contains(&d.show_id) && heading.contains(gate),
        "{heading}"
    );
    assert!(b.text("show-info").await.contains("Test Night"));
    b.wait_for("document.getElementById('count-in').innerText === '0 of 2'")
        .await;
    b.wait_for("document.getElementById('mode').innerText.includes('offline checks ready')")
        .await;
    b.wait_for("document.getElementById('code') === document.activeElement")
        .await;
}

/// The whole door at one viewport: green, red for a second scan, red for a forgery, counts.
async fn checks_in(app: &TestApp, b: &Browser, d: &Door, shots: bool) {
    open_door(app, b, d, "North 1", shots).await;

    let (outcome, class, text, bg) = scan(b, &d.codes[0], 1).await;
    assert_eq!(
        (outcome.as_str(), class.as_str()),
        ("admitted", "admitted flash")
    );
    assert!(
        text.contains("Admitted") && text.contains(&d.seats[0]),
        "{text}"
    );
    assert_eq!(bg, GREEN);
    b.wait_for("document.getElementById('count-in').innerText === '1 of 2'")
        .await;
    assert_eq!(b.text("count-here").await, "1 in · 0 refused");
    b.wait_for("document.getElementById('code') === document.activeElement")
        .await;
    if shots {
        b.screenshot("admitted").await;
    }

    let (outcome, class, text, bg) = scan(b, &d.codes[0], 2).await;
    assert_eq!(
        (outcome.as_str(), class.as_str()),
        ("already", "conflict flash")
    );
    assert!(
        text.contains("Already checked in") && text.contains("North 1"),
        "{text}"
    );
    assert!(text.contains(&d.seats[0]), "{text}");
    assert_eq!(bg, RED);
    assert_eq!(b.text("count-here").await, "1 in · 1 refused");
    if shots {
        b.screenshot("already").await;
    }

    let (outcome, _, text, bg) = scan(b, &forged(&d.codes[1]), 3).await;
    assert_eq!(outcome, "invalid");
    assert!(text.contains("Not a valid ticket"), "{text}");
    assert_eq!(bg, RED);
    assert_eq!(b.text("count-here").await, "1 in · 2 refused");
    if shots {
        b.screenshot("invalid").await;
    }

    // A ticket of a cancelled booking, and one for another show.
    let (outcome, _, text, bg) = scan(b, &d.void_code, 4).await;
    assert_eq!(outcome, "void");
    assert!(
        text.contains("Void ticket") && text.contains("cancelled"),
        "{text}"
    );
    assert_eq!(bg, RED);
    let (outcome, _, text, bg) = scan(b, &d.other_show_code, 5).await;
    assert_eq!(outcome, "wrong-show");
    assert!(text.contains("Not for this show"), "{text}");
    assert_eq!(bg, RED);
    assert_eq!(b.text("count-here").await, "1 in · 4 refused");

    // Lower case, as some keyboards type it, still reads.
    let (outcome, _, text, _) = scan(b, &d.codes[1].to_lowercase(), 6).await;
    assert_eq!(outcome, "admitted", "{text}");
    b.wait_for("document.getElementById('count-in').innerText === '2 of 2'")
        .await;

    // It really happened: the server has both scans, the first at this gate.
    let again = app.scan(&d.staff_token, &d.codes[0], "South").await;
    let body = again.problem(409);
    assert_eq!(body["first_scan"]["gate"], "North 1");
    app.scan(&d.staff_token, &d.codes[1], "South")
        .await
        .problem(409);
    let counts = app
        .get_as(
            &format!("/api/v1/shows/{}/checkins", d.show_id),
            &d.staff_token,
        )
        .await;
    assert_eq!(counts.ok(200), &json!({"checked_in": 2, "sold": 2}));
    let counts = format!("/api/v1/shows/{}/checkins", d.show_id);
    app.get(&counts).await.problem(401);
    let buyer = app.buyer().await;
    app.get_as(&counts, &buyer).await.problem(403);
    app.get_as("/api/v1/shows/999999/checkins", &d.staff_token)
        .await
        .problem(404);

    // Changing the door keeps the login; logging out ends it.
    b.click("#change").await;
    b.wait_for("!document.getElementById('door').hidden").await;
    assert_eq!(
        b.js("return document.getElementById('show').value;", vec![])
            .await,
        json!(d.show_id)
    );
    b.click("#logout").await;
    b.wait_for("!document.getElementById('login').hidden").await;
    assert_eq!(
        b.js("return sessionStorage.getItem('door.token');", vec![])
            .await,
        Value::Null
    );
}

async fn door_page_checks_tickets_in(db: Db) {
    let Some(b) = Browser::start(Viewport::Desktop).await else {
        return;
    };
    let app = TestApp::spawn(db).await;
    let d = door(&app).await;
    checks_in(&app, &b, &d, db == Db::Sqlite).await;
    assert_eq!(
        b.js("return [window.innerWidth, window.innerHeight];", vec![])
            .await,
        json!([1280, 800])
    );
    b.close().await;
}

async fn door_page_at_phone_width(db: Db) {
    let Some(b) = Browser::start(Viewport::Phone).await else {
        return;
    };
    let app = TestApp::spawn(db).await;
    let d = door(&app).await;
    checks_in(&app, &b, &d, true).await;
    // The page's viewport meta makes the layout viewport the phone's width.
    assert_eq!(b.js("return window.innerWidth;", vec![]).await, json!(390));
    // Every state at 390 px: nothing wider than the screen, every control tall enough to tap.
    let layout = "return {
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        small: [...document.querySelectorAll('input, button')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.id || e.innerText, e.getBoundingClientRect().height])
            .filter(([_, h]) => h < 44)
    };";
    let login = b.js(layout, vec![]).await;
    assert_eq!(
        login,
        json!({"overflow": 0, "small": []}),
        "login at 390 px"
    );
    let app2 = TestApp::spawn(db).await;
    let d2 = door(&app2).await;
    open_door(&app2, &b, &d2, "Gate with a rather long name 12", false).await;
    scan(&b, &d2.codes[0], 1).await;
    let scanning = b.js(layout, vec![]).await;
    assert_eq!(
        scanning,
        json!({"overflow": 0, "small": []}),
        "door at 390 px"
    );
    b.close().await;
}

async fn door_page_checks_offline_and_syncs_later(db: Db) {
    let Some(b) = Browser::start(Viewport::Desktop).await else {
        return;
    };
    let mut app = TestApp::spawn(db).await;
    let d = door(&app).await;
    open_door(&app, &b, &d, "Gate B", false).await;

    // The network goes: the server stops, and comes back later on the same address.
    let addr: std::net::SocketAddr = app
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("server address");
    app.config.addr = addr;
    app.stop().await;

    let (outcome, _, text, bg) = scan(&b, &d.codes[0], 1).await;
    assert_eq!(outcome, "admitted-offline", "{text}");
    assert!(
        text.contains("Admitted") && text.contains("offline"),
        "{text}"
    );
    assert_eq!(bg, GREEN);
    assert!(b.text("mode").await.starts_with("Offline"));
    assert_eq!(b.text("queue").await, "1 offline scan waiting to sync");
    let (outcome, _, text, bg) = scan(&b, &d.codes[0], 2).await;
    assert_eq!(outcome, "already", "{text}");
    assert_eq!(bg, RED);
    let (outcome, _, text, _) = scan(&b, &forged(&d.codes[1]), 3).await;
    assert_eq!(outcome, "invalid", "{text}");
    assert!(text.contains("offline"), "{text}");
    assert_eq!(b.text("queue").await, "1 offline scan waiting to sync");
    b.screenshot("offline").await;

    // Back online: the queued scan is posted with the time it was made.
    let app = app.restart().await;
    assert_eq!(app.base, format!("http://{addr}"));
    b.js("window.dispatchEvent(new Event('online'));", vec![])
        .await;
    b.wait_for("document.getElementById('queue').innerText === ''")
        .await;
    b.wait_for("document.getElementById('count-in').innerText === '1 of 2'")
        .await;
    assert!(b.text("mode").await.starts_with("Online"));
    let again = app.scan(&d.staff_token, &d.codes[0], "South").await;
    assert_eq!(again.problem(409)["first_scan"]["gate"], "Gate B");
    // The next scan goes to the server again.
    let (outcome, _, text, _) = scan(&b, &d.codes[1], 4).await;
    assert_eq!(outcome, "admitted", "{text}");
    b.close().await;
}
