//! Nodes that lie: garbage, truncated and huge replies, silence, IDs that change.
//! trib never panics or hangs: each case is a one-line error naming the node, exit 2.

mod common;
#[path = "common/fake.rs"]
mod fake;

use std::time::{Duration, Instant};

use common::{run, trib};
use fake::{FakeNode, Reply, bulk, cluster_info_reply};

const ID_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn words_are(cmd: &[String], w: &[&str]) -> bool {
    cmd.len() >= w.len() && cmd.iter().zip(w).all(|(a, b)| a.eq_ignore_ascii_case(b))
}

fn check_fails_cleanly(node: &FakeNode, needle: &str) {
    for sub in ["check", "info", "create"] {
        let started = Instant::now();
        let mut cmd = trib();
        cmd.args([
            "--connect-timeout",
            "1s",
            "--command-timeout",
            "1s",
            sub,
            &node.addr(),
        ]);
        if sub == "create" {
            // Three "nodes" so the master count is not what fails.
            cmd.args([node.addr(), node.addr()]).arg("--dry-run");
        }
        let out = run(&mut cmd);
        assert_eq!(
            out.code, 2,
            "{sub}: exit 2 expected\n{}\n{}",
            out.stdout, out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{sub}: {}", out.stderr);
        assert!(
            out.stderr.contains(&node.addr()),
            "{sub} names the node: {}",
            out.stderr
        );
        assert!(
            out.stderr.to_lowercase().contains(needle),
            "{sub}: expected {needle:?} in {}",
            out.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{sub} returned in time"
        );
    }
}

#[test]
fn garbage_reply() {
    let node = FakeNode::start(|_| Reply::Bytes(b"hello there\r\n".to_vec()));
    check_fails_cleanly(&node, "");
}

#[test]
fn truncated_reply_then_silence() {
    let node = FakeNode::start(|cmd| {
        if words_are(cmd, &["INFO"]) {
            Reply::Bytes(b"$500\r\nredis_version:7".to_vec())
        } else {
            Reply::Hang
        }
    });
    check_fails_cleanly(&node, "timeout");
}

#[test]
fn huge_bulk_length_then_close() {
    let node = FakeNode::start(|_| {
        let mut b = b"$4000000000\r\n".to_vec();
        b.extend(std::iter::repeat_n(b'x', 1000));
        Reply::Bytes(b)
    });
    // The connection drops mid-reply: an error, not an allocation of 4 GB or a hang.
    let out = run(trib().args(["--command-timeout", "2s", "check", &node.addr()]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"));
}

#[test]
fn connection_closed_at_once() {
    let node = FakeNode::start(|_| Reply::Close);
    check_fails_cleanly(&node, "");
}

#[test]
fn malformed_cluster_nodes() {
    let node = FakeNode::start(|cmd| {
        if words_are(cmd, &["INFO"]) {
            Reply::Bytes(cluster_info_reply())
        } else if words_are(cmd, &["CLUSTER", "MYID"]) {
            Reply::Bytes(bulk(ID_A))
        } else if words_are(cmd, &["CLUSTER", "NODES"]) {
            Reply::Bytes(bulk(&format!(
                "{ID_A} 127.0.0.1:1@2 myself,master - 0 0 1 connected 0-99999\n"
            )))
        } else if words_are(cmd, &["CLUSTER", "INFO"]) {
            Reply::Bytes(bulk("cluster_state:ok\r\n"))
        } else {
            Reply::Bytes(b"-ERR unknown\r\n".to_vec())
        }
    });
    check_fails_cleanly(&node, "cluster nodes");
}

#[test]
fn node_id_changes_between_calls() {
    let node = FakeNode::start(|cmd| {
        if words_are(cmd, &["INFO"]) {
            Reply::Bytes(cluster_info_reply())
        } else if words_are(cmd, &["CLUSTER", "MYID"]) {
            Reply::Bytes(bulk(ID_A))
        } else if words_are(cmd, &["CLUSTER", "NODES"]) {
            Reply::Bytes(bulk(
                "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 127.0.0.1:1@2 myself,master - 0 0 0 connected\n",
            ))
        } else if words_are(cmd, &["CLUSTER", "INFO"]) {
            Reply::Bytes(bulk("cluster_state:fail\r\n"))
        } else {
            Reply::Bytes(b"-ERR unknown\r\n".to_vec())
        }
    });
    check_fails_cleanly(&node, "node id changed");
}
