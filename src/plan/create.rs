//! The `create` plan: placement plus the steps still needed, computed from the nodes'
//! current state. The same node list always yields the same layout, so re-running
//! `create` on a cluster it made changes nothing, and a half-done create is completed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use serde::Serialize;

use super::placement::{Placement, PlacementError, PlacementNode, plan_placement};
use crate::model::{NodeId, SLOT_COUNT, SlotRange, SlotSet};

/// What trib read from one node before planning.
#[derive(Clone, Debug)]
pub struct CreateNodeState {
    pub label: String,
    /// The address trib reached it at: the address other nodes are told to MEET.
    pub addr: SocketAddr,
    /// Cluster bus port, as the node reports it.
    pub bus_port: u16,
    pub id: NodeId,
    pub domain: String,
    /// Slots the node says it owns.
    pub own_slots: SlotSet,
    /// Other nodes in its view (handshakes excluded).
    pub known: BTreeSet<NodeId>,
    /// The slots its view gives to some master (its own and those of every node it
    /// knows): all 16384 when it is a member of a cluster that covers every slot.
    pub view_slots: SlotSet,
    /// Its master when it is a replica.
    pub master_id: Option<NodeId>,
    pub config_epoch: u64,
    pub keys: u64,
    /// `cluster-node-timeout` in ms, when CONFIG GET is allowed.
    pub node_timeout: Option<u64>,
}

/// Where the cluster stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateStatus {
    /// Every node empty and alone: a new cluster.
    New,
    /// A create was started on these nodes and is not finished: complete it.
    Resume,
    /// These nodes already form a complete cluster: nothing to do.
    AlreadyCreated,
}

/// One change to make.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum CreateStep {
    AddSlots {
        node: usize,
        slots: Vec<SlotRange>,
    },
    SetConfigEpoch {
        node: usize,
        epoch: u64,
    },
    Meet {
        node: usize,
        peer: usize,
    },
    Replicate {
        replica: usize,
        master: usize,
    },
    /// Put back the `cluster-node-timeout` an interrupted fast join left lowered.
    RestoreNodeTimeout {
        node: usize,
        ms: u64,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct CreatePlan {
    pub status: CreateStatus,
    pub placement: Placement,
    pub steps: Vec<CreateStep>,
}

impl CreatePlan {
    /// The nodes already form the cluster asked for: nothing to do.
    pub fn already_created(&self) -> bool {
        self.status == CreateStatus::AlreadyCreated
    }
}

/// Why create refuses; each names a node (by index) and says why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    Placement(PlacementError),
    Node { node: usize, reason: String },
}

fn refuse(node: usize, reason: impl Into<String>) -> Refusal {
    Refusal::Node {
        node,
        reason: reason.into(),
    }
}

impl Refusal {
    /// The node refused, when the refusal is about one.
    pub fn node(&self) -> Option<usize> {
        match self {
            Refusal::Node { node, .. } => Some(*node),
            Refusal::Placement(_) => None,
        }
    }
}

/// Each node's master in `placement` (`None` for masters).
fn planned_masters(n: usize, placement: &Placement) -> Vec<Option<usize>> {
    let mut out = vec![None; n];
    for g in &placement.masters {
        for &r in &g.replicas {
            out[r] = Some(g.master);
        }
    }
    out
}

/// A create in progress must be this create's layout: nodes (other than those `already`
/// refused) that own slots `placement` gives to another node, or that own slots but are
/// replicas in it, were set up by something else.
fn layout_refusals(
    nodes: &[CreateNodeState],
    placement: &Placement,
    already: &[Refusal],
) -> Vec<Refusal> {
    let skip: BTreeSet<usize> = already.iter().filter_map(Refusal::node).collect();
    let mut refusals = Vec::new();
    for g in placement
        .masters
        .iter()
        .filter(|g| !skip.contains(&g.master))
    {
        let planned = SlotSet::from_ranges([g.slots]);
        let extra = nodes[g.master].own_slots.difference(&planned);
        if !extra.is_empty() {
            refusals.push(refuse(
                g.master,
                format!(
                    "owns slots {extra} that this create assigns elsewhere: it was set up by another create (different node list or tool)"
                ),
            ));
        }
    }
    let planned_master_of = planned_masters(nodes.len(), placement);
    for (i, n) in nodes.iter().enumerate() {
        if !skip.contains(&i) && planned_master_of[i].is_some() && !n.own_slots.is_empty() {
            refusals.push(refuse(
                i,
                format!(
                    "owns slots {} but this create makes it a replica: it was set up by another create",
                    n.own_slots
                ),
            ));
        }
    }
    refusals
}

