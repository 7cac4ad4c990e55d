//! Webhook signatures in Stripe's scheme, shared by both providers.
//!
//! The header is `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`,
//! where each `v1` is HMAC-SHA256, keyed with the endpoint secret (the whole
//! `whsec_…` string as bytes for Stripe), over `"{t}.{raw body}"`. Several
//! `v1` entries may appear (during secret rotation); one match is enough.
//! Entries of other schemes (`v0`, …) are ignored. The timestamp must lie
//! within [`TOLERANCE_SECS`] of the receiver's clock, in either direction,
//! which limits replays of captured requests.
//!
//! What this module deliberately does not do: parse the body (see
//! [`super::event`]), remember event ids to reject exact replays inside the
//! tolerance window (the webhook handler deduplicates on the event id), or
//! support more than one secret per call.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{WebhookError, WebhookHeaders};

/// The header carrying the signature.
pub const HEADER: &str = "Stripe-Signature";

/// How far the signed timestamp may be from now, in seconds, either way.
pub const TOLERANCE_SECS: i64 = 300;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 keyed with `secret`.
pub(crate) fn keyed_mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed first), so this
    // cannot fail.
    HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

fn mac_over(secret: &[u8], t: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = keyed_mac(secret);
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The full `Stripe-Signature` header value for `body` signed at `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    let tag = mac_over(secret, t, body).finalize().into_bytes();
    format!("t={t},v1={}", hex::encode(tag))
}

/// The parts of a signature header this scheme uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedHeader {
    pub timestamp: i64,
    /// The `v1` signatures, still hex-encoded.
    pub v1: Vec<String>,
}

/// Splits a header value into its timestamp and `v1` signatures.
pub fn parse_header(value: &str) -> Result<ParsedHeader, WebhookError> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in value.split(',') {
        // Items that are not `key=value` belong to no scheme we know.
        let Some((key, val)) = item.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(WebhookError::Malformed(
                        "signature header has more than one timestamp".into(),
                    ));
                }
                let t = val.parse::<i64>().map_err(|_| {
                    WebhookError::Malformed(format!("signature timestamp is not a number: {val:?}"))
                })?;
                timestamp = Some(t);
            }
            "v1" => v1.push(val.to_string()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return Err(WebhookError::Malformed(
            "signature header has no timestamp".into(),
        ));
    };
    Ok(ParsedHeader { timestamp, v1 })
}

/// Verifies a header value against `body`; returns the signed timestamp.
///
/// The signature is checked before the timestamp, so a forged request never
/// learns whether its timestamp would have been accepted.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now_unix: i64,
) -> Result<i64, WebhookError> {
    verify_with_tolerance(secret, header, body, now_unix, TOLERANCE_SECS)
}

/// [`verify`] with another tolerance, in seconds.
pub fn verify_with_tolerance(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<i64, WebhookError> {
    let parsed = parse_header(header)?;
    if parsed.v1.is_empty() {
        return Err(WebhookError::BadSignature);
    }
    let expected = mac_over(secret, parsed.timestamp, body);
    let matched = parsed.v1.iter().any(|candidate| {
        // Compared in constant time by `verify_slice`; a candidate that is
        // not hex cannot match.
        hex::decode(candidate).is_ok_and(|tag| expected.clone().verify_slice(&tag).is_ok())
    });
    if !matched {
        return Err(WebhookError::BadSignature);
    }
    if now_unix.abs_diff(parsed.timestamp) > tolerance_secs.unsigned_abs() {
        return Err(WebhookError::StaleTimestamp);
    }
    Ok(parsed.timestamp)
}

/// Verifies the `Stripe-Signature` header of a request.
pub fn verify_headers(
    secret: &[u8],
    headers: &dyn WebhookHeaders,
    body: &[u8],
    now_unix: i64,
) -> Result<i64, WebhookError> {
    let value = headers
        .header(HEADER)
        .ok_or(WebhookError::MissingSignature)?;
    // Visible ASCII (and tabs) only, as HTTP header values are read as text.
    let value = value
        .iter()
        .all(|&b| b == b'\t' || (32..127).contains(&b))
        .then(|| std::str::from_utf8(value).ok())
        .flatten()
        .ok_or_else(|| WebhookError::Malformed("signature header is not ASCII".into()))?;
    verify(secret, value, body, now_unix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::HeaderList;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    const T: i64 = 1_700_000_000;

    #[test]
    fn round_trip() {
        let header = sign(SECRET, T, BODY);
        assert!(header.starts_with(&format!("t={T},v1=")));
        assert_eq!(verify(SECRET, &header, BODY, T), Ok(T));
    }

    #[test]
    fn known_vector() {
        // HMAC-SHA256("key", "1.{}") computed independently.
        let header = sign(b"key", 1, b"{}");
        let tag = hex::encode(
            HmacSha256::new_from_slice(b"key")
                .unwrap()
                .chain_update(b"1.{}")
                .finalize()
                .into_bytes(),
        );
        assert_eq!(header, format!("t=1,v1={tag}"));
    }

    #[test]
    fn tampered_body_fails() {
        let header = sign(SECRET, T, BODY);
        let mut body = BODY.to_vec();
        body[5] ^= 1;
        assert_eq!(
            verify(SECRET, &header, &body, T),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn wrong_secret_fails() {
        let header = sign(b"whsec_other", T, BODY);
        assert_eq!(
            verify(SECRET, &header, BODY, T),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn changed_timestamp_fails() {
        let header = sign(SECRET, T, BODY).replace(&format!("t={T}"), &format!("t={}", T + 1));
        assert_eq!(
            verify(SECRET, &header, BODY, T),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn stale_and_future_timestamps_fail() {
        let header = sign(SECRET, T, BODY);
        assert_eq!(verify(SECRET, &header, BODY, T + 300), Ok(T));
        assert_eq!(verify(SECRET, &header, BODY, T - 300), Ok(T));
        assert_eq!(
            verify(SECRET, &header, BODY, T + 301),
            Err(WebhookError::StaleTimestamp)
        );
        assert_eq!(
            verify(SECRET, &header, BODY, T - 301),
            Err(WebhookError::StaleTimestamp)
        );
        assert_eq!(
            verify(SECRET, &header, BODY, i64::MIN),
            Err(WebhookError::StaleTimestamp)
        );
    }

    #[test]
    fn any_of_several_v1_entries_may_match() {
        let good = sign(SECRET, T, BODY);
        let good_sig = good.split_once(",v1=").map(|(_, s)| s).unwrap();
        let other = sign(b"whsec_old", T, BODY);
        let other_sig = other.split_once(",v1=").map(|(_, s)| s).unwrap();
        let header = format!("t={T},v1={other_sig},v0=abcdef,v1=zz-not-hex,v1={good_sig}");
        assert_eq!(verify(SECRET, &header, BODY, T), Ok(T));
        // Order does not matter, spaces after commas are tolerated.
        let header = format!("t={T}, v1={good_sig}, v1={other_sig}");
        assert_eq!(verify(SECRET, &header, BODY, T), Ok(T));
        // Only wrong ones: rejected.
        let header = format!("t={T},v1={other_sig},v0={good_sig}");
        assert_eq!(
            verify(SECRET, &header, BODY, T),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn malformed_headers_fail() {
        let sig = "a".repeat(64);
        for header in [
            String::new(),
            "garbage".to_string(),
            format!("v1={sig}"),
            format!("t=soon,v1={sig}"),
            format!("t={T},t={T},v1={sig}"),
        ] {
            assert!(
                matches!(
                    verify(SECRET, &header, BODY, T),
                    Err(WebhookError::Malformed(_))
                ),
                "{header:?}"
            );
        }
        // Empty and unknown items are skipped.
        assert_eq!(
            verify(SECRET, &format!("t={T},,junk,v1={sig}"), BODY, T),
            Err(WebhookError::BadSignature)
        );
        // Well-formed but no v1 at all.
        assert_eq!(
            verify(SECRET, &format!("t={T},v0={sig}"), BODY, T),
            Err(WebhookError::BadSignature)
        );
        // Truncated signature.
        let short = &sign(SECRET, T, BODY)[..40];
        assert_eq!(
            verify(SECRET, short, BODY, T),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn headers_variant() {
        let mut headers = HeaderList::new();
        assert_eq!(
            verify_headers(SECRET, &headers, BODY, T),
            Err(WebhookError::MissingSignature)
        );
        headers.insert("stripe-signature", sign(SECRET, T, BODY));
        assert_eq!(verify_headers(SECRET, &headers, BODY, T), Ok(T));
        headers.insert("stripe-signature", &b"t=\xff"[..]);
        assert!(matches!(
            verify_headers(SECRET, &headers, BODY, T),
            Err(WebhookError::Malformed(_))
        ));
    }

    proptest! {
        #[test]
        fn sign_then_verify_round_trips(
            secret in proptest::collection::vec(any::<u8>(), 0..100),
            t in 0i64..4_000_000_000,
            body in proptest::collection::vec(any::<u8>(), 0..512),
            skew in -300i64..=300,
        ) {
            let header = sign(&secret, t, &body);
            prop_assert_eq!(verify(&secret, &header, &body, t + skew), Ok(t));
        }

        #[test]
        fn any_single_byte_change_fails(
            secret in proptest::collection::vec(any::<u8>(), 1..64),
            body in proptest::collection::vec(any::<u8>(), 1..512),
            index in any::<proptest::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let header = sign(&secret, T, &body);
            let mut tampered = body.clone();
            let i = index.index(tampered.len());
            tampered[i] ^= flip;
            prop_assert_eq!(
                verify(&secret, &header, &tampered, T),
                Err(WebhookError::BadSignature)
            );
        }
    }
}
