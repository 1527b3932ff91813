//! Test certificates made with the `openssl` CLI: a CA and certificates it signs for
//! 127.0.0.1 / localhost (`<name>.crt`, `<name>.key`, `ca.crt` in `dir`), and [`TlsFiles`] to
//! hand them to nodes and clients.

use std::path::{Path, PathBuf};
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl must be installed (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA named `ca_name` and, for each of `names`, a certificate it signs with the
/// subject alternative names IP:127.0.0.1 and DNS:localhost.
pub fn make_pki(dir: &Path, ca_name: &str, names: &[&str]) {
    let subj = format!("/CN={ca_name}");
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
            "-days", "2", "-subj", &subj,
        ],
    );
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("write ext");
    for name in names {
        let (key, csr, crt) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
        );
        let subj = format!("/CN={name}");
        openssl(
            dir,
            &[
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj",
                &subj,
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                "ext",
            ],
        );
    }
}

/// Certificate files for one TLS party: the CA that signs its peers' certificates, its own
/// certificate and key. Given to a node ([`NodeOptions::tls`](super::NodeOptions::tls): its
/// server certificate, also used as client certificate on the cluster bus, for replication and
/// by the harness's `redis-cli`) or to a client (`trib`, the test cluster client).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// `ca.crt`, `<name>.crt` and `<name>.key` in `dir` (as written by [`make_pki`]).
    pub fn in_dir(dir: &Path, name: &str) -> TlsFiles {
        TlsFiles {
            ca: dir.join("ca.crt"),
            cert: dir.join(format!("{name}.crt")),
            key: dir.join(format!("{name}.key")),
        }
    }

    /// `--tls --cacert CA --cert CERT --key KEY`: the same flags for `trib` and `redis-cli`.
    pub fn args(&self) -> Vec<String> {
        let s = |p: &Path| p.to_string_lossy().into_owned();
        vec![
            "--tls".into(),
            "--cacert".into(),
            s(&self.ca),
            "--cert".into(),
            s(&self.cert),
            "--key".into(),
            s(&self.key),
        ]
    }

    /// The same files for a `redis` crate client (`rediss://` with a client certificate).
    pub fn redis_certs(&self) -> redis::TlsCertificates {
        let read =
            |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
        redis::TlsCertificates {
            client_tls: Some(redis::ClientTlsConfig {
                client_cert: read(&self.cert),
                client_key: read(&self.key),
            }),
            root_cert: Some(read(&self.ca)),
        }
    }
}
