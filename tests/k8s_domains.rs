//! `--domains kubernetes-node|kubernetes-zone` against a stand-in Kubernetes API server
//! (tests/common/k8s.rs: HTTPS, real JSON shapes) and real redis-server nodes on distinct
//! loopback IPs, where several Redis "pods" share one Kubernetes node.

mod common;
#[path = "common/k8s.rs"]
mod k8s;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use k8s::{FakeApi, Pod};
use serde_json::Value;

/// Six nodes, each on its own IP (as pods are).
fn six_pods(first: u8) -> Vec<RedisNode> {
    let hosts: Vec<(Ipv4Addr, usize)> = (0..6).map(|i| (ip(first + i), 1)).collect();
    start_on_hosts(
        &hosts,
        &NodeOptions {
            extra: vec![("cluster-node-timeout".into(), "2000".into())],
            ..NodeOptions::default()
        },
    )
}

/// `trib` with the kubeconfig and nothing else from the environment that could find another.
fn trib_k8s(kubeconfig: &Path) -> Command {
    let mut c = trib();
    c.env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("TRIB_KUBE_CONTEXT");
    c
}

/// id → (ip:port, master id if replica), from each node's own CLUSTER NODES.
fn topology(nodes: &[RedisNode]) -> BTreeMap<String, (String, Option<String>)> {
    let mut out = BTreeMap::new();
    for n in nodes {
        let text = n.cmd(&["CLUSTER", "NODES"]);
        let me = text.lines().find(|l| l.contains("myself")).unwrap();
        let f: Vec<&str> = me.split_whitespace().collect();
        let master = (f[3] != "-").then(|| f[3].to_string());
        out.insert(f[0].to_string(), (n.addr(), master));
    }
    out
}

fn settled(nodes: &[RedisNode]) -> bool {
    views_agree(nodes)
        && nodes
            .iter()
            .all(|n| n.cmd(&["CLUSTER", "INFO"]).contains("cluster_state:ok"))
}

/// Pods for `groups`: each group of addresses ("ip:port") runs on one worker `w{i}`.
fn pods_on_workers(groups: &[Vec<String>]) -> Vec<Pod> {
    let mut pods = Vec::new();
    for (w, g) in groups.iter().enumerate() {
        for (i, addr) in g.iter().enumerate() {
            let host = addr.rsplit_once(':').unwrap().0;
            pods.push(Pod::new(
                "redis",
                &format!("redis-{w}-{i}"),
                host,
                &format!("w{w}"),
            ));
        }
    }
    pods
}

