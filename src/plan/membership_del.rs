//! Planning `trib del-node`: what to re-point, where to forget the node, whether to
//! reset it. Pure: works on a loaded [`ClusterView`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::view::ClusterView;
use crate::model::{NodeId, SlotSet};

/// Whether the node answers (forget + reset) or not (forget only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DelKind {
    /// Reachable and empty: forgotten everywhere, then reset to a clean empty node.
    Reachable,
    /// Failed or unreachable: forgotten on every reachable member.
    Unreachable,
}

/// One replica moved to another master before its master is removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Repoint {
    pub replica: NodeId,
    pub replica_label: String,
    pub to: NodeId,
    pub to_label: String,
    /// The new master is in the same failure domain as the replica (no other choice).
    pub same_domain: bool,
}

/// A member that will be told to forget the node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForgetOn {
    pub id: NodeId,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DelPlan {
    pub id: NodeId,
    pub label: String,
    /// `master` or `replica`, as the cluster knows it.
    pub role: &'static str,
    pub kind: DelKind,
    pub repoint: Vec<Repoint>,
    pub forget_on: Vec<ForgetOn>,
    /// `CLUSTER RESET HARD` on the node afterwards (reachable nodes only).
    pub reset: bool,
    /// Things worth knowing that do not stop the removal.
    pub warnings: Vec<String>,
}

/// Why a node cannot be removed. `node` is how the message names it: its label when
/// reached, else its announced address and short ID. Displayed as one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DelRefusal {
    /// A reachable node that still owns `slots`.
    #[error(
        "{node}: owns {} slot(s) ({slots}): drain it first with `trib rebalance ENTRY --weight {}=0`, then remove it",
        .slots.len(),
        .id.short()
    )]
    OwnsSlots {
        node: String,
        id: NodeId,
        slots: SlotSet,
    },
    /// A reachable node with migrating or importing slots.
    #[error("{node}: has open (migrating/importing) slots: repair them first (`trib fix`)")]
    OpenSlots { node: String },
    /// A reachable master without slots that holds `keys` (Redis refuses to reset it).
    #[error(
        "{node}: is a master holding {keys} key(s) although it owns no slot: Redis refuses to reset a master with keys; move or delete them first"
    )]
    MasterHoldsKeys { node: String, keys: u64 },
    /// An unreachable node whose `slots` no live master took over. `replicas`: its
    /// replicas that are up (they can take over); none: only `fix
    /// --with-unreachable-masters` can give the slots to the live masters.
    #[error(
        "{node}: is not reachable but still owns {} slot(s) ({slots}) that no live master took over; forgetting it would leave them uncovered: {}",
        .slots.len(),
        uncovered_way_out(.replicas)
    )]
    UncoveredSlots {
        node: String,
        slots: SlotSet,
        replicas: Vec<String>,
    },
    /// `replica` of the node (`master`) has no master to be re-pointed to.
    #[error(
        "{replica}: replica of {master}, and no reachable healthy master with slots to move it to"
    )]
    NoMasterForReplica { replica: String, master: String },
}

fn uncovered_way_out(replicas: &[String]) -> String {
    if replicas.is_empty() {
        "it has no replica to take over: give them (empty) to the live masters first with `trib fix ENTRY --with-unreachable-masters` (keys only it held there are then lost), or bring it back".into()
    } else {
        format!(
            "wait for its replica {} to be promoted, or promote it with `trib failover --force REPLICA`",
            replicas.join(", ")
        )
    }
}

/// How a member is named: its label when reached, else its announced address.
fn name(view: &ClusterView, id: &NodeId) -> String {
    if let Some(n) = view.node(id) {
        return n.label.clone();
    }
    view.members()
        .get(id)
        .map(|e| e.name())
        .unwrap_or_else(|| id.short().to_string())
}

/// Every slot any view says `id` owns.
fn slots_seen_for(view: &ClusterView, id: &NodeId) -> SlotSet {
    let mut s = SlotSet::new();
    for v in &view.nodes {
        for e in v.nodes.iter().filter(|e| &e.id == id) {
            s.union_with(&e.slots);
        }
    }
    s
}

