//! Per-slot state changes of the classic path: opening a window (IMPORTING, MIGRATING),
//! rolling it back (STABLE), and giving slots their new owner (`SETSLOT … NODE`, in the
//! order that never lets a stale claim win).

use std::time::Duration;

use futures::future::join_all;
use redis::Value;

use super::keys::Listed;
use super::route::Route;
use super::slot_set;
use crate::cluster::commands::{cmd, count_of, keys_of};
use crate::cluster::{Node, NodeError, NodeErrorKind, ServerError, SetSlot};
use crate::model::NodeId;
use crate::ops::migrate::MigrateError;

/// How often a `SETSLOT` that was not acknowledged in time ([`unacknowledged`]) is sent
/// again.
const SETSLOT_RETRIES: usize = 3;

/// Runs a pipeline of `SETSLOT`s ([`Node::pipeline_paced`]); those answered
/// [`unacknowledged`] (not applied) are sent again, up to [`SETSLOT_RETRIES`] times. The
/// replies are the last ones, in order.
async fn setslots(
    node: &Node,
    pipe: &redis::Pipeline,
) -> Result<Vec<Result<Value, NodeError>>, NodeError> {
    let cmds: Vec<&redis::Cmd> = pipe.cmd_iter().collect();
    let mut replies = node.pipeline_paced(pipe).await?;
    for _ in 0..SETSLOT_RETRIES {
        let again: Vec<usize> = (0..replies.len())
            .filter(|i| matches!(&replies[*i], Err(e) if unacknowledged(e)))
            .collect();
        if again.is_empty() {
            break;
        }
        let mut retry = redis::pipe();
        for i in &again {
            retry.add_command(cmds[*i].clone());
        }
        for (i, r) in again.into_iter().zip(node.pipeline_paced(&retry).await?) {
            replies[i] = r;
        }
    }
    Ok(replies)
}

/// Opens a window: IMPORTING on the target, then MIGRATING on the source together with
/// the first `GETKEYSINSLOT` of every slot (`keys[i]`: how many keys slot `slots[i]` is
/// expected to list, at most `batch`). In chunks that fit the stall budget, each through
/// the pair's gates like a `MIGRATE`: a window of a thousand slots in one pipeline kept
/// the source from its clients for 10-20 ms. A failure rolls the whole window back.
pub(super) async fn open_window(
    route: &Route<'_>,
    source_id: &NodeId,
    target_id: &NodeId,
    slots: &[u16],
    keys: &[u64],
    batch: usize,
) -> Result<Listed, MigrateError> {
    let costs = (0..slots.len()).map(|i| {
        let listed = keys.get(i).copied().unwrap_or(0).min(batch as u64);
        OPEN_COST + LIST_COST.saturating_mul(listed as u32)
    });
    let mut listed = Vec::with_capacity(slots.len());
    let mut begin = 0;
    for (len, cost) in cut_by_cost(costs, route.opts.node_budget()) {
        let chunk = &slots[begin..begin + len];
        begin += len;
        let opened = {
            let _permits = route.gate.enter(Some(cost)).await;
            open_chunk(route, source_id, target_id, chunk, batch).await
        };
        match opened {
            Ok(l) => listed.extend(l),
            Err(e) => {
                rollback_window(route, slots).await;
                return Err(e);
            }
        }
    }
    Ok(listed)
}

/// What opening one slot costs its source (`SETSLOT … MIGRATING` and a `GETKEYSINSLOT`,
/// with their share of the `nodes.conf` save) and the target (`IMPORTING`), besides
/// [`LIST_COST`] per key listed: 985 slots of ~6 keys in one pipeline took 10-20 ms.
const OPEN_COST: Duration = Duration::from_micros(8);
/// A source's time per key listed by `GETKEYSINSLOT` (measured 0.26 µs, rounded up).
pub(super) const LIST_COST: Duration = Duration::from_nanos(500);

/// A source's time for one `COUNTKEYSINSLOT` (or a `GETKEYSINSLOT` that lists nothing)
/// with its share of the per-command overhead (2.5 µs measured on Redis 7.0 on loopback,
/// rounded up).
pub(super) const COUNT_COST: Duration = Duration::from_micros(4);

