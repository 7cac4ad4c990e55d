//! Store-level suites, straight against each `Store` implementation without a server: the
//! property-based model of the booking rules (`model.rs`) and PostgreSQL lock interleavings
//! held open on a second connection (`locks.rs`), and the read side's maintained state against
//! a recount (`reads.rs`).

#[path = "../common/db.rs"]
mod db;
mod locks;
mod model;
mod reads;
