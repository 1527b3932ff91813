//! Applying a create plan: slots, config epochs, MEET, replicas, then waiting until
//! every node agrees and reports `cluster_state:ok`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::future::{join_all, try_join_all};
use thiserror::Error;

use super::Reporter;
use super::gather::Gathered;
use super::undo::{TempChange, UndoLog};
use super::wait::{
    Converged, WaitTimeout, reached_addresses, seen_elsewhere, wait_converged, wait_replica_synced,
};
use crate::cluster::commands::cmd;
use crate::cluster::{Node, NodeError};
use crate::error::TribError;
use crate::model::NodeId;
use crate::model::nodes::NodeEntry;
use crate::plan::create::CreateNodeState;
use crate::plan::create::{CreatePlan, CreateStep, FAST_JOIN_TIMEOUT_MS, fast_join_fits};

#[derive(Debug, Error)]
pub enum CreateError {
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error(transparent)]
    Timeout(#[from] WaitTimeout),
    #[error(
        "{timeout}. The nodes see each other at {addresses}, where none of them is reached: \
         Redis takes a node's address from the source of its cluster bus packets, and these \
         leave from another address than the one it listens at (a host with several \
         addresses, or Redis bound to one of them). Set `bind-source-addr` (or \
         `cluster-announce-ip`) on every node to its own address"
    )]
    BusSource {
        timeout: WaitTimeout,
        addresses: String,
    },
}

/// The addresses at which some node knows or is meeting another, and at which none of the
/// nodes is reached (`reached`: IP and port). Redis takes a peer's address from the source
/// of its cluster bus packets (unless the peer sets `cluster-announce-ip`); where that is
/// not the address the peer listens at (a host with several addresses, Redis bound to one
/// of them without `bind-source-addr`), the others meet it or move it there and cannot
/// reach it (`redis-cli --cluster create` waits forever then). Among nodes that are all
/// new, nothing else puts a node at an address none of them is reached at.
fn strange_addresses<'a>(
    views: impl IntoIterator<Item = &'a [NodeEntry]>,
    reached: &BTreeSet<(String, u16)>,
) -> BTreeSet<String> {
    views
        .into_iter()
        .flatten()
        .filter(|e| seen_elsewhere(e, reached))
        .map(|e| format!("{}:{}", e.ip, e.port))
        .collect()
}

/// `timeout` of a wait for the new nodes to know each other, explained when the nodes are
/// put at addresses none of them is reached at ([`strange_addresses`]).
async fn explain_join_timeout(nodes: &[Node], timeout: WaitTimeout) -> CreateError {
    let views: Vec<Vec<NodeEntry>> = join_all(nodes.iter().map(Node::cluster_nodes))
        .await
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    let reached = reached_addresses(nodes);
    let strange = strange_addresses(views.iter().map(Vec::as_slice), &reached);
    if strange.is_empty() {
        return timeout.into();
    }
    CreateError::BusSource {
        timeout,
        addresses: strange.into_iter().collect::<Vec<_>>().join(", "),
    }
}

/// A node ready for the create: its connection and the facts the steps need.
#[derive(Clone, Debug)]
pub struct CreateTarget {
    pub node: Node,
    pub id: NodeId,
    pub bus_port: u16,
    /// Redis ≥ 7 (ADDSLOTSRANGE).
    pub has_addslotsrange: bool,
}

impl CreateTarget {
    /// A gathered node and what was read of it.
    pub fn new(g: &Gathered, state: &CreateNodeState) -> CreateTarget {
        CreateTarget {
            node: g.node.clone(),
            id: state.id.clone(),
            bus_port: state.bus_port,
            has_addslotsrange: has_addslotsrange(g.view.info.version()),
        }
    }
}

/// The gathered nodes as [`apply`] takes them, with what was read of each (`states`,
/// indexed alike).
pub fn targets(gathered: &[Gathered], states: &[CreateNodeState]) -> Vec<CreateTarget> {
    gathered
        .iter()
        .zip(states)
        .map(|(g, s)| CreateTarget::new(g, s))
        .collect()
}

