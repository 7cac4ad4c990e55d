//! Tickets that get people in: signed codes, their QR codes, and the rules a door applies.
//!
//! - `code.rs`: the code format — a compact payload (key id, ticket, show, seat, validity)
//!   signed with Ed25519, in base32 — and its strict parser;
//! - `keys.rs`: generating, storing and publishing signing keys;
//! - here: the records the store returns about tickets and scans, the QR rendering, and
//!   [`verify_offline`], the check a scanner without a network makes with the published keys
//!   and revocation list. The server runs the same function first, then asks the database
//!   (which alone knows about earlier scans and revocations since the list was fetched).
//!
//! Nothing here does I/O or knows about HTTP: the store signs codes inside its transactions with
//! these functions, and scanners or tests can verify codes without a server.

pub mod code;
pub mod keys;

pub use code::{CodeError, TicketClaims};
pub use keys::{Keyring, PublishedKey};

use crate::domain::{BookingId, SeatId, ShowId, TicketId, UnixMs, UserId};
use serde::Serialize;
use std::collections::HashSet;

/// How long after a show starts its tickets stay valid.
pub const VALID_AFTER_START_MS: i64 = 24 * 3_600_000;

/// The place a ticket admits to: a numbered seat, or one place of a standing section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TicketSeat {
    pub id: SeatId,
    pub section: String,
    /// `None` for a standing place.
    pub row: Option<String>,
    pub number: i64,
    /// For people: "Stalls, row R1, seat 3" or "Floor, standing".
    pub label: String,
}

impl TicketSeat {
    pub fn new(id: SeatId, section: String, row: Option<String>, number: i64) -> Self {
        let label = match &row {
            Some(row) => format!("{section}, row {row}, seat {number}"),
            None => format!("{section}, standing"),
        };
        Self {
            id,
            section,
            row,
            number,
            label,
        }
    }
}

/// A live ticket: its current code and who holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTicket {
    pub id: TicketId,
    pub booking_id: BookingId,
    pub show_id: ShowId,
    pub seat: TicketSeat,
    pub code: String,
    pub holder: UserId,
}

/// One scan at a door, as the store records it. The code has been verified already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketScan {
    pub claims: TicketClaims,
    /// The show the door admits to, when the scanner says so.
    pub show: Option<ShowId>,
    pub gate: Option<String>,
    /// When the scanner saw the code: now for an online scan, earlier for an offline one.
    pub scanned_at: UnixMs,
    pub staff: UserId,
}

/// Where and when a ticket was scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScanRecord {
    pub gate: Option<String>,
    /// RFC 3339.
    pub scanned_at: String,
}

/// How far a show's doors have got: tickets checked in against seats sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CheckinCounts {
    /// Tickets of the show scanned in (online, or synced by an offline scanner).
    pub checked_in: i64,
    /// Seats of the show sold (confirmed bookings): the most that can come in.
    pub sold: i64,
}

/// Why a ticket no longer admits anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    /// The booking was cancelled.
    Cancelled,
    /// The booking was refunded.
    Refunded,
    /// The ticket was transferred; the recipient has a new code.
    Transferred,
}

impl Revocation {
    pub fn describe(self) -> &'static str {
        match self {
            Revocation::Cancelled => "the booking was cancelled",
            Revocation::Refunded => "the booking was refunded",
            Revocation::Transferred => "the ticket was transferred to someone else",
        }
    }
}

/// What a scan did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckinOutcome {
    /// First scan of a valid ticket: let them in.
    Admitted {
        ticket_id: TicketId,
        show_id: ShowId,
        seat: TicketSeat,
        scan: ScanRecord,
    },
    /// Scanned before (at another gate, or by an offline scanner that synced first).
    AlreadyScanned {
        ticket_id: TicketId,
        seat: TicketSeat,
        first: ScanRecord,
        this: ScanRecord,
    },
    Revoked {
        ticket_id: TicketId,
        why: Revocation,
    },
    /// The ticket is for another show than the door's.
    WrongShow {
        ticket_id: TicketId,
        show_id: ShowId,
    },
    /// Correctly signed, but no such ticket (another deployment's code).
    Unknown,
}

