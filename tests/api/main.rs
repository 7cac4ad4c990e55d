//! Integration tests: the real server on port 0, over SQLite and over PostgreSQL, and the
//! pages in a real browser (`browser.rs`, headless Chromium through chromedriver).

mod accounts;
mod audit;
mod booking;
mod browser;
mod catalog;
mod cli;
mod contract;
mod crash;
#[path = "../common/db.rs"]
mod db;
mod door_page;
mod feed;
pub mod helpers;
mod ops;
mod procs;
mod queue_backends;
mod races;
mod reads;
mod search;
mod seatmap;
mod seed;
mod storm;
#[path = "../support/mod.rs"]
#[allow(dead_code)]
mod support;
mod surge;
mod surge_redis;
mod tickets;
mod web;
mod web_figures;
mod web_pages;
mod web_stripe;
