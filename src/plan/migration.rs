//! Slot moves: the plain data every slot-moving command (reshard, rebalance, fix) hands
//! to the migration engine.

use serde::Serialize;

use crate::model::NodeId;

/// Move one slot, with its keys, from one master to another.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SlotMove {
    pub slot: u16,
    pub from: NodeId,
    pub to: NodeId,
}

/// An ordered list of slot moves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MigrationPlan {
    pub moves: Vec<SlotMove>,
}
