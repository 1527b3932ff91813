//! Planning and driving the moves of one (source, target) pair: empty slots change owner
//! directly, the others are cut into windows of about equal key counts, and the next
//! window is opened while the keys of the current one move.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::BigKeys;
use super::keys::{Batch, move_window};
use super::pace::PairGate;
use super::route::route;
use super::slots::{count_keys, finish_slots, move_empty_slots, open_window, rollback_window};
use crate::cluster::Node;
use crate::model::NodeId;
use crate::ops::interrupt;
use crate::ops::migrate::progress::Progress;
use crate::ops::migrate::{MigrateError, MigrateOptions};
use crate::plan::bigkeys::relays;

/// Most slots opened at once per (source, target) pair.
const WINDOW_SLOTS: usize = 1024;
/// A window stops growing once its slots hold this many keys (by a count taken before
/// opening them), so few slots stay open while many keys move.
const WINDOW_KEYS: u64 = 20_000;

/// Cuts `slots` (with their estimated key `counts`) into as many windows as the key and
/// slot limits ask for, of about equal key counts, in order.
fn cut_windows<'a>(slots: &'a [u16], counts: &[u64]) -> Vec<&'a [u16]> {
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
    windows
}

/// Moves the slots of one (source, target) pair, window by window, opening the next
/// window while the keys of the current one move.
#[allow(clippy::too_many_arguments)]
pub(super) async fn move_pair(
    source: &Node,
    source_id: &NodeId,
    target: &Node,
    target_id: &NodeId,
    others: &[&Node],
    slots: &[u16],
    big: &BigKeys,
    per_key: Option<Duration>,
    gate: PairGate,
    opts: &MigrateOptions,
    progress: &Progress<'_>,
) -> Result<(), MigrateError> {
    let relay = opts.relay && relays(per_key);
    // Big keys go in pieces unless trib may not copy keys itself (`--via-migrate`).
    let pieces = opts.relay && slots.iter().any(|s| big.contains_key(s));
    let mut route = route(source, target, Some(target_id), gate, opts, relay, pieces).await?;
    route.big = slots
        .iter()
        .filter_map(|s| big.get(s).map(|k| (*s, k.clone())))
        .collect();
    let mut batch = Batch::new(opts, per_key);

    // Keys per slot before opening anything, to cut windows (an estimate: keys may come
    // and go until the slot is MIGRATING; the real keys are listed after that).
    let counts = count_keys(&route, slots).await?;
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
    let windows = cut_windows(&slots, &counts);
    // Each window's expected key counts (the windows cut `slots` in order), for pacing
    // its opening.
    let mut rest = &counts[..];
    let window_keys: Vec<&[u64]> = windows
        .iter()
        .map(|w| {
            let (these, later) = rest.split_at(w.len().min(rest.len()));
            rest = later;
            these
        })
        .collect();

    interrupt::check().map_err(MigrateError::interrupted)?;
    let t0 = Instant::now();
    // The batch size each window's slots were first listed with.
    let mut opened_with = batch.size;
    let mut opened = match windows.first() {
        Some(w) => open_window(&route, source_id, target_id, w, window_keys[0], batch.size).await?,
        None => return Ok(()),
    };
    // Slots emptied by the previous window, given their new owner while the keys of the
    // current window move.
    let mut emptied: Vec<u16> = Vec::new();
    for i in 0..windows.len() {
        // A stop request (SIGINT/SIGTERM) is honoured at window boundaries: the current
        // window is finished and closed, the next one is not opened (or is rolled back).
        let next = windows
            .get(i + 1)
            .filter(|_| !progress.abort.load(Ordering::Relaxed) && interrupt::check().is_ok());
        let current = windows[i];
        let size = batch.size;
        let finishing = std::mem::take(&mut emptied);
        let (moved, next_opened, finished) = futures::join!(
            move_window(
                &route,
                current,
                (std::mem::take(&mut opened), opened_with),
                &mut batch,
                progress
            ),
            async {
                match next {
                    Some(w) => Some(
                        open_window(&route, source_id, target_id, w, window_keys[i + 1], size)
                            .await,
                    ),
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
        let stop = failed.is_some()
            || progress.abort.load(Ordering::Relaxed)
            || interrupt::check().is_err();
        if let Some(result) = next_opened {
            match result {
                Ok(o) if !stop => {
                    opened = o;
                    opened_with = size;
                }
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
        if stop || next.is_none() {
            let finished = finish_slots(&route, target_id, others, &done).await;
            if finished.is_ok() {
                progress.slots.fetch_add(done.len(), Ordering::Relaxed);
            }
            progress.report(false);
            // The first error says what went wrong; a failing finish follows from it.
            return match (failed, finished) {
                (Some(e), _) | (None, Err(e)) => Err(e),
                (None, Ok(())) if i + 1 < windows.len() => match interrupt::check() {
                    Err(stop) => Err(MigrateError::interrupted(stop)),
                    // Another pair failed: that error is the one reported.
                    Ok(()) => Ok(()),
                },
                (None, Ok(())) => Ok(()),
            };
        }
        emptied = done;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_split_keys_evenly_and_cap_slots() {
        // 3 slots of 15k keys: 45k keys need 3 windows of about 15k.
        let slots = [1, 2, 3];
        let w = cut_windows(&slots, &[15_000, 15_000, 15_000]);
        assert_eq!(w, vec![&[1][..], &[2][..], &[3][..]]);
        // Few keys in many slots: windows of at most WINDOW_SLOTS slots.
        let many: Vec<u16> = (0..3000).collect();
        let w = cut_windows(&many, &vec![1; 3000]);
        assert!(w.iter().all(|w| w.len() <= WINDOW_SLOTS));
        assert_eq!(w.iter().map(|w| w.len()).sum::<usize>(), 3000);
        assert_eq!(w.concat(), many);
        // Small moves take one window; none for no slots.
        assert_eq!(cut_windows(&slots, &[1, 2, 3]), vec![&slots[..]]);
        assert!(cut_windows(&[], &[]).is_empty());
    }
}
