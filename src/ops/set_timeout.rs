//! `cluster-node-timeout` on every node, persisted with `CONFIG REWRITE`.

use futures::future::join_all;

use crate::cluster::{Node, NodeError};

/// What happened on one node.
pub struct TimeoutSet {
    pub node: String,
    pub set: Result<(), NodeError>,
    /// `None` when the set failed (nothing to persist).
    pub rewrite: Option<Result<(), NodeError>>,
}

/// Sets `ms` on every node at once, then persists it where the set worked.
pub async fn set_everywhere(nodes: &[Node], ms: u64) -> Vec<TimeoutSet> {
    join_all(nodes.iter().map(|n| async move {
        let set = n.set_node_timeout(ms).await;
        let rewrite = match set {
            Ok(()) => Some(n.ok(&redis::cmd("CONFIG").arg("REWRITE").clone()).await),
            Err(_) => None,
        };
        TimeoutSet {
            node: n.label.clone(),
            set,
            rewrite,
        }
    }))
    .await
}
