//! Temporary changes an operation makes while it applies a plan, kept so that they are
//! undone on every way out: the operation's own end, an error, or SIGINT/SIGTERM (the
//! driver runs [`UndoLog::undo_all`] after it stopped the work).
//!
//! Register a change *before* making it: a stop that lands between the two then
//! undoes a change that never happened, which is harmless, instead of missing one.

use std::sync::Mutex;

use crate::cluster::{Node, NodeError};

/// One temporary change on one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TempChange {
    /// `cluster-node-timeout` lowered for a fast join; `restore` is the node's own value.
    NodeTimeout { restore: u64 },
}

impl TempChange {
    fn describe(&self) -> String {
        match self {
            TempChange::NodeTimeout { restore } => {
                format!("cluster-node-timeout back to {restore} ms")
            }
        }
    }

    async fn undo(&self, node: &Node) -> Result<(), NodeError> {
        match self {
            TempChange::NodeTimeout { restore } => node.set_node_timeout(*restore).await,
        }
    }
}

/// A change that could not be undone.
#[derive(Debug)]
pub struct UndoFailed {
    pub node: String,
    pub change: String,
    pub error: NodeError,
}

impl std::fmt::Display for UndoFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: could not set {}: {}",
            self.node,
            self.change,
            self.error.reason()
        )
    }
}

/// The temporary changes still in force.
#[derive(Default)]
pub struct UndoLog {
    open: Mutex<Vec<(Node, TempChange)>>,
}

impl UndoLog {
    pub fn new() -> UndoLog {
        UndoLog::default()
    }

    /// Records `change` on `node` (call before making it).
    pub fn register(&self, node: &Node, change: TempChange) {
        if let Ok(mut open) = self.open.lock() {
            open.push((node.clone(), change));
        }
    }

    /// The changes still in force, oldest first.
    pub fn pending(&self) -> Vec<(String, TempChange)> {
        self.open
            .lock()
            .map(|o| {
                o.iter()
                    .map(|(n, c)| (n.label.clone(), c.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Undoes every change still in force, all at once (one change per node and setting).
    /// What could not be undone stays registered and is returned.
    pub async fn undo_all(&self) -> Vec<UndoFailed> {
        let taken: Vec<(Node, TempChange)> = match self.open.lock() {
            Ok(mut open) => open.drain(..).rev().collect(),
            Err(_) => return Vec::new(),
        };
        let results =
            futures::future::join_all(taken.iter().map(|(node, change)| change.undo(node))).await;
        let mut failed = Vec::new();
        let mut keep = Vec::new();
        for ((node, change), r) in taken.into_iter().zip(results) {
            if let Err(error) = r {
                failed.push(UndoFailed {
                    node: node.label.clone(),
                    change: change.describe(),
                    error,
                });
                keep.push((node, change));
            }
        }
        if let Ok(mut open) = self.open.lock() {
            open.extend(keep);
        }
        failed
    }
}
