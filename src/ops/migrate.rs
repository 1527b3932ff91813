//! The slot-migration engine: moves slots and their keys between masters.
//!
//! Per slot the protocol is the one Redis Cluster defines (`CLUSTER SETSLOT s IMPORTING`
//! on the target, `SETSLOT s MIGRATING` on the source, `GETKEYSINSLOT` + `MIGRATE … KEYS`
//! until the slot is empty, then `SETSLOT s NODE` on the target, the source and every
//! other master). What makes it fast:
//!
//! * slots are handled in windows: the state changes of a whole window are one pipeline
//!   per node (so thousands of empty slots take a handful of round trips), and the next
//!   window is opened while the keys of the current one move;
//! * the `MIGRATE` commands of every slot of a window are in flight at once, each with as
//!   many keys as the batch size, which grows while batches succeed and shrinks on
//!   `IOERR`/timeouts (big keys);
//! * different (source, target) pairs run concurrently.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::join_all;
use redis::Value;
use serde::Serialize;
use thiserror::Error;

use super::Reporter;
use super::compare::same_contents;
use super::wait::{Converged, WaitTimeout, slot_owners, wait_converged, wait_epochs_settled};
use crate::cluster::commands::{cmd, count_of, keys_of};
use crate::cluster::load::entry_addr;
use crate::cluster::{
    ConnectOptions, Migrate, MigrateAuth, Node, NodeError, NodeErrorKind, Secret, ServerError,
    SetSlot,
};
use crate::model::{NodeId, SlotSet};
use crate::plan::migration::MigrationPlan;

/// First batch size when sizing adaptively.
const BATCH_START: usize = 100;
/// Largest adaptive batch.
const BATCH_MAX: usize = 4000;
/// A batch round faster than this lets the batch grow.
const GROW_BELOW: Duration = Duration::from_millis(300);
/// Most slots opened at once per (source, target) pair.
const WINDOW_SLOTS: usize = 1024;
/// A window stops growing once its slots hold this many keys (by a count taken before
/// opening them), so few slots stay open while many keys move.
const WINDOW_KEYS: u64 = 20_000;
/// Consecutive IOERR/timeouts tolerated per slot before giving up.
const MAX_IO_RETRIES: u32 = 6;
/// `MIGRATE` commands in flight per (source, target) pair. The source runs them one after
/// the other anyway (a few queued keep it busy between round trips); few, because every
/// one sent to a frozen target blocks the source for the whole I/O timeout, also after
/// trib gave up.
const MIGRATES_IN_FLIGHT: usize = 4;
/// While keys move, the target is pinged this often (when a round lasts that long): a
/// frozen or dead target stops the move within about the command timeout instead of
/// leaving the sources blocked in `MIGRATE` round after round.
pub(super) const WATCH_EVERY: Duration = Duration::from_secs(1);
/// How much longer than its I/O timeout trib waits for a `MIGRATE` reply before it calls
/// the source unresponsive (frozen or down): a live source answers within the I/O
/// timeout, with `IOERR` if the target stalled.
const REPLY_GRACE: Duration = Duration::from_secs(5);
/// First I/O timeout given to `MIGRATE`; it doubles on every `IOERR` (up to
/// [`MigrateOptions::io_timeout`]) and shrinks back after rounds without one. A batch of
/// small keys needs milliseconds; the source is blocked while it waits, so a frozen
/// target stalls it only this long per `MIGRATE` sent.
const IO_TIMEOUT_START: Duration = Duration::from_secs(2);

/// How to move keys.
#[derive(Clone, Debug)]
pub struct MigrateOptions {
    /// Keys per `MIGRATE … KEYS` batch; `None` sizes batches adaptively.
    pub batch: Option<usize>,
    /// Overwrite keys that already exist on the target (`MIGRATE … REPLACE`).
    pub replace: bool,
    /// Classic path: the largest I/O timeout passed to `MIGRATE` (big keys). It starts at
    /// [`IO_TIMEOUT_START`] and doubles on each `IOERR` while the target still answers:
    /// the source is blocked while it waits, so a frozen target must not stall it for
    /// the full timeout of every `MIGRATE` in flight.
    pub io_timeout: Duration,
    /// Atomic path: how long a job may show no progress.
    pub migrate_timeout: Duration,
    /// Deadline for the cluster to agree on the new slot map after the last move.
    pub converge_timeout: Duration,
    /// ACL user the source uses to authenticate to the target (`MIGRATE … AUTH2`).
    pub user: Option<String>,
    /// Password the source uses to authenticate to the target (`MIGRATE … AUTH`/`AUTH2`).
    pub password: Option<Secret>,
    /// Use atomic slot migration (Valkey 9 `CLUSTER MIGRATESLOTS`) when every master
    /// involved supports it; `false` forces the classic SETSLOT/MIGRATE path.
    pub atomic: bool,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            batch: None,
            replace: false,
            io_timeout: Duration::from_secs(60),
            migrate_timeout: Duration::from_secs(60),
            converge_timeout: Duration::from_secs(60),
            user: None,
            password: None,
            atomic: true,
        }
    }
}

impl MigrateOptions {
    /// The same options with the credentials trib connects with, which `MIGRATE` passes
    /// on to the target.
    pub fn with_credentials(mut self, connect: &ConnectOptions) -> MigrateOptions {
        self.user = connect.user.clone();
        self.password = connect.password.clone();
        self
    }
}

/// How the slots were moved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// `CLUSTER SETSLOT` + `MIGRATE`, slot by slot.
    #[default]
    Classic,
    /// Server-side atomic slot migration (`CLUSTER MIGRATESLOTS`).
    Atomic,
}

