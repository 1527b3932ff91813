//! Big keys (issue "Online resharding", part 2): a key whose move alone would block its
//! source longer than the stall budget is found before the move, named in the plan (text
//! and `--json`) with its estimated stall, and moved alone with an I/O timeout that fits
//! its size — on the plain path and on the replicated hand-off.
//!
//! Every move here takes the classic path (`--no-atomic`, a no-op on Redis): on Valkey 9
//! (`scripts/test-valkey.sh`) atomic slot migration moves whole slots, no key moves alone,
//! and the plan looks for no big key (tests/atomic_migration.rs).

mod common;

use common::data::{connect_addr, key_in};
use common::view::{masters_with_slots as masters, slot_map};
use common::*;
use std::time::Duration;

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

fn strlen(node: &RedisNode, key: &str) -> i64 {
    let mut c = connect_addr(&node.addr());
    ::redis::cmd("STRLEN").arg(key).query(&mut c).unwrap()
}

fn run_case(replicas: usize, mode: &[&str]) {
    let nodes = cluster(replicas);
    let ms = masters(&nodes);
    let (src, dst) = (ms[0], ms[1]);
    let slot = first_slot_of(&nodes[0], src);
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
    if doc["plan"]["atomic"] == true {
        // Valkey 9, atomic: the servers move the whole slot, no key moves alone, and the
        // plan names none (and says why). The move below keeps every key all the same.
        assert!(listed.is_empty(), "{doc}");
        let text = run(trib().args(args(&["--dry-run"])));
        assert!(
            text.stdout
                .contains("The servers move these slots themselves"),
            "{}",
            show(&text)
        );
        return move_and_verify(
            &nodes,
            &args(&["--yes", "-v"]),
            (src, dst),
            slot,
            (&big, &small),
        );
    }
    assert_eq!(listed.len(), 1, "{doc}");
    assert_eq!(listed[0]["key"], big.as_str());
    assert_eq!(listed[0]["slot"], slot);
    assert_eq!(listed[0]["from"], src.node_id().as_str());
    assert!(listed[0]["bytes"].as_u64().unwrap() >= BIG as u64, "{doc}");
    // A string: copied in pieces, each within the budget (2 ms by default)...
    assert_eq!(listed[0]["type"], "string", "{doc}");
    assert_eq!(listed[0]["in_pieces"], true, "{doc}");
    assert_eq!(listed[0]["stall_ms"], 2, "{doc}");
    // ... unless trib may not copy keys itself: then moved whole, stalling its source.
    let out = run(trib().args(args(&["--dry-run", "--json", "--via-migrate"])));
    assert_eq!(out.code, 0, "{}", show(&out));
    let whole = &json(&out)["plan"]["big_keys"][0];
    assert_eq!(whole["in_pieces"], false, "{whole}");
    assert!(whole["stall_ms"].as_u64().unwrap() >= 5, "{whole}");
    let out = run(trib().args(args(&["--dry-run"])));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(
        out.stdout.contains("1 big key(s)")
            && out.stdout.contains(&big)
            && out.stdout.contains("(in pieces)"),
        "{}",
        show(&out)
    );
    // A budget it fits in: not big.
    let out = run(trib().args(args(&["--dry-run", "--json", "--max-stall", "2s"])));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(json(&out)["plan"]["big_keys"], serde_json::json!([]));
    assert_eq!(strlen(src, &big), BIG as i64, "the dry runs moved nothing");

    move_and_verify(
        &nodes,
        &args(&["--yes", "-v"]),
        (src, dst),
        slot,
        (&big, &small),
    );
}

