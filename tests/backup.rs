//! `trib backup`: snapshots of every master plus cluster.json, restored into fresh nodes.

#[path = "common/client.rs"]
mod client;
mod common;

use std::time::Duration;

use client::ClusterClient;
use common::{NodeOptions, THREE_HOSTS, TestCluster, run, start_nodes, trib, wait_until};
use serde_json::Value;

/// Six nodes on three hosts, `trib create --replicas 1`.
fn cluster() -> TestCluster {
    TestCluster::new().replicas(1).hosts(&THREE_HOSTS).start()
}

#[test]
fn backup_restores_into_fresh_nodes_with_every_key() {
    let nodes = cluster();
    let seeds: Vec<String> = nodes.iter().map(|n| n.addr()).collect();
    let mut c = ClusterClient::new(&seeds);
    for i in 0..500 {
        c.set(&format!("key:{i}"), &format!("value-{i}")).unwrap();
    }
    c.exec(
        "ttl-key",
        redis::cmd("SET")
            .arg("ttl-key")
            .arg("v")
            .arg("EX")
            .arg(3600),
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let out = run(trib()
        .args(["--json", "backup", &nodes[0].addr()])
        .arg(dir.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    for f in files {
        let path = dir.path().join(f["file"].as_str().unwrap());
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), f["bytes"].as_u64().unwrap());
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            bytes.starts_with(b"REDIS") || bytes.starts_with(b"VALKEY"),
            "an RDB file"
        );
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")),
        "no temp file left behind"
    );
    let layout: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("cluster.json")).unwrap()).unwrap();
    let masters = layout["masters"].as_array().unwrap();
    assert_eq!(masters.len(), 3);

    // Restore: one fresh node per master, its RDB loaded, its slots assigned, then met.
    let fresh = start_nodes(3, &NodeOptions::default());
    for (node, m) in fresh.iter().zip(masters) {
        let rdb = dir.path().join(m["rdb"].as_str().unwrap());
        std::fs::copy(&rdb, node.dir().join("dump.rdb")).unwrap();
        node.cmd(&["DEBUG", "RELOAD", "NOSAVE"]);
        let mut args = vec!["CLUSTER".to_string(), "ADDSLOTSRANGE".to_string()];
        for r in m["slots"].as_array().unwrap() {
            let r = r.as_str().unwrap();
            let (a, b) = r.split_once('-').unwrap_or((r, r));
            args.push(a.into());
            args.push(b.into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        node.cmd(&args);
    }
    for (i, n) in fresh.iter().enumerate() {
        n.cmd(&["CLUSTER", "SET-CONFIG-EPOCH", &(i + 1).to_string()]);
    }
    for n in &fresh[1..] {
        fresh[0].meet(n);
    }
    wait_until("restored cluster ok", Duration::from_secs(30), || {
        fresh
            .iter()
            .all(|n| n.cmd(&["CLUSTER", "INFO"]).contains("cluster_state:ok"))
    });
    let seeds: Vec<String> = fresh.iter().map(|n| n.addr()).collect();
    let mut c = ClusterClient::new(&seeds);
    for i in 0..500 {
        assert_eq!(
            c.get(&format!("key:{i}")).unwrap().as_deref(),
            Some(format!("value-{i}").as_str())
        );
    }
    let ttl = c.exec("ttl-key", redis::cmd("TTL").arg("ttl-key")).unwrap();
    assert!(
        matches!(ttl, redis::Value::Int(t) if t > 3000),
        "TTL kept: {ttl:?}"
    );
}

#[test]
fn backup_with_password_and_unreachable_entry() {
    let nodes = TestCluster::new().password("s3cret-pw").start();
    let addrs = nodes.addrs();
    let dir = tempfile::tempdir().unwrap();
    let out = run(trib()
        .env("REDISCLI_AUTH", "s3cret-pw")
        .args(["-v", "backup", &addrs[0]])
        .arg(dir.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("s3cret-pw") && !out.stderr.contains("s3cret-pw"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        4,
        "3 snapshots and cluster.json"
    );
    // Wrong password: exit 2, nothing written.
    let empty = tempfile::tempdir().unwrap();
    let out = run(trib()
        .env("REDISCLI_AUTH", "wrong")
        .args(["backup", &addrs[0]])
        .arg(empty.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}
