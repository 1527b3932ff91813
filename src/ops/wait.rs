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
    /// No handshake left in its view, not even with a node ID it was not asked about (a
    /// node met twice, by a MEET and by gossip about the same address, holds a second entry
    /// under a random ID until that one's first PONG, and `check` reports it), and every
    /// node in it at an address one of the nodes is reached at (Redis takes a peer's
    /// address from the source of its packets: see `create`'s `strange_addresses`). Only
    /// for clusters of nodes trib has just met (`create`): elsewhere gossip may keep a
    /// stale address in handshake for a while, which is not the command's to wait for.
    pub members_settled: bool,
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
    let reached = reached_addresses(nodes);
    let reached = &reached;
    poll_until(what, timeout, reporter, || async move {
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
                let why = lag_reason(entries, ids, reached, want, reference.as_ref(), *state_ok)?;
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

/// The IPs and ports `nodes` are reached at.
pub fn reached_addresses(nodes: &[Node]) -> BTreeSet<(String, u16)> {
    nodes
        .iter()
        .map(|n| (n.addr.ip().to_string(), n.addr.port()))
        .collect()
}

/// Whether `e`, another node in some node's view, is there at an address none of the
/// nodes is reached at (`reached`: [`reached_addresses`]).
pub fn seen_elsewhere(e: &NodeEntry, reached: &BTreeSet<(String, u16)>) -> bool {
    !e.flags.myself && !e.ip.is_empty() && !reached.contains(&(e.ip.clone(), e.port))
}

/// Why one node's view is not converged yet, or `None` when it is.
fn lag_reason(
    entries: &[NodeEntry],
    ids: &BTreeSet<NodeId>,
    reached: &BTreeSet<(String, u16)>,
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
    if want.members_settled {
        if let Some(e) = entries.iter().find(|e| e.flags.handshake) {
            return Some(format!("is still meeting {}:{}", e.ip, e.port));
        }
        if let Some(e) = entries.iter().find(|e| seen_elsewhere(e, reached)) {
            return Some(format!(
                "sees {} at {}:{}, where it is not reached",
                e.id.short(),
                e.ip,
                e.port
            ));
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
        if let Some(reference) = reference
            && &owners != reference
        {
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

/// What keeps the config epochs of the `watched` masters (a move's sources) from being
/// settled, one line per problem, over the views of the nodes that answered: a watched
/// master sharing its epoch with another master in one view (Redis resolves such a
/// collision later by bumping the one with the greater ID), or a view giving a watched
/// master another epoch than the first view does (news of a bump still on its way).
/// Failing, handshaking and address-less masters are left out: they settle nothing.
///
/// A slot move is safe only while its sources' epochs stay put and every node knows them:
/// the target bumps its epoch to the highest it knows and claims the slots; a source
/// whose epoch is raised after that (a collision resolved on its side), or that the
/// target did not know to be higher, wins the slots back on any node that still names
/// it, and the target deletes the keys it received (cluster.c
/// `clusterUpdateSlotsConfigWith`; found by tests/crash_safety.rs: a rebalance started
/// right after another one, whose targets' concurrent bumps were still colliding).
/// Collisions among the other masters (e.g. new empty masters, all at epoch 0) are
/// harmless: targets bump past them, and nobody else claims a moving slot.
pub fn epoch_disorder(views: &[(&str, &[NodeEntry])], watched: &BTreeSet<NodeId>) -> Vec<String> {
    let epochs = |entries: &[NodeEntry]| -> Vec<(NodeId, u64)> {
        let mut v: Vec<(NodeId, u64)> = entries
            .iter()
            .filter(|e| e.flags.master && !e.is_failing() && !e.flags.handshake && !e.flags.noaddr)
            .map(|e| (e.id.clone(), e.config_epoch))
            .collect();
        v.sort();
        v
    };
    let mut problems = Vec::new();
    let Some((first, reference)) = views.first().map(|(l, e)| (*l, epochs(e))) else {
        return problems;
    };
    for (label, entries) in views {
        let mine = epochs(entries);
        let mut by_epoch: std::collections::BTreeMap<u64, Vec<&NodeId>> = Default::default();
        for (id, epoch) in &mine {
            by_epoch.entry(*epoch).or_default().push(id);
        }
        for (epoch, ids) in by_epoch
            .iter()
            .filter(|(_, ids)| ids.len() > 1 && ids.iter().any(|id| watched.contains(*id)))
        {
            let names: Vec<&str> = ids.iter().map(|id| id.short()).collect();
            problems.push(format!(
                "{} share config epoch {epoch} in {label}'s view",
                names.join(" and ")
            ));
        }
        for (id, epoch) in mine.iter().filter(|(id, _)| watched.contains(id)) {
            if let Some((_, theirs)) = reference.iter().find(|(r, _)| r == id)
                && theirs != epoch
            {
                problems.push(format!(
                    "{label} sees config epoch {epoch} for {}, {first} sees {theirs}",
                    id.short()
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

/// Waits until the config epochs of the `watched` masters are settled in every answering
/// node's view (see [`epoch_disorder`]).
pub async fn wait_epochs_settled(
    nodes: &[Node],
    watched: &BTreeSet<NodeId>,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Duration, WaitTimeout> {
    let what = "the sources' config epochs to settle";
    poll_until(what, timeout, reporter, || async {
        let views: Vec<(String, Vec<NodeEntry>)> =
            join_all(nodes.iter().map(|n| async move {
                n.cluster_nodes().await.ok().map(|e| (n.label.clone(), e))
            }))
            .await
            .into_iter()
            .flatten()
            .collect();
        let borrowed: Vec<(&str, &[NodeEntry])> = views
            .iter()
            .map(|(l, e)| (l.as_str(), e.as_slice()))
            .collect();
        Progress {
            total: 1,
            missing: epoch_disorder(&borrowed, watched),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::nodes::parse_cluster_nodes;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

    /// A view from `A`: masters A, B, C with these epochs (and flags for C).
    fn view(a: u64, b: u64, c: u64, c_flags: &str) -> Vec<NodeEntry> {
        let text = format!(
            "{A} 127.0.0.1:7000@17000 myself,master - 0 0 {a} connected 0-5000\n\
             {B} 127.0.0.1:7001@17001 master - 0 0 {b} connected 5001-10000\n\
             {C} 127.0.0.1:7002@17002 {c_flags} - 0 0 {c} connected 10001-16383\n"
        );
        parse_cluster_nodes(&text).unwrap()
    }

    fn all() -> BTreeSet<NodeId> {
        [A, B, C]
            .iter()
            .map(|s| NodeId::parse(s).unwrap())
            .collect()
    }

    #[test]
    fn settled_epochs_have_no_disorder() {
        let (x, y) = (view(1, 2, 3, "master"), view(1, 2, 3, "master"));
        assert!(epoch_disorder(&[("x", &x), ("y", &y)], &all()).is_empty());
        assert!(epoch_disorder(&[], &all()).is_empty());
    }

    #[test]
    fn a_collision_is_named_with_the_view_it_is_in() {
        let (x, y) = (view(1, 2, 3, "master"), view(1, 3, 3, "master"));
        let d = epoch_disorder(&[("x", &x), ("y", &y)], &all());
        assert!(
            d.iter()
                .any(|l| l.contains("share config epoch 3 in y's view")),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|l| l.contains("y sees config epoch 3 for bbbbbbbb, x sees 2")),
            "{d:?}"
        );
    }

    #[test]
    fn only_the_watched_masters_count() {
        let (x, y) = (view(1, 5, 5, "master"), view(1, 5, 6, "master"));
        let only_a: BTreeSet<NodeId> = [NodeId::parse(A).unwrap()].into();
        assert!(epoch_disorder(&[("x", &x), ("y", &y)], &only_a).is_empty());
        let only_c: BTreeSet<NodeId> = [NodeId::parse(C).unwrap()].into();
        assert_eq!(epoch_disorder(&[("x", &x), ("y", &y)], &only_c).len(), 2);
    }

    #[test]
    fn failing_masters_do_not_hold_the_epochs_back() {
        let x = view(1, 2, 2, "master,fail");
        assert!(epoch_disorder(&[("x", &x)], &all()).is_empty());
        let x = view(1, 2, 2, "master");
        assert_eq!(epoch_disorder(&[("x", &x)], &all()).len(), 1);
    }

    /// A second entry for a known address, in handshake under a random ID (a node met
    /// twice), or a member at an address it is not reached at: `create` waits for them to
    /// go, the other waits do not look at them.
    #[test]
    fn a_duplicate_handshake_holds_only_the_wait_that_asks() {
        let mut x = view(1, 2, 3, "master");
        x.extend(
            parse_cluster_nodes(
                "dddddddddddddddddddddddddddddddddddddddd 127.0.0.1:7001@17001 handshake - 0 0 0 connected\n",
            )
            .unwrap(),
        );
        let reached: BTreeSet<(String, u16)> = [7000, 7001, 7002]
            .map(|p| ("127.0.0.1".to_string(), p))
            .into();
        let want = |members_settled| Converged {
            slots_agree: true,
            state_ok: true,
            members_settled,
        };
        assert_eq!(
            lag_reason(&x, &all(), &reached, want(false), None, true),
            None
        );
        assert_eq!(
            lag_reason(&x, &all(), &reached, want(true), None, true).as_deref(),
            Some("is still meeting 127.0.0.1:7001")
        );
        let settled = view(1, 2, 3, "master");
        assert_eq!(
            lag_reason(&settled, &all(), &reached, want(true), None, true),
            None
        );
        // B's packets came from another address than the one it is reached at.
        let moved: BTreeSet<(String, u16)> = [7000, 7002]
            .map(|p| ("127.0.0.1".to_string(), p))
            .into_iter()
            .chain([("127.0.0.9".to_string(), 7001)])
            .collect();
        assert_eq!(
            lag_reason(&settled, &all(), &moved, want(true), None, true).as_deref(),
            Some("sees bbbbbbbb at 127.0.0.1:7001, where it is not reached")
        );
        assert_eq!(
            lag_reason(&settled, &all(), &moved, want(false), None, true),
            None
        );
    }
}
