//! Planning `trib apply`: the phases that make a cluster consist of exactly the listed
//! nodes with N replicas per master, from whatever state it is in. Pure: decides from
//! the listed nodes' own views and the cluster they belong to (a [`ClusterView`] of the
//! members reached, the listed ones at their current addresses).
//!
//! Every phase is carried out by an existing operation, planned again by that
//! operation's own planner on the cluster as it is when the phase starts (`ops::apply`):
//! `create`, `fix`'s re-forming, `add-node`/`replicate`, `failover`, `rebalance`,
//! `del-node`. This planner only decides which, in which order, for which nodes:
//!
//! - No listed node's view covers every slot: no cluster yet. `create`'s planner decides
//!   (a new cluster, an interrupted create completed, or its refusals). A listed node that
//!   knows members not listed, without such a view, is refused: repair that cluster first.
//! - Members reachable at a new address: the `CLUSTER MEET`s `fix` sends
//!   ([`plan_reform`]).
//! - New listed nodes (empty, alone), in the order given: a replica of the master with
//!   fewest replicas (preferring another failure domain, as `add-node --replica`) while
//!   some master has fewer than N, else a master. A listed member that is an empty master
//!   without replicas (a join that was interrupted) is placed the same way.
//! - Slots: `rebalance`'s planner (default threshold) over every master that stays, each
//!   of weight 1, pruned masters drained (weight 0); nothing moves while every master is
//!   within the threshold, so a re-run, or a run after failovers, moves nothing.
//! - `--prune`, members not listed: unreachable ones are forgotten (refused when they
//!   own slots no live master took over). A pruned master is drained, its listed replicas
//!   re-pointed first to masters that stay; it is failed over to a listed replica of it
//!   instead only when the masters that stay would otherwise be fewer than
//!   listed ÷ (N + 1), the layout N asks for: the promotion moves no key and is what
//!   losing the pod would do. Then each is removed (forgotten everywhere, reset), replicas
//!   first. Without `--prune` they are kept and reported.
//! - Roles that failovers produced are kept: no phase turns a master that owns slots
//!   into a replica or a replica into a master, besides that promotion.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use serde::Serialize;

use super::create::{
    CreateNodeState, CreatePlan, CreateStatus, CreateStep, Refusal as CreateRefusal, plan_create,
    timeout_restores,
};
use super::membership::{MasterCandidate, NodeRef, Role, bus_port, choose_master};
use super::membership_del::{DelRefusal, plan_del};
use super::rebalance::{
    DEFAULT_THRESHOLD, RebalanceMaster, RebalancePlan, RebalanceRefusal, plan_rebalance,
};
use super::reform::{ReformNode, ReformPlan, plan_reform};
use super::reshard::health_problems;
use crate::model::view::{ClusterView, NodeView, NotNew};
use crate::model::{NodeEntry, NodeId, SLOT_COUNT, SlotSet};

/// Everything the planner needs.
pub struct ApplyInput<'a> {
    /// The cluster the listed nodes belong to: every member reached (the listed ones at
    /// their current addresses), the others unreachable. Empty when there is none.
    pub cluster: &'a ClusterView,
    /// Every listed node as it answered, in the order given.
    pub listed: &'a [NodeView],
    /// The same nodes as `create`'s planner reads them.
    pub create: &'a [CreateNodeState],
    pub replicas: usize,
    pub prune: bool,
}

/// Whether apply creates a cluster or converges an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Create,
    Converge,
}

/// A node's view of a peer at an address where the peer no longer answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stale {
    pub node: String,
    pub peer: String,
    /// Where `node` has `peer` (`""`: no address).
    pub known_at: String,
}

/// A `cluster-node-timeout` an interrupted create left lowered, put back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimeoutRestore {
    pub node: NodeRef,
    pub ms: u64,
}

/// One phase, in the order applied.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// No cluster yet: `create` over the listed nodes.
    Create { plan: CreatePlan },
    /// Put back timeouts an interrupted create left lowered.
    RestoreTimeouts { nodes: Vec<TimeoutRestore> },
    /// Re-introduce members to each other at their current addresses (as `fix`).
    Reform {
        stale: Vec<Stale>,
        #[serde(skip)]
        plan: ReformPlan,
    },
    /// A pruned member that does not answer: forgotten by every member (`del-node`).
    Forget { node: NodeRef },
    /// A listed replica takes over a pruned master (`failover`).
    Failover { promote: NodeRef, master: NodeRef },
    /// A listed node joins (`add-node`), or an empty member master becomes a replica
    /// (`replicate`, `member`).
    Join {
        node: NodeRef,
        role: Role,
        #[serde(skip_serializing_if = "Option::is_none")]
        master: Option<NodeRef>,
        member: bool,
    },
    /// A listed replica of a master that is drained follows a master that stays.
    Replicate {
        replica: NodeRef,
        master: NodeRef,
        previous: NodeRef,
    },
    /// Slots (and keys) move onto new masters and off pruned ones.
    Rebalance { plan: RebalancePlan },
    /// A pruned member, empty by then: forgotten everywhere and reset (`del-node`).
    Remove { node: NodeRef, role: Role },
}

impl Phase {
    /// The phase's name (`phase` in JSON).
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Create { .. } => "create",
            Phase::RestoreTimeouts { .. } => "restore_timeouts",
            Phase::Reform { .. } => "reform",
            Phase::Forget { .. } => "forget",
            Phase::Failover { .. } => "failover",
            Phase::Join { .. } => "join",
            Phase::Replicate { .. } => "replicate",
            Phase::Rebalance { .. } => "rebalance",
            Phase::Remove { .. } => "remove",
        }
    }
}

/// A member that is not listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unlisted {
    pub node: NodeRef,
    pub role: Role,
    pub reachable: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ApplyPlan {
    pub mode: Mode,
    /// How many nodes were listed.
    pub nodes: usize,
    pub replicas: usize,
    pub prune: bool,
    pub phases: Vec<Phase>,
    /// Members not listed: removed by the phases with `--prune`, kept without.
    pub unlisted: Vec<Unlisted>,
    pub warnings: Vec<String>,
}

impl ApplyPlan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.phases.is_empty()
    }
}

