//! Holds and bookings: the two-step purchase.
//!
//! A hold claims seats for a few minutes; a booking turns a live hold into a purchase that is
//! `confirmed` only once its payment succeeded. The booking's life is the state machine
//! `pending_payment → confirmed → cancelled`, with exits `payment_failed` (the buyer may retry
//! while the hold lives) and `refunded` (a payment that arrived after its seats were resold).

use super::validation::{Checker, Invalid};
use super::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Seconds the server keeps a hold past the `expires_at` it tells the client, so a client's
/// countdown always ends before the server lets the seats go.
pub const HOLD_GRACE_MS: i64 = 5_000;

/// `POST /holds`: explicit seats, or a section and a quantity (best available).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct HoldInput {
    pub show_id: ShowId,
    /// These seats (each once), all or none; send either `seat_ids`, or `section` and
    /// `quantity`.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 50)]
    pub seat_ids: Option<Vec<SeatId>>,
    /// Best available in this section (with `quantity`).
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub section: Option<String>,
    /// How many seats, best available (with `section`).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 50)]
    pub quantity: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeatSelection {
    /// These seats, all or none.
    Seats(Vec<SeatId>),
    /// The best `quantity` places of a section: adjacent seats in the best row first; any
    /// places in a standing section.
    BestAvailable { section: String, quantity: i64 },
}

