//! Payments: one provider-neutral interface for taking card payments,
//! refunding them, asking for their state and checking the webhooks that
//! announce their settlement.
//!
//! Two providers implement [`PaymentProvider`]:
//!
//! * [`TestProvider`] (`"test"`) behaves like Stripe's test mode without any
//!   network dependency, so a developer or CI can run the whole booking flow
//!   with the public Stripe test card numbers;
//! * [`StripeProvider`] (`"stripe"`) speaks Stripe's real HTTP API
//!   (PaymentIntents and Refunds) with a configurable base URL.
//!
//! [`Payments`] is a small registry keyed by [`PaymentProvider::name`], which
//! is also the `{provider}` segment of the webhook route
//! (`/api/v1/payments/webhooks/{provider}`).
//!
//! Money is always an integer amount in minor units plus an ISO 4217
//! currency code; providers lowercase the code themselves.
//!
//! What this module deliberately does not do:
//!
//! * it stores nothing: no database access, no record of bookings or
//!   payments (the booking flow owns that state and the idempotency keys);
//! * it does not route HTTP: it gives the webhook handler a verifier
//!   ([`PaymentProvider::verify_webhook`]) and errors that all map to 400;
//! * it does not retry provider calls on its own: a caller that gets
//!   [`PaymentError::Unavailable`] retries with the *same* idempotency key;
//! * it never handles real card numbers: `card_number` exists only for the
//!   public test cards, real payments go through a `payment_method` id
//!   created client-side.

pub mod event;
pub mod form;
pub mod headers;
pub mod signature;
pub mod stripe;
pub mod test_provider;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;

pub use headers::{HeaderList, WebhookHeaders};
pub use stripe::{StripeConfig, StripeProvider};
pub use test_provider::TestProvider;

/// The public Stripe test card numbers both providers understand.
pub mod test_cards {
    /// Succeeds immediately.
    pub const SUCCESS: &str = "4242424242424242";
    /// Declined with `card_declined`.
    pub const DECLINED: &str = "4000000000000002";
    /// Stays pending for a while, then succeeds (in the test provider).
    pub const DELAYED: &str = "4000000000000077";
}

/// Everything a provider needs to take one payment for one booking.
///
/// Money is integer minor units plus an ISO 4217 currency (lowercased for
/// Stripe by the provider). Give either `card_number` (test cards only) or
/// `payment_method` (a provider-side id: Stripe's `pm_…` PaymentMethod or
/// the `ctoken_…` ConfirmationToken Stripe.js makes in the browser).
#[derive(Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    pub booking_id: i64,
    pub amount: i64,
    pub currency: String,
    pub card_number: Option<String>,
    pub payment_method: Option<String>,
    /// Reuse the same key when retrying the same payment: the provider then
    /// answers with the first result instead of charging twice.
    pub idempotency_key: String,
}

impl fmt::Debug for ChargeRequest {
    // A card number must never reach a log line in full.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let card = self.card_number.as_deref().map(mask_card_number);
        f.debug_struct("ChargeRequest")
            .field("booking_id", &self.booking_id)
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .field("card_number", &card)
            .field("payment_method", &self.payment_method)
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

/// Only the last four digits of a card number, for logs.
pub fn mask_card_number(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("****{tail}")
}

impl ChargeRequest {
    /// Checks what every provider requires before talking to anyone.
    pub fn validate(&self) -> Result<(), PaymentError> {
        if self.amount <= 0 {
            return Err(PaymentError::InvalidRequest(format!(
                "amount must be positive minor units, got {}",
                self.amount
            )));
        }
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(PaymentError::InvalidRequest(format!(
                "currency must be a three-letter ISO 4217 code, got {:?}",
                self.currency
            )));
        }
        if self.idempotency_key.trim().is_empty() {
            return Err(PaymentError::InvalidRequest(
                "idempotency_key must not be empty".into(),
            ));
        }
        if self.card_number.is_none() && self.payment_method.is_none() {
            return Err(PaymentError::InvalidRequest(
                "either card_number or payment_method is required".into(),
            ));
        }
        Ok(())
    }
}