/// The `cluster-node-timeout` new masters get while they first turn `ok`. Redis keeps a
/// master that owned no slot in `fail` for min(cluster-node-timeout, 5 s) after it gets
/// slots (the rejoin delay in `clusterUpdateState`); with this value the delay is its
/// minimum, 500 ms. The odd value marks it as trib's, so a re-run after an interruption
/// recognises and restores it.
pub const FAST_JOIN_TIMEOUT_MS: u64 = 499;

/// The largest masters × (nodes − 1) for which create lowers the node timeout.
///
/// A master with a 499 ms node timeout pings every other node at least every 250 ms, so
/// the cluster bus carries about 4 × masters × (nodes − 1) pings a second on top of the
/// usual gossip. 30 masters with a replica each (1770) join in about a second on two
/// cores; 60 masters with a replica each (7080) flooded them: nodes kept flagging each
/// other failing and create never saw them all know each other. Larger clusters keep
/// their own timeout and wait out the rejoin delay (at most 5 s).
pub const FAST_JOIN_MAX_LINKS: usize = 2000;

/// Whether a create of `masters` masters among `nodes` nodes uses the fast join.
pub fn fast_join_fits(masters: usize, nodes: usize) -> bool {
    masters.saturating_mul(nodes.saturating_sub(1)) <= FAST_JOIN_MAX_LINKS
}

/// Redis's own default `cluster-node-timeout`.
pub const REDIS_DEFAULT_NODE_TIMEOUT_MS: u64 = 15_000;

/// Restores of a fast-join timeout that an interrupted create left behind: back to the
/// value most other nodes have, or Redis's default when every node has trib's value
/// (a create of masters only, killed before it restored them).
pub fn timeout_restores(nodes: &[CreateNodeState]) -> Vec<CreateStep> {
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for t in nodes.iter().filter_map(|n| n.node_timeout) {
        if t != FAST_JOIN_TIMEOUT_MS {
            *counts.entry(t).or_default() += 1;
        }
    }
    let usual = counts
        .iter()
        .max_by_key(|(t, c)| (**c, **t))
        .map_or(REDIS_DEFAULT_NODE_TIMEOUT_MS, |(t, _)| *t);
    nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.node_timeout == Some(FAST_JOIN_TIMEOUT_MS))
        .map(|(i, _)| CreateStep::RestoreNodeTimeout { node: i, ms: usual })
        .collect()
}

/// Up to this many nodes, every pair is introduced directly.
const FULL_MESH_MAX: usize = 64;
/// Beyond it, each node meets this many ring neighbours (and node 0).
const RING_NEIGHBOURS: usize = 8;

/// Which nodes MEET which: `(node, peer)`, `node` sends `CLUSTER MEET` for `peer`. Gossip
/// alone spreads membership slowly (each node pings one random peer per second), so small
/// clusters get a direct MEET per pair (every node links to every other anyway); large
/// ones a hub plus ring neighbours, which makes the gossip graph dense enough to converge
/// in a few ping rounds.
///
/// Every node is also the peer of some MEET ([`towards_every_node`]): a node learns its
/// own address from the first MEET it receives. One that never receives one tells the
/// others no address for itself until they know it, and they take the source address of
/// its packets for it, which is not the one it listens at on a host with several addresses
/// (or Redis bound to one of them without `bind-source-addr`): they would never learn it.
pub fn meet_pairs(n: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    if n <= FULL_MESH_MAX {
        for i in 0..n {
            for j in i + 1..n {
                pairs.push((i, j));
            }
        }
        return towards_every_node(pairs, n);
    }
    let mut seen = BTreeSet::new();
    for j in 1..n {
        seen.insert((0, j));
    }
    for i in 1..n {
        for k in 1..=RING_NEIGHBOURS {
            let j = (i + k) % n;
            if j != 0 && j != i {
                seen.insert((i.min(j), i.max(j)));
            }
        }
    }
    pairs.extend(seen);
    towards_every_node(pairs, n)
}

