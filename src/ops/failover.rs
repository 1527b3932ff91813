//! Applying a failover step: send `CLUSTER FAILOVER [FORCE|TAKEOVER]` to the replica, then
//! wait until the roles have switched everywhere.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::future::join_all;
use thiserror::Error;

use super::Reporter;
use super::interrupt::{self, Interrupted};
use super::wait::{Progress, WaitTimeout, poll_until};
use crate::cluster::Node;
use crate::cluster::error::NodeError;
use crate::model::info::Info;
use crate::model::nodes::parse_cluster_nodes;
use crate::model::{NodeEntry, NodeId};
use crate::plan::failover::{Mode, Step};

/// Deadline of one poll query: a frozen node must not stall the wait.
const POLL_QUERY: Duration = Duration::from_millis(1000);

/// Redis aborts a manual (plain) failover that has not completed after 5 s
/// (`CLUSTER_MF_TIMEOUT`); past this, waiting longer for the switch is pointless.
const MANUAL_FAILOVER_LIMIT: Duration = Duration::from_millis(6000);

/// How long to wait, before sending anything, for the master to list the replica as its
/// own (right after a previous failover, gossip may not have told it yet).
const MASTER_KNOWS_REPLICA: Duration = Duration::from_secs(5);

#[derive(Debug, Error)]
pub enum FailoverError {
    #[error("{0}: not connected (it was not reached when the cluster was loaded)")]
    NotConnected(String),
    #[error("{node} refused {command}: {error}")]
    Refused {
        node: String,
        command: &'static str,
        error: NodeError,
    },
    /// Nothing was sent: the master does not (yet) see the replica as its own.
    #[error(
        "{master} does not list {replica} as its replica (gossip has not converged, e.g. right after another failover); {wait}"
    )]
    NotItsReplica {
        master: String,
        replica: String,
        wait: WaitTimeout,
    },
    /// The plain failover was accepted but Redis gave up on it.
    #[error(
        "{replica} accepted {command} but did not take over within {secs:.1}s: Redis aborts a manual failover after 5 s when its master does not hand over (see both nodes' logs)"
    )]
    Aborted {
        replica: String,
        command: &'static str,
        secs: f64,
    },
    /// Promoted, then a replica again: the old master kept its slots.
    #[error(
        "{replica} was promoted but then became a replica again: {master} kept its slots (Redis reuses a replica's stale election a few node timeouts after it last won one); retry in a few seconds"
    )]
    Demoted { replica: String, master: String },
    /// Nothing was sent: the master stopped answering after the cluster was loaded.
    #[error(
        "{master} stopped answering before {command} was sent ({error}); if it is down, promote {replica} with --force (the cluster may also promote it by itself after cluster-node-timeout)"
    )]
    MasterGone {
        master: String,
        replica: String,
        command: &'static str,
        error: String,
    },
    #[error("{0}")]
    Timeout(#[from] WaitTimeout),
}

impl FailoverError {
    /// True when nothing was changed.
    pub fn nothing_changed(&self) -> bool {
        matches!(
            self,
            FailoverError::NotConnected(_)
                | FailoverError::Refused { .. }
                | FailoverError::NotItsReplica { .. }
                | FailoverError::MasterGone { .. }
                | FailoverError::Aborted { .. }
        )
    }
}

/// One failover done, for the report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Switched {
    pub master: String,
    pub promoted: String,
    pub took_ms: u64,
}

/// What [`apply_steps`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailoversDone {
    pub results: Vec<Switched>,
    /// The switch time of the one failover, or the total of several.
    pub took_ms: u64,
}