/// How many keys each of `slots` holds on the source (an estimate: keys come and go until
/// a slot is open; a count that failed is 0), in pipelines that fit the stall budget, each
/// through the source's gate: all of a pair's slots in one pipeline run back to back, and
/// 3000 of them kept the source from its clients for 3-7 ms.
pub(super) async fn count_keys(route: &Route<'_>, slots: &[u16]) -> Result<Vec<u64>, NodeError> {
    let mut counts = Vec::with_capacity(slots.len());
    let costs = std::iter::repeat_n(COUNT_COST, slots.len());
    let mut begin = 0;
    for (len, cost) in cut_by_cost(costs, route.opts.node_budget()) {
        let mut pipe = redis::pipe();
        for s in &slots[begin..begin + len] {
            pipe.add_command(cmd::countkeysinslot(*s));
        }
        begin += len;
        let replies = {
            let _permit = route.gate.enter_source(Some(cost)).await;
            route.source.pipeline(&pipe).await?
        };
        counts.extend(replies.into_iter().map(|r| r.map_or(0, |v| count_of(&v))));
    }
    Ok(counts)
}

/// Cuts items of the given `costs` into consecutive chunks of at most `budget` in all
/// (an item costlier than the budget alone): (items, cost) per chunk.
pub(super) fn cut_by_cost(
    costs: impl Iterator<Item = Duration>,
    budget: Duration,
) -> Vec<(usize, Duration)> {
    let mut out: Vec<(usize, Duration)> = Vec::new();
    let mut current = (0, Duration::ZERO);
    for c in costs {
        if current.0 > 0 && current.1 + c > budget {
            out.push(current);
            current = (0, Duration::ZERO);
        }
        current = (current.0 + 1, current.1 + c);
    }
    if current.0 > 0 {
        out.push(current);
    }
    out
}

/// [`open_window`] for one chunk of its slots; the caller rolls back on error.
async fn open_chunk(
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
    let imported = setslots(route.target, &pipe).await?;
    if let Some(e) = imported.into_iter().find_map(Result::err) {
        return Err(e.into());
    }
    // MIGRATING and the first keys of each slot; a MIGRATING that was not acknowledged in
    // time ([`unacknowledged`]) was not applied: sent again, its keys listed again.
    let mut listed = Vec::with_capacity(slots.len());
    let mut todo = slots.to_vec();
    for attempt in 0..=SETSLOT_RETRIES {
        let mut pipe = redis::pipe();
        for s in &todo {
            pipe.add_command(cmd::setslot(*s, SetSlot::Migrating(target_id)));
            pipe.add_command(cmd::getkeysinslot(*s, batch));
        }
        let replies = route.source.pipeline_paced(&pipe).await?;
        let mut replies = replies.into_iter();
        let mut again = Vec::new();
        for s in &todo {
            let (set, keys) = (replies.next(), replies.next());
            let err = match (set, keys) {
                (Some(Ok(_)), Some(Ok(v))) => match keys_of(v) {
                    Ok(k) => {
                        listed.push((*s, k));
                        continue;
                    }
                    Err(e) => NodeError::new(&route.source.label, NodeErrorKind::Protocol(e)),
                },
                (Some(Err(e)), _) if unacknowledged(&e) && attempt < SETSLOT_RETRIES => {
                    again.push(*s);
                    continue;
                }
                (Some(Err(e)), _) | (_, Some(Err(e))) => e,
                _ => NodeError::new(
                    &route.source.label,
                    NodeErrorKind::Protocol("missing replies".into()),
                ),
            };
            return Err(err.into());
        }
        if again.is_empty() {
            break;
        }
        todo = again;
    }
    listed.sort_by_key(|(s, _)| slots.iter().position(|x| x == s));
    Ok(listed)
}

/// Puts the slots of a window that no key has left yet back to stable (source first, so
/// it stops redirecting to the target). Best effort.
pub(super) async fn rollback_window(route: &Route<'_>, slots: &[u16]) {
    let mut pipe = redis::pipe();
    for s in slots {
        pipe.add_command(cmd::setslot(*s, SetSlot::Stable));
    }
    let _ = route.source.pipeline_paced(&pipe).await;
    let _ = route.target.pipeline_paced(&pipe).await;
}

/// Gives emptied slots their new owner: the source first (which may become a replica of
/// the target when it loses its last slot), then every other master (best effort: they
/// also learn it from the cluster bus), then the target.
pub(super) async fn finish_slots(
    route: &Route<'_>,
    target_id: &NodeId,
    others: &[&Node],
    slots: &[u16],
) -> Result<(), MigrateError> {
    // In chunks that fit the stall budget, each through all three steps before the next
    // (between the source's release and the target's claim a client is sent back and
    // forth).
    let unconfirmed = in_turns(route, slots, RELEASE_CHUNK, |chunk| {
        finish_chunk(route, target_id, others, chunk)
    })
    .await?;
    target_owns(route, target_id, &unconfirmed).await
}

