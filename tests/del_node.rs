//! `trib del-node` end to end, on real redis-server nodes. Assertions read the nodes
//! directly (CLUSTER NODES / INFO through redis-cli), never through trib.

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use common::*;

/// Six nodes on three hosts, `trib create --replicas 1`, settled, every replica synced
/// (a replica that never synced is not allowed to fail over: data too old). Failure
/// detection matters here (the killed-master test): 1 s node timeout.
fn cluster() -> TestCluster {
    TestCluster::new()
        .replicas(1)
        .options(quick_opts())
        .hosts(&THREE_HOSTS)
        .synced()
        .start()
}

fn knows(n: &RedisNode, id: &str) -> bool {
    cluster_nodes(n).iter().any(|l| l.id == id)
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
    let own = cluster_nodes(removed);
    assert_eq!(own.len(), 1, "the removed node knows nobody: {own:?}");
    assert_ne!(own[0].id, old_id, "CLUSTER RESET HARD gives a new ID");
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
    let c = trib_check(&nodes[0]);
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
    assert_eq!(cluster_nodes(&extra).len(), 7);
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
    let c = trib_check(others[0]);
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
        nodes.iter().all(|n| {
            cluster_nodes(n)
                .iter()
                .any(|l| l.id == hid && l.master.as_deref() == Some(gid.as_str()))
        })
    });

    let out = del(&nodes[2], &gid, &["--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let mut members: Vec<&RedisNode> = nodes.iter().collect();
    members.push(&h);
    assert_removed(&members, &g, &gid);
    // h follows a master with slots, on another host than its own.
    let hl = cluster_nodes(&h);
    let me = hl.iter().find(|l| l.is_myself()).unwrap();
    let master = hl
        .iter()
        .find(|l| Some(&l.id) == me.master.as_ref())
        .expect("h has a known master");
    assert!(master.is_master());
    assert_ne!(
        master.ip(),
        h.ip.to_string(),
        "re-pointed to a master on another host"
    );
    wait_until("h synced", Duration::from_secs(20), || {
        info_field(&h, "replication", "master_link_status") == "up"
    });
    // The new replica link spreads by gossip; check is clean once it has.
    wait_until("check is clean", Duration::from_secs(20), || {
        trib_check(&nodes[0]).code == 0
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
    let replica_id = cluster_nodes(&nodes[0])
        .into_iter()
        .find(|l| l.master.as_deref() == Some(vid.as_str()))
        .expect("the victim has a replica")
        .id;
    nodes[victim].stop();
    let live: Vec<usize> = (0..nodes.len()).filter(|i| *i != victim).collect();
    let t = Instant::now();
    wait_until(
        "the replica is promoted and the cluster is ok",
        Duration::from_secs(30),
        || {
            live.iter().all(|&i| {
                state_ok(&nodes[i])
                    && cluster_nodes(&nodes[i])
                        .iter()
                        .any(|l| l.id == replica_id && l.is_master())
                    && cluster_nodes(&nodes[i])
                        .iter()
                        .any(|l| l.id == vid && l.has_flag("fail"))
            })
        },
    );
    eprintln!("failover took {:?}", t.elapsed());
    let entry = &nodes[live[0]];
    let c = trib_check(entry);
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
    let c = trib_check(entry);
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
    let n = RedisNode::start(&quick_opts().on(host));
    via.meet(&n);
    let id = n.node_id();
    wait_until(
        "the new node is known everywhere",
        Duration::from_secs(20),
        || {
            nodes.iter().all(|m| {
                cluster_nodes(m)
                    .iter()
                    .any(|l| l.id == id && !l.has_flag("handshake"))
            }) && cluster_nodes(&n).len() == nodes.len() + 1
        },
    );
    n
}
