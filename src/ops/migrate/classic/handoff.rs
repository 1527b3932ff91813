//! The replicated hand-off of a key batch: its keys leave the source only once a replica
//! of the target has them.
//!
//! A plain `MIGRATE` deletes the keys from the source as soon as the target acknowledged
//! them; a target killed at that moment takes with it whatever its replicas had not yet
//! received, and the replica promoted in its place lacks those keys. When the target has
//! a connected replica, each batch goes instead:
//!
//! 1. on the source (a connection of its own): `WATCH` every key, `MIGRATE … COPY`;
//! 2. on the target (a connection of its own): `ASKING` + `WATCH` every key, then `ROLE`
//!    for the target's replication offset just after the copies;
//! 3. `ROLE` on the target's replicas until one has applied that offset;
//! 4. on the source: `MULTI`, `DEL` the keys, `EXEC`.
//!
//! A client that wrote or deleted one of the keys on the source meanwhile makes the
//! `EXEC` fail (`WATCH`): nothing is deleted, the keys still on the source are copied
//! again (with `REPLACE`: the target's copies are trib's own), and a key that the client
//! deleted is deleted from the target too, unless a client touched it there since the
//! copy (the target's `WATCH`). A target killed before step 4 leaves the batch on both
//! sides, byte for byte: `fix` keeps one copy.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::future::join_all;
use redis::Value;

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
/// Deletes the keys given as arguments, whatever their slots (all served by this node).
const DELETE_SCRIPT: &str = "#!lua flags=allow-cross-slot-keys
local n = 0
for _, k in ipairs(ARGV) do n = n + redis.call('DEL', k) end
return n";

/// Batches handed over at once per (source, target) pair. Each waits mostly on round
/// trips (copy, the target's offset, a replica's, the delete), on its own connections,
/// with one `MIGRATE` at a time per connection.
pub(super) const IN_FLIGHT: usize = 64;

/// The two connections one batch in flight uses (`WATCH` is per connection).
struct Lane {
    source: Node,
    target: Node,
}

/// The hand-off of one (source, target) pair.
pub(crate) struct Handoff {
    /// The target's connected replicas.
    replicas: Vec<Node>,
    /// Idle lanes.
    lanes: Mutex<Vec<Lane>>,
    /// Slots whose next copy must overwrite trib's own earlier copies on the target.
    redo: Mutex<BTreeSet<u16>>,
    wait: Duration,
    /// See [`Handoff::cross_slot`].
    cross_slot: bool,
    /// The highest offset a replica was seen to have applied: batches below it need not
    /// ask again.
    applied: AtomicU64,
}