/// The error of a create that stopped before the cluster was complete; `what` names it
/// ("create", or "apply: create").
pub fn unfinished(what: &str, e: CreateError) -> TribError {
    TribError::Failed(format!(
        "{what} did not finish: {e} (re-run the same command to complete it)"
    ))
}

/// Whether a server of this version has `CLUSTER ADDSLOTSRANGE` (Redis 7.0; Valkey reports
/// its own version, 7.2 and later). Unknown: no.
pub fn has_addslotsrange(version: Option<(u32, u32, u32)>) -> bool {
    version.is_some_and(|v| v.0 >= 7)
}

/// Timings of the phases, for the report.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CreateTimings {
    pub configure_ms: u128,
    pub join_ms: u128,
    pub replicate_ms: u128,
    pub converge_ms: u128,
    pub sync_ms: u128,
}

/// Several addresses of one headless name answering with the same ID are one node; the
/// same node named twice by the user is an error (redis-cli builds a broken cluster).
/// Each gathered node's state for the planner.
pub fn states(gathered: &[Gathered]) -> Vec<CreateNodeState> {
    gathered.iter().map(state_of).collect()
}

pub fn dedupe(gathered: Vec<Gathered>) -> Result<Vec<Gathered>, TribError> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out: Vec<Gathered> = Vec::new();
    let mut errors = Vec::new();
    for g in gathered {
        match seen.get(g.view.id.as_str()) {
            // One headless name, several addresses answering as one node.
            Some(&i)
                if out[i].target.text == g.target.text && out[i].target.addr != g.target.addr => {}
            Some(&i) => errors.push(format!(
                "{}: names the same node as {} (ID {}); name each node once",
                g.target.label(),
                out[i].target.label(),
                g.view.id.short()
            )),
            None => {
                seen.insert(g.view.id.as_str().to_string(), out.len());
                out.push(g);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(TribError::BadInput(errors.join("\n")))
    }
}

pub fn state_of(g: &Gathered) -> CreateNodeState {
    let me = g.view.myself();
    CreateNodeState {
        label: g.view.label.clone(),
        addr: g.node.addr,
        bus_port: me
            .map(|m| m.cport)
            .filter(|p| *p != 0)
            .unwrap_or_else(|| g.node.addr.port().wrapping_add(10000)),
        id: g.view.id.clone(),
        domain: g.view.domain.clone(),
        own_slots: me.map(|m| m.slots.clone()).unwrap_or_default(),
        known: g
            .view
            .others()
            .filter(|e| !e.flags.handshake)
            .map(|e| e.id.clone())
            .collect::<BTreeSet<_>>(),
        view_slots: g.view.slots_assigned(),
        master_id: me.and_then(|m| m.master_id.clone()),
        config_epoch: me.map(|m| m.config_epoch).unwrap_or(0),
        keys: g.view.keys(),
        node_timeout: g.view.node_timeout,
    }
}

/// Applies `plan` to `targets` (indexed like the plan). `timeout` bounds every wait.
/// With `fast_join`, the masters that get slots run with a 499 ms node timeout until
/// they turn `ok` (Redis's rejoin delay is min(node timeout, 5 s)), then get their own
/// value back.
pub async fn apply(
    plan: &CreatePlan,
    targets: &[CreateTarget],
    timeout: Duration,
    fast_join: bool,
    wait_sync: bool,
    reporter: &dyn Reporter,
    undo: &UndoLog,
) -> Result<CreateTimings, CreateError> {
    let mut timings = CreateTimings::default();
    let t0 = Instant::now();

    // 0. A fast join interrupted earlier left a lowered timeout: put it back first.
    for step in &plan.steps {
        if let CreateStep::RestoreNodeTimeout { node, ms } = step {
            reporter.step(&format!(
                "Restoring cluster-node-timeout {ms} ms on {}",
                targets[*node].node.label
            ));
            targets[*node].node.set_node_timeout(*ms).await?;
        }
    }

    // Lower the node timeout of new masters for the join. Each is registered in `undo`
    // before it is lowered: restored below on every path, and by the driver on SIGINT or
    // SIGTERM.
    let masters = plan
        .steps
        .iter()
        .filter(|s| matches!(s, CreateStep::AddSlots { .. }))
        .count();
    if fast_join && !fast_join_fits(masters, targets.len()) {
        tracing::info!(
            "{masters} masters among {} nodes: no fast join (its pings would flood the cluster bus)",
            targets.len()
        );
    }
    if fast_join && fast_join_fits(masters, targets.len()) {
        let new_masters: Vec<&CreateTarget> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                CreateStep::AddSlots { node, .. } => Some(&targets[*node]),
                _ => None,
            })
            .collect();
        let current = join_all(new_masters.iter().map(|t| t.node.node_timeout())).await;
        let mut lower: Vec<(&CreateTarget, u64)> = new_masters
            .into_iter()
            .zip(current)
            .filter_map(|(t, cur)| Some((t, cur.filter(|ms| *ms > FAST_JOIN_TIMEOUT_MS + 1)?)))
            .collect();
        // One node keeps its own value, so that a re-run after SIGKILL reads it back
        // from there (a create of masters only: every node would be lowered).
        if lower.len() == targets.len() {
            lower.pop();
        }
        for (t, ms) in &lower {
            undo.register(&t.node, TempChange::NodeTimeout { restore: *ms });
        }
        join_all(
            lower
                .iter()
                .map(|(t, _)| t.node.set_node_timeout(FAST_JOIN_TIMEOUT_MS)),
        )
        .await;
    }
    let result = apply_steps(
        plan,
        targets,
        timeout,
        wait_sync,
        reporter,
        &mut timings,
        t0,
    )
    .await;
    for failed in undo.undo_all().await {
        reporter.warn(&format!("{failed}; re-run create to restore it"));
    }
    result.map(|()| timings)
}

