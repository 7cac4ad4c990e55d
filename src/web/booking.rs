//! Checkout and after: the hold with its countdown, paying, the confirmation with the tickets,
//! "my bookings" with cancelling, and a printable page of the tickets.

use super::catalog::parse_id;
use super::format::{money, when};
use super::session::{Buyer, Form};
use super::{page, Chrome, WebError};
use crate::booking::BookingError;
use crate::domain::booking::*;
use crate::domain::catalog::ShowView;
use crate::domain::*;
use crate::http::{ApiError, AppState};
use crate::store::StoreError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use std::collections::HashMap;

/// The card field's test numbers, shown on the page when the test provider takes the payment.
const TEST_CARDS: &[(&str, &str)] = &[
    ("4242 4242 4242 4242", "pays"),
    ("4000 0000 0000 0002", "is declined"),
    ("4000 0000 0000 0077", "pays after a delay"),
];

pub struct SeatLine {
    pub label: String,
    pub price: String,
}

fn seat_label(seat: &HeldSeat) -> String {
    match &seat.row {
        Some(row) => format!("{}, row {row}, seat {}", seat.section, seat.number),
        None => format!("{}, standing", seat.section),
    }
}

fn seat_lines(seats: &[HeldSeat], currency: &str) -> Vec<SeatLine> {
    seats
        .iter()
        .map(|s| SeatLine {
            label: seat_label(s),
            price: money(s.price, currency),
        })
        .collect()
}

/// The show of a hold or booking, as a line for people: title, venue and local time.
struct ShowLine {
    title: String,
    venue: String,
    when: String,
    href: String,
}

