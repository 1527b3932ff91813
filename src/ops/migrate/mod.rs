//! The slot-migration engine: moves slots and their keys between masters.
//!
//! [`migrate`] validates the plan, waits for config epochs to settle, then moves the
//! slots either atomically ([`atomic`]: Valkey 9 `CLUSTER MIGRATESLOTS`, when every
//! master involved has it) or the classic way ([`classic`]: `CLUSTER SETSLOT` +
//! `MIGRATE`, slot by slot, in windows), and finally waits for every node to agree on
//! the new slot map ([`converge`]).
//!
//! * [`classic`]: the classic path (windows, per-slot state changes, key batches);
//! * [`atomic`]: the atomic path;
//! * [`converge`]: waiting for the cluster to agree, and verifying the owners;
//! * [`progress`]: the shared counters and the watch on an unresponsive node;
//! * this file: the options, the report and the error type both paths share.

pub mod atomic;
pub mod classic;
mod converge;
mod progress;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::Serialize;
use thiserror::Error;

use super::Reporter;
use super::bigkeys::note_big_keys;
use super::interrupt::Interrupted;
use super::wait::wait_epochs_settled;
use crate::cluster::{ConnectOptions, Node, NodeError, Secret};
use crate::model::NodeId;
use crate::plan::migration::MigrationPlan;

pub use classic::route::migrate_auth2;
pub use classic::{Gates, SlotKeys, move_slot_keys};

/// While keys move, the target is pinged this often (when a round lasts that long): a
/// frozen or dead target stops the move within about the command timeout instead of
/// leaving the sources blocked in `MIGRATE` round after round.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// How to move keys.
#[derive(Clone, Debug)]
pub struct MigrateOptions {
    /// Keys per `MIGRATE … KEYS` batch; `None` sizes batches adaptively.
    pub batch: Option<usize>,
    /// Overwrite keys that already exist on the target (`MIGRATE … REPLACE`).
    pub replace: bool,
    /// Classic path: the largest I/O timeout passed to `MIGRATE` (big keys). It starts at
    /// 2 s (`classic::keys::IO_TIMEOUT_START`) and doubles on each `IOERR` while the
    /// target still answers: the source is blocked while it waits, so a frozen target
    /// must not stall it for the full timeout of every `MIGRATE` in flight.
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
    /// Classic path: delete a batch's keys from the source only once a replica of the
    /// target has them (`classic::handoff`), when the target has a connected replica.
    pub handoff: bool,
    /// Classic path: trib copies the keys itself (`DUMP` on the source, `RESTORE-ASKING` on
    /// the target, `classic::handoff`) instead of having the source `MIGRATE` them, so
    /// that the source serializes the next batch while the target restores this one.
    /// `false` (`--via-migrate`): every batch is a `MIGRATE`.
    pub relay: bool,
    /// How long the hand-off waits for a replica of the target to apply a batch.
    pub replica_wait: Duration,
    /// Classic path: about how long a client may wait behind trib's `MIGRATE`s
    /// (`--max-stall`): half of it on the node it asks, half on the node an `ASK` sends it
    /// to ([`MigrateOptions::node_budget`]).
    pub max_stall: Duration,
}

/// Default of [`MigrateOptions::max_stall`]. Measured with `scripts/bench-latency.sh`
/// (2026-12-06): at 5 ms, trib kept a source or target busy for up to 2-3 ms at a time
/// (`perf sched`), where a redis-cli `MIGRATE` of 10 keys stays under 1.5 ms, and its
/// clients' slowest requests were longer than under redis-cli; at 2 ms they are not, and
/// the 1000-slot move takes 5 % longer.
pub const MAX_STALL: Duration = Duration::from_millis(2);

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
            handoff: true,
            relay: true,
            replica_wait: Duration::from_secs(10),
            max_stall: MAX_STALL,
        }
    }
}

impl MigrateOptions {
    /// The server time `MIGRATE`s may queue on one node (source or target) at once, and
    /// the time a batch is sized to: half of `max_stall`. A client whose key has just moved
    /// waits on the source, then (sent on by `ASK`) on the target, behind the batches
    /// restoring there, so the two halves together stay within `max_stall`.
    pub fn node_budget(&self) -> Duration {
        self.max_stall / 2
    }

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
    /// Stopped by SIGINT/SIGTERM at a safe point: every slot is closed, `moved` slots have
    /// their new owner, the others their old one.
    #[error("stopped after moving {moved} slot(s); no slot was left open")]
    Interrupted {
        #[source]
        stop: Interrupted,
        moved: usize,
    },
    #[error("{0}")]
    Other(String),
}

impl MigrateError {
    /// A stop at a safe point (the count of moved slots filled in by the caller).
    pub fn interrupted(stop: Interrupted) -> MigrateError {
        MigrateError::Interrupted { stop, moved: 0 }
    }
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
    plan.validate()
        .map_err(|e| MigrateError::Other(e.to_string()))?;
    for m in &plan.moves {
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
        if atomic::supported(masters, &ids, opts).await
            && atomic::targets_clean(masters, &pairs).await
        {
            let done = atomic::run(masters, &pairs, opts, reporter).await?;
            let converge_start = Instant::now();
            converge::converge(masters, all, plan, opts, reporter).await?;
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
    // A plan made for atomic migration looked for no big key; keys move here after all
    // (a target holds keys in its new slots), so look for them now.
    let rescanned;
    let plan = if plan.atomic {
        tracing::info!(
            "the plan expected atomic migration; looking for big keys for the classic path"
        );
        let mut p = plan.clone();
        p.atomic = false;
        let budget = opts.max_stall;
        if let Some(w) = note_big_keys(masters, &mut p, budget, false, opts.relay, reporter).await {
            reporter.warn(&w);
        }
        rescanned = p;
        &rescanned
    } else {
        plan
    };
    let mut scanned = classic::Scanned::default();
    for k in &plan.big_keys {
        scanned
            .big
            .entry(k.slot)
            .or_default()
            .push((k.key.clone(), k.bytes));
    }
    scanned.per_key = plan
        .key_sizes
        .iter()
        .filter_map(|(id, sizes)| sizes.per_key().map(|t| (id.clone(), t)))
        .collect();
    let done = classic::run(
        masters,
        &pairs,
        &scanned,
        plan.moves.len(),
        opts,
        reporter,
        start,
    )
    .await?;

    let converge_start = Instant::now();
    converge::converge(masters, all, plan, opts, reporter).await?;
    Ok(MigrationReport {
        method: Method::Classic,
        slots_moved: done.slots,
        keys_moved: done.keys,
        elapsed_ms: start.elapsed().as_millis(),
        converge_ms: converge_start.elapsed().as_millis(),
        max_batch: done.max_batch,
        identical_keys: done.identical,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_never_print_the_password() {
        let o = MigrateOptions {
            password: Some(Secret::new("hunter2")),
            ..Default::default()
        };
        assert!(!format!("{o:?}").contains("hunter2"));
    }
}
