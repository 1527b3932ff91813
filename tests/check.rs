//! `trib check` and `trib info` against real redis-server clusters: healthy clusters,
//! failed / frozen / stopped nodes, open and uncovered slots, keys in unowned slots,
//! failure-domain warnings, bad input, and entries through a headless DNS name.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;
use std::time::Duration;

use common::dns::{DnsRecord, DnsServer};
use common::*;
use serde_json::Value;

/// Two nodes on each of three fake hosts.
fn three_hosts() -> [(Ipv4Addr, usize); 3] {
    [(ip(2), 2), (ip(3), 2), (ip(4), 2)]
}

/// Starts nodes on `hosts` and makes a cluster of them with `trib create --replicas 1`.
fn make_cluster(hosts: &[(Ipv4Addr, usize)]) -> Vec<RedisNode> {
    make_cluster_with(hosts, &NodeOptions::default())
}

fn make_cluster_with(hosts: &[(Ipv4Addr, usize)], opts: &NodeOptions) -> Vec<RedisNode> {
    let nodes = start_on_hosts(hosts, opts);
    create_cluster(&nodes);
    nodes
}

/// `trib create ... --replicas 1 --yes` on `nodes`, then waits until the cluster has settled.
fn create_cluster(nodes: &[RedisNode]) {
    let out =
        run(trib()
            .arg("create")
            .args(create_order(nodes))
            .args(["--replicas", "1", "--yes"]));
    assert_eq!(out.code, 0, "trib create failed: {out:#?}");
    wait_until(
        "the new cluster is settled (views agree, cluster_state:ok, replication links up)",
        Duration::from_secs(30),
        || views_agree(nodes) && nodes.iter().all(|n| state_ok(n) && synced(n)),
    );
}

/// Node addresses in an order where even a naive placement (the first third are masters,
/// replica k follows master k mod masters) keeps each replica off its master's host: round k
/// takes one node per host, hosts rotated by k.
fn create_order(nodes: &[RedisNode]) -> Vec<String> {
    let mut hosts: Vec<(Ipv4Addr, Vec<String>)> = Vec::new();
    for n in nodes {
        match hosts.iter_mut().find(|(ip, _)| *ip == n.ip) {
            Some((_, v)) => v.push(n.addr()),
            None => hosts.push((n.ip, vec![n.addr()])),
        }
    }
    let rounds = hosts.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for k in 0..rounds {
        for i in 0..hosts.len() {
            if let Some(a) = hosts[(i + k) % hosts.len()].1.get(k) {
                out.push(a.clone());
            }
        }
    }
    out
}

/// The node `replica` replicates from (by `master_host` / `master_port`).
fn master_of<'a>(nodes: &'a [RedisNode], replica: &RedisNode) -> &'a RedisNode {
    let info = replica.cmd(&["INFO", "replication"]);
    let field = |k: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(k)?.strip_prefix(':'))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no {k} in INFO replication of {}", replica.addr()))
    };
    let addr = format!("{}:{}", field("master_host"), field("master_port"));
    nodes
        .iter()
        .find(|n| n.addr() == addr)
        .unwrap_or_else(|| panic!("master {addr} of {} is not ours", replica.addr()))
}

/// Indices of (master, its replica) pairs.
fn pairs(nodes: &[RedisNode]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (ri, r) in nodes.iter().enumerate() {
        if role(r) == "slave" {
            let m = master_of(nodes, r);
            let mi = nodes.iter().position(|n| n.addr() == m.addr()).unwrap();
            out.push((mi, ri));
        }
    }
    out.sort();
    out
}

fn keyslot(via: &RedisNode, key: &str) -> u16 {
    via.cmd(&["CLUSTER", "KEYSLOT", key]).parse().unwrap()
}

/// The node that owns `slot` in `via`'s view of the cluster.
fn slot_owner<'a>(via: &RedisNode, nodes: &'a [RedisNode], slot: u16) -> &'a RedisNode {
    let text = via.cmd(&["CLUSTER", "NODES"]);
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if !f[2].contains("master") {
            continue;
        }
        let owns = f[8..].iter().filter(|r| !r.starts_with('[')).any(|r| {
            let (a, b) = r.split_once('-').unwrap_or((r, r));
            (a.parse::<u16>().unwrap()..=b.parse::<u16>().unwrap()).contains(&slot)
        });
        if owns {
            return nodes
                .iter()
                .find(|n| n.try_cmd(&["CLUSTER", "MYID"]).ok().as_deref() == Some(f[0]))
                .unwrap_or_else(|| panic!("owner {} of slot {slot} is not ours", f[0]));
        }
    }
    panic!("nobody owns slot {slot} in the view of {}", via.addr());
}