impl Handoff {
    /// The hand-off for batches moving to `target`, or `None` when it has no connected
    /// replica trib can reach (nothing to wait for: plain `MIGRATE`) or it is turned off.
    pub(super) async fn prepare(
        source: &Node,
        target: &Node,
        opts: &MigrateOptions,
    ) -> Option<Handoff> {
        if !opts.handoff {
            return None;
        }
        let Ok(Role::Master { replicas, .. }) = target.role().await else {
            return None;
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
        let replicas: Vec<Node> = connected.into_iter().flatten().collect();
        if replicas.is_empty() {
            return None;
        }
        // Script flags (`#!lua flags=…`) came with Redis 7.0; Valkey reports 7.2.
        let cross_slot = match source.info(&["server"]).await {
            Ok(info) => info.version().is_some_and(|v| v >= (7, 0, 0)),
            Err(_) => false,
        };
        tracing::debug!(
            "{}: keys leave their source once one of {} replica(s) has them",
            target.label,
            replicas.len()
        );
        Some(Handoff {
            replicas,
            lanes: Mutex::new(Vec::new()),
            redo: Mutex::new(BTreeSet::new()),
            wait: opts.replica_wait,
            cross_slot,
            applied: AtomicU64::new(0),
        })
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

    fn must_replace(&self, slot: u16) -> bool {
        self.redo.lock().map(|r| r.contains(&slot)).unwrap_or(true)
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
        let lane = match self.lane(route).await {
            Ok(l) => l,
            Err(e) => return vec![Err(e); group.len()],
        };
        let rs = match self.run(route, pace, &lane, group, timeout, grace).await {
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

    async fn run(
        &self,
        route: &Route<'_>,
        pace: &Pace,
        lane: &Lane,
        group: &[SlotKeys],
        timeout: Duration,
        grace: Duration,
    ) -> Result<Vec<Result<u64, NodeError>>, NodeError> {
        // 1. WATCH on the source, then copy, a MIGRATE per slot.
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
        let mut copied: Vec<&[Vec<u8>]> = Vec::new();
        for ((_, keys), r) in group.iter().zip(copies) {
            match r {
                Ok(Value::SimpleString(s)) if s == "NOKEY" => results.push(Ok(0)),
                Ok(_) => {
                    copied.push(keys);
                    results.push(Ok(keys.len() as u64));
                }
                Err(e) => results.push(Err(e.clone())),
            }
        }
        if copied.is_empty() {
            lane.source.query::<Value>(&redis::cmd("UNWATCH")).await?;
            return Ok(results);
        }

        // 2. WATCH the copies on the target, and its replication offset now.
        let mut pipe = redis::pipe();
        for k in copied.iter().flat_map(|k| k.iter()) {
            pipe.cmd("ASKING").cmd("WATCH").arg(k.as_slice());
        }
        pipe.cmd("ROLE");
        let mut replies = lane.target.pipeline(&pipe).await?;
        let offset = match replies.pop() {
            Some(Ok(v)) => match parse_role(&v) {
                Ok(Role::Master { offset, .. }) => offset,
                Ok(other) => {
                    return Err(protocol(
                        route.target,
                        &format!("is no longer a master ({other:?})"),
                    ));
                }
                Err(e) => return Err(protocol(route.target, &e)),
            },
            Some(Err(e)) => return Err(e),
            None => return Err(protocol(route.target, "no reply to ROLE")),
        };

        // 3. A replica of the target has the copies.
        self.replicated(route.target, offset).await?;

        // 4. Delete from the source unless a client touched a key since step 1.
        let all: Vec<&Vec<u8>> = copied.iter().flat_map(|k| k.iter()).collect();
        let mut pipe = redis::pipe();
        pipe.cmd("ASKING")
            .cmd("MULTI")
            .add_command(self.delete(&all))
            .cmd("EXEC");
        // Deleting is cheaper than copying; still one budget at most queued on the source.
        let permit = route.gate.enter(pace.estimate(all.len())).await;
        let replies = lane.source.pipeline(&pipe).await;
        drop(permit);
        let mut replies = replies?;
        match replies.pop() {
            Some(Ok(Value::Array(_))) => {
                lane.target.query::<Value>(&redis::cmd("UNWATCH")).await?;
                return Ok(results);
            }
            // Refused by WATCH: below.
            Some(Ok(Value::Nil)) => {}
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
        // The EXEC was refused: a client wrote, deleted or expired a key meanwhile. Keys
        // still on the source go again, overwriting the copies.
        for ((slot, _), r) in group.iter().zip(results.iter_mut()) {
            if let Ok(n) = r
                && *n > 0
            {
                self.replace_next_time(*slot);
                *n = 0;
            }
        }
        self.drop_vanished(route, lane, &all).await?;
        Ok(results)
    }

    /// Whether keys of several slots can be deleted in one transaction: a script flagged
    /// `allow-cross-slot-keys` (Redis 7.0+); else every group holds one slot.
    pub(super) fn cross_slot(&self) -> bool {
        self.cross_slot
    }

    /// The command that deletes `keys` (inside `MULTI`): `DEL` when they share a slot,
    /// else a script deleting them one by one (a transaction's keys must share a slot
    /// unless a script says otherwise).
    fn delete(&self, keys: &[&Vec<u8>]) -> redis::Cmd {
        let slots: BTreeSet<u16> = keys.iter().map(|k| key_slot(k)).collect();
        let mut c = if slots.len() > 1 && self.cross_slot {
            let mut c = redis::cmd("EVAL");
            c.arg(DELETE_SCRIPT).arg(0);
            c
        } else {
            redis::cmd("DEL")
        };
        for k in keys {
            c.arg(k.as_slice());
        }
        c
    }

    /// After a refused `EXEC`: the keys gone from the source are deleted from the target,
    /// where trib copied them (a client that deleted one must not see it come back),
    /// unless a client touched one there since (the target's `WATCH`: its value wins).
    async fn drop_vanished(
        &self,
        route: &Route<'_>,
        lane: &Lane,
        keys: &[&Vec<u8>],
    ) -> Result<(), NodeError> {
        let mut pipe = redis::pipe();
        for k in keys {
            pipe.cmd("ASKING").cmd("EXISTS").arg(k.as_slice());
        }
        let exists = lane.source.pipeline(&pipe).await?;
        let vanished: Vec<&Vec<u8>> = keys
            .iter()
            .copied()
            .zip(exists.iter().skip(1).step_by(2))
            .filter(|(_, e)| match e {
                Ok(Value::Int(n)) => *n == 0,
                // A migrating source answers ASK for a key it no longer has.
                Err(e) => matches!(e.server(), Some(ServerError::Ask { .. })),
                _ => false,
            })
            .map(|(k, _)| k)
            .collect();
        if vanished.is_empty() {
            lane.target.query::<Value>(&redis::cmd("UNWATCH")).await?;
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.cmd("ASKING")
            .cmd("MULTI")
            .add_command(self.delete(&vanished))
            .cmd("EXEC");
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
