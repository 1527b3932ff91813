//! Real `--json` outputs against docs/json.md.
//!
//! The expected keys, types and presence come from the tables in docs/json.md (each after a
//! `<!-- json: NAME -->` marker), parsed here, so the doc and the outputs cannot drift:
//! every key the doc marks `always` is there, every key present has the documented type,
//! and an object whose keys the doc lists has no undocumented key.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use common::{
    NodeOptions, Output, RedisNode, assert_ok, json, quick_opts, run, start_on_hosts, trib,
};
use serde_json::Value;

/// One documented key.
#[derive(Debug, Clone)]
struct Row {
    /// `a.b[].c` split into `["a", "b", "[]", "c"]`.
    path: Vec<String>,
    /// Allowed types (`string or null` → `["string", "null"]`).
    types: Vec<String>,
    always: bool,
}

/// Every `<!-- json: NAME -->` table of docs/json.md.
fn contract() -> BTreeMap<String, Vec<Row>> {
    let path = format!("{}/docs/json.md", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .trim()
            .strip_prefix("<!-- json:")
            .and_then(|s| s.strip_suffix("-->"))
        else {
            continue;
        };
        let name = name.trim().to_string();
        let mut rows = Vec::new();
        let mut table = Vec::new();
        while let Some(l) = lines.peek() {
            if !l.starts_with('|') {
                break;
            }
            table.push(lines.next().unwrap());
        }
        assert!(table.len() > 2, "json.md: table {name} is empty");
        assert_eq!(
            cells(table[0]),
            ["key", "type", "present", "meaning"],
            "json.md: table {name}'s header"
        );
        for l in &table[2..] {
            let c = cells(l);
            let key = c[0].trim_matches('`');
            let mut path = Vec::new();
            for part in key.split('.') {
                match part.strip_suffix("[]") {
                    Some(p) => {
                        path.push(p.to_string());
                        path.push("[]".to_string());
                    }
                    None => path.push(part.to_string()),
                }
            }
            let types: Vec<String> = c[1].split(" or ").map(|t| t.trim().to_string()).collect();
            for t in &types {
                assert!(
                    [
                        "bool", "int", "number", "string", "array", "object", "null", "any"
                    ]
                    .contains(&t.as_str()),
                    "json.md: {name}: {key}: unknown type {t:?}"
                );
            }
            rows.push(Row {
                path,
                types,
                always: c[2] == "always",
            });
        }
        assert!(
            out.insert(name.clone(), rows).is_none(),
            "json.md: two tables named {name}"
        );
    }
    out
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

fn type_ok(v: &Value, t: &str) -> bool {
    match t {
        "bool" => v.is_boolean(),
        "int" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        "any" => true,
        _ => false,
    }
}

/// The values at `prefix` (`[]` expands arrays); missing keys are skipped.
fn values_at<'a>(doc: &'a Value, prefix: &[String]) -> Vec<&'a Value> {
    let mut cur = vec![doc];
    for seg in prefix {
        let mut next = Vec::new();
        for v in cur {
            if seg == "[]" {
                if let Some(a) = v.as_array() {
                    next.extend(a.iter());
                }
            } else if let Some(c) = v.get(seg.as_str()) {
                next.push(c);
            }
        }
        cur = next;
    }
    cur
}