/// Runs `step` on chunks of `slots` that fit the stall budget at [`CLAIM_COST`] a slot
/// and hold at most `max` slots: one chunk at a time in the whole cluster (every pair's
/// claims land on the same nodes), with no `MIGRATE` queued on any node until the others
/// have had the time the chunk costs them (the next turn waits behind `MIGRATE`s queued
/// meanwhile: the gates are first come, first served). Returns what the steps returned,
/// together.
async fn in_turns<'a, F, Fut>(
    route: &Route<'_>,
    slots: &'a [u16],
    max: usize,
    mut step: F,
) -> Result<Vec<u16>, MigrateError>
where
    F: FnMut(&'a [u16]) -> Fut,
    Fut: Future<Output = Result<Vec<u16>, MigrateError>>,
{
    let budget = route.opts.node_budget();
    let per_claim = (budget.as_micros() / CLAIM_COST.as_micros()).clamp(1, max as u128) as usize;
    let mut out = Vec::new();
    for chunk in slots.chunks(per_claim) {
        let turn = route.gate.claims.enter().await;
        out.extend(step(chunk).await?);
        tokio::time::sleep(CLAIM_COST.saturating_mul(chunk.len() as u32)).await;
        drop(turn);
    }
    Ok(out)
}

/// Most slots claimed in one chunk.
const MAX_CLAIM_CHUNK: usize = 1024;
/// Most slots with keys handed over in one chunk. Between the source's release and the
/// target's claim a client is sent back and forth with `MOVED` (the target still names
/// the source); with 250 slots that lasted 6-12 ms, longer than many clients follow
/// redirects (5 by default in Jedis and Lettuce, 3 in go-redis). 48 slots keep it to a few
/// round trips.
const RELEASE_CHUNK: usize = 48;

/// How long the other nodes spend on one slot's claim, measured on Redis 7.0 with 4
/// nodes: 769 claims of slots the target was not importing (see [`finish_chunk`]) kept
/// the others busy for 5-7 ms. (Claims by an importing target cost each other node about
/// 150 µs each: 769 in one pipeline stalled them all for 70-130 ms.)
const CLAIM_COST: Duration = Duration::from_micros(10);

/// [`finish_slots`] for a few slots; returns those whose release by the source is not
/// confirmed (Valkey: replicas did not acknowledge).
async fn finish_chunk(
    route: &Route<'_>,
    target_id: &NodeId,
    others: &[&Node],
    slots: &[u16],
) -> Result<Vec<u16>, MigrateError> {
    if slots.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for s in slots {
        pipe.add_command(cmd::setslot(*s, SetSlot::Node(target_id)));
    }
    let started = std::time::Instant::now();
    // The source first, then the target. The other order (Redis's documented one) has a
    // window, found by killing trib at random points: once the target owns the slots the
    // source, still migrating, keeps claiming them, and if its config epoch is higher in
    // the target's view the target gives them back and deletes their keys. Source first,
    // nobody with keys ever loses a claim: at worst a client is redirected back and forth
    // for one round trip, and an interrupted finish leaves the target importing with the
    // keys, which `fix` completes. The target bumps its epoch when it takes the slots.
    let replies = setslots(route.source, &pipe).await?;
    let mut demoted = false;
    let mut unconfirmed = Vec::new();
    for (s, r) in slots.iter().zip(replies) {
        match r {
            Ok(_) => {}
            Err(e) if only_masters(&e) => demoted = true,
            Err(e) if unacknowledged(&e) => unconfirmed.push(*s),
            Err(e) => return Err(e.into()),
        }
    }
    if demoted {
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
    // were higher in that node's view. Not at the same time as the source (that would
    // spare clients one round trip of `MOVED` between source and target): a source that
    // was failed over meanwhile answers that it is no longer a master, and a master told
    // already would answer its successor's claim with an UPDATE naming the target; a
    // master that loses a slot it still holds keys in deletes them.
    let released = started.elapsed();
    tell_others(route, others, &pipe).await;
    let told = started.elapsed();
    claim(route, target_id, slots, true).await?;
    tracing::debug!(
        "{} -> {}: {} slot(s) released in {released:?}, others told at {told:?}, claimed at {:?}",
        route.source.label,
        route.target.label,
        slots.len(),
        started.elapsed()
    );
    Ok(unconfirmed)
}

/// The target takes `slots`: it bumps its config epoch (a reply of "STILL", already the
/// newest, is as good), then claims each slot, in one pipeline.
///
/// `imported`: the target imports them. It then first stops importing each but the last
/// (`STABLE` and `NODE` back to back: a client sees the slot neither imported nor owned
/// only if a pipeline is split between the two), because taking a slot it imports costs
/// every other node much more on the cluster bus (see [`CLAIM_COST`]). The last one is
/// taken while still imported: that one claim makes the target tell every node at once
/// (a PONG with its new epoch and all its slots), where the others alone would spread by
/// gossip, within the node timeout.
async fn claim(
    route: &Route<'_>,
    target_id: &NodeId,
    slots: &[u16],
    imported: bool,
) -> Result<(), MigrateError> {
    let mut pipe = redis::pipe();
    pipe.add_command(cmd::bumpepoch());
    for (i, s) in slots.iter().enumerate() {
        if imported && i + 1 < slots.len() {
            pipe.add_command(cmd::setslot(*s, SetSlot::Stable));
        }
        pipe.add_command(cmd::setslot(*s, SetSlot::Node(target_id)));
    }
    match setslots(route.target, &pipe)
        .await?
        .into_iter()
        .skip(1)
        .find_map(Result::err)
    {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Gives empty slots to the target without opening them: `SETSLOT s NODE target` on the
/// source (which refuses a slot it holds keys in: "still hold keys"), then every other
/// master is told, then the target bumps its config epoch and claims the released
/// slots. Opening an empty slot (IMPORTING, MIGRATING, GETKEYSINSLOT) would only triple
/// the commands, and every pipeline costs each node a `nodes.conf` save (with fsync)
/// per event-loop turn. Same order as [`finish_slots`]: the source lets go first, so no
/// stale claim can win the slots back; the bump makes the target's claim the newest, so
/// nodes that only hear of it through gossip (replicas) take it at once. Returns the
/// slots the source refused because keys arrived meanwhile.
pub(super) async fn move_empty_slots(
    route: &Route<'_>,
    target_id: &NodeId,
    others: &[&Node],
    slots: &[u16],
) -> Result<Vec<u16>, MigrateError> {
    in_turns(route, slots, MAX_CLAIM_CHUNK, |chunk| {
        empty_chunk(route, target_id, others, chunk)
    })
    .await
}

/// [`move_empty_slots`] for a few slots; returns those the source refused.
async fn empty_chunk(
    route: &Route<'_>,
    target_id: &NodeId,
    others: &[&Node],
    chunk: &[u16],
) -> Result<Vec<u16>, MigrateError> {
    let mut refused = Vec::new();
    let mut pipe = redis::pipe();
    for s in chunk {
        pipe.add_command(cmd::setslot(*s, SetSlot::Node(target_id)));
    }
    let mut released = Vec::with_capacity(chunk.len());
    let mut demoted = false;
    let mut unconfirmed = Vec::new();
    for (s, r) in chunk.iter().zip(setslots(route.source, &pipe).await?) {
        match r {
            Ok(_) => released.push(*s),
            Err(e) if still_holds_keys(&e) => refused.push(*s),
            Err(e) if only_masters(&e) => {
                demoted = true;
                released.push(*s);
            }
            Err(e) if unacknowledged(&e) => {
                unconfirmed.push(*s);
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
        return Ok(refused);
    }
    let mut pipe = redis::pipe();
    for s in &released {
        pipe.add_command(cmd::setslot(*s, SetSlot::Node(target_id)));
    }
    // The other masters learn the new owner first, as in `finish_slots`.
    tell_others(route, others, &pipe).await;
    claim(route, target_id, &released, false).await?;
    target_owns(route, target_id, &unconfirmed).await?;
    Ok(refused)
}

/// Tells the masters other than source and target a slot's new owner (`pipe`: its
/// `SETSLOT … NODE`s), each as far as it answers: a master that does not (frozen, down)
/// is not waited for again in this move, or every later hand-over would wait the command
/// timeout for it; it learns the owner from the cluster bus, as it would have after the
/// first timeout, and `trib check` names it meanwhile.
async fn tell_others(route: &Route<'_>, others: &[&Node], pipe: &redis::Pipeline) {
    let claims = &route.gate.claims;
    let told = others.iter().filter(|n| !claims.is_silent(&n.label));
    let replies = join_all(told.map(|n| async move { (n, n.pipeline_paced(pipe).await) })).await;
    for (n, r) in replies {
        if let Err(e) = r
            && (e.is_timeout() || e.is_unreachable())
            && claims.silenced(&n.label)
        {
            tracing::warn!(
                "{}: not told of new slot owners from now on ({e}); it learns them from the cluster bus",
                n.label
            );
        }
    }
}

/// Valkey 8+ applies a primary's `SETSLOT` only once its replicas acknowledged it; when
/// they do not within its timeout (2 s) it answers `NOREPLICAS` (`UNBLOCKED` when it
/// turned into a replica meanwhile) and the command was not applied: [`setslots`] sends
/// it again. When a draining source gives away its last slot, its replicas (applying that
/// SETSLOT first) follow the slot to the target (`cluster-allow-replica-migration yes`)
/// and never acknowledge. Nothing is lost if the source never lets go (the slot holds no
/// key there any more): the target's claim, with its bumped epoch, wins and the source
/// learns it through gossip, as `valkey-cli` relies on. [`target_owns`] checks that the
/// claim did win.
fn unacknowledged(e: &NodeError) -> bool {
    matches!(
        e.server(),
        Some(ServerError::NoReplicas | ServerError::Unblocked)
    )
}

/// After the target claimed `slots` that the source did not confirm letting go of
/// ([`unacknowledged`]): whether the target owns them now, in its own view.
async fn target_owns(
    route: &Route<'_>,
    target_id: &NodeId,
    slots: &[u16],
) -> Result<(), MigrateError> {
    if slots.is_empty() {
        return Ok(());
    }
    let entries = route.target.cluster_nodes().await?;
    let owned = entries
        .iter()
        .find(|e| e.id == *target_id)
        .map(|e| e.slots.clone())
        .unwrap_or_default();
    let missing: Vec<u16> = slots
        .iter()
        .copied()
        .filter(|s| !owned.contains(*s))
        .collect();
    if missing.is_empty() {
        tracing::info!(
            "{}: SETSLOT … NODE not confirmed for slot(s) {} (its replicas left with its last slot); {} owns them",
            route.source.label,
            slot_set(slots.iter().copied()),
            route.target.label
        );
        return Ok(());
    }
    Err(MigrateError::Other(format!(
        "{} did not confirm giving slot(s) {} to {} (its replicas did not acknowledge), and {} does not own them; run `trib check`, then `trib fix`",
        route.source.label,
        slot_set(missing.into_iter()),
        route.target.label,
        route.target.label
    )))
}

/// "ERR Can't assign hashslot … to a different node while I still hold keys for this
/// hash slot."
pub(super) fn still_holds_keys(e: &NodeError) -> bool {
    e.server() == Some(&ServerError::SlotHasKeys)
}

/// The master `node` replicates, in its own view.
pub(super) async fn source_master(node: &Node) -> Option<NodeId> {
    let entries = node.cluster_nodes().await.ok()?;
    entries
        .into_iter()
        .find(|e| e.flags.myself)
        .and_then(|e| e.master_id.clone())
}

/// "ERR Please use SETSLOT only with masters."
pub(super) fn only_masters(e: &NodeError) -> bool {
    e.server() == Some(&ServerError::NotMaster)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_fit_the_budget() {
        let us = Duration::from_micros;
        let cut = |costs: &[u64], budget| {
            cut_by_cost(costs.iter().map(|c| us(*c)), us(budget))
                .into_iter()
                .map(|(n, c)| (n, c.as_micros() as u64))
                .collect::<Vec<_>>()
        };
        assert_eq!(cut(&[1, 1, 1, 1], 2), [(2, 2), (2, 2)]);
        assert_eq!(cut(&[1, 2, 1], 3), [(2, 3), (1, 1)]);
        // An item costlier than the budget goes alone, never dropped.
        assert_eq!(cut(&[1, 9, 1], 3), [(1, 1), (1, 9), (1, 1)]);
        assert!(cut(&[], 3).is_empty());
        // The default node budget (1 ms) opens 90 slots of 6 keys at once, 25 of 61 keys.
        let budget = crate::ops::migrate::MigrateOptions::default().node_budget();
        let open = |keys: u32, n: usize| {
            cut_by_cost(std::iter::repeat_n(OPEN_COST + LIST_COST * keys, n), budget)
        };
        assert_eq!(open(6, 1000)[0].0, 90);
        assert_eq!(open(61, 1000)[0].0, 25);
        assert_eq!(open(6, 1000).iter().map(|c| c.0).sum::<usize>(), 1000);
    }
}
