//! Pure planners: no I/O.

pub mod check;
pub mod create;
pub mod membership;
pub mod placement;
pub mod select;
