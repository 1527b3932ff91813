//! Connecting to many nodes at once and loading a [`ClusterView`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;

use std::pin::pin;
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::Semaphore;

use super::conn::{ConnectOptions, Node};
use super::error::{NodeError, NodeErrorKind, ServerError};
use crate::addr::Target;
use crate::model::NodeId;
use crate::model::info::Info;
use crate::model::nodes::NodeEntry;
use crate::model::view::{ClusterView, NodeView, Unreachable};

/// Connects to every target concurrently; results in the same order.
pub async fn connect_all(
    targets: &[Target],
    opts: &ConnectOptions,
) -> Vec<Result<Node, NodeError>> {
    join_all(targets.iter().map(|t| async move {
        let label = t.label();
        Node::connect(t.addr, &label, t.name.as_deref(), opts).await
    }))
    .await
}

/// How much of `INFO` a probe asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InfoDetail {
    /// The sections trib decides on: server (version), replication, cluster, keyspace.
    #[default]
    Basic,
    /// Also `memory`, which `info` shows. It is the costliest section for the server
    /// (about half the time of a full `INFO`), so only `info` asks for it.
    WithMemory,
}

impl InfoDetail {
    fn sections(self) -> &'static [&'static str] {
        match self {
            InfoDetail::Basic => &["server", "replication", "cluster", "keyspace"],
            InfoDetail::WithMemory => &["server", "memory", "replication", "cluster", "keyspace"],
        }
    }
}

/// `INFO` with the sections `detail` names. Redis before 7.0 takes one section at most
/// and answers a list with a syntax error: it is then asked for the default sections.
async fn info_of(node: &Node, detail: InfoDetail) -> Result<Info, NodeError> {
    match node.info(detail.sections()).await {
        Err(e) if e.server().is_some_and(ServerError::is_err) => node.info(&[]).await,
        other => other,
    }
}

/// Reads everything trib needs from one node, concurrently over its connection.
pub async fn probe(node: &Node, domain: String, detail: InfoDetail) -> Result<NodeView, NodeError> {
    // One round trip: the five commands go out together on the node's connection. A
    // node without cluster support answers the CLUSTER ones with errors; INFO says why.
    // `CONFIG GET` may be denied (an ACL, a managed service): no timeout then.
    let (info, id, nodes, cluster_info, node_timeout) = futures::join!(
        info_of(node, detail),
        node.myid(),
        node.cluster_nodes(),
        node.cluster_info(),
        node.node_timeout()
    );
    let info = info?;
    if info.get("cluster_enabled") != Some("1") {
        return Err(NodeError::new(&node.label, NodeErrorKind::NotCluster));
    }
    let (id, nodes, cluster_info) = (id?, nodes?, cluster_info?);
    match nodes.iter().find(|e| e.flags.myself) {
        Some(me) if me.id == id => {}
        Some(me) => {
            return Err(NodeError::new(
                &node.label,
                NodeErrorKind::Protocol(format!(
                    "its node ID changed between two calls ({} then {}): it is being reset or is not a sane Redis node",
                    id.short(),
                    me.id.short()
                )),
            ));
        }
        None => {
            return Err(NodeError::new(
                &node.label,
                NodeErrorKind::Protocol("CLUSTER NODES has no `myself` line".into()),
            ));
        }
    }
    Ok(NodeView {
        label: node.label.clone(),
        addr: node.addr,
        domain,
        id,
        nodes,
        info,
        cluster_info,
        node_timeout,
    })
}

/// The failure domain given by the user, else the node's IP.
pub fn default_domain(addr: &SocketAddr, explicit: Option<&str>) -> String {
    explicit
        .map(str::to_string)
        .unwrap_or_else(|| addr.ip().to_string())
}

/// Where to reach a node that another node's view lists: its announced IP, else its hostname.
pub fn entry_addr(e: &NodeEntry) -> Option<SocketAddr> {
    if e.port == 0 || e.flags.noaddr {
        return None;
    }
    let ip = e.ip.trim_start_matches('[').trim_end_matches(']');
    ip.parse().ok().map(|ip| SocketAddr::new(ip, e.port))
}

/// No entry could be used. Every entry's error: a user in an incident must see which
/// nodes did not answer and why, not only the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct NoEntry(pub Vec<NodeError>);

/// A loaded cluster: the view plus, with [`Conns::Keep`], one open connection per
/// reachable node.
pub struct Loaded {
    pub view: ClusterView,
    /// Empty after a load with [`Conns::Close`].
    pub conns: BTreeMap<NodeId, Node>,
}

/// How many members are connected and probed at once. Each probe holds a connection and
/// its buffers, which take a whole `CLUSTER NODES` reply (about 150 bytes per node of
/// the cluster): without a bound, a 1000-node cluster's probes would hold 1000 such
/// replies at once. On 2 cores and loopback, 8 to 128 at once made no difference to
/// the time of a 60- or 120-node `check` (docs/benchmarks.md); 32 keeps many round trips
/// in flight where the network, not the nodes, is the slow part.
pub const PROBES_AT_ONCE: usize = 32;

