//! SIGINT and SIGTERM (what Kubernetes sends a Job's pod) stop a command at a safe point
//! with its temporary changes undone (exit 130 / 143); after SIGKILL a re-run of the same
//! command puts them back. The temporary change today is `create`'s fast join: new
//! masters run with a 499 ms `cluster-node-timeout` until they turn `ok`. Commands that
//! move keys (`reshard`, `fix`, `import`) stop between their batches or slots, with no
//! slot left open and every key on exactly one node.

mod common;

use std::time::Duration;

use common::{
    Background, NodeOptions, Output, RedisNode, show, spawn, start_nodes, trib, wait_until,
};

const OWN_TIMEOUT: &str = "2000";
const DEADLINE: Duration = Duration::from_secs(60);

fn opts() -> NodeOptions {
    NodeOptions {
        extra: vec![("cluster-node-timeout".into(), OWN_TIMEOUT.into())],
        ..Default::default()
    }
}

fn create_args(nodes: &[RedisNode], replicas: usize) -> Vec<String> {
    let mut a = vec!["create".to_string()];
    a.extend(nodes.iter().map(|n| n.addr()));
    a.extend(["--replicas".into(), replicas.to_string(), "--yes".into()]);
    a
}

fn node_timeout(n: &RedisNode) -> String {
    n.cmd(&["CONFIG", "GET", "cluster-node-timeout"])
        .lines()
        .nth(1)
        .unwrap_or("")
        .to_string()
}

fn lowered(nodes: &[RedisNode]) -> usize {
    nodes.iter().filter(|n| node_timeout(n) == "499").count()
}

fn assert_own_timeouts(nodes: &[RedisNode], what: &str) {
    for n in nodes {
        assert_eq!(
            node_timeout(n),
            OWN_TIMEOUT,
            "{what}: {} keeps a temporary cluster-node-timeout",
            n.addr()
        );
    }
}

fn cluster_info(n: &RedisNode, field: &str) -> String {
    n.cmd(&["CLUSTER", "INFO"])
        .lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{field}:"))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default()
}

/// Runs the create again: it must exit 0 and leave a healthy cluster at the nodes' own
/// timeouts.
fn rerun_completes(nodes: &[RedisNode], replicas: usize, what: &str) {
    let (out, _) = spawn(trib().args(create_args(nodes, replicas))).finish(DEADLINE);
    assert_eq!(out.code, 0, "{what}: create run again: {}", show(&out));
    assert_own_timeouts(nodes, &format!("{what}, after the re-run"));
    let mut check = trib();
    check.arg("check").arg(nodes[0].addr());
    wait_until(
        &format!("{what}: check passes"),
        Duration::from_secs(20),
        || common::run(&mut check).code == 0,
    );
}

/// Waits until `create` has lowered a timeout (or ended), then stops it with `signal`.
fn signal_once_lowered(nodes: &[RedisNode], create: &mut Background, signal: &str) -> bool {
    let mut seen = false;
    wait_until("create lowers a node timeout", DEADLINE, || {
        seen = lowered(nodes) > 0;
        seen || create.exited()
    });
    create.signal(signal);
    seen
}

#[test]
fn create_stopped_by_sigterm_while_timeouts_are_lowered_puts_them_back() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let nodes = start_nodes(6, &opts());
        let mut create = spawn(trib().args(create_args(&nodes, 1)));
        let seen = signal_once_lowered(&nodes, &mut create, signal);
        let (out, _) = create.finish(DEADLINE);
        let what = format!("create stopped by SIG{signal}");
        assert!(
            seen,
            "{what}: create never lowered a timeout: {}",
            show(&out)
        );
        assert_eq!(out.code, code, "{what}: {}", show(&out));
        assert!(
            out.stderr.contains(&format!("interrupted by SIG{signal}"))
                && out.stderr.contains("temporary change(s) undone"),
            "{what}: {}",
            show(&out)
        );
        assert_own_timeouts(&nodes, &what);
        rerun_completes(&nodes, 1, &what);
    }
}