/// A ticket handed to another account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTransfer {
    /// The recipient's new ticket (its code is theirs: the sender is not told it).
    pub ticket: IssuedTicket,
    pub from: TicketId,
    pub recipient: String,
}

/// Why a scanner refuses a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error("the ticket was revoked")]
    Revoked,
    #[error("the ticket is not valid at this time")]
    OutsideValidity,
}

/// The check a scanner makes on its own: the code parses, its key is published, the signature
/// holds, the scan time is within the ticket's validity, and the ticket is not on the
/// revocation list. `at` is unix milliseconds. What it cannot know — an earlier scan at another
/// door, a revocation after the list was fetched — the server decides when the scan syncs.
pub fn verify_offline(
    code: &str,
    keys: &Keyring,
    revoked: &HashSet<TicketId>,
    at: UnixMs,
) -> Result<TicketClaims, Refusal> {
    let claims = code::verify(code, |id| keys.get(id))?;
    if !claims.valid_at(unix_secs(at)) {
        return Err(Refusal::OutsideValidity);
    }
    let id = i64::try_from(claims.ticket_id).map_err(|_| CodeError::Malformed)?;
    if revoked.contains(&TicketId::new(id)) {
        return Err(Refusal::Revoked);
    }
    Ok(claims)
}

/// Unix seconds for a validity bound, clamped to the format's range.
pub fn unix_secs(ms: UnixMs) -> u32 {
    u32::try_from(ms.div_euclid(1000).max(0)).unwrap_or(u32::MAX)
}

/// A ticket code as a QR code.
#[derive(Debug, Clone)]
pub struct Qr {
    pub svg: String,
    /// QR version (1–40): the symbol is `17 + 4 × version` modules wide.
    pub version: i16,
    pub modules: usize,
}

/// Renders `code` as an SVG QR code at error correction level M (survives about 15 % damage:
/// a scuffed phone screen or a creased print).
pub fn qr(code: &str) -> Result<Qr, String> {
    let symbol = qrcode::QrCode::with_error_correction_level(code, qrcode::EcLevel::M)
        .map_err(|e| format!("cannot make a QR code: {e}"))?;
    let version = match symbol.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    };
    let modules = symbol.width();
    let svg = symbol
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(Qr {
        svg,
        version,
        modules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_verification_checks_key_window_and_revocation() {
        let key = keys::generate();
        let published = [PublishedKey {
            id: 9,
            public_key: keys::encode_public(&key.verifying_key()),
        }];
        let ring = Keyring::new(&published);
        let claims = TicketClaims {
            key_id: 9,
            ticket_id: 5,
            show_id: 2,
            seat_id: 77,
            valid_from: 1_000,
            valid_until: 2_000,
        };
        let code = code::sign(&claims, &key);
        let none = HashSet::new();
        assert_eq!(verify_offline(&code, &ring, &none, 1_500_000), Ok(claims));
        assert_eq!(
            verify_offline(&code, &ring, &none, 2_001_000),
            Err(Refusal::OutsideValidity)
        );
        assert_eq!(
            verify_offline(&code, &ring, &none, 999_999),
            Err(Refusal::OutsideValidity)
        );
        let revoked = HashSet::from([TicketId::new(5)]);
        assert_eq!(
            verify_offline(&code, &ring, &revoked, 1_500_000),
            Err(Refusal::Revoked)
        );
        assert_eq!(
            verify_offline(&code, &Keyring::default(), &none, 1_500_000),
            Err(Refusal::Code(CodeError::UnknownKey))
        );
    }

    #[test]
    fn a_code_fits_a_small_qr_code() {
        let key = keys::generate();
        let claims = TicketClaims {
            key_id: 1,
            ticket_id: 1_999_999,
            show_id: 1_999_999,
            seat_id: 1_999_999,
            valid_from: u32::MAX,
            valid_until: u32::MAX,
        };
        let qr = qr(&code::sign(&claims, &key)).unwrap();
        assert!(qr.version <= 6, "version {}", qr.version);
        assert_eq!(qr.modules, 17 + 4 * qr.version as usize);
        assert!(qr.svg.starts_with("<?xml") && qr.svg.contains("<svg"));
    }
}
