//! The `"test"` payment provider: behaves like Stripe's test mode, offline.
//!
//! Cards (spaces and dashes ignored):
//!
//! | card | answer of `charge` | webhook |
//! | --- | --- | --- |
//! | `4242424242424242` | `Succeeded` | `payment_intent.succeeded` at once |
//! | `4000000000000002` | `Failed { reason: "card_declined" }` | `payment_intent.payment_failed` at once |
//! | `4000000000000077` | `Pending`, `Succeeded` after the delay | `payment_intent.succeeded` after the delay |
//! | any other number | `Failed { reason: "invalid_number" }` | `payment_intent.payment_failed` at once |
//!
//! Without a card number, the Stripe test payment methods `pm_card_visa`
//! and `pm_card_chargeDeclined` act like the first two cards; any other
//! payment method is a [`PaymentError::InvalidRequest`].
//!
//! Every charge that answers with a reference is settled by exactly one
//! signed webhook (Stripe's signature scheme and event shape) POSTed to
//! `{callback_base}/api/v1/payments/webhooks/test` from a spawned task, with
//! a few retries and exponential backoff when the POST fails; a refund sends
//! `charge.refunded`. Retries of one event reuse its event id, as Stripe
//! does. While no callback base is set, webhooks are dropped (logged at
//! debug level).
//!
//! The provider is stateless so that it survives a server restart
//! (`kill -9`): the payment reference carries the outcome, creation time,
//! amount, currency and booking id, plus a MAC under the provider's secret so
//! a forged or foreign reference is answered with
//! [`PaymentError::NotFound`]. `status` derives its answer from the
//! reference alone (a delayed payment is `Pending` until created + delay, by
//! the delay configured *now*). Refund references are derived from the
//! payment reference and the idempotency key.
//!
//! What it deliberately does not do:
//!
//! * keep idempotency beyond the process: replays with the same key are
//!   answered from memory (and a key reused with other parameters is
//!   refused), but after a restart a replayed charge makes a new payment;
//! * track refunded totals: each refund is checked against the original
//!   amount only, so several partial refunds may exceed it;
//! * redeliver webhooks lost in a restart, or deliver them in order;
//! * move any money, talk to Stripe, or accept real card numbers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use hmac::Mac;
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::signature::{self, keyed_mac};
use super::{
    event, now_unix_ms, test_cards, Charge, ChargeRequest, PaymentError, PaymentProvider,
    PaymentStatus, Refund, WebhookError, WebhookEvent, WebhookHeaders,
};

/// The delay of the delayed card when none is configured.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(2);

/// How long a replay with the same idempotency key is recognised.
const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

const REF_PREFIX: &str = "tp";
/// Hex characters of the MAC kept in a reference.
const REF_MAC_HEX: usize = 16;

/// What a charge does, as stored in its reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeed,
    Decline,
    Delay,
    InvalidNumber,
}

impl Outcome {
    fn code(self) -> &'static str {
        match self {
            Outcome::Succeed => "ok",
            Outcome::Decline => "dec",
            Outcome::Delay => "dly",
            Outcome::InvalidNumber => "inv",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        [
            Outcome::Succeed,
            Outcome::Decline,
            Outcome::Delay,
            Outcome::InvalidNumber,
        ]
        .into_iter()
        .find(|o| o.code() == code)
    }

    fn failure_reason(self) -> Option<&'static str> {
        match self {
            Outcome::Decline => Some("card_declined"),
            Outcome::InvalidNumber => Some("invalid_number"),
            Outcome::Succeed | Outcome::Delay => None,
        }
    }

    fn for_request(req: &ChargeRequest) -> Result<Self, PaymentError> {
        if let Some(number) = &req.card_number {
            let digits: String = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
            return Ok(match digits.as_str() {
                test_cards::SUCCESS => Outcome::Succeed,
                test_cards::DECLINED => Outcome::Decline,
                test_cards::DELAYED => Outcome::Delay,
                _ => Outcome::InvalidNumber,
            });
        }
        match req.payment_method.as_deref() {
            Some("pm_card_visa") => Ok(Outcome::Succeed),
            Some("pm_card_chargeDeclined") => Ok(Outcome::Decline),
            other => Err(PaymentError::InvalidRequest(format!(
                "the test provider knows no payment method {other:?}"
            ))),
        }
    }
}

/// Everything a test payment reference carries.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PaymentRef {
    nonce: String,
    outcome: Outcome,
    created_ms: i64,
    amount: i64,
    currency: String,
    booking_id: i64,
}

