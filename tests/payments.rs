//! Integration tests of the payments module: `StripeProvider` against a
//! local Stripe stand-in, and `TestProvider` delivering signed webhooks to a
//! local receiver.

#[allow(dead_code)]
mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use boxoffice::payments::{
    now_unix, signature, test_cards, ChargeRequest, PaymentError, PaymentProvider, PaymentStatus,
    Payments, StripeConfig, StripeProvider, TestProvider, WebhookError, WebhookKind,
};
use support::stripe_standin::StripeStandin;
use tokio::sync::mpsc;

const SECRET_KEY: &str = "sk_test_standin_key";
const WEBHOOK_SECRET: &str = "whsec_standin_secret";

fn charge(card: &str, key: &str) -> ChargeRequest {
    ChargeRequest {
        booking_id: 42,
        amount: 4200,
        currency: "EUR".into(),
        card_number: Some(card.into()),
        payment_method: None,
        idempotency_key: key.into(),
    }
}

fn stripe_for(standin: &StripeStandin, secret_key: &str) -> StripeProvider {
    let mut config =
        StripeConfig::new(secret_key, WEBHOOK_SECRET).with_base_url(standin.base_url());
    config.timeout = Duration::from_secs(2);
    StripeProvider::new(config).expect("client")
}

// ---------------------------------------------------------------- Stripe

#[tokio::test]
async fn stripe_success_sends_the_expected_request() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let stripe = stripe_for(&standin, SECRET_KEY);
    let result = stripe
        .charge(charge(test_cards::SUCCESS, "booking-42-1"))
        .await
        .expect("charge");
    assert_eq!(result.status, PaymentStatus::Succeeded);
    assert!(result.payment_ref.starts_with("pi_"), "{result:?}");

    let requests = standin.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/payment_intents");
    assert_eq!(
        request.authorization.as_deref(),
        Some("Bearer sk_test_standin_key")
    );
    assert_eq!(request.idempotency_key.as_deref(), Some("booking-42-1"));
    assert_eq!(
        request.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    for (key, value) in [
        ("amount", "4200"),
        ("currency", "eur"),
        ("confirm", "true"),
        ("payment_method", "pm_card_visa"),
        ("metadata[booking_id]", "42"),
        ("automatic_payment_methods[enabled]", "true"),
        ("automatic_payment_methods[allow_redirects]", "never"),
    ] {
        assert_eq!(request.param(key), Some(value), "{key}");
    }
}

#[tokio::test]
async fn stripe_payment_method_is_passed_through() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let stripe = stripe_for(&standin, SECRET_KEY);
    let mut req = charge("", "pm-1");
    req.card_number = None;
    req.payment_method = Some("pm_card_authenticationRequired".into());
    let result = stripe.charge(req).await.expect("charge");
    // The bank wants the buyer: the intent's client secret is for Stripe.js in their browser.
    let PaymentStatus::ActionRequired { client_secret } = &result.status else {
        panic!("{:?}", result.status);
    };
    assert!(client_secret.starts_with(&format!("{}_secret_", result.payment_ref)));
    assert_eq!(
        stripe.status(&result.payment_ref).await,
        Ok(result.status.clone())
    );
    assert_eq!(
        standin.requests()[0].param("payment_method"),
        Some("pm_card_authenticationRequired")
    );

    // A card number that is no public test card never leaves the process.
    let err = stripe.charge(charge("5105105105105100", "pm-2")).await;
    assert!(
        matches!(err, Err(PaymentError::InvalidRequest(_))),
        "{err:?}"
    );
    assert_eq!(
        standin.requests().len(),
        2,
        "the charge and the status only"
    );
}

