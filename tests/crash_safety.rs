//! Crash safety: a `trib reshard`, `rebalance` or `fix` killed at any point (SIGKILL,
//! `Child::kill`) leaves a cluster that `trib fix --yes` completes with no key lost; a
//! `trib create` killed at any point is completed by running it again; a `trib failover`
//! killed at any point leaves one master per shard (after `fix` if needed), every key
//! present.
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
//! After every kill, `trib check` must tell the truth (see [`assert_check_truthful`]).
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
#[path = "common/intact.rs"]
mod intact;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use intact::*;

const KEYS: usize = 4000;

/// Where to kill, as fractions of the uninterrupted run time. With `n` points, `n` of them
/// are picked evenly from this list (always including the first and the last).
const FRACTIONS: [f64; 24] = [
    0.0, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55,
    0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 0.97,
];

/// A drained master stays an empty master (for the next rebalance onto it).
fn opts() -> NodeOptions {
    quick_opts().with("cluster-allow-replica-migration", "no")
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

/// The keys every migration test writes.
fn keys() -> Keys {
    Keys::new("crash", KEYS)
}

/// `masters` masters created by trib, plus `extra` empty masters joined with add-node, then
/// `KEYS` keys written through their owners.
fn cluster(masters: usize, extra: usize) -> TestCluster {
    let nodes = TestCluster::new()
        .masters(masters)
        .spares(extra)
        .options(opts())
        .settled()
        .start();
    keys().write(&[nodes[0].addr()]);
    nodes
}

/// Hard deadline for every uninterrupted run (a hang fails the test).
const DEADLINE: Duration = Duration::from_secs(120);

/// Runs `args` to completion and returns how long it took.
fn timed(args: &[String]) -> Duration {
    let started = Instant::now();
    let (out, _) = run_within(trib().args(args), DEADLINE);
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

/// Whether `trib check` finds something to repair (the kill left the cluster mid-move),
/// checked against the nodes' own state (see [`assert_check_truthful`]). Returns the
/// check's output (for failure messages) with it.
fn broken(nodes: &[RedisNode]) -> (bool, String) {
    let (broken, out) = assert_check_truthful(nodes, "after the kill");
    (broken, out.stdout)
}

/// Runs `trib fix --yes`; returns its output (for failure messages).
fn fix(nodes: &[RedisNode], what: &str) -> String {
    let (out, _) = run_within(
        trib().arg("fix").arg(nodes[0].addr()).arg("--yes"),
        DEADLINE,
    );
    if out.code != 0 {
        panic!("{what}: trib fix\n{}\n{}", show(&out), views(nodes));
    }
    show(&out)
}

/// After a kill: `trib fix` repairs the cluster and every key of `keys` is intact.
fn fix_and_assert_intact(nodes: &[RedisNode], keys: &Keys, what: &str, check: &str) {
    let fixed = fix(nodes, what);
    assert_intact(
        nodes,
        keys,
        &format!("{what}\n--- check before fix:\n{check}\n--- fix:\n{fixed}\n"),
    );
}

/// Over the kill points: the runs really interrupted, and those that left something
/// `check` found broken.
#[derive(Default)]
struct Tally {
    interrupted: usize,
    left_broken: usize,
}

impl Tally {
    /// Starts `args` and kills it after `delay` (see [`kill_after`]), then asks `check`
    /// (see [`broken`]); returns the check's output.
    fn kill(&mut self, nodes: &[RedisNode], args: &[String], delay: Duration) -> String {
        if kill_after(args, delay) {
            self.interrupted += 1;
        }
        let (was_broken, check) = broken(nodes);
        if was_broken {
            self.left_broken += 1;
        }
        check
    }

    /// Prints the counts; fails if no run was interrupted.
    fn finish(self, command: &str, full: Duration, broken_means: &str) {
        eprintln!(
            "{command}: uninterrupted run {full:?}; {} runs interrupted, {} left {broken_means}",
            self.interrupted, self.left_broken
        );
        assert!(self.interrupted > 0, "no run was interrupted");
    }
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
    assert_intact(&nodes, &keys(), "uninterrupted reshard");
    let mut tally = Tally::default();
    for (i, f) in points().into_iter().enumerate() {
        let delay = full.mul_f64(f);
        let what = format!("reshard killed after {delay:?} ({f} of {full:?})");
        let check = tally.kill(&nodes, &args(i + 1), delay);
        fix_and_assert_intact(&nodes, &keys(), &what, &check);
    }
    tally.finish("reshard", full, "something for fix to repair");
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
    assert_intact(&nodes, &keys(), "uninterrupted rebalance");
    timed(&drain);
    let full = first.min(timed(&onto));
    assert_intact(&nodes, &keys(), "second uninterrupted rebalance");
    let mut tally = Tally::default();
    for f in points() {
        timed(&drain);
        assert_intact(&nodes, &keys(), &format!("drain before the kill point {f}"));
        let role = nodes[3].cmd(&["ROLE"]);
        assert!(role.starts_with("master"), "drained node: {role}");
        assert_eq!(nodes[3].cmd(&["DBSIZE"]).trim(), "0", "drained");
        let delay = full.mul_f64(f);
        let what = format!("rebalance killed after {delay:?} ({f} of {full:?})");
        let check = tally.kill(&nodes, &onto, delay);
        fix_and_assert_intact(&nodes, &keys(), &what, &check);
    }
    tally.finish("rebalance", full, "something for fix to repair");
}

// ---------------------------------------------------------------------------------------------
// create

fn create_opts() -> NodeOptions {
    opts().with("repl-diskless-sync-delay", "0")
}

fn create_args(nodes: &[RedisNode]) -> Vec<String> {
    let mut a = strings(&["create"]);
    a.extend(addrs(nodes));
    a.extend(strings(&["--replicas", "1", "--yes"]));
    a
}

/// Kill points over a whole create of 6 fresh nodes (3 masters, 3 replicas): gather, slots
/// and epochs, MEETs, replica attach, the fast-join node timeout and the final wait.
/// After each kill, `check` tells the truth and running the same create again completes
/// the cluster: 3 masters with a replica each, every node back at its own
/// `cluster-node-timeout`, keys written then read back.
#[test]
fn create_killed_at_any_point_is_completed_by_running_it_again() {
    // Fresh nodes for every run: a created cluster has nothing left to create.
    let calibrate = || timed(&create_args(&start_nodes(6, &create_opts())));
    let full = calibrate().min(calibrate());
    let mut tally = Tally::default();
    for f in points() {
        let nodes = start_nodes(6, &create_opts());
        let args = create_args(&nodes);
        let delay = full.mul_f64(f);
        let what = format!("create killed after {delay:?} ({f} of {full:?})");
        let check = tally.kill(&nodes, &args, delay);
        let (out, took) = run_within(trib().args(&args), DEADLINE);
        assert_eq!(
            out.code,
            0,
            "{what}: create run again, after {took:?}: {}\n--- check before:\n{check}",
            show(&out)
        );
        wait_check_ok(&addrs(&nodes), Duration::from_secs(20), &what);
        let masters: Vec<&RedisNode> = nodes.iter().filter(|n| is_master(n)).collect();
        assert_eq!(masters.len(), 3, "{what}: {}", views(&nodes));
        for m in &masters {
            assert_eq!(replica_ids(m).len(), 1, "{what}: {}", views(&nodes));
        }
        for n in &nodes {
            assert_eq!(
                n.cmd(&["CONFIG", "GET", "cluster-node-timeout"]),
                "cluster-node-timeout\n1000",
                "{what}: {} keeps a lowered node timeout",
                n.addr()
            );
        }
        let keys = Keys::new("created", 300);
        keys.write(&addrs(&nodes));
        assert_intact(&nodes, &keys, &what);
    }
    tally.finish("create", full, "a cluster check found broken");
}

// ---------------------------------------------------------------------------------------------
// fix

/// Keys of the fix test: more than the others, so that the slots it breaks hold keys.
fn fix_keys() -> Keys {
    Keys::new("crash-fix", 10_000)
}

/// What an interrupted reshard and a lost slot leave: 400 slots of one master open
/// towards the next with about half of each slot's keys moved, and 200 slots of the third
/// unassigned everywhere (the cluster is down) with their keys still on it. Masters take
/// turns with `round`.
fn break_cluster(nodes: &[RedisNode], round: usize) {
    let (a, b, c) = (
        &nodes[round % 3],
        &nodes[(round + 1) % 3],
        &nodes[(round + 2) % 3],
    );
    open_slots(a, b, 400);
    uncover_slots(nodes, c, 200);
}

/// Kill points over a `fix` of many open and uncovered slots holding keys. After each
/// kill, `check` tells the truth, running fix again completes the repair, and every key
/// is where it belongs.
#[test]
fn fix_killed_at_any_point_is_completed_by_running_it_again() {
    let nodes = TestCluster::new()
        .masters(3)
        .options(opts())
        .settled()
        .start();
    let keys = fix_keys();
    keys.write(&addrs(&nodes));
    let args = strings(&["fix", &nodes[0].addr(), "--yes"]);
    break_cluster(&nodes, 0);
    assert_check_fails(&addrs(&nodes), "broken on purpose");
    let full = timed(&args);
    assert_intact(&nodes, &keys, "uninterrupted fix");
    let mut tally = Tally::default();
    for (i, f) in points().into_iter().enumerate() {
        break_cluster(&nodes, i + 1);
        let delay = full.mul_f64(f);
        let what = format!("fix killed after {delay:?} ({f} of {full:?})");
        let check = tally.kill(&nodes, &args, delay);
        fix_and_assert_intact(&nodes, &keys, &what, &check);
    }
    tally.finish("fix", full, "something for the next fix");
}

// ---------------------------------------------------------------------------------------------
// failover

/// Waits until every replica's link is up and it holds as many keys as its master (a
/// plain failover needs the link; an old master resyncs after each switch).
fn wait_replicas_synced(nodes: &[RedisNode]) {
    wait_until("every replica is in sync", Duration::from_secs(30), || {
        nodes.iter().filter(|n| is_master(n)).all(|m| {
            let ids = replica_ids(m);
            nodes
                .iter()
                .filter(|r| ids.contains(&r.node_id()))
                .all(|r| {
                    r.try_cmd(&["INFO", "replication"])
                        .is_ok_and(|i| i.contains("master_link_status:up"))
                        && dbsize(r) == dbsize(m)
                })
        })
    });
}

/// Kill points over a plain `failover` of a master (the masters take turns). After each
/// kill, Redis finishes or abandons a switch that had started; `check` tells the truth;
/// once it is clean (or after `fix`), there is one master per shard with its replica and
/// every key is present.
#[test]
fn failover_killed_at_any_point_leaves_one_master_per_shard() {
    let nodes = TestCluster::new()
        .masters(3)
        .replicas(1)
        .options(create_opts())
        .settled()
        .start();
    let keys = Keys::new("crash-failover", 3000);
    keys.write(&addrs(&nodes));
    let master = |i: usize| -> String {
        let mut m: Vec<String> = nodes
            .iter()
            .filter(|n| is_master(n))
            .map(RedisNode::addr)
            .collect();
        m.sort();
        m[i % m.len()].clone()
    };
    let args = |i: usize| strings(&["failover", "--demote", &master(i), "--yes"]);
    wait_replicas_synced(&nodes);
    let first = timed(&args(0));
    wait_replicas_synced(&nodes);
    let full = first.min(timed(&args(1)));
    let mut tally = Tally::default();
    for (i, f) in points().into_iter().enumerate() {
        settle(&nodes);
        wait_replicas_synced(&nodes);
        let delay = full.mul_f64(f);
        let what = format!("failover killed after {delay:?} ({f} of {full:?})");
        let check = tally.kill(&nodes, &args(i + 2), delay);
        // A manual failover Redis started ends (done or abandoned) within 5 s.
        let clean = (0..75).any(|_| {
            std::thread::sleep(Duration::from_millis(200));
            check_json(&addrs(&nodes)).0.code == 0
        });
        let fixed = if clean {
            String::new()
        } else {
            fix(&nodes, &what)
        };
        wait_check_ok(&addrs(&nodes), Duration::from_secs(20), &what);
        // Roles too: `check` compares slot maps, and a node may still list the old master
        // as a master without slots for a moment after the switch.
        let settled = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            views_agree(&nodes)
        });
        assert!(settled, "{what}: views never agreed: {}", views(&nodes));
        let masters: Vec<&RedisNode> = nodes.iter().filter(|n| is_master(n)).collect();
        assert_eq!(masters.len(), 3, "{what}: {}", views(&nodes));
        for m in &masters {
            assert_eq!(replica_ids(m).len(), 1, "{what}: {}", views(&nodes));
        }
        assert_intact(
            &nodes,
            &keys,
            &format!("{what}\n--- check before:\n{check}\n--- fix:\n{fixed}\n"),
        );
    }
    tally.finish("failover", full, "a cluster check found broken");
}
