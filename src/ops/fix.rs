//! Applying a [`FixPlan`]: slot repairs with direct node commands only (never routed
//! through the cluster), in an order that works while the cluster is down:
//!
//! 1. uncovered slots are given to their owner (`SETSLOT s NODE owner` on every other
//!    master, then on the owner, pipelined): the cluster can come up again;
//! 2. when keys have to move, wait until every master reports `cluster_state:ok`
//!    (MIGRATE is refused with CLUSTERDOWN before that); a master whose view names no
//!    owner, or another one, for a slot exactly one master claims is told that claimant
//!    first (see [`repair_views`]), else it might never turn ok;
//! 3. each slot's sources (and owner) are opened (`SETSLOT … MIGRATING/IMPORTING/STABLE`)
//!    right before
//! 4. its keys move with the engine's `move_slot_keys`, a few slots at a time;
//! 5. `SETSLOT s NODE owner` on every other master, then on the owners (releases before
//!    claims: see [`assign`]), then `SETSLOT s STABLE` where a marker is left; owners
//!    bump their config epoch;
//! 6. wait until every node agrees on the slot map and reports `cluster_state:ok`.
//!
//! SIGINT/SIGTERM ([`interrupt`]) stop it at a safe point: the slots whose keys are
//! moving are finished, no other slot is opened, and every slot opened is closed (step 5
//! runs, 6 does not); or, during step 6, between its waits.
//!
//! Around it, `trib fix`'s other phases: [`prepare`] (reach every ENTRY, plan the
//! re-forming and the slot repairs), [`repair`] (re-form, then repair slots planned
//! again on the re-formed cluster), [`settle`] and [`check_again`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::join_all;
use serde::Serialize;
use thiserror::Error;

use super::Reporter;
use super::interrupt::{self, Interrupted};
use super::migrate::{Gates, MigrateError, MigrateOptions, SlotKeys, move_slot_keys};
use super::reform::{send_meets, wait_reformed};
use super::scan::{deep_scan, keys_per_slot};
use super::slot_owner::{Batches, Refused, assign, bump_epochs, nudge, run_batches, setslot_node};
use super::wait::{Converged, Progress, WaitTimeout, poll_until, wait_converged};
use crate::addr::Target;
use crate::cluster::commands::{self, cmd};
use crate::cluster::load::{InfoDetail, Loaded, connect_all, default_domain, load_cluster, probe};
use crate::cluster::{ConnectOptions, Node, NodeError};
use crate::error::TribError;
use crate::model::view::{ClusterView, NodeView};
use crate::model::{NodeId, SLOT_COUNT, SlotSet};
use crate::plan::check::{PASSING_GRACE, Problem, Severity, check, only_passing_states};
use crate::plan::fix::{
    FixJob, FixPlan, KeyCounts, SetSlot, SlotFix, SlotRepairs, broken_slots, input_from_views,
    plan_fix,
};
use crate::plan::reform::{ReformNode, plan_reform, unreached};
use crate::plan::unreached::dead_members;

/// Slots moved concurrently.
const PARALLEL_MOVES: usize = 4;

#[derive(Debug, Error)]
pub enum FixError {
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error("slot {slot}: moving keys from {from} to {to}: {err}")]
    Move {
        slot: u16,
        from: String,
        to: String,
        err: MigrateError,
    },
    #[error(transparent)]
    Wait(#[from] WaitTimeout),
    /// Commands that were refused, one line each.
    #[error("{0}")]
    Refused(String),
    /// Stopped by SIGINT/SIGTERM at a safe point: the slots whose keys were moving were
    /// finished and closed (`repaired` of `total`), the others were not touched.
    #[error("stopped after repairing {repaired} of {total} slot(s)")]
    Interrupted {
        #[source]
        stop: Interrupted,
        repaired: usize,
        total: usize,
    },
}

impl From<Refused> for FixError {
    fn from(r: Refused) -> FixError {
        FixError::Refused(r.0)
    }
}