impl PaymentRef {
    fn body(&self) -> String {
        format!(
            "{REF_PREFIX}_{}_{}_{}_{}_{}_{}",
            self.nonce,
            self.outcome.code(),
            self.created_ms,
            self.amount,
            self.currency,
            self.booking_id
        )
    }

    fn encode(&self, secret: &[u8]) -> String {
        let body = self.body();
        let tag = ref_mac(secret, &body).finalize().into_bytes();
        let tag = hex::encode(tag);
        format!("{body}_{}", &tag[..REF_MAC_HEX])
    }

    fn decode(secret: &[u8], text: &str) -> Option<Self> {
        let (body, tag) = text.rsplit_once('_')?;
        let tag = hex::decode(tag).ok()?;
        if tag.len() * 2 != REF_MAC_HEX {
            return None;
        }
        // Constant-time comparison of the truncated MAC.
        ref_mac(secret, body).verify_truncated_left(&tag).ok()?;
        let parts: Vec<&str> = body.split('_').collect();
        let [prefix, nonce, outcome, created_ms, amount, currency, booking_id] = parts[..] else {
            return None;
        };
        if prefix != REF_PREFIX {
            return None;
        }
        Some(PaymentRef {
            nonce: nonce.to_string(),
            outcome: Outcome::from_code(outcome)?,
            created_ms: created_ms.parse().ok()?,
            amount: amount.parse().ok()?,
            currency: currency.to_string(),
            booking_id: booking_id.parse().ok()?,
        })
    }

    fn settles_at_ms(&self, delay: Duration) -> i64 {
        let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        self.created_ms.saturating_add(delay_ms)
    }

    fn status_at(&self, now_ms: i64, delay: Duration) -> PaymentStatus {
        match self.outcome {
            Outcome::Succeed => PaymentStatus::Succeeded,
            Outcome::Delay if now_ms >= self.settles_at_ms(delay) => PaymentStatus::Succeeded,
            Outcome::Delay => PaymentStatus::Pending,
            Outcome::Decline | Outcome::InvalidNumber => PaymentStatus::Failed {
                reason: self
                    .outcome
                    .failure_reason()
                    .unwrap_or_default()
                    .to_string(),
            },
        }
    }

    fn metadata(&self) -> Value {
        json!({ "booking_id": self.booking_id.to_string() })
    }
}

fn ref_mac(secret: &[u8], body: &str) -> signature::HmacSha256 {
    let mut mac = keyed_mac(secret);
    mac.update(b"test-provider-ref:");
    mac.update(body.as_bytes());
    mac
}

fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A result remembered under an idempotency key.
#[derive(Debug, Clone)]
enum Remembered {
    Charge(Charge),
    Refund(Refund),
}

#[derive(Debug)]
struct IdempotencyEntry {
    at: Instant,
    fingerprint: [u8; 32],
    result: Remembered,
}

fn fingerprint(parts: &[&str]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.len().to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

/// How webhook deliveries are retried.
#[derive(Debug, Clone, Copy)]
struct RetryPolicy {
    attempts: u32,
    first_backoff: Duration,
}

/// What a delivery task needs; cheap to clone into it.
#[derive(Clone)]
struct Deliverer {
    client: Option<reqwest::Client>,
    secret: Arc<[u8]>,
    callback_base: Arc<RwLock<Option<String>>>,
    retry: RetryPolicy,
}

impl Deliverer {
    fn url(&self) -> Option<String> {
        let base = self
            .callback_base
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        Some(format!("{base}/api/v1/payments/webhooks/test"))
    }

    /// Sends `event` once `not_before_ms` has passed, retrying failures.
    async fn deliver(self, event: Value, not_before_ms: i64) {
        let wait_ms = not_before_ms.saturating_sub(now_unix_ms());
        if wait_ms > 0 {
            tokio::time::sleep(Duration::from_millis(wait_ms.unsigned_abs())).await;
        }
        let event_id = event["id"].as_str().unwrap_or_default().to_string();
        let Some(client) = self.client.clone() else {
            tracing::error!(
                event_id,
                "test provider has no HTTP client; webhook dropped"
            );
            return;
        };
        let body = event.to_string().into_bytes();
        let mut backoff = self.retry.first_backoff;
        for attempt in 1..=self.retry.attempts.max(1) {
            // Read at every attempt: the server learns its port after binding.
            let Some(url) = self.url() else {
                tracing::debug!(event_id, "no webhook callback base set; webhook dropped");
                return;
            };
            let header = signature::sign(&self.secret, now_unix_ms() / 1000, &body);
            let sent = client
                .post(&url)
                .header(signature::HEADER, header)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {
                    tracing::debug!(event_id, attempt, "test webhook delivered");
                    return;
                }
                Ok(response) => {
                    tracing::warn!(event_id, attempt, status = %response.status(), "test webhook refused");
                }
                Err(error) => {
                    tracing::warn!(event_id, attempt, %error, "test webhook not delivered");
                }
            }
            if attempt < self.retry.attempts {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
        }
        tracing::error!(event_id, url = ?self.url(), "test webhook given up");
    }

    fn spawn(&self, event: Value, not_before_ms: i64) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(self.clone().deliver(event, not_before_ms));
            }
            Err(_) => tracing::warn!("no tokio runtime; test webhook dropped"),
        }
    }
}

