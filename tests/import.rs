//! `trib import` end to end: a standalone redis-server (the source) on 127.0.0.5 and a
//! 6-node cluster made with `trib create` on 127.0.0.2-4. Results are read directly: the
//! source with its own connection, the cluster with the cluster-aware test client (or
//! per-master connections when the cluster has a password).

#[path = "common/client.rs"]
mod client;
mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ::redis::Value;
use client::ClusterClient;
use common::*;

const SOURCE_PW: &str = "src-Secret-9f3k";

/// 6 nodes on 127.0.0.2-4, made a cluster with `trib create --replicas 1` (the password
/// through `REDISCLI_AUTH`), settled.
fn cluster(password: Option<&str>) -> TestCluster {
    let c = TestCluster::new()
        .replicas(1)
        .options(quick_opts())
        .hosts(&THREE_HOSTS)
        .settled();
    match password {
        Some(pw) => c.password(pw),
        None => c,
    }
    .start()
}

/// A standalone redis-server on 127.0.0.5.
fn source(password: Option<&str>) -> RedisNode {
    RedisNode::start(&NodeOptions {
        ip: ip(5),
        cluster_enabled: false,
        password: password.map(str::to_string),
        ..Default::default()
    })
}

fn conn(node: &RedisNode) -> ::redis::Connection {
    let auth = node
        .password()
        .map(|p| format!(":{p}@"))
        .unwrap_or_default();
    let client = ::redis::Client::open(format!("redis://{auth}{}/", node.addr())).unwrap();
    client
        .get_connection_with_timeout(Duration::from_secs(5))
        .unwrap()
}

fn dbsize(node: &RedisNode) -> u64 {
    node.cmd(&["DBSIZE"]).parse().unwrap()
}

fn masters(nodes: &[RedisNode]) -> Vec<&RedisNode> {
    nodes
        .iter()
        .filter(|n| n.cmd(&["INFO", "replication"]).contains("role:master"))
        .collect()
}

fn cluster_keys(nodes: &[RedisNode]) -> u64 {
    masters(nodes).iter().map(|n| dbsize(n)).sum()
}

/// `trib --json import ENTRY --from SOURCE ARGS...`; the source password through
/// TRIB_FROM_PASSWORD when the source has one.
fn import_cmd(entry: &RedisNode, src: &RedisNode, args: &[&str]) -> std::process::Command {
    let mut cmd = trib();
    if let Some(pw) = src.password() {
        cmd.env("TRIB_FROM_PASSWORD", pw);
    }
    cmd.args(["--json", "import", &entry.addr(), "--from", &src.addr()])
        .args(args);
    cmd
}

fn import(entry: &RedisNode, src: &RedisNode, args: &[&str]) -> Output {
    run(&mut import_cmd(entry, src, args))
}

fn report(out: &Output) -> (u64, u64) {
    let doc = json(out);
    (
        doc["report"]["keys_moved"].as_u64().unwrap(),
        doc["report"]["keys_skipped_identical"].as_u64().unwrap(),
    )
}

/// Typed keys (strings, hashes, lists, sets, zsets, some with TTLs, one binary-ish name)
/// plus `populate` keys `key:N` = `value:N`. Returns every typed key's contents.
fn fill(src: &RedisNode, populate: usize) -> BTreeMap<String, Contents> {
    let mut c = conn(src);
    let mut pipe = ::redis::pipe();
    for i in 0..8 {
        pipe.cmd("SET").arg(format!("str:{i}")).arg(format!("s{i}"));
        pipe.cmd("HSET")
            .arg(format!("hash:{i}"))
            .arg("f1")
            .arg(i)
            .arg("f2")
            .arg("x".repeat(i * 30));
        pipe.cmd("RPUSH")
            .arg(format!("list:{i}"))
            .arg("a")
            .arg("b")
            .arg(i);
        pipe.cmd("SADD")
            .arg(format!("set:{i}"))
            .arg("x")
            .arg("y")
            .arg(i);
        pipe.cmd("ZADD")
            .arg(format!("zset:{i}"))
            .arg(1)
            .arg("a")
            .arg(i + 2)
            .arg("b");
        pipe.cmd("SET")
            .arg(format!("ttl:{i}"))
            .arg(i)
            .arg("PX")
            .arg(600_000);
        pipe.cmd("HSET")
            .arg(format!("{{tag}}ttlhash:{i}"))
            .arg("f")
            .arg(i);
        pipe.cmd("PEXPIRE")
            .arg(format!("{{tag}}ttlhash:{i}"))
            .arg(600_000);
    }
    pipe.cmd("SET").arg("spaced key \u{e9}\u{1F600}").arg("v");
    pipe.query::<()>(&mut c).unwrap();
    if populate > 0 {
        ::redis::cmd("DEBUG")
            .arg("POPULATE")
            .arg(populate)
            .arg("key")
            .query::<()>(&mut c)
            .unwrap();
    }
    let keys: Vec<String> = ::redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
    keys.into_iter()
        .filter(|k| !k.starts_with("key:"))
        .map(|k| {
            let v = contents(|cmd| cmd.query::<Value>(&mut c).unwrap(), &k);
            (k, v)
        })
        .collect()
}

