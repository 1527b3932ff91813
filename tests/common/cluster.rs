//! [`TestCluster`]: real nodes made a cluster with `trib create`, the setup most suites
//! start from.
//!
//! ```ignore
//! let nodes = TestCluster::new()
//!     .masters(3)
//!     .replicas(1)
//!     .options(quick_opts())
//!     .hosts(&THREE_HOSTS)
//!     .synced()
//!     .start();
//! let out = nodes.trib("check", &[]);
//! ```
//!
//! A `TestCluster` derefs to its `Vec<RedisNode>` (in start order, grouped by host), so
//! `&nodes` is a `&[RedisNode]`, `nodes[0]` the first node; dropping it kills the nodes.

use std::net::Ipv4Addr;
use std::ops::{Deref, DerefMut};
use std::process::Command;

use super::redis::{NodeOptions, RedisNode, start_on_hosts};
use super::view::{wait_synced, wait_views_agree};
use super::{Output, assert_ok, run, trib};

/// Three fake hosts, 127.0.0.2-4 (three failure domains).
pub const THREE_HOSTS: [Ipv4Addr; 3] = [
    Ipv4Addr::new(127, 0, 0, 2),
    Ipv4Addr::new(127, 0, 0, 3),
    Ipv4Addr::new(127, 0, 0, 4),
];

/// `cluster-node-timeout 1000`: failures are detected, and stray flags clear, within seconds
/// (the harness default is 2000).
pub fn quick_opts() -> NodeOptions {
    NodeOptions::default().with("cluster-node-timeout", "1000")
}

/// [`quick_opts`] and `repl-diskless-sync-delay 0`: a replica's first sync starts at once
/// instead of after 5 s.
pub fn quick_sync_opts() -> NodeOptions {
    quick_opts().with("repl-diskless-sync-delay", "0")
}

/// How to build a [`TestCluster`]; see [`TestCluster::new`].
#[derive(Debug, Clone)]
pub struct ClusterBuilder {
    masters: usize,
    replicas: usize,
    spares: usize,
    opts: NodeOptions,
    hosts: Vec<Ipv4Addr>,
    settled: bool,
    synced: bool,
}

impl ClusterBuilder {
    /// Masters made by `trib create` (default 3).
    pub fn masters(mut self, n: usize) -> Self {
        self.masters = n;
        self
    }

    /// Replicas per master (`create --replicas`, default 0).
    pub fn replicas(mut self, n: usize) -> Self {
        self.replicas = n;
        self
    }

    /// Empty masters joined after the create with `trib add-node` (default 0); they come
    /// last in the node list.
    pub fn spares(mut self, n: usize) -> Self {
        self.spares = n;
        self
    }

    /// Node options (default: the harness's [`NodeOptions::default`]). `opts.ip` is the
    /// host unless [`hosts`](Self::hosts) are given.
    pub fn options(mut self, opts: NodeOptions) -> Self {
        self.opts = opts;
        self
    }

    /// One more `redis.conf` line `key value` (overrides the default).
    pub fn opt(mut self, key: &str, value: &str) -> Self {
        self.opts = self.opts.with(key, value);
        self
    }

    /// A password on every node (`requirepass`, `masterauth`); trib gets it through
    /// `REDISCLI_AUTH`.
    pub fn password(mut self, pw: &str) -> Self {
        self.opts.password = Some(pw.to_string());
        self
    }

    /// Spread the nodes over these IPs, in order, the first hosts getting one more where
    /// they do not divide evenly; nodes are grouped by host (default: all on `opts.ip`).
    pub fn hosts(mut self, ips: &[Ipv4Addr]) -> Self {
        self.hosts = ips.to_vec();
        self
    }

    /// After the create, wait until every node reports the same CLUSTER NODES table.
    pub fn settled(mut self) -> Self {
        self.settled = true;
        self
    }

    /// [`settled`](Self::settled), then wait until every replica's link is up.
    pub fn synced(mut self) -> Self {
        self.settled = true;
        self.synced = true;
        self
    }

