//! `trib fix` slot repairs: for every broken slot, which master ends up owning it,
//! whose keys move there, and which `CLUSTER SETSLOT` states are set and cleared. Pure.
//!
//! A slot is broken when it is open (a `[s->-id]`/`[s-<-id]` marker on a master),
//! uncovered (no master claims it), claimed by several masters, given by some views to a
//! failed master while a live master claims it, or (with `--deep`) has keys on a master
//! that does not own it. Masters trib could not reach are judged by the views of the
//! others ([`crate::plan::unreached`]): the slots of one that may be alive are left
//! alone; the slots of one that is gone (failed, no replica to take over) have no live
//! owner and are given to the live masters like uncovered slots, their keys lost unless
//! it returns ([`FixPlan::lost`]; `fix` does that only with `--with-unreachable-masters`).
//!
//! The owner (first rule that applies):
//! 1. an interrupted migration: a master claiming the slot has it migrating to T, and T
//!    imports it from that master or already claims it → T (the migration is finished);
//! 2. exactly one master claims it → that master (stray keys elsewhere move back to it);
//! 3. several masters claim it → the one holding most keys in it (ties: lowest ID);
//! 4. nobody claims it: the master holding most keys in it (ties: lowest ID); without
//!    keys anywhere, the master owning the fewest slots (counting slots this plan gives
//!    away before it; ties: lowest ID).
//!
//! Then every other master holding keys of the slot is a source: its keys move to the
//! owner (never dropped). Redis facts the steps rely on (cluster.c `getNodeByQuery`,
//! `clusterCommand` SETSLOT, checked on 7.0):
//! - `MIGRATE` is served by a node for a slot it does not own only when that node has
//!   the slot open (importing), and by an owner when it is migrating; every keyed
//!   command, MIGRATE included, fails with CLUSTERDOWN while the node's cluster state is
//!   `fail` (an uncovered slot). CLUSTER subcommands (SETSLOT, COUNTKEYSINSLOT,
//!   GETKEYSINSLOT) work in any state. So uncovered slots are assigned first (`SETSLOT
//!   NODE` needs no keys moved), and keys move once the cluster is up again.
//! - `SETSLOT MIGRATING` needs the node to own the slot, `SETSLOT IMPORTING` needs it
//!   not to; so a source that owns the slot is opened as migrating to the owner, any
//!   other as importing from it.
//! - The receiving side of `MIGRATE` (`RESTORE-ASKING`) is served by a node that owns
//!   the slot and is not migrating it, or that imports it: an owner still migrating the
//!   slot elsewhere is made stable before keys come in.
//! - `SETSLOT NODE` refuses to give away a slot while the node holds keys in it, so it
//!   runs after the keys moved: on every other master first (they let go), then on the
//!   owner (it claims; a claim made while another master still advertises the slot can
//!   be lost to that master's higher config epoch, and the keys with it); `SETSLOT
//!   STABLE` then clears whatever marker is left.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use serde::{Serialize, Serializer};

use crate::model::view::ClusterView;
use crate::model::{NodeId, SLOT_COUNT, SlotSet};
use crate::plan::check::DeepScan;
use crate::plan::reform::{ReformNode, ReformPlan};
use crate::plan::unreached::{Fate, unreached_masters};

/// A reachable master, as it describes itself.
#[derive(Clone, Debug)]
pub struct FixMaster {
    pub id: NodeId,
    pub label: String,
    /// The slots it claims (its own `CLUSTER NODES` entry).
    pub slots: SlotSet,
    /// `[slot->-id]` markers.
    pub migrating: Vec<(u16, NodeId)>,
    /// `[slot-<-id]` markers.
    pub importing: Vec<(u16, NodeId)>,
}

/// A master that is gone ([`Fate::Gone`]) and the slots only it is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoneMaster {
    pub id: NodeId,
    /// "ADDR (SHORT_ID)".
    pub name: String,
    /// Slots no reached master claims that views give to it.
    pub slots: SlotSet,
}

/// What the planner sees.
#[derive(Clone, Debug, Default)]
pub struct FixInput {
    pub masters: Vec<FixMaster>,
    /// Slots owned (in the views of the others) by masters trib could not reach that may
    /// be alive, or that a replica can take over: left alone.
    pub unreachable_owned: SlotSet,
    /// Gone masters: their slots are given to the live masters ([`FixKind::OwnerGone`]).
    pub gone: Vec<GoneMaster>,
    /// Slots exactly one reached master claims while some reached node's view gives them
    /// to a failed master ([`FixKind::StaleOwner`]).
    pub stale: SlotSet,
    /// `--deep`: the slots in which each master holds keys.
    pub deep: Option<DeepScan>,
}

/// Slot ranges named in a message before it says "… (N slots in M ranges)".
pub const BRIEF: usize = 12;

/// Keys per master for the broken slots (`CLUSTER COUNTKEYSINSLOT`); zeros may be left out.
pub type KeyCounts = BTreeMap<u16, BTreeMap<NodeId, u64>>;

/// A `CLUSTER SETSLOT` state change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SetSlot {
    Stable,
    Migrating(NodeId),
    Importing(NodeId),
}

/// What was wrong with a slot (`kind` in `--json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixKind {
    /// Nobody owns the slot and no master has its keys.
    Uncovered,
    /// Nobody owns the slot; some master has its keys.
    UncoveredWithKeys,
    /// Migrating on one node, importing on another: finished toward the importing one.
    Migration,
    /// Migrating, with no node importing it.
    Migrating,
    /// Importing, with no node migrating it.
    Importing,
    /// Several nodes import it.
    ImportingOnSeveral,
    /// Several masters claim it.
    MultipleOwners,
    /// Its keys are on masters that do not own it.
    StrayKeys,
    /// Its owner is a master that is gone (failed, no replica took over): given to a
    /// live master; keys only the gone master held are lost.
    OwnerGone,
    /// A live master claims it, but some views still give it to a failed master.
    StaleOwner,
}

