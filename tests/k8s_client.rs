//! The Kubernetes client behind `--domains kubernetes-node`: exec credential plugins (a
//! deadline, their messages shown, `interactiveMode`, `provideClusterInfo`), `--kubeconfig`,
//! `--context`, `--namespace`, and proxies (`proxy-url`, `HTTPS_PROXY`, `NO_PROXY`), against
//! the stand-in API server (tests/common/k8s.rs), an HTTP CONNECT proxy written here, and
//! real redis-server nodes on distinct loopback IPs.

mod common;
#[path = "common/k8s.rs"]
mod k8s;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use k8s::{FakeApi, Pod};

/// Three Redis "pods", and the fake API that knows them (namespace `redis`, node `w0`/`w1`/`w2`).
fn pods(first: u8) -> (Vec<RedisNode>, Vec<String>, FakeApi) {
    let nodes = start_on_hosts(
        &[(ip(first), 1), (ip(first + 1), 1), (ip(first + 2), 1)],
        &NodeOptions::default(),
    );
    let addrs: Vec<String> = nodes.iter().map(|n| n.addr()).collect();
    let pods: Vec<Pod> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            Pod::new(
                "redis",
                &format!("redis-{i}"),
                &n.ip.to_string(),
                &format!("w{i}"),
            )
        })
        .collect();
    let api = FakeApi::start(&pods, &[]);
    (nodes, addrs, api)
}

/// `trib` with no Kubernetes configuration from the environment (each test passes its own).
fn trib_clean() -> Command {
    let mut c = trib();
    for v in [
        "KUBECONFIG",
        "KUBERNETES_SERVICE_HOST",
        "TRIB_KUBE_CONTEXT",
        "TRIB_KUBE_NAMESPACE",
        "TRIB_KUBE_EXEC_TIMEOUT",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        c.env_remove(v);
    }
    c
}

/// `--dry-run create` with failure domains from the API: the cheapest command that reads it.
fn dry_create(c: &mut Command, addrs: &[String]) -> Output {
    run(c
        .args([
            "--json",
            "--domains",
            "kubernetes-node",
            "--dry-run",
            "create",
        ])
        .args(addrs))
}

