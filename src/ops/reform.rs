//! Applying a reform plan: the MEETs, all at once, then waiting until every node lists
//! every other at its current address, connected and healthy, and (optionally)
//! reports `cluster_state:ok`.

use std::time::Duration;

use futures::future::{join_all, try_join_all};

use super::Reporter;
use super::wait::{Progress, WaitTimeout, poll_until};
use crate::cluster::{Node, NodeError};
use crate::plan::reform::{Meet, ReformNode, entry_is_current};

/// Sends every MEET concurrently. `conns` is indexed like `nodes`.
pub async fn send_meets(
    meets: &[Meet],
    nodes: &[ReformNode],
    conns: &[Node],
    reporter: &dyn Reporter,
) -> Result<(), NodeError> {
    if meets.is_empty() {
        return Ok(());
    }
    reporter.step(&format!("Sending {} CLUSTER MEET(s)", meets.len()));
    try_join_all(meets.iter().map(|m| {
        let peer = &nodes[m.peer];
        let cmd = crate::cluster::commands::cmd::meet(
            &peer.addr.ip().to_string(),
            peer.addr.port(),
            peer.bus_port,
        );
        let node = &conns[m.node];
        async move { node.ok(&cmd).await }
    }))
    .await?;
    Ok(())
}

/// Waits until every node lists every peer it knows among `nodes` at its current
/// address, link connected, without fail/pfail/handshake/noaddr flags, and, with
/// `state_ok`, reports `cluster_state:ok`.
pub async fn wait_reformed(
    nodes: &[ReformNode],
    conns: &[Node],
    state_ok: bool,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Duration, WaitTimeout> {
    poll_until(
        "every node to see every other at its current address, and cluster_state:ok",
        timeout,
        reporter,
        || async {
            let polled = join_all(conns.iter().map(|c| async move {
                let entries = c.cluster_nodes().await.ok();
                let ok = !state_ok
                    || c.cluster_info()
                        .await
                        .is_ok_and(|i| i.get("cluster_state") == Some("ok"));
                (entries, ok)
            }))
            .await;
            let mut missing = Vec::new();
            for (a, (entries, ok)) in polled.iter().enumerate() {
                let Some(entries) = entries else {
                    missing.push(format!("{} (no answer)", nodes[a].label));
                    continue;
                };
                // Compare with what each peer announces now (it may just have learnt its IP).
                let mut bad: Vec<&str> = Vec::new();
                for (b, peer) in nodes.iter().enumerate() {
                    if a == b || !nodes[a].entries.iter().any(|e| e.id == peer.id) {
                        continue;
                    }
                    let mut fresh = peer.clone();
                    if let Some(Some(pe)) = polled.get(b).map(|(e, _)| e) {
                        fresh.entries = pe.clone();
                    }
                    let good = entries.iter().any(|e| {
                        e.id == peer.id
                            && e.link_connected
                            && !e.is_failing()
                            && !e.flags.handshake
                            && entry_is_current(e, &fresh)
                    });
                    if !good {
                        bad.push(&peer.label);
                    }
                }
                if !bad.is_empty() {
                    missing.push(format!("{} (sees {} stale)", nodes[a].label, bad.join(" ")));
                } else if !ok {
                    missing.push(format!("{} (cluster_state not ok)", nodes[a].label));
                }
            }
            Progress {
                total: nodes.len(),
                missing,
            }
        },
    )
    .await
}
