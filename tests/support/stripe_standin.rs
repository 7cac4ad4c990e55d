//! A local stand-in for the subset of Stripe's HTTP API the payments module
//! uses, so `StripeProvider` can be tested without the network.
//!
//! It speaks: `POST /v1/payment_intents` (form-encoded, `confirm=true`,
//! Stripe's test payment methods `pm_card_visa`, `pm_card_chargeDeclined`
//! (→ HTTP 402 `card_error`) and `pm_card_authenticationRequired`
//! (→ `requires_action`)), `GET /v1/payment_intents/{id}` (404 if unknown),
//! `POST /v1/refunds`. It checks `Authorization: Bearer <key>` (401 with
//! Stripe's error JSON otherwise), replays the first answer for a reused
//! `Idempotency-Key` (400 `idempotency_error` if the parameters differ),
//! records every request, can be told to fail or stall, and signs webhooks
//! with its own HMAC code (independent of the module under test).
//!
//! For pages it also stands in for Stripe.js: `GET /v3/` serves a script
//! (`stripe_js_standin.js`) with the part of Stripe.js's interface the
//! checkout uses (`Stripe(key)`, `elements({mode: "payment", …})`,
//! `create("payment").mount(…)`, `elements.submit()`,
//! `createConfirmationToken({elements})`, `handleNextAction({clientSecret})`).
//! Its card field is a plain input in the page rather than Stripe's frame.
//! The script calls, with the publishable key as the `key` form field as
//! Stripe.js does: `POST /v1/confirmation_tokens` (a test card number →
//! `ctoken_…`, an unknown number → 402 `incorrect_number`), and, standing in
//! for the 3-D Secure challenge Stripe shows in test mode (its "Complete" and
//! "Fail" buttons), `POST /v1/payment_intents/{id}/standin_authenticate`.
//! A `confirmation_token` in `POST /v1/payment_intents` is the test payment
//! method its card number maps to; every intent carries a `client_secret`.
//! Answers allow any origin, as Stripe's API does for publishable-key calls.
//!
//! It does not model anything else of Stripe: no customers, charges list,
//! captures, expansions, pagination or API versions.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// One request as the stand-in saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub content_type: Option<String>,
    /// The decoded form body, in order.
    pub form: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The first value of a form parameter.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

struct Stored {
    fingerprint: String,
    status: StatusCode,
    body: Value,
}

#[derive(Default)]
struct Inner {
    secret_key: String,
    publishable_key: String,
    intents: HashMap<String, Value>,
    /// ConfirmationToken → the test PaymentMethod of the card it was made from.
    tokens: HashMap<String, String>,
    refunded: HashMap<String, i64>,
    idempotency: HashMap<String, Stored>,
    requests: Vec<RecordedRequest>,
    fail_next: VecDeque<u16>,
    stall: Duration,
    counter: u64,
}

impl Inner {
    fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}_standin{:08}", self.counter)
    }
}

type Shared = Arc<Mutex<Inner>>;