/// SIGTERM at points spread over a whole create: whatever it interrupted, no node keeps
/// a temporary setting, and the re-run completes the cluster.
#[test]
fn create_stopped_by_sigterm_at_any_moment_leaves_no_temporary_setting() {
    let points: usize = std::env::var("TRIB_SIGNAL_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let (mut interrupted, mut finished) = (0, 0);
    for i in 0..points {
        let delay = Duration::from_millis(40 + 120 * i as u64);
        let nodes = start_nodes(6, &opts());
        let mut create = spawn(trib().args(create_args(&nodes, 1)));
        std::thread::sleep(delay);
        create.signal("TERM");
        let (out, _) = create.finish(DEADLINE);
        let what = format!("create with SIGTERM after {delay:?}");
        match out.code {
            143 => interrupted += 1,
            0 => finished += 1,
            _ => panic!("{what}: {}", show(&out)),
        }
        assert_own_timeouts(&nodes, &what);
        rerun_completes(&nodes, 1, &what);
    }
    eprintln!("{interrupted} create(s) interrupted, {finished} finished before the signal");
    assert!(interrupted > 0, "no create was interrupted");
}

/// SIGKILL cannot be caught: trib is frozen (SIGSTOP) once the cluster steps were sent
/// with timeouts lowered, the cluster converges on its own, then trib is killed. The
/// re-run finds a complete cluster and must still put every node's own timeout back:
/// from the replicas' value, and for a create of masters only from the one master
/// create leaves at its own value for this.
/// Starts a create and freezes it (SIGSTOP) once every slot is assigned and every node
/// met with timeouts still lowered. `None` when the create finished first (a busy machine
/// polls slower than the join): the caller tries again on fresh nodes.
fn frozen_with_timeouts_lowered(
    nodes: &[RedisNode],
    replicas: usize,
    what: &str,
) -> Option<Background> {
    let count = nodes.len();
    let mut create = spawn(trib().args(create_args(nodes, replicas)));
    let mut joined = false;
    wait_until(
        &format!("{what}: slots assigned, nodes met, timeouts lowered"),
        DEADLINE,
        || {
            joined = nodes.iter().all(|n| {
                let info = n.cmd(&["CLUSTER", "INFO"]);
                info.contains("cluster_slots_assigned:16384")
                    && info.contains(&format!("cluster_known_nodes:{count}"))
            }) && (replicas == 0
                || nodes[0].cmd(&["CLUSTER", "NODES"]).matches("slave").count() == count / 2)
                && lowered(nodes) > 0;
            joined || create.exited()
        },
    );
    if !create.signal("STOP") || !joined {
        return None;
    }
    Some(create)
}

/// SIGKILL cannot be caught: trib is frozen (SIGSTOP) once the cluster steps were sent
/// with timeouts lowered, the cluster converges on its own, then trib is killed. The
/// re-run finds a complete cluster and must still put every node's own timeout back:
/// from the replicas' value, and for a create of masters only from the one master
/// create leaves at its own value for this.
#[test]
fn create_killed_with_timeouts_lowered_is_restored_by_the_rerun() {
    for (count, replicas) in [(3, 0), (6, 1)] {
        let what = format!("create of {count} nodes, --replicas {replicas}, killed");
        let mut attempt = 0;
        let (nodes, mut create) = loop {
            attempt += 1;
            let nodes = start_nodes(count, &opts());
            if let Some(c) = frozen_with_timeouts_lowered(&nodes, replicas, &what) {
                break (nodes, c);
            }
            assert!(
                attempt < 5,
                "{what}: create always finished before it could be frozen"
            );
        };
        let still_lowered = lowered(&nodes);
        assert!(
            still_lowered > 0 && still_lowered < count,
            "{what}: {still_lowered} of {count} nodes lowered when trib was frozen"
        );
        wait_until(
            &format!("{what}: the cluster turns ok on its own"),
            DEADLINE,
            || {
                nodes
                    .iter()
                    .all(|n| cluster_info(n, "cluster_state") == "ok")
            },
        );
        create.kill();
        assert_eq!(lowered(&nodes), still_lowered, "{what}");
        rerun_completes(&nodes, replicas, &what);
    }
}

/// Whether any node has a slot open (`[slot->-id]` or `[slot-<-id]` in its view).
fn open_slots(nodes: &[RedisNode]) -> Vec<String> {
    nodes
        .iter()
        .filter(|n| {
            let table = n.cmd(&["CLUSTER", "NODES"]);
            table.contains("->-") || table.contains("-<-")
        })
        .map(RedisNode::addr)
        .collect()
}

/// The slots `n` serves, from its own view.
/// Runs `cmd`, sends it `signal` once `started` says its work is under way (or it has
/// exited), and waits for its end. `None` when it finished before the signal landed
/// (exit 0): the caller tries again with more work.
fn stopped_once_started(
    cmd: &mut std::process::Command,
    signal: &str,
    waiting_for: &str,
    mut started: impl FnMut() -> bool,
) -> Option<Output> {
    let mut child = spawn(cmd);
    wait_until(waiting_for, DEADLINE, || started() || child.exited());
    child.signal(signal);
    let (out, _) = child.finish(DEADLINE);
    (out.code != 0).then_some(out)
}

/// Three settled masters with quick timeouts: the cluster of the stop-and-rerun tests.
fn three_masters() -> common::TestCluster {
    common::TestCluster::new()
        .masters(3)
        .options(common::quick_opts())
        .settled()
        .start()
}

fn own_slot_count(n: &RedisNode) -> usize {
    common::view::owned_by(n, &n.addr())
}

/// SIGTERM/SIGINT while a reshard moves keys: the engine stops at the end of the window
/// of slots it is moving, closes every slot (moved slots to their new owner, the rest
/// left with the old one), and says how far it got. Nothing is left open, no key is lost.
#[test]
fn reshard_stopped_by_a_signal_leaves_no_slot_open() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let what = format!("reshard stopped by SIG{signal}");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let cluster = three_masters();
            let keys = common::fill(&cluster, "k", 60_000);
            let target = &cluster[2];
            let before = own_slot_count(target);
            let mut reshard = cluster.command();
            reshard.args([
                "reshard",
                &cluster.entry().addr(),
                "--from",
                "all",
                "--to",
                &target.node_id(),
                "--slots",
                "10000",
                "--pipeline",
                "5",
                "--yes",
            ]);
            let Some(out) = stopped_once_started(
                &mut reshard,
                signal,
                &format!("{what}: slots start moving"),
                || own_slot_count(target) > before,
            ) else {
                assert!(attempt < 4, "{what}: the reshard always finished first");
                continue;
            };
            assert_eq!(out.code, code, "{what}: {}", show(&out));
            assert!(
                out.stderr.contains("leaving no slot open")
                    && out.stderr.contains("moves the rest")
                    && out.stderr.contains(&format!("interrupted by SIG{signal}"))
                    // A reshard makes no temporary change: none is said to be undone.
                    && !out.stderr.contains("temporary change"),
                "{what}: {}",
                show(&out)
            );
            assert_eq!(open_slots(&cluster), Vec::<String>::new(), "{what}");
            eprintln!("{what} (attempt {attempt}): {}", out.stderr.trim());
            let moved = own_slot_count(target) - before;
            assert!(moved > 0 && moved < 10_000, "{what}: {moved} slots moved");
            cluster.settle();
            common::verify_on_owners(&cluster, &keys);
            cluster.assert_check_ok();
            break;
        }
    }
}