/// Where a payment stands.
#[derive(Clone, PartialEq, Eq)]
pub enum PaymentStatus {
    Succeeded,
    /// Not settled yet; a webhook (or a later [`PaymentProvider::status`])
    /// tells the outcome.
    Pending,
    /// Not settled, and waiting for the buyer: their bank asks them to
    /// confirm (3-D Secure). The provider's script in the buyer's browser
    /// does that step with `client_secret`; then the payment settles as any
    /// pending one.
    ActionRequired {
        client_secret: String,
    },
    /// Final failure, e.g. a decline; `reason` is the provider's code
    /// (`card_declined`, `generic_decline`, `invalid_number`, …).
    Failed {
        reason: String,
    },
}

impl fmt::Debug for PaymentStatus {
    // A client secret must not reach a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaymentStatus::Succeeded => f.write_str("Succeeded"),
            PaymentStatus::Pending => f.write_str("Pending"),
            PaymentStatus::ActionRequired { .. } => f.write_str("ActionRequired"),
            PaymentStatus::Failed { reason } => {
                f.debug_struct("Failed").field("reason", reason).finish()
            }
        }
    }
}

impl PaymentStatus {
    /// Succeeded and Failed are final; Pending and ActionRequired are not.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            PaymentStatus::Succeeded | PaymentStatus::Failed { .. }
        )
    }
}

/// The answer to a charge: the provider's reference and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// `pi_…` for Stripe, `tp_…` for the test provider.
    pub payment_ref: String,
    pub status: PaymentStatus,
}

/// An accepted refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub refund_ref: String,
}

/// A verified, provider-neutral webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The provider's event id (`evt_…`); the same event may be delivered
    /// more than once, so handlers deduplicate on it.
    pub event_id: String,
    /// The payment the event is about (a PaymentIntent id for Stripe, also
    /// for `charge.*` events, which point at their PaymentIntent).
    pub payment_ref: String,
    pub kind: WebhookKind,
    /// From `metadata.booking_id`, when present and numeric.
    pub booking_id: Option<i64>,
}

/// What happened, as far as the booking flow cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookKind {
    PaymentSucceeded,
    PaymentFailed {
        reason: String,
    },
    Refunded,
    /// Any other event type, e.g. `payment_intent.created`; safe to ignore.
    Other(String),
}

/// Failures of provider calls.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The card was declined and the provider kept no payment for it (when
    /// it did, `charge` answers `Ok` with [`PaymentStatus::Failed`] instead).
    #[error("payment declined: {0}")]
    Declined(String),
    /// The request was rejected as invalid (bad amount, unknown card, reused
    /// idempotency key with other parameters, nothing to refund, …).
    #[error("invalid payment request: {0}")]
    InvalidRequest(String),
    /// The provider does not know this payment or refund.
    #[error("payment not found: {0}")]
    NotFound(String),
    /// The provider refused our credentials: a configuration problem.
    #[error("payment provider rejected our credentials: {0}")]
    Unauthorized(String),
    /// Any other error answer from the provider.
    #[error("payment provider error: {0}")]
    Provider(String),
    /// Timeout, connection failure, rate limit or 5xx: the outcome is
    /// unknown, retry later with the same idempotency key.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

/// Why a webhook was refused; every variant means HTTP 400 upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("missing Stripe-Signature header")]
    MissingSignature,
    #[error("webhook signature does not match")]
    BadSignature,
    #[error("webhook timestamp outside the tolerance")]
    StaleTimestamp,
    #[error("malformed webhook: {0}")]
    Malformed(String),
}

