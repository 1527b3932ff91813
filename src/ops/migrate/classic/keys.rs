//! Moving the keys of open slots: `MIGRATE … KEYS` batches (several in flight, sized
//! adaptively, with an adaptive I/O timeout), `BUSYKEY` resolution by comparing copies,
//! and stopping when the source or the target stops answering.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use redis::Value;
use tokio::sync::Notify;

use super::pace::{Pace, timed};
use super::route::Route;
use super::slot_set;
use super::slots::{COUNT_COST, LIST_COST, cut_by_cost};
use crate::cluster::commands::{cmd, keys_of};
use crate::cluster::{NodeError, ServerError};
use crate::model::SlotSet;
use crate::ops::compare::same_contents;
use crate::ops::migrate::progress::{Progress, unresponsive};
use crate::ops::migrate::{MigrateError, MigrateOptions};
use crate::plan::bigkeys::io_timeout_for;

/// First batch size when sizing by time, before any batch was measured: 16 keys of 64 KB
/// take about 5 ms on loopback.
pub(super) const BATCH_START: usize = 16;
/// Largest batch sized by time.
pub(super) const BATCH_MAX: usize = 4000;
/// Consecutive IOERR/timeouts tolerated per slot before giving up.
pub(super) const MAX_IO_RETRIES: u32 = 6;
/// `MIGRATE` commands under way per (source, target) pair: they pass the source's
/// [`Gate`](super::pace::Gate) one stall budget at a time (small ones together, keeping
/// the source busy between round trips); few, because every one sent to a frozen target
/// blocks the source for the whole I/O timeout, also after trib gave up.
pub(super) const MIGRATES_IN_FLIGHT: usize = 4;
/// How much longer than its I/O timeout trib waits for a `MIGRATE` reply before it calls
/// the source unresponsive (frozen or down): a live source answers within the I/O
/// timeout, with `IOERR` if the target stalled.
pub(super) const REPLY_GRACE: Duration = Duration::from_secs(5);
/// First I/O timeout given to `MIGRATE`; it doubles on every `IOERR` (up to
/// [`MigrateOptions::io_timeout`]) and shrinks back after rounds without one. A batch of
/// small keys needs milliseconds; the source is blocked while it waits, so a frozen
/// target stalls it only this long per `MIGRATE` sent.
pub(super) const IO_TIMEOUT_START: Duration = Duration::from_secs(2);

/// A slot and keys of it.
pub(super) type SlotKeys = (u16, Vec<Vec<u8>>);
/// Keys listed per slot right after the slot was opened.
pub(super) type Listed = Vec<SlotKeys>;

/// Batch size (sized by time, or fixed), and the adaptive I/O timeout of `MIGRATE`.
pub(super) struct Batch {
    pub(super) size: usize,
    pub(super) fixed: bool,
    pub(super) max_used: usize,
    pub(super) timeout: Duration,
    pub(super) max_timeout: Duration,
    /// What recent batches took per key, against the stall budget.
    pub(super) pace: Pace,
}

impl Batch {
    /// `per_key`: the expected time of one key (from the keys' sizes) before a batch was
    /// measured; without it the first batch has [`BATCH_START`] keys.
    pub(super) fn new(opts: &MigrateOptions, per_key: Option<Duration>) -> Batch {
        let pace = Pace::seeded(opts.node_budget(), per_key);
        let size = match opts.batch {
            Some(n) => n,
            None => pace.fitting(BATCH_MAX).unwrap_or(BATCH_START),
        };
        Batch {
            size: size.max(1),
            fixed: opts.batch.is_some(),
            max_used: 0,
            timeout: IO_TIMEOUT_START.min(opts.io_timeout),
            max_timeout: opts.io_timeout,
            pace,
        }
    }

    /// A round without `IOERR`: as many keys as fit the stall budget at the measured pace.
    fn fit(&mut self) {
        if !self.fixed
            && let Some(n) = self.pace.fitting(BATCH_MAX)
        {
            self.size = n;
        }
    }

