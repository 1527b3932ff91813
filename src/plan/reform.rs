//! Re-forming a cluster whose nodes came back at new addresses (every pod restarted
//! with a new IP, nodes.conf kept): which node holds a stale address for which peer,
//! and which `CLUSTER MEET`s fix that. Pure.
//!
//! Redis facts this relies on (cluster.c, the same in 5.0–7.x):
//! - When node A sends `CLUSTER MEET ip port cport`, it creates a handshake node for
//!   that address. If the PONG comes back carrying the ID of a node A already knows, A
//!   calls `nodeUpdateAddressIfNeeded` for that known node (its address becomes the
//!   new one, its old link is dropped) and deletes the handshake node. In 7.0 the
//!   address taken is the one the peer announces in the header (`myip`, set by
//!   `cluster-announce-ip`), else the socket's peer address, plus the header's port
//!   and bus port.
//! - Once A is connected to B at the new address, A's PINGs reach B on an inbound
//!   link; B also runs `nodeUpdateAddressIfNeeded` for a known sender of a PING, so
//!   one MEET repairs both directions of a pair.
//! - A node whose peer is PFAIL/FAIL also takes a different address for it from the
//!   gossip of a node that sees it healthy: that is what lets the cluster finish on
//!   its own, but it waits for failure detection; direct MEETs do not.
//!
//! So the plan sends one MEET per pair of nodes with at least one stale direction,
//! from the node whose view is stale (the lower-indexed one if both are), and never
//! introduces nodes that do not already know each other's IDs (that is `add-node`'s
//! job, and joining two clusters by mistake would be a disaster).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use serde::Serialize;

use crate::model::{NodeEntry, NodeId};

/// One node trib reached, at the address it answers on now.
#[derive(Clone, Debug)]
pub struct ReformNode {
    pub id: NodeId,
    pub label: String,
    /// Where trib reached it: its current address.
    pub addr: SocketAddr,
    /// Its cluster bus port, from its own `CLUSTER NODES` entry.
    pub bus_port: u16,
    /// Its own `CLUSTER NODES`.
    pub entries: Vec<NodeEntry>,
}

impl ReformNode {
    fn myself(&self) -> Option<&NodeEntry> {
        self.entries
            .iter()
            .find(|e| e.flags.myself)
            .or_else(|| self.entries.iter().find(|e| e.id == self.id))
    }

    /// The address it announces for itself, when that is an IP.
    fn announced(&self) -> Option<SocketAddr> {
        let me = self.myself()?;
        let ip = me.ip.trim_start_matches('[').trim_end_matches(']');
        ip.parse().ok().map(|ip| SocketAddr::new(ip, me.port))
    }
}

/// A node's view of a peer that does not match where the peer answers now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stale {
    /// Index of the node holding the stale view.
    pub node: usize,
    /// Index of the peer.
    pub peer: usize,
    /// The address the node has for the peer (`""` when it has none: noaddr).
    pub known_at: String,
}

/// `CLUSTER MEET` sent to `node`, naming `peer` at its current address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Meet {
    pub node: usize,
    pub peer: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReformPlan {
    pub stale: Vec<Stale>,
    pub meets: Vec<Meet>,
    /// Nodes reached that no other reached node knows, and that know none of them.
    pub strangers: Vec<usize>,
}

impl ReformPlan {
    pub fn is_empty(&self) -> bool {
        self.meets.is_empty()
    }
}

/// Whether `entry` (a node's view of `peer`) is right: at the peer's current address,
/// or at the address the peer announces while the link is healthy (the peer is
/// reached through another address, e.g. NAT, and the cluster itself is fine).
pub fn entry_is_current(entry: &NodeEntry, peer: &ReformNode) -> bool {
    if entry.flags.noaddr || entry.port == 0 {
        return false;
    }
    let ip = entry.ip.trim_start_matches('[').trim_end_matches(']');
    let at: Option<SocketAddr> = ip.parse().ok().map(|ip| SocketAddr::new(ip, entry.port));
    let Some(at) = at else { return false };
    if at == peer.addr {
        return true;
    }
    Some(at) == peer.announced() && entry.link_connected && !entry.is_failing()
}

/// Plans the MEETs that bring every node's view of every other up to date.
pub fn plan_reform(nodes: &[ReformNode]) -> ReformPlan {
    let mut plan = ReformPlan::default();
    let n = nodes.len();
    // stale[a][b]: a knows b's ID, at an address that is not b's current one.
    let mut stale = vec![vec![false; n]; n];
    let mut related = vec![false; n];
    for (a, node) in nodes.iter().enumerate() {
        for (b, peer) in nodes.iter().enumerate() {
            if a == b {
                continue;
            }
            let Some(entry) = node
                .entries
                .iter()
                .find(|e| e.id == peer.id && !e.flags.handshake && !e.flags.myself)
            else {
                continue;
            };
            related[a] = true;
            related[b] = true;
            if !entry_is_current(entry, peer) {
                stale[a][b] = true;
                plan.stale.push(Stale {
                    node: a,
                    peer: b,
                    known_at: if entry.flags.noaddr || entry.port == 0 {
                        String::new()
                    } else {
                        entry.addr_string()
                    },
                });
            }
        }
    }
    for (a, b) in (0..n).flat_map(|a| ((a + 1)..n).map(move |b| (a, b))) {
        if stale[a][b] {
            plan.meets.push(Meet { node: a, peer: b });
        } else if stale[b][a] {
            plan.meets.push(Meet { node: b, peer: a });
        }
    }
    if n > 1 {
        plan.strangers = (0..n).filter(|i| !related[*i]).collect();
    }
    plan
}