/// Why [`apply_steps`] stopped before the end.
#[derive(Debug, Error)]
pub enum StepsError {
    /// Step `index` (from 0) failed; the steps before it were done.
    #[error("{error}")]
    Step { index: usize, error: FailoverError },
    /// A stop was requested (SIGINT/SIGTERM) before a step started.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

/// Applies the steps one at a time, each verified ([`apply_step`]) before the next; a
/// stop request is honoured between steps, never inside one.
pub async fn apply_steps(
    conns: &BTreeMap<NodeId, Node>,
    steps: &[Step],
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<FailoversDone, StepsError> {
    let started = Instant::now();
    let mut results = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        interrupt::check()?;
        let took = apply_step(conns, step, timeout, reporter)
            .await
            .map_err(|error| StepsError::Step { index, error })?;
        reporter.finish(&format!(
            "{} is master of {} slot(s) in place of {}: switched in {} ms",
            step.promote.node,
            step.slots.len(),
            step.master.node,
            took.as_millis()
        ));
        results.push(Switched {
            master: step.master.node.clone(),
            promoted: step.promote.node.clone(),
            took_ms: took.as_millis() as u64,
        });
    }
    let took_ms = match results.as_slice() {
        [one] => one.took_ms,
        _ => started.elapsed().as_millis() as u64,
    };
    Ok(FailoversDone { results, took_ms })
}

/// Sends the step's command to the replica and waits (under `timeout`) until:
/// - the promoted node reports `role:master` in `INFO replication`;
/// - the old master reports `role:slave`, or does not answer (it is down);
/// - every other reachable node's `CLUSTER NODES` shows the promoted node as a master
///   owning the old master's slots, and the old master owning none of them.
///
/// Returns the time from sending the command to the last condition holding.
pub async fn apply_step(
    conns: &BTreeMap<NodeId, Node>,
    step: &Step,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Duration, FailoverError> {
    let promote = conns
        .get(&step.promote.id)
        .ok_or_else(|| FailoverError::NotConnected(step.promote.node.clone()))?;
    // A master drops a plain failover request from a node it does not see as its
    // replica, silently: make sure it does before asking.
    if let (Mode::Default, Some(master)) = (step.mode, conns.get(&step.master.id)) {
        let what = format!(
            "{} to list {} as its replica",
            step.master.node, step.promote.node
        );
        // Two polls in a row without an answer: the master went down (or froze) since
        // the cluster was loaded. Waiting for gossip would only end in a misleading error.
        let silent = std::sync::Mutex::new((0u32, None::<NodeError>));
        poll_until(
            &what,
            MASTER_KNOWS_REPLICA.min(timeout),
            reporter,
            || async {
                let reply = cluster_nodes_within(master).await;
                let mut gone = false;
                if let Ok(mut s) = silent.lock() {
                    match &reply {
                        Err(e) if e.is_unreachable() => {
                            s.0 += 1;
                            s.1 = Some(e.clone());
                            gone = s.0 >= 2;
                        }
                        _ => s.0 = 0,
                    }
                }
                let ok = gone
                    || reply.is_ok_and(|entries| {
                        entries.iter().any(|e| {
                            e.id == step.promote.id && e.master_id.as_ref() == Some(&step.master.id)
                        })
                    });
                Progress {
                    total: 1,
                    missing: if ok {
                        vec![]
                    } else {
                        vec![master.label.clone()]
                    },
                }
            },
        )
        .await
        .map_err(|wait| FailoverError::NotItsReplica {
            master: step.master.node.clone(),
            replica: step.promote.node.clone(),
            wait,
        })?;
        if let Ok((n, Some(error))) = silent.into_inner()
            && n >= 2
        {
            return Err(FailoverError::MasterGone {
                master: step.master.node.clone(),
                replica: step.promote.node.clone(),
                command: step.command,
                error: error.reason(),
            });
        }
    }
    reporter.step(&format!(
        "{}: {} (in place of {})",
        step.promote.node, step.command, step.master.node
    ));
    let started = Instant::now();
    promote
        .ok(&crate::cluster::commands::cmd::failover(step.mode.option()))
        .await
        .map_err(|error| FailoverError::Refused {
            node: step.promote.node.clone(),
            command: step.command,
            error,
        })?;
    let what = format!(
        "{} to take over from {}",
        step.promote.node, step.master.node
    );
    if step.mode == Mode::Default {
        let limit = MANUAL_FAILOVER_LIMIT.min(timeout);
        let role = format!("{} to report role:master", step.promote.node);
        poll_until(&role, limit, reporter, || async {
            let ok = info_replication(promote)
                .await
                .ok()
                .is_some_and(|i| i.get("role") == Some("master"));
            Progress {
                total: 1,
                missing: if ok {
                    vec![]
                } else {
                    vec![promote.label.clone()]
                },
            }
        })
        .await
        .map_err(|w| FailoverError::Aborted {
            replica: step.promote.node.clone(),
            command: step.command,
            secs: w.secs,
        })?;
    }
    let left = timeout.saturating_sub(started.elapsed());
    // Seen as a replica again after reporting role:master: it lost the slots back (its
    // election used a stale epoch). Waiting longer would not help.
    let demoted = std::sync::atomic::AtomicBool::new(false);
    poll_until(&what, left, reporter, || async {
        let p = switched(conns, step).await;
        let slave_again = p
            .missing
            .first()
            .is_some_and(|m| m == &format!("{} role:master", step.promote.node))
            && info_replication(promote)
                .await
                .ok()
                .is_some_and(|i| i.get("role") == Some("slave"));
        if slave_again && step.mode == Mode::Default {
            demoted.store(true, std::sync::atomic::Ordering::Relaxed);
            return Progress {
                total: p.total,
                missing: vec![],
            };
        }
        p
    })
    .await?;
    if demoted.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(FailoverError::Demoted {
            replica: step.promote.node.clone(),
            master: step.master.node.clone(),
        });
    }
    Ok(started.elapsed())
}

async fn info_replication(node: &Node) -> Result<Info, NodeError> {
    let text: String = node
        .query_within(redis::cmd("INFO").arg("replication"), POLL_QUERY)
        .await?;
    Ok(Info::parse(text))
}

async fn nodes_of(node: &Node) -> Option<Vec<NodeEntry>> {
    cluster_nodes_within(node).await.ok()
}

/// `CLUSTER NODES` under the poll deadline.
async fn cluster_nodes_within(node: &Node) -> Result<Vec<NodeEntry>, NodeError> {
    let text: String = node
        .query_within(redis::cmd("CLUSTER").arg("NODES"), POLL_QUERY)
        .await?;
    parse_cluster_nodes(&text).map_err(|e| {
        NodeError::new(
            &node.label,
            crate::cluster::NodeErrorKind::Protocol(e.to_string()),
        )
    })
}

/// One poll: what still has to switch.
async fn switched(conns: &BTreeMap<NodeId, Node>, step: &Step) -> Progress {
    let new = &step.promote.id;
    let old = &step.master.id;
    let mut missing = Vec::new();

    let promote_role = match conns.get(new) {
        Some(n) => info_replication(n).await.ok(),
        None => None,
    };
    if promote_role.as_ref().and_then(|i| i.get("role")) != Some("master") {
        missing.push(format!("{} role:master", step.promote.node));
    }
    if let Some(n) = conns.get(old) {
        // A master that does not answer is down: nothing to wait for.
        if let Ok(i) = info_replication(n).await
            && i.get("role") != Some("slave")
        {
            missing.push(format!("{} role:slave", step.master.node));
        }
    }
    let views = join_all(
        conns
            .iter()
            .map(|(id, n)| async move { (id, n, nodes_of(n).await) }),
    )
    .await;
    for (id, n, entries) in views {
        let Some(entries) = entries else {
            if id != old {
                missing.push(format!("{} (no answer)", n.label));
            }
            continue;
        };
        let new_ok = entries
            .iter()
            .any(|e| &e.id == new && e.flags.master && step.slots.difference(&e.slots).is_empty());
        let old_ok = entries.iter().all(|e| {
            &e.id != old || !e.flags.master || e.slots.intersection(&step.slots).is_empty()
        });
        if !(new_ok && old_ok) {
            missing.push(format!("{}'s CLUSTER NODES", n.label));
        }
    }
    Progress {
        total: conns.len() + 2,
        missing,
    }
}
