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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NodeId, SlotRange, SlotSet};
    use crate::plan::migration::MigrationPlan;
    use crate::plan::reshard::Share;

    fn id(c: char) -> NodeId {
        NodeId::parse(&c.to_string().repeat(40)).unwrap()
    }

    /// The reshard plan's look: a reviewed diff when it changes.
    #[test]
    fn reshard_plan_snapshot() {
        let share = |c, node: &str, r: (u16, u16)| Share {
            id: id(c),
            node: node.into(),
            count: (r.1 - r.0 + 1) as usize,
            slots: SlotSet::from_ranges([SlotRange::new(r.0, r.1)]),
        };
        let p = ReshardPlan {
            to: id('c'),
            to_node: "10.0.0.3:6379".into(),
            shares: vec![
                share('a', "10.0.0.1:6379", (0, 99)),
                share('b', "10.0.0.2:6379", (5461, 5560)),
            ],
            slots: 200,
            migration: MigrationPlan::default(),
        };
        assert_eq!(
            plan(&p),
            "Plan: move 200 slot(s) to 10.0.0.3:6379 (cccccccc):

FROM                      SLOTS  RANGES     TO
10.0.0.1:6379 (aaaaaaaa)  100    0-99       10.0.0.3:6379 (cccccccc)
10.0.0.2:6379 (bbbbbbbb)  100    5461-5560  10.0.0.3:6379 (cccccccc)"
        );
    }
}
