//! `trib fix` re-forming a cluster after every pod restarted with a new IP (nodes.conf
//! kept), on real redis-server nodes and a dnsmasq DNS server.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::dns::{DnsRecord, DnsServer};
use common::*;

/// Slot → index of the master node owning it, from `view_of`'s CLUSTER NODES.
fn owners(nodes: &[RedisNode], view_of: &RedisNode) -> BTreeMap<u16, usize> {
    let ids: Vec<String> = nodes.iter().map(RedisNode::node_id).collect();
    let mut out = BTreeMap::new();
    for l in cluster_nodes(view_of).iter().filter(|l| l.is_master()) {
        let idx = ids.iter().position(|i| *i == l.id).expect("a known node");
        for (a, b) in l.ranges() {
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
        let replies = nodes[idx].pipe(&cmds);
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
        let got = nodes[idx].pipe(&cmds);
        let want: Vec<String> = keys.iter().map(|i| value(*i)).collect();
        assert_eq!(got, want, "keys on {}", nodes[idx].addr());
    }
}

#[test]
fn every_pod_restarted_with_a_new_ip() {
    // One node per IP, all on the same client port, like pods behind a headless service.
    let port = free_port_on_every_ip();
    let mut nodes = TestCluster::new()
        .replicas(1)
        .options(NodeOptions {
            port: Some(port),
            ..quick_opts()
        })
        .hosts(&(2..8).map(ip).collect::<Vec<_>>())
        .settled()
        .start();
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
        let view = cluster_nodes(n);
        assert_eq!(view.len(), 6);
        for l in view.iter().filter(|l| !l.is_myself()) {
            let idx = ids.iter().position(|x| *x == l.id).unwrap();
            assert_eq!(l.ip(), ip(2 + idx as u8).to_string(), "stale view");
        }
    }
    wait_until("the cluster is down", Duration::from_secs(20), || {
        nodes
            .iter()
            .all(|n| cluster_info_field(n, "cluster_state") == "fail")
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
        assert_eq!(cluster_info_field(n, "cluster_state"), "ok", "{}", n.addr());
        let view = cluster_nodes(n);
        assert_eq!(view.len(), 6, "{}: {view:?}", n.addr());
        for l in &view {
            let idx = ids
                .iter()
                .position(|x| *x == l.id)
                .expect("only the six nodes");
            assert_eq!(
                l.ip(),
                ip(12 + idx as u8).to_string(),
                "{} sees {}",
                n.addr(),
                l.id
            );
            for bad in ["fail", "handshake", "noaddr"] {
                assert!(
                    !l.flags.iter().any(|f| f.contains(bad)),
                    "{} sees {l:?}",
                    n.addr()
                );
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
    let doc = json(&out);
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(doc["plan"]["meets"].as_array().map(Vec::len), Some(0));
}
