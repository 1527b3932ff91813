//! The driver every changing command goes through, seen from `call` and `backup`:
//! `--dry-run` sends and writes nothing; a command the server flags as changing
//! anything is confirmed (no terminal and no `--yes`: exit 3, nothing sent); a command
//! that only reads runs at once.

mod common;

use common::{NodeOptions, RedisNode, run, show, snapshots, start_nodes, trib};
use serde_json::Value;

fn cluster() -> Vec<RedisNode> {
    let nodes = start_nodes(3, &NodeOptions::default());
    let addrs: Vec<String> = nodes.iter().map(|n| n.addr()).collect();
    let out = run(trib().arg("create").args(&addrs).arg("--yes"));
    assert_eq!(out.code, 0, "{}", show(&out));
    for (i, n) in nodes.iter().enumerate() {
        // One key per master, in a slot it owns (found by asking it).
        for k in 0.. {
            let key = format!("k{i}-{k}");
            let slot: u16 = n.cmd(&["CLUSTER", "KEYSLOT", &key]).trim().parse().unwrap();
            let owner = n.cmd(&["CLUSTER", "NODES"]);
            let mine = owner.lines().find(|l| l.contains("myself")).unwrap_or("");
            let owns = mine.split(' ').skip(8).any(|r| {
                let (a, b) = r.split_once('-').unwrap_or((r, r));
                a.parse::<u16>().is_ok_and(|a| a <= slot)
                    && b.parse::<u16>().is_ok_and(|b| slot <= b)
            });
            if owns {
                n.cmd(&["SET", &key, "v"]);
                break;
            }
        }
    }
    nodes
}

fn dbsizes(nodes: &[RedisNode]) -> Vec<String> {
    nodes.iter().map(|n| n.cmd(&["DBSIZE"])).collect()
}

fn calls_of(n: &RedisNode, cmd: &str) -> String {
    n.cmd(&["INFO", "commandstats"])
        .lines()
        .find(|l| l.starts_with(&format!("cmdstat_{cmd}:")))
        .unwrap_or("")
        .to_string()
}

#[test]
fn call_confirms_writes_runs_reads_and_dry_run_sends_nothing() {
    let nodes = cluster();
    let entry = nodes[0].addr();
    assert_eq!(dbsizes(&nodes), vec!["1"; 3]);
    let before = snapshots(&nodes);
    // create's fast join ran CONFIG SET: count from here.
    let config_sets: Vec<String> = nodes.iter().map(|n| calls_of(n, "config|set")).collect();

    // --dry-run: the plan, nothing sent.
    let out = run(trib().args(["--json", "call", &entry, "--dry-run", "--", "FLUSHALL"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(doc["plan"]["effect"], "changes", "{doc}");
    assert_eq!(doc["plan"]["nodes"].as_array().unwrap().len(), 3, "{doc}");
    assert!(out.stderr.contains("FLUSHALL"), "{}", show(&out));
    assert!(nodes.iter().all(|n| calls_of(n, "flushall").is_empty()));

    // A write without a terminal and without --yes: exit 3, nothing sent.
    for args in [&["FLUSHALL"][..], &["CONFIG", "SET", "maxmemory", "1gb"]] {
        let out = run(trib().args(["call", &entry, "--"]).args(args));
        assert_eq!(out.code, 3, "{args:?}: {}", show(&out));
        assert!(out.stderr.contains("--yes"), "{}", show(&out));
    }
    assert!(nodes.iter().all(|n| calls_of(n, "flushall").is_empty()));
    let now: Vec<String> = nodes.iter().map(|n| calls_of(n, "config|set")).collect();
    assert_eq!(config_sets, now, "CONFIG SET was sent");
    assert_eq!(dbsizes(&nodes), vec!["1"; 3]);
    assert_eq!(before, snapshots(&nodes));

    // Reads run at once, without --yes, and say nothing changed.
    let out = run(trib().args(["--json", "call", &entry, "--", "DBSIZE"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(doc["plan"]["effect"], "reads", "{doc}");
    assert_eq!(doc["replies"].as_array().unwrap().len(), 3, "{doc}");

    // With --yes the write runs everywhere.
    let out = run(trib().args(["--json", "call", &entry, "--yes", "--", "FLUSHALL"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["changed"], true, "{doc}");
    assert_eq!(dbsizes(&nodes), vec!["0"; 3]);
}

#[test]
fn backup_dry_run_writes_nothing() {
    let nodes = cluster();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("backup");
    let out = run(trib()
        .args(["--json", "backup", &nodes[0].addr()])
        .arg(&target)
        .arg("--dry-run"));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(doc["plan"]["masters"].as_array().unwrap().len(), 3, "{doc}");
    assert!(!target.exists(), "--dry-run created {}", target.display());
    assert!(
        nodes
            .iter()
            .all(|n| calls_of(n, "sync").is_empty() && calls_of(n, "psync").is_empty())
    );
    // The same without --dry-run writes the files.
    let out = run(trib().args(["backup", &nodes[0].addr()]).arg(&target));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(target.join("cluster.json").exists());
}
