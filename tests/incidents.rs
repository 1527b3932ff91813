//! Incidents an operator meets in production, set up the way they happen (a node killed
//! with SIGKILL at the point, never brought back), then repaired with trib. Each test
//! checks trib's exit code and message, that every slot is served afterwards (every live
//! node reports `cluster_state:ok` and 16384 slots assigned), and that every key that
//! survived on some live node reads back through the cluster.
//!
//! 1. A master with no replica dies for good: `check` and `fix` name
//!    `--with-unreachable-masters`; `fix --with-unreachable-masters` names the slot ranges
//!    whose keys are lost and gives them, empty, to the live masters; `del-node` removes
//!    the dead node.
//! 2. The target of a running `trib reshard` is killed and its replica takes over: `fix`
//!    (no flag needed) settles the dead node's slots and closes the open ones, keys kept.
//! 3. A source killed while `MIGRATE` runs leaves the same keys on two masters (its
//!    replica, promoted, never got the `DEL`s): `fix` keeps one copy of identical keys;
//!    different contents stop with the keys named, every other slot repaired, and the
//!    choice it names (`--replace`, or `ASKING` + `DEL` of the other copy) settles them.
//!    The kill lands inside a `MIGRATE` most of the time (keys keep moving while it
//!    happens); when it fell between two, the setup is tried again on new nodes.
//!
//! Runbook: docs/runbook.md ("A master with no replica is gone for good", ...).

#[path = "common/client.rs"]
mod client;
mod common;
#[path = "common/intact.rs"]
mod intact;

use std::collections::BTreeSet;
use std::time::Duration;

use client::ClusterClient;
use common::*;
use intact::*;

/// Hard deadline for each trib command here.
const DEADLINE: Duration = Duration::from_secs(120);

/// Quick failure detection, replicas sync at once, acknowledged writes in the AOF.
fn opts() -> NodeOptions {
    quick_sync_opts().with("appendonly", "yes")
}

/// `trib [FAST_TIMEOUTS] fix ENTRY ARGS...` under [`DEADLINE`].
fn fix(entry: &RedisNode, args: &[&str]) -> Output {
    let (out, took) = run_within(
        trib()
            .args(FAST_TIMEOUTS)
            .args(["fix", &entry.addr(), "--timeout", "30s"])
            .args(args),
        DEADLINE,
    );
    eprintln!(
        "trib fix {args:?}: exit {} after {took:?}\n{}",
        out.code,
        show(&out)
    );
    out
}

/// Waits until every node of `live` flags `id` as failed (`fail`, the cluster's verdict;
/// not only `fail?`).
fn wait_failed(live: &[&RedisNode], id: &str) {
    wait_until(
        "the live nodes flag the dead one failed",
        Duration::from_secs(30),
        || {
            live.iter().all(|n| {
                n.try_cmd(&["CLUSTER", "NODES"]).is_ok_and(|t| {
                    t.lines().any(|l| {
                        let f: Vec<&str> = l.split_whitespace().collect();
                        f.first() == Some(&id)
                            && f.get(2)
                                .is_some_and(|fl| fl.split(',').any(|x| x == "fail"))
                    })
                })
            })
        },
    );
}

/// The keys of `keys` that some node of `live` holds (masters and replicas), by index.
fn survivors(live: &[&RedisNode], keys: &Keys) -> BTreeSet<usize> {
    let prefix = format!("{}:", keys.prefix);
    let mut found = BTreeSet::new();
    for n in live {
        let all: Vec<String> = ::redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query(&mut connect(n))
            .unwrap_or_else(|e| panic!("KEYS on {}: {e}", n.addr()));
        for k in all {
            if let Some(i) = k.strip_prefix(&prefix).and_then(|i| i.parse().ok()) {
                found.insert(i);
            }
        }
    }
    found
}