/// A ConfirmationToken made by Stripe.js goes as `confirmation_token`, never as a payment method.
#[tokio::test]
async fn stripe_confirmation_tokens_are_confirmed_as_such() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let stripe = stripe_for(&standin, SECRET_KEY);
    let token = browser_token(&standin, "4242 4242 4242 4242").await;
    let mut req = charge("", "ctoken-1");
    req.card_number = None;
    req.payment_method = Some(token.clone());
    let result = stripe.charge(req).await.expect("charge");
    assert_eq!(result.status, PaymentStatus::Succeeded);
    let sent = standin.requests().pop().expect("request");
    assert_eq!(sent.param("confirmation_token"), Some(token.as_str()));
    assert_eq!(sent.param("payment_method"), None);

    let mut req = charge("", "ctoken-2");
    req.card_number = None;
    req.payment_method = Some("ctoken_unknown".into());
    let err = stripe.charge(req).await;
    assert!(
        matches!(err, Err(PaymentError::InvalidRequest(_))),
        "{err:?}"
    );
}

/// What Stripe.js does in the browser: a ConfirmationToken for a card, by the publishable key.
async fn browser_token(standin: &StripeStandin, number: &str) -> String {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v1/confirmation_tokens", standin.base_url()))
        .form(&[
            ("key", standin.publishable_key().as_str()),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", number),
        ])
        .send()
        .await
        .expect("stand-in")
        .json()
        .await
        .expect("json");
    answer["id"].as_str().expect("token id").to_owned()
}

#[tokio::test]
async fn stripe_decline_is_a_failed_charge() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let stripe = stripe_for(&standin, SECRET_KEY);
    let result = stripe
        .charge(charge(test_cards::DECLINED, "booking-42-2"))
        .await
        .expect("a decline is not an error");
    assert_eq!(
        result.status,
        PaymentStatus::Failed {
            reason: "generic_decline".into()
        }
    );
    assert!(result.payment_ref.starts_with("pi_"));
    assert_eq!(
        standin.requests()[0].param("payment_method"),
        Some("pm_card_chargeDeclined")
    );
    assert_eq!(
        stripe.status(&result.payment_ref).await,
        Ok(PaymentStatus::Failed {
            reason: "generic_decline".into()
        })
    );
}

