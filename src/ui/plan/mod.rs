//! Plans for a person and as JSON, one file per command. Snapshot tests of the tables
//! live in `tests/plan_render.rs`-style unit tests beside each renderer.

pub mod backup;
pub mod call;
pub mod create;
pub mod rebalance;
pub mod reshard;
pub mod set_timeout;