/// An address where nothing listens (a port that was just free on 127.0.0.1).
fn closed_addr() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr.to_string()
}

/// `trib <args>` (60 s deadline).
fn trib_out(args: &[String]) -> Output {
    run_trib(args, Duration::from_secs(60)).0
}

/// `trib ARGS...` under a hard deadline (a hanging trib fails the test); the output and
/// the wall time.
fn run_trib(args: &[String], deadline: Duration) -> (Output, Duration) {
    run_within(trib().args(args), deadline)
}

/// `trib --json <args>`: the output and the parsed document.
fn trib_json(args: &[String]) -> (Output, Value) {
    let mut all = vec!["--json".to_string()];
    all.extend_from_slice(args);
    let out = trib_out(&all);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!("trib {all:?}: stdout is not one JSON document ({e}): {out:#?}")
    });
    (out, doc)
}

fn check_args(extra: &[&str], entries: &[String]) -> Vec<String> {
    let mut a = strings(&["check"]);
    a.extend(strings(extra));
    a.extend_from_slice(entries);
    a
}

/// Checks the shape of a `check --json` document and returns its problems.
fn problems(doc: &Value) -> &Vec<Value> {
    assert!(doc["healthy"].is_boolean(), "no healthy bool: {doc:#}");
    assert!(doc["nodes"].is_array(), "no nodes array: {doc:#}");
    let list = doc["problems"].as_array().expect("problems is an array");
    for p in list {
        assert!(p["kind"].as_str().is_some_and(|k| !k.is_empty()), "{p}");
        let sev = p["severity"].as_str().unwrap_or_default();
        assert!(sev == "error" || sev == "warning", "bad severity in {p}");
    }
    list
}

fn of_kind<'a>(doc: &'a Value, kind: &str) -> Vec<&'a Value> {
    problems(doc).iter().filter(|p| p["kind"] == kind).collect()
}

fn kinds(doc: &Value) -> BTreeSet<String> {
    problems(doc)
        .iter()
        .map(|p| p["kind"].as_str().unwrap().to_string())
        .collect()
}

