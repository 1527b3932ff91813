//! Faults during `create`, `reshard`, `rebalance`, `fix` and `failover`, on real nodes:
//! a node frozen with SIGSTOP (its sockets accept, nothing answers), a node killed with
//! SIGKILL mid-operation and restarted from its own dir (nodes.conf and AOF kept), and a
//! master failing over in the middle of a reshard.
//!
//! Every command runs under a hard deadline (a hang fails the test). After each fault the
//! command either finished or exited non-zero with an error naming the node; while the node
//! is down, `check` exits 1 naming it and `info` lists it, both within their timeouts; once
//! it is back, `check` tells the truth, `fix` (or re-running `create`) repairs the cluster,
//! and every key written before reads back, with exactly that many keys on the masters.
//!
//! Scenarios: create with a replica frozen / killed after the masters got their slots;
//! reshard with its target frozen / killed while keys move; reshard while a source, or
//! the target (ignored by default, see there), fails over (`CLUSTER FAILOVER` on its
//! replica); rebalance with a source
//! frozen / killed; fix with a master frozen (refused, nothing changed) / its owner
//! killed while keys move; failover with the master frozen (plain refused, `--force`
//! works) / killed right after trib read it. Each scenario runs once, or [`rounds`]
//! times (`TRIB_FAULT_ROUNDS`, 3 with `TRIB_SLOW=1`). `TRIB_FAULTS_DEBUG=1` prints the
//! commands' output; `TRIB_FAULTS_HOLD=1` keeps the nodes running for 15 minutes when a
//! repair fails or keys are lost, to look at them.
//!
//! The kill of the trib process itself at many points is in tests/crash_safety.rs.

#[path = "common/client.rs"]
mod client;
mod common;
#[path = "common/intact.rs"]
mod intact;

use std::time::Duration;

use common::*;
use intact::*;

/// Rounds of every scenario (each on new nodes): `TRIB_FAULT_ROUNDS`, else 3 with
/// `TRIB_SLOW=1`, else 1. The races they look for (gossip against trib's steps) do not
/// show up on every run.
fn rounds() -> usize {
    std::env::var("TRIB_FAULT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if std::env::var("TRIB_SLOW").is_ok_and(|v| v == "1") {
            3
        } else {
            1
        })
}

/// Runs a scenario [`rounds`] times.
fn repeat(scenario: impl Fn()) {
    for _ in 0..rounds() {
        scenario();
    }
}

/// Deadline for a command facing a frozen or dead node (it runs with 1 s connect and
/// command timeouts, and a short `--timeout` where it has one).
const DEADLINE: Duration = Duration::from_secs(60);

/// A killed node comes back with its keys (acknowledged writes reach the AOF before the
/// reply, so SIGKILL loses none).
fn opts() -> NodeOptions {
    quick_sync_opts().with("appendonly", "yes")
}

/// `masters` masters with `replicas` replicas each, created by trib, with `keys` written.
fn cluster(masters: usize, replicas: usize, keys: &Keys) -> TestCluster {
    let nodes = TestCluster::new()
        .masters(masters)
        .replicas(replicas)
        .options(opts())
        .settled()
        .start();
    keys.write(&addrs(&nodes));
    if replicas > 0 {
        wait_until(
            "every replica has every key",
            Duration::from_secs(30),
            || {
                nodes.iter().all(|n| {
                    is_master(n) || {
                        let info = n.cmd(&["INFO", "replication"]);
                        info.contains("master_link_status:up")
                    }
                }) && nodes.iter().filter(|n| !is_master(n)).all(|r| {
                    let master = nodes
                        .iter()
                        .find(|m| is_master(m) && replica_ids(m).contains(&r.node_id()));
                    master.is_some_and(|m| m.cmd(&["DBSIZE"]) == r.cmd(&["DBSIZE"]))
                })
            },
        );
    }
    nodes
}

