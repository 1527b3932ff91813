//! Where the Kubernetes API is and how to authenticate: in-cluster (the pod's service
//! account) or a kubeconfig file (`--kubeconfig` / `KUBECONFIG`, else `~/.kube/config`).
//!
//! Order: `--kubeconfig` (or `KUBECONFIG`) when set; else in-cluster when
//! `KUBERNETES_SERVICE_HOST` is set and the service-account token exists; else
//! `~/.kube/config`.
//! Supported in kubeconfig: the current context (or `--context` / `TRIB_KUBE_CONTEXT`), the
//! cluster's `server`, `certificate-authority(-data)`, `insecure-skip-tls-verify`,
//! `tls-server-name`, `proxy-url`; the user's `token`, `tokenFile`,
//! `client-certificate(-data)` + `client-key(-data)`, and `exec` credential plugins (EKS,
//! GKE, AKS; [`super::exec`]) returning a token or a client certificate. `--namespace`
//! (`TRIB_KUBE_NAMESPACE`) replaces the context's or the pod's namespace.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::json;

use super::exec::{self, ExecPlugin, ExecRun, InteractiveMode};
use super::{K8sError, KubeOptions};

pub const SA_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Everything needed to call the API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiConfig {
    /// `https://host:port[/prefix]` (or `http://` behind `kubectl proxy`).
    pub server: String,
    /// PEM CA bundle; none means the system roots.
    pub ca_pem: Option<Vec<u8>>,
    pub insecure: bool,
    pub tls_server_name: Option<String>,
    pub auth: Auth,
    /// The namespace searched first for pods.
    pub namespace: String,
    /// The cluster's `proxy-url` (HTTP CONNECT proxy); else the proxy environment applies.
    pub proxy_url: Option<String>,
    /// Where this came from, for messages.
    pub source: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Auth {
    #[default]
    None,
    Token(String),
    ClientCert {
        cert_pem: Vec<u8>,
        key_pem: Vec<u8>,
    },
    /// An exec plugin still to run ([`load`] runs it and puts its credential here).
    Exec(Box<ExecPlugin>),
}

/// Reads the configuration (see the module docs for the order) and runs the exec
/// credential plugin, if the user has one.
pub async fn load(opts: &KubeOptions) -> Result<ApiConfig, K8sError> {
    let mut cfg = locate(opts)?;
    if let Some(ns) = opts.namespace.as_ref().filter(|n| !n.is_empty()) {
        cfg.namespace = ns.clone();
    }
    if let Auth::Exec(plugin) = &cfg.auth {
        let how = ExecRun {
            timeout: opts.exec_timeout,
            terminal: std::io::stdin().is_terminal(),
            on_stderr: opts.plugin_stderr,
        };
        cfg.auth = exec::run(plugin, how).await?;
    }
    Ok(cfg)
}

fn locate(opts: &KubeOptions) -> Result<ApiConfig, K8sError> {
    let context = opts.context.as_deref().filter(|c| !c.is_empty());
    let list = opts
        .kubeconfig
        .clone()
        .or_else(|| std::env::var_os("KUBECONFIG"))
        .filter(|v| !v.is_empty());
    if let Some(list) = list {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        return from_kubeconfig_files(&paths, context);
    }
    if let Some(host) = std::env::var("KUBERNETES_SERVICE_HOST")
        .ok()
        .filter(|h| !h.is_empty())
    {
        let dir = Path::new(SA_DIR);
        if dir.join("token").exists() {
            if let Some(c) = context {
                return Err(K8sError::Config {
                    source_name: "in-cluster service account".into(),
                    reason: format!(
                        "--context {c} needs a kubeconfig (--kubeconfig or KUBECONFIG); in a pod there are no contexts"
                    ),
                });
            }
            let port = std::env::var("KUBERNETES_SERVICE_PORT").unwrap_or_else(|_| "443".into());
            return in_cluster(&host, &port, dir);
        }
    }
    let home_config = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".kube").join("config"))
        .unwrap_or_else(|| PathBuf::from("~/.kube/config"));
    if home_config.exists() {
        return from_kubeconfig_files(&[home_config], context);
    }
    Err(K8sError::NoConfig {
        token: format!("{SA_DIR}/token"),
        home_config: home_config.display().to_string(),
    })
}

