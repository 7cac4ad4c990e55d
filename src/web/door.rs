//! The door page (`/door`): what staff at a gate use to check tickets in from a phone or a
//! laptop with a handheld scanner. It talks to the JSON API with the staff member's bearer
//! token (kept in the tab's session storage); its script and style are `static/door.*`.
//!
//! - Staff log in on the page (the token stays in the tab's session storage).
//! - A code arrives from a handheld scanner (which types it and presses Enter), from the camera
//!   (where the browser has `BarcodeDetector`), or typed; it is posted to
//!   `POST /api/v1/checkins` and the answer is shown large and announced to screen readers.
//! - The answer is green (admitted, with the seat) or red (already scanned, with the first
//!   scan's gate and time; forged; void; another show), numbered so two answers in a row look
//!   like two. Under it: the show's tickets checked in against seats sold
//!   (`GET /api/v1/shows/{id}/checkins`) and this device's own tally.
//! - Without a network (no answer within 5 s counts as none), the page verifies codes itself
//!   with the keys and revocation list it downloaded for the show (Ed25519 through WebCrypto,
//!   where the browser has it), refuses a ticket this device already admitted, keeps the scans,
//!   and syncs them with their `scanned_at` when the server answers again; the server then
//!   reports any ticket another gate admitted first.
//! - Tested in a real browser at desktop and phone width: `tests/api/door_page.rs`.

use super::{assets, page};
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "door.html")]
struct Door {
    css: &'static str,
    js: &'static str,
}

/// `GET /door`.
pub async fn door() -> Response {
    page(
        StatusCode::OK,
        &Door {
            css: assets::asset("door.css"),
            js: assets::asset("door.js"),
        },
    )
}
