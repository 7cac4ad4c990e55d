//! Tickets and check-in: signed codes, scans at the doors (online, racing and offline), the
//! scanners' keys and revocation list, cancellation, transfer and key rotation.

use crate::booking::{seat_ids, OK_CARD};
use crate::dual;
use crate::helpers::{Db, Response, TestApp};
use boxoffice::domain::users::Role;
use boxoffice::domain::TicketId;
use boxoffice::tickets::{self, code, keys, Keyring, PublishedKey, Refusal, TicketClaims};
use serde_json::{json, Value};
use std::collections::HashSet;

dual!(
    tickets_are_issued_once_and_shown_only_to_the_owner,
    concurrent_first_reads_issue_the_same_tickets,
    forged_and_altered_codes_are_refused,
    a_second_scan_is_a_conflict_naming_the_first,
    concurrent_gates_admit_a_ticket_once,
    cancelling_a_booking_voids_its_tickets,
    transfer_revokes_the_old_code_and_the_new_one_works,
    offline_verification_agrees_with_the_server,
    key_rotation_keeps_earlier_tickets_valid,
    door_endpoints_need_staff,
    bad_scans_are_refused_and_change_nothing,
);

impl TestApp {
    /// Creates door staff through the store (as `admin create-user --staff` does) and logs in.
    pub async fn staff(&self) -> String {
        self.member(Role::Staff, "Door").await
    }

    /// A confirmed booking of `n` seats of `show` for `buyer`.
    pub async fn confirmed(&self, buyer: &str, show: &Value, seats: &[String]) -> Value {
        let hold = self.hold(buyer, show, seats).await.ok(201).clone();
        let booking = self.book(buyer, &hold, OK_CARD).await.ok(201).clone();
        assert_eq!(booking["status"], "confirmed");
        booking
    }

    pub async fn tickets(&self, token: &str, booking: &Value) -> Response {
        self.get_as(
            &format!(
                "/api/v1/bookings/{}/tickets",
                booking["id"].as_str().unwrap()
            ),
            token,
        )
        .await
    }

    pub async fn scan(&self, token: &str, code: &str, gate: &str) -> Response {
        self.post(
            "/api/v1/checkins",
            Some(token),
            json!({"code": code, "gate": gate}),
        )
        .await
    }

    pub async fn checkin_keys(&self, token: &str, show: &Value) -> Response {
        self.get_as(
            &format!(
                "/api/v1/shows/{}/checkin-keys",
                show["id"].as_str().unwrap()
            ),
            token,
        )
        .await
    }
}

/// A show with `seats` seats and a confirmed booking of `booked` of them, with its tickets.
async fn booked(app: &TestApp, seats: i64, booked: usize) -> (Value, String, Value, Vec<Value>) {
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, seats, 0).await;
    let ids = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let booking = app.confirmed(&buyer, &show, &ids[..booked]).await;
    let tickets = app.tickets(&buyer, &booking).await.ok(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    (show, buyer, booking, tickets)
}

fn code_of(ticket: &Value) -> &str {
    ticket["code"].as_str().unwrap()
}

