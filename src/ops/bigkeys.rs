//! Finding the big keys of a migration plan before it runs: the keys of the slots that
//! move are sized on their source (`MEMORY USAGE`, pipelined) — every one of them up to
//! [`SIZE_ALL_UP_TO`] per source, a sample of about that many above it, each key with the
//! same chance (whole slots, or every few keys of a heavy slot: [`Sampling`]) — and the
//! keys whose move alone would exceed the stall budget are named in the plan
//! (`plan::bigkeys`).
//!
//! [`SIZE_ALL_UP_TO`]: crate::plan::bigkeys::SIZE_ALL_UP_TO
//! [`Sampling`]: crate::plan::bigkeys::Sampling
//!
//! The scan reads keys only (no write, no slot state). It keeps to the stall budget like
//! the moves do: every pipeline passes its source's [`Gate`] with an estimate of its
//! server time, so no more than half of `--max-stall` of scan work is ever queued on a
//! source (its clients wait behind the scan at most that long).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use redis::Value;

use crate::cluster::commands::{cmd, count_of, keys_of};
use crate::cluster::{Node, NodeError, NodeErrorKind};
use crate::model::NodeId;
use crate::ops::Reporter;
use crate::ops::migrate::classic::pace::Gate;
use futures::{StreamExt, TryStreamExt};

use crate::plan::bigkeys::{BigKey, KeySizes, KeysSized, Sampling, big_from, big_keys, in_pieces};
use crate::plan::migration::MigrationPlan;

/// Commands per pipeline of the scan: under half a millisecond of server time each, so
/// that two fit the default node budget (1 ms).
const CHUNK: usize = 120;
/// Pipelines of `MEMORY USAGE` under way per group of slots (queued on the source only
/// as far as its gate lets them).
const IN_FLIGHT: usize = 4;
/// Groups of slots under way per source: the next is listed while one is sized.
const GROUPS_IN_FLIGHT: usize = 2;
/// Keys listed per pipeline of `GETKEYSINSLOT`s (a slot holding more is listed alone).
const LIST_KEYS: u64 = 1024;
/// A source's time for one command of the scan (`MEMORY USAGE`, `COUNTKEYSINSLOT`), with
/// the per-command overhead: 2.5 µs measured on Redis 7.0 on loopback, rounded up.
const PER_COMMAND: Duration = Duration::from_micros(4);
/// A source's time per key listed by `GETKEYSINSLOT`: 16 ms for 61k keys measured, i.e.
/// 0.26 µs, rounded up.
const PER_LISTED_KEY: Duration = Duration::from_nanos(500);

/// The estimated server time of a scan pipeline of `commands` commands listing `keys` keys.
fn scan_cost(commands: usize, keys: u64) -> Duration {
    PER_COMMAND.saturating_mul(commands as u32)
        + PER_LISTED_KEY.saturating_mul(keys.min(u64::from(u32::MAX)) as u32)
}

/// Runs `pipe` on `node` once its `gate` lets `cost` of server time be queued there.
async fn gated(
    node: &Node,
    gate: &Gate,
    cost: Duration,
    pipe: &redis::Pipeline,
) -> Result<Vec<Result<Value, NodeError>>, NodeError> {
    let _permit = gate.enter(Some(cost)).await;
    node.pipeline(pipe).await
}

/// What the scan found: the big keys, what each source's keys weigh, how many were sized.
pub type Found = (Vec<BigKey>, BTreeMap<NodeId, KeySizes>, KeysSized);

/// The big keys of `plan` under `budget`, biggest first, found on the sources in
/// `masters`, what each source's keys weigh, and how many keys were sized (`all`: every
/// one, however many move). One source after the other: scanning several at once kept
/// every core busy (the servers and trib's parsing), and clients of a 2-core host waited
/// for a CPU: a rebalance's `--dry-run` of three sources raised their p99 from under
/// 1 ms to 2.3-4.5 ms.
pub async fn find_big_keys(
    masters: &BTreeMap<NodeId, Node>,
    plan: &MigrationPlan,
    budget: Duration,
    all: bool,
    pieces: bool,
    reporter: &dyn Reporter,
) -> Result<Found, NodeError> {
    let mut by_source: BTreeMap<&NodeId, Vec<u16>> = BTreeMap::new();
    for m in &plan.moves {
        by_source.entry(&m.from).or_default().push(m.slot);
    }
    let scanned = Scanned {
        reporter,
        done: AtomicUsize::new(0),
        total: plan.moves.len(),
    };
    let scanned = &scanned;
    let sized = futures::stream::iter(by_source.into_iter().filter_map(|(id, slots)| {
        let node = masters.get(id)?;
        Some(async move {
            // Half of --max-stall per node, as for the moves (`MigrateOptions::node_budget`).
            let gate = Gate::new(budget / 2);
            let ((big, sizes), sized) =
                sizes_in_slots(node, &gate, &slots, big_from(budget), all, scanned).await?;
            let types = types_of(node, &gate, &big, pieces).await;
            let big = big
                .into_iter()
                .map(|(key, slot, bytes)| (key, slot, id.clone(), node.label.clone(), bytes))
                .collect::<Vec<_>>();
            Ok::<_, NodeError>((big, types, (id.clone(), sizes), sized))
        })
    }))
    .buffered(1)
    .try_collect::<Vec<_>>()
    .await?;
    reporter.finish("");
    let mut total = KeysSized::default();
    let mut all_big = Vec::new();
    let mut all_types = BTreeMap::new();
    let mut by_source = BTreeMap::new();
    for (big, types, (id, sizes), sized) in sized {
        all_big.extend(big);
        all_types.extend(types);
        by_source.insert(id, sizes);
        total.add(sized);
    }
    let mut big = big_keys(all_big, budget);
    for k in &mut big {
        if let Some((type_name, in_pieces)) = all_types.remove(&(k.slot, k.key.clone())) {
            k.typed(type_name, in_pieces, budget);
        }
    }
    Ok((big, by_source, total))
}