/// The planned masters' domains.
fn planned_domains(out: &Output) -> Vec<String> {
    let mut d: Vec<String> = json(out)["plan"]["masters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["domain"].as_str().unwrap().to_string())
        .collect();
    d.sort();
    d
}

/// The fake API's kubeconfig with its `users` replaced by `user_yaml` (the lines under `user:`).
fn kubeconfig_with_user(api: &FakeApi, dir: &Path, name: &str, user_yaml: &str) -> PathBuf {
    let text = std::fs::read_to_string(api.kubeconfig("redis")).unwrap();
    let at = text.find("users:\n").unwrap();
    let text = format!("{}users:\n- name: trib\n  user:\n{user_yaml}", &text[..at]);
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn an_exec_plugin_that_never_finishes_stops_at_the_deadline_with_its_message_shown() {
    let (nodes, addrs, api) = pods(60);
    let dir = tempfile::tempdir().unwrap();
    let plugin = script(
        dir.path(),
        "kubelogin",
        "echo 'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code TRIB-TEST-42 to authenticate.' >&2\nexec sleep 600",
    );
    let kc = kubeconfig_with_user(
        &api,
        dir.path(),
        "kubeconfig-hanging",
        &format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {}\n      args: [get-token, --login, devicecode]\n",
            plugin.display()
        ),
    );
    let before = snapshots(&nodes);
    for how in ["flag", "env"] {
        let mut c = trib_clean();
        c.env("KUBECONFIG", &kc);
        match how {
            "flag" => c.args(["--kube-exec-timeout", "1500ms"]),
            _ => c.env("TRIB_KUBE_EXEC_TIMEOUT", "1500ms"),
        };
        let started = Instant::now();
        let out = run(c
            .args(["--domains", "kubernetes-node", "create", "--yes"])
            .args(&addrs));
        let took = started.elapsed();
        assert_eq!(out.code, 2, "{how}: {out:#?}");
        assert!(
            took >= Duration::from_millis(1400) && took < Duration::from_secs(6),
            "{how}: took {took:?}"
        );
        // The plugin's own message, as it came, and an error naming the plugin and the deadline.
        assert!(
            out.stderr
                .contains("enter the code TRIB-TEST-42 to authenticate."),
            "{out:#?}"
        );
        assert!(
            out.stderr.contains(&format!(
                "exec credential plugin {} gave no credential within 1.5s (--kube-exec-timeout)",
                plugin.display()
            )),
            "{out:#?}"
        );
    }
    assert!(api.requests().is_empty(), "no credential, no request");
    assert_eq!(snapshots(&nodes), before, "nothing may change");
}

#[test]
fn exec_plugins_get_the_cluster_info_and_interactive_mode_is_honoured() {
    let (_nodes, addrs, api) = pods(63);
    let dir = tempfile::tempdir().unwrap();
    let info = dir.path().join("exec-info.json");
    let plugin = script(
        dir.path(),
        "get-token",
        &format!(
            "printf '%s' \"$KUBERNETES_EXEC_INFO\" > {}\necho \"got a token for $AUDIENCE\" >&2\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{}\"}}}}'",
            info.display(),
            k8s::TOKEN
        ),
    );
    let exec = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      env:\n      - name: AUDIENCE\n        value: redis-admins\n      interactiveMode: IfAvailable\n      provideClusterInfo: true\n",
        plugin.display()
    );
    let kc = kubeconfig_with_user(&api, dir.path(), "kubeconfig-exec", &exec);

    // The plugin's token is used; its message is shown.
    let out = dry_create(trib_clean().env("KUBECONFIG", &kc), &addrs);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(planned_domains(&out), ["w0", "w1", "w2"]);
    assert!(
        out.stderr.contains("got a token for redis-admins"),
        "{out:#?}"
    );
    // KUBERNETES_EXEC_INFO: not interactive (no terminal), the cluster as the kubeconfig has it.
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&info).unwrap()).unwrap();
    assert_eq!(v["kind"], "ExecCredential");
    assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(v["spec"]["interactive"], false);
    assert_eq!(
        v["spec"]["cluster"]["server"],
        format!("https://{}", api.addr)
    );
    let kc_text = std::fs::read_to_string(&kc).unwrap();
    let ca = v["spec"]["cluster"]["certificate-authority-data"]
        .as_str()
        .unwrap();
    assert!(
        kc_text.contains(&format!("certificate-authority-data: {ca}")),
        "{v:#}"
    );

    // interactiveMode Always without a terminal: refused at once, naming the plugin, which
    // never runs.
    std::fs::remove_file(&info).unwrap();
    let always = kubeconfig_with_user(
        &api,
        dir.path(),
        "kubeconfig-always",
        &exec.replace("interactiveMode: IfAvailable", "interactiveMode: Always"),
    );
    let started = Instant::now();
    let out = dry_create(trib_clean().env("KUBECONFIG", &always), &addrs);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        out.stderr.contains(&format!(
            "exec credential plugin {} has interactiveMode Always but standard input is not a terminal",
            plugin.display()
        )),
        "{out:#?}"
    );
    assert!(!info.exists(), "the plugin must not have run");

    // A plugin that fails: its exit status and message.
    let failing = script(
        dir.path(),
        "expired",
        "echo 'error: the refresh token has expired; run: aws sso login' >&2\nexit 1",
    );
    let kc = kubeconfig_with_user(
        &api,
        dir.path(),
        "kubeconfig-failing",
        &format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {}\n",
            failing.display()
        ),
    );
    let out = dry_create(trib_clean().env("KUBECONFIG", &kc), &addrs);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr.contains(&format!(
            "exec credential plugin {} failed (exit status: 1); it said: error: the refresh token has expired",
            failing.display()
        )),
        "{out:#?}"
    );
}

