//! Shared support for integration tests.

pub mod stripe_standin;
