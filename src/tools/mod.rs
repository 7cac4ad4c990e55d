//! Tools that measure or fill a Box Office, never used by the server itself: the load tools
//! (`boxoffice loadtest onsale|search|seat-stream|surge`), the in-process search benchmark and its synthetic
//! corpus, and the generated benchmark catalogs (`boxoffice seed --scale small|large`).
//!
//! They sit beside `cli.rs` at the top of the crate: they may use any layer (the store, the
//! search index, the HTTP API from outside), and nothing below them uses them. The synthetic
//! search corpus and the catalog generator draw their cities from the one table of real places
//! in [`places`].

pub mod catalog;
pub mod loadtest;
pub mod places;
pub mod search_bench;
pub mod seatstream;
pub mod surge;
pub mod synthetic;
pub mod ticket_bench;
