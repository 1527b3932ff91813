//! Atomic slot migration (Valkey 9 `CLUSTER MIGRATESLOTS`) through `trib reshard` and
//! `trib rebalance`. Runs only when `TRIB_TEST_REDIS_SERVER` is a Valkey ≥ 9 server
//! (`scripts/test-valkey.sh`); otherwise every test prints a note and returns.

mod common;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use common::*;
use serde_json::Value;

/// Whether `TRIB_TEST_REDIS_SERVER` is Valkey 9 or newer.
fn valkey9() -> bool {
    let Ok(bin) = std::env::var("TRIB_TEST_REDIS_SERVER") else {
        eprintln!(
            "note: TRIB_TEST_REDIS_SERVER is not set; atomic migration needs Valkey >= 9, skipped"
        );
        return false;
    };
    let out = std::process::Command::new(&bin).arg("--version").output();
    let text = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let major = text
        .strip_prefix("Valkey server v=")
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    if major.is_some_and(|m| m >= 9) {
        true
    } else {
        eprintln!("note: {bin} is not Valkey >= 9 ({}); skipped", text.trim());
        false
    }
}

fn opts() -> NodeOptions {
    NodeOptions {
        extra: vec![
            ("cluster-node-timeout".into(), "1000".into()),
            ("repl-diskless-sync-delay".into(), "0".into()),
        ],
        ..Default::default()
    }
}

fn show(out: &Output) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        out.code, out.stdout, out.stderr
    )
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", show(out)))
}