/// What a migration did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MigrationReport {
    /// `classic` or `atomic`.
    pub method: Method,
    /// Classic: keys moved by `MIGRATE`. Atomic: keys in the moved slots, counted on the
    /// sources just before the move.
    pub slots_moved: usize,
    pub keys_moved: u64,
    pub elapsed_ms: u128,
    /// Of `elapsed_ms`: waiting for every node to agree on the new slot map.
    pub converge_ms: u128,
    /// Largest `MIGRATE` batch used (keys).
    pub max_batch: usize,
    /// Keys whose identical copy already was on the target (source copy deleted).
    pub identical_keys: u64,
}

#[derive(Debug, Error)]
pub enum MigrateError {
    #[error(transparent)]
    Node(#[from] NodeError),
    /// Keys exist on both sides with different values (and no `--replace`).
    #[error("slot {slot}: {} key(s) already exist on {target} with different values, e.g. {}; use --replace to overwrite them", keys.len(), keys.first().map(String::as_str).unwrap_or("?"))]
    BusyKeys {
        slot: u16,
        target: String,
        keys: Vec<String>,
    },
    #[error("{0}")]
    Other(String),
}

/// Shared counters of one migration, for progress and the report.
struct Progress<'a> {
    reporter: &'a dyn Reporter,
    total: usize,
    slots: AtomicUsize,
    keys: AtomicU64,
    identical: AtomicU64,
    max_batch: AtomicUsize,
    start: Instant,
    abort: AtomicBool,
    last: Mutex<Option<Instant>>,
}

impl Progress<'_> {
    fn report(&self, force: bool) {
        if let Ok(mut last) = self.last.lock() {
            if !force && last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
                return;
            }
            *last = Some(Instant::now());
        }
        let done = self.slots.load(Ordering::Relaxed);
        let keys = self.keys.load(Ordering::Relaxed);
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        let rate = keys as f64 / secs;
        let eta = if done > 0 && done < self.total {
            let left = secs * (self.total - done) as f64 / done as f64;
            format!(", ETA {left:.0}s")
        } else {
            String::new()
        };
        self.reporter.progress(
            "moving slots",
            done,
            self.total,
            &format!("{keys} keys moved, {rate:.0} keys/s{eta}"),
        );
    }
}

/// Where the source reaches the target, and how MIGRATE is built.
struct Route<'a> {
    source: &'a Node,
    target: &'a Node,
    host: String,
    port: u16,
    opts: &'a MigrateOptions,
    /// Pass the ACL user (`AUTH2`): both ends run Redis ≥ 6 (see [`migrate_auth2`]).
    auth2: bool,
}

/// Whether `MIGRATE … AUTH2 user password` may be used between servers of these versions:
/// AUTH2 and ACL users came with Redis 6.0. Redis 5 answers AUTH2 with a syntax error and
/// has no users (trib's own connections to it fall back to `AUTH password`), so the
/// password alone (`AUTH`) is passed when either end is older. Unknown versions count as
/// recent.
pub fn migrate_auth2(versions: &[Option<(u32, u32, u32)>]) -> bool {
    versions.iter().flatten().all(|v| *v >= (6, 0, 0))
}

/// The server's version from `INFO server`; `None` when it cannot be read.
async fn server_version(node: &Node) -> Option<(u32, u32, u32)> {
    node.info(&["server"]).await.ok()?.version()
}

/// Moves every slot of `plan`, keys included, then waits until every node in `all`
/// agrees on the new owners. `masters` maps every master's ID to its connection.
pub async fn migrate(
    masters: &BTreeMap<NodeId, Node>,
    all: &[Node],
    plan: &MigrationPlan,
    opts: &MigrateOptions,
    reporter: &dyn Reporter,
) -> Result<MigrationReport, MigrateError> {
    let start = Instant::now();
    // Group by pair, keeping the plan's order within each pair.
    let mut pairs: BTreeMap<(NodeId, NodeId), Vec<u16>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for m in &plan.moves {
        if m.from == m.to {
            return Err(MigrateError::Other(format!(
                "slot {}: source and target are the same node {}",
                m.slot,
                m.from.short()
            )));
        }
        if !seen.insert(m.slot) {
            return Err(MigrateError::Other(format!(
                "slot {} appears twice in the plan",
                m.slot
            )));
        }
        for id in [&m.from, &m.to] {
            if !masters.contains_key(id) {
                return Err(MigrateError::Other(format!(
                    "slot {}: no connection to master {}",
                    m.slot,
                    id.short()
                )));
            }
        }
        pairs
            .entry((m.from.clone(), m.to.clone()))
            .or_default()
            .push(m.slot);
    }
    // Every target bumps its config epoch above all the others it knows when it claims
    // its slots: that keeps its claim only while no source's epoch moves meanwhile (see
    // `wait::epoch_disorder`). A previous move's concurrent bumps may still be colliding.
    if !pairs.is_empty() {
        let sources: BTreeSet<NodeId> = pairs.keys().map(|(from, _)| from.clone()).collect();
        if let Err(e) = wait_epochs_settled(all, &sources, opts.converge_timeout, reporter).await {
            return Err(MigrateError::Other(format!(
                "{e}; nothing was moved (Redis settles config epochs through gossip: try again once `trib check` passes)"
            )));
        }
    }
    if opts.atomic && !pairs.is_empty() {
        let ids: BTreeSet<NodeId> = pairs
            .keys()
            .flat_map(|(a, b)| [a.clone(), b.clone()])
            .collect();
        if super::migrate_atomic::supported(masters, &ids, opts).await
            && super::migrate_atomic::targets_clean(masters, &pairs).await
        {
            let done = super::migrate_atomic::run(masters, &pairs, opts, reporter).await?;
            let converge_start = Instant::now();
            converge(masters, all, plan, opts, reporter).await?;
            return Ok(MigrationReport {
                method: Method::Atomic,
                slots_moved: done.slots,
                keys_moved: done.keys,
                elapsed_ms: start.elapsed().as_millis(),
                converge_ms: converge_start.elapsed().as_millis(),
                max_batch: 0,
                identical_keys: 0,
            });
        }
    }
    let progress = Progress {
        reporter,
        total: plan.moves.len(),
        slots: AtomicUsize::new(0),
        keys: AtomicU64::new(0),
        identical: AtomicU64::new(0),
        max_batch: AtomicUsize::new(0),
        start,
        abort: AtomicBool::new(false),
        last: Mutex::new(None),
    };
    if !plan.moves.is_empty() {
        reporter.step(&format!(
            "Moving {} slot(s) between {} pair(s) of masters",
            plan.moves.len(),
            pairs.len()
        ));
        progress.report(true);
    }

    let results = join_all(pairs.iter().map(|((from, to), slots)| {
        let progress = &progress;
        async move {
            let (Some(source), Some(target)) = (masters.get(from), masters.get(to)) else {
                return Err(MigrateError::Other("no connection".into()));
            };
            let others: Vec<&Node> = masters
                .iter()
                .filter(|(id, _)| *id != from && *id != to)
                .map(|(_, n)| n)
                .collect();
            let r = move_pair(source, from, target, to, &others, slots, opts, progress).await;
            if r.is_err() {
                progress.abort.store(true, Ordering::Relaxed);
            }
            r
        }
    }))
    .await;
    progress.report(true);
    reporter.finish("");
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|e| e.to_string()))
        .collect();
    if let Some(first) = results.into_iter().find_map(Result::err) {
        if errors.len() == 1 {
            return Err(first);
        }
        return Err(MigrateError::Other(errors.join("\n")));
    }

    let converge_start = Instant::now();
    converge(masters, all, plan, opts, reporter).await?;
    Ok(MigrationReport {
        method: Method::Classic,
        slots_moved: progress.slots.load(Ordering::Relaxed),
        keys_moved: progress.keys.load(Ordering::Relaxed),
        elapsed_ms: start.elapsed().as_millis(),
        converge_ms: converge_start.elapsed().as_millis(),
        max_batch: progress.max_batch.load(Ordering::Relaxed),
        identical_keys: progress.identical.load(Ordering::Relaxed),
    })
}

