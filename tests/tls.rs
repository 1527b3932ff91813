//! TLS end to end on TLS-only nodes (`port 0`, `tls-port`, `tls-cluster yes`,
//! `tls-replication yes`, `tls-auth-clients yes`) with a password: trib talks to them with
//! `--tls --cacert --cert --key` and `REDISCLI_AUTH`. Certificates come from a CA made in the
//! test (tests/common/pki.rs); keys are written and read back over TLS with a client
//! certificate (tests/common/client.rs).

#[path = "common/client.rs"]
mod client;
mod common;

use std::process::Command;
use std::time::Duration;

use client::ClusterClient;
use common::pki::{TlsFiles, make_pki};
use common::*;

const PASSWORD: &str = "tls0pw7secret";

/// A CA with a server certificate for the nodes and a client certificate for trib.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        make_pki(dir.path(), "trib-test-ca", &["server", "client"]);
        Pki { dir }
    }

    fn server(&self) -> TlsFiles {
        TlsFiles::in_dir(self.dir.path(), "server")
    }

    fn client(&self) -> TlsFiles {
        TlsFiles::in_dir(self.dir.path(), "client")
    }

    fn path(&self, file: &str) -> String {
        self.dir.path().join(file).to_string_lossy().into_owned()
    }

    /// Node options: TLS only, client certificates required, the password, short timeouts.
    fn opts(&self) -> NodeOptions {
        NodeOptions {
            tls: Some(self.server()),
            password: Some(PASSWORD.into()),
            ..quick_sync_opts()
        }
    }

    /// `trib --tls --cacert --cert --key` with the password in `REDISCLI_AUTH`.
    fn trib(&self) -> Command {
        let mut c = trib();
        c.args(self.client().args()).env("REDISCLI_AUTH", PASSWORD);
        c
    }

    /// A cluster client over TLS with the client certificate and the password.
    fn cluster_client(&self, nodes: &[RedisNode]) -> ClusterClient {
        ClusterClient::new(&[nodes[0].addr()]).with_tls(self.client().redis_certs(), Some(PASSWORD))
    }
}

/// `masters` TLS-only nodes made a cluster with `trib create` over TLS.
fn tls_cluster(pki: &Pki, masters: usize) -> Vec<RedisNode> {
    let nodes = start_nodes(masters, &pki.opts());
    let out = run(pki
        .trib()
        .arg("create")
        .args(nodes.iter().map(RedisNode::addr))
        .arg("--yes"));
    assert_ok(&out);
    for n in &nodes {
        let info = n.cmd(&["CLUSTER", "INFO"]);
        assert!(info.contains("cluster_state:ok"), "{}: {info}", n.addr());
        // Nothing listens in clear text: the only client port is the TLS one.
        let cfg = n.cmd(&["CONFIG", "GET", "port"]);
        assert_eq!(cfg.lines().nth(1), Some("0"), "{cfg}");
    }
    wait_views_agree(&nodes);
    nodes
}

/// Writes `n` keys over TLS; returns them with their values.
fn fill(pki: &Pki, nodes: &[RedisNode], prefix: &str, n: usize) -> Vec<(String, String)> {
    let mut c = pki.cluster_client(nodes);
    (0..n)
        .map(|i| {
            let (k, v) = (format!("{prefix}{i}"), format!("v{i}-{prefix}"));
            c.set(&k, &v).unwrap();
            (k, v)
        })
        .collect()
}

/// Every key reads back over TLS with its value, following redirections.
fn verify_reads(pki: &Pki, nodes: &[RedisNode], kvs: &[(String, String)]) {
    let mut c = pki.cluster_client(nodes);
    for (k, v) in kvs {
        assert_eq!(c.get(k).unwrap().as_deref(), Some(v.as_str()), "key {k}");
    }
}