/// `pairs` (`a < b`) turned around the circle of `n` nodes: `a` meets `b` when `b` is at
/// most half the circle ahead of `a`, else `b` meets `a`. Each node is then met by the
/// nodes up to half the circle behind it that it is paired with (for the full mesh, about
/// half of all; with the hub, node 0 by the upper half), so from 3 nodes on none is left
/// unmet.
fn towards_every_node(pairs: Vec<(usize, usize)>, n: usize) -> Vec<(usize, usize)> {
    pairs
        .into_iter()
        .map(|(a, b)| if b - a <= n / 2 { (a, b) } else { (b, a) })
        .collect()
}

/// Whether every node is a member of one cluster that covers every slot: each knows all
/// the others, sees every slot assigned, and owns slots or replicates a node it knows.
fn one_complete_cluster(nodes: &[CreateNodeState], ids: &BTreeSet<&NodeId>) -> bool {
    nodes.iter().all(|n| {
        n.view_slots.len() == SLOT_COUNT as usize
            && ids.iter().all(|id| *id == &n.id || n.known.contains(*id))
            && (!n.own_slots.is_empty()
                || n.master_id.as_ref().is_some_and(|m| n.known.contains(m)))
    })
}

/// Why nodes that form one cluster (with members not listed) are not a complete one.
fn incomplete_reason(nodes: &[CreateNodeState], ids: &BTreeSet<&NodeId>) -> String {
    if let Some(n) = nodes
        .iter()
        .find(|n| n.view_slots.len() < SLOT_COUNT as usize)
    {
        return format!(
            "does not cover every slot ({} sees {} of {SLOT_COUNT} assigned)",
            n.label,
            n.view_slots.len()
        );
    }
    for n in nodes {
        if let Some(other) = ids
            .iter()
            .find(|id| **id != &n.id && !n.known.contains(**id))
        {
            return format!(
                "is still forming ({} does not know {} yet)",
                n.label,
                other.short()
            );
        }
    }
    match nodes.iter().find(|n| n.own_slots.is_empty()) {
        Some(n) => format!("has {} as a master without slots", n.label),
        None => "is not complete".into(),
    }
}

/// Why each node that cannot be part of any create is refused: it belongs to another
/// cluster, or it holds data of its own. Every such node gets its reason.
///
/// `missing` listed nodes did not answer (their IDs are unknown): a node may know them,
/// and a replica's master may be one of them, so then only what holds whatever they are
/// is refused: knowing more nodes outside those that answered than there are missing,
/// or keys on a node that is neither a master nor a replica.
pub fn node_refusals(nodes: &[CreateNodeState], missing: usize) -> Vec<Refusal> {
    let ids: BTreeSet<&NodeId> = nodes.iter().map(|n| &n.id).collect();
    let mut refusals = Vec::new();
    let mut incomplete_said = false;
    for (i, n) in nodes.iter().enumerate() {
        let foreign: Vec<&NodeId> = n.known.iter().filter(|k| !ids.contains(k)).collect();
        if missing == 0
            && let Some(foreign) = foreign.first()
        {
            // A node of this create that neither knows this one nor is known by it.
            let stranger = nodes
                .iter()
                .find(|o| o.id != n.id && !n.known.contains(&o.id) && !o.known.contains(&n.id));
            let reason = match stranger {
                Some(o) if !o.known.is_empty() => format!(
                    "belongs to another cluster than {}: it knows node {} which is not in this create, and the two do not know each other (CLUSTER RESET it if that is intended)",
                    o.label,
                    foreign.short()
                ),
                Some(_) => format!(
                    "already knows node {} which is not in this create: it belongs to another cluster (CLUSTER RESET it if that is intended)",
                    foreign.short()
                ),
                // Its cluster holds the other nodes too: one cluster, with more members.
                None if incomplete_said => continue,
                None => {
                    incomplete_said = true;
                    format!(
                        "is a member of a cluster that has nodes not in this create (such as {}) and {}: create cannot complete it; `trib check` shows what is wrong, `trib apply` converges it to the nodes given",
                        foreign.short(),
                        incomplete_reason(nodes, &ids)
                    )
                }
            };
            refusals.push(refuse(i, reason));
        } else if foreign.len() > missing {
            refusals.push(refuse(
                i,
                format!(
                    "already knows {} nodes besides those that answered, but only {missing} listed node(s) did not answer: it belongs to another cluster (CLUSTER RESET it if that is intended)",
                    foreign.len()
                ),
            ));
        } else if n.keys > 0
            && n.own_slots.is_empty()
            && match &n.master_id {
                // A replica of a node of this create holds its master's keys: not data
                // of its own (its master may be one that did not answer).
                Some(m) => missing == 0 && !ids.contains(m),
                None => true,
            }
        {
            refusals.push(refuse(
                i,
                format!(
                    "is not empty: it holds {} key(s); create needs empty nodes",
                    n.keys
                ),
            ));
        }
    }
    refusals
}