/// Members some reached node knows that nobody reached (their current address is
/// unknown), with the address the first such view has for them.
pub fn unreached(nodes: &[ReformNode]) -> BTreeMap<NodeId, String> {
    let reached: BTreeSet<&NodeId> = nodes.iter().map(|n| &n.id).collect();
    let mut out: BTreeMap<NodeId, String> = BTreeMap::new();
    for n in nodes {
        for e in &n.entries {
            if !reached.contains(&e.id) && !e.flags.handshake && !e.flags.myself {
                out.entry(e.id.clone()).or_insert_with(|| e.addr_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::nodes::parse_cluster_nodes;
    use proptest::prelude::*;

    fn id(i: usize) -> NodeId {
        NodeId::parse(&format!("{:040x}", i + 1)).unwrap()
    }

    /// Node `me` of `n`, with its view: peers at `seen(peer)` (None: unknown).
    fn node(
        me: usize,
        n: usize,
        now: &dyn Fn(usize) -> String,
        seen: &dyn Fn(usize) -> Option<(String, &'static str)>,
    ) -> ReformNode {
        let mut lines = Vec::new();
        for p in 0..n {
            let (addr, state) = if p == me {
                (now(p), "connected")
            } else {
                match seen(p) {
                    Some(x) => x,
                    None => continue,
                }
            };
            let flags = if p == me { "myself,master" } else { "master" };
            lines.push(format!("{} {addr}@16379 {flags} - 0 0 1 {state}", id(p)));
        }
        ReformNode {
            id: id(me),
            label: now(me),
            addr: now(me).parse().unwrap(),
            bus_port: 16379,
            entries: parse_cluster_nodes(&lines.join("\n")).unwrap(),
        }
    }

    fn old(i: usize) -> String {
        format!("10.0.1.{}:6379", i + 1)
    }
    fn new(i: usize) -> String {
        format!("10.0.2.{}:6379", i + 1)
    }

    #[test]
    fn nothing_stale_nothing_to_do() {
        let nodes: Vec<_> = (0..6)
            .map(|me| node(me, 6, &new, &|p| Some((new(p), "connected"))))
            .collect();
        let p = plan_reform(&nodes);
        assert!(p.is_empty());
        assert!(p.stale.is_empty());
        assert!(p.strangers.is_empty());
    }

    #[test]
    fn all_restarted_one_meet_per_pair() {
        let nodes: Vec<_> = (0..6)
            .map(|me| node(me, 6, &new, &|p| Some((old(p), "disconnected"))))
            .collect();
        let p = plan_reform(&nodes);
        assert_eq!(p.stale.len(), 30);
        assert_eq!(p.meets.len(), 15);
        assert!(p.meets.iter().all(|m| m.node < m.peer));
    }

    #[test]
    fn one_node_moved_only_its_pairs() {
        // Node 2 moved; everyone else has it at the old address; node 2 sees others fine.
        let now = |i: usize| if i == 2 { new(i) } else { old(i) };
        let nodes: Vec<_> = (0..5)
            .map(|me| {
                node(me, 5, &now, &|p| {
                    Some((if p == 2 { old(p) } else { now(p) }, "connected"))
                })
            })
            .collect();
        let p = plan_reform(&nodes);
        assert_eq!(p.stale.len(), 4);
        assert!(p.stale.iter().all(|s| s.peer == 2 && s.known_at == old(2)));
        assert_eq!(p.meets.len(), 4);
        assert!(p.meets.iter().all(|m| m.peer == 2));
    }

    #[test]
    fn announced_address_with_healthy_link_is_current() {
        // Reached through other addresses (NAT): peers see the announced ones, links up.
        let nodes: Vec<_> = (0..3)
            .map(|me| {
                let mut n = node(me, 3, &old, &|p| Some((old(p), "connected")));
                n.addr = new(me).parse().unwrap();
                n
            })
            .collect();
        assert!(plan_reform(&nodes).is_empty());
    }

    #[test]
    fn strangers_are_never_introduced() {
        let mut nodes: Vec<_> = (0..3)
            .map(|me| node(me, 3, &new, &|p| Some((old(p), "disconnected"))))
            .collect();
        // Node 3 knows nobody and nobody knows it.
        nodes.push(node(3, 4, &new, &|_| None));
        let p = plan_reform(&nodes);
        assert_eq!(p.strangers, vec![3]);
        assert!(p.meets.iter().all(|m| m.node != 3 && m.peer != 3));
        assert_eq!(p.meets.len(), 3);
    }

    proptest! {
        /// Every stale pair gets exactly one MEET, sent by a node that holds a stale view
        /// of the peer; no MEET for a pair with nothing stale.
        #[test]
        fn one_meet_per_stale_pair(n in 2usize..9, moved in proptest::collection::vec(any::<bool>(), 9),
                                   knows in proptest::collection::vec(any::<bool>(), 81)) {
            let now = |i: usize| if moved[i] { new(i) } else { old(i) };
            let nodes: Vec<_> = (0..n)
                .map(|me| node(me, n, &now, &|p| knows[me * 9 + p].then(|| (old(p), "connected"))))
                .collect();
            let p = plan_reform(&nodes);
            for a in 0..n {
                for b in (a + 1)..n {
                    let sa = knows[a * 9 + b] && moved[b];
                    let sb = knows[b * 9 + a] && moved[a];
                    let meets: Vec<_> = p.meets.iter()
                        .filter(|m| (m.node, m.peer) == (a, b) || (m.node, m.peer) == (b, a))
                        .collect();
                    prop_assert_eq!(meets.len(), usize::from(sa || sb));
                    if let Some(m) = meets.first() {
                        prop_assert!(p.stale.iter().any(|s| s.node == m.node && s.peer == m.peer));
                    }
                }
            }
        }
    }
}
