//! Big keys (issue "Online resharding", part 2): a key whose move alone would block its
//! source longer than the stall budget is found before the move, named in the plan (text
//! and `--json`) with its estimated stall, and moved alone with an I/O timeout that fits
//! its size — on the plain path and on the replicated hand-off.

mod common;

use common::data::connect_addr;
use common::view::{masters_with_slots as masters, slot_map};
use common::*;

/// 8 MB: about 50 ms at the engine's estimated rate, ten times the default budget.
const BIG: usize = 8_000_000;

fn cluster(replicas: usize) -> TestCluster {
    TestCluster::new()
        .masters(3)
        .replicas(replicas)
        .options(quick_sync_opts())
        .synced()
        .start()
}

/// A key of slot `slot` (hash tag).
fn key_in(slot: u16, name: &str) -> String {
    (0..)
        .map(|i| format!("{{t{i}}}{name}"))
        .find(|k| trib::model::key_slot(k.as_bytes()) == slot)
        .unwrap()
}

fn strlen(node: &RedisNode, key: &str) -> i64 {
    let mut c = connect_addr(&node.addr());
    ::redis::cmd("STRLEN").arg(key).query(&mut c).unwrap()
}

fn run_case(replicas: usize, mode: &[&str]) {
    let nodes = cluster(replicas);
    let ms = masters(&nodes);
    let (src, dst) = (ms[0], ms[1]);
    let map = slot_map(&nodes[0]);
    let slot = (0..16384u16)
        .find(|s| map[*s as usize].as_deref() == Some(src.addr().as_str()))
        .unwrap();
    let big = key_in(slot, "blob");
    let small: Vec<String> = (0..50).map(|i| key_in(slot, &format!("s{i}"))).collect();
    {
        let mut c = connect_addr(&src.addr());
        ::redis::cmd("SET")
            .arg(&big)
            .arg(vec![b'x'; BIG])
            .query::<()>(&mut c)
            .unwrap();
        for k in &small {
            ::redis::cmd("SET")
                .arg(k)
                .arg("v")
                .query::<()>(&mut c)
                .unwrap();
        }
    }
    let range = format!("{slot}-{slot}");
    let e = nodes[0].addr();
    let (from, to) = (src.addr(), dst.addr());
    let args = |extra: &[&str]| {
        let mut a = vec![
            "reshard", &e, "--from", &from, "--to", &to, "--range", &range,
        ];
        a.extend_from_slice(mode);
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };

    // A zero budget is bad input: exit 2, named, nothing moved.
    let out = run(trib().args(args(&["--yes", "--max-stall", "0s"])));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains("--max-stall"), "{}", show(&out));
    assert_eq!(strlen(src, &big), BIG as i64);
    assert_eq!(
        src.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]),
        "51"
    );

    // The plan names it, with its size and estimated stall; nothing moves.
    let out = run(trib().args(args(&["--dry-run", "--json"])));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    let listed = doc["plan"]["big_keys"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 1, "{doc}");
    assert_eq!(listed[0]["key"], big.as_str());
    assert_eq!(listed[0]["slot"], slot);
    assert_eq!(listed[0]["from"], src.node_id().as_str());
    assert!(listed[0]["bytes"].as_u64().unwrap() >= BIG as u64, "{doc}");
    assert!(listed[0]["stall_ms"].as_u64().unwrap() >= 5, "{doc}");
    let out = run(trib().args(args(&["--dry-run"])));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(
        out.stdout.contains("1 big key(s)") && out.stdout.contains(&big),
        "{}",
        show(&out)
    );
    // A budget it fits in: not big.
    let out = run(trib().args(args(&["--dry-run", "--json", "--max-stall", "2s"])));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(json(&out)["plan"]["big_keys"], serde_json::json!([]));
    assert_eq!(strlen(src, &big), BIG as i64, "the dry runs moved nothing");

    // The move: every key on the target, the big one whole.
    let out = run(trib().args(args(&["--yes", "-v"])));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(strlen(dst, &big), BIG as i64);
    for k in &small {
        assert_eq!(dst.cmd(&["GET", k]), "v", "{k}");
    }
    assert_eq!(
        src.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]),
        "0"
    );
    assert_check_ok(&nodes[0]);
}

