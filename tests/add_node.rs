//! `trib add-node` and `trib replicate` end to end, on real redis-server nodes.
//!
//! Assertions about the result read the nodes directly (CLUSTER NODES, INFO, FUNCTION LIST
//! through redis-cli), never through trib.

mod common;

use std::time::{Duration, Instant};

use common::*;

const FUNCTION: &str = "#!lua name=mylib\nredis.register_function('f', function() return 1 end)";

/// Three masters with a replica each, made by trib itself (on `hosts`, or 127.0.0.1).
fn cluster(hosts: &[std::net::Ipv4Addr]) -> TestCluster {
    TestCluster::new()
        .masters(3)
        .replicas(1)
        .options(quick_sync_opts())
        .hosts(hosts)
        .start()
}

fn trib_run(args: &[&str]) -> Output {
    let t = Instant::now();
    let out = run(trib().args(args));
    eprintln!(
        "trib {} -> exit {} in {:.2}s",
        args.join(" "),
        out.code,
        t.elapsed().as_secs_f64()
    );
    out
}

/// Masters (with slots) and their replicas, as `node` sees them: (master line, replica IDs).
fn masters(node: &RedisNode) -> Vec<(Line, Vec<String>)> {
    let view = cluster_nodes(node);
    view.iter()
        .filter(|l| l.is_master() && !l.slots.is_empty())
        .map(|m| {
            let reps = view
                .iter()
                .filter(|r| r.master.as_deref() == Some(&m.id))
                .map(|r| r.id.clone())
                .collect();
            (m.clone(), reps)
        })
        .collect()
}

/// Every node in `nodes` lists `new` without handshake, with `master` as its master (or none).
fn all_know(nodes: &[&RedisNode], new: &RedisNode, master: Option<&str>) {
    let id = new.node_id();
    for n in nodes {
        let view = cluster_nodes(n);
        let e = view
            .iter()
            .find(|l| l.id == id)
            .unwrap_or_else(|| panic!("{} does not know {}: {view:?}", n.addr(), new.addr()));
        assert!(
            !e.flags.iter().any(|f| f == "handshake" || f == "noaddr"),
            "{e:?}"
        );
        assert_eq!(e.addr, new.addr());
        assert_eq!(
            e.master.as_deref(),
            master,
            "as seen by {}: {e:?}",
            n.addr()
        );
    }
}

/// NEW's own view: a replica of `master`, link up, sync done.
fn assert_replica_of(new: &RedisNode, master: &str) {
    let me = cluster_nodes(new)
        .into_iter()
        .find(|l| l.flags.iter().any(|f| f == "myself"))
        .unwrap();
    assert_eq!(me.master.as_deref(), Some(master), "{me:?}");
    assert_eq!(info_field(new, "replication", "role"), "slave");
    assert_eq!(
        info_field(new, "replication", "master_link_status"),
        "up",
        "{}",
        new.cmd(&["INFO", "replication"])
    );
    assert_eq!(
        info_field(new, "replication", "master_sync_in_progress"),
        "0"
    );
}

// ---------------------------------------------------------------------------------------------

