//! `trib reshard` end to end, on real redis-server nodes.
//!
//! Clusters are built with `trib create ... --yes` on loopback "hosts" (127.0.0.2-5).
//! Keys are written through their owners (slot map from CLUSTER NODES, pipelined SETs);
//! every assertion about the result reads the nodes directly.

#[path = "common/client.rs"]
mod client;
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use client::{ClusterClient, Writer};
use common::data::plant;
use common::view::{masters_with_slots as masters, slot_counts};
use common::*;

/// `masters` masters (and `replicas` per master) spread over 127.0.0.2-5.
fn cluster(masters: usize, replicas: usize) -> TestCluster {
    TestCluster::new()
        .masters(masters)
        .replicas(replicas)
        .options(quick_sync_opts())
        .hosts(&[ip(2), ip(3), ip(4), ip(5)])
        .synced()
        .start()
}

fn reshard(args: &[&str]) -> Output {
    run(trib().arg("reshard").args(args))
}

fn check_ok(nodes: &[RedisNode]) {
    assert_check_ok(&nodes[0]);
}

/// After a move: the views agree, every key is on its slot's owner, and `check` passes.
fn settled_and_intact(nodes: &[RedisNode], kvs: &[(String, String)]) {
    wait_views_agree(nodes);
    verify(nodes, kvs);
    check_ok(nodes);
}

/// Slots per master address.
fn counts(node: &RedisNode) -> BTreeMap<String, usize> {
    slot_counts(node)
}

/// Every key readable through the cluster (following redirections) with its value.
fn verify_reads(nodes: &[RedisNode], kvs: &[(String, String)]) {
    let mut c = ClusterClient::new(&[nodes[0].addr()]);
    for (k, v) in kvs {
        assert_eq!(c.get(k).unwrap().as_deref(), Some(v.as_str()), "key {k}");
    }
}

/// Every key readable through the cluster with its value, and stored on its slot's owner
/// with it.
fn verify(nodes: &[RedisNode], kvs: &[(String, String)]) {
    verify_reads(nodes, kvs);
    // Directly on the owner (no redirection): every key is there.
    verify_on_owners(nodes, kvs);
    let dbsize: usize = masters(nodes)
        .iter()
        .map(|n| n.cmd(&["DBSIZE"]).parse::<usize>().unwrap())
        .sum();
    assert!(dbsize >= kvs.len());
}

