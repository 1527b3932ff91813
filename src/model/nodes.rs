//! The `CLUSTER NODES` reply: one line per node, as emitted by Redis 5–7.x and Valkey 7–9.
//!
//! Line format (fields separated by single spaces):
//! `<id> <ip:port@cport[,hostname][,aux=val...]> <flags> <master> <ping-sent> <pong-recv>
//!  <config-epoch> <link-state> <slot> <slot> ...`
//! where a slot is `N`, `A-B`, `[N->-id]` (migrating to id) or `[N-<-id]` (importing from id).

use serde::Serialize;
use thiserror::Error;

use super::node_id::NodeId;
use super::slots::SlotSet;

/// The flags field of a `CLUSTER NODES` line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NodeFlags {
    pub myself: bool,
    pub master: bool,
    /// `slave` (or `replica`).
    pub replica: bool,
    /// `fail?`: this node suspects it failed.
    pub pfail: bool,
    /// `fail`: the cluster agreed it failed.
    pub fail: bool,
    pub handshake: bool,
    pub noaddr: bool,
    pub nofailover: bool,
    /// `noflags` was given.
    pub none: bool,
}

/// One line of `CLUSTER NODES`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeEntry {
    pub id: NodeId,
    /// Announced IP (or, with Redis 7 `cluster-preferred-endpoint-type`, what the node put
    /// there). Empty when the node has no address (`:0@0`, `noaddr`).
    pub ip: String,
    pub port: u16,
    /// Cluster bus port (`@cport`); equal to 0 when unknown.
    pub cport: u16,
    /// Redis 7+ `,hostname` (empty hostnames are `None`).
    pub hostname: Option<String>,
    /// Valkey / Redis 7.2 aux fields after the hostname (`shard-id=…`, `tls-port=…`, …), in order.
    pub aux: Vec<(String, String)>,
    pub flags: NodeFlags,
    /// The master's ID for a replica; `None` for `-`.
    pub master_id: Option<NodeId>,
    pub ping_sent: u64,
    pub pong_recv: u64,
    pub config_epoch: u64,
    /// `connected` (true) or `disconnected` (false).
    pub link_connected: bool,
    pub slots: SlotSet,
    /// `[slot->-id]`: slot being migrated from this node to `id`.
    pub migrating: Vec<(u16, NodeId)>,
    /// `[slot-<-id]`: slot being imported into this node from `id`.
    pub importing: Vec<(u16, NodeId)>,
}

impl NodeEntry {
    /// `ip:port` as a string, `[ip]:port` for IPv6.
    pub fn addr_string(&self) -> String {
        if self.ip.contains(':') {
            format!("[{}]:{}", self.ip, self.port)
        } else {
            format!("{}:{}", self.ip, self.port)
        }
    }

    pub fn is_master(&self) -> bool {
        self.flags.master
    }

    /// Failed or suspected failed.
    pub fn is_failing(&self) -> bool {
        self.flags.fail || self.flags.pfail
    }

    pub fn aux(&self, key: &str) -> Option<&str> {
        self.aux
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a `CLUSTER NODES` reply could not be parsed.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("CLUSTER NODES line {line}: {reason}")]
pub struct NodesParseError {
    /// 1-based line number.
    pub line: usize,
    pub reason: String,
}

/// Parses a whole `CLUSTER NODES` reply. Blank lines are skipped. Never panics.
pub fn parse_cluster_nodes(text: &str) -> Result<Vec<NodeEntry>, NodesParseError> {
    let _ = text;
    todo!("implemented by the parser work")
}
