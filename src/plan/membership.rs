//! Planning a node's entry into a cluster (`add-node`, `replicate`): the role it gets,
//! its master, and the steps. Pure: works on a loaded [`ClusterView`], the new node's own
//! view and the function libraries trib read beforehand.
//!
//! `add-node` and `replicate` are one operation with two entry points: a node that is not
//! a member yet is introduced (MEET) and becomes a master or a replica; `replicate` may
//! also re-point a member replica, or turn an empty member master into a replica.

use serde::Serialize;

use crate::model::view::{ClusterView, NodeView, NotNew};
use crate::model::{NodeEntry, NodeId, SlotSet};

/// A function library as `FUNCTION LIST WITHCODE` reports it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Library {
    pub name: String,
    #[serde(skip)]
    pub code: String,
}

/// What the user asked the new node to become.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Want {
    /// A master without slots (`add-node NEW ENTRY`).
    Master,
    /// A replica of this member (`--replica-of`, `replicate --master`).
    ReplicaOf(NodeId),
    /// A replica of the master with fewest replicas (`--replica`).
    AnyReplica,
}

/// Everything the planner needs.
pub struct JoinInput<'a> {
    pub cluster: &'a ClusterView,
    /// The node to add or attach, as it describes itself.
    pub new: &'a NodeView,
    /// NEW's libraries, sorted; `None` when it has no FUNCTION command (Redis < 7).
    pub new_functions: Option<Vec<Library>>,
    /// A master's libraries, sorted, and which master: what a new master must get.
    /// `None` when no reachable master has the FUNCTION command.
    pub cluster_functions: Option<(NodeId, Vec<Library>)>,
    pub want: Want,
    /// `replicate`: NEW may already be a member (re-point a replica, demote an empty master).
    pub allow_member: bool,
}

/// A node as plans name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeRef {
    pub node: String,
    pub addr: String,
    pub id: NodeId,
    pub domain: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Master,
    Replica,
}

/// One change, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum JoinStep {
    /// `FUNCTION DUMP` on `from`, `FUNCTION RESTORE` on NEW.
    CopyFunctions {
        from: NodeRef,
        libraries: Vec<String>,
    },
    /// `CLUSTER MEET ip port bus_port` sent by each of `via` (every reachable member).
    Meet {
        via: Vec<NodeRef>,
        ip: String,
        port: u16,
        bus_port: u16,
    },
    /// Wait until every reachable member knows NEW and NEW knows them.
    WaitKnown,
    /// `CLUSTER REPLICATE master` on NEW (retried while NEW does not know the master yet).
    Replicate { master: NodeRef },
    /// Wait until NEW's link to its master is up and its first sync is done, and every
    /// reachable member sees it as that master's replica.
    WaitSynced,
}

/// The plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JoinPlan {
    pub node: NodeRef,
    /// NEW is a member already (replicate): no MEET.
    pub member: bool,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master: Option<NodeRef>,
    /// The master NEW replicates now, when it is re-pointed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_master: Option<NodeRef>,
    /// The chosen master's replicas before the change (for `--replica`, why it was chosen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_replicas: Option<usize>,
    pub steps: Vec<JoinStep>,
    pub warnings: Vec<String>,
}

