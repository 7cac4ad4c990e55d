//! Typed identifiers. Each id is a newtype over the database key so a `SeatId` can never be
//! passed where a `ShowId` is wanted; on the wire every id is an opaque decimal string.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = ();
            /// Accepts the decimal form only; anything else is an id that cannot exist.
            fn from_str(s: &str) -> Result<Self, ()> {
                if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(());
                }
                s.parse::<i64>().map(Self).map_err(|_| ())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Raw {
                    Text(String),
                    Number(i64),
                    /// `7.0` is an integer to JSON Schema, so it is one here too.
                    Float(f64),
                }
                let invalid = || serde::de::Error::custom(concat!("not a valid ", stringify!($name)));
                match Raw::deserialize(d)? {
                    Raw::Text(s) => s.parse().map_err(|_| invalid()),
                    Raw::Number(n) => Ok(Self(n)),
                    // Whole numbers within ±2^53 convert exactly.
                    Raw::Float(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
                        Ok(Self(f as i64))
                    }
                    Raw::Float(_) => Err(invalid()),
                }
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                id_schema()
            }
        }
        impl utoipa::ToSchema for $name {}
    )*};
}

/// The schema of every id: a decimal string (as the server writes them), or, in requests, a
/// JSON integer up to 2^53 (which the server also reads, `7.0` included).
pub fn id_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[0-9]{1,18}$"))
                .examples([serde_json::json!("42")]),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(9_007_199_254_740_992_i64)),
        )
        .description(Some("Opaque identifier"))
        .into()
}

id_type!(
    UserId,
    CityId,
    VenueId,
    SectionId,
    SeatId,
    PerformerId,
    EventId,
    ShowId,
    HoldId,
    BookingId,
    WaitlistId,
    TicketId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_strings_on_the_wire() {
        let id = EventId::new(42);
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"42\"");
        assert_eq!(serde_json::from_str::<EventId>("\"42\"").unwrap(), id);
        assert_eq!(serde_json::from_str::<EventId>("42").unwrap(), id);
        assert!(serde_json::from_str::<EventId>("\"4x\"").is_err());
        assert_eq!(serde_json::from_str::<EventId>("42.0").unwrap(), id);
        assert!(serde_json::from_str::<EventId>("42.5").is_err());
    }

    #[test]
    fn malformed_ids_do_not_parse() {
        for bad in ["", "-1", "1.5", "abc", "99999999999999999999", " 1"] {
            assert!(bad.parse::<ShowId>().is_err(), "{bad:?}");
        }
        assert_eq!("7".parse::<ShowId>(), Ok(ShowId::new(7)));
    }
}
