//! `set-timeout`: the new `cluster-node-timeout` and every node's current one.

use serde::Serialize;

/// Below this, nodes flap between ok and failed on any scheduling hiccup.
pub const MIN_TIMEOUT_MS: u64 = 100;

#[derive(Clone, Debug, Serialize)]
pub struct SetTimeoutPlan {
    pub timeout_ms: u64,
    pub nodes: Vec<NodeTimeout>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NodeTimeout {
    pub node: String,
    /// `?` when it cannot be read.
    pub current_ms: String,
}

/// Why `ms` is refused, if it is.
pub fn refuse(ms: u64) -> Option<TimeoutRefusal> {
    (ms < MIN_TIMEOUT_MS).then_some(TimeoutRefusal::TooLow { ms })
}

/// Why `set-timeout` refuses a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeoutRefusal {
    #[error(
        "cluster-node-timeout {ms} ms is too low: at least {MIN_TIMEOUT_MS} ms (nodes would flap between ok and fail)"
    )]
    TooLow { ms: u64 },
}
