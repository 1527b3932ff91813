//! `import`: moves (or copies) every key of a standalone Redis into the cluster with
//! `MIGRATE … KEYS` issued on the source, batched per target master.
//!
//! The source connects to each master itself, at the address the cluster announces.
//! SCAN runs on its own connection so it interleaves with the MIGRATEs, which are
//! pipelined on a second one (the source runs them one after the other anyway). A key
//! that already exists on its target (BUSYKEY) is compared by `DUMP` payload: identical
//! means done (in move mode the source copy is deleted), different stops the import and
//! names the keys unless `--replace`. Resumable: moved keys are gone from the source, and
//! copied keys compare identical on a re-run. SIGINT/SIGTERM stop it between batches
//! ([`interrupt`]): no batch is sent after the stop request, those sent are finished.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::Value;
use serde::Serialize;
use thiserror::Error;
use tokio::task::JoinSet;

use super::Reporter;
use super::compare::same_contents;
use super::interrupt::{self, Interrupted};
use crate::cluster::{Migrate, MigrateAuth, MigrateReply, Node, NodeError, Secret, ServerError};
use crate::model::info::Info;
use crate::plan::import::{Batcher, ImportPlan, ImportTarget, Mode, rate_and_eta};

/// Full SCAN passes over the source in move mode, while keys remain and the last pass
/// made progress (keys written to the source during the import).
const MAX_PASSES: u32 = 5;

/// What trib learned about the source before changing anything.
#[derive(Clone, Debug, Serialize)]
pub struct SourceInfo {
    pub version: String,
    pub role: String,
    /// `host:port` of its master, when the source is a replica.
    pub master: Option<String>,
    pub cluster_enabled: bool,
    /// Keys in db 0 (`DBSIZE`).
    pub keys: u64,
    /// Other databases holding keys (they are not imported: a cluster has only db 0).
    pub other_dbs: Vec<(String, u64)>,
}

/// Reads INFO and DBSIZE from the source.
pub async fn probe_source(node: &Node) -> Result<SourceInfo, NodeError> {
    let info: Info = node
        .info(&["server", "replication", "cluster", "keyspace"])
        .await?;
    let keys: u64 = node.query(&redis::cmd("DBSIZE")).await?;
    let role = info.get("role").unwrap_or("master").to_string();
    let master = (role == "slave").then(|| {
        format!(
            "{}:{}",
            info.get("master_host").unwrap_or("?"),
            info.get("master_port").unwrap_or("?")
        )
    });
    let mut other_dbs = Vec::new();
    for db in 1..16 {
        let name = format!("db{db}");
        if let Some(v) = info.get(&name) {
            let n = v
                .split(',')
                .find_map(|f| f.strip_prefix("keys="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if n > 0 {
                other_dbs.push((name, n));
            }
        }
    }
    Ok(SourceInfo {
        version: info
            .get("valkey_version")
            .or_else(|| info.get("redis_version"))
            .unwrap_or("")
            .to_string(),
        role,
        master,
        cluster_enabled: info.get("cluster_enabled") == Some("1"),
        keys,
        other_dbs,
    })
}

/// How to run the import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The cluster's credentials, passed in `MIGRATE … AUTH`/`AUTH2`.
    pub cluster_user: Option<String>,
    pub cluster_password: Option<Secret>,
    /// The timeout given to `MIGRATE` (the source's I/O with the target).
    pub migrate_timeout: Duration,
    /// Deadline for a MIGRATE reply to reach trib (queued behind others on the source).
    pub reply_timeout: Duration,
    /// MIGRATE batches queued on the source at once.
    pub in_flight: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            cluster_user: None,
            cluster_password: None,
            migrate_timeout: Duration::from_secs(10),
            reply_timeout: Duration::from_secs(60),
            in_flight: 4,
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    /// Keys written to the cluster (moved, or copied with `--copy`).
    pub keys_moved: u64,
    /// Keys that were already on their target with the same `DUMP` payload.
    pub keys_skipped_identical: u64,
    /// Keys still on the source at the end (move mode; written during the import?).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_remaining: Option<u64>,
    /// SCAN passes over the source.
    pub passes: u32,
    pub elapsed_ms: u128,
}

/// A key that exists on its target with a different value.
#[derive(Clone, Debug, Serialize)]
pub struct Conflict {
    pub key: String,
    pub target: String,
}

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{} key(s) already exist in the cluster with different values: {}; use --replace to overwrite them", .0.len(), conflict_list(.0))]
    Conflicts(Vec<Conflict>),
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error("{0}")]
    Other(String),
    /// Stopped by SIGINT/SIGTERM between batches: every batch sent was finished.
    #[error("stopped between batches")]
    Interrupted(#[source] Interrupted),
}

