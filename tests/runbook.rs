//! docs/runbook.md §9–§11, followed literally on real redis-server nodes with pod DNS
//! names (dnsmasq, as in tests/apply.rs): a rolling restart one pod at a time (§9), a pod
//! lost with its Kubernetes node and replaced at a new IP, with its volume and without
//! (§10), a pod that stays down and is recreated empty (§11).
//!
//! A "pod" is a redis-server on its own 127.0.0.x with the same port as the others; a pod
//! deleted is SIGTERM (kubectl delete pod) or SIGKILL (its node died); its volume is its
//! dir (nodes.conf). The harness runs without persistence, so a restarted pod has no keys
//! until it synced: the waits the runbook prescribes are what keep every key readable.

mod common;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::process::Command;
use std::time::{Duration, Instant};

use common::dns::{DnsRecord, DnsServer};
use common::*;
use serde_json::Value;

/// Pod `i`'s DNS name (without the port).
fn pod(i: usize) -> String {
    format!("redis-app-{i}.redis-service")
}

/// Pods `0..n` as one NODE argument (trib expands the range).
fn pods(n: usize, port: u16) -> String {
    format!("redis-app-{{0..{}}}.redis-service:{port}", n - 1)
}

/// A DNS server answering every pod name with its IP, and the headless service name
/// `redis-service` with all of them.
fn dns_for(ips: &[Ipv4Addr]) -> DnsServer {
    let mut records: Vec<DnsRecord> = ips
        .iter()
        .enumerate()
        .map(|(i, ip)| DnsRecord::a(&pod(i), &ip.to_string()))
        .collect();
    records.extend(
        ips.iter()
            .map(|ip| DnsRecord::a("redis-service", &ip.to_string())),
    );
    DnsServer::start(&records)
}

/// `trib --dns-server DNS --json ARGS...`, logged.
fn trib_at(dns: &DnsServer, args: &[String]) -> Output {
    let started = Instant::now();
    let out = run(trib()
        .args(["--dns-server", &dns.addr().to_string(), "--json"])
        .args(args));
    eprintln!(
        "--- trib {}: exit {} in {:?}\n{}",
        args.join(" "),
        out.code,
        started.elapsed(),
        out.stderr
    );
    out
}

/// The runbook's bootstrap line: `trib apply PODS --replicas 1 EXTRA... --yes`.
fn apply(dns: &DnsServer, pods_arg: &str, extra: &[&str]) -> Output {
    let mut args = strings(&["apply", pods_arg, "--replicas", "1", "--yes"]);
    args.extend(strings(extra));
    trib_at(dns, &args)
}

