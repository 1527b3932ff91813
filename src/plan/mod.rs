//! Pure planners: no I/O.
pub mod placement;
pub mod check;
pub mod create;