/// A `--range` reshard stopped by SIGTERM is completed by running the same command
/// again: the slots already moved are left as they are, the rest move (a Job's retry
/// runs the same command).
#[test]
fn reshard_by_range_stopped_is_completed_by_the_same_command() {
    let what = "reshard --range stopped by SIGTERM";
    let mut attempt = 0;
    loop {
        attempt += 1;
        let cluster = three_masters();
        let keys = common::fill(&cluster, "k", 60_000);
        let (source, target) = (&cluster[0], &cluster[2]);
        let map = common::slot_map(source);
        let range: Vec<usize> = (0..16384)
            .filter(|s| map[*s].as_deref() == Some(source.addr().as_str()))
            .collect();
        let (first, last) = (range[0], range[range.len() - 1]);
        assert_eq!(last - first + 1, range.len(), "one range of slots");
        let args = [
            "reshard".to_string(),
            cluster.entry().addr(),
            "--from".into(),
            source.node_id(),
            "--to".into(),
            target.node_id(),
            "--range".into(),
            format!("{first}-{last}"),
            "--pipeline".into(),
            "5".into(),
            "--yes".into(),
        ];
        let before = own_slot_count(target);
        let Some(out) = stopped_once_started(
            cluster.command().args(&args),
            "TERM",
            &format!("{what}: slots start moving"),
            || own_slot_count(target) > before,
        ) else {
            assert!(attempt < 4, "{what}: the reshard always finished first");
            continue;
        };
        assert_eq!(out.code, 143, "{what}: {}", show(&out));
        assert!(
            out.stderr.contains("re-run the same command"),
            "{what}: {}",
            show(&out)
        );
        let moved = own_slot_count(target) - before;
        assert!(
            moved > 0 && moved < range.len(),
            "{what}: {moved} slots moved"
        );
        cluster.settle();
        let again = common::run(cluster.command().args(&args));
        assert_eq!(again.code, 0, "{what}, run again: {}", show(&again));
        assert!(
            again
                .stdout
                .contains(&format!("{moved} slot(s) of --range")),
            "{what}, run again: {}",
            show(&again)
        );
        assert_eq!(own_slot_count(target), before + range.len(), "{what}");
        cluster.settle();
        common::verify_on_owners(&cluster, &keys);
        cluster.assert_check_ok();
        break;
    }
}

