//! Failure domains from the Kubernetes API (`--domains kubernetes-node|kubernetes-zone`).
//!
//! Every pod has its own IP, so IP-based anti-affinity cannot see two Redis pods on one
//! worker node. This module matches each Redis node to its pod by IP (a pods list with
//! `fieldSelector=status.podIP=IP`), takes the pod's `spec.nodeName` and, for zones, that
//! node's `topology.kubernetes.io/zone` label. Credentials come from the pod's service
//! account (in-cluster) or from a kubeconfig ([`config`], exec credential plugins in
//! [`exec`]). The client is a small HTTPS GET over the rustls trib already uses ([`http`]),
//! through an HTTP CONNECT proxy when one is configured; docs/kubernetes.md says why it is
//! not `kube`.

#[cfg(feature = "kubernetes")]
mod api;
#[cfg(feature = "kubernetes")]
pub mod config;
#[cfg(feature = "kubernetes")]
pub mod exec;
#[cfg(feature = "kubernetes")]
mod http;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::net::IpAddr;
use std::time::Duration;

/// Which Kubernetes object is the failure domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The worker node the pod runs on (`spec.nodeName`).
    Node,
    /// That node's zone (`topology.kubernetes.io/zone`).
    Zone,
}

impl Level {
    pub fn flag(self) -> &'static str {
        match self {
            Level::Node => "kubernetes-node",
            Level::Zone => "kubernetes-zone",
        }
    }
}

/// Deadlines for talking to the API server.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// TCP connect plus TLS handshake.
    pub connect: Duration,
    /// Sending the request and reading the whole answer.
    pub request: Duration,
}

/// Which configuration to use and how long an exec credential plugin may take
/// (`--kubeconfig`, `--context`, `--namespace`, `--kube-exec-timeout`).
#[derive(Clone, Debug)]
pub struct KubeOptions {
    /// Kubeconfig files (a `:`-separated list); `None`: `KUBECONFIG`, in-cluster, `~/.kube/config`.
    pub kubeconfig: Option<OsString>,
    /// The kubeconfig context instead of the current one.
    pub context: Option<String>,
    /// The namespace searched first, instead of the context's (or the pod's own).
    pub namespace: Option<String>,
    /// Deadline for an exec credential plugin.
    pub exec_timeout: Duration,
    /// Where an exec plugin's standard-error lines go as they arrive.
    pub plugin_stderr: fn(&str),
}

impl Default for KubeOptions {
    fn default() -> Self {
        KubeOptions {
            kubeconfig: None,
            context: None,
            namespace: None,
            exec_timeout: Duration::from_secs(30),
            plugin_stderr: plugin_stderr_line,
        }
    }
}

/// Writes one line of an exec plugin's standard error to trib's standard error.
pub fn plugin_stderr_line(line: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Where a missing permission applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Namespace(String),
    Cluster,
}

/// Why failure domains could not be read from the Kubernetes API. Each is bad input (exit 2).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum K8sError {
    #[error(
        "no Kubernetes configuration found: not in a pod (KUBERNETES_SERVICE_HOST unset or no service-account token at {token}), no --kubeconfig, KUBECONFIG unset and no {home_config}"
    )]
    NoConfig { token: String, home_config: String },
    #[error("Kubernetes configuration {source_name}: {reason}")]
    Config { source_name: String, reason: String },
    #[error("the Kubernetes API at {server} is unreachable: {reason}")]
    Unreachable { server: String, reason: String },
    #[error("{}", forbidden_message(.user, .verb, .resource, .scope, .message))]
    Forbidden {
        user: Option<String>,
        verb: String,
        resource: String,
        scope: Scope,
        message: String,
    },
    #[error(
        "the Kubernetes API at {server} rejected the credentials (401 Unauthorized: token expired or invalid?)"
    )]
    Unauthorized { server: String },
    #[error("no running pod has IP {ip} ({searched})")]
    PodNotFound { ip: IpAddr, searched: String },
    #[error(
        "Kubernetes node {node} (where pod {pod} runs) has no topology.kubernetes.io/zone label; use --domains kubernetes-node"
    )]
    NoZoneLabel { node: String, pod: String },
    #[error("Kubernetes API: {0}")]
    Api(String),
    #[cfg(feature = "kubernetes")]
    #[error(transparent)]
    Exec(#[from] exec::ExecError),
    #[error("this trib was built without the `kubernetes` cargo feature")]
    NotCompiled,
}