async fn tickets_are_issued_once_and_shown_only_to_the_owner(db: Db) {
    let app = TestApp::spawn(db).await;
    let (show, buyer, booking, tickets) = booked(&app, 4, 2).await;
    assert_eq!(tickets.len(), 2);
    for t in &tickets {
        assert!(t["id"].is_string() && t["seat"]["label"].is_string(), "{t}");
        assert_eq!(t["show_id"], show["id"]);
        assert!(t["qr_svg"].as_str().unwrap().contains("<svg"));
        let claims = code::parse(code_of(t)).unwrap().claims;
        assert_eq!(claims.ticket_id.to_string(), t["id"].as_str().unwrap());
        assert_eq!(
            claims.seat_id.to_string(),
            t["seat"]["id"].as_str().unwrap()
        );
    }
    // Stable: reading again returns the same codes.
    let again = app.tickets(&buyer, &booking).await.ok(200)["items"].clone();
    assert_eq!(again, json!(tickets));
    // The owner and admins see them; anyone else gets a 404, the anonymous a 401.
    let other = app.buyer().await;
    app.tickets(&other, &booking).await.problem(404);
    let admin = app.admin().await;
    assert_eq!(
        app.tickets(&admin, &booking).await.ok(200)["items"],
        json!(tickets)
    );
    app.get(&format!(
        "/api/v1/bookings/{}/tickets",
        booking["id"].as_str().unwrap()
    ))
    .await
    .problem(401);
    // My tickets lists them, and issues those of bookings never read.
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    app.confirmed(&buyer, &show, &seats[2..3]).await;
    let mine = app.get_as("/api/v1/users/me/tickets", &buyer).await;
    assert_eq!(mine.ok(200)["items"].as_array().unwrap().len(), 3);
    assert!(
        app.get_as("/api/v1/users/me/tickets", &other).await.ok(200)["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A booking not paid yet has no tickets.
    let hold = app.hold(&other, &show, &seats[3..4]).await.ok(201).clone();
    let pending = app
        .book(&other, &hold, "4000000000000077")
        .await
        .ok(201)
        .clone();
    if pending["status"] == "pending_payment" {
        app.tickets(&other, &pending).await.problem(409);
    }
}

async fn concurrent_first_reads_issue_the_same_tickets(db: Db) {
    let app = std::sync::Arc::new(TestApp::spawn(db).await);
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 4, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let booking = app.confirmed(&buyer, &show, &seats[..3]).await;
    let reads = (0..10).map(|_| {
        let (app, buyer, booking) = (app.clone(), buyer.clone(), booking.clone());
        tokio::spawn(async move { app.tickets(&buyer, &booking).await.ok(200)["items"].clone() })
    });
    let answers: Vec<Value> = futures::future::join_all(reads)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(answers[0].as_array().unwrap().len(), 3);
    for a in &answers {
        assert_eq!(a, &answers[0]);
    }
    // The first read created the signing key once, however many raced for it.
    assert_eq!(app.store.ticket_keys().await.unwrap().len(), 1);
}

async fn forged_and_altered_codes_are_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, _, _, tickets) = booked(&app, 2, 1).await;
    let staff = app.staff().await;
    let real = code_of(&tickets[0]).to_owned();
    // Every character changed, one at a time, at a few places.
    for at in [0, 1, 5, 20, real.len() / 2, real.len() - 2, real.len() - 1] {
        let mut bad: Vec<u8> = real.clone().into_bytes();
        bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        let r = app.scan(&staff, &bad, "A").await;
        assert_eq!(r.invalid_fields(), ["code"], "position {at}: {}", r.text);
    }
    // The same claims signed by a key the server never published.
    let claims = code::parse(&real).unwrap().claims;
    let forged = code::sign(&claims, &keys::generate());
    app.scan(&staff, &forged, "A").await.invalid_fields();
    // A valid signature over a ticket that does not exist needs the private key: a code for
    // another ticket id with the real signature is refused.
    let mut other = claims;
    other.ticket_id += 1;
    let mut bytes = other.payload();
    bytes.extend_from_slice(&code::base32_decode(&real).unwrap()[claims.payload().len()..]);
    app.scan(&staff, &code::base32_encode(&bytes), "A")
        .await
        .invalid_fields();
    for junk in ["", "hello", "AAAA", &real.to_lowercase()] {
        app.scan(&staff, junk, "A").await.invalid_fields();
    }
    // None of that checked anything in: the real code still gets in, once.
    app.scan(&staff, &real, "A").await.ok(200);
}

async fn a_second_scan_is_a_conflict_naming_the_first(db: Db) {
    let app = TestApp::spawn(db).await;
    let (show, _, _, tickets) = booked(&app, 2, 1).await;
    let staff = app.staff().await;
    let first = app.scan(&staff, code_of(&tickets[0]), "North").await;
    let first = first.ok(200).clone();
    assert_eq!(first["ticket_id"], tickets[0]["id"]);
    assert_eq!(first["seat"], tickets[0]["seat"]);
    assert_eq!(first["show_id"], show["id"]);
    assert_eq!(first["gate"], "North");
    let second = app.scan(&staff, code_of(&tickets[0]), "South").await;
    let problem = second.problem(409);
    assert_eq!(problem["first_scan"]["gate"], "North");
    assert_eq!(problem["first_scan"]["scanned_at"], first["scanned_at"]);
    assert_eq!(problem["this_scan"]["gate"], "South");
    assert!(problem["detail"].as_str().unwrap().contains("North"));
}