/// The phases of an apply's JSON plan, by name.
fn phases(doc: &Value) -> Vec<String> {
    doc["plan"]["phases"]
        .as_array()
        .unwrap_or_else(|| panic!("no phases: {doc}"))
        .iter()
        .map(|p| p["phase"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// Exit 0 and the JSON document.
fn ok_doc(out: &Output) -> Value {
    assert_eq!(out.code, 0, "{}", show(out));
    json(out)
}

/// `trib --json check redis-service:PORT`.
fn check(dns: &DnsServer, port: u16) -> (Output, Value) {
    let out = run(trib()
        .args(["--dns-server", &dns.addr().to_string(), "--json", "check"])
        .arg(format!("redis-service:{port}")));
    let doc = json(&out);
    (out, doc)
}

/// The runbook's wait after a pod restarted (§9, step 4): `check` healthy and no
/// replica still syncing or with its link down —
/// `jq -e '.healthy and ([.problems[] | select(.kind | test("^replica_(syncing|link_down)$"))] | length == 0)'`.
fn rejoined_and_synced(dns: &DnsServer, port: u16) -> bool {
    ready(&check(dns, port).1)
}

/// The test of [`rejoined_and_synced`] on a `check --json` document.
fn ready(doc: &Value) -> bool {
    doc["healthy"] == true
        && doc["problems"].as_array().is_some_and(|ps| {
            !ps.iter()
                .any(|p| p["kind"] == "replica_syncing" || p["kind"] == "replica_link_down")
        })
}

fn wait_rejoined(dns: &DnsServer, port: u16, what: &str) {
    let started = Instant::now();
    wait_until(what, Duration::from_secs(60), || {
        rejoined_and_synced(dns, port)
    });
    eprintln!("--- {what}: {:?}", started.elapsed());
}

/// Every slot has a master in `nodes[0]`'s view, every node there says cluster_state:ok.
fn assert_serving(nodes: &[&RedisNode]) {
    let map = slot_map(nodes[0]);
    let uncovered = map.iter().filter(|o| o.is_none()).count();
    assert_eq!(uncovered, 0, "slots without a master");
    for n in nodes {
        assert!(state_ok(n), "{} is not cluster_state:ok", n.addr());
    }
}

/// Every pod but `i`.
fn alive_except(nodes: &[RedisNode], i: usize) -> Vec<&RedisNode> {
    nodes
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != i)
        .map(|(_, n)| n)
        .collect()
}

fn snapshots_of(nodes: &[&RedisNode]) -> Vec<NodeSnapshot> {
    nodes.iter().map(|n| n.snapshot()).collect()
}

/// Master address → replica count, from `n`'s view (masters with slots only).
fn layout(n: &RedisNode) -> BTreeMap<String, usize> {
    let lines = cluster_nodes(n);
    lines
        .iter()
        .filter(|l| l.is_master() && l.slot_count() > 0)
        .map(|l| {
            let replicas = lines
                .iter()
                .filter(|r| r.master.as_deref() == Some(l.id.as_str()) && !r.flag_contains("fail"))
                .count();
            (l.addr.clone(), replicas)
        })
        .collect()
}

/// SIGTERM (what `kubectl delete pod` sends) and wait until the server has exited.
fn terminate(n: &mut RedisNode) {
    let st = Command::new("kill")
        .args(["-TERM", &n.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(st.success());
    wait_until(
        "redis-server exits on SIGTERM",
        Duration::from_secs(30),
        || !n.is_running(),
    );
}

/// Six pods on 127.0.0.`first`.. with one port, bootstrapped by `apply`, with keys.
fn six_pods(
    first: u8,
    opts: NodeOptions,
) -> (Vec<RedisNode>, u16, DnsServer, Vec<(String, String)>) {
    let port = free_port_on_every_ip();
    let ips: Vec<Ipv4Addr> = (0..6).map(|i| ip(first + i)).collect();
    let hosts: Vec<(Ipv4Addr, usize)> = ips.iter().map(|ip| (*ip, 1)).collect();
    let nodes = start_on_hosts(
        &hosts,
        &NodeOptions {
            port: Some(port),
            ..opts
        },
    );
    let dns = dns_for(&ips);
    let doc = ok_doc(&apply(&dns, &pods(6, port), &[]));
    assert_eq!(doc["plan"]["mode"], "create", "{doc:#}");
    wait_views_agree(&nodes);
    wait_synced(&nodes);
    let keys = std::env::var("TRIB_TEST_RUNBOOK_KEYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let kvs = fill(&nodes, "user:", keys);
    (nodes, port, dns, kvs)
}

/// §9: every pod restarted, one at a time, highest ordinal first (replicas first after
/// `apply` made pods 0–2 the masters): `failover --demote` (a master: its replica takes
/// over; a replica: nothing to do), the pod deleted (SIGTERM) and started again on the same
/// volume, then the wait. The cluster serves every slot and every key throughout, and
/// `apply` finds nothing to do at the end.
#[test]
fn rolling_restart_one_pod_at_a_time() {
    let (mut nodes, port, dns, kvs) = six_pods(100, quick_opts());
    let ids: Vec<String> = nodes.iter().map(RedisNode::node_id).collect();
    let mut demoted = 0;
    for i in (0..6).rev() {
        let was_master = role(&nodes[i]) == "master";
        // 1. Fail it over if it is a master (a replica: nothing to do, exit 0).
        let out = trib_at(
            &dns,
            &strings(&[
                "failover",
                "--demote",
                &format!("{}:{port}", pod(i)),
                "--yes",
            ]),
        );
        assert_eq!(out.code, 0, "{}", show(&out));
        if was_master {
            demoted += 1;
            assert_eq!(json(&out)["changed"], true, "{}", show(&out));
        } else {
            assert_eq!(json(&out)["changed"], false, "{}", show(&out));
        }
        assert_eq!(
            role(&nodes[i]),
            "slave",
            "pod {i} is a replica before it restarts"
        );
        // The cluster serves everything before the pod goes.
        let all: Vec<&RedisNode> = nodes.iter().collect();
        assert_serving(&all);
        verify_on_owners(&nodes, &kvs);

        // 2. kubectl delete pod: SIGTERM; the StatefulSet starts it again on its volume,
        // seconds later: the others have flagged it failing by then.
        terminate(&mut nodes[i]);
        let others = alive_except(&nodes, i);
        wait_until(
            "the others flag the pod failing",
            Duration::from_secs(30),
            || {
                others.iter().all(|n| {
                    cluster_nodes(n)
                        .iter()
                        .any(|l| l.id == ids[i] && l.flag_contains("fail"))
                })
            },
        );
        let (out, _) = check(&dns, port);
        assert_eq!(out.code, 1, "check while pod {i} is down: {}", show(&out));
        assert_serving(&others);
        verify_on_owners(std::slice::from_ref(others[0]), &kvs);
        // The pods persist with AOF, which keeps no replication offset: a restarted
        // replica needs a full sync. The harness's replicas kept the RDB of their last
        // sync (which would let them resume): removed.
        let _ = std::fs::remove_file(nodes[i].dir().join("dump.rdb"));
        nodes[i].restart();

        // 3. Wait until it has rejoined and synced, before the next pod: not yet now (its
        // master waits repl-diskless-sync-delay, 5 s, before the full sync).
        let (_, doc) = check(&dns, port);
        let kinds: Vec<&str> = doc["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["kind"].as_str())
            .collect();
        eprintln!("--- check right after pod {i} restarted: {kinds:?}");
        assert!(!ready(&doc), "not synced yet: {doc:#}");
        wait_rejoined(&dns, port, &format!("pod {i} rejoined and synced"));
        assert_eq!(nodes[i].node_id(), ids[i], "pod {i} kept its identity");
        assert_eq!(role(&nodes[i]), "slave", "pod {i} came back as a replica");
        let master = info_field(&nodes[i], "replication", "master_host");
        let master = nodes.iter().find(|n| n.ip.to_string() == master).unwrap();
        assert_eq!(
            nodes[i].cmd(&["DBSIZE"]),
            master.cmd(&["DBSIZE"]),
            "pod {i} has its master's keys"
        );
        let all: Vec<&RedisNode> = nodes.iter().collect();
        assert_serving(&all);
        verify_on_owners(&nodes, &kvs);
    }
    assert_eq!(demoted, 3, "three masters were failed over");

    // Done: the bootstrap line finds nothing to do, the cluster is healthy.
    let doc = ok_doc(&apply(&dns, &pods(6, port), &[]));
    assert_eq!(doc["changed"], false, "{doc:#}");
    assert!(phases(&doc).is_empty(), "{doc:#}");
    let l = layout(&nodes[0]);
    assert_eq!(l.len(), 3, "{l:?}");
    assert!(l.values().all(|r| *r == 1), "{l:?}");
    assert_check_ok(&nodes[0]);
    verify_on_owners(&nodes, &kvs);
}

/// The index of a pod that is a master with a replica, and that replica's index.
fn master_with_replica(nodes: &[RedisNode]) -> (usize, usize) {
    let lines = cluster_nodes(&nodes[0]);
    for (i, n) in nodes.iter().enumerate() {
        let id = n.node_id();
        if let Some(r) = lines
            .iter()
            .find(|l| l.master.as_deref() == Some(id.as_str()))
        {
            let j = nodes
                .iter()
                .position(|m| m.addr() == r.addr)
                .expect("the replica is a pod");
            return (i, j);
        }
    }
    panic!("no master with a replica");
}

/// SIGKILL pod `i` (a master) and wait for the cluster's own failover to pod `j`.
fn kill_and_wait_failover(nodes: &mut [RedisNode], i: usize, j: usize) {
    nodes[i].stop();
    let started = Instant::now();
    wait_until(
        "the replica took over and the cluster serves again",
        Duration::from_secs(30),
        || {
            role(&nodes[j]) == "master"
                && nodes
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != i)
                    .all(|(_, n)| state_ok(n))
        },
    );
    eprintln!(
        "--- failover after SIGKILL of pod {i}: {:?}",
        started.elapsed()
    );
}

/// §10: a master's pod lost with its node (SIGKILL); the cluster fails over by itself;
/// the replacement comes up at a new IP under the same name, (a) with its volume:
/// `apply` (the pod rejoins, as a replica of its former replica), (b) without: `apply
/// --prune` forgets the old identity and joins the new empty node as a replica, (c) the
/// same by hand: `del-node` the old identity, then `apply`. §11 is (b) with the pod down
/// for a while first.
#[test]
fn a_dead_node_replaced_at_a_new_ip_with_and_without_its_volume() {
    let (mut nodes, port, _dns, kvs) = six_pods(110, quick_sync_opts());
    let six = pods(6, port);
    let mut ips: Vec<Ipv4Addr> = nodes.iter().map(|n| n.ip).collect();

    // (a) With its volume (nodes.conf kept).
    let (i, j) = master_with_replica(&nodes);
    let id = nodes[i].node_id();
    kill_and_wait_failover(&mut nodes, i, j);
    let alive = alive_except(&nodes, i);
    assert_serving(&alive);
    nodes[i].restart_on(ip(120));
    ips[i] = ip(120);
    let dns = dns_for(&ips);
    let doc = ok_doc(&apply(&dns, &six, &[]));
    eprintln!("(a) phases: {:?}", phases(&doc));
    wait_rejoined(&dns, port, "the pod with its volume rejoined");
    assert_eq!(nodes[i].node_id(), id, "same identity");
    assert_eq!(role(&nodes[i]), "slave", "a replica of its former replica");
    for n in &nodes {
        let me = cluster_nodes(n)
            .into_iter()
            .find(|l| l.id == id)
            .unwrap_or_else(|| panic!("{} forgot pod {i}", n.addr()));
        assert_eq!(
            me.ip(),
            ip(120).to_string(),
            "{} sees pod {i} at its new IP",
            n.addr()
        );
    }
    verify_on_owners(&nodes, &kvs);
    let doc = ok_doc(&apply(&dns, &six, &[]));
    assert_eq!(doc["changed"], false, "{doc:#}");

    // (b) Without its volume: another master's pod is lost, and stays down a while.
    let (i, j) = master_with_replica(&nodes);
    let old_id = nodes[i].node_id();
    kill_and_wait_failover(&mut nodes, i, j);
    let (out, doc) = check(&dns, port);
    assert_eq!(out.code, 1, "{}", show(&out));
    assert!(
        doc["problems"].as_array().unwrap().iter().any(|p| {
            p["severity"] == "error" && (p["kind"] == "node_failed" || p["kind"] == "unreachable")
        }),
        "check names the lost pod: {doc:#}"
    );
    let alive = alive_except(&nodes, i);
    assert_serving(&alive);
    verify_on_owners(&nodes, &kvs);
    // While it is down (Pending: no IP, no DNS record), the bootstrap line changes nothing.
    let records: Vec<DnsRecord> = ips
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != i)
        .map(|(k, ip)| DnsRecord::a(&pod(k), &ip.to_string()))
        .collect();
    let dns_down = DnsServer::start(&records);
    let before = snapshots_of(&alive);
    let out = apply(&dns_down, &six, &["--prune"]);
    eprintln!("(b) apply while the pod is down: exit {}", out.code);
    assert_ne!(out.code, 0, "{}", show(&out));
    assert_eq!(snapshots_of(&alive), before, "nothing changed");
    drop(dns_down);

    // The replacement: a new empty node (new PVC) at a new IP under the same name.
    nodes[i] = RedisNode::start(&NodeOptions {
        ip: ip(121),
        port: Some(port),
        ..quick_sync_opts()
    });
    ips[i] = ip(121);
    let dns = dns_for(&ips);
    let new_id = nodes[i].node_id();
    assert_ne!(new_id, old_id);
    // Without --prune the old identity stays, failed: apply refuses to join the new pod.
    let mut before = snapshots_of(&alive_except(&nodes, i));
    before.push(nodes[i].snapshot());
    let out = apply(&dns, &six, &[]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(
        error_lines(&out)
            .iter()
            .any(|l| l.contains(&old_id[..8]) && l.contains("marked failed")),
        "{}",
        show(&out)
    );
    assert!(
        out.stderr.contains("not listed and not answering")
            && out.stderr.contains("add --prune to forget it"),
        "the refusal says what to do: {}",
        show(&out)
    );
    let mut after = snapshots_of(&alive_except(&nodes, i));
    after.push(nodes[i].snapshot());
    assert_eq!(after, before, "nothing changed");
    // The runbook's line: the plan, then the change.
    let dry = ok_doc(&trib_at(
        &dns,
        &strings(&[
            "apply",
            &six,
            "--replicas",
            "1",
            "--prune",
            "--wait",
            "30s",
            "--dry-run",
        ]),
    ));
    assert_eq!(phases(&dry), ["forget", "join"], "{dry:#}");
    assert_eq!(dry["plan"]["phases"][0]["node"]["id"], old_id, "{dry:#}");
    assert_eq!(dry["plan"]["phases"][1]["role"], "replica", "{dry:#}");
    let doc = ok_doc(&apply(&dns, &six, &["--prune", "--wait", "30s"]));
    assert_eq!(phases(&doc), ["forget", "join"], "{doc:#}");
    wait_rejoined(&dns, port, "the new empty pod joined and synced");
    for n in &nodes {
        assert!(
            cluster_nodes(n).iter().all(|l| l.id != old_id),
            "{} still knows the old identity {old_id}",
            n.addr()
        );
    }
    assert_eq!(role(&nodes[i]), "slave", "the new pod is a replica");
    let l = layout(&nodes[0]);
    assert_eq!(l.len(), 3, "{l:?}");
    assert!(l.values().all(|r| *r == 1), "a replica each again: {l:?}");
    verify_on_owners(&nodes, &kvs);
    assert_check_ok(&nodes[0]);
    let doc = ok_doc(&apply(&dns, &six, &["--prune"]));
    assert_eq!(doc["changed"], false, "{doc:#}");

    // (c) The same by hand: `del-node` the old identity, then apply without --prune.
    let (i, j) = master_with_replica(&nodes);
    let old_id = nodes[i].node_id();
    kill_and_wait_failover(&mut nodes, i, j);
    nodes[i] = RedisNode::start(&NodeOptions {
        ip: ip(122),
        port: Some(port),
        ..quick_sync_opts()
    });
    ips[i] = ip(122);
    let dns = dns_for(&ips);
    let out = trib_at(
        &dns,
        &strings(&[
            "del-node",
            &format!("redis-service:{port}"),
            &old_id,
            "--yes",
        ]),
    );
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = ok_doc(&apply(&dns, &six, &[]));
    assert_eq!(phases(&doc), ["join"], "{doc:#}");
    wait_rejoined(&dns, port, "the new empty pod joined and synced (by hand)");
    for n in &nodes {
        assert!(
            cluster_nodes(n).iter().all(|l| l.id != old_id),
            "{} still knows the old identity {old_id}",
            n.addr()
        );
    }
    let l = layout(&nodes[0]);
    assert!(l.len() == 3 && l.values().all(|r| *r == 1), "{l:?}");
    verify_on_owners(&nodes, &kvs);
}
