//! The hand-off of a key batch: trib copies it itself (`DUMP` on the source,
//! `RESTORE-ASKING` on the target), and its keys leave the source only once the target
//! (and a replica of it, when it has one) has them.
//!
//! A `MIGRATE` holds its source for the whole batch: it serializes, sends, then waits
//! while the target restores, serving no client; and it deletes the keys as soon as the
//! target acknowledged them, so a target killed at that moment takes with it whatever its
//! replicas had not yet received. Instead each batch goes:
//!
//! 1. on the source (a connection of its own): `WATCH` the keys, `DUMP` + `PTTL` each
//!    (the relay), or `MIGRATE … COPY` (`--via-migrate`, and `fix`'s stray keys);
//! 2. on the target (a connection of its own): `RESTORE-ASKING` each key (the relay),
//!    `ASKING` + `WATCH` the copies, and `ROLE` for its replication offset just after them
//!    when it has a connected replica;
//! 3. `ROLE` on the target's replicas until one has applied that offset;
//! 4. on the source: `MULTI`, `DEL` the keys, `EXEC`.
//!
//! With the relay the source dumps the next batches while the target restores this one:
//! each node works only on its own part, and a client waits behind one of them at most.
//!
//! A client that wrote or deleted one of the keys on the source meanwhile makes the
//! `EXEC` fail (`WATCH`): nothing is deleted, the keys still on the source are copied
//! again (with `REPLACE`: the target's copies are trib's own), and a key that the client
//! deleted is deleted from the target too, unless a client touched it there since the
//! copy (the target's `WATCH`). trib or the target killed before step 4 leaves the batch
//! on both sides, byte for byte: `fix` keeps one copy.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::future::join_all;
use redis::Value;

mod pieces;
mod relay;

use self::relay::dump_is_canonical;
use super::keys::SlotKeys;
use super::pace::{Pace, timed};
use super::route::Route;
use crate::cluster::commands::cmd;
use crate::cluster::role::{Role, parse_role};
use crate::cluster::{Node, NodeError, NodeErrorKind, ServerError};
use crate::model::key_slot;
use crate::ops::migrate::MigrateOptions;

/// First pause between two looks at the replicas' offsets; it doubles up to
/// [`POLL_MAX`]. A replica on the same network applies a batch within a millisecond.
const POLL_FIRST: Duration = Duration::from_micros(200);
const POLL_MAX: Duration = Duration::from_millis(20);
/// How long one look at a replica may take: a frozen replica must not hold up the others.
const POLL_CALL: Duration = Duration::from_secs(1);
/// Deletes the keys given as arguments, whatever their slots (all served by this node);
/// a key gone meanwhile (redirected: `ASK`) is skipped, not an error that would stop the
/// script half way.
const DELETE_SCRIPT: &str = "#!lua flags=allow-cross-slot-keys
local n = 0
for _, k in ipairs(ARGV) do
  local r = redis.pcall('DEL', k)
  if type(r) == 'number' then n = n + r end
end
return n";

/// [`DELETE_SCRIPT`] over `keys` (as arguments: no key for the cluster to check).
fn delete_script(keys: &[&Vec<u8>]) -> redis::Cmd {
    let mut c = redis::cmd("EVAL");
    c.arg(DELETE_SCRIPT).arg(0);
    for k in keys {
        c.arg(k.as_slice());
    }
    c
}

/// Batches handed over at once per (source, target) pair when a replica must have them.
/// Each waits mostly on round trips (copy, the target's offset, a replica's, the delete),
/// on its own connections, with one `MIGRATE` at a time per connection.
const IN_FLIGHT: usize = 64;
/// Batches relayed at once per pair with no replica to wait for: enough to keep the
/// source dumping while others restore or delete (each node's gate bounds what is queued).
const RELAY_IN_FLIGHT: usize = 16;