async fn concurrent_gates_admit_a_ticket_once(db: Db) {
    let app = std::sync::Arc::new(TestApp::spawn(db).await);
    let (_, _, _, tickets) = booked(&app, 2, 1).await;
    let staff = app.staff().await;
    let code = code_of(&tickets[0]).to_owned();
    let scans = (0..20).map(|gate| {
        let (app, staff, code) = (app.clone(), staff.clone(), code.clone());
        tokio::spawn(async move { app.scan(&staff, &code, &format!("G{gate}")).await.status })
    });
    let statuses: Vec<u16> = futures::future::join_all(scans)
        .await
        .into_iter()
        .map(|r| r.unwrap().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
}

async fn cancelling_a_booking_voids_its_tickets(db: Db) {
    let app = TestApp::spawn(db).await;
    let (show, buyer, booking, tickets) = booked(&app, 3, 2).await;
    let staff = app.staff().await;
    assert_eq!(
        app.checkin_keys(&staff, &show).await.ok(200)["revoked"],
        json!([])
    );
    let path = format!(
        "/api/v1/bookings/{}/cancel",
        booking["id"].as_str().unwrap()
    );
    app.post(&path, Some(&buyer), json!({})).await.ok(200);
    for t in &tickets {
        let r = app.scan(&staff, code_of(t), "A").await;
        assert!(r.problem(410)["detail"]
            .as_str()
            .unwrap()
            .contains("cancelled"));
    }
    let revoked = app.checkin_keys(&staff, &show).await.ok(200)["revoked"].clone();
    let ids: Vec<Value> = tickets.iter().map(|t| t["id"].clone()).collect();
    assert_eq!(revoked, json!(ids));
    app.tickets(&buyer, &booking).await.problem(410);
    assert!(
        app.get_as("/api/v1/users/me/tickets", &buyer).await.ok(200)["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn transfer_revokes_the_old_code_and_the_new_one_works(db: Db) {
    let app = TestApp::spawn(db).await;
    let (show, buyer, booking, tickets) = booked(&app, 3, 2).await;
    let staff = app.staff().await;
    let friend_email = format!("friend{:x}@example.com", rand::random::<u64>());
    app.register(&friend_email, "correct horse battery")
        .await
        .ok(201);
    let friend = app
        .login(&friend_email, "correct horse battery")
        .await
        .ok(201)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!(
        "/api/v1/tickets/{}/transfer",
        tickets[0]["id"].as_str().unwrap()
    );
    // Only the holder may give it away; the recipient must exist and be someone else.
    app.post(&path, Some(&friend), json!({"email": friend_email}))
        .await
        .problem(404);
    let r = app
        .post(&path, Some(&buyer), json!({"email": "nobody@example.com"}))
        .await;
    assert_eq!(r.invalid_fields(), ["email"]);
    app.post(&path, Some(&buyer), json!({"email": "not an email"}))
        .await
        .invalid_fields();

    let done = app
        .post(
            &path,
            Some(&buyer),
            json!({"email": friend_email.to_uppercase()}),
        )
        .await;
    let done = done.ok(201).clone();
    assert_eq!(done["transferred_from"], tickets[0]["id"]);
    assert_eq!(done["recipient"], friend_email);
    assert_eq!(done["seat"], tickets[0]["seat"]);
    assert!(
        done.get("code").is_none(),
        "the sender must not learn the new code"
    );
    // The recipient holds the new ticket with a new code; the buyer keeps the other one.
    let theirs = app
        .get_as("/api/v1/users/me/tickets", &friend)
        .await
        .ok(200)["items"]
        .clone();
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    assert_eq!(theirs[0]["id"], done["ticket_id"]);
    assert_ne!(code_of(&theirs[0]), code_of(&tickets[0]));
    let left = app.tickets(&buyer, &booking).await.ok(200)["items"].clone();
    assert_eq!(left, json!([tickets[1]]));
    // The old code is void and listed as revoked; the new one gets in.
    assert!(app
        .scan(&staff, code_of(&tickets[0]), "A")
        .await
        .problem(410)["detail"]
        .as_str()
        .unwrap()
        .contains("transferred"));
    let revoked = app.checkin_keys(&staff, &show).await.ok(200)["revoked"].clone();
    assert_eq!(revoked, json!([tickets[0]["id"]]));
    app.scan(&staff, code_of(&theirs[0]), "A").await.ok(200);
    // Given away already; and a used ticket cannot be passed on.
    app.post(&path, Some(&buyer), json!({"email": friend_email}))
        .await
        .problem(410);
    let onward = format!(
        "/api/v1/tickets/{}/transfer",
        done["ticket_id"].as_str().unwrap()
    );
    let buyer_email = app.get_as("/api/v1/users/me", &buyer).await.ok(200)["email"].clone();
    app.post(&onward, Some(&friend), json!({"email": buyer_email}))
        .await
        .problem(409);
}

/// What the server said, in the terms of an offline scanner.
fn verdict(status: u16) -> &'static str {
    match status {
        200 | 409 => "valid",
        410 => "revoked",
        422 => "refused",
        other => panic!("unexpected status {other}"),
    }
}

async fn offline_verification_agrees_with_the_server(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 6, 0).await;
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let buyer = app.buyer().await;
    let kept = app.confirmed(&buyer, &show, &seats[0..2]).await;
    let cancelled = app.confirmed(&buyer, &show, &seats[2..3]).await;
    let kept = app.tickets(&buyer, &kept).await.ok(200)["items"].clone();
    let void = app.tickets(&buyer, &cancelled).await.ok(200)["items"][0].clone();
    let path = format!(
        "/api/v1/bookings/{}/cancel",
        cancelled["id"].as_str().unwrap()
    );
    app.post(&path, Some(&buyer), json!({})).await.ok(200);
    let other = app.buyer().await;
    let other_email = app.get_as("/api/v1/users/me", &other).await.ok(200)["email"].clone();
    let transferred = kept[1].clone();
    let path = format!(
        "/api/v1/tickets/{}/transfer",
        transferred["id"].as_str().unwrap()
    );
    app.post(&path, Some(&buyer), json!({"email": other_email}))
        .await
        .ok(201);

    // The scanner's download.
    let staff = app.staff().await;
    let download = app.checkin_keys(&staff, &show).await.ok(200).clone();
    let published: Vec<PublishedKey> = serde_json::from_value(download["keys"].clone()).unwrap();
    assert_eq!(published.len(), 1);
    let ring = Keyring::new(&published);
    let revoked: HashSet<TicketId> = download["revoked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| TicketId::new(id.as_str().unwrap().parse().unwrap()))
        .collect();
    assert_eq!(revoked.len(), 2);

    let valid = code_of(&kept[0]).to_owned();
    let claims = code::parse(&valid).unwrap().claims;
    let forged = code::sign(&claims, &keys::generate());
    let mut altered = valid.clone().into_bytes();
    altered[10] = if altered[10] == b'Q' { b'R' } else { b'Q' };
    let altered = String::from_utf8(altered).unwrap();
    let now = app.clock.now_ms();
    for (name, c) in [
        ("valid", valid.as_str()),
        ("forged", forged.as_str()),
        ("altered", altered.as_str()),
        ("cancelled", code_of(&void)),
        ("transferred", code_of(&transferred)),
        ("garbage", "NOT A CODE"),
    ] {
        let offline = match tickets::verify_offline(c, &ring, &revoked, now) {
            Ok(_) => "valid",
            Err(Refusal::Revoked) => "revoked",
            Err(_) => "refused",
        };
        let online = app.scan(&staff, c, "Gate 1").await;
        assert_eq!(
            offline,
            verdict(online.status.as_u16()),
            "{name}: {}",
            online.text
        );
    }

    // Two offline gates both admitted a fresh ticket; they sync a few minutes later.
    let fresh = app.confirmed(&buyer, &show, &seats[3..4]).await;
    let fresh = app.tickets(&buyer, &fresh).await.ok(200)["items"][0].clone();
    app.clock.advance(std::time::Duration::from_secs(300));
    let now = app.clock.now_ms();
    assert!(tickets::verify_offline(code_of(&fresh), &ring, &revoked, now - 60_000).is_ok());
    let at = |ms_ago: i64| boxoffice::domain::rfc3339(now - ms_ago);
    let east = app
        .post(
            "/api/v1/checkins",
            Some(&staff),
            json!({"code": code_of(&fresh), "gate": "East", "scanned_at": at(60_000)}),
        )
        .await;
    assert_eq!(east.ok(200)["scanned_at"], json!(at(60_000)));
    let west = app
        .post(
            "/api/v1/checkins",
            Some(&staff),
            json!({"code": code_of(&fresh), "gate": "West", "scanned_at": at(30_000)}),
        )
        .await;
    let conflict = west.problem(409);
    assert_eq!(conflict["offline_conflict"], true);
    assert_eq!(
        conflict["first_scan"],
        json!({"gate": "East", "scanned_at": at(60_000)})
    );
    assert_eq!(
        conflict["this_scan"],
        json!({"gate": "West", "scanned_at": at(30_000)})
    );
}

async fn key_rotation_keeps_earlier_tickets_valid(db: Db) {
    let app = TestApp::spawn(db).await;
    let (show, buyer, _, before) = booked(&app, 4, 1).await;
    let rotated = app
        .store
        .rotate_ticket_key(app.clock.now_ms())
        .await
        .unwrap();
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let after = app.confirmed(&buyer, &show, &seats[1..2]).await;
    let after = app.tickets(&buyer, &after).await.ok(200)["items"][0].clone();
    let old_key = code::parse(code_of(&before[0])).unwrap().claims.key_id;
    let new_key = code::parse(code_of(&after)).unwrap().claims.key_id;
    assert_ne!(old_key, new_key);
    assert_eq!(i64::from(new_key), rotated);
    let staff = app.staff().await;
    let keys = app.checkin_keys(&staff, &show).await.ok(200)["keys"].clone();
    let ids: Vec<String> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [old_key.to_string(), new_key.to_string()]);
    // Tickets read again keep their codes; both generations get in.
    let reread = app.get_as("/api/v1/users/me/tickets", &buyer).await.ok(200)["items"].clone();
    assert_eq!(reread[0]["code"], before[0]["code"]);
    app.scan(&staff, code_of(&before[0]), "A").await.ok(200);
    app.scan(&staff, code_of(&after), "A").await.ok(200);
}

async fn door_endpoints_need_staff(db: Db) {
    let app = TestApp::spawn(db).await;
    let (show, buyer, _, tickets) = booked(&app, 2, 1).await;
    let code = code_of(&tickets[0]);
    // Buyers are refused, the anonymous asked to log in; nothing was checked in.
    app.scan(&buyer, code, "A").await.problem(403);
    app.checkin_keys(&buyer, &show).await.problem(403);
    app.post("/api/v1/checkins", None, json!({"code": code}))
        .await
        .problem(401);
    let staff = app.staff().await;
    app.get_as("/api/v1/shows/999999/checkin-keys", &staff)
        .await
        .problem(404);
    // An admin makes a buyer door staff; a buyer cannot.
    let me = app.get_as("/api/v1/users/me", &buyer).await.ok(200).clone();
    let path = format!("/api/v1/users/{}/role", me["id"].as_str().unwrap());
    app.post(&path, Some(&buyer), json!({"role": "staff"}))
        .await
        .problem(403);
    let admin = app.admin().await;
    app.post(&path, Some(&admin), json!({"role": "wizard"}))
        .await
        .invalid_fields();
    app.post(
        "/api/v1/users/999999/role",
        Some(&admin),
        json!({"role": "staff"}),
    )
    .await
    .problem(404);
    let promoted = app
        .post(&path, Some(&admin), json!({"role": "staff"}))
        .await;
    assert_eq!(promoted.ok(200)["role"], "staff");
    assert_eq!(
        app.get_as("/api/v1/users/me", &buyer).await.ok(200)["role"],
        "staff"
    );
    app.checkin_keys(&buyer, &show).await.ok(200);
    app.scan(&buyer, code, "A").await.ok(200);
    // Admins work the doors too.
    app.checkin_keys(&admin, &show).await.ok(200);
}

async fn bad_scans_are_refused_and_change_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let (show, _, _, tickets) = booked(&app, 2, 1).await;
    let staff = app.staff().await;
    let code = code_of(&tickets[0]);
    let post = |body: Value| app.post("/api/v1/checkins", Some(&staff), body);
    assert_eq!(post(json!({"gate": "A"})).await.invalid_fields(), ["code"]);
    assert_eq!(
        post(json!({"code": code, "scanned_at": "yesterday"}))
            .await
            .invalid_fields(),
        ["scanned_at"]
    );
    let future = boxoffice::domain::rfc3339(app.clock.now_ms() + 3_600_000);
    assert_eq!(
        post(json!({"code": code, "scanned_at": future}))
            .await
            .invalid_fields(),
        ["scanned_at"]
    );
    let long_gate = "G".repeat(101);
    assert_eq!(
        post(json!({"code": code, "gate": long_gate}))
            .await
            .invalid_fields(),
        ["gate"]
    );
    // A scan dated before the ticket existed is outside its validity.
    let early = boxoffice::domain::rfc3339(app.clock.now_ms() - 86_400_000);
    assert_eq!(
        post(json!({"code": code, "scanned_at": early}))
            .await
            .invalid_fields(),
        ["code"]
    );
    // At a door of another show it is refused, and still unused.
    let r = post(json!({"code": code, "show_id": "999999"})).await;
    r.problem(409);
    app.raw_post("/api/v1/checkins", "application/json", "{", Some(&staff))
        .await
        .problem(400);
    let ok = post(json!({"code": code, "show_id": show["id"]})).await;
    ok.ok(200);
    // The offline check and the claims agree on what the code says.
    let claims: TicketClaims = code::parse(code).unwrap().claims;
    assert_eq!(claims.show_id.to_string(), show["id"].as_str().unwrap());
}