#[test]
fn add_master_with_functions_then_replicas() {
    let nodes = cluster(&[]);
    let fresh = start_nodes(4, &quick_sync_opts());
    let entry = nodes[0].addr();
    // A function library on every master (replicas get it by replication).
    for (m, _) in masters(&nodes[0]) {
        let node = nodes.iter().find(|n| n.addr() == m.addr).unwrap();
        node.cmd(&["FUNCTION", "LOAD", FUNCTION]);
    }

    // 1. A master.
    let n7 = &fresh[0];
    let out = trib_run(&["--json", "add-node", &n7.addr(), &entry, "--yes"]);
    assert_ok(&out);
    let doc = json(&out);
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["plan"]["role"], "master");
    eprintln!("timings: {}", doc["timings"]);
    all_know(&nodes.iter().collect::<Vec<_>>(), n7, None);
    let me = cluster_nodes(n7);
    assert_eq!(me.len(), 7, "{me:?}");
    assert!(me.iter().all(|l| !l.flags.iter().any(|f| f == "handshake")));
    let own = me.iter().find(|l| l.id == n7.node_id()).unwrap();
    assert!(own.is_master() && own.slots.is_empty(), "{own:?}");
    assert!(
        n7.cmd(&["FUNCTION", "LIST"]).contains("mylib"),
        "{}",
        n7.cmd(&["FUNCTION", "LIST"])
    );
    assert_eq!(n7.cmd(&["FCALL", "f", "0"]), "1");
    let chk = nodes.trib("check", &[]);
    assert_ok(&chk);
    let mut members: Vec<&RedisNode> = nodes.iter().collect();
    members.push(n7);

    // 2. `--replica` right after: arrange one master with no replica (move its replica to
    // another master), then the new replica must go to it, not to the slotless new master.
    let ms = masters(&nodes[0]);
    let (lonely, lonely_reps) = ms[0].clone();
    let (other, _) = ms[1].clone();
    let moved = by_id(&nodes, &lonely_reps[0]);
    moved.cmd(&["CLUSTER", "REPLICATE", &other.id]);
    wait_until(
        "the cluster sees the re-pointed replica",
        Duration::from_secs(10),
        || {
            views_agree(&nodes)
                && masters(&nodes[0])
                    .iter()
                    .any(|(m, r)| m.id == lonely.id && r.is_empty())
        },
    );
    let n8 = &fresh[1];
    let out = trib_run(&[
        "--json",
        "add-node",
        &n8.addr(),
        &entry,
        "--replica",
        "--yes",
    ]);
    assert_ok(&out);
    let doc = json(&out);
    assert_eq!(
        doc["plan"]["master"]["id"],
        lonely.id.as_str(),
        "{}",
        show(&out)
    );
    eprintln!("timings: {}", doc["timings"]);
    assert_replica_of(n8, &lonely.id);
    all_know(&members, n8, Some(&lonely.id));
    members.push(n8);

    // 3. `--replica-of` an ID prefix.
    let n9 = &fresh[2];
    let target = ms[2].0.id.clone();
    let out = trib_run(&[
        "add-node",
        &n9.addr(),
        &entry,
        "--replica-of",
        &target[..8],
        "--yes",
    ]);
    assert_ok(&out);
    assert_replica_of(n9, &target);
    all_know(&members, n9, Some(&target));
    members.push(n9);

    // 4. `--replica-of` an address.
    let n10 = &fresh[3];
    let out = trib_run(&[
        "add-node",
        &n10.addr(),
        &entry,
        "--replica-of",
        &other.addr,
        "--yes",
    ]);
    assert_ok(&out);
    assert_replica_of(n10, &other.id);
    all_know(&members, n10, Some(&other.id));
    // Replicas got the functions by replication.
    assert!(n10.cmd(&["FUNCTION", "LIST"]).contains("mylib"));

    let chk = nodes.trib("check", &[]);
    assert_ok(&chk);
    assert!(chk.stdout.contains("10 node(s)"), "{}", show(&chk));
}

#[test]
fn replica_goes_to_a_master_in_another_domain() {
    // Two nodes on each of three "hosts"; create puts one master on each.
    let nodes = cluster(&[ip(2), ip(3), ip(4)]);
    let fresh = RedisNode::start(&quick_sync_opts().on(ip(5)));
    let entry = nodes[0].addr();
    // Every master has one replica: the domain decides.
    for h in [ip(2), ip(3), ip(4)] {
        let new = format!("{}={h}", fresh.addr());
        let out = trib_run(&["--json", "--dry-run", "add-node", &new, &entry, "--replica"]);
        assert_ok(&out);
        let doc = json(&out);
        assert_eq!(doc["changed"], false);
        assert_eq!(doc["plan"]["node"]["domain"], h.to_string());
        let m = &doc["plan"]["master"];
        assert_ne!(m["domain"], h.to_string(), "{}", show(&out));
        assert!(!m["addr"].as_str().unwrap().starts_with(&format!("{h}:")));
    }
    // Applied: the chosen master is not on the host named as NEW's domain.
    let first_master_host = masters(&nodes[0])
        .iter()
        .map(|(m, _)| m.addr.rsplit_once(':').unwrap().0.to_string())
        .min()
        .unwrap();
    let new = format!("{}={first_master_host}", fresh.addr());
    let out = trib_run(&["add-node", &new, &entry, "--replica", "--yes"]);
    assert_ok(&out);
    let me = cluster_nodes(&fresh)
        .into_iter()
        .find(|l| l.flags.iter().any(|f| f == "myself"))
        .unwrap();
    let master = cluster_nodes(&fresh)
        .into_iter()
        .find(|l| Some(&l.id) == me.master.as_ref())
        .unwrap();
    assert!(
        !master.addr.starts_with(&format!("{first_master_host}:")),
        "replica of {master:?} although NEW is in domain {first_master_host}"
    );
    assert_replica_of(&fresh, &master.id);
}

#[test]
fn replicate_a_fresh_node_then_repoint_it_with_alias_flags() {
    let nodes = cluster(&[]);
    let fresh = RedisNode::start(&quick_sync_opts());
    let ms = masters(&nodes[0]);
    let (m1, m2) = (&ms[0].0, &ms[1].0);
    let mut members: Vec<&RedisNode> = nodes.iter().collect();

    // Not a member yet: met first, then attached.
    let out = trib_run(&[
        "--json",
        "replicate",
        "--master",
        &m1.addr,
        "--replica",
        &fresh.addr(),
        "--yes",
    ]);
    assert_ok(&out);
    let doc = json(&out);
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["plan"]["member"], false);
    assert_replica_of(&fresh, &m1.id);
    all_know(&members, &fresh, Some(&m1.id));

    // A member replica, re-pointed, with redis-trib.py's flag names.
    let out = trib_run(&[
        "--json",
        "replicate",
        "--master-addr",
        &m2.addr,
        "--slave-addr",
        &fresh.addr(),
        "--yes",
    ]);
    assert_ok(&out);
    let doc = json(&out);
    assert_eq!(doc["plan"]["member"], true);
    assert_eq!(doc["plan"]["previous_master"]["id"], m1.id.as_str());
    assert_replica_of(&fresh, &m2.id);
    all_know(&members, &fresh, Some(&m2.id));

    // Again: nothing to do.
    let before = snapshots(&nodes);
    let out = trib_run(&[
        "--json",
        "replicate",
        "--master-addr",
        &m2.addr,
        "--slave-addr",
        &fresh.addr(),
    ]);
    assert_ok(&out);
    assert_eq!(json(&out)["changed"], false);
    assert_eq!(snapshots(&nodes), before);
    members.push(&fresh);
    assert_ok(&nodes.trib("check", &[]));
}