/// What the copy of a batch left: per slot, its result (keys copied, or the error); the
/// keys now on both sides, watched on both; the target's replication offset after the
/// copies when a replica must have them.
struct Copied<'g> {
    results: Vec<Result<u64, NodeError>>,
    keys: Vec<&'g Vec<u8>>,
    /// The relay: what was restored, key by key (empty after `MIGRATE … COPY`, whose
    /// copies are all watched on the target instead).
    payloads: Vec<Vec<u8>>,
    /// Whether the target connection watches keys (to be cleared).
    target_watched: bool,
    offset: Option<u64>,
}

/// A transaction that was not run because a key of it is gone: discarded when a command
/// was queued (`EXECABORT`) or when `EXEC` came (`TRYAGAIN`, or `ASK` when all are gone).
fn not_run(e: &NodeError) -> bool {
    matches!(
        e.server(),
        Some(ServerError::ExecAbort | ServerError::TryAgain | ServerError::Ask { .. })
    )
}

/// The two connections one batch in flight uses (`WATCH` is per connection).
struct Lane {
    source: Node,
    target: Node,
}

/// The hand-off of one (source, target) pair.
pub(crate) struct Handoff {
    /// The target's connected replicas (none: nothing to wait for).
    replicas: Vec<Node>,
    /// Copy through trib (`DUMP`/`RESTORE-ASKING`) rather than `MIGRATE … COPY`; turned
    /// off when trib's ACL user may not (`NOPERM`).
    relay: AtomicBool,
    /// Copy big keys in pieces (see [`pieces`]); turned off when trib's ACL user may not.
    pieces: AtomicBool,
    /// Delete a big key copied in pieces with `UNLINK` (turned off when refused).
    unlink: AtomicBool,
    /// The relay: whether the source may hold keys with a time to live. While it holds
    /// none (`INFO keyspace`), batches skip `PTTL`; see [`Handoff::relay_copy`].
    ttls: AtomicBool,
    /// Idle lanes.
    lanes: Mutex<Vec<Lane>>,
    /// Slots whose next copy must overwrite trib's own earlier copies on the target.
    redo: Mutex<BTreeSet<u16>>,
    /// The relay: slots where the source redirected trib for a key it listed (`ASK`,
    /// `TRYAGAIN`): gone, or expired but not yet deleted, which only a `MIGRATE` (exempt
    /// from redirections) deletes. Their keys go by `MIGRATE … COPY` from then on.
    by_migrate: Mutex<BTreeSet<u16>>,
    wait: Duration,
    /// The source and target run scripts with flags (`#!lua flags=…`, Redis 7.0+): see
    /// [`Handoff::cross_slot`] and [`Handoff::drop_vanished`].
    scripts: bool,
    /// The highest offset a replica was seen to have applied: batches below it need not
    /// ask again.
    applied: AtomicU64,
    /// The measured time of step 4 per key (`MULTI`/`DEL`/`EXEC` on the source), which
    /// the source's gate is charged for it: about a third of what copying a key costs
    /// the source, so charging the copy's pace kept the source idle part of the time.
    deletes: Pace,
    /// The relay's measured time per key on each side (the source's `WATCH`/`DUMP`s, the
    /// target's `RESTORE-ASKING`s), which each node's gate is charged. Batches are still
    /// sized by the pair's pace, the slower side's.
    dumps: Pace,
    restores: Pace,
    /// Whether the source's hashes may have fields with a time to live of their own (then
    /// a big hash is not copied in pieces); asked when one is to be.
    field_ttls: tokio::sync::OnceCell<bool>,
}

/// How the keys of a batch are copied (steps 1-2).
#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    /// `DUMP` on the source, `RESTORE-ASKING` on the target, through trib.
    Relay,
    /// `MIGRATE … COPY` on the source.
    Migrate,
    /// A big key read and written a piece at a time (see [`pieces`]).
    Pieces,
}

