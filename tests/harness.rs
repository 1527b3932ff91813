//! Tests of the integration-test harness itself (tests/common).

mod common;

use common::*;
use std::time::{Duration, Instant};

fn meet_all(nodes: &[RedisNode]) {
    for n in &nodes[1..] {
        let reply = nodes[0].meet(n);
        assert_eq!(reply, "OK");
    }
}

/// Every node knows every other node, connected, no handshake / failure flags.
fn all_know_each_other(nodes: &[RedisNode]) -> bool {
    nodes.iter().all(|n| {
        let view = cluster_nodes(n);
        view.len() == nodes.len()
            && view.iter().all(|l| {
                l.link == "connected"
                    && !l.flag_contains("handshake")
                    && !l.flag_contains("fail")
                    && !l.flag_contains("noaddr")
            })
    })
}

/// Fresh nodes all start at config epoch 0 and resolve the collision by bumping epochs one at a
/// time; the cluster is only stable once all masters have distinct epochs.
fn distinct_epochs(node: &RedisNode) -> bool {
    let out = node.cmd(&["CLUSTER", "NODES"]);
    let mut epochs: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().nth(6).unwrap())
        .collect();
    let n = epochs.len();
    epochs.sort();
    epochs.dedup();
    epochs.len() == n
}

#[test]
fn three_hosts_meet_with_custom_bus_ports_and_announced_ips() {
    let nodes = start_on_hosts(
        &[(ip(2), 1), (ip(3), 1), (ip(4), 1)],
        &NodeOptions::default(),
    );
    let mut ids = Vec::new();
    for (n, want_ip) in nodes.iter().zip([ip(2), ip(3), ip(4)]) {
        assert_eq!(n.ip, want_ip);
        assert_eq!(n.cmd(&["PING"]), "PONG");
        assert_ne!(u32::from(n.bus_port), u32::from(n.port) + 10000);
        assert!((20000..32000).contains(&n.port) && (20000..32000).contains(&n.bus_port));
        let id = n.node_id();
        assert_eq!(id.len(), 40, "{id}");
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);

    meet_all(&nodes);
    wait_until(
        "all 3 nodes know each other and agree",
        Duration::from_secs(10),
        || all_know_each_other(&nodes) && views_agree(&nodes) && distinct_epochs(&nodes[0]),
    );

    // Every node sees every node (itself included) at its own 127.0.0.x and custom bus port.
    for viewer in &nodes {
        let view = cluster_nodes(viewer);
        for n in &nodes {
            let id = n.node_id();
            let l = view.iter().find(|l| l.id == id).unwrap();
            assert_eq!(
                l.cluster_addr,
                n.cluster_addr(),
                "{} viewed by {}",
                id,
                viewer.addr()
            );
            assert_eq!(l.flag_contains("myself"), viewer.addr() == n.addr());
        }
    }

    // Snapshots ignore ping-sent / pong-recv: wait until gossip has moved those on, then compare.
    let before = snapshots(&nodes);
    let raw_before = nodes[0].cmd(&["CLUSTER", "NODES"]);
    wait_until("pong-recv times change", Duration::from_secs(10), || {
        nodes[0].cmd(&["CLUSTER", "NODES"]) != raw_before
    });
    assert_eq!(snapshots(&nodes), before);
    assert_eq!(before[0].cluster_info_known_nodes, 3);
    assert_eq!(before[0].role, "master");
}

#[test]
fn snapshot_unchanged_by_reads_changed_by_writes() {
    let node = RedisNode::start(&NodeOptions {
        cluster_enabled: false,
        ..Default::default()
    });
    let before = node.snapshot();
    assert_eq!(before.dbsize, 0);
    assert_eq!(before.myid, "");
    assert_eq!(node.cmd(&["GET", "k"]), "");
    node.cmd(&["INFO"]);
    node.cmd(&["DBSIZE"]);
    assert_eq!(node.snapshot(), before);

    assert_eq!(node.cmd(&["SET", "k", "v"]), "OK");
    let after = node.snapshot();
    assert_ne!(after, before);
    assert_eq!(after.keys, vec!["k".to_string()]);
    assert_eq!(after.dbsize, 1);
}

#[test]
fn cluster_snapshot_sees_slot_changes() {
    let node = RedisNode::start(&NodeOptions::default());
    let before = node.snapshot();
    assert_eq!(before.myid, node.node_id());
    assert_eq!(before.nodes.len(), 1);
    assert_eq!(before.slots_assigned, 0);
    node.cmd(&["CLUSTER", "NODES"]);
    node.cmd(&["CLUSTER", "SLOTS"]);
    assert_eq!(node.snapshot(), before);

    node.cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "99"]);
    let after = node.snapshot();
    assert_eq!(after.slots_assigned, 100);
    assert_ne!(after, before);
}

