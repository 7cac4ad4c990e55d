//! Turns a Stripe-shaped event body into a provider-neutral
//! [`WebhookEvent`]; both providers send and accept the same shape:
//! `{"id":"evt_…","type":"…","data":{"object":{…}}}`.
//!
//! Mapping: `payment_intent.succeeded` → [`WebhookKind::PaymentSucceeded`];
//! `payment_intent.payment_failed` → [`WebhookKind::PaymentFailed`] with
//! `last_payment_error.decline_code`, else its `code`, else
//! `"payment_failed"`; `payment_intent.canceled` →
//! [`WebhookKind::PaymentFailed`] with `"canceled"`; `charge.refunded` → [`WebhookKind::Refunded`]; any
//! other type → [`WebhookKind::Other`]. The payment reference is the
//! object's `payment_intent` when it has one (charges, refunds), otherwise
//! the object's own `id`. `booking_id` comes from `metadata.booking_id`.
//!
//! What this module deliberately does not do: check signatures (see
//! [`super::signature`], which must run first on the raw body), model
//! Stripe objects in full, or decide what the booking flow does with them.

use serde_json::Value;

use super::{WebhookError, WebhookEvent, WebhookKind};

/// Parses an event body. Call only after the signature was verified.
pub fn parse(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let event: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(format!("event is not JSON: {e}")))?;
    let event_id = string_field(&event, "id")
        .ok_or_else(|| WebhookError::Malformed("event has no id".into()))?;
    let kind_name = string_field(&event, "type")
        .ok_or_else(|| WebhookError::Malformed("event has no type".into()))?;
    let object = event
        .get("data")
        .and_then(|d| d.get("object"))
        .filter(|o| o.is_object())
        .ok_or_else(|| WebhookError::Malformed("event has no data.object".into()))?;

    let payment_ref = match object.get("payment_intent") {
        Some(Value::String(id)) => Some(id.clone()),
        Some(expanded @ Value::Object(_)) => string_field(expanded, "id"),
        _ => string_field(object, "id"),
    }
    .filter(|id| !id.is_empty())
    .ok_or_else(|| WebhookError::Malformed("event object has no id".into()))?;

    let kind = match kind_name.as_str() {
        "payment_intent.succeeded" => WebhookKind::PaymentSucceeded,
        "payment_intent.payment_failed" => {
            let error = object.get("last_payment_error");
            let reason = error
                .and_then(|e| string_field(e, "decline_code"))
                .or_else(|| error.and_then(|e| string_field(e, "code")))
                .unwrap_or_else(|| "payment_failed".to_string());
            WebhookKind::PaymentFailed { reason }
        }
        "payment_intent.canceled" => WebhookKind::PaymentFailed {
            reason: "canceled".into(),
        },
        "charge.refunded" => WebhookKind::Refunded,
        _ => WebhookKind::Other(kind_name),
    };

    let booking_id = object
        .get("metadata")
        .and_then(|m| m.get("booking_id"))
        .and_then(|b| match b {
            Value::String(s) => s.trim().parse::<i64>().ok(),
            Value::Number(n) => n.as_i64(),
            _ => None,
        });

    Ok(WebhookEvent {
        event_id,
        payment_ref,
        kind,
        booking_id,
    })
}

fn string_field(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_json(v: Value) -> Result<WebhookEvent, WebhookError> {
        parse(v.to_string().as_bytes())
    }

    #[test]
    fn payment_intent_succeeded() {
        let event = parse_json(json!({
            "id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
            "created": 1, "data": {"object": {"id": "pi_1", "object": "payment_intent",
            "status": "succeeded", "metadata": {"booking_id": "42"}}}
        }));
        assert_eq!(
            event,
            Ok(WebhookEvent {
                event_id: "evt_1".into(),
                payment_ref: "pi_1".into(),
                kind: WebhookKind::PaymentSucceeded,
                booking_id: Some(42),
            })
        );
    }

    #[test]
    fn payment_failed_reason() {
        let event = parse_json(json!({
            "id": "evt_2", "type": "payment_intent.payment_failed",
            "data": {"object": {"id": "pi_2", "metadata": {},
            "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds"}}}
        }))
        .unwrap();
        assert_eq!(
            event.kind,
            WebhookKind::PaymentFailed {
                reason: "insufficient_funds".into()
            }
        );
        assert_eq!(event.booking_id, None);

        let event = parse_json(json!({
            "id": "evt_3", "type": "payment_intent.payment_failed",
            "data": {"object": {"id": "pi_3", "last_payment_error": {"code": "card_declined"}}}
        }))
        .unwrap();
        assert_eq!(
            event.kind,
            WebhookKind::PaymentFailed {
                reason: "card_declined".into()
            }
        );

        let event = parse_json(json!({
            "id": "evt_4", "type": "payment_intent.payment_failed",
            "data": {"object": {"id": "pi_4"}}
        }))
        .unwrap();
        assert_eq!(
            event.kind,
            WebhookKind::PaymentFailed {
                reason: "payment_failed".into()
            }
        );

        let event = parse_json(json!({
            "id": "evt_4b", "type": "payment_intent.canceled",
            "data": {"object": {"id": "pi_4b", "status": "canceled"}}
        }))
        .unwrap();
        assert_eq!(
            event.kind,
            WebhookKind::PaymentFailed {
                reason: "canceled".into()
            }
        );
    }

    #[test]
    fn charge_refunded_points_at_its_payment_intent() {
        let event = parse_json(json!({
            "id": "evt_5", "type": "charge.refunded",
            "data": {"object": {"id": "ch_5", "object": "charge", "payment_intent": "pi_5",
            "metadata": {"booking_id": 9}}}
        }))
        .unwrap();
        assert_eq!(event.payment_ref, "pi_5");
        assert_eq!(event.kind, WebhookKind::Refunded);
        assert_eq!(event.booking_id, Some(9));

        let event = parse_json(json!({
            "id": "evt_6", "type": "charge.refunded",
            "data": {"object": {"id": "ch_6", "payment_intent": {"id": "pi_6"}}}
        }))
        .unwrap();
        assert_eq!(event.payment_ref, "pi_6");

        let event = parse_json(json!({
            "id": "evt_7", "type": "charge.refunded",
            "data": {"object": {"id": "ch_7", "payment_intent": null}}
        }))
        .unwrap();
        assert_eq!(event.payment_ref, "ch_7");
    }

    #[test]
    fn other_types_pass_through() {
        let event = parse_json(json!({
            "id": "evt_8", "type": "payment_intent.created",
            "data": {"object": {"id": "pi_8", "metadata": {"booking_id": "not a number"}}}
        }))
        .unwrap();
        assert_eq!(
            event.kind,
            WebhookKind::Other("payment_intent.created".into())
        );
        assert_eq!(event.booking_id, None);
    }

    #[test]
    fn malformed_events() {
        for body in [
            "not json".to_string(),
            json!([]).to_string(),
            json!({"type": "x", "data": {"object": {"id": "pi"}}}).to_string(),
            json!({"id": "evt", "data": {"object": {"id": "pi"}}}).to_string(),
            json!({"id": "evt", "type": "x"}).to_string(),
            json!({"id": "evt", "type": "x", "data": {"object": "pi"}}).to_string(),
            json!({"id": "evt", "type": "x", "data": {"object": {}}}).to_string(),
            json!({"id": "", "type": "x", "data": {"object": {"id": "pi"}}}).to_string(),
        ] {
            assert!(
                matches!(parse(body.as_bytes()), Err(WebhookError::Malformed(_))),
                "{body}"
            );
        }
    }
}