#[tokio::test]
async fn stripe_idempotent_replay() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let stripe = stripe_for(&standin, SECRET_KEY);
    let first = stripe
        .charge(charge(test_cards::SUCCESS, "same-key"))
        .await
        .expect("first");
    let second = stripe
        .charge(charge(test_cards::SUCCESS, "same-key"))
        .await
        .expect("replay");
    assert_eq!(first, second);
    let declined = stripe
        .charge(charge(test_cards::DECLINED, "declined-key"))
        .await
        .expect("decline");
    let declined_again = stripe
        .charge(charge(test_cards::DECLINED, "declined-key"))
        .await
        .expect("decline replay");
    assert_eq!(declined, declined_again);
    assert_eq!(standin.requests().len(), 4);

    // Same key, other parameters: refused.
    let mut other = charge(test_cards::SUCCESS, "same-key");
    other.amount = 1;
    let err = stripe.charge(other).await;
    assert!(
        matches!(err, Err(PaymentError::InvalidRequest(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn stripe_refund() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let stripe = stripe_for(&standin, SECRET_KEY);
    let paid = stripe
        .charge(charge(test_cards::SUCCESS, "pay"))
        .await
        .expect("charge");
    let refund = stripe
        .refund(&paid.payment_ref, 1200, "refund-1")
        .await
        .expect("refund");
    assert!(refund.refund_ref.starts_with("re_"), "{refund:?}");
    let replay = stripe
        .refund(&paid.payment_ref, 1200, "refund-1")
        .await
        .expect("replay");
    assert_eq!(refund, replay);

    let request = standin.requests().pop().expect("request");
    assert_eq!(request.path, "/v1/refunds");
    assert_eq!(request.idempotency_key.as_deref(), Some("refund-1"));
    assert_eq!(
        request.param("payment_intent"),
        Some(paid.payment_ref.as_str())
    );
    assert_eq!(request.param("amount"), Some("1200"));

    // More than is left: refused by Stripe.
    let err = stripe.refund(&paid.payment_ref, 3001, "refund-2").await;
    assert!(
        matches!(err, Err(PaymentError::InvalidRequest(_))),
        "{err:?}"
    );
    let err = stripe.refund("pi_unknown", 10, "refund-3").await;
    assert!(
        matches!(err, Err(PaymentError::InvalidRequest(_))),
        "{err:?}"
    );
    let err = stripe.refund(&paid.payment_ref, 0, "refund-4").await;
    assert!(
        matches!(err, Err(PaymentError::InvalidRequest(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn stripe_status() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let stripe = stripe_for(&standin, SECRET_KEY);
    let paid = stripe
        .charge(charge(test_cards::SUCCESS, "pay"))
        .await
        .expect("charge");
    assert_eq!(
        stripe.status(&paid.payment_ref).await,
        Ok(PaymentStatus::Succeeded)
    );
    let request = standin.requests().pop().expect("request");
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path,
        format!("/v1/payment_intents/{}", paid.payment_ref)
    );

    standin.set_intent_status(&paid.payment_ref, "processing");
    assert_eq!(
        stripe.status(&paid.payment_ref).await,
        Ok(PaymentStatus::Pending)
    );
    standin.set_intent_status(&paid.payment_ref, "canceled");
    assert_eq!(
        stripe.status(&paid.payment_ref).await,
        Ok(PaymentStatus::Failed {
            reason: "canceled".into()
        })
    );
    let unknown = stripe.status("pi_nope").await;
    assert!(
        matches!(unknown, Err(PaymentError::NotFound(_))),
        "{unknown:?}"
    );
    let sneaky = stripe.status("pi_1/../../v1/refunds").await;
    assert!(
        matches!(sneaky, Err(PaymentError::NotFound(_))),
        "{sneaky:?}"
    );
}

#[tokio::test]
async fn stripe_wrong_key_is_unauthorized() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let stripe = stripe_for(&standin, "sk_test_wrong");
    let err = stripe.charge(charge(test_cards::SUCCESS, "k")).await;
    assert!(matches!(err, Err(PaymentError::Unauthorized(_))), "{err:?}");
    let err = stripe.status("pi_x").await;
    assert!(matches!(err, Err(PaymentError::Unauthorized(_))), "{err:?}");
}

#[tokio::test]
async fn stripe_outages_are_unavailable() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let stripe = stripe_for(&standin, SECRET_KEY);
    for status in [500, 503, 429] {
        standin.fail_next(status);
        let err = stripe.charge(charge(test_cards::SUCCESS, "outage")).await;
        assert!(
            matches!(err, Err(PaymentError::Unavailable(_))),
            "{status}: {err:?}"
        );
    }
    // A 5xx is not remembered: the retry with the same key goes through.
    let ok = stripe
        .charge(charge(test_cards::SUCCESS, "outage"))
        .await
        .expect("retry");
    assert_eq!(ok.status, PaymentStatus::Succeeded);

    standin.fail_next(502);
    let err = stripe.refund(&ok.payment_ref, 1, "r").await;
    assert!(matches!(err, Err(PaymentError::Unavailable(_))), "{err:?}");
    standin.fail_next(500);
    let err = stripe.status(&ok.payment_ref).await;
    assert!(matches!(err, Err(PaymentError::Unavailable(_))), "{err:?}");
}

#[tokio::test]
async fn stripe_timeouts_and_refused_connections_are_unavailable() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let mut config =
        StripeConfig::new(SECRET_KEY, WEBHOOK_SECRET).with_base_url(standin.base_url());
    config.timeout = Duration::from_millis(200);
    let stripe = StripeProvider::new(config).expect("client");
    standin.stall(Duration::from_millis(1000));
    let started = Instant::now();
    let err = stripe.charge(charge(test_cards::SUCCESS, "slow")).await;
    assert!(matches!(err, Err(PaymentError::Unavailable(_))), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(900));

    // Nothing listens on a port that was just released.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let gone = StripeProvider::new(
        StripeConfig::new(SECRET_KEY, WEBHOOK_SECRET).with_base_url(format!("http://{addr}")),
    )
    .expect("client");
    let err = gone.status("pi_x").await;
    assert!(matches!(err, Err(PaymentError::Unavailable(_))), "{err:?}");
}

#[tokio::test]
async fn stripe_verifies_webhooks_signed_by_the_standin() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let stripe = stripe_for(&standin, SECRET_KEY);
    let mut receiver = Receiver::start(0).await;
    let paid = stripe
        .charge(charge(test_cards::SUCCESS, "pay"))
        .await
        .expect("charge");
    stripe
        .refund(&paid.payment_ref, 4200, "refund")
        .await
        .expect("refund");
    let url = format!("{}/api/v1/payments/webhooks/stripe", receiver.base_url);
    let now = now_unix();
    for kind in ["payment_intent.succeeded", "charge.refunded"] {
        let status = standin
            .send_webhook(&url, kind, &paid.payment_ref, WEBHOOK_SECRET, now)
            .await;
        assert_eq!(status, 200);
    }
    let rx = &mut receiver.rx;
    let succeeded = next_webhook(rx, Duration::from_secs(2)).await;
    assert_eq!(succeeded.provider, "stripe");
    let event = stripe
        .verify_webhook(&succeeded.headers, &succeeded.body, now_unix())
        .expect("verified");
    assert_eq!(event.kind, WebhookKind::PaymentSucceeded);
    assert_eq!(event.payment_ref, paid.payment_ref);
    assert_eq!(event.booking_id, Some(42));
    assert!(event.event_id.starts_with("evt_"));

    let refunded = next_webhook(rx, Duration::from_secs(2)).await;
    let event = stripe
        .verify_webhook(&refunded.headers, &refunded.body, now_unix())
        .expect("verified");
    assert_eq!(event.kind, WebhookKind::Refunded);
    assert_eq!(event.payment_ref, paid.payment_ref);
    assert_eq!(event.booking_id, Some(42));

    // Wrong secret, tampered body, replay long after, missing header.
    let (header, body) = standin.signed_event(
        "payment_intent.succeeded",
        &paid.payment_ref,
        "whsec_x",
        now,
    );
    let headers = headers_with(&header);
    assert_eq!(
        stripe.verify_webhook(&headers, &body, now),
        Err(WebhookError::BadSignature)
    );
    let (header, mut body) = standin.signed_event(
        "payment_intent.succeeded",
        &paid.payment_ref,
        WEBHOOK_SECRET,
        now,
    );
    let headers = headers_with(&header);
    assert!(stripe.verify_webhook(&headers, &body, now).is_ok());
    assert_eq!(
        stripe.verify_webhook(&headers, &body, now + 301),
        Err(WebhookError::StaleTimestamp)
    );
    body.push(b' ');
    assert_eq!(
        stripe.verify_webhook(&headers, &body, now),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        stripe.verify_webhook(&HeaderMap::new(), &body, now),
        Err(WebhookError::MissingSignature)
    );
}

#[tokio::test]
async fn registry_serves_both_providers() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let payments = Payments::new(vec![
        Arc::new(TestProvider::new(b"s".to_vec(), None, Duration::ZERO)),
        Arc::new(stripe_for(&standin, SECRET_KEY)),
    ]);
    assert_eq!(payments.names(), vec!["stripe", "test"]);
    let stripe = payments.get("stripe").expect("stripe");
    assert_eq!(stripe.name(), "stripe");
    let result = stripe
        .charge(charge(test_cards::SUCCESS, "dyn"))
        .await
        .expect("charge through dyn");
    assert_eq!(result.status, PaymentStatus::Succeeded);
}

