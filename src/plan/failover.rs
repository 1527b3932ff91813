//! Planning a failover: which replica to promote in place of which master, and why.
//! Pure: works on a loaded [`ClusterView`], no I/O.
//!
//! Choosing a master's replica. A replica is *eligible* when trib reached it, no node
//! flags it `fail`, and (for a plain, coordinated failover) its replication link is up
//! (`master_link_status:up`). Eligible replicas are ranked:
//! - plain `CLUSTER FAILOVER`: the master pauses its clients until the replica has caught
//!   up, so no acknowledged write is lost whatever the replica's offset; the ranking is
//!   link up, then a failure domain different from the master's (the old master becomes
//!   the new master's replica: a shared domain would put both copies in one place), then
//!   the largest replication offset (`slave_repl_offset`, shortest catch-up), then address;
//! - `--force` / `--takeover`: no catch-up happens, the offset is the data kept, so the
//!   ranking is link up, largest offset, a different domain, then address.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::view::ClusterView;
use crate::model::{NodeEntry, NodeId, SlotSet};

/// Which `CLUSTER FAILOVER` variant to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Coordinated with the master: no acknowledged write lost.
    Default,
    /// `FORCE`: without the master (it is down), still elected by the masters.
    Force,
    /// `TAKEOVER`: without the master and without an election.
    Takeover,
}

impl Mode {
    /// The mode `--force` / `--takeover` ask for (`--force` wins; clap forbids both).
    pub fn from_flags(force: bool, takeover: bool) -> Mode {
        match (force, takeover) {
            (true, _) => Mode::Force,
            (_, true) => Mode::Takeover,
            _ => Mode::Default,
        }
    }

    /// The arguments after `CLUSTER FAILOVER`.
    pub fn option(self) -> Option<&'static str> {
        match self {
            Mode::Default => None,
            Mode::Force => Some("FORCE"),
            Mode::Takeover => Some("TAKEOVER"),
        }
    }

    /// The whole command, for messages and plans.
    pub fn command(self) -> &'static str {
        match self {
            Mode::Default => "CLUSTER FAILOVER",
            Mode::Force => "CLUSTER FAILOVER FORCE",
            Mode::Takeover => "CLUSTER FAILOVER TAKEOVER",
        }
    }
}

/// A node as a plan names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeRef {
    pub id: NodeId,
    /// How messages name it (its label when reached, else its announced address).
    pub node: String,
    /// Announced `ip:port`.
    pub addr: String,
    pub domain: String,
}

/// A replica that was not chosen, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotChosen {
    pub node: String,
    pub why: String,
}

/// One failover: send `command` to `promote`, which takes over `master`'s `slots`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub master: NodeRef,
    pub promote: NodeRef,
    pub mode: Mode,
    pub command: &'static str,
    /// Why this replica: one line.
    pub reason: String,
    /// Why the master counts as down, when it does.
    pub master_down: Option<String>,
    /// The slots the master owns now (the promoted node will own them).
    pub slots: SlotSet,
    /// The master's other replicas.
    pub not_chosen: Vec<NotChosen>,
}

/// Why a replica cannot be promoted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    /// Down: not reached, or flagged (the text of [`down_reason`]).
    #[error("{0}")]
    Down(String),
    #[error("flagged fail by the cluster")]
    FlaggedFail,
    /// A plain failover needs the link up; this is its `master_link_status`.
    #[error("its link to the master is down (master_link_status:{0})")]
    LinkDown(String),
    /// `--domain`: the replica is in the failure domain being drained.
    #[error("in failure domain {0} too")]
    InDomain(String),
}

/// A replica that cannot be promoted (`node` as messages name it), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IneligibleReplica {
    pub node: String,
    pub why: Ineligible,
}