/// Keys in slots 1000 and N, 1000 slots from every master by address, then several ranges
/// by ID prefix and full ID with one key per MIGRATE, then draining a master completely
/// (it becomes a replica of the destination).
#[test]
fn reshard_moves_keys_and_slots() {
    let nodes = cluster(4, 0);
    let kvs = fill(&nodes, "k:", 20_000);
    let before = counts(&nodes[0]);
    let ms = masters(&nodes);
    let dst = ms[3];

    // --slots N from all, DST by address.
    let t = Instant::now();
    let out = reshard(&[
        &nodes[0].addr(),
        "--from",
        "all",
        "--to",
        &dst.addr(),
        "--slots",
        "1000",
        "--yes",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", show(&out));
    eprintln!("1000 slots with keys: {:?}", t.elapsed());
    let doc = json(&out);
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["plan"]["slots"], 1000);
    assert_eq!(doc["report"]["slots_moved"], 1000);
    assert!(doc["report"]["keys_moved"].as_u64().unwrap() > 800);
    let after = counts(&nodes[0]);
    assert_eq!(after[&dst.addr()], before[&dst.addr()] + 1000);
    let taken: usize = ms[..3]
        .iter()
        .map(|m| before[&m.addr()] - after[&m.addr()])
        .sum();
    assert_eq!(taken, 1000);
    // In proportion: each gave a third, within one slot.
    for m in &ms[..3] {
        let gave = before[&m.addr()] - after[&m.addr()];
        let exact = 1000.0 * before[&m.addr()] as f64
            / ms[..3].iter().map(|m| before[&m.addr()]).sum::<usize>() as f64;
        assert!(
            (gave as f64 - exact).abs() < 1.0,
            "{} gave {gave}",
            m.addr()
        );
    }
    assert!(views_agree(&nodes), "views agree right after trib returns");
    verify(&nodes, &kvs);
    check_ok(&nodes);

    // --range with several ranges, sources by ID prefix and address, DST by full ID,
    // --pipeline 1.
    let map = slot_map(&nodes[0]);
    let owned_by = |n: &RedisNode| -> Vec<usize> {
        (0..16384)
            .filter(|s| map[*s].as_deref() == Some(n.addr().as_str()))
            .collect()
    };
    let a = owned_by(ms[0]);
    let b = owned_by(ms[1]);
    let r1 = format!("{}-{}", a[0], a[9]);
    let r2 = format!("{}-{}", b[5], b[24]);
    let prefix = ms[0].node_id()[..8].to_string();
    let out = reshard(&[
        &nodes[1].addr(),
        "--from",
        &format!("{prefix},{}", ms[1].addr()),
        "--to",
        &ms[2].node_id(),
        "--range",
        &format!("{r1},{r2}"),
        "--pipeline",
        "1",
        "--yes",
    ]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let map2 = slot_map(&nodes[0]);
    for s in a[0..10].iter().chain(&b[5..25]) {
        assert_eq!(map2[*s].as_deref(), Some(ms[2].addr().as_str()), "slot {s}");
    }
    assert!(views_agree(&nodes));
    verify(&nodes, &kvs);
    check_ok(&nodes);

    // Drain ms[0] completely: it loses its last slot and becomes a replica.
    let n0 = counts(&nodes[0])[&ms[0].addr()];
    let out = reshard(&[
        &nodes[0].addr(),
        "--from",
        &ms[0].addr(),
        "--to",
        &ms[1].addr(),
        "--slots",
        &n0.to_string(),
        "--yes",
    ]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(!counts(&nodes[0]).contains_key(&ms[0].addr()));
    settled_and_intact(&nodes, &kvs);
}

/// Empty slots: thousands in a handful of round trips.
#[test]
fn reshard_many_empty_slots() {
    let nodes = cluster(3, 0);
    let ms = masters(&nodes);
    let t = Instant::now();
    let out = reshard(&[
        &nodes[0].addr(),
        "--from",
        &format!("{},{}", ms[0].addr(), ms[1].addr()),
        "--to",
        &ms[2].addr(),
        "--slots",
        "5000",
        "--yes",
    ]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let took = t.elapsed();
    eprintln!("5000 empty slots: {took:?}");
    assert_eq!(counts(&nodes[0])[&ms[2].addr()], 5461 + 5000);
    assert!(views_agree(&nodes));
    check_ok(&nodes);
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// Refusals: exit 2 and nothing changed.
#[test]
fn reshard_refuses_bad_input() {
    let nodes = cluster(3, 1);
    fill(&nodes, "b:", 200);
    let ms = masters(&nodes);
    let replica = nodes
        .iter()
        .find(|n| !ms.iter().any(|m| m.addr() == n.addr()))
        .unwrap();
    let before = snapshots(&nodes);
    let e = nodes[0].addr();
    let (m0, m1) = (ms[0].addr(), ms[1].addr());
    let owned_by_m0 = slot_map(&nodes[0])
        .iter()
        .position(|a| a.as_deref() == Some(m0.as_str()))
        .unwrap()
        .to_string();
    let replica_addr = replica.addr();
    // Every case runs with `--yes` and must exit 2 saying something, changing nothing.
    let cases: [(&[&str], &str); 8] = [
        (
            &[&e, "--from", "all", "--to", &m0, "--slots", "16384"],
            "own only",
        ),
        (
            &[&e, "--from", "all", "--to", "127.0.0.9:1", "--slots", "1"],
            "no node",
        ),
        (
            &[&e, "--from", "ffffffff", "--to", &m0, "--slots", "1"],
            "ffffffff",
        ),
        (
            &[&e, "--from", "all", "--to", &replica_addr, "--slots", "1"],
            "replica",
        ),
        (
            &[&e, "--from", &m0, "--to", &m0, "--slots", "1"],
            "destination",
        ),
        (
            &[&e, "--from", "all", "--to", &m0, "--range", "9-2"],
            "not a slot range",
        ),
        (&[&e, "--from", "all", "--to", &m0], "--slots"),
        (
            &[&e, "--from", "all", "--to", &m0, "--slots", "0"],
            "at least 1",
        ),
    ];
    for (args, says) in cases {
        let mut full = args.to_vec();
        full.push("--yes");
        let out = reshard(&full);
        assert_eq!(out.code, 2, "{args:?}\n{}", show(&out));
        assert!(
            out.stderr.contains(says),
            "{args:?} should say {says:?}\n{}",
            show(&out)
        );
        assert_eq!(snapshots(&nodes), before, "{args:?} changed nothing");
    }
    // Not bad input: a range the destination owns already (what a re-run after the move
    // finds) is nothing to do, exit 0.
    let out = reshard(&[
        &e,
        "--from",
        &m1,
        "--to",
        &m0,
        "--range",
        &owned_by_m0,
        "--yes",
    ]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(out.stdout.contains("nothing to move"), "{}", show(&out));
    assert_eq!(snapshots(&nodes), before, "a range at its destination");
    // Unhealthy: an open slot.
    let slot = owned_by_m0;
    ms[0].cmd(&["CLUSTER", "SETSLOT", &slot, "MIGRATING", &ms[1].node_id()]);
    let out = reshard(&[&e, "--from", "all", "--to", &m1, "--slots", "10", "--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(
        out.stderr.contains("trib fix") && out.stderr.contains("migrating"),
        "{}",
        show(&out)
    );
    ms[0].cmd(&["CLUSTER", "SETSLOT", &slot, "STABLE"]);
    // Dry run: plan, nothing changed.
    let out = reshard(&[
        &e,
        "--from",
        "all",
        "--to",
        &m1,
        "--slots",
        "10",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["changed"], false);
    assert_eq!(doc["plan"]["slots"], 10);
    // No terminal, no --yes: exit 3.
    let out = reshard(&[&e, "--from", "all", "--to", &m1, "--slots", "10"]);
    assert_eq!(out.code, 3, "{}", show(&out));
    assert_eq!(snapshots(&nodes), before);
}

/// A key for which `pred(slot)` holds.
fn key_where(prefix: &str, pred: impl Fn(u16) -> bool) -> String {
    (0..)
        .map(|i| format!("{prefix}{i}"))
        .find(|k| pred(trib::model::key_slot(k.as_bytes())))
        .unwrap()
}

#[test]
fn reshard_busy_keys() {
    let nodes = cluster(3, 0);
    let ms = masters(&nodes);
    let (src, dst) = (ms[0], ms[1]);
    let src_slots = common::view::slots_owned_by(&nodes[0], &src.addr());
    // Three disjoint groups of 100 slots with keys in each.
    let groups: Vec<&[u16]> = vec![
        &src_slots[0..100],
        &src_slots[100..200],
        &src_slots[200..300],
    ];
    let range = |g: &[u16]| format!("{}-{}", g[0], g[g.len() - 1]);
    let kvs = fill(&nodes, "z:", 30_000);
    let mut c = ClusterClient::new(&[nodes[0].addr()]);

    // 1. A different value on the target, --replace: completes, the source's value wins.
    let k1 = key_where("busy1:", |s| groups[0].contains(&s));
    c.set(&k1, "from-source").unwrap();
    plant(dst, src, &k1, "stale-on-target");
    let out = reshard(&[
        &nodes[0].addr(),
        "--from",
        &src.addr(),
        "--to",
        &dst.addr(),
        "--range",
        &range(groups[0]),
        "--replace",
        "--yes",
    ]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(c.get(&k1).unwrap().as_deref(), Some("from-source"));

    // 2. An identical value on the target: completes without --replace.
    let k2 = key_where("busy2:", |s| groups[1].contains(&s));
    c.set(&k2, "same").unwrap();
    plant(dst, src, &k2, "same");
    let out = reshard(&[
        &nodes[0].addr(),
        "--from",
        &src.addr(),
        "--to",
        &dst.addr(),
        "--range",
        &range(groups[1]),
        "--yes",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(json(&out)["report"]["identical_keys"], 1);
    assert_eq!(c.get(&k2).unwrap().as_deref(), Some("same"));
    check_ok(&nodes);

    // 3. A different value, no --replace: exit 1 naming the key; nothing lost.
    let k3 = key_where("busy3:", |s| groups[2].contains(&s));
    c.set(&k3, "keep-me").unwrap();
    plant(dst, src, &k3, "other");
    let out = reshard(&[
        &nodes[0].addr(),
        "--from",
        &src.addr(),
        "--to",
        &dst.addr(),
        "--range",
        &range(groups[2]),
        "--yes",
    ]);
    assert_eq!(out.code, 1, "{}", show(&out));
    assert!(
        out.stderr.contains(&k3) && out.stderr.contains("--replace"),
        "{}",
        show(&out)
    );
    // Both copies are still there; the cluster still serves the source's.
    assert_eq!(c.get(&k3).unwrap().as_deref(), Some("keep-me"));
    let slot = trib::model::key_slot(k3.as_bytes()).to_string();
    assert_eq!(src.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot]), "1");
    verify_reads(&nodes, &kvs);
}

/// A client writes and reads while `work` runs: no acknowledged write lost, no read going
/// backwards, no error the client could not follow (only redirects).
fn under_load(nodes: &[RedisNode], work: impl FnOnce()) {
    let seeds: Vec<String> = nodes.iter().map(RedisNode::addr).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (seeds, stop, written) = (seeds.clone(), stop.clone(), written.clone());
        std::thread::spawn(move || Writer::run(&seeds, 300, u64::MAX, &stop, &written))
    };
    let reader = {
        let (seeds, stop) = (seeds.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut c = ClusterClient::new(&seeds);
            let mut last = vec![0u64; 300];
            let mut errors = Vec::new();
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for (i, seen) in last.iter_mut().enumerate() {
                    match c.get(&Writer::key(i)) {
                        Ok(Some(v)) => {
                            let v: u64 = v.parse().unwrap();
                            if v < *seen {
                                errors.push(format!("{}: read {v} after {seen}", Writer::key(i)));
                            }
                            *seen = v;
                        }
                        Ok(None) if *seen > 0 => {
                            errors.push(format!("{}: missing after {seen}", Writer::key(i)))
                        }
                        Ok(None) => {}
                        Err(e) => errors.push(e),
                    }
                    reads += 1;
                }
            }
            (reads, errors)
        })
    };
    wait_until("the writer is going", Duration::from_secs(10), || {
        written.load(Ordering::Relaxed) > 500
    });
    work();
    let before = written.load(Ordering::Relaxed);
    wait_until(
        "more writes after the moves",
        Duration::from_secs(10),
        || written.load(Ordering::Relaxed) > before + 300,
    );
    stop.store(true, Ordering::Relaxed);
    let w = writer.join().unwrap();
    let (reads, read_errors) = reader.join().unwrap();
    eprintln!(
        "writes {} (failures {}), reads {reads}",
        w.writes,
        w.failures.len()
    );
    assert!(
        w.failures.is_empty(),
        "{:?}",
        &w.failures[..w.failures.len().min(5)]
    );
    assert!(
        read_errors.is_empty(),
        "{:?}",
        &read_errors[..read_errors.len().min(5)]
    );
    let mut c = ClusterClient::new(&seeds);
    for (i, acked) in w.acked.iter().enumerate() {
        let v = c.get(&Writer::key(i)).unwrap();
        let got: Option<u64> = v.map(|v| v.parse().unwrap());
        assert!(
            got >= *acked,
            "{}: acked {acked:?}, read {got:?}",
            Writer::key(i)
        );
    }
}

/// Reshards back and forth under a client's load (see [`under_load`]).
#[test]
fn reshard_under_load() {
    let nodes = cluster(3, 1);
    let kvs = fill(&nodes, "l:", 30_000);
    let ms = masters(&nodes);
    under_load(&nodes, || {
        // Back and forth, the batch size fixed small so the moves take a while.
        for (from, to, pipeline) in [
            (ms[0], ms[1], "5"),
            (ms[1], ms[0], "50"),
            (ms[2], ms[0], "1"),
        ] {
            let out = reshard(&[
                &nodes[0].addr(),
                "--from",
                &from.addr(),
                "--to",
                &to.addr(),
                "--slots",
                "1500",
                "--pipeline",
                pipeline,
                "--yes",
            ]);
            assert_eq!(out.code, 0, "{}", show(&out));
        }
    });
    settled_and_intact(&nodes, &kvs);
}

/// Rebalances under a client's load: a master drained (weight 0; Redis may turn it into a
/// replica), then the others weighted 3:1, one right after the other (the second waits
/// for the first one's config epochs to settle).
#[test]
fn rebalance_under_load() {
    let nodes = cluster(3, 1);
    let kvs = fill(&nodes, "l:", 30_000);
    let ms = masters(&nodes);
    under_load(&nodes, || {
        for weights in [
            vec![format!("{}=0", ms[2].addr())],
            vec![format!("{}=0", ms[2].addr()), format!("{}=3", ms[0].addr())],
        ] {
            let mut args = vec!["rebalance".to_string(), nodes[0].addr(), "--yes".into()];
            for w in weights {
                args.push("--weight".into());
                args.push(w);
            }
            let out = run(trib().args(&args));
            assert_eq!(out.code, 0, "{}", show(&out));
        }
    });
    settled_and_intact(&nodes, &kvs);
    let owned = counts(&nodes[0]);
    let owners = |m: &RedisNode| owned.get(&m.addr()).copied().unwrap_or(0);
    assert_eq!(owners(ms[2]), 0, "drained: {owned:?}");
    assert!(owners(ms[0]) > 2 * owners(ms[1]), "weighted 3:1: {owned:?}");
}

/// Empty slots change owner without being opened (`SETSLOT NODE` on the source, which
/// refuses a slot that holds keys). A client writing new keys into those slots while
/// they move must lose nothing: a slot that got a key after trib counted it takes the
/// full path (IMPORTING/MIGRATING/MIGRATE), and every acknowledged write reads back.
#[test]
fn new_keys_written_into_moving_empty_slots_are_kept() {
    let nodes = cluster(3, 0);
    let ms = masters(&nodes);
    let seeds: Vec<String> = nodes.iter().map(RedisNode::addr).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (seeds, stop) = (seeds.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut c = ClusterClient::new(&seeds);
            let (mut acked, mut failures) = (Vec::new(), Vec::new());
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let key = format!("new:{i}");
                match c.set(&key, &i.to_string()) {
                    Ok(()) => acked.push(i),
                    Err(e) => failures.push(format!("{key}: {e}")),
                }
                i += 1;
            }
            (acked, failures)
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let mut refused_runs = 0;
    for (from, to) in [(ms[0], ms[1]), (ms[1], ms[2]), (ms[2], ms[0])] {
        let out = reshard(&[
            &nodes[0].addr(),
            "--from",
            &from.addr(),
            "--to",
            &to.addr(),
            "--slots",
            "3000",
            "--yes",
            "-v",
        ]);
        assert_eq!(out.code, 0, "{}", show(&out));
        if out.stderr.contains("got keys meanwhile") {
            refused_runs += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let (acked, failures) = writer.join().unwrap();
    eprintln!(
        "{} writes acknowledged, {} failed; {refused_runs} of 3 runs met a slot that got keys after it was counted",
        acked.len(),
        failures.len()
    );
    assert!(
        acked.len() > 100,
        "the writer barely wrote: {}",
        acked.len()
    );
    assert!(
        failures.is_empty(),
        "{:?}",
        &failures[..failures.len().min(5)]
    );
    check_ok(&nodes);
    let mut c = ClusterClient::new(&seeds);
    let lost: Vec<String> = acked
        .iter()
        .filter(|i| c.get(&format!("new:{i}")).ok().flatten() != Some(i.to_string()))
        .map(|i| format!("new:{i}"))
        .take(5)
        .collect();
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    let total: u64 = ms
        .iter()
        .map(|n| n.cmd(&["DBSIZE"]).trim().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, acked.len() as u64, "keys on the masters");
}

/// Every slot `node` owns, from its own view.
fn slots_of(node: &RedisNode) -> Vec<u16> {
    common::view::slots_owned_by(node, &node.addr())
}

/// `n` keys named `prefix<i>` in `slots`.
fn keys_in(prefix: &str, slots: &std::collections::BTreeSet<u16>, n: usize) -> Vec<String> {
    (0..)
        .map(|i| format!("{prefix}{i}"))
        .filter(|k| slots.contains(&trib::model::key_slot(k.as_bytes())))
        .take(n)
        .collect()
}

/// `PTTL` of `key` through the cluster.
fn pttl(c: &mut ClusterClient, key: &str) -> i64 {
    match c.exec(key, ::redis::cmd("PTTL").arg(key)) {
        Ok(::redis::Value::Int(n)) => n,
        other => panic!("PTTL {key}: {other:?}"),
    }
}

/// Keys move through trib (`DUMP` on the source, `RESTORE-ASKING` on the target) whole:
/// hash-table encoded hashes and sets (whose `DUMP` differs from server to server), times
/// to live given while the keys move (the source had none when the move began, so trib
/// skipped `PTTL` until `INFO keyspace` said otherwise), and keys that expired before they
/// moved but were not deleted yet (active expiry off: still listed, redirected by the
/// source) do not hold the move up. Then the same back with `--via-migrate`. The classic
/// path throughout (`--no-atomic`: on Valkey 9 slots would move by `MIGRATESLOTS`).
#[test]
fn relayed_keys_keep_types_and_ttls() {
    let nodes = cluster(3, 0);
    let ms = masters(&nodes);
    let (a, b) = (ms[0], ms[1]);
    let kvs = fill(&nodes, "r:", 4_000);
    let seeds = vec![nodes[0].addr()];
    let mut c = ClusterClient::new(&seeds);
    // All of a's slots but its last (a master left without slots becomes a replica).
    let mut on_a: std::collections::BTreeSet<u16> = slots_of(a).into_iter().collect();
    let kept = on_a.pop_last().unwrap();
    let hash = key_where("h:", |s| on_a.contains(&s));
    let set = key_where("s:", |s| on_a.contains(&s));
    for i in 0..500 {
        c.exec(
            &hash,
            ::redis::cmd("HSET").arg(&hash).arg(format!("f{i}")).arg(i),
        )
        .unwrap();
        c.exec(&set, ::redis::cmd("SADD").arg(&set).arg(format!("m{i}")))
            .unwrap();
    }
    let ttl_keys = keys_in("x:", &on_a, 300);
    for k in &ttl_keys {
        c.set(k, "v").unwrap();
    }
    assert!(info_field(a, "keyspace", "db0").contains("expires=0"));

    // A client gives keys a time to live while they move.
    let mut move_out = spawn(trib().args([
        "reshard",
        &nodes[0].addr(),
        "--from",
        &a.addr(),
        "--to",
        &b.addr(),
        "--slots",
        &on_a.len().to_string(),
        "--yes",
        "--no-atomic",
    ]));
    // One pass, once the move is under way (trib looked at the source's keyspace before):
    // those keys must keep their time to live, the others must not get one.
    wait_until("a slot migrating", Duration::from_secs(30), || {
        a.cmd(&["CLUSTER", "NODES"]).contains("->-") || move_out.exited()
    });
    let mut given = 0;
    for k in &ttl_keys {
        if move_out.exited() {
            break;
        }
        c.exec(k, ::redis::cmd("PEXPIRE").arg(k).arg(3_600_000))
            .unwrap();
        given += 1;
    }
    let (out, took) = move_out.finish(Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}", show(&out));
    eprintln!("{given} PEXPIRE while the keys moved ({took:?})");
    assert!(given > 0, "the move ended before the first PEXPIRE");
    settled_and_intact(&nodes, &kvs);
    for (i, k) in ttl_keys.iter().enumerate() {
        let t = pttl(&mut c, k);
        if i < given {
            assert!(t > 3_000_000, "{k}: PTTL {t} after the move");
        } else {
            assert_eq!(t, -1, "{k}: no time to live was given");
        }
    }
    let hlen = c.exec(&hash, ::redis::cmd("HLEN").arg(&hash)).unwrap();
    assert_eq!(hlen, ::redis::Value::Int(500));
    let scard = c.exec(&set, ::redis::cmd("SCARD").arg(&set)).unwrap();
    assert_eq!(scard, ::redis::Value::Int(500));
    let f = c
        .exec(&hash, ::redis::cmd("HGET").arg(&hash).arg("f499"))
        .unwrap();
    assert_eq!(f, ::redis::Value::BulkString(b"499".to_vec()));
    assert_eq!(slots_of(a), [kept]);

    // Keys expired but still there on the source: listed, then redirected for.
    b.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let gone = keys_in("e:", &on_a, 200);
    for k in &gone {
        c.exec(k, ::redis::cmd("SET").arg(k).arg("v").arg("PX").arg(1))
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(20));
    let listed: usize = gone
        .iter()
        .map(|k| trib::model::key_slot(k.as_bytes()))
        .collect::<std::collections::BTreeSet<_>>()
        .iter()
        .map(|s| {
            b.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s.to_string()])
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert!(listed >= gone.len(), "the expired keys are still listed");
    let (first, last) = (on_a.first().unwrap(), on_a.last().unwrap());
    assert_eq!(usize::from(last - first) + 1, on_a.len(), "one range");
    let back = spawn(trib().args([
        "reshard",
        &nodes[0].addr(),
        "--from",
        &b.addr(),
        "--to",
        &a.addr(),
        "--range",
        &format!("{first}-{last}"),
        "--yes",
        "--no-atomic",
    ]));
    let (out, _) = back.finish(Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}", show(&out));
    b.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    settled_and_intact(&nodes, &kvs);
    for k in &gone {
        assert_eq!(c.get(k).unwrap(), None, "{k} expired");
    }
    for k in &ttl_keys[..given] {
        let t = pttl(&mut c, k);
        assert!(t > 3_000_000, "{k}: PTTL {t} after the move back");
    }

    // The same through MIGRATE.
    let out = reshard(&[
        &nodes[0].addr(),
        "--from",
        &a.addr(),
        "--to",
        &b.addr(),
        "--slots",
        "1000",
        "--via-migrate",
        "--no-atomic",
        "--yes",
    ]);
    assert_eq!(out.code, 0, "{}", show(&out));
    settled_and_intact(&nodes, &kvs);
    for k in &ttl_keys[..given] {
        assert!(pttl(&mut c, k) > 3_000_000, "{k} after --via-migrate");
    }
}