/// Every slot is served (each live node reports `cluster_state:ok` and 16384 slots
/// assigned), every key of `alive` reads back with its value (or the one `values` gives
/// it) through the cluster, and the live masters hold exactly those keys (nothing left
/// twice).
fn assert_serving(
    live: &[&RedisNode],
    keys: &Keys,
    alive: &BTreeSet<usize>,
    values: &[(usize, &str)],
    what: &str,
) {
    wait_until(
        "every live node reports cluster_state:ok",
        Duration::from_secs(30),
        || {
            live.iter().all(|n| {
                n.try_cmd(&["CLUSTER", "INFO"]).is_ok_and(|i| {
                    i.contains("cluster_state:ok") && i.contains("cluster_slots_assigned:16384")
                })
            })
        },
    );
    let seeds: Vec<String> = live.iter().map(|n| n.addr()).collect();
    let mut c = ClusterClient::new(&seeds);
    let mut bad = Vec::new();
    for &i in alive {
        let want = values
            .iter()
            .find(|(k, _)| *k == i)
            .map_or_else(|| keys.value(i), |(_, v)| v.to_string());
        match c.get(&keys.key(i)) {
            Ok(Some(v)) if v == want => {}
            other => bad.push(format!("{}: {other:?}", keys.key(i))),
        }
    }
    assert!(
        bad.is_empty(),
        "{what}: {} surviving key(s) unreadable, e.g. {:?}\n{}",
        bad.len(),
        &bad[..bad.len().min(3)],
        views_of(live)
    );
    let total: usize = live
        .iter()
        .filter(|n| is_master(n))
        .map(|n| dbsize(n))
        .sum();
    assert_eq!(total, alive.len(), "{what}: keys on the live masters");
}

