//! The two API calls: pods by IP, and a node's labels.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use futures::StreamExt;
use serde_json::Value;

use super::config::ApiConfig;
use super::http::{Client, HttpError, Response};
use super::{K8sError, Level, Scope, Timeouts};

const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
const OLD_ZONE_LABEL: &str = "failure-domain.beta.kubernetes.io/zone";
/// Requests in flight at once.
const PARALLEL: usize = 8;

/// A pod matched by IP.
#[derive(Clone, Debug)]
struct Pod {
    namespace: String,
    name: String,
    node: String,
}

/// Node names (or zones) for `ips`. IPs without a pod come back as errors beside the map;
/// any other problem (unreachable, forbidden) is the error.
pub async fn lookup(
    cfg: &ApiConfig,
    ips: &BTreeSet<IpAddr>,
    level: Level,
    t: Timeouts,
) -> Result<(BTreeMap<IpAddr, String>, Vec<K8sError>), K8sError> {
    let client = Client::new(cfg).map_err(|e| http_error(cfg, e))?;
    let ns = cfg.namespace.as_str();
    // The configured namespace first; IPs not found there in every namespace.
    let mut pods = pods_by_ips(cfg, &client, Some(ns), ips, t).await?;
    let rest: BTreeSet<IpAddr> = ips
        .iter()
        .filter(|ip| !pods.contains_key(ip))
        .copied()
        .collect();
    let mut missing = Vec::new();
    if !rest.is_empty() {
        match pods_by_ips(cfg, &client, None, &rest, t).await {
            Ok(more) => {
                pods.extend(more);
                for ip in &rest {
                    if !pods.contains_key(ip) {
                        missing.push(K8sError::PodNotFound {
                            ip: *ip,
                            searched: format!("searched namespace {ns} and all namespaces"),
                        });
                    }
                }
            }
            Err(K8sError::Forbidden { .. }) => {
                for ip in &rest {
                    missing.push(K8sError::PodNotFound {
                        ip: *ip,
                        searched: format!(
                            "searched namespace {ns}; searching all namespaces needs RBAC: list pods cluster-wide; or set the namespace in the kubeconfig context"
                        ),
                    });
                }
            }
            Err(e) => return Err(e),
        }
    }
    let mut out = BTreeMap::new();
    match level {
        Level::Node => {
            for (ip, pod) in pods {
                out.insert(ip, pod.node);
            }
        }
        Level::Zone => {
            let nodes: BTreeSet<String> = pods.values().map(|p| p.node.clone()).collect();
            let zones: Vec<Result<(String, Option<String>), K8sError>> =
                futures::stream::iter(nodes.into_iter().map(|n| {
                    let client = &client;
                    async move {
                        let z = node_zone(cfg, client, &n, t).await?;
                        Ok((n, z))
                    }
                }))
                .buffer_unordered(PARALLEL)
                .collect()
                .await;
            let mut by_node = BTreeMap::new();
            for z in zones {
                let (n, z) = z?;
                by_node.insert(n, z);
            }
            for (ip, pod) in pods {
                match by_node.get(&pod.node).cloned().flatten() {
                    Some(z) => {
                        out.insert(ip, z);
                    }
                    None => {
                        return Err(K8sError::NoZoneLabel {
                            node: pod.node,
                            pod: format!("{}/{}", pod.namespace, pod.name),
                        });
                    }
                }
            }
        }
    }
    Ok((out, missing))
}

async fn pods_by_ips(
    cfg: &ApiConfig,
    client: &Client,
    ns: Option<&str>,
    ips: &BTreeSet<IpAddr>,
    t: Timeouts,
) -> Result<BTreeMap<IpAddr, Pod>, K8sError> {
    let results: Vec<Result<(IpAddr, Option<Pod>), K8sError>> =
        futures::stream::iter(ips.iter().map(|ip| async move {
            let p = pod_by_ip(cfg, client, ns, *ip, t).await?;
            Ok((*ip, p))
        }))
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut out = BTreeMap::new();
    for r in results {
        if let (ip, Some(p)) = r? {
            out.insert(ip, p);
        }
    }
    Ok(out)
}