fn forbidden_message(
    user: &Option<String>,
    verb: &str,
    resource: &str,
    scope: &Scope,
    message: &str,
) -> String {
    let who = user
        .as_deref()
        .map(|u| format!("User \"{u}\" "))
        .unwrap_or_default();
    let where_ = match scope {
        Scope::Namespace(ns) => format!("in namespace {ns} (a Role and RoleBinding)"),
        Scope::Cluster => "cluster-wide (a ClusterRole and ClusterRoleBinding)".to_string(),
    };
    format!("{who}needs RBAC: {verb} {resource} {where_}; the API said: {message}")
}

/// The failure domain (node name or zone) of the pod owning each IP. Every IP must belong
/// to a running pod; the first problem is the error.
pub async fn domains_for(
    ips: &[IpAddr],
    level: Level,
    timeouts: Timeouts,
    kube: &KubeOptions,
) -> Result<BTreeMap<IpAddr, String>, K8sError> {
    let wanted: BTreeSet<IpAddr> = ips.iter().copied().collect();
    let (found, missing) = lookup(&wanted, level, timeouts, kube).await?;
    if let Some(e) = missing.into_iter().next() {
        return Err(e);
    }
    Ok(found)
}

/// Looks every IP up; IPs without a pod come back as `PodNotFound` errors, in IP order.
#[cfg(feature = "kubernetes")]
pub async fn lookup(
    ips: &BTreeSet<IpAddr>,
    level: Level,
    timeouts: Timeouts,
    kube: &KubeOptions,
) -> Result<(BTreeMap<IpAddr, String>, Vec<K8sError>), K8sError> {
    let cfg = config::load(kube).await?;
    api::lookup(&cfg, ips, level, timeouts).await
}

#[cfg(not(feature = "kubernetes"))]
pub async fn lookup(
    _ips: &BTreeSet<IpAddr>,
    _level: Level,
    _timeouts: Timeouts,
    _kube: &KubeOptions,
) -> Result<(BTreeMap<IpAddr, String>, Vec<K8sError>), K8sError> {
    Err(K8sError::NotCompiled)
}

/// Replaces the failure domain of every node whose domain was not given explicitly
/// (`NODE=DOMAIN`, addresses in `explicit`) with its pod's Kubernetes node or zone. A node
/// is matched by the address trib reached it at, else by the IP it announces in the
/// cluster (an entry reached through a Service IP). Nothing is changed on error.
pub async fn assign<'a>(
    views: impl IntoIterator<Item = &'a mut crate::model::view::NodeView>,
    explicit: &BTreeSet<std::net::SocketAddr>,
    level: Level,
    timeouts: Timeouts,
    kube: &KubeOptions,
) -> Result<(), Vec<String>> {
    let views: Vec<&mut crate::model::view::NodeView> = views
        .into_iter()
        .filter(|v| !explicit.contains(&v.addr))
        .collect();
    if views.is_empty() {
        return Ok(());
    }
    let candidates: Vec<Vec<IpAddr>> = views.iter().map(|v| candidate_ips(v)).collect();
    let all: BTreeSet<IpAddr> = candidates.iter().flatten().copied().collect();
    let (found, missing) = lookup(&all, level, timeouts, kube)
        .await
        .map_err(|e| vec![format!("--domains {}: {e}", level.flag())])?;
    let mut errors = Vec::new();
    let mut domains = Vec::with_capacity(views.len());
    for (v, ips) in views.iter().zip(&candidates) {
        match ips.iter().find_map(|ip| found.get(ip)) {
            Some(d) => domains.push(d.clone()),
            None => {
                let why = missing
                    .iter()
                    .find(|e| matches!(e, K8sError::PodNotFound { ip, .. } if ips.contains(ip)))
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "no pod found".into());
                errors.push(format!("{}: --domains {}: {why}", v.label, level.flag()));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for (v, d) in views.into_iter().zip(domains) {
        v.domain = d;
    }
    Ok(())
}

/// Where trib reached the node, then the IP it announces (if different).
fn candidate_ips(v: &crate::model::view::NodeView) -> Vec<IpAddr> {
    let mut ips = vec![v.addr.ip()];
    if let Some(ip) = v.myself().and_then(|m| {
        m.ip.trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()
    }) && !ips.contains(&ip)
    {
        ips.push(ip);
    }
    ips
}
