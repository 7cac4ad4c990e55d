//! The `"stripe"` payment provider: Stripe's HTTP API, PaymentIntents and
//! Refunds, form-encoded, authenticated with a secret key (`sk_…`), every
//! write carrying the caller's `Idempotency-Key`.
//!
//! * `charge`: `POST /v1/payment_intents` with `confirm=true` and automatic
//!   payment methods that never redirect, `metadata[booking_id]` set.
//!   A `ctoken_…` id goes as `confirmation_token` (Stripe.js makes one from
//!   the Payment Element in the buyer's browser), any other as
//!   `payment_method`. PaymentIntent `status` maps: `succeeded` →
//!   `Succeeded`; `requires_action` → `ActionRequired` with the intent's
//!   `client_secret`, for `stripe.handleNextAction` in the browser (3-D
//!   Secure); `processing`, `requires_confirmation`, `requires_capture` and
//!   any status unknown to this code → `Pending` (reconciliation asks again);
//!   `requires_payment_method` → `Failed` with the last error's decline
//!   code (else its code); `canceled` → `Failed { reason: "canceled" }`.
//!   A 402 `card_error` that names its PaymentIntent is a `Failed` charge
//!   with the decline code (Stripe's own test decline gives
//!   `generic_decline`); without a PaymentIntent it is
//!   [`PaymentError::Declined`].
//! * `status`: `GET /v1/payment_intents/{id}`, mapped the same way.
//! * `refund`: `POST /v1/refunds` with `payment_intent` and `amount`; a
//!   refund Stripe reports `failed` or `canceled` is a
//!   [`PaymentError::Provider`].
//! * Errors: 401/403 → `Unauthorized`, 404 → `NotFound`, 402 → `Declined`,
//!   409 (concurrent use of a key), 424, 429, 5xx, timeouts and connection
//!   failures → `Unavailable`, other 4xx → `InvalidRequest`.
//! * Webhooks: checked with the endpoint's signing secret (`whsec_…`), see
//!   [`super::signature`], parsed by [`super::event`].
//!
//! Card numbers: Stripe accepts no raw card numbers over its API. Only the
//! public test cards are mapped to Stripe's test PaymentMethods:
//! `4242424242424242` → `pm_card_visa`, `4000000000000002` →
//! `pm_card_chargeDeclined`, `4000000000000077` → `pm_card_visa` (Stripe
//! has no card that stays pending without customer action, so the delayed
//! card simply succeeds here). Any other number is an `InvalidRequest`;
//! real payments pass a `payment_method` id created client-side.
//!
//! What this module deliberately does not do: retry on its own (callers
//! retry `Unavailable` with the same idempotency key), pin a Stripe API
//! version (the account's default applies), create customers or
//! PaymentMethods, capture manually, or follow redirects
//! (`allow_redirects=never`; 3-D Secure runs in the page through Stripe.js).

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{
    event, form, signature, test_cards, Charge, ChargeRequest, PaymentError, PaymentProvider,
    PaymentStatus, Refund, WebhookError, WebhookEvent, WebhookHeaders,
};

/// Stripe's API.
pub const DEFAULT_BASE_URL: &str = "https://api.stripe.com";

/// How to reach Stripe.
#[derive(Clone)]
pub struct StripeConfig {
    /// The secret API key, `sk_test_…` or `sk_live_…`.
    pub secret_key: String,
    /// The webhook endpoint's signing secret, `whsec_…`.
    pub webhook_secret: String,
    /// [`DEFAULT_BASE_URL`] unless testing against a stand-in.
    pub base_url: String,
    /// Longest wait for a whole request.
    pub timeout: Duration,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
}