/// The move: every key on the target, the big one whole.
fn move_and_verify(
    nodes: &[RedisNode],
    args: &[String],
    (src, dst): (&RedisNode, &RedisNode),
    slot: u16,
    (big, small): (&str, &[String]),
) {
    let out = run(trib().args(args));
    assert_eq!(out.code, 0, "{}", show(&out));
    assert_eq!(strlen(dst, big), BIG as i64);
    for k in small {
        assert_eq!(dst.cmd(&["GET", k]), "v", "{k}");
    }
    assert_eq!(keys_in_slot(src, slot), 0);
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
    let mut slots = common::view::slots_owned_by(&nodes[0], &src.addr());
    slots.truncate(200);
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
            "--no-atomic",
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
    let out = run(trib().args([
        "rebalance",
        &e,
        "--weight",
        &weight,
        "--dry-run",
        "--json",
        "--no-atomic",
    ]));
    assert_eq!(out.code, 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["plan"]["keys_sized"]["sample"], true, "{doc}");
    assert_eq!(doc["plan"]["keys_sized"]["moving"], moving, "{doc}");
    assert_eq!(strlen(src, &big), BIG as i64, "the dry runs moved nothing");
}

/// The value of `key` on `node` in a form that compares across servers (hashes and sets
/// sorted), with its type.
fn contents(node: &RedisNode, key: &str) -> (String, Vec<Vec<u8>>) {
    let mut c = connect_addr(&node.addr());
    // A replica answers too.
    ::redis::cmd("READONLY").query::<()>(&mut c).unwrap();
    let q = |c: &mut ::redis::Connection, args: &[&str]| -> Vec<Vec<u8>> {
        let mut cmd = ::redis::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        cmd.query(c).unwrap()
    };
    let t: String = ::redis::cmd("TYPE").arg(key).query(&mut c).unwrap();
    let v = match t.as_str() {
        "string" => q(&mut c, &["GET", key]),
        "list" => q(&mut c, &["LRANGE", key, "0", "-1"]),
        "zset" => q(&mut c, &["ZRANGE", key, "0", "-1", "WITHSCORES"]),
        "set" => {
            let mut v = q(&mut c, &["SMEMBERS", key]);
            v.sort();
            v
        }
        "hash" => {
            let v = q(&mut c, &["HGETALL", key]);
            let mut pairs: Vec<Vec<u8>> = v
                .chunks(2)
                .map(|p| [&p[0][..], b"=", &p[1][..]].concat())
                .collect();
            pairs.sort();
            pairs
        }
        "stream" => {
            let v: ::redis::Value = ::redis::cmd("XRANGE")
                .arg(key)
                .arg("-")
                .arg("+")
                .query(&mut c)
                .unwrap();
            vec![format!("{v:?}").into_bytes()]
        }
        other => panic!("{key}: type {other}"),
    };
    (t, v)
}

/// The lowest slot `node` owns, in `entry`'s view.
fn first_slot_of(entry: &RedisNode, node: &RedisNode) -> u16 {
    let map = slot_map(entry);
    (0..16384u16)
        .find(|s| map[*s as usize].as_deref() == Some(node.addr().as_str()))
        .unwrap()
}

/// How many keys of `slot` `node` holds.
fn keys_in_slot(node: &RedisNode, slot: u16) -> u64 {
    node.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()])
        .parse()
        .unwrap()
}

/// `trib -v reshard` of `slot` from `src` to `dst` on the classic path.
fn reshard_slot(
    entry: &RedisNode,
    src: &RedisNode,
    dst: &RedisNode,
    slot: u16,
) -> std::process::Command {
    let mut c = trib();
    c.args([
        "-v",
        "reshard",
        &entry.addr(),
        "--from",
        &src.addr(),
        "--to",
        &dst.addr(),
    ])
    .args(["--range", &format!("{slot}-{slot}"), "--no-atomic", "--yes"]);
    c
}

fn pttl(node: &RedisNode, key: &str) -> i64 {
    node.cmd(&["PTTL", key]).parse().unwrap()
}

/// Whether the server keeps a time to live per hash field (then big hashes keep MIGRATE).
fn hash_field_ttls(node: &RedisNode) -> bool {
    let mut c = connect_addr(&node.addr());
    let v: ::redis::Value = ::redis::cmd("COMMAND")
        .arg("INFO")
        .arg("HPEXPIRE")
        .query(&mut c)
        .unwrap();
    !matches!(v, ::redis::Value::Array(ref a) if matches!(a.as_slice(), [::redis::Value::Nil]))
}