#[test]
fn create_with_kubernetes_node_never_places_a_replica_with_its_master() {
    let nodes = six_pods(20);
    let addrs: Vec<String> = nodes.iter().map(|n| n.addr()).collect();

    // The IP-based plan: every IP differs, so any pairing looks perfect to it.
    let out = run(trib()
        .args(["--json", "--dry-run", "create", "--replicas", "1"])
        .args(&addrs));
    assert_eq!(out.code, 0, "{out:#?}");
    let plan = json(&out);
    // Put each planned master on one Kubernetes node with its planned replica: the worst
    // case for IP anti-affinity.
    let groups: Vec<Vec<String>> = plan["plan"]["masters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let mut g = vec![m["addr"].as_str().unwrap().to_string()];
            g.extend(
                m["replicas"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["addr"].as_str().unwrap().to_string()),
            );
            g
        })
        .collect();
    assert_eq!(groups.len(), 3);
    assert!(plan["plan"]["conflicts"].as_array().unwrap().is_empty());
    let api = FakeApi::start(&pods_on_workers(&groups), &[]);
    let kc = api.kubeconfig("redis");
    let worker_of: BTreeMap<String, String> = groups
        .iter()
        .enumerate()
        .flat_map(|(w, g)| g.iter().map(move |a| (a.clone(), format!("w{w}"))))
        .collect();

    // The same nodes, with domains from the API: the plan changes.
    let out = run(trib_k8s(&kc)
        .args([
            "--json",
            "--domains",
            "kubernetes-node",
            "--dry-run",
            "create",
            "--replicas",
            "1",
        ])
        .args(&addrs));
    assert_eq!(out.code, 0, "{out:#?}");
    let plan = json(&out);
    for m in plan["plan"]["masters"].as_array().unwrap() {
        assert_eq!(
            m["domain"],
            worker_of[m["addr"].as_str().unwrap()].as_str(),
            "{m}"
        );
        for r in m["replicas"].as_array().unwrap() {
            assert_ne!(
                r["domain"], m["domain"],
                "replica with its master: {plan:#}"
            );
        }
    }
    assert!(
        plan["plan"]["conflicts"].as_array().unwrap().is_empty(),
        "{plan:#}"
    );

    // And for real.
    let started = Instant::now();
    let out = run(trib_k8s(&kc)
        .args([
            "--domains",
            "kubernetes-node",
            "create",
            "--replicas",
            "1",
            "--yes",
        ])
        .args(&addrs));
    assert_eq!(out.code, 0, "{out:#?}");
    eprintln!(
        "create --domains kubernetes-node took {:?}",
        started.elapsed()
    );
    wait_until("the cluster settles", Duration::from_secs(30), || {
        settled(&nodes)
    });
    let topo = topology(&nodes);
    let mut replicas = 0;
    for (addr, master) in topo.values() {
        if let Some(m) = master {
            replicas += 1;
            let maddr = &topo[m].0;
            assert_ne!(
                worker_of[addr], worker_of[maddr],
                "replica {addr} is on {} with its master {maddr}",
                worker_of[addr]
            );
        }
    }
    assert_eq!(replicas, 3);
    let reqs = api.requests();
    assert!(
        reqs.iter().any(|r| r.starts_with(
            "GET /api/v1/namespaces/redis/pods?fieldSelector=status.podIP%3D127.0.0.20 "
        )),
        "{reqs:#?}"
    );
    // `check` with the same domains: no replica shares a Kubernetes node with its master.
    let out = run(trib_k8s(&kc)
        .args(["--json", "--domains", "kubernetes-node", "check"])
        .arg(&addrs[0]));
    assert_eq!(out.code, 0, "{out:#?}");
    let v = json(&out);
    assert!(
        v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["kind"] != "replica_same_domain"
                && p["kind"] != "domain_single_point_of_failure"),
        "{v:#}"
    );
}