/// Keys in all the masters together.
fn keys_on_masters(nodes: &[RedisNode]) -> u64 {
    nodes
        .iter()
        .filter(|n| common::role(n) == "master")
        .map(|n| n.cmd(&["DBSIZE"]).parse::<u64>().unwrap_or(0))
        .sum()
}

/// Slots a migration from `from` to `to` left open (MIGRATING on `from`, IMPORTING on
/// `to`), each with `per_slot` keys still on `from`: the slots and every key with its
/// value.
fn open_migrations(
    from: &RedisNode,
    to: &RedisNode,
    slots: usize,
    per_slot: usize,
) -> (Vec<u16>, Vec<(String, String)>) {
    let map = common::slot_map(from);
    let tags: Vec<(String, u16)> = (0..)
        .map(|i| format!("t{i}"))
        .map(|t| {
            let slot: u16 = from.cmd(&["CLUSTER", "KEYSLOT", &t]).parse().unwrap();
            (t, slot)
        })
        .filter(|(_, s)| map[usize::from(*s)].as_deref() == Some(from.addr().as_str()))
        .take(slots)
        .collect();
    let mut keys = Vec::new();
    let mut c = common::data::connect_addr(&from.addr());
    for (tag, slot) in &tags {
        let these: Vec<(String, String)> = (0..per_slot)
            .map(|i| (format!("{{{tag}}}:{i}"), format!("v{i}")))
            .collect();
        for chunk in these.chunks(5000) {
            let mut p = ::redis::pipe();
            for (k, v) in chunk {
                p.cmd("SET").arg(k).arg(v).ignore();
            }
            p.query::<()>(&mut c).unwrap();
        }
        keys.extend(these);
        let s = slot.to_string();
        assert_eq!(
            to.cmd(&["CLUSTER", "SETSLOT", &s, "IMPORTING", &from.node_id()]),
            "OK"
        );
        assert_eq!(
            from.cmd(&["CLUSTER", "SETSLOT", &s, "MIGRATING", &to.node_id()]),
            "OK"
        );
    }
    (tags.into_iter().map(|(_, s)| s).collect(), keys)
}

fn keys_in_slot(n: &RedisNode, slot: u16) -> usize {
    n.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()])
        .parse()
        .unwrap()
}

