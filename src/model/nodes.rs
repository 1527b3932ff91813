//! The `CLUSTER NODES` reply: one line per node, as emitted by Redis 5–7.x and Valkey 7–9.
//!
//! Line format (fields separated by single spaces):
//! `<id> <ip:port@cport[,hostname][,aux=val...]> <flags> <master> <ping-sent> <pong-recv>
//!  <config-epoch> <link-state> <slot> <slot> ...`
//! where a slot is `N`, `A-B`, `[N->-id]` (migrating to id) or `[N-<-id]` (importing from id).

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use serde::Serialize;
use thiserror::Error;

use super::intern::Interner;
use super::node_id::NodeId;
use super::slots::{SLOT_COUNT, SlotRange, SlotSet};

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

/// One line of `CLUSTER NODES`: what it says about the node ([`EntryData`], reached
/// through `Deref`).
///
/// The data is shared: every view of an n-node cluster describes the same n nodes, so
/// lines that agree on everything but the ping times (most of the n² lines trib reads)
/// are parsed once and held by one [`Arc`]. Changing an entry (`DerefMut`) copies it
/// first, so no other view sees the change.
///
/// The ping times (`ping-sent`, `pong-recv`) are checked but not kept: they differ in
/// every view, trib decides on the flags and link states instead, and keeping them
/// would triple the n² part of a load (16 MB more at 1000 nodes). An entry is one pointer.
#[derive(Clone, PartialEq, Eq)]
pub struct NodeEntry {
    data: Arc<EntryData>,
}

/// What a line of `CLUSTER NODES` says about a node, ping times aside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryData {
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
    pub config_epoch: u64,
    /// `connected` (true) or `disconnected` (false).
    pub link_connected: bool,
    pub slots: SlotSet,
    /// `[slot->-id]`: slot being migrated from this node to `id`.
    pub migrating: Vec<(u16, NodeId)>,
    /// `[slot-<-id]`: slot being imported into this node from `id`.
    pub importing: Vec<(u16, NodeId)>,
}

/// Entries parsed from each line (ping times cut out), while a view still holds them.
static ENTRIES: Interner<EntryData> = Interner::new();

impl NodeEntry {
    pub fn new(data: EntryData) -> NodeEntry {
        NodeEntry {
            data: Arc::new(data),
        }
    }
}

impl Deref for NodeEntry {
    type Target = EntryData;

    fn deref(&self) -> &EntryData {
        &self.data
    }
}

impl DerefMut for NodeEntry {
    fn deref_mut(&mut self) -> &mut EntryData {
        Arc::make_mut(&mut self.data)
    }
}

impl fmt::Debug for NodeEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.data, f)
    }
}

/// How a node without an address (`:0@0`, `noaddr`) is shown where its address would be.
pub const NO_ADDRESS: &str = "(no address)";

impl EntryData {
    /// Whether the entry has an address (a `noaddr` node's line says `:0@0`).
    pub fn has_addr(&self) -> bool {
        !self.ip.is_empty() || self.port != 0
    }

    /// `ip:port` as a string, `[ip]:port` for IPv6; [`NO_ADDRESS`] for a node without one.
    pub fn addr_string(&self) -> String {
        if !self.has_addr() {
            NO_ADDRESS.to_string()
        } else if self.ip.contains(':') {
            format!("[{}]:{}", self.ip, self.port)
        } else {
            format!("{}:{}", self.ip, self.port)
        }
    }