#[test]
fn check_and_info_see_a_master_and_its_replica_on_one_kubernetes_node() {
    let nodes = six_pods(30);
    let addrs: Vec<String> = nodes.iter().map(|n| n.addr()).collect();
    let out = run(Command::new("redis-cli")
        .args(["--cluster", "create"])
        .args(&addrs)
        .args(["--cluster-replicas", "1", "--cluster-yes"]));
    assert_eq!(out.code, 0, "redis-cli --cluster create: {out:#?}");
    wait_until("the cluster settles", Duration::from_secs(30), || {
        settled(&nodes)
    });

    // Each master shares a worker with its replica (redis-cli only sees distinct IPs).
    let topo = topology(&nodes);
    let groups: Vec<Vec<String>> = topo
        .iter()
        .filter(|(_, (_, m))| m.is_none())
        .map(|(id, (addr, _))| {
            let mut g = vec![addr.clone()];
            g.extend(
                topo.values()
                    .filter(|(_, m)| m.as_deref() == Some(id.as_str()))
                    .map(|(a, _)| a.clone()),
            );
            g
        })
        .collect();
    assert_eq!(groups.len(), 3);
    let api = FakeApi::start(
        &pods_on_workers(&groups),
        &[
            ("w0", Some("zone-a")),
            ("w1", Some("zone-b")),
            ("w2", Some("zone-b")),
        ],
    );
    let kc = api.kubeconfig("redis");

    // By IP: healthy without any warning once the replicas have synced.
    wait_until(
        "`trib check --strict` (IP domains) passes",
        Duration::from_secs(30),
        || run(trib().args(["check", "--strict"]).arg(&addrs[0])).code == 0,
    );

    // By Kubernetes node: one warning per pair, exit 0 (warnings), 1 with --strict.
    let started = Instant::now();
    let out = run(trib_k8s(&kc)
        .args(["--json", "--domains", "kubernetes-node", "check"])
        .arg(&addrs[0]));
    eprintln!(
        "check --domains kubernetes-node took {:?}",
        started.elapsed()
    );
    assert_eq!(out.code, 0, "{out:#?}");
    let v = json(&out);
    let same: Vec<&Value> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "replica_same_domain")
        .collect();
    assert_eq!(same.len(), 3, "{v:#}");
    assert!(same.iter().all(|p| p["severity"] == "warning"));
    let domains: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["domain"].as_str().unwrap())
        .collect();
    assert!(
        domains.iter().all(|d| ["w0", "w1", "w2"].contains(d)),
        "{domains:?}"
    );
    let out = run(trib_k8s(&kc)
        .args(["--domains", "kubernetes-node", "check", "--strict"])
        .arg(&addrs[0]));
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stdout.contains("in the same failure domain w"),
        "{out:#?}"
    );

    // An explicit NODE=DOMAIN wins over the API.
    let out = run(trib_k8s(&kc)
        .args(["--json", "--domains", "kubernetes-node", "check"])
        .arg(format!("{}=rack-9", addrs[0])));
    assert_eq!(out.code, 0, "{out:#?}");
    let v = json(&out);
    let d: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            n["addr"].as_str().is_some_and(|a| a.ends_with(&addrs[0]))
                || n["node"] == addrs[0].as_str()
        })
        .map(|n| n["domain"].as_str().unwrap())
        .collect();
    assert_eq!(d, ["rack-9"], "{v:#}");

    // By zone: zone-b holds two masters with their replicas: losing it stops the cluster.
    let out = run(trib_k8s(&kc)
        .args(["--domains", "kubernetes-zone", "info"])
        .arg(&addrs[0]));
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(
        out.stdout.contains("zone-a") && out.stdout.contains("zone-b"),
        "{out:#?}"
    );
    assert!(
        out.stdout
            .contains("losing failure domain zone-b would stop the cluster")
            || out
                .stdout
                .contains("losing failure domain zone-a would stop the cluster"),
        "{out:#?}"
    );

    // failover --domain takes the Kubernetes node's name.
    let out = run(trib_k8s(&kc)
        .args([
            "--json",
            "--domains",
            "kubernetes-node",
            "--dry-run",
            "failover",
        ])
        .arg(&addrs[0])
        .args(["--domain", "w0"]));
    assert!(
        !out.stderr
            .contains("No master owning slots is in failure domain"),
        "{out:#?}"
    );
}