/// The offline provider; see the module documentation.
pub struct TestProvider {
    secret: Arc<[u8]>,
    delay: Duration,
    deliverer: Deliverer,
    idempotency: Mutex<HashMap<String, IdempotencyEntry>>,
}

impl std::fmt::Debug for TestProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestProvider")
            .field("delay", &self.delay)
            .field("callback_base", &self.deliverer.url())
            .finish_non_exhaustive()
    }
}

impl TestProvider {
    /// `secret` signs webhooks (and references); `callback_base` is the
    /// server's own base URL such as `http://127.0.0.1:8080`, settable later
    /// with [`TestProvider::set_callback_base`]; `delay` is how long the
    /// delayed card stays pending ([`DEFAULT_DELAY`] is Stripe-like).
    pub fn new(secret: Vec<u8>, callback_base: Option<String>, delay: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|error| tracing::error!(%error, "cannot build the test webhook client"))
            .ok();
        let secret: Arc<[u8]> = secret.into();
        TestProvider {
            secret: secret.clone(),
            delay,
            deliverer: Deliverer {
                client,
                secret,
                callback_base: Arc::new(RwLock::new(callback_base.map(trim_base))),
                retry: RetryPolicy {
                    attempts: 5,
                    first_backoff: Duration::from_millis(250),
                },
            },
            idempotency: Mutex::new(HashMap::new()),
        }
    }

    /// Changes how webhook POSTs are retried: `attempts` in all (at least
    /// one), waiting `first_backoff`, then twice as long each time.
    pub fn with_webhook_retries(mut self, attempts: u32, first_backoff: Duration) -> Self {
        self.deliverer.retry = RetryPolicy {
            attempts: attempts.max(1),
            first_backoff,
        };
        self
    }

    /// Sets where webhooks go, e.g. once the server knows its port.
    pub fn set_callback_base(&self, base: String) {
        *self
            .deliverer
            .callback_base
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(trim_base(base));
    }

    /// How long the delayed card stays pending.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Runs `create` unless `key` was already used: then answers the
    /// remembered result, or refuses if the parameters differ.
    fn idempotent(
        &self,
        key: String,
        fingerprint: [u8; 32],
        create: impl FnOnce() -> Result<Remembered, PaymentError>,
    ) -> Result<(Remembered, bool), PaymentError> {
        let mut memory = self
            .idempotency
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        memory.retain(|_, entry| entry.at.elapsed() < IDEMPOTENCY_WINDOW);
        if let Some(entry) = memory.get(&key) {
            if entry.fingerprint != fingerprint {
                return Err(PaymentError::InvalidRequest(
                    "idempotency key already used with other parameters".into(),
                ));
            }
            return Ok((entry.result.clone(), true));
        }
        let result = create()?;
        memory.insert(
            key,
            IdempotencyEntry {
                at: Instant::now(),
                fingerprint,
                result: result.clone(),
            },
        );
        Ok((result, false))
    }

    fn charge_now(&self, req: &ChargeRequest) -> Result<Charge, PaymentError> {
        req.validate()?;
        let outcome = Outcome::for_request(req)?;
        let currency = req.currency.to_ascii_lowercase();
        let print = fingerprint(&[
            &req.booking_id.to_string(),
            &req.amount.to_string(),
            &currency,
            req.card_number.as_deref().unwrap_or_default(),
            req.payment_method.as_deref().unwrap_or_default(),
        ]);
        let mut made = None;
        let (remembered, _replayed) =
            self.idempotent(format!("charge:{}", req.idempotency_key), print, || {
                let payment = PaymentRef {
                    nonce: random_token(14),
                    outcome,
                    created_ms: now_unix_ms(),
                    amount: req.amount,
                    currency: currency.clone(),
                    booking_id: req.booking_id,
                };
                let charge = Charge {
                    payment_ref: payment.encode(&self.secret),
                    status: payment.status_at(payment.created_ms, self.delay),
                };
                made = Some(payment);
                Ok(Remembered::Charge(charge))
            })?;
        let Remembered::Charge(charge) = remembered else {
            return Err(PaymentError::InvalidRequest(
                "idempotency key already used for a refund".into(),
            ));
        };
        if let Some(payment) = made {
            self.schedule_settlement(&charge.payment_ref, &payment);
        }
        Ok(charge)
    }

    fn schedule_settlement(&self, payment_ref: &str, payment: &PaymentRef) {
        let (kind, status, at_ms) = match payment.outcome {
            Outcome::Succeed => ("payment_intent.succeeded", "succeeded", payment.created_ms),
            Outcome::Delay => (
                "payment_intent.succeeded",
                "succeeded",
                payment.settles_at_ms(self.delay),
            ),
            Outcome::Decline | Outcome::InvalidNumber => (
                "payment_intent.payment_failed",
                "requires_payment_method",
                payment.created_ms,
            ),
        };
        let mut object = json!({
            "id": payment_ref,
            "object": "payment_intent",
            "amount": payment.amount,
            "currency": payment.currency,
            "status": status,
            "metadata": payment.metadata(),
        });
        if let Some(reason) = payment.outcome.failure_reason() {
            object["last_payment_error"] = json!({ "type": "card_error", "code": reason });
        }
        self.deliverer.spawn(event_json(kind, at_ms, object), at_ms);
    }

    fn refund_now(
        &self,
        payment_ref: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError> {
        let payment = PaymentRef::decode(&self.secret, payment_ref)
            .ok_or_else(|| PaymentError::NotFound(payment_ref.to_string()))?;
        if amount <= 0 || amount > payment.amount {
            return Err(PaymentError::InvalidRequest(format!(
                "refund amount must be between 1 and {}, got {amount}",
                payment.amount
            )));
        }
        if idempotency_key.trim().is_empty() {
            return Err(PaymentError::InvalidRequest(
                "idempotency_key must not be empty".into(),
            ));
        }
        if payment.status_at(now_unix_ms(), self.delay) != PaymentStatus::Succeeded {
            return Err(PaymentError::InvalidRequest(format!(
                "payment {payment_ref} has not succeeded, nothing to refund"
            )));
        }
        let print = fingerprint(&[payment_ref, &amount.to_string()]);
        let (remembered, replayed) =
            self.idempotent(format!("refund:{idempotency_key}"), print, || {
                let mut mac = keyed_mac(&self.secret);
                mac.update(b"test-provider-refund:");
                mac.update(payment_ref.as_bytes());
                mac.update(b":");
                mac.update(idempotency_key.as_bytes());
                let tag = hex::encode(mac.finalize().into_bytes());
                Ok(Remembered::Refund(Refund {
                    refund_ref: format!("tre_{}", &tag[..24]),
                }))
            })?;
        let Remembered::Refund(refund) = remembered else {
            return Err(PaymentError::InvalidRequest(
                "idempotency key already used for a charge".into(),
            ));
        };
        if !replayed {
            let now = now_unix_ms();
            let object = json!({
                "id": payment_ref,
                "object": "charge",
                "payment_intent": payment_ref,
                "amount": payment.amount,
                "amount_refunded": amount,
                "currency": payment.currency,
                "refunded": amount == payment.amount,
                "metadata": payment.metadata(),
                "refunds": { "object": "list", "data": [ { "id": refund.refund_ref, "object": "refund", "amount": amount, "status": "succeeded" } ] },
            });
            self.deliverer
                .spawn(event_json("charge.refunded", now, object), now);
        }
        Ok(refund)
    }
}

