//! The demo catalog behind `serve --demo`: a handful of believable venues, performers and
//! events loaded through the ordinary catalog operations. (Generated benchmark catalogs are a
//! tool: see `tools::catalog`.)

mod demo;

pub use demo::demo;
