//! Atomic slot migration (Valkey 9 `CLUSTER MIGRATESLOTS`): the source streams whole slot
//! ranges to the target and hands them over in one step, so no slot is ever half moved.
//!
//! Used by [`super::migrate`] when every master the plan involves has the
//! command. Per source, one `CLUSTER MIGRATESLOTS SLOTSRANGE a b [c d …] NODE <target>
//! [SLOTSRANGE … NODE …]` starts one job per target; `CLUSTER GETSLOTMIGRATIONS` on the
//! source is polled until every job of ours is `success` (or `failed`/`cancelled`).
//! A job that makes no visible progress for the stall timeout is cancelled
//! (`CLUSTER CANCELSLOTMIGRATIONS`, which cancels every migration the source runs).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future::join_all;
use redis::Value;

use super::{MigrateError, MigrateOptions, WATCH_EVERY};
use crate::cluster::Node;
use crate::model::NodeId;
use crate::ops::Reporter;
use crate::ops::scan::keys_per_slot;

/// Pause between two polls of `CLUSTER GETSLOTMIGRATIONS`.
const POLL: Duration = Duration::from_millis(30);
/// A job not listed by the source this long after it was started counts as done when
/// the source's slot map says so (the log of finished jobs is bounded).
const UNLISTED_GRACE: Duration = Duration::from_secs(2);

/// Whether every master in `ids` has `CLUSTER MIGRATESLOTS` (and, when trib connects
/// with a password, has `primaryauth` set, which the source uses to reach the target).
pub async fn supported(
    masters: &BTreeMap<NodeId, Node>,
    ids: &BTreeSet<NodeId>,
    opts: &MigrateOptions,
) -> bool {
    let checks = ids.iter().map(|id| async move {
        let Some(node) = masters.get(id) else {
            return false;
        };
        // Servers without it (Redis 5–8, Valkey < 9) answer `COMMAND INFO` with `[nil]`.
        let has = node
            .has_command("CLUSTER|MIGRATESLOTS")
            .await
            .unwrap_or(false);
        if !has || opts.password.is_none() {
            return has;
        }
        let set = match node.config_get("primaryauth").await {
            Ok(Some(v)) => !is_empty_string(&v),
            _ => false,
        };
        if !set {
            tracing::debug!(
                "{}: primaryauth is not set; atomic migration could not authenticate",
                node.label
            );
        }
        set
    });
    !ids.is_empty() && join_all(checks).await.into_iter().all(|ok| ok)
}

fn is_empty_string(v: &Value) -> bool {
    match v {
        Value::BulkString(b) => b.is_empty(),
        Value::SimpleString(s) => s.is_empty(),
        Value::Nil => true,
        _ => false,
    }
}

/// Whether no target holds keys in the slots it is to import (leftovers the classic
/// path resolves key by key: `--replace`, identical copies, or an error naming them;
/// an atomic import into such slots fails).
pub async fn targets_clean(
    masters: &BTreeMap<NodeId, Node>,
    pairs: &BTreeMap<(NodeId, NodeId), Vec<u16>>,
) -> bool {
    let mut per_target: BTreeMap<&NodeId, Vec<u16>> = BTreeMap::new();
    for ((_, to), slots) in pairs {
        per_target.entry(to).or_default().extend(slots);
    }
    let checks = per_target.into_iter().map(|(to, slots)| async move {
        let Some(node) = masters.get(to) else {
            return false;
        };
        match keys_per_slot(node, &slots).await {
            Ok(found) => {
                let clean = found.is_empty();
                if !clean {
                    tracing::debug!(
                        "{}: holds keys in slots it is to import; using the classic path",
                        node.label
                    );
                }
                clean
            }
            Err(_) => false,
        }
    });
    join_all(checks).await.into_iter().all(|ok| ok)
}

/// One row of `CLUSTER GETSLOTMIGRATIONS`.
#[derive(Clone, Debug, Default, PartialEq)]
struct Job {
    name: String,
    operation: String,
    target: String,
    state: String,
    message: String,
    last_update: String,
    last_ack: String,
}