/// The running stand-in; the server stops when this is dropped.
pub struct StripeStandin {
    base_url: String,
    inner: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for StripeStandin {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn error_body(kind: &str, code: Option<&str>, message: &str) -> Value {
    let mut error = json!({ "type": kind, "message": message });
    if let Some(code) = code {
        error["code"] = json!(code);
    }
    json!({ "error": error })
}

/// Independent `application/x-www-form-urlencoded` decoding.
fn decode_form(body: &[u8]) -> Vec<(String, String)> {
    fn unescape(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

fn respond(status: StatusCode, body: Value, replayed: bool) -> Response {
    let mut response = (status, Json(body)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert("Idempotent-Replayed", "true".parse().expect("header value"));
    }
    response.headers_mut().insert(
        "Access-Control-Allow-Origin",
        "*".parse().expect("header value"),
    );
    response
}

/// The stand-in for Stripe.js, served at `/v3/`.
const STRIPE_JS: &str = include_str!("stripe_js_standin.js");

/// Stripe's test card numbers and the test PaymentMethods they stand for.
fn test_card(number: &str) -> Option<&'static str> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    match digits.as_str() {
        "4242424242424242" => Some("pm_card_visa"),
        "4000000000000002" => Some("pm_card_chargeDeclined"),
        "4000002500003155" => Some("pm_card_authenticationRequired"),
        _ => None,
    }
}

/// What Stripe.js asks with the publishable key: confirmation tokens and the 3-D Secure step.
fn publishable(state: &mut Inner, path: &str, form: &[(String, String)]) -> (StatusCode, Value) {
    if param(form, "key") != Some(state.publishable_key.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            error_body(
                "invalid_request_error",
                None,
                "Invalid API Key provided: pk_****",
            ),
        );
    }
    if path == "/v1/confirmation_tokens" {
        let number = param(form, "payment_method_data[card][number]").unwrap_or("");
        let Some(method) = test_card(number) else {
            return (
                StatusCode::PAYMENT_REQUIRED,
                error_body(
                    "card_error",
                    Some("incorrect_number"),
                    "Your card number is incorrect.",
                ),
            );
        };
        let id = state.next_id("ctoken");
        state.tokens.insert(id.clone(), method.to_string());
        let last4: String = number
            .chars()
            .filter(char::is_ascii_digit)
            .rev()
            .take(4)
            .collect();
        return (
            StatusCode::OK,
            json!({
                "id": id,
                "object": "confirmation_token",
                "livemode": false,
                "payment_method_preview": {
                    "type": "card",
                    "card": { "last4": last4.chars().rev().collect::<String>() },
                },
            }),
        );
    }
    let id = path
        .strip_prefix("/v1/payment_intents/")
        .and_then(|rest| rest.strip_suffix("/standin_authenticate"))
        .unwrap_or("");
    let Some(intent) = state.intents.get_mut(id) else {
        return (
            StatusCode::NOT_FOUND,
            error_body(
                "invalid_request_error",
                Some("resource_missing"),
                &format!("No such payment_intent: '{id}'"),
            ),
        );
    };
    if param(form, "client_secret") != intent["client_secret"].as_str()
        || intent["status"] != "requires_action"
    {
        return (
            StatusCode::BAD_REQUEST,
            error_body(
                "invalid_request_error",
                Some("payment_intent_unexpected_state"),
                "This PaymentIntent does not await an action with that client secret.",
            ),
        );
    }
    if param(form, "outcome") == Some("complete") {
        intent["status"] = json!("succeeded");
    } else {
        intent["status"] = json!("requires_payment_method");
        intent["last_payment_error"] = json!({
            "type": "card_error",
            "code": "payment_intent_authentication_failure",
            "message": "We are unable to authenticate your payment method.",
        });
    }
    (StatusCode::OK, intent.clone())
}

async fn handle(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let form = decode_form(&body);
    let path = uri.path().to_string();
    let stall = {
        let mut state = inner.lock().expect("stand-in state");
        state.requests.push(RecordedRequest {
            method: method.to_string(),
            path: path.clone(),
            authorization: header("authorization"),
            idempotency_key: header("idempotency-key"),
            content_type: header("content-type"),
            form: form.clone(),
        });
        state.stall
    };
    if !stall.is_zero() {
        tokio::time::sleep(stall).await;
    }

    let mut state = inner.lock().expect("stand-in state");
    if method == Method::GET && path == "/v3/" {
        return (
            [(axum::http::header::CONTENT_TYPE, "text/javascript")],
            STRIPE_JS,
        )
            .into_response();
    }
    if method == Method::POST
        && (path == "/v1/confirmation_tokens" || path.ends_with("/standin_authenticate"))
    {
        let (status, body) = publishable(&mut state, &path, &form);
        return respond(status, body, false);
    }
    if let Some(status) = state.fail_next.pop_front() {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return respond(
            status,
            error_body("api_error", None, "Something went wrong on Stripe's end."),
            false,
        );
    }
    let expected = format!("Bearer {}", state.secret_key);
    if header("authorization").as_deref() != Some(expected.as_str()) {
        return respond(
            StatusCode::UNAUTHORIZED,
            error_body(
                "invalid_request_error",
                None,
                "Invalid API Key provided: sk_****",
            ),
            false,
        );
    }

    let key = if method == Method::POST {
        header("idempotency-key")
    } else {
        None
    };
    let fingerprint = format!("{method} {path} {}", String::from_utf8_lossy(&body));
    if let Some(key) = &key {
        if let Some(stored) = state.idempotency.get(key) {
            if stored.fingerprint != fingerprint {
                return respond(
                    StatusCode::BAD_REQUEST,
                    error_body(
                        "idempotency_error",
                        None,
                        "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    ),
                    false,
                );
            }
            return respond(stored.status, stored.body.clone(), true);
        }
    }

    let (status, answer) = match (&method, path.as_str()) {
        (&Method::POST, "/v1/payment_intents") => create_intent(&mut state, &form),
        (&Method::GET, p) if p.starts_with("/v1/payment_intents/") => {
            let id = &p["/v1/payment_intents/".len()..];
            match state.intents.get(id) {
                Some(intent) => (StatusCode::OK, intent.clone()),
                None => (
                    StatusCode::NOT_FOUND,
                    error_body(
                        "invalid_request_error",
                        Some("resource_missing"),
                        &format!("No such payment_intent: '{id}'"),
                    ),
                ),
            }
        }
        (&Method::POST, "/v1/refunds") => create_refund(&mut state, &form),
        _ => (
            StatusCode::NOT_FOUND,
            error_body(
                "invalid_request_error",
                None,
                &format!("Unrecognized request URL ({method}: {path})."),
            ),
        ),
    };
    if let Some(key) = key {
        if status.is_success() || status == StatusCode::PAYMENT_REQUIRED {
            state.idempotency.insert(
                key,
                Stored {
                    fingerprint,
                    status,
                    body: answer.clone(),
                },
            );
        }
    }
    respond(status, answer, false)
}

fn param<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn missing(name: &str) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        error_body(
            "invalid_request_error",
            Some("parameter_missing"),
            &format!("Missing required param: {name}."),
        ),
    )
}