/// `trib reshard` moving `slots` slots from every other master to `to`, in small batches
/// (slow enough to be interrupted), with short timeouts.
fn reshard(entry: &RedisNode, to: &RedisNode, slots: u16) -> Background {
    spawn(trib().args(FAST_TIMEOUTS).args([
        "reshard",
        &entry.addr(),
        "--from",
        "all",
        "--to",
        &to.node_id(),
        "--slots",
        &slots.to_string(),
        "--pipeline",
        "5",
        "--yes",
    ]))
}

/// `trib fix ENTRY --yes` under the deadline; must exit 0.
fn fix_ok(nodes: &[RedisNode], what: &str) -> Output {
    let (out, took) = run_within(
        trib()
            .args(FAST_TIMEOUTS)
            .args(["fix", &nodes[0].addr(), "--yes", "--timeout", "30s"]),
        DEADLINE,
    );
    if out.code != 0 && std::env::var("TRIB_FAULTS_HOLD").is_ok() {
        eprintln!("HOLD {what}: {}\n{}", show(&out), views(nodes));
        std::thread::sleep(Duration::from_secs(900));
    }
    assert_eq!(
        out.code,
        0,
        "{what}: fix after {took:?}: {}\n{}",
        show(&out),
        views(nodes)
    );
    out
}

/// Says how the command ended (all of its output with `TRIB_FAULTS_DEBUG=1`).
fn report(what: &str, out: &Output, took: Duration) {
    eprintln!("{what}: ended after {took:?} with exit {}", out.code);
    if std::env::var("TRIB_FAULTS_DEBUG").is_ok() {
        eprintln!("{}", show(out));
    }
}

/// The command ended with an error naming `addr` (and no panic), or succeeded.
fn ended_clearly(out: &Output, addr: &str, what: &str) {
    assert!(
        !out.stderr.contains("panicked"),
        "{what}: panic: {}",
        show(out)
    );
    if out.code != 0 {
        assert!(
            out.stderr.contains(addr),
            "{what}: the error does not name {addr}: {}",
            show(out)
        );
    }
}

/// After the fault is over: `check` tells the truth, `fix` repairs, everything is intact.
fn repair_and_verify(nodes: &[RedisNode], keys: &Keys, what: &str) {
    settle(nodes);
    let (broken, _) = assert_check_truthful(nodes, &format!("{what}, before fix"));
    if std::env::var("TRIB_FAULTS_DEBUG").is_ok() {
        eprintln!("{what}: before fix:\n{}\n{}", strays(nodes), views(nodes));
    }
    let fixed = fix_ok(nodes, what);
    settle(nodes);
    if std::env::var("TRIB_FAULTS_DEBUG").is_ok() {
        eprintln!(
            "{what}: check before fix found it broken: {broken}\n{}",
            show(&fixed)
        );
    }
    assert_intact(nodes, keys, &format!("{what}, after fix"));
}

/// Waits until `n` received `more` keys over what it had (keys are moving to it).
fn wait_keys_arrive(n: &RedisNode, before: usize, more: usize) {
    wait_until("keys arrive on the target", Duration::from_secs(30), || {
        dbsize(n) >= before + more
    });
}

// ---------------------------------------------------------------------------------------------
// create

/// `trib create` of 6 nodes (3 masters, 3 replicas) with short timeouts.
fn create(nodes: &[RedisNode]) -> Background {
    spawn(
        trib()
            .args(FAST_TIMEOUTS)
            .arg("create")
            .args(addrs(nodes))
            .args(["--replicas", "1", "--timeout", "8s", "--yes"]),
    )
}

/// Starts a create of 6 fresh nodes and returns the index of a node that is to become a
/// replica, once the masters have their slots (the replicas are attached next).
fn create_until_masters_have_slots(nodes: &[RedisNode]) -> (Background, usize) {
    let job = create(nodes);
    wait_until(
        "the masters get their slots",
        Duration::from_secs(20),
        || nodes.iter().filter(|n| owns_slots(n)).count() == 3,
    );
    let replica = nodes
        .iter()
        .position(|n| !owns_slots(n))
        .expect("a replica-to-be");
    (job, replica)
}