/// Waits until every node agrees on the new slot map, then checks the planned owners.
async fn converge(
    masters: &BTreeMap<NodeId, Node>,
    all: &[Node],
    plan: &MigrationPlan,
    opts: &MigrateOptions,
    reporter: &dyn Reporter,
) -> Result<(), MigrateError> {
    if plan.moves.is_empty() {
        return Ok(());
    }
    let ids: BTreeSet<NodeId> = masters.keys().cloned().collect();
    let what = "every node to agree on the new slot map";
    let want = Converged {
        slots_agree: true,
        state_ok: false,
    };
    // A node that died or froze after its part of the move never agrees (and the others
    // flag it failing): after two silent looks in a row, stop and name it instead of
    // waiting out the whole timeout.
    let deadline = Instant::now() + opts.converge_timeout;
    let mut silent_before: BTreeSet<String> = BTreeSet::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match wait_converged(all, &ids, want, what, left.min(SILENT_LOOK), reporter).await {
            Ok(_) => break,
            Err(e) if Instant::now() >= deadline => {
                // The whole wait, not the last look.
                let e = WaitTimeout {
                    secs: opts.converge_timeout.as_secs_f64(),
                    ..e
                };
                return Err(MigrateError::Other(e.to_string()));
            }
            Err(_) => {
                let answers =
                    join_all(all.iter().map(|n| async move {
                        (n.label.clone(), n.cluster_nodes().await.is_ok())
                    }))
                    .await;
                let silent: BTreeSet<String> = answers
                    .into_iter()
                    .filter(|(_, ok)| !ok)
                    .map(|(l, _)| l)
                    .collect();
                let still: Vec<String> = silent.intersection(&silent_before).cloned().collect();
                if !still.is_empty() {
                    return Err(MigrateError::Other(format!(
                        "{} stopped answering while the cluster took the new slot map: the slots were moved; run `trib check`, and `trib fix` once it is back",
                        still.join(", ")
                    )));
                }
                silent_before = silent;
                // A master whose view lost a moved slot to an old owner never learns better
                // from gossip once nobody claims it: tell the laggards again (releases
                // first, then the owner after a bump), as `fix` does.
                let wanted: Vec<(u16, &NodeId)> =
                    plan.moves.iter().map(|m| (m.slot, &m.to)).collect();
                let told = super::slot_owner::nudge(masters, &wanted).await;
                if told > 0 {
                    tracing::info!("slot map not agreed yet: {told} SETSLOT NODE sent again");
                }
            }
        }
    }
    verify_owners(all, plan).await
}

/// Checks, on the first node that answers, that every moved slot has its planned owner.
async fn verify_owners(all: &[Node], plan: &MigrationPlan) -> Result<(), MigrateError> {
    for n in all {
        let Ok(entries) = n.cluster_nodes().await else {
            continue;
        };
        let owners = slot_owners(&entries);
        let wrong: Vec<String> = plan
            .moves
            .iter()
            .filter(|m| {
                !owners
                    .iter()
                    .any(|(id, slots)| **id == m.to && slots.contains(m.slot))
            })
            .map(|m| m.slot.to_string())
            .take(8)
            .collect();
        if !wrong.is_empty() {
            return Err(MigrateError::Other(format!(
                "{}: slots {} do not have their planned owner after the move",
                n.label,
                wrong.join(",")
            )));
        }
        return Ok(());
    }
    Err(MigrateError::Other(
        "no node answered to verify the new slot map".into(),
    ))
}