/// Why a failover cannot be planned. `node` is the node named (as messages name it),
/// `master` the master being failed over; `why` says why a node counts as down (the text
/// of [`down_reason`]). Displayed as one line, the user-visible message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FailoverRefusal {
    #[error("{id}: not a member of this cluster")]
    NotAMember { id: NodeId },
    #[error("{node}: neither a master nor a replica of a known master")]
    NoRole { node: String },
    #[error("{node}: its master {} is unknown to the cluster", .master.short())]
    UnknownMaster { node: String, master: NodeId },
    /// The named replica was not reached: the command must be sent to it.
    #[error("{node}: {why}: CLUSTER FAILOVER must be sent to the replica itself")]
    ReplicaUnreachable { node: String, why: String },
    /// A plain failover of a replica whose master is down.
    #[error(
        "{node}: its master {master} is down ({why}): a plain failover needs the master to hand over; use --force to promote {node} without it (--takeover if most masters are down too)"
    )]
    ReplicasMasterDown {
        node: String,
        master: String,
        why: String,
    },
    /// A plain failover of a replica whose link to its master is not up (`status`).
    #[error(
        "{node}: its link to master {master} is down (master_link_status:{status}): wait until it has synced, or use --force to promote it anyway (writes it has not received are lost)"
    )]
    LinkDown {
        node: String,
        master: String,
        status: String,
    },
    /// The master is down and owns no slots: the cluster already replaced it.
    #[error(
        "{master}: the master is down ({why}) and owns no slots: the cluster already promoted a replica in its place; nothing to fail over"
    )]
    AlreadyFailedOver { master: String, why: String },
    /// `failover NODE` of a master that is down: it cannot be made a master.
    #[error(
        "{node}: a master that is down ({why}): failover NODE makes NODE a master; to promote one of its replicas in its place, use `trib failover --demote {addr} --force`"
    )]
    DownMaster {
        node: String,
        addr: String,
        why: String,
    },
    /// A plain failover of a master that is down.
    #[error(
        "{master}: the master is down ({why}): a plain failover needs it to hand over; use --force to promote its best replica without it (--takeover if most masters are down too)"
    )]
    MasterDown { master: String, why: String },
    #[error(
        "{master}: a master without replicas: nothing to promote (attach one with `trib replicate` or `trib add-node --replica-of`)"
    )]
    NoReplicas { master: String },
    /// Every replica of `master` is ineligible, each for its reason.
    #[error(
        "{master}: no replica can be promoted: {}",
        .replicas.iter().map(|r| format!("{} {}", r.node, r.why)).collect::<Vec<_>>().join("; ")
    )]
    NoEligibleReplica {
        master: String,
        replicas: Vec<IneligibleReplica>,
    },
    /// `--domain` names no member's domain; `known` are the cluster's domains.
    #[error(
        "no node of this cluster is in failure domain {domain} (domains: {})",
        .known.join(", ")
    )]
    NoSuchDomain { domain: String, known: Vec<String> },
}

/// What `trib failover` was asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// `failover NODE`: make NODE a master (promote it if it is a replica).
    Promote,
    /// `failover --demote MASTER`: promote MASTER's best replica in its place.
    Demote,
    /// `failover --domain D`: move every master out of failure domain D.
    Domain,
}

/// Why a failover has nothing to do: the node already has the role asked for. A retried
/// command therefore never switches roles back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlreadyDone {
    /// `failover NODE` of a node that is a master (and up).
    #[error(
        "{node} is already a master; nothing to do (to promote one of its replicas in its place: trib failover --demote {node})"
    )]
    AlreadyMaster { node: String },
    /// `failover --demote NODE` of a node that is a replica.
    #[error("{node} is already a replica (of {master}); nothing to do")]
    AlreadyReplica { node: String, master: String },
    /// `failover --demote NODE` of a master that serves no slot and has no replica (a
    /// node not in a cluster yet, or drained and reset): stopping it costs clients
    /// nothing, and there is nobody to hand over to.
    #[error("{node} is a master of no slot, with no replica; nothing to hand over")]
    ServesNothing { node: String },
}

/// Planned failovers, or why there is nothing to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Planned {
    Step(Box<Step>),
    /// `--domain`: one step per master in the domain.
    Steps(Vec<Step>),
    Nothing(AlreadyDone),
}

/// `trib failover`'s plan: one failover, or (`--domain`) one per master in the domain,
/// applied in order; no steps means nothing to do (`nothing` says why, when a node
/// already has the role asked for).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailoverPlan {
    pub mode: Mode,
    pub action: Action,
    /// `--domain`, if given.
    pub domain: Option<String>,
    pub steps: Vec<Step>,
    /// Nothing to do because the node already has the role asked for.
    pub nothing: Option<AlreadyDone>,
}

/// How the plan names a node: label when reached, else its announced address and short ID.
fn node_ref(view: &ClusterView, id: &NodeId, entry: &NodeEntry) -> NodeRef {
    let (node, domain) = match view.node(id) {
        Some(n) => (n.label.clone(), n.domain.clone()),
        None => (entry.name(), entry.ip.trim_matches(['[', ']']).to_string()),
    };
    NodeRef {
        id: id.clone(),
        node,
        addr: entry.addr_string(),
        domain,
    }
}

/// Why a node counts as down: not reached by trib, or flagged `fail`/`fail?` by a node
/// that was reached. `None` when it is up.
pub fn down_reason(view: &ClusterView, id: &NodeId) -> Option<String> {
    if view.node(id).is_none() {
        return Some(format!("unreachable ({})", view.why_unreached(id)));
    }
    let flagged = |f: fn(&NodeEntry) -> bool| -> Vec<&str> {
        view.nodes
            .iter()
            .filter(|v| &v.id != id && v.nodes.iter().any(|e| &e.id == id && f(e)))
            .map(|v| v.label.as_str())
            .collect()
    };
    let fail = flagged(|e| e.flags.fail);
    if !fail.is_empty() {
        return Some(format!("flagged fail by {}", fail.join(", ")));
    }
    let pfail = flagged(|e| e.flags.pfail);
    if !pfail.is_empty() {
        return Some(format!(
            "flagged fail? (suspected down) by {}",
            pfail.join(", ")
        ));
    }
    None
}