/// Checks `doc` against table `name`; panics naming every violation.
fn validate(name: &str, doc: &Value) {
    let contract = contract();
    let rows = contract
        .get(name)
        .unwrap_or_else(|| panic!("json.md has no table {name}"));
    let mut errors = Vec::new();
    for row in rows {
        let (key, parent) = row.path.split_last().unwrap();
        let shown = row.path.join(".").replace(".[]", "[]");
        for p in values_at(doc, parent) {
            let Some(obj) = p.as_object() else {
                errors.push(format!("{shown}: parent is not an object: {p}"));
                continue;
            };
            match obj.get(key.as_str()) {
                None if row.always => errors.push(format!("{shown}: missing (always present)")),
                Some(v) if !row.types.iter().any(|t| type_ok(v, t)) => {
                    errors.push(format!("{shown}: {v} is not {}", row.types.join(" or ")));
                }
                _ => {}
            }
        }
    }
    // Objects whose keys the doc lists have no other keys (the root always).
    let mut listed: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    listed.entry(Vec::new()).or_default();
    for row in rows {
        let (key, parent) = row.path.split_last().unwrap();
        if key != "[]" {
            listed
                .entry(parent.to_vec())
                .or_default()
                .insert(key.clone());
        }
    }
    for (prefix, keys) in &listed {
        for v in values_at(doc, prefix) {
            if let Some(obj) = v.as_object() {
                for k in obj.keys() {
                    if !keys.contains(k) {
                        let mut p = prefix.clone();
                        p.push(k.clone());
                        errors.push(format!(
                            "{}: not documented in docs/json.md",
                            p.join(".").replace(".[]", "[]")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        errors.is_empty(),
        "`{name}` output does not match docs/json.md:\n  {}\n--- output\n{doc:#}",
        errors.join("\n  ")
    );
}

/// Exit 0, and stdout is exactly one JSON document.
fn ok(out: &Output) -> Value {
    assert_ok(out);
    json(out)
}

#[test]
fn the_doc_has_a_table_per_command() {
    let c = contract();
    for name in [
        "error",
        "check",
        "info",
        "create",
        "apply",
        "call",
        "set-timeout",
        "add-node",
        "del-node",
        "failover",
        "fix",
        "import",
        "install",
    ] {
        assert!(c.contains_key(name), "docs/json.md has no `{name}` table");
    }
    // The contract's required keys (the project's CLI spec) are marked `always`.
    let always = |name: &str, key: &str| {
        c[name]
            .iter()
            .any(|r| r.always && r.path.join(".").replace(".[]", "[]") == key)
    };
    for (name, key) in [
        ("check", "healthy"),
        ("check", "nodes"),
        ("check", "problems"),
        ("check", "problems[].kind"),
        ("check", "problems[].severity"),
        ("info", "masters"),
        ("error", "error"),
        ("error", "exit_code"),
    ] {
        assert!(always(name, key), "{name}: {key} must be `always`");
    }
    for name in [
        "create",
        "apply",
        "set-timeout",
        "add-node",
        "del-node",
        "failover",
        "fix",
        "import",
    ] {
        assert!(always(name, "plan") && always(name, "changed"), "{name}");
    }
}

#[test]
fn real_outputs_match_the_doc() {
    let ip = |n| Ipv4Addr::new(127, 0, 0, n);
    let mut nodes: Vec<RedisNode> =
        start_on_hosts(&[(ip(2), 3), (ip(3), 2), (ip(4), 2)], &quick_opts());
    // Six for the cluster (two per host), one spare for add-node.
    let spare = nodes.remove(2);
    let addrs: Vec<String> = nodes.iter().map(RedisNode::addr).collect();
    let entry = addrs[0].clone();

    // install: the copy, and a directory that is not there (exit 2, the error document).
    let tools = tempfile::tempdir().unwrap();
    let dir = tools.path().display().to_string();
    let installed = ok(&run(trib().args(["--json", "install", &dir])));
    validate("install", &installed);
    assert_eq!(installed["path"], format!("{dir}/trib"));
    let out = run(trib().args(["--json", "install", &format!("{dir}/missing")]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    validate("error", &json(&out));

    // Errors: bad input (exit 2) and no terminal without --yes (exit 3).
    let out = run(trib().args([
        "--json",
        "--connect-timeout",
        "500ms",
        "check",
        "127.0.0.1:1",
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let doc = json(&out);
    validate("error", &doc);
    assert_eq!(doc["exit_code"], 2);
    let out = run(trib()
        .args(["--json", "create"])
        .args(&addrs)
        .args(["--replicas", "1"]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    let doc = json(&out);
    validate("error", &doc);
    assert_eq!(doc["exit_code"], 3);

    // create --dry-run, then create.
    let dry = ok(&run(trib()
        .args(["--json", "--dry-run", "create"])
        .args(&addrs)
        .args(["--replicas", "1"])));
    validate("create", &dry);
    assert_eq!(dry["changed"], false);
    assert_eq!(dry["status"], "new");
    assert_eq!(dry["plan"]["masters"].as_array().unwrap().len(), 3);
    assert!(dry.get("elapsed_ms").is_none(), "dry run: not applied");
    // --wait-sync: failover --dry-run below wants replicas with their link up.
    let created = ok(&run(trib()
        .args(["--json", "--yes", "create"])
        .args(&addrs)
        .args(["--replicas", "1", "--wait-sync"])));
    validate("create", &created);
    assert_eq!(created["changed"], true);
    assert!(created["elapsed_ms"].is_u64() && created["timings"].is_object());
    let again = ok(&run(trib()
        .args(["--json", "--yes", "create"])
        .args(&addrs)
        .args(["--replicas", "1"])));
    validate("create", &again);
    assert_eq!(again["status"], "already_created");
    assert_eq!(again["changed"], false);

    // check, info.
    let check = ok(&run(trib().args(["--json", "check", &entry])));
    validate("check", &check);
    assert_eq!(check["healthy"], true);
    assert_eq!(check["nodes"].as_array().unwrap().len(), 6);
    let info = ok(&run(trib().args(["--json", "info", &entry])));
    validate("info", &info);
    assert_eq!(info["masters"].as_array().unwrap().len(), 3);

    // call: replies, and error replies.
    let call = ok(&run(trib().args(["--json", "call", &entry, "--", "PING"])));
    validate("call", &call);
    assert_eq!(call["replies"].as_array().unwrap().len(), 6);
    let out = run(trib().args([
        "--json",
        "call",
        &entry,
        "--masters",
        "--",
        "NO-SUCH-COMMAND",
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let bad = json(&out);
    validate("call", &bad);
    assert_eq!(bad["failed"], 3);
    assert!(bad["replies"][0]["error"].is_string());

    // Mutating commands, as plans (--dry-run), and fix with nothing to do.
    let st = ok(&run(trib().args([
        "--json",
        "--dry-run",
        "set-timeout",
        &entry,
        "2000",
    ])));
    validate("set-timeout", &st);
    assert_eq!(st["changed"], false);

    let replica = check["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["role"] == "replica")
        .unwrap();
    let replica_addr = replica["addr"].as_str().unwrap().to_string();
    let fo = ok(&run(trib().args([
        "--json",
        "--dry-run",
        "failover",
        &replica_addr,
    ])));
    validate("failover", &fo);
    assert_eq!(fo["plan"]["steps"].as_array().unwrap().len(), 1);

    let del = ok(&run(trib().args([
        "--json",
        "--dry-run",
        "del-node",
        &entry,
        &replica_addr,
    ])));
    validate("del-node", &del);
    assert_eq!(del["plan"]["kind"], "reachable");

    let add = ok(&run(trib().args([
        "--json",
        "--dry-run",
        "add-node",
        &spare.addr(),
        &entry,
        "--replica",
    ])));
    validate("add-node", &add);
    assert_eq!(add["plan"]["role"], "replica");

    // apply: nothing to do on the cluster as created; the spare would join and take slots.
    let same = ok(&run(trib()
        .args(["--json", "apply"])
        .args(&addrs)
        .args(["--replicas", "1"])));
    validate("apply", &same);
    assert_eq!(same["changed"], false);
    assert_eq!(same["plan"]["phases"].as_array().unwrap().len(), 0);
    let scale = ok(&run(trib()
        .args(["--json", "--dry-run", "apply"])
        .args(&addrs)
        .arg(spare.addr())
        .args(["--replicas", "1"])));
    validate("apply", &scale);
    assert_eq!(scale["changed"], false);
    let phases: Vec<&str> = scale["plan"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["join", "rebalance"]);
    assert_eq!(scale["plan"]["phases"][0]["role"], "master");

    let fix = ok(&run(trib().args(["--json", "fix", &entry])));
    validate("fix", &fix);
    assert_eq!(fix["changed"], false);
    assert_eq!(fix["healthy"], true);
    let fix_dry = ok(&run(trib().args(["--json", "--dry-run", "fix", &entry])));
    validate("fix", &fix_dry);
    assert_eq!(fix_dry["healthy"], true);

    // import from a standalone source: plan, copy, nothing left to move, and a conflict.
    let src = RedisNode::start(&NodeOptions {
        ip: ip(5),
        cluster_enabled: false,
        ..Default::default()
    });
    for i in 0..20 {
        src.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    let import = |extra: &[&str]| {
        run(trib()
            .args(["--json", "import", &entry, "--from", &src.addr()])
            .args(extra))
    };
    let plan = ok(&import(&["--dry-run"]));
    validate("import", &plan);
    assert_eq!(plan["changed"], false);
    assert_eq!(plan["plan"]["source_keys"], 20);
    assert!(plan.get("report").is_none(), "dry run: not applied");
    let copied = ok(&import(&["--yes", "--copy"]));
    validate("import", &copied);
    assert_eq!(copied["changed"], true);
    assert_eq!(copied["report"]["keys_moved"], 20);
    src.cmd(&["SET", "k3", "other"]);
    let out = import(&["--yes", "--copy"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let stopped = json(&out);
    validate("import", &stopped);
    assert_eq!(stopped["exit_code"], 1);
    assert!(stopped["error"].as_str().unwrap().contains("k3"));
    src.cmd(&["FLUSHALL"]);
    let empty = ok(&import(&["--yes"]));
    validate("import", &empty);
    assert_eq!(empty["changed"], false);
    assert_eq!(empty["report"]["keys_moved"], 0);

    // check with an unreachable member: its entry has `error` instead of the details.
    let i = nodes.iter().position(|n| n.addr() == replica_addr).unwrap();
    nodes[i].stop();
    let out = run(trib().args(["--json", "--connect-timeout", "500ms", "check", &entry]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let down = json(&out);
    validate("check", &down);
    assert_eq!(down["healthy"], false);
    assert!(
        down["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["reachable"] == false && n["error"].is_string()),
        "{down:#}"
    );
}