fn entries(nodes: &[&RedisNode]) -> Vec<String> {
    nodes.iter().map(|n| n.addr()).collect()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn healthy_cluster_check_and_info_with_keys() {
    let nodes = make_cluster(&three_hosts());
    let ids: BTreeSet<String> = nodes.iter().map(RedisNode::node_id).collect();

    let out = trib_out(&check_args(&[], &entries(&[&nodes[0]])));
    assert_eq!(out.code, 0, "{out:#?}");
    for n in &nodes {
        assert!(
            out.stdout.contains(&n.addr()),
            "{} not listed: {out:#?}",
            n.addr()
        );
    }
    let out = trib_out(&check_args(&["--strict"], &entries(&[&nodes[3]])));
    assert_eq!(out.code, 0, "anti-affinity holds, no warnings: {out:#?}");

    let (out, doc) = trib_json(&check_args(&[], &entries(&[&nodes[0]])));
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(doc["healthy"], true, "{doc:#}");
    assert!(problems(&doc).is_empty(), "{doc:#}");
    let listed = doc["nodes"].as_array().unwrap();
    assert_eq!(listed.len(), 6, "{doc:#}");
    let listed_ids: BTreeSet<String> = listed
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed_ids, ids);
    for n in listed {
        assert_eq!(n["reachable"], true, "{n}");
        let addr = n["addr"].as_str().unwrap();
        let ip = addr.split(':').next().unwrap();
        assert_eq!(n["domain"], ip, "default domain is the IP: {n}");
    }
    let slot_total: u64 = listed
        .iter()
        .map(|n| n["slot_count"].as_u64().unwrap())
        .sum();
    assert_eq!(slot_total, 16384);

    // Keys, each SET on its slot's owner.
    let mut per_master: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..40 {
        let key = format!("key:{i}");
        let owner = slot_owner(&nodes[0], &nodes, keyslot(&nodes[0], &key));
        assert_eq!(owner.cmd(&["SET", &key, "v"]), "OK");
        *per_master.entry(owner.node_id()).or_default() += 1;
    }
    assert!(
        per_master.len() > 1,
        "keys spread over masters: {per_master:?}"
    );
    let replica_pairs = pairs(&nodes);
    assert_eq!(replica_pairs.len(), 3);
    wait_until("replicas have every key", Duration::from_secs(10), || {
        replica_pairs
            .iter()
            .all(|&(m, r)| nodes[m].cmd(&["DBSIZE"]) == nodes[r].cmd(&["DBSIZE"]))
    });

    let (out, doc) = trib_json(&strings(&["info", &nodes[5].addr()]));
    assert_eq!(out.code, 0, "{out:#?}");
    let masters = doc["masters"].as_array().expect("masters array");
    assert_eq!(masters.len(), 3, "{doc:#}");
    let mut seen_slots = 0;
    let mut seen_keys = 0;
    for m in masters {
        for field in [
            "node",
            "id",
            "domain",
            "slots",
            "slot_count",
            "keys",
            "used_memory",
            "replicas",
        ] {
            assert!(!m[field].is_null(), "master without {field}: {m:#}");
        }
        let id = m["id"].as_str().unwrap();
        assert!(ids.contains(id));
        let node = nodes.iter().find(|n| n.node_id() == id).unwrap();
        assert_eq!(role(node), "master");
        assert_eq!(m["node"], node.addr());
        assert_eq!(m["domain"], node.ip.to_string());
        assert!(m["used_memory"].as_u64().unwrap() > 0);
        let keys = m["keys"].as_u64().unwrap();
        assert_eq!(keys, per_master.get(id).copied().unwrap_or(0), "{m:#}");
        seen_keys += keys;
        seen_slots += m["slot_count"].as_u64().unwrap();
        assert!(!m["slots"].as_array().unwrap().is_empty());
        let replicas = m["replicas"].as_array().unwrap();
        assert_eq!(replicas.len(), 1, "{m:#}");
        assert_eq!(replicas[0]["keys"], keys, "replica has its master's keys");
        assert_ne!(replicas[0]["domain"], m["domain"], "anti-affinity: {m:#}");
    }
    assert_eq!(seen_keys, 40);
    assert_eq!(seen_slots, 16384);
    assert_eq!(
        doc["resilience"]["survives_any_single_domain_loss"], true,
        "{doc:#}"
    );

    let out = trib_out(&strings(&["info", &nodes[1].addr()]));
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(out.stdout.contains("40 key(s)"), "{out:#?}");

    // A low soft limit on open files (1024 in many shells; a 1000-node cluster needs more)
    // is raised to the hard limit; a hard limit too low is named as trib's own problem.
    let under_limit = |ulimit: &str| {
        let script = format!(
            "ulimit {ulimit} 12 && exec {} check {}",
            env!("CARGO_BIN_EXE_trib"),
            nodes[0].addr()
        );
        run(Command::new("bash").args(["-c", &script]))
    };
    let out = under_limit("-Sn");
    assert_eq!(out.code, 0, "soft limit raised: {out:#?}");
    let out = under_limit("-n");
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stdout.contains("out of file descriptors"),
        "the limit is named: {out:#?}"
    );

    // --deep on a healthy cluster with keys finds nothing.
    let (out, doc) = trib_json(&check_args(&["--deep"], &entries(&[&nodes[2]])));
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(problems(&doc).is_empty(), "{doc:#}");
}