/// The pod's service account: token, CA and namespace from `dir`.
pub fn in_cluster(host: &str, port: &str, dir: &Path) -> Result<ApiConfig, K8sError> {
    let source = "in-cluster service account".to_string();
    let bad = |reason: String| K8sError::Config {
        source_name: source.clone(),
        reason,
    };
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| bad(format!("{}: {e}", dir.join(name).display())))
    };
    let token = String::from_utf8_lossy(&read("token")?).trim().to_string();
    let ca = read("ca.crt")?;
    let namespace = read("namespace")
        .map(|n| String::from_utf8_lossy(&n).trim().to_string())
        .unwrap_or_else(|_| "default".into());
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Ok(ApiConfig {
        server: format!("https://{host}:{port}"),
        ca_pem: Some(ca),
        insecure: false,
        tls_server_name: None,
        auth: Auth::Token(token),
        namespace,
        proxy_url: None,
        source,
    })
}

#[derive(Debug, Default, Deserialize)]
struct KubeConfig {
    #[serde(default)]
    clusters: Option<Vec<NamedCluster>>,
    #[serde(default)]
    users: Option<Vec<NamedUser>>,
    #[serde(default)]
    contexts: Option<Vec<NamedContext>>,
    #[serde(default, rename = "current-context")]
    current_context: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NamedCluster {
    name: String,
    #[serde(default)]
    cluster: Option<Cluster>,
}

#[derive(Debug, Deserialize)]
struct NamedUser {
    name: String,
    #[serde(default)]
    user: Option<User>,
}

#[derive(Debug, Deserialize)]
struct NamedContext {
    name: String,
    #[serde(default)]
    context: Option<Ctx>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Cluster {
    server: Option<String>,
    certificate_authority: Option<String>,
    certificate_authority_data: Option<String>,
    #[serde(default)]
    insecure_skip_tls_verify: bool,
    tls_server_name: Option<String>,
    proxy_url: Option<String>,
    #[serde(default)]
    disable_compression: bool,
    #[serde(default)]
    extensions: Option<Vec<NamedExtension>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct NamedExtension {
    name: String,
    #[serde(default)]
    extension: Option<serde_norway::Value>,
}

/// The extension that carries per-cluster configuration for exec plugins.
const EXEC_EXTENSION: &str = "client.authentication.k8s.io/exec";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct User {
    token: Option<String>,
    #[serde(rename = "tokenFile")]
    token_file: Option<String>,
    client_certificate: Option<String>,
    client_certificate_data: Option<String>,
    client_key: Option<String>,
    client_key_data: Option<String>,
    exec: Option<Exec>,
    auth_provider: Option<serde_norway::Value>,
    username: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct Exec {
    command: String,
    #[serde(default)]
    args: Option<Vec<String>>,
    #[serde(default)]
    env: Option<Vec<EnvVar>>,
    #[serde(default, rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default, rename = "interactiveMode")]
    interactive_mode: Option<String>,
    #[serde(default, rename = "provideClusterInfo")]
    provide_cluster_info: bool,
    #[serde(default, rename = "installHint")]
    install_hint: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct EnvVar {
    name: String,
    value: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct Ctx {
    cluster: Option<String>,
    user: Option<String>,
    namespace: Option<String>,
}

/// Merges several kubeconfig files as kubectl does: the first file that names a cluster,
/// user or context (or sets current-context) wins. Missing files are skipped.
pub fn from_kubeconfig_files(
    paths: &[PathBuf],
    context: Option<&str>,
) -> Result<ApiConfig, K8sError> {
    let names = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let mut parsed = Vec::new();
    for p in paths {
        let text = match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(K8sError::Config {
                    source_name: format!("kubeconfig {}", p.display()),
                    reason: e.to_string(),
                });
            }
        };
        let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
        parsed.push((p.display().to_string(), text, dir));
    }
    if parsed.is_empty() {
        return Err(K8sError::Config {
            source_name: format!("KUBECONFIG={names}"),
            reason: "no such file".into(),
        });
    }
    let docs: Vec<(&str, &str, &Path)> = parsed
        .iter()
        .map(|(n, t, d)| (n.as_str(), t.as_str(), d.as_path()))
        .collect();
    from_kubeconfig_docs(&docs, context)
}

/// A resolved entry and the directory its relative paths are relative to.
struct Found<T> {
    value: T,
    dir: PathBuf,
}

/// Parses kubeconfig documents `(name, text, directory)`; see [`from_kubeconfig_files`].
pub fn from_kubeconfig_docs(
    docs: &[(&str, &str, &Path)],
    context: Option<&str>,
) -> Result<ApiConfig, K8sError> {
    let source_name = format!(
        "kubeconfig {}",
        docs.iter().map(|d| d.0).collect::<Vec<_>>().join(":")
    );
    let bad = |reason: String| K8sError::Config {
        source_name: source_name.clone(),
        reason,
    };
    let mut current: Option<String> = None;
    let mut clusters: Vec<(String, Found<Cluster>)> = Vec::new();
    let mut users: Vec<(String, Found<User>)> = Vec::new();
    let mut contexts: Vec<(String, Ctx)> = Vec::new();
    for (name, text, dir) in docs {
        let kc: KubeConfig = if text.trim().is_empty() {
            KubeConfig::default()
        } else {
            serde_norway::from_str(text).map_err(|e| bad(format!("{name}: {e}")))?
        };
        if current.is_none() {
            current = kc.current_context.filter(|c| !c.is_empty());
        }
        for c in kc.clusters.unwrap_or_default() {
            if !clusters.iter().any(|(n, _)| *n == c.name) {
                let value = c.cluster.unwrap_or_default();
                clusters.push((
                    c.name,
                    Found {
                        value,
                        dir: dir.to_path_buf(),
                    },
                ));
            }
        }
        for u in kc.users.unwrap_or_default() {
            if !users.iter().any(|(n, _)| *n == u.name) {
                let value = u.user.unwrap_or_default();
                users.push((
                    u.name,
                    Found {
                        value,
                        dir: dir.to_path_buf(),
                    },
                ));
            }
        }
        for c in kc.contexts.unwrap_or_default() {
            if !contexts.iter().any(|(n, _)| *n == c.name) {
                contexts.push((c.name, c.context.unwrap_or_default()));
            }
        }
    }
    let ctx_name = context.map(str::to_string).or(current).ok_or_else(|| {
        bad(
            "no current-context (set one with kubectl config use-context, or choose one with --context)"
                .into(),
        )
    })?;
    let ctx = contexts
        .iter()
        .find(|(n, _)| *n == ctx_name)
        .map(|(_, c)| c)
        .ok_or_else(|| bad(format!("context {ctx_name:?} is not defined")))?;
    let cluster_name = ctx
        .cluster
        .as_deref()
        .ok_or_else(|| bad(format!("context {ctx_name:?} names no cluster")))?;
    let cluster = clusters
        .iter()
        .find(|(n, _)| n == cluster_name)
        .map(|(_, c)| c)
        .ok_or_else(|| {
            bad(format!(
                "cluster {cluster_name:?} (of context {ctx_name:?}) is not defined"
            ))
        })?;
    let server = cluster
        .value
        .server
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad(format!("cluster {cluster_name:?} has no server")))?;
    let ca_pem = match (
        &cluster.value.certificate_authority_data,
        &cluster.value.certificate_authority,
    ) {
        (Some(data), _) if !data.is_empty() => Some(base64_decode(data).map_err(|e| {
            bad(format!(
                "cluster {cluster_name:?}: certificate-authority-data: {e}"
            ))
        })?),
        (_, Some(file)) if !file.is_empty() => {
            let path = cluster.dir.join(file);
            Some(std::fs::read(&path).map_err(|e| {
                bad(format!(
                    "cluster {cluster_name:?}: certificate-authority {}: {e}",
                    path.display()
                ))
            })?)
        }
        _ => None,
    };
    let auth = match ctx.user.as_deref().filter(|u| !u.is_empty()) {
        None => Auth::None,
        Some(user_name) => {
            let user = users
                .iter()
                .find(|(n, _)| n == user_name)
                .map(|(_, u)| u)
                .ok_or_else(|| {
                    bad(format!(
                        "user {user_name:?} (of context {ctx_name:?}) is not defined"
                    ))
                })?;
            user_auth(&user.value, &user.dir, &cluster.value, ca_pem.as_deref())
                .map_err(|e| bad(format!("user {user_name:?}: {e}")))?
        }
    };
    Ok(ApiConfig {
        server,
        ca_pem,
        insecure: cluster.value.insecure_skip_tls_verify,
        tls_server_name: cluster
            .value
            .tls_server_name
            .clone()
            .filter(|s| !s.is_empty()),
        auth,
        namespace: ctx
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into()),
        proxy_url: cluster.value.proxy_url.clone().filter(|p| !p.is_empty()),
        source: format!("{source_name} (context {ctx_name})"),
    })
}

fn data_or_file(
    data: &Option<String>,
    file: &Option<String>,
    dir: &Path,
    what: &str,
) -> Result<Option<Vec<u8>>, String> {
    match (data, file) {
        (Some(d), _) if !d.is_empty() => base64_decode(d)
            .map(Some)
            .map_err(|e| format!("{what}-data: {e}")),
        (_, Some(f)) if !f.is_empty() => {
            let path = dir.join(f);
            std::fs::read(&path)
                .map(Some)
                .map_err(|e| format!("{what} {}: {e}", path.display()))
        }
        _ => Ok(None),
    }
}

fn user_auth(
    u: &User,
    dir: &Path,
    cluster: &Cluster,
    ca_pem: Option<&[u8]>,
) -> Result<Auth, String> {
    let cert = data_or_file(
        &u.client_certificate_data,
        &u.client_certificate,
        dir,
        "client-certificate",
    )?;
    let key = data_or_file(&u.client_key_data, &u.client_key, dir, "client-key")?;
    match (cert, key) {
        (Some(cert_pem), Some(key_pem)) => return Ok(Auth::ClientCert { cert_pem, key_pem }),
        (Some(_), None) | (None, Some(_)) => {
            return Err("client-certificate and client-key go together".into());
        }
        (None, None) => {}
    }
    if let Some(t) = u.token.as_ref().filter(|t| !t.is_empty()) {
        return Ok(Auth::Token(t.trim().to_string()));
    }
    if let Some(f) = u.token_file.as_ref().filter(|f| !f.is_empty()) {
        let path = dir.join(f);
        let t = std::fs::read_to_string(&path)
            .map_err(|e| format!("tokenFile {}: {e}", path.display()))?;
        return Ok(Auth::Token(t.trim().to_string()));
    }
    if let Some(exec) = &u.exec {
        return exec_plugin(exec, cluster, ca_pem).map(|p| Auth::Exec(Box::new(p)));
    }
    if u.auth_provider.is_some() {
        return Err(
            "auth-provider plugins are not supported; use an exec plugin or a token".into(),
        );
    }
    if u.username.is_some() {
        return Err("basic authentication (username/password) is not supported; use a token or a client certificate".into());
    }
    Ok(Auth::None)
}

/// The exec plugin of a user, with the cluster information it is given when it asks for
/// it (`provideClusterInfo`): `spec.cluster` of the ExecCredential, as client-go fills it.
fn exec_plugin(e: &Exec, cluster: &Cluster, ca_pem: Option<&[u8]>) -> Result<ExecPlugin, String> {
    if e.command.trim().is_empty() {
        return Err("exec: no command".into());
    }
    let api_version = e
        .api_version
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "client.authentication.k8s.io/v1beta1".into());
    let interactive_mode = match e.interactive_mode.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => InteractiveMode::parse(m).map_err(|r| format!("exec: {r}"))?,
        None => InteractiveMode::IfAvailable,
    };
    let cluster_info = e.provide_cluster_info.then(|| {
        let mut c = json!({ "server": cluster.server.clone().unwrap_or_default() });
        if let Some(n) = cluster.tls_server_name.as_ref().filter(|n| !n.is_empty()) {
            c["tls-server-name"] = json!(n);
        }
        if cluster.insecure_skip_tls_verify {
            c["insecure-skip-tls-verify"] = json!(true);
        }
        if let Some(ca) = ca_pem {
            c["certificate-authority-data"] = json!(base64_encode(ca));
        }
        if let Some(p) = cluster.proxy_url.as_ref().filter(|p| !p.is_empty()) {
            c["proxy-url"] = json!(p);
        }
        if cluster.disable_compression {
            c["disable-compression"] = json!(true);
        }
        let config = cluster
            .extensions
            .iter()
            .flatten()
            .find(|x| x.name == EXEC_EXTENSION)
            .and_then(|x| x.extension.as_ref())
            .and_then(|v| serde_json::to_value(v).ok());
        if let Some(config) = config {
            c["config"] = config;
        }
        c
    });
    Ok(ExecPlugin {
        command: e.command.clone(),
        args: e.args.clone().unwrap_or_default(),
        env: e
            .env
            .iter()
            .flatten()
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect(),
        api_version,
        interactive_mode,
        install_hint: e.install_hint.clone().filter(|h| !h.trim().is_empty()),
        cluster_info,
    })
}

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (padding optional, whitespace ignored).
pub fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    fn val(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some((c - b'A') as u32),
            b'a'..=b'z' => Some((c - b'a') as u32 + 26),
            b'0'..=b'9' => Some((c - b'0') as u32 + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        if c.is_ascii_whitespace() || c == b'=' {
            continue;
        }
        let v = val(c).ok_or_else(|| format!("not base64 (character {:?})", c as char))?;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECONFIG: &str = r#"
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTg==
    server: https://10.0.0.1:6443
  name: prod
- cluster:
    server: https://other:443
    insecure-skip-tls-verify: true
    tls-server-name: api.other
  name: staging
contexts:
- context:
    cluster: prod
    user: admin
    namespace: redis
  name: prod-admin
- context:
    cluster: staging
    user: cert-user
  name: staging
current-context: prod-admin
preferences: {}
users:
- name: admin
  user:
    token: abc.def
- name: cert-user
  user:
    client-certificate: certs/client.crt
    client-key-data: a2V5
"#;

    fn doc(text: &str) -> Vec<(&str, &str, &Path)> {
        vec![("test", text, Path::new("/nonexistent"))]
    }

    #[test]
    fn current_context_with_token_and_ca_data() {
        let c = from_kubeconfig_docs(&doc(KUBECONFIG), None).unwrap();
        assert_eq!(c.server, "https://10.0.0.1:6443");
        assert_eq!(c.ca_pem.as_deref(), Some(&b"-----BEGIN"[..]));
        assert_eq!(c.auth, Auth::Token("abc.def".into()));
        assert_eq!(c.namespace, "redis");
        assert!(!c.insecure);
        assert!(c.source.contains("context prod-admin"), "{}", c.source);
    }

    #[test]
    fn other_context_with_client_cert_file_relative_to_the_kubeconfig() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("certs")).unwrap();
        std::fs::write(dir.path().join("certs/client.crt"), b"CERT").unwrap();
        let docs = vec![("test", KUBECONFIG, dir.path())];
        let c = from_kubeconfig_docs(&docs, Some("staging")).unwrap();
        assert_eq!(c.server, "https://other:443");
        assert!(c.insecure);
        assert_eq!(c.tls_server_name.as_deref(), Some("api.other"));
        assert_eq!(c.namespace, "default");
        assert_eq!(
            c.auth,
            Auth::ClientCert {
                cert_pem: b"CERT".to_vec(),
                key_pem: b"key".to_vec()
            }
        );
    }

    #[test]
    fn first_file_wins_when_merging() {
        let first =
            "current-context: a\nclusters:\n- name: c\n  cluster:\n    server: https://first\n";
        let second = "current-context: b\ncontexts:\n- name: a\n  context:\n    cluster: c\nclusters:\n- name: c\n  cluster:\n    server: https://second\n";
        let docs = vec![
            ("one", first, Path::new("/")),
            ("two", second, Path::new("/")),
        ];
        let c = from_kubeconfig_docs(&docs, None).unwrap();
        assert_eq!(c.server, "https://first");
        assert_eq!(c.auth, Auth::None);
    }

    #[test]
    fn errors_name_what_is_missing() {
        let e = from_kubeconfig_docs(&doc("clusters: []\n"), None).unwrap_err();
        assert!(e.to_string().contains("no current-context"), "{e}");
        let e = from_kubeconfig_docs(&doc(KUBECONFIG), Some("nope")).unwrap_err();
        assert!(
            e.to_string().contains("context \"nope\" is not defined"),
            "{e}"
        );
        let bad_user = KUBECONFIG.replace("token: abc.def", "username: u\n    password: p");
        let e = from_kubeconfig_docs(&doc(&bad_user), None).unwrap_err();
        assert!(e.to_string().contains("basic authentication"), "{e}");
        let e = from_kubeconfig_docs(&doc("{not yaml: ["), None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Kubernetes configuration kubeconfig test"),
            "{e}"
        );
    }

    #[test]
    fn exec_plugin_with_cluster_info() {
        let text = "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster:\n    server: 'https://h:6443'\n    certificate-authority-data: aGVsbG8=\n    proxy-url: http://proxy:3128\n    extensions:\n    - name: client.authentication.k8s.io/exec\n      extension: {audience: redis}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubelogin\n      args: [get-token]\n      env:\n      - {name: TOK, value: v}\n      interactiveMode: Never\n      provideClusterInfo: true\n      installHint: get kubelogin\n";
        let c = from_kubeconfig_docs(&doc(text), None).unwrap();
        assert_eq!(c.proxy_url.as_deref(), Some("http://proxy:3128"));
        let Auth::Exec(p) = c.auth else {
            panic!("{:?}", c.auth)
        };
        assert_eq!(p.command, "kubelogin");
        assert_eq!(p.args, ["get-token"]);
        assert_eq!(p.env, [("TOK".to_string(), "v".to_string())]);
        assert_eq!(p.interactive_mode, InteractiveMode::Never);
        assert_eq!(p.install_hint.as_deref(), Some("get kubelogin"));
        assert_eq!(
            p.cluster_info,
            Some(json!({
                "server": "https://h:6443",
                "certificate-authority-data": "aGVsbG8=",
                "proxy-url": "http://proxy:3128",
                "config": {"audience": "redis"},
            }))
        );
        // Without provideClusterInfo: no cluster; v1beta1 and IfAvailable by default.
        let plain = text
            .replace("      provideClusterInfo: true\n", "")
            .replace("      interactiveMode: Never\n", "")
            .replace("      apiVersion: client.authentication.k8s.io/v1\n", "");
        let Auth::Exec(p) = from_kubeconfig_docs(&doc(&plain), None).unwrap().auth else {
            panic!()
        };
        assert_eq!(p.cluster_info, None);
        assert_eq!(p.interactive_mode, InteractiveMode::IfAvailable);
        assert_eq!(p.api_version, "client.authentication.k8s.io/v1beta1");
        let bad = text.replace("interactiveMode: Never", "interactiveMode: Sometimes");
        let e = from_kubeconfig_docs(&doc(&bad), None).unwrap_err();
        assert!(
            e.to_string().contains("interactiveMode \"Sometimes\""),
            "{e}"
        );
    }

    #[test]
    fn in_cluster_reads_the_service_account() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "tok\n").unwrap();
        std::fs::write(dir.path().join("ca.crt"), "CA").unwrap();
        std::fs::write(dir.path().join("namespace"), "redis").unwrap();
        let c = in_cluster("10.96.0.1", "443", dir.path()).unwrap();
        assert_eq!(c.server, "https://10.96.0.1:443");
        assert_eq!(c.auth, Auth::Token("tok".into()));
        assert_eq!(c.namespace, "redis");
        let c = in_cluster("fd00::1", "443", dir.path()).unwrap();
        assert_eq!(c.server, "https://[fd00::1]:443");
    }

    #[test]
    fn base64() {
        for data in [
            &b""[..],
            b"h",
            b"he",
            b"hel",
            b"hello",
            &[0xff, 0x00, 0x7f, 0x80],
        ] {
            assert_eq!(base64_decode(&base64_encode(data)).unwrap(), data);
        }
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVs\nbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a*b").is_err());
    }
}
