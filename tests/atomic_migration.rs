//! Atomic slot migration (Valkey 9 `CLUSTER MIGRATESLOTS`) through `trib reshard` and
//! `trib rebalance`. Needs `TRIB_TEST_REDIS_SERVER` to be a Valkey ≥ 9 server: every test
//! is `#[ignore = "needs Valkey 9"]` (listed as ignored by a plain `cargo test`), and
//! `scripts/test-valkey.sh` runs them with `--include-ignored`.

mod common;

use std::time::Duration;

use common::data::{connect_addr, key_in, plant};
use common::*;

/// `masters` masters with `replicas` replicas each on 127.0.0.2-4.
fn cluster(masters: usize, replicas: usize) -> TestCluster {
    require_valkey9();
    TestCluster::new()
        .masters(masters)
        .replicas(replicas)
        .options(quick_sync_opts())
        .hosts(&[ip(2), ip(3), ip(4)])
        .settled()
        .start()
}

fn owned_by(nodes: &[RedisNode], addr: &str) -> usize {
    common::view::owned_by(&nodes[0], addr)
}

#[test]
#[ignore = "needs Valkey 9"]
fn reshard_uses_atomic_migration_and_keeps_every_key() {
    let nodes = cluster(3, 1);
    let kvs = fill(&nodes, "k", 20_000);
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
    // The plan said so, and named no big key: none moves alone.
    assert_eq!(doc["plan"]["atomic"], true, "{}", show(&out));
    assert!(
        out.stderr
            .contains("The servers move these slots themselves"),
        "{}",
        show(&out)
    );
    assert!(
        doc["plan"].get("keys_sized").is_none(),
        "no key sized: {}",
        show(&out)
    );
    assert!(out.stderr.contains("MIGRATESLOTS"), "{}", show(&out));
    wait_until("views agree", Duration::from_secs(30), || {
        views_agree(&nodes)
    });
    assert_eq!(owned_by(&nodes, &to), before + 3000);
    verify_on_owners(&nodes, &kvs);
    let check = run(trib().arg("check").arg(nodes[0].addr()));
    assert_eq!(check.code, 0, "{}", show(&check));
}

#[test]
#[ignore = "needs Valkey 9"]
fn no_atomic_uses_the_classic_path() {
    let nodes = cluster(3, 0);
    let kvs = fill(&nodes, "k", 5_000);
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
    // The plan looked for big keys (every moving key sized, 5000 keys in all).
    assert_eq!(doc["plan"]["atomic"], false, "{}", show(&out));
    assert!(doc["plan"]["keys_sized"].is_object(), "{}", show(&out));
    verify_on_owners(&nodes, &kvs);
}

#[test]
#[ignore = "needs Valkey 9"]
fn rebalance_uses_atomic_migration() {
    let nodes = cluster(3, 0);
    let kvs = fill(&nodes, "k", 5_000);
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
    assert_eq!(doc["plan"]["atomic"], true, "{}", show(&out));
    wait_until("views agree", Duration::from_secs(30), || {
        views_agree(&nodes)
    });
    assert_eq!(owned_by(&nodes, &drained), 0);
    verify_on_owners(&nodes, &kvs);
}

#[test]
#[ignore = "needs Valkey 9"]
fn cancelled_job_fails_naming_the_nodes_and_keeps_every_key() {
    let nodes = cluster(3, 0);
    let slot = trib::model::key_slot(b"{big}");
    let map = slot_map(&nodes[0]);
    let src_addr = map[slot as usize].clone().unwrap();
    let src = nodes.iter().find(|n| n.addr() == src_addr).unwrap();
    let dst = nodes.iter().find(|n| n.addr() != src_addr).unwrap();
    // Enough data in one slot that the job runs long enough to be cancelled.
    // (Pipelined, not one long EVAL: a node blocked past cluster-node-timeout is failed.)
    let mut c = connect_addr(&src.addr());
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

/// A plan made for atomic migration looks for no big key. When the engine then takes the
/// classic path after all (the target holds a key in a slot it is to import, an identical
/// copy here), it looks for them before moving keys: the big key moves alone.
#[test]
#[ignore = "needs Valkey 9"]
fn falling_back_to_the_classic_path_looks_for_big_keys() {
    let nodes = cluster(3, 0);
    let ms = common::view::masters_with_slots(&nodes);
    let (src, dst) = (ms[0], ms[1]);
    let mut slots = common::view::slots_owned_by(&nodes[0], &src.addr());
    slots.truncate(20);
    let (big, stray) = (key_in(slots[0], "blob"), key_in(slots[1], "same"));
    let mut c = connect_addr(&src.addr());
    ::redis::cmd("SET")
        .arg(&big)
        .arg(vec![b'x'; 8_000_000])
        .query::<()>(&mut c)
        .unwrap();
    ::redis::cmd("SET")
        .arg(&stray)
        .arg("v")
        .query::<()>(&mut c)
        .unwrap();
    // The same key and value on the target, which does not own its slot.
    plant(dst, src, &stray, "v");

    let range = format!("{}-{}", slots[0], slots[19]);
    let out = run(trib().args([
        "-v",
        "reshard",
        &nodes[0].addr(),
        "--from",
        &src.addr(),
        "--to",
        &dst.addr(),
        "--range",
        &range,
        "--yes",
        "--json",
    ]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["plan"]["atomic"], true, "{}", show(&out));
    assert_eq!(doc["report"]["method"], "classic", "{}", show(&out));
    assert!(
        out.stderr
            .contains("looking for big keys for the classic path")
            && out.stderr.contains(&format!("moving big key {big}")),
        "{}",
        show(&out)
    );
    assert_eq!(dst.cmd(&["STRLEN", &big]), "8000000");
    assert_eq!(dst.cmd(&["GET", &stray]), "v");
    let check = run(trib().arg("check").arg(nodes[0].addr()));
    assert_eq!(check.code, 0, "{}", show(&check));
}
