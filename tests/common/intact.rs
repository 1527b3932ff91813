//! What must hold after every fault (tests/faults.rs, tests/crash_safety.rs): `trib check`
//! tells the truth, `check` and `info` answer within their timeouts and name the nodes
//! they cannot reach, every key written reads back with its value, and the masters hold
//! exactly the keys written (nothing lost, nothing left behind twice).
//!
//! Included with `#[path = "common/intact.rs"] mod intact;` next to `mod common;` and
//! `#[path = "common/client.rs"] mod client;`.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;

use crate::client::ClusterClient;
use crate::common::*;

/// Hard deadline for `check` and `info` in these tests: far above what they need with
/// `--connect-timeout 1s --command-timeout 1s` (one round of timeouts, nodes in parallel).
pub const CHECK_DEADLINE: Duration = Duration::from_secs(15);

/// Short timeouts for commands run against frozen or dead nodes.
pub const FAST_TIMEOUTS: [&str; 4] = ["--connect-timeout", "1s", "--command-timeout", "1s"];

/// `count` keys `prefix:i` = `value-i`.
#[derive(Clone, Debug)]
pub struct Keys {
    pub prefix: String,
    pub count: usize,
}

impl Keys {
    pub fn new(prefix: &str, count: usize) -> Keys {
        Keys {
            prefix: prefix.to_string(),
            count,
        }
    }

    pub fn key(&self, i: usize) -> String {
        format!("{}:{i}", self.prefix)
    }

    pub fn value(&self, i: usize) -> String {
        format!("value-{i}")
    }

    /// Writes every key through the cluster client (each acknowledged by its master).
    pub fn write(&self, seeds: &[String]) {
        let mut c = ClusterClient::new(seeds);
        for i in 0..self.count {
            c.set(&self.key(i), &self.value(i))
                .unwrap_or_else(|e| panic!("writing {}: {e}", self.key(i)));
        }
    }
}

/// Whether `n` answers `ROLE` as a master.
pub fn is_master(n: &RedisNode) -> bool {
    n.try_cmd_timeout(&["ROLE"], Duration::from_secs(3))
        .is_ok_and(|r| r.starts_with("master"))
}

/// `trib check --json ENTRY...` under a hard deadline, with short timeouts.
pub fn check_json(entries: &[String]) -> (Output, Value) {
    let (out, took) = run_within(
        trib()
            .args(FAST_TIMEOUTS)
            .args(["--json", "check"])
            .args(entries),
        CHECK_DEADLINE,
    );
    let doc: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("check --json is not JSON ({e}) after {took:?}: {out:#?}"));
    (out, doc)
}

