//! Accounts: who may buy and who may run the box office.

use super::password::Password;
use super::validation::{Checker, Invalid};
use super::UserId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Buys tickets; the default for anyone who registers.
    Buyer,
    /// Runs the box office: creates venues, events and shows.
    Admin,
    /// Works the doors: checks tickets in and fetches the scanners' keys.
    Staff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Admin => "admin",
            Role::Staff => "staff",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "buyer" => Some(Role::Buyer),
            "admin" => Some(Role::Admin),
            "staff" => Some(Role::Staff),
            _ => None,
        }
    }
}

/// An account as clients see it. The password hash never leaves the store layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// A registration request that passed validation. The password is still plain text (it never
/// prints): hashing is CPU work the caller schedules off the async runtime.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: Password,
    pub role: Role,
}

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 256;

impl NewUser {
    pub fn parse(email: &str, name: &str, password: &str, role: Role) -> Result<Self, Invalid> {
        let mut check = Checker::new();
        let email = normalise_email(email).unwrap_or_else(|| {
            check.fail("email", "must be an email address like name@example.com");
            String::new()
        });
        let name = check.text("name", name, 200);
        let chars = password.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            check.fail(
                "password",
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            );
        } else if chars > MAX_PASSWORD_CHARS {
            check.fail(
                "password",
                format!("must be at most {MAX_PASSWORD_CHARS} characters"),
            );
        }
        check.finish(Self {
            email,
            name,
            password: Password::new(password),
            role,
        })
    }
}

/// Lower-cases and checks an email address; addresses are compared in this form.
pub fn normalise_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',')
        && !domain.contains('@');
    plausible.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_names_every_bad_field() {
        let err = NewUser::parse("nope", " ", "short", Role::Buyer).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "name", "password"]);
    }

    #[test]
    fn emails_are_normalised() {
        let user =
            NewUser::parse(" Ada@Example.COM ", "Ada", "correct horse", Role::Buyer).unwrap();
        assert_eq!(user.email, "ada@example.com");
        assert_eq!(normalise_email("a@b"), None);
        assert_eq!(normalise_email("a b@c.de"), None);
    }
}