#[test]
fn kubeconfig_context_and_namespace_flags() {
    let (_nodes, addrs, api) = pods(66);
    let dir = tempfile::tempdir().unwrap();
    // A kubeconfig whose current context is broken, and that searches namespace `other`.
    let text = std::fs::read_to_string(api.kubeconfig("other"))
        .unwrap()
        .replace("current-context: fake", "current-context: broken")
        .replace(
            "contexts:\n",
            "contexts:\n- name: broken\n  context:\n    cluster: nowhere\n    user: trib\n",
        );
    let kc = dir.path().join("kubeconfig");
    std::fs::write(&kc, text).unwrap();

    let out = dry_create(trib_clean().arg("--kubeconfig").arg(&kc), &addrs);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr
            .contains("cluster \"nowhere\" (of context \"broken\") is not defined"),
        "{out:#?}"
    );

    // --context (and TRIB_KUBE_CONTEXT) pick another; --kubeconfig wins over KUBECONFIG.
    let out = dry_create(
        trib_clean()
            .env("KUBECONFIG", "/nonexistent/kubeconfig")
            .arg("--kubeconfig")
            .arg(&kc)
            .args(["--context", "fake"]),
        &addrs,
    );
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(planned_domains(&out), ["w0", "w1", "w2"]);
    let out = dry_create(
        trib_clean()
            .env("KUBECONFIG", &kc)
            .env("TRIB_KUBE_CONTEXT", "fake"),
        &addrs,
    );
    assert_eq!(out.code, 0, "{out:#?}");
    // The context's namespace (`other`) was searched first, then every namespace.
    let first = format!(
        "GET /api/v1/namespaces/other/pods?fieldSelector=status.podIP%3D{}",
        nodes_ip(&addrs[0])
    );
    assert!(
        api.requests().iter().any(|r| r.starts_with(&first)),
        "{:#?}",
        api.requests()
    );

    // --namespace (and TRIB_KUBE_NAMESPACE) replace it.
    for how in ["flag", "env"] {
        let before = api.requests().len();
        let mut c = trib_clean();
        c.arg("--kubeconfig").arg(&kc).args(["--context", "fake"]);
        match how {
            "flag" => c.args(["--namespace", "redis"]),
            _ => c.env("TRIB_KUBE_NAMESPACE", "redis"),
        };
        let out = dry_create(&mut c, &addrs);
        assert_eq!(out.code, 0, "{how}: {out:#?}");
        let reqs = &api.requests()[before..];
        assert_eq!(
            reqs.len(),
            3,
            "{how}: one list per pod, in namespace redis: {reqs:#?}"
        );
        assert!(
            reqs.iter()
                .all(|r| r.starts_with("GET /api/v1/namespaces/redis/pods?")),
            "{how}: {reqs:#?}"
        );
    }
}

fn nodes_ip(addr: &str) -> &str {
    addr.rsplit_once(':').unwrap().0
}

/// An HTTP CONNECT proxy: records each request line, requires `Proxy-Authorization` when
/// `auth` is set, and tunnels every CONNECT to `upstream` whatever host it names (so the API
/// server can have a name that only the proxy "resolves").
struct ConnectProxy {
    addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl ConnectProxy {
    fn start(upstream: SocketAddr, auth: Option<&'static str>) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (lines, stop) = (lines.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((sock, _)) => {
                            let lines = lines.clone();
                            std::thread::spawn(move || tunnel(sock, upstream, auth, &lines));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
            });
        }
        ConnectProxy { addr, lines, stop }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

fn tunnel(
    mut client: TcpStream,
    upstream: SocketAddr,
    auth: Option<&str>,
    lines: &Mutex<Vec<String>>,
) {
    client.set_nonblocking(false).ok();
    client.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut b) {
            Ok(1) => head.push(b[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let first = head.lines().next().unwrap_or_default().to_string();
    lines.lock().unwrap().push(first.clone());
    if let Some(a) = auth {
        let ok = head
            .lines()
            .any(|l| l.eq_ignore_ascii_case(&format!("proxy-authorization: basic {a}")));
        if !ok {
            let _ = client.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
            );
            return;
        }
    }
    if !first.starts_with("CONNECT ") {
        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    let Ok(server) = TcpStream::connect(upstream) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
        return;
    };
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    client.set_read_timeout(None).ok();
    let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let (mut c1, mut s1) = (client, server);
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut c1, &mut s1);
        let _ = s1.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut s2, &mut c2);
    let _ = c2.shutdown(std::net::Shutdown::Write);
    let _ = t.join();
}

