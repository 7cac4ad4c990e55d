//! Tickets and check-in: a booking's tickets with their QR codes, my tickets, transfers, scans
//! at the doors (online, or synced later by offline scanners), the scanners' keys and
//! revocation list, and making door staff.

use super::error::{ApiError, ApiResult};
use super::extract::{Admin, CurrentUser, Json, PathId};
use super::AppState;
use crate::domain::users::{normalise_email, Role, User};
use crate::domain::*;
use crate::tickets::{
    self, CheckinCounts, CheckinOutcome, IssuedTicket, Keyring, PublishedKey, Refusal, ScanRecord,
    TicketScan, TicketSeat,
};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/bookings/{id}/tickets", get(booking_tickets))
        .route("/users/me/tickets", get(my_tickets))
        .route("/tickets/{id}/transfer", post(transfer))
        .route("/checkins", post(check_in))
        .route("/shows/{id}/checkin-keys", get(checkin_keys))
        .route("/shows/{id}/checkins", get(checkin_counts))
        .route("/users/{id}/role", post(set_role))
}

/// A caller who works the doors: staff or admin (401 when anonymous, 403 for buyers).
#[derive(Debug, Clone)]
pub struct Staff(pub User);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        match current.user.role {
            Role::Staff | Role::Admin => Ok(Staff(current.user)),
            Role::Buyer => Err(ApiError::Forbidden(
                "only door staff or an admin may check tickets in".into(),
            )),
        }
    }
}

/// A ticket as its holder sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    pub id: TicketId,
    pub booking_id: BookingId,
    pub show_id: ShowId,
    pub seat: TicketSeat,
    /// The signed code (base32); the QR code encodes exactly this text.
    pub code: String,
    /// The code as an SVG QR code.
    pub qr_svg: String,
}

impl TryFrom<IssuedTicket> for TicketView {
    type Error = ApiError;

    fn try_from(t: IssuedTicket) -> Result<Self, ApiError> {
        let qr = tickets::qr(&t.code).map_err(ApiError::Internal)?;
        Ok(TicketView {
            id: t.id,
            booking_id: t.booking_id,
            show_id: t.show_id,
            seat: t.seat,
            code: t.code,
            qr_svg: qr.svg,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketList {
    pub items: Vec<TicketView>,
}

fn ticket_list(items: Vec<IssuedTicket>) -> ApiResult<axum::Json<TicketList>> {
    let items = items
        .into_iter()
        .map(TicketView::try_from)
        .collect::<ApiResult<_>>()?;
    Ok(axum::Json(TicketList { items }))
}

/// The tickets of a confirmed booking, one per seat, still held by the buyer (transferred ones
/// are the recipient's). Issued on first read; every read returns the same codes.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/tickets", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = TicketList), (status = 401, body = super::Problem),
              (status = 404, body = super::Problem, description = "no such booking, or not yours"),
              (status = 409, body = super::Problem, description = "the booking is not paid yet"),
              (status = 410, body = super::Problem, description = "the booking was cancelled or refunded")),
    security(("bearer" = [])))]
async fn booking_tickets(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId<BookingId>,
) -> ApiResult<axum::Json<TicketList>> {
    let scope = super::booking::owner_scope(&current.user);
    let found = state
        .store
        .booking_tickets(id, scope, state.clock.now_ms())
        .await?;
    ticket_list(found)
}

/// Every ticket I hold: bought, or received by transfer.
#[utoipa::path(get, path = "/api/v1/users/me/tickets", tag = "tickets",
    responses((status = 200, body = TicketList), (status = 401, body = super::Problem)), security(("bearer" = [])))]
