//! Connecting to many nodes at once and loading a [`ClusterView`].

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use futures::future::join_all;

use super::conn::{ConnectOptions, Node};
use super::error::{NodeError, NodeErrorKind};
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
        Err(NodeError {
            kind: NodeErrorKind::Server { code, .. },
            ..
        }) if code == "ERR" => node.info(&[]).await,
        other => other,
    }
}

/// Reads everything trib needs from one node, concurrently over its connection.
pub async fn probe(node: &Node, domain: String, detail: InfoDetail) -> Result<NodeView, NodeError> {
    // One round trip: the four commands go out together on the node's connection. A
    // node without cluster support answers the CLUSTER ones with errors; INFO says why.
    let (info, id, nodes, cluster_info) = futures::join!(
        info_of(node, detail),
        node.myid(),
        node.cluster_nodes(),
        node.cluster_info()
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

/// A loaded cluster: the view plus one open connection per reachable node.
pub struct Loaded {
    pub view: ClusterView,
    pub conns: BTreeMap<NodeId, Node>,
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
    load_cluster_with(entries, opts, InfoDetail::Basic).await
}

/// [`load_cluster`], asking every node for `detail` of `INFO`.
pub async fn load_cluster_with(
    entries: &[Target],
    opts: &ConnectOptions,
    detail: InfoDetail,
) -> Result<Loaded, NoEntry> {
    let connected = connect_all(entries, opts).await;
    let mut connect_err = Vec::new();
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
    let futures = members.iter().map(|(id, label, addr)| {
        let reuse = addr.and_then(|a| by_addr.get(&a).cloned());
        let label = reuse
            .as_ref()
            .map(|(n, _)| n.label.clone())
            .unwrap_or_else(|| label.clone());
        async move {
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
                Ok(v) => Ok((v, node)),
                Err(e) => Err(Unreachable {
                    label,
                    id: id.clone(),
                    error: e.reason(),
                }),
            }
        }
    });
    let results = join_all(futures).await;

    let mut view = ClusterView::default();
    let mut conns = BTreeMap::new();
    conns.insert(seed_view.id.clone(), seed);
    view.nodes.push(seed_view);
    for r in results {
        match r {
            Ok((v, node)) => {
                if conns.contains_key(&v.id) {
                    continue;
                }
                conns.insert(v.id.clone(), node);
                view.nodes.push(v);
            }
            Err(u) => view.unreachable.push(u),
        }
    }
    view.nodes.sort_by_key(|v| v.addr);
    Ok(Loaded { view, conns })
}
