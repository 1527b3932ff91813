//! Telling masters who owns a slot: `CLUSTER SETSLOT s NODE owner`, releases before
//! claims, epoch bumps, and nudging masters whose view lags. Shared by `fix` and the
//! migration engine, which both end a slot's move this way.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;
use thiserror::Error;

use crate::cluster::commands::cmd;
use crate::cluster::{Node, SetSlot};
use crate::model::NodeId;

/// Commands per node, each with how to name it in an error.
pub(super) type Batches = BTreeMap<NodeId, Vec<(String, redis::Cmd)>>;

/// Commands the nodes refused: one line per refusal, naming the node, the command and
/// the reason.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// `CLUSTER SETSLOT slot NODE owner`.
pub(super) fn setslot_node(slot: u16, owner: &NodeId) -> redis::Cmd {
    cmd::setslot(slot, SetSlot::Node(owner))
}

/// Runs each node's commands as one pipeline (nodes concurrently); every refused
/// command becomes one line naming the node, the command and the reason.
pub(super) async fn run_batches(
    masters: &BTreeMap<NodeId, Node>,
    batches: Batches,
) -> Result<(), Refused> {
    let results = join_all(batches.into_iter().map(|(id, cmds)| async move {
        let Some(node) = masters.get(&id) else {
            return vec![format!("{}: not reachable", id.short())];
        };
        let mut errors = Vec::new();
        for chunk in cmds.chunks(1024) {
            let mut pipe = redis::pipe();
            for (_, c) in chunk {
                pipe.add_command(c.clone());
            }
            match node.pipeline_paced(&pipe).await {
                Ok(replies) => {
                    for ((what, _), r) in chunk.iter().zip(replies) {
                        if let Err(e) = r {
                            errors.push(format!("{}: {what}: {e}", node.label));
                        }
                    }
                }
                Err(e) => errors.push(format!("{}: {e}", node.label)),
            }
        }
        errors
    }))
    .await;
    let errors: Vec<String> = results.into_iter().flatten().collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Refused(errors.join("\n")))
    }
}

/// `SETSLOT s NODE owner` for `fixes` on every master but the owner first, then on the
/// owners.
///
/// Releasing before claiming is what keeps keys safe. A master that still advertises a
/// slot while the new owner already claims it wins the slot back through gossip whenever
/// its config epoch is higher — and epochs move under our feet: the owners' own bumps
/// (`SETSLOT NODE` on an importing node, `BUMPEPOCH`) collide and Redis resolves a
/// collision by bumping one side again. A new owner that loses a slot this way deletes
/// its keys in it (cluster.c `clusterUpdateSlotsConfigWith`). Once every other master
/// has let go, nobody else advertises the slot and the owner's claim stands whatever the
/// epochs.
pub(super) async fn assign(
    masters: &BTreeMap<NodeId, Node>,
    fixes: &[(u16, &NodeId)],
) -> Result<(), Refused> {
    if fixes.is_empty() {
        return Ok(());
    }
    let mut elsewhere: Batches = BTreeMap::new();
    for id in masters.keys() {
        for (s, owner) in fixes {
            if *owner != id {
                elsewhere.entry(id.clone()).or_default().push((
                    format!("CLUSTER SETSLOT {s} NODE {}", owner.short()),
                    setslot_node(*s, owner),
                ));
            }
        }
    }
    run_batches(masters, elsewhere).await?;
    let mut on_owner: Batches = BTreeMap::new();
    for (s, owner) in fixes {
        on_owner.entry((*owner).clone()).or_default().push((
            format!("CLUSTER SETSLOT {s} NODE {}", owner.short()),
            setslot_node(*s, owner),
        ));
    }
    run_batches(masters, on_owner).await
}

/// Repeats `SETSLOT s NODE owner` wherever a master's view of a repaired slot differs
/// from the plan: on an owner that does not claim its slot (after bumping its epoch, so
/// its claim wins), and on any other master that names another owner. Gossip cannot heal
/// such a node on its own when nobody advertises the slot any more: Redis takes slot
/// ownership only from the owner's own claims. Returns the number of commands sent.
pub(super) async fn nudge(masters: &BTreeMap<NodeId, Node>, wanted: &[(u16, &NodeId)]) -> usize {
    let views = join_all(masters.iter().map(|(id, n)| async move {
        let entries = n.cluster_nodes().await.ok();
        (id, entries)
    }))
    .await;
    let mut owners_behind: BTreeSet<&NodeId> = BTreeSet::new();
    let mut others: Batches = BTreeMap::new();
    let mut owners: Batches = BTreeMap::new();
    for (id, entries) in &views {
        let Some(entries) = entries else { continue };
        for (slot, owner) in wanted {
            let seen = entries.iter().find(|e| e.slots.contains(*slot));
            if seen.map(|e| &e.id) == Some(*owner) {
                continue;
            }
            let batches = if *id == *owner {
                owners_behind.insert(*owner);
                &mut owners
            } else {
                &mut others
            };
            batches.entry((*id).clone()).or_default().push((
                format!("CLUSTER SETSLOT {slot} NODE {}", owner.short()),
                setslot_node(*slot, owner),
            ));
        }
    }
    let sent = others.values().chain(owners.values()).map(Vec::len).sum();
    // Releases first (see [`assign`]); refusals (e.g. a node still holding keys of the
    // slot) are left for the next look.
    let _ = run_batches(masters, others).await;
    bump_epochs(masters, owners_behind.into_iter()).await;
    let _ = run_batches(masters, owners).await;
    sent
}

/// `CLUSTER BUMPEPOCH` on each owner (best effort: a failure only delays agreement).
pub(super) async fn bump_epochs<'a>(
    masters: &BTreeMap<NodeId, Node>,
    owners: impl Iterator<Item = &'a NodeId>,
) {
    let set: BTreeSet<&NodeId> = owners.collect();
    join_all(
        set.into_iter()
            .filter_map(|id| masters.get(id))
            .map(|n| async move {
                let _ = n.bump_epoch().await;
            }),
    )
    .await;
}
