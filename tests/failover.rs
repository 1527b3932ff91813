//! `trib failover` end to end, on real redis-server nodes.
//!
//! Clusters are built with `trib create ... --replicas N --yes` on 127.0.0.2-4 (three fake
//! hosts = three failure domains), nodes run with `cluster-node-timeout 1000`. Every
//! assertion about the result reads the nodes directly (INFO, CLUSTER NODES).

#[path = "common/client.rs"]
mod client;
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;

/// Three masters with `replicas` replicas each on 127.0.0.2-4, made a cluster with
/// `trib create`, every replica synced.
fn cluster(replicas: usize) -> TestCluster {
    TestCluster::new()
        .masters(3)
        .replicas(replicas)
        .options(quick_sync_opts())
        .hosts(&[ip(2), ip(3), ip(4)])
        .synced()
        .start()
}

/// `trib failover ARGS...`.
fn failover(args: &[&str]) -> Output {
    run(trib().arg("failover").args(args))
}

/// (master, replica) pairs as `view_from` sees them, as indexes into `nodes`.
fn pairs(nodes: &[RedisNode], view_from: &RedisNode) -> Vec<(usize, usize)> {
    let view = cluster_nodes(view_from);
    let idx = |id: &str| {
        let addr = &view.iter().find(|l| l.id == id).unwrap().addr;
        nodes.iter().position(|n| &n.addr() == addr).unwrap()
    };
    let mut out: Vec<(usize, usize)> = view
        .iter()
        .filter(|l| !l.is_master())
        .map(|l| (idx(l.master.as_ref().unwrap()), idx(&l.id)))
        .collect();
    out.sort();
    out
}

/// `trib check` exits 0 (waits for it: gossip takes a moment to clear flags).
fn check_ok(entry: &RedisNode) {
    let mut last = None;
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let out = run(trib().args(["check", &entry.addr()]));
        if out.code == 0 {
            return;
        }
        last = Some(out);
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("check never exited 0: {}", show(&last.unwrap()));
}

// ---------------------------------------------------------------------------------------------