/// What trib knows about one replica of the master being failed over.
struct Candidate {
    r: NodeRef,
    link_up: bool,
    offset: u64,
    same_domain: bool,
    /// Why it cannot be promoted at all.
    ineligible: Option<Ineligible>,
}

fn candidates(
    view: &ClusterView,
    all: &std::collections::BTreeMap<NodeId, NodeEntry>,
    master: &NodeRef,
    require_link: bool,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (id, e) in all {
        if !e.flags.replica || e.master_id.as_ref() != Some(&master.id) {
            continue;
        }
        let r = node_ref(view, id, e);
        let same_domain = r.domain == master.domain;
        let Some(v) = view.node(id) else {
            out.push(Candidate {
                ineligible: Some(Ineligible::Down(
                    down_reason(view, id).unwrap_or_else(|| "unreachable".into()),
                )),
                r,
                link_up: false,
                offset: 0,
                same_domain,
            });
            continue;
        };
        let link = v.info.get("master_link_status").unwrap_or("unknown");
        let link_up = link == "up";
        let offset = v.info.get_u64("slave_repl_offset").unwrap_or(0);
        let flagged_fail = view
            .nodes
            .iter()
            .any(|o| o.nodes.iter().any(|x| &x.id == id && x.flags.fail));
        let ineligible = if flagged_fail {
            Some(Ineligible::FlaggedFail)
        } else if require_link && !link_up {
            Some(Ineligible::LinkDown(link.to_string()))
        } else {
            None
        };
        out.push(Candidate {
            r,
            link_up,
            offset,
            same_domain,
            ineligible,
        });
    }
    out
}

/// Ranks `cands` (best first) per the module rules.
fn rank(cands: &mut [Candidate], mode: Mode) {
    cands.sort_by(|a, b| {
        let key = |c: &Candidate| {
            let first = (c.ineligible.is_some(), !c.link_up);
            let (x, y) = if mode == Mode::Default {
                (c.same_domain as u64, u64::MAX - c.offset)
            } else {
                (u64::MAX - c.offset, c.same_domain as u64)
            };
            (first, x, y, c.r.addr.clone())
        };
        key(a).cmp(&key(b))
    });
}

fn describe(c: &Candidate, master: &NodeRef) -> String {
    format!(
        "link {}, replication offset {}, domain {}{}",
        if c.link_up { "up" } else { "down" },
        c.offset,
        c.r.domain,
        if c.same_domain {
            format!(" (same as the master {})", master.node)
        } else {
            String::new()
        }
    )
}

/// Chooses the replica to promote in place of `master`. `exclude_domain`: replicas in this
/// domain are not eligible (draining it). Refusals name the master.
fn choose(
    view: &ClusterView,
    all: &std::collections::BTreeMap<NodeId, NodeEntry>,
    master: &NodeRef,
    master_entry: &NodeEntry,
    mode: Mode,
    exclude_domain: Option<&str>,
) -> Result<Step, FailoverRefusal> {
    let master_down = down_reason(view, &master.id);
    if let Some(why) = &master_down {
        if master_entry.slots.is_empty() {
            return Err(FailoverRefusal::AlreadyFailedOver {
                master: master.node.clone(),
                why: why.clone(),
            });
        }
        if mode == Mode::Default {
            return Err(FailoverRefusal::MasterDown {
                master: master.node.clone(),
                why: why.clone(),
            });
        }
    }
    let require_link = mode == Mode::Default;
    let mut cands = candidates(view, all, master, require_link);
    if cands.is_empty() {
        return Err(FailoverRefusal::NoReplicas {
            master: master.node.clone(),
        });
    }
    if let Some(d) = exclude_domain {
        for c in cands.iter_mut().filter(|c| c.r.domain == d) {
            c.ineligible
                .get_or_insert_with(|| Ineligible::InDomain(d.to_string()));
        }
    }
    rank(&mut cands, mode);
    let best = &cands[0];
    if best.ineligible.is_some() {
        // Ranked ineligible last: every candidate is ineligible.
        return Err(FailoverRefusal::NoEligibleReplica {
            master: master.node.clone(),
            replicas: cands
                .iter()
                .filter_map(|c| {
                    c.ineligible.clone().map(|why| IneligibleReplica {
                        node: c.r.node.clone(),
                        why,
                    })
                })
                .collect(),
        });
    }
    let not_chosen = cands[1..]
        .iter()
        .map(|c| NotChosen {
            node: c.r.node.clone(),
            why: c
                .ineligible
                .as_ref()
                .map_or_else(|| describe(c, master), ToString::to_string),
        })
        .collect();
    Ok(Step {
        master: master.clone(),
        promote: best.r.clone(),
        mode,
        command: mode.command(),
        reason: format!("best replica: {}", describe(best, master)),
        master_down,
        slots: master_entry.slots.clone(),
        not_chosen,
    })
}