/// Re-running the same create completes the cluster; keys written then read back.
fn rerun_create_completes(nodes: &[RedisNode], what: &str) {
    settle(nodes);
    let (out, took) = run_within(
        trib()
            .args(FAST_TIMEOUTS)
            .arg("create")
            .args(addrs(nodes))
            .args(["--replicas", "1", "--timeout", "30s", "--yes"]),
        DEADLINE,
    );
    assert_eq!(
        out.code,
        0,
        "{what}: create re-run after {took:?}: {}",
        show(&out)
    );
    let masters = nodes.iter().filter(|n| is_master(n)).count();
    assert_eq!(masters, 3, "{what}: {}", views(nodes));
    wait_check_ok(&addrs(nodes), Duration::from_secs(20), what);
    let keys = Keys::new("after-create", 500);
    keys.write(&addrs(nodes));
    assert_intact(nodes, &keys, what);
}

/// Found by this test: a create whose replica froze after the masters got their slots
/// waited out `--timeout` and then named every node as "still waiting" (each sees the
/// frozen node failing), not the one that does not answer. The wait now lists nodes that
/// do not answer first, marked "(no answer)".
#[test]
fn create_with_a_replica_frozen_midway_names_it_then_rerun_completes() {
    repeat(|| {
        let nodes = start_nodes(6, &opts());
        let (job, r) = create_until_masters_have_slots(&nodes);
        nodes[r].freeze();
        let (out, took) = job.finish(DEADLINE);
        report("create with a frozen replica", &out, took);
        ended_clearly(&out, &nodes[r].addr(), "create, replica frozen");
        if out.code != 0 {
            assert!(
                out.stderr
                    .contains(&format!("{} (no answer)", nodes[r].addr())),
                "{}",
                show(&out)
            );
        }
        assert_named_unreachable_or_unlisted(
            &addrs(&nodes),
            &nodes[r].addr(),
            "create, replica frozen",
        );
        nodes[r].thaw();
        rerun_create_completes(&nodes, "create with a frozen replica, thawed");
    });
}

/// Found in CI: killed before its MEET handshake completed, the replica was dropped by
/// the others, so `check` from a live node reported a healthy cluster of five that never
/// knew it. Given as an entry (as the user gave it to `create`), it is now named: a
/// warning, as no member lists it.
#[test]
fn create_with_a_replica_killed_midway_names_it_then_rerun_completes() {
    repeat(|| {
        let mut nodes = start_nodes(6, &opts());
        let (job, r) = create_until_masters_have_slots(&nodes);
        nodes[r].stop();
        let (out, took) = job.finish(DEADLINE);
        report("create with a killed replica", &out, took);
        ended_clearly(&out, &nodes[r].addr(), "create, replica killed");
        assert_named_unreachable_or_unlisted(
            &addrs(&nodes),
            &nodes[r].addr(),
            "create, replica killed",
        );
        nodes[r].restart();
        rerun_create_completes(&nodes, "create with a killed replica, restarted");
    });
}

// ---------------------------------------------------------------------------------------------
// reshard

/// Found by this test: with the target frozen, the engine kept every slot's `MIGRATE` of
/// a window in flight at once, each waiting 60 s on the source (which Redis blocks while
/// it waits), and retried them: the reshard hung for hours and the sources answered
/// nobody. Now a few `MIGRATE`s are in flight per pair, their I/O timeout starts at 2 s
/// (doubling on `IOERR` while the target still answers, for big keys), the target is
/// pinged while keys move, and a target that does not answer stops the move at once.
#[test]
fn reshard_with_its_target_frozen_midway_stops_naming_it_then_fix_repairs() {
    repeat(|| {
        let keys = Keys::new("frozen-reshard", 3000);
        let nodes = cluster(3, 0, &keys);
        let target = &nodes[1];
        let before = dbsize(target);
        let job = reshard(&nodes[0], target, 4000);
        wait_keys_arrive(target, before, 50);
        target.freeze();
        let (out, took) = job.finish(DEADLINE);
        report("reshard with a frozen target", &out, took);
        assert_ne!(out.code, 0, "{}", show(&out));
        ended_clearly(&out, &target.addr(), "reshard, target frozen");
        assert!(took < Duration::from_secs(30), "took {took:?}");
        assert_named_unreachable(&addrs(&nodes), &target.addr(), "reshard, target frozen");
        target.thaw();
        repair_and_verify(&nodes, &keys, "reshard with a frozen target");
    });
}

