//! Pure planners: no I/O.

pub mod check;
pub mod create;
pub mod failover;
pub mod placement;
pub mod select;
