//! Integration tests: the real server on port 0, over SQLite and over PostgreSQL.

mod accounts;
mod booking;
mod catalog;
mod cli;
pub mod helpers;
mod ops;
mod seed;
