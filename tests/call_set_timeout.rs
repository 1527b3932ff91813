//! `trib call` and `trib set-timeout` on real nodes.

mod common;

use common::{THREE_HOSTS, TestCluster, config_get, run, snapshots, trib};
use serde_json::Value;

/// Six nodes on three hosts, `trib create --replicas 1`.
fn cluster() -> TestCluster {
    TestCluster::new().replicas(1).hosts(&THREE_HOSTS).start()
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
    assert!(
        nodes
            .iter()
            .all(|n| config_get(n, "cluster-node-timeout") == "2000")
    );
    // No terminal, no --yes: exit 3, nothing changed.
    let out = run(trib().args(["set-timeout", &entry, "3000"]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        nodes
            .iter()
            .all(|n| config_get(n, "cluster-node-timeout") == "2000")
    );
    assert_eq!(before, snapshots(&nodes));

    // Applied and persisted on every node (the harness starts nodes from a config file).
    let out = run(trib().args(["--json", "set-timeout", &entry, "3000", "--yes"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["changed"], true);
    for n in &nodes {
        assert_eq!(
            config_get(n, "cluster-node-timeout"),
            "3000",
            "{}",
            n.addr()
        );
        let conf = std::fs::read_to_string(n.dir().join("redis.conf")).unwrap();
        assert!(
            conf.contains("cluster-node-timeout 3000"),
            "persisted on {}",
            n.addr()
        );
    }
}