impl FixKind {
    /// The name `--json` and the plan table use.
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::Uncovered => "uncovered",
            FixKind::UncoveredWithKeys => "uncovered_with_keys",
            FixKind::Migration => "migration",
            FixKind::Migrating => "migrating",
            FixKind::Importing => "importing",
            FixKind::ImportingOnSeveral => "importing_on_several",
            FixKind::MultipleOwners => "multiple_owners",
            FixKind::StrayKeys => "stray_keys",
            FixKind::OwnerGone => "owner_gone",
            FixKind::StaleOwner => "stale_owner",
        }
    }
}

/// Why `fix` will not repair slots.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FixRefusal {
    /// Masters that may be alive, or whose replica can take over: one line each.
    #[error(
        "{}\nslot repairs need every master: bring it back (name it at its current address), remove it with `trib del-node`, or pass --with-unreachable-masters to repair the other slots and leave its slots alone; nothing was changed",
        .masters.join("\n")
    )]
    MastersUnreachable { masters: Vec<String> },
    /// Masters that are gone, with the slots nobody serves.
    #[error(
        "{}\nto give these slots, empty, to the live masters, run again with --with-unreachable-masters: the keys only that master held in them are then lost for good (if it returns later, it gives the slots up and drops them); to keep them, bring it back with its data first (running at another address: name it among the ENTRY arguments); nothing was changed",
        .masters.iter().map(|(m, s)| format!("master {m} is failed and no replica took over slots {} ({} slot(s)): nobody serves them", s.brief(BRIEF), s.len())).collect::<Vec<_>>().join("\n")
    )]
    MastersGone { masters: Vec<(String, SlotSet)> },
}

/// The repair of one slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SlotFix {
    pub slot: u16,
    /// What was wrong.
    pub kind: FixKind,
    pub owner: NodeId,
    /// Nobody owns it now: it is given to `owner` before any key moves.
    pub assign: bool,
    /// States set before the keys move, in order.
    pub open: Vec<(NodeId, SetSlot)>,
    /// Masters whose keys of this slot move to `owner`, with their key counts.
    pub moves: Vec<(NodeId, u64)>,
    /// Masters left with a marker to clear (`SETSLOT STABLE`) after `SETSLOT NODE`.
    pub stable: Vec<NodeId>,
}

/// Slots of a gone master given to the live masters: the keys only it held in them are
/// lost unless it returns before the repair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LostSlots {
    pub id: NodeId,
    /// "ADDR (SHORT_ID)".
    pub node: String,
    #[serde(serialize_with = "as_text")]
    pub slots: SlotSet,
}

fn as_text<S: Serializer>(slots: &SlotSet, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&slots.to_string())
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FixPlan {
    pub slots: Vec<SlotFix>,
    /// Broken slots left alone because an unreachable master owns them.
    pub skipped: SlotSet,
    /// Per gone master, the slots this plan gives away ([`FixKind::OwnerGone`]).
    pub lost: Vec<LostSlots>,
}

impl FixPlan {
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Slot fixes that move keys.
    pub fn key_moves(&self) -> usize {
        self.slots.iter().map(|f| f.moves.len()).sum()
    }
}

/// The broken slots (see the module documentation), skipped ones excluded.
pub fn broken_slots(input: &FixInput) -> SlotSet {
    let mut claimed = SlotSet::new();
    let mut doubled = SlotSet::new();
    let mut broken = SlotSet::new();
    for m in &input.masters {
        doubled.union_with(&claimed.intersection(&m.slots));
        claimed.union_with(&m.slots);
        for (s, _) in m.migrating.iter().chain(&m.importing) {
            broken.insert(*s);
        }
    }
    let mut covered = claimed.clone();
    covered.union_with(&input.unreachable_owned);
    broken.union_with(&covered.complement());
    broken.union_with(&doubled);
    broken.union_with(&input.stale);
    if let Some(deep) = &input.deep {
        for m in &input.masters {
            if let Some(with_keys) = deep.get(&m.id) {
                broken.union_with(&with_keys.difference(&m.slots));
            }
        }
    }
    broken.difference(&input.unreachable_owned)
}