async fn show_line(state: &AppState, id: ShowId) -> Result<ShowLine, WebError> {
    let show: ShowView = state.store.show(id, state.clock.now_ms()).await?;
    Ok(ShowLine {
        href: format!("/shows/{id}"),
        title: show.event.title,
        venue: format!("{}, {}", show.venue.name, show.venue.city),
        when: when(&show.starts_at, &show.venue.timezone),
    })
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct Checkout {
    chrome: Chrome,
    hold_id: String,
    show_id: String,
    show: ShowLine,
    seats: Vec<SeatLine>,
    total: String,
    expires_at: String,
    expires_in: i64,
    test_cards: Vec<(&'static str, &'static str)>,
    /// Set when Stripe's Payment Element takes the card.
    stripe: Option<StripeForm>,
    pay_js: &'static str,
    error: Option<String>,
}

/// What the Payment Element needs: the publishable key and the script, and the amount it shows.
struct StripeForm {
    key: String,
    js: String,
    amount: i64,
    currency: String,
}

/// Stripe.js's key and script, when Stripe takes this deployment's payments in the browser.
fn stripe_js(state: &AppState) -> Option<(&str, &str)> {
    let stripe = state.config.stripe.as_ref()?;
    let key = stripe.publishable_key.as_deref()?;
    (provider(state) == "stripe").then_some((key, stripe.js_url.as_str()))
}

/// A page that runs Stripe.js, with the Content-Security-Policy that lets it load, frame its
/// card fields and call Stripe's API.
fn stripe_page<T: Template>(state: &AppState, status: StatusCode, template: &T) -> Response {
    let mut response = page(status, template);
    let origin = |url: &str| {
        reqwest::Url::parse(url)
            .map(|u| u.origin().ascii_serialization())
            .ok()
    };
    let Some(stripe) = state.config.stripe.as_ref() else {
        return response;
    };
    // Stripe.js calls Stripe's API itself, whatever base this server's own calls use; a
    // stand-in script calls its own.
    let api = if stripe.js_url == crate::config::STRIPE_JS_URL {
        crate::payments::stripe::DEFAULT_BASE_URL
    } else {
        stripe.js_url.as_str()
    };
    if let (Some(script), Some(api)) = (origin(&stripe.js_url), origin(api)) {
        let policy = super::content_security_policy(Some(&super::PaymentOrigins { script, api }));
        if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
            response
                .headers_mut()
                .insert(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    // A page with a client secret in it is not kept in any cache.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// The provider the page pays with: the deployment's (Stripe, or else the test provider).
fn provider(state: &AppState) -> String {
    let names = state.booking.payments().names();
    if names.contains(&"test") {
        "test".into()
    } else {
        names
            .first()
            .map_or_else(|| "test".into(), |n| (*n).to_owned())
    }
}

async fn render_checkout(
    state: &AppState,
    buyer: &Buyer,
    hold: Hold,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let now = state.clock.now_ms();
    let expires = parse_rfc3339(&hold.expires_at).unwrap_or(now);
    let currency = hold.currency.as_str().to_owned();
    let template = Checkout {
        chrome: Chrome::new("Checkout", &buyer.visitor),
        hold_id: hold.id.to_string(),
        show_id: hold.show_id.to_string(),
        show: show_line(state, hold.show_id).await?,
        seats: seat_lines(&hold.seats, &currency),
        total: money(hold.total, &currency),
        expires_at: hold.expires_at.clone(),
        expires_in: ((expires - now) / 1000).max(0),
        test_cards: if provider(state) == "test" {
            TEST_CARDS.to_vec()
        } else {
            Vec::new()
        },
        stripe: stripe_js(state).map(|(key, js)| StripeForm {
            key: key.to_owned(),
            js: js.to_owned(),
            amount: hold.total,
            currency: currency.to_lowercase(),
        }),
        pay_js: super::assets::asset("pay.js"),
        error,
    };
    Ok(match template.stripe {
        Some(_) => stripe_page(state, status, &template),
        None => page(status, &template),
    })
}

#[derive(Template)]
#[template(path = "expired.html")]
struct Expired {
    chrome: Chrome,
    show_href: String,
}

fn expired(buyer: &Buyer, show: ShowId) -> Response {
    let template = Expired {
        chrome: Chrome::new("Your hold expired", &buyer.visitor),
        show_href: format!("/shows/{show}"),
    };
    page(StatusCode::GONE, &template)
}

/// The booking a hold became, if it became one.
async fn booking_of(
    state: &AppState,
    user: UserId,
    hold: HoldId,
) -> Result<Option<Booking>, WebError> {
    Ok(state
        .store
        .bookings_for_user(user)
        .await?
        .into_iter()
        .find(|b| b.hold_id == hold))
}

/// Whether the hold still keeps its seats: not released or lapsed (a booking whose payment
/// failed keeps its hold until it expires, so the buyer can try another card).
fn still_held(hold: &Hold, now: UnixMs) -> bool {
    matches!(hold.status, HoldStatus::Active | HoldStatus::Booked)
        && parse_rfc3339(&hold.expires_at).is_some_and(|at| at > now)
}

/// `GET /holds/{id}`: the held seats, the time left, and the card field.
pub async fn checkout(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id::<HoldId>(&id, "hold")?;
    let now = state.clock.now_ms();
    let hold = state.store.hold(id, buyer.user.id, now).await?;
    if hold.status == HoldStatus::Booked {
        if let Some(b) = booking_of(&state, buyer.user.id, id).await? {
            if b.status != BookingStatus::PaymentFailed || !still_held(&hold, now) {
                return Ok(Redirect::to(&format!("/bookings/{}", b.id)).into_response());
            }
        }
    }
    if still_held(&hold, now) {
        render_checkout(&state, &buyer, hold, None, StatusCode::OK).await
    } else {
        Ok(expired(&buyer, hold.show_id))
    }
}

/// `POST /holds/{id}/pay`: pays with the card. A decline shows checkout again while the hold
/// lasts; a paid or pending booking goes to its page.
pub async fn pay(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, WebError> {
    let id = parse_id::<HoldId>(&id, "hold")?;
    let input = BookingInput {
        hold_id: id,
        payment: {
            // The test provider takes a card number. Stripe takes the ConfirmationToken the
            // Payment Element made (`payment_method`), or an id typed where there is no
            // publishable key (`card`).
            let provider = provider(&state);
            let typed = form.get("card").map(str::to_owned);
            let stripe = provider == "stripe";
            let made = form.get("payment_method").filter(|m| !m.is_empty());
            PaymentInput {
                provider,
                card_number: typed.clone().filter(|_| !stripe),
                payment_method: made.map(str::to_owned).or(typed).filter(|_| stripe),
            }
        },
    };
    let user = buyer.user.id;
    let booking = match state.booking.book(user, input).await {
        Ok(b) => b,
        Err(BookingError::Store(StoreError::Gone(_))) => {
            let hold = state.store.hold(id, user, state.clock.now_ms()).await?;
            return Ok(expired(&buyer, hold.show_id));
        }
        Err(e) => return Err(e.into()),
    };
    if booking.status == BookingStatus::Confirmed {
        state.room.finished(booking.show_id, user).await;
    }
    if booking.status != BookingStatus::PaymentFailed {
        return Ok(Redirect::to(&format!("/bookings/{}", booking.id)).into_response());
    }
    let hold = state.store.hold(id, user, state.clock.now_ms()).await?;
    if !still_held(&hold, state.clock.now_ms()) {
        return Ok(expired(&buyer, hold.show_id));
    }
    let error = format!(
        "{} Your seats are still held for you: try another card.",
        failure_words(booking.failure_reason.as_deref())
    );
    render_checkout(
        &state,
        &buyer,
        hold,
        Some(error),
        StatusCode::PAYMENT_REQUIRED,
    )
    .await
}

/// A failed payment's reason (the provider's code: the test provider's, or Stripe's decline
/// codes) in words.
fn failure_words(reason: Option<&str>) -> String {
    match reason {
        Some(
            "card_declined" | "generic_decline" | "do_not_honor" | "lost_card" | "stolen_card"
            | "pickup_card" | "restricted_card" | "fraudulent",
        ) => "Your card was declined.".to_owned(),
        Some("insufficient_funds") => "Your card was declined: not enough funds.".to_owned(),
        Some("expired_card") => "Your card has expired.".to_owned(),
        Some("incorrect_cvc") => "The card's security code is incorrect.".to_owned(),
        Some("invalid_number" | "incorrect_number") => "That card number is not valid.".to_owned(),
        Some("payment_intent_authentication_failure") => {
            "Your bank did not confirm the payment.".to_owned()
        }
        Some(other) => format!("The payment did not go through ({other})."),
        None => "The payment did not go through.".to_owned(),
    }
}

/// `POST /holds/{id}/release`: gives the seats back.
pub async fn release(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
    _form: Form,
) -> Result<Response, WebError> {
    let id = parse_id::<HoldId>(&id, "hold")?;
    let now = state.clock.now_ms();
    let hold = state.store.hold(id, buyer.user.id, now).await?;
    match state.store.release_hold(id, buyer.user.id, now).await {
        Ok(()) | Err(StoreError::Conflict(_)) | Err(StoreError::Gone(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/shows/{}", hold.show_id)).into_response())
}

pub struct TicketCard {
    pub id: String,
    pub seat: String,
    pub code: String,
    /// The QR code as an `img` source (an SVG data URL).
    pub qr: String,
}

/// Whose bookings the visitor may see: their own, or anyone's for an admin (as in the API).
fn scope(buyer: &Buyer) -> Option<UserId> {
    crate::http::booking::owner_scope(&buyer.user)
}

async fn tickets(
    state: &AppState,
    buyer: &Buyer,
    booking: BookingId,
) -> Result<Vec<TicketCard>, WebError> {
    let issued = state
        .store
        .booking_tickets(booking, scope(buyer), state.clock.now_ms())
        .await?;
    issued
        .into_iter()
        .map(|t| {
            let qr = crate::tickets::qr(&t.code).map_err(ApiError::Internal)?;
            Ok(TicketCard {
                id: t.id.to_string(),
                seat: t.seat.label,
                qr: format!(
                    "data:image/svg+xml;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(qr.svg)
                ),
                code: t.code,
            })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "booking.html")]
struct BookingPage {
    chrome: Chrome,
    id: String,
    show: ShowLine,
    status: &'static str,
    status_class: &'static str,
    confirmed: bool,
    pending: bool,
    /// Why the payment failed, in words.
    failed: Option<String>,
    /// The hold's checkout, while a failed payment may be tried again.
    retry: Option<String>,
    /// The buyer's bank asks them to confirm (3-D Secure): Stripe.js does it on this page.
    bank_step: Option<BankStep>,
    pay_js: &'static str,
    seats: Vec<SeatLine>,
    total: String,
    refund: Option<String>,
    tickets: Vec<TicketCard>,
}

fn status_words(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::PendingPayment => "Waiting for your payment",
        BookingStatus::Confirmed => "Confirmed",
        BookingStatus::PaymentFailed => "Payment failed",
        BookingStatus::Cancelled => "Cancelled",
        BookingStatus::Refunded => "Refunded",
    }
}

/// `GET /bookings/{id}`: the confirmation, with the tickets once paid.
pub async fn booking(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id::<BookingId>(&id, "booking")?;
    let booking = state.store.booking(id, scope(&buyer)).await?;
    let now = state.clock.now_ms();
    // The buyer's own hold; an organiser looking at someone else's booking has none.
    let hold = match state.store.hold(booking.hold_id, buyer.user.id, now).await {
        Ok(hold) => Some(hold),
        Err(StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    // The buyer waiting on this page hears the provider's answer now rather than at the next
    // reconciliation, and learns when their bank wants them. Only the buyer: the bank's step is
    // theirs to take, and its secret theirs to hold.
    let (booking, secret) = match hold {
        Some(_) => state.booking.check_pending(booking).await?,
        None => (booking, None),
    };
    let bank_step = match (secret, stripe_js(&state)) {
        (Some(client_secret), Some((key, js))) => Some(BankStep {
            client_secret,
            key: key.to_owned(),
            js: js.to_owned(),
        }),
        _ => None,
    };
    let retry = match &hold {
        Some(hold) if booking.status == BookingStatus::PaymentFailed && still_held(hold, now) => {
            Some(format!("/holds/{}", booking.hold_id))
        }
        _ => None,
    };
    let currency = booking.currency.as_str().to_owned();
    let confirmed = booking.status == BookingStatus::Confirmed;
    let template = BookingPage {
        retry,
        pay_js: super::assets::asset("pay.js"),
        chrome: Chrome::new(format!("Booking {id}"), &buyer.visitor),
        id: id.to_string(),
        show: show_line(&state, booking.show_id).await?,
        status: status_words(booking.status),
        status_class: booking.status.as_str(),
        confirmed,
        pending: booking.status == BookingStatus::PendingPayment,
        failed: (booking.status == BookingStatus::PaymentFailed)
            .then(|| failure_words(booking.failure_reason.as_deref())),
        seats: seat_lines(&booking.seats, &currency),
        total: money(booking.total, &currency),
        refund: booking
            .refund
            .as_ref()
            .map(|r| format!("{} refunded ({})", money(r.amount, &currency), r.status)),
        tickets: if confirmed {
            tickets(&state, &buyer, id).await?
        } else {
            Vec::new()
        },
        bank_step,
    };
    Ok(match template.bank_step {
        Some(_) => stripe_page(&state, StatusCode::OK, &template),
        None => page(StatusCode::OK, &template),
    })
}

pub struct BankStep {
    client_secret: String,
    key: String,
    js: String,
}

pub struct BookingRow {
    pub href: String,
    pub id: String,
    pub title: String,
    pub when: String,
    pub seats: usize,
    pub total: String,
    pub status: &'static str,
    pub can_cancel: bool,
    /// (seat, code) of each ticket of a confirmed booking.
    pub tickets: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "bookings.html")]
struct Bookings {
    chrome: Chrome,
    items: Vec<BookingRow>,
}

/// `GET /bookings`: my bookings, newest first, with cancel.
pub async fn my_bookings(
    State(state): State<AppState>,
    buyer: Buyer,
) -> Result<Response, WebError> {
    let found = state.store.bookings_for_user(buyer.user.id).await?;
    let mut shows: HashMap<ShowId, ShowLine> = HashMap::new();
    let mut items = Vec::with_capacity(found.len());
    for b in found.iter().rev() {
        if let std::collections::hash_map::Entry::Vacant(slot) = shows.entry(b.show_id) {
            slot.insert(show_line(&state, b.show_id).await?);
        }
        let show = &shows[&b.show_id];
        let tickets = if b.status == BookingStatus::Confirmed {
            state
                .store
                .booking_tickets(b.id, Some(buyer.user.id), state.clock.now_ms())
                .await?
                .into_iter()
                .map(|t| (t.seat.label, t.code))
                .collect()
        } else {
            Vec::new()
        };
        items.push(BookingRow {
            tickets,
            href: format!("/bookings/{}", b.id),
            id: b.id.to_string(),
            title: show.title.clone(),
            when: show.when.clone(),
            seats: b.seats.len(),
            total: money(b.total, b.currency.as_str()),
            status: status_words(b.status),
            can_cancel: b.status.can_cancel(),
        });
    }
    let template = Bookings {
        chrome: Chrome::new("My bookings", &buyer.visitor),
        items,
    };
    Ok(page(StatusCode::OK, &template))
}

/// `POST /bookings/{id}/cancel`: cancels and refunds; the seats go back on sale.
pub async fn cancel(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
    _form: Form,
) -> Result<Response, WebError> {
    let id = parse_id::<BookingId>(&id, "booking")?;
    state.booking.cancel(id, scope(&buyer)).await?;
    Ok(Redirect::to(&format!("/bookings/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "print.html")]
struct Print {
    css: &'static str,
    app_js: &'static str,
    show: ShowLine,
    booking_href: String,
    tickets: Vec<TicketCard>,
}

/// `GET /bookings/{id}/print`: the tickets, one per page, for printing.
pub async fn print(
    State(state): State<AppState>,
    buyer: Buyer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id::<BookingId>(&id, "booking")?;
    let booking = state.store.booking(id, scope(&buyer)).await?;
    let template = Print {
        css: super::assets::asset("app.css"),
        app_js: super::assets::asset("app.js"),
        show: show_line(&state, booking.show_id).await?,
        booking_href: format!("/bookings/{id}"),
        tickets: tickets(&state, &buyer, id).await?,
    };
    Ok(page(StatusCode::OK, &template))
}
