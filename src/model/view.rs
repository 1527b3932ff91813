//! A cluster as seen from every node trib reached. Each node keeps its own view
//! (its `CLUSTER NODES`): disagreement between views is a finding, not a crash.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::info::Info;
use super::node_id::NodeId;
use super::nodes::NodeEntry;
use super::slots::SlotSet;

/// A node that answered.
#[derive(Clone, Debug)]
pub struct NodeView {
    /// How the user (or the cluster) names it: `name:port` or `ip:port`.
    pub label: String,
    /// Where trib reached it.
    pub addr: SocketAddr,
    /// Failure domain (default: the node's IP).
    pub domain: String,
    pub id: NodeId,
    /// This node's own `CLUSTER NODES`.
    pub nodes: Vec<NodeEntry>,
    /// `INFO` (server, clients, memory, replication, cluster, keyspace).
    pub info: Info,
    /// `CLUSTER INFO`.
    pub cluster_info: Info,
    /// `cluster-node-timeout` in ms (`CONFIG GET`); `None` where CONFIG is not allowed.
    pub node_timeout: Option<u64>,
}

impl NodeView {
    /// Its own entry (`myself` flag), if present.
    pub fn myself(&self) -> Option<&NodeEntry> {
        self.nodes
            .iter()
            .find(|n| n.flags.myself)
            .or_else(|| self.nodes.iter().find(|n| n.id == self.id))
    }

    pub fn is_master(&self) -> bool {
        self.myself().is_some_and(|m| m.flags.master)
    }

    pub fn keys(&self) -> u64 {
        self.info.total_keys()
    }

    pub fn used_memory(&self) -> Option<u64> {
        self.info.get_u64("used_memory")
    }

    pub fn cluster_enabled(&self) -> bool {
        self.info.get("cluster_enabled") == Some("1")
    }

    pub fn cluster_state_ok(&self) -> bool {
        self.cluster_info.get("cluster_state") == Some("ok")
    }

    /// Known nodes other than itself.
    pub fn others(&self) -> impl Iterator<Item = &NodeEntry> {
        self.nodes.iter().filter(move |n| n.id != self.id)
    }

    /// The slots its view gives to some master (itself or one it knows).
    pub fn slots_assigned(&self) -> SlotSet {
        let mut all = SlotSet::new();
        for e in self
            .nodes
            .iter()
            .filter(|e| e.flags.master && !e.flags.handshake)
        {
            all.union_with(&e.slots);
        }
        all
    }

    /// True when the node is alone, owns no slot and holds no key: ready for `create`.
    pub fn is_empty_node(&self) -> bool {
        self.emptiness_problem().is_none()
    }

    /// Why this node cannot join a cluster as a new node, if it cannot.
    pub fn emptiness_problem(&self) -> Option<NotNew> {
        if let Some(other) = self.others().find(|e| !e.flags.handshake) {
            return Some(NotNew::KnowsOthers {
                id: other.id.clone(),
                addr: other.addr_string(),
            });
        }
        if let Some(me) = self.myself()
            && !me.slots.is_empty()
        {
            return Some(NotNew::OwnsSlots(me.slots.clone()));
        }
        let keys = self.keys();
        if keys > 0 {
            return Some(NotNew::HoldsKeys(keys));
        }
        None
    }
}

/// Why a node is not a new, empty node (see [`NodeView::emptiness_problem`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotNew {
    /// It knows another node (not in handshake): `id`, announced at `addr`.
    #[error(
        "already knows node {} ({addr}): it belongs to a cluster (CLUSTER RESET it if that is intended)",
        .id.short()
    )]
    KnowsOthers { id: NodeId, addr: String },
    #[error("owns slots {0}: it is not a new node")]
    OwnsSlots(SlotSet),
    #[error("is not empty: it holds {0} key(s)")]
    HoldsKeys(u64),
}

/// A node that did not answer.
#[derive(Clone, Debug)]
pub struct Unreachable {
    pub label: String,
    /// The node ID when it is known from another node's view.
    pub id: Option<NodeId>,
    /// Why: one line.
    pub error: String,
}

/// Everything trib learned about a cluster in one load.
#[derive(Clone, Debug, Default)]
pub struct ClusterView {
    pub nodes: Vec<NodeView>,
    pub unreachable: Vec<Unreachable>,
    /// Entries the user gave that did not answer and that the cluster does not list at
    /// their address: a stale address, a node that never joined (killed during
    /// `create`'s MEET: the others drop its handshake) or one that was forgotten. Not
    /// members, so not in `unreachable`; only the entries can name them.
    pub unlisted_entries: Vec<Unreachable>,
    /// The node whose `CLUSTER NODES` listed the members (the first ENTRY that
    /// answered), when known.
    pub entry: Option<NodeId>,
}