/// A string, a list, a hash, a set and a sorted set too big for the budget are copied a
/// piece at a time (no node held for the whole key, as a `MIGRATE` would) and renamed into
/// place on the target: every element, the time to live, the replica's copy; nothing of
/// trib's own left behind. A stream keeps `MIGRATE`.
#[test]
fn big_keys_of_every_type_move_in_pieces() {
    let nodes = cluster(1);
    let ms = masters(&nodes);
    let (src, dst) = (ms[0], ms[1]);
    let slot = first_slot_of(&nodes[0], src);
    let k = |name: &str| key_in(slot, name);
    let (string, list, hash, set, zset, stream) = (
        k("string"),
        k("list"),
        k("hash"),
        k("set"),
        k("zset"),
        k("stream"),
    );
    // Above what trib holds in memory (64 MiB): built on the target by APPENDs.
    let long = k("long");
    let small: Vec<String> = (0..20).map(|i| k(&format!("s{i}"))).collect();
    {
        let mut c = connect_addr(&src.addr());
        // Not one byte repeated: a piece lost or doubled would show.
        let text: Vec<u8> = (0..BIG)
            .map(|i| b'a' + (i % 23) as u8 + (i / 1_000_003 % 3) as u8)
            .collect();
        ::redis::cmd("SET")
            .arg(&string)
            .arg(&text)
            .arg("PX")
            .arg(3_600_000)
            .query::<()>(&mut c)
            .unwrap();
        let long_text: Vec<u8> = text.iter().cycle().take(66 << 20).copied().collect();
        ::redis::cmd("SET")
            .arg(&long)
            .arg(long_text)
            .query::<()>(&mut c)
            .unwrap();
        let mut p = ::redis::pipe();
        for chunk in (0..40_000).collect::<Vec<u32>>().chunks(1000) {
            let mut l = ::redis::cmd("RPUSH");
            l.arg(&list);
            let mut h = ::redis::cmd("HSET");
            h.arg(&hash);
            let mut s = ::redis::cmd("SADD");
            s.arg(&set);
            let mut z = ::redis::cmd("ZADD");
            z.arg(&zset);
            for i in chunk {
                l.arg(format!("{i:06}-{}", "l".repeat(90)));
                h.arg(format!("f{i}"))
                    .arg(format!("{i}-{}", "h".repeat(90)));
                s.arg(format!("m{i}-{}", "s".repeat(50)));
                // Scores that must come back exactly.
                let score = match i {
                    0 => "-inf".to_string(),
                    1 => "inf".to_string(),
                    2 => "1e-300".to_string(),
                    _ => format!("{}", f64::from(*i) / 7.0),
                };
                z.arg(score).arg(format!("z{i}-{}", "z".repeat(40)));
            }
            p.add_command(l)
                .ignore()
                .add_command(h)
                .ignore()
                .add_command(s)
                .ignore()
                .add_command(z)
                .ignore();
        }
        for i in 0..20_000 {
            p.cmd("XADD")
                .arg(&stream)
                .arg("*")
                .arg("f")
                .arg(format!("{i}-{}", "x".repeat(60)))
                .ignore();
        }
        for s in &small {
            p.cmd("SET").arg(s).arg("v").ignore();
        }
        p.query::<()>(&mut c).unwrap();
    }
    let big = [&string, &long, &list, &hash, &set, &zset, &stream];
    let before: Vec<_> = big.iter().map(|key| contents(src, key)).collect();

    let out = run(&mut reshard_slot(&nodes[0], src, dst, slot));
    assert_eq!(out.code, 0, "{}", show(&out));
    let in_pieces = |key: &str| out.stderr.contains(&format!("copying big key {key} "));
    let field_ttls = hash_field_ttls(src);
    for key in [&string, &long, &list, &set, &zset] {
        assert!(in_pieces(key), "{key} in pieces: {}", show(&out));
    }
    assert_eq!(in_pieces(&hash), !field_ttls, "{}", show(&out));
    assert!(
        !in_pieces(&stream),
        "a stream keeps MIGRATE: {}",
        show(&out)
    );

    for (key, was) in big.iter().zip(&before) {
        assert!(contents(dst, key) == *was, "{key} differs on the target");
    }
    let ttl = pttl(dst, &string);
    assert!((3_000_000..=3_600_000).contains(&ttl), "{ttl}");
    for key in [&long, &list, &hash, &set, &zset, &stream] {
        assert_eq!(pttl(dst, key), -1, "{key}: no time to live");
    }
    for s in &small {
        assert_eq!(dst.cmd(&["GET", s]), "v");
    }
    assert_eq!(keys_in_slot(src, slot), 0);
    assert_eq!(
        dst.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]),
        "27",
        "no copy of trib's left"
    );
    // The target's replica had them before the source let go.
    let dst_port = dst.addr().rsplit(':').next().unwrap().to_string();
    let replica = nodes
        .iter()
        .find(|n| {
            n.cmd(&["INFO", "replication"])
                .contains(&format!("master_port:{dst_port}\r"))
        })
        .expect("the target's replica");
    wait_until("the replica has the keys", Duration::from_secs(10), || {
        replica.cmd(&["DBSIZE"]) == dst.cmd(&["DBSIZE"])
    });
    for (key, was) in big.iter().zip(&before) {
        assert!(
            contents(replica, key) == *was,
            "{key} differs on the replica"
        );
    }
    assert_check_ok(&nodes[0]);
}