impl JoinPlan {
    /// Nothing to do: NEW already is what was asked.
    pub fn is_noop(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Why a join cannot be done. `node` is how the message names the node it is about: NEW's
/// label, or the named master's. Displayed as one line, the user-visible message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JoinRefusal {
    /// The only reachable node of ENTRY's cluster is NEW itself.
    #[error("{node}: the entry node is this node itself; name a member of the cluster as ENTRY")]
    EntryIsItself { node: String },
    #[error("the entry node's cluster has no slot assigned: create it first (trib create)")]
    NoSlotAssigned,
    /// NEW is a member already and only `replicate` may take members. `master`: the one it
    /// replicates (`None`: it is a master); `suggest_replicate`: point at `trib replicate`.
    #[error(
        "{node}: already a member of this cluster ({}){}",
        .master.as_ref().map(|m| format!("a replica of {m}")).unwrap_or_else(|| "a master".into()),
        if *.suggest_replicate { "; use `trib replicate` to attach a member as a replica" } else { "" }
    )]
    AlreadyMember {
        node: String,
        master: Option<String>,
        suggest_replicate: bool,
    },
    /// `replicate` of a member master that owns `slots`.
    #[error(
        "{node}: is a master owning {} slot(s); move them away first (trib reshard) or pick an empty node",
        .slots.len()
    )]
    MasterOwnsSlots { node: String, slots: SlotSet },
    /// `replicate` of a member master without slots that holds `keys`.
    #[error("{node}: is a master holding {keys} key(s); only an empty master can become a replica")]
    MasterHoldsKeys { node: String, keys: u64 },
    /// `replicate` of a member master that still has these replicas.
    #[error("{node}: is the master of {}; re-point those replicas first", .replicas.join(", "))]
    HasReplicas { node: String, replicas: Vec<String> },
    #[error("{node}: does not list itself in CLUSTER NODES")]
    NoMyself { node: String },
    /// A new node that is not new (keys, slots, other nodes).
    #[error("{node}: {why}")]
    NotNew { node: String, why: NotNew },
    /// The master named is no member.
    #[error("{}: not a member of this cluster", .id.short())]
    NotAMember { id: NodeId },
    #[error("{node}: cannot be a replica of itself")]
    ReplicaOfItself { node: String },
    /// The master named is a replica (of `of`, when known).
    #[error(
        "{node}: is a replica{}; name a master",
        .of.as_ref().map(|m| format!(" of {m}")).unwrap_or_default()
    )]
    MasterIsReplica { node: String, of: Option<String> },
    #[error("{node}: unreachable ({why}); a replica cannot sync from it")]
    MasterUnreachable { node: String, why: String },
    #[error("{node}: flagged as failing by other nodes; a replica cannot sync from it")]
    MasterFailing { node: String },
    /// `--replica`: no master to choose from.
    #[error("no reachable, working master to attach a replica to")]
    NoWorkingMaster,
    /// NEW holds function libraries of its own (these).
    #[error(
        "{node}: already holds functions ({}); a new node must have none (FUNCTION FLUSH it if they are not needed)",
        .libraries.join(", ")
    )]
    HoldsFunctions {
        node: String,
        libraries: Vec<String>,
    },
    /// A new master without FUNCTION while the cluster's masters hold these libraries.
    #[error(
        "{node}: has no FUNCTION command (Redis < 7) but the cluster's masters hold functions ({}); a master without them would fail FCALL",
        .libraries.join(", ")
    )]
    NoFunctionCommand {
        node: String,
        libraries: Vec<String>,
    },
}

/// A master `--replica` may choose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterCandidate {
    pub id: NodeId,
    pub domain: String,
    pub slots: usize,
    /// Failure domains of its working replicas.
    pub replica_domains: Vec<String>,
}

/// The master with fewest replicas, preferring (in this order) masters that own slots,
/// then fewest working replicas, then a master in another failure domain than NEW, then
/// fewest replicas already in NEW's domain; ties go to the earliest candidate.
pub fn choose_master(candidates: &[MasterCandidate], new_domain: &str) -> Option<usize> {
    candidates
        .iter()
        .enumerate()
        .min_by_key(|(i, c)| {
            (
                c.slots == 0,
                c.replica_domains.len(),
                c.domain == new_domain,
                c.replica_domains
                    .iter()
                    .filter(|d| *d == new_domain)
                    .count(),
                *i,
            )
        })
        .map(|(i, _)| i)
}

