//! `del-node`: the removal plan as a table and as JSON, and the lines after it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::ops::del_node::DelTimings;
use crate::plan::membership_del::{DelKind, DelPlan};
use crate::ui::render;

pub fn render_plan(plan: &DelPlan) -> String {
    let mut rows = Vec::new();
    for r in &plan.repoint {
        rows.push(vec![
            "replicate".into(),
            r.replica_label.clone(),
            format!(
                "follow {} ({}){}",
                r.to_label,
                r.to.short(),
                if r.same_domain {
                    " [same failure domain: no other choice]"
                } else {
                    ""
                }
            ),
        ]);
    }
    for f in &plan.forget_on {
        rows.push(vec![
            "forget".into(),
            f.label.clone(),
            format!("CLUSTER FORGET {}", plan.id.short()),
        ]);
    }
    if plan.reset {
        rows.push(vec![
            "reset".into(),
            plan.label.clone(),
            "CLUSTER RESET HARD (new ID, knows nobody, data flushed)".into(),
        ]);
    }
    let how = match plan.kind {
        DelKind::Reachable => "reachable and empty",
        DelKind::Unreachable => "failed or unreachable: forget it on every reachable member",
    };
    format!(
        "Plan: remove {} {} ({}), {how}:\n\n{}",
        plan.role,
        plan.label,
        plan.id.short(),
        render::table(&["STEP", "NODE", "ACTION"], rows)
    )
}

pub fn plan_json(plan: &DelPlan) -> Value {
    json!({
        "node": plan.label,
        "id": plan.id,
        "role": plan.role,
        "kind": plan.kind,
        "repoint": plan.repoint,
        "forget_on": plan.forget_on,
        "reset": if plan.reset { Some("hard") } else { None },
        "warnings": plan.warnings,
    })
}

pub fn question(plan: &DelPlan) -> String {
    format!("Remove {} from the cluster?", plan.label)
}

/// The last progress line once the node is removed.
pub fn removed(plan: &DelPlan, elapsed: Duration) -> String {
    format!(
        "{} ({}) removed: forgotten by {} node(s){} in {:.2}s",
        plan.label,
        plan.id.short(),
        plan.forget_on.len(),
        if plan.reset {
            ", reset to an empty node"
        } else {
            ""
        },
        elapsed.as_secs_f64()
    )
}

/// What to know afterwards: an unreachable node removed still believes it is a member.
pub fn afterwards(plan: &DelPlan) -> Option<String> {
    (plan.kind == DelKind::Unreachable).then(|| {
        format!(
            "If {} comes back, CLUSTER RESET it before reusing it: it still believes it is a member.",
            plan.label
        )
    })
}

pub fn result_json(elapsed: Duration, timings: &DelTimings) -> Value {
    json!({"elapsed_ms": elapsed.as_millis(), "timings": timings})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeId;
    use crate::plan::membership_del::{ForgetOn, Repoint};

    fn id(c: char) -> NodeId {
        NodeId::parse(&c.to_string().repeat(40)).unwrap()
    }

    fn forget(c: char, label: &str) -> ForgetOn {
        ForgetOn {
            id: id(c),
            label: label.into(),
        }
    }

    #[test]
    fn empty_master_with_a_replica_to_repoint() {
        let plan = DelPlan {
            id: id('d'),
            label: "10.0.0.4:7000".into(),
            role: "master",
            kind: DelKind::Reachable,
            repoint: vec![Repoint {
                replica: id('e'),
                replica_label: "10.0.0.5:7000".into(),
                to: id('a'),
                to_label: "10.0.0.1:7000".into(),
                same_domain: true,
            }],
            forget_on: vec![forget('a', "10.0.0.1:7000"), forget('e', "10.0.0.5:7000")],
            reset: true,
            warnings: vec![],
        };
        assert_eq!(
            render_plan(&plan),
            "\
Plan: remove master 10.0.0.4:7000 (dddddddd), reachable and empty:

STEP       NODE           ACTION
replicate  10.0.0.5:7000  follow 10.0.0.1:7000 (aaaaaaaa) [same failure domain: no other choice]
forget     10.0.0.1:7000  CLUSTER FORGET dddddddd
forget     10.0.0.5:7000  CLUSTER FORGET dddddddd
reset      10.0.0.4:7000  CLUSTER RESET HARD (new ID, knows nobody, data flushed)"
        );
        assert_eq!(plan_json(&plan)["reset"], "hard");
        assert_eq!(afterwards(&plan), None);
        assert_eq!(
            removed(&plan, Duration::from_millis(1500)),
            "10.0.0.4:7000 (dddddddd) removed: forgotten by 2 node(s), reset to an empty node in 1.50s"
        );
    }

    #[test]
    fn unreachable_replica() {
        let plan = DelPlan {
            id: id('f'),
            label: "10.0.0.6:7000".into(),
            role: "replica",
            kind: DelKind::Unreachable,
            repoint: vec![],
            forget_on: vec![forget('a', "10.0.0.1:7000")],
            reset: false,
            warnings: vec![],
        };
        assert_eq!(
            render_plan(&plan),
            "\
Plan: remove replica 10.0.0.6:7000 (ffffffff), failed or unreachable: forget it on every reachable member:

STEP    NODE           ACTION
forget  10.0.0.1:7000  CLUSTER FORGET ffffffff"
        );
        assert_eq!(plan_json(&plan)["reset"], Value::Null);
        assert!(afterwards(&plan).is_some_and(|s| s.starts_with("If 10.0.0.6:7000 comes back")));
    }
}