/// Tries of a big key in pieces (a client writing it meanwhile makes one start over)
/// before it goes by `MIGRATE … COPY`.
const PIECES_TRIES: usize = 3;

impl Handoff {
    /// The hand-off for batches moving to `target`: through trib when `relay`, waiting for
    /// a replica of the target when it has a connected one trib can reach (and the wait is
    /// not turned off), big keys in pieces when `pieces`; `None` when none of these (plain
    /// `MIGRATE`).
    pub(super) async fn prepare(
        source: &Node,
        target: &Node,
        opts: &MigrateOptions,
        relay: bool,
        pieces: bool,
    ) -> Option<Handoff> {
        let replicas = if opts.handoff {
            connected_replicas(target).await
        } else {
            Vec::new()
        };
        if replicas.is_empty() && !relay && !pieces {
            return None;
        }
        let info = source.info(&["server", "keyspace"]).await.ok();
        // Script flags (`#!lua flags=…`) came with Redis 7.0; Valkey reports 7.2.
        let scripts = info
            .as_ref()
            .and_then(|i| i.version())
            .is_some_and(|v| v >= (7, 0, 0));
        let ttls = info.is_none_or(|i| i.total_expires() > 0);
        tracing::debug!(
            "{} -> {}: {}; keys leave the source once one of {} replica(s) has them",
            source.label,
            target.label,
            if relay {
                "DUMP/RESTORE through trib"
            } else {
                "MIGRATE … COPY"
            },
            replicas.len()
        );
        Some(Handoff {
            replicas,
            relay: AtomicBool::new(relay),
            pieces: AtomicBool::new(pieces),
            unlink: AtomicBool::new(true),
            ttls: AtomicBool::new(ttls),
            lanes: Mutex::new(Vec::new()),
            redo: Mutex::new(BTreeSet::new()),
            by_migrate: Mutex::new(BTreeSet::new()),
            wait: opts.replica_wait,
            scripts,
            applied: AtomicU64::new(0),
            deletes: Pace::new(opts.node_budget()),
            dumps: Pace::new(opts.node_budget()),
            restores: Pace::new(opts.node_budget()),
            field_ttls: tokio::sync::OnceCell::new(),
        })
    }

    /// Whether batches go through [`Handoff::hand_over`]: relayed, or waiting for a
    /// replica; else (the relay refused, no replica) they are plain `MIGRATE`s.
    pub(super) fn handles(&self) -> bool {
        self.relay_on() || !self.replicas.is_empty()
    }

    fn relay_on(&self) -> bool {
        self.relay.load(Ordering::Relaxed)
    }

    /// Batches handed over at once per pair: many while each waits on a replica, fewer
    /// when only round trips are to be hidden; `None`: plain `MIGRATE`s.
    pub(super) fn in_flight(&self) -> Option<usize> {
        if !self.replicas.is_empty() {
            Some(IN_FLIGHT)
        } else if self.relay_on() {
            Some(RELAY_IN_FLIGHT)
        } else {
            None
        }
    }

