//! The classic path (`--no-atomic`, what Valkey 8 gets) on Valkey 9, where a primary
//! answers `CLUSTER SETSLOT` only once its replicas acknowledged it. Needs
//! `TRIB_TEST_REDIS_SERVER` to be a Valkey ≥ 9 server: every test is
//! `#[ignore = "needs Valkey 9"]`, and `scripts/test-valkey.sh` runs them with
//! `--include-ignored`.

#[path = "common/client.rs"]
mod client;
mod common;

use std::time::Duration;

use common::*;

/// A weight-0 drain of a master with a replica, the classic way: 5461 slots with keys,
/// every `SETSLOT` waiting for replica acknowledgements (thousands of them would not fit
/// one pipeline under the command timeout), and the drained master's replica leaving with
/// its last slot, so that last `SETSLOT` answers `NOREPLICAS`. Replica migration on and
/// `min-replicas-to-write 1`, as a production setup would have them.
#[test]
#[ignore = "needs Valkey 9"]
fn weight_zero_drain_with_replicas_on_the_classic_path() {
    require_valkey9();
    let nodes = TestCluster::new()
        .masters(3)
        .replicas(1)
        .options(
            quick_sync_opts()
                .with("cluster-allow-replica-migration", "yes")
                .with("min-replicas-to-write", "1"),
        )
        .hosts(&[ip(2), ip(3), ip(4)])
        .synced()
        .start();
    let kvs = fill(&nodes, "k", 5_000);
    let drained = slot_map(&nodes[0])[16383].clone().unwrap();
    let drained_id = by_addr(&nodes, &drained).node_id();
    let replica = nodes
        .iter()
        .find(|n| {
            cluster_nodes(n)
                .iter()
                .any(|l| l.is_myself() && l.master.as_deref() == Some(drained_id.as_str()))
        })
        .map(RedisNode::addr)
        .expect("the drained master has a replica");

    let out = run(trib().args([
        "rebalance",
        &nodes[0].addr(),
        "--weight",
        &format!("{drained}=0"),
        "--no-atomic",
        "--yes",
        "--json",
    ]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["report"]["method"], "classic", "{}", show(&out));
    assert_eq!(doc["report"]["slots_moved"], 5461, "{}", show(&out));

    // Every slot moved: the drained master owns none, every slot has an owner.
    wait_until("views agree", Duration::from_secs(30), || {
        views_agree(&nodes)
    });
    let map = slot_map(&nodes[0]);
    assert!(map.iter().all(Option::is_some));
    assert!(!map.iter().any(|o| o.as_deref() == Some(drained.as_str())));
    // Its replica followed its slots elsewhere (the reason the last SETSLOT could not be
    // acknowledged).
    let follows = cluster_nodes(by_addr(&nodes, &replica))
        .into_iter()
        .find(|l| l.is_myself())
        .and_then(|l| l.master);
    assert!(follows.is_some(), "{replica} is still a replica");
    assert_ne!(follows.as_deref(), Some(drained_id.as_str()));
    // Every key kept, on its slot's owner.
    verify_on_owners(&nodes, &kvs);
    let mut c = client::ClusterClient::new(&[nodes[0].addr()]);
    for (k, v) in kvs.iter().step_by(50) {
        assert_eq!(c.get(k).unwrap().as_deref(), Some(v.as_str()), "key {k}");
    }
    wait_until("check passes", Duration::from_secs(30), || {
        run(trib().arg("check").arg(nodes[0].addr())).code == 0
    });
}