/// Plans `failover --demote MASTER`: promote `target`'s best replica in its place.
/// `target` already a replica: nothing to do. A refusal means nothing may be changed.
pub fn plan_demote(
    view: &ClusterView,
    target: &NodeId,
    mode: Mode,
) -> Result<Planned, FailoverRefusal> {
    let all = view.members();
    let entry = all
        .get(target)
        .ok_or_else(|| FailoverRefusal::NotAMember { id: target.clone() })?;
    let me = node_ref(view, target, entry);
    if entry.flags.master {
        let replicated = all.values().any(|e| e.master_id.as_ref() == Some(target));
        // Up: a failed master with no slot left was failed over (refused below, saying so).
        if entry.slots.is_empty() && !replicated && down_reason(view, target).is_none() {
            return Ok(Planned::Nothing(AlreadyDone::ServesNothing {
                node: me.node,
            }));
        }
        return choose(view, &all, &me, entry, mode, None).map(|s| Planned::Step(Box::new(s)));
    }
    match entry.master_id.as_ref() {
        Some(m) => Ok(Planned::Nothing(AlreadyDone::AlreadyReplica {
            node: me.node,
            master: all
                .get(m)
                .map_or_else(|| m.short().to_string(), |e| node_ref(view, m, e).node),
        })),
        None => Err(FailoverRefusal::NoRole { node: me.node }),
    }
}

/// Plans `failover NODE`: make `target` a master. A replica is promoted; a master that
/// is up is one already (nothing to do); a master that is down cannot be made one.
/// A refusal means nothing may be changed.
pub fn plan_promote(
    view: &ClusterView,
    target: &NodeId,
    mode: Mode,
) -> Result<Planned, FailoverRefusal> {
    let all = view.members();
    let entry = all
        .get(target)
        .ok_or_else(|| FailoverRefusal::NotAMember { id: target.clone() })?;
    let me = node_ref(view, target, entry);
    if entry.flags.master {
        return match down_reason(view, target) {
            None => Ok(Planned::Nothing(AlreadyDone::AlreadyMaster {
                node: me.node,
            })),
            Some(why) if entry.slots.is_empty() => Err(FailoverRefusal::AlreadyFailedOver {
                master: me.node,
                why,
            }),
            Some(why) => Err(FailoverRefusal::DownMaster {
                node: me.node,
                addr: me.addr,
                why,
            }),
        };
    }
    promote_replica(view, &all, target, entry, me, mode).map(|s| Planned::Step(Box::new(s)))
}

/// Plans promoting the replica `target` (`entry`, named `me`).
fn promote_replica(
    view: &ClusterView,
    all: &std::collections::BTreeMap<NodeId, NodeEntry>,
    target: &NodeId,
    entry: &NodeEntry,
    me: NodeRef,
    mode: Mode,
) -> Result<Step, FailoverRefusal> {
    let Some(master_id) = entry.master_id.clone() else {
        return Err(FailoverRefusal::NoRole { node: me.node });
    };
    let Some(master_entry) = all.get(&master_id) else {
        return Err(FailoverRefusal::UnknownMaster {
            node: me.node,
            master: master_id,
        });
    };
    let master = node_ref(view, &master_id, master_entry);
    let Some(v) = view.node(target) else {
        return Err(FailoverRefusal::ReplicaUnreachable {
            why: down_reason(view, target).unwrap_or_else(|| "unreachable".into()),
            node: me.node,
        });
    };
    let master_down = down_reason(view, &master_id);
    if let Some(why) = &master_down
        && mode == Mode::Default
    {
        return Err(FailoverRefusal::ReplicasMasterDown {
            node: me.node,
            master: master.node,
            why: why.clone(),
        });
    }
    let link = v.info.get("master_link_status").unwrap_or("unknown");
    if mode == Mode::Default && link != "up" {
        return Err(FailoverRefusal::LinkDown {
            node: me.node,
            master: master.node,
            status: link.to_string(),
        });
    }
    let offset = v.info.get_u64("slave_repl_offset").unwrap_or(0);
    let others = candidates(view, all, &master, false);
    let not_chosen = others
        .iter()
        .filter(|c| &c.r.id != target)
        .map(|c| NotChosen {
            node: c.r.node.clone(),
            why: c
                .ineligible
                .as_ref()
                .map_or_else(|| "not named".to_string(), ToString::to_string),
        })
        .collect();
    Ok(Step {
        reason: format!(
            "named replica: link {link}, replication offset {offset}, domain {}{}",
            me.domain,
            if me.domain == master.domain {
                " (same as the master)"
            } else {
                ""
            }
        ),
        master,
        promote: me,
        mode,
        command: mode.command(),
        master_down,
        slots: master_entry.slots.clone(),
        not_chosen,
    })
}

