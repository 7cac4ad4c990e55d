//! Query-string parameters as they arrived (name → raw value), and the checks that turn them
//! into validated query types: [`crate::domain::catalog::BrowseQuery`] and the search's
//! `SearchQuery` are built from a [`QueryParams`] with `TryFrom`, naming every bad parameter
//! in one [`Invalid`].
//!
//! The HTTP edge only collects the parameters and the current time; what they mean lives with
//! the query type.

use super::validation::{FieldError, Invalid};
use super::{parse_instant_or_date, UnixMs};
use std::collections::HashMap;

/// Largest page size of a listing.
pub const MAX_PER_PAGE: i64 = 100;

/// Raw query parameters and the instant they are read at (defaults such as "from now").
#[derive(Debug, Clone, Copy)]
pub struct QueryParams<'a> {
    pub raw: &'a HashMap<String, String>,
    pub now: UnixMs,
}

impl<'a> QueryParams<'a> {
    pub fn new(raw: &'a HashMap<String, String>, now: UnixMs) -> Self {
        Self { raw, now }
    }

    pub fn get(&self, name: &str) -> Option<&'a String> {
        self.raw.get(name)
    }

    pub fn has(&self, name: &str) -> bool {
        self.raw.contains_key(name)
    }

    /// A checker that collects the problems of these parameters.
    pub fn check(&self) -> ParamCheck<'a> {
        ParamCheck {
            raw: self.raw,
            errors: Vec::new(),
        }
    }
}

/// Reads parameters one by one, collecting every problem.
#[derive(Debug)]
pub struct ParamCheck<'a> {
    raw: &'a HashMap<String, String>,
    errors: Vec<FieldError>,
}

impl ParamCheck<'_> {
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Trimmed text; absent when missing or blank.
    /// At most `max` characters as sent, like the document's `maxLength`.
    pub fn text(&mut self, name: &str, max: usize) -> Option<String> {
        let raw = self.raw.get(name)?;
        if raw.chars().count() > max {
            self.fail(name, format!("must be at most {max} characters"));
        } else if raw.contains('\0') {
            self.fail(name, "must not contain the NUL character");
        }
        let value = super::validation::trim(raw);
        if value.is_empty() {
            return None;
        }
        Some(value.to_owned())
    }

    /// A finite number in `[min, max]`.
    pub fn number(&mut self, name: &str, min: f64, max: f64) -> Option<f64> {
        let raw = self.raw.get(name)?;
        match raw.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && (min..=max).contains(&v) => Some(v),
            _ => {
                self.fail(name, format!("must be a number from {min} to {max}"));
                None
            }
        }
    }

    /// A non-negative amount in minor units.
    pub fn money(&mut self, name: &str) -> Option<i64> {
        let raw = self.raw.get(name)?;
        match raw.trim().parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => {
                self.fail(
                    name,
                    "must be a whole number of minor units (cents), 0 or more",
                );
                None
            }
        }
    }

    /// An RFC 3339 instant or a date.
    pub fn instant(&mut self, name: &str) -> Option<UnixMs> {
        let raw = self.raw.get(name)?;
        let parsed = parse_instant_or_date(raw);
        if parsed.is_none() {
            self.fail(name, "must be an RFC 3339 time or a YYYY-MM-DD date");
        }
        parsed
    }

    /// A page number and a bounded page size (`page`, `per_page`).
    pub fn paging(&mut self) -> (i64, i64) {
        let page = self.whole("page", 1, 10_000);
        let per_page = self.whole("per_page", 20, MAX_PER_PAGE);
        (page, per_page)
    }

    fn whole(&mut self, name: &str, default: i64, max: i64) -> i64 {
        match self.raw.get(name) {
            None => default,
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    self.fail(name, format!("must be a whole number from 1 to {max}"));
                    default
                }
            },
        }
    }

    /// `value`, unless some parameter failed.
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
    use crate::domain::catalog::BrowseQuery;

    fn raw(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn browse_names_every_bad_parameter() {
        let raw = raw(&[("from", "soon"), ("category", "polka"), ("per_page", "0")]);
        let err = BrowseQuery::try_from(QueryParams::new(&raw, 1_000)).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["from", "category", "per_page"]);
    }

    #[test]
    fn browse_starts_now_by_default() {
        let raw = raw(&[("city", " Wien "), ("page", "3")]);
        let query = BrowseQuery::try_from(QueryParams::new(&raw, 1_000)).unwrap();
        assert_eq!(query.from, 1_000);
        assert_eq!(query.city.as_deref(), Some("Wien"));
        assert_eq!((query.page, query.per_page), (3, 20));
        let raw = self::raw(&[("to", "1970-01-01")]);
        let err = BrowseQuery::try_from(QueryParams::new(&raw, 1_000)).unwrap_err();
        assert_eq!(err.0[0].field, "to");
    }
}