/// The type of each big key of a source (`TYPE`, `None` when it cannot be read), and
/// whether the engine copies it in pieces (`pieces`: it may copy keys itself), by slot and
/// key.
async fn types_of(
    node: &Node,
    gate: &Gate,
    big: &[(Vec<u8>, u16, u64)],
    pieces: bool,
) -> BTreeMap<(u16, Vec<u8>), (Option<String>, bool)> {
    if big.is_empty() {
        return BTreeMap::new();
    }
    let mut pipe = redis::pipe();
    for (k, _, _) in big {
        pipe.cmd("TYPE").arg(k.as_slice());
    }
    let replies = gated(node, gate, scan_cost(big.len(), 0), &pipe)
        .await
        .unwrap_or_default();
    let types: Vec<Option<String>> = (0..big.len())
        .map(|i| match replies.get(i) {
            Some(Ok(Value::SimpleString(t))) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let ttls = pieces
        && types.iter().any(|t| t.as_deref() == Some("hash"))
        && node.hash_field_ttls().await;
    big.iter()
        .zip(types)
        .map(|((k, slot, _), t)| {
            let whole = !pieces || t.as_deref().is_none_or(|t| !in_pieces(t, ttls));
            ((*slot, k.clone()), (t, !whole))
        })
        .collect()
}

/// Slots sized so far, shown as the scan goes (a move of millions of keys takes seconds).
struct Scanned<'a> {
    reporter: &'a dyn Reporter,
    done: AtomicUsize,
    total: usize,
}

impl Scanned<'_> {
    fn add(&self, slots: usize) {
        let done = self.done.fetch_add(slots, Ordering::Relaxed) + slots;
        self.reporter.progress(
            "sizing the keys that move, for big ones",
            done,
            self.total,
            "",
        );
    }
}

/// [`find_big_keys`] for a plan about to be shown: the big keys are written into it. A
/// scan that fails (e.g. `MEMORY` denied by an ACL) only costs the plan its list: the
/// engine's pace still sizes every batch. Returns the warning to show then.
pub async fn note_big_keys(
    masters: &BTreeMap<NodeId, Node>,
    plan: &mut MigrationPlan,
    budget: Duration,
    all: bool,
    pieces: bool,
    reporter: &dyn Reporter,
) -> Option<String> {
    match find_big_keys(masters, plan, budget, all, pieces, reporter).await {
        Ok((big, sizes, sized)) => {
            plan.big_keys = big;
            plan.key_sizes = sizes;
            plan.sized = Some(sized);
            None
        }
        Err(e) => Some(format!(
            "big keys were not looked for ({e}); keys are still moved in batches sized to --max-stall"
        )),
    }
}

/// Found on one source: its big keys (key, slot, bytes) and what its sized keys weigh.
type SourceScan = (Vec<(Vec<u8>, u16, u64)>, KeySizes);

