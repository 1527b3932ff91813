//! Plans for a person and as JSON, one file per command. Snapshot tests of the tables
//! (golden strings from small hand-made plans) are unit tests beside each renderer.

pub mod add_node;
pub mod apply;
pub mod backup;
pub mod bigkeys;
pub mod call;
pub mod create;
pub mod del_node;
pub mod failover;
pub mod fix;
pub mod import;
pub mod rebalance;
pub mod reshard;
pub mod set_timeout;

/// One piece of a plan as printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// The plan itself: stdout (stderr under `--json`).
    Out(String),
    /// A warning about it: stderr, `warning: ` first.
    Warn(String),
}