/// Plans the repair of every broken slot, in slot order.
pub fn plan_fix(input: &FixInput, keys: &KeyCounts) -> FixPlan {
    let broken = broken_slots(input);
    let mut skipped = SlotSet::new();
    for m in &input.masters {
        for (s, _) in m.migrating.iter().chain(&m.importing) {
            if input.unreachable_owned.contains(*s) {
                skipped.insert(*s);
            }
        }
    }
    let none = BTreeMap::new();
    // Slots nobody claims: to the master holding most of their keys; those without keys
    // anywhere are spread evenly, counting the slots given with their keys.
    let mut counts: BTreeMap<NodeId, usize> = input
        .masters
        .iter()
        .map(|m| (m.id.clone(), m.slots.len()))
        .collect();
    let mut to_spread = SlotSet::new();
    for s in broken.iter() {
        if input.masters.iter().any(|m| m.slots.contains(s)) {
            continue;
        }
        let keys_here = keys.get(&s).unwrap_or(&none);
        let holder = input
            .masters
            .iter()
            .map(|m| (keys_here.get(&m.id).copied().unwrap_or(0), &m.id))
            .filter(|(n, _)| *n > 0)
            .max_by_key(|(n, id)| (*n, Reverse(*id)));
        match holder {
            Some((_, id)) => *counts.entry(id.clone()).or_default() += 1,
            None => to_spread.insert(s),
        }
    }
    let spread_to: BTreeMap<u16, NodeId> = spread(&to_spread, &counts)
        .into_iter()
        .flat_map(|(id, set)| set.iter().map(move |s| (s, id.clone())).collect::<Vec<_>>())
        .collect();
    let gone_slots: SlotSet = input.gone.iter().fold(SlotSet::new(), |mut a, g| {
        a.union_with(&g.slots);
        a
    });
    let mut slots = Vec::new();
    for s in broken.iter() {
        let keys_here = keys.get(&s).unwrap_or(&none);
        let k = |id: &NodeId| keys_here.get(id).copied().unwrap_or(0);
        let claimers: Vec<&FixMaster> = input
            .masters
            .iter()
            .filter(|m| m.slots.contains(s))
            .collect();
        let migrating_of = |m: &FixMaster| {
            m.migrating
                .iter()
                .find(|(x, _)| *x == s)
                .map(|(_, t)| t.clone())
        };
        let importing_of = |m: &FixMaster| {
            m.importing
                .iter()
                .find(|(x, _)| *x == s)
                .map(|(_, f)| f.clone())
        };
        let find = |id: &NodeId| input.masters.iter().find(|m| &m.id == id);
        let importers: Vec<&FixMaster> = input
            .masters
            .iter()
            .filter(|m| importing_of(m).is_some())
            .collect();
        let any_migrating = input.masters.iter().any(|m| migrating_of(m).is_some());

        // 1. An interrupted migration, finished toward its target.
        let migration_target = claimers.iter().find_map(|c| {
            let t = migrating_of(c)?;
            let target = find(&t)?;
            let imports_from_c = importing_of(target).as_ref() == Some(&c.id);
            (imports_from_c || target.slots.contains(s)).then_some(target)
        });
        let assign = claimers.is_empty();
        let owner: &FixMaster = if let Some(t) = migration_target {
            t
        } else if claimers.len() == 1 {
            claimers[0]
        } else if !claimers.is_empty() {
            match claimers.iter().max_by_key(|m| (k(&m.id), Reverse(&m.id))) {
                Some(m) => m,
                None => continue,
            }
        } else {
            let with_keys = input
                .masters
                .iter()
                .filter(|m| k(&m.id) > 0)
                .max_by_key(|m| (k(&m.id), Reverse(&m.id)));
            match with_keys.or_else(|| spread_to.get(&s).and_then(find)) {
                Some(m) => m,
                None => continue, // no reachable master at all
            }
        };

        let sources: Vec<&FixMaster> = input
            .masters
            .iter()
            .filter(|m| m.id != owner.id && k(&m.id) > 0)
            .collect();
        let kind = if assign && gone_slots.contains(s) {
            FixKind::OwnerGone
        } else if assign {
            if keys_here.values().any(|n| *n > 0) {
                FixKind::UncoveredWithKeys
            } else {
                FixKind::Uncovered
            }
        } else if migration_target.is_some() {
            FixKind::Migration
        } else if claimers.len() > 1 {
            FixKind::MultipleOwners
        } else if any_migrating {
            FixKind::Migrating
        } else if importers.len() > 1 {
            FixKind::ImportingOnSeveral
        } else if !importers.is_empty() {
            FixKind::Importing
        } else if sources.is_empty() && input.stale.contains(s) {
            FixKind::StaleOwner
        } else {
            FixKind::StrayKeys
        };

        let mut open = Vec::new();
        let mut opened: BTreeSet<&NodeId> = BTreeSet::new();
        if let Some(first) = sources.first() {
            if migrating_of(owner).is_some() {
                open.push((owner.id.clone(), SetSlot::Stable));
            }
            if !assign && !owner.slots.contains(s) && importing_of(owner).is_none() {
                open.push((owner.id.clone(), SetSlot::Importing(first.id.clone())));
                opened.insert(&owner.id);
            }
        }
        for src in &sources {
            let claims = src.slots.contains(s) && !assign;
            let migrating = migrating_of(src).is_some();
            if claims {
                if !migrating {
                    open.push((src.id.clone(), SetSlot::Migrating(owner.id.clone())));
                    opened.insert(&src.id);
                }
            } else if importing_of(src).is_none() {
                if migrating {
                    open.push((src.id.clone(), SetSlot::Stable));
                }
                open.push((src.id.clone(), SetSlot::Importing(owner.id.clone())));
                opened.insert(&src.id);
            }
        }
        let stable: Vec<NodeId> = input
            .masters
            .iter()
            .filter(|m| {
                migrating_of(m).is_some() || importing_of(m).is_some() || opened.contains(&m.id)
            })
            .map(|m| m.id.clone())
            .collect();
        slots.push(SlotFix {
            slot: s,
            kind,
            owner: owner.id.clone(),
            assign,
            open,
            moves: sources.iter().map(|m| (m.id.clone(), k(&m.id))).collect(),
            stable,
        });
    }
    debug_assert!(slots.iter().all(|f| f.slot < SLOT_COUNT));
    let lost = input
        .gone
        .iter()
        .map(|g| LostSlots {
            id: g.id.clone(),
            node: g.name.clone(),
            slots: g.slots.intersection(&broken),
        })
        .filter(|l| !l.slots.is_empty())
        .collect();
    FixPlan {
        slots,
        skipped,
        lost,
    }
}