/// The keys of `slots` on `node` whose `MEMORY USAGE` is at least `min_bytes`, with
/// their slot and size, the count and total size of every key sized, and how many were
/// sized of how many (every key when `all`, or when at most
/// [`crate::plan::bigkeys::SIZE_ALL_UP_TO`] move).
async fn sizes_in_slots(
    node: &Node,
    gate: &Gate,
    slots: &[u16],
    min_bytes: u64,
    all: bool,
    scanned: &Scanned<'_>,
) -> Result<(SourceScan, KeysSized), NodeError> {
    // How many keys each slot holds, to list them all at once.
    let mut counts = Vec::with_capacity(slots.len());
    for chunk in slots.chunks(CHUNK) {
        let mut pipe = redis::pipe();
        for s in chunk {
            pipe.add_command(cmd::countkeysinslot(*s));
        }
        let replies = gated(node, gate, scan_cost(chunk.len(), 0), &pipe).await?;
        for (s, r) in chunk.iter().zip(replies) {
            let n = count_of(&r?);
            if n > 0 {
                counts.push((*s, n));
            }
        }
    }
    let moving: u64 = counts.iter().map(|(_, n)| n).sum();
    let sampling = Sampling::new(moving, all);
    // The slots listed: all of them, or those of the sample.
    let counts: Vec<(u16, u64)> = counts
        .iter()
        .enumerate()
        .filter(|(position, (_, n))| sampling.lists(*position, *n))
        .map(|(_, c)| *c)
        .collect();
    scanned.add(slots.len() - counts.len());
    // The keys of several slots per group (GETKEYSINSLOT has no cursor: a slot's keys are
    // listed by one command). The next group is listed while this one is sized.
    let mut groups = Vec::new();
    let mut begin = 0;
    while begin < counts.len() {
        let mut end = begin;
        let mut keys = 0;
        while end < counts.len()
            && (end == begin || (end - begin < CHUNK && keys + counts[end].1 <= LIST_KEYS))
        {
            keys += counts[end].1;
            end += 1;
        }
        groups.push(&counts[begin..end]);
        begin = end;
    }
    let sized = futures::stream::iter(
        groups
            .into_iter()
            .map(|group| size_group(node, gate, group, min_bytes, sampling, scanned)),
    )
    .buffered(GROUPS_IN_FLIGHT)
    .collect::<Vec<_>>()
    .await;
    let (big, sizes) = together(sized)?;
    let sized = KeysSized {
        sized: sizes.keys,
        moving,
        sample: sampling.is_sample(),
    };
    Ok(((big, sizes), sized))
}

/// Lists the keys of a group of slots (with their counts), then sizes those `sampling`
/// picks. Keys added since the count are not sized: the engine's pace covers them.
async fn size_group(
    node: &Node,
    gate: &Gate,
    group: &[(u16, u64)],
    min_bytes: u64,
    sampling: Sampling,
    scanned: &Scanned<'_>,
) -> Result<SourceScan, NodeError> {
    let mut pipe = redis::pipe();
    for (slot, n) in group {
        pipe.add_command(cmd::getkeysinslot(*slot, *n as usize));
    }
    let keys: u64 = group.iter().map(|(_, n)| n).sum();
    let replies = gated(node, gate, scan_cost(group.len(), keys), &pipe).await?;
    let mut listed: Vec<(Vec<u8>, u16)> = Vec::new();
    for ((slot, n), r) in group.iter().zip(replies) {
        let keys =
            keys_of(r?).map_err(|e| NodeError::new(&node.label, NodeErrorKind::Protocol(e)))?;
        listed.extend(
            keys.into_iter()
                .enumerate()
                .filter(|(i, _)| sampling.sizes(*i, *slot, *n))
                .map(|(_, k)| (k, *slot)),
        );
    }
    // A few pipelines under way, each queued on the source as its gate allows.
    let sized = futures::stream::iter(listed.chunks(CHUNK).map(|chunk| async move {
        let mut pipe = redis::pipe();
        for (k, _) in chunk {
            pipe.add_command(cmd::memory_usage(k));
        }
        let replies = gated(node, gate, scan_cost(chunk.len(), 0), &pipe).await?;
        let mut big = Vec::new();
        let mut sizes = KeySizes::default();
        for ((k, slot), r) in chunk.iter().zip(replies) {
            // Nil: the key is gone meanwhile. Only big ones are kept: a move of millions
            // of keys must not hold them all.
            if let Value::Int(bytes) = r? {
                let bytes = bytes.max(0) as u64;
                sizes.add(KeySizes { keys: 1, bytes });
                if bytes >= min_bytes {
                    big.push((k.clone(), *slot, bytes));
                }
            }
        }
        Ok::<_, NodeError>((big, sizes))
    }))
    .buffered(IN_FLIGHT)
    .collect::<Vec<_>>()
    .await;
    scanned.add(group.len());
    together(sized)
}

/// The parts of a scan as one: every big key, and the sizes added up.
fn together(parts: Vec<Result<SourceScan, NodeError>>) -> Result<SourceScan, NodeError> {
    let mut out = Vec::new();
    let mut total = KeySizes::default();
    for part in parts {
        let (big, sizes) = part?;
        out.extend(big);
        total.add(sizes);
    }
    Ok((out, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::migrate::MigrateOptions;

    #[test]
    fn scan_pipelines_fit_the_default_node_budget() {
        let budget = MigrateOptions::default().node_budget();
        // Two chunks of MEMORY USAGE fit at once, so the source is never idle between them.
        assert!(scan_cost(CHUNK, 0) * 2 <= budget);
        // A full listing group fits alone.
        assert!(scan_cost(CHUNK, LIST_KEYS) <= budget);
        assert_eq!(scan_cost(2, 1000), Duration::from_micros(508));
    }
}