fn create_intent(state: &mut Inner, form: &[(String, String)]) -> (StatusCode, Value) {
    let Some(amount) = param(form, "amount").and_then(|a| a.parse::<i64>().ok()) else {
        return missing("amount");
    };
    let Some(currency) = param(form, "currency") else {
        return missing("currency");
    };
    let mut metadata = serde_json::Map::new();
    for (key, value) in form {
        if let Some(name) = key
            .strip_prefix("metadata[")
            .and_then(|k| k.strip_suffix(']'))
        {
            metadata.insert(name.to_string(), json!(value));
        }
    }
    let token = param(form, "confirmation_token");
    let payment_method = match token {
        None => param(form, "payment_method").map(str::to_string),
        Some(token) => match state.tokens.get(token) {
            Some(method) => Some(method.clone()),
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    error_body(
                        "invalid_request_error",
                        Some("resource_missing"),
                        &format!("No such confirmationtoken: '{token}'"),
                    ),
                )
            }
        },
    };
    let payment_method = payment_method.as_deref();
    let confirm = param(form, "confirm") == Some("true");
    let id = state.next_id("pi");
    let client_secret = format!("{id}_secret_standin{}", state.counter);
    let mut intent = json!({
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "currency": currency,
        "status": "requires_payment_method",
        "client_secret": client_secret,
        "payment_method": payment_method,
        "last_payment_error": null,
        "metadata": metadata,
        "livemode": false,
    });
    let mut decline = None;
    match (payment_method, confirm) {
        (None, _) => {}
        (Some(_), false) => intent["status"] = json!("requires_confirmation"),
        (Some("pm_card_visa"), true) => intent["status"] = json!("succeeded"),
        (Some("pm_card_authenticationRequired"), true) => {
            intent["status"] = json!("requires_action")
        }
        (Some("pm_card_chargeDeclined"), true) => {
            let error = json!({
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
            });
            intent["last_payment_error"] = error.clone();
            decline = Some(error);
        }
        (Some(other), true) => {
            return (
                StatusCode::BAD_REQUEST,
                error_body(
                    "invalid_request_error",
                    Some("resource_missing"),
                    &format!("No such PaymentMethod: '{other}'"),
                ),
            );
        }
    }
    state.intents.insert(id, intent.clone());
    match decline {
        Some(mut error) => {
            error["payment_intent"] = intent;
            (StatusCode::PAYMENT_REQUIRED, json!({ "error": error }))
        }
        None => (StatusCode::OK, intent),
    }
}

fn create_refund(state: &mut Inner, form: &[(String, String)]) -> (StatusCode, Value) {
    let Some(intent_id) = param(form, "payment_intent") else {
        return missing("payment_intent");
    };
    let Some(intent) = state.intents.get(intent_id).cloned() else {
        return (
            StatusCode::BAD_REQUEST,
            error_body(
                "invalid_request_error",
                Some("resource_missing"),
                &format!("No such payment_intent: '{intent_id}'"),
            ),
        );
    };
    if intent["status"] != "succeeded" {
        return (
            StatusCode::BAD_REQUEST,
            error_body(
                "invalid_request_error",
                Some("charge_not_refundable"),
                "This PaymentIntent has no successful charge to refund.",
            ),
        );
    }
    let total = intent["amount"].as_i64().unwrap_or(0);
    let already = state.refunded.get(intent_id).copied().unwrap_or(0);
    let amount = match param(form, "amount") {
        Some(a) => match a.parse::<i64>() {
            Ok(a) if a > 0 => a,
            _ => {
                return (
                    StatusCode::BAD_REQUEST,
                    error_body(
                        "invalid_request_error",
                        Some("parameter_invalid_integer"),
                        "Invalid positive integer",
                    ),
                )
            }
        },
        None => total - already,
    };
    if already + amount > total {
        return (
            StatusCode::BAD_REQUEST,
            error_body(
                "invalid_request_error",
                Some("charge_already_refunded"),
                "Refund amount is greater than unrefunded amount on charge.",
            ),
        );
    }
    state
        .refunded
        .insert(intent_id.to_string(), already + amount);
    let id = state.next_id("re");
    (
        StatusCode::OK,
        json!({
            "id": id,
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent_id,
            "status": "succeeded",
            "metadata": {},
        }),
    )
}

