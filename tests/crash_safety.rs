//! Crash safety of slot migrations: a `trib reshard` or `trib rebalance` killed at any
//! point (SIGKILL, `Child::kill`) leaves a cluster that `trib fix --yes` completes with no
//! key lost.
//!
//! One cluster per command, holding `KEYS` keys written through their owners. The first
//! run of the command is not interrupted and gives its duration `T`; then, for each kill
//! point, the command is started again and killed after `T × f`, with `f` taken from a
//! fixed list of fractions spread over the run (0 = right after the process started).
//! After every kill: `trib fix ENTRY --yes` exits 0, `trib check` exits 0, all 16384
//! slots are covered, every key reads back with its value through the cluster client, and
//! the masters together hold exactly `KEYS` keys (nothing lost, nothing left behind
//! twice).
//!
//! Kill points per command: `TRIB_CRASH_POINTS`, else 20 with `TRIB_SLOW=1`, else 4.
//!
//! Found by this test: with `SETSLOT NODE` sent to the target before the source, a kill
//! between the two let the source (still migrating, with a higher configEpoch) win the
//! slots back and the target delete their keys (cluster.c `clusterUpdateSlotsConfigWith`).
//! The engine now finishes slots on the source first. Found next: `fix` closed slots on
//! the new owner first, so an old owner still advertising the slot with a higher epoch
//! (epochs move: concurrent bumps collide and Redis bumps one side again) won it back,
//! and the new owner deleted the keys it had just received, or kept a view nobody could
//! correct. `fix` now has every other master let go before the owner claims, and tells a
//! node that lags behind the repaired map again while it waits.

#[path = "common/client.rs"]
mod client;
mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use client::ClusterClient;
use common::*;

const KEYS: usize = 4000;

/// Where to kill, as fractions of the uninterrupted run time. With `n` points, `n` of them
/// are picked evenly from this list (always including the first and the last).
const FRACTIONS: [f64; 24] = [
    0.0, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55,
    0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 0.97,
];

fn opts() -> NodeOptions {
    NodeOptions {
        extra: vec![
            ("cluster-node-timeout".into(), "1000".into()),
            // A drained master stays an empty master (for the next rebalance onto it).
            ("cluster-allow-replica-migration".into(), "no".into()),
        ],
        ..Default::default()
    }
}

fn show(out: &Output) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        out.code, out.stdout, out.stderr
    )
}

fn points() -> Vec<f64> {
    let n = std::env::var("TRIB_CRASH_POINTS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(if std::env::var("TRIB_SLOW").is_ok_and(|v| v == "1") {
            20
        } else {
            4
        })
        .clamp(1, FRACTIONS.len());
    if n == 1 {
        return vec![FRACTIONS[FRACTIONS.len() / 2]];
    }
    (0..n)
        .map(|i| FRACTIONS[i * (FRACTIONS.len() - 1) / (n - 1)])
        .collect()
}

fn key(i: usize) -> String {
    format!("crash:{i}")
}

fn value(i: usize) -> String {
    format!("value-{i}")
}

/// `masters` masters created by trib, plus `extra` empty masters joined with add-node, then
/// `KEYS` keys written through their owners.
fn cluster(masters: usize, extra: usize) -> Vec<RedisNode> {
    let nodes = start_nodes(masters + extra, &opts());
    let out = run(trib()
        .arg("create")
        .args(nodes[..masters].iter().map(RedisNode::addr))
        .args(["--replicas", "0", "--yes"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    for n in &nodes[masters..] {
        let out = run(trib()
            .arg("add-node")
            .arg(n.addr())
            .arg(nodes[0].addr())
            .arg("--yes"));
        assert_eq!(out.code, 0, "{}", show(&out));
    }
    wait_until("views agree", Duration::from_secs(30), || {
        views_agree(&nodes)
    });
    let mut c = ClusterClient::new(&[nodes[0].addr()]);
    for i in 0..KEYS {
        c.set(&key(i), &value(i))
            .unwrap_or_else(|e| panic!("writing {}: {e}", key(i)));
    }
    nodes
}

/// Every key present with its value, every slot covered, `trib check` clean, and exactly
/// `KEYS` keys on the masters.
fn assert_intact(nodes: &[RedisNode], what: &str) {
    let out = run(trib().arg("check").arg(nodes[0].addr()));
    assert_eq!(out.code, 0, "{what}: trib check\n{}", show(&out));
    for n in nodes {
        let info = n.cmd(&["CLUSTER", "INFO"]);
        assert!(
            info.contains("cluster_slots_assigned:16384") && info.contains("cluster_state:ok"),
            "{what}: {} reports\n{info}",
            n.addr()
        );
    }
    let mut c = ClusterClient::new(&[nodes[0].addr()]);
    let mut lost = Vec::new();
    for i in 0..KEYS {
        match c.get(&key(i)) {
            Ok(Some(v)) if v == value(i) => {}
            other => lost.push((i, format!("{}: {other:?}", key(i)))),
        }
    }
    if !lost.is_empty() {
        // Where the unreadable keys are: per node, the keys it holds in the key's slot.
        let mut slots: Vec<u16> = lost
            .iter()
            .map(|(i, _)| trib::model::key_slot(key(*i).as_bytes()))
            .collect();
        slots.sort_unstable();
        slots.dedup();
        let mut whereabouts = Vec::new();
        for slot in slots.iter().take(3) {
            let held: Vec<String> = nodes
                .iter()
                .map(|n| {
                    let k = n.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]);
                    format!("{} ({}) holds {}", n.addr(), &n.node_id()[..8], k.trim())
                })
                .collect();
            whereabouts.push(format!("slot {slot}: {}", held.join(", ")));
        }
        panic!(
            "{what}: {} keys lost or wrong in {} slots, e.g. {:?}\n{}\nCLUSTER NODES:\n{}",
            lost.len(),
            slots.len(),
            lost.iter().take(3).map(|(_, m)| m).collect::<Vec<_>>(),
            whereabouts.join("\n"),
            nodes[0].cmd(&["CLUSTER", "NODES"])
        );
    }
    let total: usize = nodes
        .iter()
        .map(|n| n.cmd(&["DBSIZE"]).trim().parse::<usize>().unwrap_or(0))
        .sum();
    assert_eq!(total, KEYS, "{what}: keys on all nodes together");
}

/// Runs `args` to completion and returns how long it took.
fn timed(args: &[String]) -> Duration {
    let started = Instant::now();
    let out = run(trib().args(args));
    assert_eq!(out.code, 0, "trib {args:?}\n{}", show(&out));
    if std::env::var("TRIB_CRASH_DEBUG").is_ok() {
        eprintln!("trib {args:?}\n{}", show(&out));
    }
    started.elapsed()
}

/// Starts `args`, kills the process after `delay`. Returns whether it was still running
/// (i.e. really interrupted).
fn kill_after(args: &[String], delay: Duration) -> bool {
    let mut child = trib()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn trib");
    let deadline = Instant::now() + delay;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            assert!(
                status.success(),
                "trib {args:?} failed on its own: {status}"
            );
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(2)));
    }
    let interrupted = child.try_wait().ok().flatten().is_none();
    let _ = child.kill();
    let _ = child.wait();
    interrupted
}