#[test]
fn reshard_with_its_target_killed_midway_stops_naming_it_then_fix_repairs() {
    repeat(|| {
        let keys = Keys::new("killed-reshard", 3000);
        let mut nodes = cluster(3, 0, &keys);
        let before = dbsize(&nodes[1]);
        let job = reshard(&nodes[0], &nodes[1], 4000);
        wait_keys_arrive(&nodes[1], before, 50);
        nodes[1].stop();
        let (out, took) = job.finish(DEADLINE);
        report("reshard with a killed target", &out, took);
        assert_ne!(out.code, 0, "{}", show(&out));
        ended_clearly(&out, &nodes[1].addr(), "reshard, target killed");
        assert_named_unreachable(&addrs(&nodes), &nodes[1].addr(), "reshard, target killed");
        nodes[1].restart();
        repair_and_verify(&nodes, &keys, "reshard with a killed target");
    });
}

/// (c) A source master fails over to its replica (`CLUSTER FAILOVER` on the replica)
/// while the reshard moves its keys: the new master has none of the old one's open
/// slots; keys of the slot in flight are on both sides.
///
/// Found by this test: (1) the engine took "use SETSLOT only with masters" from the old
/// source as "it was drained" and had the target claim the slots; the promoted replica
/// still claimed them, won them with a higher epoch, and the target deleted the keys it
/// had received (keys lost). Only a source that now replicates the target is tolerated.
/// (2) The target, importing, ignored the promoted replica's claims after Redis dropped
/// the old master's slots from its view: its `cluster_state` stayed `fail` and `fix`
/// waited for it until its timeout. `fix` now points such a master to the claimant.
#[test]
fn reshard_while_a_source_master_fails_over_then_fix_repairs() {
    repeat(|| {
        reshard_while_failing_over(false);
    });
}

/// (c) The target master fails over to its replica while keys move to it.
///
/// Ignored by default: it finds a race that trib cannot close, in about one run in ten on
/// a busy machine. Slot ownership is gossip, not replicated: when the target claims a
/// window's slots (`SETSLOT NODE` on itself) within the gossip delay of its replica's
/// election, the promoted replica takes over only the slots it knew its master had, and
/// the two sides' claims then settle by config epoch; the side that loses a slot deletes
/// its keys there, and Redis 7.0 does not replicate that deletion (`delKeysInSlot`), so
/// the keys survive only on the old target, now a replica (no master has them: lost for
/// `fix`). Reproduced by hand without trib: `SETSLOT s NODE T` on T a few milliseconds
/// after `CLUSTER FAILOVER` on its replica leaves both as masters with copies of slot s.
/// Run it with `cargo test --test faults -- --ignored`.
#[test]
#[ignore = "races a failover against the target's own slot claim: can lose keys (Redis 7.0), see doc"]
fn reshard_while_the_target_master_fails_over_then_fix_repairs() {
    repeat(|| {
        reshard_while_failing_over(true);
    });
}

