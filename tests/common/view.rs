//! Reading a node's state directly (CLUSTER NODES, CLUSTER INFO, INFO, CONFIG GET through
//! the harness's `redis-cli`), never through trib: what the tests assert on.

use std::collections::BTreeMap;
use std::time::Duration;

use super::redis::RedisNode;
use super::wait_until;

/// One line of CLUSTER NODES.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: String,
    /// "ip:port" (bus port and hostname stripped).
    pub addr: String,
    /// "ip:port@bus_port" (hostname stripped), as [`RedisNode::cluster_addr`].
    pub cluster_addr: String,
    pub flags: Vec<String>,
    /// The master's ID, for a replica.
    pub master: Option<String>,
    /// "connected" / "disconnected".
    pub link: String,
    /// Slot ranges as printed ("0-5460", "5461"); no migrating/importing entries.
    pub slots: Vec<String>,
}

impl Line {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
    pub fn is_master(&self) -> bool {
        self.has_flag("master")
    }
    pub fn is_myself(&self) -> bool {
        self.has_flag("myself")
    }
    /// Whether a flag contains `part` ("fail" is in "fail" and "fail?").
    pub fn flag_contains(&self, part: &str) -> bool {
        self.flags.iter().any(|f| f.contains(part))
    }
    /// The IP of [`addr`](Self::addr).
    pub fn ip(&self) -> &str {
        self.addr.rsplit_once(':').map_or("", |(ip, _)| ip)
    }
    pub fn slot_count(&self) -> usize {
        slot_count(&self.slots)
    }
    /// The slot ranges as `(first, last)`.
    pub fn ranges(&self) -> Vec<(u16, u16)> {
        self.slots.iter().map(|r| range(r)).collect()
    }
    pub fn owns(&self, slot: u16) -> bool {
        self.ranges().iter().any(|&(a, b)| a <= slot && slot <= b)
    }
}

/// Parses CLUSTER NODES text.
pub fn parse_cluster_nodes(text: &str) -> Vec<Line> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Line {
                id: f[0].into(),
                addr: f[1].split(['@', ',']).next().unwrap_or("").to_string(),
                cluster_addr: f[1].split(',').next().unwrap_or("").to_string(),
                flags: f[2].split(',').map(str::to_string).collect(),
                master: (f[3] != "-").then(|| f[3].to_string()),
                link: f.get(7).map_or("", |s| s).to_string(),
                slots: f
                    .iter()
                    .skip(8)
                    .filter(|s| !s.starts_with('['))
                    .map(|s| s.to_string())
                    .collect(),
            }
        })
        .collect()
}

/// `node`'s CLUSTER NODES (panics if it does not answer).
pub fn cluster_nodes(node: &RedisNode) -> Vec<Line> {
    parse_cluster_nodes(&node.cmd(&["CLUSTER", "NODES"]))
}

/// "0-5460" → (0, 5460), "5461" → (5461, 5461).
pub fn range(r: &str) -> (u16, u16) {
    let (a, b) = r.split_once('-').unwrap_or((r, r));
    (
        a.parse().unwrap_or_else(|e| panic!("slot range {r}: {e}")),
        b.parse().unwrap_or_else(|e| panic!("slot range {r}: {e}")),
    )
}

/// Number of slots in ranges like "0-5460", "5461".
pub fn slot_count(ranges: &[String]) -> usize {
    ranges
        .iter()
        .map(|r| {
            let (a, b) = range(r);
            usize::from(b - a) + 1
        })
        .sum()
}

/// Owner address of every slot, from `node`'s CLUSTER NODES (migrating/importing ignored).
pub fn slot_map(node: &RedisNode) -> Vec<Option<String>> {
    let mut map = vec![None; 16384];
    for l in cluster_nodes(node).iter().filter(|l| l.is_master()) {
        for (a, b) in l.ranges() {
            for owner in &mut map[usize::from(a)..=usize::from(b)] {
                *owner = Some(l.addr.clone());
            }
        }
    }
    map
}