/// How long a probe may hold its place in [`PROBES_AT_ONCE`]. A node that has not
/// answered by then (frozen, overloaded, or its address dropping packets) goes on
/// waiting for its own deadlines without its place, so frozen nodes hardly delay the
/// others. Even if none answers, a place turns over every 250 ms: the last of n probes
/// starts at most (⌈n / 32⌉ − 1) × 250 ms late (none up to 32 nodes, 0.25 s at 60).
const PROBE_PLACE_HELD: Duration = Duration::from_millis(250);

/// Runs `probe` in one of `gate`'s places, given back after [`PROBE_PLACE_HELD`].
async fn gated<T>(gate: &Semaphore, probe: impl Future<Output = T>) -> T {
    // The gate is never closed, so a place always comes; without one, run anyway.
    let place = gate.acquire().await.ok();
    let mut probe = pin!(probe);
    tokio::select! {
        out = &mut probe => out,
        () = tokio::time::sleep(PROBE_PLACE_HELD) => {
            drop(place);
            probe.await
        }
    }
}

/// Whether loading a cluster keeps its connections for what comes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conns {
    /// Every reachable node's connection stays open in [`Loaded::conns`]: for commands
    /// that go on to talk to the nodes.
    Keep,
    /// Each connection is closed as soon as its node's replies are parsed. A read-only
    /// command (`check`, `info`) then holds open only the connections still waiting for
    /// replies, and their buffers, not one per node until the end.
    Close,
}

/// Loads a whole cluster from ENTRY targets: the first entry (in order) that answers
/// provides the member list; every member is then connected and probed concurrently.
/// Entries the user gave keep their label and explicit domain.
///
/// "Answers" means the probe succeeds, not just the TCP connect: a frozen node (or a
/// full accept backlog) accepts connections but never replies, and must not stop trib
/// from using the next entry. Entries are probed concurrently and each at most once.
/// When no entry answers, every entry's error is returned, those of entries that replied
/// but cannot be used (not a cluster node, wrong password) first.
pub async fn load_cluster(entries: &[Target], opts: &ConnectOptions) -> Result<Loaded, NoEntry> {
    load_cluster_with(entries, opts, InfoDetail::Basic, Conns::Keep).await
}

/// [`load_cluster`], asking every node for `detail` of `INFO`, keeping or closing the
/// connections as `conns` says.
pub async fn load_cluster_with(
    entries: &[Target],
    opts: &ConnectOptions,
    detail: InfoDetail,
    conns: Conns,
) -> Result<Loaded, NoEntry> {
    let keep = conns == Conns::Keep;
    let connected = connect_all(entries, opts).await;
    let mut connect_err = Vec::new();
    // Entries that gave no usable answer, by address: reported if the cluster does not
    // list them (see `ClusterView::unlisted_entries`).
    let mut silent: Vec<(SocketAddr, NodeError)> = Vec::new();
    let mut candidates: Vec<(Node, &Target)> = Vec::new();
    let mut by_addr: HashMap<SocketAddr, (Node, Option<String>)> = HashMap::new();
    for (res, t) in connected.into_iter().zip(entries) {
        match res {
            Ok(node) => {
                if !by_addr.contains_key(&t.addr) {
                    candidates.push((node.clone(), t));
                }
                by_addr.insert(t.addr, (node, t.domain.clone()));
            }
            Err(e) => {
                silent.push((t.addr, e.clone()));
                connect_err.push(e);
            }
        }
    }
    let probes = join_all(candidates.iter().map(|(node, t)| {
        probe(
            node,
            default_domain(&node.addr, t.domain.as_deref()),
            detail,
        )
    }))
    .await;
    let mut probed: HashMap<SocketAddr, Result<NodeView, NodeError>> = HashMap::new();
    let mut seed: Option<(Node, NodeView)> = None;
    let mut probe_err = Vec::new();
    for ((node, _), res) in candidates.into_iter().zip(probes) {
        match res {
            Ok(v) if seed.is_none() => seed = Some((node, v)),
            Ok(v) => {
                probed.insert(node.addr, Ok(v));
            }
            Err(e) => {
                silent.push((node.addr, e.clone()));
                probe_err.push(e.clone());
                probed.insert(node.addr, Err(e));
            }
        }
    }
    let Some((seed, seed_view)) = seed else {
        let mut errors = probe_err;
        errors.extend(connect_err);
        if errors.is_empty() {
            errors.push(NodeError::new(
                "cluster",
                NodeErrorKind::Connect("no node given".into()),
            ));
        }
        return Err(NoEntry(errors));
    };

    let listed: HashSet<SocketAddr> = seed_view
        .nodes
        .iter()
        .filter(|e| !e.flags.handshake)
        .filter_map(entry_addr)
        .chain([seed.addr])
        .collect();
    let unlisted_entries = unlisted(silent, &listed);

    // Every member that the seed knows, reached at its announced address.
    let mut members: Vec<(Option<NodeId>, String, Option<SocketAddr>)> = Vec::new();
    for e in &seed_view.nodes {
        if e.id == seed_view.id || e.flags.handshake {
            continue;
        }
        let addr = entry_addr(e);
        members.push((Some(e.id.clone()), e.addr_string(), addr));
    }

    let probed = &probed;
    let gate = Semaphore::new(PROBES_AT_ONCE);
    let gate = &gate;
    let futures = members.iter().map(|(id, label, addr)| {
        let reuse = addr.and_then(|a| by_addr.get(&a).cloned());
        let label = reuse
            .as_ref()
            .map(|(n, _)| n.label.clone())
            .unwrap_or_else(|| label.clone());
        gated(gate, async move {
            let Some(addr) = *addr else {
                return Err(Unreachable {
                    label,
                    id: id.clone(),
                    error: "no address known (noaddr)".into(),
                });
            };
            let (node, domain) = match reuse {
                Some((n, d)) => (n, d),
                None => match Node::connect(addr, &label, None, opts).await {
                    Ok(n) => (n, None),
                    Err(e) => {
                        return Err(Unreachable {
                            label,
                            id: id.clone(),
                            error: e.reason(),
                        });
                    }
                },
            };
            // An entry probed above is not asked (or waited for) twice.
            let result = match probed.get(&addr) {
                Some(r) => r.clone(),
                None => probe(&node, default_domain(&addr, domain.as_deref()), detail).await,
            };
            match result {
                // With `Conns::Close`, the node (and, for a non-entry, its connection)
                // is dropped here, as soon as its replies are parsed.
                Ok(v) => Ok((v, keep.then_some(node))),
                Err(e) => Err(Unreachable {
                    label,
                    id: id.clone(),
                    error: e.reason(),
                }),
            }
        })
    });
    let results = join_all(futures).await;
    drop(by_addr);

    let mut view = ClusterView {
        entry: Some(seed_view.id.clone()),
        ..ClusterView::default()
    };
    let mut conns = BTreeMap::new();
    let mut seen = HashSet::new();
    seen.insert(seed_view.id.clone());
    if keep {
        conns.insert(seed_view.id.clone(), seed);
    }
    view.nodes.push(seed_view);
    for r in results {
        match r {
            Ok((v, node)) => {
                if !seen.insert(v.id.clone()) {
                    continue;
                }
                if let Some(node) = node {
                    conns.insert(v.id.clone(), node);
                }
                view.nodes.push(v);
            }
            Err(u) => view.unreachable.push(u),
        }
    }
    view.nodes.sort_by_key(|v| v.addr);
    view.unlisted_entries = unlisted_entries;
    Ok(Loaded { view, conns })
}

