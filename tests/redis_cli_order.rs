//! Which slots `trib reshard --slots N` and `trib rebalance` move, compared with what
//! `redis-cli --cluster reshard` / `rebalance` move in the same situation: two identical
//! fresh clusters (same topology and slot layout), redis-cli on one, trib on the other,
//! then every slot's owner compared (nodes matched by their place in the cluster).
//!
//! redis-cli breaks ties by its node list (the entry node, then the entry's `CLUSTER
//! NODES`, whose order differs from one cluster to the next): the situations below are
//! those where that order cannot matter, or where the entry node decides.

mod common;

use std::process::Command;

use common::*;

fn redis_cli() -> Command {
    Command::new(std::env::var("TRIB_TEST_REDIS_CLI").unwrap_or_else(|_| "redis-cli".into()))
}

/// Three masters (0-5460, 5461-10922, 10923-16383) and an empty one, settled. Replica
/// migration off: redis-cli 7.0 sends `SETSLOT … NODE` to every master it listed at the
/// start, and fails on a drained one that turned into a replica meanwhile.
fn cluster() -> TestCluster {
    TestCluster::new()
        .masters(3)
        .spares(1)
        .options(quick_opts().with("cluster-allow-replica-migration", "no"))
        .settled()
        .start()
}

/// Every slot's owner, as the index of the owning node in `nodes`.
fn owners(nodes: &[RedisNode]) -> Vec<Option<usize>> {
    wait_views_agree(nodes);
    slot_map(&nodes[0])
        .into_iter()
        .map(|owner| owner.and_then(|addr| nodes.iter().position(|n| n.addr() == addr)))
        .collect()
}

/// The slots each node owns, for messages.
fn layout(owners: &[Option<usize>]) -> String {
    let mut out = String::new();
    for node in 0..5 {
        let slots: Vec<usize> = (0..owners.len())
            .filter(|s| owners[*s] == Some(node))
            .collect();
        out.push_str(&format!("node {node}: {} slot(s)", slots.len()));
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for s in slots {
            match ranges.last_mut() {
                Some((_, b)) if *b + 1 == s => *b = s,
                _ => ranges.push((s, s)),
            }
        }
        for (a, b) in ranges.iter().take(8) {
            out.push_str(&format!(" {a}-{b}"));
        }
        out.push('\n');
    }
    out
}

fn assert_same(what: &str, cli: &[RedisNode], ours: &[RedisNode]) {
    let (a, b) = (owners(cli), owners(ours));
    assert!(
        a == b,
        "{what}: redis-cli and trib moved different slots\nredis-cli:\n{}trib:\n{}",
        layout(&a),
        layout(&b)
    );
}

fn ok(out: &Output) {
    assert_eq!(out.code, 0, "{}", show(out));
}

/// `redis-cli --cluster reshard` from `entry` (sources: node indexes or `all`).
fn cli_reshard(nodes: &[RedisNode], entry: usize, from: &[usize], to: usize, slots: usize) {
    let from = if from.is_empty() {
        "all".to_string()
    } else {
        from.iter()
            .map(|i| nodes[*i].node_id())
            .collect::<Vec<_>>()
            .join(",")
    };
    let out = run(redis_cli().args([
        "--cluster",
        "reshard",
        &nodes[entry].addr(),
        "--cluster-from",
        &from,
        "--cluster-to",
        &nodes[to].node_id(),
        "--cluster-slots",
        &slots.to_string(),
        "--cluster-yes",
    ]));
    ok(&out);
}

/// `trib reshard` from `entry`, the same arguments (sources by address).
fn trib_reshard(nodes: &[RedisNode], entry: usize, from: &[usize], to: usize, slots: usize) {
    let from = if from.is_empty() {
        "all".to_string()
    } else {
        from.iter()
            .map(|i| nodes[*i].addr())
            .collect::<Vec<_>>()
            .join(",")
    };
    ok(&run(trib().args([
        "reshard",
        &nodes[entry].addr(),
        "--from",
        &from,
        "--to",
        &nodes[to].addr(),
        "--slots",
        &slots.to_string(),
        "--yes",
    ])));
}

#[test]
fn reshard_moves_the_slots_redis_cli_moves() {
    let cli = cluster();
    let ours = cluster();
    assert_same("fresh clusters", &cli, &ours);
    // (entry, sources, destination, slots); node 3 is the empty master.
    let steps: [(usize, &[usize], usize, usize); 4] = [
        // From all, in proportion (5461, 5462, 5461: node 1 gives the rounded-up 334),
        // each source's lowest slots.
        (0, &[], 3, 1000),
        // Nodes 0-2 own 5128 each now: a tie, broken by redis-cli's list, whose first node
        // is the entry node (it gives the rounded-up 34).
        (2, &[], 3, 100),
        // A tie between given sources: the first one given gives more (3 and 2).
        (0, &[1, 0], 2, 5),
        // One source: its lowest slots.
        (1, &[3], 0, 10),
    ];
    for (entry, from, to, slots) in steps {
        cli_reshard(&cli, entry, from, to, slots);
        trib_reshard(&ours, entry, from, to, slots);
        assert_same(
            &format!("reshard from {from:?} to {to} of {slots} slot(s) (entry {entry})"),
            &cli,
            &ours,
        );
    }
}

#[test]
fn rebalance_moves_the_slots_redis_cli_moves() {
    let cli = cluster();
    let ours = cluster();
    // 16384 / 3 is 5461.33: the slot left over goes to the first master of redis-cli's
    // list that owns no more than its share, the entry node (2), which takes node 1's
    // lowest slot. (A threshold of 0.01 %: redis-cli does nothing with 0.)
    let out = run(redis_cli().args([
        "--cluster",
        "rebalance",
        &cli[2].addr(),
        "--cluster-threshold",
        "0.01",
    ]));
    ok(&out);
    ok(&run(trib().args([
        "rebalance",
        &ours[2].addr(),
        "--threshold",
        "0.01",
        "--yes",
    ])));
    assert_same("rebalance, leftover slot", &cli, &ours);
    assert_eq!(owners(&ours)[5461], Some(2));

    // A small master (slots 0-99, moved the same way on both), drained with weight 0 from
    // entry 0: node 0 gets the slot left over, so it takes the 100 slots and node 2's
    // lowest one.
    for nodes in [&cli, &ours] {
        ok(&run(trib().args([
            "reshard",
            &nodes[0].addr(),
            "--from",
            &nodes[0].addr(),
            "--to",
            &nodes[3].addr(),
            "--range",
            "0-99",
            "--yes",
        ])));
    }
    assert_same("setup", &cli, &ours);
    let out = run(redis_cli().args([
        "--cluster",
        "rebalance",
        &cli[0].addr(),
        "--cluster-weight",
        &format!("{}=0", cli[3].node_id()),
    ]));
    ok(&out);
    ok(&run(trib().args([
        "rebalance",
        &ours[0].addr(),
        "--weight",
        &format!("{}=0", ours[3].addr()),
        "--yes",
    ])));
    assert_same("rebalance, drain", &cli, &ours);
    let after = owners(&ours);
    assert!(
        after[..=5461].iter().all(|o| *o == Some(0)),
        "{}",
        layout(&after)
    );
}