impl StripeConfig {
    /// Stripe's API with 30 s request and 5 s connect timeouts.
    pub fn new(secret_key: impl Into<String>, webhook_secret: impl Into<String>) -> Self {
        StripeConfig {
            secret_key: secret_key.into(),
            webhook_secret: webhook_secret.into(),
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// The same with another base URL, e.g. a local stand-in.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }
}

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig")
            .field("secret_key", &redact(&self.secret_key))
            .field("webhook_secret", &redact(&self.webhook_secret))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// Keeps the key's kind (`sk_test_`, `whsec_`) and hides the rest.
fn redact(secret: &str) -> String {
    let kind = secret.rfind('_').map_or("", |i| &secret[..=i]);
    format!("{kind}…")
}

/// The Stripe provider; see the module documentation.
pub struct StripeProvider {
    client: reqwest::Client,
    secret_key: String,
    webhook_secret: Vec<u8>,
    base_url: String,
}

impl fmt::Debug for StripeProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeProvider")
            .field("secret_key", &redact(&self.secret_key))
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
struct PaymentIntent {
    id: String,
    status: String,
    /// Lets Stripe.js act on the intent in the buyer's browser (3-D Secure).
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    last_payment_error: Option<ApiError>,
}

#[derive(Debug, Deserialize)]
struct RefundObject {
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    failure_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorEnvelope {
    error: ApiError,
}

#[derive(Debug, Default, Deserialize)]
struct ApiError {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    payment_intent: Option<ErrorPaymentIntent>,
}

#[derive(Debug, Deserialize)]
struct ErrorPaymentIntent {
    id: String,
}

impl ApiError {
    fn decline_reason(&self) -> Option<String> {
        self.decline_code.clone().or_else(|| self.code.clone())
    }

    fn describe(&self, status: StatusCode) -> String {
        let message = self
            .message
            .clone()
            .unwrap_or_else(|| format!("HTTP {status}"));
        match (&self.kind, &self.code) {
            (Some(kind), Some(code)) => format!("{kind}/{code}: {message}"),
            (Some(kind), None) => format!("{kind}: {message}"),
            (None, Some(code)) => format!("{code}: {message}"),
            (None, None) => message,
        }
    }
}

/// A non-2xx answer from Stripe.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    error: ApiError,
}

impl Failure {
    fn into_error(self) -> PaymentError {
        let text = self.error.describe(self.status);
        match self.status.as_u16() {
            401 | 403 => PaymentError::Unauthorized(text),
            402 => PaymentError::Declined(
                self.error
                    .decline_reason()
                    .unwrap_or_else(|| "card_declined".into()),
            ),
            404 => PaymentError::NotFound(text),
            409 | 424 | 429 | 500..=599 => PaymentError::Unavailable(text),
            400..=499 => PaymentError::InvalidRequest(text),
            _ => PaymentError::Provider(text),
        }
    }
}

enum Outcome<T> {
    Ok(T),
    Failed(Failure),
}

fn transport_error(error: reqwest::Error) -> PaymentError {
    if error.is_builder() {
        PaymentError::Provider(format!("cannot build the Stripe request: {error}"))
    } else {
        PaymentError::Unavailable(format!("Stripe unreachable: {error}"))
    }
}

fn map_status(intent: &PaymentIntent) -> PaymentStatus {
    match intent.status.as_str() {
        "succeeded" => PaymentStatus::Succeeded,
        "requires_payment_method" => PaymentStatus::Failed {
            reason: intent
                .last_payment_error
                .as_ref()
                .and_then(ApiError::decline_reason)
                .unwrap_or_else(|| "requires_payment_method".into()),
        },
        "canceled" => PaymentStatus::Failed {
            reason: "canceled".into(),
        },
        "requires_action" => match &intent.client_secret {
            Some(secret) => PaymentStatus::ActionRequired {
                client_secret: secret.clone(),
            },
            None => PaymentStatus::Pending,
        },
        "processing" | "requires_confirmation" | "requires_capture" => PaymentStatus::Pending,
        other => {
            tracing::warn!(
                payment_ref = intent.id,
                status = other,
                "unknown PaymentIntent status, treated as pending"
            );
            PaymentStatus::Pending
        }
    }
}

/// Stripe ids are ASCII letters, digits and underscores; anything else
/// must not reach a URL path.
fn is_stripe_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The Stripe test PaymentMethod for a public test card number.
fn test_payment_method(card_number: &str) -> Option<&'static str> {
    let digits: String = card_number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    match digits.as_str() {
        test_cards::SUCCESS | test_cards::DELAYED => Some("pm_card_visa"),
        test_cards::DECLINED => Some("pm_card_chargeDeclined"),
        _ => None,
    }
}

impl StripeProvider {
    /// Builds the HTTP client; fails only if the TLS setup fails.
    pub fn new(config: StripeConfig) -> Result<Self, PaymentError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("boxoffice/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PaymentError::Provider(format!("cannot build the HTTP client: {e}")))?;
        Ok(StripeProvider {
            client,
            secret_key: config.secret_key,
            webhook_secret: config.webhook_secret.into_bytes(),
            base_url: config.base_url.trim_end_matches('/').to_string(),
        })
    }