// ---------------------------------------------------------- test provider

const TEST_SECRET: &[u8] = b"test-provider-webhook-secret";
const DELAY: Duration = Duration::from_millis(200);

/// One webhook request as received.
struct Received {
    provider: String,
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

#[derive(Clone)]
struct ReceiverState {
    tx: mpsc::UnboundedSender<Received>,
    failures_left: Arc<AtomicU32>,
}

/// A tiny webhook endpoint on a free port; refuses the first
/// `failures` requests with 500.
struct Receiver {
    base_url: String,
    rx: mpsc::UnboundedReceiver<Received>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let refuse = state
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    // Refused attempts are reported too, so tests can see the retries.
    let _ = state.tx.send(Received {
        provider,
        headers,
        body,
        at: Instant::now(),
    });
    if refuse {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

impl Receiver {
    async fn start(failures: u32) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let state = ReceiverState {
            tx,
            failures_left: Arc::new(AtomicU32::new(failures)),
        };
        let app = Router::new()
            .route("/api/v1/payments/webhooks/{provider}", post(receive))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver");
        });
        Receiver {
            base_url: format!("http://{addr}"),
            rx,
            server,
        }
    }
}

async fn next_webhook(rx: &mut mpsc::UnboundedReceiver<Received>, within: Duration) -> Received {
    tokio::time::timeout(within, rx.recv())
        .await
        .expect("a webhook in time")
        .expect("receiver open")
}