/// Spreads `slots` over the masters of `counts` (each with the slots it has) so that
/// the counts end up as even as they can: each slot in turn to the master with the
/// fewest (ties: lowest ID), then each master's share taken as one contiguous run of
/// `slots` in slot order (the largest shares first, ties by ID), so that the new
/// ranges stay few. A
/// master that gets slots ends with at most one more than any other. Empty without
/// masters.
pub fn spread(slots: &SlotSet, counts: &BTreeMap<NodeId, usize>) -> BTreeMap<NodeId, SlotSet> {
    let mut heap: BinaryHeap<Reverse<(usize, &NodeId)>> =
        counts.iter().map(|(id, n)| Reverse((*n, id))).collect();
    let mut share: BTreeMap<&NodeId, usize> = BTreeMap::new();
    for _ in 0..slots.len() {
        let Some(Reverse((n, id))) = heap.pop() else {
            return BTreeMap::new();
        };
        *share.entry(id).or_default() += 1;
        heap.push(Reverse((n + 1, id)));
    }
    // The largest shares first: a master that lost a run of slots (the fewest now, so
    // the largest share) gets that run back whole.
    let mut order: Vec<(&NodeId, usize)> = share.into_iter().collect();
    order.sort_by_key(|(id, n)| (Reverse(*n), *id));
    let mut it = slots.iter();
    order
        .into_iter()
        .map(|(id, n)| {
            let mut set = SlotSet::new();
            for s in it.by_ref().take(n) {
                set.insert(s);
            }
            (id.clone(), set)
        })
        .collect()
}

/// The slot repairs and what they were planned from.
#[derive(Clone, Debug, Default)]
pub struct SlotRepairs {
    pub plan: FixPlan,
    /// Reachable masters.
    pub masters: BTreeSet<NodeId>,
    /// Masters nobody reached that may be alive, or whose replica can take over: one
    /// line each, saying so (the slot repairs need them).
    pub unreachable_masters: Vec<String>,
    /// Masters the cluster marks failed that own no slot once the plan ran (their
    /// replica took over, or the plan gives their slots away), as "ADDR (SHORT_ID)":
    /// `trib del-node` removes them.
    pub dead: Vec<(NodeId, String)>,
    /// Every node's label (an unreached master's: its address).
    pub labels: BTreeMap<NodeId, String>,
}

/// The planner's input as the views show it (without key counts or a deep scan): every
/// master among `reached` as it describes itself, and the masters nobody reached, judged
/// by the views ([`unreached_masters`]). The repairs come back with an empty plan.
pub fn input_from_views(view: &ClusterView, reached: &BTreeSet<NodeId>) -> (FixInput, SlotRepairs) {
    let mut input = FixInput::default();
    let mut out = SlotRepairs::default();
    for v in &view.nodes {
        out.labels.insert(v.id.clone(), v.label.clone());
        let Some(me) = v.myself().filter(|m| m.flags.master) else {
            continue;
        };
        if !reached.contains(&v.id) {
            continue;
        }
        out.masters.insert(v.id.clone());
        input.masters.push(FixMaster {
            id: v.id.clone(),
            label: v.label.clone(),
            slots: me.slots.clone(),
            migrating: me.migrating.clone(),
            importing: me.importing.clone(),
        });
    }
    input.masters.sort_by(|a, b| a.id.cmp(&b.id));
    // Slots exactly one reached master claims.
    let mut once = SlotSet::new();
    let mut twice = SlotSet::new();
    for m in &input.masters {
        twice.union_with(&once.intersection(&m.slots));
        once.union_with(&m.slots);
    }
    let once = once.difference(&twice);
    for u in unreached_masters(view, reached) {
        out.labels
            .entry(u.id.clone())
            .or_insert_with(|| u.name.clone());
        match &u.fate {
            Fate::Up => {
                input.unreachable_owned.union_with(&u.seen);
                out.unreachable_masters
                    .push(format!("master {} is not reachable", u.name));
                continue;
            }
            Fate::Replaceable { replicas } => {
                input.unreachable_owned.union_with(&u.orphan);
                out.unreachable_masters.push(format!(
                    "master {} is failed and its slots {} have no live owner; its replica {} can take over: wait for the cluster to promote it (cluster-node-timeout), or run `trib failover --force` on it",
                    u.name,
                    u.orphan.brief(BRIEF),
                    replicas.join(", ")
                ));
            }
            Fate::Gone => {
                input.gone.push(GoneMaster {
                    id: u.id.clone(),
                    name: u.name.clone(),
                    slots: u.orphan.clone(),
                });
                out.dead.push((u.id.clone(), u.name.clone()));
            }
            Fate::Replaced => out.dead.push((u.id.clone(), u.name.clone())),
        }
        input
            .stale
            .union_with(&u.seen.difference(&u.orphan).intersection(&once));
    }
    (input, out)
}

/// Everything `fix` does: re-introduce the reached nodes to each other at their current
/// addresses, then repair the slots.
#[derive(Clone, Debug)]
pub struct FixJob {
    /// Every node reached, at its current address.
    pub nodes: Vec<ReformNode>,
    pub reform: ReformPlan,
    /// Members nobody reached, with the address a view has for them.
    pub unreached: BTreeMap<NodeId, String>,
    /// Planned on the views as they are now (re-planned after re-forming).
    pub slots: SlotRepairs,
    /// Some reached node reports a `cluster_state` other than ok.
    pub state_not_ok: bool,
}

impl FixJob {
    /// Nothing to re-introduce and no slot to repair.
    pub fn is_empty(&self) -> bool {
        self.reform.is_empty() && self.slots.plan.is_empty()
    }

    /// Why the slot repairs cannot run without `--with-unreachable-masters` (`anyway`):
    /// they would give away the slots of a gone master, or they need masters that were
    /// not reached.
    pub fn refusal(&self, anyway: bool) -> Option<FixRefusal> {
        let s = &self.slots;
        if anyway {
            return None;
        }
        if !s.plan.lost.is_empty() {
            return Some(FixRefusal::MastersGone {
                masters: s
                    .plan
                    .lost
                    .iter()
                    .map(|l| (l.node.clone(), l.slots.clone()))
                    .collect(),
            });
        }
        if s.plan.is_empty() || s.unreachable_masters.is_empty() {
            return None;
        }
        Some(FixRefusal::MastersUnreachable {
            masters: s.unreachable_masters.clone(),
        })
    }

