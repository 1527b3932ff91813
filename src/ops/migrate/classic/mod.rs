//! The classic path: `CLUSTER SETSLOT` + `MIGRATE`, slot by slot.
//!
//! Per slot the protocol is the one Redis Cluster defines (`CLUSTER SETSLOT s IMPORTING`
//! on the target, `SETSLOT s MIGRATING` on the source, `GETKEYSINSLOT` + `MIGRATE … KEYS`
//! until the slot is empty, then `SETSLOT s NODE` on the target, the source and every
//! other master). What makes it fast:
//!
//! * slots are handled in windows ([`windows`]): the state changes of a whole window are
//!   one pipeline per node ([`slots`]), so thousands of empty slots take a handful of
//!   round trips, and the next window is opened while the keys of the current one move;
//! * the `MIGRATE` commands of every slot of a window are under way at once ([`keys`]),
//!   each with as many keys as fit the stall budget at the pace measured on recent
//!   batches ([`pace`]); a source never has more than one budget of them queued, so its
//!   clients wait at most about that long; batches shrink on `IOERR`/timeouts;
//! * small keys are copied by trib itself, so that the source dumps the next batch
//!   while the target restores this one; larger ones by `MIGRATE` ([`handoff`]);
//! * different (source, target) pairs run concurrently ([`run`]).

pub(super) mod handoff;
pub(super) mod keys;
pub(crate) mod pace;
pub(super) mod route;
pub(super) mod slots;
pub(super) mod windows;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::future::join_all;

use self::pace::{Claims, Gate, PairGate};
use super::progress::Progress;
use super::{MigrateError, MigrateOptions};
use crate::cluster::Node;
use crate::model::{NodeId, SlotSet};
use crate::ops::Reporter;

/// The big keys of the plan by slot (key, bytes): each moved alone, first in its slot.
pub(super) type BigKeys = BTreeMap<u16, Vec<(Vec<u8>, u64)>>;

/// What the plan's scan found out about the keys that move.
#[derive(Default)]
pub(super) struct Scanned {
    pub(super) big: BigKeys,
    /// Per source, the expected time of one of its keys: its first batches are sized by
    /// it (the keys' average size) instead of starting at [`keys::BATCH_START`].
    pub(super) per_key: BTreeMap<NodeId, Duration>,
}

/// The stall gates of the nodes that move keys, shared by everything that moves keys
/// through them at once (the pairs of a migration, the slots `fix` repairs together): a
/// node's clients wait for one node budget at most (half of `--max-stall`: a redirected
/// client meets two nodes), however many moves go through it.
pub struct Gates {
    budget: Duration,
    nodes: BTreeMap<NodeId, Arc<Gate>>,
    claims: Arc<Claims>,
}

impl Gates {
    /// A gate of `budget` for each of `nodes`.
    pub fn new<'a>(nodes: impl IntoIterator<Item = &'a NodeId>, budget: Duration) -> Gates {
        let nodes: BTreeMap<NodeId, Arc<Gate>> = nodes
            .into_iter()
            .map(|id| (id.clone(), Arc::new(Gate::new(budget))))
            .collect();
        let claims = Arc::new(Claims::new(nodes.values().cloned().collect()));
        Gates {
            budget,
            nodes,
            claims,
        }
    }

    /// The gates of a move from `from` to `to`, entered in node-ID order (gates of their
    /// own for a node not given to [`Gates::new`]).
    pub(crate) fn pair(&self, from: &NodeId, to: &NodeId) -> PairGate {
        match (self.nodes.get(from), self.nodes.get(to)) {
            (Some(f), Some(t)) if from < to => {
                PairGate::new(f.clone(), t.clone(), true, self.claims.clone())
            }
            (Some(f), Some(t)) => PairGate::new(t.clone(), f.clone(), false, self.claims.clone()),
            _ => PairGate::alone(self.budget),
        }
    }
}

/// What the classic path did.
pub(super) struct ClassicOutcome {
    pub(super) slots: usize,
    pub(super) keys: u64,
    pub(super) max_batch: usize,
    pub(super) identical: u64,
}