/// With `addr` frozen or dead: `check` and `info` answer within [`CHECK_DEADLINE`] every
/// time, never report a healthy cluster, and name `addr`; once the nodes still alive
/// answer again (a source blocked in `MIGRATE` to a frozen target answers nobody for a
/// few seconds: then `check` says no entry answered, naming every entry), `check` exits 1
/// with an error naming `addr` and `info` lists it as unreachable.
pub fn assert_named_unreachable(entries: &[String], addr: &str, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let (out, took) = run_within(
            trib()
                .args(FAST_TIMEOUTS)
                .args(["--json", "check"])
                .args(entries),
            CHECK_DEADLINE,
        );
        assert!(
            out.code == 1 || out.code == 2,
            "{what}: check with {addr} down, after {took:?}: {out:#?}"
        );
        assert!(
            out.stdout.contains(addr),
            "{what}: check does not name {addr}, after {took:?}: {out:#?}"
        );
        let doc: Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{what}: check --json is not JSON ({e}): {out:#?}"));
        if out.code == 1 {
            assert_eq!(doc["healthy"], false, "{what}: {doc:#}");
            let named = doc["problems"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p["severity"] == "error" && names(p, addr))
            });
            assert!(named, "{what}: check does not name {addr}: {doc:#}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: no entry answered for 40 s: {out:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let (out, took) = run_within(
        trib()
            .args(FAST_TIMEOUTS)
            .args(["--json", "info"])
            .args(entries),
        CHECK_DEADLINE,
    );
    assert_eq!(out.code, 0, "{what}: info after {took:?}: {out:#?}");
    let doc: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: info --json is not JSON ({e}): {out:#?}"));
    let listed = doc["unreachable"].as_array().is_some_and(|us| {
        us.iter()
            .any(|u| u["node"].as_str().is_some_and(|n| n.contains(addr)))
    });
    assert!(listed, "{what}: info does not name {addr}: {doc:#}");
    assert!(
        out.stderr.contains(addr),
        "{what}: info says nothing about {addr} on stderr: {out:#?}"
    );
}

/// [`assert_named_unreachable`] for a node that may never have joined: killed or frozen
/// during `create`'s MEET, before its handshake completed, it is dropped by the others
/// once the handshake times out, and no member lists it. Given among `entries`, `check`
/// then names it with a warning (`unlisted_entry`: the cluster itself has no error) and
/// `info` names it on stderr. A node the cluster does list is held to
/// [`assert_named_unreachable`].
pub fn assert_named_unreachable_or_unlisted(entries: &[String], addr: &str, what: &str) {
    assert!(
        entries.iter().any(|e| e == addr),
        "{what}: {addr} is an entry"
    );
    let (out, doc) = check_json(entries);
    let unlisted = doc["problems"].as_array().is_some_and(|ps| {
        ps.iter()
            .any(|p| p["kind"] == "unlisted_entry" && p["severity"] == "warning" && names(p, addr))
    });
    if !unlisted {
        return assert_named_unreachable(entries, addr, what);
    }
    eprintln!("{what}: no member lists {addr} (it never joined)");
    let member = doc["nodes"].as_array().is_some_and(|ns| {
        ns.iter()
            .any(|n| n["addr"].as_str() == Some(addr) || n["node"].as_str() == Some(addr))
    });
    assert!(
        !member,
        "{what}: {addr} is both a member and unlisted: {doc:#}"
    );
    let (out2, took) = run_within(
        trib().args(FAST_TIMEOUTS).arg("info").args(entries),
        CHECK_DEADLINE,
    );
    assert!(
        out2.stderr.contains(&format!("{addr}: given as an entry")),
        "{what}: info does not name {addr}, after {took:?}: {out2:#?} (check: {out:#?})"
    );
}

/// `trib check` exits non-zero and says why (the cluster is broken, e.g. open slots).
pub fn assert_check_fails(entries: &[String], what: &str) -> Value {
    let (out, doc) = check_json(entries);
    assert_eq!(out.code, 1, "{what}: check should find problems: {out:#?}");
    assert_eq!(doc["healthy"], false, "{what}: {doc:#}");
    assert!(
        doc["problems"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["severity"] == "error")),
        "{what}: exit 1 without an error: {doc:#}"
    );
    doc
}