fn headers_with(signature_value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        signature::HEADER,
        signature_value.parse().expect("header value"),
    );
    headers
}

fn test_provider(receiver: &Receiver) -> TestProvider {
    TestProvider::new(TEST_SECRET.to_vec(), Some(receiver.base_url.clone()), DELAY)
}

#[tokio::test]
async fn test_provider_success_webhook_arrives_promptly() {
    let mut receiver = Receiver::start(0).await;
    let provider = test_provider(&receiver);
    let started = Instant::now();
    let result = provider
        .charge(charge(test_cards::SUCCESS, "ok"))
        .await
        .expect("charge");
    assert_eq!(result.status, PaymentStatus::Succeeded);

    let hook = next_webhook(&mut receiver.rx, Duration::from_secs(2)).await;
    // Prompt: no settlement delay (the bound leaves room for a slow CI).
    let waited = hook.at.duration_since(started);
    assert!(waited < Duration::from_secs(1), "not prompt: {waited:?}");
    assert_eq!(hook.provider, "test");
    assert_eq!(
        hook.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let event = provider
        .verify_webhook(&hook.headers, &hook.body, now_unix())
        .expect("verified");
    assert_eq!(event.kind, WebhookKind::PaymentSucceeded);
    assert_eq!(event.payment_ref, result.payment_ref);
    assert_eq!(event.booking_id, Some(42));

    // The body is Stripe-shaped.
    let body: serde_json::Value = serde_json::from_slice(&hook.body).expect("json");
    assert_eq!(body["type"], "payment_intent.succeeded");
    assert_eq!(body["data"]["object"]["id"], result.payment_ref.as_str());
    assert_eq!(body["data"]["object"]["metadata"]["booking_id"], "42");
    assert_eq!(body["data"]["object"]["amount"], 4200);
    assert_eq!(body["data"]["object"]["currency"], "eur");

    // Another provider's secret does not verify it.
    let stranger = TestProvider::new(b"other".to_vec(), None, DELAY);
    assert_eq!(
        stranger.verify_webhook(&hook.headers, &hook.body, now_unix()),
        Err(WebhookError::BadSignature)
    );
    // Exactly one webhook per charge; an idempotent replay sends none.
    let again = provider
        .charge(charge(test_cards::SUCCESS, "ok"))
        .await
        .expect("replay");
    assert_eq!(again, result);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), receiver.rx.recv())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn test_provider_decline_webhook() {
    let mut receiver = Receiver::start(0).await;
    let provider = test_provider(&receiver);
    let result = provider
        .charge(charge(test_cards::DECLINED, "no"))
        .await
        .expect("charge");
    let reason = "card_declined".to_string();
    assert_eq!(
        result.status,
        PaymentStatus::Failed {
            reason: reason.clone()
        }
    );
    let hook = next_webhook(&mut receiver.rx, Duration::from_secs(2)).await;
    let event = provider
        .verify_webhook(&hook.headers, &hook.body, now_unix())
        .expect("verified");
    assert_eq!(event.kind, WebhookKind::PaymentFailed { reason });
    assert_eq!(event.payment_ref, result.payment_ref);
}