fn trim_base(base: String) -> String {
    base.trim_end_matches('/').to_string()
}

fn event_json(kind: &str, created_ms: i64, object: Value) -> Value {
    json!({
        "id": format!("evt_{}", random_token(24)),
        "object": "event",
        "type": kind,
        "created": created_ms / 1000,
        "livemode": false,
        "data": { "object": object },
    })
}

impl PaymentProvider for TestProvider {
    fn name(&self) -> &'static str {
        "test"
    }

    fn charge(&self, req: ChargeRequest) -> BoxFuture<'_, Result<Charge, PaymentError>> {
        Box::pin(async move { self.charge_now(&req) })
    }

    fn refund<'a>(
        &'a self,
        payment_ref: &'a str,
        amount: i64,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Refund, PaymentError>> {
        Box::pin(async move { self.refund_now(payment_ref, amount, idempotency_key) })
    }

    fn status<'a>(
        &'a self,
        payment_ref: &'a str,
    ) -> BoxFuture<'a, Result<PaymentStatus, PaymentError>> {
        Box::pin(async move {
            let payment = PaymentRef::decode(&self.secret, payment_ref)
                .ok_or_else(|| PaymentError::NotFound(payment_ref.to_string()))?;
            Ok(payment.status_at(now_unix_ms(), self.delay))
        })
    }

    fn verify_webhook(
        &self,
        headers: &dyn WebhookHeaders,
        body: &[u8],
        now_unix: i64,
    ) -> Result<WebhookEvent, WebhookError> {
        signature::verify_headers(&self.secret, headers, body, now_unix)?;
        event::parse(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret";

    fn provider(delay_ms: u64) -> TestProvider {
        TestProvider::new(SECRET.to_vec(), None, Duration::from_millis(delay_ms))
    }

    fn card(number: &str, key: &str) -> ChargeRequest {
        ChargeRequest {
            booking_id: 42,
            amount: 2500,
            currency: "EUR".into(),
            card_number: Some(number.into()),
            payment_method: None,
            idempotency_key: key.into(),
        }
    }

    #[tokio::test]
    async fn card_outcomes() {
        let p = provider(60_000);
        let ok = p.charge(card("4242 4242 4242 4242", "a")).await.unwrap();
        assert_eq!(ok.status, PaymentStatus::Succeeded);
        assert!(ok.payment_ref.starts_with("tp_"), "{}", ok.payment_ref);
        let declined = p.charge(card(test_cards::DECLINED, "b")).await.unwrap();
        assert_eq!(
            declined.status,
            PaymentStatus::Failed {
                reason: "card_declined".into()
            }
        );
        let delayed = p.charge(card(test_cards::DELAYED, "c")).await.unwrap();
        assert_eq!(delayed.status, PaymentStatus::Pending);
        let invalid = p.charge(card("1234", "d")).await.unwrap();
        assert_eq!(
            invalid.status,
            PaymentStatus::Failed {
                reason: "invalid_number".into()
            }
        );
        for charge in [ok, declined, delayed, invalid] {
            assert_eq!(p.status(&charge.payment_ref).await, Ok(charge.status));
        }
    }

    #[tokio::test]
    async fn payment_methods() {
        let p = provider(10);
        let mut req = card("", "pm-1");
        req.card_number = None;
        req.payment_method = Some("pm_card_visa".into());
        assert_eq!(
            p.charge(req.clone()).await.map(|c| c.status),
            Ok(PaymentStatus::Succeeded)
        );
        req.idempotency_key = "pm-2".into();
        req.payment_method = Some("pm_card_chargeDeclined".into());
        assert!(matches!(
            p.charge(req.clone()).await.map(|c| c.status),
            Ok(PaymentStatus::Failed { .. })
        ));
        req.idempotency_key = "pm-3".into();
        req.payment_method = Some("pm_whatever".into());
        assert!(matches!(
            p.charge(req).await,
            Err(PaymentError::InvalidRequest(_))
        ));
    }

    #[tokio::test]
    async fn invalid_requests() {
        let p = provider(10);
        let mut req = card(test_cards::SUCCESS, "x");
        req.amount = -5;
        assert!(matches!(
            p.charge(req).await,
            Err(PaymentError::InvalidRequest(_))
        ));
    }

    #[tokio::test]
    async fn reference_survives_a_restart_but_not_a_forgery() {
        let before = provider(10);
        let charge = before.charge(card(test_cards::SUCCESS, "k")).await.unwrap();
        drop(before);
        let after = provider(10);
        assert_eq!(
            after.status(&charge.payment_ref).await,
            Ok(PaymentStatus::Succeeded)
        );

        // Turning a declined payment into a succeeded one is detected.
        let declined = after
            .charge(card(test_cards::DECLINED, "k2"))
            .await
            .unwrap();
        let forged = declined.payment_ref.replace("_dec_", "_ok_");
        assert!(matches!(
            after.status(&forged).await,
            Err(PaymentError::NotFound(_))
        ));
        let other_secret = TestProvider::new(b"other".to_vec(), None, Duration::ZERO);
        assert!(matches!(
            other_secret.status(&charge.payment_ref).await,
            Err(PaymentError::NotFound(_))
        ));
        for junk in ["", "tp_", "pi_123", "tp_a_ok_1_2_eur_3_zz"] {
            assert!(matches!(
                after.status(junk).await,
                Err(PaymentError::NotFound(_))
            ));
        }
    }

    #[tokio::test]
    async fn reference_round_trip() {
        let payment = PaymentRef {
            nonce: "abcXYZ123".into(),
            outcome: Outcome::Delay,
            created_ms: 1_700_000_000_123,
            amount: 999,
            currency: "usd".into(),
            booking_id: -3,
        };
        let text = payment.encode(SECRET);
        assert_eq!(PaymentRef::decode(SECRET, &text), Some(payment));
    }

    #[tokio::test]
    async fn delayed_turns_succeeded() {
        let p = provider(250);
        let charge = p.charge(card(test_cards::DELAYED, "d")).await.unwrap();
        assert_eq!(charge.status, PaymentStatus::Pending);
        assert_eq!(
            p.status(&charge.payment_ref).await,
            Ok(PaymentStatus::Pending)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            p.status(&charge.payment_ref).await,
            Ok(PaymentStatus::Succeeded)
        );
    }

    #[tokio::test]
    async fn idempotent_replays() {
        let p = provider(10);
        let first = p.charge(card(test_cards::SUCCESS, "same")).await.unwrap();
        let again = p.charge(card(test_cards::SUCCESS, "same")).await.unwrap();
        assert_eq!(first, again);
        let mut different = card(test_cards::SUCCESS, "same");
        different.amount += 1;
        assert!(matches!(
            p.charge(different).await,
            Err(PaymentError::InvalidRequest(_))
        ));
        let other = p.charge(card(test_cards::SUCCESS, "new")).await.unwrap();
        assert_ne!(first.payment_ref, other.payment_ref);
    }

    #[tokio::test]
    async fn refunds() {
        let p = provider(60_000);
        let ok = p.charge(card(test_cards::SUCCESS, "r1")).await.unwrap();
        let refund = p.refund(&ok.payment_ref, 1000, "rf-1").await.unwrap();
        assert!(refund.refund_ref.starts_with("tre_"));
        assert_eq!(p.refund(&ok.payment_ref, 1000, "rf-1").await, Ok(refund));
        assert!(matches!(
            p.refund(&ok.payment_ref, 999, "rf-1").await,
            Err(PaymentError::InvalidRequest(_))
        ));
        assert!(matches!(
            p.refund(&ok.payment_ref, 2501, "rf-2").await,
            Err(PaymentError::InvalidRequest(_))
        ));
        assert!(matches!(
            p.refund(&ok.payment_ref, 0, "rf-3").await,
            Err(PaymentError::InvalidRequest(_))
        ));
        let declined = p.charge(card(test_cards::DECLINED, "r2")).await.unwrap();
        assert!(matches!(
            p.refund(&declined.payment_ref, 10, "rf-4").await,
            Err(PaymentError::InvalidRequest(_))
        ));
        let pending = p.charge(card(test_cards::DELAYED, "r3")).await.unwrap();
        assert!(matches!(
            p.refund(&pending.payment_ref, 10, "rf-5").await,
            Err(PaymentError::InvalidRequest(_))
        ));
        assert!(matches!(
            p.refund("tp_nope", 10, "rf-6").await,
            Err(PaymentError::NotFound(_))
        ));
    }

    #[test]
    fn verifies_its_own_signatures() {
        let p = provider(10);
        let body = event_json(
            "payment_intent.succeeded",
            1_000_000,
            json!({"id": "tp_x", "metadata": {"booking_id": "5"}}),
        )
        .to_string();
        let mut headers = crate::payments::HeaderList::new();
        let header = signature::sign(SECRET, 1000, body.as_bytes());
        headers.insert(signature::HEADER, header);
        let event = p.verify_webhook(&headers, body.as_bytes(), 1000).unwrap();
        assert_eq!(event.payment_ref, "tp_x");
        assert_eq!(event.booking_id, Some(5));
        assert_eq!(
            p.verify_webhook(&headers, body.as_bytes(), 2000),
            Err(WebhookError::StaleTimestamp)
        );
        let other = TestProvider::new(b"x".to_vec(), None, Duration::ZERO);
        assert_eq!(
            other.verify_webhook(&headers, body.as_bytes(), 1000),
            Err(WebhookError::BadSignature)
        );
    }
}
