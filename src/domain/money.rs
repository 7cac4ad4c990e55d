//! Money: integer minor units plus an ISO 4217 currency. Never a float.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A validated ISO 4217 currency code, kept upper-case (`EUR`, `USD`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "EUR")]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.to_ascii_uppercase();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err("must be a three-letter ISO 4217 code")
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Currency {
    type Error = &'static str;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many digits the minor unit of `currency` has (ISO 4217): 0 for the yen or the won, 3
/// for the dinars of Bahrain, Kuwait, Jordan, Oman, Iraq, Libya and Tunisia, 2 for the rest.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// `amount` minor units as a decimal number (`4500` EUR → `45.00`, `4500` JPY → `4500`), the
/// sign first.
pub fn decimal(amount: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    let sign = if amount < 0 { "-" } else { "" };
    let units = amount.unsigned_abs();
    if digits == 0 {
        return format!("{sign}{units}");
    }
    let scale = 10u64.pow(digits);
    format!(
        "{sign}{}.{:0width$}",
        units / scale,
        units % scale,
        width = digits as usize
    )
}

/// An amount in minor units (cents) of a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }
}

/// `45.00 EUR`, `4500 JPY`: as many decimals as the currency's minor unit has.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            decimal(self.amount, self.currency.as_str()),
            self.currency
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_prints_minor_units_as_two_decimals() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(Money::new(4500, eur.clone()).to_string(), "45.00 EUR");
        assert_eq!(Money::new(7, eur.clone()).to_string(), "0.07 EUR");
        assert_eq!(Money::new(-150, eur).to_string(), "-1.50 EUR");
        let yen = Currency::parse("JPY").unwrap();
        assert_eq!(Money::new(4500, yen).to_string(), "4500 JPY");
        assert_eq!(decimal(12345, "KWD"), "12.345");
        assert_eq!(decimal(-5, "KWD"), "-0.005");
    }

    #[test]
    fn currency_codes_are_normalised_and_checked() {
        assert_eq!(Currency::parse("eur").unwrap().as_str(), "EUR");
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("E1R").is_err());
        assert!(Currency::parse("").is_err());
    }
}