/// Every failure domain of the cluster's members.
pub fn domains(view: &ClusterView) -> BTreeSet<String> {
    view.members()
        .iter()
        .map(|(id, e)| node_ref(view, id, e).domain)
        .collect()
}

/// Plans moving every master that owns slots out of failure domain `domain`, one failover
/// per master (in address order), each to a replica outside the domain. All problems are
/// returned at once; an empty plan means no master is in the domain.
pub fn plan_domain(
    view: &ClusterView,
    domain: &str,
    mode: Mode,
) -> Result<Vec<Step>, Vec<FailoverRefusal>> {
    let known = domains(view);
    if !known.contains(domain) {
        return Err(vec![FailoverRefusal::NoSuchDomain {
            domain: domain.to_string(),
            known: known.into_iter().collect(),
        }]);
    }
    let all = view.members();
    let mut masters: Vec<(NodeRef, &NodeEntry)> = all
        .iter()
        .filter(|(_, e)| e.flags.master && !e.slots.is_empty())
        .map(|(id, e)| (node_ref(view, id, e), e))
        .filter(|(r, _)| r.domain == domain)
        .collect();
    masters.sort_by(|a, b| a.0.addr.cmp(&b.0.addr));
    let mut steps = Vec::new();
    let mut errors = Vec::new();
    for (m, e) in &masters {
        match choose(view, &all, m, e, mode, Some(domain)) {
            Ok(s) => steps.push(s),
            Err(err) => errors.push(err),
        }
    }
    if errors.is_empty() {
        Ok(steps)
    } else {
        Err(errors)
    }
}

/// What `trib failover` was asked, with the node named resolved to a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// `failover NODE`: [`plan_promote`].
    Promote(NodeId),
    /// `failover --demote MASTER`: [`plan_demote`].
    Demote(NodeId),
    /// `failover --domain D`: [`plan_domain`].
    Domain(String),
}

