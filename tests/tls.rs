//! TLS end to end: nodes that only speak TLS to clients and on the cluster bus, client
//! certificates required; trib with `--tls --cacert --cert --key` creates and checks.

mod common;

use std::net::TcpListener;

use common::{NodeOptions, RedisNode, run, trib};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn create_and_check_over_tls_with_client_certificates() {
    let pki = tempfile::tempdir().unwrap();
    common::pki::make_pki(pki.path(), "trib-test-ca", &["server", "client"]);
    let p = |f: &str| pki.path().join(f).to_string_lossy().into_owned();
    let tls_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let nodes: Vec<RedisNode> = tls_ports
        .iter()
        .map(|port| {
            let mut opts = NodeOptions::default();
            for (k, v) in [
                ("tls-port", port.to_string()),
                ("tls-cert-file", p("server.crt")),
                ("tls-key-file", p("server.key")),
                ("tls-ca-cert-file", p("ca.crt")),
                ("tls-auth-clients", "yes".into()),
                ("tls-cluster", "yes".into()),
                ("tls-replication", "yes".into()),
            ] {
                opts.extra.push((k.into(), v));
            }
            RedisNode::start(&opts)
        })
        .collect();
    let addrs: Vec<String> = tls_ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let tls_args = [
        "--tls",
        "--cacert",
        &p("ca.crt"),
        "--cert",
        &p("client.crt"),
        "--key",
        &p("client.key"),
    ];

    let out = run(trib()
        .args(tls_args)
        .arg("create")
        .args(&addrs)
        .arg("--yes"));
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    for n in &nodes {
        assert!(n.cmd(&["CLUSTER", "INFO"]).contains("cluster_state:ok"));
    }
    let out = run(trib().args(tls_args).args(["check", &addrs[0]]));
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );

    // Without the client certificate the server refuses the handshake: exit 2, named.
    let out = run(trib().args(["--tls", "--cacert", &p("ca.crt"), "check", &addrs[0]]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains(&addrs[0]), "{}", out.stderr);
    // Without the CA, the server certificate is not trusted; --insecure accepts it.
    let out = run(trib().args([
        "--tls",
        "--cert",
        &p("client.crt"),
        "--key",
        &p("client.key"),
        "check",
        &addrs[0],
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("certificate"), "{}", out.stderr);
    let out = run(trib().args([
        "--tls",
        "--insecure",
        "--cert",
        &p("client.crt"),
        "--key",
        &p("client.key"),
        "info",
        &addrs[0],
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Plain TCP to a TLS port does not hang: a clear error within the timeouts.
    let out = run(trib().args(["--command-timeout", "1s", "check", &addrs[0]]));
    assert_eq!(out.code, 2, "{}", out.stderr);
}
