//! TEMPORARY stub with the agreed API; replaced by the planner branch.
use crate::model::SlotRange;
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlacementNode {
    pub label: String,
    pub domain: String,
}
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Placement {
    pub masters: Vec<MasterGroup>,
    pub conflicts: Vec<Conflict>,
}
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MasterGroup {
    pub master: usize,
    pub slots: SlotRange,
    pub replicas: Vec<usize>,
}
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Conflict {
    ReplicaWithMaster {
        master: usize,
        replica: usize,
        domain: String,
    },
    ReplicasTogether {
        master: usize,
        a: usize,
        b: usize,
        domain: String,
    },
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    #[error("too few masters")]
    TooFewMasters {
        nodes: usize,
        replicas: usize,
        masters: usize,
    },
    #[error("duplicate {0}")]
    DuplicateLabel(String),
}
pub fn plan_placement(
    nodes: &[PlacementNode],
    replicas: usize,
) -> Result<Placement, PlacementError> {
    let m = nodes.len() / (replicas + 1);
    if m < 3 {
        return Err(PlacementError::TooFewMasters {
            nodes: nodes.len(),
            replicas,
            masters: m,
        });
    }
    let mut masters = vec![];
    let mut start = 0u16;
    for i in 0..m {
        let n = 16384 / m + usize::from(i < 16384 % m);
        let end = start + n as u16 - 1;
        masters.push(MasterGroup {
            master: i,
            slots: SlotRange::new(start, end),
            replicas: (m..nodes.len()).filter(|r| r % m == i).collect(),
        });
        start = end + 1;
    }
    Ok(Placement {
        masters,
        conflicts: vec![],
    })
}