/// What the repair did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FixReport {
    pub slots_fixed: usize,
    pub slots_assigned: usize,
    pub keys_moved: u64,
    /// Keys whose copy with the same contents was already on the slot's owner: the
    /// other copy was deleted.
    pub identical_keys: u64,
    /// Slots left open because keys exist on the owner and elsewhere with different
    /// contents (every other slot was repaired).
    pub conflicts: Vec<Conflict>,
    pub elapsed_ms: u128,
}

/// Keys found on a slot's owner and on another master with different contents.
#[derive(Clone, Debug, Serialize)]
pub struct Conflict {
    pub slot: u16,
    /// The slot's owner (where the keys were to move).
    pub owner: String,
    /// Where the other copies are.
    pub from: String,
    /// `owner` or `from`: the one that claimed the slot, so clients were served its
    /// copies (usually the newer).
    pub served: String,
    /// The keys found to differ (in one batch: the move of the slot stopped there).
    pub keys: Vec<String>,
    /// Keys of the slot still on `from` (the differing ones and any not moved yet).
    pub left: u64,
}

/// `CLUSTER COUNTKEYSINSLOT` for every slot of `slots` on every master ([`keys_per_slot`]).
pub async fn count_keys(
    masters: &BTreeMap<NodeId, Node>,
    slots: &SlotSet,
) -> Result<KeyCounts, NodeError> {
    let list: Vec<u16> = slots.iter().collect();
    let per_master = join_all(masters.iter().map(|(id, node)| {
        let list = &list;
        async move { Ok::<_, NodeError>((id.clone(), keys_per_slot(node, list).await?)) }
    }))
    .await;
    let mut out = KeyCounts::new();
    for r in per_master {
        let (id, found) = r?;
        for (s, n) in found {
            out.entry(s).or_default().insert(id.clone(), n);
        }
    }
    Ok(out)
}

/// How a `SETSLOT` is named in an error.
fn setslot_text(slot: u16, action: &SetSlot) -> String {
    match action {
        SetSlot::Stable => format!("CLUSTER SETSLOT {slot} STABLE"),
        SetSlot::Migrating(to) => format!("CLUSTER SETSLOT {slot} MIGRATING {}", to.short()),
        SetSlot::Importing(from) => format!("CLUSTER SETSLOT {slot} IMPORTING {}", from.short()),
    }
}

fn setslot(slot: u16, action: &SetSlot) -> redis::Cmd {
    cmd::setslot(
        slot,
        match action {
            SetSlot::Stable => commands::SetSlot::Stable,
            SetSlot::Migrating(to) => commands::SetSlot::Migrating(to),
            SetSlot::Importing(from) => commands::SetSlot::Importing(from),
        },
    )
}

/// On every master whose view names no owner, or another one, for a slot that exactly one
/// master claims (and it does not claim itself), `SETSLOT s NODE claimant`. Returns how
/// many were sent.
///
/// A master importing a slot ignores every claim for it (cluster.c
/// `clusterUpdateSlotsConfigWith` skips importing slots), so once its view loses the
/// slot's owner it stays without one: e.g. the target of a reshard whose source failed
/// over (Redis drops the slots of a master that turned replica, and the promoted replica's
/// claim is ignored). Its `cluster_state` stays `fail`, keys cannot move, and `fix`
/// waited forever (found by tests/faults.rs); and while its view still names the old
/// master, it is about to lose the slots that way. Telling it the claimant is no claim
/// of its own: nobody loses a slot or a key by it.
async fn repair_views(masters: &BTreeMap<NodeId, Node>) -> Result<usize, FixError> {
    let views = join_all(
        masters
            .iter()
            .map(|(id, n)| async move { (id, n.cluster_nodes().await.ok()) }),
    )
    .await;
    let mut claimant: BTreeMap<u16, Option<&NodeId>> = BTreeMap::new();
    for (id, entries) in &views {
        let Some(me) = entries
            .as_ref()
            .and_then(|e| e.iter().find(|e| e.flags.myself))
        else {
            continue;
        };
        for s in me.slots.iter() {
            claimant
                .entry(s)
                .and_modify(|c| *c = None)
                .or_insert(Some(*id));
        }
    }
    let mut batches: Batches = BTreeMap::new();
    for (id, entries) in &views {
        let Some(entries) = entries else { continue };
        let seen = |s: u16| {
            entries
                .iter()
                .find(|e| e.flags.master && e.slots.contains(s))
                .map(|e| &e.id)
        };
        for (s, owner) in &claimant {
            // (A master claiming the slot itself is its unique claimant, or not told.)
            let Some(owner) = owner else { continue };
            if *owner == *id || seen(*s) == Some(*owner) {
                continue;
            }
            batches.entry((*id).clone()).or_default().push((
                format!("CLUSTER SETSLOT {s} NODE {}", owner.short()),
                setslot_node(*s, owner),
            ));
        }
    }
    let sent = batches.values().map(Vec::len).sum();
    run_batches(masters, batches).await?;
    Ok(sent)
}

