//! Deep scan: which slots hold keys on each master (`CLUSTER COUNTKEYSINSLOT`, pipelined).

use futures::future::try_join_all;

use crate::cluster::load::Loaded;
use crate::cluster::{Node, NodeError};
use crate::model::{NodeId, SLOT_COUNT, SlotSet};
use crate::plan::check::DeepScan;

const CHUNK: u16 = 2048;

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
    let mut set = SlotSet::new();
    let mut start = 0u16;
    while start < SLOT_COUNT {
        let end = (start + CHUNK).min(SLOT_COUNT);
        let mut pipe = redis::pipe();
        for s in start..end {
            pipe.add_command(crate::cluster::commands::cmd::countkeysinslot(s));
        }
        let replies = node.pipeline(&pipe).await?;
        for (s, r) in (start..end).zip(replies) {
            if let redis::Value::Int(n) = r?
                && n > 0
            {
                set.insert(s);
            }
        }
        start = end;
    }
    Ok(set)
}