/// Dead entries (stale addresses) do not stop `check`: the next entry answers. They are
/// not members, so the cluster is healthy; but the user named them, so each is a warning
/// (`unlisted_entry`), as is an entry that accepts connections and never answers (a
/// frozen node no member lists: a `create` frozen or killed during its MEET leaves one,
/// as the others drop its handshake). `--strict` fails on them; `info` names them.
#[test]
fn dead_first_entry_falls_through_to_the_next() {
    let nodes = make_cluster(&three_hosts());
    let (dead, dead2) = (closed_addr(), closed_addr());
    let frozen = RedisNode::start(&NodeOptions::default());
    frozen.freeze();
    let entries = [dead.clone(), dead2.clone(), frozen.addr(), nodes[4].addr()];
    let mut args = strings(&["--command-timeout", "1s"]);
    args.extend(check_args(&[], &entries));
    let (out, doc) = trib_json(&args);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(doc["healthy"], true);
    assert_eq!(doc["nodes"].as_array().unwrap().len(), 6, "{doc:#}");
    assert!(
        doc["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["reachable"] == true),
        "the dead entries are not cluster members: {doc:#}"
    );
    let unlisted = of_kind(&doc, "unlisted_entry");
    assert_eq!(unlisted.len(), 3, "{doc:#}");
    for (addr, why) in [
        (&dead, "cannot connect"),
        (&dead2, "cannot connect"),
        (&frozen.addr(), "no answer within the timeout"),
    ] {
        let p = unlisted
            .iter()
            .find(|p| p["nodes"][0] == addr.as_str())
            .unwrap_or_else(|| panic!("{addr} is not named: {doc:#}"));
        assert_eq!(p["severity"], "warning", "{p}");
        let message = p["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{addr}: given as an entry, {why}")),
            "{message}"
        );
    }
    assert_eq!(doc["warnings"], 3, "{doc:#}");
    let mut strict = strings(&["--command-timeout", "1s"]);
    strict.extend(check_args(&["--strict"], &entries));
    assert_eq!(trib_out(&strict).code, 1);

    let (out, doc) = trib_json(&strings(&["info", &dead, &nodes[1].addr()]));
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(doc["masters"].as_array().unwrap().len(), 3);
    assert!(
        out.stderr
            .contains(&format!("{dead}: given as an entry, cannot connect")),
        "{out:#?}"
    );
    let listed = doc["unlisted_entries"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{doc:#}");
    assert_eq!(listed[0]["node"], dead.as_str(), "{doc:#}");
    assert!(
        listed[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot connect"),
        "{doc:#}"
    );
    assert_eq!(doc["unreachable"].as_array().unwrap().len(), 0, "{doc:#}");
    frozen.thaw();
}

#[test]
fn failed_over_master_is_an_error_even_with_all_slots_covered() {
    let mut nodes = make_cluster_with(&three_hosts(), &quick_opts());
    let (m, r) = pairs(&nodes)[0];
    let dead_addr = nodes[m].addr();
    let dead_id = nodes[m].node_id();
    nodes[m].stop();
    let live: Vec<&RedisNode> = nodes
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != m)
        .map(|(_, n)| n)
        .collect();
    wait_until(
        "the replica is promoted and the cluster is ok again",
        Duration::from_secs(30),
        || {
            role(&nodes[r]) == "master"
                && live.iter().all(|n| state_ok(n))
                && live.iter().all(|n| {
                    n.cmd(&["CLUSTER", "NODES"])
                        .lines()
                        .any(|l| l.starts_with(&dead_id) && l.contains("fail"))
                })
        },
    );
    // What redis-cli says about it, for the record (it calls this cluster fine).
    if let Ok(o) = Command::new("redis-cli")
        .args(["--cluster", "check", &nodes[r].addr()])
        .output()
    {
        eprintln!(
            "redis-cli --cluster check: {}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stdout)
        );
    }

    let out = trib_out(&check_args(&[], &entries(&[&nodes[r]])));
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(out.stdout.contains(&dead_addr), "{out:#?}");

    let (out, doc) = trib_json(&check_args(&[], &entries(&[&nodes[r]])));
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(doc["healthy"], false);
    let flagged: Vec<&Value> = problems(&doc)
        .iter()
        .filter(|p| {
            (p["kind"] == "node_failed" || p["kind"] == "unreachable")
                && p["severity"] == "error"
                && names(p, &dead_addr)
        })
        .collect();
    assert!(!flagged.is_empty(), "failed master not reported: {doc:#}");
    assert!(
        of_kind(&doc, "slots_uncovered").is_empty(),
        "all slots are covered after the failover: {doc:#}"
    );
    let entry = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == dead_id.as_str())
        .unwrap_or_else(|| panic!("failed node not in nodes: {doc:#}"));
    assert_eq!(entry["reachable"], false);
}