/// What became of one slot's keys.
enum SlotMoved<'a> {
    /// Not started, not opened: a stop was requested first.
    Skipped(u16),
    /// Opened, and every source's keys moved to the owner but for the `busy` sources'
    /// (keys with other contents on the owner: the slot stays open).
    Done {
        slot: u16,
        keys: SlotKeys,
        sources: usize,
        busy: Vec<(&'a Node, Vec<String>)>,
    },
}

/// Opens `f`'s slot (its `open` states: each node's in order, nodes at once) and moves
/// every source's keys of it to the owner, unless a stop was requested first.
async fn move_slot<'a>(
    f: &SlotFix,
    masters: &'a BTreeMap<NodeId, Node>,
    opts: &MigrateOptions,
    gates: &Gates,
) -> Result<SlotMoved<'a>, FixError> {
    if interrupt::check().is_err() {
        return Ok(SlotMoved::Skipped(f.slot));
    }
    let mut open: Batches = BTreeMap::new();
    for (node, action) in &f.open {
        open.entry(node.clone())
            .or_default()
            .push((setslot_text(f.slot, action), setslot(f.slot, action)));
    }
    run_batches(masters, open).await?;
    let mut keys = SlotKeys::default();
    let mut busy = Vec::new();
    for (src, _) in &f.moves {
        let (Some(source), Some(target)) = (masters.get(src), masters.get(&f.owner)) else {
            return Err(FixError::Refused(format!(
                "slot {}: {} or {} is not reachable",
                f.slot,
                src.short(),
                f.owner.short()
            )));
        };
        match move_slot_keys((source, src), (target, &f.owner), f.slot, opts, gates).await {
            Ok(k) => {
                keys.moved += k.moved;
                keys.identical += k.identical;
            }
            // Different copies on both sides: this slot stays open, the others go on.
            Err(MigrateError::BusyKeys { keys, .. }) => busy.push((source, keys)),
            Err(err) => {
                return Err(FixError::Move {
                    slot: f.slot,
                    from: source.label.clone(),
                    to: target.label.clone(),
                    err,
                });
            }
        }
    }
    Ok(SlotMoved::Done {
        slot: f.slot,
        keys,
        sources: f.moves.len(),
        busy,
    })
}

