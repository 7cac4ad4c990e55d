//! A plain-text password on its way to being hashed or checked.
//!
//! [`Password`] never prints: `Debug` and `Display` show `***`, and it has no `Serialize`, so a
//! log line, a panic message or a stored response cannot leak one. API input deserialises
//! straight from a JSON string, as before.

use serde::Deserialize;
use std::fmt;

#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(plain: impl Into<String>) -> Self {
        Self(plain.into())
    }

    /// The plain text, for the hasher and the length rules only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// For command-line arguments (`admin create-user --password`).
impl From<String> for Password {
    fn from(plain: String) -> Self {
        Self(plain)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints() {
        let p = Password::new("correct horse");
        assert_eq!(format!("{p}"), "***");
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert!(!format!("{:?}", Some(p.clone())).contains("horse"));
        assert_eq!(p.expose(), "correct horse");
        let parsed: Password = serde_json::from_str(r#""correct horse""#).unwrap();
        assert_eq!(parsed, p);
    }
}