#[test]
fn frozen_node_is_reported_unreachable_without_hanging() {
    let nodes = make_cluster(&three_hosts());
    let (_, r) = pairs(&nodes)[1];
    let frozen = &nodes[r];
    let live = nodes.iter().find(|n| n.addr() != frozen.addr()).unwrap();
    frozen.freeze();

    // The frozen node given as the *first* entry: it accepts TCP but never answers, so the next
    // entry has to be used.
    for entry_list in [vec![live.addr()], vec![frozen.addr(), live.addr()]] {
        let mut args = strings(&[
            "--json",
            "--connect-timeout",
            "1s",
            "--command-timeout",
            "1s",
            "check",
        ]);
        args.extend(entry_list.clone());
        let (out, took) = run_trib(&args, Duration::from_secs(30));
        eprintln!("check {entry_list:?} with a frozen node took {took:?}");
        assert_eq!(out.code, 1, "{out:#?}");
        let doc: Value = serde_json::from_str(&out.stdout).expect("JSON");
        let unreachable: Vec<&Value> = of_kind(&doc, "unreachable")
            .into_iter()
            .filter(|p| names(p, &frozen.addr()))
            .collect();
        assert_eq!(unreachable.len(), 1, "frozen node not named: {doc:#}");
        assert_eq!(unreachable[0]["severity"], "error");
        assert_eq!(
            doc["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["reachable"] == true)
                .count(),
            5,
            "{doc:#}"
        );
    }

    frozen.thaw();
    wait_until(
        "check is clean again after thawing",
        Duration::from_secs(30),
        || trib_out(&check_args(&[], &entries(&[live]))).code == 0,
    );
}

#[test]
fn stopped_replica_address_is_named_promptly() {
    let mut nodes = make_cluster(&three_hosts());
    let (_, r) = pairs(&nodes)[2];
    let gone = nodes[r].addr();
    nodes[r].stop();
    let live = nodes.iter().find(|n| n.addr() != gone).unwrap();

    let mut args = strings(&["--json"]);
    args.extend(check_args(&[], &entries(&[live])));
    let (out, took) = run_trib(&args, Duration::from_secs(30));
    eprintln!("check with a stopped replica took {took:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(out.code, 1, "{out:#?}");
    let doc: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["healthy"], false);
    let named: Vec<&Value> = of_kind(&doc, "unreachable")
        .into_iter()
        .filter(|p| names(p, &gone))
        .collect();
    assert_eq!(named.len(), 1, "{doc:#}");
    assert!(
        named[0]["message"].as_str().unwrap().contains("refused"),
        "{doc:#}"
    );
    assert!(of_kind(&doc, "slots_uncovered").is_empty(), "{doc:#}");

    // info still works and lists it as unreachable.
    let (out, doc) = trib_json(&strings(&["info", &live.addr()]));
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(doc["masters"].as_array().unwrap().len(), 3);
    let unreachable = doc["unreachable"].as_array().unwrap();
    assert!(
        unreachable.iter().any(|u| u["node"] == gone.as_str()),
        "{doc:#}"
    );
}

#[test]
fn open_uncovered_and_unowned_key_slots() {
    let nodes = make_cluster(&three_hosts());
    let via = &nodes[0];
    let entry = entries(&[via]);

    // Open slot: MIGRATING on the owner, IMPORTING on the target.
    let slot = 1234u16;
    let owner = slot_owner(via, &nodes, slot);
    let target = nodes
        .iter()
        .find(|n| role(n) == "master" && n.addr() != owner.addr())
        .unwrap();
    let s = slot.to_string();
    owner.cmd(&["CLUSTER", "SETSLOT", &s, "MIGRATING", &target.node_id()]);
    let (out, doc) = trib_json(&check_args(&[], &entry));
    assert_eq!(out.code, 1, "{out:#?}");
    let open = of_kind(&doc, "open_slot");
    assert_eq!(open.len(), 1, "{doc:#}");
    assert_eq!(open[0]["severity"], "error");
    assert!(names(open[0], &owner.addr()), "{doc:#}");
    assert!(open[0]["message"].as_str().unwrap().contains(&s), "{doc:#}");
    assert_eq!(
        kinds(&doc),
        BTreeSet::from(["open_slot".to_string()]),
        "{doc:#}"
    );

    target.cmd(&["CLUSTER", "SETSLOT", &s, "IMPORTING", &owner.node_id()]);
    let (out, doc) = trib_json(&check_args(&[], &entry));
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(of_kind(&doc, "open_slot").len(), 2, "{doc:#}");

    owner.cmd(&["CLUSTER", "SETSLOT", &s, "STABLE"]);
    target.cmd(&["CLUSTER", "SETSLOT", &s, "STABLE"]);
    let out = trib_out(&check_args(&[], &entry));
    assert_eq!(out.code, 0, "closed again: {out:#?}");

    // A key, then its slot taken away from its owner.
    let key = "lost-key";
    let kslot = keyslot(via, key);
    let kowner = slot_owner(via, &nodes, kslot);
    assert_eq!(kowner.cmd(&["SET", key, "v"]), "OK");
    let (out, doc) = trib_json(&check_args(&["--deep"], &entry));
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(problems(&doc).is_empty(), "{doc:#}");

    kowner.cmd(&["CLUSTER", "DELSLOTS", &kslot.to_string()]);
    let (out, doc) = trib_json(&check_args(&[], &entry));
    assert_eq!(out.code, 1, "{out:#?}");
    let uncovered = of_kind(&doc, "slots_uncovered");
    assert_eq!(uncovered.len(), 1, "{doc:#}");
    assert_eq!(uncovered[0]["severity"], "error");
    assert_eq!(uncovered[0]["slots"], kslot.to_string(), "{doc:#}");
    assert!(
        of_kind(&doc, "keys_in_unowned_slots").is_empty(),
        "only with --deep: {doc:#}"
    );

    let (out, doc) = trib_json(&check_args(&["--deep"], &entry));
    assert_eq!(out.code, 1, "{out:#?}");
    let stray = of_kind(&doc, "keys_in_unowned_slots");
    assert_eq!(stray.len(), 1, "{doc:#}");
    assert_eq!(stray[0]["severity"], "error");
    assert!(names(stray[0], &kowner.addr()), "{doc:#}");
    assert_eq!(stray[0]["slots"], kslot.to_string(), "{doc:#}");
    assert_eq!(of_kind(&doc, "slots_uncovered").len(), 1, "{doc:#}");
}

#[test]
fn one_domain_warnings_strict_and_domain_suffixes() {
    let nodes = start_nodes(6, &NodeOptions::default());
    create_cluster(&nodes);
    let all: Vec<&RedisNode> = nodes.iter().collect();

    let (out, doc) = trib_json(&check_args(&[], &entries(&all[..1])));
    assert_eq!(out.code, 0, "warnings alone are healthy: {out:#?}");
    assert_eq!(doc["healthy"], true);
    let list = problems(&doc);
    assert!(list.iter().all(|p| p["severity"] == "warning"), "{doc:#}");
    let same = of_kind(&doc, "replica_same_domain");
    assert_eq!(same.len(), 3, "one per replica: {doc:#}");
    let spof = of_kind(&doc, "domain_single_point_of_failure");
    assert_eq!(spof.len(), 1, "{doc:#}");
    assert!(
        spof[0]["message"].as_str().unwrap().contains("127.0.0.1"),
        "{doc:#}"
    );

    let out = trib_out(&check_args(&["--strict"], &entries(&all[..1])));
    assert_eq!(out.code, 1, "--strict fails on warnings: {out:#?}");

    // NODE=DOMAIN on every entry: master k in zone-k, its replica in zone-(k+1).
    let mut with_domains = Vec::new();
    let mut want: BTreeMap<String, String> = BTreeMap::new();
    for (k, (m, r)) in pairs(&nodes).into_iter().enumerate() {
        let (md, rd) = (format!("zone-{k}"), format!("zone-{}", (k + 1) % 3));
        with_domains.push(format!("{}={md}", nodes[m].addr()));
        with_domains.push(format!("{}={rd}", nodes[r].addr()));
        want.insert(nodes[m].addr(), md);
        want.insert(nodes[r].addr(), rd);
    }
    let (out, doc) = trib_json(&check_args(&["--strict"], &with_domains));
    assert_eq!(out.code, 0, "spread over zones, no warnings: {out:#?}");
    assert!(problems(&doc).is_empty(), "{doc:#}");
    for n in doc["nodes"].as_array().unwrap() {
        let addr = n["addr"].as_str().unwrap();
        assert_eq!(n["domain"], want[addr].as_str(), "{n}");
    }
    let (out, doc) = trib_json(&{
        let mut a = strings(&["info"]);
        a.extend(with_domains.clone());
        a
    });
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(
        doc["resilience"]["survives_any_single_domain_loss"], true,
        "{doc:#}"
    );
    for m in doc["masters"].as_array().unwrap() {
        assert_eq!(m["domain"], want[m["addr"].as_str().unwrap()].as_str());
    }

    // A suffix on one entry only: that node gets it, the others keep their IP.
    let (m, _) = pairs(&nodes)[0];
    let one = format!("{}=rack-x", nodes[m].addr());
    let (out, doc) = trib_json(&check_args(&[], &[one]));
    assert_eq!(out.code, 0, "{out:#?}");
    for n in doc["nodes"].as_array().unwrap() {
        let expected = if n["addr"] == nodes[m].addr().as_str() {
            "rack-x"
        } else {
            "127.0.0.1"
        };
        assert_eq!(n["domain"], expected, "{n}");
    }
}

#[test]
fn bad_entries_exit_2() {
    let plain = RedisNode::start(&NodeOptions {
        cluster_enabled: false,
        ..NodeOptions::default()
    });
    for sub in ["check", "info"] {
        let out = trib_out(&strings(&[sub, &plain.addr()]));
        assert_eq!(out.code, 2, "{sub} on a non-cluster node: {out:#?}");
        assert!(
            out.stderr.to_lowercase().contains("cluster"),
            "{sub}: says why: {out:#?}"
        );

        let (a, b) = (closed_addr(), closed_addr());
        let out = trib_out(&strings(&[sub, &a, &b]));
        assert_eq!(out.code, 2, "{sub} with no entry answering: {out:#?}");
        assert!(out.stderr.contains(&a), "{sub}: names the entry: {out:#?}");

        for bad in [
            "127.0.0.1:notaport",
            "127.0.0.1:99999",
            "300.1.2.3:6379",
            "",
        ] {
            let out = trib_out(&strings(&[sub, bad]));
            assert_eq!(out.code, 2, "{sub} {bad:?}: {out:#?}");
            assert!(!out.stderr.trim().is_empty(), "{sub} {bad:?}: {out:#?}");
        }
        let out = trib_out(&strings(&[sub]));
        assert_eq!(out.code, 2, "{sub} without ENTRY: {out:#?}");
    }
    // JSON mode: still exit 2, and stdout is not a healthy-looking document.
    let out = trib_out(&strings(&["--json", "check", &closed_addr()]));
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(!out.stdout.contains("\"healthy\":true"), "{out:#?}");
}

/// A client port free on every IP (nothing listens on it on any address).
fn port_free_everywhere() -> u16 {
    let base = 20000 + (std::process::id() % 6000) as u16;
    (0..6000u16)
        .map(|i| 20000 + (base - 20000 + i * 7) % 12000)
        .find(|&p| TcpListener::bind((Ipv4Addr::UNSPECIFIED, p)).is_ok())
        .expect("a free port")
}

#[test]
fn check_and_info_through_a_headless_dns_name() {
    let port = port_free_everywhere();
    let opts = NodeOptions {
        port: Some(port),
        ..NodeOptions::default()
    };
    let hosts: Vec<(Ipv4Addr, usize)> = (2..=7).map(|i| (ip(i), 1)).collect();
    let nodes = make_cluster_with(&hosts, &opts);
    assert!(nodes.iter().all(|n| n.port == port));

    // The first address points nowhere (a pod that is gone), the rest are the nodes.
    let mut records = vec![DnsRecord::a("redis-service", "127.0.0.9")];
    records.extend(
        nodes
            .iter()
            .map(|n| DnsRecord::a("redis-service", &n.ip.to_string())),
    );
    let dns = DnsServer::start(&records);
    let global = [
        "--dns-server".to_string(),
        dns.addr().to_string(),
        "--connect-timeout".to_string(),
        "1s".to_string(),
    ];
    let entry = format!("redis-service:{port}");

    let mut args = global.to_vec();
    args.extend(check_args(&[], std::slice::from_ref(&entry)));
    let (out, doc) = trib_json(&args);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(doc["healthy"], true, "{doc:#}");
    let listed = doc["nodes"].as_array().unwrap();
    assert_eq!(listed.len(), 6, "one node per address, each once: {doc:#}");
    let ids: BTreeSet<&str> = listed.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 6);
    assert!(listed.iter().all(|n| n["reachable"] == true), "{doc:#}");
    let dead = format!("127.0.0.9:{port}");
    assert!(
        !problems(&doc).iter().any(|p| names(p, &dead)),
        "an address that answers nothing is not a cluster member: {doc:#}"
    );

    let mut args = global.to_vec();
    args.extend(strings(&["info", &entry]));
    let (out, doc) = trib_json(&args);
    assert_eq!(out.code, 0, "{out:#?}");
    let masters = doc["masters"].as_array().unwrap();
    assert_eq!(masters.len(), 3, "{doc:#}");
    let slots: u64 = masters
        .iter()
        .map(|m| m["slot_count"].as_u64().unwrap())
        .sum();
    assert_eq!(slots, 16384);

    // Human output too.
    let mut args = global.to_vec();
    args.extend(check_args(&[], &[entry]));
    let out = trib_out(&args);
    assert_eq!(out.code, 0, "{out:#?}");

    // A name that does not resolve is bad input.
    let mut args = global.to_vec();
    args.extend(check_args(&[], &[format!("no-such-service:{port}")]));
    let out = trib_out(&args);
    assert_eq!(out.code, 2, "{out:#?}");
}

/// A node whose `cluster-node-timeout` differs from the others' (set by hand here; an
/// interrupted fast join leaves 499 ms) is a warning naming it and its value: exit 0,
/// exit 1 with `--strict`. An ACL user without `CONFIG` sees no such warning and no
/// error: the timeouts are just not compared.
#[test]
fn differing_node_timeouts_are_a_warning_unless_config_is_denied() {
    let nodes = make_cluster(&three_hosts());
    let all: Vec<&RedisNode> = nodes.iter().collect();
    let entry = entries(&all[..1]);
    let (out, doc) = trib_json(&check_args(&["--strict"], &entry));
    assert_eq!(out.code, 0, "one timeout everywhere, no warning: {out:#?}");
    assert!(problems(&doc).is_empty(), "{doc:#}");

    let odd = &nodes[4];
    assert_eq!(
        odd.cmd(&["CONFIG", "SET", "cluster-node-timeout", "4321"]),
        "OK"
    );
    let (out, doc) = trib_json(&check_args(&[], &entry));
    assert_eq!(out.code, 0, "a warning alone is healthy: {out:#?}");
    assert_eq!(doc["healthy"], true, "{doc:#}");
    assert_eq!(doc["warnings"], 1, "{doc:#}");
    let differ = of_kind(&doc, "node_timeouts_differ");
    assert_eq!(differ.len(), 1, "{doc:#}");
    assert_eq!(differ[0]["severity"], "warning");
    assert_eq!(
        differ[0]["nodes"],
        serde_json::json!([odd.addr()]),
        "{doc:#}"
    );
    let message = differ[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{} has 4321 ms", odd.addr()))
            && message.contains("5 other node(s) have"),
        "{message}"
    );
    let out = trib_out(&check_args(&[], &entry));
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(
        out.stdout.contains("cluster-node-timeout differs"),
        "{out:#?}"
    );
    let out = trib_out(&check_args(&["--strict"], &entry));
    assert_eq!(out.code, 1, "--strict fails on the warning: {out:#?}");

    // CONFIG denied by an ACL: the timeouts are not compared, silently.
    for n in &nodes {
        let rule = "on >cfg-less-7q ~* &* +@all -config";
        let mut args = vec!["ACL", "SETUSER", "nocfg"];
        args.extend(rule.split(' '));
        assert_eq!(n.cmd(&args), "OK");
    }
    let mut cmd = trib();
    cmd.env("REDISCLI_AUTH", "cfg-less-7q")
        .args(["--user", "nocfg", "--json"])
        .args(check_args(&["--strict"], &entry));
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "no CONFIG, no warning, no error: {out:#?}");
    let doc: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert!(problems(&doc).is_empty(), "{doc:#}");
    assert!(
        !out.stderr.contains("NOPERM") && !out.stderr.to_lowercase().contains("config"),
        "{out:#?}"
    );
}

