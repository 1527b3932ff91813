//! SIGINT and SIGTERM (what Kubernetes sends a Job's pod) stop a command at a safe point
//! with its temporary changes undone (exit 130 / 143); after SIGKILL a re-run of the same
//! command puts them back. The temporary change today is `create`'s fast join: new
//! masters run with a 499 ms `cluster-node-timeout` until they turn `ok`.

mod common;

use std::time::Duration;

use common::{Background, NodeOptions, RedisNode, show, spawn, start_nodes, trib, wait_until};

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
            out.stderr.contains(&format!("interrupted by SIG{signal}")),
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
            let cluster = common::TestCluster::new()
                .masters(3)
                .options(common::quick_opts())
                .settled()
                .start();
            let keys = common::fill(&cluster, "k", 60_000);
            let target = &cluster[2];
            let before = own_slot_count(target);
            let mut reshard = spawn(cluster.command().args([
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
            ]));
            wait_until(&format!("{what}: slots start moving"), DEADLINE, || {
                own_slot_count(target) > before || reshard.exited()
            });
            reshard.signal(signal);
            let (out, _) = reshard.finish(DEADLINE);
            if out.code == 0 {
                assert!(attempt < 4, "{what}: the reshard always finished first");
                continue;
            }
            assert_eq!(out.code, code, "{what}: {}", show(&out));
            assert!(
                out.stderr.contains("leaving no slot open")
                    && out.stderr.contains("moves the rest")
                    && out.stderr.contains(&format!("interrupted by SIG{signal}")),
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