    /// The options every node runs with.
    pub fn node_options(&self) -> NodeOptions {
        self.opts.clone()
    }

    /// `(host, count)` for `total` nodes.
    fn layout(&self, total: usize) -> Vec<(Ipv4Addr, usize)> {
        if self.hosts.is_empty() {
            return vec![(self.opts.ip, total)];
        }
        let h = self.hosts.len();
        self.hosts
            .iter()
            .enumerate()
            .map(|(i, ip)| (*ip, total / h + usize::from(i < total % h)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Starts the nodes (the spares too, on the first host), `trib create --yes`, the
    /// spares' `add-node`, then the waits asked for. Panics if a command fails.
    pub fn start(self) -> TestCluster {
        let members = self.masters * (1 + self.replicas);
        let mut layout = self.layout(members);
        if self.spares > 0 {
            layout.push((layout[0].0, self.spares));
        }
        let nodes = TestCluster {
            nodes: start_on_hosts(&layout, &self.opts),
            password: self.opts.password.clone(),
        };
        let out = run(nodes
            .command()
            .arg("create")
            .args(nodes[..members].iter().map(RedisNode::addr))
            .args(["--replicas", &self.replicas.to_string(), "--yes"]));
        assert_ok(&out);
        for n in &nodes[members..] {
            let out = run(nodes
                .command()
                .arg("add-node")
                .arg(n.addr())
                .arg(nodes[0].addr())
                .arg("--yes"));
            assert_ok(&out);
        }
        if self.settled {
            wait_views_agree(&nodes);
        }
        if self.synced {
            wait_synced(&nodes);
        }
        nodes
    }
}

/// Nodes made a cluster by `trib create`; see the module doc.
#[derive(Debug)]
pub struct TestCluster {
    nodes: Vec<RedisNode>,
    password: Option<String>,
}

impl TestCluster {
    /// A builder: 3 masters, no replicas, default node options on 127.0.0.1, no waiting.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> ClusterBuilder {
        ClusterBuilder {
            masters: 3,
            replicas: 0,
            spares: 0,
            opts: NodeOptions::default(),
            hosts: Vec::new(),
            settled: false,
            synced: false,
        }
    }

    /// The node trib commands go to: the first one.
    pub fn entry(&self) -> &RedisNode {
        &self.nodes[0]
    }

    /// Every node's "ip:port".
    pub fn addrs(&self) -> Vec<String> {
        self.nodes.iter().map(RedisNode::addr).collect()
    }

    /// [`trib()`](super::trib) with the cluster's password in `REDISCLI_AUTH`, if it has one.
    pub fn command(&self) -> Command {
        let mut cmd = trib();
        if let Some(pw) = &self.password {
            cmd.env("REDISCLI_AUTH", pw);
        }
        cmd
    }

    /// `trib SUBCOMMAND ENTRY ARGS...`.
    pub fn trib(&self, subcommand: &str, args: &[&str]) -> Output {
        run(self
            .command()
            .arg(subcommand)
            .arg(self.entry().addr())
            .args(args))
    }

    /// `trib check ENTRY` exits 0.
    pub fn assert_check_ok(&self) {
        assert_ok(&self.trib("check", &[]));
    }

    /// Waits (30 s at most) until every node reports the same CLUSTER NODES table.
    pub fn settle(&self) {
        wait_views_agree(&self.nodes);
    }

    /// The nodes, to keep them beyond the `TestCluster`.
    pub fn into_nodes(self) -> Vec<RedisNode> {
        self.nodes
    }
}

impl Deref for TestCluster {
    type Target = Vec<RedisNode>;
    fn deref(&self) -> &Vec<RedisNode> {
        &self.nodes
    }
}

impl DerefMut for TestCluster {
    fn deref_mut(&mut self) -> &mut Vec<RedisNode> {
        &mut self.nodes
    }
}

impl<'a> IntoIterator for &'a TestCluster {
    type Item = &'a RedisNode;
    type IntoIter = std::slice::Iter<'a, RedisNode>;
    fn into_iter(self) -> Self::IntoIter {
        self.nodes.iter()
    }
}