impl SeatSelection {
    pub fn count(&self) -> i64 {
        match self {
            SeatSelection::Seats(ids) => ids.len() as i64,
            SeatSelection::BestAvailable { quantity, .. } => *quantity,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHold {
    pub show_id: ShowId,
    pub selection: SeatSelection,
}

/// An upper bound checked before the show's own `max_per_order`, so no request can ask the
/// database for thousands of rows.
pub const MAX_SEATS_PER_REQUEST: usize = 50;

impl TryFrom<HoldInput> for NewHold {
    type Error = Invalid;
    fn try_from(input: HoldInput) -> Result<Self, Invalid> {
        let mut check = Checker::new();
        let selection = match (input.seat_ids, input.section, input.quantity) {
            (Some(ids), None, None) => {
                if ids.is_empty() {
                    check.fail("seat_ids", "choose at least one seat");
                }
                if ids.len() > MAX_SEATS_PER_REQUEST {
                    check.fail("seat_ids", format!("at most {MAX_SEATS_PER_REQUEST} seats"));
                }
                let mut seen = std::collections::HashSet::new();
                if !ids.iter().all(|id| seen.insert(*id)) {
                    check.fail("seat_ids", "each seat may appear once");
                }
                SeatSelection::Seats(ids)
            }
            (None, Some(section), Some(quantity)) => {
                let section = check.text("section", &section, 100);
                let quantity = check.range("quantity", quantity, 1, MAX_SEATS_PER_REQUEST as i64);
                SeatSelection::BestAvailable { section, quantity }
            }
            (None, Some(_), None) => {
                check.fail("quantity", "best-available holds need a quantity");
                SeatSelection::Seats(Vec::new())
            }
            (None, None, Some(_)) => {
                check.fail("section", "best-available holds need a section");
                SeatSelection::Seats(Vec::new())
            }
            _ => {
                check.fail("seat_ids", "send either seat_ids, or section and quantity");
                SeatSelection::Seats(Vec::new())
            }
        };
        check.finish(NewHold {
            show_id: input.show_id,
            selection,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    Active,
    Released,
    Expired,
    Booked,
}

impl HoldStatus {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "active" => Self::Active,
            "released" => Self::Released,
            "expired" => Self::Expired,
            "booked" => Self::Booked,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HeldSeat {
    pub id: SeatId,
    pub section: String,
    pub row: Option<String>,
    pub number: i64,
    pub price: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Hold {
    pub id: HoldId,
    pub show_id: ShowId,
    pub status: HoldStatus,
    pub seats: Vec<HeldSeat>,
    pub expires_at: String,
    pub total: i64,
    pub currency: Currency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    PendingPayment,
    Confirmed,
    PaymentFailed,
    Cancelled,
    Refunded,
}

impl BookingStatus {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "pending_payment" => Self::PendingPayment,
            "confirmed" => Self::Confirmed,
            "payment_failed" => Self::PaymentFailed,
            "cancelled" => Self::Cancelled,
            "refunded" => Self::Refunded,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Confirmed => "confirmed",
            Self::PaymentFailed => "payment_failed",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    /// What a settled payment does to a booking in this state.
    pub fn on_payment(self, outcome: PaymentOutcome) -> Transition {
        use BookingStatus::*;
        match (self, outcome) {
            (PendingPayment | PaymentFailed, PaymentOutcome::Succeeded) => Transition::SellSeats,
            (PendingPayment, PaymentOutcome::Failed) => Transition::To(PaymentFailed),
            (PendingPayment, PaymentOutcome::Pending) => Transition::Stay,
            // A success webhook after the booking settled, a failure after success, a replay:
            // nothing changes.
            _ => Transition::Stay,
        }
    }

    /// Only a confirmed booking can be cancelled by its buyer.
    pub fn can_cancel(self) -> bool {
        self == BookingStatus::Confirmed
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentOutcome {
    Succeeded,
    Failed,
    Pending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Stay,
    To(BookingStatus),
    /// Mark the hold's seats sold if they are still ours or free; otherwise refund.
    SellSeats,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RefundView {
    pub status: String,
    pub amount: i64,
    pub refund_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Booking {
    pub id: BookingId,
    pub status: BookingStatus,
    pub hold_id: HoldId,
    pub show_id: ShowId,
    pub seats: Vec<HeldSeat>,
    pub total: i64,
    pub currency: Currency,
    pub provider: String,
    pub payment_ref: Option<String>,
    pub failure_reason: Option<String>,
    pub refund: Option<RefundView>,
    pub created_at: String,
    pub updated_at: String,
}

impl Booking {
    /// What the booking costs (and what a refund pays back).
    pub fn total(&self) -> Money {
        Money::new(self.total, self.currency.clone())
    }

    /// The price of one of its seats.
    pub fn price(&self, seat: &HeldSeat) -> Money {
        Money::new(seat.price, self.currency.clone())
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PaymentInput {
    /// One of the providers this server has (the document served lists them).
    pub provider: String,
    /// The test provider's test cards (and Stripe's public test cards).
    #[serde(default)]
    pub card_number: Option<String>,
    /// For Stripe: a ConfirmationToken (`ctoken_…`) that Stripe.js made in the buyer's browser,
    /// or a PaymentMethod id (`pm_…`).
    #[serde(default)]
    pub payment_method: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BookingInput {
    pub hold_id: HoldId,
    pub payment: PaymentInput,
}

/// Best available: among free seats `(seat id, row rank, number)` sorted by row then number,
/// the most central run of `quantity` adjacent seats in the best (lowest-ranked) row that has
/// one; failing that, the best `quantity` seats in row order. Returns fewer ids than asked when
/// fewer seats are free.
pub fn choose_adjacent(free: &[(i64, i64, i64)], quantity: usize) -> Vec<i64> {
    adjacent_run(free, quantity)
        .unwrap_or_else(|| free.iter().take(quantity).map(|s| s.0).collect())
}

/// The most central run of `quantity` adjacent free seats in the best row that has one.
pub fn adjacent_run(free: &[(i64, i64, i64)], quantity: usize) -> Option<Vec<i64>> {
    if quantity == 0 {
        return Some(Vec::new());
    }
    let mut start = 0;
    while start < free.len() {
        let rank = free[start].1;
        let end = free[start..]
            .iter()
            .position(|s| s.1 != rank)
            .map_or(free.len(), |n| start + n);
        let row = &free[start..end];
        let centre = (row[0].2 + row[row.len() - 1].2) as f64 / 2.0;
        let mut best: Option<(f64, usize)> = None;
        for i in 0..row.len().saturating_sub(quantity - 1) {
            let run = &row[i..i + quantity];
            if run.windows(2).all(|w| w[1].2 == w[0].2 + 1) {
                let middle = (run[0].2 + run[quantity - 1].2) as f64 / 2.0;
                let distance = (middle - centre).abs();
                if best.is_none_or(|(d, _)| distance < d) {
                    best = Some((distance, i));
                }
            }
        }
        if let Some((_, i)) = best {
            return Some(row[i..i + quantity].iter().map(|s| s.0).collect());
        }
        start = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_requests_take_one_shape() {
        let seats = HoldInput {
            show_id: ShowId::new(1),
            seat_ids: Some(vec![SeatId::new(1), SeatId::new(2)]),
            section: None,
            quantity: None,
        };
        assert_eq!(NewHold::try_from(seats).unwrap().selection.count(), 2);
        let best = HoldInput {
            show_id: ShowId::new(1),
            seat_ids: None,
            section: Some("Stalls".into()),
            quantity: Some(3),
        };
        assert!(matches!(
            NewHold::try_from(best).unwrap().selection,
            SeatSelection::BestAvailable { quantity: 3, .. }
        ));
        let both = HoldInput {
            show_id: ShowId::new(1),
            seat_ids: Some(vec![SeatId::new(1)]),
            section: Some("S".into()),
            quantity: Some(1),
        };
        assert_eq!(NewHold::try_from(both).unwrap_err().0[0].field, "seat_ids");
        let empty = HoldInput {
            show_id: ShowId::new(1),
            seat_ids: Some(vec![]),
            section: None,
            quantity: None,
        };
        assert_eq!(NewHold::try_from(empty).unwrap_err().0[0].field, "seat_ids");
        let dup = HoldInput {
            show_id: ShowId::new(1),
            seat_ids: Some(vec![SeatId::new(4), SeatId::new(4)]),
            section: None,
            quantity: None,
        };
        assert!(NewHold::try_from(dup).is_err());
        let zero = HoldInput {
            show_id: ShowId::new(1),
            seat_ids: None,
            section: Some("S".into()),
            quantity: Some(0),
        };
        assert_eq!(NewHold::try_from(zero).unwrap_err().0[0].field, "quantity");
    }

    #[test]
    fn best_available_prefers_central_adjacent_seats_in_the_best_row() {
        // Row 0: seats 1, 2, 4, 5, 6 free (3 taken); row 1: 1..=6 free.
        let mut free = vec![
            (101, 0, 1),
            (102, 0, 2),
            (104, 0, 4),
            (105, 0, 5),
            (106, 0, 6),
        ];
        free.extend((1..=6).map(|n| (200 + n, 1, n)));
        assert_eq!(
            choose_adjacent(&free, 2),
            vec![104, 105],
            "central pair in row 0"
        );
        assert_eq!(
            choose_adjacent(&free, 3),
            vec![104, 105, 106],
            "the only triple in row 0"
        );
        assert_eq!(
            choose_adjacent(&free, 4),
            vec![202, 203, 204, 205],
            "row 1, centred"
        );
        assert_eq!(
            choose_adjacent(&free, 7).len(),
            7,
            "no run of 7: best seats in order"
        );
        assert_eq!(choose_adjacent(&free, 20).len(), free.len());
        assert!(choose_adjacent(&[], 2).is_empty());
    }

    #[test]
    fn payments_move_bookings_forward_only() {
        use BookingStatus::*;
        assert_eq!(
            PendingPayment.on_payment(PaymentOutcome::Succeeded),
            Transition::SellSeats
        );
        assert_eq!(
            PaymentFailed.on_payment(PaymentOutcome::Succeeded),
            Transition::SellSeats
        );
        assert_eq!(
            PendingPayment.on_payment(PaymentOutcome::Failed),
            Transition::To(PaymentFailed)
        );
        for settled in [Confirmed, Cancelled, Refunded] {
            for outcome in [
                PaymentOutcome::Succeeded,
                PaymentOutcome::Failed,
                PaymentOutcome::Pending,
            ] {
                assert_eq!(
                    settled.on_payment(outcome),
                    Transition::Stay,
                    "{settled:?} {outcome:?}"
                );
            }
        }
        assert!(Confirmed.can_cancel() && !PendingPayment.can_cancel() && !Cancelled.can_cancel());
    }
}
