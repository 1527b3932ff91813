//! `trib call` and `trib set-timeout` on real nodes.

mod common;

use std::net::Ipv4Addr;

use common::{NodeOptions, RedisNode, run, snapshots, start_on_hosts, trib};
use serde_json::Value;

fn cluster() -> Vec<RedisNode> {
    let ip = |n| Ipv4Addr::new(127, 0, 0, n);
    let nodes = start_on_hosts(
        &[(ip(2), 2), (ip(3), 2), (ip(4), 2)],
        &NodeOptions::default(),
    );
    let addrs: Vec<String> = nodes.iter().map(|n| n.addr()).collect();
    let out = run(trib()
        .arg("create")
        .args(&addrs)
        .args(["--replicas", "1", "--yes"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    nodes
}

fn timeout_of(n: &RedisNode) -> String {
    n.cmd(&["CONFIG", "GET", "cluster-node-timeout"])
        .lines()
        .nth(1)
        .unwrap_or("")
        .to_string()
}

#[test]
fn call_runs_everywhere_or_on_one_role() {
    let nodes = cluster();
    let entry = nodes[0].addr();
    let out = run(trib().args(["--json", "call", &entry, "--", "CLUSTER", "MYID"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let replies = doc["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 6);
    for n in &nodes {
        let id = n.node_id();
        assert!(
            replies
                .iter()
                .any(|r| r["id"] == id.as_str() && r["reply"] == id.as_str()),
            "{id} answered with its own ID: {}",
            out.stdout
        );
    }
    let masters = run(trib().args(["--json", "call", &entry, "--masters", "--", "PING"]));
    let doc: Value = serde_json::from_str(&masters.stdout).unwrap();
    let replies = doc["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 3);
    assert!(
        replies
            .iter()
            .all(|r| r["role"] == "master" && r["reply"] == "PONG")
    );
    let replicas = run(trib().args(["call", &entry, "--replicas", "--", "ROLE"]));
    assert_eq!(replicas.code, 0);
    assert_eq!(
        replicas.stdout.matches("slave").count(),
        3,
        "{}",
        replicas.stdout
    );

    // A command that fails everywhere: replies show the error, exit 1.
    let bad = run(trib().args(["call", &entry, "--", "NOSUCHCOMMAND"]));
    assert_eq!(bad.code, 1);
    assert!(bad.stdout.contains("(error)"), "{}", bad.stdout);
}

#[test]
fn set_timeout_everywhere_and_refusals() {
    let nodes = cluster();
    let entry = nodes[0].addr();

    // Too low: refused, nothing changed.
    let before = snapshots(&nodes);
    let out = run(trib().args(["set-timeout", &entry, "50", "--yes"]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("too low"), "{}", out.stderr);
    assert!(nodes.iter().all(|n| timeout_of(n) == "2000"));
    // No terminal, no --yes: exit 3, nothing changed.
    let out = run(trib().args(["set-timeout", &entry, "3000"]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(nodes.iter().all(|n| timeout_of(n) == "2000"));
    assert_eq!(before, snapshots(&nodes));

    // Applied and persisted on every node (the harness starts nodes from a config file).
    let out = run(trib().args(["--json", "set-timeout", &entry, "3000", "--yes"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["changed"], true);
    for n in &nodes {
        assert_eq!(timeout_of(n), "3000", "{}", n.addr());
        let conf = std::fs::read_to_string(n.dir().join("redis.conf")).unwrap();
        assert!(
            conf.contains("cluster-node-timeout 3000"),
            "persisted on {}",
            n.addr()
        );
    }
}