fn publishable_key(secret_key: &str) -> String {
    match secret_key.strip_prefix("sk_") {
        Some(rest) => format!("pk_{rest}"),
        None => format!("pk_{secret_key}"),
    }
}

impl StripeStandin {
    /// Starts on 127.0.0.1 on a free port, accepting `secret_key`.
    pub async fn start(secret_key: &str) -> Self {
        let inner: Shared = Arc::new(Mutex::new(Inner {
            secret_key: secret_key.to_string(),
            publishable_key: publishable_key(secret_key),
            ..Inner::default()
        }));
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the stand-in");
        let addr = listener.local_addr().expect("stand-in address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("stand-in server");
        });
        StripeStandin {
            base_url: format!("http://{addr}"),
            inner,
            server,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The publishable key Stripe.js calls with: `sk_test_x` → `pk_test_x`.
    pub fn publishable_key(&self) -> String {
        self.inner
            .lock()
            .expect("stand-in state")
            .publishable_key
            .clone()
    }

    /// Where pages load the stand-in Stripe.js from.
    pub fn js_url(&self) -> String {
        format!("{}/v3/", self.base_url)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.lock().expect("stand-in state").requests.clone()
    }

    /// The next request is answered with `status` and an `api_error`.
    pub fn fail_next(&self, status: u16) {
        self.inner
            .lock()
            .expect("stand-in state")
            .fail_next
            .push_back(status);
    }

    /// Every request waits this long before being answered.
    pub fn stall(&self, wait: Duration) {
        self.inner.lock().expect("stand-in state").stall = wait;
    }

    /// Changes a stored PaymentIntent's status, as Stripe would over time.
    pub fn set_intent_status(&self, id: &str, status: &str) {
        let mut state = self.inner.lock().expect("stand-in state");
        let intent = state.intents.get_mut(id).expect("known PaymentIntent");
        intent["status"] = json!(status);
    }

    /// A Stripe event about a stored PaymentIntent, signed with
    /// `webhook_secret` at `t`: returns the `Stripe-Signature` value and the
    /// body. `charge.refunded` carries a charge pointing at the intent.
    pub fn signed_event(
        &self,
        kind: &str,
        intent_id: &str,
        webhook_secret: &str,
        t: i64,
    ) -> (String, Vec<u8>) {
        let (event_id, object) = {
            let mut state = self.inner.lock().expect("stand-in state");
            let intent = state
                .intents
                .get(intent_id)
                .cloned()
                .expect("known PaymentIntent");
            let object = if kind.starts_with("charge.") {
                let charge_id = state.next_id("ch");
                json!({
                    "id": charge_id,
                    "object": "charge",
                    "amount": intent["amount"],
                    "amount_refunded": state.refunded.get(intent_id).copied().unwrap_or(0),
                    "currency": intent["currency"],
                    "payment_intent": intent_id,
                    "refunded": true,
                    "metadata": intent["metadata"],
                })
            } else {
                intent
            };
            (state.next_id("evt"), object)
        };
        let body = json!({
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": t,
            "livemode": false,
            "type": kind,
            "data": { "object": object },
        })
        .to_string()
        .into_bytes();
        let mut mac = Hmac::<Sha256>::new_from_slice(webhook_secret.as_bytes()).expect("HMAC key");
        mac.update(format!("{t}.").as_bytes());
        mac.update(&body);
        let v1 = hex::encode(mac.finalize().into_bytes());
        // A v0 entry, as Stripe sends in test mode, must be ignored.
        let header = format!("t={t},v1={v1},v0={}", "0".repeat(64));
        (header, body)
    }

    /// POSTs a signed event to `url` like Stripe's webhook delivery;
    /// returns the receiver's HTTP status.
    pub async fn send_webhook(
        &self,
        url: &str,
        kind: &str,
        intent_id: &str,
        webhook_secret: &str,
        t: i64,
    ) -> u16 {
        let (header, body) = self.signed_event(kind, intent_id, webhook_secret, t);
        reqwest::Client::new()
            .post(url)
            .header("Stripe-Signature", header)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body)
            .send()
            .await
            .expect("webhook POST")
            .status()
            .as_u16()
    }
}

#[cfg(test)]
mod tests {
    use super::decode_form;

    #[test]
    fn decodes_forms() {
        assert_eq!(
            decode_form(b"a=1&metadata%5Bbooking_id%5D=42&s=x+y%26z&e=&bad=%zz"),
            vec![
                ("a".into(), "1".into()),
                ("metadata[booking_id]".into(), "42".into()),
                ("s".into(), "x y&z".into()),
                ("e".into(), "".into()),
                ("bad".into(), "%zz".into()),
            ]
        );
    }
}
