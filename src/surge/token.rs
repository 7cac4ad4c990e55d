//! Signed handles of the waiting room: the queue token a buyer follows their place with, and
//! the admission that lets them hold seats.
//!
//! Both are `base64url(payload).base64url(HMAC-SHA256(key, kind ‖ payload))`, so any instance
//! that shares the key verifies them without a lookup, in constant time, and nobody can make
//! one for another show, another user or a later expiry.

use crate::domain::{ShowId, UnixMs, UserId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The waiting room's signing key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(***)")
    }
}

/// An admission as verified: who may shop for which show until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    pub show: ShowId,
    pub user: UserId,
    pub until: UnixMs,
}

/// Why an admission was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    #[error("this show's waiting room is on: join the queue for an admission")]
    Missing,
    #[error("the admission is not valid")]
    Forged,
    #[error("the admission has expired: join the queue again")]
    Expired,
    #[error("the admission belongs to another buyer")]
    OtherUser,
    #[error("the admission is for another show")]
    OtherShow,
}

const QUEUE: &[u8] = b"queue-token-v1";
const ADMISSION: &[u8] = b"admission-v1";

impl Signer {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, kind: &[u8], payload: &[u8]) -> HmacSha256 {
        // HMAC takes keys of any length; the error type exists only for fixed-size MACs.
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(kind);
        mac.update(b".");
        mac.update(payload);
        mac
    }

    fn sign(&self, kind: &[u8], payload: &str) -> String {
        let tag = self.mac(kind, payload.as_bytes()).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The payload of a token of `kind`, if its signature holds (compared in constant time).
    fn open(&self, kind: &[u8], token: &str) -> Option<String> {
        let (payload, tag) = token.trim().split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(kind, &payload).verify_slice(&tag).ok()?;
        String::from_utf8(payload).ok()
    }

    /// The token a buyer follows their queue entry with.
    pub fn queue_token(&self, show: ShowId, user: UserId) -> String {
        self.sign(QUEUE, &format!("{show}.{user}"))
    }

    /// The show and user of a genuine queue token.
    pub fn read_queue_token(&self, token: &str) -> Option<(ShowId, UserId)> {
        let payload = self.open(QUEUE, token)?;
        let (show, user) = payload.split_once('.')?;
        Some((
            ShowId::new(show.parse().ok()?),
            UserId::new(user.parse().ok()?),
        ))
    }

    pub fn admission(&self, admission: Admission) -> String {
        let Admission { show, user, until } = admission;
        self.sign(ADMISSION, &format!("{show}.{user}.{until}"))
    }

    /// Checks an admission presented by `user` to hold seats of `show` at `now`.
    pub fn verify_admission(
        &self,
        token: Option<&str>,
        show: ShowId,
        user: UserId,
        now: UnixMs,
    ) -> Result<Admission, AdmissionError> {
        let token = token.ok_or(AdmissionError::Missing)?;
        let payload = self.open(ADMISSION, token).ok_or(AdmissionError::Forged)?;
        let mut parts = payload.split('.');
        let mut next = || -> Result<i64, AdmissionError> {
            parts
                .next()
                .and_then(|p| p.parse().ok())
                .ok_or(AdmissionError::Forged)
        };
        let admission = Admission {
            show: ShowId::new(next()?),
            user: UserId::new(next()?),
            until: next()?,
        };
        if admission.show != show {
            return Err(AdmissionError::OtherShow);
        }
        if admission.user != user {
            return Err(AdmissionError::OtherUser);
        }
        if admission.until <= now {
            return Err(AdmissionError::Expired);
        }
        Ok(admission)
    }

    /// A buyer's place in a show's pre-queue: uniformly distributed, the same however often
    /// they join, and unknowable without the key — so arriving early, or rejoining, gains
    /// nothing. A number in `[0, 2^52)`, exact in a Redis score.
    pub fn draw(&self, show: ShowId, user: UserId) -> u64 {
        let tag = self
            .mac(b"draw-v1", format!("{show}.{user}").as_bytes())
            .finalize()
            .into_bytes();
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&tag[..8]);
        u64::from_be_bytes(bytes) >> 12
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer {
        Signer::new(b"a test key of reasonable length!")
    }

    #[test]
    fn queue_tokens_round_trip_and_resist_tampering() {
        let s = signer();
        let token = s.queue_token(ShowId::new(7), UserId::new(42));
        assert_eq!(
            s.read_queue_token(&token),
            Some((ShowId::new(7), UserId::new(42)))
        );
        let (payload, tag) = token.split_once('.').expect("two parts");
        let other = URL_SAFE_NO_PAD.encode("7.43");
        assert_eq!(s.read_queue_token(&format!("{other}.{tag}")), None);
        assert_eq!(s.read_queue_token(&format!("{payload}.{payload}")), None);
        assert_eq!(s.read_queue_token("garbage"), None);
        assert_eq!(Signer::new(b"another key").read_queue_token(&token), None);
        // A queue token is no admission, and the other way round.
        assert_eq!(
            s.verify_admission(Some(&token), ShowId::new(7), UserId::new(42), 0),
            Err(AdmissionError::Forged)
        );
    }

    #[test]
    fn admissions_name_their_show_user_and_expiry() {
        let s = signer();
        let (show, user) = (ShowId::new(3), UserId::new(9));
        let token = s.admission(Admission {
            show,
            user,
            until: 1_000,
        });
        assert!(s.verify_admission(Some(&token), show, user, 999).is_ok());
        assert_eq!(
            s.verify_admission(Some(&token), show, user, 1_000),
            Err(AdmissionError::Expired)
        );
        assert_eq!(
            s.verify_admission(Some(&token), ShowId::new(4), user, 0),
            Err(AdmissionError::OtherShow)
        );
        assert_eq!(
            s.verify_admission(Some(&token), show, UserId::new(10), 0),
            Err(AdmissionError::OtherUser)
        );
        assert_eq!(
            s.verify_admission(None, show, user, 0),
            Err(AdmissionError::Missing)
        );
        let forged = URL_SAFE_NO_PAD.encode("3.9.99999999");
        let tag = token.split_once('.').map(|(_, t)| t).unwrap_or_default();
        assert_eq!(
            s.verify_admission(Some(&format!("{forged}.{tag}")), show, user, 0),
            Err(AdmissionError::Forged)
        );
    }

    #[test]
    fn draws_are_stable_per_buyer_and_spread_out() {
        let s = signer();
        let show = ShowId::new(1);
        assert_eq!(s.draw(show, UserId::new(5)), s.draw(show, UserId::new(5)));
        assert_ne!(
            s.draw(show, UserId::new(5)),
            s.draw(ShowId::new(2), UserId::new(5))
        );
        let below_half = (0..2_000)
            .filter(|u| s.draw(show, UserId::new(*u)) < 1 << 51)
            .count();
        assert!((850..1150).contains(&below_half), "{below_half}");
    }
}