fn conflict_list(c: &[Conflict]) -> String {
    let mut s: Vec<String> = c
        .iter()
        .take(10)
        .map(|c| format!("{} (on {})", c.key, c.target))
        .collect();
    if c.len() > 10 {
        s.push(format!("and {} more", c.len() - 10));
    }
    s.join(", ")
}

/// Everything a batch task needs.
struct Shared {
    source: Node,
    targets: Vec<(ImportTarget, Node)>,
    mode: Mode,
    replace: bool,
    opts: ImportOptions,
}

#[derive(Default)]
struct BatchResult {
    moved: u64,
    identical: u64,
    conflicts: Vec<Conflict>,
}

/// Imports every key of the source. `scan_conn` and `migrate_conn` are two connections
/// to the source; `targets` holds a connection to every master of `plan.masters`, in order.
/// On failure the report says how far it got (a re-run continues from there).
pub async fn import(
    plan: &ImportPlan,
    scan_conn: &Node,
    migrate_conn: &Node,
    targets: Vec<Node>,
    opts: &ImportOptions,
    reporter: &dyn Reporter,
) -> Result<ImportReport, (ImportReport, ImportError)> {
    let started = Instant::now();
    let shared = Arc::new(Shared {
        source: migrate_conn.clone(),
        targets: plan.masters.iter().cloned().zip(targets).collect(),
        mode: plan.mode,
        replace: plan.replace,
        opts: opts.clone(),
    });
    let mut report = ImportReport::default();
    let mut total = plan.source_keys;
    let verb = match plan.mode {
        Mode::Move => "moving",
        Mode::Copy => "copying",
    };
    let what = format!("{verb} keys");
    loop {
        report.passes += 1;
        let before = report.keys_moved + report.keys_skipped_identical;
        let pass = run_pass(
            plan,
            scan_conn,
            &shared,
            &mut report,
            &mut total,
            &what,
            started,
            reporter,
        )
        .await;
        report.elapsed_ms = started.elapsed().as_millis();
        if let Err(e) = pass {
            return Err((report, e));
        }
        if plan.mode == Mode::Copy {
            break;
        }
        let left: u64 = match scan_conn.query(&redis::cmd("DBSIZE")).await {
            Ok(n) => n,
            Err(e) => return Err((report, e.into())),
        };
        let progressed = report.keys_moved + report.keys_skipped_identical > before;
        if left == 0 || !progressed || report.passes >= MAX_PASSES {
            report.keys_remaining = Some(left);
            // SCAN may return a key twice (rehashing); MIGRATE skips it the second time
            // but the batch counted it. Without writers, what left the source is exact.
            let gone = plan.source_keys.saturating_sub(left);
            if report.passes == 1 && report.keys_moved + report.keys_skipped_identical > gone {
                report.keys_moved = gone.saturating_sub(report.keys_skipped_identical);
            }
            break;
        }
        if let Err(stop) = interrupt::check() {
            report.keys_remaining = Some(left);
            return Err((report, ImportError::Interrupted(stop)));
        }
        reporter.step(&format!(
            "{left} key(s) appeared on the source during pass {}: another pass",
            report.passes
        ));
        total = total.max(report.keys_moved + report.keys_skipped_identical + left);
    }
    report.elapsed_ms = started.elapsed().as_millis();
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn run_pass(
    plan: &ImportPlan,
    scan_conn: &Node,
    shared: &Arc<Shared>,
    report: &mut ImportReport,
    total: &mut u64,
    what: &str,
    started: Instant,
    reporter: &dyn Reporter,
) -> Result<(), ImportError> {
    let mut batcher = Batcher::new(plan.batch);
    let mut ready: VecDeque<(usize, Vec<Vec<u8>>)> = VecDeque::new();
    let mut tasks: JoinSet<Result<BatchResult, ImportError>> = JoinSet::new();
    let mut cursor = "0".to_string();
    let mut scan_done = false;
    let mut conflicts: Vec<Conflict> = Vec::new();
    let mut failure: Option<ImportError> = None;
    let in_flight = shared.opts.in_flight.max(1);
    // About one batch per master per SCAN.
    let scan_count = plan.batch * plan.masters.len().clamp(1, 16);
    // A stop request (SIGINT/SIGTERM) is honoured between batches: no batch is sent or
    // scanned for after it, those sent are waited for.
    let mut interrupted = None;
    loop {
        interrupted = interrupted.or(interrupt::check().err());
        let stopping = failure.is_some() || !conflicts.is_empty() || interrupted.is_some();
        if !stopping {
            while tasks.len() < in_flight {
                let Some((t, keys)) = ready.pop_front() else {
                    break;
                };
                let s = shared.clone();
                tasks.spawn(async move { migrate_batch(&s, t, keys).await });
            }
        }
        if !stopping && !scan_done && ready.len() < in_flight {
            let reply: Result<(String, Vec<Vec<u8>>), NodeError> = scan_conn
                .query(redis::cmd("SCAN").arg(&cursor).arg("COUNT").arg(scan_count))
                .await;
            match reply {
                Ok((next, keys)) => {
                    for k in keys {
                        let t = plan.target_of(&k);
                        if let Some(b) = batcher.push(t, k) {
                            ready.push_back(b);
                        }
                    }
                    if next == "0" {
                        scan_done = true;
                        ready.extend(batcher.drain());
                    }
                    cursor = next;
                }
                Err(e) => failure = Some(e.into()),
            }
            // Account for batches that finished meanwhile, without waiting.
            while let Some(joined) = tasks.try_join_next() {
                absorb(joined, report, &mut conflicts, &mut failure);
            }
            progress(report, total, what, started, reporter);
            continue;
        }
        match tasks.join_next().await {
            Some(joined) => {
                absorb(joined, report, &mut conflicts, &mut failure);
                progress(report, total, what, started, reporter);
            }
            None => {
                if stopping || (scan_done && ready.is_empty()) {
                    break;
                }
            }
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if !conflicts.is_empty() {
        conflicts.sort_by(|a, b| a.key.cmp(&b.key));
        return Err(ImportError::Conflicts(conflicts));
    }
    // Stopped with keys left to scan or send (a stop after the last batch is none).
    match interrupted {
        Some(stop) if !scan_done || !ready.is_empty() => Err(ImportError::Interrupted(stop)),
        _ => Ok(()),
    }
}

fn absorb(
    joined: Result<Result<BatchResult, ImportError>, tokio::task::JoinError>,
    report: &mut ImportReport,
    conflicts: &mut Vec<Conflict>,
    failure: &mut Option<ImportError>,
) {
    match joined {
        Ok(Ok(r)) => {
            report.keys_moved += r.moved;
            report.keys_skipped_identical += r.identical;
            conflicts.extend(r.conflicts);
        }
        Ok(Err(e)) => {
            failure.get_or_insert(e);
        }
        Err(e) => {
            failure.get_or_insert(ImportError::Other(format!("a batch task failed: {e}")));
        }
    }
}

fn progress(
    report: &ImportReport,
    total: &mut u64,
    what: &str,
    started: Instant,
    reporter: &dyn Reporter,
) {
    let done = report.keys_moved + report.keys_skipped_identical;
    *total = (*total).max(done);
    let note = rate_and_eta(done, *total, started.elapsed().as_secs_f64());
    reporter.progress(what, done as usize, *total as usize, &note);
}

/// How the source `MIGRATE`s to `target`: `host port "" 0 timeout [COPY] [REPLACE]
/// [AUTH…] KEYS k…`.
fn migrate_args<'a>(s: &'a Shared, target: &'a ImportTarget) -> Migrate<'a> {
    let auth = match (&s.opts.cluster_user, &s.opts.cluster_password) {
        (Some(user), Some(pw)) => Some(MigrateAuth::User(user, pw)),
        (None, Some(pw)) => Some(MigrateAuth::Password(pw)),
        _ => None,
    };
    Migrate {
        host: &target.host,
        port: target.port,
        timeout: s.opts.migrate_timeout,
        copy: s.mode == Mode::Copy,
        replace: s.replace,
        auth,
    }
}

/// `BUSYKEY` from the target (`MIGRATE` wraps it: `ERR Target instance replied with
/// error: BUSYKEY …`): some keys of the batch already exist there.
fn busy_key(e: &NodeError) -> bool {
    e.server() == Some(&ServerError::BusyKey)
}

async fn migrate_batch(
    s: &Shared,
    t: usize,
    keys: Vec<Vec<u8>>,
) -> Result<BatchResult, ImportError> {
    let (target, _) = &s.targets[t];
    match s
        .source
        .migrate(&migrate_args(s, target), &keys, s.opts.reply_timeout)
        .await
    {
        Ok(_) => Ok(BatchResult {
            moved: keys.len() as u64,
            ..Default::default()
        }),
        Err(e) if busy_key(&e) => resolve_busy(s, t, keys).await,
        Err(e) => Err(migrate_failed(target, &e)),
    }
}

fn migrate_failed(target: &ImportTarget, e: &NodeError) -> ImportError {
    ImportError::Other(format!(
        "MIGRATE from {} to {} ({}:{}): {}",
        e.node,
        target.label,
        target.host,
        target.port,
        e.reason()
    ))
}

/// After BUSYKEY: finds which keys of the batch were not migrated and handles them one
/// by one (identical on the target → done; different → conflict).
async fn resolve_busy(
    s: &Shared,
    t: usize,
    keys: Vec<Vec<u8>>,
) -> Result<BatchResult, ImportError> {
    let (target, tnode) = &s.targets[t];
    let mut result = BatchResult::default();
    // Move mode: keys MIGRATE did move are gone from the source; copy mode: all stay.
    let left = match s.mode {
        Mode::Move => {
            let mut pipe = redis::pipe();
            for k in &keys {
                pipe.cmd("EXISTS").arg(k.as_slice());
            }
            let replies = s.source.pipeline(&pipe).await?;
            let mut left = Vec::new();
            for (k, r) in keys.iter().zip(replies) {
                if matches!(r?, Value::Int(1)) {
                    left.push(k.clone());
                }
            }
            result.moved = (keys.len() - left.len()) as u64;
            left
        }
        Mode::Copy => keys,
    };
    if left.is_empty() {
        return Ok(result);
    }
    let mut dumps = redis::pipe();
    for k in &left {
        dumps.cmd("DUMP").arg(k.as_slice());
    }
    let (src, dst) = futures::try_join!(s.source.pipeline(&dumps), tnode.pipeline(&dumps))?;
    let mut delete = Vec::new();
    let mut retry = Vec::new();
    for ((k, a), b) in left.into_iter().zip(src).zip(dst) {
        let same = match (a?, b?) {
            (Value::Nil, _) => continue, // gone from the source meanwhile (expired)
            (_, Value::Nil) => {
                retry.push(k); // not on the target: another error; one more try
                continue;
            }
            (a, b) if a == b => true,
            // Hash-table encoded hashes and sets serialize in each server's own
            // (randomly seeded) order: compare their contents instead.
            _ => same_contents(&s.source, tnode, &k, false, false).await?,
        };
        if same {
            result.identical += 1;
            if s.mode == Mode::Move {
                delete.push(k);
            }
        } else {
            result.conflicts.push(Conflict {
                key: String::from_utf8_lossy(&k).into_owned(),
                target: target.label.clone(),
            });
        }
    }
    if !delete.is_empty() {
        let mut pipe = redis::pipe();
        for k in &delete {
            pipe.cmd("DEL").arg(k.as_slice());
        }
        for r in s.source.pipeline(&pipe).await? {
            r?;
        }
    }
    for k in retry {
        let one = std::slice::from_ref(&k);
        match s
            .source
            .migrate(&migrate_args(s, target), one, s.opts.reply_timeout)
            .await
        {
            Ok(MigrateReply::NoKey) => {}
            Ok(MigrateReply::Ok) => result.moved += 1,
            Err(e) if busy_key(&e) => result.conflicts.push(Conflict {
                key: String::from_utf8_lossy(&k).into_owned(),
                target: target.label.clone(),
            }),
            Err(e) => return Err(migrate_failed(target, &e)),
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::NodeErrorKind;

    #[test]
    fn reads_the_target_code() {
        let e = NodeError::new(
            "src",
            NodeErrorKind::from_reply(
                "ERR",
                "Target instance replied with error: BUSYKEY Target key name already exists.",
            ),
        );
        assert!(busy_key(&e));
        let io = NodeError::new(
            "src",
            NodeErrorKind::from_reply("IOERR", "error or timeout connecting to the client"),
        );
        assert!(!busy_key(&io));
    }

    #[test]
    fn conflicts_are_listed_briefly() {
        let c: Vec<Conflict> = (0..12)
            .map(|i| Conflict {
                key: format!("k{i}"),
                target: "n".into(),
            })
            .collect();
        let msg = ImportError::Conflicts(c).to_string();
        assert!(msg.starts_with("12 key(s)"));
        assert!(msg.contains("k9 (on n)"));
        assert!(msg.contains("and 2 more"));
        assert!(!msg.contains("k10"));
    }
}