/// `masters` masters with `replicas` replicas each on 127.0.0.2-4.
fn cluster(masters: usize, replicas: usize) -> Vec<RedisNode> {
    let total = masters * (1 + replicas);
    let hosts: Vec<(Ipv4Addr, usize)> = (0..3)
        .map(|h| {
            (
                Ipv4Addr::new(127, 0, 0, 2 + h as u8),
                total / 3 + usize::from(h < total % 3),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let nodes = start_on_hosts(&hosts, &opts());
    let out = run(trib()
        .arg("create")
        .args(nodes.iter().map(RedisNode::addr))
        .args(["--replicas", &replicas.to_string(), "--yes"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    wait_until("views agree", Duration::from_secs(30), || {
        views_agree(&nodes)
    });
    nodes
}

/// Owner address of every slot, from `node`'s CLUSTER NODES.
fn slot_map(node: &RedisNode) -> Vec<Option<String>> {
    let mut map = vec![None; 16384];
    for line in node.cmd(&["CLUSTER", "NODES"]).lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 9 || !f[2].contains("master") {
            continue;
        }
        let addr = f[1].split(['@', ',']).next().unwrap().to_string();
        for r in &f[8..] {
            if r.starts_with('[') {
                continue;
            }
            let (a, b) = match r.split_once('-') {
                Some((a, b)) => (a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap()),
                None => (r.parse().unwrap(), r.parse().unwrap()),
            };
            for owner in &mut map[a..=b] {
                *owner = Some(addr.clone());
            }
        }
    }
    map
}

fn connect(addr: &str) -> ::redis::Connection {
    ::redis::Client::open(format!("redis://{addr}/"))
        .unwrap()
        .get_connection()
        .unwrap()
}

/// Writes `n` keys through their owners; returns them.
fn fill(nodes: &[RedisNode], n: usize) -> Vec<(String, String)> {
    let map = slot_map(&nodes[0]);
    let mut per: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for i in 0..n {
        let k = format!("k{i}");
        let owner = map[trib::model::key_slot(k.as_bytes()) as usize]
            .clone()
            .unwrap();
        per.entry(owner).or_default().push((k, format!("v{i}")));
    }
    let mut all = Vec::new();
    for (addr, kvs) in per {
        let mut c = connect(&addr);
        for chunk in kvs.chunks(1000) {
            let mut p = ::redis::pipe();
            for (k, v) in chunk {
                p.cmd("SET").arg(k).arg(v).ignore();
            }
            p.query::<()>(&mut c).unwrap();
        }
        all.extend(kvs);
    }
    all
}

/// Every key is on its slot's owner (read directly, no redirection) with its value.
fn verify(nodes: &[RedisNode], kvs: &[(String, String)]) {
    let map = slot_map(&nodes[0]);
    let mut per: BTreeMap<String, Vec<&(String, String)>> = BTreeMap::new();
    for kv in kvs {
        let owner = map[trib::model::key_slot(kv.0.as_bytes()) as usize]
            .clone()
            .unwrap();
        per.entry(owner).or_default().push(kv);
    }
    for (addr, kvs) in per {
        let mut c = connect(&addr);
        for chunk in kvs.chunks(1000) {
            let mut p = ::redis::pipe();
            for (k, _) in chunk {
                p.cmd("GET").arg(k);
            }
            let got: Vec<Option<String>> = p.query(&mut c).unwrap();
            for ((k, v), g) in chunk.iter().zip(got) {
                assert_eq!(g.as_deref(), Some(v.as_str()), "{k} on its owner {addr}");
            }
        }
    }
}

fn owned_by(nodes: &[RedisNode], addr: &str) -> usize {
    slot_map(&nodes[0])
        .iter()
        .filter(|o| o.as_deref() == Some(addr))
        .count()
}

#[test]
fn reshard_uses_atomic_migration_and_keeps_every_key() {
    if !valkey9() {
        return;
    }
    let nodes = cluster(3, 1);
    let kvs = fill(&nodes, 20_000);
    let to = slot_map(&nodes[0])[16383].clone().unwrap();
    let before = owned_by(&nodes, &to);
    let out = run(trib().args([
        "reshard",
        &nodes[0].addr(),
        "--from",
        "all",
        "--to",
        &to,
        "--slots",
        "3000",
        "--yes",
        "--json",
    ]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["report"]["method"], "atomic", "{}", show(&out));
    assert_eq!(doc["report"]["slots_moved"], 3000);
    assert!(out.stderr.contains("MIGRATESLOTS"), "{}", show(&out));
    wait_until("views agree", Duration::from_secs(30), || {
        views_agree(&nodes)
    });
    assert_eq!(owned_by(&nodes, &to), before + 3000);
    verify(&nodes, &kvs);
    let check = run(trib().arg("check").arg(nodes[0].addr()));
    assert_eq!(check.code, 0, "{}", show(&check));
}

#[test]
fn no_atomic_uses_the_classic_path() {
    if !valkey9() {
        return;
    }
    let nodes = cluster(3, 0);
    let kvs = fill(&nodes, 5_000);
    let to = slot_map(&nodes[0])[0].clone().unwrap();
    let out = run(trib().args([
        "reshard",
        &nodes[0].addr(),
        "--from",
        "all",
        "--to",
        &to,
        "--slots",
        "500",
        "--yes",
        "--json",
        "--no-atomic",
    ]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["report"]["method"], "classic", "{}", show(&out));
    assert!(!out.stderr.contains("MIGRATESLOTS"), "{}", show(&out));
    verify(&nodes, &kvs);
}

#[test]
fn rebalance_uses_atomic_migration() {
    if !valkey9() {
        return;
    }
    let nodes = cluster(3, 0);
    let kvs = fill(&nodes, 5_000);
    let drained = slot_map(&nodes[0])[0].clone().unwrap();
    let out = run(trib().args([
        "rebalance",
        &nodes[0].addr(),
        "--weight",
        &format!("{drained}=0"),
        "--yes",
        "--json",
    ]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["report"]["method"], "atomic", "{}", show(&out));
    wait_until("views agree", Duration::from_secs(30), || {
        views_agree(&nodes)
    });
    assert_eq!(owned_by(&nodes, &drained), 0);
    verify(&nodes, &kvs);
}

#[test]
fn cancelled_job_fails_naming_the_nodes_and_keeps_every_key() {
    if !valkey9() {
        return;
    }
    let nodes = cluster(3, 0);
    let slot = trib::model::key_slot(b"{big}");
    let map = slot_map(&nodes[0]);
    let src_addr = map[slot as usize].clone().unwrap();
    let src = nodes.iter().find(|n| n.addr() == src_addr).unwrap();
    let dst = nodes.iter().find(|n| n.addr() != src_addr).unwrap();
    // Enough data in one slot that the job runs long enough to be cancelled.
    // (Pipelined, not one long EVAL: a node blocked past cluster-node-timeout is failed.)
    let mut c = connect(&src.addr());
    let value = "a".repeat(500);
    for chunk in (0..300_000).collect::<Vec<u32>>().chunks(5000) {
        let mut p = ::redis::pipe();
        for i in chunk {
            p.cmd("SET").arg(format!("{{big}}{i}")).arg(&value).ignore();
        }
        p.query::<()>(&mut c).unwrap();
    }
    let child = trib()
        .args([
            "reshard",
            &src.addr(),
            "--from",
            &src.addr(),
            "--to",
            &dst.addr(),
            "--range",
            &format!("{slot}-{slot}"),
            "--yes",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = child;
    let started = std::time::Instant::now();
    loop {
        let jobs = src.cmd(&["CLUSTER", "GETSLOTMIGRATIONS"]);
        if ["snapshotting", "replicating", "waiting-to"]
            .iter()
            .any(|s| jobs.contains(s))
        {
            break;
        }
        if child.try_wait().unwrap().is_some() || started.elapsed() > Duration::from_secs(30) {
            let out = child.wait_with_output().unwrap();
            panic!(
                "no running migration job seen\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    src.cmd(&["CLUSTER", "CANCELSLOTMIGRATIONS"]);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");
    assert!(
        stderr.contains(&src.addr()) && stderr.contains(&dst.addr()),
        "{stderr}"
    );
    assert_eq!(
        slot_map(&nodes[0])[slot as usize].as_deref(),
        Some(src_addr.as_str())
    );
    assert_eq!(
        src.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]),
        "300000"
    );
    let check = run(trib().arg("check").arg(nodes[0].addr()));
    assert_eq!(check.code, 0, "{}", show(&check));
}
