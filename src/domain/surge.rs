//! The shapes of an on-sale surge: waiting-room entries and the seat waitlist.
//!
//! The waiting room decides who may shop; the waitlist hands seats that free up to buyers who
//! asked for them. Both are read by their owners through opaque handles (a signed queue token,
//! a waitlist id).

use super::validation::{Checker, Invalid};
use super::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long a waitlist entry waits before it lapses.
pub const WAITLIST_TTL_MS: i64 = 3_600_000;

/// `POST /shows/{id}/waitlist`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WaitlistInput {
    #[schema(minimum = 1, maximum = 50)]
    pub quantity: i64,
    /// Only seats of this section; any section when absent.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub section: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWaitlistEntry {
    pub show_id: ShowId,
    pub quantity: i64,
    pub section: Option<String>,
}

impl NewWaitlistEntry {
    pub fn parse(show_id: ShowId, input: WaitlistInput) -> Result<Self, Invalid> {
        let mut check = Checker::new();
        let quantity = check.range(
            "quantity",
            input.quantity,
            1,
            booking::MAX_SEATS_PER_REQUEST as i64,
        );
        let section = input
            .section
            .as_deref()
            .map(|s| check.text("section", s, 100));
        check.finish(NewWaitlistEntry {
            show_id,
            quantity,
            section,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitlistState {
    /// In line for seats.
    Waiting,
    /// Seats were freed and are held for this buyer: `hold_id` names the hold.
    Offered,
    /// An hour passed, or the show started or was cancelled.
    Expired,
    /// Nothing is free and nothing is held any more: no seat can come back.
    SoldOut,
    /// The buyer left the list.
    Left,
}

impl WaitlistState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Offered => "offered",
            Self::Expired => "expired",
            Self::SoldOut => "sold_out",
            Self::Left => "left",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "waiting" => Self::Waiting,
            "offered" => Self::Offered,
            "expired" => Self::Expired,
            "sold_out" => Self::SoldOut,
            "left" => Self::Left,
            _ => return None,
        })
    }
}

/// A waitlist entry as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WaitlistEntry {
    pub id: WaitlistId,
    pub show_id: ShowId,
    /// 1 for the next in line; 0 once the entry no longer waits.
    pub position: i64,
    pub quantity: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub state: WaitlistState,
    /// The hold made for this buyer when seats were offered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_id: Option<HoldId>,
    pub expires_at: String,
}

/// What the waiting room needs to know of a show to pace it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomShow {
    pub show_id: ShowId,
    /// The organiser switched the waiting room on.
    pub waiting_room: bool,
    pub on_sale_at: UnixMs,
    pub starts_at: UnixMs,
    pub scheduled: bool,
    /// The organiser's cap on buyers shopping at once.
    pub max_active: Option<i64>,
    /// How long an admission lasts.
    pub window_ms: i64,
}

/// A show's inventory as the waiting room paces it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoomInventory {
    /// Seats nobody holds or owns (lapsed holds included).
    pub free: i64,
    /// Seats under live holds.
    pub held: i64,
    /// Live holds.
    pub holds: i64,
}

impl RoomInventory {
    /// No seat is free and none can become free.
    pub fn sold_out(&self) -> bool {
        self.free == 0 && self.held == 0
    }
}

/// `PATCH /shows/{id}`: the organiser's waiting-room settings.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ShowPatch {
    #[serde(default)]
    pub waiting_room: Option<bool>,
    /// The most buyers shopping at once behind the waiting room; `0` clears the cap.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub room_max_active: Option<i64>,
    /// How long an admission lasts, 60–3600 seconds.
    #[serde(default)]
    #[schema(minimum = 60, maximum = 3600)]
    pub shopping_window_seconds: Option<i64>,
    /// When the show goes on sale (RFC 3339; before it starts). Buyers who queue before then
    /// get a random place at opening.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub on_sale_at: Option<String>,
}

/// A [`ShowPatch`] that passed validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShowChange {
    pub waiting_room: Option<bool>,
    pub room_max_active: Option<i64>,
    pub shopping_window_seconds: Option<i64>,
    pub on_sale_at: Option<UnixMs>,
}

impl ShowPatch {
    pub fn validate(self) -> Result<ShowChange, Invalid> {
        let mut check = Checker::new();
        let on_sale_at = self.on_sale_at.as_deref().map(|raw| {
            parse_rfc3339(raw).unwrap_or_else(|| {
                check.fail("on_sale_at", "must be an RFC 3339 time");
                0
            })
        });
        if let Some(max) = self.room_max_active {
            check.range("room_max_active", max, 0, 1_000_000);
        }
        if let Some(window) = self.shopping_window_seconds {
            check.range("shopping_window_seconds", window, 60, 3600);
        }
        check.finish(ShowChange {
            waiting_room: self.waiting_room,
            room_max_active: self.room_max_active,
            shopping_window_seconds: self.shopping_window_seconds,
            on_sale_at,
        })
    }
}