/// Every master reports `cluster_state:ok`.
async fn wait_state_ok(
    masters: &BTreeMap<NodeId, Node>,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Duration, WaitTimeout> {
    poll_until(
        "every master to report cluster_state:ok before keys move",
        timeout,
        reporter,
        || async {
            let states = join_all(masters.values().map(|n| async move {
                let ok = n
                    .cluster_info()
                    .await
                    .ok()
                    .is_some_and(|i| i.get("cluster_state") == Some("ok"));
                (n.label.clone(), ok)
            }))
            .await;
            Progress {
                total: states.len(),
                missing: states
                    .into_iter()
                    .filter(|(_, ok)| !ok)
                    .map(|(l, _)| l)
                    .collect(),
            }
        },
    )
    .await
}

/// Applies `plan`. `masters` are every reachable master, `all` every reachable node;
/// `expect_state_ok`: wait for `cluster_state:ok` at the end (not when some master is
/// unreachable).
pub async fn apply(
    plan: &FixPlan,
    masters: &BTreeMap<NodeId, Node>,
    all: &[Node],
    opts: &MigrateOptions,
    timeout: Duration,
    expect_state_ok: bool,
    reporter: &dyn Reporter,
) -> Result<FixReport, FixError> {
    let started = Instant::now();

    // 1. Coverage first.
    let assigned: Vec<(u16, &NodeId)> = plan
        .slots
        .iter()
        .filter(|f| f.assign)
        .map(|f| (f.slot, &f.owner))
        .collect();
    if !assigned.is_empty() {
        reporter.step(&format!(
            "Assigning {} uncovered slot(s) to their owners",
            assigned.len()
        ));
        assign(masters, &assigned).await?;
    }

    let moving: Vec<_> = plan.slots.iter().filter(|f| !f.moves.is_empty()).collect();
    let mut keys_moved = 0u64;
    let mut identical_keys = 0u64;
    let mut conflicts: Vec<Conflict> = Vec::new();
    // Slots whose keys were not moved because a stop was requested first.
    let mut skipped: BTreeSet<u16> = BTreeSet::new();
    if !moving.is_empty() {
        // 2. MIGRATE needs the cluster up.
        if !assigned.is_empty() {
            bump_epochs(masters, assigned.iter().map(|(_, o)| *o)).await;
        }
        let told = repair_views(masters).await?;
        if told > 0 {
            tracing::info!("{told} slot(s) pointed to their claimant on masters that saw no owner");
        }
        wait_state_ok(masters, timeout, reporter).await?;

        // 3–4. Each slot is opened right before its keys move, a few slots at a time. A
        //    stop request (SIGINT/SIGTERM) lets the slots under way finish; the others
        //    are not opened.
        let total: usize = moving.iter().map(|f| f.moves.len()).sum();
        reporter.step(&format!(
            "Moving keys of {} slot(s) to their owners ({} source(s))",
            moving.len(),
            total
        ));
        let mut done = 0usize;
        // The slots under way share each node's stall gate: a source of several of them
        // has one budget of MIGRATE queued at once, not one per slot.
        let gates = Gates::new(masters.keys(), opts.node_budget());
        let mut stream =
            futures::stream::iter(moving.iter().map(|f| move_slot(f, masters, opts, &gates)))
                .buffer_unordered(PARALLEL_MOVES);
        let mut busy = Vec::new();
        while let Some(r) = stream.next().await {
            match r? {
                SlotMoved::Skipped(slot) => {
                    skipped.insert(slot);
                }
                SlotMoved::Done {
                    slot,
                    keys,
                    sources,
                    busy: b,
                } => {
                    keys_moved += keys.moved;
                    identical_keys += keys.identical;
                    busy.extend(b.into_iter().map(|(source, keys)| (slot, source, keys)));
                    done += sources;
                    reporter.progress("moving keys", done, total, "");
                }
            }
        }
        reporter.finish(&format!(
            "{keys_moved} key(s) moved{}",
            if identical_keys > 0 {
                format!(
                    ", {identical_keys} key(s) already on the owner with the same contents (the other copy deleted)"
                )
            } else {
                String::new()
            }
        ));
        for (slot, source, keys) in busy {
            let owner = plan
                .slots
                .iter()
                .find(|f| f.slot == slot)
                .and_then(|f| masters.get(&f.owner))
                .map(|n| n.label.clone())
                .unwrap_or_default();
            let left = source.count_keys_in_slot(slot).await.unwrap_or(0);
            // Clients reach the master that claims the slot: a source still claiming it
            // (migrating) served its copies, else the owner did.
            let claims = source.cluster_nodes().await.ok().is_some_and(|entries| {
                entries
                    .iter()
                    .any(|e| e.flags.myself && e.slots.contains(slot))
            });
            let served = if claims {
                source.label.clone()
            } else {
                owner.clone()
            };
            conflicts.push(Conflict {
                slot,
                owner,
                from: source.label.clone(),
                served,
                keys,
                left,
            });
        }
    }

    // 5. Close every slot (but those left open by a conflict, and those skipped): the
    //    other masters release, the owners claim, markers clear.
    let left: BTreeSet<u16> = conflicts.iter().map(|c| c.slot).chain(skipped).collect();
    let closing: Vec<&SlotFix> = plan
        .slots
        .iter()
        .filter(|f| !left.contains(&f.slot))
        .collect();
    let owners: Vec<(u16, &NodeId)> = closing
        .iter()
        .filter(|f| !f.assign || !f.moves.is_empty() || !f.stable.is_empty())
        .map(|f| (f.slot, &f.owner))
        .collect();
    reporter.step(&format!("Closing {} slot(s)", closing.len()));
    assign(masters, &owners).await?;
    let mut stable: Batches = BTreeMap::new();
    for f in &closing {
        for id in &f.stable {
            stable.entry(id.clone()).or_default().push((
                setslot_text(f.slot, &SetSlot::Stable),
                setslot(f.slot, &SetSlot::Stable),
            ));
        }
    }
    run_batches(masters, stable).await?;
    let all_owners: BTreeSet<&NodeId> = closing.iter().map(|f| &f.owner).collect();
    bump_epochs(masters, all_owners.into_iter()).await;

    // 6. Converge; a node left behind by a gossip race is told again. A stop request is
    //    honoured between the waits: every slot is closed by now (unless a conflict left
    //    one open: that is reported instead).
    let ids: BTreeSet<NodeId> = masters.keys().cloned().collect();
    let what = "every node to agree on the repaired slot map and report cluster_state:ok";
    let want = Converged {
        slots_agree: true,
        state_ok: expect_state_ok,
        members_settled: false,
    };
    let deadline = Instant::now() + timeout;
    loop {
        if let (true, Err(stop)) = (conflicts.is_empty(), interrupt::check()) {
            return Err(FixError::Interrupted {
                stop,
                repaired: closing.len(),
                total: plan.slots.len(),
            });
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match wait_converged(all, &ids, want, what, left.min(NUDGE_AFTER), reporter).await {
            Ok(_) => break,
            Err(e) if Instant::now() >= deadline => return Err(e.into()),
            Err(_) => {
                let wanted: Vec<(u16, &NodeId)> =
                    closing.iter().map(|f| (f.slot, &f.owner)).collect();
                let told = nudge(masters, &wanted).await;
                tracing::info!("slot map not agreed yet: {told} SETSLOT NODE sent again");
            }
        }
    }
    debug_assert!(plan.slots.iter().all(|f| f.slot < SLOT_COUNT));
    Ok(FixReport {
        slots_fixed: closing.len(),
        slots_assigned: assigned.len(),
        keys_moved,
        identical_keys,
        conflicts,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

/// How long convergence may lag before [`nudge`] tells the laggards again.
const NUDGE_AFTER: Duration = Duration::from_secs(3);

/// Reaches every target (each must answer: it is re-introduced at that address) and the
/// members they know that answer where the cluster thinks they are, then plans the
/// re-forming and, on the views as they are now, the slot repairs. Changes nothing.
/// Returns the job and a connection to each of `job.nodes`, in order.
pub async fn prepare(
    targets: &[Target],
    connect: &ConnectOptions,
    deep: bool,
) -> Result<(FixJob, Vec<Node>), TribError> {
    let (nodes, conns, views) = reach(targets, connect).await?;
    let reform = plan_reform(&nodes);
    let unreached = unreached(&nodes);
    let view = ClusterView {
        nodes: views,
        ..ClusterView::default()
    };
    let slots = plan_slots(&view, &by_id(&nodes, &conns), deep).await?;
    let state_not_ok = view
        .nodes
        .iter()
        .any(|v| v.cluster_info.get("cluster_state") != Some("ok"));
    let job = FixJob {
        nodes,
        reform,
        unreached,
        slots,
        state_not_ok,
    };
    Ok((job, conns))
}

fn by_id(nodes: &[ReformNode], conns: &[Node]) -> BTreeMap<NodeId, Node> {
    nodes
        .iter()
        .zip(conns)
        .map(|(n, c)| (n.id.clone(), c.clone()))
        .collect()
}

/// How `fix` repairs slots.
#[derive(Clone, Copy, Debug)]
pub struct RepairOptions {
    /// Also move keys out of slots their node does not own.
    pub deep: bool,
    /// Keys moved to a slot's owner overwrite the owner's copy (`MIGRATE … REPLACE`).
    pub replace: bool,
    /// Deadline for each wait.
    pub timeout: Duration,
}

/// Applies `job`: the MEETs and the wait until the cluster re-formed, then the slot
/// repairs (planned again on the re-formed cluster). `conns` is indexed like
/// `job.nodes`; `targets` are the ENTRY arguments (to load the re-formed cluster).
/// Returns what the slot repairs did, when there were any.
pub async fn repair(
    job: &FixJob,
    conns: &[Node],
    targets: &[Target],
    connect: &ConnectOptions,
    opts: RepairOptions,
    reporter: &dyn Reporter,
) -> Result<Option<FixReport>, TribError> {
    let RepairOptions {
        deep,
        replace,
        timeout,
    } = opts;
    let nodes = &job.nodes;
    if !job.reform.is_empty() {
        send_meets(&job.reform.meets, nodes, conns, reporter)
            .await
            .map_err(|e| TribError::Failed(format!("CLUSTER MEET failed: {e}")))?;
        let state_ok = job.state_ok_after_reform();
        let waited = wait_reformed(nodes, conns, state_ok, timeout, reporter)
            .await
            .map_err(|e| TribError::Failed(format!("the cluster did not re-form: {e}")))?;
        reporter.finish(&format!(
            "{} node(s) see each other at their current addresses{} after {:.2}s",
            nodes.len(),
            if state_ok { ", cluster_state:ok" } else { "" },
            waited.as_secs_f64()
        ));
        if !job.slots.plan.is_empty()
            && let Err(stop) = interrupt::check()
        {
            return Err(TribError::failed(
                "fix stopped after re-introducing the nodes to each other, before repairing slots; re-run the same command to complete it",
                stop,
            ));
        }
    }
    if job.slots.plan.is_empty() {
        return Ok(None);
    }
    let replanned;
    let (slots, all, by_id) = if job.reform.is_empty() {
        (&job.slots, conns.to_vec(), by_id(nodes, conns))
    } else {
        // Re-formed: load again and plan on the views as they are now.
        let loaded = load_cluster(targets, connect)
            .await
            .map_err(|e| TribError::Failed(format!("cannot load the re-formed cluster: {e}")))?;
        replanned = plan_slots(&loaded.view, &loaded.conns, deep).await?;
        let all: Vec<Node> = loaded.conns.values().cloned().collect();
        (&replanned, all, loaded.conns)
    };
    let masters: BTreeMap<NodeId, Node> = by_id
        .into_iter()
        .filter(|(id, _)| slots.masters.contains(id))
        .collect();
    let opts = MigrateOptions {
        converge_timeout: timeout,
        replace,
        ..MigrateOptions::default()
    }
    .with_credentials(connect);
    let report = apply(
        &slots.plan,
        &masters,
        &all,
        &opts,
        timeout,
        slots.unreachable_masters.is_empty(),
        reporter,
    )
    .await
    .map_err(|e| match e {
        e @ FixError::Interrupted { repaired, total, .. } => {
            let what = if repaired == total {
                format!("every slot ({total}), before every node agreed on them")
            } else {
                format!(
                    "{repaired} of {total} slot(s): every slot it opened was closed, the others are as they were"
                )
            };
            let what = format!("fix stopped after repairing {what}; re-run the same command to complete it");
            TribError::failed(what, e)
        }
        e => TribError::Failed(format!("slot repair did not finish: {e}")),
    })?;
    reporter.finish(&format!(
        "{} slot(s) repaired ({} assigned), {} key(s) moved in {:.2}s",
        report.slots_fixed,
        report.slots_assigned,
        report.keys_moved,
        report.elapsed_ms as f64 / 1000.0
    ));
    Ok(Some(report))
}

/// Nothing to repair, but the cluster is settling ([`FixJob::settling`]: a node still
/// reports `cluster_state:fail`, while every member was reached and every slot is owned,
/// which passes by itself): waits until every node reports `cluster_state:ok`. Running
/// out of time is no error: the check afterwards tells. Otherwise returns at once.
pub async fn settle(job: &FixJob, conns: &[Node], timeout: Duration, reporter: &dyn Reporter) {
    if !job.settling() {
        return;
    }
    if let Ok(waited) = wait_reformed(&job.nodes, conns, true, timeout, reporter).await {
        reporter.finish(&format!(
            "every node reports cluster_state:ok after {:.2}s",
            waited.as_secs_f64()
        ));
    }
}

/// The cluster as `fix` leaves it.
#[derive(Clone, Debug)]
pub struct Checked {
    /// Everything `check` reports.
    pub problems: Vec<Problem>,
    /// Members the cluster marks failed that own no slot ([`dead_members`]: masters
    /// replaced or whose slots were given away, dead replicas): still members until
    /// `trib del-node`.
    pub dead: Vec<(NodeId, String)>,
    /// No error but those about `dead`: the cluster serves every slot.
    pub healthy_but_dead: bool,
}

impl Checked {
    /// No error.
    pub fn healthy(&self) -> bool {
        !self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// Every slot is served: healthy, or only failed members without slots are wrong
    /// (they stay members until `del-node`).
    pub fn serving(&self) -> bool {
        self.healthy() || self.healthy_but_dead
    }
}

/// Loads the cluster again and checks it (with `deep`, also for keys in slots their node
/// does not own).
pub async fn check_again(
    targets: &[Target],
    connect: &ConnectOptions,
    deep: bool,
) -> Result<Checked, TribError> {
    let loaded = load_cluster(targets, connect)
        .await
        .map_err(|e| TribError::Failed(format!("cannot load the cluster to verify it: {e}")))?;
    let deep = if deep {
        Some(
            deep_scan(&loaded)
                .await
                .map_err(|e| TribError::Failed(e.to_string()))?,
        )
    } else {
        None
    };
    let problems = check(&loaded.view, deep.as_ref());
    let dead = dead_members(&loaded.view);
    let ids: BTreeSet<NodeId> = dead.iter().map(|(id, _)| id.clone()).collect();
    let healthy_but_dead = !check(&without(&loaded.view, &ids), deep.as_ref())
        .iter()
        .any(|p| p.severity == Severity::Error);
    Ok(Checked {
        problems,
        dead,
        healthy_but_dead,
    })
}

/// [`check_again`], looked at again for up to [`PASSING_GRACE`] while the only errors
/// are passing states ([`only_passing_states`]: suspicions of a node that was busy during
/// the repair, handshakes).
pub async fn check_settled(
    targets: &[Target],
    connect: &ConnectOptions,
    deep: bool,
) -> Result<Checked, TribError> {
    let until = Instant::now() + PASSING_GRACE;
    loop {
        let checked = check_again(targets, connect, deep).await?;
        if checked.serving() || !only_passing_states(&checked.problems) || Instant::now() >= until {
            return Ok(checked);
        }
        tracing::debug!("only suspicions or handshakes after the repair: looking again");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `view` as if the members `ids` had been forgotten.
fn without(view: &ClusterView, ids: &BTreeSet<NodeId>) -> ClusterView {
    let mut v = view.clone();
    for n in &mut v.nodes {
        n.nodes.retain(|e| !ids.contains(&e.id));
    }
    v.unreachable
        .retain(|u| !u.id.as_ref().is_some_and(|id| ids.contains(id)));
    v
}

/// Builds the planner's input from the views (and, with `--deep` or broken slots, key
/// counts read from the masters) and plans the slot repairs.
async fn plan_slots(
    view: &ClusterView,
    conns: &BTreeMap<NodeId, Node>,
    deep: bool,
) -> Result<SlotRepairs, TribError> {
    let reached: BTreeSet<NodeId> = conns.keys().cloned().collect();
    let (mut input, mut out) = input_from_views(view, &reached);
    let masters: BTreeMap<NodeId, Node> = conns
        .iter()
        .filter(|(id, _)| out.masters.contains(*id))
        .map(|(id, n)| (id.clone(), n.clone()))
        .collect();
    if deep {
        let loaded = Loaded {
            view: view.clone(),
            conns: masters.clone(),
        };
        input.deep = Some(
            deep_scan(&loaded)
                .await
                .map_err(|e| TribError::Failed(format!("deep scan failed: {e}")))?,
        );
    }
    let broken = broken_slots(&input);
    let counts = if broken.is_empty() {
        KeyCounts::new()
    } else {
        count_keys(&masters, &broken)
            .await
            .map_err(|e| TribError::Failed(format!("counting keys in broken slots: {e}")))?
    };
    out.plan = plan_fix(&input, &counts);
    Ok(out)
}

/// Connects to and probes every target; every one must answer. Adds the members the
/// targets know that answer at the address the cluster has for them.
async fn reach(
    targets: &[Target],
    connect: &ConnectOptions,
) -> Result<(Vec<ReformNode>, Vec<Node>, Vec<NodeView>), TribError> {
    let connected = connect_all(targets, connect).await;
    let probed = join_all(connected.into_iter().zip(targets).map(|(c, t)| async move {
        let node = c?;
        let view = probe(
            &node,
            default_domain(&t.addr, t.domain.as_deref()),
            InfoDetail::Basic,
        )
        .await?;
        Ok::<_, NodeError>((node, view))
    }))
    .await;
    let mut errors = Vec::new();
    let mut found: Vec<(Node, NodeView)> = Vec::new();
    for r in probed {
        match r {
            Ok((node, view)) => {
                // Several addresses of one name answering as one node, or one node named twice.
                if !found.iter().any(|(_, v)| v.id == view.id) {
                    found.push((node, view));
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(TribError::BadInput(format!(
            "{}\nevery ENTRY must answer (it is re-introduced at that address); nothing was changed",
            errors.join("\n")
        )));
    }
    // Members reachable where the cluster thinks they are (not named, but fine).
    if let Ok(loaded) = load_cluster(targets, connect).await {
        for v in loaded.view.nodes {
            if found.iter().any(|(_, f)| f.id == v.id) {
                continue;
            }
            if let Some(conn) = loaded.conns.get(&v.id) {
                found.push((conn.clone(), v));
            }
        }
    }
    let nodes = found
        .iter()
        .map(|(node, v)| ReformNode {
            id: v.id.clone(),
            label: v.label.clone(),
            addr: node.addr,
            bus_port: v
                .myself()
                .map(|m| m.cport)
                .filter(|p| *p != 0)
                .unwrap_or_else(|| node.addr.port().wrapping_add(10000)),
            entries: v.nodes.clone(),
        })
        .collect();
    let conns = found.iter().map(|(n, _)| n.clone()).collect();
    let views = found.into_iter().map(|(_, v)| v).collect();
    Ok((nodes, conns, views))
}
