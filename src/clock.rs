//! Time as a dependency: the server reads the wall clock, tests move a manual one, so hold
//! expiry and session lifetimes can be tested without sleeping.

use crate::domain::UnixMs;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    /// Wall clock plus an offset that tests can push forward.
    Offset(Arc<AtomicI64>),
}

impl Clock {
    pub fn now_ms(&self) -> UnixMs {
        let wall = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let wall = i64::try_from(wall).unwrap_or(i64::MAX);
        match self {
            Clock::System => wall,
            Clock::Offset(offset) => wall + offset.load(Ordering::Relaxed),
        }
    }

    /// A clock that starts at the wall clock and can be advanced.
    pub fn manual() -> Self {
        Clock::Offset(Arc::new(AtomicI64::new(0)))
    }

    /// Moves a manual clock forward; no effect on the system clock.
    pub fn advance(&self, by: std::time::Duration) {
        if let Clock::Offset(offset) = self {
            offset.fetch_add(by.as_millis() as i64, Ordering::Relaxed);
        }
    }
}
