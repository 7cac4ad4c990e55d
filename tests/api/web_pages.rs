//! The buyer's pages in a real browser (headless Chromium): search → event → show → pick seats
//! on the map → hold → pay → confirmation with tickets → my bookings → cancel; two browsers on
//! one show seeing each other's holds live; the whole purchase with the keyboard alone; the
//! seat map at phone width; the waiting room letting two browsers in, in turn; a waitlist
//! offer arriving live. Screenshots go to /tmp/door-shots.

use crate::booking::{seat_ids, OK_CARD};
use crate::browser::{Browser, Viewport};
use crate::dual;
use crate::helpers::{Db, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

dual!(a_buyer_searches_picks_seats_pays_and_cancels);

macro_rules! sqlite_only {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::helpers::Db::Sqlite).await
            }
        }
    )*};
}

sqlite_only!(
    a_seat_held_in_one_browser_turns_held_in_another_within_a_second,
    the_whole_purchase_with_the_keyboard_alone,
    the_seat_map_fits_a_phone,
    the_waiting_room_lets_two_browsers_in_by_arrival,
    a_waitlist_offer_arrives_live,
    the_layout_editor_previews_the_venue_as_it_is_typed,
    the_main_pages_have_no_accessibility_violations,
    autocomplete_suggests_as_one_types_and_the_arrows_choose,
    the_hold_countdown_warns_two_minutes_before_the_end,
);

const ENTER: &str = "\u{E007}";
const TAB: &str = "\u{E004}";
const RIGHT: &str = "\u{E014}";
const PASSWORD: &str = "correct horse battery";

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

/// Registers a new buyer through the page; the browser is logged in afterwards.
async fn register(b: &Browser, app: &TestApp) -> String {
    let email = format!("page{:x}@example.com", rand::random::<u64>());
    b.goto(&format!("{}/register", app.base)).await;
    b.type_into("name", "Page Buyer").await;
    b.type_into("email", &email).await;
    b.type_into("password", &format!("{PASSWORD}{ENTER}")).await;
    b.wait_for("location.pathname === '/' && document.querySelector('.who') !== null")
        .await;
    email
}

/// Waits until the seat map is drawn and following the seat stream.
async fn map_ready(b: &Browser) {
    b.wait_for("document.getElementById('seatmap')?.dataset.ready === 'true' && document.getElementById('seatmap').dataset.live === 'true'").await;
}

async fn seat_status(b: &Browser, seat: &str) -> Value {
    seat_attribute(b, seat, "data-status").await
}

/// An attribute of the seat map's circle for `seat` (`null` when it is not drawn).
async fn seat_attribute(b: &Browser, seat: &str, name: &str) -> Value {
    b.js(
        "return document.querySelector(`circle[data-seat=\"${arguments[0]}\"]`)?.getAttribute(arguments[1]) ?? null;",
        vec![json!(seat), json!(name)],
    )
    .await
}

/// How far the page scrolls sideways, in CSS pixels (0 or less: it fits the screen).
async fn sideways(b: &Browser) -> i64 {
    b.js(
        "return document.documentElement.scrollWidth - window.innerWidth;",
        vec![],
    )
    .await
    .as_i64()
    .unwrap_or(1)
}

/// The drawn width of the seat map, in CSS pixels.
async fn map_width(b: &Browser) -> f64 {
    b.js(
        "return document.querySelector('#seatmap svg').getBoundingClientRect().width;",
        vec![],
    )
    .await
    .as_f64()
    .unwrap_or(0.0)
}

