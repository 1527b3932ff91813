//! Pure planners: no I/O.

pub mod check;
pub mod create;
pub mod placement;
pub mod select;
