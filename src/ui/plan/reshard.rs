//! `reshard`: the plan as a table.

use crate::plan::reshard::ReshardPlan;
use crate::ui::render;

pub fn plan(plan: &ReshardPlan) -> String {
    let rows = plan
        .shares
        .iter()
        .map(|s| {
            vec![
                format!("{} ({})", s.node, s.id.short()),
                s.count.to_string(),
                s.slots.to_string(),
                format!("{} ({})", plan.to_node, plan.to.short()),
            ]
        })
        .collect();
    format!(
        "Plan: move {} slot(s) to {} ({}):\n\n{}",
        plan.slots,
        plan.to_node,
        plan.to.short(),
        render::table(&["FROM", "SLOTS", "RANGES", "TO"], rows)
    )
}
