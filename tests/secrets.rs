//! The password never appears in any output, log line, plan, JSON or error; and trib
//! works with an ACL user holding only the permissions documented in docs/security.md.

mod common;

use common::{NodeOptions, Output, RedisNode, run, start_nodes, trib};

const PASSWORD: &str = "pw-4f7c1d9e-never-print-me";

fn assert_secret_kept(out: &Output, what: &str) {
    assert!(
        !out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD),
        "{what}: the password leaked:\n{}\n{}",
        out.stdout,
        out.stderr
    );
}

fn cluster_with_password(n: usize) -> Vec<RedisNode> {
    let opts = NodeOptions {
        password: Some(PASSWORD.into()),
        ..NodeOptions::default()
    };
    start_nodes(n, &opts)
}

#[test]
fn no_command_prints_the_password() {
    let nodes = cluster_with_password(7);
    let (members, spare) = nodes.split_at(6);
    let addrs: Vec<String> = members.iter().map(|n| n.addr()).collect();
    let entry = addrs[0].clone();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().to_string_lossy().into_owned();
    let replica_of_first = || {
        members
            .iter()
            .find(|n| n.cmd(&["ROLE"]).starts_with("slave"))
            .map(|n| n.addr())
            .unwrap()
    };

    let mut create = vec!["create".to_string()];
    create.extend(addrs.iter().cloned());
    create.extend(["--replicas", "1", "--yes"].map(String::from));
    let out = run(trib()
        .env("REDISCLI_AUTH", PASSWORD)
        .args(["-v", "-v"])
        .args(&create));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_secret_kept(&out, "create");

    let replica = replica_of_first();
    let commands: Vec<Vec<String>> = vec![
        vec!["check".into(), entry.clone(), "--deep".into()],
        vec!["info".into(), entry.clone()],
        vec!["call".into(), entry.clone(), "--".into(), "PING".into()],
        vec![
            "set-timeout".into(),
            entry.clone(),
            "3000".into(),
            "--dry-run".into(),
        ],
        vec![
            "add-node".into(),
            spare[0].addr(),
            entry.clone(),
            "--dry-run".into(),
        ],
        vec!["failover".into(), replica.clone(), "--dry-run".into()],
        vec![
            "del-node".into(),
            entry.clone(),
            replica.clone(),
            "--dry-run".into(),
        ],
        vec!["fix".into(), entry.clone(), "--dry-run".into()],
        [
            vec!["apply".to_string()],
            addrs.clone(),
            vec![
                spare[0].addr(),
                "--replicas".into(),
                "1".into(),
                "--dry-run".into(),
            ],
        ]
        .concat(),
        [
            vec!["apply".to_string()],
            addrs.clone(),
            vec!["--replicas".into(), "1".into()],
        ]
        .concat(),
        vec!["rebalance".into(), entry.clone(), "--dry-run".into()],
        vec!["backup".into(), entry.clone(), dir.clone()],
        vec![
            "create".into(),
            addrs[0].clone(),
            addrs[1].clone(),
            addrs[2].clone(),
            "--yes".into(),
        ],
    ];
    for args in &commands {
        for json in [false, true] {
            let mut cmd = trib();
            cmd.env("REDISCLI_AUTH", PASSWORD).args(["-v", "-v"]);
            if json {
                cmd.arg("--json");
            }
            let out = run(cmd.args(args));
            assert_secret_kept(&out, &format!("{args:?} json={json}"));
        }
    }
    // On the command line: a warning, and still never echoed.
    let out = run(trib().args(["-a", PASSWORD, "check", &entry]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("process list"), "{}", out.stderr);
    assert_secret_kept(&out, "-a check");
    // A wrong password is not echoed either.
    let wrong = format!("{PASSWORD}-wrong");
    let out = run(trib()
        .env("REDISCLI_AUTH", &wrong)
        .args(["--json", "check", &entry]));
    assert_eq!(out.code, 2);
    assert!(!out.stdout.contains(&wrong) && !out.stderr.contains(&wrong));
}

/// The minimal ACL rule from docs/security.md (kept in sync by this test).
const ACL_RULE: &str = "on >acl-pass-8c2e ~* -@all +ping +info +cluster +config|get +config|set +config|rewrite +function|list +function|dump +function|restore +migrate +dbsize +scan +dump +pttl +restore-asking +select +del +asking +type +get +hgetall +smembers +lrange +zrange +sync +psync +replconf +role +watch +unwatch +multi +exec +exists +eval +memory|usage +command|info +strlen +getrange +llen +hlen +scard +zcard +hscan +sscan +zscan +set +append +rpush +hset +sadd +zadd +pexpire +persist +rename +unlink";

#[test]
fn minimal_acl_user_is_enough_for_create_check_info_backup() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/security.md")).unwrap();
    assert!(
        doc.contains(ACL_RULE),
        "docs/security.md shows the rule this test uses"
    );
    let nodes = start_nodes(3, &NodeOptions::default());
    for n in &nodes {
        let mut args = vec!["ACL", "SETUSER", "trib"];
        args.extend(ACL_RULE.split(' '));
        n.cmd(&args);
    }
    let addrs: Vec<String> = nodes.iter().map(|n| n.addr()).collect();
    let user = ["--user", "trib"];
    let out = run(trib()
        .env("REDISCLI_AUTH", "acl-pass-8c2e")
        .args(user)
        .arg("create")
        .args(&addrs)
        .arg("--yes"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    for cmd in [vec!["check", &addrs[0]], vec!["info", &addrs[0]]] {
        let out = run(trib()
            .env("REDISCLI_AUTH", "acl-pass-8c2e")
            .args(user)
            .args(&cmd));
        assert_eq!(out.code, 0, "{cmd:?}: {}", out.stderr);
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run(trib()
        .env("REDISCLI_AUTH", "acl-pass-8c2e")
        .args(user)
        .args(["backup", &addrs[0]])
        .arg(dir.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Keys move with this user: copied by trib itself; then, without +dump, by MIGRATE
    // after a warning.
    let kvs = common::fill(&nodes, "acl:", 3_000);
    let masters = common::view::masters_with_slots(&nodes);
    for (i, (from, to)) in [(masters[0], masters[1]), (masters[1], masters[2])]
        .into_iter()
        .enumerate()
    {
        if i == 1 {
            for n in &nodes {
                n.cmd(&["ACL", "SETUSER", "trib", "-dump"]);
            }
        }
        let out = run(trib()
            .env("REDISCLI_AUTH", "acl-pass-8c2e")
            .args(user)
            .args(["reshard", &addrs[0], "--from", &from.addr(), "--to"])
            .args([&to.addr(), "--slots", "2000", "--yes"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            out.stderr.contains("with MIGRATE instead"),
            i == 1,
            "{}",
            out.stderr
        );
        common::wait_views_agree(&nodes);
        common::verify_on_owners(&nodes, &kvs);
    }
    // Without +cluster the same user is refused with a clear, exit-2 message.
    for n in &nodes {
        n.cmd(&["ACL", "SETUSER", "trib", "-cluster"]);
    }
    let out = run(trib()
        .env("REDISCLI_AUTH", "acl-pass-8c2e")
        .args(user)
        .args(["check", &addrs[0]]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("NOPERM") || out.stderr.contains("permission"),
        "{}",
        out.stderr
    );
}

/// Big keys with the documented rule are copied in pieces; a user with the rule as it
/// was before pieces (no `GETRANGE`, `RPUSH`, … `UNLINK`) still moves them, whole by
/// `MIGRATE`, after a warning.
#[test]
fn big_keys_move_in_pieces_with_the_rule_and_whole_without_it() {
    let before_pieces = ACL_RULE.split(" +command|info").next().unwrap().to_string();
    let nodes = start_nodes(3, &NodeOptions::default());
    for n in &nodes {
        let mut args = vec!["ACL", "SETUSER", "trib"];
        args.extend(ACL_RULE.split(' '));
        n.cmd(&args);
        let mut args = vec!["ACL", "SETUSER", "old"];
        args.extend(before_pieces.split(' '));
        n.cmd(&args);
    }
    let addrs: Vec<String> = nodes.iter().map(|n| n.addr()).collect();
    let as_user = |user: &str| {
        let mut c = trib();
        c.env("REDISCLI_AUTH", "acl-pass-8c2e")
            .args(["--user", user]);
        c
    };
    let out = run(as_user("trib").arg("create").args(&addrs).arg("--yes"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    common::wait_views_agree(&nodes);
    let masters = common::view::masters_with_slots(&nodes);
    let (from, to) = (masters[0], masters[1]);
    let mut slots = common::view::slots_owned_by(&nodes[0], &from.addr());
    slots.truncate(2);
    for (slot, user) in slots.iter().zip(["trib", "old"]) {
        let list = (0..)
            .map(|i| format!("{{t{i}}}list"))
            .find(|k| trib::model::key_slot(k.as_bytes()) == *slot)
            .unwrap();
        let mut c = common::data::connect_addr(&from.addr());
        for chunk in 0..40 {
            let mut push = ::redis::cmd("RPUSH");
            push.arg(&list);
            for i in 0..1000 {
                push.arg(format!("{chunk}-{i}-{}", "x".repeat(90)));
            }
            push.query::<()>(&mut c).unwrap();
        }
        let range = format!("{slot}-{slot}");
        let out = run(as_user(user)
            .args(["-v", "reshard", &addrs[0], "--from", &from.addr()])
            .args([
                "--to",
                &to.addr(),
                "--range",
                &range,
                "--no-atomic",
                "--yes",
            ]));
        assert_eq!(out.code, 0, "{user}: {}", out.stderr);
        let refused = out.stderr.contains("may not copy big keys in pieces");
        assert_eq!(refused, user == "old", "{user}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("copying big key {list} ")),
            "{user}: tried in pieces first: {}",
            out.stderr
        );
        assert_eq!(to.cmd(&["LLEN", &list]), "40000", "{user}");
        assert_eq!(
            to.cmd(&["LINDEX", &list, "-1"]),
            format!("39-999-{}", "x".repeat(90))
        );
        assert_eq!(
            from.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]),
            "0"
        );
        assert_eq!(
            to.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]),
            "1",
            "{user}: no copy of trib's left"
        );
    }
}