    /// A relayed command was refused for want of permission: from now on the source
    /// `MIGRATE`s (which the ACL rule of docs/security.md before `+pttl +restore-asking`
    /// allows).
    fn refuse_relay(&self, route: &Route<'_>, e: &NodeError) {
        if self.relay.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                "{e}: trib's user may not copy keys itself (DUMP, PTTL, RESTORE-ASKING); {} moves them to {} with MIGRATE instead",
                route.source.label,
                route.target.label
            );
        }
    }

    async fn lane(&self, route: &Route<'_>) -> Result<Lane, NodeError> {
        let idle = self.lanes.lock().ok().and_then(|mut l| l.pop());
        match idle {
            Some(l) => Ok(l),
            None => {
                let (s, t) = futures::join!(route.source.another(), route.target.another());
                Ok(Lane {
                    source: s?,
                    target: t?,
                })
            }
        }
    }

    fn give_back(&self, lane: Lane) {
        if let Ok(mut l) = self.lanes.lock() {
            l.push(lane);
        }
    }

    pub(super) fn must_replace(&self, slot: u16) -> bool {
        self.redo.lock().map(|r| r.contains(&slot)).unwrap_or(true)
    }

    fn relayed(&self, group: &[SlotKeys]) -> bool {
        self.relay_on()
            && self
                .by_migrate
                .lock()
                .is_ok_and(|m| group.iter().all(|(s, _)| !m.contains(s)))
    }

    /// From now on `slot`'s keys go by `MIGRATE … COPY` (also: a big key, which trib
    /// should not hold in memory).
    pub(super) fn migrate_next_time(&self, slot: u16) {
        if let Ok(mut m) = self.by_migrate.lock() {
            m.insert(slot);
        }
    }

    fn replace_next_time(&self, slot: u16) {
        if let Ok(mut r) = self.redo.lock() {
            r.insert(slot);
        }
    }

    /// Hands the keys of a group of slots over (one `MIGRATE … COPY` per slot, one
    /// transaction deleting them all); a result per slot: how many keys left the source.
    /// Keys a client touched meanwhile stay on the source (they are listed and handed
    /// over again). Errors are those of `MIGRATE` (`BUSYKEY`, `IOERR`, no reply) or
    /// [`NodeErrorKind::NotReplicated`]; the slot's keys are then on the source, maybe
    /// on the target too.
    pub(super) async fn hand_over(
        &self,
        route: &Route<'_>,
        pace: &Pace,
        group: &[SlotKeys],
        timeout: Duration,
        grace: Duration,
    ) -> Vec<Result<u64, NodeError>> {
        let how = if self.relayed(group) {
            How::Relay
        } else {
            How::Migrate
        };
        self.hand_over_as(route, pace, group, timeout, grace, how)
            .await
    }

    /// Hands a big key over, alone, in pieces (see [`pieces`]) when its type allows; how
    /// many keys left the source. A client writing the key meanwhile makes the copy start
    /// over. `None`: not in pieces (its type, trib's permissions, or [`PIECES_TRIES`]
    /// tries each spoiled by a client's write): the caller moves it by `MIGRATE` (trib
    /// does not hold a whole big key in memory).
    pub(super) async fn hand_over_big(
        &self,
        route: &Route<'_>,
        pace: &Pace,
        slot: u16,
        key: &[u8],
        timeout: Duration,
        grace: Duration,
    ) -> Option<Result<u64, NodeError>> {
        if !self.pieces.load(Ordering::Relaxed) || !self.copies_in_pieces(route.source, key).await {
            return None;
        }
        let group = [(slot, vec![key.to_vec()])];
        for _ in 0..PIECES_TRIES {
            let r = self
                .hand_over_as(route, pace, &group, timeout, grace, How::Pieces)
                .await
                .into_iter()
                .next()
                .unwrap_or(Ok(0));
            match r {
                Ok(0) if on_source(route.source, key).await => continue,
                r => return Some(r),
            }
        }
        None
    }

    async fn hand_over_as(
        &self,
        route: &Route<'_>,
        pace: &Pace,
        group: &[SlotKeys],
        timeout: Duration,
        grace: Duration,
        how: How,
    ) -> Vec<Result<u64, NodeError>> {
        let lane = match self.lane(route).await {
            Ok(l) => l,
            Err(e) => return vec![Err(e); group.len()],
        };
        let rs = match self
            .run(route, pace, &lane, group, timeout, grace, how)
            .await
        {
            Ok(rs) => rs,
            Err(e) => vec![Err(e); group.len()],
        };
        for ((slot, _), r) in group.iter().zip(&rs) {
            // The copies of a failed batch, if any, are trib's own: the next copy of the
            // slot overwrites them. (A BUSYKEY means keys were there before: compared
            // by the caller, never overwritten unasked.)
            if let Err(e) = r
                && e.server() != Some(&ServerError::BusyKey)
            {
                self.replace_next_time(*slot);
            }
        }
        // A lane that saw an error may still hold a WATCH or a half-read reply.
        if rs.iter().all(Result::is_ok) {
            self.give_back(lane);
        }
        rs
    }

    #[allow(clippy::too_many_arguments)]
    async fn run(
        &self,
        route: &Route<'_>,
        pace: &Pace,
        lane: &Lane,
        group: &[SlotKeys],
        timeout: Duration,
        grace: Duration,
        how: How,
    ) -> Result<Vec<Result<u64, NodeError>>, NodeError> {
        // 1-2. Copy, the source's keys and the target's copies watched.
        let pieces = match how {
            How::Pieces => {
                self.pieces_copy(route, pace, lane, group, timeout + grace)
                    .await?
            }
            _ => None,
        };
        let copy = match (pieces, how) {
            (Some(copy), _) => copy,
            (None, How::Relay) => {
                self.relay_copy(route, pace, lane, group, timeout + grace)
                    .await?
            }
            (None, _) => {
                self.migrate_copy(route, pace, lane, group, timeout, grace)
                    .await?
            }
        };
        let Copied {
            mut results,
            keys: all,
            payloads,
            target_watched,
            offset,
        } = copy;
        if all.is_empty() {
            lane.source.query::<Value>(&redis::cmd("UNWATCH")).await?;
            if target_watched {
                lane.target.query::<Value>(&redis::cmd("UNWATCH")).await?;
            }
            return Ok(results);
        }

        // 3. A replica of the target has the copies.
        if let Some(offset) = offset {
            self.replicated(route.target, offset).await?;
        }

        // 4. Delete from the source unless a client touched a key since step 1.
        let mut pipe = redis::pipe();
        pipe.cmd("ASKING")
            .cmd("MULTI")
            .add_command(self.delete(&all, how))
            .cmd("EXEC");
        // Deleting is cheaper than copying (charged the copy's pace until measured); still
        // one budget at most queued on the source.
        let permit = route
            .gate
            .enter_source(self.deletes.estimate_or(all.len(), pace))
            .await;
        let started = Instant::now();
        let replies = lane.source.pipeline(&pipe).await;
        // A big key's delete says nothing about the others'.
        if replies.is_ok() && how != How::Pieces {
            self.deletes.observe(all.len(), started.elapsed());
        }
        drop(permit);
        let mut replies = replies?;
        // The delete refused when queued (ASKING, MULTI, the delete, EXEC).
        if let Some(Err(e)) = replies.get(2)
            && e.server() == Some(&ServerError::NoPerm)
            && how == How::Pieces
            && self.unlink.swap(false, Ordering::Relaxed)
        {
            tracing::warn!(
                "{e}: trib's user may not UNLINK; big keys are deleted from {} with DEL (their memory freed at once)",
                route.source.label
            );
        }
        match replies.pop() {
            Some(Ok(Value::Array(_))) => {
                if target_watched {
                    lane.target.query::<Value>(&redis::cmd("UNWATCH")).await?;
                }
                return Ok(results);
            }
            // Refused by WATCH, or discarded because a key was gone when the DEL was
            // queued (a migrating source redirects for it): below.
            Some(Ok(Value::Nil)) => {
                tracing::debug!(
                    "{}: EXEC refused (a watched key changed)",
                    route.source.label
                )
            }
            Some(Err(e)) if not_run(&e) => {
                tracing::debug!("{}: EXEC not run: {e}", route.source.label)
            }
            // Not a client's doing (e.g. the source is no longer a master): the copies
            // stay, the keys too; the caller stops with the error.
            Some(Err(e)) => return Err(e),
            other => {
                return Err(protocol(
                    route.source,
                    &format!("unexpected reply to EXEC: {other:?}"),
                ));
            }
        }
        // The EXEC was refused: a client wrote, deleted or expired a key meanwhile (or
        // `MIGRATE … COPY` skipped one that had expired). Keys still on the source go
        // again, overwriting the copies.
        for ((slot, _), r) in group.iter().zip(results.iter_mut()) {
            if let Ok(n) = r
                && *n > 0
            {
                self.replace_next_time(*slot);
                *n = 0;
            }
        }
        self.drop_vanished(route, lane, &all, &payloads).await?;
        Ok(results)
    }

    /// Steps 1-2 through `MIGRATE … COPY`: `WATCH` on the source, a `MIGRATE` per slot;
    /// then `WATCH` on the target's copies (and its offset, with replicas).
    async fn migrate_copy<'g>(
        &self,
        route: &Route<'_>,
        pace: &Pace,
        lane: &Lane,
        group: &'g [SlotKeys],
        timeout: Duration,
        grace: Duration,
    ) -> Result<Copied<'g>, NodeError> {
        let mut pipe = redis::pipe();
        for (_, keys) in group {
            for k in keys {
                // One key per WATCH: a multi-key command on a migrating slot with a key
                // missing is refused (TRYAGAIN); a missing key alone answers ASK. ASKING:
                // `fix` moves stray keys from a node that only imports the slot.
                pipe.cmd("ASKING").cmd("WATCH").arg(k.as_slice());
            }
        }
        for (slot, keys) in group {
            let mut m = route.migrate_args(timeout);
            m.copy = true;
            m.replace |= self.must_replace(*slot);
            pipe.add_command(cmd::migrate(&m, keys));
        }
        let deadline = timeout.saturating_mul(group.len() as u32) + grace;
        let keys: usize = group.iter().map(|(_, k)| k.len()).sum();
        let replies = timed(
            &route.gate,
            pace,
            keys,
            lane.source.pipeline_within(&pipe, deadline),
        )
        .await?;
        let copies = &replies[replies.len().saturating_sub(group.len())..];
        let mut results: Vec<Result<u64, NodeError>> = Vec::with_capacity(group.len());
        let mut copied: Vec<&Vec<u8>> = Vec::new();
        for ((_, keys), r) in group.iter().zip(copies) {
            match r {
                Ok(Value::SimpleString(s)) if s == "NOKEY" => results.push(Ok(0)),
                Ok(_) => {
                    copied.extend(keys.iter());
                    results.push(Ok(keys.len() as u64));
                }
                Err(e) => results.push(Err(e.clone())),
            }
        }
        if copied.is_empty() {
            return Ok(Copied {
                results,
                keys: copied,
                payloads: Vec::new(),
                target_watched: false,
                offset: None,
            });
        }
        let mut pipe = redis::pipe();
        for k in &copied {
            pipe.cmd("ASKING").cmd("WATCH").arg(k.as_slice());
        }
        let with_role = !self.replicas.is_empty();
        if with_role {
            pipe.cmd("ROLE");
        }
        let mut replies = lane.target.pipeline(&pipe).await?;
        let offset = if with_role {
            Some(self.offset(route, replies.pop())?)
        } else {
            None
        };
        Ok(Copied {
            results,
            keys: copied,
            payloads: Vec::new(),
            target_watched: true,
            offset,
        })
    }

    /// The target's replication offset from its reply to `ROLE`.
    fn offset(
        &self,
        route: &Route<'_>,
        reply: Option<Result<Value, NodeError>>,
    ) -> Result<u64, NodeError> {
        match reply {
            Some(Ok(v)) => match parse_role(&v) {
                Ok(Role::Master { offset, .. }) => Ok(offset),
                Ok(other) => Err(protocol(
                    route.target,
                    &format!("is no longer a master ({other:?})"),
                )),
                Err(e) => Err(protocol(route.target, &e)),
            },
            Some(Err(e)) => Err(e),
            None => Err(protocol(route.target, "no reply to ROLE")),
        }
    }

    /// Whether a group holds the keys of several slots: when a replica must have them (one
    /// wait for them all) and they can be deleted in one transaction (a script flagged
    /// `allow-cross-slot-keys`, Redis 7.0+); else every group holds one slot.
    pub(super) fn cross_slot(&self) -> bool {
        self.scripts && !self.replicas.is_empty()
    }

    /// The command that deletes `keys` (inside `MULTI`): `DEL` when they share a slot,
    /// else a script deleting them one by one (a transaction's keys must share a slot
    /// unless a script says otherwise).
    /// A big key copied in pieces (`how`) goes by `UNLINK`, which frees a big list, set,
    /// hash or sorted set in the background (`DEL` frees it at once: a million elements
    /// take the source 100 ms and more); by `DEL` after trib's user was refused `UNLINK`.
    fn delete(&self, keys: &[&Vec<u8>], how: How) -> redis::Cmd {
        let slots: BTreeSet<u16> = keys.iter().map(|k| key_slot(k)).collect();
        if slots.len() > 1 && self.scripts {
            return delete_script(keys);
        }
        let name = if how == How::Pieces && self.unlink.load(Ordering::Relaxed) {
            "UNLINK"
        } else {
            "DEL"
        };
        let mut c = redis::cmd(name);
        for k in keys {
            c.arg(k.as_slice());
        }
        c
    }

    /// After a refused `EXEC`: the keys gone from the source are deleted from the target,
    /// where trib copied them (a client that deleted one must not see it come back),
    /// unless a client touched one there since the copy: its value wins. After `MIGRATE …
    /// COPY` every copy is watched on the target since; after the relay (`payloads`, the
    /// restored ones in the order of `keys`), a copy is deleted only if it is still what
    /// trib restored: watched since (hash tables), or watched now and its `DUMP` unchanged.
    /// (A client that deleted a key on the source and wrote the very same value again
    /// through the target within these milliseconds loses that write: the copy cannot be
    /// told from trib's.)
    async fn drop_vanished(
        &self,
        route: &Route<'_>,
        lane: &Lane,
        keys: &[&Vec<u8>],
        payloads: &[Vec<u8>],
    ) -> Result<(), NodeError> {
        let mut pipe = redis::pipe();
        for k in keys {
            pipe.cmd("ASKING").cmd("EXISTS").arg(k.as_slice());
        }
        let exists = lane.source.pipeline(&pipe).await?;
        let gone_from_source: Vec<usize> = exists
            .iter()
            .skip(1)
            .step_by(2)
            .enumerate()
            .filter(|(_, e)| match e {
                Ok(Value::Int(n)) => *n == 0,
                // A migrating source answers ASK for a key it no longer has.
                Err(e) => matches!(e.server(), Some(ServerError::Ask { .. })),
                _ => false,
            })
            .map(|(i, _)| i)
            .collect();
        let mut vanished: Vec<&Vec<u8>> = gone_from_source.iter().map(|i| keys[*i]).collect();
        if !payloads.is_empty() && !vanished.is_empty() {
            let mut pipe = redis::pipe();
            for k in &vanished {
                pipe.cmd("ASKING").cmd("WATCH").arg(k.as_slice());
                pipe.cmd("ASKING").cmd("DUMP").arg(k.as_slice());
            }
            let now = lane.target.pipeline(&pipe).await?;
            vanished = gone_from_source
                .iter()
                .zip(now.chunks(4))
                .filter(|(i, r)| {
                    let restored = payloads.get(**i).map(Vec::as_slice).unwrap_or_default();
                    match r.get(3) {
                        Some(Ok(Value::BulkString(p))) => {
                            p == restored || !dump_is_canonical(restored)
                        }
                        // Deleted there too, or not readable: left alone.
                        _ => false,
                    }
                })
                .map(|(i, _)| keys[*i])
                .collect();
        }
        if vanished.is_empty() {
            lane.target.query::<Value>(&redis::cmd("UNWATCH")).await?;
            return Ok(());
        }
        // A key may be gone from the target too (a client deleted it there): the script
        // (keys as arguments, so `EXEC` has none to check) skips it, where a transaction of
        // DELs would be refused as a whole (`TRYAGAIN`). Before Redis 7.0, one DEL per key.
        let mut pipe = redis::pipe();
        pipe.cmd("ASKING").cmd("MULTI");
        if self.scripts {
            pipe.add_command(delete_script(&vanished));
        } else {
            for k in &vanished {
                pipe.cmd("DEL").arg(k.as_slice());
            }
        }
        pipe.cmd("EXEC");
        let mut replies = lane.target.pipeline(&pipe).await?;
        match replies.pop() {
            Some(Ok(Value::Array(_))) => {}
            // A client wrote one of them on the target: its write stands.
            Some(Ok(Value::Nil)) => tracing::debug!(
                "{}: a client wrote one of {} key(s) deleted on {} meanwhile; kept",
                route.target.label,
                vanished.len(),
                route.source.label
            ),
            // Before Redis 7.0: one of them is gone from the target too.
            Some(Err(e)) if not_run(&e) => tracing::debug!(
                "{}: one of {} key(s) deleted on {} meanwhile is gone here too ({e}); the others kept",
                route.target.label,
                vanished.len(),
                route.source.label
            ),
            Some(Err(e)) => return Err(e),
            _ => return Err(protocol(route.target, "unexpected reply to EXEC")),
        }
        Ok(())
    }

    /// Waits until one of the target's replicas has applied its stream up to `offset`.
    async fn replicated(&self, target: &Node, offset: u64) -> Result<(), NodeError> {
        let start = Instant::now();
        let mut pause = POLL_FIRST;
        loop {
            if self.applied.load(Ordering::Relaxed) >= offset {
                return Ok(());
            }
            let roles = join_all(
                self.replicas
                    .iter()
                    .map(|r| tokio::time::timeout(POLL_CALL, r.role())),
            )
            .await;
            let best = roles
                .iter()
                .filter_map(|r| match r {
                    Ok(Ok(Role::Replica {
                        connected: true,
                        offset,
                    })) => u64::try_from(*offset).ok(),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            self.applied.fetch_max(best, Ordering::Relaxed);
            if best >= offset {
                return Ok(());
            }
            tracing::debug!(
                "{}: waiting for offset {offset}; replicas at {best} ({:?})",
                target.label,
                start.elapsed()
            );
            if start.elapsed() >= self.wait {
                return Err(NodeError::new(
                    &target.label,
                    NodeErrorKind::NotReplicated(self.wait),
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(POLL_MAX);
        }
    }
}

fn protocol(node: &Node, why: &str) -> NodeError {
    NodeError::new(&node.label, NodeErrorKind::Protocol(why.to_string()))
}

/// Whether `source` still holds `key` (a migrating source redirects for one it has not).
async fn on_source(source: &Node, key: &[u8]) -> bool {
    let mut pipe = redis::pipe();
    pipe.cmd("ASKING").cmd("EXISTS").arg(key);
    matches!(
        source.pipeline(&pipe).await.map(|mut r| r.pop()),
        Ok(Some(Ok(Value::Int(1))))
    )
}

/// The target's replicas that are connected to it and that trib can reach.
async fn connected_replicas(target: &Node) -> Vec<Node> {
    let Ok(Role::Master { replicas, .. }) = target.role().await else {
        return Vec::new();
    };
    let connected = join_all(replicas.into_iter().map(|addr| async move {
        let node = target.connect_like(addr, &addr.to_string()).await.ok()?;
        match node.role().await {
            Ok(Role::Replica {
                connected: true, ..
            }) => Some(node),
            _ => None,
        }
    }))
    .await;
    connected.into_iter().flatten().collect()
}
