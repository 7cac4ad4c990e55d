//! Signing keys: generated here, stored by the store (`ticket_keys`), published to scanners.
//!
//! Keys travel as base64url without padding: the 32-byte Ed25519 seed (private, never leaves
//! the database and the server) and the 32-byte public key (published).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::RngCore;
use serde::Serialize;

/// A fresh signing key from the operating system's random source.
pub fn generate() -> SigningKey {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    SigningKey::from_bytes(&seed)
}

/// The stored form of a signing key's secret (its seed).
pub fn encode_private(key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(key.to_bytes())
}

pub fn decode_private(text: &str) -> Option<SigningKey> {
    let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()?;
    Some(SigningKey::from_bytes(&bytes))
}

/// The published form of a public key.
pub fn encode_public(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.to_bytes())
}

pub fn decode_public(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// A public key as scanners receive it: `{id, public_key}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PublishedKey {
    /// The key id ticket codes carry.
    #[schema(value_type = String)]
    #[serde(with = "key_id_string")]
    pub id: u32,
    /// Ed25519 public key, base64url without padding.
    pub public_key: String,
}

/// Key ids are opaque strings on the wire, like every other id.
mod key_id_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(|_| serde::de::Error::custom("not a key id"))
    }
}

/// Published keys by id, decoded once.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: Vec<(u32, VerifyingKey)>,
}

impl Keyring {
    /// The keys that decode; a published key that does not is skipped (codes it signed then
    /// fail as signed by an unknown key, never as valid).
    pub fn new(published: &[PublishedKey]) -> Self {
        Self {
            keys: published
                .iter()
                .filter_map(|k| Some((k.id, decode_public(&k.public_key)?)))
                .collect(),
        }
    }

    pub fn get(&self, id: u32) -> Option<VerifyingKey> {
        self.keys.iter().find(|(k, _)| *k == id).map(|(_, v)| *v)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_their_stored_and_published_forms() {
        let key = generate();
        let back = decode_private(&encode_private(&key)).unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());
        let public = encode_public(&key.verifying_key());
        assert_eq!(public.len(), 43);
        assert_eq!(decode_public(&public), Some(key.verifying_key()));
        assert_eq!(decode_public("short"), None);
        assert!(decode_private("!!").is_none());
        let ring = Keyring::new(&[
            PublishedKey {
                id: 1,
                public_key: public,
            },
            PublishedKey {
                id: 2,
                public_key: "junk".into(),
            },
        ]);
        assert_eq!(ring.len(), 1);
        assert!(ring.get(2).is_none());
    }
}