/// Which of the masters' library sets (in the cluster's order) a new master gets: the
/// largest, the first of equals. `0` for an empty list.
pub fn richest_library_set(sets: &[&[Library]]) -> usize {
    sets.iter()
        .enumerate()
        .max_by_key(|(i, s)| (s.len(), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
        .unwrap_or(0)
}

/// The failure domain of a member: its reached view's domain, else its announced IP.
fn domain_of(view: &ClusterView, e: &NodeEntry) -> String {
    view.domain_of(&e.id)
        .map(str::to_string)
        .unwrap_or_else(|| e.ip.clone())
}

fn node_ref(view: &ClusterView, e: &NodeEntry) -> NodeRef {
    match view.node(&e.id) {
        Some(n) => NodeRef {
            node: n.label.clone(),
            addr: n.addr.to_string(),
            id: n.id.clone(),
            domain: n.domain.clone(),
        },
        None => NodeRef {
            node: e.addr_string(),
            addr: e.addr_string(),
            id: e.id.clone(),
            domain: e.ip.clone(),
        },
    }
}

fn view_ref(n: &NodeView) -> NodeRef {
    NodeRef {
        node: n.label.clone(),
        addr: n.addr.to_string(),
        id: n.id.clone(),
        domain: n.domain.clone(),
    }
}

/// True when some reachable member flags `id` as failing (`fail` or `fail?`).
fn flagged_failing(view: &ClusterView, id: &NodeId) -> bool {
    view.nodes.iter().any(|v| {
        v.nodes
            .iter()
            .any(|e| &e.id == id && e.id != v.id && e.is_failing())
    })
}

/// Bus port of a node as it reports it (`@cport`), else port + 10000.
pub fn bus_port(n: &NodeView) -> u16 {
    n.myself()
        .map(|m| m.cport)
        .filter(|p| *p != 0)
        .unwrap_or_else(|| n.addr.port().wrapping_add(10000))
}

fn names(libs: &[Library]) -> Vec<String> {
    libs.iter().map(|l| l.name.clone()).collect()
}

/// Plans the join, or says (one refusal each) why it cannot be done. Nothing is refused
/// for problems the join itself does not depend on (they are warnings).
pub fn plan_join(input: &JoinInput) -> Result<JoinPlan, Vec<JoinRefusal>> {
    let view = input.cluster;
    let new = input.new;
    let all = view.members();
    let mut refusals = Vec::new();
    let mut warnings = Vec::new();
    let label = &new.label;

    if view.nodes.iter().all(|n| n.id == new.id) {
        return Err(vec![JoinRefusal::EntryIsItself {
            node: label.clone(),
        }]);
    }
    if view.claimed_slots().is_empty() {
        refusals.push(JoinRefusal::NoSlotAssigned);
    }

    let member = all.get(&new.id);
    let me = new.myself();
    let mut previous_master = None;
    match (member, input.allow_member) {
        (Some(e), false) => refusals.push(JoinRefusal::AlreadyMember {
            node: label.clone(),
            master: e.master_id.as_ref().map(|m| {
                all.get(m)
                    .map(|me| node_ref(view, me).node)
                    .unwrap_or_else(|| m.short().to_string())
            }),
            suggest_replicate: !matches!(input.want, Want::Master),
        }),
        (Some(_), true) => {
            // A member: what it is now, in its own view.
            match me {
                Some(m) if m.flags.master || m.master_id.is_none() => {
                    if !m.slots.is_empty() {
                        refusals.push(JoinRefusal::MasterOwnsSlots {
                            node: label.clone(),
                            slots: m.slots.clone(),
                        });
                    } else if new.keys() > 0 {
                        refusals.push(JoinRefusal::MasterHoldsKeys {
                            node: label.clone(),
                            keys: new.keys(),
                        });
                    }
                    let own: Vec<String> = all
                        .values()
                        .filter(|e| e.master_id.as_ref() == Some(&new.id))
                        .map(|e| node_ref(view, e).node)
                        .collect();
                    if m.slots.is_empty() && !own.is_empty() {
                        refusals.push(JoinRefusal::HasReplicas {
                            node: label.clone(),
                            replicas: own,
                        });
                    }
                }
                Some(m) => {
                    previous_master = m.master_id.as_ref().map(|pm| match all.get(pm) {
                        Some(e) => node_ref(view, e),
                        None => NodeRef {
                            node: pm.short().to_string(),
                            addr: String::new(),
                            id: pm.clone(),
                            domain: String::new(),
                        },
                    });
                }
                None => refusals.push(JoinRefusal::NoMyself {
                    node: label.clone(),
                }),
            }
        }
        (None, _) => {
            if let Some(why) = new.emptiness_problem() {
                refusals.push(JoinRefusal::NotNew {
                    node: label.clone(),
                    why,
                });
            }
        }
    }
    let is_member = member.is_some();

    // The master, when a replica is wanted.
    let mut master_replicas = None;
    let master: Option<NodeRef> = match &input.want {
        Want::Master => None,
        Want::ReplicaOf(id) => match all.get(id) {
            None => {
                refusals.push(JoinRefusal::NotAMember { id: id.clone() });
                None
            }
            Some(_) if id == &new.id => {
                refusals.push(JoinRefusal::ReplicaOfItself {
                    node: label.clone(),
                });
                None
            }
            Some(e) => {
                let r = node_ref(view, e);
                let own_view = view.node(id);
                let is_master = own_view.map(|v| v.is_master()).unwrap_or(e.is_master());
                if !is_master {
                    let of = own_view
                        .and_then(|v| v.myself())
                        .and_then(|m| m.master_id.clone())
                        .or_else(|| e.master_id.clone());
                    refusals.push(JoinRefusal::MasterIsReplica {
                        node: r.node.clone(),
                        of: of.map(|m| {
                            all.get(&m)
                                .map(|me| node_ref(view, me).node)
                                .unwrap_or_else(|| m.short().to_string())
                        }),
                    });
                } else if own_view.is_none() {
                    refusals.push(JoinRefusal::MasterUnreachable {
                        node: r.node.clone(),
                        why: view.why_unreached(id),
                    });
                } else if flagged_failing(view, id) {
                    refusals.push(JoinRefusal::MasterFailing {
                        node: r.node.clone(),
                    });
                } else if e.slots.is_empty() {
                    warnings.push(format!(
                        "{} owns no slot: its replica will hold no data until slots move to it",
                        r.node
                    ));
                }
                master_replicas = Some(working_replicas(view, &all, id).len());
                Some(r)
            }
        },
        Want::AnyReplica => {
            let mut entries: Vec<&NodeView> = view
                .nodes
                .iter()
                .filter(|n| n.is_master() && n.id != new.id && !flagged_failing(view, &n.id))
                .collect();
            entries.sort_by_key(|n| n.addr);
            let candidates: Vec<MasterCandidate> = entries
                .iter()
                .map(|n| MasterCandidate {
                    id: n.id.clone(),
                    domain: n.domain.clone(),
                    slots: n.myself().map(|m| m.slots.len()).unwrap_or(0),
                    replica_domains: working_replicas(view, &all, &n.id)
                        .into_iter()
                        .filter(|r| r.id != new.id)
                        .map(|r| domain_of(view, r))
                        .collect(),
                })
                .collect();
            match choose_master(&candidates, &new.domain) {
                Some(i) => {
                    master_replicas = Some(candidates[i].replica_domains.len());
                    Some(view_ref(entries[i]))
                }
                None => {
                    refusals.push(JoinRefusal::NoWorkingMaster);
                    None
                }
            }
        }
    };

    // Already done (replicate run twice).
    if let (Some(m), Some(pm)) = (&master, &previous_master)
        && m.id == pm.id
        && refusals.is_empty()
    {
        return Ok(JoinPlan {
            node: view_ref(new),
            member: true,
            role: Role::Replica,
            master: master.clone(),
            previous_master: None,
            master_replicas,
            steps: vec![],
            warnings,
        });
    }

    // Functions: a new node must not hold any of its own; a new master gets the cluster's.
    let mut copy_functions = None;
    if !is_member {
        let cluster_libs = input
            .cluster_functions
            .as_ref()
            .map(|(_, l)| l.as_slice())
            .unwrap_or(&[]);
        let new_libs = input.new_functions.as_deref().unwrap_or(&[]);
        let same = new_libs == cluster_libs;
        if !new_libs.is_empty() && !same {
            refusals.push(JoinRefusal::HoldsFunctions {
                node: label.clone(),
                libraries: names(new_libs),
            });
        } else if master.is_none() && !cluster_libs.is_empty() && !same {
            if input.new_functions.is_none() {
                refusals.push(JoinRefusal::NoFunctionCommand {
                    node: label.clone(),
                    libraries: names(cluster_libs),
                });
            } else if let Some((src, libs)) = &input.cluster_functions {
                copy_functions = all.get(src).map(|e| JoinStep::CopyFunctions {
                    from: node_ref(view, e),
                    libraries: libs.iter().map(|l| l.name.clone()).collect(),
                });
            }
        }
    }

    if !refusals.is_empty() {
        return Err(refusals);
    }

    for u in &view.unreachable {
        warnings.push(format!(
            "{}: unreachable ({}); it will learn about {label} by gossip once it is back",
            u.label, u.error
        ));
    }
    if let Some(m) = &master
        && m.domain == new.domain
    {
        warnings.push(format!(
            "{label} shares failure domain {} with its master {}: losing that domain loses both",
            m.domain, m.node
        ));
    }

    let mut steps = Vec::new();
    if let Some(c) = copy_functions {
        steps.push(c);
    }
    if !is_member {
        let via: Vec<NodeRef> = view
            .nodes
            .iter()
            .filter(|n| n.id != new.id)
            .map(view_ref)
            .collect();
        steps.push(JoinStep::Meet {
            via,
            ip: new.addr.ip().to_string(),
            port: new.addr.port(),
            bus_port: bus_port(new),
        });
        steps.push(JoinStep::WaitKnown);
    }
    if let Some(m) = &master {
        steps.push(JoinStep::Replicate { master: m.clone() });
        steps.push(JoinStep::WaitSynced);
    }
    Ok(JoinPlan {
        node: view_ref(new),
        member: is_member,
        role: if master.is_some() {
            Role::Replica
        } else {
            Role::Master
        },
        master,
        previous_master,
        master_replicas,
        steps,
        warnings,
    })
}

/// Replicas of `master` that are not flagged failing, by consensus membership.
fn working_replicas<'a>(
    view: &ClusterView,
    all: &'a std::collections::BTreeMap<NodeId, NodeEntry>,
    master: &NodeId,
) -> Vec<&'a NodeEntry> {
    all.values()
        .filter(|e| e.master_id.as_ref() == Some(master) && !flagged_failing(view, &e.id))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::model::info::Info;
    use crate::model::nodes::parse_cluster_nodes;
    use crate::model::view::Unreachable;

    #[test]
    fn richest_library_set_is_the_largest_then_the_first() {
        let lib = |n: &str| Library {
            name: n.into(),
            code: String::new(),
        };
        let (a, b, c) = (
            vec![lib("a")],
            vec![lib("a"), lib("b")],
            vec![lib("c"), lib("d")],
        );
        assert_eq!(richest_library_set(&[&a, &b, &c]), 1);
        assert_eq!(richest_library_set(&[&c, &b]), 0);
        assert_eq!(richest_library_set(&[]), 0);
    }

    const M1: &str = "1111111111111111111111111111111111111111";
    const M2: &str = "2222222222222222222222222222222222222222";
    const M3: &str = "3333333333333333333333333333333333333333";
    const R1: &str = "4444444444444444444444444444444444444444";
    const R2: &str = "5555555555555555555555555555555555555555";
    const R3: &str = "6666666666666666666666666666666666666666";
    const NEW: &str = "9999999999999999999999999999999999999999";

    fn id(s: &str) -> NodeId {
        NodeId::parse(s).unwrap()
    }

    /// Lines `id ip port master slots`; ip is also the domain.
    fn cluster(lines: &[(&str, &str, Option<&str>, &str)]) -> String {
        lines
            .iter()
            .enumerate()
            .map(|(i, (nid, ip, master, slots))| {
                let port = 7000 + i;
                let flags = if master.is_some() { "slave" } else { "master" };
                format!(
                    "{nid} {ip}:{port}@{} {flags} {} 0 0 1 connected {slots}\n",
                    port + 10000,
                    master.unwrap_or("-")
                )
            })
            .collect()
    }

    fn node_view(text: &str, nid: &str, keys: u64) -> NodeView {
        let nodes = parse_cluster_nodes(text).unwrap();
        let me = nodes.iter().find(|e| e.id.as_str() == nid).unwrap();
        let addr: SocketAddr = format!("{}:{}", me.ip, me.port).parse().unwrap();
        let info = if keys > 0 {
            Info::parse(format!("db0:keys={keys},expires=0,avg_ttl=0\r\n"))
        } else {
            Info::parse("")
        };
        NodeView {
            label: addr.to_string(),
            addr,
            domain: me.ip.clone(),
            id: id(nid),
            nodes,
            info,
            cluster_info: Info::parse(""),
            node_timeout: None,
        }
    }

    fn view(text: &str) -> ClusterView {
        let nodes = parse_cluster_nodes(text).unwrap();
        ClusterView {
            nodes: nodes
                .iter()
                .map(|e| node_view(text, e.id.as_str(), 0))
                .collect(),
            unreachable: vec![],
            entry: None,
            ..ClusterView::default()
        }
    }

    fn six() -> String {
        cluster(&[
            (M1, "10.0.0.1", None, "0-5460"),
            (M2, "10.0.0.2", None, "5461-10922"),
            (M3, "10.0.0.3", None, "10923-16383"),
            (R1, "10.0.0.2", Some(M1), ""),
            (R2, "10.0.0.3", Some(M2), ""),
            (R3, "10.0.0.1", Some(M3), ""),
        ])
    }

    fn fresh(ip: &str) -> NodeView {
        node_view(&cluster(&[(NEW, ip, None, "")]), NEW, 0)
    }

    fn input<'a>(cluster: &'a ClusterView, new: &'a NodeView, want: Want) -> JoinInput<'a> {
        JoinInput {
            cluster,
            new,
            new_functions: Some(vec![]),
            cluster_functions: Some((id(M1), vec![])),
            want,
            allow_member: false,
        }
    }

    fn lib(name: &str) -> Library {
        Library {
            name: name.into(),
            code: format!("#!lua name={name}\n"),
        }
    }

    #[test]
    fn master_join_meets_from_every_reachable_member() {
        let v = view(&six());
        let n = fresh("10.0.0.9");
        let p = plan_join(&input(&v, &n, Want::Master)).unwrap();
        assert_eq!(p.role, Role::Master);
        assert!(!p.member);
        assert_eq!(p.steps.len(), 2);
        match &p.steps[0] {
            JoinStep::Meet {
                via,
                ip,
                port,
                bus_port,
            } => {
                assert_eq!(via.len(), 6);
                assert_eq!(ip, "10.0.0.9");
                assert_eq!(*port, 7000);
                assert_eq!(*bus_port, 17000);
            }
            s => panic!("{s:?}"),
        }
        assert_eq!(p.steps[1], JoinStep::WaitKnown);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn any_replica_goes_to_the_master_with_fewest_replicas() {
        // M1 has two replicas, M2 one, M3 none.
        let text = cluster(&[
            (M1, "10.0.0.1", None, "0-5460"),
            (M2, "10.0.0.2", None, "5461-10922"),
            (M3, "10.0.0.3", None, "10923-16383"),
            (R1, "10.0.0.2", Some(M1), ""),
            (R2, "10.0.0.3", Some(M1), ""),
            (R3, "10.0.0.1", Some(M2), ""),
        ]);
        let v = view(&text);
        let n = fresh("10.0.0.9");
        let p = plan_join(&input(&v, &n, Want::AnyReplica)).unwrap();
        assert_eq!(p.role, Role::Replica);
        assert_eq!(p.master.as_ref().unwrap().id, id(M3));
        assert_eq!(p.master_replicas, Some(0));
        assert!(matches!(p.steps[2], JoinStep::Replicate { .. }));
        assert_eq!(p.steps[3], JoinStep::WaitSynced);
    }

    #[test]
    fn any_replica_prefers_another_domain_on_ties() {
        let v = view(&six());
        for (domain, not) in [("10.0.0.1", M1), ("10.0.0.2", M2), ("10.0.0.3", M3)] {
            let mut n = fresh("10.0.0.9");
            n.domain = domain.into();
            let p = plan_join(&input(&v, &n, Want::AnyReplica)).unwrap();
            let m = p.master.unwrap();
            assert_ne!(m.id, id(not), "NEW in {domain}");
            assert_ne!(m.domain, domain);
            assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        }
    }

    #[test]
    fn choose_master_order() {
        let c = |n: &str, d: &str, slots: usize, reps: &[&str]| MasterCandidate {
            id: id(n),
            domain: d.into(),
            slots,
            replica_domains: reps.iter().map(|s| s.to_string()).collect(),
        };
        // Slotless masters only when nothing else.
        assert_eq!(
            choose_master(&[c(M1, "a", 0, &[]), c(M2, "b", 10, &["c", "d"])], "x"),
            Some(1)
        );
        // Fewest replicas beats domain.
        assert_eq!(
            choose_master(&[c(M1, "b", 10, &["c"]), c(M2, "a", 10, &[])], "a"),
            Some(1)
        );
        // Same count: another domain.
        assert_eq!(
            choose_master(&[c(M1, "a", 10, &["c"]), c(M2, "b", 10, &["c"])], "a"),
            Some(1)
        );
        // Same count, both elsewhere: fewer replicas already in NEW's domain.
        assert_eq!(
            choose_master(&[c(M1, "b", 10, &["a"]), c(M2, "c", 10, &["d"])], "a"),
            Some(1)
        );
        // Full tie: the first.
        assert_eq!(
            choose_master(&[c(M1, "b", 10, &[]), c(M2, "c", 10, &[])], "a"),
            Some(0)
        );
        assert_eq!(choose_master(&[], "a"), None);
    }

    #[test]
    fn replica_of_a_replica_or_unknown_is_refused() {
        let v = view(&six());
        let n = fresh("10.0.0.9");
        let e = plan_join(&input(&v, &n, Want::ReplicaOf(id(R1)))).unwrap_err();
        assert_eq!(
            e,
            [JoinRefusal::MasterIsReplica {
                node: "10.0.0.2:7003".into(),
                of: Some("10.0.0.1:7000".into())
            }]
        );
        assert_eq!(
            e[0].to_string(),
            "10.0.0.2:7003: is a replica of 10.0.0.1:7000; name a master"
        );
        let e = plan_join(&input(&v, &n, Want::ReplicaOf(id(NEW)))).unwrap_err();
        assert_eq!(e, [JoinRefusal::NotAMember { id: id(NEW) }]);
        assert_eq!(e[0].to_string(), "99999999: not a member of this cluster");
    }

    #[test]
    fn replica_of_an_unreachable_master_is_refused() {
        let mut v = view(&six());
        v.nodes.retain(|n| n.id != id(M2));
        v.unreachable.push(Unreachable {
            label: "10.0.0.2:7001".into(),
            id: Some(id(M2)),
            error: "cannot connect: connection refused".into(),
        });
        let n = fresh("10.0.0.9");
        let e = plan_join(&input(&v, &n, Want::ReplicaOf(id(M2)))).unwrap_err();
        assert!(
            matches!(&e[..], [JoinRefusal::MasterUnreachable { node, why }]
                if node == "10.0.0.2:7001" && why == "cannot connect: connection refused"),
            "{e:?}"
        );
        assert_eq!(
            e[0].to_string(),
            "10.0.0.2:7001: unreachable (cannot connect: connection refused); a replica cannot sync from it"
        );
        // As a master, the unreachable node is only a warning, and MEET skips it.
        let p = plan_join(&input(&v, &n, Want::Master)).unwrap();
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        match &p.steps[0] {
            JoinStep::Meet { via, .. } => assert_eq!(via.len(), 5),
            s => panic!("{s:?}"),
        }
        // --replica skips it.
        let p = plan_join(&input(&v, &n, Want::AnyReplica)).unwrap();
        assert_ne!(p.master.unwrap().id, id(M2));
    }

    #[test]
    fn non_empty_new_nodes_are_refused() {
        let v = view(&six());
        // Keys.
        let n = node_view(&cluster(&[(NEW, "10.0.0.9", None, "")]), NEW, 3);
        let e = plan_join(&input(&v, &n, Want::Master)).unwrap_err();
        assert_eq!(
            e,
            [JoinRefusal::NotNew {
                node: "10.0.0.9:7000".into(),
                why: NotNew::HoldsKeys(3)
            }]
        );
        assert_eq!(
            e[0].to_string(),
            "10.0.0.9:7000: is not empty: it holds 3 key(s)"
        );
        // Another cluster.
        let other = cluster(&[(NEW, "10.0.0.9", None, "0-100"), (R1, "10.0.0.8", None, "")]);
        let n = node_view(&other, NEW, 0);
        let e = plan_join(&input(&v, &n, Want::Master)).unwrap_err();
        assert!(
            matches!(&e[..], [JoinRefusal::NotNew { why: NotNew::KnowsOthers { id: other, addr }, .. }]
                if *other == id(R1) && addr == "10.0.0.8:7001"),
            "{e:?}"
        );
        assert!(e[0].to_string().contains("belongs to a cluster"), "{e:?}");
        // Slots of its own, alone.
        let n = node_view(&cluster(&[(NEW, "10.0.0.9", None, "0-100")]), NEW, 0);
        let e = plan_join(&input(&v, &n, Want::Master)).unwrap_err();
        assert!(
            matches!(&e[..], [JoinRefusal::NotNew { why: NotNew::OwnsSlots(s), .. }] if s.len() == 101),
            "{e:?}"
        );
    }

    #[test]
    fn members_are_refused_by_add_node() {
        let v = view(&six());
        let n = v.node(&id(R2)).unwrap().clone();
        let e = plan_join(&input(&v, &n, Want::Master)).unwrap_err();
        assert_eq!(
            e,
            [JoinRefusal::AlreadyMember {
                node: "10.0.0.3:7004".into(),
                master: Some("10.0.0.2:7001".into()),
                suggest_replicate: false
            }]
        );
        assert_eq!(
            e[0].to_string(),
            "10.0.0.3:7004: already a member of this cluster (a replica of 10.0.0.2:7001)"
        );
        // A master, asked to become a replica: point at `replicate`.
        let n = v.node(&id(M1)).unwrap().clone();
        let e = plan_join(&input(&v, &n, Want::AnyReplica)).unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "10.0.0.1:7000: already a member of this cluster (a master); use `trib replicate` to attach a member as a replica"
        );
    }

    #[test]
    fn replicate_repoints_a_member_replica_and_is_idempotent() {
        let v = view(&six());
        let n = v.node(&id(R2)).unwrap().clone();
        let mut i = input(&v, &n, Want::ReplicaOf(id(M3)));
        i.allow_member = true;
        let p = plan_join(&i).unwrap();
        assert!(p.member);
        assert_eq!(p.previous_master.as_ref().unwrap().id, id(M2));
        assert_eq!(
            p.steps,
            vec![
                JoinStep::Replicate {
                    master: p.master.clone().unwrap()
                },
                JoinStep::WaitSynced
            ]
        );
        let mut i = input(&v, &n, Want::ReplicaOf(id(M2)));
        i.allow_member = true;
        assert!(plan_join(&i).unwrap().is_noop());
    }

    #[test]
    fn replicate_refuses_a_master_with_slots() {
        let v = view(&six());
        let n = v.node(&id(M1)).unwrap().clone();
        let mut i = input(&v, &n, Want::ReplicaOf(id(M2)));
        i.allow_member = true;
        let e = plan_join(&i).unwrap_err();
        assert!(
            matches!(&e[..], [JoinRefusal::MasterOwnsSlots { node, slots }]
                if node == "10.0.0.1:7000" && slots.to_string() == "0-5460"),
            "{e:?}"
        );
        assert!(
            e[0].to_string().contains("is a master owning 5461 slot(s)"),
            "{e:?}"
        );
    }

    #[test]
    fn functions() {
        let v = view(&six());
        let n = fresh("10.0.0.9");
        // The cluster's libraries are copied to a new master, not to a replica.
        let mut i = input(&v, &n, Want::Master);
        i.cluster_functions = Some((id(M1), vec![lib("mylib")]));
        let p = plan_join(&i).unwrap();
        assert!(
            matches!(&p.steps[0], JoinStep::CopyFunctions { libraries, .. } if libraries == &["mylib"])
        );
        i.want = Want::AnyReplica;
        let p = plan_join(&i).unwrap();
        assert!(matches!(&p.steps[0], JoinStep::Meet { .. }));
        // NEW with functions of its own: refused; with exactly the cluster's: nothing to copy.
        i.want = Want::Master;
        i.new_functions = Some(vec![lib("other")]);
        let e = plan_join(&i).unwrap_err();
        assert!(
            matches!(&e[..], [JoinRefusal::HoldsFunctions { libraries, .. }] if libraries == &["other"]),
            "{e:?}"
        );
        assert!(
            e[0].to_string().contains("already holds functions (other)"),
            "{e:?}"
        );
        i.new_functions = Some(vec![lib("mylib")]);
        let p = plan_join(&i).unwrap();
        assert!(matches!(&p.steps[0], JoinStep::Meet { .. }));
        // Redis 6 NEW while the cluster has functions.
        i.new_functions = None;
        let e = plan_join(&i).unwrap_err();
        assert!(
            matches!(&e[..], [JoinRefusal::NoFunctionCommand { libraries, .. }] if libraries == &["mylib"]),
            "{e:?}"
        );
        // No functions anywhere: nothing to copy.
        i.cluster_functions = None;
        let p = plan_join(&i).unwrap();
        assert!(matches!(&p.steps[0], JoinStep::Meet { .. }));
    }

    #[test]
    fn entry_without_slots_or_entry_is_new() {
        let text = cluster(&[(M1, "10.0.0.1", None, "")]);
        let v = view(&text);
        let n = fresh("10.0.0.9");
        let e = plan_join(&input(&v, &n, Want::Master)).unwrap_err();
        assert_eq!(e, [JoinRefusal::NoSlotAssigned]);
        let v = view(&cluster(&[(NEW, "10.0.0.9", None, "")]));
        let e = plan_join(&input(&v, &n, Want::Master)).unwrap_err();
        assert_eq!(
            e,
            [JoinRefusal::EntryIsItself {
                node: "10.0.0.9:7000".into()
            }]
        );
    }

    #[test]
    fn same_domain_is_a_warning() {
        let text = cluster(&[
            (M1, "10.0.0.1", None, "0-16383"),
            (R1, "10.0.0.2", Some(M1), ""),
        ]);
        let v = view(&text);
        let mut n = fresh("10.0.0.9");
        n.domain = "10.0.0.1".into();
        let p = plan_join(&input(&v, &n, Want::AnyReplica)).unwrap();
        assert_eq!(p.master.as_ref().unwrap().id, id(M1));
        assert!(p.warnings[0].contains("shares failure domain 10.0.0.1"));
    }
}
