//! `create --wait`: nodes that are not up yet (pods still starting) are waited for.

mod common;

use std::net::Ipv4Addr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{NodeOptions, start_on_hosts, trib, wait_until};

#[test]
fn create_waits_for_a_node_that_starts_late() {
    let hosts = [
        (Ipv4Addr::new(127, 0, 0, 2), 1),
        (Ipv4Addr::new(127, 0, 0, 3), 1),
        (Ipv4Addr::new(127, 0, 0, 4), 1),
    ];
    let mut nodes = start_on_hosts(&hosts, &NodeOptions::default());
    let late_ip = nodes[2].ip;
    nodes[2].stop();
    let addrs: Vec<String> = nodes.iter().map(|n| n.addr()).collect();

    // Without --wait: refused at once, nothing changed on the live nodes.
    let before: Vec<_> = nodes[..2].iter().map(|n| n.snapshot()).collect();
    let out = common::run(trib().arg("create").args(&addrs).arg("--yes"));
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains(&addrs[2]),
        "stderr names the node: {}",
        out.stderr
    );
    let after: Vec<_> = nodes[..2].iter().map(|n| n.snapshot()).collect();
    assert_eq!(before, after);

    // With --wait: trib keeps trying while the node comes up.
    let child = trib()
        .arg("create")
        .args(&addrs)
        .args(["--yes", "--wait", "30s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    nodes[2].restart_on(late_ip);
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    assert!(
        stderr.contains("waiting for nodes"),
        "says what it waits for: {stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    wait_until(
        "cluster_state:ok everywhere",
        Duration::from_secs(10),
        || {
            nodes
                .iter()
                .all(|n| n.cmd(&["CLUSTER", "INFO"]).contains("cluster_state:ok"))
        },
    );
}

#[test]
fn wait_gives_up_at_the_deadline_and_changes_nothing() {
    let nodes = common::start_nodes(3, &NodeOptions::default());
    let mut addrs: Vec<String> = nodes.iter().map(|n| n.addr()).collect();
    addrs.push("127.0.0.1:1".into()); // nothing listens there
    let before = common::snapshots(&nodes);
    let out = common::run(
        trib()
            .arg("create")
            .args(&addrs)
            .args(["--yes", "--wait", "1s"]),
    );
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("127.0.0.1:1"), "{}", out.stderr);
    assert!(out.stderr.contains("--wait"), "{}", out.stderr);
    assert_eq!(before, common::snapshots(&nodes));
}