    /// How messages name a node trib did not reach: its announced address and short ID
    /// (`10.0.0.5:6379 (e320fdff)`), or for a node without an address its short ID
    /// (`e320fdff (no address)`).
    pub fn name(&self) -> String {
        if self.has_addr() {
            format!("{} ({})", self.addr_string(), self.id.short())
        } else {
            format!("{} {NO_ADDRESS}", self.id.short())
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
///
/// Accepted, per `clusterGenNodeDescription` in Redis 3–8 and Valkey 7–9:
/// - address `ip:port` (Redis < 4, cport 0), `ip:port@cport`, `ip:port@cport,hostname`
///   (Redis 7.0 prints the comma even when the hostname is empty), and the nodes.conf /
///   Redis 7.2-RC form `ip:port@cport,[hostname],key=value,...`. GA Redis 7.2+ and Valkey
///   only print aux fields into nodes.conf, never in the `CLUSTER NODES` reply. A second
///   item containing `=` is taken as an aux field (hostnames cannot contain `=`).
/// - IPv6 addresses unbracketed (`fd00::5:6379@16379`: the port follows the last `:`),
///   or bracketed; `:0@0` for nodes without an address.
/// - unknown flags are ignored; `slave` and `replica` both set [`NodeFlags::replica`].
/// - slot tokens `N`, `A-B`, `[N->-id]`, `[N-<-id]`, and `[A-B<-id]` (range importing
///   form from Valkey slot-sync builds), which is expanded per slot.
/// - a nodes.conf `vars ...` trailer line is skipped.
pub fn parse_cluster_nodes(text: &str) -> Result<Vec<NodeEntry>, NodesParseError> {
    let mut out = Vec::new();
    let mut key = String::new();
    for (idx, (_, raw)) in super::info::lines(text).enumerate() {
        match raw.split_ascii_whitespace().next() {
            None | Some("vars") => continue,
            Some(_) => {}
        }
        let entry = parse_line(raw, &mut key).map_err(|reason| NodesParseError {
            line: idx + 1,
            reason,
        })?;
        out.push(entry);
    }
    Ok(out)
}

/// Longest piece of input quoted back in an error reason, in characters.
const QUOTE_MAX: usize = 60;

/// `s` escaped and cut to [`QUOTE_MAX`] characters, for error reasons.
fn clip(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == QUOTE_MAX {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    out
}

/// The address field: `ip:port[@cport][,hostname][,key=value]*`.
struct Address {
    ip: String,
    port: u16,
    cport: u16,
    hostname: Option<String>,
    aux: Vec<(String, String)>,
}

/// One line, without collecting its fields: a 60-node cluster's `check` parses 3600.
/// `key` is scratch space for the line without its ping times, which finds the entry
/// when another view already gave the same line.
fn parse_line(raw: &str, key: &mut String) -> Result<NodeEntry, String> {
    let mut tokens = raw.split_ascii_whitespace();
    let mut head = [""; 8];
    for (i, slot) in head.iter_mut().enumerate() {
        *slot = tokens
            .next()
            .ok_or_else(|| format!("expected at least 8 fields, got {i}"))?;
    }
    let [_, _, _, _, ping, pong, epoch, _] = head;
    let offset = |token: &str| token.as_ptr() as usize - raw.as_ptr() as usize;
    // The slot tokens: the rest of the line, which also keys the shared slot sets.
    let tail = match tokens.next() {
        Some(first) => raw[offset(first)..].trim_end(),
        None => "",
    };
    key.clear();
    key.push_str(&raw[..offset(ping)]);
    key.push_str(raw[offset(epoch)..].trim_end());
    let data = ENTRIES.get_or_try_insert(key, || parse_data(head, tail))?;
    // A line known from another view was checked then, but for its ping times.
    parse_u64("ping-sent", ping)?;
    parse_u64("pong-recv", pong)?;
    Ok(NodeEntry { data })
}

/// Everything but the ping times from a line's first eight fields and its slot tokens,
/// checked field by field in line order (the ping times too, so the first bad field is
/// the one reported).
fn parse_data(head: [&str; 8], tail: &str) -> Result<EntryData, String> {
    let [id, addr, flags, master, ping, pong, epoch, link] = head;
    let id = NodeId::parse(id).ok_or_else(|| format!("bad node id \"{}\"", clip(id)))?;
    let Address {
        ip,
        port,
        cport,
        hostname,
        aux,
    } = parse_address(addr)?;
    let flags = parse_flags(flags);
    let master_id = match master {
        "-" => None,
        m => Some(NodeId::parse(m).ok_or_else(|| format!("bad master id \"{}\"", clip(m)))?),
    };
    parse_u64("ping-sent", ping)?;
    parse_u64("pong-recv", pong)?;
    let config_epoch = parse_u64("config-epoch", epoch)?;
    let link_connected = match link {
        "connected" => true,
        "disconnected" => false,
        other => return Err(format!("bad link state \"{}\"", clip(other))),
    };

    let mut migrating = Vec::new();
    let mut importing = Vec::new();
    let mut ranges = false;
    for tok in tail.split_ascii_whitespace() {
        if tok.starts_with('[') {
            let (start, end, dir, peer) = parse_marker(tok)?;
            let list = match dir {
                Marker::Migrating => &mut migrating,
                Marker::Importing => &mut importing,
            };
            // Redis prints at most one marker per slot; bound the work on garbage input.
            if marker_room(list.len(), start, end) {
                for slot in start..=end {
                    list.push((slot, peer.clone()));
                }
            } else {
                return Err(format!("too many slot markers at \"{}\"", clip(tok)));
            }
        } else {
            ranges = true;
        }
    }
    // Every view lists every master's slots: the same text gives the same shared set.
    let slots = if ranges {
        SlotSet::interned(tail, || {
            let mut slots = SlotSet::new();
            for tok in tail.split_ascii_whitespace() {
                if !tok.starts_with('[') {
                    let (start, end) = parse_range(tok)?;
                    slots.insert_range(SlotRange { start, end });
                }
            }
            Ok::<_, String>(slots)
        })?
    } else {
        SlotSet::new()
    };

    Ok(EntryData {
        id,
        ip,
        port,
        cport,
        hostname,
        aux,
        flags,
        master_id,
        config_epoch,
        link_connected,
        slots,
        migrating,
        importing,
    })
}

/// True when adding `start..=end` to a marker list of `len` stays within one entry per slot.
fn marker_room(len: usize, start: u16, end: u16) -> bool {
    len + usize::from(end.saturating_sub(start)) < usize::from(SLOT_COUNT)
}

fn parse_address(s: &str) -> Result<Address, String> {
    let mut items = s.split(',');
    let main = items.next().unwrap_or_default();
    let (ip_port, cport) = match main.split_once('@') {
        Some((ip_port, cport)) => {
            let cport = parse_u16(cport)
                .ok_or_else(|| format!("bad cluster bus port in address \"{}\"", clip(s)))?;
            (ip_port, cport)
        }
        None => (main, 0),
    };
    let (ip, port) = ip_port
        .rsplit_once(':')
        .ok_or_else(|| format!("no port in address \"{}\"", clip(s)))?;
    let port = parse_u16(port).ok_or_else(|| format!("bad port in address \"{}\"", clip(s)))?;
    let ip = match ip.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
        Some(inner) => inner,
        None => ip,
    };

    let mut hostname = None;
    let mut aux = Vec::new();
    for (i, item) in items.enumerate() {
        if item.is_empty() {
            continue;
        }
        if i == 0 && !item.contains('=') {
            hostname = Some(item.to_string());
            continue;
        }
        match item.split_once('=') {
            Some((k, v)) if !k.is_empty() => aux.push((k.to_string(), v.to_string())),
            _ => return Err(format!("bad aux field \"{}\"", clip(item))),
        }
    }

    Ok(Address {
        ip: ip.to_string(),
        port,
        cport,
        hostname,
        aux,
    })
}

fn parse_flags(s: &str) -> NodeFlags {
    let mut f = NodeFlags::default();
    for flag in s.split(',') {
        match flag {
            "myself" => f.myself = true,
            "master" => f.master = true,
            "slave" | "replica" => f.replica = true,
            "fail?" => f.pfail = true,
            "fail" => f.fail = true,
            "handshake" => f.handshake = true,
            "noaddr" => f.noaddr = true,
            "nofailover" => f.nofailover = true,
            "noflags" => f.none = true,
            _ => {} // forward compatible: unknown flags are ignored
        }
    }
    f
}

/// Plain decimal digits only (no sign, no spaces).
fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_u16(s: &str) -> Option<u16> {
    if all_digits(s) { s.parse().ok() } else { None }
}

fn parse_u64(what: &str, s: &str) -> Result<u64, String> {
    match s.parse() {
        Ok(n) if all_digits(s) => Ok(n),
        _ => Err(format!("bad {what} \"{}\"", clip(s))),
    }
}

fn parse_slot(s: &str) -> Result<u16, String> {
    if !all_digits(s) {
        return Err(format!("bad slot \"{}\"", clip(s)));
    }
    match s.parse::<u16>() {
        Ok(n) if n < SLOT_COUNT => Ok(n),
        _ => Err(format!("slot {} out of range", clip(s))),
    }
}

/// `N` or `A-B`, bounds-checked.
fn parse_range(s: &str) -> Result<(u16, u16), String> {
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (parse_slot(a)?, parse_slot(b)?);
            if a > b {
                Err(format!("bad slot range {a}-{b}"))
            } else {
                Ok((a, b))
            }
        }
        None => parse_slot(s).map(|a| (a, a)),
    }
}

enum Marker {
    Migrating,
    Importing,
}

/// `[N->-id]`, `[N-<-id]` or `[A-B<-id]`.
fn parse_marker(tok: &str) -> Result<(u16, u16, Marker, NodeId), String> {
    let bad = || format!("bad slot marker \"{}\"", clip(tok));
    let inner = tok
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or_else(bad)?;
    let (range, dir, peer) = if let Some((r, p)) = inner.split_once("->-") {
        (r, Marker::Migrating, p)
    } else if let Some((r, p)) = inner.split_once("-<-") {
        (r, Marker::Importing, p)
    } else if let Some((r, p)) = inner.split_once("<-") {
        (r, Marker::Importing, p)
    } else {
        return Err(bad());
    };
    let (start, end) = parse_range(range)?;
    let peer = NodeId::parse(peer)
        .ok_or_else(|| format!("bad node id in slot marker \"{}\"", clip(tok)))?;
    Ok((start, end, dir, peer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const A: &str = "7906d650dba973d7080dadc73445885697e9f1e5";
    const B: &str = "c26890bf9adddb303438795aee4a940a849ff50d";
    const C: &str = "7a84555c2398e96d7240ecfe4d59ef029e886e7b";
    const D: &str = "3e7ad73852b24345aeafa50660399432ef17389e";
    const E: &str = "0784c4fa4ee3de5969a5754f02cc720db6eb563e";
    const F: &str = "42eb4657f7c85287dc6e45434a7925af0cc04b71";

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../../tests/fixtures/cluster_nodes/", $name))
        };
    }

    fn id(s: &str) -> NodeId {
        NodeId::parse(s).unwrap()
    }

    fn parse(text: &str) -> Vec<NodeEntry> {
        parse_cluster_nodes(text).unwrap()
    }

    fn find<'a>(nodes: &'a [NodeEntry], node: &str) -> &'a NodeEntry {
        nodes.iter().find(|n| n.id.as_str() == node).unwrap()
    }

    fn set(ranges: &[(u16, u16)]) -> SlotSet {
        SlotSet::from_ranges(ranges.iter().map(|&(a, b)| SlotRange::new(a, b)))
    }

    fn err(text: &str) -> NodesParseError {
        parse_cluster_nodes(text).unwrap_err()
    }

    /// Renders an entry the way Redis / Valkey print it (nodes.conf form when aux fields
    /// are present).
    fn render_line(e: &NodeEntry) -> String {
        let mut s = format!("{} {}:{}@{}", e.id, e.ip, e.port, e.cport);
        match &e.hostname {
            Some(h) => {
                s.push(',');
                s.push_str(h);
            }
            None if !e.aux.is_empty() => s.push(','),
            None => {}
        }
        for (k, v) in &e.aux {
            s.push_str(&format!(",{k}={v}"));
        }
        let f = &e.flags;
        let names: Vec<&str> = [
            (f.myself, "myself"),
            (f.master, "master"),
            (f.replica, "slave"),
            (f.pfail, "fail?"),
            (f.fail, "fail"),
            (f.handshake, "handshake"),
            (f.noaddr, "noaddr"),
            (f.nofailover, "nofailover"),
            (f.none, "noflags"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        s.push(' ');
        s.push_str(&names.join(","));
        let master = e
            .master_id
            .as_ref()
            .map_or("-".to_string(), |m| m.to_string());
        s.push_str(&format!(
            " {master} {} {} {} {}",
            0,
            0,
            e.config_epoch,
            if e.link_connected {
                "connected"
            } else {
                "disconnected"
            }
        ));
        for r in e.slots.ranges() {
            s.push_str(&format!(" {r}"));
        }
        for (slot, peer) in &e.migrating {
            s.push_str(&format!(" [{slot}->-{peer}]"));
        }
        for (slot, peer) in &e.importing {
            s.push_str(&format!(" [{slot}-<-{peer}]"));
        }
        s
    }

    #[test]
    fn views_share_lines_that_differ_only_in_ping_times() {
        let line = |ping: &str, link: &str| {
            format!("{A} 10.0.0.1:6379@16379 master - {ping} 1700000000000 3 {link} 0-99\n")
        };
        let a = parse(&line("0", "connected"));
        let b = parse(&line("1700000000123", "connected"));
        assert!(Arc::ptr_eq(&a[0].data, &b[0].data));
        // What else differs is not shared.
        let c = parse(&line("0", "disconnected"));
        assert!(!Arc::ptr_eq(&a[0].data, &c[0].data));
        assert!(!c[0].link_connected && a[0].link_connected);
        // A change copies first: the other view keeps what its node said.
        let mut changed = b[0].clone();
        changed.flags.fail = true;
        changed.slots = SlotSet::new();
        assert!(!a[0].flags.fail && !b[0].flags.fail);
        assert_eq!(a[0].slots, set(&[(0, 99)]));
        // A bad ping time is still an error when the rest of the line is known.
        let e = err(&line("x", "connected"));
        assert!(e.reason.contains("ping-sent"), "{e}");
    }

    /// The views of an n-node cluster hold n² entries but only about n distinct lines:
    /// memory for the parsed views grows by a pointer per entry.
    #[test]
    fn n_views_of_n_nodes_hold_about_n_distinct_entries() {
        let n = 300;
        let id = |i: usize| format!("{i:040x}");
        let view = |me: usize| {
            let mut text = String::new();
            for i in 0..n {
                let flags = match (i == me, i % 2 == 0) {
                    (true, true) => "myself,master",
                    (true, false) => "myself,slave",
                    (false, true) => "master",
                    (false, false) => "slave",
                };
                let (master, slots) = if i % 2 == 0 {
                    ("-".to_string(), format!(" {}-{}", i * 50, i * 50 + 49))
                } else {
                    (id(i - 1), String::new())
                };
                let ping = (me * 7 + i) % 1000; // differs from view to view
                text.push_str(&format!(
                    "{} 10.0.{}.{}:6379@16379 {flags} {master} {ping} {} {} connected{slots}\n",
                    id(i),
                    i / 250,
                    i % 250,
                    1700000000000u64 + ping as u64,
                    i / 2 + 1,
                ));
            }
            parse(&text)
        };
        let views: Vec<Vec<NodeEntry>> = (0..n).map(view).collect();
        let distinct: std::collections::HashSet<*const EntryData> = views
            .iter()
            .flatten()
            .map(|e| Arc::as_ptr(&e.data))
            .collect();
        // One shared line per node, plus each node's own `myself` line.
        assert_eq!(distinct.len(), 2 * n);
        assert_eq!(std::mem::size_of::<NodeEntry>(), 8);
        assert!(views[7][7].flags.myself && !views[8][7].flags.myself);
    }

    #[test]
    fn redis6_six_nodes() {
        let nodes = parse(fixture!("redis6_six_nodes.txt"));
        assert_eq!(nodes.len(), 6);
        let me = find(&nodes, A);
        assert_eq!(me.ip, "127.0.0.1");
        assert_eq!((me.port, me.cport), (7000, 17000));
        assert_eq!(me.hostname, None);
        assert!(me.aux.is_empty());
        assert!(me.flags.myself && me.flags.master && !me.flags.replica);
        assert_eq!(me.master_id, None);
        assert_eq!(me.config_epoch, 1);
        assert!(me.link_connected);
        assert_eq!(me.slots, set(&[(0, 5460)]));
        assert!(me.migrating.is_empty() && me.importing.is_empty());
        assert_eq!(me.addr_string(), "127.0.0.1:7000");

        let r = find(&nodes, F);
        assert!(r.flags.replica && !r.flags.master && !r.flags.myself);
        assert_eq!(r.master_id, Some(id(C)));
        assert_eq!((r.port, r.cport), (7005, 17005));
        assert!(r.slots.is_empty());

        let total: usize = nodes.iter().map(|n| n.slots.len()).sum();
        assert_eq!(total, usize::from(SLOT_COUNT));
        assert_eq!(nodes.iter().filter(|n| n.is_master()).count(), 3);
    }

    #[test]
    fn redis70_hostnames_and_trailing_comma() {
        let nodes = parse(fixture!("redis70_hostnames.txt"));
        assert_eq!(nodes.len(), 6);
        let me = find(&nodes, A);
        assert_eq!(me.ip, "10.244.1.12");
        assert_eq!(
            me.hostname.as_deref(),
            Some("redis-0.redis-headless.default.svc.cluster.local")
        );
        assert_eq!((me.port, me.cport), (6379, 16379));
        // Redis 7.0 prints `ip:port@cport,` when the hostname is empty.
        let e = find(&nodes, E);
        assert_eq!(e.ip, "10.244.3.10");
        assert_eq!(e.hostname, None);
        assert!(e.aux.is_empty());
        assert_eq!(e.master_id, Some(id(B)));
        assert_eq!(find(&nodes, C).slots, set(&[(10923, 16383)]));
    }

    #[test]
    fn valkey8_aux_fields() {
        let nodes = parse(fixture!("valkey8_aux.txt"));
        assert_eq!(nodes.len(), 5, "the `vars` trailer is skipped");
        let me = find(&nodes, A);
        assert_eq!(me.hostname.as_deref(), Some("valkey-0.example.internal"));
        assert_eq!(
            me.aux,
            vec![
                ("tls-port".to_string(), "0".to_string()),
                (
                    "shard-id".to_string(),
                    "234f4fff98a8366a1f6d4c700e7a3e94d94df4ff".to_string()
                ),
            ]
        );
        assert_eq!(
            me.aux("shard-id"),
            Some("234f4fff98a8366a1f6d4c700e7a3e94d94df4ff")
        );
        // Empty hostname followed by aux fields: `ip:port@cport,,k=v`.
        let d = find(&nodes, D);
        assert_eq!(d.hostname, None);
        assert_eq!(d.aux("tls-port"), Some("0"));
        assert_eq!(d.aux("shard-id"), me.aux("shard-id"));
        // TLS-primary node: the main port is the TLS port, tcp-port is an aux field.
        let b = find(&nodes, B);
        assert_eq!((b.port, b.cport), (6380, 16380));
        assert_eq!(b.aux("tcp-port"), Some("6379"));
        assert_eq!(b.aux("nodename"), Some("valkey-1"));
        assert_eq!(b.aux("tls-port"), None);
        assert_eq!(find(&nodes, E).aux("client-ipv4"), Some("203.0.113.6"));
    }

    #[test]
    fn valkey_and_redis72_reply_without_aux() {
        let text = format!(
            "{A} 10.0.0.1:6379@16379,valkey-0 myself,master - 0 0 1 connected 0-16383\n\
             {D} 10.0.0.4:6379@16379 slave {A} 0 1730000000000 1 connected\n"
        );
        let nodes = parse(&text);
        assert_eq!(nodes[0].hostname.as_deref(), Some("valkey-0"));
        assert!(nodes[0].aux.is_empty());
        assert_eq!(nodes[0].slots, SlotSet::full());
        assert_eq!(nodes[1].hostname, None);
    }

    #[test]
    fn aux_without_hostname_slot() {
        let nodes = parse(&format!(
            "{A} 10.0.0.1:6379@16379,shard-id={B} master - 0 0 1 connected"
        ));
        assert_eq!(nodes[0].hostname, None);
        assert_eq!(nodes[0].aux("shard-id"), Some(B));
    }

    #[test]
    fn ipv6_addresses() {
        let nodes = parse(fixture!("ipv6.txt"));
        let a = find(&nodes, A);
        assert_eq!(a.ip, "::1");
        assert_eq!((a.port, a.cport), (7000, 17000));
        assert_eq!(a.addr_string(), "[::1]:7000");
        let b = find(&nodes, B);
        assert_eq!(b.ip, "fd00::5");
        assert_eq!((b.port, b.cport), (6379, 16379));
        let d = find(&nodes, D);
        assert_eq!(d.ip, "2001:db8:85a3::8a2e:370:7334");
        assert_eq!((d.port, d.cport), (6380, 16380));
        assert_eq!(d.hostname.as_deref(), Some("redis-v6-3.example.net"));

        let bracketed = parse(&format!(
            "{A} [fd00::7]:6379@16379 master - 0 0 1 connected"
        ));
        assert_eq!(bracketed[0].ip, "fd00::7");
        assert_eq!(bracketed[0].port, 6379);
    }

    #[test]
    fn failure_and_handshake_states() {
        let nodes = parse(fixture!("failure_states.txt"));
        assert_eq!(nodes.len(), 8);
        let b = find(&nodes, B);
        assert!(b.flags.master && b.flags.pfail && !b.flags.fail);
        assert!(b.is_failing());
        assert!(!b.link_connected);
        assert_eq!(b.slots, set(&[(5461, 10922)]));
        let c = find(&nodes, C);
        assert!(c.flags.fail && !c.flags.pfail && c.is_failing());
        assert!(c.slots.is_empty());

        let d = find(&nodes, D);
        assert_eq!(d.ip, "");
        assert_eq!((d.port, d.cport), (0, 0));
        assert!(d.flags.noaddr && d.flags.fail && d.flags.replica);
        assert_eq!(d.master_id, Some(id(A)));

        let hs = find(&nodes, "16d4089cb3dcb7498f720948356038aa0ee7a31a");
        assert!(hs.flags.handshake && !hs.flags.master && !hs.flags.replica);
        assert_eq!(hs.config_epoch, 0);

        let nf = find(&nodes, "f255d4dfeb480e7d4d95ae28223f8b5fec8278a6");
        assert!(nf.flags.nofailover && nf.flags.replica);
        assert_eq!(nf.master_id, Some(id(F)));

        let none = find(&nodes, "93eb5f7b662523334de2526f5c959b81c0afe4c4");
        assert_eq!(
            none.flags,
            NodeFlags {
                none: true,
                ..NodeFlags::default()
            }
        );
    }

    #[test]
    fn migrating_importing_and_many_ranges() {
        let nodes = parse(fixture!("migrating.txt"));
        let me = find(&nodes, A);
        assert_eq!(me.slots, set(&[(0, 5460)]));
        assert_eq!(me.migrating, vec![(101, id(B)), (102, id(B))]);
        assert_eq!(me.importing, vec![(5461, id(B))]);

        let c = find(&nodes, C);
        assert_eq!(
            c.slots.ranges(),
            [
                (10923, 11000),
                (11002, 11002),
                (11004, 11999),
                (12001, 12001),
                (12003, 13000),
                (13002, 16383)
            ]
            .iter()
            .map(|&(a, b)| SlotRange::new(a, b))
            .collect::<Vec<_>>()
        );
        assert_eq!(c.slots.len(), 5456);
        assert!(!c.slots.contains(11001));
    }

    #[test]
    fn range_importing_marker() {
        let nodes = parse(&format!(
            "{A} 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-99 [100-102<-{B}]"
        ));
        assert_eq!(
            nodes[0].importing,
            vec![(100, id(B)), (101, id(B)), (102, id(B))]
        );
    }

    #[test]
    fn legacy_address_without_cport() {
        let nodes = parse(&format!(
            "{A} 127.0.0.1:7000 myself,master - 0 0 1 connected 0-16383"
        ));
        assert_eq!(nodes[0].ip, "127.0.0.1");
        assert_eq!((nodes[0].port, nodes[0].cport), (7000, 0));
    }

    #[test]
    fn crlf_blank_lines_trailing_spaces_and_unknown_flags() {
        let text = format!(
            "\r\n{A} 10.0.0.1:6379@16379 myself,master,future-flag - 0 0 1 connected 0-5460  \r\n\
             \r\n   \r\n\
             {B} 10.0.0.2:6379@16379 replica {A} 0 0 1 connected \r\n"
        );
        let nodes = parse(&text);
        assert_eq!(nodes.len(), 2);
        assert!(nodes[0].flags.myself && nodes[0].flags.master);
        assert_eq!(nodes[0].slots, set(&[(0, 5460)]));
        assert!(nodes[1].flags.replica);
        assert_eq!(
            parse(
                fixture!("redis6_six_nodes.txt")
                    .replace('\n', "\r\n")
                    .as_str()
            )
            .len(),
            6
        );
        assert!(parse("").is_empty());
        assert!(parse("\n\r\n \n").is_empty());
    }

    #[test]
    fn errors_name_the_line_and_reason() {
        let ok = format!("{A} 10.0.0.1:6379@16379 master - 0 0 1 connected");
        let cases: Vec<(String, String)> = vec![
            (format!("{ok} 5-3"), "bad slot range 5-3".into()),
            (format!("{ok} 16384"), "slot 16384 out of range".into()),
            (format!("{ok} 0-16384"), "slot 16384 out of range".into()),
            (
                format!("{ok} 99999999999999999999"),
                "slot 99999999999999999999 out of range".into(),
            ),
            (format!("{ok} 1-"), "bad slot \"\"".into()),
            (format!("{ok} abc"), "bad slot \"abc\"".into()),
            (format!("{ok} +5"), "bad slot \"+5\"".into()),
            (
                format!("{ok} [5->-xyz]"),
                "bad node id in slot marker \"[5->-xyz]\"".into(),
            ),
            (
                format!("{ok} [5=>{B}]"),
                format!("bad slot marker \"[5=>{B}]\""),
            ),
            (
                format!("{ok} [16384-<-{B}]"),
                "slot 16384 out of range".into(),
            ),
            (
                format!("{ok} [5->-{B}"),
                format!("bad slot marker \"[5->-{B}\""),
            ),
            (
                format!("{A} 10.0.0.1:6379@16379 master - 0 0 1"),
                "expected at least 8 fields, got 7".into(),
            ),
            (
                "zz 10.0.0.1:6379@16379 master - 0 0 1 connected".to_string(),
                "bad node id \"zz\"".into(),
            ),
            (
                format!("{A} 10.0.0.1@16379 master - 0 0 1 connected"),
                "no port in address \"10.0.0.1@16379\"".into(),
            ),
            (
                format!("{A} 10.0.0.1:65536@16379 master - 0 0 1 connected"),
                "bad port in address \"10.0.0.1:65536@16379\"".into(),
            ),
            (
                format!("{A} 10.0.0.1:6379@x master - 0 0 1 connected"),
                "bad cluster bus port in address \"10.0.0.1:6379@x\"".into(),
            ),
            (
                format!("{A} 10.0.0.1:6379@1,h,novalue master - 0 0 1 connected"),
                "bad aux field \"novalue\"".into(),
            ),
            (
                format!("{A} 10.0.0.1:6379@1,h,=v master - 0 0 1 connected"),
                "bad aux field \"=v\"".into(),
            ),
            (
                format!("{A} 10.0.0.1:6379@1 master {B}x 0 0 1 connected"),
                format!("bad master id \"{B}x\""),
            ),
            (
                format!("{A} 10.0.0.1:6379@1 master - -1 0 1 connected"),
                "bad ping-sent \"-1\"".into(),
            ),
            (
                format!("{A} 10.0.0.1:6379@1 master - 0 x 1 connected"),
                "bad pong-recv \"x\"".into(),
            ),
            (
                format!("{A} 10.0.0.1:6379@1 master - 0 0 18446744073709551616 connected"),
                "bad config-epoch \"18446744073709551616\"".into(),
            ),
            (
                format!("{A} 10.0.0.1:6379@1 master - 0 0 1 up"),
                "bad link state \"up\"".into(),
            ),
        ];
        for (line, reason) in cases {
            let text = format!("{ok}\n\n{line}\n{ok}\n");
            assert_eq!(
                err(&text),
                NodesParseError { line: 3, reason },
                "input: {line}"
            );
        }
        let e = err(&format!("{ok}\r\n{ok} 7-6\r\n"));
        assert_eq!(e.to_string(), "CLUSTER NODES line 2: bad slot range 7-6");
    }

    #[test]
    fn error_reasons_are_clipped() {
        let long = "x".repeat(10_000);
        let e = err(&format!("{long} a b c d e f g"));
        assert!(e.reason.len() < 100, "{}", e.reason);
    }

    #[test]
    fn too_many_markers_is_an_error_not_a_blowup() {
        let marker = format!(" [0-16383<-{B}]");
        let text = format!(
            "{A} 10.0.0.1:6379@1 myself,master - 0 0 1 connected{}",
            marker.repeat(3)
        );
        assert!(err(&text).reason.starts_with("too many slot markers"));
        // Exactly one marker per slot is fine.
        let one = format!("{A} 10.0.0.1:6379@1 myself,master - 0 0 1 connected{marker}");
        assert_eq!(parse(&one)[0].importing.len(), usize::from(SLOT_COUNT));
    }

    #[test]
    fn fixtures_round_trip_through_render_line() {
        for text in [
            fixture!("redis6_six_nodes.txt"),
            fixture!("redis70_hostnames.txt"),
            fixture!("valkey8_aux.txt"),
            fixture!("ipv6.txt"),
            fixture!("failure_states.txt"),
            fixture!("migrating.txt"),
        ] {
            let nodes = parse(text);
            let rendered: Vec<String> = nodes.iter().map(render_line).collect();
            assert_eq!(parse(&rendered.join("\n")), nodes);
        }
    }

    // ---- property tests ----

    fn arb_id() -> impl Strategy<Value = NodeId> {
        "[0-9a-f]{40}".prop_map(|s| id(&s))
    }

    fn arb_ip() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            any::<[u8; 4]>().prop_map(|o| std::net::Ipv4Addr::from(o).to_string()),
            any::<[u16; 8]>().prop_map(|s| std::net::Ipv6Addr::from(s).to_string()),
            "[a-z][a-z0-9.-]{0,20}",
        ]
    }

    fn arb_flags() -> impl Strategy<Value = NodeFlags> {
        proptest::collection::vec(any::<bool>(), 8).prop_map(|b| {
            let mut f = NodeFlags {
                myself: b[0],
                master: b[1],
                replica: b[2],
                pfail: b[3],
                fail: b[4],
                handshake: b[5],
                noaddr: b[6],
                nofailover: b[7],
                none: false,
            };
            f.none = f == NodeFlags::default();
            f
        })
    }

    fn arb_slots() -> impl Strategy<Value = SlotSet> {
        proptest::collection::vec((0..SLOT_COUNT, 0u16..300), 0..8).prop_map(|v| {
            SlotSet::from_ranges(
                v.into_iter()
                    .map(|(a, len)| SlotRange::new(a, a.saturating_add(len).min(SLOT_COUNT - 1))),
            )
        })
    }

    fn arb_markers() -> impl Strategy<Value = Vec<(u16, NodeId)>> {
        proptest::collection::vec((0..SLOT_COUNT, arb_id()), 0..3)
    }

    prop_compose! {
        fn arb_entry()(
            (id, ip, port, cport) in (arb_id(), arb_ip(), any::<u16>(), any::<u16>()),
            hostname in proptest::option::of("[a-z0-9][a-z0-9.-]{0,30}"),
            aux in proptest::collection::vec(
                ("[a-z][a-z0-9-]{0,12}", "[a-zA-Z0-9:.@=_-]{0,40}"), 0..4),
            flags in arb_flags(),
            master_id in proptest::option::of(arb_id()),
            config_epoch in any::<u64>(),
            link_connected in any::<bool>(),
            slots in arb_slots(),
            (migrating, importing) in (arb_markers(), arb_markers()),
        ) -> NodeEntry {
            NodeEntry::new(EntryData {
                id, ip, port, cport, hostname, aux, flags, master_id,
                config_epoch, link_connected, slots, migrating, importing,
            })
        }
    }

    /// Characters that matter to the grammar, for mutations.
    const SPICY: &[char] = &[
        ' ', ',', ':', '@', '-', '[', ']', '<', '>', '=', '?', '\r', '\n', '\t', '0', '9', 'f',
        'é', '\u{0}', '\u{85}', '\u{2028}',
    ];

    fn arb_mutation() -> impl Strategy<Value = (usize, u8, char)> {
        (
            any::<usize>(),
            0u8..4,
            prop_oneof![proptest::sample::select(SPICY), any::<char>()],
        )
    }

    fn mutate(line: &str, muts: &[(usize, u8, char)]) -> String {
        let mut chars: Vec<char> = line.chars().collect();
        for &(at, op, c) in muts {
            let i = if chars.is_empty() {
                0
            } else {
                at % chars.len()
            };
            match op {
                0 if !chars.is_empty() => {
                    chars.remove(i);
                }
                1 => chars.insert(i, c),
                2 if !chars.is_empty() => chars[i] = c,
                3 => chars.truncate(i),
                _ => {}
            }
        }
        chars.into_iter().collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn render_parse_round_trip(entries in proptest::collection::vec(arb_entry(), 1..5), crlf in any::<bool>()) {
            let sep = if crlf { "\r\n" } else { "\n" };
            let text: String = entries.iter().map(|e| render_line(e) + sep).collect();
            let parsed = parse_cluster_nodes(&text);
            prop_assert_eq!(parsed, Ok(entries));
        }

        #[test]
        fn mutated_lines_never_panic(
            e in arb_entry(),
            muts in proptest::collection::vec(arb_mutation(), 1..8),
        ) {
            let text = mutate(&render_line(&e), &muts);
            if let Err(err) = parse_cluster_nodes(&text) {
                prop_assert!(err.line >= 1 && !err.reason.is_empty());
            }
        }

        #[test]
        fn token_soup_never_panics(toks in proptest::collection::vec(proptest::sample::select(&[
            A, "-", "0", "16383", "16384", "5-3", "0-16383", "[1->-", "[1-<-", "]", ":0@0", "::1:1@2",
            "1.2.3.4:5@6,h,k=v", "myself,master", "slave", "connected", "disconnected", "\r\n",
            "\n", ",", "@", "[", "vars", "18446744073709551616",
        ][..]), 0..40), sep in proptest::sample::select(&["", " ", "\n"][..])) {
            let _ = parse_cluster_nodes(&toks.join(sep));
        }

        #[test]
        fn arbitrary_strings_never_panic(s in any::<String>()) {
            let _ = parse_cluster_nodes(&s);
        }

        #[test]
        fn grammar_alphabet_strings_never_panic(s in "[0-9a-f:@,\\[\\]<>=?\\- \r\n-]{0,300}") {
            let _ = parse_cluster_nodes(&s);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_cluster_nodes(&String::from_utf8_lossy(&bytes));
        }
    }
}