#[test]
fn replica_by_address_and_by_id_prefix() {
    let nodes = cluster(1);
    let ps = pairs(&nodes, &nodes[0]);
    assert_eq!(ps.len(), 3);

    // By address.
    let (m, r) = ps[0];
    let out = failover(&[&nodes[r].addr(), "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(out.stdout.contains("switched in"), "{}", show(&out));
    assert_eq!(role(&nodes[r]), "master");
    assert_eq!(role(&nodes[m]), "slave");
    wait_views_agree(&nodes);
    check_ok(&nodes[0]);

    // By ID prefix, loading the cluster from another node; JSON output.
    let (m, r) = ps[1];
    let id = nodes[r].node_id();
    let entry = nodes[m].addr();
    let out = failover(&["--json", &id[..10], "--entry", &entry, "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["changed"], true);
    assert!(doc["took_ms"].as_u64().is_some(), "{doc}");
    assert_eq!(doc["plan"]["steps"][0]["promote"]["id"], id.as_str());
    assert_eq!(doc["plan"]["steps"][0]["command"], "CLUSTER FAILOVER");
    assert_eq!(role(&nodes[r]), "master");
    assert_eq!(role(&nodes[m]), "slave");
    // Every node agrees on the new owner.
    for n in &nodes {
        let view = cluster_nodes(n);
        let l = view.iter().find(|l| l.id == id).unwrap();
        assert!(
            l.is_master() && !l.slots.is_empty(),
            "{} sees {l:?}",
            n.addr()
        );
    }
    wait_views_agree(&nodes);
    check_ok(&nodes[0]);
}

#[test]
fn a_retried_failover_never_switches_roles_back() {
    let nodes = cluster(1);
    let (m, r) = pairs(&nodes, &nodes[0])[0];
    let (master, replica) = (nodes[m].addr(), nodes[r].addr());

    // Make R a master.
    let out = failover(&[&replica, "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(out.stdout.contains("switched in"), "{}", show(&out));
    assert_eq!(role(&nodes[r]), "master");
    assert_eq!(role(&nodes[m]), "slave");
    wait_views_agree(&nodes);

    // The same command again (a retry, no terminal and no --yes: nothing is asked because
    // nothing is to be done): R stays the master.
    let before = snapshots(&nodes);
    let out = failover(&["--json", &replica]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(
        out.stderr
            .contains(&format!("{replica} is already a master; nothing to do")),
        "{}",
        show(&out)
    );
    assert!(
        out.stderr.contains(&format!("--demote {replica}")),
        "{}",
        show(&out)
    );
    let doc = json(&out);
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(doc["took_ms"], 0, "{doc}");
    assert_eq!(doc["plan"]["action"], "promote", "{doc}");
    assert_eq!(doc["plan"]["steps"].as_array().unwrap().len(), 0, "{doc}");
    assert_eq!(doc["plan"]["nothing"]["kind"], "already_master", "{doc}");
    assert_eq!(snapshots(&nodes), before, "nothing changed");
    assert_eq!(role(&nodes[r]), "master");

    // Moving mastership away is its own form: --demote R promotes R's replica (M).
    let out = failover(&["--json", "--demote", &replica, "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["changed"], true, "{doc}");
    assert_eq!(doc["plan"]["action"], "demote", "{doc}");
    assert_eq!(doc["plan"]["steps"][0]["master"]["addr"], replica.as_str());
    assert_eq!(doc["plan"]["steps"][0]["promote"]["addr"], master.as_str());
    assert!(doc["took_ms"].as_u64().is_some(), "{doc}");
    assert_eq!(role(&nodes[m]), "master");
    assert_eq!(role(&nodes[r]), "slave");
    wait_views_agree(&nodes);

    // Demoting it again: it is a replica already, nothing to do.
    let before = snapshots(&nodes);
    let out = failover(&["--demote", &replica]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(
        out.stdout.contains(&format!(
            "{replica} is already a replica (of {master}); nothing to do"
        )),
        "{}",
        show(&out)
    );
    assert_eq!(snapshots(&nodes), before, "nothing changed");
    check_ok(&nodes[0]);
}

#[test]
fn master_promotes_replica_in_another_domain() {
    // 9 nodes over 3 hosts, 2 replicas per master: each master's replicas are on the two
    // other hosts. Attach a third replica on the master's own host (the lowest address, so
    // ties by address alone would pick it): trib must still pick another domain.
    let nodes = cluster(2);
    let view = cluster_nodes(&nodes[0]);
    let master = view
        .iter()
        .find(|l| l.is_master() && l.ip() == "127.0.0.2")
        .unwrap()
        .clone();
    let same_host = view
        .iter()
        .find(|l| !l.is_master() && l.ip() == "127.0.0.2")
        .unwrap()
        .clone();
    let moved = by_addr(&nodes, &same_host.addr);
    moved.cmd(&["CLUSTER", "REPLICATE", &master.id]);
    wait_until("the moved replica syncs", Duration::from_secs(20), || {
        info_field(moved, "replication", "master_link_status") == "up"
    });
    wait_views_agree(&nodes);

    let out = failover(&["--json", "--demote", &master.addr, "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["plan"]["action"], "demote", "{doc}");
    let step = &doc["plan"]["steps"][0];
    let promoted = step["promote"]["addr"].as_str().unwrap().to_string();
    assert_ne!(step["promote"]["domain"], "127.0.0.2", "{doc}");
    assert!(!promoted.starts_with("127.0.0.2:"), "{doc}");
    assert_eq!(step["not_chosen"].as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(role(by_addr(&nodes, &promoted)), "master");
    assert_eq!(role(by_addr(&nodes, &master.addr)), "slave");
    // The other two replicas follow the new master.
    let view = cluster_nodes(by_addr(&nodes, &promoted));
    let new_id = view.iter().find(|l| l.addr == promoted).unwrap().id.clone();
    wait_until(
        "every replica follows the new master",
        Duration::from_secs(10),
        || {
            cluster_nodes(by_addr(&nodes, &promoted))
                .iter()
                .filter(|l| l.master.as_deref() == Some(new_id.as_str()))
                .count()
                == 3
        },
    );
}

#[test]
fn failover_under_write_load_loses_no_acknowledged_write() {
    let nodes = cluster(1);
    let seeds: Vec<String> = nodes.iter().map(RedisNode::addr).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    const KEYS: usize = 300;
    let writer = {
        let (seeds, stop, written) = (seeds.clone(), stop.clone(), written.clone());
        std::thread::spawn(move || client::Writer::run(&seeds, KEYS, 500_000, &stop, &written))
    };
    wait_until("the writer has written", Duration::from_secs(20), || {
        written.load(Ordering::Relaxed) >= 2000
    });

    // Fail over two masters (one named as master, one through its replica) under load.
    let ps = pairs(&nodes, &nodes[0]);
    let out = failover(&["--demote", &nodes[ps[0].0].addr(), "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let out = failover(&[&nodes[ps[1].1].addr(), "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));

    let after = written.load(Ordering::Relaxed);
    wait_until(
        "writes continue after the failovers",
        Duration::from_secs(20),
        || written.load(Ordering::Relaxed) >= after + 2000,
    );
    stop.store(true, Ordering::Relaxed);
    let w = writer.join().unwrap();
    assert!(
        w.failures.is_empty(),
        "writes failed: {:?}",
        &w.failures[..w.failures.len().min(5)]
    );
    assert!(w.writes >= 4000);

    let mut reader = client::ClusterClient::new(&seeds);
    for (i, acked) in w.acked.iter().enumerate() {
        let Some(v) = acked else { continue };
        let key = client::Writer::key(i);
        let got: u64 = reader
            .get(&key)
            .unwrap()
            .unwrap_or_else(|| panic!("{key}: acknowledged {v}, now missing"))
            .parse()
            .unwrap();
        assert!(got >= *v, "{key}: acknowledged {v}, read {got}");
    }
    wait_views_agree(&nodes);
    check_ok(&nodes[0]);
}

#[test]
fn killed_master_is_failed_over_by_the_cluster_then_trib_says_so() {
    let mut nodes = cluster(1);
    let ps = pairs(&nodes, &nodes[0]);
    let (m, r) = ps[0];
    let old_addr = nodes[m].addr();
    nodes[m].stop();
    wait_until(
        "the cluster promotes the replica",
        Duration::from_secs(20),
        || role(&nodes[r]) == "master",
    );
    let live: Vec<RedisNode> = {
        let mut v = Vec::new();
        for (i, n) in nodes.into_nodes().into_iter().enumerate() {
            if i != m {
                v.push(n);
            }
        }
        v
    };
    wait_views_agree(&live);
    let before = snapshots(&live);
    let entry = live[0].addr();

    let out = failover(&[&old_addr, "--entry", &entry, "--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("is down"), "{}", show(&out));
    assert!(out.stderr.contains("already promoted"), "{}", show(&out));
    let out = failover(&[&old_addr, "--entry", &entry, "--force", "--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    let out = failover(&["--demote", &old_addr, "--entry", &entry, "--force", "--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("already promoted"), "{}", show(&out));

    // Without --entry, the down node cannot be the entry: say what to do.
    let out = failover(&[&old_addr, "--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("--entry"), "{}", show(&out));

    assert_eq!(snapshots(&live), before, "nothing changed");
}

#[test]
fn force_promotes_a_replica_of_a_down_master() {
    let mut nodes = cluster(1);
    let ps = pairs(&nodes, &nodes[0]);
    let (m, r) = ps[0];
    // Keep the cluster from promoting it by itself.
    nodes[r].cmd(&["CONFIG", "SET", "cluster-replica-no-failover", "yes"]);
    let master_id = nodes[m].node_id();
    nodes[m].stop();
    let replica = &nodes[r];
    wait_until(
        "the replica sees its master as failed",
        Duration::from_secs(20),
        || {
            cluster_nodes(replica)
                .iter()
                .any(|l| l.id == master_id && l.flags.iter().any(|f| f == "fail"))
        },
    );
    let live: Vec<&RedisNode> = nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != m)
        .map(|(_, n)| n)
        .collect();
    let before: Vec<_> = live.iter().map(|n| n.snapshot()).collect();

    // A plain failover cannot work: point to --force, change nothing.
    let out = failover(&[&replica.addr(), "--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(
        out.stderr.contains("is down") && out.stderr.contains("--force"),
        "{}",
        show(&out)
    );
    let after: Vec<_> = live.iter().map(|n| n.snapshot()).collect();
    assert_eq!(after, before, "nothing changed");
    assert_eq!(role(replica), "slave");

    let out = failover(&[&replica.addr(), "--force", "--yes", "--json"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["plan"]["steps"][0]["command"], "CLUSTER FAILOVER FORCE");
    assert!(doc["plan"]["steps"][0]["master_down"].is_string(), "{doc}");
    assert_eq!(role(replica), "master");
    for n in &live {
        wait_until("cluster_state:ok", Duration::from_secs(15), || {
            n.cmd(&["CLUSTER", "INFO"]).contains("cluster_state:ok")
        });
    }
}

#[test]
fn domain_drain_moves_every_master_out() {
    let nodes = cluster(1);
    // Put a second master on 127.0.0.2: promote the replica that lives there.
    let view = cluster_nodes(&nodes[0]);
    let on2 = view
        .iter()
        .find(|l| !l.is_master() && l.ip() == "127.0.0.2")
        .unwrap()
        .addr
        .clone();
    let out = failover(&[&on2, "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    wait_views_agree(&nodes);
    let masters_on = |n: &RedisNode, host: &str| -> usize {
        cluster_nodes(n)
            .iter()
            .filter(|l| l.is_master() && !l.slots.is_empty() && l.ip() == host)
            .count()
    };
    assert_eq!(masters_on(&nodes[0], "127.0.0.2"), 2);

    // Dry run first: a plan of two steps, nothing changed.
    let before = snapshots(&nodes);
    let out = failover(&[
        "--json",
        "--dry-run",
        &nodes[5].addr(),
        "--domain",
        "127.0.0.2",
    ]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["changed"], false);
    assert_eq!(doc["plan"]["steps"].as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(snapshots(&nodes), before);

    let out = failover(&["--json", &nodes[5].addr(), "--domain", "127.0.0.2", "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["results"].as_array().unwrap().len(), 2, "{doc}");
    for n in &nodes {
        assert_eq!(
            masters_on(n, "127.0.0.2"),
            0,
            "{} still sees a master on .2",
            n.addr()
        );
    }
    wait_views_agree(&nodes);
    check_ok(&nodes[0]);

    // Nothing left to move: exit 0, no change.
    let out = failover(&[&nodes[0].addr(), "--domain", "127.0.0.2", "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(out.stdout.contains("nothing to do"), "{}", show(&out));
}

#[test]
fn bad_input_changes_nothing() {
    let nodes = cluster(1);
    let outsider = RedisNode::start(&quick_sync_opts().on(ip(5)));
    // Leave one master without replicas: move its replica to another master.
    let ps = pairs(&nodes, &nodes[0]);
    let (lonely, r) = ps[0];
    let other = nodes[ps[1].0].node_id();
    nodes[r].cmd(&["CLUSTER", "REPLICATE", &other]);
    wait_until("the moved replica syncs", Duration::from_secs(20), || {
        info_field(&nodes[r], "replication", "master_link_status") == "up"
    });
    wait_views_agree(&nodes);
    let before = snapshots(&nodes);
    let outsider_before = outsider.snapshot();
    let entry = nodes[0].addr();

    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![outsider.addr(), "--entry".into(), entry.clone()],
            "no node of this cluster",
        ),
        (
            vec!["0000ffff".into(), "--entry".into(), entry.clone()],
            "no node of this cluster",
        ),
        (vec!["0000ffff".into()], "--entry"),
        (
            vec!["--demote".into(), nodes[lonely].addr()],
            "without replicas",
        ),
        (
            vec![
                "--demote".into(),
                nodes[lonely].addr(),
                "--domain".into(),
                "127.0.0.2".into(),
            ],
            "cannot be used with",
        ),
        (
            vec![entry.clone(), "--domain".into(), "10.9.9.9".into()],
            "no node of this cluster is in failure domain",
        ),
        (vec!["127.0.0.1:1".into()], "--entry"),
    ];
    for (args, needle) in cases {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.push("--yes");
        let out = failover(&a);
        assert_eq!(out.code, 2, "{args:?}: {}", show(&out));
        assert!(
            out.stderr.contains(needle),
            "{args:?}: expected {needle:?}: {}",
            show(&out)
        );
    }
    // No terminal and no --yes: exit 3. --dry-run: exit 0. Neither changes anything.
    let out = failover(&[&nodes[r].addr()]);
    assert_eq!(out.code, 3, "{}", show(&out));
    let out = failover(&[&nodes[r].addr(), "--dry-run"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(
        out.stdout.contains("Plan: CLUSTER FAILOVER"),
        "{}",
        show(&out)
    );

    assert_eq!(snapshots(&nodes), before, "nothing changed");
    assert_eq!(outsider.snapshot(), outsider_before);
}