#[test]
fn a_big_key_is_named_and_moved_alone() {
    // On Valkey 9 (scripts/test-valkey.sh) this is the atomic path; `--no-atomic` below
    // is the classic one everywhere.
    run_case(0, &[]);
}

#[test]
fn a_big_key_is_moved_alone_on_the_classic_path() {
    run_case(0, &["--no-atomic"]);
}

#[test]
fn a_big_key_is_handed_over_to_a_replicated_target() {
    run_case(1, &["--no-atomic"]);
}

/// Above 10,000 moving keys a source's keys are sized by an even sample (the plan says
/// so, text and JSON); `--size-all-keys` sizes every one and names a big key wherever
/// it is in its slot's list.
#[test]
fn many_keys_are_sized_by_a_sample_unless_all_are_asked_for() {
    let nodes = cluster(0);
    let ms = masters(&nodes);
    let (src, dst) = (ms[0], ms[1]);
    let map = slot_map(&nodes[0]);
    let slots: Vec<u16> = (0..16384u16)
        .filter(|s| map[*s as usize].as_deref() == Some(src.addr().as_str()))
        .take(200)
        .collect();
    // 12,000 small keys over 200 slots (60 each), and one big key among them.
    let big = key_in(slots[7], "blob");
    {
        let mut c = connect_addr(&src.addr());
        let mut pipe = ::redis::pipe();
        for s in &slots {
            // The hash tag decides the slot: found once per slot.
            let tag = key_in(*s, "");
            for j in 0..60 {
                pipe.cmd("SET").arg(format!("{tag}k{j}")).arg("v").ignore();
            }
        }
        pipe.cmd("SET").arg(&big).arg(vec![b'x'; BIG]).ignore();
        pipe.query::<()>(&mut c).unwrap();
    }
    let e = nodes[0].addr();
    let (from, to) = (src.addr(), dst.addr());
    let range = format!("{}-{}", slots[0], slots[199]);
    let plan = |extra: &[&str]| {
        let mut a = vec![
            "reshard",
            e.as_str(),
            "--from",
            &from,
            "--to",
            &to,
            "--range",
            &range,
            "--dry-run",
        ];
        a.extend_from_slice(extra);
        let out = run(trib().args(&a));
        assert_eq!(out.code, 0, "{}", show(&out));
        out
    };
    let moving = src.cmd(&["DBSIZE"]).parse::<u64>().unwrap();
    assert!(moving > 12_000, "{moving}");

    let doc = json(&plan(&["--json"]));
    let sized = &doc["plan"]["keys_sized"];
    assert_eq!(sized["sample"], true, "{doc}");
    assert_eq!(sized["moving"], moving, "{doc}");
    let n = sized["sized"].as_u64().unwrap();
    assert!((5_000..=10_000).contains(&n), "{doc}");
    let text = plan(&[]);
    assert!(
        text.stdout
            .contains(&format!("a sample of {n} of the {moving} key(s) that move")),
        "{}",
        show(&text)
    );

    let doc = json(&plan(&["--json", "--size-all-keys"]));
    let sized = &doc["plan"]["keys_sized"];
    assert_eq!(sized["sample"], false, "{doc}");
    assert_eq!(sized["sized"], moving, "{doc}");
    let listed = doc["plan"]["big_keys"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{doc}");
    assert_eq!(listed[0]["key"], big.as_str());
    let text = plan(&["--size-all-keys"]);
    assert!(!text.stdout.contains("a sample of"), "{}", show(&text));

    // rebalance's plan says the same (draining the source moves every one of its keys).
    let weight = format!("{}=0", src.node_id());
    let out = run(trib().args(["rebalance", &e, "--weight", &weight, "--dry-run", "--json"]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["plan"]["keys_sized"]["sample"], true, "{doc}");
    assert_eq!(doc["plan"]["keys_sized"]["moving"], moving, "{doc}");
    assert_eq!(strlen(src, &big), BIG as i64, "the dry runs moved nothing");
}
