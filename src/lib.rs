//! Box Office: browse and search live events, hold seats, pay, get tickets.
pub mod search;
