//! Where the Kubernetes API is and how to authenticate: in-cluster (the pod's service
//! account) or a kubeconfig file (`KUBECONFIG`, else `~/.kube/config`).
//!
//! Order: `KUBECONFIG` when set; else in-cluster when `KUBERNETES_SERVICE_HOST` is set and
//! the service-account token exists; else `~/.kube/config`.
//! Supported in kubeconfig: the current context (or `TRIB_KUBE_CONTEXT`), the cluster's
//! `server`, `certificate-authority(-data)`, `insecure-skip-tls-verify`, `tls-server-name`;
//! the user's `token`, `tokenFile`, `client-certificate(-data)` + `client-key(-data)`, and
//! `exec` credential plugins (EKS, GKE, AKS) returning a token or a client certificate.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::K8sError;

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
}

/// Reads the configuration from the environment (see the module docs for the order).
pub fn load() -> Result<ApiConfig, K8sError> {
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        return from_kubeconfig_files(&paths, context_override().as_deref());
    }
    if let Some(host) = std::env::var("KUBERNETES_SERVICE_HOST")
        .ok()
        .filter(|h| !h.is_empty())
    {
        let dir = Path::new(SA_DIR);
        if dir.join("token").exists() {
            let port = std::env::var("KUBERNETES_SERVICE_PORT").unwrap_or_else(|_| "443".into());
            return in_cluster(&host, &port, dir);
        }
    }
    let home_config = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".kube").join("config"))
        .unwrap_or_else(|| PathBuf::from("~/.kube/config"));
    if home_config.exists() {
        return from_kubeconfig_files(&[home_config], context_override().as_deref());
    }
    Err(K8sError::NoConfig {
        token: format!("{SA_DIR}/token"),
        home_config: home_config.display().to_string(),
    })
}

fn context_override() -> Option<String> {
    std::env::var("TRIB_KUBE_CONTEXT")
        .ok()
        .filter(|c| !c.is_empty())
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
}

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
            "no current-context (set one with kubectl config use-context, or TRIB_KUBE_CONTEXT)"
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
            user_auth(&user.value, &user.dir)
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

fn user_auth(u: &User, dir: &Path) -> Result<Auth, String> {
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
        return run_exec(exec);
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

/// Runs an exec credential plugin (`client.authentication.k8s.io`) and takes the token or
/// client certificate from its `ExecCredential` status.
fn run_exec(exec: &Exec) -> Result<Auth, String> {
    let api_version = exec
        .api_version
        .clone()
        .unwrap_or_else(|| "client.authentication.k8s.io/v1beta1".into());
    let info = serde_json::json!({
        "apiVersion": api_version,
        "kind": "ExecCredential",
        "spec": {"interactive": false},
    });
    let mut cmd = std::process::Command::new(&exec.command);
    cmd.args(exec.args.iter().flatten())
        .env("KUBERNETES_EXEC_INFO", info.to_string())
        .stdin(std::process::Stdio::null());
    for e in exec.env.iter().flatten() {
        cmd.env(&e.name, &e.value);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("exec plugin {}: {e}", exec.command))?;
    if !out.status.success() {
        return Err(format!(
            "exec plugin {} failed ({}): {}",
            exec.command,
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "exec plugin {}: output is not an ExecCredential: {e}",
            exec.command
        )
    })?;
    let status = &v["status"];
    if let Some(t) = status["token"].as_str() {
        return Ok(Auth::Token(t.to_string()));
    }
    if let (Some(c), Some(k)) = (
        status["clientCertificateData"].as_str(),
        status["clientKeyData"].as_str(),
    ) {
        return Ok(Auth::ClientCert {
            cert_pem: c.as_bytes().to_vec(),
            key_pem: k.as_bytes().to_vec(),
        });
    }
    Err(format!(
        "exec plugin {}: its ExecCredential has neither status.token nor a client certificate",
        exec.command
    ))
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
    fn exec_plugin_token() {
        let text = "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: 'https://h'}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: sh\n      args: ['-c', 'echo \"{\\\"status\\\":{\\\"token\\\":\\\"$TOK\\\"}}\"']\n      env:\n      - {name: TOK, value: from-plugin}\n";
        let c = from_kubeconfig_docs(&doc(text), None).unwrap();
        assert_eq!(c.auth, Auth::Token("from-plugin".into()));
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
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVs\nbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a*b").is_err());
    }
}
