//! After the last move: waiting until every node agrees on the new slot map (nudging
//! laggards, naming nodes that stopped answering), then verifying the planned owners.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::future::join_all;

use super::{MigrateError, MigrateOptions};
use crate::cluster::Node;
use crate::model::NodeId;
use crate::ops::Reporter;
use crate::ops::wait::{Converged, WaitTimeout, slot_owners, wait_converged};
use crate::plan::migration::MigrationPlan;

/// How long convergence is watched before checking that every node still answers.
const SILENT_LOOK: Duration = Duration::from_secs(3);

/// Waits until every node agrees on the new slot map, then checks the planned owners.
pub(super) async fn converge(
    masters: &BTreeMap<NodeId, Node>,
    all: &[Node],
    plan: &MigrationPlan,
    opts: &MigrateOptions,
    reporter: &dyn Reporter,
) -> Result<(), MigrateError> {
    if plan.moves.is_empty() {
        return Ok(());
    }
    let ids: BTreeSet<NodeId> = masters.keys().cloned().collect();
    let what = "every node to agree on the new slot map";
    let want = Converged {
        slots_agree: true,
        state_ok: false,
        members_settled: false,
    };
    // A node that died or froze after its part of the move never agrees (and the others
    // flag it failing): after two silent looks in a row, stop and name it instead of
    // waiting out the whole timeout.
    let deadline = Instant::now() + opts.converge_timeout;
    let mut silent_before: BTreeSet<String> = BTreeSet::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match wait_converged(all, &ids, want, what, left.min(SILENT_LOOK), reporter).await {
            Ok(_) => break,
            Err(e) if Instant::now() >= deadline => {
                // The whole wait, not the last look.
                let e = WaitTimeout {
                    secs: opts.converge_timeout.as_secs_f64(),
                    ..e
                };
                return Err(MigrateError::Other(e.to_string()));
            }
            Err(_) => {
                let answers =
                    join_all(all.iter().map(|n| async move {
                        (n.label.clone(), n.cluster_nodes().await.is_ok())
                    }))
                    .await;
                let silent: BTreeSet<String> = answers
                    .into_iter()
                    .filter(|(_, ok)| !ok)
                    .map(|(l, _)| l)
                    .collect();
                let still: Vec<String> = silent.intersection(&silent_before).cloned().collect();
                if !still.is_empty() {
                    return Err(MigrateError::Other(format!(
                        "{} stopped answering while the cluster took the new slot map: the slots were moved; run `trib check`, and `trib fix` once it is back",
                        still.join(", ")
                    )));
                }
                silent_before = silent;
                // A master whose view lost a moved slot to an old owner never learns better
                // from gossip once nobody claims it: tell the laggards again (releases
                // first, then the owner after a bump), as `fix` does.
                let wanted: Vec<(u16, &NodeId)> =
                    plan.moves.iter().map(|m| (m.slot, &m.to)).collect();
                let told = crate::ops::slot_owner::nudge(masters, &wanted).await;
                if told > 0 {
                    tracing::info!("slot map not agreed yet: {told} SETSLOT NODE sent again");
                }
            }
        }
    }
    verify_owners(all, plan).await
}

/// Checks, on the first node that answers, that every moved slot has its planned owner.
async fn verify_owners(all: &[Node], plan: &MigrationPlan) -> Result<(), MigrateError> {
    for n in all {
        let Ok(entries) = n.cluster_nodes().await else {
            continue;
        };
        let owners = slot_owners(&entries);
        let wrong: Vec<String> = plan
            .moves
            .iter()
            .filter(|m| {
                !owners
                    .iter()
                    .any(|(id, slots)| **id == m.to && slots.contains(m.slot))
            })
            .map(|m| m.slot.to_string())
            .take(8)
            .collect();
        if !wrong.is_empty() {
            return Err(MigrateError::Other(format!(
                "{}: slots {} do not have their planned owner after the move",
                n.label,
                wrong.join(",")
            )));
        }
        return Ok(());
    }
    Err(MigrateError::Other(
        "no node answered to verify the new slot map".into(),
    ))
}