/// Plans a request. Refusals mean nothing may be changed.
pub fn plan(
    view: &ClusterView,
    request: &Request,
    mode: Mode,
) -> Result<FailoverPlan, Vec<FailoverRefusal>> {
    let (action, planned) = match request {
        Request::Domain(d) => (Action::Domain, Planned::Steps(plan_domain(view, d, mode)?)),
        Request::Promote(id) => (
            Action::Promote,
            plan_promote(view, id, mode).map_err(|r| vec![r])?,
        ),
        Request::Demote(id) => (
            Action::Demote,
            plan_demote(view, id, mode).map_err(|r| vec![r])?,
        ),
    };
    let (steps, nothing) = match planned {
        Planned::Step(s) => (vec![*s], None),
        Planned::Steps(s) => (s, None),
        Planned::Nothing(n) => (Vec::new(), Some(n)),
    };
    Ok(FailoverPlan {
        mode,
        action,
        domain: match request {
            Request::Domain(d) => Some(d.clone()),
            _ => None,
        },
        steps,
        nothing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::info::Info;
    use crate::model::nodes::parse_cluster_nodes;
    use crate::model::view::{NodeView, Unreachable};

    fn id(n: u8) -> String {
        format!("{:02x}", n).repeat(20)
    }

    /// A node: (n, ip, port, master n or None, slots, extra flags).
    struct N {
        n: u8,
        ip: &'static str,
        master: Option<u8>,
        slots: &'static str,
        flags: &'static str,
    }

    fn line(x: &N) -> String {
        let role = if x.master.is_some() {
            "slave"
        } else {
            "master"
        };
        let flags = if x.flags.is_empty() {
            role.to_string()
        } else {
            format!("{role},{}", x.flags)
        };
        format!(
            "{} {}:{}@{} {flags} {} 0 0 1 connected {}",
            id(x.n),
            x.ip,
            7000 + x.n as u16,
            17000 + x.n as u16,
            x.master.map(id).unwrap_or_else(|| "-".into()),
            x.slots
        )
    }

    /// A view where every node in `reached` answered with the same table; `info` gives
    /// (link, offset) per reached replica.
    fn view(nodes: &[N], reached: &[u8], info: &[(u8, &str, u64)]) -> ClusterView {
        let mut v = ClusterView::default();
        for x in nodes {
            if !reached.contains(&x.n) {
                v.unreachable.push(Unreachable {
                    label: format!("{}:{}", x.ip, 7000 + x.n as u16),
                    id: NodeId::parse(&id(x.n)),
                    error: "connection refused".into(),
                });
                continue;
            }
            let text: String = nodes
                .iter()
                .map(|y| {
                    let mut l = line(y);
                    if y.n == x.n {
                        l = l.replacen(" master", " myself,master", 1).replacen(
                            " slave",
                            " myself,slave",
                            1,
                        );
                    }
                    l + "\n"
                })
                .collect();
            let (role, repl) = match info.iter().find(|(n, _, _)| *n == x.n) {
                Some((_, link, off)) => (
                    "slave",
                    format!("master_link_status:{link}\nslave_repl_offset:{off}\n"),
                ),
                None => ("master", String::new()),
            };
            let addr: std::net::SocketAddr =
                format!("{}:{}", x.ip, 7000 + x.n as u16).parse().unwrap();
            v.nodes.push(NodeView {
                label: addr.to_string(),
                addr,
                domain: x.ip.to_string(),
                id: NodeId::parse(&id(x.n)).unwrap(),
                nodes: parse_cluster_nodes(&text).unwrap(),
                info: Info::parse(format!("role:{role}\n{repl}")),
                cluster_info: Info::parse("cluster_state:ok\n"),
                node_timeout: None,
            });
        }
        v.nodes.sort_by_key(|n| n.addr);
        v
    }

    fn nid(n: u8) -> NodeId {
        NodeId::parse(&id(n)).unwrap()
    }

    /// The failover of `target` as the tests below mean it: a master is demoted (its
    /// best replica promoted), a replica promoted; "nothing to do" is a test failure.
    fn plan_failover(
        view: &ClusterView,
        target: &NodeId,
        mode: Mode,
    ) -> Result<Step, FailoverRefusal> {
        let is_master = view.members().get(target).is_some_and(|e| e.flags.master);
        let planned = if is_master {
            plan_demote(view, target, mode)?
        } else {
            plan_promote(view, target, mode)?
        };
        match planned {
            Planned::Step(s) => Ok(*s),
            other => panic!("not one step: {other:?}"),
        }
    }

    #[test]
    fn a_retried_failover_changes_nothing() {
        let v = view(
            &three_replicas(),
            &[1, 2, 3, 4],
            &[(2, "up", 10), (3, "up", 10), (4, "up", 10)],
        );
        // Making a master a master: nothing to do, and the message says how to demote.
        let p = plan_promote(&v, &nid(1), Mode::Default).unwrap();
        let Planned::Nothing(n) = &p else {
            panic!("{p:?}")
        };
        assert_eq!(
            n,
            &AlreadyDone::AlreadyMaster {
                node: "127.0.0.2:7001".into()
            }
        );
        assert!(n.to_string().contains("already a master"), "{n}");
        assert!(n.to_string().contains("--demote 127.0.0.2:7001"), "{n}");
        // Demoting a replica: nothing to do either.
        let p = plan_demote(&v, &nid(3), Mode::Force).unwrap();
        assert_eq!(
            p,
            Planned::Nothing(AlreadyDone::AlreadyReplica {
                node: "127.0.0.3:7003".into(),
                master: "127.0.0.2:7001".into()
            })
        );
        // The two forms do what they say on the other role.
        assert!(matches!(
            plan_promote(&v, &nid(3), Mode::Default).unwrap(),
            Planned::Step(s) if s.promote.id == nid(3)
        ));
        assert!(matches!(
            plan_demote(&v, &nid(1), Mode::Default).unwrap(),
            Planned::Step(s) if s.master.id == nid(1) && s.promote.id != nid(1)
        ));
    }

    #[test]
    fn a_down_master_cannot_be_made_a_master() {
        let v = view(
            &three_replicas(),
            &[2, 3, 4],
            &[(2, "down", 9), (3, "down", 9), (4, "down", 9)],
        );
        for mode in [Mode::Default, Mode::Force, Mode::Takeover] {
            let e = plan_promote(&v, &nid(1), mode).unwrap_err();
            assert!(
                matches!(&e, FailoverRefusal::DownMaster { addr, .. } if addr == "127.0.0.2:7001"),
                "{e:?}"
            );
            assert!(
                e.to_string()
                    .contains("trib failover --demote 127.0.0.2:7001 --force"),
                "{e}"
            );
        }
    }

    fn m(n: u8, ip: &'static str, slots: &'static str) -> N {
        N {
            n,
            ip,
            master: None,
            slots,
            flags: "",
        }
    }
    fn r(n: u8, ip: &'static str, of: u8) -> N {
        N {
            n,
            ip,
            master: Some(of),
            slots: "",
            flags: "",
        }
    }

    /// Master 1 on .2 with replicas 2 (.2, same domain), 3 (.3), 4 (.4).
    fn three_replicas() -> Vec<N> {
        vec![
            m(1, "127.0.0.2", "0-16383"),
            r(2, "127.0.0.2", 1),
            r(3, "127.0.0.3", 1),
            r(4, "127.0.0.4", 1),
        ]
    }

    #[test]
    fn replica_is_promoted() {
        let v = view(
            &three_replicas(),
            &[1, 2, 3, 4],
            &[(2, "up", 10), (3, "up", 10), (4, "up", 10)],
        );
        let s = plan_failover(&v, &nid(3), Mode::Default).unwrap();
        assert_eq!(s.promote.id, nid(3));
        assert_eq!(s.master.id, nid(1));
        assert_eq!(s.slots.len(), 16384);
        assert_eq!(s.command, "CLUSTER FAILOVER");
        assert_eq!(s.not_chosen.len(), 2);
    }

    #[test]
    fn master_prefers_other_domain_then_offset_then_address() {
        // Same offsets: the same-domain replica (lowest address) loses to the others.
        let v = view(
            &three_replicas(),
            &[1, 2, 3, 4],
            &[(2, "up", 10), (3, "up", 10), (4, "up", 10)],
        );
        let s = plan_failover(&v, &nid(1), Mode::Default).unwrap();
        assert_eq!(s.promote.id, nid(3));
        // A larger offset wins among other-domain replicas, even with a larger address.
        let v = view(
            &three_replicas(),
            &[1, 2, 3, 4],
            &[(2, "up", 99), (3, "up", 10), (4, "up", 11)],
        );
        let s = plan_failover(&v, &nid(1), Mode::Default).unwrap();
        assert_eq!(s.promote.id, nid(4));
        // Link down excludes.
        let v = view(
            &three_replicas(),
            &[1, 2, 3, 4],
            &[(2, "up", 10), (3, "down", 10), (4, "down", 10)],
        );
        let s = plan_failover(&v, &nid(1), Mode::Default).unwrap();
        assert_eq!(s.promote.id, nid(2));
    }

    #[test]
    fn force_prefers_offset() {
        let v = view(
            &three_replicas(),
            &[2, 3, 4],
            &[(2, "down", 99), (3, "down", 10), (4, "down", 11)],
        );
        let s = plan_failover(&v, &nid(1), Mode::Force).unwrap();
        assert_eq!(s.promote.id, nid(2));
        assert!(s.master_down.is_some());
        assert_eq!(s.command, "CLUSTER FAILOVER FORCE");
    }

    #[test]
    fn down_master_needs_force() {
        let v = view(
            &three_replicas(),
            &[2, 3, 4],
            &[(2, "down", 9), (3, "down", 9), (4, "down", 9)],
        );
        let e = plan_failover(&v, &nid(1), Mode::Default).unwrap_err();
        assert!(matches!(e, FailoverRefusal::MasterDown { .. }), "{e:?}");
        assert!(e.to_string().contains("--force"), "{e}");
        let e = plan_failover(&v, &nid(3), Mode::Default).unwrap_err();
        assert!(
            matches!(&e, FailoverRefusal::ReplicasMasterDown { node, .. } if node == "127.0.0.3:7003"),
            "{e:?}"
        );
        assert!(e.to_string().contains("--force"), "{e}");
        let s = plan_failover(&v, &nid(3), Mode::Takeover).unwrap();
        assert_eq!(s.promote.id, nid(3));
    }

    #[test]
    fn flagged_master_is_down() {
        let mut nodes = three_replicas();
        nodes[0].flags = "fail";
        // Reached, but the others flag it: also their own line says fail.
        let v = view(
            &nodes,
            &[1, 2, 3, 4],
            &[(2, "up", 9), (3, "up", 9), (4, "up", 9)],
        );
        let e = plan_failover(&v, &nid(1), Mode::Default).unwrap_err();
        assert!(
            matches!(&e, FailoverRefusal::MasterDown { why, .. } if why.starts_with("flagged fail")),
            "{e:?}"
        );
    }

    #[test]
    fn already_failed_over() {
        let nodes = vec![m(1, "127.0.0.2", ""), m(3, "127.0.0.3", "0-16383")];
        let v = view(&nodes, &[3], &[]);
        let e = plan_failover(&v, &nid(1), Mode::Default).unwrap_err();
        assert!(
            matches!(e, FailoverRefusal::AlreadyFailedOver { .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("already promoted"), "{e}");
        let e = plan_failover(&v, &nid(1), Mode::Force).unwrap_err();
        assert!(
            matches!(e, FailoverRefusal::AlreadyFailedOver { .. }),
            "{e:?}"
        );
    }

    /// `--demote` of a master with no slot and no replica (what a pod's preStop hook meets
    /// before the cluster exists): nothing to do. With slots it is still refused.
    #[test]
    fn demoting_a_master_that_serves_nothing_is_nothing_to_do() {
        let nodes = vec![m(1, "127.0.0.2", "0-16383"), m(2, "127.0.0.3", "")];
        let v = view(&nodes, &[1, 2], &[]);
        let planned = plan_demote(&v, &nid(2), Mode::Default).unwrap();
        assert!(
            matches!(&planned, Planned::Nothing(AlreadyDone::ServesNothing { node }) if node.contains("127.0.0.3")),
            "{planned:?}"
        );
        let e = plan_demote(&v, &nid(1), Mode::Default).unwrap_err();
        assert!(matches!(e, FailoverRefusal::NoReplicas { .. }), "{e:?}");
        // An empty master with a replica: an explicit --demote still swaps them.
        let nodes = vec![
            m(1, "127.0.0.2", "0-16383"),
            m(2, "127.0.0.3", ""),
            r(3, "127.0.0.4", 2),
        ];
        let v = view(&nodes, &[1, 2, 3], &[(3, "up", 0)]);
        let planned = plan_demote(&v, &nid(2), Mode::Default);
        assert!(!matches!(planned, Ok(Planned::Nothing(_))), "{planned:?}");
    }

    #[test]
    fn no_replica() {
        let nodes = vec![m(1, "127.0.0.2", "0-16383")];
        let v = view(&nodes, &[1], &[]);
        let e = plan_failover(&v, &nid(1), Mode::Default).unwrap_err();
        assert!(matches!(e, FailoverRefusal::NoReplicas { .. }), "{e:?}");
        assert!(e.to_string().contains("without replicas"), "{e}");
        // Every replica unusable: each is named with its reason.
        let v = view(
            &three_replicas(),
            &[1, 2, 3],
            &[(2, "down", 9), (3, "down", 9)],
        );
        let e = plan_failover(&v, &nid(1), Mode::Default).unwrap_err();
        let FailoverRefusal::NoEligibleReplica { replicas, .. } = &e else {
            panic!("{e:?}");
        };
        assert_eq!(replicas.len(), 3, "{e:?}");
        assert!(
            replicas.iter().any(|r| r.node.contains("127.0.0.4:7004")
                && matches!(&r.why, Ineligible::Down(w) if w.contains("connection refused"))),
            "{e:?}"
        );
        assert!(
            replicas
                .iter()
                .any(|r| r.why == Ineligible::LinkDown("down".into())),
            "{e:?}"
        );
        let text = e.to_string();
        assert!(text.contains("no replica can be promoted"), "{text}");
        assert!(text.contains("master_link_status:down"), "{text}");
    }

    #[test]
    fn replica_with_link_down() {
        let v = view(
            &three_replicas(),
            &[1, 2, 3, 4],
            &[(2, "up", 9), (3, "down", 9), (4, "up", 9)],
        );
        let e = plan_failover(&v, &nid(3), Mode::Default).unwrap_err();
        assert!(
            matches!(&e, FailoverRefusal::LinkDown { status, .. } if status == "down"),
            "{e:?}"
        );
        assert!(e.to_string().contains("master_link_status:down"), "{e}");
        assert!(plan_failover(&v, &nid(3), Mode::Force).is_ok());
    }

    #[test]
    fn domain_drain() {
        let nodes = vec![
            m(1, "127.0.0.2", "0-5460"),
            m(2, "127.0.0.3", "5461-10922"),
            m(3, "127.0.0.2", "10923-16383"),
            r(4, "127.0.0.3", 1),
            r(5, "127.0.0.4", 2),
            r(6, "127.0.0.2", 3),
            r(7, "127.0.0.4", 3),
        ];
        let all: Vec<u8> = (1..=7).collect();
        let info = [(4, "up", 1), (5, "up", 1), (6, "up", 5), (7, "up", 1)];
        let v = view(&nodes, &all, &info);
        let steps = plan_domain(&v, "127.0.0.2", Mode::Default).unwrap();
        let pairs: Vec<(NodeId, NodeId)> = steps
            .iter()
            .map(|s| (s.master.id.clone(), s.promote.id.clone()))
            .collect();
        assert_eq!(pairs, vec![(nid(1), nid(4)), (nid(3), nid(7))]);
        assert!(
            plan_domain(&v, "127.0.0.4", Mode::Default)
                .unwrap()
                .is_empty()
        );
        let e = plan_domain(&v, "10.9.9.9", Mode::Default).unwrap_err();
        assert!(
            matches!(&e[..], [FailoverRefusal::NoSuchDomain { domain, known }]
                if domain == "10.9.9.9" && known == &["127.0.0.2", "127.0.0.3", "127.0.0.4"]),
            "{e:?}"
        );
        assert_eq!(
            e[0].to_string(),
            "no node of this cluster is in failure domain 10.9.9.9 (domains: 127.0.0.2, 127.0.0.3, 127.0.0.4)"
        );
        // A master whose only replica is in the domain cannot leave it.
        let nodes = vec![m(1, "127.0.0.2", "0-16383"), r(2, "127.0.0.2", 1)];
        let v = view(&nodes, &[1, 2], &[(2, "up", 1)]);
        let e = plan_domain(&v, "127.0.0.2", Mode::Default).unwrap_err();
        assert!(
            matches!(&e[..], [FailoverRefusal::NoEligibleReplica { replicas, .. }]
                if replicas.len() == 1 && replicas[0].why == Ineligible::InDomain("127.0.0.2".into())),
            "{e:?}"
        );
        assert!(
            e[0].to_string().contains("in failure domain 127.0.0.2 too"),
            "{e:?}"
        );
    }
}
