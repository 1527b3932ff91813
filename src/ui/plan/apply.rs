//! `apply`: the phases as a table (then each phase's own detail: create's layout,
//! rebalance's moves, the stale views), the lines around it, and the JSON.

use std::time::Duration;

use serde_json::{Value, json};

use crate::model::view::ClusterView;
use crate::ops::apply::Done;
use crate::plan::apply::{ApplyPlan, Mode, Phase, Refused, Unlisted};
use crate::plan::create::CreateNodeState;
use crate::plan::membership::{NodeRef, Role};
use crate::ui::plan::{create, rebalance};
use crate::ui::render;

/// Stale views shown before "… and N more".
const STALE_SHOWN: usize = 12;

fn role(r: Role) -> &'static str {
    match r {
        Role::Master => "master",
        Role::Replica => "replica",
    }
}

/// One row of the phase table: phase, node, what happens.
fn row(phase: &Phase) -> [String; 3] {
    let with = |n: &NodeRef| format!("{} (domain {})", n.node, n.domain);
    let (node, action) = match phase {
        Phase::Create { plan } => (
            format!("{} master(s)", plan.placement.masters.len()),
            "create the cluster (below)".into(),
        ),
        Phase::RestoreTimeouts { nodes } => (
            format!("{} node(s)", nodes.len()),
            "put back cluster-node-timeout left lowered by an interrupted create".into(),
        ),
        Phase::Reform { stale, plan } => (
            format!("{} stale view(s)", stale.len()),
            format!(
                "{} CLUSTER MEET(s): re-introduce members at their current addresses",
                plan.meets.len()
            ),
        ),
        Phase::Forget { node } => (
            node.node.clone(),
            "not listed and not answering: forget it on every member".into(),
        ),
        Phase::Failover { promote, master } => (
            promote.node.clone(),
            format!("take over {} (not listed): no key moves", master.node),
        ),
        Phase::Join {
            node,
            role: Role::Master,
            ..
        } => (with(node), "add as a master".into()),
        Phase::Join {
            node,
            master,
            member,
            ..
        } => (
            with(node),
            format!(
                "{} replica of {}",
                if *member { "make it a" } else { "add as a" },
                master.as_ref().map_or("?".into(), with)
            ),
        ),
        Phase::Replicate {
            replica,
            master,
            previous,
        } => (
            replica.node.clone(),
            format!("follow {} ({} is drained)", with(master), previous.node),
        ),
        Phase::Rebalance { plan } => (
            format!(
                "{} master(s)",
                plan.masters.iter().filter(|s| s.target > 0).count()
            ),
            format!(
                "move {} slot(s) and their keys (below)",
                plan.moves.moves.len()
            ),
        ),
        Phase::Remove { node, role: r } => (
            node.node.clone(),
            format!(
                "not listed{}: forget it everywhere and reset it",
                match r {
                    Role::Master => ", drained",
                    Role::Replica => "",
                }
            ),
        ),
    };
    [phase.name().to_string(), node, action]
}

fn unlisted_line(u: &Unlisted) -> String {
    format!(
        "{} ({}{})",
        u.node.node,
        role(u.role),
        if u.reachable { "" } else { ", not answering" }
    )
}

/// What is said about members not listed.
fn unlisted(plan: &ApplyPlan) -> Option<String> {
    if plan.unlisted.is_empty() {
        return None;
    }
    let names: Vec<String> = plan.unlisted.iter().map(unlisted_line).collect();
    Some(if plan.prune {
        format!("Not listed, removed (--prune): {}", names.join(", "))
    } else {
        format!(
            "Not listed, kept (--prune would drain and remove them): {}",
            names.join(", ")
        )
    })
}

