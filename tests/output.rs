//! What trib says, on real redis-server nodes: output that stays short at scale (an
//! interrupted reshard of 5000 slots), and messages that name what happened (a node
//! without an address, short ID prefixes, a password a node does not have, zero
//! timeouts, create over an existing cluster or over several bad nodes, Ctrl-C at the
//! prompt, usage errors under `--json`).

#[path = "common/client.rs"]
mod client;
mod common;
#[path = "common/intact.rs"]
mod intact;

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use intact::{Keys, assert_intact, open_slots, own_slots};

/// Three masters with one replica each on 127.0.0.2-4, every replica synced.
fn cluster() -> TestCluster {
    TestCluster::new()
        .masters(3)
        .replicas(1)
        .options(quick_sync_opts())
        .hosts(&THREE_HOSTS)
        .synced()
        .start()
}

/// Every line trib printed, stdout and stderr.
fn line_count(out: &Output) -> usize {
    out.stdout.lines().count() + out.stderr.lines().count()
}

/// The node owning `slot`, in `view_from`'s view.
fn owner_of<'a>(nodes: &'a [RedisNode], view_from: &RedisNode, slot: u16) -> &'a RedisNode {
    let line = cluster_nodes(view_from)
        .into_iter()
        .find(|l| l.is_master() && l.owns(slot))
        .unwrap_or_else(|| panic!("nobody owns slot {slot}"));
    by_addr(nodes, &line.addr)
}

