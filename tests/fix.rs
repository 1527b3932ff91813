//! `trib fix` slot repairs on real redis-server nodes: each broken state is set up by
//! hand (`CLUSTER SETSLOT … MIGRATING/IMPORTING`, `MIGRATE`, `DELSLOTS`), repaired, and
//! checked with `trib check` (exit 0) and by reading every key back.
//! Keys are moved with the migration engine's `move_slot_keys`.

#[path = "common/client.rs"]
mod client;
mod common;

use std::time::Duration;

use common::*;

/// Three masters, created by trib.
fn cluster3() -> TestCluster {
    TestCluster::new().masters(3).options(quick_opts()).start()
}

/// Slot ranges `n` owns in its own CLUSTER NODES line.
fn own_ranges(n: &RedisNode) -> Vec<(u16, u16)> {
    cluster_nodes(n)
        .into_iter()
        .find(Line::is_myself)
        .expect("myself line")
        .ranges()
}

/// Index of the node owning `slot` (its own view).
fn owner(nodes: &[RedisNode], slot: u16) -> usize {
    nodes
        .iter()
        .position(|n| own_ranges(n).iter().any(|&(a, b)| a <= slot && slot <= b))
        .unwrap_or_else(|| panic!("nobody owns slot {slot}"))
}

/// A hash tag whose slot is owned by node `idx`.
fn tag_on(nodes: &[RedisNode], idx: usize) -> (String, u16) {
    for i in 0.. {
        let tag = format!("t{i}");
        let slot: u16 = nodes[0].cmd(&["CLUSTER", "KEYSLOT", &tag]).parse().unwrap();
        if owner(nodes, slot) == idx {
            return (tag, slot);
        }
    }
    unreachable!()
}

/// Writes `count` keys `{tag}:i` = `v-i` on node `n` (it must own or import the slot).
fn write_keys(n: &RedisNode, tag: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let k = format!("{{{tag}}}:{i}");
            assert_eq!(n.cmd(&["SET", &k, &format!("v-{i}")]), "OK");
            k
        })
        .collect()
}

/// MIGRATE `keys` from `from` to `to` (the slot must be open on both).
fn migrate_keys(from: &RedisNode, to: &RedisNode, keys: &[String]) {
    let port = to.port.to_string();
    let ip = to.ip.to_string();
    let mut args = vec!["MIGRATE", &ip, &port, "", "0", "5000", "KEYS"];
    args.extend(keys.iter().map(String::as_str));
    assert_eq!(from.cmd(&args), "OK");
}

fn setslot(n: &RedisNode, slot: u16, how: &str, id: &str) {
    let s = slot.to_string();
    let mut args = vec!["CLUSTER", "SETSLOT", &s, how];
    if !id.is_empty() {
        args.push(id);
    }
    assert_eq!(n.cmd(&args), "OK", "{} SETSLOT {s} {how}", n.addr());
}

fn fix(nodes: &[RedisNode], extra: &[&str]) -> Output {
    run(trib()
        .arg("fix")
        .arg(nodes[0].addr())
        .args(extra)
        .args(["--yes", "--timeout", "30s"]))
}

/// What a scenario's setup broke: the slot and the keys written in it.
struct Broken {
    slot: u16,
    keys: Vec<String>,
}

/// A broken state `trib fix` repairs: on a fresh 3-master cluster, `setup` breaks one slot;
/// then `trib fix ENTRY ARGS --yes` exits 0 with `says` in its stdout, node `owner` owns
/// the slot (`why`), and [`assert_repaired`] holds.
struct Scenario {
    setup: fn(&[RedisNode]) -> Broken,
    args: &'static [&'static str],
    owner: usize,
    why: &'static str,
    says: &'static str,
}

fn run_scenario(name: &str, sc: Scenario) {
    let nodes = cluster3();
    let Broken { slot, keys } = (sc.setup)(&nodes);
    let out = fix(&nodes, sc.args);
    assert_eq!(out.code, 0, "{name}: {}", show(&out));
    assert!(out.stdout.contains(sc.says), "{name}: {}", show(&out));
    assert_eq!(owner(&nodes, slot), sc.owner, "{name}: {}", sc.why);
    assert_repaired(&nodes, &keys);
}