/// A key's type and contents, comparable across servers: hash fields and set members
/// sorted (their DUMP payloads follow each server's own hash-table order).
fn contents(mut q: impl FnMut(&::redis::Cmd) -> Value, key: &str) -> Contents {
    let ty = match q(::redis::cmd("TYPE").arg(key)) {
        Value::SimpleString(s) => s,
        other => panic!("TYPE {key}: {other:?}"),
    };
    let mut cmd = match ty.as_str() {
        "string" => ::redis::cmd("GET"),
        "hash" => ::redis::cmd("HGETALL"),
        "set" => ::redis::cmd("SMEMBERS"),
        "list" => ::redis::cmd("LRANGE"),
        "zset" => ::redis::cmd("ZRANGE"),
        other => panic!("{key}: unexpected type {other}"),
    };
    cmd.arg(key);
    if ty == "list" || ty == "zset" {
        cmd.arg(0).arg(-1);
    }
    if ty == "zset" {
        cmd.arg("WITHSCORES");
    }
    let items: Vec<Vec<u8>> = match q(&cmd) {
        Value::Array(a) => a.into_iter().map(|v| bulk(v).unwrap()).collect(),
        v => vec![bulk(v).unwrap()],
    };
    let items = match ty.as_str() {
        "hash" => {
            let mut pairs: Vec<Vec<u8>> = items.chunks(2).map(|p| p.concat()).collect();
            pairs.sort();
            pairs
        }
        "set" => {
            let mut m = items;
            m.sort();
            m
        }
        _ => items,
    };
    (ty, items)
}

type Contents = (String, Vec<Vec<u8>>);

fn bulk(v: Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::Nil => None,
        other => panic!("unexpected {other:?}"),
    }
}

/// Every typed key has the same type and contents in the cluster, and TTL'd keys kept a TTL.
fn assert_in_cluster(client: &mut ClusterClient, typed: &BTreeMap<String, Contents>) {
    for (k, want) in typed {
        let got = contents(|cmd| client.exec(k, cmd).unwrap(), k);
        assert_eq!(&got, want, "{k}: different value in the cluster");
        let pttl = match client.exec(k, ::redis::cmd("PTTL").arg(k)).unwrap() {
            Value::Int(n) => n,
            other => panic!("{other:?}"),
        };
        if k.contains("ttl") {
            assert!(pttl > 0 && pttl <= 600_000, "{k}: PTTL {pttl}");
        } else {
            assert_eq!(pttl, -1, "{k}: got a TTL");
        }
    }
    let t = client.exec(
        "list:3",
        ::redis::cmd("LRANGE").arg("list:3").arg(0).arg(-1),
    );
    assert_eq!(
        t.unwrap(),
        Value::Array(vec![
            Value::BulkString(b"a".to_vec()),
            Value::BulkString(b"b".to_vec()),
            Value::BulkString(b"3".to_vec())
        ])
    );
}

fn assert_populated(client: &mut ClusterClient, n: usize, step: usize) {
    for i in (0..n).step_by(step) {
        let k = format!("key:{i}");
        assert_eq!(client.get(&k).unwrap(), Some(format!("value:{i}")), "{k}");
    }
}