/// The address the source uses for the target: the target's announced address in the
/// source's view, else the address trib reached it at.
async fn route<'a>(
    source: &'a Node,
    target: &'a Node,
    target_id: Option<&NodeId>,
    opts: &'a MigrateOptions,
) -> Result<Route<'a>, MigrateError> {
    let id = match target_id {
        Some(id) => id.clone(),
        None => target.myid().await?,
    };
    let entries = source.cluster_nodes().await?;
    let auth2 = if opts.user.is_some() && opts.password.is_some() {
        let (a, b) = futures::join!(server_version(source), server_version(target));
        migrate_auth2(&[a, b])
    } else {
        false
    };
    let addr: SocketAddr = entries
        .iter()
        .find(|e| e.id == id)
        .and_then(entry_addr)
        .unwrap_or(target.addr);
    Ok(Route {
        source,
        target,
        host: addr.ip().to_string(),
        port: addr.port(),
        opts,
        auth2,
    })
}

/// Moves the slots of one (source, target) pair, window by window, opening the next
/// window while the keys of the current one move.
#[allow(clippy::too_many_arguments)]
async fn move_pair(
    source: &Node,
    source_id: &NodeId,
    target: &Node,
    target_id: &NodeId,
    others: &[&Node],
    slots: &[u16],
    opts: &MigrateOptions,
    progress: &Progress<'_>,
) -> Result<(), MigrateError> {
    let route = route(source, target, Some(target_id), opts).await?;
    let mut batch = Batch::new(opts);

    // Keys per slot before opening anything, to cut windows (an estimate: keys may come
    // and go until the slot is MIGRATING; the real keys are listed after that).
    let mut pipe = redis::pipe();
    for s in slots {
        pipe.add_command(cmd::countkeysinslot(*s));
    }
    let counts: Vec<u64> = source
        .pipeline(&pipe)
        .await?
        .into_iter()
        .map(|r| r.map_or(0, |v| count_of(&v)))
        .collect();
    // Slots without keys change owner directly; a key written meanwhile makes the source
    // refuse, and that slot takes the full path below.
    let empty: Vec<u16> = slots
        .iter()
        .zip(&counts)
        .filter(|(_, c)| **c == 0)
        .map(|(s, _)| *s)
        .collect();
    let refused = if empty.is_empty() {
        Vec::new()
    } else {
        let refused = move_empty_slots(&route, target_id, others, &empty).await?;
        if !refused.is_empty() {
            tracing::info!(
                "{} -> {}: {} empty slot(s) got keys meanwhile; moving them with their keys",
                source.label,
                target.label,
                refused.len()
            );
        }
        progress
            .slots
            .fetch_add(empty.len() - refused.len(), Ordering::Relaxed);
        progress.report(false);
        refused
    };
    let (slots, counts): (Vec<u16>, Vec<u64>) = slots
        .iter()
        .zip(&counts)
        .filter(|(s, c)| **c > 0 || refused.contains(s))
        .map(|(s, c)| (*s, *c))
        .unzip();
    let slots = &slots[..];
    // As many windows as the key and slot limits ask for, of about equal key counts.
    let total_keys: u64 = counts.iter().sum();
    let n = (total_keys.div_ceil(WINDOW_KEYS) as usize)
        .max(slots.len().div_ceil(WINDOW_SLOTS))
        .max(1);
    let per_window = total_keys.div_ceil(n as u64).max(1);
    let mut windows: Vec<&[u16]> = Vec::new();
    let mut begin = 0;
    let mut keys = 0u64;
    for (i, c) in counts.iter().enumerate() {
        keys += c;
        if i + 1 - begin >= WINDOW_SLOTS || keys >= per_window {
            windows.push(&slots[begin..=i]);
            begin = i + 1;
            keys = 0;
        }
    }
    if begin < slots.len() {
        windows.push(&slots[begin..]);
    }

    let t0 = Instant::now();
    let mut opened = match windows.first() {
        Some(w) => open_window(&route, source_id, target_id, w, batch.size).await?,
        None => return Ok(()),
    };
    // Slots emptied by the previous window, given their new owner while the keys of the
    // current window move.
    let mut emptied: Vec<u16> = Vec::new();
    for i in 0..windows.len() {
        let next = windows
            .get(i + 1)
            .filter(|_| !progress.abort.load(Ordering::Relaxed));
        let current = windows[i];
        let size = batch.size;
        let finishing = std::mem::take(&mut emptied);
        let (moved, next_opened, finished) = futures::join!(
            move_window(
                &route,
                current,
                std::mem::take(&mut opened),
                &mut batch,
                progress
            ),
            async {
                match next {
                    Some(w) => Some(open_window(&route, source_id, target_id, w, size).await),
                    None => None,
                }
            },
            finish_slots(&route, target_id, others, &finishing)
        );
        tracing::debug!(
            "{} -> {}: window {i} ({} slots) moved at {:?}",
            source.label,
            target.label,
            current.len(),
            t0.elapsed()
        );
        let (done, failed) = moved;
        let mut failed = failed;
        match finished {
            Ok(()) => {
                progress.slots.fetch_add(finishing.len(), Ordering::Relaxed);
            }
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
        progress
            .max_batch
            .fetch_max(batch.max_used, Ordering::Relaxed);
        progress.report(false);
        let stop = failed.is_some() || progress.abort.load(Ordering::Relaxed);
        if let Some(result) = next_opened {
            match result {
                Ok(o) if !stop => opened = o,
                Ok(_) | Err(_) => {
                    if let Some(w) = windows.get(i + 1) {
                        rollback_window(&route, w).await;
                    }
                    if let Err(e) = result {
                        failed.get_or_insert(e);
                    }
                }
            }
        }
        // Close what can be closed, also when stopping: empty slots get their new owner.
        if failed.is_some() || progress.abort.load(Ordering::Relaxed) || next.is_none() {
            let finished = finish_slots(&route, target_id, others, &done).await;
            if finished.is_ok() {
                progress.slots.fetch_add(done.len(), Ordering::Relaxed);
            }
            progress.report(false);
            // The first error says what went wrong; a failing finish follows from it.
            return match (failed, finished) {
                (Some(e), _) | (None, Err(e)) => Err(e),
                (None, Ok(())) => Ok(()),
            };
        }
        emptied = done;
    }
    Ok(())
}

/// Keys listed per slot right after the slot was opened.
type Listed = Vec<(u16, Vec<Vec<u8>>)>;

/// Opens a window: IMPORTING on the target, then MIGRATING on the source together with
/// the first `GETKEYSINSLOT` of every slot. One pipeline per node.
async fn open_window(
    route: &Route<'_>,
    source_id: &NodeId,
    target_id: &NodeId,
    slots: &[u16],
    batch: usize,
) -> Result<Listed, MigrateError> {
    let mut pipe = redis::pipe();
    for s in slots {
        pipe.add_command(cmd::setslot(*s, SetSlot::Importing(source_id)));
    }
    if let Some(e) = route
        .target
        .pipeline(&pipe)
        .await?
        .into_iter()
        .find_map(Result::err)
    {
        rollback_window(route, slots).await;
        return Err(e.into());
    }
    let mut pipe = redis::pipe();
    for s in slots {
        pipe.add_command(cmd::setslot(*s, SetSlot::Migrating(target_id)));
        pipe.add_command(cmd::getkeysinslot(*s, batch));
    }
    let replies = match route.source.pipeline(&pipe).await {
        Ok(r) => r,
        Err(e) => {
            rollback_window(route, slots).await;
            return Err(e.into());
        }
    };
    let mut listed = Vec::with_capacity(slots.len());
    let mut replies = replies.into_iter();
    for s in slots {
        let (set, keys) = (replies.next(), replies.next());
        let err = match (set, keys) {
            (Some(Ok(_)), Some(Ok(v))) => match keys_of(v) {
                Ok(k) => {
                    listed.push((*s, k));
                    continue;
                }
                Err(e) => NodeError::new(&route.source.label, NodeErrorKind::Protocol(e)),
            },
            (Some(Err(e)), _) | (_, Some(Err(e))) => e,
            _ => NodeError::new(
                &route.source.label,
                NodeErrorKind::Protocol("missing replies".into()),
            ),
        };
        rollback_window(route, slots).await;
        return Err(err.into());
    }
    Ok(listed)
}

/// Puts the slots of a window that no key has left yet back to stable (source first, so
/// it stops redirecting to the target). Best effort.
async fn rollback_window(route: &Route<'_>, slots: &[u16]) {
    let mut pipe = redis::pipe();
    for s in slots {
        pipe.add_command(cmd::setslot(*s, SetSlot::Stable));
    }
    let _ = route.source.pipeline(&pipe).await;
    let _ = route.target.pipeline(&pipe).await;
}

/// Adaptive (or fixed) batch size, and the adaptive I/O timeout of `MIGRATE`.
struct Batch {
    size: usize,
    fixed: bool,
    max_used: usize,
    timeout: Duration,
    max_timeout: Duration,
}

impl Batch {
    fn new(opts: &MigrateOptions) -> Batch {
        let size = opts.batch.unwrap_or(BATCH_START).max(1);
        Batch {
            size,
            fixed: opts.batch.is_some(),
            max_used: 0,
            timeout: IO_TIMEOUT_START.min(opts.io_timeout),
            max_timeout: opts.io_timeout,
        }
    }

    /// A round without `IOERR`: bigger batches, and the timeout back towards its start.
    fn grow(&mut self) {
        if !self.fixed {
            self.size = (self.size * 2).min(BATCH_MAX);
        }
    }

    /// A round without `IOERR`, whether the batch grows or not.
    fn relax(&mut self) {
        self.timeout = (self.timeout / 2).max(IO_TIMEOUT_START.min(self.max_timeout));
    }

    /// An `IOERR`: smaller batches, more time for each.
    fn shrink(&mut self) {
        self.size = (self.size / 4).max(1);
        self.timeout = (self.timeout * 2).min(self.max_timeout);
    }

    /// How long trib waits for one `MIGRATE` reply.
    fn reply_deadline(&self) -> Duration {
        self.timeout + REPLY_GRACE
    }
}

/// Moves every key of the window's slots. Returns the slots now empty and, if one
/// failed, the error (the failed slot stays open: its keys are on both sides).
async fn move_window(
    route: &Route<'_>,
    slots: &[u16],
    listed: Listed,
    batch: &mut Batch,
    progress: &Progress<'_>,
) -> (Vec<u16>, Option<MigrateError>) {
    let mut failed: Option<MigrateError> = None;
    let mut failed_slots = BTreeSet::new();
    let mut retries: BTreeMap<u16, u32> = BTreeMap::new();
    let mut pending: Listed = listed.into_iter().filter(|(_, k)| !k.is_empty()).collect();
    // Slots whose last listing was empty are done; a slot listed non-empty is listed
    // again after its MIGRATE until it is empty.
    while !pending.is_empty() {
        let round = Instant::now();
        let deadline = batch.reply_deadline();
        // Set when a MIGRATE gets no reply at all: the source is frozen or down, and the
        // rest of the round is not sent (it would only queue behind).
        let stalled = AtomicBool::new(false);
        let work = futures::stream::iter(pending.iter().map(|(_, keys)| {
            let (stalled, timeout) = (&stalled, batch.timeout);
            async move {
                if stalled.load(Ordering::Relaxed) {
                    return None;
                }
                let r = migrate_keys(route, keys, timeout).await;
                if matches!(&r, Err(e) if matches!(e.kind, NodeErrorKind::Timeout(_))) {
                    stalled.store(true, Ordering::Relaxed);
                }
                Some(r)
            }
        }))
        .buffered(MIGRATES_IN_FLIGHT)
        .collect::<Vec<_>>();
        let results = tokio::select! {
            r = work => r,
            e = unresponsive(route.target) => {
                // Slots emptied earlier in this window stay open too: their keys are on a
                // target that cannot be told it owns them now.
                let open = slot_set(slots.iter().copied());
                return (Vec::new(), Some(target_gone(route, &e, &open)));
            }
        };
        if stalled.load(Ordering::Relaxed) {
            let moved: u64 = pending
                .iter()
                .zip(&results)
                .filter(|(_, r)| matches!(r, Some(Ok(()))))
                .map(|((_, k), _)| k.len() as u64)
                .sum();
            progress.keys.fetch_add(moved, Ordering::Relaxed);
            let open = slot_set(pending.iter().map(|(s, _)| *s));
            failed_slots.extend(open.iter());
            failed.get_or_insert(MigrateError::Other(format!(
                "{}: no answer to MIGRATE within {:.0}s (is it frozen or down?); stopped moving keys from it to {}; slot(s) {open} are left open, run `trib fix` once it answers",
                route.source.label,
                deadline.as_secs_f64(),
                route.target.label
            )));
            break;
        }
        let mut io_error = false;
        let mut again = Vec::new();
        for ((slot, keys), r) in pending.iter().zip(results.into_iter().flatten()) {
            batch.max_used = batch.max_used.max(keys.len());
            if let Err(e) = &r {
                tracing::debug!("slot {slot}: MIGRATE of {} key(s): {e}", keys.len());
            }
            match r {
                Ok(()) => {
                    progress
                        .keys
                        .fetch_add(keys.len() as u64, Ordering::Relaxed);
                    retries.remove(slot);
                    again.push(*slot);
                }
                Err(e) if is_io_error(&e) => {
                    io_error = true;
                    let n = retries.entry(*slot).or_insert(0);
                    *n += 1;
                    if *n > MAX_IO_RETRIES {
                        failed_slots.insert(*slot);
                        failed.get_or_insert(MigrateError::Other(format!(
                            "slot {slot}: MIGRATE from {} to {} kept failing ({}); the slot is left open, run `trib fix`",
                            route.source.label,
                            route.target.label,
                            e.reason()
                        )));
                    } else {
                        again.push(*slot);
                    }
                }
                Err(e) if is_busy(&e) => match resolve_busy(route, *slot, keys).await {
                    Ok(same) => {
                        progress.identical.fetch_add(same, Ordering::Relaxed);
                        again.push(*slot);
                    }
                    Err(err) => {
                        failed_slots.insert(*slot);
                        failed.get_or_insert(err);
                    }
                },
                Err(e) => {
                    failed_slots.insert(*slot);
                    failed.get_or_insert(MigrateError::Other(format!(
                        "slot {slot}: MIGRATE from {} to {} failed: {}; the slot is left open, run `trib fix`",
                        route.source.label,
                        route.target.label,
                        e.reason()
                    )));
                }
            }
        }
        if io_error {
            // IOERR: the target stalled or refused the source. If it does not answer trib
            // either, stop here instead of retrying against a frozen or dead node.
            if let Err(e) = route.target.ping().await
                && e.is_unreachable()
            {
                let open = slot_set(
                    slots
                        .iter()
                        .copied()
                        .filter(|s| again.contains(s) || failed_slots.contains(s)),
                );
                failed_slots.extend(open.iter());
                let done = slots
                    .iter()
                    .copied()
                    .filter(|s| !failed_slots.contains(s))
                    .collect();
                return (done, Some(target_gone(route, &e, &open)));
            }
            batch.shrink();
        } else {
            batch.relax();
            if round.elapsed() < GROW_BELOW && pending.iter().any(|(_, k)| k.len() >= batch.size) {
                batch.grow();
            }
        }
        progress.report(false);
        pending.clear();
        if again.is_empty() {
            break;
        }
        // List the next keys of every slot still in play, in one pipeline.
        let mut pipe = redis::pipe();
        for s in &again {
            pipe.add_command(cmd::getkeysinslot(*s, batch.size));
        }
        match route.source.pipeline(&pipe).await {
            Ok(replies) => {
                for (s, r) in again.iter().zip(replies) {
                    match r.map_err(MigrateError::from).and_then(|v| {
                        keys_of(v).map_err(|e| {
                            MigrateError::Other(format!("{}: {e}", route.source.label))
                        })
                    }) {
                        Ok(k) if k.is_empty() => {}
                        Ok(k) => pending.push((*s, k)),
                        Err(e) => {
                            failed_slots.insert(*s);
                            failed.get_or_insert(e);
                        }
                    }
                }
            }
            Err(e) => {
                failed_slots.extend(again.iter().copied());
                failed.get_or_insert(e.into());
            }
        }
    }
    let done = slots
        .iter()
        .copied()
        .filter(|s| !failed_slots.contains(s))
        .collect();
    (done, failed)
}

/// Resolves once `node` does not answer a PING (one every [`WATCH_EVERY`], each under the
/// command timeout); never while it answers.
async fn unresponsive(node: &Node) -> NodeError {
    loop {
        tokio::time::sleep(WATCH_EVERY).await;
        match node.ping().await {
            Err(e) if e.is_unreachable() => return e,
            _ => {}
        }
    }
}

/// The error when the target stopped answering while keys moved to it.
fn target_gone(route: &Route<'_>, e: &NodeError, open: &SlotSet) -> MigrateError {
    MigrateError::Other(format!(
        "{e}: stopped moving keys from {} to it (is it frozen or down? if it is only busy, e.g. with big keys, raise --command-timeout); slot(s) {open} are left open, run `trib fix` once it answers",
        route.source.label
    ))
}

fn slot_set(slots: impl Iterator<Item = u16>) -> SlotSet {
    let mut set = SlotSet::new();
    for s in slots {
        set.insert(s);
    }
    set
}

/// `IOERR` (also wrapped) or no reply in time: the batch may be retried smaller.
fn is_io_error(e: &NodeError) -> bool {
    e.is_timeout() || e.server() == Some(&ServerError::IoErr)
}

/// `BUSYKEY` (as `MIGRATE` wraps the target's reply): some keys exist on the target.
fn is_busy(e: &NodeError) -> bool {
    e.server() == Some(&ServerError::BusyKey)
}

/// One `MIGRATE host port "" 0 timeout [AUTH…] [REPLACE] KEYS k…`, waiting for its reply
/// up to `timeout` plus [`REPLY_GRACE`].
async fn migrate_keys(
    route: &Route<'_>,
    keys: &[Vec<u8>],
    timeout: Duration,
) -> Result<(), NodeError> {
    let opts = route.opts;
    let auth = match (&opts.user, &opts.password) {
        (Some(user), Some(pw)) if route.auth2 => Some(MigrateAuth::User(user, pw)),
        (_, Some(pw)) => Some(MigrateAuth::Password(pw)),
        _ => None,
    };
    let m = Migrate {
        host: &route.host,
        port: route.port,
        timeout,
        copy: false,
        replace: opts.replace,
        auth,
    };
    route
        .source
        .migrate(&m, keys, timeout + REPLY_GRACE)
        .await?;
    Ok(())
}

/// After a BUSYKEY: compares the `DUMP` of every key of the batch still on the source
/// with the target's copy. Identical copies: the source copy is deleted. Returns how
/// many were identical, or the keys that differ.
async fn resolve_busy(route: &Route<'_>, slot: u16, keys: &[Vec<u8>]) -> Result<u64, MigrateError> {
    let mut src = redis::pipe();
    let mut dst = redis::pipe();
    for k in keys {
        src.cmd("DUMP").arg(k.as_slice());
        dst.cmd("ASKING").cmd("DUMP").arg(k.as_slice());
    }
    let (a, b) = futures::join!(route.source.pipeline(&src), route.target.pipeline(&dst));
    let (a, b) = (a?, b?);
    let mut same = Vec::new();
    let mut differ = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let ours = a.get(i);
        let theirs = b.get(2 * i + 1);
        match (ours, theirs) {
            // Gone from the source: a MIGRATING source answers ASK for a missing key.
            (Some(Ok(Value::Nil)), _) | (None, _) => {}
            (Some(Err(e)), _) if matches!(e.server(), Some(ServerError::Ask { .. })) => {}
            (Some(Ok(x)), Some(Ok(y))) if x == y => same.push(k.clone()),
            (Some(Ok(_)), Some(Ok(Value::Nil))) => {} // not busy; moved on the next round
            // DUMP payloads of equal hashes and sets can differ (per-server order):
            // compare contents before calling it a conflict.
            (Some(Ok(_)), Some(Ok(_)))
                if same_contents(route.source, route.target, k, true).await? =>
            {
                same.push(k.clone())
            }
            _ => differ.push(String::from_utf8_lossy(k).into_owned()),
        }
    }
    if !differ.is_empty() {
        return Err(MigrateError::BusyKeys {
            slot,
            target: route.target.label.clone(),
            keys: differ,
        });
    }
    if !same.is_empty() {
        let mut del = redis::cmd("DEL");
        for k in &same {
            del.arg(k.as_slice());
        }
        let _: Value = route.source.query(&del).await?;
    }
    Ok(same.len() as u64)
}

