//! Pure planners: no I/O.

pub mod placement;
