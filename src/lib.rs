//! Box Office: browse and search live events, hold seats, pay, get tickets — and never sell a
//! seat twice. See ARCHITECTURE.md for the map.

pub mod accounts;
pub mod app;
pub mod booking;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod feed;
pub mod http;
pub mod notify;
pub mod payments;
pub mod reads;
pub mod search;
pub mod seatmap;
pub mod seed;
pub mod shutdown;
pub mod store;
pub mod surge;
pub mod tickets;
pub mod tools;
pub mod web;