/// Waits (up to `within`) until `trib check` exits 0: gossip takes a moment to clear
/// flags after a node comes back. Panics with the last output otherwise.
pub fn wait_check_ok(entries: &[String], within: Duration, what: &str) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let (out, doc) = check_json(entries);
        if out.code == 0 {
            assert_eq!(doc["healthy"], true, "{what}: exit 0 but {doc:#}");
            return;
        }
        if std::time::Instant::now() >= deadline {
            panic!("{what}: check never exited 0 within {within:?}: {out:#?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The cluster is whole: `trib check` exits 0, every node reports all 16384 slots
/// assigned and `cluster_state:ok`, every key of `keys` reads back with its value, and
/// the masters hold exactly `keys.count` keys.
pub fn assert_intact(nodes: &[RedisNode], keys: &Keys, what: &str) {
    let entries: Vec<String> = nodes.iter().map(RedisNode::addr).collect();
    let (out, doc) = check_json(&entries[..1]);
    assert_eq!(out.code, 0, "{what}: trib check: {out:#?}");
    assert_eq!(doc["healthy"], true, "{what}: {doc:#}");
    for n in nodes {
        let info = n.cmd(&["CLUSTER", "INFO"]);
        assert!(
            info.contains("cluster_slots_assigned:16384") && info.contains("cluster_state:ok"),
            "{what}: {} reports\n{info}",
            n.addr()
        );
    }
    let mut c = ClusterClient::new(&entries);
    let mut lost = Vec::new();
    for i in 0..keys.count {
        match c.get(&keys.key(i)) {
            Ok(Some(v)) if v == keys.value(i) => {}
            other => lost.push((i, format!("{}: {other:?}", keys.key(i)))),
        }
    }
    if !lost.is_empty() {
        // Where the unreadable keys are: per node, the keys it holds in the key's slot.
        let mut slots: Vec<u16> = lost
            .iter()
            .map(|(i, _)| trib::model::key_slot(keys.key(*i).as_bytes()))
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
        if std::env::var("TRIB_FAULTS_HOLD").is_ok() {
            eprintln!(
                "HOLD {what}: keys lost\n{}\n{}",
                whereabouts.join("\n"),
                views(nodes)
            );
            std::thread::sleep(Duration::from_secs(900));
        }
        panic!(
            "{what}: {} keys lost or wrong in {} slots, e.g. {:?}\n{}\nCLUSTER NODES:\n{}\n{}",
            lost.len(),
            slots.len(),
            lost.iter().take(3).map(|(_, m)| m).collect::<Vec<_>>(),
            whereabouts.join("\n"),
            nodes[0].cmd(&["CLUSTER", "NODES"]),
            cluster_logs(nodes)
        );
    }
    let total: usize = nodes
        .iter()
        .filter(|n| is_master(n))
        .map(|n| n.cmd(&["DBSIZE"]).trim().parse::<usize>().unwrap_or(0))
        .sum();
    if total != keys.count {
        let strays = strays(nodes);
        if std::env::var("TRIB_FAULTS_HOLD").is_ok() {
            eprintln!("HOLD {what}: {total} keys\n{strays}\n{}", views(nodes));
            std::thread::sleep(Duration::from_secs(900));
        }
        panic!(
            "{what}: the masters hold {total} keys, {} were written\n{strays}\n{}\n{}",
            keys.count,
            views(nodes),
            cluster_logs(nodes)
        );
    }
}

/// The cluster events in every node's log (role and configuration changes, epoch
/// collisions, keys deleted from lost slots), for failure messages.
pub fn cluster_logs(nodes: &[RedisNode]) -> String {
    const EVENTS: [&str; 8] = [
        "Configuration change",
        "configEpoch",
        "dirty",
        "Deleting",
        "replica of",
        "MASTER <-> REPLICA",
        "Flushing",
        "sub-replica",
    ];
    nodes
        .iter()
        .map(|n| {
            let log = n.log_tail(100_000);
            let lines: Vec<&str> = log
                .lines()
                .filter(|l| EVENTS.iter().any(|e| l.contains(e)))
                .collect();
            let from = lines.len().saturating_sub(60);
            format!(
                "--- {} ({}) log:\n{}",
                n.addr(),
                &n.node_id()[..8],
                lines[from..].join("\n")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Per master, the keys it holds in slots it does not own (its own view), for failure
/// messages.
pub fn strays(nodes: &[RedisNode]) -> String {
    let mut out = Vec::new();
    for n in nodes.iter().filter(|n| is_master(n)) {
        let owned: std::collections::BTreeSet<u16> = own_slots(n).into_iter().collect();
        let all: Vec<String> = ::redis::cmd("KEYS")
            .arg("*")
            .query(&mut connect(n))
            .unwrap_or_default();
        let stray: Vec<(u16, String)> = all
            .into_iter()
            .map(|k| (trib::model::key_slot(k.as_bytes()), k))
            .filter(|(s, _)| !owned.contains(s))
            .collect();
        if !stray.is_empty() {
            let mut slots: Vec<u16> = stray.iter().map(|(s, _)| *s).collect();
            slots.dedup();
            out.push(format!(
                "{} ({}) holds {} key(s) in {} slot(s) it does not own, e.g. {:?}",
                n.addr(),
                &n.node_id()[..8],
                stray.len(),
                slots.len(),
                &stray[..stray.len().min(3)]
            ));
        }
    }
    out.join("\n")
}

/// IDs of the replicas `master` lists as its own.
pub fn replica_ids(master: &RedisNode) -> Vec<String> {
    let me = master.node_id();
    master
        .cmd(&["CLUSTER", "NODES"])
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() > 3 && f[3] == me).then(|| f[0].to_string())
        })
        .collect()
}

/// The node's own line in its `CLUSTER NODES`: flags and slot fields.
pub fn own_line(n: &RedisNode) -> Option<String> {
    n.try_cmd_timeout(&["CLUSTER", "NODES"], Duration::from_secs(2))
        .ok()?
        .lines()
        .find(|l| l.contains("myself"))
        .map(str::to_string)
}

/// Whether `n` has a slot migrating or importing (`[s->-id]` or `[s-<-id]`).
pub fn has_open_slots(n: &RedisNode) -> bool {
    own_line(n).is_some_and(|l| l.contains("->-") || l.contains("-<-"))
}

/// Whether `n` owns slots (its own view).
pub fn owns_slots(n: &RedisNode) -> bool {
    own_line(n).is_some_and(|l| l.split_whitespace().count() > 8)
}

pub fn dbsize(n: &RedisNode) -> usize {
    n.try_cmd_timeout(&["DBSIZE"], Duration::from_secs(2))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// `check` tells the truth about a cluster that may be broken: with a slot open on any
/// node, or a node not reporting all 16384 slots and `cluster_state:ok` (before and after
/// the check: gossip may heal it meanwhile), it exits 1; when it exits 0, none of that is
/// the case. Returns whether it found the cluster broken, and its output.
pub fn assert_check_truthful(nodes: &[RedisNode], what: &str) -> (bool, Output) {
    let not_ok = || -> Vec<String> {
        nodes
            .iter()
            .filter(|n| {
                n.try_cmd_timeout(&["CLUSTER", "INFO"], Duration::from_secs(2))
                    .map_or(true, |i| {
                        !(i.contains("cluster_slots_assigned:16384")
                            && i.contains("cluster_state:ok"))
                    })
            })
            .map(RedisNode::addr)
            .collect()
    };
    let open: Vec<String> = nodes
        .iter()
        .filter(|n| has_open_slots(n))
        .map(RedisNode::addr)
        .collect();
    let not_ok_before = not_ok();
    let (out, doc) = check_json(&addrs(nodes));
    let not_ok_after = not_ok();
    assert!(out.code == 0 || out.code == 1, "{what}: {out:#?}");
    if !open.is_empty() || (!not_ok_before.is_empty() && !not_ok_after.is_empty()) {
        assert_eq!(
            out.code, 1,
            "{what}: open slots on {open:?}, not ok on {not_ok_after:?}, yet check says: {doc:#}"
        );
    }
    if out.code == 0 {
        assert!(
            open.is_empty() && not_ok_after.is_empty(),
            "{what}: check exits 0 with open slots on {open:?}, not ok on {not_ok_after:?}"
        );
    }
    (out.code == 1, out)
}

/// Waits until no node flags another `fail` or `fail?` (a node back from a freeze or a
/// restart is cleared by gossip within a few node timeouts).
pub fn settle(nodes: &[RedisNode]) {
    wait_until(
        "no node is flagged failing",
        Duration::from_secs(30),
        || {
            nodes.iter().all(|n| {
                n.try_cmd_timeout(&["CLUSTER", "NODES"], Duration::from_secs(2))
                    .is_ok_and(|t| {
                        t.lines().all(|l| {
                            let flags = l.split_whitespace().nth(2).unwrap_or("");
                            !flags.split(',').any(|f| f == "fail" || f == "fail?")
                        })
                    })
            })
        },
    );
}

/// The slots `n` owns in its own view, in order.
pub fn own_slots(n: &RedisNode) -> Vec<u16> {
    let line = own_line(n).expect("own line");
    let mut slots = Vec::new();
    for r in line.split_whitespace().skip(8) {
        if r.starts_with('[') {
            continue;
        }
        let (a, b) = r.split_once('-').unwrap_or((r, r));
        let (a, b): (u16, u16) = (a.parse().unwrap(), b.parse().unwrap());
        slots.extend(a..=b);
    }
    slots
}

/// A plain connection to one node (for pipelines of setup commands).
pub fn connect(n: &RedisNode) -> ::redis::Connection {
    ::redis::Client::open(format!("redis://{}/", n.addr()))
        .unwrap()
        .get_connection()
        .unwrap()
}

/// Unassigns the last `count` slots `owner` has, on every node (`CLUSTER DELSLOTS`): the
/// slots are uncovered, the cluster is down, their keys stay on `owner`.
pub fn uncover_slots(nodes: &[RedisNode], owner: &RedisNode, count: usize) {
    let slots = own_slots(owner);
    let slots = &slots[slots.len().saturating_sub(count)..];
    for n in nodes {
        let _: () = ::redis::cmd("CLUSTER")
            .arg("DELSLOTS")
            .arg(slots)
            .query(&mut connect(n))
            .unwrap_or_else(|e| panic!("{} DELSLOTS: {e}", n.addr()));
    }
}

/// Opens `count` slots of `from` towards `to` (IMPORTING on `to`, MIGRATING on `from`) and
/// moves about half of each slot's keys, as an interrupted reshard leaves them.
pub fn open_slots(from: &RedisNode, to: &RedisNode, count: usize) {
    let from_id = from.node_id();
    let to_id = to.node_id();
    let mut slots = own_slots(from);
    slots.truncate(count);
    let mut src = connect(from);
    let mut dst = connect(to);
    for s in &slots {
        let _: () = ::redis::cmd("CLUSTER")
            .arg("SETSLOT")
            .arg(*s)
            .arg("IMPORTING")
            .arg(&from_id)
            .query(&mut dst)
            .unwrap();
        let _: () = ::redis::cmd("CLUSTER")
            .arg("SETSLOT")
            .arg(*s)
            .arg("MIGRATING")
            .arg(&to_id)
            .query(&mut src)
            .unwrap();
        let keys: Vec<String> = ::redis::cmd("CLUSTER")
            .arg("GETKEYSINSLOT")
            .arg(*s)
            .arg(1000)
            .query(&mut src)
            .unwrap();
        let half = &keys[..keys.len() / 2];
        if !half.is_empty() {
            let _: () = ::redis::cmd("MIGRATE")
                .arg(to.ip.to_string())
                .arg(to.port)
                .arg("")
                .arg(0)
                .arg(5000)
                .arg("KEYS")
                .arg(half)
                .query(&mut src)
                .unwrap();
        }
    }
}

/// Every node's `CLUSTER NODES`, for failure messages.
pub fn views(nodes: &[RedisNode]) -> String {
    nodes
        .iter()
        .map(|n| {
            format!(
                "--- {} says:\n{}",
                n.addr(),
                n.try_cmd_timeout(&["CLUSTER", "NODES"], Duration::from_secs(3))
                    .unwrap_or_else(|e| format!("({e})"))
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