async fn apply_steps(
    plan: &CreatePlan,
    targets: &[CreateTarget],
    timeout: Duration,
    wait_sync: bool,
    reporter: &dyn Reporter,
    timings: &mut CreateTimings,
    t0: Instant,
) -> Result<(), CreateError> {
    // 1. Slots and config epochs: independent per node, all at once.
    let configure: Vec<_> = plan
        .steps
        .iter()
        .filter_map(|step| match step {
            CreateStep::AddSlots { node, slots } => {
                let t = &targets[*node];
                Some((t, cmd::addslots(slots, t.has_addslotsrange)))
            }
            CreateStep::SetConfigEpoch { node, epoch } => {
                Some((&targets[*node], cmd::set_config_epoch(*epoch)))
            }
            _ => None,
        })
        .collect();
    if !configure.is_empty() {
        reporter.step("Assigning slots and config epochs");
        try_join_all(configure.iter().map(|(t, cmd)| t.node.ok(cmd))).await?;
    }
    timings.configure_ms = t0.elapsed().as_millis();

    // 2. MEET: every node is introduced by its resolved IP and the bus port it reports.
    let t1 = Instant::now();
    let meets: Vec<(&CreateTarget, &CreateTarget)> = plan
        .steps
        .iter()
        .filter_map(|s| match s {
            CreateStep::Meet { node, peer } => Some((&targets[*node], &targets[*peer])),
            _ => None,
        })
        .collect();
    if !meets.is_empty() {
        reporter.step(&format!("Joining {} nodes (CLUSTER MEET)", targets.len()));
        try_join_all(meets.iter().map(|(a, b)| {
            let meet = cmd::meet(
                &b.node.addr.ip().to_string(),
                b.node.addr.port(),
                b.bus_port,
            );
            async move { a.node.ok(&meet).await }
        }))
        .await?;
    }
    let all_nodes: Vec<Node> = targets.iter().map(|t| t.node.clone()).collect();
    let ids: BTreeSet<NodeId> = targets.iter().map(|t| t.id.clone()).collect();
    let replicate: Vec<(&CreateTarget, &CreateTarget)> = plan
        .steps
        .iter()
        .filter_map(|s| match s {
            CreateStep::Replicate { replica, master } => {
                Some((&targets[*replica], &targets[*master]))
            }
            _ => None,
        })
        .collect();
    if !replicate.is_empty() {
        // A replica can only be attached once it knows its master.
        if let Err(t) = wait_converged(
            &all_nodes,
            &ids,
            Converged {
                slots_agree: false,
                state_ok: false,
                members_settled: false,
            },
            "nodes to know each other",
            timeout,
            reporter,
        )
        .await
        {
            return Err(explain_join_timeout(&all_nodes, t).await);
        }
    }
    timings.join_ms = t1.elapsed().as_millis();

    // 3. Replicas, retried while the master is still unknown to them.
    let t2 = Instant::now();
    if !replicate.is_empty() {
        reporter.step(&format!("Attaching {} replicas", replicate.len()));
        let results = join_all(replicate.iter().map(|(r, m)| attach(r, m, timeout))).await;
        for r in results {
            r?;
        }
    }
    timings.replicate_ms = t2.elapsed().as_millis();

    // 4. Agreement and cluster_state:ok everywhere.
    let t3 = Instant::now();
    if let Err(t) = wait_converged(
        &all_nodes,
        &ids,
        Converged {
            slots_agree: true,
            state_ok: true,
            members_settled: true,
        },
        "every node to agree and report cluster_state:ok",
        timeout,
        reporter,
    )
    .await
    {
        return Err(explain_join_timeout(&all_nodes, t).await);
    }
    timings.converge_ms = t3.elapsed().as_millis();

    // 5. Optionally, replicas hold their master's data (until then a failover could not
    // promote them). Redis 7 starts a diskless first sync only after
    // repl-diskless-sync-delay (5 s by default), so this is not waited for by default.
    let t4 = Instant::now();
    if wait_sync && !replicate.is_empty() {
        let results = join_all(
            replicate
                .iter()
                .map(|(r, _)| wait_replica_synced(&r.node, timeout, reporter)),
        )
        .await;
        for r in results {
            r?;
        }
    }
    timings.sync_ms = t4.elapsed().as_millis();
    Ok(())
}

