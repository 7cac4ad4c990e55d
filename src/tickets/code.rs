//! The ticket code: a compact binary payload signed with Ed25519, written in base32.
//!
//! Layout (version 1), before the signature:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version (`1`) |
//! | 1–5 | key id (LEB128): which published key signed it |
//! | 1–10 | ticket id (LEB128) |
//! | 1–10 | show id (LEB128) |
//! | 1–10 | seat id (LEB128): a numbered seat or one standing place |
//! | 4 | valid from, unix seconds, big-endian |
//! | 4 | valid until, unix seconds, big-endian |
//!
//! followed by the 64-byte signature over `DOMAIN || payload`. The whole is written in RFC 4648
//! base32 without padding, upper case: every character is in the QR code's alphanumeric set,
//! which packs 5.5 bits per character instead of byte mode's 8, so the QR code is a version
//! smaller than base64url would make it. With ids below 2 million a code is at most 83 bytes, 133
//! characters: a version 6 QR code at error correction level M.
//!
//! Decoding is strict: one encoding per byte string (upper case, zero padding bits, shortest
//! varints, no trailing bytes), so a code cannot be rewritten into another string that still
//! verifies.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey, SIGNATURE_LENGTH};

/// Format version written as the first byte.
pub const VERSION: u8 = 1;

/// Prefixed to the payload before signing, so a ticket signature can never be replayed as a
/// signature of anything else made with the same key.
pub const DOMAIN: &[u8] = b"boxoffice-ticket-v1:";

/// What a ticket code says. Times are unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketClaims {
    pub key_id: u32,
    pub ticket_id: u64,
    pub show_id: u64,
    pub seat_id: u64,
    pub valid_from: u32,
    pub valid_until: u32,
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not base32, wrong length, unknown version or a field that does not parse.
    #[error("the ticket code is malformed")]
    Malformed,
    /// The key id names no published key.
    #[error("the ticket code was signed by an unknown key")]
    UnknownKey,
    /// The signature does not match the payload (forged or altered).
    #[error("the ticket code's signature is not valid")]
    BadSignature,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads a shortest-form LEB128 varint; overlong or overflowing forms are malformed.
fn get_varint(bytes: &[u8], at: &mut usize) -> Result<u64, CodeError> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let byte = *bytes.get(*at).ok_or(CodeError::Malformed)?;
        *at += 1;
        let bits = u64::from(byte & 0x7f);
        if i == 9 && bits > 1 {
            return Err(CodeError::Malformed);
        }
        v |= bits << (7 * i);
        if byte & 0x80 == 0 {
            // A last byte of zero (after the first) means the writer could have stopped earlier.
            if i > 0 && byte == 0 {
                return Err(CodeError::Malformed);
            }
            return Ok(v);
        }
    }
    Err(CodeError::Malformed)
}

fn get_u32(bytes: &[u8], at: &mut usize) -> Result<u32, CodeError> {
    let slice = bytes.get(*at..*at + 4).ok_or(CodeError::Malformed)?;
    *at += 4;
    let mut raw = [0u8; 4];
    raw.copy_from_slice(slice);
    Ok(u32::from_be_bytes(raw))
}

impl TicketClaims {
    /// The unsigned payload.
    pub fn payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(40);
        out.push(VERSION);
        put_varint(&mut out, u64::from(self.key_id));
        put_varint(&mut out, self.ticket_id);
        put_varint(&mut out, self.show_id);
        put_varint(&mut out, self.seat_id);
        out.extend_from_slice(&self.valid_from.to_be_bytes());
        out.extend_from_slice(&self.valid_until.to_be_bytes());
        out
    }

    fn parse_payload(bytes: &[u8]) -> Result<Self, CodeError> {
        if bytes.first() != Some(&VERSION) {
            return Err(CodeError::Malformed);
        }
        let mut at = 1;
        let key_id =
            u32::try_from(get_varint(bytes, &mut at)?).map_err(|_| CodeError::Malformed)?;
        let ticket_id = get_varint(bytes, &mut at)?;
        let show_id = get_varint(bytes, &mut at)?;
        let seat_id = get_varint(bytes, &mut at)?;
        let valid_from = get_u32(bytes, &mut at)?;
        let valid_until = get_u32(bytes, &mut at)?;
        if at != bytes.len() {
            return Err(CodeError::Malformed);
        }
        Ok(Self {
            key_id,
            ticket_id,
            show_id,
            seat_id,
            valid_from,
            valid_until,
        })
    }

    /// Whether the ticket may be used at `at` (unix seconds).
    pub fn valid_at(&self, at: u32) -> bool {
        self.valid_from <= at && at <= self.valid_until
    }
}

fn signed_message(payload: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(DOMAIN.len() + payload.len());
    msg.extend_from_slice(DOMAIN);
    msg.extend_from_slice(payload);
    msg
}

/// Signs the claims with `key` (whose id must be `claims.key_id`) and writes the code.
pub fn sign(claims: &TicketClaims, key: &SigningKey) -> String {
    let payload = claims.payload();
    let signature = key.sign(&signed_message(&payload));
    let mut bytes = payload;
    bytes.extend_from_slice(&signature.to_bytes());
    base32_encode(&bytes)
}

/// A code split into its claims and signature, not yet verified.
#[derive(Debug, Clone)]
pub struct ParsedCode {
    pub claims: TicketClaims,
    payload: Vec<u8>,
    signature: Signature,
}