    /// Where requests go.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Outcome<T>, PaymentError> {
        let response = request
            .bearer_auth(&self.secret_key)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let body = response.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            return serde_json::from_slice(&body).map(Outcome::Ok).map_err(|e| {
                PaymentError::Provider(format!("unexpected answer from Stripe: {e}"))
            });
        }
        let error = serde_json::from_slice::<ErrorEnvelope>(&body)
            .map(|envelope| envelope.error)
            .unwrap_or_default();
        Ok(Outcome::Failed(Failure { status, error }))
    }

    async fn post_form<T: DeserializeOwned>(
        &self,
        path: &str,
        idempotency_key: &str,
        pairs: &[(&str, String)],
    ) -> Result<Outcome<T>, PaymentError> {
        let request = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header("Idempotency-Key", idempotency_key)
            .body(form::encode(pairs));
        self.send(request).await
    }

    async fn charge_inner(&self, req: ChargeRequest) -> Result<Charge, PaymentError> {
        req.validate()?;
        let payment_method = match (&req.payment_method, &req.card_number) {
            (Some(pm), _) => pm.clone(),
            (None, Some(number)) => test_payment_method(number)
                .ok_or_else(|| {
                    PaymentError::InvalidRequest(
                        "Stripe takes card numbers only for its public test cards; \
                         pass a payment_method"
                            .into(),
                    )
                })?
                .to_string(),
            (None, None) => {
                return Err(PaymentError::InvalidRequest(
                    "either card_number or payment_method is required".into(),
                ))
            }
        };
        // A ConfirmationToken (what Stripe.js makes from the Payment Element) carries the
        // payment method the buyer entered; a PaymentMethod id is used as it is.
        let method_field = if payment_method.starts_with("ctoken_") {
            "confirmation_token"
        } else {
            "payment_method"
        };
        let mut pairs = vec![
            ("amount", req.amount.to_string()),
            ("currency", req.currency.to_ascii_lowercase()),
            ("confirm", "true".to_string()),
            (method_field, payment_method),
            ("metadata[booking_id]", req.booking_id.to_string()),
        ];
        if method_field == "confirmation_token" {
            // The checkout's Payment Element offers cards alone; the intent must say the same.
            pairs.push(("payment_method_types[]", "card".to_string()));
        } else {
            pairs.push(("automatic_payment_methods[enabled]", "true".to_string()));
            pairs.push((
                "automatic_payment_methods[allow_redirects]",
                "never".to_string(),
            ));
        }
        let outcome = self
            .post_form::<PaymentIntent>("/v1/payment_intents", &req.idempotency_key, &pairs)
            .await?;
        match outcome {
            Outcome::Ok(intent) => Ok(Charge {
                status: map_status(&intent),
                payment_ref: intent.id,
            }),
            Outcome::Failed(failure) if failure.status == StatusCode::PAYMENT_REQUIRED => {
                // A decline: Stripe keeps the PaymentIntent, so report it as
                // a failed charge the booking flow can record.
                match &failure.error.payment_intent {
                    Some(intent) => Ok(Charge {
                        payment_ref: intent.id.clone(),
                        status: PaymentStatus::Failed {
                            reason: failure
                                .error
                                .decline_reason()
                                .unwrap_or_else(|| "card_declined".into()),
                        },
                    }),
                    None => Err(failure.into_error()),
                }
            }
            Outcome::Failed(failure) => Err(failure.into_error()),
        }
    }

    async fn refund_inner(
        &self,
        payment_ref: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError> {
        if amount <= 0 {
            return Err(PaymentError::InvalidRequest(format!(
                "refund amount must be positive, got {amount}"
            )));
        }
        if idempotency_key.trim().is_empty() {
            return Err(PaymentError::InvalidRequest(
                "idempotency_key must not be empty".into(),
            ));
        }
        let pairs = [
            ("payment_intent", payment_ref.to_string()),
            ("amount", amount.to_string()),
        ];
        let outcome = self
            .post_form::<RefundObject>("/v1/refunds", idempotency_key, &pairs)
            .await?;
        let refund = match outcome {
            Outcome::Ok(refund) => refund,
            Outcome::Failed(failure) => return Err(failure.into_error()),
        };
        match refund.status.as_deref() {
            Some(status @ ("failed" | "canceled")) => Err(PaymentError::Provider(format!(
                "refund {} {status}: {}",
                refund.id,
                refund
                    .failure_reason
                    .as_deref()
                    .unwrap_or("no reason given")
            ))),
            _ => Ok(Refund {
                refund_ref: refund.id,
            }),
        }
    }

    async fn status_inner(&self, payment_ref: &str) -> Result<PaymentStatus, PaymentError> {
        if !is_stripe_id(payment_ref) {
            return Err(PaymentError::NotFound(payment_ref.to_string()));
        }
        let request = self.client.get(format!(
            "{}/v1/payment_intents/{payment_ref}",
            self.base_url
        ));
        match self.send::<PaymentIntent>(request).await? {
            Outcome::Ok(intent) => Ok(map_status(&intent)),
            Outcome::Failed(failure) => Err(failure.into_error()),
        }
    }
}