async fn a_buyer_searches_picks_seats_pays_and_cancels(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (event, show) = app.scheduled_show(&admin, 4, 10, 30).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    // The search index follows the catalog's change feed.
    let deadline = Instant::now() + Duration::from_secs(15);
    while app.get("/api/v1/search?q=Test+Night").await.body["total"] == 0 {
        assert!(
            Instant::now() < deadline,
            "the event never reached the index"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(b) = Browser::start(Viewport::Desktop).await else {
        return;
    };
    register(&b, &app).await;
    let shots = db == Db::Sqlite;
    if shots {
        b.screenshot("web-home").await;
    }
    b.type_into("q", &format!("Test Night{ENTER}")).await;
    b.wait_for("location.pathname === '/search' && document.querySelector('.card a') !== null")
        .await;
    if shots {
        b.screenshot("web-search").await;
    }
    b.click(&format!(".card a[href='/events/{}']", id(&event)))
        .await;
    b.wait_for("document.querySelector('a.button') !== null")
        .await;
    b.click(&format!("a.button[href='/shows/{}']", id(&show)))
        .await;
    map_ready(&b).await;
    // Every seat is a checkbox named for people.
    let label = seat_attribute(&b, &seats[12], "aria-label").await;
    assert_eq!(label, json!("Row R2, seat 3, €50.00, available"));
    for seat in &seats[12..14] {
        b.click(&format!("circle[data-seat='{seat}']")).await;
    }
    b.wait_for("document.querySelectorAll('#picked li').length === 2")
        .await;
    assert_eq!(seat_status(&b, &seats[12]).await, json!("available"));
    let checked = seat_attribute(&b, &seats[12], "aria-checked").await;
    assert_eq!(checked, json!("true"));
    if shots {
        b.screenshot("web-seatmap").await;
    }
    b.click("#hold").await;
    b.wait_for(
        "location.pathname.startsWith('/holds/') && document.getElementById('countdown-left')?.textContent.includes(':')",
    )
    .await;
    let countdown = b.text("countdown-left").await;
    assert!(countdown.contains(':'), "countdown shows {countdown}");
    if shots {
        b.screenshot("web-checkout").await;
    }
    b.type_into("card", "4000 0000 0000 0002").await;
    b.click("#pay").await;
    b.wait_for("document.getElementById('payment-error') !== null")
        .await;
    assert!(b.text("payment-error").await.contains("declined"));
    b.type_into("card", OK_CARD).await;
    b.click("#pay").await;
    b.wait_for("location.pathname.startsWith('/bookings/')")
        .await;
    assert_eq!(b.text("booking-status").await, "Confirmed");
    let qr = b
        .js("return [...document.querySelectorAll('.ticket img')].filter(i => i.complete && i.naturalWidth > 0).length;", vec![])
        .await;
    assert_eq!(qr, json!(2), "two QR codes, drawn");
    if shots {
        b.screenshot("web-booking").await;
    }
    b.click("a[href='/bookings']").await;
    b.wait_for("location.pathname === '/bookings'").await;
    b.click_button("Cancel booking").await;
    b.wait_for("document.getElementById('booking-status')?.textContent === 'Cancelled'")
        .await;
    let map = app.seat_map(&show).await;
    assert_eq!(
        map["sections"][0]["available"], 40,
        "the seats are back on sale"
    );
    b.close().await;
}

async fn a_seat_held_in_one_browser_turns_held_in_another_within_a_second(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 2, 10, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let (Some(a), Some(b)) = (
        Browser::start(Viewport::Desktop).await,
        Browser::start(Viewport::Desktop).await,
    ) else {
        return;
    };
    register(&a, &app).await;
    let path = format!("{}/shows/{}", app.base, id(&show));
    a.goto(&path).await;
    b.goto(&path).await;
    map_ready(&a).await;
    map_ready(&b).await;
    a.click(&format!("circle[data-seat='{}']", seats[5])).await;
    a.click("#hold").await;
    let clicked = Instant::now();
    loop {
        if seat_status(&b, &seats[5]).await == json!("held") {
            break;
        }
        assert!(
            clicked.elapsed() < Duration::from_secs(1),
            "the other browser still shows the seat free after {:?}",
            clicked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!(
        "seat held in one browser → shown held in the other: {:?}",
        clicked.elapsed()
    );
    a.wait_for("location.pathname.startsWith('/holds/')").await;
    // The other browser cannot pick it, and its name says why.
    let label = seat_attribute(&b, &seats[5], "aria-label").await;
    assert!(
        label
            .as_str()
            .unwrap_or_default()
            .ends_with("held by someone else"),
        "{label}"
    );
    a.close().await;
    b.close().await;
}

/// Presses Tab until `condition` (a JS expression) holds, at most `max` times.
async fn tab_until(b: &Browser, condition: &str, max: usize) {
    for _ in 0..max {
        if b.js(&format!("return !!({condition});"), vec![]).await == json!(true) {
            return;
        }
        press(b, TAB).await;
    }
    panic!("never reached {condition} with Tab");
}

async fn press(b: &Browser, keys: &str) {
    b.client
        .active_element()
        .await
        .expect("focus")
        .send_keys(keys)
        .await
        .expect("keys");
}

async fn the_whole_purchase_with_the_keyboard_alone(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 3, 8, 0).await;
    let Some(b) = Browser::start(Viewport::Desktop).await else {
        return;
    };
    let email = format!("keys{:x}@example.com", rand::random::<u64>());
    app.register(&email, PASSWORD).await.ok(201);
    b.goto(&format!("{}/login?next=/shows/{}", app.base, id(&show)))
        .await;
    tab_until(&b, "document.activeElement.id === 'email'", 30).await;
    press(&b, &email).await;
    press(&b, TAB).await;
    press(&b, &format!("{PASSWORD}{ENTER}")).await;
    b.wait_for(&format!("location.pathname === '/shows/{}'", id(&show)))
        .await;
    map_ready(&b).await;
    tab_until(&b, "document.activeElement.dataset.seat !== undefined", 40).await;
    press(&b, RIGHT).await;
    press(&b, " ").await;
    press(&b, RIGHT).await;
    press(&b, " ").await;
    b.wait_for("document.querySelectorAll('#picked li').length === 2")
        .await;
    tab_until(&b, "document.activeElement.id === 'hold'", 20).await;
    press(&b, ENTER).await;
    b.wait_for("location.pathname.startsWith('/holds/')").await;
    tab_until(&b, "document.activeElement.id === 'card'", 30).await;
    press(&b, &format!("{OK_CARD}{ENTER}")).await;
    b.wait_for("document.getElementById('booking-status')?.textContent === 'Confirmed'")
        .await;
    let seats = b
        .js("return [...document.querySelectorAll('.lines li span:first-child')].map(s => s.textContent);", vec![])
        .await;
    assert_eq!(
        seats,
        json!(["Stalls, row R1, seat 2", "Stalls, row R1, seat 3"])
    );
    b.close().await;
}

async fn the_seat_map_fits_a_phone(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 20, 30, 100).await;
    let Some(b) = Browser::start(Viewport::Phone).await else {
        return;
    };
    register(&b, &app).await;
    b.screenshot("web-home").await;
    b.goto(&format!("{}/shows/{}", app.base, id(&show))).await;
    map_ready(&b).await;
    let overflow = sideways(&b).await;
    assert!(overflow <= 0, "the page scrolls sideways by {overflow}px");
    b.screenshot("web-seatmap").await;
    // Zooming makes the map wider than the screen; the map pans inside its own box.
    let before = map_width(&b).await;
    b.click("button[data-zoom='in']").await;
    b.click("button[data-zoom='in']").await;
    let after = map_width(&b).await;
    assert!(after > before * 2.0, "{before} → {after}");
    let still = sideways(&b).await;
    assert!(still <= 0, "zooming widened the page by {still}px");
    b.screenshot("web-seatmap-zoomed").await;
    b.close().await;
}

async fn the_waiting_room_lets_two_browsers_in_by_arrival(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 2, 10, 0).await;
    app.request(
        reqwest::Method::PATCH,
        &format!("/api/v1/shows/{}", id(&show)),
        Some(&admin),
        Some(json!({"waiting_room": true, "room_max_active": 1})),
    )
    .await
    .ok(200);
    let (Some(first), Some(second)) = (
        Browser::start(Viewport::Desktop).await,
        Browser::start(Viewport::Phone).await,
    ) else {
        return;
    };
    register(&first, &app).await;
    register(&second, &app).await;
    let path = format!("{}/shows/{}", app.base, id(&show));
    for b in [&first, &second] {
        b.goto(&path).await;
        b.click_button("Join the queue").await;
        b.wait_for(
            "location.pathname.endsWith('/queue') || document.getElementById('seatmap') !== null",
        )
        .await;
    }
    // The first to arrive is let in and lands on the seat map; the second waits first in line.
    map_ready(&first).await;
    second
        .wait_for("document.getElementById('queue-position')?.textContent === '1'")
        .await;
    second.screenshot("web-queue").await;
    first.click("circle[data-seat]").await;
    first.click("#hold").await;
    first
        .wait_for("document.getElementById('card') !== null")
        .await;
    first.type_into("card", &format!("{OK_CARD}{ENTER}")).await;
    first
        .wait_for("document.getElementById('booking-status')?.textContent === 'Confirmed'")
        .await;
    // The first buyer is done: the second is admitted and taken to the seats by the stream.
    second
        .wait_for("document.getElementById('seatmap')?.dataset.ready === 'true'")
        .await;
    first.close().await;
    second.close().await;
}

async fn a_waitlist_offer_arrives_live(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 2, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let other = app.buyer().await;
    let hold = app.hold(&other, &show, &seats).await.ok(201).clone();
    let Some(b) = Browser::start(Viewport::Desktop).await else {
        return;
    };
    register(&b, &app).await;
    b.goto(&format!("{}/shows/{}", app.base, id(&show))).await;
    b.click_button("Join the waitlist").await;
    b.wait_for("document.getElementById('waitlist')?.dataset.state === 'waiting'")
        .await;
    assert!(b.text("waitlist-state").await.contains("number 1"));
    // The other buyer gives their seats back: the offer reaches the page by itself.
    app.request(
        reqwest::Method::DELETE,
        &format!("/api/v1/holds/{}", id(&hold)),
        Some(&other),
        None,
    )
    .await;
    b.wait_for("document.getElementById('waitlist').dataset.state === 'offered'")
        .await;
    assert!(b.displayed("waitlist-checkout").await);
    b.screenshot("web-waitlist-offer").await;
    b.click("#waitlist-checkout").await;
    b.wait_for("document.getElementById('card') !== null").await;
    b.close().await;
}

async fn the_layout_editor_previews_the_venue_as_it_is_typed(db: Db) {
    let app = TestApp::spawn(db).await;
    let email = format!("organiser{:x}@example.com", rand::random::<u64>());
    let user = boxoffice::domain::users::NewUser::parse(
        &email,
        "Organiser",
        PASSWORD,
        boxoffice::domain::users::Role::Admin,
    )
    .expect("valid");
    let hash = boxoffice::accounts::hash_password(user.password.clone())
        .await
        .expect("hash");
    app.store
        .create_user(
            boxoffice::store::HashedUser::new(user, hash),
            app.clock.now_ms(),
        )
        .await
        .expect("admin");
    let Some(b) = Browser::start(Viewport::Desktop).await else {
        return;
    };
    b.goto(&format!("{}/login?next=/admin/venues/new", app.base))
        .await;
    b.type_into("email", &email).await;
    b.type_into("password", &format!("{PASSWORD}{ENTER}")).await;
    b.wait_for("location.pathname === '/admin/venues/new'")
        .await;
    // The first line starts as 10 rows of 20; make it 6 x 12.
    b.js(
        "const d = document.querySelector('.section-draft');\
         d.querySelector('[name=section_rows]').value = '6';\
         d.querySelector('[name=section_seats]').value = '12';\
         d.querySelector('[name=section_rows]').dispatchEvent(new Event('input', {bubbles: true}));",
        vec![],
    )
    .await;
    b.wait_for("document.querySelectorAll('#venue-preview circle').length === 72")
        .await;
    b.click("#add-section").await;
    b.wait_for("document.querySelectorAll('.section-draft').length === 3")
        .await;
    b.js(
        "const d = [...document.querySelectorAll('.section-draft')][1];\
         d.querySelector('[name=section_name]').value = 'Floor';\
         d.querySelector('[name=section_kind]').value = 'standing';\
         d.querySelector('[name=section_capacity]').value = '200';\
         d.querySelector('[name=section_capacity]').dispatchEvent(new Event('input', {bubbles: true}));",
        vec![],
    )
    .await;
    b.wait_for("document.getElementById('preview-total').textContent === '2 sections, 272 places'")
        .await;
    for (field, value) in [
        ("v-name", "Arena"),
        ("v-address", "1 Ring"),
        ("v-city", "Graz"),
        ("v-country", "Austria"),
        ("v-lat", "47.07"),
        ("v-lon", "15.44"),
    ] {
        b.type_into(field, value).await;
    }
    b.screenshot("web-admin-venue").await;
    b.click("#venue-form button[type=submit]").await;
    b.wait_for("location.pathname === '/admin/events/new'")
        .await;
    let venue = b
        .js(
            "return new URLSearchParams(location.search).get('venue');",
            vec![],
        )
        .await;
    let venue = app
        .get(&format!(
            "/api/v1/venues/{}",
            venue.as_str().expect("venue id")
        ))
        .await
        .ok(200)
        .clone();
    assert_eq!(venue["capacity"], 272);
    assert_eq!(venue["timezone"], "Europe/Vienna");
    b.close().await;
}

/// Runs axe-core on the page; collects what it finds under the page's name.
async fn audit(b: &Browser, name: &str, found: &mut Vec<String>) -> bool {
    let Some(violations) = b.axe().await else {
        return false;
    };
    for v in violations {
        found.push(format!("{name} ({}): {v}", b.viewport.name()));
    }
    true
}

async fn the_main_pages_have_no_accessibility_violations(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (event, show) = app.scheduled_show(&admin, 6, 12, 40).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while app.get("/api/v1/search?q=Test+Night").await.body["total"] == 0 {
        assert!(
            Instant::now() < deadline,
            "the event never reached the index"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for viewport in [Viewport::Desktop, Viewport::Phone] {
        let Some(b) = Browser::start(viewport).await else {
            return;
        };
        let mut found = Vec::new();
        b.goto(&format!("{}/register", app.base)).await;
        if !audit(&b, "register", &mut found).await {
            return;
        }
        register(&b, &app).await;
        audit(&b, "home", &mut found).await;
        b.goto(&format!("{}/search?q=Test+Night", app.base)).await;
        audit(&b, "search", &mut found).await;
        b.goto(&format!("{}/events/{}", app.base, id(&event))).await;
        audit(&b, "event", &mut found).await;
        b.goto(&format!("{}/shows/{}", app.base, id(&show))).await;
        map_ready(&b).await;
        b.click("circle[data-status=available]").await;
        b.wait_for("document.querySelectorAll('#picked li').length === 1")
            .await;
        audit(&b, "show", &mut found).await;
        b.goto(&format!(
            "{}/shows/{}/list?section=Stalls",
            app.base,
            id(&show)
        ))
        .await;
        audit(&b, "seat list", &mut found).await;
        // The seat picked before is picked again (kept for the tab); add another.
        b.goto(&format!("{}/shows/{}", app.base, id(&show))).await;
        map_ready(&b).await;
        b.wait_for("document.querySelectorAll('#picked li').length === 1")
            .await;
        b.click("circle[data-status=available]:not(.picked)").await;
        b.click("#hold").await;
        b.wait_for("document.getElementById('card') !== null").await;
        audit(&b, "checkout", &mut found).await;
        b.type_into("card", &format!("{OK_CARD}{ENTER}")).await;
        b.wait_for("document.getElementById('booking-status')?.textContent === 'Confirmed'")
            .await;
        audit(&b, "booking", &mut found).await;
        b.goto(&format!("{}/bookings", app.base)).await;
        audit(&b, "my bookings", &mut found).await;
        b.goto(&format!("{}/login", app.base)).await;
        audit(&b, "log in", &mut found).await;
        assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
        // The check does see a violation when there is one: an image without a name.
        b.js("document.querySelector('main').append(Object.assign(document.createElement('img'), {src: 'data:,'}));", vec![])
            .await;
        let control = b.axe().await.unwrap_or_default();
        assert!(
            control.iter().any(|v| v["id"] == "image-alt"),
            "axe-core missed an unnamed image: {control:?}"
        );
        b.close().await;
    }
}

async fn autocomplete_suggests_as_one_types_and_the_arrows_choose(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (event, _) = app.scheduled_show(&admin, 1, 4, 0).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while app.get("/api/v1/search/suggest?q=Test").await.body["items"]
        .as_array()
        .is_none_or(|items| items.is_empty())
    {
        assert!(Instant::now() < deadline, "no suggestion ever came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(b) = Browser::start(Viewport::Desktop).await else {
        return;
    };
    b.goto(&format!("{}/", app.base)).await;
    b.type_into("q", "Test Ni").await;
    b.wait_for("document.querySelectorAll('#suggestions li[role=option]').length > 0 && !document.getElementById('suggestions').hidden")
        .await;
    assert_eq!(
        b.js(
            "return document.getElementById('q').getAttribute('aria-expanded');",
            vec![]
        )
        .await,
        json!("true")
    );
    let first = b
        .js(
            "return document.querySelector('#suggestions li').firstChild.textContent;",
            vec![],
        )
        .await;
    assert_eq!(first, json!("Test Night"));
    press(&b, "\u{E015}").await; // ArrowDown
    assert_eq!(
        b.js(
            "return document.getElementById('q').getAttribute('aria-activedescendant');",
            vec![]
        )
        .await,
        json!("suggestion-0")
    );
    press(&b, ENTER).await;
    b.wait_for(&format!("location.pathname === '/events/{}'", id(&event)))
        .await;
    b.close().await;
}

async fn the_hold_countdown_warns_two_minutes_before_the_end(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let venue = app.venue(&admin, "Vienna", 1, 4, 0).await;
    let event = app
        .event(&admin, id(&venue), "Short Hold", "concert", &[])
        .await;
    // Holds of 122 s: the two-minute warning comes after about two seconds.
    let show = app
        .show(&admin, id(&event), 7, json!({"hold_ttl_seconds": 122}))
        .await;
    let Some(b) = Browser::start(Viewport::Desktop).await else {
        return;
    };
    register(&b, &app).await;
    b.goto(&format!("{}/shows/{}", app.base, id(&show))).await;
    map_ready(&b).await;
    b.click("circle[data-status=available]").await;
    b.click("#hold").await;
    b.wait_for("document.getElementById('countdown-left')?.textContent.includes(':')")
        .await;
    let shown = b.text("countdown-left").await;
    assert!(shown.starts_with("2:0"), "the countdown starts at {shown}");
    b.wait_for("!document.getElementById('countdown-alert').hidden")
        .await;
    let alert = b.text("countdown-alert").await;
    assert!(alert.contains("Two minutes left"), "{alert}");
    assert_eq!(
        b.js(
            "return document.getElementById('countdown-alert').getAttribute('role');",
            vec![]
        )
        .await,
        json!("alert"),
        "the warning is announced"
    );
    assert!(
        b.js("return !document.getElementById('pay').disabled;", vec![])
            .await
            == json!(true)
    );
    b.close().await;
}
