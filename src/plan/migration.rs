//! Slot moves: the plain data every slot-moving command (reshard, rebalance, fix) hands
//! to the migration engine.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use thiserror::Error;

use super::bigkeys::{BigKey, KeySizes, KeysSized};
use crate::model::NodeId;

/// Move one slot, with its keys, from one master to another.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SlotMove {
    pub slot: u16,
    pub from: NodeId,
    pub to: NodeId,
}

/// An ordered list of slot moves. Build it with [`MigrationPlan::new`], which checks
/// that the moves make sense together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MigrationPlan {
    pub moves: Vec<SlotMove>,
    /// Keys whose move alone would stall their source longer than the budget, found on
    /// the sources before the move (`ops::bigkeys`): the engine moves each alone, first
    /// in its slot, with an I/O timeout that fits its size.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub big_keys: Vec<BigKey>,
    /// The keys the scan sized per source, when it ran: the engine's first batches are
    /// sized by them instead of starting small.
    #[serde(skip)]
    pub key_sizes: BTreeMap<NodeId, KeySizes>,
    /// How many of the moving keys the scan sized, when it ran.
    #[serde(skip)]
    pub sized: Option<KeysSized>,
    /// Every master taking part has atomic slot migration (Valkey 9 `CLUSTER
    /// MIGRATESLOTS`) and it is not turned off: the servers move whole slots themselves,
    /// so no key is moved alone and big keys are not looked for. The engine checks again
    /// when it applies the plan (a target must also be clean).
    #[serde(skip)]
    pub atomic: bool,
}

/// Why a list of moves is not a plan.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum InvalidPlan {
    #[error("slot {slot}: source and target are the same node {}", node.short())]
    SameNode { slot: u16, node: NodeId },
    #[error("slot {0} appears twice in the plan")]
    SlotTwice(u16),
    #[error("slot {0} does not exist (slots are 0-16383)")]
    NoSuchSlot(u16),
}

impl MigrationPlan {
    /// The plan of `moves` (in that order), if no slot moves twice, none moves to where it
    /// is and every slot exists.
    pub fn new(moves: Vec<SlotMove>) -> Result<MigrationPlan, InvalidPlan> {
        let plan = MigrationPlan {
            moves,
            big_keys: Vec::new(),
            key_sizes: BTreeMap::new(),
            sized: None,
            atomic: false,
        };
        plan.validate()?;
        Ok(plan)
    }

    /// Checks the invariants [`MigrationPlan::new`] guarantees (for plans built by hand),
    /// reporting the first move that breaks one.
    pub fn validate(&self) -> Result<(), InvalidPlan> {
        let mut seen = BTreeSet::new();
        for m in &self.moves {
            if m.from == m.to {
                return Err(InvalidPlan::SameNode {
                    slot: m.slot,
                    node: m.from.clone(),
                });
            }
            if !seen.insert(m.slot) {
                return Err(InvalidPlan::SlotTwice(m.slot));
            }
            if m.slot >= crate::model::SLOT_COUNT {
                return Err(InvalidPlan::NoSuchSlot(m.slot));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(c: char) -> NodeId {
        NodeId::parse(&c.to_string().repeat(40)).unwrap()
    }

    fn mv(slot: u16, from: char, to: char) -> SlotMove {
        SlotMove {
            slot,
            from: id(from),
            to: id(to),
        }
    }

    #[test]
    fn a_plan_keeps_its_order() {
        let p = MigrationPlan::new(vec![mv(5, 'a', 'b'), mv(1, 'b', 'a')]).unwrap();
        assert_eq!(p.moves.iter().map(|m| m.slot).collect::<Vec<_>>(), [5, 1]);
        assert!(MigrationPlan::new(Vec::new()).unwrap().moves.is_empty());
    }

    #[test]
    fn broken_plans_are_refused() {
        let e = MigrationPlan::new(vec![mv(5, 'a', 'a')]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "slot 5: source and target are the same node aaaaaaaa"
        );
        let e = MigrationPlan::new(vec![mv(5, 'a', 'b'), mv(5, 'a', 'c')]).unwrap_err();
        assert_eq!(e, InvalidPlan::SlotTwice(5));
        assert_eq!(e.to_string(), "slot 5 appears twice in the plan");
        let e = MigrationPlan::new(vec![mv(16384, 'a', 'b')]).unwrap_err();
        assert_eq!(e, InvalidPlan::NoSuchSlot(16384));
    }
}