#[tokio::test]
async fn test_provider_delayed_card_settles_after_the_delay() {
    let mut receiver = Receiver::start(0).await;
    let provider = test_provider(&receiver);
    let started = Instant::now();
    let result = provider
        .charge(charge(test_cards::DELAYED, "later"))
        .await
        .expect("charge");
    assert_eq!(result.status, PaymentStatus::Pending);
    assert_eq!(
        provider.status(&result.payment_ref).await,
        Ok(PaymentStatus::Pending)
    );

    let hook = next_webhook(&mut receiver.rx, Duration::from_secs(3)).await;
    let waited = hook.at.duration_since(started);
    assert!(waited >= DELAY - Duration::from_millis(20), "{waited:?}");
    let event = provider
        .verify_webhook(&hook.headers, &hook.body, now_unix())
        .expect("verified");
    assert_eq!(event.kind, WebhookKind::PaymentSucceeded);
    assert_eq!(event.payment_ref, result.payment_ref);
    assert_eq!(
        provider.status(&result.payment_ref).await,
        Ok(PaymentStatus::Succeeded)
    );

    // A restarted server (new provider, same secret) agrees.
    let restarted = TestProvider::new(TEST_SECRET.to_vec(), None, DELAY);
    assert_eq!(
        restarted.status(&result.payment_ref).await,
        Ok(PaymentStatus::Succeeded)
    );
}

#[tokio::test]
async fn test_provider_refund_webhook() {
    let mut receiver = Receiver::start(0).await;
    let provider = test_provider(&receiver);
    let result = provider
        .charge(charge(test_cards::SUCCESS, "pay"))
        .await
        .expect("charge");
    let _ = next_webhook(&mut receiver.rx, Duration::from_secs(2)).await;
    let refund = provider
        .refund(&result.payment_ref, 4200, "refund")
        .await
        .expect("refund");
    assert!(refund.refund_ref.starts_with("tre_"));
    let hook = next_webhook(&mut receiver.rx, Duration::from_secs(2)).await;
    let event = provider
        .verify_webhook(&hook.headers, &hook.body, now_unix())
        .expect("verified");
    assert_eq!(event.kind, WebhookKind::Refunded);
    assert_eq!(event.payment_ref, result.payment_ref);
    assert_eq!(event.booking_id, Some(42));
}

#[tokio::test]
async fn test_provider_retries_refused_webhooks() {
    let mut receiver = Receiver::start(2).await;
    let provider = test_provider(&receiver).with_webhook_retries(4, Duration::from_millis(50));
    provider
        .charge(charge(test_cards::SUCCESS, "retry"))
        .await
        .expect("charge");
    let mut ids = Vec::new();
    for _ in 0..3 {
        let hook = next_webhook(&mut receiver.rx, Duration::from_secs(3)).await;
        let event = provider
            .verify_webhook(&hook.headers, &hook.body, now_unix())
            .expect("verified");
        ids.push(event.event_id);
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    // Delivered on the third attempt, so no fourth.
    assert!(
        tokio::time::timeout(Duration::from_millis(400), receiver.rx.recv())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn test_provider_callback_base_can_be_set_later() {
    let mut receiver = Receiver::start(0).await;
    let provider = TestProvider::new(TEST_SECRET.to_vec(), None, DELAY);
    provider.set_callback_base(format!("{}/", receiver.base_url));
    let result = provider
        .charge(charge(test_cards::SUCCESS, "late-base"))
        .await
        .expect("charge");
    let hook = next_webhook(&mut receiver.rx, Duration::from_secs(2)).await;
    let event = provider
        .verify_webhook(&hook.headers, &hook.body, now_unix())
        .expect("verified");
    assert_eq!(event.payment_ref, result.payment_ref);
}