#[test]
fn moves_every_key_keeping_types_values_and_ttls() {
    let nodes = cluster(None);
    let src = source(Some(SOURCE_PW));
    let typed = fill(&src, 5000);
    let total = dbsize(&src);

    let out = import(&nodes[0], &src, &["--yes", "-v"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["plan"]["mode"], "move");
    assert_eq!(doc["plan"]["source_keys"], total);
    assert_eq!(doc["plan"]["masters"].as_array().unwrap().len(), 3);
    assert_eq!(report(&out), (total, 0), "{}", show(&out));
    assert!(doc["report"]["elapsed_ms"].is_u64());
    assert!(!out.stdout.contains(SOURCE_PW) && !out.stderr.contains(SOURCE_PW));

    assert_eq!(dbsize(&src), 0, "the source still has keys");
    assert_eq!(cluster_keys(&nodes), total);
    let mut client = ClusterClient::new(&addrs(&nodes));
    assert_in_cluster(&mut client, &typed);
    assert_populated(&mut client, 5000, 7);

    // Re-running finds nothing left to do.
    let again = import(&nodes[0], &src, &["--yes"]);
    assert_eq!(again.code, 0, "{}", show(&again));
    assert_eq!(json(&again)["changed"], false);
    assert_eq!(cluster_keys(&nodes), total);
}

#[test]
fn copy_rerun_identical_keys_and_conflicts() {
    let nodes = cluster(None);
    let src = source(None);
    let typed = fill(&src, 3000);
    let total = dbsize(&src);
    let mut client = ClusterClient::new(&addrs(&nodes));

    // --copy leaves the source intact.
    let out = import(&nodes[1], &src, &["--copy", "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(json(&out)["plan"]["mode"], "copy");
    assert_eq!(report(&out), (total, 0));
    assert_eq!(dbsize(&src), total);
    assert_eq!(cluster_keys(&nodes), total);
    assert_in_cluster(&mut client, &typed);

    // Again: every key is already there with the same value; nothing imported twice.
    let out = import(&nodes[1], &src, &["--copy", "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(report(&out), (0, total));
    assert_eq!(json(&out)["changed"], false);
    assert_eq!(cluster_keys(&nodes), total);
    assert_in_cluster(&mut client, &typed);

    // A key with another value in the cluster stops the import and is named...
    client.set("str:1", "changed in the cluster").unwrap();
    let out = import(&nodes[1], &src, &["--copy", "--yes"]);
    assert_eq!(out.code, 1, "{}", show(&out));
    assert!(
        out.stderr.contains("str:1") && out.stderr.contains("--replace"),
        "{}",
        show(&out)
    );
    assert_eq!(
        json(&out)["error"].as_str().map(|e| e.contains("str:1")),
        Some(true)
    );
    assert_eq!(
        client.get("str:1").unwrap().as_deref(),
        Some("changed in the cluster")
    );
    // ...unless --replace.
    let out = import(&nodes[1], &src, &["--copy", "--replace", "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(client.get("str:1").unwrap().as_deref(), Some("s1"));

    // Move mode over identical keys: each is "done" and leaves the source.
    let out = import(&nodes[1], &src, &["--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(report(&out), (0, total));
    assert_eq!(json(&out)["changed"], true);
    assert_eq!(dbsize(&src), 0);
    assert_eq!(cluster_keys(&nodes), total);

    // Move mode with one conflicting key among new ones: the new ones move, the
    // conflicting one stays on the source, named; the cluster keeps its value.
    let mut c = conn(&src);
    for i in 0..50 {
        ::redis::cmd("SET")
            .arg(format!("new:{i}"))
            .arg(i)
            .query::<()>(&mut c)
            .unwrap();
    }
    ::redis::cmd("SET")
        .arg("str:2")
        .arg("other")
        .query::<()>(&mut c)
        .unwrap();
    let out = import(&nodes[1], &src, &["--yes"]);
    assert_eq!(out.code, 1, "{}", show(&out));
    assert!(out.stderr.contains("str:2"), "{}", show(&out));
    assert_eq!(client.get("str:2").unwrap().as_deref(), Some("s2"));
    let left: Vec<String> = ::redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
    assert!(left.contains(&"str:2".to_string()), "{left:?}");
    assert_eq!(client.get("new:7").unwrap().as_deref(), Some("7"));
}

/// Spawns an import, kills it (SIGKILL) 200 ms after its first progress line.
fn kill_midway(entry: &RedisNode, src: &RedisNode, args: &[&str]) {
    let (seen, _, status) = kill_at_line(&mut import_cmd(entry, src, args), |line| {
        // "... moving keys: 1234/200000 (…)"
        let done = line
            .split_once(" keys: ")
            .and_then(|(_, r)| r.split('/').next())
            .and_then(|n| n.parse::<u64>().ok());
        // The first progress line comes as the copy starts (plain lines are then only
        // printed every 2 s): kill a moment later, in the middle of the run.
        if done.is_some() {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        done.is_some()
    });
    assert!(!status.success(), "finished before the kill: {seen}");
    // MIGRATEs already queued on the source still run; wait until it dropped the
    // killed trib's connections (only the checking redis-cli is left).
    wait_until(
        "the source closed trib's connections",
        Duration::from_secs(20),
        || src.cmd(&["CLIENT", "LIST"]).lines().count() == 1,
    );
}

#[test]
fn killed_midway_then_rerun_moves_200k_keys_exactly_once() {
    let nodes = cluster(None);
    let src = source(None);
    let typed = fill(&src, 200_000);
    let total = dbsize(&src);

    // Small batches so the kill lands in the middle.
    kill_midway(&nodes[0], &src, &["--yes", "--pipeline", "50"]);
    let left = dbsize(&src);
    let moved = cluster_keys(&nodes);
    assert!(left > 0 && left < total, "left {left} of {total}");
    assert_eq!(
        left + moved,
        total,
        "a key was lost or duplicated by the kill"
    );

    let started = Instant::now();
    let out = import(&nodes[0], &src, &["--yes"]);
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(out.code, 0, "{}", show(&out));
    let (m, same) = report(&out);
    assert_eq!(m + same, left, "{}", show(&out));
    eprintln!("re-run moved {m} keys in {secs:.2}s");
    assert_eq!(dbsize(&src), 0);
    assert_eq!(cluster_keys(&nodes), total);
    let mut client = ClusterClient::new(&addrs(&nodes));
    assert_in_cluster(&mut client, &typed);
    assert_populated(&mut client, 200_000, 211);
}

#[test]
fn copy_killed_midway_then_rerun_completes() {
    let nodes = cluster(None);
    let src = source(Some(SOURCE_PW));
    let typed = fill(&src, 50_000);
    let total = dbsize(&src);

    kill_midway(&nodes[0], &src, &["--copy", "--yes", "--pipeline", "20"]);
    let copied = cluster_keys(&nodes);
    assert!(copied < total, "copied {copied} of {total}");
    assert_eq!(dbsize(&src), total);

    let out = import(&nodes[0], &src, &["--copy", "--yes"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let (m, same) = report(&out);
    assert_eq!(m + same, total, "{}", show(&out));
    // Keys copied before the kill compare identical (a batch that mixed copied and new
    // keys counts as identical as a whole).
    assert!(
        same >= copied && m > 0,
        "copied {copied} before the kill, {m} + {same} after"
    );
    assert_eq!(dbsize(&src), total);
    assert_eq!(cluster_keys(&nodes), total);
    let mut client = ClusterClient::new(&addrs(&nodes));
    assert_in_cluster(&mut client, &typed);
    assert_populated(&mut client, 50_000, 97);
}

#[test]
fn refuses_bad_sources_and_unhealthy_clusters_changing_nothing() {
    let nodes = cluster(None);
    let src = source(Some(SOURCE_PW));
    fill(&src, 100);
    let replica = RedisNode::start(&NodeOptions {
        ip: ip(6),
        cluster_enabled: false,
        password: Some(SOURCE_PW.into()),
        ..Default::default()
    });
    replica.cmd(&["REPLICAOF", "127.0.0.5", &src.port.to_string()]);
    wait_until("the replica synced", Duration::from_secs(20), || {
        replica
            .cmd(&["INFO", "replication"])
            .contains("master_link_status:up")
    });
    let before = snapshots(&nodes);
    let src_before = src.snapshot();
    let entry = nodes[0].addr();
    let base = |from: &str| {
        let mut c = trib();
        c.args(["import", &entry, "--from", from, "--yes"]);
        c
    };
    let no_secret = |out: &Output| {
        assert!(
            !out.stdout.contains(SOURCE_PW) && !out.stderr.contains(SOURCE_PW),
            "{}",
            show(out)
        );
    };

    // A cluster node as source.
    let out = run(&mut base(&nodes[3].addr()));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("cluster node"), "{}", show(&out));

    // Wrong password, given on the command line: warned about, never echoed.
    let out = run(base(&src.addr()).args(["--from-password", "not-the-password"]));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(
        out.stderr.contains("authentication failed"),
        "{}",
        show(&out)
    );
    assert!(out.stderr.contains("process list"), "{}", show(&out));
    assert!(!out.stderr.contains("not-the-password"), "{}", show(&out));

    // No password for a source that needs one.
    let out = run(&mut base(&src.addr()));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("requires a password"), "{}", show(&out));

    // Unreachable source.
    let nobody = format!("127.0.0.5:{}", free_port_on_every_ip());
    let out = run(&mut base(&nobody));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains(&nobody), "{}", show(&out));

    // A replica as source.
    let out = run(base(&replica.addr()).env("TRIB_FROM_PASSWORD", SOURCE_PW));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("replica"), "{}", show(&out));
    no_secret(&out);

    // --dry-run and no terminal without --yes.
    let out = import(&nodes[0], &src, &["--dry-run"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(json(&out)["changed"], false);
    assert!(out.stderr.contains("Plan: import from"), "{}", show(&out));
    no_secret(&out);
    let out = import(&nodes[0], &src, &[]);
    assert_eq!(out.code, 3, "{}", show(&out));

    // An open slot: refused, pointing to `trib fix`.
    let ms = masters(&nodes);
    let other = ms[1].node_id();
    ms[0].cmd(&["CLUSTER", "SETSLOT", "0", "MIGRATING", &other]);
    let out = import(&nodes[0], &src, &["--yes"]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("trib fix"), "{}", show(&out));
    no_secret(&out);
    ms[0].cmd(&["CLUSTER", "SETSLOT", "0", "STABLE"]);

    assert_eq!(snapshots(&nodes), before, "the cluster changed");
    assert_eq!(src.snapshot(), src_before, "the source changed");
}

#[test]
fn imports_into_a_password_cluster_with_auth_and_auth2() {
    let cluster_pw = "cluster-Pw-77";
    let nodes = cluster(Some(cluster_pw));
    let a = source(None);
    let b = source(Some(SOURCE_PW));
    let mut ca = conn(&a);
    let mut cb = conn(&b);
    for i in 0..1500 {
        ::redis::cmd("SET")
            .arg(format!("a:{i}"))
            .arg(i)
            .query::<()>(&mut ca)
            .unwrap();
        ::redis::cmd("SET")
            .arg(format!("b:{i}"))
            .arg(i)
            .query::<()>(&mut cb)
            .unwrap();
    }
    // MIGRATE … AUTH pw
    let out = run(import_cmd(&nodes[0], &a, &["--yes"]).env("REDISCLI_AUTH", cluster_pw));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(report(&out), (1500, 0));
    // MIGRATE … AUTH2 user pw
    let out =
        run(import_cmd(&nodes[0], &b, &["--yes", "--user", "default"])
            .env("REDISCLI_AUTH", cluster_pw));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(report(&out), (1500, 0));
    assert!(!out.stdout.contains(cluster_pw) && !out.stderr.contains(cluster_pw));
    assert!(!out.stdout.contains(SOURCE_PW) && !out.stderr.contains(SOURCE_PW));
    assert_eq!(dbsize(&a) + dbsize(&b), 0);
    assert_eq!(cluster_keys(&nodes), 3000);
    // Each key on the master owning its slot.
    for m in masters(&nodes) {
        let mut c = conn(m);
        let keys: Vec<String> = ::redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
        for k in keys.iter().take(50) {
            let owner: Value = ::redis::cmd("GET").arg(k).query(&mut c).unwrap();
            assert!(matches!(owner, Value::BulkString(_)), "{k} on {}", m.addr());
        }
    }
}