/// Whether `trib check` finds something to repair (the kill left the cluster mid-move).
/// Returns the check's output (for failure messages) with it.
fn broken(nodes: &[RedisNode]) -> (bool, String) {
    let out = run(trib().arg("check").arg(nodes[0].addr()));
    (out.code != 0, out.stdout)
}

/// Runs `trib fix --yes`; returns its output (for failure messages).
fn fix(nodes: &[RedisNode], what: &str) -> String {
    let out = run(trib().arg("fix").arg(nodes[0].addr()).arg("--yes"));
    if out.code != 0 {
        let views: Vec<String> = nodes
            .iter()
            .map(|n| format!("--- {} says:\n{}", n.addr(), n.cmd(&["CLUSTER", "NODES"])))
            .collect();
        panic!("{what}: trib fix\n{}\n{}", show(&out), views.join("\n"));
    }
    show(&out)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn reshard_killed_at_any_point_is_completed_by_fix() {
    let nodes = cluster(3, 0);
    let ids: Vec<String> = nodes.iter().map(RedisNode::node_id).collect();
    let entry = nodes[0].addr();
    // Each run takes 1500 slots from the others for one master, in turn.
    let args = |i: usize| {
        strings(&[
            "reshard",
            &entry,
            "--from",
            "all",
            "--to",
            &ids[i % 3],
            "--slots",
            "1500",
            "--pipeline",
            "10",
            "--yes",
        ])
    };
    let full = timed(&args(0));
    assert_intact(&nodes, "uninterrupted reshard");
    let (mut interrupted, mut left_broken) = (0, 0);
    for (i, f) in points().into_iter().enumerate() {
        let delay = full.mul_f64(f);
        let what = format!("reshard killed after {delay:?} ({f} of {full:?})");
        if kill_after(&args(i + 1), delay) {
            interrupted += 1;
        }
        let (was_broken, check) = broken(&nodes);
        if was_broken {
            left_broken += 1;
        }
        let fixed = fix(&nodes, &what);
        assert_intact(
            &nodes,
            &format!("{what}\n--- check before fix:\n{check}\n--- fix:\n{fixed}\n"),
        );
    }
    eprintln!(
        "reshard: uninterrupted run {full:?}; {interrupted} runs interrupted, \
         {left_broken} left something for fix to repair"
    );
    assert!(interrupted > 0, "no run was interrupted");
}

#[test]
fn rebalance_onto_an_empty_master_killed_at_any_point_is_completed_by_fix() {
    let nodes = cluster(3, 1);
    let entry = nodes[0].addr();
    let onto = strings(&["rebalance", &entry, "--use-empty-masters", "--yes"]);
    // Empties the fourth master again (not interrupted) for the next kill point.
    let drain = strings(&[
        "rebalance",
        &entry,
        "--weight",
        &format!("{}=0", nodes[3].addr()),
        "--yes",
    ]);
    // The run time is the shorter of two uninterrupted runs: the first one on a new
    // cluster is slower than the later ones.
    let first = timed(&onto);
    assert_intact(&nodes, "uninterrupted rebalance");
    timed(&drain);
    let full = first.min(timed(&onto));
    assert_intact(&nodes, "second uninterrupted rebalance");
    let (mut interrupted, mut left_broken) = (0, 0);
    for f in points() {
        timed(&drain);
        let role = nodes[3].cmd(&["ROLE"]);
        assert!(role.starts_with("master"), "drained node: {role}");
        assert_eq!(nodes[3].cmd(&["DBSIZE"]).trim(), "0", "drained");
        let delay = full.mul_f64(f);
        let what = format!("rebalance killed after {delay:?} ({f} of {full:?})");
        if kill_after(&onto, delay) {
            interrupted += 1;
        }
        let (was_broken, check) = broken(&nodes);
        if was_broken {
            left_broken += 1;
        }
        let fixed = fix(&nodes, &what);
        assert_intact(
            &nodes,
            &format!("{what}\n--- check before fix:\n{check}\n--- fix:\n{fixed}\n"),
        );
    }
    eprintln!(
        "rebalance: uninterrupted run {full:?}; {interrupted} runs interrupted, \
         {left_broken} left something for fix to repair"
    );
    assert!(interrupted > 0, "no run was interrupted");
}