fn views_of(live: &[&RedisNode]) -> String {
    live.iter()
        .map(|n| {
            format!(
                "--- {}:\n{}",
                n.addr(),
                n.try_cmd(&["CLUSTER", "NODES"]).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The node's own slot ranges as CLUSTER NODES prints them, e.g. "10923-16383".
fn ranges_of(n: &RedisNode) -> String {
    cluster_nodes(n)
        .into_iter()
        .find(Line::is_myself)
        .expect("myself line")
        .slots
        .join(",")
}

/// `trib del-node ENTRY ID --yes` exits 0 and no live node knows `id` any more.
fn del_node(live: &[&RedisNode], id: &str) {
    let (out, _) = run_within(
        trib()
            .args(FAST_TIMEOUTS)
            .args(["del-node", &live[0].addr(), id, "--yes"]),
        DEADLINE,
    );
    assert_eq!(out.code, 0, "del-node: {}", show(&out));
    for n in live {
        assert!(
            !n.cmd(&["CLUSTER", "NODES"]).contains(id),
            "{} still knows {id}",
            n.addr()
        );
    }
}

/// 3 masters and `replicas` replicas each, created by trib, with `keys` written and
/// (with replicas) copied to every replica.
fn cluster(replicas: usize, keys: &Keys) -> TestCluster {
    let nodes = TestCluster::new()
        .masters(3)
        .replicas(replicas)
        .options(opts())
        .synced()
        .start();
    keys.write(&addrs(&nodes));
    if replicas > 0 {
        wait_until(
            "every replica has its master's keys",
            Duration::from_secs(30),
            || {
                nodes.iter().filter(|n| !is_master(n)).all(|r| {
                    let master = nodes
                        .iter()
                        .find(|m| is_master(m) && replica_ids(m).contains(&r.node_id()));
                    master.is_some_and(|m| dbsize(m) == dbsize(r))
                })
            },
        );
    }
    nodes
}

/// Index of the replica of master `m`.
fn replica_of(nodes: &[RedisNode], m: usize) -> usize {
    let ids = replica_ids(&nodes[m]);
    (0..nodes.len())
        .find(|i| ids.contains(&nodes[*i].node_id()))
        .expect("a replica")
}

/// `trib reshard` of `slots` slots from `from` to `to`, `pipeline` keys per MIGRATE
/// (`extra`: more arguments).
fn reshard(
    from: &RedisNode,
    to: &RedisNode,
    slots: u16,
    pipeline: usize,
    extra: &[&str],
) -> Background {
    spawn(
        trib()
            .args(FAST_TIMEOUTS)
            .args([
                "reshard",
                &from.addr(),
                "--from",
                &from.node_id(),
                "--to",
                &to.node_id(),
                "--slots",
                &slots.to_string(),
                "--pipeline",
                &pipeline.to_string(),
                "--yes",
            ])
            .args(extra),
    )
}

// ---------------------------------------------------------------------------------------------
// 1. A master with no replica dies for good.

#[test]
fn a_master_without_replica_dies_for_good_fix_gives_its_slots_to_the_live_masters() {
    let keys = Keys::new("gone", 3000);
    let mut nodes = cluster(0, &keys);
    let dead_addr = nodes[2].addr();
    let dead_id = nodes[2].node_id();
    let lost = ranges_of(&nodes[2]);
    nodes[2].stop();
    let live: Vec<&RedisNode> = nodes[..2].iter().collect();
    wait_failed(&live, &dead_id);
    let alive = survivors(&live, &keys);
    assert!(
        alive.len() > 1000 && alive.len() < keys.count,
        "{}",
        alive.len()
    );

    // check names the way out.
    let out = run(trib().args(FAST_TIMEOUTS).args(["check", &nodes[0].addr()]));
    assert_eq!(out.code, 1, "{}", show(&out));
    let text = show(&out);
    for want in ["--with-unreachable-masters", &dead_addr, &lost] {
        assert!(text.contains(want), "check does not say {want}: {text}");
    }

    // fix without the flag refuses, names it, changes nothing.
    let before = snapshots(&nodes[..2]);
    let out = fix(&nodes[0], &["--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(
        out.stderr.contains("--with-unreachable-masters") && out.stderr.contains(&lost),
        "{}",
        show(&out)
    );
    assert_eq!(snapshots(&nodes[..2]), before, "fix without the flag");

    // --dry-run --json: the plan names the lost ranges; nothing changes.
    let out = run(trib().args(FAST_TIMEOUTS).args([
        "--json",
        "--dry-run",
        "fix",
        &nodes[0].addr(),
        "--with-unreachable-masters",
    ]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["changed"], false);
    let lost_json = &doc["plan"]["slots"]["lost"];
    assert_eq!(lost_json[0]["slots"], lost.as_str(), "{doc:#}");
    assert_eq!(lost_json[0]["id"], dead_id.as_str(), "{doc:#}");
    assert!(
        lost_json[0]["node"]
            .as_str()
            .is_some_and(|n| n.contains(&dead_addr)),
        "{doc:#}"
    );
    assert_eq!(snapshots(&nodes[..2]), before, "dry run");

    // The repair: the plan says what is lost, the live masters serve every slot.
    let out = fix(&nodes[0], &["--with-unreachable-masters", "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(
        out.stdout.contains(&lost) && out.stdout.contains(&dead_addr),
        "the plan names the lost ranges and the node: {}",
        show(&out)
    );
    assert!(
        show(&out).contains("del-node"),
        "says how to remove it: {}",
        show(&out)
    );
    assert_serving(
        &live,
        &keys,
        &alive,
        &[],
        "after fix --with-unreachable-masters",
    );
    // Spread evenly: 5461 + 5462 + 5461 slots → 8192 each.
    let counts: Vec<usize> = live.iter().map(|n| own_slots(n).len()).collect();
    assert!(
        counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1,
        "{counts:?}"
    );

    // Then del-node removes the dead node and the cluster is healthy.
    del_node(&live, &dead_id);
    assert_check_ok(&nodes[0]);
}

// ---------------------------------------------------------------------------------------------
// 2. The target of a reshard dies mid-move; its replica takes over.

#[test]
fn the_target_of_a_reshard_is_killed_midway_and_its_replica_takes_over_fix_repairs() {
    let keys = Keys::new("target-dies", 3000);
    let mut nodes = cluster(1, &keys);
    let masters: Vec<usize> = (0..nodes.len()).filter(|i| is_master(&nodes[*i])).collect();
    let (source, target) = (masters[0], masters[1]);
    let promoted = replica_of(&nodes, target);
    let target_addr = nodes[target].addr();
    let target_id = nodes[target].node_id();
    let had = own_slots(&nodes[target]).len();
    let keys_before = dbsize(&nodes[target]);
    // MIGRATE-based (on Valkey 9 too: atomic slot migration finishes in one step, or
    // not at all).
    let job = reshard(&nodes[source], &nodes[target], 3000, 5, &["--no-atomic"]);
    // Kill it once it has taken some slots and keys (those of the next ones are moving).
    wait_until(
        "the target has taken some slots and keys",
        Duration::from_secs(60),
        || {
            own_line(&nodes[target]).is_some()
                && own_slots(&nodes[target]).len() >= had + 30
                && dbsize(&nodes[target]) >= keys_before + 50
        },
    );
    nodes[target].stop();
    let (out, took) = job.finish(DEADLINE);
    eprintln!("reshard: exit {} after {took:?}\n{}", out.code, show(&out));
    assert_ne!(out.code, 0, "the reshard cannot finish: {}", show(&out));
    wait_until(
        "the target's replica takes over",
        Duration::from_secs(30),
        || is_master(&nodes[promoted]),
    );
    let live: Vec<&RedisNode> = (0..nodes.len())
        .filter(|i| *i != target)
        .map(|i| &nodes[i])
        .collect();
    wait_failed(&live, &target_id);
    let alive = survivors(&live, &keys);
    eprintln!(
        "{} of {} keys survived on live nodes; open slots on the source: {}",
        alive.len(),
        keys.count,
        has_open_slots(&nodes[source])
    );

    // Slots the source handed to the target that its replica never heard of have no
    // live owner: as redis-cli, fix asks for --with-unreachable-masters (naming the dead
    // target and the slots); slots its replica claims are settled without it.
    let out = fix(&nodes[source], &["--yes"]);
    let out = if out.code == 2 {
        assert!(
            out.stderr.contains("--with-unreachable-masters")
                && out.stderr.contains(&target_addr)
                && out.stderr.contains("nothing was changed"),
            "{}",
            show(&out)
        );
        fix(&nodes[source], &["--with-unreachable-masters", "--yes"])
    } else {
        out
    };
    assert_eq!(out.code, 0, "{}\n{}", show(&out), views_of(&live));
    assert!(
        show(&out).contains(&target_addr),
        "fix names the dead target: {}",
        show(&out)
    );
    assert_serving(&live, &keys, &alive, &[], "after fix");
    for n in &live {
        assert!(!has_open_slots(n), "{} still has open slots", n.addr());
    }
    del_node(&live, &target_id);
    assert_check_ok(&nodes[source]);
}

// ---------------------------------------------------------------------------------------------
// 3. A source killed mid-move leaves the same keys on two masters.

/// Keys of `keys` held by both `a` and `b`, by index.
fn on_both(a: &RedisNode, b: &RedisNode, keys: &Keys) -> Vec<usize> {
    let x = survivors(&[a], keys);
    let y = survivors(&[b], keys);
    x.intersection(&y).copied().collect()
}

/// A cluster of 3 masters with a replica each where a reshard's source was killed while
/// `MIGRATE` ran and its replica took over: the replica never got the `DEL`s of the
/// batch in flight, the target has those keys too. Returns the nodes, the indexes of the
/// killed source, the promoted replica, the target, and the keys on both masters.
/// Killed when keys start to arrive on the target; tried again (new nodes) when the kill
/// fell between two `MIGRATE`s (no copy on both sides).
fn duplicates(keys: &Keys) -> (TestCluster, usize, usize, usize, Vec<usize>) {
    for attempt in 1..=10 {
        let mut nodes = cluster(1, keys);
        let masters: Vec<usize> = (0..nodes.len()).filter(|i| is_master(&nodes[*i])).collect();
        let (source, target) = (masters[0], masters[1]);
        let promoted = replica_of(&nodes, source);
        let source_id = nodes[source].node_id();
        let before = dbsize(&nodes[target]);
        // Keys move with MIGRATE (on Valkey 9 too, where slots would otherwise move
        // atomically, with no key on two sides).
        let job = reshard(&nodes[source], &nodes[target], 3000, 200, &["--no-atomic"]);
        wait_until("keys arrive on the target", Duration::from_secs(60), || {
            dbsize(&nodes[target]) >= before + 300
        });
        nodes[source].stop();
        let (out, _) = job.finish(DEADLINE);
        assert_ne!(out.code, 0, "{}", show(&out));
        wait_until(
            "the source's replica takes over",
            Duration::from_secs(30),
            || is_master(&nodes[promoted]),
        );
        let both = on_both(&nodes[promoted], &nodes[target], keys);
        eprintln!(
            "attempt {attempt}: {} key(s) on both {} and {}",
            both.len(),
            nodes[promoted].addr(),
            nodes[target].addr()
        );
        if !both.is_empty() {
            let live: Vec<&RedisNode> = (0..nodes.len())
                .filter(|i| *i != source)
                .map(|i| &nodes[i])
                .collect();
            wait_failed(&live, &source_id);
            return (nodes, source, promoted, target, both);
        }
    }
    panic!("ten kills of the source never left a key on both sides");
}

#[test]
fn a_source_killed_mid_move_leaves_identical_copies_fix_keeps_one() {
    let keys = Keys::new("dup", 20000);
    let (nodes, source, promoted, target, both) = duplicates(&keys);
    let live: Vec<&RedisNode> = (0..nodes.len())
        .filter(|i| *i != source)
        .map(|i| &nodes[i])
        .collect();
    let alive = survivors(&live, &keys);
    let out = fix(&nodes[promoted], &["--deep", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", show(&out), views_of(&live));
    assert!(
        show(&out).contains("already on the owner with the same contents"),
        "says identical copies were dropped: {}",
        show(&out)
    );
    assert_serving(&live, &keys, &alive, &[], "after fix");
    assert!(on_both(&nodes[promoted], &nodes[target], &keys).is_empty());
    eprintln!("{} duplicate key(s) settled", both.len());
}

/// The choice `fix` offers is followed as docs/runbook.md §8.3 gives it, keeping the
/// copy clients were served (written meanwhile, so the newer): `--replace` when that is
/// the one being moved (Valkey 8+: the promoted replica keeps its master's migrating
/// state and finishing the move toward the target is planned), else `ASKING` + `DEL` of
/// the other copy through `redis-cli`, then `fix` again (Redis 7.0).
#[test]
fn different_copies_on_two_masters_stop_fix_naming_them_then_the_documented_choice_settles_them() {
    let keys = Keys::new("dup", 20000);
    let (nodes, source, promoted, _, both) = duplicates(&keys);
    let live: Vec<&RedisNode> = (0..nodes.len())
        .filter(|i| *i != source)
        .map(|i| &nodes[i])
        .collect();
    let alive = survivors(&live, &keys);
    // A client writes one of them on the promoted replica, which serves its slot.
    let changed = keys.key(both[0]);
    let _: () = ::redis::cmd("SET")
        .arg(&changed)
        .arg("newer")
        .query(&mut connect(&nodes[promoted]))
        .unwrap();
    let out = fix(&nodes[promoted], &["--json", "--yes"]);
    assert_eq!(out.code, 1, "{}", show(&out));
    assert!(
        out.stderr.contains(&changed) && out.stderr.contains("--replace"),
        "names the key and the choice: {}",
        show(&out)
    );
    let doc = json(&out);
    let conflicts = doc["report"]["conflicts"].as_array().expect("conflicts");
    assert_eq!(conflicts.len(), 1, "{doc:#}");
    let c = &conflicts[0];
    assert_eq!(c["keys"][0], changed.as_str(), "{c:#}");
    assert_eq!(c["served"], nodes[promoted].addr().as_str(), "{c:#}");
    // Every other slot is repaired: the only open slot left is the conflicting one.
    let slot = trib::model::key_slot(changed.as_bytes());
    assert_eq!(c["slot"], slot);
    let open: Vec<String> = live
        .iter()
        .filter_map(|n| own_line(n))
        .flat_map(|l| {
            l.split_whitespace()
                .filter(|f| f.starts_with('['))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        open.iter().all(|o| o.starts_with(&format!("[{slot}-"))),
        "only slot {slot} is left open: {open:?}"
    );

    let from = c["from"].as_str().unwrap().to_string();
    let out = if c["served"] == c["from"] {
        fix(&nodes[promoted], &["--replace", "--yes"])
    } else {
        let replies = by_addr(&nodes, &from).pipe(&["ASKING".into(), format!("DEL {changed}")]);
        assert_eq!(replies, ["OK", "1"], "ASKING + DEL on {from}");
        fix(&nodes[promoted], &["--yes"])
    };
    assert_eq!(out.code, 0, "{}", show(&out));
    let i = both[0];
    assert_serving(&live, &keys, &alive, &[(i, "newer")], "after the choice");
}
