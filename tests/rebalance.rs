//! `trib rebalance` on real redis-server nodes: plans, `--dry-run`, `--json`, refusals,
//! and real moves through the migration engine (every key kept).

#[path = "common/client.rs"]
mod client;
mod common;

use common::*;
use serde_json::Value;

fn opts() -> NodeOptions {
    NodeOptions {
        extra: vec![("cluster-node-timeout".into(), "1000".into())],
        ..Default::default()
    }
}

/// Three masters created by trib, plus `extra` empty masters joined with add-node.
fn cluster(extra: usize) -> Vec<RedisNode> {
    let nodes = start_nodes(3 + extra, &opts());
    let out = run(trib()
        .arg("create")
        .args(nodes[..3].iter().map(RedisNode::addr))
        .args(["--replicas", "0", "--yes"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    for n in &nodes[3..] {
        let out = run(trib()
            .arg("add-node")
            .arg(n.addr())
            .arg(nodes[0].addr())
            .arg("--yes"));
        assert_eq!(out.code, 0, "{}", show(&out));
    }
    nodes
}

fn rebalance(nodes: &[RedisNode], args: &[&str]) -> Output {
    run(trib().arg("rebalance").arg(nodes[0].addr()).args(args))
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", show(out)))
}

#[test]
fn balanced_cluster_is_left_alone() {
    let nodes = cluster(0);
    let out = run(trib()
        .arg("--json")
        .arg("rebalance")
        .arg(nodes[0].addr())
        .arg("--yes"));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["changed"], false);
    assert_eq!(doc["plan"]["balanced"], true);
}

#[test]
fn dry_run_plans_the_fewest_moves_and_changes_nothing() {
    let nodes = cluster(1);
    let before = snapshots(&nodes);
    let out = run(trib()
        .args(["--dry-run", "--json", "rebalance"])
        .arg(nodes[0].addr())
        .arg("--use-empty-masters"));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["changed"], false);
    assert_eq!(doc["plan"]["slot_moves"], 4096);
    let targets: Vec<u64> = doc["plan"]["masters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_u64().unwrap())
        .collect();
    assert_eq!(targets, vec![4096; 4]);
    assert_eq!(snapshots(&nodes), before);

    // Without --use-empty-masters the empty master takes no part: balanced already.
    let out = run(trib()
        .args(["--dry-run", "--json", "rebalance"])
        .arg(nodes[0].addr()));
    assert_eq!(json(&out)["plan"]["balanced"], true);
}

#[test]
fn weights_by_address_and_id_prefix() {
    let nodes = cluster(0);
    let id1 = nodes[1].node_id();
    let out = run(trib()
        .args(["--dry-run", "--json", "rebalance"])
        .arg(nodes[0].addr())
        .arg("--weight")
        .arg(format!("{}=0", nodes[0].addr()))
        .arg("--weight")
        .arg(format!("{}=3", &id1[..8])));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    let by_id = |id: &str| {
        doc["plan"]["masters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id(&nodes[0].node_id())["target"], 0);
    assert_eq!(by_id(&id1)["target"], 12288);
    assert_eq!(by_id(&nodes[2].node_id())["target"], 4096);
}

#[test]
fn unknown_weight_node_is_bad_input() {
    let nodes = cluster(0);
    let before = snapshots(&nodes);
    let out = rebalance(&nodes, &["--weight", "deadbeef=2", "--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("deadbeef"), "{}", show(&out));
    assert_eq!(snapshots(&nodes), before);
}

#[test]
fn refuses_an_unhealthy_cluster_pointing_to_fix() {
    let nodes = cluster(0);
    let slot = nodes[0].cmd(&["CLUSTER", "KEYSLOT", "x"]);
    let owner = nodes
        .iter()
        .find(|n| {
            n.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot]) == "0" && {
                let t = n.cmd(&["CLUSTER", "NODES"]);
                let me = t
                    .lines()
                    .find(|l| l.contains("myself"))
                    .unwrap()
                    .to_string();
                me.split_whitespace().skip(8).any(|r| {
                    let (a, b) = r.split_once('-').unwrap_or((r, r));
                    let s: u16 = slot.parse().unwrap();
                    a.parse::<u16>().is_ok_and(|a| a <= s) && b.parse::<u16>().is_ok_and(|b| s <= b)
                })
            }
        })
        .unwrap();
    let other = nodes.iter().find(|n| n.port != owner.port).unwrap();
    owner.cmd(&["CLUSTER", "SETSLOT", &slot, "MIGRATING", &other.node_id()]);
    let out = rebalance(&nodes, &["--use-empty-masters", "--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("trib fix"), "{}", show(&out));
}

#[test]
fn no_terminal_without_yes_is_aborted() {
    let nodes = cluster(1);
    let out = rebalance(&nodes, &["--use-empty-masters"]);
    assert_eq!(out.code, 3, "{}", show(&out));
}

#[test]

fn rebalance_onto_a_new_master_keeps_every_key() {
    let nodes = cluster(1);
    let mut c = client::ClusterClient::new(&[nodes[0].addr()]);
    for i in 0..2000 {
        c.set(&format!("k{i}"), &format!("v{i}")).unwrap();
    }
    let out = rebalance(&nodes, &["--use-empty-masters", "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let check = run(trib().arg("check").arg(nodes[0].addr()));
    assert_eq!(check.code, 0, "{}", show(&check));
    let again = run(trib()
        .args(["--json", "rebalance"])
        .arg(nodes[0].addr())
        .args(["--use-empty-masters", "--threshold", "0", "--yes"]));
    assert_eq!(json(&again)["changed"], false, "{}", show(&again));
    let mut c = client::ClusterClient::new(&[nodes[0].addr()]);
    for i in 0..2000 {
        assert_eq!(c.get(&format!("k{i}")).unwrap(), Some(format!("v{i}")));
    }
}

#[test]

fn weight_zero_drains_a_master() {
    let nodes = cluster(0);
    let mut c = client::ClusterClient::new(&[nodes[0].addr()]);
    for i in 0..500 {
        c.set(&format!("k{i}"), &format!("v{i}")).unwrap();
    }
    let out = rebalance(
        &nodes,
        &["--weight", &format!("{}=0", nodes[2].addr()), "--yes"],
    );
    assert_eq!(out.code, 0, "{}", show(&out));
    let own = nodes[2].cmd(&["CLUSTER", "NODES"]);
    let own = own.lines().find(|l| l.contains("myself")).unwrap();
    assert_eq!(own.split_whitespace().count(), 8, "owns no slot: {own}");
    // Its keys moved (all are read back below), and a master has none left. Valkey 9's
    // atomic migration deletes moved keys on the source after the hand-off; a source
    // that turned into a replica meanwhile (cluster-allow-replica-migration) keeps the
    // rest until its first sync replaces its data with its new master's.
    let role = nodes[2].cmd(&["ROLE"]);
    if role.lines().next() != Some("slave") {
        assert_eq!(nodes[2].cmd(&["DBSIZE"]), "0", "{role}");
    }
    let check = run(trib().arg("check").arg(nodes[0].addr()));
    assert_eq!(check.code, 0, "{}", show(&check));
    let mut c = client::ClusterClient::new(&[nodes[0].addr()]);
    for i in 0..500 {
        assert_eq!(c.get(&format!("k{i}")).unwrap(), Some(format!("v{i}")));
    }
}
