//! The booking service: the two-step purchase orchestrated across the store and the payment
//! provider, and the background jobs that keep it honest (hold expiry, payment reconciliation,
//! owed refunds).
//!
//! The store guarantees the inventory invariant; this layer decides *when* to call the
//! provider. Provider calls never happen inside a database transaction: a booking is written
//! `pending_payment` first, the provider is charged, then the result is applied. Every step can
//! be repeated safely (idempotency keys at the provider, status guards in the store), so a
//! crash between steps is mended by the reconciliation job or by the provider's webhook.

use crate::clock::Clock;
use crate::domain::booking::*;
use crate::domain::*;
use crate::payments::{ChargeRequest, PaymentError, PaymentStatus, Payments, WebhookKind};
use crate::store::{
    BookingStart, DynStore, StoreError, WebhookApplied, WebhookEffect, WebhookNotice,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a page showing a pending booking waits for the provider's word on it.
const PAGE_CHECK_WAIT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unknown payment provider {0:?}")]
    UnknownProvider(String),
    #[error("payment provider: {0}")]
    Payment(#[from] PaymentError),
    #[error("webhook rejected: {0}")]
    Webhook(#[from] crate::payments::WebhookError),
}

#[derive(Clone)]
pub struct BookingService {
    store: DynStore,
    payments: Arc<Payments>,
    clock: Clock,
}

fn outcome(status: &PaymentStatus) -> (PaymentOutcome, Option<String>) {
    match status {
        PaymentStatus::Succeeded => (PaymentOutcome::Succeeded, None),
        PaymentStatus::Pending | PaymentStatus::ActionRequired { .. } => {
            (PaymentOutcome::Pending, None)
        }
        PaymentStatus::Failed { reason } => (PaymentOutcome::Failed, Some(reason.clone())),
    }
}

impl BookingService {
    pub fn new(store: DynStore, payments: Arc<Payments>, clock: Clock) -> Self {
        Self {
            store,
            payments,
            clock,
        }
    }

    pub fn payments(&self) -> &Payments {
        &self.payments
    }

    pub async fn hold(&self, user: UserId, hold: NewHold) -> Result<Hold, BookingError> {
        let result = self.store.hold_seats(user, hold, self.clock.now_ms()).await;
        match &result {
            Ok(_) => metrics::counter!("holds_created_total").increment(1),
            Err(e) => {
                let reason = match e {
                    StoreError::SeatsTaken { .. } => "unavailable",
                    StoreError::Invalid(_) => "invalid",
                    StoreError::NotFound(_) => "not_found",
                    StoreError::Conflict(_) => "not_on_sale",
                    _ => "error",
                };
                metrics::counter!("holds_rejected_total", "reason" => reason).increment(1);
            }
        }
        Ok(result?)
    }

    /// Books a live hold and charges for it. Returns the booking in whatever state the payment
    /// left it: `confirmed`, `pending_payment` (settles later by webhook) or `payment_failed`.
    pub async fn book(&self, user: UserId, input: BookingInput) -> Result<Booking, BookingError> {
        let provider = self
            .payments
            .get(&input.payment.provider)
            .ok_or_else(|| BookingError::UnknownProvider(input.payment.provider.clone()))?;
        let now = self.clock.now_ms();
        let booking = match self
            .store
            .start_booking(input.hold_id, user, provider.name(), now)
            .await?
        {
            BookingStart::Charge(booking) => booking,
            BookingStart::Existing(booking) => return Ok(booking),
        };
        let attempt_key = format!("booking-{}-{}", booking.id, booking.updated_at);
        let started = Instant::now();
        let total = booking.total();
        let charged = provider
            .charge(ChargeRequest {
                booking_id: booking.id.get(),
                amount: total.amount,
                currency: total.currency.as_str().to_lowercase(),
                card_number: input.payment.card_number.clone(),
                payment_method: input.payment.payment_method.clone(),
                idempotency_key: attempt_key,
            })
            .await;
        metrics::histogram!("payment_latency_seconds", "provider" => provider.name())
            .record(started.elapsed().as_secs_f64());
        let (payment_ref, outcome, reason) = match charged {
            Ok(charge) => {
                let (outcome, reason) = outcome(&charge.status);
                (charge.payment_ref, outcome, reason)
            }
            // The provider refused the request or is down: nothing was charged that we know of;
            // the buyer may retry while the hold lives.
            Err(e) => (String::new(), PaymentOutcome::Failed, Some(e.to_string())),
        };
        let booking = self
            .store
            .settle_payment(
                booking.id,
                &payment_ref,
                outcome,
                reason.as_deref(),
                self.clock.now_ms(),
            )
            .await?;
        metrics::counter!("bookings_total", "status" => booking.status.as_str()).increment(1);
        self.pay_refund_if_owed(booking).await
    }

    pub async fn cancel(
        &self,
        id: BookingId,
        user: Option<UserId>,
    ) -> Result<Booking, BookingError> {
        let booking = self
            .store
            .cancel_booking(id, user, self.clock.now_ms())
            .await?;
        metrics::counter!("bookings_total", "status" => "cancelled").increment(1);
        self.pay_refund_if_owed(booking).await
    }

    /// Pays a refund the store says is owed; a provider failure leaves it owed for the refund
    /// job, so the buyer still sees the booking (with `refund.status = "pending"`).
    async fn pay_refund_if_owed(&self, booking: Booking) -> Result<Booking, BookingError> {
        let owed = booking
            .refund
            .as_ref()
            .is_some_and(|r| r.status == "pending");
        let Some(payment_ref) = booking.payment_ref.clone().filter(|_| owed) else {
            return Ok(booking);
        };
        match self
            .refund(booking.id, &booking.provider, &payment_ref, booking.total)
            .await
        {
            Ok(refunded) => Ok(refunded),
            Err(e) => {
                tracing::warn!(booking = %booking.id, error = %e, "refund failed; the refund job will retry");
                Ok(booking)
            }
        }
    }

    async fn refund(
        &self,
        id: BookingId,
        provider: &str,
        payment_ref: &str,
        amount: i64,
    ) -> Result<Booking, BookingError> {
        let provider = self
            .payments
            .get(provider)
            .ok_or_else(|| BookingError::UnknownProvider(provider.into()))?;
        // One key per booking: however often this runs, the provider refunds once.
        let refund = provider
            .refund(payment_ref, amount, &format!("refund-booking-{id}"))
            .await?;
        metrics::counter!("refunds_total").increment(1);
        Ok(self
            .store
            .refund_done(id, &refund.refund_ref, self.clock.now_ms())
            .await?)
    }

    /// Verifies and applies a provider webhook. `Ok(false)` for a replay of an event already
    /// applied.
    pub async fn webhook(
        &self,
        provider: &str,
        headers: &dyn crate::payments::WebhookHeaders,
        body: &[u8],
    ) -> Result<bool, BookingError> {
        let provider = self
            .payments
            .get(provider)
            .ok_or_else(|| BookingError::UnknownProvider(provider.into()))?;
        let now = self.clock.now_ms();
        // Signature freshness is about real transport time, so it uses the wall clock.
        let event = match provider.verify_webhook(headers, body, crate::payments::now_unix()) {
            Ok(event) => event,
            Err(e) => {
                metrics::counter!("webhooks_total", "outcome" => "rejected").increment(1);
                return Err(e.into());
            }
        };
        let (effect, reason) = match &event.kind {
            WebhookKind::PaymentSucceeded => {
                (WebhookEffect::Payment(PaymentOutcome::Succeeded), None)
            }
            WebhookKind::PaymentFailed { reason } => (
                WebhookEffect::Payment(PaymentOutcome::Failed),
                Some(reason.as_str()),
            ),
            WebhookKind::Refunded => (WebhookEffect::Refunded, None),
            WebhookKind::Other(_) => (WebhookEffect::Ignored, None),
        };
        let notice = WebhookNotice {
            provider: provider.name().to_owned(),
            event_id: event.event_id.clone(),
            booking: event.booking_id.map(BookingId::new),
            payment_ref: event.payment_ref.clone(),
            effect,
            reason: reason.map(str::to_owned),
        };
        let applied = self.store.apply_webhook(notice, now).await?;
        let outcome = match &applied {
            WebhookApplied::Duplicate => "duplicate",
            WebhookApplied::UnknownPayment => "unknown_booking",
            WebhookApplied::Applied(_) => "applied",
        };
        metrics::counter!("webhooks_total", "outcome" => outcome).increment(1);
        if let WebhookApplied::Applied(booking) = applied {
            if effect == WebhookEffect::Payment(PaymentOutcome::Succeeded) {
                metrics::counter!("bookings_total", "status" => booking.status.as_str())
                    .increment(1);
            }
            self.pay_refund_if_owed(*booking).await?;
            return Ok(true);
        }
        Ok(applied != WebhookApplied::Duplicate)
    }

    /// One pass of the housekeeping jobs: expire holds, ask providers about payments stuck
    /// pending, pay owed refunds.
    pub async fn housekeeping(&self, reconcile_after: Duration) -> Result<(), BookingError> {
        let now = self.clock.now_ms();
        let expired = self.store.expire_holds(now, 10_000).await?;
        if expired > 0 {
            metrics::counter!("holds_expired_total").increment(expired);
        }
        let stuck = self
            .store
            .pending_payments(now - reconcile_after.as_millis() as i64, 100)
            .await?;
        for pending in stuck {
            let Some(provider) = self.payments.get(&pending.provider) else {
                continue;
            };
            match provider.status(&pending.payment_ref).await {
                Ok(status) if status.is_final() => {
                    self.settle_final(pending.booking_id, &pending.payment_ref, &status)
                        .await?;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(booking = %pending.booking_id, error = %e, "payment status unavailable")
                }
            }
        }
        for owed in self.store.owed_refunds(100).await? {
            if let Err(e) = self
                .refund(
                    owed.booking_id,
                    &owed.provider,
                    &owed.payment_ref,
                    owed.amount,
                )
                .await
            {
                tracing::warn!(booking = %owed.booking_id, error = %e, "refund still failing");
            }
        }
        Ok(())
    }

    /// Records a final status the provider reported for a pending payment, as a webhook would.
    async fn settle_final(
        &self,
        booking: BookingId,
        payment_ref: &str,
        status: &PaymentStatus,
    ) -> Result<Booking, BookingError> {
        let (outcome, reason) = outcome(status);
        let settled = self
            .store
            .settle_payment(
                booking,
                payment_ref,
                outcome,
                reason.as_deref(),
                self.clock.now_ms(),
            )
            .await?;
        tracing::info!(booking = %settled.id, status = settled.status.as_str(), "reconciled a pending payment");
        self.pay_refund_if_owed(settled).await
    }

    /// Asks the provider about a booking still waiting for its payment, for the buyer who is
    /// looking at it: a final answer settles the booking at once (as reconciliation would, a
    /// little later), and a payment waiting for the buyer's bank gives back the step their
    /// browser must take (the provider's client secret). A provider that can't be reached
    /// leaves the booking as it is.
    pub async fn check_pending(
        &self,
        booking: Booking,
    ) -> Result<(Booking, Option<String>), BookingError> {
        let (Some(payment_ref), Some(provider)) = (
            booking.payment_ref.clone().filter(|r| !r.is_empty()),
            self.payments.get(&booking.provider),
        ) else {
            return Ok((booking, None));
        };
        if booking.status != BookingStatus::PendingPayment {
            return Ok((booking, None));
        }
        // The page waits for this answer: a slow provider leaves the booking as it is.
        let asked = tokio::time::timeout(PAGE_CHECK_WAIT, provider.status(&payment_ref)).await;
        let status = asked.unwrap_or_else(|_| {
            Err(crate::payments::PaymentError::Unavailable(
                "no answer in time".into(),
            ))
        });
        match status {
            Ok(PaymentStatus::ActionRequired { client_secret }) => {
                Ok((booking, Some(client_secret)))
            }
            Ok(status) if status.is_final() => Ok((
                self.settle_final(booking.id, &payment_ref, &status).await?,
                None,
            )),
            Ok(_) => Ok((booking, None)),
            Err(e) => {
                tracing::warn!(booking = %booking.id, error = %e, "payment status unavailable");
                Ok((booking, None))
            }
        }
    }

    /// Runs [`BookingService::housekeeping`] every `every` until `stop` fires.
    pub async fn run_jobs(
        self,
        every: Duration,
        reconcile_after: Duration,
        mut stop: crate::shutdown::Stop,
    ) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = self.housekeeping(reconcile_after).await {
                        tracing::warn!(error = %e, "booking housekeeping failed");
                    }
                }
                () = crate::shutdown::stopped(&mut stop) => return,
            }
        }
    }
}
