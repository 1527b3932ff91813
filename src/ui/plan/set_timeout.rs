//! `set-timeout`: the plan table, the failures, the results as JSON.

use serde_json::{Value, json};

use crate::ops::set_timeout::TimeoutSet;
use crate::plan::set_timeout::SetTimeoutPlan;
use crate::ui::render;

pub fn plan(plan: &SetTimeoutPlan) -> String {
    let rows = plan
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.node.clone(),
                n.current_ms.clone(),
                plan.timeout_ms.to_string(),
            ]
        })
        .collect();
    format!(
        "Plan: set cluster-node-timeout to {} ms on {} node(s) and persist it (CONFIG REWRITE):\n\n{}",
        plan.timeout_ms,
        plan.nodes.len(),
        render::table(&["NODE", "CURRENT (ms)", "NEW (ms)"], rows)
    )
}

/// One warning per failed set or rewrite.
pub fn failures(results: &[TimeoutSet]) -> Vec<String> {
    let mut out = Vec::new();
    for r in results {
        if let Err(e) = &r.set {
            out.push(format!("{}: CONFIG SET failed: {}", r.node, e.reason()));
        }
        if let Some(Err(e)) = &r.rewrite {
            out.push(format!(
                "{}: set, but not persisted: CONFIG REWRITE failed: {} (the old value returns on restart)",
                r.node,
                e.reason()
            ));
        }
    }
    out
}

pub fn results_json(results: &[TimeoutSet]) -> Vec<Value> {
    let state = |r: Option<&Result<(), crate::cluster::NodeError>>| match r {
        Some(Ok(())) => "ok".to_string(),
        Some(Err(e)) => e.reason(),
        None => "not tried".to_string(),
    };
    results
        .iter()
        .map(|r| json!({"node": r.node, "set": state(Some(&r.set)), "rewrite": state(r.rewrite.as_ref())}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::set_timeout::NodeTimeout;

    /// The set-timeout plan's look: a reviewed diff when it changes.
    #[test]
    fn set_timeout_plan_snapshot() {
        let p = SetTimeoutPlan {
            timeout_ms: 5000,
            nodes: vec![
                NodeTimeout {
                    node: "10.0.0.1:6379".into(),
                    current_ms: "15000".into(),
                },
                NodeTimeout {
                    node: "redis-app-1.redis:6379".into(),
                    current_ms: "?".into(),
                },
            ],
        };
        assert_eq!(
            plan(&p),
            "Plan: set cluster-node-timeout to 5000 ms on 2 node(s) and persist it (CONFIG REWRITE):

NODE                    CURRENT (ms)  NEW (ms)
10.0.0.1:6379           15000         5000
redis-app-1.redis:6379  ?             5000"
        );
    }
}
