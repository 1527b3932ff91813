//! Moving a planned set of slots on a loaded cluster: the connections the migration
//! engine needs (every master that may send or receive, every node to tell), taken from
//! what `load` opened. `reshard` and `rebalance` share it.

use std::collections::BTreeMap;

use super::Reporter;
use super::migrate::{MigrateError, MigrateOptions, MigrationReport, migrate};
use crate::cluster::Node;
use crate::cluster::load::Loaded;
use crate::error::TribError;
use crate::model::NodeId;
use crate::plan::migration::MigrationPlan;

/// Moves `plan`'s slots and keys between the loaded cluster's masters.
pub async fn move_slots(
    loaded: &Loaded,
    plan: &MigrationPlan,
    opts: &MigrateOptions,
    reporter: &dyn Reporter,
) -> Result<MigrationReport, MigrateError> {
    let masters = master_conns(loaded);
    let all: Vec<Node> = loaded.conns.values().cloned().collect();
    migrate(&masters, &all, plan, opts, reporter).await
}

/// The error of a `command` whose migration of `total` slots did not finish. A stop at a
/// safe point (SIGINT/SIGTERM) says how far it got and, with `resume(moved)`, how to go on.
pub fn unfinished(
    command: &str,
    total: usize,
    resume: impl Fn(usize) -> String,
    e: MigrateError,
) -> TribError {
    let context = match &e {
        MigrateError::Interrupted { moved, .. } => format!(
            "{command} stopped after moving {moved} of {total} slot(s), leaving no slot open; {}",
            resume(*moved)
        ),
        _ => format!("{command} did not finish"),
    };
    TribError::failed(context, e)
}

/// The connection of every loaded master, by ID.
pub fn master_conns(loaded: &Loaded) -> BTreeMap<NodeId, Node> {
    loaded
        .conns
        .iter()
        .filter(|(id, _)| loaded.view.node(id).is_some_and(|n| n.is_master()))
        .map(|(id, n)| (id.clone(), n.clone()))
        .collect()
}

/// Which of `nodes` (ID, label) now report themselves as replicas: a master drained of
/// every slot turns into one on its own where `cluster-allow-replica-migration` is on.
pub async fn now_replicas(
    masters: &BTreeMap<NodeId, Node>,
    nodes: &[(NodeId, String)],
) -> Vec<String> {
    let mut out = Vec::new();
    for (id, label) in nodes {
        if let Some(conn) = masters.get(id)
            && let Ok(entries) = conn.cluster_nodes().await
            && entries.iter().any(|e| e.flags.myself && e.flags.replica)
        {
            out.push(label.clone());
        }
    }
    out
}
