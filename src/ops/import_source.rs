//! `import` around [`super::import`]: the standalone source (two connections, probed,
//! refused when keys cannot be taken from it) and how the import runs (the cluster's
//! credentials, timeouts).

use std::collections::BTreeMap;
use std::time::Duration;

use super::Reporter;
use super::import::{ImportError, ImportOptions, ImportReport, SourceInfo, import, probe_source};
use crate::addr::Target;
use crate::cluster::{AuthFailure, ConnectOptions, Node, NodeError, NodeErrorKind, Secret};
use crate::error::TribError;
use crate::model::NodeId;
use crate::model::info::Info;
use crate::plan::import::{ImportPlan, Mode};

/// The source, reached and accepted.
pub struct Source {
    /// How it was named (messages).
    pub label: String,
    /// For SCAN.
    pub scan: Node,
    /// For the MIGRATEs, pipelined (they interleave with SCAN on the other one).
    pub migrate: Node,
    pub info: SourceInfo,
}

/// What `import` found before changing anything.
pub struct ImportJob {
    pub plan: ImportPlan,
    pub source: Source,
    /// A connection to every master of `plan.masters`, in order.
    pub masters: Vec<Node>,
}

/// Connects twice to the source (`from`, resolved to `targets`: exactly one address) with
/// the cluster's options and the source's own user and password, probes it and refuses a
/// source keys cannot be taken from. Every failure is bad input, before anything changed.
pub async fn open_source(
    from: &str,
    targets: &[Target],
    cluster: &ConnectOptions,
    user: Option<String>,
    password: Option<String>,
) -> Result<Source, TribError> {
    let [target] = targets else {
        return Err(TribError::BadInput(format!(
            "--from {from}: resolves to {} addresses; give exactly one source",
            targets.len()
        )));
    };
    let label = target.label();
    let opts = ConnectOptions {
        user,
        password: password.filter(|p| !p.is_empty()).map(Secret::new),
        ..cluster.clone()
    };
    let connect = || Node::connect(target.addr, &label, target.name.as_deref(), &opts);
    let (scan, migrate) = futures::try_join!(connect(), connect())
        .map_err(|e| TribError::BadInput(source_problem(&e)))?;
    let info = probe_source(&scan)
        .await
        .map_err(|e| TribError::BadInput(source_problem(&e)))?;
    refuse_source(
        &label,
        &info,
        cluster.user.is_some(),
        cluster.password.is_some(),
    )?;
    Ok(Source {
        label,
        scan,
        migrate,
        info,
    })
}

/// A connection to every master of `plan.masters`, in order.
pub fn master_conns(
    plan: &ImportPlan,
    conns: &BTreeMap<NodeId, Node>,
) -> Result<Vec<Node>, TribError> {
    plan.masters
        .iter()
        .map(|m| {
            conns.get(&m.id).cloned().ok_or_else(|| {
                TribError::BadInput(format!(
                    "{}: master not reached; nothing was changed",
                    m.label
                ))
            })
        })
        .collect()
}

/// Imports with the cluster's credentials; each MIGRATE may take `migrate_timeout`, its
/// reply (queued behind others on the source) four times that and 30 s more. Returns
/// how far it got, and what stopped it.
pub async fn run_import(
    job: &ImportJob,
    cluster: &ConnectOptions,
    migrate_timeout: Duration,
    reporter: &dyn Reporter,
) -> (ImportReport, Option<ImportError>) {
    let opts = ImportOptions {
        cluster_user: cluster.user.clone(),
        cluster_password: cluster.password.clone(),
        migrate_timeout,
        reply_timeout: migrate_timeout * 4 + Duration::from_secs(30),
        ..ImportOptions::default()
    };
    let (source, masters) = (&job.source, job.masters.clone());
    match import(
        &job.plan,
        &source.scan,
        &source.migrate,
        masters,
        &opts,
        reporter,
    )
    .await
    {
        Ok(report) => (report, None),
        Err((report, e)) => (report, Some(e)),
    }
}

/// Whether an import changed anything: keys were written to the cluster, or (moving)
/// deleted from the source.
pub fn changed(report: &ImportReport, mode: Mode) -> bool {
    report.keys_moved > 0 || (mode == Mode::Move && report.keys_skipped_identical > 0)
}

/// One line naming the source and what is wrong with it, for a connection or probe error.
fn source_problem(e: &NodeError) -> String {
    let reason = match &e.kind {
        NodeErrorKind::Auth(AuthFailure::PasswordRequired) => {
            "authentication failed: the source requires a password (use --from-password or TRIB_FROM_PASSWORD)".to_string()
        }
        NodeErrorKind::Auth(_) => {
            "authentication failed: wrong --from-password or --from-user".to_string()
        }
        _ => e.reason(),
    };
    format!("source {}: {reason}; nothing was changed", e.node)
}

/// Refuses a source that is a cluster node, a replica, or too old for `MIGRATE … KEYS`.
fn refuse_source(
    label: &str,
    s: &SourceInfo,
    cluster_user: bool,
    cluster_password: bool,
) -> Result<(), TribError> {
    if s.cluster_enabled {
        return Err(TribError::BadInput(format!(
            "source {label}: it is a cluster node (cluster-enabled yes); import takes keys from a standalone Redis. To move keys between masters use `trib reshard`. Nothing was changed"
        )));
    }
    if let Some(master) = &s.master {
        return Err(TribError::BadInput(format!(
            "source {label}: it is a replica (of {master}); import from the master, which can delete the keys it moves. Nothing was changed"
        )));
    }
    let version = Info::parse(format!("redis_version:{}", s.version))
        .version()
        .unwrap_or((0, 0, 0));
    let (need, why) = if cluster_user && cluster_password {
        ((6, 0, 0), "MIGRATE … AUTH2 (the cluster uses an ACL user)")
    } else if cluster_password {
        ((4, 0, 7), "MIGRATE … AUTH (the cluster has a password)")
    } else {
        ((3, 0, 6), "MIGRATE … KEYS")
    };
    if version < need {
        return Err(TribError::BadInput(format!(
            "source {label}: Redis {} is too old for {why}; needs {}.{}.{} or later. Nothing was changed",
            s.version, need.0, need.1, need.2
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(version: &str) -> SourceInfo {
        SourceInfo {
            version: version.into(),
            role: "master".into(),
            master: None,
            cluster_enabled: false,
            keys: 1,
            other_dbs: vec![],
        }
    }

    #[test]
    fn refuses_bad_sources() {
        assert!(refuse_source("s", &source("7.0.15"), true, true).is_ok());
        assert!(refuse_source("s", &source("5.0.0"), true, true).is_err());
        assert!(refuse_source("s", &source("5.0.0"), false, true).is_ok());
        assert!(refuse_source("s", &source("4.0.1"), false, true).is_err());
        let mut c = source("7.0.0");
        c.cluster_enabled = true;
        assert!(refuse_source("s", &c, false, false).is_err());
        let mut r = source("7.0.0");
        r.master = Some("10.0.0.1:6379".into());
        assert!(refuse_source("s", &r, false, false).is_err());
    }
}