fn reshard_while_failing_over(target_fails_over: bool) {
    let keys = Keys::new("failover-reshard", 3000);
    let nodes = cluster(3, 1, &keys);
    let masters: Vec<usize> = (0..nodes.len()).filter(|i| is_master(&nodes[*i])).collect();
    let (source, target) = (masters[0], masters[1]);
    let replica_of = |m: usize| {
        let ids = replica_ids(&nodes[m]);
        (0..nodes.len())
            .find(|i| ids.contains(&nodes[*i].node_id()))
            .expect("a replica")
    };
    let promoted = replica_of(if target_fails_over { target } else { source });
    let before = dbsize(&nodes[target]);
    let job = spawn(trib().args(FAST_TIMEOUTS).args([
        "reshard",
        &nodes[source].addr(),
        "--from",
        &nodes[source].node_id(),
        "--to",
        &nodes[target].node_id(),
        "--slots",
        "3000",
        "--pipeline",
        "5",
        "--yes",
    ]));
    wait_keys_arrive(&nodes[target], before, 50);
    // Redis gives up a manual failover after 5 s (a busy machine may need another try).
    let took_over = (0..4).any(|_| {
        assert_eq!(nodes[promoted].cmd(&["CLUSTER", "FAILOVER"]), "OK");
        let until = std::time::Instant::now() + Duration::from_secs(6);
        while std::time::Instant::now() < until {
            if is_master(&nodes[promoted]) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    });
    assert!(took_over, "the replica never took over: {}", views(&nodes));
    let (out, took) = job.finish(DEADLINE);
    let what = if target_fails_over {
        "reshard while the target fails over"
    } else {
        "reshard while the source fails over"
    };
    report(what, &out, took);
    assert!(!out.stderr.contains("panicked"), "{}", show(&out));
    if out.code != 0 {
        assert!(
            out.stderr.contains("reshard did not finish"),
            "{}",
            show(&out)
        );
    }
    repair_and_verify(&nodes, &keys, what);
    let masters = nodes.iter().filter(|n| is_master(n)).count();
    assert_eq!(
        masters,
        3,
        "{what}: one master per shard: {}",
        views(&nodes)
    );
}

// ---------------------------------------------------------------------------------------------
// rebalance

/// 3 masters with keys plus an empty one, and a rebalance onto it, in small steps.
fn rebalance_onto_empty(keys: &Keys) -> (TestCluster, Background) {
    let mut nodes = cluster(3, 0, keys);
    let extra = RedisNode::start(&opts());
    let out = run(trib().args(["add-node", &extra.addr(), &nodes[0].addr(), "--yes"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    nodes.push(extra);
    nodes.settle();
    let job = spawn(trib().args(FAST_TIMEOUTS).args([
        "rebalance",
        &nodes[1].addr(),
        "--use-empty-masters",
        "--yes",
    ]));
    (nodes, job)
}

/// Found by this test: a frozen source left `MIGRATE` without a reply; trib waited 125 s
/// for each and retried it as an I/O error. A `MIGRATE` without any reply within its I/O
/// timeout plus 5 s now stops the move, naming the source.
#[test]
fn rebalance_with_a_source_frozen_midway_stops_naming_it_then_fix_repairs() {
    repeat(|| {
        let keys = Keys::new("frozen-rebalance", 3000);
        let (nodes, job) = rebalance_onto_empty(&keys);
        wait_keys_arrive(&nodes[3], 0, 50);
        nodes[0].freeze();
        let (out, took) = job.finish(DEADLINE);
        report("rebalance with a frozen source", &out, took);
        ended_clearly(&out, &nodes[0].addr(), "rebalance, source frozen");
        assert!(took < Duration::from_secs(40), "took {took:?}");
        assert_named_unreachable(
            &addrs(&nodes)[1..],
            &nodes[0].addr(),
            "rebalance, source frozen",
        );
        nodes[0].thaw();
        repair_and_verify(&nodes, &keys, "rebalance with a frozen source");
    });
}

#[test]
fn rebalance_with_a_source_killed_midway_stops_naming_it_then_fix_repairs() {
    repeat(|| {
        let keys = Keys::new("killed-rebalance", 3000);
        let (mut nodes, job) = rebalance_onto_empty(&keys);
        wait_keys_arrive(&nodes[3], 0, 50);
        nodes[0].stop();
        let (out, took) = job.finish(DEADLINE);
        report("rebalance with a killed source", &out, took);
        ended_clearly(&out, &nodes[0].addr(), "rebalance, source killed");
        assert_named_unreachable(
            &addrs(&nodes)[1..],
            &nodes[0].addr(),
            "rebalance, source killed",
        );
        nodes[0].restart();
        repair_and_verify(&nodes, &keys, "rebalance with a killed source");
    });
}

// ---------------------------------------------------------------------------------------------
// fix

#[test]
fn fix_with_a_master_frozen_refuses_naming_it_then_repairs_after_the_thaw() {
    repeat(|| {
        let keys = Keys::new("frozen-fix", 3000);
        let nodes = cluster(3, 0, &keys);
        open_slots(&nodes[0], &nodes[1], 100);
        assert_check_fails(&addrs(&nodes), "open slots");
        nodes[2].freeze();
        let (out, took) = run_within(
            trib()
                .args(FAST_TIMEOUTS)
                .args(["fix", &nodes[0].addr(), "--yes", "--timeout", "10s"]),
            DEADLINE,
        );
        report("fix with a frozen master", &out, took);
        assert_eq!(out.code, 2, "{}", show(&out));
        ended_clearly(&out, &nodes[2].addr(), "fix, master frozen");
        assert!(out.stderr.contains("nothing was changed"), "{}", show(&out));
        assert_named_unreachable(&addrs(&nodes)[..1], &nodes[2].addr(), "fix, master frozen");
        nodes[2].thaw();
        repair_and_verify(&nodes, &keys, "fix with a frozen master");
    });
}

#[test]
fn fix_with_its_owner_killed_midway_names_it_then_fix_after_restart_repairs() {
    repeat(|| {
        let keys = Keys::new("killed-fix", 4000);
        let mut nodes = cluster(3, 0, &keys);
        open_slots(&nodes[0], &nodes[1], 300);
        let before = dbsize(&nodes[1]);
        let job = spawn(trib().args(FAST_TIMEOUTS).args([
            "fix",
            &nodes[0].addr(),
            "--yes",
            "--timeout",
            "10s",
        ]));
        // Kill the owner as soon as keys of the repair reach it (or the fix ended).
        wait_until("fix moves keys", Duration::from_secs(20), || {
            dbsize(&nodes[1]) > before || !has_open_slots(&nodes[1])
        });
        nodes[1].stop();
        let (out, took) = job.finish(DEADLINE);
        report("fix with its owner killed", &out, took);
        ended_clearly(&out, &nodes[1].addr(), "fix, owner killed");
        assert_named_unreachable(&addrs(&nodes)[..1], &nodes[1].addr(), "fix, owner killed");
        nodes[1].restart();
        repair_and_verify(&nodes, &keys, "fix with its owner killed");
    });
}

// ---------------------------------------------------------------------------------------------
// failover

/// 3 masters with a replica each, keys replicated; returns (master, its replica).
fn shard(nodes: &[RedisNode]) -> (usize, usize) {
    let m = (0..nodes.len()).find(|i| is_master(&nodes[*i])).unwrap();
    let ids = replica_ids(&nodes[m]);
    let r = (0..nodes.len())
        .find(|i| ids.contains(&nodes[*i].node_id()))
        .unwrap();
    (m, r)
}

/// A plain failover of a replica whose master is frozen is refused, naming the master
/// and suggesting --force; `--force` promotes it; the old master, thawed, follows it.
#[test]
fn failover_with_the_master_frozen_refuses_plain_then_force_promotes() {
    repeat(|| {
        let keys = Keys::new("frozen-failover", 2000);
        let nodes = cluster(3, 1, &keys);
        let (m, r) = shard(&nodes);
        // The cluster must not promote it by itself while the master is frozen.
        nodes[r].cmd(&["CONFIG", "SET", "cluster-replica-no-failover", "yes"]);
        nodes[m].freeze();
        let failover = |extra: &[&str]| {
            run_within(
                trib()
                    .args(FAST_TIMEOUTS)
                    .args(["failover", &nodes[r].addr(), "--timeout", "20s", "--yes"])
                    .args(extra),
                DEADLINE,
            )
        };
        let (out, took) = failover(&[]);
        report("plain failover with a frozen master", &out, took);
        assert_ne!(out.code, 0, "{}", show(&out));
        ended_clearly(&out, &nodes[m].addr(), "failover, master frozen");
        assert!(out.stderr.contains("--force"), "{}", show(&out));
        assert_named_unreachable(
            &[nodes[r].addr()],
            &nodes[m].addr(),
            "failover, master frozen",
        );

        let (out, took) = failover(&["--force"]);
        eprintln!("forced failover with a frozen master took {took:?}");
        assert_eq!(out.code, 0, "{}", show(&out));
        assert!(is_master(&nodes[r]));
        nodes[r].cmd(&["CONFIG", "SET", "cluster-replica-no-failover", "no"]);
        nodes[m].thaw();
        wait_until(
            "the old master follows the new one",
            Duration::from_secs(30),
            || !is_master(&nodes[m]),
        );
        settle(&nodes);
        wait_check_ok(
            &addrs(&nodes),
            Duration::from_secs(30),
            "after the forced failover",
        );
        assert_intact(&nodes, &keys, "failover with a frozen master");
        assert_eq!(nodes.iter().filter(|n| is_master(n)).count(), 3);
    });
}

/// The master is killed while trib fails it over (right after trib read its state): trib
/// either completed the switch or names the master; the cluster promotes the replica by
/// itself; the master, restarted, follows it; no key is lost.
///
/// Found by this test: trib waited 5 s for the dead master to list the replica and then
/// blamed gossip ("does not list … as its replica (gossip has not converged …)"). It now
/// says the master stopped answering, that nothing was sent, and to use --force.
#[test]
fn failover_with_the_master_killed_midway_then_it_rejoins_as_replica() {
    repeat(|| {
        let keys = Keys::new("killed-failover", 2000);
        let mut nodes = cluster(3, 1, &keys);
        let (m, r) = shard(&nodes);
        let mut job = spawn(trib().args(FAST_TIMEOUTS).args([
            "failover",
            "--demote",
            &nodes[m].addr(),
            "--entry",
            &nodes[r].addr(),
            "--timeout",
            "20s",
            "--yes",
        ]));
        wait_loaded(&nodes[m], &mut job);
        nodes[m].stop();
        let (out, took) = job.finish(DEADLINE);
        report("failover with the master killed", &out, took);
        ended_clearly(&out, &nodes[m].addr(), "failover, master killed");
        assert!(
            !out.stderr.contains("gossip has not converged"),
            "a dead master is not a gossip delay: {}",
            show(&out)
        );
        wait_until("the replica is master", Duration::from_secs(30), || {
            is_master(&nodes[r])
        });
        assert_named_unreachable(
            &[nodes[r].addr()],
            &nodes[m].addr(),
            "failover, master killed",
        );
        nodes[m].restart();
        wait_until(
            "the old master follows the new one",
            Duration::from_secs(30),
            || !is_master(&nodes[m]),
        );
        settle(&nodes);
        wait_check_ok(
            &addrs(&nodes),
            Duration::from_secs(30),
            "after the failover",
        );
        assert_intact(&nodes, &keys, "failover with the master killed");
        assert_eq!(nodes.iter().filter(|n| is_master(n)).count(), 3);
    });
}

/// Waits until trib has read the master's state (a client other than ours ran `CLUSTER
/// INFO`, the last thing trib reads when it loads a node), polling every millisecond on
/// one connection, or until `job` exited.
fn wait_loaded(master: &RedisNode, job: &mut Background) {
    let mut c = ::redis::Client::open(format!("redis://{}/", master.addr()))
        .unwrap()
        .get_connection()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline && !job.exited() {
        let list: String = ::redis::cmd("CLIENT").arg("LIST").query(&mut c).unwrap();
        if list.lines().any(|l| l.contains("cmd=cluster|info")) {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