/// Plans removing `target`. Refusals mean nothing may be changed.
pub fn plan_del(view: &ClusterView, target: &NodeId) -> Result<DelPlan, Vec<DelRefusal>> {
    let all = view.members();
    let label = name(view, target);
    let mut refusals = Vec::new();
    let mut warnings = Vec::new();
    let reached = view.node(target);
    let is_master = match reached {
        Some(v) => v.is_master(),
        None => all.get(target).is_some_and(|e| e.flags.master),
    };

    let kind = if let Some(v) = reached {
        if let Some(me) = v.myself() {
            if !me.slots.is_empty() {
                refusals.push(DelRefusal::OwnsSlots {
                    node: label.clone(),
                    id: target.clone(),
                    slots: me.slots.clone(),
                });
            }
            if !me.migrating.is_empty() || !me.importing.is_empty() {
                refusals.push(DelRefusal::OpenSlots {
                    node: label.clone(),
                });
            }
        }
        let keys = v.keys();
        // A master that owns slots is refused for them (above); this is about one that
        // owns none but still holds keys.
        let owns_slots = v.myself().is_some_and(|m| !m.slots.is_empty());
        if is_master && keys > 0 && !owns_slots {
            refusals.push(DelRefusal::MasterHoldsKeys {
                node: label.clone(),
                keys,
            });
        }
        DelKind::Reachable
    } else {
        // Slots it owned that no live master claims now.
        let mut live = SlotSet::new();
        for (id, s) in view.claimed_slots() {
            let failing = view
                .nodes
                .iter()
                .flat_map(|v| v.nodes.iter())
                .any(|e| e.id == id && e.flags.fail);
            if !failing {
                live.union_with(&s);
            }
        }
        let orphan = slots_seen_for(view, target).difference(&live);
        if !orphan.is_empty() {
            let replicas = all
                .iter()
                .filter(|(_, e)| e.master_id.as_ref() == Some(target) && !e.is_failing())
                .map(|(id, e)| format!("{} ({})", e.addr_string(), id.short()))
                .collect();
            refusals.push(DelRefusal::UncoveredSlots {
                node: label.clone(),
                slots: orphan,
                replicas,
            });
        }
        DelKind::Unreachable
    };

    // Replicas to move: every reachable node whose own view has `target` as master.
    let replicas = view.replicas_of(target);
    let mut repoint = Vec::new();
    if !replicas.is_empty() {
        // Candidate masters: reachable, own slots, not failing in anyone's view.
        let failing: BTreeSet<&NodeId> = view
            .nodes
            .iter()
            .flat_map(|v| v.nodes.iter())
            .filter(|e| e.is_failing())
            .map(|e| &e.id)
            .collect();
        let mut counts: BTreeMap<NodeId, usize> = BTreeMap::new();
        let candidates: Vec<&crate::model::view::NodeView> = view
            .masters()
            .into_iter()
            .filter(|m| &m.id != target && !failing.contains(&m.id))
            .filter(|m| m.myself().is_some_and(|e| !e.slots.is_empty()))
            .collect();
        for m in &candidates {
            counts.insert(m.id.clone(), view.replicas_of(&m.id).len());
        }
        for r in &replicas {
            let best = candidates.iter().min_by_key(|m| {
                (
                    m.domain == r.domain,
                    counts.get(&m.id).copied().unwrap_or(0),
                    m.addr,
                )
            });
            match best {
                Some(m) => {
                    *counts.entry(m.id.clone()).or_default() += 1;
                    repoint.push(Repoint {
                        replica: r.id.clone(),
                        replica_label: r.label.clone(),
                        to: m.id.clone(),
                        to_label: m.label.clone(),
                        same_domain: m.domain == r.domain,
                    });
                }
                None => refusals.push(DelRefusal::NoMasterForReplica {
                    replica: r.label.clone(),
                    master: label.clone(),
                }),
            }
        }
    }
    // Replicas that could not be reached cannot be re-pointed (and cannot forget it).
    for (id, e) in &all {
        if e.master_id.as_ref() == Some(target) && view.node(id).is_none() && id != target {
            warnings.push(format!(
                "{}: replica of {label} but not reachable: it cannot be re-pointed; re-point it with `trib replicate` when it is back",
                name(view, id)
            ));
        }
    }
    for u in &view.unreachable {
        if u.id.as_ref() != Some(target) {
            warnings.push(format!(
                "{}: not reachable ({}), so it cannot forget {label}; when it is back, gossip may re-add {label}: run del-node again then",
                u.label, u.error
            ));
        }
    }

    if !refusals.is_empty() {
        return Err(refusals);
    }
    let forget_on = view
        .nodes
        .iter()
        .filter(|v| &v.id != target)
        .map(|v| ForgetOn {
            id: v.id.clone(),
            label: v.label.clone(),
        })
        .collect();
    Ok(DelPlan {
        id: target.clone(),
        // Printed with the short ID next to it: the address alone here.
        label: match reached {
            Some(v) => v.label.clone(),
            None => all
                .get(target)
                .map_or_else(|| target.short().to_string(), |e| e.addr_string()),
        },
        role: if is_master { "master" } else { "replica" },
        kind,
        repoint,
        forget_on,
        reset: kind == DelKind::Reachable,
        warnings,
    })
}

