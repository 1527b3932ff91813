//! `trib fix` re-forming a cluster after every pod restarted with a new IP (nodes.conf
//! kept), on real redis-server nodes and a dnsmasq DNS server.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::dns::{DnsRecord, DnsServer};
use common::*;

/// (id, ip, flags, slot ranges) per CLUSTER NODES line.
fn lines(n: &RedisNode) -> Vec<(String, String, String, Vec<String>)> {
    n.cmd(&["CLUSTER", "NODES"])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let addr = f[1].split(['@', ',']).next().unwrap_or("");
            let ip = addr
                .rsplit_once(':')
                .map(|(i, _)| i)
                .unwrap_or("")
                .to_string();
            let slots = f[8..]
                .iter()
                .filter(|s| !s.starts_with('['))
                .map(|s| s.to_string())
                .collect();
            (f[0].into(), ip, f[2].into(), slots)
        })
        .collect()
}

fn cluster_state(n: &RedisNode) -> String {
    n.cmd(&["CLUSTER", "INFO"])
        .lines()
        .find_map(|l| l.strip_prefix("cluster_state:"))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Runs many commands on one node through one redis-cli (stdin), returns stdout lines.
fn pipe(n: &RedisNode, commands: &[String]) -> Vec<String> {
    let mut child = Command::new("redis-cli")
        .args(["-h", &n.ip.to_string(), "-p", &n.port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("redis-cli");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for c in commands {
            writeln!(stdin, "{c}").expect("write");
        }
    }
    let out = child.wait_with_output().expect("redis-cli");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Slot → index of the master node owning it, from `view_of`'s CLUSTER NODES.
fn owners(nodes: &[RedisNode], view_of: &RedisNode) -> BTreeMap<u16, usize> {
    let ids: Vec<String> = nodes.iter().map(RedisNode::node_id).collect();
    let mut out = BTreeMap::new();
    for (id, _, flags, slots) in lines(view_of) {
        if !flags.contains("master") {
            continue;
        }
        let idx = ids.iter().position(|i| *i == id).expect("a known node");
        for r in slots {
            let (a, b) = match r.split_once('-') {
                Some((a, b)) => (a.parse::<u16>().unwrap(), b.parse::<u16>().unwrap()),
                None => (r.parse().unwrap(), r.parse().unwrap()),
            };
            for s in a..=b {
                out.insert(s, idx);
            }
        }
    }
    out
}

fn key(i: usize) -> String {
    format!("user:{i}")
}

fn value(i: usize) -> String {
    format!("value-{i}")
}

const KEYS: usize = 300;

/// Writes every key on its owner (one redis-cli per master).
fn write_keys(nodes: &[RedisNode]) {
    let own = owners(nodes, &nodes[0]);
    let mut per: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for i in 0..KEYS {
        let slot = trib::model::key_slot(key(i).as_bytes());
        per.entry(own[&slot])
            .or_default()
            .push(format!("SET {} {}", key(i), value(i)));
    }
    for (idx, cmds) in per {
        let replies = pipe(&nodes[idx], &cmds);
        assert!(replies.iter().all(|r| r == "OK"), "{replies:?}");
    }
}

/// Reads every key from its owner (as the cluster sees it now).
fn assert_keys(nodes: &[RedisNode]) {
    let own = owners(nodes, &nodes[0]);
    let mut per: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..KEYS {
        per.entry(own[&trib::model::key_slot(key(i).as_bytes())])
            .or_default()
            .push(i);
    }
    for (idx, keys) in per {
        let cmds: Vec<String> = keys.iter().map(|i| format!("GET {}", key(*i))).collect();
        let got = pipe(&nodes[idx], &cmds);
        let want: Vec<String> = keys.iter().map(|i| value(*i)).collect();
        assert_eq!(got, want, "keys on {}", nodes[idx].addr());
    }
}

#[test]
fn every_pod_restarted_with_a_new_ip() {
    // One node per IP, all on the same client port, like pods behind a headless service.
    let port = free_port_on_every_ip();
    let opts = NodeOptions {
        port: Some(port),
        extra: vec![("cluster-node-timeout".into(), "1000".into())],
        ..Default::default()
    };
    let mut nodes = start_on_hosts(&(2..8).map(|i| (ip(i), 1)).collect::<Vec<_>>(), &opts);
    let addrs: Vec<String> = nodes.iter().map(RedisNode::addr).collect();
    let out = run(trib()
        .arg("create")
        .args(&addrs)
        .args(["--replicas", "1", "--yes"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    wait_until("views agree", Duration::from_secs(30), || {
        views_agree(&nodes)
    });
    write_keys(&nodes);
    let replicas: Vec<usize> = (0..6)
        .filter(|i| {
            nodes[*i]
                .cmd(&["INFO", "replication"])
                .contains("role:slave")
        })
        .collect();
    wait_until("replicas have every key", Duration::from_secs(30), || {
        let total: u64 = (0..6)
            .filter(|i| !replicas.contains(i))
            .map(|i| nodes[i].cmd(&["DBSIZE"]).parse::<u64>().unwrap())
            .sum();
        total == KEYS as u64
            && replicas
                .iter()
                .map(|i| nodes[*i].cmd(&["DBSIZE"]).parse::<u64>().unwrap())
                .sum::<u64>()
                == KEYS as u64
    });
    // The harness runs without persistence: save the data so it survives the restart
    // (a pod keeps its volume: nodes.conf and the dataset).
    // SAVE is refused while a replica's first sync runs a BGSAVE: retry until it succeeds.
    for n in &nodes {
        wait_until("SAVE succeeds", Duration::from_secs(30), || {
            n.try_cmd(&["SAVE"]).is_ok()
        });
    }
    let ids: Vec<String> = nodes.iter().map(RedisNode::node_id).collect();

    // Every pod goes down, then comes back on a new IP (cluster-announce-ip follows),
    // and DNS follows. (Restarting one at a time would let the cluster heal itself: a
    // node at its new IP still reaches the others at their old ones.)
    for n in nodes.iter_mut() {
        n.stop();
    }
    for (i, n) in nodes.iter_mut().enumerate() {
        n.restart_on(ip(12 + i as u8));
    }
    let records: Vec<DnsRecord> = (0..6)
        .map(|i| {
            DnsRecord::a(
                &format!("redis-app-{i}.redis-service"),
                &ip(12 + i as u8).to_string(),
            )
        })
        .collect();
    let dns = DnsServer::start(&records);

    // Stale and down: every node has its peers at the old IPs, cluster_state:fail.
    for n in &nodes {
        let view = lines(n);
        assert_eq!(view.len(), 6);
        for (id, peer_ip, flags, _) in &view {
            if !flags.contains("myself") {
                let idx = ids.iter().position(|x| x == id).unwrap();
                assert_eq!(peer_ip, &ip(2 + idx as u8).to_string(), "stale view");
            }
        }
    }
    wait_until("the cluster is down", Duration::from_secs(20), || {
        nodes.iter().all(|n| cluster_state(n) == "fail")
    });

    let t = Instant::now();
    let out = run(trib()
        .args(["--dns-server", &dns.addr().to_string()])
        .arg("fix")
        .arg(format!("redis-app-{{0..5}}.redis-service:{port}"))
        .arg("--yes"));
    let took = t.elapsed();
    eprintln!("{}\nfix took {took:?}", show(&out));
    assert_eq!(out.code, 0, "{}", show(&out));

    for n in &nodes {
        assert_eq!(cluster_state(n), "ok", "{}", n.addr());
        let view = lines(n);
        assert_eq!(view.len(), 6, "{}: {view:?}", n.addr());
        for (id, peer_ip, flags, _) in &view {
            let idx = ids
                .iter()
                .position(|x| x == id)
                .expect("only the six nodes");
            assert_eq!(
                peer_ip,
                &ip(12 + idx as u8).to_string(),
                "{} sees {id}",
                n.addr()
            );
            for bad in ["fail", "handshake", "noaddr"] {
                assert!(!flags.contains(bad), "{} sees {id} {flags}", n.addr());
            }
        }
    }
    assert_keys(&nodes);

    // Nothing stale now: fix changes nothing and says the cluster is fine.
    let out = run(trib()
        .args(["--dns-server", &dns.addr().to_string(), "--json"])
        .arg("fix")
        .arg(format!("redis-app-{{0..5}}.redis-service:{port}")));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(doc["plan"]["meets"].as_array().map(Vec::len), Some(0));
}