/// The plan when the nodes already form the cluster: nothing to do, but restoring a
/// timeout an interrupted fast join left lowered.
fn already_created(nodes: &[CreateNodeState], placement: Placement) -> CreatePlan {
    let restores = timeout_restores(nodes);
    CreatePlan {
        status: if restores.is_empty() {
            CreateStatus::AlreadyCreated
        } else {
            CreateStatus::Resume
        },
        placement,
        steps: restores,
    }
}

/// Plans a create over `nodes` (in the user's order) with `replicas` per master. Every
/// node that cannot take part is refused with its reason, all at once.
pub fn plan_create(nodes: &[CreateNodeState], replicas: usize) -> Result<CreatePlan, Vec<Refusal>> {
    let placement_input: Vec<PlacementNode> = nodes
        .iter()
        .map(|n| PlacementNode {
            label: n.label.clone(),
            domain: n.domain.clone(),
        })
        .collect();
    // Every node a member of one cluster that covers every slot: a re-run after that
    // cluster gained members or went through failovers. Nothing to do (but a timeout an
    // interrupted fast join left lowered).
    let ids: BTreeSet<&NodeId> = nodes.iter().map(|n| &n.id).collect();
    if one_complete_cluster(nodes, &ids)
        && let Ok(placement) = plan_placement(&placement_input, replicas)
    {
        return Ok(already_created(nodes, placement));
    }
    // Membership in some other cluster, and data on nodes that own nothing.
    let mut refusals = node_refusals(nodes, 0);
    let placement = match plan_placement(&placement_input, replicas) {
        Ok(p) => p,
        Err(e) => {
            refusals.push(Refusal::Placement(e));
            return Err(refusals);
        }
    };

    let index_of: BTreeMap<&NodeId, usize> =
        nodes.iter().enumerate().map(|(i, n)| (&n.id, i)).collect();

    let fresh = nodes
        .iter()
        .all(|n| n.own_slots.is_empty() && n.known.is_empty() && n.master_id.is_none());
    if fresh && refusals.is_empty() {
        let mut steps = Vec::new();
        for g in &placement.masters {
            steps.push(CreateStep::AddSlots {
                node: g.master,
                slots: vec![g.slots],
            });
        }
        for i in 0..nodes.len() {
            steps.push(CreateStep::SetConfigEpoch {
                node: i,
                epoch: i as u64 + 1,
            });
        }
        for (node, peer) in meet_pairs(nodes.len()) {
            steps.push(CreateStep::Meet { node, peer });
        }
        for g in &placement.masters {
            for &r in &g.replicas {
                steps.push(CreateStep::Replicate {
                    replica: r,
                    master: g.master,
                });
            }
        }
        return Ok(CreatePlan {
            status: CreateStatus::New,
            placement,
            steps,
        });
    }

    // Slot ownership must be consistent (among the nodes not refused already: a node of
    // another cluster claims slots of that cluster).
    let refused: BTreeSet<usize> = refusals.iter().filter_map(Refusal::node).collect();
    let mut owner: Vec<Option<usize>> = vec![None; SLOT_COUNT as usize];
    for (i, n) in nodes.iter().enumerate() {
        if refused.contains(&i) {
            continue;
        }
        for s in n.own_slots.iter() {
            match owner[s as usize] {
                Some(o) => {
                    refusals.push(refuse(
                        i,
                        format!("claims slot {s}, which {} also claims", nodes[o].label),
                    ));
                    break;
                }
                None => owner[s as usize] = Some(i),
            }
        }
    }
    if !refusals.is_empty() {
        refusals.extend(layout_refusals(nodes, &placement, &refusals));
        return Err(refusals);
    }

    let covered = owner.iter().all(Option::is_some);
    let all_know_all = nodes
        .iter()
        .all(|n| ids.iter().all(|id| *id == &n.id || n.known.contains(*id)));
    let roles_done = nodes
        .iter()
        .all(|n| !n.own_slots.is_empty() || n.master_id.as_ref().is_some_and(|m| ids.contains(m)));
    if covered && all_know_all && roles_done {
        return Ok(already_created(nodes, placement));
    }

    // A create in progress: it must be this create's layout.
    let layout = layout_refusals(nodes, &placement, &[]);
    if !layout.is_empty() {
        return Err(layout);
    }
    let planned_master_of = planned_masters(nodes.len(), &placement);

    let mut steps = Vec::new();
    for g in &placement.masters {
        let planned = SlotSet::from_ranges([g.slots]);
        let missing = planned.difference(&nodes[g.master].own_slots);
        if !missing.is_empty() {
            steps.push(CreateStep::AddSlots {
                node: g.master,
                slots: missing.ranges(),
            });
        }
    }
    for (i, n) in nodes.iter().enumerate() {
        if n.known.is_empty() && n.config_epoch == 0 {
            steps.push(CreateStep::SetConfigEpoch {
                node: i,
                epoch: i as u64 + 1,
            });
        }
    }
    for (i, j) in meet_pairs(nodes.len()) {
        if !nodes[i].known.contains(&nodes[j].id) || !nodes[j].known.contains(&nodes[i].id) {
            steps.push(CreateStep::Meet { node: i, peer: j });
        }
    }
    for (r, n) in nodes.iter().enumerate() {
        let Some(m) = planned_master_of[r] else {
            continue;
        };
        match &n.master_id {
            // Already a replica of a member (maybe of a promoted replica): leave it.
            Some(current) if index_of.contains_key(current) => {}
            _ => steps.push(CreateStep::Replicate {
                replica: r,
                master: m,
            }),
        }
    }
    steps.extend(timeout_restores(nodes));
    Ok(CreatePlan {
        status: CreateStatus::Resume,
        placement,
        steps,
    })
}