/// Moves every (source, target) group of `pairs` (`total` slots in all), the pairs
/// concurrently. `start` is when the whole migration started (for the rate shown).
pub(super) async fn run(
    masters: &BTreeMap<NodeId, Node>,
    pairs: &BTreeMap<(NodeId, NodeId), Vec<u16>>,
    scanned: &Scanned,
    total: usize,
    opts: &MigrateOptions,
    reporter: &dyn Reporter,
    start: Instant,
) -> Result<ClassicOutcome, MigrateError> {
    let progress = Progress::new(reporter, total, start);
    let gates = Gates::new(
        pairs.keys().flat_map(|(from, to)| [from, to]),
        opts.node_budget(),
    );
    if total > 0 {
        reporter.step(&format!(
            "Moving {} slot(s) between {} pair(s) of masters",
            total,
            pairs.len()
        ));
        progress.report(true);
    }

    let results = join_all(pairs.iter().map(|((from, to), slots)| {
        let progress = &progress;
        let gate = gates.pair(from, to);
        async move {
            let (Some(source), Some(target)) = (masters.get(from), masters.get(to)) else {
                return Err(MigrateError::Other("no connection".into()));
            };
            let others: Vec<&Node> = masters
                .iter()
                .filter(|(id, _)| *id != from && *id != to)
                .map(|(_, n)| n)
                .collect();
            let r = windows::move_pair(
                source,
                from,
                target,
                to,
                &others,
                slots,
                &scanned.big,
                scanned.per_key.get(from).copied(),
                gate,
                opts,
                progress,
            )
            .await;
            if r.is_err() {
                progress.abort.store(true, Ordering::Relaxed);
            }
            r
        }
    }))
    .await;
    progress.report(true);
    reporter.finish("");
    // A stop request ends every pair at its next window boundary: that is one stop, not
    // an error per pair (unless a pair also failed).
    let moved = progress.slots.load(Ordering::Relaxed);
    let (stops, results): (Vec<_>, Vec<_>) = results
        .into_iter()
        .partition(|r| matches!(r, Err(MigrateError::Interrupted { .. })));
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|e| e.to_string()))
        .collect();
    if errors.is_empty()
        && let Some(Err(MigrateError::Interrupted { stop, .. })) = stops.into_iter().next()
    {
        return Err(MigrateError::Interrupted { stop, moved });
    }
    if let Some(first) = results.into_iter().find_map(Result::err) {
        if errors.len() == 1 {
            return Err(first);
        }
        return Err(MigrateError::Other(errors.join("\n")));
    }
    Ok(ClassicOutcome {
        slots: progress.slots.load(Ordering::Relaxed),
        keys: progress.keys.load(Ordering::Relaxed),
        max_batch: progress.max_batch.load(Ordering::Relaxed),
        identical: progress.identical.load(Ordering::Relaxed),
    })
}

fn slot_set(slots: impl Iterator<Item = u16>) -> SlotSet {
    let mut set = SlotSet::new();
    for s in slots {
        set.insert(s);
    }
    set
}

/// What [`move_slot_keys`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlotKeys {
    /// Keys moved by `MIGRATE`.
    pub moved: u64,
    /// Keys the target already had with the same contents: the source's copy deleted.
    pub identical: u64,
}

/// Moves every key of `slot` from `source` (`from`) to `target` (`to`), batches of
/// `MIGRATE … KEYS` through their `gates` (shared with the moves under way at the same
/// time), without changing slot ownership. The building block `fix` uses to close open
/// slots.
pub async fn move_slot_keys(
    (source, from): (&Node, &NodeId),
    (target, to): (&Node, &NodeId),
    slot: u16,
    opts: &MigrateOptions,
    gates: &Gates,
) -> Result<SlotKeys, MigrateError> {
    let gate = gates.pair(from, to);
    // Through `MIGRATE`: the source may only import the slot (stray keys), where the
    // relay's reads would be redirected.
    let route = route::route(source, target, None, gate, opts, false, false).await?;
    let mut batch = keys::Batch::new(opts, None);
    let silent = crate::ops::Silent;
    let progress = Progress::new(&silent, 1, Instant::now());
    let listed_with = batch.size;
    let keys = source.keys_in_slot(slot, listed_with).await?;
    let listed = (vec![(slot, keys)], listed_with);
    let (_, failed) = keys::move_window(&route, &[slot], listed, &mut batch, &progress).await;
    match failed {
        Some(e) => Err(e),
        None => Ok(SlotKeys {
            moved: progress.keys.load(Ordering::Relaxed),
            identical: progress.identical.load(Ordering::Relaxed),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(c: char) -> NodeId {
        NodeId::parse(&c.to_string().repeat(40)).unwrap()
    }

    /// Two moves from one source (e.g. two slots `fix` repairs at once) wait for each
    /// other; a move between other nodes does not wait for them.
    #[tokio::test]
    async fn moves_through_a_node_share_its_gate() {
        let (a, b, c, d) = (id('a'), id('b'), id('c'), id('d'));
        let gates = Gates::new([&a, &b, &c, &d], Duration::from_millis(5));
        let (ab, ac, cd) = (gates.pair(&a, &b), gates.pair(&a, &c), gates.pair(&c, &d));
        let held = ab.enter(None).await;
        assert!(held.0.is_some() && held.1.is_some());
        let small = Some(Duration::from_micros(1));
        let waiting = ac.enter(small);
        tokio::pin!(waiting);
        let short = Duration::from_millis(20);
        assert!(tokio::time::timeout(short, &mut waiting).await.is_err());
        // The source's gate is what they share: c -> d goes on meanwhile.
        let other = tokio::time::timeout(short, cd.enter(small)).await;
        assert!(other.is_ok_and(|(x, y)| x.is_some() && y.is_some()));
        drop(held);
        let got = waiting.await;
        assert!(got.0.is_some() && got.1.is_some());
        // A node not given: gates of its own.
        let (e, f) = (id('e'), id('f'));
        let ef = gates.pair(&e, &f);
        assert!(tokio::time::timeout(short, ef.enter(None)).await.is_ok());
    }
}