/// Why apply cannot go on in a converging cluster. Displayed as one line each.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApplyRefusal {
    #[error(
        "{node}: a member of a cluster that does not cover every slot ({assigned} of {SLOT_COUNT} assigned in its view), with members not listed: repair it first (`trib check`, `trib fix`)"
    )]
    Incomplete { node: String, assigned: usize },
    #[error("{node}: neither a member of the cluster of {cluster} nor a new node: {why}")]
    NotInCluster {
        node: String,
        cluster: String,
        why: NotNew,
    },
    #[error("{0}")]
    Del(DelRefusal),
    /// `gone`: members not listed that do not answer and that `--prune` would forget
    /// (their slots, if any, taken over): a pod replaced by a new empty one leaves one.
    #[error("{}", unhealthy_text(.problems, .gone))]
    Unhealthy {
        problems: Vec<String>,
        gone: Vec<String>,
    },
    #[error(
        "no master would stay to hold the slots: list at least one master of the cluster, or more nodes"
    )]
    NoMasterLeft,
    #[error("{0}")]
    Rebalance(RebalanceRefusal),
}

fn unhealthy_text(problems: &[String], gone: &[String]) -> String {
    let advice = if gone.is_empty() {
        "repair it first with `trib fix`".to_string()
    } else {
        format!(
            "{} not listed and not answering: if gone for good (a pod replaced by a new empty one), add --prune to forget {}; else bring {} back",
            gone.join(", "),
            if gone.len() == 1 { "it" } else { "them" },
            if gone.len() == 1 { "it" } else { "them" },
        )
    };
    format!(
        "{}\nthe cluster is not healthy: {advice}; nothing was changed",
        problems.join("\n")
    )
}

/// Why nothing may be done.
#[derive(Clone, Debug, PartialEq)]
pub enum Refused {
    /// `create`'s refusals (no cluster yet).
    Create(Vec<CreateRefusal>),
    Converge(Vec<ApplyRefusal>),
}

/// Whether `v`'s view gives every slot to some master.
fn covers_every_slot(v: &NodeView) -> bool {
    v.slots_assigned().len() == SLOT_COUNT as usize
}

/// The order to load the cluster from the listed nodes (indexes): those whose view
/// covers every slot first, then the other members of some cluster; new nodes last (a
/// new node answering first would be taken for the whole cluster).
pub fn load_order(listed: &[NodeView]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..listed.len()).collect();
    order.sort_by_key(|&i| {
        let v = &listed[i];
        (!covers_every_slot(v), v.others().all(|e| e.flags.handshake))
    });
    order
}

/// The reached members as `fix`'s re-forming sees them, in the view's order.
pub fn reform_nodes(view: &ClusterView) -> Vec<ReformNode> {
    view.nodes
        .iter()
        .map(|v| ReformNode {
            id: v.id.clone(),
            label: v.label.clone(),
            addr: v.addr,
            bus_port: bus_port(v),
            entries: v.nodes.clone(),
        })
        .collect()
}

/// The masters of apply's rebalance on `view` as it is: every reached master that
/// stays (weight 1, with or without slots) and every pruned master owning slots
/// (weight 0); the listed ones in the order given, then the others by address.
/// `ops::apply` plans the rebalance with it on the cluster as the earlier phases left it.
pub fn rebalance_masters(
    view: &ClusterView,
    listed: &[NodeId],
    prune: bool,
) -> Vec<RebalanceMaster> {
    let mut out: Vec<Taking> = view
        .nodes
        .iter()
        .filter(|v| v.is_master())
        .filter_map(|v| {
            let slots = v.myself()?.slots.clone();
            let pos = listed.iter().position(|id| *id == v.id);
            let pruned = prune && pos.is_none();
            (!pruned || !slots.is_empty()).then(|| Taking {
                key: (pruned, pos.unwrap_or(usize::MAX), v.addr),
                master: RebalanceMaster {
                    id: v.id.clone(),
                    label: v.label.clone(),
                    slots,
                    weight: if pruned { 0.0 } else { 1.0 },
                },
            })
        })
        .collect();
    out.sort_by_key(|a| a.key);
    out.into_iter().map(|t| t.master).collect()
}

/// A master taking part in the rebalance, with the key that orders them.
struct Taking {
    key: (bool, usize, SocketAddr),
    master: RebalanceMaster,
}

/// Plans apply. A refusal means nothing may be changed.
pub fn plan_apply(input: &ApplyInput) -> Result<ApplyPlan, Refused> {
    if input.listed.iter().any(covers_every_slot) {
        return plan_converge(input).map_err(Refused::Converge);
    }
    // No cluster yet, unless the listed nodes know members not listed.
    let ids: BTreeSet<&NodeId> = input.listed.iter().map(|v| &v.id).collect();
    let outside: Vec<ApplyRefusal> = input
        .listed
        .iter()
        .filter(|v| {
            v.others()
                .any(|e| !e.flags.handshake && !ids.contains(&e.id))
        })
        .take(1)
        .map(|v| ApplyRefusal::Incomplete {
            node: v.label.clone(),
            assigned: v.slots_assigned().len(),
        })
        .collect();
    if !outside.is_empty() {
        return Err(Refused::Converge(outside));
    }
    let plan = plan_create(input.create, input.replicas).map_err(Refused::Create)?;
    let phases = if plan.status == CreateStatus::AlreadyCreated {
        Vec::new()
    } else {
        vec![Phase::Create { plan }]
    };
    Ok(ApplyPlan {
        mode: Mode::Create,
        nodes: input.listed.len(),
        replicas: input.replicas,
        prune: input.prune,
        phases,
        unlisted: Vec::new(),
        warnings: Vec::new(),
    })
}

fn view_ref(v: &NodeView) -> NodeRef {
    NodeRef {
        node: v.label.clone(),
        addr: v.addr.to_string(),
        id: v.id.clone(),
        domain: v.domain.clone(),
    }
}

/// A member as plans name it: its reached view, else its announced address.
fn member_ref(view: &ClusterView, e: &NodeEntry) -> NodeRef {
    match view.node(&e.id) {
        Some(v) => view_ref(v),
        None => NodeRef {
            node: e.addr_string(),
            addr: e.addr_string(),
            id: e.id.clone(),
            domain: e.ip.clone(),
        },
    }
}

/// A master that stays, as the replica placement and the rebalance see it.
struct Staying {
    node: NodeRef,
    slots: SlotSet,
    /// Position among the listed nodes.
    listed: Option<usize>,
    sort_addr: SocketAddr,
    /// Failure domains of the replicas it will have.
    replicas: Vec<String>,
    /// May be given a replica: reached, not flagged failing (new masters too).
    working: bool,
    /// Answers (or is a listed node): takes part in the rebalance. A master that does not
    /// answer takes part only while it owns slots (a rebalance then waits for a repair).
    reached: bool,
}