/// Starts `trib fix` on the cluster and stops it with SIGTERM once keys of `slots` have
/// reached `to`. `None` when it finished first.
fn fix_stopped_while_moving(
    cluster: &common::TestCluster,
    to: &RedisNode,
    slots: &[u16],
) -> Option<Output> {
    let out = stopped_once_started(
        cluster
            .command()
            .args(["fix", &cluster.entry().addr(), "--yes", "--timeout", "30s"]),
        "TERM",
        "fix: keys start moving",
        || slots.iter().any(|s| keys_in_slot(to, *s) > 0),
    )?;
    assert_eq!(out.code, 143, "fix stopped by SIGTERM: {}", show(&out));
    assert!(
        out.stderr.contains("interrupted by SIGTERM")
            && out.stderr.contains("fix stopped after repairing")
            && out.stderr.contains("re-run the same command"),
        "fix stopped by SIGTERM: {}",
        show(&out)
    );
    Some(out)
}

/// After a stopped fix: the re-run completes (exit 0), every key is on its slot's owner
/// and nowhere else, and `check` passes.
fn fix_again_completes(cluster: &common::TestCluster, keys: &[(String, String)], what: &str) {
    let again = cluster.trib("fix", &["--yes", "--timeout", "30s"]);
    assert_eq!(again.code, 0, "{what}: the re-run: {}", show(&again));
    assert_eq!(open_slots(cluster), Vec::<String>::new(), "{what}");
    cluster.settle();
    assert_eq!(keys_on_masters(cluster), keys.len() as u64, "{what}");
    common::verify_on_owners(cluster, keys);
    cluster.assert_check_ok();
}

/// SIGTERM while `fix` moves the keys of a slot a migration left open (40k keys, more
/// on a later attempt if the fix finished first):
/// fix finishes the slot whose keys are moving and closes it, then stops (before
/// waiting for every view to agree) with exit 143. No slot is left open, every key is
/// on exactly one master, its owner, and the re-run completes with exit 0.
#[test]
fn fix_stopped_by_sigterm_while_moving_keys_leaves_no_slot_open() {
    let what = "fix stopped by SIGTERM";
    for attempt in 1.. {
        let cluster = three_masters();
        let (from, to) = (&cluster[0], &cluster[1]);
        let (slots, keys) = open_migrations(from, to, 1, 40_000 * attempt);
        let Some(out) = fix_stopped_while_moving(&cluster, to, &slots) else {
            assert!(attempt < 4, "{what}: the fix always finished first");
            continue;
        };
        assert!(
            out.stderr
                .contains("fix stopped after repairing every slot (1)"),
            "{what}: {}",
            show(&out)
        );
        eprintln!("{what} (attempt {attempt}): {}", out.stderr.trim());
        assert_eq!(open_slots(&cluster), Vec::<String>::new(), "{what}");
        assert_eq!(keys_in_slot(from, slots[0]), 0, "{what}: keys left behind");
        assert_eq!(keys_in_slot(to, slots[0]), keys.len(), "{what}");
        cluster.settle();
        assert_eq!(keys_on_masters(&cluster), keys.len() as u64, "{what}");
        common::verify_on_owners(&cluster, &keys);
        fix_again_completes(&cluster, &keys, what);
        break;
    }
}