/// Runs trib, expects exit 2 with one `error:` line containing `needle`, and every node unchanged.
fn refused(all: &[&RedisNode], args: &[&str], needle: &str) {
    let before: Vec<_> = all.iter().map(|n| n.snapshot()).collect();
    let out = trib_run(args);
    assert_eq!(out.code, 2, "{}", show(&out));
    let errors = error_lines(&out);
    assert_eq!(errors.len(), 1, "{}", show(&out));
    assert!(
        errors[0].contains(needle),
        "want {needle:?}: {}",
        show(&out)
    );
    let after: Vec<_> = all.iter().map(|n| n.snapshot()).collect();
    for ((b, a), n) in before.iter().zip(&after).zip(all) {
        assert_eq!(b, a, "{} changed", n.addr());
    }
}

#[test]
fn bad_inputs_change_nothing() {
    let nodes = cluster(&[]);
    let extra = start_nodes(6, &quick_sync_opts());
    let plain = RedisNode::start(&NodeOptions {
        cluster_enabled: false,
        ..quick_sync_opts()
    });
    let mut gone = RedisNode::start(&quick_sync_opts());
    let gone_addr = gone.addr();
    gone.stop();
    let entry = nodes[0].addr();
    let (with_key, other_a, other_b, with_fn, good) =
        (&extra[0], &extra[1], &extra[2], &extra[3], &extra[4]);
    with_key.cmd(&["DEBUG", "POPULATE", "3"]);
    // Distinct epochs, so no collision handling changes them while the test runs.
    other_a.cmd(&["CLUSTER", "SET-CONFIG-EPOCH", "1"]);
    other_b.cmd(&["CLUSTER", "SET-CONFIG-EPOCH", "2"]);
    other_a.meet(other_b);
    wait_until("the other cluster forms", Duration::from_secs(10), || {
        views_agree(&extra[1..3]) && cluster_nodes(other_a).len() == 2
    });
    with_fn.cmd(&["FUNCTION", "LOAD", FUNCTION]);
    let mut all: Vec<&RedisNode> = nodes.iter().chain(extra.iter()).collect();
    all.push(&plain);
    let ms = masters(&nodes[0]);
    let member_replica = by_id(&nodes, &ms[0].1[0]);

    refused(
        &all,
        &["add-node", &with_key.addr(), &entry, "--yes"],
        "holds 3 key(s)",
    );
    refused(
        &all,
        &["add-node", &other_a.addr(), &entry, "--yes"],
        "belongs to a cluster",
    );
    refused(
        &all,
        &["add-node", &member_replica.addr(), &entry, "--yes"],
        "already a member of this cluster",
    );
    refused(
        &all,
        &["add-node", &with_fn.addr(), &entry, "--yes"],
        "already holds functions (mylib)",
    );
    refused(
        &all,
        &["add-node", &plain.addr(), &entry, "--yes"],
        "cluster-enabled no",
    );
    refused(
        &all,
        &["add-node", &gone_addr, &entry, "--yes"],
        "connection refused",
    );
    refused(
        &all,
        &[
            "add-node",
            &good.addr(),
            &entry,
            "--replica-of",
            "deadbeefdeadbeef",
            "--yes",
        ],
        "deadbeefdeadbeef: no node of this cluster has an ID that starts with deadbeefdeadbeef",
    );
    refused(
        &all,
        &[
            "add-node",
            &good.addr(),
            &entry,
            "--replica-of",
            &member_replica.addr(),
            "--yes",
        ],
        "is a replica of",
    );
    refused(
        &all,
        &[
            "replicate",
            "--master",
            &ms[0].0.addr,
            "--replica",
            &ms[1].0.addr,
            "--yes",
        ],
        "is a master owning 546",
    );
    // The same, as one JSON document on stdout.
    let out = trib_run(&["--json", "add-node", &with_key.addr(), &entry, "--yes"]);
    assert_eq!(out.code, 2);
    assert_eq!(json(&out)["exit_code"], 2);
    // No terminal and no --yes: exit 3, nothing changed.
    let before = snapshots(&nodes);
    let out = trib_run(&["add-node", &good.addr(), &entry]);
    assert_eq!(out.code, 3, "{}", show(&out));
    assert_eq!(snapshots(&nodes), before);
    assert_eq!(good.snapshot().cluster_info_known_nodes, 1);
}