/// The shortest prefix of `id` that no other of `ids` starts with.
fn shortest_unique_prefix<'a>(id: &'a str, ids: &[String]) -> &'a str {
    (1..=id.len())
        .map(|n| &id[..n])
        .find(|p| ids.iter().filter(|i| i.starts_with(p)).count() == 1)
        .unwrap()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn an_interrupted_reshard_of_5000_slots_reads_in_a_few_lines() {
    let nodes = cluster();
    let keys = Keys::new("grouped", 3000);
    keys.write(&nodes.addrs());
    // Slot 0's master moves its first 5000 slots to another master and stops half-way
    // (MIGRATING / IMPORTING set with real SETSLOTs, half of each slot's keys moved),
    // the state a reshard killed mid-run leaves.
    let a = owner_of(&nodes, &nodes[0], 0);
    let b = owner_of(&nodes, &nodes[0], 16383);
    let moving: Vec<u16> = own_slots(a)[..5000].to_vec();
    let (first, last) = (moving[0], moving[4999]);
    assert_eq!(usize::from(last - first) + 1, 5000, "contiguous slots");
    open_slots(a, b, 5000);
    let entry = nodes[0].addr();

    // check: a line per node and state, not one per slot per node.
    let out = run(trib().args(["check", &entry]));
    assert_eq!(out.code, 1, "{}", show(&out));
    assert!(
        line_count(&out) <= 30,
        "{} lines:\n{}",
        line_count(&out),
        show(&out)
    );
    let migrating = format!(
        "[ERR] {}: 5000 slots migrating to {}: {first}-{last}",
        a.addr(),
        b.addr()
    );
    let importing = format!(
        "[ERR] {}: 5000 slots importing from {}: {first}-{last}",
        b.addr(),
        a.addr()
    );
    assert!(out.stdout.contains(&migrating), "{}", show(&out));
    assert!(out.stdout.contains(&importing), "{}", show(&out));

    // --json still names every slot, as ranges.
    let out = run(trib().args(["--json", "check", &entry]));
    assert_eq!(out.code, 1, "{}", show(&out));
    let doc = json(&out);
    let open: Vec<&serde_json::Value> = doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "open_slot")
        .collect();
    assert_eq!(open.len(), 2, "{doc:#}");
    for p in &open {
        assert_eq!(p["slots"], format!("{first}-{last}"), "{doc:#}");
        assert_eq!(p["severity"], "error");
    }
    assert_eq!(open[0]["nodes"][0], a.addr().as_str(), "{doc:#}");
    assert_eq!(open[0]["nodes"][1], b.addr().as_str(), "{doc:#}");

    // A reshard refused for it: a few error lines, not one per slot.
    let c = owner_of(&nodes, &nodes[0], 8000);
    let before = snapshots(&nodes);
    let out = run(trib().args([
        "reshard",
        &entry,
        "--from",
        &c.addr(),
        "--to",
        &a.addr(),
        "--slots",
        "10",
        "--yes",
    ]));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(
        error_lines(&out).len() <= 5,
        "{} error lines:\n{}",
        error_lines(&out).len(),
        show(&out)
    );
    assert!(
        out.stderr
            .contains(&format!("5000 slots migrating to {}", b.addr())),
        "{}",
        show(&out)
    );
    assert_eq!(snapshots(&nodes), before, "nothing changed");

    // fix repairs it; every key reads back.
    let out = run(trib().args(["fix", &entry, "--yes"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_intact(&nodes, &keys, "after fix");
}

#[test]
fn a_node_without_an_address_is_named_by_its_id() {
    let mut nodes = cluster();
    let keys = Keys::new("noaddr", 500);
    keys.write(&nodes.addrs());
    // A replica comes back at the same address with a new identity (its nodes.conf
    // gone, as a pod with an empty volume): the others learn the address is someone
    // else's and keep the old ID without an address (`:0@0 ... noaddr`).
    let r = nodes.iter().position(|n| role(n) == "slave").unwrap();
    let old_id = nodes[r].node_id();
    nodes[r].stop();
    std::fs::remove_file(nodes[r].dir().join("nodes.conf")).unwrap();
    nodes[r].restart();
    assert_ne!(nodes[r].node_id(), old_id);
    wait_until("the old ID has no address", Duration::from_secs(20), || {
        cluster_nodes(&nodes[0])
            .iter()
            .any(|l| l.id == old_id && l.has_flag("noaddr"))
    });
    let short = &old_id[..8];
    let entry = nodes[0].addr();

    let out = run(trib().args(["check", &entry]));
    assert_eq!(out.code, 1, "{}", show(&out));
    let tokens: Vec<&str> = out.stdout.split_whitespace().collect();
    assert!(
        !tokens.iter().any(|t| t.starts_with(":0")),
        "an address ':0' shown: {}",
        show(&out)
    );
    assert!(
        out.stdout
            .contains(&format!("[ERR] {short} (no address): ")),
        "{}",
        show(&out)
    );
    // Flagged by the others: without an address, or (once they agree) failed.
    assert!(
        out.stdout
            .contains(&format!("{short} (no address) is known without an address"))
            || out
                .stdout
                .contains(&format!("{short} (no address) is marked failed")),
        "{}",
        show(&out)
    );
    assert!(
        !out.stdout.contains(&format!("({short}) ({short})")),
        "{}",
        show(&out)
    );

    // Removing it by the shortest unique prefix of its ID (often 1-2 hex digits).
    let ids: Vec<String> = cluster_nodes(&nodes[0])
        .iter()
        .map(|l| l.id.clone())
        .collect();
    let prefix = shortest_unique_prefix(&old_id, &ids);
    let out = run(trib().args(["del-node", &entry, prefix, "--yes"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(
        out.stdout
            .contains(&format!("remove replica (no address) ({short})")),
        "{}",
        show(&out)
    );
    assert!(
        !format!("{}{}", out.stdout, out.stderr).contains(&format!("({short}) ({short})")),
        "{}",
        show(&out)
    );
    let members: Vec<RedisNode> = nodes
        .into_nodes()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != r)
        .map(|(_, n)| n)
        .collect();
    wait_until("the old ID is forgotten", Duration::from_secs(20), || {
        members
            .iter()
            .all(|n| !cluster_nodes(n).iter().any(|l| l.id == old_id))
    });
    assert_intact(&members, &keys, "after del-node");
}

#[test]
fn short_id_prefixes_and_a_master_with_slots() {
    let nodes = cluster();
    let entry = nodes[0].addr();
    let view = cluster_nodes(&nodes[0]);
    let ids: Vec<String> = view.iter().map(|l| l.id.clone()).collect();
    let unchanged = snapshots(&nodes);

    // A replica by the shortest unique prefix of its ID (1 to 3 hex digits here, at
    // most a few): accepted, not "invalid IPv4 address".
    let replica = view.iter().find(|l| !l.is_master()).unwrap();
    let prefix = shortest_unique_prefix(&replica.id, &ids);
    let out = run(trib().args(["del-node", &entry, prefix, "--dry-run"]));
    assert_eq!(out.code, 0, "{prefix}: {}", show(&out));
    assert!(
        out.stdout
            .contains(&format!("remove replica {}", replica.addr)),
        "{}",
        show(&out)
    );
    // A hex prefix no ID has: said so.
    let none = (0..4096u32)
        .map(|n| format!("{n:03x}"))
        .find(|p| !ids.iter().any(|i| i.starts_with(p.as_str())))
        .unwrap();
    let out = run(trib().args(["del-node", &entry, &none, "--yes"]));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(
        out.stderr.contains(&format!(
            "{none}: no node of this cluster has an ID that starts with {none}"
        )),
        "{}",
        show(&out)
    );
    // A prefix several IDs share, if these IDs have one: ambiguous, with the matches.
    if let Some(shared) = ids
        .iter()
        .map(|i| &i[..1])
        .find(|p| ids.iter().filter(|i| i.starts_with(p)).count() > 1)
    {
        let out = run(trib().args(["del-node", &entry, shared, "--yes"]));
        assert_eq!(out.code, 2, "{}", show(&out));
        assert!(
            out.stderr
                .contains(&format!("{shared}: ambiguous ID prefix")),
            "{}",
            show(&out)
        );
    }

    assert_eq!(snapshots(&nodes), unchanged, "nothing changed");

    // A master owning slots (and holding keys) is refused for its slots, and only them.
    let keys = Keys::new("owner", 300);
    keys.write(&nodes.addrs());
    let master = view.iter().find(|l| l.is_master()).unwrap();
    let before = snapshots(&nodes);
    let out = run(trib().args(["del-node", &entry, &master.addr, "--yes"]));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(
        out.stderr.contains(&format!("{}: owns ", master.addr)),
        "{}",
        show(&out)
    );
    assert!(!out.stderr.contains("owns no slot"), "{}", show(&out));
    assert_eq!(error_lines(&out).len(), 1, "{}", show(&out));
    assert_eq!(snapshots(&nodes), before, "nothing changed");
    assert_intact(&nodes, &keys, "after the refusals");
}

#[test]
fn a_password_given_to_a_node_without_one() {
    let nodes = TestCluster::new().masters(3).options(quick_opts()).start();
    let entry = nodes[0].addr();
    for args in [
        vec!["-a", "secret", "check", entry.as_str()],
        vec!["check", entry.as_str()],
    ] {
        let mut cmd = trib();
        if args[0] != "-a" {
            cmd.env("REDISCLI_AUTH", "secret");
        }
        let out = run(cmd.args(&args));
        assert_eq!(out.code, 2, "{}", show(&out));
        assert!(
            out.stderr.contains("the node has no password set"),
            "{}",
            show(&out)
        );
        assert!(!out.stderr.contains("wrong password"), "{}", show(&out));
    }
    let out = run(trib().args(["--json", "-a", "secret", "info", &entry]));
    assert_eq!(out.code, 2, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["exit_code"], 2);
    assert!(
        doc["error"].as_str().unwrap().contains(&format!(
            "{entry}: authentication failed: the node has no password set"
        )),
        "{doc}"
    );
    // A password node, a wrong password: still "wrong password".
    let locked = RedisNode::start(&NodeOptions {
        password: Some("right".into()),
        ..quick_opts()
    });
    let out = run(trib().args(["-a", "wrong", "check", &locked.addr()]));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("wrong password"), "{}", show(&out));
    nodes.assert_check_ok();
}

#[test]
fn zero_timeouts_and_usage_errors_under_json() {
    let node = RedisNode::start(&quick_opts());
    let before = node.snapshot();
    let addr = node.addr();
    let cases: Vec<Vec<&str>> = vec![
        vec!["--command-timeout", "0s", "check", &addr],
        vec!["--connect-timeout", "0", "check", &addr],
        vec!["failover", &addr, "--timeout", "0ms"],
        vec!["fix", &addr, "--timeout", "0s"],
        vec!["del-node", &addr, &addr, "--timeout", "0s"],
        vec!["backup", &addr, "/nonexistent", "--idle-timeout", "0s"],
    ];
    for args in cases {
        let out = run(trib().args(&args));
        assert_eq!(out.code, 2, "{args:?}: {}", show(&out));
        assert!(
            out.stderr.contains("a timeout must be at least 1ms"),
            "{args:?}: {}",
            show(&out)
        );
        // The same under --json: one JSON error document on stdout.
        let out = run(trib().arg("--json").args(&args));
        assert_eq!(out.code, 2, "{args:?}: {}", show(&out));
        let doc = json(&out);
        assert_eq!(doc["exit_code"], 2, "{doc}");
        assert!(
            doc["error"].as_str().unwrap().contains("at least 1ms"),
            "{doc}"
        );
    }
    // Any usage error under --json.
    let out = run(trib().args(["--json", "check"]));
    assert_eq!(out.code, 2, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(
        doc["error"],
        "the following required arguments were not provided: <ENTRY>..."
    );
    assert_eq!(doc["exit_code"], 2);
    let out = run(trib().args(["check", "--json", "--no-such-option", &addr]));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(
        json(&out)["error"]
            .as_str()
            .unwrap()
            .contains("--no-such-option"),
        "{}",
        show(&out)
    );
    // `--wait 0s` is no timeout: it waits for nothing (create refuses one node for
    // another reason).
    let out = run(trib().args(["create", &addr, "--wait", "0s", "--dry-run"]));
    assert!(!out.stderr.contains("at least 1ms"), "{}", show(&out));
    assert_eq!(node.snapshot(), before, "nothing changed");
}

#[test]
fn create_over_an_existing_cluster_with_fewer_replicas_says_what_it_is() {
    let nodes = cluster();
    let before = snapshots(&nodes);
    let out = run(trib()
        .arg("create")
        .args(nodes.addrs())
        .args(["--replicas", "0", "--yes"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(
        out.stdout.contains(
            "These 6 nodes already form a complete cluster (3 masters, 1 replica per master); nothing to do."
        ),
        "{}",
        show(&out)
    );
    assert!(
        out.stdout.contains("create never removes replicas"),
        "{}",
        show(&out)
    );
    assert_eq!(snapshots(&nodes), before, "nothing changed");
    nodes.assert_check_ok();
}

#[test]
fn every_bad_node_gets_its_reason() {
    // Two members of another cluster (of six nodes), one node owning slots of its own,
    // one that does not answer, two that are fine.
    let other = TestCluster::new()
        .masters(3)
        .replicas(1)
        .options(quick_opts())
        .start();
    let fresh: Vec<RedisNode> = (0..3).map(|_| RedisNode::start(&quick_opts())).collect();
    fresh[2].cmd(&["CLUSTER", "ADDSLOTS", "1", "2", "3"]);
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let before: Vec<NodeSnapshot> = other
        .iter()
        .chain(fresh.iter())
        .map(RedisNode::snapshot)
        .collect();

    // Everything answers: each bad node with its reason, at once.
    let mut args: Vec<String> = vec![other[0].addr(), other[1].addr()];
    args.extend(fresh.iter().map(RedisNode::addr));
    let out = run(trib().arg("create").args(&args).arg("--yes"));
    assert_eq!(out.code, 2, "{}", show(&out));
    let errors = error_lines(&out);
    for (n, why) in [
        (&other[0], "belongs to another cluster"),
        (&other[1], "belongs to another cluster"),
        (&fresh[2], "owns slots 1-3"),
    ] {
        assert!(
            errors
                .iter()
                .any(|l| l.contains(&n.addr()) && l.contains(why)),
            "{} {why}: {}",
            n.addr(),
            show(&out)
        );
    }
    // With a node that does not answer: it, and the members of another cluster.
    args.push(closed.clone());
    let out = run(trib().arg("create").args(&args).arg("--yes"));
    assert_eq!(out.code, 2, "{}", show(&out));
    let errors = error_lines(&out);
    assert!(
        errors
            .iter()
            .any(|l| l.contains(&closed) && l.contains("cannot connect")),
        "{}",
        show(&out)
    );
    for n in [&other[0], &other[1]] {
        assert!(
            errors
                .iter()
                .any(|l| l.contains(&n.addr()) && l.contains("another cluster")),
            "{}: {}",
            n.addr(),
            show(&out)
        );
    }
    let after: Vec<NodeSnapshot> = other
        .iter()
        .chain(fresh.iter())
        .map(RedisNode::snapshot)
        .collect();
    assert_eq!(after, before, "nothing changed");
    other.assert_check_ok();
}

/// Runs trib on a pseudo-terminal (its controlling terminal), answers its prompt with
/// `keys`, and returns its exit code and everything it printed.
fn on_terminal(args: &[&str], keys: &[u8]) -> (i32, String) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two file descriptors that we then own.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors are open and owned by nobody else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = trib();
    cmd.args(args)
        .env("TERM", "xterm")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let mut reader = std::fs::File::from(master.try_clone().unwrap());
    let mut writer = std::fs::File::from(master);
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut answered = false;
    loop {
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.extend(chunk);
        }
        if !answered && String::from_utf8_lossy(&seen).contains("[y/N]") {
            std::thread::sleep(Duration::from_millis(200));
            writer.write_all(keys).unwrap();
            answered = true;
        }
        if let Some(status) = child.try_wait().unwrap() {
            while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
                seen.extend(chunk);
            }
            let code = status.code().unwrap_or(-1);
            return (code, String::from_utf8_lossy(&seen).into_owned());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("no exit within 30 s:\n{}", String::from_utf8_lossy(&seen));
        }
    }
}

#[test]
fn ctrl_c_at_the_prompt_aborts_with_exit_3() {
    let nodes = cluster();
    let replica = nodes.iter().find(|n| role(n) == "slave").unwrap();
    let before = snapshots(&nodes);
    let (code, printed) = on_terminal(&["failover", &replica.addr()], b"\x03");
    assert_eq!(code, 3, "{printed}");
    assert!(printed.contains("Fail over? [y/N]"), "{printed}");
    assert!(
        printed.contains("interrupted at the prompt (Ctrl-C); nothing was changed"),
        "{printed}"
    );
    // Declining is exit 3 too.
    let (code, printed) = on_terminal(&["failover", &replica.addr()], b"n");
    assert_eq!(code, 3, "{printed}");
    assert!(printed.contains("declined"), "{printed}");
    assert_eq!(snapshots(&nodes), before, "nothing changed");
    assert_eq!(role(replica), "slave");
    nodes.assert_check_ok();
}
