//! Waiting for the cluster to converge: polls every few tens of milliseconds, always
//! under a deadline, reporting what it still waits for.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::future::join_all;
use thiserror::Error;

use super::Reporter;
use crate::cluster::Node;
use crate::model::{NodeEntry, NodeId, SLOT_COUNT, SlotSet};

/// How often to poll.
pub const POLL: Duration = Duration::from_millis(25);

#[derive(Debug, Error)]
#[error("timed out after {secs:.1}s waiting for {what}; still waiting for: {missing}")]
pub struct WaitTimeout {
    pub what: String,
    pub secs: f64,
    pub missing: String,
}

/// One poll's outcome: how many of `total` are ready, and the names of the others.
pub struct Progress {
    pub total: usize,
    pub missing: Vec<String>,
}

impl Progress {
    pub fn ready(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Polls `check` until it reports nothing missing, or the deadline passes.
pub async fn poll_until<F, Fut>(
    what: &str,
    timeout: Duration,
    reporter: &dyn Reporter,
    mut check: F,
) -> Result<Duration, WaitTimeout>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Progress>,
{
    let start = Instant::now();
    loop {
        let p = check().await;
        let done = p.total.saturating_sub(p.missing.len());
        if p.ready() {
            reporter.finish("");
            return Ok(start.elapsed());
        }
        let missing = summarize(&p.missing);
        if start.elapsed() >= timeout {
            reporter.finish("");
            return Err(WaitTimeout {
                what: what.to_string(),
                secs: start.elapsed().as_secs_f64(),
                missing,
            });
        }
        reporter.progress(what, done, p.total, &format!("waiting for {missing}"));
        tokio::time::sleep(POLL).await;
    }
}

fn summarize(items: &[String]) -> String {
    const SHOW: usize = 4;
    if items.len() <= SHOW {
        items.join(", ")
    } else {
        format!(
            "{} and {} more",
            items[..SHOW].join(", "),
            items.len() - SHOW
        )
    }
}

/// What a node must see for the cluster to count as converged.
#[derive(Clone, Copy, Debug)]
pub struct Converged {
    /// Every slot has an owner in its view, the same as everyone else's.
    pub slots_agree: bool,
    /// `cluster_state:ok`.
    pub state_ok: bool,
}

/// Waits until every node knows every ID in `ids` (handshakes finished) and, as asked,
/// agrees on the slot map and reports `cluster_state:ok`.
pub async fn wait_converged(
    nodes: &[Node],
    ids: &BTreeSet<NodeId>,
    want: Converged,
    what: &str,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Duration, WaitTimeout> {
    poll_until(what, timeout, reporter, || async {
        let views = join_all(nodes.iter().map(|n| async move {
            let entries = n.cluster_nodes().await.ok();
            let state_ok = if want.state_ok {
                n.cluster_info()
                    .await
                    .ok()
                    .is_some_and(|i| i.get("cluster_state") == Some("ok"))
            } else {
                true
            };
            (entries, state_ok)
        }))
        .await;
        let reference = views
            .iter()
            .find_map(|(e, _)| e.as_ref())
            .map(|e| slot_owners(e));
        // Nodes that do not answer first, marked: when one is frozen or down, every other
        // node waits too (it sees that one failing), and the message must say which.
        let silent = nodes
            .iter()
            .zip(&views)
            .filter(|(_, (entries, _))| entries.is_none())
            .map(|(n, _)| format!("{} (no answer)", n.label));
        let waiting = nodes
            .iter()
            .zip(&views)
            .filter_map(|(n, (entries, state_ok))| {
                let entries = entries.as_ref()?;
                let why = lag_reason(entries, ids, want, reference.as_ref(), *state_ok)?;
                Some(format!("{} ({why})", n.label))
            });
        let missing = silent.chain(waiting).collect();
        Progress {
            total: nodes.len(),
            missing,
        }
    })
    .await
}

/// Why one node's view is not converged yet, or `None` when it is.
fn lag_reason(
    entries: &[NodeEntry],
    ids: &BTreeSet<NodeId>,
    want: Converged,
    reference: Option<&Vec<(&NodeId, &SlotSet)>>,
    state_ok: bool,
) -> Option<String> {
    for id in ids {
        match entries.iter().find(|e| &e.id == id) {
            None => return Some(format!("does not know {} yet", id.short())),
            Some(e) if e.flags.handshake || e.flags.noaddr => {
                return Some(format!("is still meeting {}", id.short()));
            }
            Some(e) if e.is_failing() => return Some(format!("sees {} failing", id.short())),
            Some(_) => {}
        }
    }
    if want.slots_agree {
        let owners = slot_owners(entries);
        let covered: usize = owners.iter().map(|(_, s)| s.len()).sum();
        if covered != SLOT_COUNT as usize {
            return Some(format!(
                "sees {} slot(s) without an owner",
                SLOT_COUNT as usize - covered
            ));
        }
        if let Some(reference) = reference {
            if &owners != reference {
                let owner_of = |map: &[(&NodeId, &SlotSet)], slot: u16| {
                    map.iter()
                        .find(|(_, s)| s.contains(slot))
                        .map(|(id, _)| id.short().to_string())
                        .unwrap_or_else(|| "nobody".into())
                };
                let differs = (0..SLOT_COUNT)
                    .find(|s| owner_of(&owners, *s) != owner_of(reference, *s))
                    .unwrap_or(0);
                return Some(format!(
                    "sees slot {differs} at {}, the first node at {}",
                    owner_of(&owners, differs),
                    owner_of(reference, differs)
                ));
            }
        }
    }
    (!state_ok).then(|| "cluster_state is not ok".to_string())
}

/// One node's view of slot ownership: each master with slots and its slots, by ID.
pub fn slot_owners(entries: &[NodeEntry]) -> Vec<(&NodeId, &SlotSet)> {
    let mut owners: Vec<(&NodeId, &SlotSet)> = entries
        .iter()
        .filter(|e| e.flags.master && !e.slots.is_empty())
        .map(|e| (&e.id, &e.slots))
        .collect();
    owners.sort_by(|a, b| a.0.cmp(b.0));
    owners
}

/// Waits until `replica` reports a connected link to its master and no sync in progress.
pub async fn wait_replica_synced(
    replica: &Node,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Duration, WaitTimeout> {
    let what = format!("{} to finish its first sync", replica.label);
    poll_until(&what, timeout, reporter, || async {
        let ready = replica.info(&["replication"]).await.ok().is_some_and(|i| {
            i.get("role") == Some("slave")
                && i.get("master_link_status") == Some("up")
                && i.get("master_sync_in_progress") == Some("0")
        });
        Progress {
            total: 1,
            missing: if ready {
                vec![]
            } else {
                vec![replica.label.clone()]
            },
        }
    })
    .await
}