/// `--wait DUR`: checks again until the cluster is healthy (exit 0 once an open slot is
/// closed), gives up at the deadline (exit 1, saying what it waited for), and stops at
/// SIGTERM (exit 143).
#[test]
fn check_wait_checks_again_until_healthy_or_the_deadline() {
    let cluster = TestCluster::new()
        .masters(3)
        .options(quick_opts())
        .settled()
        .start();
    let (m, other) = (&cluster[0], &cluster[1]);
    let slot = slot_map(m)
        .iter()
        .position(|a| a.as_deref() == Some(m.addr().as_str()))
        .unwrap()
        .to_string();
    let open = || m.cmd(&["CLUSTER", "SETSLOT", &slot, "MIGRATING", &other.node_id()]);
    let close = || m.cmd(&["CLUSTER", "SETSLOT", &slot, "STABLE"]);
    let entry = vec![m.addr()];

    // Never healthy within the wait: exit 1 after it, naming the open slot.
    open();
    let (out, took) = run_trib(
        &check_args(&["--wait", "1500ms"], &entry),
        Duration::from_secs(30),
    );
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        took >= Duration::from_millis(1500),
        "gave up after {took:?}"
    );
    assert!(
        out.stdout.contains("still not healthy after waiting 1.5s")
            && out.stdout.contains("migrating"),
        "{out:#?}"
    );

    // Healthy meanwhile: exit 0, with the report of the healthy cluster.
    let mut waiting = spawn(trib().args(check_args(&["--wait", "60s"], &entry)));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!waiting.exited(), "check --wait returned with a slot open");
    close();
    let (out, took) = waiting.finish(Duration::from_secs(30));
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    assert!(out.stdout.contains("[OK] healthy"), "{out:#?}");

    // SIGTERM while waiting: stops at once, exit 143.
    open();
    let mut waiting = spawn(trib().args(check_args(&["--wait", "60s"], &entry)));
    std::thread::sleep(Duration::from_millis(1000));
    waiting.signal("TERM");
    let (out, took) = waiting.finish(Duration::from_secs(30));
    assert_eq!(out.code, 143, "{out:#?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(out.stderr.contains("stopped waiting"), "{out:#?}");
    close();
}

/// Right after `create`, replicas are still taking their first sync: `check --wait`
/// returns once every one is in sync, and its report says so.
#[test]
fn check_wait_waits_for_new_replicas_to_sync() {
    let nodes = start_on_hosts(&three_hosts(), &NodeOptions::default());
    let out =
        run(trib()
            .arg("create")
            .args(create_order(&nodes))
            .args(["--replicas", "1", "--yes"]));
    assert_eq!(out.code, 0, "trib create failed: {out:#?}");
    let (out, _) = run_trib(
        &check_args(&["--wait", "60s"], &[nodes[0].addr()]),
        Duration::from_secs(90),
    );
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(
        !out.stdout.contains("first sync") && !out.stdout.contains("link down"),
        "{out:#?}"
    );
    assert!(nodes.iter().all(synced), "every replica in sync");
}
