//! Pure planners: no I/O.

pub mod apply;
pub mod bigkeys;
pub mod check;
pub mod create;
pub mod failover;
pub mod fix;
pub mod import;
pub mod membership;
pub mod membership_del;
pub mod migration;
pub mod placement;
pub mod rebalance;
pub mod reform;
pub mod reshard;
pub mod resilience;
pub mod select;
pub mod set_timeout;
pub mod unreached;