/// The operator's commands: `admin create-user --staff` and `admin rotate-ticket-key`.
#[tokio::test]
async fn staff_accounts_and_key_rotation_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_boxoffice"))
            .env("BOXOFFICE_DATA_DIR", dir.path())
            .env_remove("DATABASE_URL")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let created = run(&[
        "admin",
        "create-user",
        "--email",
        "door@example.com",
        "--password",
        "staff password",
        "--name",
        "Door",
        "--staff",
    ]);
    assert!(
        created.contains("created staff user door@example.com"),
        "{created}"
    );
    let first = run(&["admin", "rotate-ticket-key"]);
    let second = run(&["admin", "rotate-ticket-key"]);
    assert!(first.contains("ticket key 1 "), "{first}");
    assert!(second.contains("ticket key 2 "), "{second}");
    let store = boxoffice::store::open(None, dir.path()).await.unwrap();
    let keys = store.ticket_keys().await.unwrap();
    assert_eq!(keys.iter().map(|k| k.id).collect::<Vec<_>>(), [1, 2]);
    let staff = store
        .credentials_by_email("door@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(staff.user.role, Role::Staff);
}

/// The door page is served and works through the check-in API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_door_page_is_served() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let page = app.get("/door").await;
    assert_eq!(page.status, 200);
    assert!(page.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    for needle in ["<label for=\"code\">Ticket code", "aria-live"] {
        assert!(page.text.contains(needle), "{needle}");
    }
    // Its script comes from its own file, under the pages' Content-Security-Policy.
    assert!(page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    assert!(!page.text.contains("<script>") && !page.text.contains("<style>"));
    let src = page
        .text
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a script");
    let script = app.get(src).await;
    assert_eq!(script.status, 200);
    for needle in ["/checkin-keys", "\"/checkins\""] {
        assert!(script.text.contains(needle), "{needle}");
    }
}
