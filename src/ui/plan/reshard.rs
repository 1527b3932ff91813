//! `reshard`: the plan as a table.

use std::time::Duration;

use crate::ops::migrate::MigrationReport;
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
    let already = if plan.already_at_destination.is_empty() {
        String::new()
    } else {
        format!(
            "\n{} slot(s) of --range ({}) are on {} already and are left as they are.\n",
            plan.already_at_destination.len(),
            plan.already_at_destination,
            plan.to_node
        )
    };
    format!(
        "Plan: move {} slot(s) to {} ({}):\n\n{}{already}{}",
        plan.slots,
        plan.to_node,
        plan.to.short(),
        render::table(&["FROM", "SLOTS", "RANGES", "TO"], rows),
        super::bigkeys::section(&plan.migration)
    )
}

/// A `--range` reshard whose slots are all on the destination already.
pub fn nothing(plan: &ReshardPlan) -> String {
    format!(
        "slots {} are on {} already: nothing to move",
        plan.already_at_destination, plan.to_node
    )
}

/// How to move the rest after a reshard stopped having moved `moved` slots.
pub fn resume(plan: &ReshardPlan, moved: usize, by_range: bool) -> String {
    if by_range {
        "re-run the same command to move the rest (the slots already moved are left as they are)"
            .into()
    } else {
        format!(
            "`--slots {}` moves the rest",
            plan.slots.saturating_sub(moved)
        )
    }
}

/// The line that ends a reshard.
pub fn moved(plan: &ReshardPlan, report: &MigrationReport, took: Duration) -> String {
    let secs = took.as_secs_f64();
    format!(
        "moved {} slot(s) and {} key(s) to {} in {secs:.2}s ({:.0} keys/s); every node agrees on the new slot map",
        report.slots_moved,
        report.keys_moved,
        plan.to_node,
        report.keys_moved as f64 / secs.max(0.001),
    )
}

/// Keys found on the target with the source's value already.
pub fn identical(plan: &ReshardPlan, report: &MigrationReport) -> String {
    format!(
        "{} key(s) were already on {} with the same value; their source copies were deleted",
        report.identical_keys, plan.to_node
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
            already_at_destination: SlotSet::new(),
            migration: MigrationPlan::default(),
        };
        assert_eq!(
            plan(&p),
            "Plan: move 200 slot(s) to 10.0.0.3:6379 (cccccccc):

FROM                      SLOTS  RANGES     TO
10.0.0.1:6379 (aaaaaaaa)  100    0-99       10.0.0.3:6379 (cccccccc)
10.0.0.2:6379 (bbbbbbbb)  100    5461-5560  10.0.0.3:6379 (cccccccc)"
        );
        // A re-run of a `--range` reshard: what is there already is said, not moved.
        let p = ReshardPlan {
            already_at_destination: SlotSet::from_ranges([SlotRange::new(10922, 11000)]),
            ..p
        };
        assert!(
            plan(&p).ends_with(
                "\n79 slot(s) of --range (10922-11000) are on 10.0.0.3:6379 already and are left as they are.\n"
            ),
            "{}",
            plan(&p)
        );
        assert_eq!(
            nothing(&p),
            "slots 10922-11000 are on 10.0.0.3:6379 already: nothing to move"
        );
    }
}