/// `trib check` over TLS: exit 0, and `--json` says healthy with no error.
fn check_clean(pki: &Pki, entry: &str) {
    assert_ok(&run(pki.trib().args(["check", entry])));
    let out = run(pki.trib().args(["--json", "check", entry]));
    assert_ok(&out);
    let j = json(&out);
    assert_eq!(j["healthy"], true, "{}", show(&out));
    // All nodes share 127.0.0.1 (the certificates' address), so the single-failure-domain
    // warning is expected; no error is.
    assert_eq!(j["errors"], 0, "{}", show(&out));
    let errors = j["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .count();
    assert_eq!(errors, 0, "{}", show(&out));
}

/// Slots per master ID (masters without slots too) from `node`'s CLUSTER NODES.
fn slot_counts(node: &RedisNode) -> std::collections::BTreeMap<String, usize> {
    cluster_nodes(node)
        .iter()
        .filter(|l| l.is_master())
        .map(|l| (l.id.clone(), l.slot_count()))
        .collect()
}

/// Exit 2 and the error output is one line naming `addr` and containing `reason`; the
/// password appears nowhere.
fn assert_one_line_naming(out: &Output, addr: &str, reason: &str) {
    assert_eq!(out.code, 2, "{}", show(out));
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one error line expected\n{}", show(out));
    assert!(lines[0].contains(addr), "the node is named\n{}", show(out));
    assert!(
        lines[0].contains(reason),
        "the reason ({reason}) is given\n{}",
        show(out)
    );
    assert!(!out.stderr.contains(PASSWORD) && !out.stdout.contains(PASSWORD));
}

/// create, check (and `--json`), info (and `--json`) on a TLS-only cluster with client
/// certificates and a password; keys written and read over TLS.
#[test]
fn create_check_info_over_tls_with_client_certificates() {
    let pki = Pki::new();
    let nodes = tls_cluster(&pki, 3);
    let entry = nodes[0].addr();
    let kvs = fill(&pki, &nodes, "info:", 300);

    check_clean(&pki, &entry);

    let out = run(pki.trib().args(["info", &entry]));
    assert_ok(&out);
    for n in &nodes {
        assert!(out.stdout.contains(&n.addr()), "{}", show(&out));
    }
    let out = run(pki.trib().args(["--json", "info", &entry]));
    assert_ok(&out);
    let j = json(&out);
    let masters = j["masters"].as_array().expect("masters");
    assert_eq!(masters.len(), 3, "{}", show(&out));
    let keys: u64 = masters.iter().map(|m| m["keys"].as_u64().unwrap()).sum();
    assert_eq!(keys, kvs.len() as u64, "{}", show(&out));
    let slots: u64 = masters
        .iter()
        .map(|m| m["slot_count"].as_u64().unwrap())
        .sum();
    assert_eq!(slots, 16384, "{}", show(&out));
    verify_reads(&pki, &nodes, &kvs);

    // Plain TCP to a TLS-only port does not hang: a clear error within the timeouts.
    let out = run(trib().env("REDISCLI_AUTH", PASSWORD).args([
        "--command-timeout",
        "1s",
        "check",
        &entry,
    ]));
    assert_eq!(out.code, 2, "{}", show(&out));
    assert!(out.stderr.contains(&entry), "{}", show(&out));
}

/// A client certificate the nodes do not trust, or none at all: one line naming the node and
/// the TLS failure, exit 2, for a read-only and for a mutating command, and nothing changed.
#[test]
fn wrong_or_missing_client_certificate_is_refused() {
    let pki = Pki::new();
    let other = tempfile::tempdir().unwrap();
    make_pki(other.path(), "some-other-ca", &["client"]);
    let stranger = TlsFiles::in_dir(other.path(), "client");
    let nodes = tls_cluster(&pki, 3);
    let entry = nodes[0].addr();
    let before = snapshots(&nodes);

    // Signed by another CA (the server certificate itself is verified with the right CA).
    let wrong = [
        "--tls".to_string(),
        "--cacert".into(),
        pki.path("ca.crt"),
        "--cert".into(),
        stranger.cert.to_string_lossy().into_owned(),
        "--key".into(),
        stranger.key.to_string_lossy().into_owned(),
    ];
    let missing = ["--tls".to_string(), "--cacert".into(), pki.path("ca.crt")];
    for (tls_args, reason) in [
        (
            &wrong[..],
            "TLS handshake failed: the node refused the client certificate",
        ),
        (
            &missing[..],
            "TLS handshake failed: the node requires a client certificate",
        ),
    ] {
        for cmd in [
            vec!["check", entry.as_str()],
            vec!["info", entry.as_str()],
            vec![
                "reshard", &entry, "--from", "all", "--to", &entry, "--slots", "10", "--yes",
            ],
        ] {
            let out = run(trib()
                .env("REDISCLI_AUTH", PASSWORD)
                .args(tls_args)
                .args(&cmd));
            assert_one_line_naming(&out, &entry, reason);
            assert!(out.stdout.trim().is_empty(), "{}", show(&out));
        }
    }
    assert_eq!(
        snapshots(&nodes),
        before,
        "a refused command changed nothing"
    );
}

/// `--insecure`: without the CA (server certificate signed by an unknown CA) or with a server
/// name the certificate does not hold, a reshard is refused with exit 2, a clear TLS error
/// and nothing changed; with `--insecure` it runs, keys move, every key reads back.
#[test]
fn insecure_accepts_an_untrusted_server_certificate() {
    let pki = Pki::new();
    let nodes = tls_cluster(&pki, 3);
    let entry = nodes[0].addr();
    let dst = nodes[0].node_id();
    let kvs = fill(&pki, &nodes, "ins:", 300);
    let dst_slots = slot_counts(&nodes[0])[&dst];
    let before = snapshots(&nodes);
    let client_cert = [
        "--tls".to_string(),
        "--cert".into(),
        pki.path("client.crt"),
        "--key".into(),
        pki.path("client.key"),
    ];
    let reshard = [
        "reshard", &entry, "--from", "all", "--to", &dst, "--slots", "600", "--yes",
    ];

    // No --cacert: the test CA is not among the system's trusted roots.
    let out = run(trib()
        .env("REDISCLI_AUTH", PASSWORD)
        .args(client_cert.clone())
        .args(reshard));
    assert_one_line_naming(
        &out,
        &entry,
        "certificate is not trusted (invalid peer certificate: UnknownIssuer); give its CA with --cacert",
    );
    // The right CA, but a server name the certificate was not issued for.
    let out = run(pki
        .trib()
        .args(["--sni", "not-the-server.example"])
        .args(reshard));
    assert_one_line_naming(
        &out,
        &entry,
        "not valid for name \"not-the-server.example\"",
    );
    assert!(out.stderr.contains("--insecure"), "{}", show(&out));
    assert_eq!(
        snapshots(&nodes),
        before,
        "a refused reshard changed nothing"
    );

    let out = run(trib()
        .env("REDISCLI_AUTH", PASSWORD)
        .args(client_cert)
        .arg("--insecure")
        .args(reshard));
    assert_ok(&out);
    assert_eq!(
        slot_counts(&nodes[0])[&dst],
        dst_slots + 600,
        "{}",
        show(&out)
    );
    wait_views_agree(&nodes);
    verify_reads(&pki, &nodes, &kvs);
    check_clean(&pki, &entry);
    let out = run(pki.trib().args([
        "--sni",
        "not-the-server.example",
        "--insecure",
        "check",
        &entry,
    ]));
    assert_ok(&out);
}

/// reshard moving slots that hold keys, add-node of an empty master, rebalance
/// `--use-empty-masters`: all over TLS (MIGRATE between the nodes is TLS with
/// `tls-cluster yes`); every key reads back and check is clean after each step.
#[test]
fn reshard_add_node_and_rebalance_over_tls() {
    let pki = Pki::new();
    let mut nodes = tls_cluster(&pki, 3);
    let entry = nodes[0].addr();
    let kvs = fill(&pki, &nodes, "rs:", 1000);

    let before = slot_counts(&nodes[0]);
    let dst = nodes[1].node_id();
    let out = run(pki.trib().args([
        "--json", "reshard", &entry, "--from", "all", "--to", &dst, "--slots", "2000", "--yes",
    ]));
    assert_ok(&out);
    let j = json(&out);
    assert_eq!(j["changed"], true, "{}", show(&out));
    let after = slot_counts(&nodes[0]);
    assert_eq!(after[&dst], before[&dst] + 2000, "{}", show(&out));
    // The moved slots held keys: the destination now stores more of them than before.
    let dbsize = |n: &RedisNode| n.cmd(&["DBSIZE"]).parse::<usize>().unwrap();
    let on_dst = dbsize(&nodes[1]);
    assert!(
        on_dst > kvs.len() / 3 + 50,
        "{on_dst} keys on the destination"
    );
    wait_views_agree(&nodes);
    verify_reads(&pki, &nodes, &kvs);
    check_clean(&pki, &entry);

    // An empty TLS-only master joins over TLS, then gets its share.
    let new = RedisNode::start(&pki.opts());
    let out = run(pki.trib().args(["add-node", &new.addr(), &entry, "--yes"]));
    assert_ok(&out);
    nodes.push(new);
    wait_views_agree(&nodes);
    let new_id = nodes[3].node_id();
    assert_eq!(slot_counts(&nodes[0]).get(&new_id), Some(&0));
    let out = run(pki
        .trib()
        .args(["rebalance", &entry, "--use-empty-masters", "--yes"]));
    assert_ok(&out);
    wait_views_agree(&nodes);
    let counts = slot_counts(&nodes[0]);
    assert_eq!(counts.len(), 4, "{counts:?}");
    for (id, n) in &counts {
        assert!((4000..=4200).contains(n), "{id} has {n} slots: {counts:?}");
    }
    assert!(dbsize(&nodes[3]) > 0, "keys moved to the new master");
    let total: usize = nodes.iter().map(dbsize).sum();
    assert_eq!(total, kvs.len());
    verify_reads(&pki, &nodes, &kvs);
    check_clean(&pki, &entry);
}

/// A replica attached over TLS (add-node --replica-of, TLS replication), then failover: the
/// roles swap, every key is intact, check is clean.
#[test]
fn failover_of_a_replica_over_tls() {
    let pki = Pki::new();
    let mut nodes = tls_cluster(&pki, 3);
    let entry = nodes[0].addr();
    let kvs = fill(&pki, &nodes, "fo:", 300);
    let master_id = nodes[0].node_id();

    let replica = RedisNode::start(&pki.opts());
    let out = run(pki.trib().args([
        "add-node",
        &replica.addr(),
        &entry,
        "--replica-of",
        &master_id,
        "--yes",
    ]));
    assert_ok(&out);
    nodes.push(replica);
    wait_views_agree(&nodes);
    wait_until(
        "the replica has synced over TLS",
        Duration::from_secs(20),
        || {
            nodes[3]
                .cmd(&["INFO", "replication"])
                .contains("master_link_status:up")
        },
    );
    let master_keys = nodes[0].cmd(&["DBSIZE"]);
    assert_eq!(nodes[3].cmd(&["DBSIZE"]), master_keys);

    let out = run(pki.trib().args(["failover", &nodes[3].addr(), "--yes"]));
    assert_ok(&out);
    let role = |n: &RedisNode| {
        n.cmd(&["INFO", "replication"])
            .lines()
            .find_map(|l| l.strip_prefix("role:").map(str::to_string))
            .unwrap()
    };
    assert_eq!(role(&nodes[3]), "master");
    wait_until(
        "the old master follows the new one",
        Duration::from_secs(20),
        || {
            let repl = nodes[0].cmd(&["INFO", "replication"]);
            repl.contains("role:slave") && repl.contains("master_link_status:up")
        },
    );
    let new_master = nodes[3].node_id();
    assert!(
        nodes[0]
            .cmd(&["CLUSTER", "NODES"])
            .lines()
            .any(|l| l.contains("myself") && l.contains(&new_master)),
        "the old master replicates the new one"
    );
    assert_eq!(nodes[3].cmd(&["DBSIZE"]), master_keys);
    wait_views_agree(&nodes);
    verify_reads(&pki, &nodes, &kvs);
    check_clean(&pki, &entry);
}

/// An interrupted migration (slot migrating on its owner, importing on the target, keys
/// still on the owner) repaired by `trib fix` over TLS: the keys move with MIGRATE between
/// TLS nodes, authenticated with the cluster's password; nothing is lost.
#[test]
fn fix_finishes_an_interrupted_migration_over_tls() {
    let pki = Pki::new();
    let nodes = tls_cluster(&pki, 3);
    let entry = nodes[0].addr();
    let kvs = fill(&pki, &nodes, "{open}:", 200);
    let slot = trib::model::key_slot(b"open").to_string();
    let owner = nodes
        .iter()
        .position(|n| n.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot]) == "200")
        .expect("the slot's owner holds its keys");
    let (src, dst) = (&nodes[owner], &nodes[(owner + 1) % 3]);
    dst.cmd(&["CLUSTER", "SETSLOT", &slot, "IMPORTING", &src.node_id()]);
    src.cmd(&["CLUSTER", "SETSLOT", &slot, "MIGRATING", &dst.node_id()]);
    let out = run(pki.trib().args(["check", &entry]));
    assert_eq!(out.code, 1, "the open slot is an error\n{}", show(&out));

    let out = run(pki.trib().args(["fix", &entry, "--yes"]));
    assert_ok(&out);
    wait_views_agree(&nodes);
    assert_eq!(dst.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot]), "200");
    assert_eq!(src.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot]), "0");
    verify_reads(&pki, &nodes, &kvs);
    check_clean(&pki, &entry);
}