#[cfg(test)]
pub(crate) mod fixture {
    //! Views built from `CLUSTER NODES` text, for planner tests.

    use std::net::SocketAddr;

    use crate::model::info::Info;
    use crate::model::nodes::parse_cluster_nodes;
    use crate::model::view::{ClusterView, NodeView, Unreachable};
    use crate::model::{NodeEntry, NodeId};

    /// A 40-hex ID made from one character.
    pub fn id(c: char) -> NodeId {
        NodeId::parse(&format!("{:040x}", c as u32)).expect("test id")
    }

    /// One `CLUSTER NODES` line.
    pub fn line(c: char, addr: &str, flags: &str, master: Option<char>, slots: &str) -> String {
        format!(
            "{} {addr}@1{} {flags} {} 0 0 1 connected {slots}",
            id(c),
            addr.rsplit_once(':').map(|(_, p)| p).unwrap_or("0"),
            master.map(|m| id(m).to_string()).unwrap_or("-".into())
        )
    }

    /// A reached node: its own lines (the one with `myself` first is itself).
    pub fn node(c: char, addr: &str, domain: &str, lines: &[String], keys: u64) -> NodeView {
        let text = lines.join("\n");
        let nodes: Vec<NodeEntry> = parse_cluster_nodes(&text).expect("parse");
        let info = if keys > 0 {
            Info::parse(format!(
                "cluster_enabled:1\r\ndb0:keys={keys},expires=0,avg_ttl=0\r\n"
            ))
        } else {
            Info::parse("cluster_enabled:1\r\n")
        };
        NodeView {
            label: addr.to_string(),
            addr: addr.parse::<SocketAddr>().expect("addr"),
            domain: domain.to_string(),
            id: id(c),
            nodes,
            info,
            cluster_info: Info::parse("cluster_state:ok\r\n"),
            node_timeout: None,
        }
    }

    pub fn unreachable(c: char, addr: &str) -> Unreachable {
        Unreachable {
            label: addr.to_string(),
            id: Some(id(c)),
            error: "cannot connect: connection refused".into(),
        }
    }