/// A client pushing to a big list while it is copied in pieces: the copy starts over
/// (the source's `WATCH`), every push is in the list on the target, once, after the move.
#[test]
fn a_big_key_written_while_it_is_copied_keeps_every_write() {
    let nodes = cluster(0);
    let ms = masters(&nodes);
    let (src, dst) = (ms[0], ms[1]);
    let slot = first_slot_of(&nodes[0], src);
    let list = key_in(slot, "list");
    {
        let mut c = connect_addr(&src.addr());
        let mut p = ::redis::pipe();
        for chunk in (0..60_000).collect::<Vec<u32>>().chunks(1000) {
            let mut l = ::redis::cmd("RPUSH");
            l.arg(&list);
            for i in chunk {
                l.arg(format!("{i:06}-{}", "l".repeat(90)));
            }
            p.add_command(l).ignore();
        }
        p.query::<()>(&mut c).unwrap();
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, list, src, dst) = (stop.clone(), list.clone(), src.addr(), dst.addr());
        std::thread::spawn(move || {
            let mut s = connect_addr(&src);
            let mut d = connect_addr(&dst);
            let mut pushed = Vec::new();
            let mut i = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let v = format!("w{i}");
                let r: ::redis::RedisResult<i64> =
                    ::redis::cmd("LPUSH").arg(&list).arg(&v).query(&mut s);
                match r {
                    Ok(_) => pushed.push(v),
                    // Moved on (ASK), or the slot is the target's now (MOVED).
                    Err(_) => {
                        let mut p = ::redis::pipe();
                        p.cmd("ASKING").ignore().cmd("LPUSH").arg(&list).arg(&v);
                        let r: ::redis::RedisResult<(i64,)> = p.query(&mut d);
                        r.unwrap();
                        pushed.push(v);
                    }
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            pushed
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let out = run(&mut reshard_slot(&nodes[0], src, dst, slot));
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let pushed = writer.join().unwrap();
    assert_eq!(out.code, 0, "{}", show(&out));
    assert!(
        out.stderr.contains(&format!("copying big key {list} ")),
        "{}",
        show(&out)
    );
    assert!(pushed.len() >= 5, "{}", pushed.len());
    // A push came between a copy and the delete at least once (a push every 20 ms, a
    // copy of 6 MB in 1 ms pieces): that copy was not taken for the key.
    assert!(out.stderr.contains("EXEC refused"), "{}", show(&out));
    let (_, now) = contents(dst, &list);
    assert_eq!(now.len(), 60_000 + pushed.len(), "every element once");
    let mut front: Vec<String> = now[..pushed.len()]
        .iter()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    front.reverse();
    assert_eq!(front, pushed, "the pushes, in order");
    assert_eq!(keys_in_slot(src, slot), 0);
    assert_check_ok(&nodes[0]);
}

/// trib killed (SIGKILL) while it copies big keys in pieces, at several points (as the
/// first copy starts, as the second starts, part way through it): `trib fix` closes
/// the slot with every key whole, on one side only; no copy of trib's is left for good
/// (a leftover expires), and the same reshard run again completes.
#[test]
fn a_move_killed_while_big_keys_are_copied_is_completed_by_fix() {
    let mut mid_copy = 0;
    for (point, (which, after_ms)) in [(0, 0), (0, 30), (0, 120), (1, 0)].into_iter().enumerate() {
        let nodes = cluster(0);
        let ms = masters(&nodes);
        let (src, dst) = (ms[0], ms[1]);
        let slot = first_slot_of(&nodes[0], src);
        let (list, string) = (key_in(slot, "a-list"), key_in(slot, "b-string"));
        let small: Vec<String> = (0..30).map(|i| key_in(slot, &format!("s{i}"))).collect();
        {
            let mut c = connect_addr(&src.addr());
            let mut p = ::redis::pipe();
            for chunk in 0..60 {
                let mut l = ::redis::cmd("RPUSH");
                l.arg(&list);
                for i in 0..1000 {
                    l.arg(format!("{chunk}-{i}-{}", "l".repeat(90)));
                }
                p.add_command(l).ignore();
            }
            let text: Vec<u8> = (0..BIG).map(|i| b'a' + (i % 23) as u8).collect();
            p.cmd("SET").arg(&string).arg(text).ignore();
            for s in &small {
                p.cmd("SET").arg(s).arg("v").ignore();
            }
            p.query::<()>(&mut c).unwrap();
        }
        let before: Vec<_> = [&list, &string].iter().map(|k| contents(src, k)).collect();
        let e = nodes[0].addr();
        let reshard = || reshard_slot(&nodes[0], src, dst, slot);
        // The biggest first: the string (8 MB), then the list (6 MB).
        let first = if which == 0 { &list } else { &string };
        let (seen, matched, _) = kill_at_line(&mut reshard(), |line| {
            let hit = line.contains(&format!("copying big key {first} "));
            if hit {
                std::thread::sleep(Duration::from_millis(after_ms));
            }
            hit
        });
        assert!(matched, "point {point}: never copied {first}: {seen}");
        // Mid-copy: trib's copy is on the target.
        mid_copy += usize::from(!dst.cmd(&["KEYS", "trib:partial-copy:*"]).is_empty());
        let out = run(trib().args(["fix", &e, "--yes"]));
        assert_eq!(out.code, 0, "point {point}: {}\n{seen}", show(&out));
        // Every key whole, on the owner of the slot.
        let map = slot_map(&nodes[0]);
        let owner = ms
            .iter()
            .find(|m| map[slot as usize].as_deref() == Some(m.addr().as_str()))
            .unwrap();
        let other = if owner.addr() == src.addr() { dst } else { src };
        for (key, was) in [&list, &string].iter().zip(&before) {
            assert!(contents(owner, key) == *was, "point {point}: {key} differs");
        }
        for s in &small {
            assert_eq!(owner.cmd(&["GET", s]), "v", "point {point}: {s}");
        }
        assert_eq!(
            other.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]),
            "0",
            "point {point}: the other side holds nothing of the slot"
        );
        // A copy of trib's left behind, if any, is on its way out.
        let left = owner.cmd(&["KEYS", "trib:partial-copy:*"]);
        if !left.is_empty() {
            let ttl: i64 = owner.cmd(&["PTTL", &left]).parse().unwrap();
            assert!(
                (1..=60_000).contains(&ttl),
                "point {point}: {left} lives {ttl} ms"
            );
        }
        assert_check_ok(&nodes[0]);
        // The same reshard again completes the move.
        let out = run(&mut reshard());
        assert_eq!(out.code, 0, "point {point}: {}", show(&out));
        for (key, was) in [&list, &string].iter().zip(&before) {
            assert!(
                contents(dst, key) == *was,
                "point {point}: {key} differs after the re-run"
            );
        }
        assert_eq!(keys_in_slot(src, slot), 0);
    }
    assert!(mid_copy > 0, "no kill point fell in the middle of a copy");
}
