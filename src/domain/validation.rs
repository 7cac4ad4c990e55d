//! Field-level validation errors, collected so a client learns every problem at once.

use serde::Serialize;

/// One problem with one input field; `field` is a JSON path such as `sections[0].rows`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Input that failed validation: at least one field error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }
}

/// The spaces text fields are trimmed of: ASCII space, tab, line feed, form feed and carriage
/// return (exactly what [`NOT_BLANK`] excludes).
pub fn is_space(c: char) -> bool {
    c.is_ascii_whitespace()
}

/// `value` without leading and trailing [`is_space`] characters.
pub fn trim(value: &str) -> &str {
    value.trim_matches(is_space)
}

/// The pattern of a required text field in the OpenAPI document: at least one character that
/// is not a space as [`is_space`] defines it, and no NUL character anywhere (no database keeps
/// one in text).
pub const NOT_BLANK: &str = "^[^\\u0000]*[^ \\t\\n\\f\\r\\u0000][^\\u0000]*$";

/// The pattern of any other text field: no NUL character.
pub const NO_NUL: &str = "^[^\\u0000]*$";

/// For optional fields that may be left out but not sent as `null`: with `#[serde(default)]`,
/// absent is `None` and `null` is a shape error.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Collects field errors while parsing a request.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Checks `value` has at most `max` characters as sent and something besides spaces, and
    /// returns it trimmed. The OpenAPI document states the same rule as `maxLength` and the
    /// pattern [`NOT_BLANK`].
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let trimmed = trim(value);
        if trimmed.is_empty() {
            self.fail(field, "must not be empty");
        } else if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        } else {
            self.no_nul(field, value);
        }
        trimmed.to_owned()
    }

    /// Refuses a NUL character, which no text column can store ([`NO_NUL`]).
    pub fn no_nul(&mut self, field: &str, value: &str) {
        if value.contains('\0') {
            self.fail(field, "must not contain the NUL character");
        }
    }

    /// Like [`Checker::text`] for optional fields: blank becomes `None`.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let raw = value?;
        if raw.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        self.no_nul(field, raw);
        Some(trim(raw)).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) -> i64 {
        if value < min || value > max {
            self.fail(field, format!("must be between {min} and {max}"));
        }
        value
    }

    pub fn finish<T>(self, value: T) -> Result<T, Invalid> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(Invalid(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_blank_exactly_when_the_documented_pattern_fails() {
        assert_eq!(NOT_BLANK, "^[^\\u0000]*[^ \\t\\n\\f\\r\\u0000][^\\u0000]*$");
        for (value, blank) in [
            ("", true),
            ("a\0b", true),
            (" \t\n\r\u{c}", true),
            ("\u{b}", false),
            ("\u{a0}", false),
            (" a ", false),
        ] {
            let mut check = Checker::new();
            check.text("f", value, 10);
            assert_eq!(check.finish(()).is_err(), blank, "{value:?}");
        }
    }

    #[test]
    fn lengths_count_what_was_sent() {
        let mut check = Checker::new();
        assert_eq!(check.text("f", " abc ", 5), "abc");
        check.text("g", " abc ", 4);
        assert_eq!(check.finish(()).unwrap_err().0[0].field, "g");
    }
}