/// A payment provider. Object-safe, so the registry holds
/// `Arc<dyn PaymentProvider>`.
pub trait PaymentProvider: Send + Sync + 'static {
    /// `"test"` or `"stripe"`: the `{provider}` segment of the webhook path.
    fn name(&self) -> &'static str;

    /// Takes a payment. A decline is `Ok` with [`PaymentStatus::Failed`].
    fn charge(&self, req: ChargeRequest) -> BoxFuture<'_, Result<Charge, PaymentError>>;

    /// Refunds `amount` minor units of a succeeded payment.
    fn refund<'a>(
        &'a self,
        payment_ref: &'a str,
        amount: i64,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Refund, PaymentError>>;

    /// Asks the provider where a payment stands, for reconciling payments
    /// stuck pending (e.g. when a webhook was lost).
    fn status<'a>(
        &'a self,
        payment_ref: &'a str,
    ) -> BoxFuture<'a, Result<PaymentStatus, PaymentError>>;

    /// Checks the signature of a webhook request and parses its body.
    fn verify_webhook(
        &self,
        headers: &dyn WebhookHeaders,
        body: &[u8],
        now_unix: i64,
    ) -> Result<WebhookEvent, WebhookError>;
}

/// The configured providers, by name.
#[derive(Clone, Default)]
pub struct Payments {
    providers: HashMap<&'static str, Arc<dyn PaymentProvider>>,
}

impl Payments {
    /// Registers the providers. Should two share a name, the first wins
    /// and the other is logged and dropped.
    pub fn new(providers: Vec<Arc<dyn PaymentProvider>>) -> Self {
        let mut map: HashMap<&'static str, Arc<dyn PaymentProvider>> = HashMap::new();
        for provider in providers {
            let name = provider.name();
            if map.contains_key(name) {
                tracing::warn!(provider = name, "duplicate payment provider ignored");
                continue;
            }
            map.insert(name, provider);
        }
        Payments { providers: map }
    }

    /// The provider called `name`, if configured.
    pub fn get(&self, name: &str) -> Option<Arc<dyn PaymentProvider>> {
        self.providers.get(name).cloned()
    }

    /// Names of the configured providers, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.providers.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

impl fmt::Debug for Payments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payments")
            .field("providers", &self.names())
            .finish()
    }
}

/// Seconds since the Unix epoch, for [`PaymentProvider::verify_webhook`].
pub fn now_unix() -> i64 {
    now_unix_ms() / 1000
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_unix_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ChargeRequest {
        ChargeRequest {
            booking_id: 7,
            amount: 1500,
            currency: "eur".into(),
            card_number: Some(test_cards::SUCCESS.into()),
            payment_method: None,
            idempotency_key: "booking-7-attempt-1".into(),
        }
    }

    #[test]
    fn debug_masks_the_card_number() {
        let shown = format!("{:?}", request());
        assert!(!shown.contains(test_cards::SUCCESS), "{shown}");
        assert!(shown.contains("****4242"), "{shown}");
    }

    #[test]
    fn validate_rejects_bad_requests() {
        assert!(request().validate().is_ok());
        let bad = [
            ChargeRequest {
                amount: 0,
                ..request()
            },
            ChargeRequest {
                currency: "euro".into(),
                ..request()
            },
            ChargeRequest {
                currency: "e1r".into(),
                ..request()
            },
            ChargeRequest {
                idempotency_key: " ".into(),
                ..request()
            },
            ChargeRequest {
                card_number: None,
                ..request()
            },
        ];
        for req in bad {
            assert!(
                matches!(req.validate(), Err(PaymentError::InvalidRequest(_))),
                "{req:?}"
            );
        }
    }

    #[test]
    fn registry_finds_providers_by_name() {
        let test: Arc<dyn PaymentProvider> = Arc::new(TestProvider::new(
            b"secret".to_vec(),
            None,
            std::time::Duration::from_millis(10),
        ));
        let again: Arc<dyn PaymentProvider> = Arc::new(TestProvider::new(
            b"other".to_vec(),
            None,
            std::time::Duration::from_millis(10),
        ));
        let payments = Payments::new(vec![test.clone(), again]);
        assert_eq!(payments.names(), vec!["test"]);
        let found = payments.get("test");
        assert!(found.is_some_and(|p| Arc::ptr_eq(&p, &test)));
        assert!(payments.get("stripe").is_none());
    }

    #[test]
    fn final_statuses() {
        assert!(PaymentStatus::Succeeded.is_final());
        assert!(PaymentStatus::Failed { reason: "x".into() }.is_final());
        assert!(!PaymentStatus::Pending.is_final());
    }
}