fn flagged_failing(view: &ClusterView, id: &NodeId) -> bool {
    view.nodes.iter().any(|v| {
        v.nodes
            .iter()
            .any(|e| &e.id == id && e.id != v.id && e.is_failing())
    })
}

/// The address a member sorts by: where it was reached, else its announced one.
fn sort_addr(view: &ClusterView, e: &NodeEntry) -> SocketAddr {
    view.node(&e.id)
        .map(|v| v.addr)
        .or_else(|| crate::cluster::load::entry_addr(e))
        .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)))
}

fn plan_converge(input: &ApplyInput) -> Result<ApplyPlan, Vec<ApplyRefusal>> {
    let view = input.cluster;
    let n = input.replicas;
    let members = view.members();
    let mut refusals = Vec::new();
    let mut warnings = Vec::new();
    let cluster_name = view
        .entry
        .as_ref()
        .map(|id| view.name_of(id))
        .unwrap_or_else(|| "the listed nodes".into());

    // Listed nodes: members, or new ones.
    let position: BTreeMap<&NodeId, usize> = input
        .listed
        .iter()
        .enumerate()
        .map(|(i, v)| (&v.id, i))
        .collect();
    let mut placed: Vec<usize> = Vec::new();
    for (i, v) in input.listed.iter().enumerate() {
        if members.contains_key(&v.id) {
            continue;
        }
        match v.emptiness_problem() {
            None => placed.push(i),
            Some(why) => refusals.push(ApplyRefusal::NotInCluster {
                node: v.label.clone(),
                cluster: cluster_name.clone(),
                why,
            }),
        }
    }
    let is_member = |i: usize| members.contains_key(&input.listed[i].id);

    // Members not listed, by address.
    let mut unlisted: Vec<&NodeEntry> = members
        .values()
        .filter(|e| !position.contains_key(&e.id))
        .collect();
    unlisted.sort_by_key(|e| sort_addr(view, e));
    let pruned: BTreeSet<&NodeId> = if input.prune {
        unlisted.iter().map(|e| &e.id).collect()
    } else {
        BTreeSet::new()
    };

    // Phases, by kind, assembled in order at the end.
    let restores: Vec<TimeoutRestore> = timeout_restores(input.create)
        .into_iter()
        .filter_map(|s| match s {
            CreateStep::RestoreNodeTimeout { node, ms } => Some(TimeoutRestore {
                node: view_ref(&input.listed[node]),
                ms,
            }),
            _ => None,
        })
        .collect();
    let reform_nodes = reform_nodes(view);
    let reform = plan_reform(&reform_nodes);
    let mut forget = Vec::new();
    let mut failovers = Vec::new();
    let mut joins = Vec::new();
    let mut repoints = Vec::new();
    let mut removes = Vec::new();

    for e in unlisted.iter().filter(|e| pruned.contains(&e.id)) {
        if view.node(&e.id).is_none() {
            match plan_del(view, &e.id) {
                Ok(_) => forget.push(Phase::Forget {
                    node: member_ref(view, e),
                }),
                Err(r) => refusals.extend(r.into_iter().map(ApplyRefusal::Del)),
            }
        }
    }

    // Listed empty masters without replicas: a join that did not finish; placed anew.
    let has_replicas = |id: &NodeId| {
        members
            .values()
            .any(|e| !e.flags.master && e.master_id.as_ref() == Some(id))
    };
    for (i, v) in input.listed.iter().enumerate() {
        if let Some(e) = members.get(&v.id)
            && e.flags.master
            && e.slots.is_empty()
            && v.keys() == 0
            && !has_replicas(&v.id)
        {
            placed.push(i);
        }
    }
    placed.sort_unstable();
    let unassigned: BTreeSet<&NodeId> = placed.iter().map(|&i| &input.listed[i].id).collect();

    // The masters that stay.
    let mut staying: Vec<Staying> = members
        .values()
        .filter(|e| e.flags.master && !pruned.contains(&e.id) && !unassigned.contains(&e.id))
        .map(|e| Staying {
            node: member_ref(view, e),
            slots: e.slots.clone(),
            listed: position.get(&e.id).copied(),
            sort_addr: sort_addr(view, e),
            replicas: Vec::new(),
            working: view.node(&e.id).is_some() && !flagged_failing(view, &e.id),
            reached: view.node(&e.id).is_some(),
        })
        .collect();

    // Pruned masters: failed over to a listed replica while the masters that stay are
    // fewer than the layout asks for, else drained.
    let wanted_masters = n.checked_add(1).map_or(0, |per| input.listed.len() / per);
    let mut promoted: BTreeMap<&NodeId, &NodeId> = BTreeMap::new();
    for p in unlisted.iter().filter(|e| {
        pruned.contains(&e.id)
            && e.flags.master
            && !e.slots.is_empty()
            && view.node(&e.id).is_some()
    }) {
        if staying.len() >= wanted_masters {
            break;
        }
        let best = input.listed.iter().find(|v| {
            members
                .get(&v.id)
                .is_some_and(|r| !r.flags.master && r.master_id.as_ref() == Some(&p.id))
                && v.info.get("master_link_status") == Some("up")
        });
        if let Some(r) = best {
            promoted.insert(&p.id, &r.id);
            failovers.push(Phase::Failover {
                promote: view_ref(r),
                master: member_ref(view, p),
            });
            staying.push(Staying {
                node: view_ref(r),
                slots: p.slots.clone(),
                listed: position.get(&r.id).copied(),
                sort_addr: r.addr,
                replicas: Vec::new(),
                working: true,
                reached: true,
            });
        }
    }
    staying.sort_by_key(|s| (s.listed.unwrap_or(usize::MAX), s.sort_addr));

    // The replicas that stay, by the master they will follow; listed replicas of a
    // drained master are re-pointed.
    let domain_of = |e: &NodeEntry| member_ref(view, e).domain;
    let mut orphans: Vec<(&NodeEntry, &NodeEntry)> = Vec::new();
    let mut replica_list: Vec<&NodeEntry> = members
        .values()
        .filter(|e| {
            !e.flags.master && !pruned.contains(&e.id) && !promoted.values().any(|r| **r == e.id)
        })
        .collect();
    replica_list.sort_by_key(|e| {
        (
            position.get(&e.id).copied().unwrap_or(usize::MAX),
            sort_addr(view, e),
        )
    });
    for r in replica_list {
        let Some(m) = r.master_id.as_ref() else {
            continue;
        };
        let follows = promoted.get(m).copied().unwrap_or(m);
        if let Some(s) = staying.iter_mut().find(|s| &s.node.id == follows) {
            s.replicas.push(domain_of(r));
        } else if pruned.contains(m)
            && let Some(me) = members.get(m)
        {
            orphans.push((r, me));
        }
    }
    let candidates =
        |staying: &[Staying], only_needy: bool| -> (Vec<usize>, Vec<MasterCandidate>) {
            let idx: Vec<usize> = (0..staying.len())
                .filter(|&i| staying[i].working && (!only_needy || staying[i].replicas.len() < n))
                .collect();
            let c = idx
                .iter()
                .map(|&i| MasterCandidate {
                    id: staying[i].node.id.clone(),
                    domain: staying[i].node.domain.clone(),
                    slots: staying[i].slots.len(),
                    replica_domains: staying[i].replicas.clone(),
                })
                .collect();
            (idx, c)
        };
    for (r, previous) in orphans {
        let domain = domain_of(r);
        let (idx, c) = candidates(&staying, false);
        match choose_master(&c, &domain) {
            Some(k) => {
                let m = &mut staying[idx[k]];
                m.replicas.push(domain);
                repoints.push(Phase::Replicate {
                    replica: member_ref(view, r),
                    master: m.node.clone(),
                    previous: member_ref(view, previous),
                });
            }
            None => refusals.push(ApplyRefusal::NoMasterLeft),
        }
    }

    // New nodes and unassigned members, in the order given.
    for &i in &placed {
        let v = &input.listed[i];
        let (idx, c) = candidates(&staying, true);
        match choose_master(&c, &v.domain) {
            Some(k) => {
                let m = &mut staying[idx[k]];
                m.replicas.push(v.domain.clone());
                if m.node.domain == v.domain {
                    warnings.push(format!(
                        "{} shares failure domain {} with its master {}: losing that domain loses both",
                        v.label, v.domain, m.node.node
                    ));
                }
                joins.push(Phase::Join {
                    node: view_ref(v),
                    role: Role::Replica,
                    master: Some(m.node.clone()),
                    member: is_member(i),
                });
            }
            None => {
                staying.push(Staying {
                    node: view_ref(v),
                    slots: SlotSet::new(),
                    listed: Some(i),
                    sort_addr: v.addr,
                    replicas: Vec::new(),
                    working: true,
                    reached: true,
                });
                if !is_member(i) {
                    joins.push(Phase::Join {
                        node: view_ref(v),
                        role: Role::Master,
                        master: None,
                        member: false,
                    });
                }
            }
        }
    }

    // Slots: onto every master that stays, off the drained ones.
    let mut taking: Vec<Taking> = staying
        .iter()
        .filter(|s| s.reached || !s.slots.is_empty())
        .map(|s| Taking {
            key: (false, s.listed.unwrap_or(usize::MAX), s.sort_addr),
            master: RebalanceMaster {
                id: s.node.id.clone(),
                label: s.node.node.clone(),
                slots: s.slots.clone(),
                weight: 1.0,
            },
        })
        .collect();
    for p in unlisted.iter().filter(|e| {
        pruned.contains(&e.id)
            && e.flags.master
            && !e.slots.is_empty()
            && view.node(&e.id).is_some()
            && !promoted.contains_key(&e.id)
    }) {
        taking.push(Taking {
            key: (true, usize::MAX, sort_addr(view, p)),
            master: RebalanceMaster {
                id: p.id.clone(),
                label: member_ref(view, p).node,
                slots: p.slots.clone(),
                weight: 0.0,
            },
        });
    }
    taking.sort_by_key(|a| a.key);
    let masters: Vec<RebalanceMaster> = taking.into_iter().map(|t| t.master).collect();
    let mut rebalance = None;
    if staying.is_empty() {
        refusals.push(ApplyRefusal::NoMasterLeft);
    } else {
        match plan_rebalance(&masters, DEFAULT_THRESHOLD) {
            Ok(plan) if plan.balanced => {}
            Ok(plan) => rebalance = Some(Phase::Rebalance { plan }),
            Err(RebalanceRefusal::AllWeightsZero) => refusals.push(ApplyRefusal::NoMasterLeft),
            Err(r) => refusals.push(ApplyRefusal::Rebalance(r)),
        }
    }

    // Pruned members that answer: replicas first (masters failed over are replicas by
    // then), then the drained masters.
    let mut leaving: Vec<(bool, &NodeEntry)> = unlisted
        .iter()
        .filter(|e| pruned.contains(&e.id) && view.node(&e.id).is_some())
        .map(|e| (e.flags.master && !promoted.contains_key(&e.id), *e))
        .collect();
    leaving.sort_by_key(|(master, _)| *master);
    for (master, e) in leaving {
        removes.push(Phase::Remove {
            node: member_ref(view, e),
            role: if master { Role::Master } else { Role::Replica },
        });
    }

    // Masters left with fewer replicas than asked: nothing listed is left to give them.
    for s in &staying {
        if s.replicas.len() < n {
            warnings.push(format!(
                "{} will have {} replica(s), fewer than --replicas {n}: list more nodes to give it more",
                s.node.node,
                s.replicas.len()
            ));
        }
    }

    let mut phases = Vec::new();
    if !restores.is_empty() {
        phases.push(Phase::RestoreTimeouts { nodes: restores });
    }
    let reforms = !reform.is_empty();
    if reforms {
        let label = |i: usize| reform_nodes[i].label.clone();
        phases.push(Phase::Reform {
            stale: reform
                .stale
                .iter()
                .map(|s| Stale {
                    node: label(s.node),
                    peer: label(s.peer),
                    known_at: s.known_at.clone(),
                })
                .collect(),
            plan: reform,
        });
    }
    let forgets = !forget.is_empty();
    phases.extend(forget);
    phases.extend(failovers);
    phases.extend(joins);
    phases.extend(repoints);
    phases.extend(rebalance);
    phases.extend(removes);

    // Joins and slot moves need a healthy cluster; re-forming and forgetting first are
    // what make it healthy (`ops::apply` checks again before moving slots).
    let changes = phases.iter().any(|p| {
        !matches!(
            p,
            Phase::RestoreTimeouts { .. } | Phase::Reform { .. } | Phase::Forget { .. }
        )
    });
    if changes && !reforms && !forgets {
        let problems = health_problems(view);
        if !problems.is_empty() {
            let gone = unlisted
                .iter()
                .filter(|e| view.node(&e.id).is_none() && plan_del(view, &e.id).is_ok())
                .map(|e| view.name_of(&e.id))
                .collect();
            refusals.push(ApplyRefusal::Unhealthy { problems, gone });
        }
    }
    if !refusals.is_empty() {
        refusals.dedup();
        return Err(refusals);
    }
    Ok(ApplyPlan {
        mode: Mode::Converge,
        nodes: input.listed.len(),
        replicas: n,
        prune: input.prune,
        phases,
        unlisted: unlisted
            .iter()
            .map(|e| Unlisted {
                node: member_ref(view, e),
                role: if e.flags.master {
                    Role::Master
                } else {
                    Role::Replica
                },
                reachable: view.node(&e.id).is_some(),
            })
            .collect(),
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::info::Info;
    use crate::plan::membership_del::fixture::{id, line, node, unreachable, view};

    /// A member: name, address, master (for a replica), slots.
    type M = (char, &'static str, Option<char>, &'static str);

    /// Masters a, b, c with replicas d→a, e→b, f→c, each on its own IP.
    const SIX: [M; 6] = [
        ('a', "10.0.0.1:6379", None, "0-5460"),
        ('b', "10.0.0.2:6379", None, "5461-10922"),
        ('c', "10.0.0.3:6379", None, "10923-16383"),
        ('d', "10.0.0.4:6379", Some('a'), ""),
        ('e', "10.0.0.5:6379", Some('b'), ""),
        ('f', "10.0.0.6:6379", Some('c'), ""),
    ];

    fn ip(addr: &str) -> &str {
        addr.rsplit_once(':').unwrap().0
    }

    /// `me`'s CLUSTER NODES: every member at `at(member)`.
    fn lines(
        members: &[(char, &str, Option<char>, &str)],
        me: char,
        at: &dyn Fn(char, &str) -> String,
    ) -> Vec<String> {
        members
            .iter()
            .map(|(c, addr, m, slots)| {
                let role = if m.is_some() { "slave" } else { "master" };
                let flags = if *c == me {
                    format!("myself,{role}")
                } else {
                    role.to_string()
                };
                line(*c, &at(*c, addr), &flags, *m, slots)
            })
            .collect()
    }

    /// The cluster of `members`, `reached` answering where they are listed.
    fn cluster(members: &[(char, &str, Option<char>, &str)], reached: &str) -> ClusterView {
        let same = |_: char, a: &str| a.to_string();
        let mut v = view(
            members
                .iter()
                .filter(|m| reached.contains(m.0))
                .map(|(c, addr, m, _)| {
                    let mut n = node(*c, addr, ip(addr), &lines(members, *c, &same), 0);
                    if m.is_some() {
                        n.info = Info::parse(
                            "cluster_enabled:1\r\nrole:slave\r\nmaster_link_status:up\r\n",
                        );
                    }
                    n
                })
                .collect(),
            members
                .iter()
                .filter(|m| !reached.contains(m.0))
                .map(|(c, addr, ..)| unreachable(*c, addr))
                .collect(),
        );
        v.entry = Some(v.nodes[0].id.clone());
        v
    }

    fn fresh(c: char, addr: &str) -> NodeView {
        node(
            c,
            addr,
            ip(addr),
            &[line(c, addr, "myself,master", None, "")],
            0,
        )
    }

    /// The listed nodes: members of `v` (by name) and fresh nodes, in this order.
    fn listed(v: &ClusterView, names: &str, new: &[NodeView]) -> Vec<NodeView> {
        let mut out: Vec<NodeView> = names
            .chars()
            .map(|c| v.node(&id(c)).expect("a reached member").clone())
            .collect();
        out.extend(new.iter().cloned());
        out
    }

    fn states(listed: &[NodeView]) -> Vec<CreateNodeState> {
        listed
            .iter()
            .map(|v| {
                let mut s = crate::plan::create::fixtures::empty(1).remove(0);
                s.label = v.label.clone();
                s.id = v.id.clone();
                s
            })
            .collect()
    }

    fn plan(v: &ClusterView, listed: &[NodeView], replicas: usize, prune: bool) -> ApplyPlan {
        try_plan(v, listed, replicas, prune).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn try_plan(
        v: &ClusterView,
        listed: &[NodeView],
        replicas: usize,
        prune: bool,
    ) -> Result<ApplyPlan, Refused> {
        plan_apply(&ApplyInput {
            cluster: v,
            listed,
            create: &states(listed),
            replicas,
            prune,
        })
    }

    /// Each phase as `name node [detail]`, for compact assertions.
    fn summary(p: &ApplyPlan) -> Vec<String> {
        let short = |r: &NodeRef| {
            char::from_u32(u32::from_str_radix(&r.id.as_str()[32..], 16).unwrap()).unwrap()
        };
        p.phases
            .iter()
            .map(|ph| match ph {
                Phase::Create { plan } => format!("create {:?}", plan.status),
                Phase::RestoreTimeouts { nodes } => format!("restore {}", nodes.len()),
                Phase::Reform { plan, .. } => format!("reform {}", plan.meets.len()),
                Phase::Forget { node } => format!("forget {}", short(node)),
                Phase::Failover { promote, master } => {
                    format!("failover {} over {}", short(promote), short(master))
                }
                Phase::Join {
                    node,
                    role,
                    master,
                    member,
                } => format!(
                    "join {} {role:?}{}{}",
                    short(node),
                    master
                        .as_ref()
                        .map(|m| format!(" of {}", short(m)))
                        .unwrap_or_default(),
                    if *member { " (member)" } else { "" }
                ),
                Phase::Replicate {
                    replica, master, ..
                } => format!("replicate {} to {}", short(replica), short(master)),
                Phase::Rebalance { plan } => format!(
                    "rebalance {}",
                    plan.masters
                        .iter()
                        .map(|s| format!("{}:{}", s.node, s.target))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                Phase::Remove { node, role } => format!("remove {} {role:?}", short(node)),
            })
            .collect()
    }

    #[test]
    fn no_cluster_yet_is_created() {
        let new: Vec<NodeView> = (0..6)
            .map(|i| fresh((b'a' + i) as char, &format!("10.0.0.{}:6379", i + 1)))
            .collect();
        let p = plan(&ClusterView::default(), &new, 1, false);
        assert_eq!(p.mode, Mode::Create);
        assert_eq!(summary(&p), ["create New"]);
    }

    #[test]
    fn a_converged_cluster_is_left_alone_also_after_a_failover() {
        let v = cluster(&SIX, "abcdef");
        let p = plan(&v, &listed(&v, "abcdef", &[]), 1, false);
        assert_eq!(p.mode, Mode::Converge);
        assert!(p.is_empty(), "{:?}", summary(&p));
        assert!(p.unlisted.is_empty() && p.warnings.is_empty(), "{p:?}");
        // d took over a: d a master with a's slots, a its replica.
        let mut after = SIX;
        after[0] = ('a', "10.0.0.1:6379", Some('d'), "");
        after[3] = ('d', "10.0.0.4:6379", None, "0-5460");
        let v = cluster(&after, "abcdef");
        let p = plan(&v, &listed(&v, "abcdef", &[]), 1, false);
        assert!(p.is_empty(), "{:?}", summary(&p));
    }

    #[test]
    fn scale_out_joins_a_master_then_its_replica_and_rebalances() {
        let v = cluster(&SIX, "abcdef");
        let new = [fresh('g', "10.0.0.7:6379"), fresh('h', "10.0.0.8:6379")];
        let p = plan(&v, &listed(&v, "abcdef", &new), 1, false);
        assert_eq!(
            summary(&p),
            [
                "join g Master",
                "join h Replica of g",
                "rebalance 10.0.0.1:6379:4096 10.0.0.2:6379:4096 10.0.0.3:6379:4096 10.0.0.7:6379:4096"
            ]
        );
        // On the cluster as the joins leave it, the rebalance is planned alike.
        let mut joined = SIX.to_vec();
        joined.push(('g', "10.0.0.7:6379", None, ""));
        joined.push(('h', "10.0.0.8:6379", Some('g'), ""));
        let after = cluster(&joined, "abcdefgh");
        let ids: Vec<NodeId> = "abcdefgh".chars().map(id).collect();
        let Some(Phase::Rebalance { plan: planned }) = p.phases.last() else {
            panic!()
        };
        let again =
            plan_rebalance(&rebalance_masters(&after, &ids, false), DEFAULT_THRESHOLD).unwrap();
        assert_eq!(again.moves, planned.moves);
        // And then there is nothing left to do.
        let mut balanced = joined.clone();
        balanced[0].3 = "0-4095";
        balanced[1].3 = "5461-9556";
        balanced[2].3 = "10923-15018";
        balanced[6].3 = "4096-5460 9557-10922 15019-16383";
        let done = cluster(&balanced, "abcdefgh");
        let p = plan(&done, &listed(&done, "abcdefgh", &[]), 1, false);
        assert!(p.is_empty(), "{:?}", summary(&p));
    }

    #[test]
    fn new_nodes_first_fill_masters_lacking_replicas() {
        // c has no replica: the new node becomes its replica, no slot moves.
        let five = &SIX[..5];
        let v = cluster(five, "abcde");
        let p = plan(
            &v,
            &listed(&v, "abcde", &[fresh('g', "10.0.0.7:6379")]),
            1,
            false,
        );
        assert_eq!(summary(&p), ["join g Replica of c"]);
        // A master in the new node's own domain is passed over while another lacks one.
        let mut two_short = SIX[..4].to_vec();
        two_short[2].1 = "10.0.0.9:6379";
        let v = cluster(&two_short, "abcd");
        let p = plan(
            &v,
            &listed(&v, "abcd", &[fresh('g', "10.0.0.9:7000")]),
            1,
            false,
        );
        assert_eq!(summary(&p), ["join g Replica of b"]);
    }

    /// Masters a, b, g, h (4096 slots each), replicas d→a, e→b, c→g, f→h: pods g and h
    /// are the last ones, and masters.
    const EIGHT: [M; 8] = [
        ('a', "10.0.0.1:6379", None, "0-4095"),
        ('b', "10.0.0.2:6379", None, "4096-8191"),
        ('c', "10.0.0.3:6379", Some('g'), ""),
        ('d', "10.0.0.4:6379", Some('a'), ""),
        ('e', "10.0.0.5:6379", Some('b'), ""),
        ('f', "10.0.0.6:6379", Some('h'), ""),
        ('g', "10.0.0.7:6379", None, "8192-12287"),
        ('h', "10.0.0.8:6379", None, "12288-16383"),
    ];

    #[test]
    fn prune_fails_over_to_a_listed_replica_only_while_masters_are_too_few() {
        let v = cluster(&EIGHT, "abcdefgh");
        let p = plan(&v, &listed(&v, "abcdef", &[]), 1, true);
        // Two masters stay, three are wanted (6 nodes, 1 replica each): c takes over g
        // (no key moves); h is drained, its replica f re-pointed to c first.
        assert_eq!(
            summary(&p),
            [
                "failover c over g",
                "replicate f to c",
                "rebalance 10.0.0.1:6379:5462 10.0.0.2:6379:5461 10.0.0.3:6379:5461 10.0.0.8:6379:0",
                "remove g Replica",
                "remove h Master"
            ]
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.unlisted.len(), 2);
        // With no replicas asked for, three masters are wanted of three listed replicas.
        let v = cluster(&SIX, "abcdef");
        let p = plan(&v, &listed(&v, "def", &[]), 0, true);
        assert_eq!(
            summary(&p),
            [
                "failover d over a",
                "failover e over b",
                "failover f over c",
                "remove a Replica",
                "remove b Replica",
                "remove c Replica"
            ]
        );
    }

    #[test]
    fn prune_drains_a_master_and_removes_replicas_first() {
        // Masters a, b, c, g with replicas d, e, f, h→g: g and h go.
        let mut members = SIX.to_vec();
        members[0].3 = "0-4095";
        members[1].3 = "4096-8191";
        members[2].3 = "8192-12287";
        members.push(('g', "10.0.0.7:6379", None, "12288-16383"));
        members.push(('h', "10.0.0.8:6379", Some('g'), ""));
        let v = cluster(&members, "abcdefgh");
        let p = plan(&v, &listed(&v, "abcdef", &[]), 1, true);
        assert_eq!(
            summary(&p),
            [
                "rebalance 10.0.0.1:6379:5462 10.0.0.2:6379:5461 10.0.0.3:6379:5461 10.0.0.7:6379:0",
                "remove h Replica",
                "remove g Master"
            ]
        );
        // Without --prune they are kept, reported, and nothing changes.
        let p = plan(&v, &listed(&v, "abcdef", &[]), 1, false);
        assert!(p.is_empty(), "{:?}", summary(&p));
        let kept: Vec<(String, Role, bool)> = p
            .unlisted
            .iter()
            .map(|u| (u.node.node.clone(), u.role, u.reachable))
            .collect();
        assert_eq!(
            kept,
            [
                ("10.0.0.7:6379".to_string(), Role::Master, true),
                ("10.0.0.8:6379".to_string(), Role::Replica, true)
            ]
        );
    }

    #[test]
    fn prune_forgets_members_that_are_gone_unless_their_slots_would_be_lost() {
        // Replicas e and f are gone (pods deleted): forgotten.
        let v = cluster(&SIX, "abcd");
        let p = plan(&v, &listed(&v, "abcd", &[]), 1, true);
        assert_eq!(summary(&p), ["forget e", "forget f"]);
        // Without --prune: kept, and nothing else to do.
        let p = plan(&v, &listed(&v, "abcd", &[]), 1, false);
        assert!(p.is_empty());
        assert!(p.unlisted.iter().all(|u| !u.reachable));
        // Master c gone with its slots, no replica took over: refused.
        let v = cluster(&SIX, "abdef");
        let Err(Refused::Converge(r)) = try_plan(&v, &listed(&v, "abdef", &[]), 1, true) else {
            panic!()
        };
        assert!(
            matches!(&r[0], ApplyRefusal::Del(DelRefusal::UncoveredSlots { .. })),
            "{r:?}"
        );
    }

    #[test]
    fn a_master_gone_after_its_replica_took_over_is_kept_or_forgotten() {
        // a is gone; d took over its slots.
        let mut members = SIX;
        members[0].3 = "";
        members[3] = ('d', "10.0.0.4:6379", None, "0-5460");
        let v = cluster(&members, "bcdef");
        let p = plan(&v, &listed(&v, "bcdef", &[]), 1, false);
        assert!(p.is_empty(), "{:?}", summary(&p));
        assert_eq!(p.unlisted.len(), 1);
        let p = plan(&v, &listed(&v, "bcdef", &[]), 1, true);
        assert_eq!(summary(&p), ["forget a"]);
    }

    #[test]
    fn members_at_new_addresses_are_re_introduced() {
        // Every node answers at 10.0.1.x; every view has the others at 10.0.0.x.
        let moved = |addr: &str| addr.replace("10.0.0.", "10.0.1.");
        let mut v = view(
            SIX.iter()
                .map(|(c, addr, ..)| {
                    let at = |p: char, a: &str| if p == *c { moved(a) } else { a.to_string() };
                    node(*c, &moved(addr), ip(&moved(addr)), &lines(&SIX, *c, &at), 0)
                })
                .collect(),
            vec![],
        );
        v.entry = Some(id('a'));
        let p = plan(&v, &listed(&v, "abcdef", &[]), 1, false);
        assert_eq!(summary(&p), ["reform 15"]);
        let Phase::Reform { stale, .. } = &p.phases[0] else {
            panic!()
        };
        assert_eq!(stale.len(), 30);
        assert!(stale.iter().all(|s| s.known_at.starts_with("10.0.0.")));
    }

    #[test]
    fn an_interrupted_join_is_placed_again() {
        // g and h were met as empty masters; h should have become g's replica.
        let mut members = SIX.to_vec();
        members.push(('g', "10.0.0.7:6379", None, ""));
        members.push(('h', "10.0.0.8:6379", None, ""));
        let v = cluster(&members, "abcdefgh");
        let p = plan(&v, &listed(&v, "abcdefgh", &[]), 1, false);
        assert_eq!(
            summary(&p),
            [
                "join h Replica of g (member)",
                "rebalance 10.0.0.1:6379:4096 10.0.0.2:6379:4096 10.0.0.3:6379:4096 10.0.0.7:6379:4096"
            ]
        );
    }

    #[test]
    fn refuses_nodes_of_another_cluster_and_unhealthy_clusters() {
        let v = cluster(&SIX, "abcdef");
        let other = node(
            'x',
            "10.0.0.9:6379",
            "10.0.0.9",
            &[
                line('x', "10.0.0.9:6379", "myself,master", None, "0-16383"),
                line('y', "10.0.0.10:6379", "slave", Some('x'), ""),
            ],
            0,
        );
        let Err(Refused::Converge(r)) = try_plan(&v, &listed(&v, "abcdef", &[other]), 1, false)
        else {
            panic!()
        };
        assert!(
            matches!(&r[..], [ApplyRefusal::NotInCluster { node, .. }] if node == "10.0.0.9:6379"),
            "{r:?}"
        );
        assert!(
            r[0].to_string()
                .contains("neither a member of the cluster of 10.0.0.1:6379")
        );
        // Replica f is down and kept: joining a node waits for a repair; a run with
        // nothing to change does not.
        let v = cluster(&SIX, "abcde");
        assert!(plan(&v, &listed(&v, "abcde", &[]), 1, false).is_empty());
        let new = [fresh('g', "10.0.0.7:6379")];
        let Err(Refused::Converge(r)) = try_plan(&v, &listed(&v, "abcde", &new), 1, false) else {
            panic!()
        };
        assert!(matches!(&r[..], [ApplyRefusal::Unhealthy { .. }]), "{r:?}");
        // f is not listed and does not answer: the refusal says --prune would forget it.
        let text = r[0].to_string();
        assert!(
            text.contains("10.0.0.6:6379") && text.contains("add --prune to forget it"),
            "{text}"
        );
    }

    #[test]
    fn a_pod_replaced_by_an_empty_one_needs_prune() {
        // a died, d took over its slots; pod a came back empty at a new address (g).
        let mut members = SIX;
        members[0].3 = "";
        members[3] = ('d', "10.0.0.4:6379", None, "0-5460");
        let mut v = cluster(&members, "bcdef");
        // The others flag a as failed.
        for n in &mut v.nodes {
            for e in &mut n.nodes {
                if e.id == id('a') {
                    e.flags.fail = true;
                }
            }
        }
        let new = [fresh('g', "10.0.1.1:6379")];
        // Without --prune: refused, naming a and --prune, not `trib fix`.
        let Err(Refused::Converge(r)) = try_plan(&v, &listed(&v, "bcdef", &new), 1, false) else {
            panic!()
        };
        let text = r
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            text.contains("10.0.0.1:6379") && text.contains("add --prune to forget it"),
            "{text}"
        );
        assert!(!text.contains("trib fix"), "{text}");
        // With it: a is forgotten, g joins as d's replica (d lacks one).
        let p = plan(&v, &listed(&v, "bcdef", &new), 1, true);
        assert_eq!(summary(&p), ["forget a", "join g Replica of d"]);
    }

    #[test]
    fn a_cluster_that_does_not_cover_every_slot_with_members_not_listed_is_refused() {
        let mut members = SIX.to_vec();
        members[2].3 = "10923-16000";
        let v = cluster(&members, "abcdef");
        let Err(Refused::Converge(r)) = try_plan(&v, &listed(&v, "abc", &[]), 1, false) else {
            panic!()
        };
        assert!(
            matches!(
                &r[..],
                [ApplyRefusal::Incomplete {
                    assigned: 16001,
                    ..
                }]
            ),
            "{r:?}"
        );
    }

    #[test]
    fn load_order_puts_covering_views_first_and_new_nodes_last() {
        let v = cluster(&SIX, "abcdef");
        let mut l = vec![fresh('g', "10.0.0.7:6379")];
        l.extend(listed(&v, "ab", &[]));
        assert_eq!(load_order(&l), [1, 2, 0]);
    }

    mod props {
        use super::*;
        use crate::plan::placement::slot_ranges;
        use proptest::prelude::*;

        /// Masters `a`.. with `replicas[i]` replicas each (named after the masters), one IP each.
        fn members(replicas: &[usize]) -> Vec<(char, String, Option<char>, String)> {
            let m = replicas.len();
            let ranges = slot_ranges(m);
            let mut out = Vec::new();
            for (i, r) in ranges.iter().enumerate() {
                out.push(((b'a' + i as u8) as char, String::new(), None, r.to_string()));
            }
            for (i, n) in replicas.iter().enumerate() {
                for _ in 0..*n {
                    let c = (b'a' + out.len() as u8) as char;
                    out.push((
                        c,
                        String::new(),
                        Some((b'a' + i as u8) as char),
                        String::new(),
                    ));
                }
            }
            for (k, x) in out.iter_mut().enumerate() {
                x.1 = format!("10.0.0.{}:6379", k + 1);
            }
            out
        }

        proptest! {
            /// Whatever is listed and asked: phases only touch the nodes they may (joins,
            /// promotions, re-points: listed nodes; forgetting, removing: members not
            /// listed, and only with --prune), no master that owns slots is made a
            /// replica, slots only leave members that go, replicas are removed before
            /// masters, and every slot keeps an owner.
            #[test]
            fn phases_touch_only_what_they_may(
                replicas in proptest::collection::vec(0usize..3, 3..6),
                listed_mask in proptest::collection::vec(any::<bool>(), 15),
                fresh_count in 0usize..4,
                n in 0usize..3,
                prune in any::<bool>(),
            ) {
                let owned = members(&replicas);
                let ms: Vec<(char, &str, Option<char>, &str)> = owned
                    .iter()
                    .map(|(c, a, m, sl)| (*c, a.as_str(), *m, sl.as_str()))
                    .collect();
                let names: String = ms.iter().map(|m| m.0).filter(|c| listed_mask[(*c as u8 - b'a') as usize]).collect();
                prop_assume!(!names.is_empty());
                let v = cluster(&ms, &ms.iter().map(|m| m.0).collect::<String>());
                let fresh: Vec<NodeView> = (0..fresh_count)
                    .map(|i| fresh((b'w' + i as u8) as char, &format!("10.0.1.{}:6379", i + 1)))
                    .collect();
                let l = listed(&v, &names, &fresh);
                let listed_ids: BTreeSet<NodeId> = l.iter().map(|v| v.id.clone()).collect();
                let p = match try_plan(&v, &l, n, prune) {
                    Ok(p) => p,
                    Err(Refused::Converge(r)) => {
                        prop_assert!(r.iter().all(|x| *x == ApplyRefusal::NoMasterLeft), "{r:?}");
                        return Ok(());
                    }
                    Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
                };
                let members = v.members();
                let is_listed = |r: &NodeRef| listed_ids.contains(&r.id);
                let mut seen_master_removal = false;
                let mut promoted_over = BTreeSet::new();
                for ph in &p.phases {
                    match ph {
                        Phase::Join { node, member, .. } => {
                            prop_assert!(is_listed(node));
                            if *member {
                                prop_assert!(members[&node.id].slots.is_empty());
                            }
                        }
                        Phase::Failover { promote, master } => {
                            prop_assert!(prune && is_listed(promote) && !is_listed(master));
                            promoted_over.insert(master.id.clone());
                        }
                        Phase::Replicate { replica, previous, .. } => {
                            prop_assert!(prune && is_listed(replica) && !is_listed(previous));
                        }
                        Phase::Forget { node } => prop_assert!(prune && !is_listed(node)),
                        Phase::Remove { node, role } => {
                            prop_assert!(prune && !is_listed(node));
                            match role {
                                Role::Master => seen_master_removal = true,
                                Role::Replica => prop_assert!(!seen_master_removal),
                            }
                        }
                        Phase::Rebalance { plan } => {
                            prop_assert_eq!(plan.masters.iter().map(|s| s.target).sum::<usize>(), SLOT_COUNT as usize);
                            for s in &plan.masters {
                                let stays = listed_ids.contains(&s.id) || !prune;
                                prop_assert_eq!(s.weight > 0.0, stays, "{:?}", s);
                            }
                        }
                        Phase::Create { .. } | Phase::RestoreTimeouts { .. } | Phase::Reform { .. } => {
                            prop_assert!(false, "unexpected {:?}", ph.name());
                        }
                    }
                }
                // Every master that goes and owns slots is taken over or drained.
                if prune {
                    let drained: BTreeSet<NodeId> = p.phases.iter().filter_map(|ph| match ph {
                        Phase::Rebalance { plan } => Some(plan.masters.iter().filter(|s| s.target == 0 && s.current > 0).map(|s| s.id.clone()).collect::<Vec<_>>()),
                        _ => None,
                    }).flatten().collect();
                    for (id, e) in &members {
                        if !listed_ids.contains(id) && e.flags.master && !e.slots.is_empty() {
                            prop_assert!(promoted_over.contains(id) || drained.contains(id), "{} neither", id.short());
                        }
                    }
                } else {
                    prop_assert_eq!(p.unlisted.len(), members.len() - (listed_ids.len() - fresh_count));
                }
            }
        }
    }
}