/// One `#[test]` per row, named after it, so each scenario passes or fails on its own.
macro_rules! scenarios {
    ($($(#[doc = $doc:literal])* $name:ident => $scenario:expr;)*) => {$(
        $(#[doc = $doc])*
        #[test]
        fn $name() {
            run_scenario(stringify!($name), $scenario);
        }
    )*};
}

scenarios! {
    /// MIGRATING on the owner only: closed.
    migrating_only_is_closed => Scenario {
        setup: migrating_only, args: &[], owner: 0, why: "", says: "migrating",
    };
    /// IMPORTING on another node, which holds none of the slot's keys: closed.
    importing_only_without_keys_is_closed => Scenario {
        setup: importing_only, args: &[], owner: 0, why: "", says: "",
    };
    /// IMPORTING on a node holding some of the keys, the owner stable: they go back.
    importing_only_with_keys_moves_them_back_to_the_owner => Scenario {
        setup: importing_with_keys, args: &[], owner: 0, why: "", says: "",
    };
    /// MIGRATING and IMPORTING, some keys moved: the move is finished.
    interrupted_migration_is_finished_toward_the_target => Scenario {
        setup: interrupted_migration, args: &[], owner: 1, why: "", says: "",
    };
    /// Keys moved to two importing nodes, the owner stable: all go back.
    importing_on_several_nodes => Scenario {
        setup: importing_on_several, args: &[], owner: 0, why: "", says: "",
    };
    /// The owner still MIGRATING, the target stable with some keys: they go back.
    owner_still_migrating_gets_its_keys_back => Scenario {
        setup: owner_still_migrating, args: &[], owner: 0, why: "", says: "",
    };
    /// A slot nobody owns, its keys on one master: that master gets it.
    uncovered_slot_with_keys_on_one_master_goes_to_it => Scenario {
        setup: uncovered_with_keys_on_one, args: &[], owner: 2, why: "", says: "",
    };
    /// A slot nobody owns, its keys on two masters: the one with most gets it.
    uncovered_slot_with_keys_on_several_masters_goes_to_the_one_with_most => Scenario {
        setup: uncovered_with_keys_on_two, args: &[], owner: 1,
        why: "node 1 holds 20 of the 30 keys", says: "",
    };
    /// Keys on a node that does not own their slot, nothing open: `--deep` moves them.
    stray_keys_move_to_the_owner_with_deep => Scenario {
        setup: stray_keys, args: &["--deep"], owner: 0, why: "", says: "",
    };
}

/// `count` keys in a slot of node 0, IMPORTING on node 1, MIGRATING on node 0, the first
/// `moved` keys MIGRATEd to node 1.
fn half_migrated(nodes: &[RedisNode], count: usize, moved: usize) -> Broken {
    let (tag, slot) = tag_on(nodes, 0);
    let keys = write_keys(&nodes[0], &tag, count);
    setslot(&nodes[1], slot, "IMPORTING", &nodes[0].node_id());
    setslot(&nodes[0], slot, "MIGRATING", &nodes[1].node_id());
    migrate_keys(&nodes[0], &nodes[1], &keys[..moved]);
    Broken { slot, keys }
}

fn migrating_only(nodes: &[RedisNode]) -> Broken {
    let (tag, slot) = tag_on(nodes, 0);
    let keys = write_keys(&nodes[0], &tag, 20);
    setslot(&nodes[0], slot, "MIGRATING", &nodes[1].node_id());
    Broken { slot, keys }
}

fn importing_only(nodes: &[RedisNode]) -> Broken {
    let (tag, slot) = tag_on(nodes, 0);
    let keys = write_keys(&nodes[0], &tag, 20);
    setslot(&nodes[1], slot, "IMPORTING", &nodes[0].node_id());
    Broken { slot, keys }
}

fn importing_with_keys(nodes: &[RedisNode]) -> Broken {
    let b = half_migrated(nodes, 30, 10);
    setslot(&nodes[0], b.slot, "STABLE", "");
    b
}

fn interrupted_migration(nodes: &[RedisNode]) -> Broken {
    half_migrated(nodes, 30, 10)
}

fn importing_on_several(nodes: &[RedisNode]) -> Broken {
    let b = half_migrated(nodes, 30, 10);
    setslot(&nodes[2], b.slot, "IMPORTING", &nodes[0].node_id());
    setslot(&nodes[0], b.slot, "MIGRATING", &nodes[2].node_id());
    migrate_keys(&nodes[0], &nodes[2], &b.keys[10..20]);
    setslot(&nodes[0], b.slot, "STABLE", "");
    b
}

fn owner_still_migrating(nodes: &[RedisNode]) -> Broken {
    let b = half_migrated(nodes, 30, 10);
    setslot(&nodes[1], b.slot, "STABLE", "");
    b
}

fn uncovered_with_keys_on_one(nodes: &[RedisNode]) -> Broken {
    let (tag, slot) = tag_on(nodes, 2);
    let keys = write_keys(&nodes[2], &tag, 20);
    // The owner first: a node that dropped the slot while the owner still claimed it
    // takes the claim back from the owner's next ping. Repeated until it sticks (a ping
    // sent just before the owner's DELSLOTS can still arrive after the others').
    let slot_arg = slot.to_string();
    nodes[2].cmd(&["CLUSTER", "DELSLOTS", &slot_arg]);
    wait_until("the cluster to go down", Duration::from_secs(10), || {
        for n in &nodes[..2] {
            let _ = n.try_cmd(&["CLUSTER", "DELSLOTS", &slot_arg]);
        }
        nodes[..2]
            .iter()
            .all(|n| n.cmd(&["CLUSTER", "INFO"]).contains("cluster_state:fail"))
    });
    Broken { slot, keys }
}

fn uncovered_with_keys_on_two(nodes: &[RedisNode]) -> Broken {
    let b = half_migrated(nodes, 30, 20);
    setslot(&nodes[0], b.slot, "STABLE", "");
    setslot(&nodes[1], b.slot, "STABLE", "");
    for n in nodes {
        n.cmd(&["CLUSTER", "DELSLOTS", &b.slot.to_string()]);
    }
    b
}

fn stray_keys(nodes: &[RedisNode]) -> Broken {
    let b = half_migrated(nodes, 30, 5);
    setslot(&nodes[0], b.slot, "STABLE", "");
    setslot(&nodes[1], b.slot, "STABLE", "");
    let before = run(trib().args(["check", "--deep"]).arg(nodes[0].addr()));
    assert_eq!(before.code, 1, "{}", show(&before));
    b
}

/// `trib check` exits 0 and every key reads back with its value.
fn assert_repaired(nodes: &[RedisNode], keys: &[String]) {
    let check = run(trib().arg("check").arg(nodes[0].addr()));
    assert_eq!(check.code, 0, "{}", show(&check));
    let mut c = client::ClusterClient::new(&[nodes[0].addr()]);
    for k in keys {
        let i = k.rsplit(':').next().unwrap();
        assert_eq!(c.get(k).unwrap(), Some(format!("v-{i}")), "key {k}");
    }
    // No key left behind on a node that does not own its slot.
    let deep = run(trib().args(["check", "--deep"]).arg(nodes[0].addr()));
    assert_eq!(deep.code, 0, "{}", show(&deep));
}

#[test]
fn uncovered_slots_without_keys_are_assigned() {
    let nodes = cluster3();
    let (a, _) = own_ranges(&nodes[1])[0];
    let (from, to) = (a.to_string(), (a + 99).to_string());
    for n in &nodes {
        n.cmd(&["CLUSTER", "DELSLOTSRANGE", &from, &to]);
    }
    let out = fix(&nodes, &["--json"]);
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["plan"]["slots"]["fixes"].as_array().unwrap().len(), 100);
    // The master that lost them has the fewest slots: it gets them back.
    assert_eq!(owner(&nodes, a), 1);
    assert_repaired(&nodes, &[]);
}

/// 300 interrupted migrations without keys, a migrating-only slot, an importing-only
/// slot and an uncovered slot with keys, all at once, while the cluster is down.
#[test]
fn hundreds_of_open_slots_and_several_problems_at_once() {
    let nodes = cluster3();
    let id0 = nodes[0].node_id();
    let id1 = nodes[1].node_id();
    let (tag, uncovered) = tag_on(&nodes, 2);
    let keys = write_keys(&nodes[2], &tag, 20);
    let (t2, migrating_only) = tag_on(&nodes, 0);
    let keys2 = write_keys(&nodes[0], &t2, 10);
    let (a, _) = own_ranges(&nodes[0])[0];
    // Slots a..a+300 (no keys there: the tags above are elsewhere).
    let open: Vec<u16> = (a..a + 300).filter(|s| *s != migrating_only).collect();
    let mut c0 = Vec::new();
    let mut c1 = Vec::new();
    for s in &open {
        c1.push(format!("CLUSTER SETSLOT {s} IMPORTING {id0}"));
        c0.push(format!("CLUSTER SETSLOT {s} MIGRATING {id1}"));
    }
    pipe(&nodes[1], &c1);
    pipe(&nodes[0], &c0);
    setslot(&nodes[0], migrating_only, "MIGRATING", &nodes[2].node_id());
    for n in &nodes {
        n.cmd(&["CLUSTER", "DELSLOTS", &uncovered.to_string()]);
    }
    let started = std::time::Instant::now();
    let out = fix(&nodes, &[]);
    let took = started.elapsed();
    assert_eq!(out.code, 0, "{}", show(&out));
    eprintln!("fix of {} slots took {took:?}", open.len() + 2);
    for s in &open {
        assert_eq!(owner(&nodes, *s), 1, "slot {s} finished toward node 1");
    }
    assert_eq!(owner(&nodes, migrating_only), 0);
    assert_eq!(owner(&nodes, uncovered), 2);
    let mut all = keys;
    all.extend(keys2);
    assert_repaired(&nodes, &all);
}

/// Runs many commands on one node through one redis-cli; none may fail.
fn pipe(n: &RedisNode, commands: &[String]) {
    let replies = n.pipe(commands);
    assert!(!replies.iter().any(|r| r.contains("ERR")), "{replies:?}");
}

#[test]
fn refuses_while_a_master_is_unreachable() {
    let mut nodes = cluster3();
    let (_, slot) = tag_on(&nodes, 0);
    setslot(&nodes[0], slot, "MIGRATING", &nodes[1].node_id());
    nodes[2].stop();
    let myself = |n: &RedisNode| {
        let text = n.cmd(&["CLUSTER", "NODES"]);
        text.lines().find(|l| l.contains("myself")).map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {}", f[0], f[8..].join(" "))
        })
    };
    let before = myself(&nodes[0]);
    let out = fix(&nodes, &[]);
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(
        out.stderr.contains("--with-unreachable-masters"),
        "{}",
        show(&out)
    );
    assert_eq!(myself(&nodes[0]), before, "nothing changed");
}