pub fn render(plan: &ApplyPlan, states: &[CreateNodeState]) -> String {
    let mut out = String::new();
    if plan.mode == Mode::Create {
        out.push_str(&format!(
            "No cluster yet: create one of the {} listed node(s).\n\n",
            plan.nodes
        ));
        for p in &plan.phases {
            if let Phase::Create { plan } = p {
                out.push_str(&create::render_plan(plan, states));
            }
        }
        return out;
    }
    out.push_str(&format!(
        "Plan: make the cluster consist of the {} listed node(s), {} replica(s) per master:\n\n",
        plan.nodes, plan.replicas
    ));
    let rows = plan
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let [a, b, c] = row(p);
            vec![(i + 1).to_string(), a, b, c]
        })
        .collect();
    out.push_str(&render::table(&["#", "PHASE", "NODE", "ACTION"], rows));
    for p in &plan.phases {
        match p {
            Phase::Rebalance { plan } => {
                out.push_str("\n\n");
                out.push_str(&rebalance::plan(plan, &ClusterView::default()));
            }
            Phase::Reform { stale, .. } => {
                out.push_str("\n\nStale views (node: peer known at):");
                for s in stale.iter().take(STALE_SHOWN) {
                    let at = if s.known_at.is_empty() {
                        "no address"
                    } else {
                        &s.known_at
                    };
                    out.push_str(&format!("\n  {}: {} at {at}", s.node, s.peer));
                }
                if stale.len() > STALE_SHOWN {
                    out.push_str(&format!("\n  … and {} more", stale.len() - STALE_SHOWN));
                }
            }
            _ => {}
        }
    }
    if let Some(line) = unlisted(plan) {
        out.push_str(&format!("\n\n{line}"));
    }
    out.push_str("\n\nEach phase is planned again on the cluster as the phases before it left it.");
    out
}

pub fn question(plan: &ApplyPlan) -> String {
    match plan.mode {
        Mode::Create => "Create this cluster?".into(),
        Mode::Converge => format!("Apply these {} phase(s)?", plan.phases.len()),
    }
}

/// Said when the cluster already is what was asked.
pub fn nothing(plan: &ApplyPlan) -> String {
    let mut out = format!(
        "The cluster already consists of the {} listed node(s) with {} replica(s) per master where possible; nothing to do.",
        plan.nodes, plan.replicas
    );
    if let Some(line) = unlisted(plan) {
        out.push_str(&format!("\n{line}"));
    }
    for w in &plan.warnings {
        out.push_str(&format!("\nnote: {w}"));
    }
    out
}

/// Why nothing may be done, one line each.
pub fn refused(r: &Refused, states: &[CreateNodeState], replicas: usize) -> String {
    match r {
        Refused::Create(c) => create::refusals(c, states, replicas),
        Refused::Converge(c) => c
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn phase_json(phase: &Phase, states: &[CreateNodeState]) -> Value {
    match phase {
        Phase::Create { plan } => {
            json!({"phase": phase.name(), "plan": create::plan_json(plan, states)})
        }
        Phase::Rebalance { plan } => json!({
            "phase": phase.name(),
            "plan": rebalance::plan_json(plan, &ClusterView::default()),
        }),
        Phase::Reform { stale, plan } => {
            json!({"phase": phase.name(), "stale": stale, "meets": plan.meets.len()})
        }
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    }
}

pub fn plan_json(plan: &ApplyPlan, states: &[CreateNodeState]) -> Value {
    json!({
        "mode": plan.mode,
        "nodes": plan.nodes,
        "replicas": plan.replicas,
        "prune": plan.prune,
        "phases": plan.phases.iter().map(|p| phase_json(p, states)).collect::<Vec<_>>(),
        "unlisted": plan.unlisted,
        "warnings": plan.warnings,
    })
}

/// The line that ends a successful apply.
pub fn finished(plan: &ApplyPlan, done: &[Done], elapsed: Duration) -> String {
    let keys: u64 = done.iter().filter_map(|d| d.keys_moved).sum();
    let slots: usize = done.iter().filter_map(|d| d.slots_moved).sum();
    format!(
        "Applied {} phase(s) in {:.2}s: the cluster consists of the {} listed node(s){}",
        done.len(),
        elapsed.as_secs_f64(),
        plan.nodes,
        if slots > 0 {
            format!("; {slots} slot(s) and {keys} key(s) moved")
        } else {
            String::new()
        }
    )
}
