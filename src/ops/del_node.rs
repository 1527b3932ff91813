//! Applying a del-node plan: re-point replicas, forget the node everywhere at once,
//! reset it, then wait until no member lists it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::future::join_all;
use thiserror::Error;

use super::Reporter;
use super::wait::{Progress, WaitTimeout, poll_until, wait_replica_synced};
use crate::cluster::{Node, NodeError, ServerError};
use crate::model::NodeId;
use crate::plan::membership_del::DelPlan;

#[derive(Debug, Error)]
pub enum DelError {
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error("{0}")]
    Forget(String),
    #[error(transparent)]
    Timeout(#[from] WaitTimeout),
}

/// What happened, for the report.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DelTimings {
    pub repoint_ms: u128,
    /// From the first FORGET sent to the last answered.
    pub forget_ms: u128,
    pub reset_ms: u128,
    pub verify_ms: u128,
}

/// Applies `plan`. `conns` holds a connection per reachable member (the node itself too
/// when it is reachable). `timeout` bounds every wait.
pub async fn apply(
    plan: &DelPlan,
    conns: &BTreeMap<NodeId, Node>,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<DelTimings, DelError> {
    let mut t = DelTimings::default();
    let conn = |id: &NodeId| {
        conns
            .get(id)
            .ok_or_else(|| DelError::Forget(format!("no connection to {}", id.short())))
    };

    // 1. Replicas follow another master first: a replica refuses to forget its master.
    let t0 = Instant::now();
    for r in &plan.repoint {
        reporter.step(&format!(
            "{}: CLUSTER REPLICATE {} ({})",
            r.replica_label,
            r.to.short(),
            r.to_label
        ));
        let node = conn(&r.replica)?;
        node.replicate(&r.to).await?;
    }
    for r in &plan.repoint {
        wait_replica_synced(conn(&r.replica)?, timeout, reporter).await?;
    }
    t.repoint_ms = t0.elapsed().as_millis();

    // 2. FORGET everywhere at once: each member bans the ID for only 60 s, and gossip
    //    from any member that still knows it would bring it back.
    let t1 = Instant::now();
    reporter.step(&format!(
        "CLUSTER FORGET {} on {} node(s)",
        plan.id.short(),
        plan.forget_on.len()
    ));
    let targets: Vec<&Node> = plan
        .forget_on
        .iter()
        .map(|f| conn(&f.id))
        .collect::<Result<_, _>>()?;
    let results = join_all(targets.iter().map(|n| n.forget(&plan.id))).await;
    let failures: Vec<String> = results
        .into_iter()
        .filter_map(Result::err)
        // Already forgotten (a retry, or gossip was slower than us): fine.
        .filter(|e| e.server() != Some(&ServerError::UnknownNode))
        .map(|e| e.to_string())
        .collect();
    t.forget_ms = t1.elapsed().as_millis();
    if !failures.is_empty() {
        return Err(DelError::Forget(format!(
            "CLUSTER FORGET failed:\n{}\n(re-run del-node within 60 s, while the other members still ban the ID)",
            failures.join("\n")
        )));
    }

    // 3. Reset the node itself: HARD, so it gets a new ID and epoch 0. A member whose
    //    60 s ban expires can then never take the node back under its old identity from
    //    a stale gossip entry, and the node is exactly like a freshly started one
    //    (`create` / `add-node` accept it). A replica's dataset is flushed by the reset
    //    itself (Redis turns it into an empty master); masters with keys were refused
    //    by the planner, as Redis refuses to reset them.
    let t2 = Instant::now();
    if plan.reset {
        reporter.step(&format!("{}: CLUSTER RESET HARD", plan.label));
        conn(&plan.id)?
            .ok(redis::cmd("CLUSTER").arg("RESET").arg("HARD"))
            .await?;
    }
    t.reset_ms = t2.elapsed().as_millis();

    // 4. Verify: no member lists it, and the reset node knows nobody.
    let t3 = Instant::now();
    let what = format!("every member to forget {}", plan.label);
    poll_until(&what, timeout, reporter, || async {
        let checks = join_all(targets.iter().map(|n| async move {
            match n.cluster_nodes().await {
                Ok(entries) => !entries.iter().any(|e| e.id == plan.id),
                Err(_) => false,
            }
        }))
        .await;
        let mut missing: Vec<String> = plan
            .forget_on
            .iter()
            .zip(&checks)
            .filter(|(_, ok)| !**ok)
            .map(|(f, _)| f.label.clone())
            .collect();
        let mut total = plan.forget_on.len();
        if plan.reset
            && let Some(n) = conns.get(&plan.id)
        {
            total += 1;
            let alone = n
                .cluster_nodes()
                .await
                .is_ok_and(|e| e.iter().all(|x| x.flags.myself));
            if !alone {
                missing.push(format!("{} (reset)", plan.label));
            }
        }
        Progress { total, missing }
    })
    .await?;
    t.verify_ms = t3.elapsed().as_millis();
    Ok(t)
}