/// Slots per master address, from `node`'s CLUSTER NODES.
pub fn slot_counts(node: &RedisNode) -> BTreeMap<String, usize> {
    let mut c = BTreeMap::new();
    for a in slot_map(node).into_iter().flatten() {
        *c.entry(a).or_insert(0) += 1;
    }
    c
}

/// How many slots the master at `addr` owns, in `node`'s view.
pub fn owned_by(node: &RedisNode, addr: &str) -> usize {
    slot_map(node)
        .iter()
        .filter(|o| o.as_deref() == Some(addr))
        .count()
}

/// The slots the master at `addr` owns, in `node`'s view, ascending.
pub fn slots_owned_by(node: &RedisNode, addr: &str) -> Vec<u16> {
    let map = slot_map(node);
    (0..16384u16)
        .filter(|s| map[*s as usize].as_deref() == Some(addr))
        .collect()
}

/// The nodes of `nodes` that own slots in `nodes[0]`'s view.
pub fn masters_with_slots(nodes: &[RedisNode]) -> Vec<&RedisNode> {
    let map = slot_map(&nodes[0]);
    nodes
        .iter()
        .filter(|n| map.iter().flatten().any(|a| *a == n.addr()))
        .collect()
}

/// The node of `nodes` at `addr`.
pub fn by_addr<'a>(nodes: &'a [RedisNode], addr: &str) -> &'a RedisNode {
    nodes
        .iter()
        .find(|n| n.addr() == addr)
        .unwrap_or_else(|| panic!("no node at {addr}"))
}

/// The node of `nodes` with ID `id`.
pub fn by_id<'a>(nodes: &'a [RedisNode], id: &str) -> &'a RedisNode {
    nodes
        .iter()
        .find(|n| n.node_id() == id)
        .unwrap_or_else(|| panic!("no node with ID {id}"))
}

/// `field` of `INFO section` (`""` if absent or the node does not answer).
pub fn info_field(node: &RedisNode, section: &str, field: &str) -> String {
    field_of(&node.try_cmd(&["INFO", section]).unwrap_or_default(), field)
}

/// `field` of CLUSTER INFO (`""` if absent or the node does not answer).
pub fn cluster_info_field(node: &RedisNode, field: &str) -> String {
    field_of(
        &node.try_cmd(&["CLUSTER", "INFO"]).unwrap_or_default(),
        field,
    )
}

/// The value of `field:value` in INFO-style text, trimmed (`""` if absent).
fn field_of(text: &str, field: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// `role:` of INFO replication: "master" or "slave" (`""` if the node does not answer).
pub fn role(node: &RedisNode) -> String {
    info_field(node, "replication", "role")
}

/// CLUSTER INFO says `cluster_state:ok`.
pub fn state_ok(node: &RedisNode) -> bool {
    cluster_info_field(node, "cluster_state") == "ok"
}

/// A master, or a replica whose replication link is up (so it has data and may fail over).
pub fn synced(node: &RedisNode) -> bool {
    role(node) == "master" || info_field(node, "replication", "master_link_status") == "up"
}

/// The value of one config parameter (CONFIG GET).
pub fn config_get(node: &RedisNode, param: &str) -> String {
    node.cmd(&["CONFIG", "GET", param])
        .lines()
        .nth(1)
        .unwrap_or("")
        .to_string()
}

/// Waits (30 s at most) until every node reports the same CLUSTER NODES table.
pub fn wait_views_agree(nodes: &[RedisNode]) {
    wait_until("views agree", Duration::from_secs(30), || {
        super::views_agree(nodes)
    });
}

/// Waits (30 s at most) until every replica's replication link is up (a replica that never
/// synced is not allowed to fail over: its data is too old).
pub fn wait_synced(nodes: &[RedisNode]) {
    wait_until("every replica has synced", Duration::from_secs(30), || {
        nodes.iter().all(synced)
    });
}
