//! `trib del-node` end to end, on real redis-server nodes. Assertions read the nodes
//! directly (CLUSTER NODES / INFO through redis-cli), never through trib.

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use common::*;

/// Failure detection matters here (the killed-master test): 1 s node timeout.
fn opts() -> NodeOptions {
    NodeOptions {
        extra: vec![("cluster-node-timeout".into(), "1000".into())],
        ..Default::default()
    }
}

/// One line of CLUSTER NODES: (id, "ip:port", flags, master id or "-").
fn lines(n: &RedisNode) -> Vec<(String, String, String, String)> {
    n.cmd(&["CLUSTER", "NODES"])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let addr = f[1].split(['@', ',']).next().unwrap_or("").to_string();
            (f[0].into(), addr, f[2].into(), f[3].into())
        })
        .collect()
}

fn knows(n: &RedisNode, id: &str) -> bool {
    lines(n).iter().any(|l| l.0 == id)
}

fn info_field(n: &RedisNode, section: &[&str], field: &str) -> String {
    n.cmd(section)
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn role(n: &RedisNode) -> String {
    info_field(n, &["INFO", "replication"], "role")
}

fn state_ok(n: &RedisNode) -> bool {
    info_field(n, &["CLUSTER", "INFO"], "cluster_state") == "ok"
}

/// Six nodes on three hosts, `trib create --replicas 1`, settled.
fn cluster() -> Vec<RedisNode> {
    let nodes = start_on_hosts(&[(ip(2), 2), (ip(3), 2), (ip(4), 2)], &opts());
    let addrs: Vec<String> = nodes.iter().map(RedisNode::addr).collect();
    let out = run(trib()
        .arg("create")
        .args(&addrs)
        .args(["--replicas", "1", "--yes"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    wait_until("views agree", Duration::from_secs(30), || {
        views_agree(&nodes)
    });
    // A replica that never synced is not allowed to fail over (data too old).
    wait_until("every replica synced", Duration::from_secs(30), || {
        nodes.iter().all(|n| {
            role(n) == "master"
                || info_field(n, &["INFO", "replication"], "master_link_status") == "up"
        })
    });
    nodes
}

fn check(entry: &RedisNode) -> Output {
    run(trib().arg("check").arg(entry.addr()))
}

fn del(entry: &RedisNode, node: &str, extra: &[&str]) -> Output {
    run(trib()
        .arg("del-node")
        .arg(entry.addr())
        .arg(node)
        .args(extra))
}

/// The removed node is gone from every view, and it is a clean node that knows nobody.
fn assert_removed(members: &[&RedisNode], removed: &RedisNode, old_id: &str) {
    for m in members {
        assert!(!knows(m, old_id), "{} still lists {old_id}", m.addr());
    }
    let own = lines(removed);
    assert_eq!(own.len(), 1, "the removed node knows nobody: {own:?}");
    assert_ne!(own[0].0, old_id, "CLUSTER RESET HARD gives a new ID");
    assert_eq!(removed.cmd(&["DBSIZE"]), "0");
    assert_eq!(role(removed), "master");
}

#[test]
fn removes_an_empty_master_added_by_hand() {
    let nodes = cluster();
    let extra = add_by_hand(&nodes.iter().collect::<Vec<_>>(), &nodes[0], ip(5));
    let id = extra.node_id();

    let t = Instant::now();
    let out = del(&nodes[1], &extra.addr(), &["--yes"]);
    eprintln!("del-node of an empty master: {:?}", t.elapsed());
    assert_eq!(out.code, 0, "{}", show(&out));
    let refs: Vec<&RedisNode> = nodes.iter().collect();
    assert_removed(&refs, &extra, &id);
    let c = check(&nodes[0]);
    assert_eq!(c.code, 0, "{}", show(&c));
}

#[test]
fn dry_run_and_no_terminal_change_nothing() {
    let nodes = cluster();
    let extra = add_by_hand(&nodes.iter().collect::<Vec<_>>(), &nodes[0], ip(5));
    let id = extra.node_id();
    let out = run(trib()
        .args(["--json", "--dry-run", "del-node"])
        .arg(nodes[0].addr())
        .arg(&id[..10]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(doc["changed"], false);
    assert_eq!(doc["plan"]["id"], id.as_str());
    assert_eq!(doc["plan"]["forget_on"].as_array().map(Vec::len), Some(6));
    let out = del(&nodes[0], &id, &[]);
    assert_eq!(out.code, 3, "{}", show(&out));
    assert!(nodes.iter().all(|n| knows(n, &id)));
    assert_eq!(lines(&extra).len(), 7);
}

#[test]
fn removes_a_replica_flushing_its_data() {
    let nodes = cluster();
    // Keys everywhere, through redis-cli -c so each lands on its owner.
    for i in 0..50 {
        let out = std::process::Command::new("redis-cli")
            .args(["-c", "-h", &nodes[0].ip.to_string(), "-p"])
            .arg(nodes[0].port.to_string())
            .args(["SET", &format!("key:{i}"), "v"])
            .output()
            .expect("redis-cli");
        assert!(out.status.success());
    }
    let replica = nodes
        .iter()
        .find(|n| role(n) == "slave")
        .expect("a replica");
    wait_until("the replica has data", Duration::from_secs(20), || {
        replica.cmd(&["DBSIZE"]) != "0"
    });
    let id = replica.node_id();
    let out = del(&nodes[0], &id[..8], &["--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let others: Vec<&RedisNode> = nodes.iter().filter(|n| n.node_id() != id).collect();
    assert_removed(&others, replica, &id);
    let c = check(others[0]);
    assert_eq!(c.code, 0, "{}", show(&c));
}

#[test]
fn removes_a_master_without_slots_repointing_its_replicas() {
    let nodes = cluster();
    let g = add_by_hand(&nodes.iter().collect::<Vec<_>>(), &nodes[0], ip(5));
    let mut all: Vec<&RedisNode> = nodes.iter().collect();
    all.push(&g);
    let h = add_by_hand(&all, &nodes[0], ip(5));
    let gid = g.node_id();
    h.cmd(&["CLUSTER", "REPLICATE", &gid]);
    let hid = h.node_id();
    wait_until("h replicates g everywhere", Duration::from_secs(20), || {
        nodes
            .iter()
            .all(|n| lines(n).iter().any(|l| l.0 == hid && l.3 == gid))
    });

    let out = del(&nodes[2], &gid, &["--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let mut members: Vec<&RedisNode> = nodes.iter().collect();
    members.push(&h);
    assert_removed(&members, &g, &gid);
    // h follows a master with slots, on another host than its own.
    let hl = lines(&h);
    let me = hl.iter().find(|l| l.2.contains("myself")).unwrap();
    let master = hl
        .iter()
        .find(|l| l.0 == me.3)
        .expect("h has a known master");
    assert!(master.2.contains("master"));
    assert_ne!(
        master.1.rsplit_once(':').unwrap().0,
        h.ip.to_string(),
        "re-pointed to a master on another host"
    );
    wait_until("h synced", Duration::from_secs(20), || {
        info_field(&h, &["INFO", "replication"], "master_link_status") == "up"
    });
    // The new replica link spreads by gossip; check is clean once it has.
    wait_until("check is clean", Duration::from_secs(20), || {
        check(&nodes[0]).code == 0
    });
}

#[test]
fn refuses_a_master_with_slots() {
    let nodes = cluster();
    let master = nodes.iter().find(|n| role(n) == "master").unwrap();
    let before = snapshots(&nodes);
    let out = del(&nodes[0], &master.addr(), &["--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("rebalance"), "{}", show(&out));
    assert!(out.stderr.contains("--weight"), "{}", show(&out));
    assert_eq!(snapshots(&nodes), before, "nothing changed");
}

#[test]
fn removes_a_killed_master_after_failover() {
    let mut nodes = cluster();
    let victim = nodes.iter().position(|n| role(n) == "master").unwrap();
    let vid = nodes[victim].node_id();
    let vaddr = nodes[victim].addr();
    let replica_id = lines(&nodes[0])
        .into_iter()
        .find(|l| l.3 == vid)
        .expect("the victim has a replica")
        .0;
    nodes[victim].stop();
    let live: Vec<usize> = (0..nodes.len()).filter(|i| *i != victim).collect();
    let t = Instant::now();
    wait_until(
        "the replica is promoted and the cluster is ok",
        Duration::from_secs(30),
        || {
            live.iter().all(|&i| {
                state_ok(&nodes[i])
                    && lines(&nodes[i])
                        .iter()
                        .any(|l| l.0 == replica_id && l.2.contains("master"))
                    && lines(&nodes[i])
                        .iter()
                        .any(|l| l.0 == vid && l.2.contains("fail") && !l.2.contains("fail?"))
            })
        },
    );
    eprintln!("failover took {:?}", t.elapsed());
    let entry = &nodes[live[0]];
    let c = check(entry);
    assert_eq!(c.code, 1, "the failed node is an error: {}", show(&c));

    let out = del(entry, &vaddr, &["--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    for &i in &live {
        assert!(
            !knows(&nodes[i], &vid),
            "{} still lists {vid}",
            nodes[i].addr()
        );
    }
    let c = check(entry);
    assert_eq!(c.code, 0, "{}", show(&c));
    // Gossip does not bring it back: watch for 3 s.
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        for &i in &live {
            assert!(
                !knows(&nodes[i], &vid),
                "{} re-learnt {vid}",
                nodes[i].addr()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts a node on `host` and MEETs it into the cluster through `via`; waits until
/// every node knows it.
fn add_by_hand(nodes: &[&RedisNode], via: &RedisNode, host: Ipv4Addr) -> RedisNode {
    let n = RedisNode::start(&opts().on(host));
    via.cmd(&[
        "CLUSTER",
        "MEET",
        &n.ip.to_string(),
        &n.port.to_string(),
        &n.bus_port.to_string(),
    ]);
    let id = n.node_id();
    wait_until(
        "the new node is known everywhere",
        Duration::from_secs(20),
        || {
            nodes.iter().all(|m| {
                lines(m)
                    .iter()
                    .any(|l| l.0 == id && !l.2.contains("handshake"))
            }) && lines(&n).len() == nodes.len() + 1
        },
    );
    n
}
