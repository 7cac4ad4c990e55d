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

    /// Trims `value` and checks it is non-empty and at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.fail(field, "must not be empty");
        } else if trimmed.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        trimmed.to_owned()
    }

    /// Like [`Checker::text`] for optional fields: empty becomes `None`.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let trimmed = value.map(str::trim).filter(|v| !v.is_empty())?;
        if trimmed.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        Some(trimmed.to_owned())
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