/// Of the entries that gave no usable answer, those not at a `listed` address, each once,
/// as unreachable nodes named as the user gave them.
fn unlisted(
    silent: Vec<(SocketAddr, NodeError)>,
    listed: &HashSet<SocketAddr>,
) -> Vec<Unreachable> {
    let mut seen = HashSet::new();
    silent
        .into_iter()
        .filter(|(addr, _)| !listed.contains(addr) && seen.insert(*addr))
        .map(|(_, e)| Unreachable {
            error: e.reason(),
            label: e.node,
            id: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
    }

    /// At most the gate's places run at once.
    #[test]
    fn the_gate_bounds_probes_in_flight() {
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let gate = Semaphore::new(3);
        let probes = (0..20).map(|_| {
            gated(&gate, async {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                now.fetch_sub(1, Ordering::SeqCst);
            })
        });
        runtime().block_on(join_all(probes));
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }

    /// Probes that never answer (frozen nodes) give their place back: the others are not
    /// held up until the frozen ones' deadlines.
    #[test]
    fn frozen_probes_do_not_hold_the_gate() {
        let gate = Semaphore::new(2);
        let done = runtime().block_on(async {
            // Four frozen probes take the two places first.
            let frozen = (0..4).map(|_| gated(&gate, std::future::pending::<()>()));
            let frozen = join_all(frozen);
            let answering = join_all((0..4).map(|i| gated(&gate, async move { i })));
            // Without giving places back, the answering ones would wait for ever.
            let answering = tokio::time::timeout(Duration::from_secs(10), answering);
            tokio::select! {
                biased; // the frozen ones are polled first, so they have the places
                () = async { frozen.await; } => None,
                out = answering => out.ok(),
            }
        });
        assert_eq!(done, Some(vec![0, 1, 2, 3]));
    }

    /// Entries that gave no answer are reported once each, unless a member is listed
    /// at their address (those are reported as members).
    #[test]
    fn unlisted_entries_are_the_silent_ones_no_member_is_at() {
        let a: SocketAddr = "10.0.0.1:6379".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:6379".parse().unwrap();
        let err = |label: &str| {
            NodeError::new(label, NodeErrorKind::Connect("Connection refused".into()))
        };
        let silent = vec![
            (a, err("redis-0:6379")),
            (b, err("10.0.0.2:6379")),
            (a, err("10.0.0.1:6379")),
        ];
        let out = unlisted(silent, &HashSet::from([b]));
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].label, "redis-0:6379");
        assert_eq!(out[0].error, "cannot connect: Connection refused");
        assert_eq!(out[0].id, None);
    }
}