#[test]
fn api_problems_are_bad_input_and_change_nothing() {
    let nodes = start_on_hosts(
        &[(ip(40), 1), (ip(41), 1), (ip(42), 1)],
        &NodeOptions::default(),
    );
    let addrs: Vec<String> = nodes.iter().map(|n| n.addr()).collect();
    let before = snapshots(&nodes);
    let pods = vec![
        Pod::new("redis", "redis-0", "127.0.0.40", "w0"),
        Pod::new("redis", "redis-1", "127.0.0.41", "w1"),
        Pod::new("other", "redis-2", "127.0.0.42", "w1"),
    ];
    let api = FakeApi::start(&pods, &[("w0", Some("zone-a")), ("w1", None)]);
    let kc = api.kubeconfig("redis");
    let create = |kc: &Path, domains: &str| {
        run(trib_k8s(kc)
            .args(["--domains", domains, "create", "--yes"])
            .args(&addrs))
    };

    // A pod in another namespace is found through the all-namespaces list.
    let out = run(trib_k8s(&kc)
        .args([
            "--json",
            "--domains",
            "kubernetes-node",
            "--dry-run",
            "create",
        ])
        .args(&addrs));
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(
        api.requests()
            .iter()
            .any(|r| r.starts_with("GET /api/v1/pods?fieldSelector=status.podIP%3D127.0.0.42 "))
    );

    // Zones: a node without the label.
    let out = create(&kc, "kubernetes-zone");
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr.contains("Kubernetes node w1 (where pod "),
        "{out:#?}"
    );
    assert!(
        out.stderr
            .contains("has no topology.kubernetes.io/zone label"),
        "{out:#?}"
    );

    // Not allowed to list pods across namespaces: the pod in `other` is not found.
    api.forbid("list", "pods", None);
    let out = create(&kc, "kubernetes-node");
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr.contains("127.0.0.42:") && out.stderr.contains("no running pod has IP 127.0.0.42 (searched namespace redis; searching all namespaces needs RBAC: list pods cluster-wide"),
        "{out:#?}"
    );

    // Not allowed to get nodes (zones).
    api.forbid("get", "nodes", None);
    let out = run(trib_k8s(&api.kubeconfig("other"))
        .args(["--domains", "kubernetes-zone", "create", "--yes"])
        .arg(&addrs[2]));
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr.contains(
            "User \"system:serviceaccount:redis:trib\" needs RBAC: get nodes cluster-wide"
        ),
        "{out:#?}"
    );

    // Not allowed to list pods in the namespace.
    api.forbid("list", "pods", Some("redis"));
    let out = create(&kc, "kubernetes-node");
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr.contains(
            "User \"system:serviceaccount:redis:trib\" needs RBAC: list pods in namespace redis"
        ),
        "{out:#?}"
    );
    assert_eq!(
        out.stderr.lines().filter(|l| !l.trim().is_empty()).count(),
        1,
        "one line: {out:#?}"
    );

    // Wrong token.
    let bad = std::fs::read_to_string(&kc)
        .unwrap()
        .replace(k8s::TOKEN, "expired");
    let bad_kc = kc.with_file_name("kubeconfig-bad-token");
    std::fs::write(&bad_kc, bad).unwrap();
    let out = create(&bad_kc, "kubernetes-node");
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr.contains("rejected the credentials (401"),
        "{out:#?}"
    );

    // API unreachable: a port nobody listens on; and one that never answers the handshake.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    for port in [closed_port, silent.local_addr().unwrap().port()] {
        let text = std::fs::read_to_string(&kc)
            .unwrap()
            .replace(&api.addr.to_string(), &format!("127.0.0.1:{port}"));
        let unreachable = kc.with_file_name(format!("kubeconfig-{port}"));
        std::fs::write(&unreachable, text).unwrap();
        let started = Instant::now();
        let out = run(trib_k8s(&unreachable)
            .args(["--connect-timeout", "500ms"])
            .args(["--domains", "kubernetes-node", "create", "--yes"])
            .args(&addrs));
        let took = started.elapsed();
        assert_eq!(out.code, 2, "{out:#?}");
        assert!(
            out.stderr.contains(&format!(
                "the Kubernetes API at https://127.0.0.1:{port} is unreachable"
            )),
            "{out:#?}"
        );
        assert!(took < Duration::from_secs(5), "took {took:?}");
    }

    // No configuration at all.
    let home = tempfile::tempdir().unwrap();
    let out = run(trib()
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", home.path())
        .args(["--domains", "kubernetes-node", "create", "--yes"])
        .args(&addrs));
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr.contains("no Kubernetes configuration found"),
        "{out:#?}"
    );

    assert_eq!(snapshots(&nodes), before, "nothing may change");
}