#[test]
fn error_replies_are_errors() {
    let node = RedisNode::start(&NodeOptions::default());
    let err = node.try_cmd(&["NOSUCHCOMMAND"]).unwrap_err();
    assert!(err.contains("unknown command"), "{err}");
    // A cluster node without slots refuses keyed commands.
    let err = node.try_cmd(&["SET", "k", "v"]).unwrap_err();
    assert!(err.contains("CLUSTERDOWN"), "{err}");
}

#[test]
fn restart_on_new_ip_keeps_node_id_and_peers_follow() {
    let mut nodes = start_on_hosts(&[(ip(2), 1), (ip(3), 1)], &NodeOptions::default());
    meet_all(&nodes);
    wait_until("2 nodes know each other", Duration::from_secs(10), || {
        all_know_each_other(&nodes)
    });
    let id = nodes[1].node_id();
    let (port, bus) = (nodes[1].port, nodes[1].bus_port);

    nodes[1].restart_on(ip(5));
    assert_eq!(nodes[1].ip, ip(5));
    assert_eq!((nodes[1].port, nodes[1].bus_port), (port, bus));
    assert_eq!(nodes[1].addr(), format!("127.0.0.5:{port}"));
    assert_eq!(nodes[1].node_id(), id);
    let own = cluster_nodes(&nodes[1]);
    let me = own.iter().find(|l| l.id == id).unwrap();
    assert_eq!(me.cluster_addr, format!("127.0.0.5:{port}@{bus}"));
    assert!(me.flag_contains("myself"));

    // The peer learns the new address from the node's gossip.
    let want = nodes[1].cluster_addr();
    wait_until("peer sees the moved node", Duration::from_secs(10), || {
        cluster_nodes(&nodes[0])
            .iter()
            .any(|l| l.id == id && l.cluster_addr == want && l.link == "connected")
    });
}

#[test]
fn password_protected_node() {
    let node = RedisNode::start(&NodeOptions {
        password: Some("s3 cr\"et".into()),
        ip: ip(6),
        ..Default::default()
    });
    assert_eq!(node.cmd(&["PING"]), "PONG");
    assert_eq!(node.password(), Some("s3 cr\"et"));

    let out = run(std::process::Command::new("redis-cli").args([
        "-e",
        "-h",
        &node.ip.to_string(),
        "-p",
        &node.port.to_string(),
        "PING",
    ]));
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("NOAUTH"), "{out:?}");

    let out = run(std::process::Command::new("redis-cli").args([
        "-e",
        "-h",
        &node.ip.to_string(),
        "-p",
        &node.port.to_string(),
        "-a",
        "wrong",
        "--no-auth-warning",
        "PING",
    ]));
    assert_ne!(out.code, 0, "{out:?}");
}

#[test]
fn freeze_thaw_and_drop_kills() {
    let node = RedisNode::start(&NodeOptions::default());
    node.freeze();
    let err = node
        .try_cmd_timeout(&["PING"], Duration::from_millis(300))
        .unwrap_err();
    assert!(err.contains("timeout"), "{err}");
    node.thaw();
    assert_eq!(node.cmd(&["PING"]), "PONG");

    // Dropping a frozen node kills and reaps it.
    node.freeze();
    let pid = node.pid();
    let dir = node.dir().to_path_buf();
    drop(node);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert!(!dir.exists());
}

#[test]
fn stop_kills_but_keeps_dir() {
    let mut node = RedisNode::start(&NodeOptions::default());
    let id = node.node_id();
    node.stop();
    assert!(!node.is_running());
    assert!(node.try_cmd(&["PING"]).is_err());
    let conf = std::fs::read_to_string(node.dir().join("nodes.conf")).unwrap();
    assert!(conf.contains(&id));
    node.stop(); // idempotent
}

#[test]
fn start_six_nodes_on_three_hosts_quickly() {
    let t = Instant::now();
    let nodes = start_on_hosts(
        &[(ip(2), 2), (ip(3), 2), (ip(4), 2)],
        &NodeOptions::default(),
    );
    let elapsed = t.elapsed();
    eprintln!("started 6 nodes in {elapsed:?}");
    assert_eq!(nodes.len(), 6);
    let mut ports: Vec<u16> = nodes.iter().flat_map(|n| [n.port, n.bus_port]).collect();
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 12, "all client and bus ports distinct");
    for n in &nodes {
        assert_eq!(n.cmd(&["PING"]), "PONG");
    }
    assert_eq!(nodes[0].ip, ip(2));
    assert_eq!(nodes[5].ip, ip(4));
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn trib_command_builds() {
    // Only build the command; the binary is not functional yet.
    let cmd = trib();
    assert!(cmd.get_program().to_string_lossy().ends_with("trib"));
}

#[test]
fn start_failure_reports_the_reason() {
    let opts = NodeOptions {
        extra: vec![("no-such-option".into(), "1".into())],
        ..Default::default()
    };
    let err = std::panic::catch_unwind(|| RedisNode::start(&opts)).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("no-such-option"), "{msg}");
}