/// Gives emptied slots their new owner: the source first (which may become a replica of
/// the target when it loses its last slot), then every other master (best effort: they
/// also learn it from the cluster bus), then the target.
async fn finish_slots(
    route: &Route<'_>,
    target_id: &NodeId,
    others: &[&Node],
    slots: &[u16],
) -> Result<(), MigrateError> {
    if slots.is_empty() {
        return Ok(());
    }
    let mut pipe = redis::pipe();
    for s in slots {
        pipe.add_command(cmd::setslot(*s, SetSlot::Node(target_id)));
    }
    // The source first, then the target. The other order (Redis's documented one) has a
    // window, found by killing trib at random points: once the target owns the slots the
    // source, still migrating, keeps claiming them, and if its config epoch is higher in
    // the target's view the target gives them back and deletes their keys. Source first,
    // nobody with keys ever loses a claim: at worst a client is redirected back and forth
    // for one round trip, and an interrupted finish leaves the target importing with the
    // keys, which `fix` completes. The target bumps its epoch when it takes the slots.
    let replies = route.source.pipeline(&pipe).await?;
    if let Some(e) = replies.into_iter().find_map(Result::err) {
        if !only_masters(&e) {
            return Err(e.into());
        }
        // The source is a replica now. Fine when it follows the target: it gave the
        // target its last slot and Redis made it the target's replica. Not when it was
        // failed over: its new master still claims these slots, a claim by the target
        // could lose to it (higher epoch), and the target would delete the keys it
        // received (found by tests/faults.rs, a source failing over mid-reshard).
        let follows = source_master(route.source).await;
        if follows.as_ref() != Some(target_id) {
            return Err(MigrateError::Other(format!(
                "{} is no longer a master ({}): slot(s) {} were not given to {}; they are left open with their keys, run `trib fix`",
                route.source.label,
                match follows {
                    Some(m) => format!("it replicates {}", m.short()),
                    None => "its role could not be read".to_string(),
                },
                slot_set(slots.iter().copied()),
                route.target.label
            )));
        }
    }
    // Then every other master, before the target claims: a node that still names the
    // source when the target's claim reaches it answers with an UPDATE for the source, and
    // the target would hand the slots back (deleting their keys) if the source's epoch
    // were higher in that node's view.
    join_all(others.iter().map(|n| n.pipeline(&pipe))).await;
    if let Some(e) = route
        .target
        .pipeline(&pipe)
        .await?
        .into_iter()
        .find_map(Result::err)
    {
        return Err(e.into());
    }
    Ok(())
}

