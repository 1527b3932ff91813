//! A stand-in for the Kubernetes API server: HTTPS (rustls, a CA and server certificate
//! made with the `openssl` CLI), bearer-token auth, and the JSON shapes of the real API:
//! pod lists (`/api/v1/namespaces/NS/pods`, `/api/v1/pods`) filtered by
//! `fieldSelector=status.podIP=IP`, `GET /api/v1/nodes/NAME`, and `Status` objects for
//! 401/403/404. Include with `#[path = "common/k8s.rs"] mod k8s;`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};

pub const TOKEN: &str = "test-token-for-trib";
pub const USER: &str = "system:serviceaccount:redis:trib";

/// A pod as the fake API knows it.
#[derive(Clone, Debug)]
pub struct Pod {
    pub namespace: String,
    pub name: String,
    pub ip: String,
    pub node: String,
}

impl Pod {
    pub fn new(namespace: &str, name: &str, ip: &str, node: &str) -> Pod {
        Pod {
            namespace: namespace.into(),
            name: name.into(),
            ip: ip.into(),
            node: node.into(),
        }
    }
}

#[derive(Default)]
struct State {
    pods: Vec<Pod>,
    /// Node name → zone label (None: the node exists without a zone label).
    nodes: BTreeMap<String, Option<String>>,
    /// (verb, resource, namespace or None for cluster scope) refused with 403.
    forbidden: Vec<(String, String, Option<String>)>,
    requests: Vec<String>,
}

/// The fake API server; stops accepting when dropped.
pub struct FakeApi {
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl FakeApi {
    /// Starts serving `pods`; `nodes` maps node names to their zone label.
    pub fn start(pods: &[Pod], nodes: &[(&str, Option<&str>)]) -> FakeApi {
        let dir = tempfile::tempdir().unwrap();
        crate::common::pki::make_pki(dir.path(), "fake-kubernetes-ca", &["server"]);
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(dir.path().join("server.crt"))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
        let key = PrivateKeyDer::from_pem_file(dir.path().join("server.key")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let state = Arc::new(Mutex::new(State {
            pods: pods.to_vec(),
            nodes: nodes
                .iter()
                .map(|(n, z)| (n.to_string(), z.map(str::to_string)))
                .collect(),
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let state = state.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((sock, _)) => {
                            let config = config.clone();
                            let state = state.clone();
                            std::thread::spawn(move || serve(sock, config, &state));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
            });
        }
        FakeApi {
            addr,
            dir,
            state,
            stop,
        }
    }

    /// Answers 403 to `verb resource` in `namespace` (None: at the cluster scope).
    pub fn forbid(&self, verb: &str, resource: &str, namespace: Option<&str>) {
        self.state.lock().unwrap().forbidden.push((
            verb.into(),
            resource.into(),
            namespace.map(str::to_string),
        ));
    }

    /// Request lines received so far.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Writes a kubeconfig (CA inline, bearer token) whose context uses `namespace`.
    pub fn kubeconfig(&self, namespace: &str) -> PathBuf {
        let ca = std::fs::read(self.dir.path().join("ca.crt")).unwrap();
        let path = self.dir.path().join(format!("kubeconfig-{namespace}"));
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: https://{}\n    certificate-authority-data: {}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: trib\n    namespace: {namespace}\ncurrent-context: fake\nusers:\n- name: trib\n  user:\n    token: {TOKEN}\n",
                self.addr,
                base64(&ca)
            ),
        )
        .unwrap();
        path
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn status(code: u16, reason: &str, message: &str) -> (u16, Value) {
    (
        code,
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code,
        }),
    )
}

fn serve(sock: TcpStream, config: Arc<rustls::ServerConfig>, state: &Mutex<State>) {
    sock.set_nonblocking(false).ok();
    sock.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let conn = match rustls::ServerConnection::new(config) {
        Ok(c) => c,
        Err(_) => return,
    };
    let mut tls = rustls::StreamOwned::new(conn, sock);
    let mut reader = BufReader::new(&mut tls);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut auth = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("authorization")
        {
            auth = Some(v.trim().to_string());
        }
    }
    drop(reader);
    state
        .lock()
        .unwrap()
        .requests
        .push(request_line.trim().to_string());
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    let (code, body) = if auth.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        status(401, "Unauthorized", "Unauthorized")
    } else {
        route(&target, &state.lock().unwrap())
    };
    let body = body.to_string();
    // Lists come chunked (as large answers from the real API do), the rest with a length.
    let head =
        format!("HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nConnection: close\r\n");
    let mut out = head.into_bytes();
    if target.contains("/pods") && code == 200 {
        out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
        let half = body.len() / 2;
        for part in [&body[..half], &body[half..]] {
            out.extend_from_slice(format!("{:x}\r\n{part}\r\n", part.len()).as_bytes());
        }
        out.extend_from_slice(b"0\r\n\r\n");
    } else {
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }
    let _ = tls.write_all(&out);
    tls.conn.send_close_notify();
    let _ = tls.flush();
    let mut rest = Vec::new();
    let _ = tls.sock.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = tls.read_to_end(&mut rest);
}

fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn route(target: &str, st: &State) -> (u16, Value) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let forbidden = |verb: &str, resource: &str, ns: Option<&str>| {
        st.forbidden
            .iter()
            .any(|(v, r, n)| v == verb && r == resource && n.as_deref() == ns)
    };
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let pods_in: Option<Option<&str>> = match parts.as_slice() {
        ["api", "v1", "namespaces", ns, "pods"] => Some(Some(*ns)),
        ["api", "v1", "pods"] => Some(None),
        _ => None,
    };
    if let Some(ns) = pods_in {
        if forbidden("list", "pods", ns) {
            return status(
                403,
                "Forbidden",
                &match ns {
                    Some(ns) => format!(
                        "pods is forbidden: User \"{USER}\" cannot list resource \"pods\" in API group \"\" in the namespace \"{ns}\""
                    ),
                    None => format!(
                        "pods is forbidden: User \"{USER}\" cannot list resource \"pods\" in API group \"\" at the cluster scope"
                    ),
                },
            );
        }
        let selector = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "fieldSelector")
            .map(|(_, v)| decode(v));
        let want_ip = selector
            .as_deref()
            .and_then(|s| s.strip_prefix("status.podIP="));
        let items: Vec<Value> = st
                .pods
                .iter()
                .filter(|p| ns.is_none_or(|n| p.namespace == n))
                .filter(|p| want_ip.is_none_or(|ip| p.ip == ip))
                .map(|p| {
                    json!({
                        "metadata": {"name": p.name, "namespace": p.namespace, "uid": format!("uid-{}", p.name)},
                        "spec": {"nodeName": p.node, "containers": [{"name": "redis", "image": "redis:7"}]},
                        "status": {"phase": "Running", "podIP": p.ip, "podIPs": [{"ip": p.ip}], "hostIP": "192.0.2.1"},
                    })
                })
                .collect();
        return (
            200,
            json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items}),
        );
    }
    match parts.as_slice() {
        ["api", "v1", "nodes", name] => {
            let name = decode(name);
            if forbidden("get", "nodes", None) {
                return status(
                    403,
                    "Forbidden",
                    &format!(
                        "nodes \"{name}\" is forbidden: User \"{USER}\" cannot get resource \"nodes\" in API group \"\" at the cluster scope"
                    ),
                );
            }
            match st.nodes.get(&name) {
                Some(zone) => {
                    let mut labels = json!({
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                    });
                    if let Some(z) = zone {
                        labels["topology.kubernetes.io/zone"] = json!(z);
                        labels["topology.kubernetes.io/region"] = json!("test-region");
                    }
                    (
                        200,
                        json!({"kind": "Node", "apiVersion": "v1", "metadata": {"name": name, "labels": labels}, "status": {}}),
                    )
                }
                None => status(404, "NotFound", &format!("nodes \"{name}\" not found")),
            }
        }
        _ => status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ),
    }
}