/// The live pod with this IP in `ns` (or in any namespace).
async fn pod_by_ip(
    cfg: &ApiConfig,
    client: &Client,
    ns: Option<&str>,
    ip: IpAddr,
    t: Timeouts,
) -> Result<Option<Pod>, K8sError> {
    let selector = encode(&format!("status.podIP={ip}"));
    let (path, scope) = match ns {
        Some(ns) => (
            format!(
                "/api/v1/namespaces/{}/pods?fieldSelector={selector}",
                encode(ns)
            ),
            Scope::Namespace(ns.to_string()),
        ),
        None => (
            format!("/api/v1/pods?fieldSelector={selector}"),
            Scope::Cluster,
        ),
    };
    let resp = client.get(&path, t).await.map_err(|e| http_error(cfg, e))?;
    let v = json_ok(cfg, resp, "list", "pods", scope)?;
    Ok(pick_pod(&v, ip))
}

/// Of the pods listed, the first running (or pending) one that really has `ip` and a node:
/// finished pods keep their IP, which a new pod may have been given.
fn pick_pod(list: &Value, ip: IpAddr) -> Option<Pod> {
    let items = list["items"].as_array()?;
    let ip_text = ip.to_string();
    let live = |p: &&Value| {
        !matches!(
            p["status"]["phase"].as_str(),
            Some("Succeeded") | Some("Failed")
        ) && p["metadata"]["deletionTimestamp"].is_null()
    };
    let has_ip = |p: &&Value| {
        p["status"]["podIP"].as_str() == Some(ip_text.as_str())
            || p["status"]["podIPs"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["ip"].as_str() == Some(ip_text.as_str())))
    };
    let candidates: Vec<&Value> = items.iter().filter(has_ip).collect();
    let p = candidates
        .iter()
        .find(|p| live(p))
        .or_else(|| candidates.first())?;
    let node = p["spec"]["nodeName"].as_str().filter(|n| !n.is_empty())?;
    Some(Pod {
        namespace: p["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        name: p["metadata"]["name"].as_str().unwrap_or("").to_string(),
        node: node.to_string(),
    })
}

async fn node_zone(
    cfg: &ApiConfig,
    client: &Client,
    node: &str,
    t: Timeouts,
) -> Result<Option<String>, K8sError> {
    let resp = client
        .get(&format!("/api/v1/nodes/{}", encode(node)), t)
        .await
        .map_err(|e| http_error(cfg, e))?;
    if resp.status == 404 {
        return Err(K8sError::Api(format!("node {node} not found")));
    }
    let v = json_ok(cfg, resp, "get", "nodes", Scope::Cluster)?;
    let labels = &v["metadata"]["labels"];
    Ok(labels[ZONE_LABEL]
        .as_str()
        .or_else(|| labels[OLD_ZONE_LABEL].as_str())
        .filter(|z| !z.is_empty())
        .map(str::to_string))
}

fn http_error(cfg: &ApiConfig, e: HttpError) -> K8sError {
    match e {
        HttpError::Unreachable(reason) => K8sError::Unreachable {
            server: cfg.server.clone(),
            reason,
        },
        HttpError::Failed(reason) => K8sError::Api(format!("{}: {reason}", cfg.server)),
        HttpError::Config(reason) => K8sError::Config {
            source_name: cfg.source.clone(),
            reason,
        },
    }
}

/// The JSON of a 200 answer; a `Status` object otherwise becomes a specific error.
fn json_ok(
    cfg: &ApiConfig,
    resp: Response,
    verb: &str,
    resource: &str,
    scope: Scope,
) -> Result<Value, K8sError> {
    let v: Option<Value> = serde_json::from_slice(&resp.body).ok();
    match resp.status {
        200 => v.ok_or_else(|| K8sError::Api(format!("{}: the answer is not JSON", cfg.server))),
        401 => Err(K8sError::Unauthorized {
            server: cfg.server.clone(),
        }),
        403 => {
            let message = v
                .as_ref()
                .and_then(|v| v["message"].as_str())
                .unwrap_or("403 Forbidden")
                .to_string();
            Err(forbidden(&message, verb, resource, scope))
        }
        code => {
            let message = v
                .as_ref()
                .and_then(|v| v["message"].as_str())
                .map(str::to_string)
                .unwrap_or_else(|| String::from_utf8_lossy(&resp.body).trim().to_string());
            Err(K8sError::Api(format!(
                "{verb} {resource}: HTTP {code}: {message}"
            )))
        }
    }
}