    /// A round without `IOERR`: the I/O timeout back towards its start.
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

/// Moves every key of the window's slots (`listed`: their first listing, and the batch
/// size it was listed with). Returns the slots now empty and, if one failed, the error
/// (the failed slot stays open: its keys are on both sides).
pub(super) async fn move_window(
    route: &Route<'_>,
    slots: &[u16],
    (listed, listed_with): (Listed, usize),
    batch: &mut Batch,
    progress: &Progress<'_>,
) -> (Vec<u16>, Option<MigrateError>) {
    // The batch size of the last listing (the smallest, when slots were listed with
    // several): a slot that listed fewer keys than that held no more.
    let mut listed_with = listed_with;
    let mut failed: Option<MigrateError> = None;
    let mut failed_slots = BTreeSet::new();
    let mut retries: BTreeMap<u16, u32> = BTreeMap::new();
    let mut pending: Listed = listed.into_iter().filter(|(_, k)| !k.is_empty()).collect();
    if !route.big.is_empty() {
        move_big_keys(
            route,
            slots,
            batch,
            progress,
            &mut failed,
            &mut failed_slots,
        )
        .await;
        // The big keys are gone from the source (or their slot failed): their slots are
        // listed again (a first listing of a few keys may have held little but them, and
        // an empty listing would count as an empty slot).
        let relist: Vec<u16> = slots
            .iter()
            .copied()
            .filter(|s| route.big.contains_key(s) && !failed_slots.contains(s))
            .collect();
        pending.retain(|(s, _)| !failed_slots.contains(s) && !relist.contains(s));
        let full = vec![batch.size; relist.len()];
        listed_with = listed_with.min(batch.size);
        list_keys(
            route,
            &relist,
            &full,
            batch.size,
            &mut pending,
            &mut failed_slots,
            &mut failed,
        )
        .await;
    }
    // Slots whose last listing was empty are done; a slot listed non-empty is listed
    // again after its MIGRATE until it is empty.
    while !pending.is_empty() {
        let deadline = batch.reply_deadline();
        // Set when a MIGRATE gets no reply at all: the source is frozen or down, and the
        // rest of the round is not sent (it would only queue behind).
        let stalled = AtomicBool::new(false);
        let stalled_now = Notify::new();
        let in_flight = route
            .handoff
            .as_ref()
            .and_then(|h| h.in_flight())
            .unwrap_or(MIGRATES_IN_FLIGHT);
        let together = route.handoff.as_ref().is_some_and(|h| h.cross_slot());
        let work = futures::stream::iter(groups(&pending, batch.size, together).into_iter().map(
            |group| {
                let (stalled, stalled_now) = (&stalled, &stalled_now);
                let (timeout, pace) = (batch.timeout, &batch.pace);
                async move {
                    if stalled.load(Ordering::Relaxed) {
                        return vec![None; group.len()];
                    }
                    // Given up once another group got no reply: the rest would wait for
                    // the same node one after the other (each behind the gate, a budget
                    // at a time), the whole deadline each.
                    let rs = tokio::select! {
                        rs = migrate_group(route, pace, group, timeout) => rs,
                        () = once_set(stalled, stalled_now) => return vec![None; group.len()],
                    };
                    if rs.iter().any(|r| matches!(r, Err(e) if e.is_timeout())) {
                        stalled.store(true, Ordering::Relaxed);
                        stalled_now.notify_waiters();
                    }
                    rs.into_iter().map(Some).collect::<Vec<_>>()
                }
            },
        ))
        .buffered(in_flight)
        .collect::<Vec<_>>()
        .map(|v| v.into_iter().flatten().collect::<Vec<_>>());
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
            let moved: u64 = results
                .iter()
                .map(|r| match r {
                    Some(Ok(n)) => *n,
                    _ => 0,
                })
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
                Ok(n) => {
                    progress.keys.fetch_add(n, Ordering::Relaxed);
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
            batch.fit();
        }
        progress.report(false);
        let expected = left_to_list(&pending, &again, listed_with, batch.size);
        listed_with = batch.size;
        pending.clear();
        if again.is_empty() {
            break;
        }
        list_keys(
            route,
            &again,
            &expected,
            batch.size,
            &mut pending,
            &mut failed_slots,
            &mut failed,
        )
        .await;
    }
    let done = slots
        .iter()
        .copied()
        .filter(|s| !failed_slots.contains(s))
        .collect();
    (done, failed)
}

/// The keys each of `again` is expected to list next, to size the listing's pipelines:
/// none when its last listing (in `pending`, listed `listed_with` keys at most) was
/// shorter than that, else up to `size`.
fn left_to_list(pending: &Listed, again: &[u16], listed_with: usize, size: usize) -> Vec<usize> {
    let cut: BTreeSet<u16> = pending
        .iter()
        .filter(|(_, k)| k.len() >= listed_with)
        .map(|(s, _)| *s)
        .collect();
    again
        .iter()
        .map(|s| if cut.contains(s) { size } else { 0 })
        .collect()
}

/// Lists the next `size` keys of each of `slots` on the source into `pending` (a slot with
/// none left is not: it is done); a slot that cannot be listed fails. In pipelines that
/// fit the stall budget by the keys `expected` in each slot: a window's thousand slots in
/// one pipeline run back to back on the source. Not through the source's gate: a claim
/// turn holds every gate, and waiting for the turns of the window before made a
/// 1000-slot move 30-50 ms slower.
async fn list_keys(
    route: &Route<'_>,
    slots: &[u16],
    expected: &[usize],
    size: usize,
    pending: &mut Listed,
    failed_slots: &mut BTreeSet<u16>,
    failed: &mut Option<MigrateError>,
) {
    let costs = slots.iter().enumerate().map(|(i, _)| {
        let keys = expected.get(i).copied().unwrap_or(size).min(size);
        COUNT_COST + LIST_COST.saturating_mul(keys as u32)
    });
    let mut begin = 0;
    for (len, _) in cut_by_cost(costs, route.opts.node_budget()) {
        let chunk = &slots[begin..begin + len];
        begin += len;
        list_chunk(route, chunk, size, pending, failed_slots, failed).await;
    }
}

/// [`list_keys`] for one pipeline.
async fn list_chunk(
    route: &Route<'_>,
    slots: &[u16],
    size: usize,
    pending: &mut Listed,
    failed_slots: &mut BTreeSet<u16>,
    failed: &mut Option<MigrateError>,
) {
    let mut pipe = redis::pipe();
    for s in slots {
        pipe.add_command(cmd::getkeysinslot(*s, size));
    }
    match route.source.pipeline(&pipe).await {
        Ok(replies) => {
            for (s, r) in slots.iter().zip(replies) {
                match r.map_err(MigrateError::from).and_then(|v| {
                    keys_of(v)
                        .map_err(|e| MigrateError::Other(format!("{}: {e}", route.source.label)))
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
            failed_slots.extend(slots.iter().copied());
            failed.get_or_insert(e.into());
        }
    }
}

/// Moves the big keys of the window's slots first, one at a time: in pieces that each fit
/// the stall budget when trib hands keys over itself, else alone on its source (the whole
/// stall budget of its gate) with an I/O timeout that fits its size. A slot whose big key
/// could not be moved is marked failed (left open).
async fn move_big_keys(
    route: &Route<'_>,
    slots: &[u16],
    batch: &Batch,
    progress: &Progress<'_>,
    failed: &mut Option<MigrateError>,
    failed_slots: &mut BTreeSet<u16>,
) {
    // Their times would say nothing about the other keys' pace.
    let alone = Pace::new(batch.pace.budget());
    for slot in slots {
        let Some(big) = route.big.get(slot) else {
            continue;
        };
        for (key, bytes) in big {
            if failed_slots.contains(slot) {
                break;
            }
            let timeout = io_timeout_for(*bytes, batch.timeout);
            tracing::debug!(
                "slot {slot}: moving big key {} ({bytes} bytes) alone, I/O timeout {timeout:?}",
                String::from_utf8_lossy(key)
            );
            let group = [(*slot, vec![key.clone()])];
            // In pieces when it can be, each within the budget (see `handoff::pieces`).
            let pieces = match &route.handoff {
                Some(h) => {
                    h.hand_over_big(route, &alone, *slot, key, timeout, REPLY_GRACE)
                        .await
                }
                None => None,
            };
            let r = match pieces {
                Some(r) => r,
                None => migrate_group(route, &alone, &group, timeout)
                    .await
                    .into_iter()
                    .next()
                    .unwrap_or(Ok(0)),
            };
            let err = match r {
                Ok(n) => {
                    progress.keys.fetch_add(n, Ordering::Relaxed);
                    continue;
                }
                Err(e) if is_busy(&e) => match resolve_busy(route, *slot, &group[0].1).await {
                    Ok(same) => {
                        progress.identical.fetch_add(same, Ordering::Relaxed);
                        continue;
                    }
                    Err(e) => e,
                },
                Err(e) => MigrateError::Other(format!(
                    "slot {slot}: big key {} ({} MB) could not be moved from {} to {} with an I/O timeout of {:.0}s: {}; the slot is left open, run `trib fix` (with a larger --command-timeout if the network is slow)",
                    String::from_utf8_lossy(key),
                    bytes / 1_000_000,
                    route.source.label,
                    route.target.label,
                    timeout.as_secs_f64(),
                    e.reason()
                )),
            };
            failed_slots.insert(*slot);
            failed.get_or_insert(err);
        }
    }
}

/// The error when the target stopped answering while keys moved to it.
pub(super) fn target_gone(route: &Route<'_>, e: &NodeError, open: &SlotSet) -> MigrateError {
    MigrateError::Other(format!(
        "{e}: stopped moving keys from {} to it (is it frozen or down? if it is only busy, e.g. with big keys, raise --command-timeout); slot(s) {open} are left open, run `trib fix` once it answers",
        route.source.label
    ))
}

/// Resolves once `flag` is set (and `notify` told of it).
async fn once_set(flag: &AtomicBool, notify: &Notify) {
    loop {
        let told = notify.notified();
        tokio::pin!(told);
        told.as_mut().enable();
        if flag.load(Ordering::Relaxed) {
            return;
        }
        told.await;
    }
}

/// `IOERR` (also wrapped) or no reply in time: the batch may be retried smaller.
pub(super) fn is_io_error(e: &NodeError) -> bool {
    e.is_timeout() || e.server() == Some(&ServerError::IoErr)
}

/// `BUSYKEY` (as `MIGRATE` wraps the target's reply): some keys exist on the target.
pub(super) fn is_busy(e: &NodeError) -> bool {
    e.server() == Some(&ServerError::BusyKey)
}

/// The slots of a round in the groups sent together: one slot per group, except for the
/// replicated hand-off between servers that can delete keys of several slots in one
/// transaction, where consecutive slots share a group up to `size` keys in all.
fn groups(pending: &Listed, size: usize, together: bool) -> Vec<&[SlotKeys]> {
    if !together {
        return pending.chunks(1).collect();
    }
    let mut out = Vec::new();
    let (mut begin, mut keys) = (0, 0);
    for (i, (_, k)) in pending.iter().enumerate() {
        if i > begin && keys + k.len() > size {
            out.push(&pending[begin..i]);
            begin = i;
            keys = 0;
        }
        keys += k.len();
    }
    if begin < pending.len() {
        out.push(&pending[begin..]);
    }
    out
}

/// Moves one group of slots' keys (see [`groups`]); a result per slot.
async fn migrate_group(
    route: &Route<'_>,
    pace: &Pace,
    group: &[SlotKeys],
    timeout: Duration,
) -> Vec<Result<u64, NodeError>> {
    if let Some(h) = &route.handoff
        && h.handles()
    {
        return h.hand_over(route, pace, group, timeout, REPLY_GRACE).await;
    }
    let mut out = Vec::with_capacity(group.len());
    for (slot, keys) in group {
        // Copies of trib's own on the target (a big key's, in pieces, refused on the
        // source because a client wrote it) are overwritten.
        let replace = route
            .handoff
            .as_ref()
            .is_some_and(|h| h.must_replace(*slot));
        out.push(migrate_keys(route, pace, keys, timeout, replace).await);
    }
    out
}

/// Moves one batch of keys of one slot: one `MIGRATE host port "" 0 timeout [REPLACE]
/// [AUTH…] KEYS k…` through the source's gate, waiting for its reply up to `timeout`
/// plus [`REPLY_GRACE`]; `replace` overwrites trib's own copies. Returns how many keys
/// left the source.
pub(super) async fn migrate_keys(
    route: &Route<'_>,
    pace: &Pace,
    keys: &[Vec<u8>],
    timeout: Duration,
    replace: bool,
) -> Result<u64, NodeError> {
    let mut args = route.migrate_args(timeout);
    args.replace |= replace;
    timed(
        &route.gate,
        pace,
        keys.len(),
        route.source.migrate(&args, keys, timeout + REPLY_GRACE),
    )
    .await?;
    Ok(keys.len() as u64)
}

/// After a BUSYKEY: compares the `DUMP` of every key of the batch still on the source
/// with the target's copy. Identical copies: the source copy is deleted. Returns how
/// many were identical, or the keys that differ.
///
/// Both sides are read through `ASKING`: the target imports the slot, and the source
/// may too (`fix` moves stray keys off a master that does not own their slot by opening
/// it there as importing; without `ASKING` it answers `MOVED`, which once counted as a
/// difference). On the slot's owner `ASKING` changes nothing.
pub(super) async fn resolve_busy(
    route: &Route<'_>,
    slot: u16,
    keys: &[Vec<u8>],
) -> Result<u64, MigrateError> {
    let mut src = redis::pipe();
    let mut dst = redis::pipe();
    for k in keys {
        src.cmd("ASKING").cmd("DUMP").arg(k.as_slice());
        dst.cmd("ASKING").cmd("DUMP").arg(k.as_slice());
    }
    let (a, b) = futures::join!(route.source.pipeline(&src), route.target.pipeline(&dst));
    let (a, b) = (a?, b?);
    let mut same = Vec::new();
    let mut differ = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let ours = a.get(2 * i + 1);
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
                if same_contents(route.source, route.target, k, true, true).await? =>
            {
                same.push(k.clone())
            }
            _ => differ.push(String::from_utf8_lossy(k).into_owned()),
        }
    }
    if !same.is_empty() {
        // Through `ASKING` like the reads: the source may only import the slot.
        let mut del = redis::pipe();
        del.cmd("ASKING").cmd("DEL");
        for k in &same {
            del.arg(k.as_slice());
        }
        for r in route.source.pipeline(&del).await? {
            r?;
        }
    }
    if !differ.is_empty() {
        return Err(MigrateError::BusyKeys {
            slot,
            target: route.target.label.clone(),
            keys: differ,
        });
    }
    Ok(same.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_slots_whose_listing_was_cut_are_expected_to_list_more() {
        let keys = |n: usize| (0..n).map(|i| vec![i as u8]).collect::<Vec<_>>();
        // Listed with batches of 3: slot 1 listed all it had (2 keys), slot 2 was cut at 3.
        let pending: Listed = vec![(1, keys(2)), (2, keys(3)), (3, keys(3))];
        // Slot 3 is not listed again (it failed); slot 9 was never listed: none expected.
        assert_eq!(left_to_list(&pending, &[1, 2, 9], 3, 100), vec![0, 100, 0]);
        // Listed with batches of 2: slot 1 may hold more too.
        assert_eq!(left_to_list(&pending, &[1, 2], 2, 5), vec![5, 5]);
        assert!(left_to_list(&pending, &[], 3, 5).is_empty());
    }

    #[test]
    fn groups_share_up_to_the_batch_size() {
        let keys = |n: usize| (0..n).map(|i| vec![i as u8]).collect::<Vec<_>>();
        let pending: Listed = vec![(1, keys(3)), (2, keys(4)), (3, keys(9)), (4, keys(1))];
        let sizes = |g: Vec<&[SlotKeys]>| {
            g.iter()
                .map(|g| g.iter().map(|(s, _)| *s).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            sizes(groups(&pending, 8, true)),
            [vec![1, 2], vec![3], vec![4]]
        );
        assert_eq!(sizes(groups(&pending, 100, true)), [vec![1, 2, 3, 4]]);
        // One slot per group when the keys of several slots cannot share a transaction.
        assert_eq!(
            sizes(groups(&pending, 100, false)),
            [vec![1], vec![2], vec![3], vec![4]]
        );
        assert!(groups(&Vec::new(), 8, true).is_empty());
    }

    #[test]
    fn batch_adapts() {
        let opts = MigrateOptions::default();
        let mut b = Batch::new(&opts, None);
        assert_eq!(b.size, BATCH_START);
        assert_eq!(b.timeout, IO_TIMEOUT_START);
        // Before any measurement the size stays; then it is what fits the stall budget.
        b.fit();
        assert_eq!(b.size, BATCH_START);
        b.pace.observe(1, Duration::from_nanos(1));
        b.fit();
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
        let mut f = Batch::new(
            &MigrateOptions {
                batch: Some(7),
                ..MigrateOptions::default()
            },
            Some(Duration::from_micros(10)),
        );
        f.pace.observe(1, Duration::from_nanos(1));
        f.fit();
        assert_eq!(f.size, 7);
        // Seeded by the keys' sizes: 10 µs a key, 100 fit in the node budget of 1 ms
        // (half of the default 2 ms) from the first batch.
        let seeded = Batch::new(&opts, Some(Duration::from_micros(10)));
        assert_eq!(seeded.size, 100);
    }
}