async fn my_tickets(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<axum::Json<TicketList>> {
    let found = state
        .store
        .held_tickets(current.user.id, state.clock.now_ms())
        .await?;
    ticket_list(found)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferInput {
    /// The recipient's account email.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

/// A transfer done. The recipient's code is not in it: it is theirs, in their tickets.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    /// The recipient's new ticket.
    pub ticket_id: TicketId,
    /// The ticket given away; its code no longer admits anyone.
    pub transferred_from: TicketId,
    pub seat: TicketSeat,
    pub recipient: String,
}

/// Gives a ticket to another account: the recipient gets a new ticket with a new code, and the
/// old code is revoked.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/transfer", tag = "tickets", params(("id" = String, Path)),
    request_body = TransferInput,
    responses((status = 201, body = TransferView), (status = 404, body = super::Problem, description = "no such ticket, or not yours"),
              (status = 409, body = super::Problem, description = "the ticket was used at the door"),
              (status = 410, body = super::Problem, description = "transferred already, or its booking was cancelled"),
              (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
async fn transfer(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId<TicketId>,
    Json(input): Json<TransferInput>,
) -> ApiResult<Response> {
    let email = normalise_email(&input.email)
        .ok_or_else(|| ApiError::invalid("email", "must be an email address"))?;
    let done = state
        .store
        .transfer_ticket(id, current.user.id, &email, state.clock.now_ms())
        .await?;
    let view = TransferView {
        ticket_id: done.ticket.id,
        transferred_from: done.from,
        seat: done.ticket.seat,
        recipient: done.recipient,
    };
    Ok((StatusCode::CREATED, axum::Json(view)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckinInput {
    /// The ticket code as scanned.
    #[schema(max_length = 512)]
    pub code: String,
    /// Which door scanned it.
    #[schema(max_length = 100)]
    pub gate: Option<String>,
    /// When an offline scanner saw the code (RFC 3339, at most 5 minutes ahead of the
    /// server's clock); now when absent.
    #[schema(format = DateTime)]
    pub scanned_at: Option<String>,
    /// The show this door admits to; a ticket for another show is refused.
    pub show_id: Option<ShowId>,
}

/// A ticket admitted.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinView {
    pub ticket_id: TicketId,
    pub show_id: ShowId,
    pub seat: TicketSeat,
    pub gate: Option<String>,
    pub scanned_at: String,
}

/// How far ahead of the server's clock a scanner's `scanned_at` may be.
const CLOCK_SKEW_MS: i64 = 5 * 60_000;
const MAX_CODE_CHARS: usize = 512;
const MAX_GATE_CHARS: usize = 100;

fn scan_problem(record: &ScanRecord) -> serde_json::Value {
    serde_json::json!({"gate": record.gate, "scanned_at": record.scanned_at})
}

/// Checks a ticket in at a door, or syncs a scan an offline scanner made (`scanned_at`). Each
/// ticket is admitted once, whatever the number of gates scanning it together.
#[utoipa::path(post, path = "/api/v1/checkins", tag = "tickets", request_body = CheckinInput,
    responses((status = 200, body = CheckinView, description = "first scan: admit"),
              (status = 401, body = super::Problem), (status = 403, body = super::Problem),
              (status = 409, body = super::Problem, description = "scanned before: `first_scan` and `this_scan` say when and at which gate"),
              (status = 410, body = super::Problem, description = "the booking was cancelled or refunded, or the ticket was transferred"),
              (status = 422, body = super::Problem, description = "forged, altered or malformed code, or not valid at this time")),
    security(("bearer" = [])))]
async fn check_in(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Json(input): Json<CheckinInput>,
) -> ApiResult<Response> {
    let answer = scan(&state, staff, input).await;
    let outcome = match &answer {
        Ok(_) => "admitted",
        Err(ApiError::Conflict(..)) => "conflict",
        Err(ApiError::Gone(_)) => "revoked",
        Err(ApiError::Invalid(_)) => "refused",
        Err(_) => "error",
    };
    metrics::counter!("checkins_total", "outcome" => outcome).increment(1);
    answer
}

async fn scan(state: &AppState, staff: User, input: CheckinInput) -> ApiResult<Response> {
    let now = state.clock.now_ms();
    if input.code.chars().count() > MAX_CODE_CHARS {
        return Err(ApiError::invalid("code", "is not a ticket code"));
    }
    let scanned_at = match input.scanned_at.as_deref() {
        None => now,
        Some(raw) => {
            let at = parse_rfc3339(raw)
                .ok_or_else(|| ApiError::invalid("scanned_at", "must be an RFC 3339 time"))?;
            if at > now + CLOCK_SKEW_MS {
                return Err(ApiError::invalid("scanned_at", "is in the future"));
            }
            at
        }
    };
    if input
        .gate
        .as_ref()
        .is_some_and(|g| g.chars().count() > MAX_GATE_CHARS)
    {
        return Err(ApiError::invalid(
            "gate",
            format!("must be at most {MAX_GATE_CHARS} characters"),
        ));
    }
    let gate = input
        .gate
        .map(|g| g.trim().to_owned())
        .filter(|g| !g.is_empty());
    // The same check an offline scanner makes; the database then decides the rest.
    let keys = Keyring::new(&state.store.ticket_keys().await?);
    let claims = tickets::verify_offline(&input.code, &keys, &HashSet::new(), scanned_at).map_err(
        |refusal| match refusal {
            Refusal::Code(e) => ApiError::invalid("code", e.to_string()),
            other => ApiError::invalid("code", other.to_string()),
        },
    )?;
    let offline = input.scanned_at.is_some();
    let scan = TicketScan {
        claims,
        show: input.show_id,
        gate,
        scanned_at,
        staff: staff.id,
    };
    match state.store.check_in(scan, now).await? {
        CheckinOutcome::Admitted {
            ticket_id,
            show_id,
            seat,
            scan,
        } => Ok(axum::Json(CheckinView {
            ticket_id,
            show_id,
            seat,
            gate: scan.gate,
            scanned_at: scan.scanned_at,
        })
        .into_response()),
        CheckinOutcome::AlreadyScanned {
            ticket_id,
            seat,
            first,
            this,
        } => {
            let mut extra = serde_json::Map::new();
            extra.insert("ticket_id".into(), serde_json::json!(ticket_id));
            extra.insert("seat".into(), serde_json::json!(seat));
            extra.insert("first_scan".into(), scan_problem(&first));
            extra.insert("this_scan".into(), scan_problem(&this));
            extra.insert("offline_conflict".into(), serde_json::json!(offline));
            let gate = first.gate.as_deref().unwrap_or("an unnamed gate");
            Err(ApiError::Conflict(
                format!("already checked in at {} ({gate})", first.scanned_at),
                Some(extra),
            ))
        }
        CheckinOutcome::Revoked { ticket_id, why } => Err(ApiError::Gone(format!(
            "ticket {ticket_id} is void: {}",
            why.describe()
        ))),
        CheckinOutcome::WrongShow { ticket_id, show_id } => Err(ApiError::Conflict(
            format!("ticket {ticket_id} is for show {show_id}, not this one"),
            None,
        )),
        CheckinOutcome::Unknown => Err(ApiError::invalid("code", "no such ticket")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinKeys {
    /// Every key that signed tickets; a code's key id says which.
    pub keys: Vec<PublishedKey>,
    /// Tickets of this show that must not admit anyone.
    pub revoked: Vec<TicketId>,
}

/// What an offline scanner needs: the public keys and the show's revoked tickets.
#[utoipa::path(get, path = "/api/v1/shows/{id}/checkin-keys", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = CheckinKeys), (status = 401, body = super::Problem),
              (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
async fn checkin_keys(
    State(state): State<AppState>,
    Staff(_staff): Staff,
    PathId(id): PathId<ShowId>,
) -> ApiResult<axum::Json<CheckinKeys>> {
    let revoked = state.store.revoked_tickets(id).await?;
    let keys = state.store.ticket_keys().await?;
    Ok(axum::Json(CheckinKeys { keys, revoked }))
}

/// How many of a show's tickets are in: the door page's counter.
#[utoipa::path(get, path = "/api/v1/shows/{id}/checkins", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = CheckinCounts), (status = 401, body = super::Problem),
              (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
async fn checkin_counts(
    State(state): State<AppState>,
    Staff(_staff): Staff,
    PathId(id): PathId<ShowId>,
) -> ApiResult<axum::Json<CheckinCounts>> {
    Ok(axum::Json(state.store.checkin_counts(id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleInput {
    pub role: Role,
}

/// Gives a user another role (admin only), e.g. `staff` for the doors. Sessions cached by
/// other instances see it within a few seconds.
#[utoipa::path(post, path = "/api/v1/users/{id}/role", tag = "accounts", params(("id" = String, Path)),
    request_body = RoleInput,
    responses((status = 200, body = User), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
              (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
async fn set_role(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    PathId(id): PathId<UserId>,
    Json(input): Json<RoleInput>,
) -> ApiResult<axum::Json<User>> {
    let user = state.store.set_role(id, input.role).await?;
    // This instance forgets the user's cached sessions at once.
    let stale: Vec<_> = state
        .sessions
        .iter()
        .filter(|(_, cached)| cached.id == id)
        .map(|(hash, _)| hash)
        .collect();
    for hash in stale {
        state.sessions.invalidate(hash.as_str());
    }
    Ok(axum::Json(user))
}
