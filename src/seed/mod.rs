//! Catalog loaders: the believable demo catalog behind `serve --demo`, and generated catalogs
//! (`seed --scale small|large`) for benchmarks.

mod demo;
mod generate;
mod names;
mod world;

pub use demo::demo;
pub use generate::{generate_with, generated, Plan, Summary};
