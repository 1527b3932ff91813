//! `add-node` and `replicate` around the join plan: reading the function libraries the
//! planner needs beforehand, and applying the plan with the waits a new master needs
//! afterwards (the steps themselves are [`super::membership::apply_join`]).

use std::time::Duration;

use futures::future::join_all;

use super::Reporter;
use super::membership::{
    JoinError, JoinTimings, apply_join, function_libraries, has_functions, wait_slots_agree,
    wait_state_ok,
};
use crate::cluster::load::Loaded;
use crate::cluster::{Node, NodeError};
use crate::model::view::NodeView;
use crate::model::{NodeId, SLOT_COUNT};
use crate::plan::check::claimed_slots;
use crate::plan::membership::{JoinPlan, Library, Role, richest_library_set};

/// The libraries a new master must get, and where from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterFunctions {
    pub from: NodeId,
    /// How messages name `from`.
    pub label: String,
    pub libraries: Vec<Library>,
    /// The other masters whose libraries differ (label, libraries), in the cluster's order.
    pub differing: Vec<(String, Vec<Library>)>,
}

/// The function libraries the join planner needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Functions {
    /// NEW's libraries, sorted; `None` when it has no FUNCTION command (Redis < 7).
    pub new: Option<Vec<Library>>,
    /// What a new master must get; `None` when no reachable master has FUNCTION.
    pub cluster: Option<ClusterFunctions>,
}

/// Reads NEW's libraries, then the cluster's ([`cluster_functions`]).
pub async fn functions(
    new: &Node,
    new_view: &NodeView,
    loaded: &Loaded,
) -> Result<Functions, NodeError> {
    let new = if has_functions(new_view.info.version()) {
        Some(function_libraries(new).await?)
    } else {
        None
    };
    Ok(Functions {
        new,
        cluster: cluster_functions(loaded).await?,
    })
}

/// The libraries of the reachable master (owning slots) with most libraries; `None` when
/// no such master has the FUNCTION command.
pub async fn cluster_functions(loaded: &Loaded) -> Result<Option<ClusterFunctions>, NodeError> {
    let masters: Vec<_> = loaded
        .view
        .nodes
        .iter()
        .filter(|n| {
            n.is_master()
                && n.myself().is_some_and(|m| !m.slots.is_empty())
                && has_functions(n.info.version())
        })
        .filter_map(|n| loaded.conns.get(&n.id).map(|c| (n, c)))
        .collect();
    if masters.is_empty() {
        return Ok(None);
    }
    let lists = join_all(masters.iter().map(|(_, c)| function_libraries(c))).await;
    let mut found: Vec<(NodeId, String, Vec<Library>)> = Vec::new();
    for ((n, _), l) in masters.iter().zip(lists) {
        found.push((n.id.clone(), n.label.clone(), l?));
    }
    let sets: Vec<&[Library]> = found.iter().map(|f| f.2.as_slice()).collect();
    let (from, label, libraries) = found[richest_library_set(&sets)].clone();
    let differing = found
        .into_iter()
        .filter(|f| f.2 != libraries)
        .map(|(_, label, libs)| (label, libs))
        .collect();
    Ok(Some(ClusterFunctions {
        from,
        label,
        libraries,
        differing,
    }))
}

/// The waits after a new master joined, when they applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MasterWaits {
    /// Until every node agreed on the slot map (the cluster's slots were all covered).
    pub slots_agree_ms: Option<u128>,
    /// Until the new master reported `cluster_state:ok` (the cluster was healthy).
    pub state_ok_ms: Option<u128>,
}

/// What [`join`] did.
#[derive(Clone, Debug, Default)]
pub struct Joined {
    pub timings: JoinTimings,
    pub waits: MasterWaits,
}

/// Applies `plan` (NEW is `new`; `loaded` is the cluster as planned), then, for a new
/// master, waits until it learned the slot map from gossip and, when the cluster was
/// healthy, until it reports `cluster_state:ok` (so a `trib check` right after passes).
pub async fn join(
    plan: &JoinPlan,
    new: &Node,
    loaded: &Loaded,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Joined, JoinError> {
    let timings = apply_join(plan, new, &loaded.conns, timeout, reporter).await?;
    let mut waits = MasterWaits::default();
    if plan.role == Role::Master {
        let view = &loaded.view;
        let mut nodes: Vec<_> = loaded
            .conns
            .iter()
            .filter(|(id, _)| **id != plan.node.id)
            .map(|(_, n)| n.clone())
            .collect();
        nodes.push(new.clone());
        let covered =
            claimed_slots(view).values().map(|s| s.len()).sum::<usize>() == SLOT_COUNT as usize;
        if covered {
            let d = wait_slots_agree(&nodes, &plan.node.id, timeout, reporter).await?;
            waits.slots_agree_ms = Some(d.as_millis());
            if view.nodes.iter().all(|n| n.cluster_state_ok()) {
                let d = wait_state_ok(new, timeout, reporter).await?;
                waits.state_ok_ms = Some(d.as_millis());
            }
        }
    }
    Ok(Joined { timings, waits })
}