/// Node states for tests: `n` empty nodes `10.0.0.i:6379`, each its own domain.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn id(i: usize) -> NodeId {
        NodeId::parse(&format!("{:040x}", i + 1)).unwrap()
    }

    pub fn empty(n: usize) -> Vec<CreateNodeState> {
        (0..n)
            .map(|i| CreateNodeState {
                label: format!("10.0.0.{i}:6379"),
                addr: format!("10.0.0.{i}:6379").parse().unwrap(),
                bus_port: 16379,
                id: id(i),
                domain: format!("10.0.0.{i}"),
                own_slots: SlotSet::new(),
                known: BTreeSet::new(),
                view_slots: SlotSet::new(),
                master_id: None,
                config_epoch: 0,
                keys: 0,
                node_timeout: Some(15000),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{empty, id};
    use super::*;

    /// Applies a plan's steps to the modelled state, as the servers would.
    fn apply(nodes: &mut [CreateNodeState], plan: &CreatePlan) {
        for step in &plan.steps {
            match step {
                CreateStep::AddSlots { node, slots } => {
                    for r in slots {
                        nodes[*node].own_slots.insert_range(*r);
                    }
                }
                CreateStep::SetConfigEpoch { node, epoch } => nodes[*node].config_epoch = *epoch,
                CreateStep::Meet { .. } => {}
                CreateStep::RestoreNodeTimeout { node, ms } => {
                    nodes[*node].node_timeout = Some(*ms)
                }
                CreateStep::Replicate { replica, master } => {
                    nodes[*replica].master_id = Some(nodes[*master].id.clone())
                }
            }
        }
        // Gossip: everyone learns everyone, and every slot assignment.
        let all: BTreeSet<NodeId> = nodes.iter().map(|n| n.id.clone()).collect();
        let mut slots = SlotSet::new();
        for n in nodes.iter() {
            slots.union_with(&n.own_slots);
        }
        for n in nodes.iter_mut() {
            n.known = all.iter().filter(|i| **i != n.id).cloned().collect();
            n.view_slots = slots.clone();
        }
    }

    /// `nodes` (a complete cluster) after two more nodes joined it and took slots from
    /// the first master: the listed nodes know them and see every slot assigned.
    fn scaled_out(nodes: &mut [CreateNodeState]) {
        let first = SlotSet::from_ranges([SlotRange::new(0, 99)]);
        nodes[0].own_slots = nodes[0].own_slots.difference(&first);
        for n in nodes.iter_mut() {
            n.known.insert(id(6));
            n.known.insert(id(7));
        }
    }

    #[test]
    fn re_run_after_scale_out_or_failovers_is_already_created() {
        let mut nodes = empty(6);
        let plan = plan_create(&nodes, 1).unwrap();
        apply(&mut nodes, &plan);
        scaled_out(&mut nodes);
        for n in nodes.iter_mut() {
            n.keys = 10;
        }
        let again = plan_create(&nodes, 1).unwrap();
        assert_eq!(again.status, CreateStatus::AlreadyCreated, "{again:?}");
        assert!(again.steps.is_empty());
        // A failover: a listed replica became a master, its master a replica of it; and a
        // listed replica now follows one of the new (unlisted) masters.
        let (m, r) = (
            plan.placement.masters[0].master,
            plan.placement.masters[0].replicas[0],
        );
        let slots = nodes[m].own_slots.clone();
        nodes[r].own_slots = slots;
        nodes[r].master_id = None;
        nodes[m].own_slots = SlotSet::new();
        nodes[m].master_id = Some(nodes[r].id.clone());
        let other = plan.placement.masters[1].replicas[0];
        nodes[other].master_id = Some(id(6));
        let again = plan_create(&nodes, 1).unwrap();
        assert_eq!(again.status, CreateStatus::AlreadyCreated, "{again:?}");
    }

    #[test]
    fn a_cluster_with_more_members_that_is_not_complete_is_not_called_foreign() {
        let mut nodes = empty(6);
        let plan = plan_create(&nodes, 1).unwrap();
        apply(&mut nodes, &plan);
        scaled_out(&mut nodes);
        // Slots 0-99 are not assigned in anyone's view (the new master is gone).
        for n in nodes.iter_mut() {
            n.view_slots = n
                .view_slots
                .difference(&SlotSet::from_ranges([SlotRange::new(0, 99)]));
        }
        let err = plan_create(&nodes, 1).unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        let Refusal::Node { reason, .. } = &err[0] else {
            panic!("{err:?}")
        };
        assert!(!reason.contains("another cluster"), "{reason}");
        assert!(
            reason.contains("is a member of a cluster that has nodes not in this create")
                && reason.contains("does not cover every slot")
                && reason.contains("16284 of 16384"),
            "{reason}"
        );
    }

    #[test]
    fn nodes_of_two_clusters_name_the_other_cluster() {
        let mut a = empty(6);
        let plan = plan_create(&a, 1).unwrap();
        apply(&mut a, &plan);
        // Nodes 3-5 belong to a cluster of their own (with node 98), 0-2 to another (97).
        for n in a.iter_mut().skip(3) {
            n.known = [3, 4, 5, 98]
                .into_iter()
                .map(id)
                .filter(|x| *x != n.id)
                .collect();
        }
        for n in a.iter_mut().take(3) {
            n.known.retain(|k| ![id(3), id(4), id(5)].contains(k));
            n.known.insert(id(97));
        }
        let err = plan_create(&a, 1).unwrap_err();
        assert!(
            err.iter().any(|r| matches!(r, Refusal::Node { reason, .. }
                if reason.contains("belongs to another cluster than 10.0.0.") && reason.contains("do not know each other"))),
            "{err:?}"
        );
    }

    #[test]
    fn new_then_already_created() {
        let mut nodes = empty(6);
        let plan = plan_create(&nodes, 1).unwrap();
        assert_eq!(plan.status, CreateStatus::New);
        apply(&mut nodes, &plan);
        let again = plan_create(&nodes, 1).unwrap();
        assert_eq!(again.status, CreateStatus::AlreadyCreated);
        assert!(again.steps.is_empty());
    }

    #[test]
    fn already_created_cluster_holding_keys_is_left_alone() {
        // Re-running create (a retried Kubernetes Job) on the cluster it made, once it holds
        // data: the replicas hold copies of their masters' keys. Found on replies recorded
        // from real Redis 5, 6, 7 and Valkey 9 (tests/versions.rs).
        let mut nodes = empty(6);
        let plan = plan_create(&nodes, 1).unwrap();
        apply(&mut nodes, &plan);
        for n in nodes.iter_mut() {
            n.keys = 100;
        }
        let again = plan_create(&nodes, 1).unwrap();
        assert_eq!(again.status, CreateStatus::AlreadyCreated);
        assert!(again.steps.is_empty());
        // A replica of a node outside this create still counts as holding data.
        let mut other = empty(6);
        other[5].master_id = Some(id(99));
        other[5].keys = 3;
        let refused = plan_create(&other, 1).unwrap_err();
        assert!(
            matches!(&refused[0], Refusal::Node { node: 5, reason } if reason.contains("holds 3 key(s)"))
        );
    }

    #[test]
    fn half_done_is_completed() {
        let mut nodes = empty(6);
        let plan = plan_create(&nodes, 1).unwrap();
        // Only the slot assignments of the first master happened.
        let first = plan.steps[0].clone();
        let partial = CreatePlan {
            steps: vec![first],
            ..plan.clone()
        };
        apply(&mut nodes, &partial);
        for n in nodes.iter_mut() {
            n.known.clear();
        }
        let resume = plan_create(&nodes, 1).unwrap();
        assert_eq!(resume.status, CreateStatus::Resume);
        assert!(!resume.steps.contains(&plan.steps[0]));
        apply(&mut nodes, &resume);
        assert_eq!(
            plan_create(&nodes, 1).unwrap().status,
            CreateStatus::AlreadyCreated
        );
    }

    #[test]
    fn refuses_foreign_members_and_data() {
        let mut nodes = empty(6);
        nodes[2].keys = 3;
        nodes[4].known.insert(id(99));
        let err = plan_create(&nodes, 1).unwrap_err();
        assert_eq!(err.len(), 2);
        assert!(matches!(&err[0], Refusal::Node { node: 2, reason } if reason.contains("3 key")));
        assert!(
            matches!(&err[1], Refusal::Node { node: 4, reason } if reason.contains("another cluster"))
        );
    }

    #[test]
    fn with_nodes_missing_only_sure_reasons() {
        // Four nodes answered, two listed nodes did not (their IDs are unknown).
        let mut nodes = empty(4);
        // Knows two nodes trib did not reach: maybe the missing ones, not refused.
        nodes[0].known.extend([id(98), id(99)]);
        // Knows six nodes that did not answer, but only two are missing: another cluster.
        nodes[1].known.extend((90..96).map(id));
        // Keys, and neither a master nor a replica: data of its own.
        nodes[2].keys = 7;
        // A replica (of a node not reached) holding its master's keys: not refused.
        nodes[3].keys = 7;
        nodes[3].master_id = Some(id(98));
        let refused: Vec<(usize, String)> = node_refusals(&nodes, 2)
            .into_iter()
            .map(|r| match r {
                Refusal::Node { node, reason } => (node, reason),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert_eq!(refused[0].0, 1);
        assert!(
            refused[0].1.contains(
                "knows 6 nodes besides those that answered, but only 2 listed node(s) did not answer"
            ),
            "{refused:?}"
        );
        assert_eq!(refused[1].0, 2);
        assert!(refused[1].1.contains("holds 7 key(s)"));
    }

    #[test]
    fn every_bad_node_gets_its_reason() {
        // Bad nodes, each for its own reason: another cluster (0), keys (1), slots this
        // create gives another master (2), a slot another node claims too (5), slots on
        // a node this create makes a replica (6).
        let mut nodes = empty(8);
        nodes[0].known.insert(id(99));
        nodes[1].keys = 5;
        nodes[2].own_slots = SlotSet::from_ranges([SlotRange::new(0, 10)]);
        nodes[5].own_slots = SlotSet::from_ranges([SlotRange::new(5, 6)]);
        nodes[6].own_slots = SlotSet::from_ranges([SlotRange::new(100, 100)]);
        let err = plan_create(&nodes, 1).unwrap_err();
        let refused: BTreeSet<usize> = err.iter().filter_map(Refusal::node).collect();
        assert_eq!(refused, BTreeSet::from([0, 1, 2, 5, 6]), "{err:?}");
        // A placement that cannot work does not hide the nodes' own problems.
        let mut nodes = empty(4);
        nodes[0].known.insert(id(99));
        nodes[3].keys = 1;
        let err = plan_create(&nodes, 1).unwrap_err();
        assert!(matches!(err.last(), Some(Refusal::Placement(_))), "{err:?}");
        let refused: BTreeSet<usize> = err.iter().filter_map(Refusal::node).collect();
        assert_eq!(refused, BTreeSet::from([0, 3]), "{err:?}");
    }

    #[test]
    fn fast_join_only_where_its_pings_fit() {
        assert!(fast_join_fits(3, 6));
        assert!(fast_join_fits(30, 60));
        assert!(!fast_join_fits(60, 120));
        assert!(!fast_join_fits(usize::MAX, usize::MAX));
        assert!(fast_join_fits(0, 0));
    }

    #[test]
    fn restores_a_timeout_left_by_an_interrupted_fast_join() {
        let mut nodes = empty(6);
        let plan = plan_create(&nodes, 1).unwrap();
        apply(&mut nodes, &plan);
        nodes[0].node_timeout = Some(FAST_JOIN_TIMEOUT_MS);
        nodes[2].node_timeout = Some(FAST_JOIN_TIMEOUT_MS);
        let again = plan_create(&nodes, 1).unwrap();
        assert_eq!(again.status, CreateStatus::Resume);
        assert_eq!(
            again.steps,
            vec![
                CreateStep::RestoreNodeTimeout { node: 0, ms: 15000 },
                CreateStep::RestoreNodeTimeout { node: 2, ms: 15000 }
            ]
        );
        apply(&mut nodes, &again);
        assert_eq!(
            plan_create(&nodes, 1).unwrap().status,
            CreateStatus::AlreadyCreated
        );
    }

    #[test]
    fn restores_to_the_usual_value_or_redis_default_when_every_node_was_lowered() {
        // Masters only: every node had its timeout lowered, so no node keeps its own.
        let mut nodes = empty(3);
        let plan = plan_create(&nodes, 0).unwrap();
        apply(&mut nodes, &plan);
        for n in &mut nodes {
            n.node_timeout = Some(FAST_JOIN_TIMEOUT_MS);
        }
        let again = plan_create(&nodes, 0).unwrap();
        assert_eq!(again.status, CreateStatus::Resume);
        assert_eq!(
            again.steps,
            (0..3)
                .map(|node| CreateStep::RestoreNodeTimeout {
                    node,
                    ms: REDIS_DEFAULT_NODE_TIMEOUT_MS
                })
                .collect::<Vec<_>>()
        );
        // With replicas that kept theirs, their value wins over the default.
        let mut nodes = empty(6);
        let plan = plan_create(&nodes, 1).unwrap();
        apply(&mut nodes, &plan);
        for (i, n) in nodes.iter_mut().enumerate() {
            n.node_timeout = Some(if i < 3 { FAST_JOIN_TIMEOUT_MS } else { 2000 });
        }
        let again = plan_create(&nodes, 1).unwrap();
        assert!(
            again
                .steps
                .iter()
                .all(|s| matches!(s, CreateStep::RestoreNodeTimeout { ms: 2000, .. })),
            "{:?}",
            again.steps
        );
    }

    #[test]
    fn refuses_other_layout() {
        let mut nodes = empty(6);
        // A single-node cluster owning every slot on node 3 (a replica in our plan).
        nodes[3].own_slots = SlotSet::full();
        let err = plan_create(&nodes, 1).unwrap_err();
        assert!(
            err.iter()
                .any(|r| matches!(r, Refusal::Node { node: 3, .. }))
        );
    }

    #[test]
    fn meets_connect_everyone() {
        for n in [3, 4, 6, 7, 64, 65, 200] {
            let pairs = meet_pairs(n);
            // Connected: a walk from node 0 reaches everyone.
            let mut seen = vec![false; n];
            seen[0] = true;
            let mut changed = true;
            while changed {
                changed = false;
                for &(a, b) in &pairs {
                    if seen[a] != seen[b] {
                        seen[a] = true;
                        seen[b] = true;
                        changed = true;
                    }
                }
            }
            assert!(seen.iter().all(|s| *s), "n={n}");
            assert!(pairs.iter().all(|(a, b)| a != b && *a < n && *b < n));
            // Each pair once, in one direction.
            let undirected: BTreeSet<(usize, usize)> =
                pairs.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
            assert_eq!(undirected.len(), pairs.len(), "n={n}");
            // Every node receives a MEET, so it learns its own address from one.
            let met: BTreeSet<usize> = pairs.iter().map(|&(_, b)| b).collect();
            assert_eq!(met.len(), n, "n={n}");
        }
        assert_eq!(meet_pairs(6).len(), 15);
        assert!(meet_pairs(200).len() < 200 * (RING_NEIGHBOURS + 1));
    }

    #[test]
    fn too_few_masters() {
        let nodes = empty(4);
        assert!(matches!(
            plan_create(&nodes, 1).unwrap_err()[0],
            Refusal::Placement(PlacementError::TooFewMasters { .. })
        ));
    }
}
