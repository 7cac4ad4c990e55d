//! The request headers a webhook check reads, without tying payments to an HTTP library.
//!
//! [`WebhookHeaders`] is a name lookup, case-insensitive as HTTP header names are. The HTTP
//! edge implements it for the server's request headers (`http/booking.rs`); [`HeaderList`] is
//! a small owned implementation for everything else (tests, tools).

/// Header lookup by name, case-insensitively; the first value when a header repeats. (`Sync`,
/// so a webhook check can hold it across an await.)
pub trait WebhookHeaders: Sync {
    fn header(&self, name: &str) -> Option<&[u8]>;
}

/// A few headers as (name, value) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderList(Vec<(String, Vec<u8>)>);

impl HeaderList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header; an earlier one of the same name keeps precedence.
    pub fn with(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.0.push((name.to_owned(), value.into()));
        self
    }

    /// Sets a header, replacing every earlier value of the same name.
    pub fn insert(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.0.push((name.to_owned(), value.into()));
    }
}

impl WebhookHeaders for HeaderList {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case_and_keeps_the_first() {
        let mut headers = HeaderList::new()
            .with("Stripe-Signature", "a")
            .with("stripe-signature", "b");
        assert_eq!(headers.header("STRIPE-SIGNATURE"), Some(&b"a"[..]));
        assert_eq!(headers.header("x-other"), None);
        headers.insert("STRIPE-signature", "c");
        assert_eq!(headers.header("stripe-signature"), Some(&b"c"[..]));
    }
}