#[test]
fn dry_run_changes_nothing() {
    let nodes = cluster3();
    let (_, slot) = tag_on(&nodes, 0);
    setslot(&nodes[0], slot, "MIGRATING", &nodes[1].node_id());
    let before = snapshots(&nodes);
    let out = run(trib()
        .arg("--dry-run")
        .arg("--json")
        .arg("fix")
        .arg(nodes[0].addr()));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["changed"], false);
    let fixes = doc["plan"]["slots"]["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 1);
    assert_eq!(fixes[0]["kind"], "migrating");
    assert_eq!(fixes[0]["slot"], slot);
    assert_eq!(snapshots(&nodes), before);
}

/// A master that just restarted reports cluster_state:fail for a while (Redis's rejoin
/// delay) although nothing is broken: `fix` has nothing to repair, waits for it to turn
/// ok and exits 0, instead of reporting a passing state as an error.
#[test]
fn nothing_to_repair_right_after_a_restart_waits_for_cluster_state_ok() {
    let mut nodes = cluster3();
    wait_until("the cluster is ok", Duration::from_secs(30), || {
        nodes
            .iter()
            .all(|n| n.cmd(&["CLUSTER", "INFO"]).contains("cluster_state:ok"))
    });
    nodes[1].restart();
    let restarted_fail = nodes[1]
        .cmd(&["CLUSTER", "INFO"])
        .contains("cluster_state:fail");
    let out = fix(&nodes, &[]);
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(
        out.stdout.contains("nothing to re-introduce"),
        "{}",
        show(&out)
    );
    if restarted_fail {
        // The state was fail when fix started: it waited.
        assert!(
            show(&out).contains("cluster_state:ok after"),
            "{}",
            show(&out)
        );
    }
    for n in &nodes {
        assert!(n.cmd(&["CLUSTER", "INFO"]).contains("cluster_state:ok"));
    }
}