async fn attach(
    replica: &CreateTarget,
    master: &CreateTarget,
    timeout: Duration,
) -> Result<(), CreateError> {
    let start = Instant::now();
    loop {
        match replica.node.replicate(&master.id).await {
            Ok(()) => return Ok(()),
            // "ERR Unknown node": gossip has not reached it yet.
            Err(e)
                if e.server().is_some_and(crate::cluster::ServerError::is_err)
                    && start.elapsed() < timeout =>
            {
                tokio::time::sleep(super::wait::POLL).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::nodes::parse_cluster_nodes;

    /// Nodes bound to 127.0.0.2 and 127.0.0.3 whose packets leave from 127.0.0.1: the
    /// others meet them there, or move them there. A duplicate handshake at an address a
    /// node is reached at (a node met twice) is not strange, nor a node's own entry.
    #[test]
    fn addresses_no_node_is_reached_at_are_named() {
        let reached: BTreeSet<(String, u16)> = [
            ("127.0.0.2".to_string(), 7000),
            ("127.0.0.3".to_string(), 7001),
        ]
        .into();
        let a = parse_cluster_nodes(
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 127.0.0.2:7000@17000 myself,master - 0 0 1 connected\n\
             bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 127.0.0.1:7001@17001 handshake - 0 0 0 disconnected\n\
             cccccccccccccccccccccccccccccccccccccccc 127.0.0.3:7001@17001 handshake - 0 0 0 connected\n",
        )
        .unwrap();
        let b = parse_cluster_nodes(
            "dddddddddddddddddddddddddddddddddddddddd 127.0.0.3:7001@17001 myself,master - 0 0 2 connected\n\
             aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 127.0.0.1:7000@17000 master - 0 0 1 disconnected\n",
        )
        .unwrap();
        let strange = strange_addresses([a.as_slice(), b.as_slice()], &reached);
        assert_eq!(
            strange.into_iter().collect::<Vec<_>>(),
            ["127.0.0.1:7000", "127.0.0.1:7001"]
        );
        let settled = parse_cluster_nodes(
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :7000@17000 myself,master - 0 0 1 connected\n\
             dddddddddddddddddddddddddddddddddddddddd 127.0.0.3:7001@17001 master - 0 0 2 connected\n",
        )
        .unwrap();
        assert!(strange_addresses([settled.as_slice()], &reached).is_empty());
    }
}