impl PaymentProvider for StripeProvider {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn charge(&self, req: ChargeRequest) -> BoxFuture<'_, Result<Charge, PaymentError>> {
        Box::pin(self.charge_inner(req))
    }

    fn refund<'a>(
        &'a self,
        payment_ref: &'a str,
        amount: i64,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Refund, PaymentError>> {
        Box::pin(self.refund_inner(payment_ref, amount, idempotency_key))
    }

    fn status<'a>(
        &'a self,
        payment_ref: &'a str,
    ) -> BoxFuture<'a, Result<PaymentStatus, PaymentError>> {
        Box::pin(self.status_inner(payment_ref))
    }

    fn verify_webhook(
        &self,
        headers: &dyn WebhookHeaders,
        body: &[u8],
        now_unix: i64,
    ) -> Result<WebhookEvent, WebhookError> {
        signature::verify_headers(&self.webhook_secret, headers, body, now_unix)?;
        event::parse(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(status: &str, error: Option<ApiError>) -> PaymentIntent {
        PaymentIntent {
            id: "pi_1".into(),
            status: status.into(),
            client_secret: None,
            last_payment_error: error,
        }
    }

    #[test]
    fn maps_payment_intent_statuses() {
        assert_eq!(
            map_status(&intent("succeeded", None)),
            PaymentStatus::Succeeded
        );
        for pending in [
            "processing",
            "requires_action",
            "requires_confirmation",
            "requires_capture",
            "something_new",
        ] {
            assert_eq!(map_status(&intent(pending, None)), PaymentStatus::Pending);
        }
        let mut needs_buyer = intent("requires_action", None);
        needs_buyer.client_secret = Some("pi_1_secret_abc".into());
        assert_eq!(
            map_status(&needs_buyer),
            PaymentStatus::ActionRequired {
                client_secret: "pi_1_secret_abc".into()
            }
        );
        assert_eq!(format!("{:?}", map_status(&needs_buyer)), "ActionRequired");
        let declined = ApiError {
            code: Some("card_declined".into()),
            decline_code: Some("insufficient_funds".into()),
            ..ApiError::default()
        };
        assert_eq!(
            map_status(&intent("requires_payment_method", Some(declined))),
            PaymentStatus::Failed {
                reason: "insufficient_funds".into()
            }
        );
        assert_eq!(
            map_status(&intent("requires_payment_method", None)),
            PaymentStatus::Failed {
                reason: "requires_payment_method".into()
            }
        );
        assert_eq!(
            map_status(&intent("canceled", None)),
            PaymentStatus::Failed {
                reason: "canceled".into()
            }
        );
    }

    #[test]
    fn maps_error_statuses() {
        let error = |status: u16| {
            Failure {
                status: StatusCode::from_u16(status).unwrap(),
                error: ApiError::default(),
            }
            .into_error()
        };
        assert!(matches!(error(401), PaymentError::Unauthorized(_)));
        assert!(matches!(error(403), PaymentError::Unauthorized(_)));
        assert_eq!(error(402), PaymentError::Declined("card_declined".into()));
        assert!(matches!(error(404), PaymentError::NotFound(_)));
        assert!(matches!(error(400), PaymentError::InvalidRequest(_)));
        for status in [409, 424, 429, 500, 502, 503, 504] {
            assert!(
                matches!(error(status), PaymentError::Unavailable(_)),
                "{status}"
            );
        }
        assert!(matches!(error(302), PaymentError::Provider(_)));
    }

    #[test]
    fn test_cards_map_to_test_payment_methods() {
        assert_eq!(
            test_payment_method("4242 4242 4242 4242"),
            Some("pm_card_visa")
        );
        assert_eq!(
            test_payment_method(test_cards::DECLINED),
            Some("pm_card_chargeDeclined")
        );
        assert_eq!(
            test_payment_method(test_cards::DELAYED),
            Some("pm_card_visa")
        );
        assert_eq!(test_payment_method("5555555555554444"), None);
    }

    #[test]
    fn ids_safe_for_paths() {
        assert!(is_stripe_id("pi_3MtwBwLkdIwHu7ix28a3tqPa"));
        for bad in ["", "pi/../../v1/charges", "pi_1?expand=x", "pi 1", "pi_é"] {
            assert!(!is_stripe_id(bad), "{bad}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let config = StripeConfig::new("sk_test_abc123", "whsec_def456");
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("abc123") && !shown.contains("def456"),
            "{shown}"
        );
        assert!(shown.contains("sk_test_"), "{shown}");
        let provider = StripeProvider::new(config.with_base_url("http://localhost:1/")).unwrap();
        assert_eq!(provider.base_url(), "http://localhost:1");
        assert!(!format!("{provider:?}").contains("abc123"));
    }
}