    pub fn view(nodes: Vec<NodeView>, unreachable: Vec<Unreachable>) -> ClusterView {
        ClusterView {
            nodes,
            unreachable,
            entry: None,
            ..ClusterView::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::*;
    use super::*;

    /// Cluster lines: masters a,b,c (slots), replicas d→a, e→b, f→c, plus extra lines.
    fn lines(me: char, extra: &[String], flags_of: &dyn Fn(char) -> &'static str) -> Vec<String> {
        let base: Vec<(char, &str, Option<char>, &str)> = vec![
            ('a', "10.0.0.1:6379", None, "0-5460"),
            ('b', "10.0.0.2:6379", None, "5461-10922"),
            ('c', "10.0.0.3:6379", None, "10923-16383"),
            ('d', "10.0.0.4:6379", Some('a'), ""),
            ('e', "10.0.0.5:6379", Some('b'), ""),
            ('f', "10.0.0.6:6379", Some('c'), ""),
        ];
        let mut out: Vec<String> = base
            .into_iter()
            .map(|(c, addr, m, slots)| {
                let role = if m.is_some() { "slave" } else { "master" };
                let f = flags_of(c);
                let flags = match (c == me, f.is_empty()) {
                    (true, _) => format!("myself,{role}"),
                    (false, true) => role.to_string(),
                    (false, false) => format!("{role},{f}"),
                };
                line(c, addr, &flags, m, slots)
            })
            .collect();
        out.extend(extra.iter().cloned());
        out
    }

    fn no_flags(_: char) -> &'static str {
        ""
    }

    fn six(extra: &[String]) -> Vec<crate::model::view::NodeView> {
        ['a', 'b', 'c', 'd', 'e', 'f']
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let addr = format!("10.0.0.{}:6379", i + 1);
                let domain = format!("10.0.0.{}", i + 1);
                node(c, &addr, &domain, &lines(c, extra, &no_flags), 0)
            })
            .collect()
    }

    #[test]
    fn refuses_a_master_with_slots() {
        let v = view(six(&[]), vec![]);
        let err = plan_del(&v, &id('a')).unwrap_err();
        assert!(
            matches!(&err[..], [DelRefusal::OwnsSlots { node, id: i, slots }]
                if node == "10.0.0.1:6379" && *i == id('a') && slots.to_string() == "0-5460"),
            "{err:?}"
        );
        assert_eq!(
            err[0].to_string(),
            format!(
                "10.0.0.1:6379: owns 5461 slot(s) (0-5460): drain it first with `trib rebalance ENTRY --weight {}=0`, then remove it",
                id('a').short()
            )
        );
    }

    #[test]
    fn a_master_with_slots_and_keys_is_refused_for_its_slots_only() {
        let mut nodes = six(&[]);
        nodes[0] = node(
            'a',
            "10.0.0.1:6379",
            "10.0.0.1",
            &lines('a', &[], &no_flags),
            42,
        );
        let err = plan_del(&view(nodes, vec![]), &id('a')).unwrap_err();
        assert!(
            matches!(&err[..], [DelRefusal::OwnsSlots { .. }]),
            "owns slots, so not \"owns no slot\": {err:?}"
        );
        assert!(!err[0].to_string().contains("owns no slot"), "{}", err[0]);
    }

    #[test]
    fn an_unreachable_node_is_named_with_its_id_once() {
        let flags = |c: char| if c == 'd' { "fail" } else { "" };
        let nodes: Vec<_> = ['a', 'b', 'c', 'e', 'f']
            .into_iter()
            .map(|c| {
                let i = (c as u8 - b'a' + 1) as usize;
                node(
                    c,
                    &format!("10.0.0.{i}:6379"),
                    &format!("10.0.0.{i}"),
                    &lines(c, &[], &flags),
                    0,
                )
            })
            .collect();
        let v = view(nodes, vec![unreachable('d', "10.0.0.4:6379")]);
        let p = plan_del(&v, &id('d')).unwrap();
        // The plan and the last line print the label with the short ID next to it.
        assert_eq!(p.label, "10.0.0.4:6379");
    }

    #[test]
    fn removes_an_empty_master_forgetting_it_everywhere_else() {
        let g = line('g', "10.0.0.7:6379", "master", None, "");
        let mut nodes = six(std::slice::from_ref(&g));
        let mut own = lines('x', &[], &no_flags);
        own.push(line('g', "10.0.0.7:6379", "myself,master", None, ""));
        nodes.push(node('g', "10.0.0.7:6379", "10.0.0.7", &own, 0));
        let p = plan_del(&view(nodes, vec![]), &id('g')).unwrap();
        assert_eq!(p.kind, DelKind::Reachable);
        assert!(p.reset);
        assert_eq!(p.forget_on.len(), 6);
        assert!(p.repoint.is_empty());
        assert_eq!(p.role, "master");
    }

    #[test]
    fn removes_a_replica() {
        let p = plan_del(&view(six(&[]), vec![]), &id('d')).unwrap();
        assert_eq!(p.role, "replica");
        assert_eq!(p.forget_on.len(), 5);
        assert!(p.reset);
    }

    #[test]
    fn refuses_a_master_holding_keys_without_slots() {
        let g = line('g', "10.0.0.7:6379", "master", None, "");
        let mut nodes = six(std::slice::from_ref(&g));
        let mut own = lines('x', &[], &no_flags);
        own.push(line('g', "10.0.0.7:6379", "myself,master", None, ""));
        nodes.push(node('g', "10.0.0.7:6379", "10.0.0.7", &own, 12));
        let err = plan_del(&view(nodes, vec![]), &id('g')).unwrap_err();
        assert_eq!(
            err,
            [DelRefusal::MasterHoldsKeys {
                node: "10.0.0.7:6379".into(),
                keys: 12
            }]
        );
    }

    #[test]
    fn repoints_replicas_to_masters_with_fewest_replicas_in_other_domains() {
        // g: empty master with replicas h (domain of a) and i (domain of b).
        let extra = vec![
            line('g', "10.0.0.7:6379", "master", None, ""),
            line('h', "10.0.0.8:6379", "slave", Some('g'), ""),
            line('i', "10.0.0.9:6379", "slave", Some('g'), ""),
        ];
        let mut nodes = six(&extra);
        let own = |me: char| {
            let mut l = lines('x', &[], &no_flags);
            for (c, addr, m) in [
                ('g', "10.0.0.7:6379", None),
                ('h', "10.0.0.8:6379", Some('g')),
                ('i', "10.0.0.9:6379", Some('g')),
            ] {
                let role = if m.is_some() { "slave" } else { "master" };
                let flags = if c == me {
                    format!("myself,{role}")
                } else {
                    role.to_string()
                };
                l.push(line(c, addr, &flags, m, ""));
            }
            l
        };
        nodes.push(node('g', "10.0.0.7:6379", "hostG", &own('g'), 0));
        // h shares a's domain, i shares b's domain.
        nodes.push(node('h', "10.0.0.8:6379", "10.0.0.1", &own('h'), 0));
        nodes.push(node('i', "10.0.0.9:6379", "10.0.0.2", &own('i'), 0));
        let p = plan_del(&view(nodes, vec![]), &id('g')).unwrap();
        assert_eq!(p.repoint.len(), 2);
        // Every master has one replica: h avoids a (its domain) → b (lowest address of the rest).
        assert_eq!(p.repoint[0].replica, id('h'));
        assert_eq!(p.repoint[0].to, id('b'));
        // b now has 2; i avoids b's domain anyway → c? a has 1, c has 1: a (lower address).
        assert_eq!(p.repoint[1].replica, id('i'));
        assert_eq!(p.repoint[1].to, id('a'));
        assert!(p.repoint.iter().all(|r| !r.same_domain));
    }

    #[test]
    fn failed_master_whose_slots_were_taken_over_is_forgotten() {
        // a failed; d was promoted and owns a's slots; a shows no slots.
        let flags = |c: char| if c == 'a' { "fail" } else { "" };
        let mk = |me: char| {
            let mut l: Vec<String> = lines(me, &[], &flags)
                .into_iter()
                .filter(|x| !x.starts_with(id('a').as_str()) && !x.starts_with(id('d').as_str()))
                .collect();
            l.push(line('a', "10.0.0.1:6379", "master,fail", None, ""));
            let dflags = if me == 'd' { "myself,master" } else { "master" };
            l.push(line('d', "10.0.0.4:6379", dflags, None, "0-5460"));
            l
        };
        let nodes: Vec<_> = ['b', 'c', 'd', 'e', 'f']
            .into_iter()
            .map(|c| {
                let i = (c as u8 - b'a' + 1) as usize;
                node(
                    c,
                    &format!("10.0.0.{i}:6379"),
                    &format!("10.0.0.{i}"),
                    &mk(c),
                    0,
                )
            })
            .collect();
        let v = view(nodes, vec![unreachable('a', "10.0.0.1:6379")]);
        let p = plan_del(&v, &id('a')).unwrap();
        assert_eq!(p.kind, DelKind::Unreachable);
        assert!(!p.reset);
        assert_eq!(p.forget_on.len(), 5);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn unreachable_master_still_owning_slots_is_refused() {
        let flags = |c: char| if c == 'a' { "fail?" } else { "" };
        let nodes: Vec<_> = ['b', 'c', 'd', 'e', 'f']
            .into_iter()
            .map(|c| {
                let i = (c as u8 - b'a' + 1) as usize;
                node(
                    c,
                    &format!("10.0.0.{i}:6379"),
                    &format!("10.0.0.{i}"),
                    &lines(c, &[], &flags),
                    0,
                )
            })
            .collect();
        let v = view(nodes, vec![unreachable('a', "10.0.0.1:6379")]);
        let err = plan_del(&v, &id('a')).unwrap_err();
        assert!(
            matches!(&err[..], [DelRefusal::UncoveredSlots { slots, .. }] if slots.to_string() == "0-5460"),
            "{err:?}"
        );
        assert!(
            err[0].to_string().contains("trib failover --force"),
            "{err:?}"
        );
    }

    #[test]
    fn failed_master_without_replica_still_owning_slots_points_to_fix() {
        // a failed, its replica d failed too: nothing can take a's slots over.
        let flags = |c: char| match c {
            'a' => "fail",
            'd' => "fail",
            _ => "",
        };
        let nodes: Vec<_> = ['b', 'c', 'e', 'f']
            .into_iter()
            .map(|c| {
                let i = (c as u8 - b'a' + 1) as usize;
                node(
                    c,
                    &format!("10.0.0.{i}:6379"),
                    &format!("10.0.0.{i}"),
                    &lines(c, &[], &flags),
                    0,
                )
            })
            .collect();
        let v = view(
            nodes,
            vec![
                unreachable('a', "10.0.0.1:6379"),
                unreachable('d', "10.0.0.4:6379"),
            ],
        );
        let err = plan_del(&v, &id('a')).unwrap_err();
        let text = err[0].to_string();
        assert!(
            text.contains("--with-unreachable-masters") && !text.contains("failover"),
            "{text}"
        );
    }
}
