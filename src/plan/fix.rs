//! `trib fix` slot repairs: for every broken slot, which master ends up owning it,
//! whose keys move there, and which `CLUSTER SETSLOT` states are set and cleared. Pure.
//!
//! A slot is broken when it is open (a `[s->-id]`/`[s-<-id]` marker on a master),
//! uncovered (no master claims it), claimed by several masters, or (with `--deep`) has
//! keys on a master that does not own it. Slots owned by masters trib could not reach
//! are left alone.
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
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::view::ClusterView;
use crate::model::{NodeId, SLOT_COUNT, SlotSet};
use crate::plan::check::{DeepScan, members};
use crate::plan::reform::{ReformNode, ReformPlan};

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

/// What the planner sees.
#[derive(Clone, Debug, Default)]
pub struct FixInput {
    pub masters: Vec<FixMaster>,
    /// Slots owned (in the views of the others) by masters trib could not reach.
    pub unreachable_owned: SlotSet,
    /// `--deep`: the slots in which each master holds keys.
    pub deep: Option<DeepScan>,
}

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
        }
    }
}

/// Why `fix` will not repair slots.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FixRefusal {
    #[error(
        "{}\nslot repairs need every master: bring it back (name it at its current address), remove it with `trib del-node`, or pass --with-unreachable-masters to repair the other slots; nothing was changed",
        .masters.iter().map(|m| format!("master {m} is not reachable")).collect::<Vec<_>>().join("\n")
    )]
    MastersUnreachable { masters: Vec<String> },
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

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FixPlan {
    pub slots: Vec<SlotFix>,
    /// Broken slots left alone because an unreachable master owns them.
    pub skipped: SlotSet,
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
    let mut counts: BTreeMap<&NodeId, usize> = input
        .masters
        .iter()
        .map(|m| (&m.id, m.slots.len()))
        .collect();
    let none = BTreeMap::new();
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
            match with_keys.or_else(|| {
                input
                    .masters
                    .iter()
                    .min_by_key(|m| (counts.get(&m.id).copied().unwrap_or(0), &m.id))
            }) {
                Some(m) => m,
                None => continue, // no reachable master at all
            }
        };
        if assign {
            *counts.entry(&owner.id).or_default() += 1;
        }

        let sources: Vec<&FixMaster> = input
            .masters
            .iter()
            .filter(|m| m.id != owner.id && k(&m.id) > 0)
            .collect();
        let kind = if assign {
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
    FixPlan { slots, skipped }
}

/// The slot repairs and what they were planned from.
#[derive(Clone, Debug, Default)]
pub struct SlotRepairs {
    pub plan: FixPlan,
    /// Reachable masters.
    pub masters: BTreeSet<NodeId>,
    /// Masters nobody reached: one line each.
    pub unreachable_masters: Vec<String>,
    /// Every node's label (an unreached master's: its address).
    pub labels: BTreeMap<NodeId, String>,
}

/// The planner's input as the views show it (without key counts or a deep scan): every
/// master among `reached` as it describes itself, and the slots of masters nobody
/// reached. The repairs come back with an empty plan.
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
    for (id, e) in &members(view) {
        if e.flags.master && !reached.contains(id) {
            input.unreachable_owned.union_with(&e.slots);
            out.labels
                .entry(id.clone())
                .or_insert_with(|| e.addr_string());
            out.unreachable_masters
                .push(format!("{} ({})", e.addr_string(), id.short()));
        }
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

    /// Why the slot repairs cannot run: they need every master, unless
    /// `--with-unreachable-masters` (`anyway`).
    pub fn refusal(&self, anyway: bool) -> Option<FixRefusal> {
        let s = &self.slots;
        if s.plan.is_empty() || s.unreachable_masters.is_empty() || anyway {
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
}
