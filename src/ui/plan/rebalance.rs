//! `rebalance`: the plan as tables (per master, and the moves grouped by pair) and as
//! JSON.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::model::view::ClusterView;
use crate::model::{NodeId, SlotSet};
use crate::ops::migrate::MigrationReport;
use crate::plan::rebalance::RebalancePlan;
use crate::ui::render;

/// A master's name: its label in the view, else in the plan (a master that is not a
/// member yet, in a plan made ahead), else its short ID.
fn name(plan: &RebalancePlan, view: &ClusterView, id: &NodeId) -> String {
    view.node(id)
        .map(|n| n.label.clone())
        .or_else(|| {
            plan.masters
                .iter()
                .find(|s| &s.id == id)
                .map(|s| s.node.clone())
        })
        .unwrap_or_else(|| id.short().to_string())
}

/// Moves grouped by (from, to), as slot ranges.
fn grouped(plan: &RebalancePlan) -> Vec<(NodeId, NodeId, SlotSet)> {
    let mut groups: BTreeMap<(NodeId, NodeId), SlotSet> = BTreeMap::new();
    for m in &plan.moves.moves {
        groups
            .entry((m.from.clone(), m.to.clone()))
            .or_default()
            .insert(m.slot);
    }
    groups.into_iter().map(|((f, t), s)| (f, t, s)).collect()
}

pub fn plan(plan: &RebalancePlan, view: &ClusterView) -> String {
    let rows: Vec<Vec<String>> = plan
        .masters
        .iter()
        .map(|s| {
            vec![
                s.node.clone(),
                s.id.short().to_string(),
                s.weight.to_string(),
                format!("{} → {}", s.current, s.target),
                if s.gives > 0 {
                    format!("-{}", s.gives)
                } else if s.gets > 0 {
                    format!("+{}", s.gets)
                } else {
                    "0".into()
                },
            ]
        })
        .collect();
    let mut out = format!(
        "Rebalance: {} master(s), threshold {}%.\n\n{}",
        plan.masters.len(),
        plan.threshold,
        render::table(&["MASTER", "ID", "WEIGHT", "SLOTS", "CHANGE"], rows)
    );
    if !plan.balanced {
        let rows: Vec<Vec<String>> = grouped(plan)
            .into_iter()
            .map(|(f, t, s)| {
                vec![
                    name(plan, view, &f),
                    name(plan, view, &t),
                    s.len().to_string(),
                    s.to_string(),
                ]
            })
            .collect();
        out.push_str(&format!(
            "\n\nPlan: {} slot move(s) (the fewest possible: each master above its target gives exactly its surplus, each slot moves once).\n\n{}",
            plan.moves.moves.len(),
            render::table(&["FROM", "TO", "COUNT", "SLOTS"], rows)
        ));
        out.push_str(&super::bigkeys::section(&plan.moves));
    }
    out
}

/// The plan as shown before the question: [`plan`], and a line for each master it
/// drains.
pub fn render(plan: &RebalancePlan, view: &ClusterView) -> String {
    let mut out = self::plan(plan, view);
    for d in plan.drained() {
        out.push_str(&format!(
            "\n{} will own no slot: with cluster-allow-replica-migration on, Redis may turn it into a replica on its own",
            d.node
        ));
    }
    out
}

/// Nothing to move: the plan, and why.
pub fn balanced(plan: &RebalancePlan, view: &ClusterView) -> String {
    format!(
        "{}\n\nEvery master is within {}% of its target: nothing to move.",
        self::plan(plan, view),
        plan.threshold
    )
}

/// A drained master that Redis turned into a replica.
pub fn became_replica(node: &str) -> String {
    format!(
        "{node} owns no slot any more and turned into a replica on its own (cluster-allow-replica-migration)"
    )
}

/// The line that ends a rebalance.
pub fn moved(report: &MigrationReport, took: Duration) -> String {
    format!(
        "{} slot(s), {} key(s) moved in {:.2}s",
        report.slots_moved,
        report.keys_moved,
        took.as_secs_f64()
    )
}

pub fn plan_json(plan: &RebalancePlan, view: &ClusterView) -> serde_json::Value {
    let mut out = json!({
        "threshold": plan.threshold,
        "balanced": plan.balanced,
        "masters": plan.masters,
        "moves": grouped(plan).into_iter().map(|(f, t, s)| json!({
            "from": f, "from_node": name(plan, view, &f), "to": t, "to_node": name(plan, view, &t),
            "count": s.len(), "slots": s.to_string(),
        })).collect::<Vec<_>>(),
        "slot_moves": plan.moves.moves.len(),
        "big_keys": plan.moves.big_keys,
        "atomic": plan.moves.atomic,
    });
    // Only when the scan ran, as in reshard's plan.
    if let (Some(sized), Some(map)) = (plan.moves.sized, out.as_object_mut()) {
        map.insert("keys_sized".into(), json!(sized));
    }
    out
}