/// SIGTERM while `fix` moves the keys of the first of 8 slots a migration left open:
/// the slots under way are finished and closed, the others are not touched (still open
/// as the migration left them, keys where they were); the re-run repairs them.
///
/// The slots are kept small (6k keys each on the first attempt): the slots under way
/// (4 at once) must be finished within the grace a signal leaves (10 s), and with 20k
/// keys each that took 6-9 s in a debug build next to the other tests of this file on
/// 2 cores, and once more than 10 s in CI.
#[test]
fn fix_stopped_by_sigterm_leaves_the_slots_not_reached_as_they_were() {
    let what = "fix of 8 slots stopped by SIGTERM";
    for attempt in 1.. {
        let cluster = three_masters();
        let (from, to) = (&cluster[0], &cluster[1]);
        let (slots, keys) = open_migrations(from, to, 8, 6_000 * attempt);
        let Some(out) = fix_stopped_while_moving(&cluster, to, &slots) else {
            assert!(attempt < 4, "{what}: the fix always finished first");
            continue;
        };
        eprintln!("{what} (attempt {attempt}): {}", out.stderr.trim());
        if out.stderr.contains("every slot (8)") {
            assert!(attempt < 4, "{what}: every slot was repaired first");
            continue;
        }
        let (done, left): (Vec<u16>, Vec<u16>) =
            slots.iter().partition(|s| keys_in_slot(from, **s) == 0);
        assert!(
            !done.is_empty() && !left.is_empty(),
            "{what}: slots repaired {done:?}, left {left:?}"
        );
        assert!(
            out.stderr
                .contains(&format!("repairing {} of 8 slot(s)", done.len())),
            "{what}: {}",
            show(&out)
        );
        let per_slot = keys.len() / slots.len();
        let (from_nodes, to_nodes) = (
            from.cmd(&["CLUSTER", "NODES"]),
            to.cmd(&["CLUSTER", "NODES"]),
        );
        for s in &done {
            assert_eq!(keys_in_slot(to, *s), per_slot, "{what}: slot {s}");
            assert!(
                !from_nodes.contains(&format!("[{s}->-")),
                "{what}: slot {s} open"
            );
            assert!(
                !to_nodes.contains(&format!("[{s}-<-")),
                "{what}: slot {s} open"
            );
        }
        for s in &left {
            assert_eq!(keys_in_slot(from, *s), per_slot, "{what}: slot {s}");
            assert_eq!(keys_in_slot(to, *s), 0, "{what}: slot {s}");
            assert!(from_nodes.contains(&format!("[{s}->-")), "{what}: slot {s}");
            assert!(to_nodes.contains(&format!("[{s}-<-")), "{what}: slot {s}");
        }
        fix_again_completes(&cluster, &keys, what);
        break;
    }
}

/// SIGTERM while `import` moves the keys of a standalone Redis into the cluster: it
/// sends no batch after the signal, finishes those sent and says how far it got (exit
/// 143). Every key is in exactly one place, the source or its owner in the cluster, no
/// slot is open, and the re-run moves the rest (exit 0).
#[test]
fn import_stopped_by_sigterm_between_batches() {
    let what = "import stopped by SIGTERM";
    let mut attempt = 0;
    loop {
        attempt += 1;
        let cluster = three_masters();
        let source = RedisNode::start(&NodeOptions {
            ip: common::ip(5),
            cluster_enabled: false,
            ..Default::default()
        });
        let count = 200_000 * attempt;
        source.cmd(&["DEBUG", "POPULATE", &count.to_string(), "key"]);
        let import = |extra: &[&str]| {
            let mut cmd = cluster.command();
            cmd.args(["import", &cluster.entry().addr(), "--from", &source.addr()])
                .args(["--pipeline", "100", "--yes"])
                .args(extra);
            cmd
        };
        let Some(out) = stopped_once_started(
            &mut import(&[]),
            "TERM",
            &format!("{what}: keys start moving"),
            || keys_on_masters(&cluster) > 0,
        ) else {
            assert!(attempt < 4, "{what}: the import always finished first");
            continue;
        };
        assert_eq!(out.code, 143, "{what}: {}", show(&out));
        assert!(
            out.stderr.contains("interrupted by SIGTERM")
                && out.stderr.contains("import stopped between batches")
                && out.stderr.contains("re-run the same command"),
            "{what}: {}",
            show(&out)
        );
        eprintln!("{what} (attempt {attempt}): {}", out.stderr.trim());
        assert_eq!(open_slots(&cluster), Vec::<String>::new(), "{what}");
        let on_source: u64 = source.cmd(&["DBSIZE"]).parse().unwrap();
        let in_cluster = keys_on_masters(&cluster);
        assert!(
            on_source > 0 && in_cluster > 0,
            "{what}: {on_source} key(s) left on the source, {in_cluster} in the cluster"
        );
        assert_eq!(on_source + in_cluster, count as u64, "{what}");
        let (again, _) = spawn(&mut import(&[])).finish(DEADLINE);
        assert_eq!(again.code, 0, "{what}: the re-run: {}", show(&again));
        assert_eq!(source.cmd(&["DBSIZE"]), "0", "{what}");
        let keys: Vec<(String, String)> = (0..count)
            .map(|i| (format!("key:{i}"), format!("value:{i}")))
            .collect();
        assert_eq!(keys_on_masters(&cluster), count as u64, "{what}");
        common::verify_on_owners(&cluster, &keys);
        break;
    }
}