impl ClusterView {
    pub fn node(&self, id: &NodeId) -> Option<&NodeView> {
        self.nodes.iter().find(|n| &n.id == id)
    }

    /// Masters as each reachable master describes itself, in a stable order (by address).
    pub fn masters(&self) -> Vec<&NodeView> {
        let mut m: Vec<&NodeView> = self.nodes.iter().filter(|n| n.is_master()).collect();
        m.sort_by_key(|n| n.addr);
        m
    }

    /// Every member in the order redis-cli's cluster manager lists them: the entry node
    /// first, then the others in the order of the entry's `CLUSTER NODES` (handshakes
    /// left out). Where redis-cli is free to choose (which source comes first, who gets a
    /// slot left over by rounding) it goes by this order, and scripts depend on its
    /// choices. Without a known entry: the nodes reached, by address.
    pub fn manager_order(&self) -> Vec<NodeId> {
        let Some(entry) = self.entry.as_ref().and_then(|id| self.node(id)) else {
            return self.nodes.iter().map(|n| n.id.clone()).collect();
        };
        let mut out = vec![entry.id.clone()];
        for e in &entry.nodes {
            if !e.flags.handshake && !out.contains(&e.id) {
                out.push(e.id.clone());
            }
        }
        out
    }

    /// The replicas of `master` (by each replica's own view of its master).
    pub fn replicas_of(&self, master: &NodeId) -> Vec<&NodeView> {
        let mut r: Vec<&NodeView> = self
            .nodes
            .iter()
            .filter(|n| n.myself().and_then(|m| m.master_id.as_ref()) == Some(master))
            .collect();
        r.sort_by_key(|n| n.addr);
        r
    }

    /// For every node ID mentioned anywhere: the entries describing it, keyed by the
    /// ID of the node whose view it comes from.
    pub fn entries_by_id(&self) -> BTreeMap<NodeId, Vec<(&NodeId, &NodeEntry)>> {
        let mut out: BTreeMap<NodeId, Vec<(&NodeId, &NodeEntry)>> = BTreeMap::new();
        for v in &self.nodes {
            for e in &v.nodes {
                out.entry(e.id.clone()).or_default().push((&v.id, e));
            }
        }
        out
    }

    /// The failure domain of a node ID, when that node was reached.
    pub fn domain_of(&self, id: &NodeId) -> Option<&str> {
        self.node(id).map(|n| n.domain.as_str())
    }

    /// How a node is named in messages: its label when reached, else its announced
    /// address (with the short ID), else the short ID.
    pub fn name_of(&self, id: &NodeId) -> String {
        if let Some(n) = self.node(id) {
            return n.label.clone();
        }
        self.nodes
            .iter()
            .flat_map(|v| v.nodes.iter())
            .find(|e| &e.id == id)
            .map(|e| e.name())
            .unwrap_or_else(|| id.short().to_string())
    }

    /// Why the node `id` was not reached: the error trib got from it, or "not reached"
    /// (no address known, or not tried).
    pub fn why_unreached(&self, id: &NodeId) -> String {
        self.unreachable
            .iter()
            .find(|u| u.id.as_ref() == Some(id))
            .map(|u| u.error.clone())
            .unwrap_or_else(|| "not reached".into())
    }

    /// The slots each master claims for itself, by ID (from the masters' own entries).
    pub fn claimed_slots(&self) -> BTreeMap<NodeId, SlotSet> {
        self.nodes
            .iter()
            .filter_map(|v| {
                v.myself()
                    .filter(|m| m.flags.master)
                    .map(|m| (v.id.clone(), m.slots.clone()))
            })
            .filter(|(_, s)| !s.is_empty())
            .collect()
    }

    /// The cluster's membership by consensus: every entry, taken from the node's own view
    /// when reached, else from the first view that lists it.
    pub fn members(&self) -> BTreeMap<NodeId, NodeEntry> {
        let mut out = BTreeMap::new();
        for v in &self.nodes {
            if let Some(m) = v.myself() {
                out.insert(v.id.clone(), m.clone());
            }
        }
        for v in &self.nodes {
            for e in &v.nodes {
                // Looked up before the ID is cloned: most entries are known already.
                if !e.flags.handshake && !out.contains_key(&e.id) {
                    out.insert(e.id.clone(), e.clone());
                }
            }
        }
        out
    }
}