impl Job {
    fn terminal(&self) -> bool {
        matches!(self.state.as_str(), "success" | "failed" | "cancelled")
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::VerbatimString { text, .. } => text.clone(),
        Value::Int(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Parses the reply of `CLUSTER GETSLOTMIGRATIONS` (RESP2 flat pairs or RESP3 maps).
fn parse_jobs(v: &Value) -> Vec<Job> {
    let Value::Array(items) = v else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| {
            let pairs: Vec<(String, String)> = match item {
                Value::Array(kv) => kv
                    .chunks(2)
                    .filter(|c| c.len() == 2)
                    .map(|c| (text(&c[0]), text(&c[1])))
                    .collect(),
                Value::Map(m) => m.iter().map(|(k, v)| (text(k), text(v))).collect(),
                _ => Vec::new(),
            };
            let mut job = Job::default();
            for (k, v) in pairs {
                match k.as_str() {
                    "name" | "link_name" => job.name = v,
                    "operation" => job.operation = v,
                    "target_node" => job.target = v,
                    "state" => job.state = v,
                    "message" => job.message = v,
                    "last_update_time" => job.last_update = v,
                    "last_ack_time" => job.last_ack = v,
                    _ => {}
                }
            }
            job
        })
        .collect()
}

async fn list_jobs(node: &Node) -> Result<Vec<Job>, MigrateError> {
    let v = node.slot_migrations().await?;
    Ok(parse_jobs(&v))
}

/// Contiguous ranges of `slots` (sorted, deduplicated).
fn ranges(slots: &[u16]) -> Vec<(u16, u16)> {
    let set: BTreeSet<u16> = slots.iter().copied().collect();
    let mut out: Vec<(u16, u16)> = Vec::new();
    for s in set {
        match out.last_mut() {
            Some((_, end)) if *end + 1 == s => *end = s,
            _ => out.push((s, s)),
        }
    }
    out
}

/// What the atomic path did.
pub struct AtomicOutcome {
    pub slots: usize,
    /// Keys in the moved slots, counted on the sources just before the move.
    pub keys: u64,
}

/// Moves every (source, target) group of `pairs` with `CLUSTER MIGRATESLOTS` and waits
/// until each job succeeded. Does not wait for the cluster to converge.
pub async fn run(
    masters: &BTreeMap<NodeId, Node>,
    pairs: &BTreeMap<(NodeId, NodeId), Vec<u16>>,
    opts: &MigrateOptions,
    reporter: &dyn Reporter,
) -> Result<AtomicOutcome, MigrateError> {
    let mut by_source: BTreeMap<&NodeId, Vec<(&NodeId, &[u16])>> = BTreeMap::new();
    for ((from, to), slots) in pairs {
        by_source
            .entry(from)
            .or_default()
            .push((to, slots.as_slice()));
    }
    let total: usize = pairs.values().map(Vec::len).sum();
    let done = AtomicUsize::new(0);
    reporter.step(&format!(
        "Moving {total} slot(s) between {} pair(s) of masters with atomic slot migration (CLUSTER MIGRATESLOTS)",
        pairs.len()
    ));
    reporter.progress("moving slots", 0, total, "starting migration jobs");
    let results = join_all(by_source.iter().map(|(from, targets)| {
        let done = &done;
        async move {
            let Some(source) = masters.get(*from) else {
                return Err(MigrateError::Other(format!(
                    "no connection to master {}",
                    from.short()
                )));
            };
            run_source(source, masters, targets, opts, reporter, done, total).await
        }
    }))
    .await;
    reporter.progress(
        "moving slots",
        done.load(Ordering::Relaxed),
        total,
        "migration jobs finished",
    );
    reporter.finish("");
    let mut keys = 0;
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(k) => keys += k,
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(MigrateError::Other(errors.join("\n")));
    }
    Ok(AtomicOutcome {
        slots: done.load(Ordering::Relaxed),
        keys,
    })
}

/// Starts the jobs of one source and waits for them. Returns the keys counted before.
async fn run_source(
    source: &Node,
    masters: &BTreeMap<NodeId, Node>,
    targets: &[(&NodeId, &[u16])],
    opts: &MigrateOptions,
    reporter: &dyn Reporter,
    done: &AtomicUsize,
    total: usize,
) -> Result<u64, MigrateError> {
    let label = |id: &NodeId| {
        masters
            .get(id)
            .map(|n| n.label.clone())
            .unwrap_or_else(|| id.short().to_string())
    };
    // Key count (for the report only: a count that fails is 0) and the jobs already
    // known, to tell ours apart.
    let moving: Vec<u16> = targets
        .iter()
        .flat_map(|(_, s)| s.iter().copied())
        .collect();
    let keys: u64 = keys_per_slot(source, &moving)
        .await
        .map_or(0, |found| found.iter().map(|(_, n)| n).sum());
    let before: BTreeSet<String> = list_jobs(source)
        .await?
        .into_iter()
        .map(|j| j.name)
        .collect();

    let jobs: Vec<(&NodeId, Vec<(u16, u16)>)> = targets
        .iter()
        .map(|(to, slots)| (*to, ranges(slots)))
        .collect();
    source.migrate_slots(&jobs).await.map_err(|e| {
        MigrateError::Other(format!(
            "{}: CLUSTER MIGRATESLOTS was refused: {}; nothing was moved from it",
            source.label,
            e.reason()
        ))
    })?;
    let started = Instant::now();

    // Per target: its job once seen, and whether it finished.
    let mut finished: BTreeMap<&NodeId, bool> = targets.iter().map(|(t, _)| (*t, false)).collect();
    let mut last_seen: Vec<Job> = Vec::new();
    let mut last_change = Instant::now();
    let mut last_ping = Instant::now();
    let mut failures: Vec<String> = Vec::new();
    loop {
        let jobs: Vec<Job> = list_jobs(source)
            .await?
            .into_iter()
            .filter(|j| j.operation.eq_ignore_ascii_case("EXPORT") && !before.contains(&j.name))
            .collect();
        if jobs != last_seen {
            last_change = Instant::now();
            last_seen = jobs.clone();
        }
        let mut unlisted = Vec::new();
        for (to, slots) in targets {
            if finished.get(to).copied().unwrap_or(true) {
                continue;
            }
            match jobs.iter().find(|j| j.target == to.as_str()) {
                Some(j) if j.terminal() => {
                    finished.insert(to, true);
                    if j.state == "success" {
                        done.fetch_add(slots.len(), Ordering::Relaxed);
                    } else {
                        let mut why = if j.message.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", j.message)
                        };
                        // The target usually knows better why.
                        if let Some(t) = masters.get(*to)
                            && let Ok(theirs) = list_jobs(t).await
                            && let Some(tj) = theirs.iter().find(|x| x.name == j.name)
                            && !tj.message.is_empty()
                        {
                            why.push_str(&format!("; {} says: {}", t.label, tj.message));
                        }
                        failures.push(format!(
                            "{} -> {}: atomic slot migration job {} {}{why}; its slots stay on {}",
                            source.label,
                            label(to),
                            j.name,
                            j.state,
                            source.label
                        ));
                    }
                }
                Some(_) => {}
                None => unlisted.push((*to, *slots)),
            }
        }
        // A job missing from the log (pruned, or finished before we looked): trust the
        // source's slot map once it shows the slots on the target.
        if !unlisted.is_empty() && started.elapsed() >= UNLISTED_GRACE {
            let entries = source.cluster_nodes().await?;
            for (to, slots) in unlisted {
                let owned = entries
                    .iter()
                    .find(|e| e.id == *to)
                    .is_some_and(|e| slots.iter().all(|s| e.slots.contains(*s)));
                if owned {
                    finished.insert(to, true);
                    done.fetch_add(slots.len(), Ordering::Relaxed);
                }
            }
        }
        let states: Vec<String> = jobs
            .iter()
            .filter(|j| !j.terminal())
            .map(|j| format!("{} {}", label_of(masters, &j.target), j.state))
            .collect();
        reporter.progress(
            "moving slots",
            done.load(Ordering::Relaxed),
            total,
            &if states.is_empty() {
                String::new()
            } else {
                format!("{}: {}", source.label, states.join(", "))
            },
        );
        if finished.values().all(|f| *f) {
            break;
        }
        // The source waits on a frozen target for its own long timeouts, and its job
        // list shows nothing wrong meanwhile: ask the pending targets directly.
        if last_ping.elapsed() >= WATCH_EVERY {
            last_ping = Instant::now();
            if let Some(why) = silent_target(&finished, masters).await {
                let _ = source.cancel_slot_migrations().await;
                failures.push(format!(
                    "{why}; cancelled the atomic slot migration from {} (CLUSTER CANCELSLOTMIGRATIONS); the slots not yet handed over stay on {}",
                    source.label, source.label
                ));
                break;
            }
        }
        if last_change.elapsed() >= opts.migrate_timeout {
            let _ = source.cancel_slot_migrations().await;
            let pending: Vec<String> = finished
                .iter()
                .filter(|(_, f)| !**f)
                .map(|(t, _)| label(t))
                .collect();
            failures.push(format!(
                "{}: atomic slot migration to {} made no progress for {}s; cancelled it (CLUSTER CANCELSLOTMIGRATIONS); its slots stay on {}",
                source.label,
                pending.join(", "),
                opts.migrate_timeout.as_secs(),
                source.label
            ));
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    if failures.is_empty() {
        Ok(keys)
    } else {
        Err(MigrateError::Other(failures.join("\n")))
    }
}

/// The first pending target that does not answer `PING` within the command timeout
/// (unreachable, as the classic path's watch judges it; a busy reply is an answer),
/// with the reason.
async fn silent_target(
    finished: &BTreeMap<&NodeId, bool>,
    masters: &BTreeMap<NodeId, Node>,
) -> Option<String> {
    let pending = finished
        .iter()
        .filter(|(_, f)| !**f)
        .filter_map(|(t, _)| masters.get(*t));
    let pings = join_all(pending.map(|t| async move {
        match t.ping().await {
            Err(e) if e.is_unreachable() => Some(format!(
                "{}: the target does not answer ({})",
                t.label,
                e.reason()
            )),
            _ => None,
        }
    }))
    .await;
    pings.into_iter().flatten().next()
}

fn label_of(masters: &BTreeMap<NodeId, Node>, id: &str) -> String {
    masters
        .iter()
        .find(|(k, _)| k.as_str() == id)
        .map(|(_, n)| n.label.clone())
        .unwrap_or_else(|| id.chars().take(8).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn ranges_merge_contiguous_slots() {
        assert_eq!(
            ranges(&[5, 1, 2, 3, 7, 6, 100]),
            vec![(1, 3), (5, 7), (100, 100)]
        );
        assert!(ranges(&[]).is_empty());
    }

    #[test]
    fn parses_resp2_jobs() {
        let v = Value::Array(vec![Value::Array(vec![
            bulk("name"),
            bulk("ab"),
            bulk("operation"),
            bulk("EXPORT"),
            bulk("target_node"),
            bulk("t1"),
            bulk("state"),
            bulk("failed"),
            bulk("message"),
            bulk("boom"),
            bulk("create_time"),
            Value::Int(5),
        ])]);
        let jobs = parse_jobs(&v);
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].name, "ab");
        assert_eq!(jobs[0].target, "t1");
        assert!(jobs[0].terminal());
        assert_eq!(jobs[0].message, "boom");
    }

    #[test]
    fn parses_resp3_jobs() {
        let v = Value::Array(vec![Value::Map(vec![
            (bulk("name"), bulk("cd")),
            (bulk("state"), bulk("snapshotting")),
        ])]);
        let jobs = parse_jobs(&v);
        assert_eq!(jobs[0].name, "cd");
        assert!(!jobs[0].terminal());
    }
}