/// Reads a code without checking its signature (the key id says which key to check it with).
pub fn parse(code: &str) -> Result<ParsedCode, CodeError> {
    let bytes = base32_decode(code.trim()).ok_or(CodeError::Malformed)?;
    if bytes.len() <= SIGNATURE_LENGTH {
        return Err(CodeError::Malformed);
    }
    let (payload, sig) = bytes.split_at(bytes.len() - SIGNATURE_LENGTH);
    let claims = TicketClaims::parse_payload(payload)?;
    let sig: [u8; SIGNATURE_LENGTH] = sig.try_into().map_err(|_| CodeError::Malformed)?;
    Ok(ParsedCode {
        claims,
        payload: payload.to_vec(),
        signature: Signature::from_bytes(&sig),
    })
}

impl ParsedCode {
    /// Checks the signature with `key` (strict Ed25519: no malleable signatures, no weak keys).
    pub fn verify(&self, key: &VerifyingKey) -> Result<TicketClaims, CodeError> {
        key.verify_strict(&signed_message(&self.payload), &self.signature)
            .map(|()| self.claims)
            .map_err(|_| CodeError::BadSignature)
    }
}

/// Parses `code` and verifies it with the key its key id names, looked up by `key_for`.
pub fn verify(
    code: &str,
    key_for: impl FnOnce(u32) -> Option<VerifyingKey>,
) -> Result<TicketClaims, CodeError> {
    let parsed = parse(code)?;
    let key = key_for(parsed.claims.key_id).ok_or(CodeError::UnknownKey)?;
    parsed.verify(&key)
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, upper case, no padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The inverse of [`base32_encode`]; `None` for anything it would not have written.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    // Lengths 1, 3 and 6 (mod 8) leave bits that no byte string encodes to.
    if matches!(text.len() % 8, 1 | 3 | 6) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = ((acc << 5) | u32::from(v)) & 0xfff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // The leftover bits are padding and must be zero.
    if acc & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn claims() -> TicketClaims {
        TicketClaims {
            key_id: 3,
            ticket_id: 1_234_567,
            show_id: 98_765,
            seat_id: 1_999_999,
            valid_from: 1_790_000_000,
            valid_until: 1_790_086_400,
        }
    }

    #[test]
    fn a_signed_code_round_trips_and_is_compact() {
        let k = key(7);
        let code = sign(&claims(), &k);
        let back = verify(&code, |id| (id == 3).then(|| k.verifying_key())).unwrap();
        assert_eq!(back, claims());
        assert_eq!(code.len(), 133, "{code}");
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
    }

    #[test]
    fn changing_any_byte_is_refused() {
        let k = key(7);
        let code = sign(&claims(), &k);
        let bytes = base32_decode(&code).unwrap();
        for i in 0..bytes.len() {
            for flip in [1u8, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[i] ^= flip;
                let bad = base32_encode(&bad);
                assert!(
                    verify(&bad, |_| Some(k.verifying_key())).is_err(),
                    "byte {i} ^ {flip:#x} still verified"
                );
            }
        }
    }

    #[test]
    fn a_wrong_or_unknown_key_is_refused() {
        let code = sign(&claims(), &key(7));
        assert_eq!(
            verify(&code, |_| Some(key(8).verifying_key())),
            Err(CodeError::BadSignature)
        );
        assert_eq!(verify(&code, |_| None), Err(CodeError::UnknownKey));
        // The same claims under another key id are another payload: the signature fails.
        let mut other = claims();
        other.key_id = 4;
        let mut bytes = other.payload();
        bytes.extend_from_slice(&base32_decode(&code).unwrap()[claims().payload().len()..]);
        assert_eq!(
            verify(&base32_encode(&bytes), |_| Some(key(7).verifying_key())),
            Err(CodeError::BadSignature)
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        let code = sign(&claims(), &key(7));
        for bad in [
            String::new(),
            "A".into(),
            code.to_lowercase(),
            format!("{code}A"),
            format!("{code}AA"),
            code[..code.len() - 1].to_owned(),
            code.replace('A', "0"),
            "not a code at all".into(),
        ] {
            assert!(
                verify(&bad, |_| Some(key(7).verifying_key())).is_err(),
                "{bad:?} verified"
            );
        }
    }

    #[test]
    fn overlong_varints_are_malformed() {
        assert_eq!(get_varint(&[0x80, 0x00], &mut 0), Err(CodeError::Malformed));
        assert_eq!(get_varint(&[0xff; 11], &mut 0), Err(CodeError::Malformed));
        assert_eq!(get_varint(&[0x7f], &mut 0), Ok(127));
        assert_eq!(get_varint(&[0x80, 0x01], &mut 0), Ok(128));
    }

    proptest! {
        #[test]
        fn base32_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let text = base32_encode(&bytes);
            prop_assert_eq!(base32_decode(&text), Some(bytes));
        }

        #[test]
        fn every_claim_round_trips(key_id in any::<u32>(), ticket_id in any::<u64>(), show_id in any::<u64>(),
                                   seat_id in any::<u64>(), valid_from in any::<u32>(), valid_until in any::<u32>()) {
            let k = key(1);
            let c = TicketClaims { key_id, ticket_id, show_id, seat_id, valid_from, valid_until };
            let code = sign(&c, &k);
            prop_assert_eq!(verify(&code, |_| Some(k.verifying_key())), Ok(c));
        }

        #[test]
        fn random_text_never_verifies(text in "[A-Z2-7]{100,170}") {
            let k = key(1);
            prop_assert!(verify(&text, |_| Some(k.verifying_key())).is_err());
        }
    }
}