/// How long convergence is watched before checking that every node still answers.
const SILENT_LOOK: Duration = Duration::from_secs(3);

/// Slots per pipeline when empty slots change owner.
const EMPTY_CHUNK: usize = 4096;

/// Gives empty slots to the target without opening them: `SETSLOT s NODE target` on the
/// source (which refuses a slot it holds keys in: "still hold keys"), then every other
/// master is told, then the target bumps its config epoch and claims the released
/// slots. Opening an empty slot (IMPORTING, MIGRATING, GETKEYSINSLOT) would only triple
/// the commands, and every pipeline costs each node a `nodes.conf` save (with fsync)
/// per event-loop turn. Same order as [`finish_slots`]: the source lets go first, so no
/// stale claim can win the slots back; the bump makes the target's claim the newest, so
/// nodes that only hear of it through gossip (replicas) take it at once. Returns the
/// slots the source refused because keys arrived meanwhile.
async fn move_empty_slots(
    route: &Route<'_>,
    target_id: &NodeId,
    others: &[&Node],
    slots: &[u16],
) -> Result<Vec<u16>, MigrateError> {
    let mut refused = Vec::new();
    for chunk in slots.chunks(EMPTY_CHUNK) {
        let mut pipe = redis::pipe();
        for s in chunk {
            pipe.add_command(cmd::setslot(*s, SetSlot::Node(target_id)));
        }
        let mut released = Vec::with_capacity(chunk.len());
        let mut demoted = false;
        for (s, r) in chunk.iter().zip(route.source.pipeline(&pipe).await?) {
            match r {
                Ok(_) => released.push(*s),
                Err(e) if still_holds_keys(&e) => refused.push(*s),
                Err(e) if only_masters(&e) => {
                    demoted = true;
                    released.push(*s);
                }
                Err(e) => return Err(e.into()),
            }
        }
        // A source that is a replica now: as in `finish_slots`, the target claims only when
        // the source follows it; a failed-over source's new master still claims the slots.
        if demoted {
            let follows = source_master(route.source).await;
            if follows.as_ref() != Some(target_id) {
                return Err(MigrateError::Other(format!(
                    "{} is no longer a master: empty slot(s) {} were not given to {}; run `trib fix`",
                    route.source.label,
                    slot_set(released.iter().copied()),
                    route.target.label
                )));
            }
        }
        if released.is_empty() {
            continue;
        }
        let mut pipe = redis::pipe();
        for s in &released {
            pipe.add_command(cmd::setslot(*s, SetSlot::Node(target_id)));
        }
        // The other masters learn the new owner first, as in `finish_slots`.
        join_all(others.iter().map(|n| n.pipeline(&pipe))).await;
        // "STILL" (already the newest epoch) is as good as a bump.
        let _ = route.target.bump_epoch().await;
        if let Some(e) = route
            .target
            .pipeline(&pipe)
            .await?
            .into_iter()
            .find_map(Result::err)
        {
            return Err(e.into());
        }
    }
    Ok(refused)
}