/// "trib:proxy-pass" in base64.
const PROXY_AUTH: &str = "dHJpYjpwcm94eS1wYXNz";

#[test]
fn the_api_is_reached_through_an_http_connect_proxy() {
    let (_nodes, addrs, api) = pods(69);
    let proxy = ConnectProxy::start(api.addr, Some(PROXY_AUTH));
    let dir = tempfile::tempdir().unwrap();
    // The API server by a name only the proxy knows; the fake API's certificate is for
    // `localhost`.
    let base = std::fs::read_to_string(api.kubeconfig("redis"))
        .unwrap()
        .replace(
            &format!("server: https://{}\n", api.addr),
            "server: https://kubernetes.trib-test.invalid:6443\n    tls-server-name: localhost\n",
        );
    let write = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let connect_line = "CONNECT kubernetes.trib-test.invalid:6443 HTTP/1.1";

    // proxy-url in the kubeconfig, with credentials.
    let kc = write(
        "kubeconfig-proxy-url",
        base.replace(
            "    tls-server-name: localhost\n",
            &format!(
                "    tls-server-name: localhost\n    proxy-url: http://trib:proxy-pass@{}\n",
                proxy.addr
            ),
        ),
    );
    let out = dry_create(trib_clean().env("KUBECONFIG", &kc), &addrs);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(planned_domains(&out), ["w0", "w1", "w2"]);
    assert_eq!(
        proxy.lines(),
        vec![connect_line; 3],
        "one tunnel per request"
    );

    // HTTPS_PROXY, and a proxy that refuses (no credentials: 407) is an error naming it.
    let kc = write("kubeconfig-env", base.clone());
    let out = dry_create(
        trib_clean().env("KUBECONFIG", &kc).env(
            "HTTPS_PROXY",
            format!("http://trib:proxy-pass@{}", proxy.addr),
        ),
        &addrs,
    );
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(proxy.lines().len(), 6);
    let out = dry_create(
        trib_clean()
            .env("KUBECONFIG", &kc)
            .env("https_proxy", format!("http://{}", proxy.addr)),
        &addrs,
    );
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr.contains(&format!(
            "proxy http://{} (https_proxy) refused CONNECT kubernetes.trib-test.invalid:6443: HTTP/1.1 407 Proxy Authentication Required",
            proxy.addr
        )),
        "{out:#?}"
    );
    assert!(!out.stderr.contains("proxy-pass"), "{out:#?}");

    // NO_PROXY names the server: no proxy, so the name does not resolve.
    let before = proxy.lines().len();
    let out = dry_create(
        trib_clean()
            .env("KUBECONFIG", &kc)
            .env(
                "HTTPS_PROXY",
                format!("http://trib:proxy-pass@{}", proxy.addr),
            )
            .env("NO_PROXY", "localhost,.trib-test.invalid")
            .args(["--connect-timeout", "1s"]),
        &addrs,
    );
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr.contains(
            "the Kubernetes API at https://kubernetes.trib-test.invalid:6443 is unreachable"
        ),
        "{out:#?}"
    );
    assert_eq!(proxy.lines().len(), before, "NO_PROXY bypasses the proxy");

    // A SOCKS proxy is refused, never silently skipped.
    let kc = write(
        "kubeconfig-socks",
        base.replace(
            "    tls-server-name: localhost\n",
            "    tls-server-name: localhost\n    proxy-url: socks5://127.0.0.1:1080\n",
        ),
    );
    let out = dry_create(trib_clean().env("KUBECONFIG", &kc), &addrs);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr
            .contains("proxy-url socks5://127.0.0.1:1080: SOCKS proxies are not supported"),
        "{out:#?}"
    );
}