    /// Whether a cluster with nothing to repair is only settling: some node reports a
    /// cluster_state other than ok, while every member was reached and every slot has a
    /// reachable owner. (A master that just restarted waits out Redis's rejoin delay, and
    /// the others clear its FAIL flag only after a while: that passes by itself.)
    pub fn settling(&self) -> bool {
        self.unreached.is_empty()
            && self.slots.unreachable_masters.is_empty()
            && self.slots.plan.skipped.is_empty()
            && self.state_not_ok
    }

    /// Whether `cluster_state:ok` can be expected once re-formed: only when every member
    /// was reached and no slot needs repairing.
    pub fn state_ok_after_reform(&self) -> bool {
        self.unreached.is_empty() && self.slots.plan.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SlotRange;

    fn id(c: char) -> NodeId {
        NodeId::parse(&c.to_string().repeat(40)).unwrap()
    }

    fn m(c: char, slots: &[(u16, u16)]) -> FixMaster {
        FixMaster {
            id: id(c),
            label: format!("{c}"),
            slots: SlotSet::from_ranges(slots.iter().map(|&(a, b)| SlotRange::new(a, b))),
            migrating: vec![],
            importing: vec![],
        }
    }

    /// Three masters a, b, c owning 0-5460, 5461-10922, 10923-16383.
    fn three() -> Vec<FixMaster> {
        vec![
            m('a', &[(0, 5460)]),
            m('b', &[(5461, 10922)]),
            m('c', &[(10923, 16383)]),
        ]
    }

    fn input(masters: Vec<FixMaster>) -> FixInput {
        FixInput {
            masters,
            ..Default::default()
        }
    }

    fn keys(slot: u16, counts: &[(char, u64)]) -> KeyCounts {
        let mut k = KeyCounts::new();
        k.insert(slot, counts.iter().map(|&(c, n)| (id(c), n)).collect());
        k
    }

    fn only(plan: &FixPlan) -> &SlotFix {
        assert_eq!(plan.slots.len(), 1, "{plan:#?}");
        &plan.slots[0]
    }

    #[test]
    fn healthy_cluster_needs_nothing() {
        let plan = plan_fix(&input(three()), &KeyCounts::new());
        assert!(plan.is_empty());
    }

    #[test]
    fn migrating_only_stays_with_the_owner() {
        let mut ms = three();
        ms[0].migrating.push((100, id('b')));
        let plan = plan_fix(&input(ms), &keys(100, &[('a', 5)]));
        let f = only(&plan);
        assert_eq!(
            (f.slot, f.kind, &f.owner, f.assign),
            (100, FixKind::Migrating, &id('a'), false)
        );
        assert!(f.moves.is_empty() && f.open.is_empty());
        assert_eq!(f.stable, vec![id('a')]);
    }

    #[test]
    fn owner_still_migrating_gets_keys_back_from_the_target() {
        // a owns 100 and has it migrating to b; some keys already reached b, whose
        // importing state was cleared.
        let mut ms = three();
        ms[0].migrating.push((100, id('b')));
        let plan = plan_fix(&input(ms), &keys(100, &[('a', 3), ('b', 2)]));
        let f = only(&plan);
        assert_eq!((f.kind, &f.owner), (FixKind::Migrating, &id('a')));
        assert_eq!(f.moves, vec![(id('b'), 2)]);
        assert_eq!(
            f.open,
            vec![
                (id('a'), SetSlot::Stable),
                (id('b'), SetSlot::Importing(id('a')))
            ]
        );
        assert_eq!(f.stable, vec![id('a'), id('b')]);
    }

    #[test]
    fn importing_only_moves_keys_back_to_the_owner() {
        let mut ms = three();
        ms[1].importing.push((100, id('a')));
        let plan = plan_fix(&input(ms), &keys(100, &[('a', 3), ('b', 2)]));
        let f = only(&plan);
        assert_eq!((f.kind, &f.owner), (FixKind::Importing, &id('a')));
        assert_eq!(f.moves, vec![(id('b'), 2)]);
        assert!(
            f.open.is_empty(),
            "b is importing already: MIGRATE works there"
        );
        assert_eq!(f.stable, vec![id('b')]);
    }

    #[test]
    fn interrupted_migration_is_finished_toward_the_target() {
        let mut ms = three();
        ms[0].migrating.push((100, id('b')));
        ms[1].importing.push((100, id('a')));
        let plan = plan_fix(&input(ms), &keys(100, &[('a', 3), ('b', 2)]));
        let f = only(&plan);
        assert_eq!((f.kind, &f.owner), (FixKind::Migration, &id('b')));
        assert_eq!(f.moves, vec![(id('a'), 3)]);
        assert!(f.open.is_empty());
        assert_eq!(f.stable, vec![id('a'), id('b')]);
    }

    #[test]
    fn migration_half_finished_on_the_importing_side() {
        // b already took the slot (SETSLOT NODE b on b); a still claims it and migrates.
        let mut ms = three();
        ms[0].migrating.push((100, id('b')));
        ms[1].slots.insert(100);
        let plan = plan_fix(&input(ms), &keys(100, &[('a', 1), ('b', 2)]));
        let f = only(&plan);
        assert_eq!((f.kind, &f.owner), (FixKind::Migration, &id('b')));
        assert_eq!(f.moves, vec![(id('a'), 1)]);
        assert!(
            f.open.is_empty(),
            "a claims it and migrates: MIGRATE works there"
        );
    }

    #[test]
    fn importing_on_several_nodes() {
        let mut ms = three();
        ms[1].importing.push((100, id('a')));
        ms[2].importing.push((100, id('a')));
        let plan = plan_fix(&input(ms), &keys(100, &[('a', 1), ('b', 1), ('c', 4)]));
        let f = only(&plan);
        assert_eq!((f.kind, &f.owner), (FixKind::ImportingOnSeveral, &id('a')));
        assert_eq!(f.moves, vec![(id('b'), 1), (id('c'), 4)]);
        assert_eq!(f.stable, vec![id('b'), id('c')]);

        // The same with a migrating toward b: finished toward b, c's keys go to b too.
        let mut ms = three();
        ms[0].migrating.push((100, id('b')));
        ms[1].importing.push((100, id('a')));
        ms[2].importing.push((100, id('a')));
        let plan = plan_fix(&input(ms), &keys(100, &[('a', 1), ('c', 4)]));
        let f = only(&plan);
        assert_eq!((f.kind, &f.owner), (FixKind::Migration, &id('b')));
        assert_eq!(f.moves, vec![(id('a'), 1), (id('c'), 4)]);
        assert_eq!(f.stable, vec![id('a'), id('b'), id('c')]);
    }

    #[test]
    fn uncovered_slot_with_keys_on_one_master_goes_to_it() {
        let mut ms = three();
        ms[2].slots.remove(15495);
        let plan = plan_fix(&input(ms), &keys(15495, &[('b', 4)]));
        let f = only(&plan);
        assert_eq!(
            (f.kind, &f.owner, f.assign),
            (FixKind::UncoveredWithKeys, &id('b'), true)
        );
        assert!(f.moves.is_empty() && f.open.is_empty() && f.stable.is_empty());
    }

    #[test]
    fn uncovered_slot_with_keys_on_several_goes_to_the_one_with_most() {
        let mut ms = three();
        ms[2].slots.remove(15495);
        let plan = plan_fix(&input(ms), &keys(15495, &[('a', 2), ('b', 5), ('c', 2)]));
        let f = only(&plan);
        assert_eq!(
            (f.kind, &f.owner, f.assign),
            (FixKind::UncoveredWithKeys, &id('b'), true)
        );
        assert_eq!(f.moves, vec![(id('a'), 2), (id('c'), 2)]);
        assert_eq!(
            f.open,
            vec![
                (id('a'), SetSlot::Importing(id('b'))),
                (id('c'), SetSlot::Importing(id('b')))
            ]
        );
        assert_eq!(f.stable, vec![id('a'), id('c')]);
    }

    #[test]
    fn uncovered_slots_without_keys_are_spread_over_the_smallest_masters() {
        let ms = vec![
            m('a', &[(0, 5999)]),
            m('b', &[(6000, 9999)]),
            m('c', &[(10000, 15999)]),
        ];
        let plan = plan_fix(&input(ms), &KeyCounts::new());
        assert_eq!(plan.slots.len(), 384);
        assert!(
            plan.slots
                .iter()
                .all(|f| f.assign && f.kind == FixKind::Uncovered && f.moves.is_empty())
        );
        let to_b = plan.slots.iter().filter(|f| f.owner == id('b')).count();
        let to_a = plan.slots.iter().filter(|f| f.owner == id('a')).count();
        let to_c = plan.slots.iter().filter(|f| f.owner == id('c')).count();
        // b (4000) is filled first; nothing reaches 6000.
        assert_eq!((to_a, to_b, to_c), (0, 384, 0));
        assert_eq!(
            plan,
            plan_fix(
                &input(vec![
                    m('a', &[(0, 5999)]),
                    m('b', &[(6000, 9999)]),
                    m('c', &[(10000, 15999)])
                ]),
                &KeyCounts::new()
            )
        );
    }

    #[test]
    fn several_owners_keep_the_one_with_most_keys() {
        let mut ms = three();
        ms[0].slots.insert(15000);
        let plan = plan_fix(&input(ms), &keys(15000, &[('a', 1), ('c', 3)]));
        let f = only(&plan);
        assert_eq!((f.kind, &f.owner), (FixKind::MultipleOwners, &id('c')));
        assert_eq!(f.moves, vec![(id('a'), 1)]);
        assert_eq!(f.open, vec![(id('a'), SetSlot::Migrating(id('c')))]);
        assert_eq!(f.stable, vec![id('a')]);
    }

    #[test]
    fn deep_stray_keys_move_to_the_owner() {
        let mut inp = input(three());
        let mut deep = DeepScan::new();
        deep.insert(
            id('a'),
            SlotSet::from_ranges([SlotRange::new(10, 10), SlotRange::new(12000, 12000)]),
        );
        inp.deep = Some(deep);
        let plan = plan_fix(&inp, &keys(12000, &[('a', 2), ('c', 1)]));
        let f = only(&plan);
        assert_eq!(
            (f.slot, f.kind, &f.owner),
            (12000, FixKind::StrayKeys, &id('c'))
        );
        assert_eq!(f.moves, vec![(id('a'), 2)]);
        assert_eq!(f.open, vec![(id('a'), SetSlot::Importing(id('c')))]);
        assert_eq!(f.stable, vec![id('a')]);
    }

    #[test]
    fn slots_of_unreachable_masters_are_left_alone() {
        let mut ms = three();
        ms.remove(2);
        ms[0].importing.push((12000, id('c')));
        let mut inp = input(ms);
        inp.unreachable_owned = SlotSet::from_ranges([SlotRange::new(10923, 16383)]);
        let plan = plan_fix(&inp, &KeyCounts::new());
        assert!(plan.is_empty());
        assert_eq!(plan.skipped.to_string(), "12000");
    }

    #[test]
    fn many_problems_at_once() {
        let mut ms = three();
        for s in 0..300u16 {
            ms[0].migrating.push((s, id('b')));
            ms[1].importing.push((s, id('a')));
        }
        ms[2].slots.remove(16000);
        ms[1].slots.insert(12000);
        let plan = plan_fix(&input(ms), &keys(16000, &[('a', 1)]));
        assert_eq!(plan.slots.len(), 302);
        assert!(
            plan.slots[..300]
                .iter()
                .all(|f| f.owner == id('b') && f.kind == FixKind::Migration)
        );
        let f12 = plan.slots.iter().find(|f| f.slot == 12000).unwrap();
        assert_eq!(f12.kind, FixKind::MultipleOwners);
        let f16 = plan.slots.iter().find(|f| f.slot == 16000).unwrap();
        assert_eq!((&f16.owner, f16.assign), (&id('a'), true));
    }

    #[test]
    fn slots_of_a_gone_master_are_spread_evenly_in_ranges_and_named_lost() {
        // c is gone: a and b get its slots, 8192 each in the end, one range each.
        let mut inp = input(vec![m('a', &[(0, 5460)]), m('b', &[(5461, 10922)])]);
        inp.gone = vec![GoneMaster {
            id: id('c'),
            name: "10.0.0.3:6379 (cccccccc)".into(),
            slots: SlotSet::from_ranges([SlotRange::new(10923, 16383)]),
        }];
        let plan = plan_fix(&inp, &KeyCounts::new());
        assert_eq!(plan.slots.len(), 5461);
        assert!(
            plan.slots
                .iter()
                .all(|f| f.assign && f.kind == FixKind::OwnerGone && f.moves.is_empty())
        );
        let to = |c: char| {
            SlotSet::from_ranges(
                plan.slots
                    .iter()
                    .filter(|f| f.owner == id(c))
                    .map(|f| SlotRange::new(f.slot, f.slot)),
            )
        };
        assert_eq!(to('a').to_string(), "10923-13653");
        assert_eq!(to('b').to_string(), "13654-16383");
        assert_eq!(5461 + to('a').len(), 5462 + to('b').len());
        assert_eq!(
            plan.lost,
            vec![LostSlots {
                id: id('c'),
                node: "10.0.0.3:6379 (cccccccc)".into(),
                slots: SlotSet::from_ranges([SlotRange::new(10923, 16383)]),
            }]
        );
        assert_eq!(
            serde_json::to_value(&plan.lost).unwrap(),
            serde_json::json!([{"id": id('c'), "node": "10.0.0.3:6379 (cccccccc)", "slots": "10923-16383"}])
        );
    }

    #[test]
    fn a_gone_masters_slot_with_keys_on_a_live_master_goes_to_it() {
        let mut inp = input(vec![m('a', &[(0, 8000)]), m('b', &[(8001, 16000)])]);
        inp.gone = vec![GoneMaster {
            id: id('c'),
            name: "c".into(),
            slots: SlotSet::from_ranges([SlotRange::new(16001, 16383)]),
        }];
        let plan = plan_fix(&inp, &keys(16100, &[('b', 3)]));
        let f = plan.slots.iter().find(|f| f.slot == 16100).unwrap();
        assert_eq!(
            (f.kind, &f.owner, f.assign),
            (FixKind::OwnerGone, &id('b'), true)
        );
        assert!(f.moves.is_empty());
    }

    #[test]
    fn views_naming_a_failed_owner_are_settled_toward_the_claimant() {
        let mut inp = input(three());
        inp.stale = SlotSet::from_ranges([SlotRange::new(100, 102)]);
        let plan = plan_fix(&inp, &KeyCounts::new());
        assert_eq!(plan.slots.len(), 3);
        assert!(plan.slots.iter().all(|f| f.kind == FixKind::StaleOwner
            && f.owner == id('a')
            && !f.assign
            && f.moves.is_empty()
            && f.open.is_empty()));
    }

    #[test]
    fn the_refusal_names_the_gone_master_and_the_option() {
        let mut inp = input(vec![m('a', &[(0, 8191)]), m('b', &[(8192, 16000)])]);
        inp.gone = vec![GoneMaster {
            id: id('c'),
            name: "10.0.0.3:6379 (cccccccc)".into(),
            slots: SlotSet::from_ranges([SlotRange::new(16001, 16383)]),
        }];
        let job = FixJob {
            nodes: vec![],
            reform: ReformPlan::default(),
            unreached: BTreeMap::new(),
            slots: SlotRepairs {
                plan: plan_fix(&inp, &KeyCounts::new()),
                ..Default::default()
            },
            state_not_ok: true,
        };
        assert_eq!(job.refusal(true), None);
        let text = job.refusal(false).unwrap().to_string();
        assert!(text.starts_with("master 10.0.0.3:6379 (cccccccc) is failed and no replica took over slots 16001-16383 (383 slot(s))"), "{text}");
        assert!(
            text.contains("--with-unreachable-masters") && text.ends_with("nothing was changed"),
            "{text}"
        );
    }

    mod views {
        //! `input_from_views` on views built from `CLUSTER NODES` text.
        use super::super::*;
        use crate::plan::membership_del::fixture::*;

        fn lines(me: char, c: &str, extra: &[String]) -> Vec<String> {
            let f = |x: char, role: &str| {
                if x == me {
                    format!("myself,{role}")
                } else {
                    role.to_string()
                }
            };
            let mut l = vec![
                line('a', "10.0.0.1:6379", &f('a', "master"), None, "0-5460"),
                line('b', "10.0.0.2:6379", &f('b', "master"), None, "5461-10922"),
                line('c', "10.0.0.3:6379", "master,fail", None, c),
            ];
            l.extend(extra.iter().cloned());
            l
        }

        fn reached(v: &ClusterView) -> BTreeSet<NodeId> {
            v.nodes.iter().map(|n| n.id.clone()).collect()
        }

        #[test]
        fn a_failed_master_without_replica_is_gone() {
            let v = view(
                vec![
                    node(
                        'a',
                        "10.0.0.1:6379",
                        "a",
                        &lines('a', "10923-16383", &[]),
                        0,
                    ),
                    node(
                        'b',
                        "10.0.0.2:6379",
                        "b",
                        &lines('b', "10923-16383", &[]),
                        0,
                    ),
                ],
                vec![unreachable('c', "10.0.0.3:6379")],
            );
            let (inp, out) = input_from_views(&v, &reached(&v));
            assert_eq!(inp.gone.len(), 1);
            assert_eq!(inp.gone[0].slots.to_string(), "10923-16383");
            assert!(inp.unreachable_owned.is_empty() && inp.stale.is_empty());
            assert!(out.unreachable_masters.is_empty());
            assert_eq!(out.dead.len(), 1);
            assert_eq!(broken_slots(&inp).to_string(), "10923-16383");
        }

        #[test]
        fn a_failed_master_whose_replica_took_over_leaves_stale_views_only() {
            // d (c's replica) was promoted and claims 10923-16383; a still gives 16000-16383
            // to c.
            let d_me = line('d', "10.0.0.4:6379", "myself,master", None, "10923-16383");
            let d = line('d', "10.0.0.4:6379", "master", None, "10923-15999");
            let v = view(
                vec![
                    node(
                        'a',
                        "10.0.0.1:6379",
                        "a",
                        &lines('a', "16000-16383", std::slice::from_ref(&d)),
                        0,
                    ),
                    node('b', "10.0.0.2:6379", "b", &lines('b', "", &[d]), 0),
                    node('d', "10.0.0.4:6379", "d", &lines('d', "", &[d_me]), 0),
                ],
                vec![unreachable('c', "10.0.0.3:6379")],
            );
            let (inp, out) = input_from_views(&v, &reached(&v));
            assert!(inp.gone.is_empty() && inp.unreachable_owned.is_empty());
            assert_eq!(inp.stale.to_string(), "16000-16383");
            assert!(out.unreachable_masters.is_empty());
            assert_eq!(
                out.dead,
                vec![(id('c'), format!("10.0.0.3:6379 ({})", id('c').short()))]
            );
            let plan = plan_fix(&inp, &KeyCounts::new());
            assert_eq!(plan.slots.len(), 384);
            assert!(
                plan.slots
                    .iter()
                    .all(|f| f.kind == FixKind::StaleOwner && f.owner == id('d'))
            );
            assert!(plan.lost.is_empty());
        }

        #[test]
        fn a_failed_master_with_a_live_replica_is_waited_for() {
            let e = line('e', "10.0.0.5:6379", "slave", Some('c'), "");
            let v = view(
                vec![
                    node(
                        'a',
                        "10.0.0.1:6379",
                        "a",
                        &lines('a', "10923-16383", std::slice::from_ref(&e)),
                        0,
                    ),
                    node(
                        'b',
                        "10.0.0.2:6379",
                        "b",
                        &lines('b', "10923-16383", &[e]),
                        0,
                    ),
                ],
                vec![unreachable('c', "10.0.0.3:6379")],
            );
            let (inp, out) = input_from_views(&v, &reached(&v));
            assert!(inp.gone.is_empty());
            assert_eq!(inp.unreachable_owned.to_string(), "10923-16383");
            assert_eq!(out.unreachable_masters.len(), 1);
            assert!(
                out.unreachable_masters[0].contains("trib failover --force"),
                "{:?}",
                out.unreachable_masters
            );
            assert!(broken_slots(&inp).is_empty());
        }
    }

    mod spreading {
        use super::*;
        use proptest::prelude::*;

        fn ids(n: usize) -> Vec<NodeId> {
            (0..n)
                .map(|i| NodeId::parse(&format!("{i:040x}")).unwrap())
                .collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]
            #[test]
            fn spread_is_even_complete_and_in_few_ranges(
                have in proptest::collection::vec(0usize..6000, 1..8),
                ranges in proptest::collection::vec((0u16..16384, 0u16..3000), 0..6),
            ) {
                let slots = SlotSet::from_ranges(
                    ranges.iter().map(|&(a, n)| SlotRange::new(a, a.saturating_add(n).min(16383))),
                );
                let masters = ids(have.len());
                let counts: BTreeMap<NodeId, usize> =
                    masters.iter().cloned().zip(have.iter().copied()).collect();
                let out = spread(&slots, &counts);
                // Every slot exactly once, to a known master.
                let mut all = SlotSet::new();
                let mut total = 0;
                for (id, set) in &out {
                    prop_assert!(counts.contains_key(id));
                    prop_assert!(all.intersection(set).is_empty());
                    all.union_with(set);
                    total += set.len();
                }
                prop_assert_eq!(&all, &slots);
                prop_assert_eq!(total, slots.len());
                // A master that got slots ends at most one above any other.
                let end = |id: &NodeId| counts[id] + out.get(id).map_or(0, SlotSet::len);
                for r in out.keys().filter(|r| !out[*r].is_empty()) {
                    for m in &masters {
                        prop_assert!(end(r) <= end(m) + 1, "{} vs {}", end(r), end(m));
                    }
                }
                // Contiguous shares: at most one new range per receiver per input range.
                let pieces: usize = out.values().map(|s| s.ranges().len()).sum();
                prop_assert!(pieces <= slots.ranges().len() + out.len().saturating_sub(1));
            }
        }

        #[test]
        fn nothing_to_spread_or_nobody_to_take_it() {
            assert!(spread(&SlotSet::new(), &BTreeMap::new()).is_empty());
            let one = SlotSet::from_ranges([SlotRange::new(1, 3)]);
            assert!(spread(&one, &BTreeMap::new()).is_empty());
        }
    }
}
