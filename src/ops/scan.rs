//! Deep scan: which slots hold keys on each master (`CLUSTER COUNTKEYSINSLOT`, pipelined).

use futures::future::try_join_all;

use crate::cluster::commands::{cmd, count_of};
use crate::cluster::load::Loaded;
use crate::cluster::{Node, NodeError};
use crate::model::{NodeId, SLOT_COUNT, SlotSet};
use crate::plan::check::DeepScan;

/// `COUNTKEYSINSLOT`s per pipeline: about 1 ms of a node's time (2.5-4 µs each). A
/// pipeline runs back to back, serving no other client: 2048 at once kept a node from its
/// clients for several milliseconds; one node's pipelines go one after the other.
const CHUNK: usize = 256;

/// Slots with at least one key, for every reachable master.
pub async fn deep_scan(loaded: &Loaded) -> Result<DeepScan, NodeError> {
    let masters: Vec<(&NodeId, &Node)> = loaded
        .view
        .nodes
        .iter()
        .filter(|v| v.is_master())
        .filter_map(|v| loaded.conns.get(&v.id).map(|c| (&v.id, c)))
        .collect();
    let sets = try_join_all(masters.iter().map(|(_, node)| slots_with_keys(node))).await?;
    Ok(masters
        .into_iter()
        .map(|(id, _)| id.clone())
        .zip(sets)
        .collect())
}

async fn slots_with_keys(node: &Node) -> Result<SlotSet, NodeError> {
    let all: Vec<u16> = (0..SLOT_COUNT).collect();
    let mut set = SlotSet::new();
    for (s, _) in keys_per_slot(node, &all).await? {
        set.insert(s);
    }
    Ok(set)
}

/// The slots of `slots` that hold keys on `node`, with how many (`COUNTKEYSINSLOT`, in
/// pipelines of [`CHUNK`], one after the other).
pub async fn keys_per_slot(node: &Node, slots: &[u16]) -> Result<Vec<(u16, u64)>, NodeError> {
    let mut found = Vec::new();
    for chunk in slots.chunks(CHUNK) {
        let mut pipe = redis::pipe();
        for s in chunk {
            pipe.add_command(cmd::countkeysinslot(*s));
        }
        let replies = node.pipeline(&pipe).await?;
        for (s, r) in chunk.iter().zip(replies) {
            let n = count_of(&r?);
            if n > 0 {
                found.push((*s, n));
            }
        }
    }
    Ok(found)
}
