//! `trib rebalance` on real redis-server nodes: plans, `--dry-run`, `--json`, refusals,
//! and real moves through the migration engine (every key kept).

#[path = "common/client.rs"]
mod client;
mod common;

use common::*;

/// Three masters created by trib, plus `extra` empty masters joined with add-node.
fn cluster(extra: usize) -> TestCluster {
    TestCluster::new()
        .masters(3)
        .spares(extra)
        .options(quick_opts())
        .start()
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
    let out = nodes.trib("rebalance", &["--weight", "deadbeef=2", "--yes"]);
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
            n.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot]) == "0"
                && cluster_nodes(n)
                    .iter()
                    .any(|l| l.is_myself() && l.owns(slot.parse().unwrap()))
        })
        .unwrap();
    let other = nodes.iter().find(|n| n.port != owner.port).unwrap();
    owner.cmd(&["CLUSTER", "SETSLOT", &slot, "MIGRATING", &other.node_id()]);
    let out = nodes.trib("rebalance", &["--use-empty-masters", "--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("trib fix"), "{}", show(&out));
}

#[test]
fn no_terminal_without_yes_is_aborted() {
    let nodes = cluster(1);
    let out = nodes.trib("rebalance", &["--use-empty-masters"]);
    assert_eq!(out.code, 3, "{}", show(&out));
}

#[test]

fn rebalance_onto_a_new_master_keeps_every_key() {
    let nodes = cluster(1);
    let mut c = client::ClusterClient::new(&[nodes[0].addr()]);
    for i in 0..2000 {
        c.set(&format!("k{i}"), &format!("v{i}")).unwrap();
    }
    let out = nodes.trib("rebalance", &["--use-empty-masters", "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    nodes.assert_check_ok();
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
    let out = nodes.trib(
        "rebalance",
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
    nodes.assert_check_ok();
    let mut c = client::ClusterClient::new(&[nodes[0].addr()]);
    for i in 0..500 {
        assert_eq!(c.get(&format!("k{i}")).unwrap(), Some(format!("v{i}")));
    }
}