/// "ERR Can't assign hashslot … to a different node while I still hold keys for this
/// hash slot."
fn still_holds_keys(e: &NodeError) -> bool {
    e.server() == Some(&ServerError::SlotHasKeys)
}

/// The master `node` replicates, in its own view.
async fn source_master(node: &Node) -> Option<NodeId> {
    let entries = node.cluster_nodes().await.ok()?;
    entries
        .into_iter()
        .find(|e| e.flags.myself)
        .and_then(|e| e.master_id.clone())
}

/// "ERR Please use SETSLOT only with masters."
fn only_masters(e: &NodeError) -> bool {
    e.server() == Some(&ServerError::NotMaster)
}

/// Moves every key of `slot` from `source` to `target` (batches of MIGRATE … KEYS),
/// without changing slot ownership. The building block `fix` uses to close open slots.
pub async fn move_slot_keys(
    source: &Node,
    target: &Node,
    slot: u16,
    opts: &MigrateOptions,
) -> Result<u64, MigrateError> {
    let route = route(source, target, None, opts).await?;
    let mut batch = Batch::new(opts);
    let silent = super::Silent;
    let progress = Progress {
        reporter: &silent,
        total: 1,
        slots: AtomicUsize::new(0),
        keys: AtomicU64::new(0),
        identical: AtomicU64::new(0),
        max_batch: AtomicUsize::new(0),
        start: Instant::now(),
        abort: AtomicBool::new(false),
        last: Mutex::new(None),
    };
    let keys = source.keys_in_slot(slot, batch.size).await?;
    let (_, failed) = move_window(&route, &[slot], vec![(slot, keys)], &mut batch, &progress).await;
    match failed {
        Some(e) => Err(e),
        None => Ok(progress.keys.load(Ordering::Relaxed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_adapts() {
        let opts = MigrateOptions::default();
        let mut b = Batch::new(&opts);
        assert_eq!(b.size, BATCH_START);
        assert_eq!(b.timeout, IO_TIMEOUT_START);
        for _ in 0..20 {
            b.grow();
        }
        assert_eq!(b.size, BATCH_MAX);
        b.shrink();
        assert_eq!(b.size, BATCH_MAX / 4);
        assert_eq!(b.timeout, IO_TIMEOUT_START * 2);
        for _ in 0..20 {
            b.shrink();
        }
        assert_eq!(b.size, 1);
        assert_eq!(b.timeout, opts.io_timeout);
        for _ in 0..20 {
            b.relax();
        }
        assert_eq!(b.timeout, IO_TIMEOUT_START);
        let mut f = Batch::new(&MigrateOptions {
            batch: Some(7),
            ..MigrateOptions::default()
        });
        f.grow();
        assert_eq!(f.size, 7);
    }

    #[test]
    fn options_never_print_the_password() {
        let o = MigrateOptions {
            password: Some(Secret::new("hunter2")),
            ..Default::default()
        };
        assert!(!format!("{o:?}").contains("hunter2"));
    }
}
