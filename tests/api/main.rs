//! Integration tests: the real server on port 0, over SQLite and over PostgreSQL.

mod accounts;
mod audit;
mod booking;
mod catalog;
mod cli;
mod crash;
#[path = "../common/db.rs"]
mod db;
mod feed;
pub mod helpers;
mod ops;
mod procs;
mod queue_backends;
mod races;
mod search;
mod seatmap;
mod seed;
mod storm;
mod surge;
mod surge_redis;
mod tickets;