/// Reads who lacks which permission from a 403 `Status` message such as
/// `pods is forbidden: User "system:serviceaccount:default:trib" cannot list resource "pods"
/// in API group "" in the namespace "default"`; what was asked fills in what it lacks.
pub fn forbidden(message: &str, verb: &str, resource: &str, scope: Scope) -> K8sError {
    let quoted_after = |marker: &str| {
        let i = message.find(marker)? + marker.len();
        let rest = &message[i..];
        rest.find('"').map(|j| rest[..j].to_string())
    };
    let user = quoted_after("User \"");
    let verb = message
        .find(" cannot ")
        .map(|i| &message[i + " cannot ".len()..])
        .and_then(|r| r.split_whitespace().next())
        .map(str::to_string)
        .unwrap_or_else(|| verb.to_string());
    let resource = quoted_after("resource \"").unwrap_or_else(|| resource.to_string());
    let scope = if let Some(ns) = quoted_after("in the namespace \"") {
        Scope::Namespace(ns)
    } else if message.contains("at the cluster scope") {
        Scope::Cluster
    } else {
        scope
    };
    K8sError::Forbidden {
        user,
        verb,
        resource,
        scope,
        message: message.to_string(),
    }
}

/// Percent-encodes a path segment or query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn forbidden_in_a_namespace() {
        let e = forbidden(
            r#"pods is forbidden: User "system:serviceaccount:default:trib" cannot list resource "pods" in API group "" in the namespace "redis""#,
            "list",
            "pods",
            Scope::Namespace("x".into()),
        );
        let text = e.to_string();
        assert!(
            text.starts_with(
                "User \"system:serviceaccount:default:trib\" needs RBAC: list pods in namespace redis"
            ),
            "{text}"
        );
        assert_eq!(
            e,
            K8sError::Forbidden {
                user: Some("system:serviceaccount:default:trib".into()),
                verb: "list".into(),
                resource: "pods".into(),
                scope: Scope::Namespace("redis".into()),
                message: r#"pods is forbidden: User "system:serviceaccount:default:trib" cannot list resource "pods" in API group "" in the namespace "redis""#.into(),
            }
        );
    }

    #[test]
    fn forbidden_cluster_wide() {
        let e = forbidden(
            r#"nodes "worker-1" is forbidden: User "alice" cannot get resource "nodes" in API group "" at the cluster scope"#,
            "get",
            "nodes",
            Scope::Cluster,
        );
        assert!(
            e.to_string()
                .starts_with("User \"alice\" needs RBAC: get nodes cluster-wide (a ClusterRole"),
            "{e}"
        );
        // A message in another shape: what was asked is used.
        let e = forbidden("denied", "list", "pods", Scope::Namespace("ns1".into()));
        assert!(
            e.to_string()
                .starts_with("needs RBAC: list pods in namespace ns1"),
            "{e}"
        );
    }

    #[test]
    fn picks_the_live_pod_with_the_ip() {
        let ip: IpAddr = "10.1.0.7".parse().unwrap();
        let list = json!({"kind": "PodList", "items": [
            {"metadata": {"name": "old", "namespace": "r"}, "spec": {"nodeName": "w1"},
             "status": {"phase": "Succeeded", "podIP": "10.1.0.7"}},
            {"metadata": {"name": "other", "namespace": "r"}, "spec": {"nodeName": "w3"},
             "status": {"phase": "Running", "podIP": "10.1.0.8"}},
            {"metadata": {"name": "redis-0", "namespace": "r"}, "spec": {"nodeName": "w2"},
             "status": {"phase": "Running", "podIP": "10.1.0.7"}},
        ]});
        let p = pick_pod(&list, ip).unwrap();
        assert_eq!((p.name.as_str(), p.node.as_str()), ("redis-0", "w2"));
        assert!(pick_pod(&json!({"items": []}), ip).is_none());
    }

    #[test]
    fn encodes_selectors() {
        assert_eq!(encode("status.podIP=fd00::1"), "status.podIP%3Dfd00%3A%3A1");
    }
}
