//! `create`: the plan as a table and as JSON (node indexes resolved to labels).

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;

use crate::plan::create::Refusal;
use crate::plan::create::{CreateNodeState, CreatePlan, CreateStatus, CreateStep};
use crate::plan::placement::{Conflict, PlacementError};
use crate::ui::render;

pub fn render_plan(plan: &CreatePlan, states: &[CreateNodeState]) -> String {
    let mut rows = Vec::new();
    for g in &plan.placement.masters {
        let m = &states[g.master];
        rows.push(vec![
            "master".into(),
            m.label.clone(),
            m.id.short().into(),
            m.domain.clone(),
            format!("{} ({})", g.slots, g.slots.len()),
        ]);
        for &r in &g.replicas {
            let s = &states[r];
            rows.push(vec![
                format!("  replica"),
                s.label.clone(),
                s.id.short().into(),
                s.domain.clone(),
                format!("of {}", m.label),
            ]);
        }
    }
    let domains: BTreeSet<&str> = states.iter().map(|s| s.domain.as_str()).collect();
    let mut out = format!(
        "{} a cluster of {} masters and {} replicas on {} nodes in {} failure domain(s):\n\n",
        if plan.status == CreateStatus::Resume {
            "Completing an interrupted create:"
        } else {
            "Plan: create"
        },
        plan.placement.masters.len(),
        states.len() - plan.placement.masters.len(),
        states.len(),
        domains.len()
    );
    out.push_str(&render::table(
        &["ROLE", "NODE", "ID", "DOMAIN", "SLOTS"],
        rows,
    ));
    out.push('\n');
    for c in &plan.placement.conflicts {
        out.push_str(&match c {
            Conflict::ReplicaWithMaster { master, replica, domain } => format!(
                "\nwarning: replica {} shares failure domain {domain} with its master {} (not enough domains to avoid it)",
                states[*replica].label, states[*master].label
            ),
            Conflict::ReplicasTogether { master, a, b, domain } => format!(
                "\nwarning: replicas {} and {} of {} share failure domain {domain}",
                states[*a].label, states[*b].label, states[*master].label
            ),
        });
    }
    let count = |f: fn(&CreateStep) -> bool| plan.steps.iter().filter(|s| f(s)).count();
    out.push_str(&format!(
        "\nSteps: assign slots on {} master(s), set {} config epoch(s), {} CLUSTER MEET(s), attach {} replica(s); then wait until every node agrees.",
        count(|s| matches!(s, CreateStep::AddSlots { .. })),
        count(|s| matches!(s, CreateStep::SetConfigEpoch { .. })),
        count(|s| matches!(s, CreateStep::Meet { .. })),
        count(|s| matches!(s, CreateStep::Replicate { .. })),
    ));
    out
}

pub fn plan_json(plan: &CreatePlan, states: &[CreateNodeState]) -> serde_json::Value {
    let node = |i: usize| {
        let s = &states[i];
        json!({"node": s.label, "addr": s.addr.to_string(), "id": s.id, "domain": s.domain})
    };
    let masters: Vec<_> = plan
        .placement
        .masters
        .iter()
        .map(|g| {
            let mut m = node(g.master);
            m["slots"] = json!([g.slots]);
            m["slot_count"] = json!(g.slots.len());
            m["replicas"] = json!(g.replicas.iter().map(|r| node(*r)).collect::<Vec<_>>());
            m
        })
        .collect();
    let conflicts: Vec<_> = plan
        .placement
        .conflicts
        .iter()
        .map(|c| match c {
            Conflict::ReplicaWithMaster {
                master,
                replica,
                domain,
            } => json!({
                "kind": "replica_with_master", "domain": domain,
                "master": states[*master].label, "replica": states[*replica].label}),
            Conflict::ReplicasTogether {
                master,
                a,
                b,
                domain,
            } => json!({
                "kind": "replicas_together", "domain": domain, "master": states[*master].label,
                "replicas": [states[*a].label, states[*b].label]}),
        })
        .collect();
    let steps: Vec<_> = plan
        .steps
        .iter()
        .map(|s| match s {
            CreateStep::AddSlots { node, slots } => {
                json!({"step": "add_slots", "node": states[*node].label, "slots": slots})
            }
            CreateStep::SetConfigEpoch { node, epoch } => {
                json!({"step": "set_config_epoch", "node": states[*node].label, "epoch": epoch})
            }
            CreateStep::Meet { node, peer } => json!({
                "step": "meet", "node": states[*node].label, "peer": states[*peer].label,
                "peer_addr": states[*peer].addr.to_string(), "peer_bus_port": states[*peer].bus_port}),
            CreateStep::Replicate { replica, master } => json!({
                "step": "replicate", "replica": states[*replica].label, "master": states[*master].label}),
            CreateStep::RestoreNodeTimeout { node, ms } => json!({
                "step": "restore_node_timeout", "node": states[*node].label, "ms": ms}),
        })
        .collect();
    json!({"status": plan.status, "masters": masters, "conflicts": conflicts, "steps": steps})
}

/// Why create refuses, one line per node (and the placement's reason).
pub fn refusals(refusals: &[Refusal], states: &[CreateNodeState], replicas: usize) -> String {
    refusals
        .iter()
        .map(|r| match r {
            Refusal::Placement(e) => placement_message(e, replicas),
            Refusal::Node { node, reason } => format!("{}: {reason}", states[*node].label),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Why create refuses when some nodes could not be used: each `unusable` node's line
/// (those that did not answer), then those of the nodes that answered but cannot be
/// part of it whatever the others turn out to be (`refused`).
pub fn unusable(
    unusable: Vec<String>,
    refused: &[Refusal],
    states: &[CreateNodeState],
    replicas: usize,
) -> String {
    let reasons = refusals(refused, states, replicas);
    unusable
        .into_iter()
        .chain((!reasons.is_empty()).then_some(reasons))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Said when the nodes already form a complete cluster: its shape, and, when `--replicas`
/// asked for another one, that create leaves an existing cluster's replicas as they are.
pub fn already_created(states: &[CreateNodeState], replicas: usize) -> String {
    let masters: Vec<&CreateNodeState> =
        states.iter().filter(|s| !s.own_slots.is_empty()).collect();
    let counts: Vec<usize> = masters
        .iter()
        .map(|m| {
            states
                .iter()
                .filter(|s| s.master_id.as_ref() == Some(&m.id))
                .count()
        })
        .collect();
    let (least, most) = (
        counts.iter().copied().min().unwrap_or(0),
        counts.iter().copied().max().unwrap_or(0),
    );
    let each = match (least, most) {
        (1, 1) => "1 replica per master".to_string(),
        (l, m) if l == m => format!("{l} replicas per master"),
        (l, m) => format!("{l} to {m} replicas per master"),
    };
    let mut out = format!(
        "These {} nodes already form a complete cluster ({} masters, {each}); nothing to do.",
        states.len(),
        masters.len()
    );
    if replicas < least {
        out.push_str(&format!(
            " It has more replicas than --replicas {replicas} asks for: create never removes replicas (`trib del-node ENTRY REPLICA` removes one)."
        ));
    } else if replicas > most {
        out.push_str(&format!(
            " It has fewer replicas than --replicas {replicas} asks for: create does not add replicas to an existing cluster (`trib add-node NEW ENTRY --replica` adds one)."
        ));
    }
    out
}

/// The line that ends a successful create.
pub fn created(plan: &CreatePlan, nodes: usize, wait_sync: bool, elapsed: Duration) -> String {
    let masters = plan.placement.masters.len();
    format!(
        "Cluster created: {masters} masters, {} replicas, 16384 slots, every node ok{}, in {:.2}s",
        nodes - masters,
        if wait_sync { ", replicas in sync" } else { "" },
        elapsed.as_secs_f64()
    )
}

/// Said after a create with replicas that did not wait for their first sync.
pub const REPLICAS_SYNCING: &str = "Replicas are starting their first sync (Redis may wait repl-diskless-sync-delay first); `trib check` shows when they are done, `create --wait-sync` waits for it.";

fn placement_message(e: &PlacementError, replicas: usize) -> String {
    match e {
        PlacementError::TooFewMasters { nodes, masters, .. } => format!(
            "{nodes} node(s) with --replicas {replicas} give only {masters} master(s); Redis Cluster needs at least 3"
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::create::fixtures::empty;
    use crate::plan::create::plan_create;

    /// Empty nodes in three zones.
    fn states(n: usize) -> Vec<CreateNodeState> {
        let mut s = empty(n);
        for (i, n) in s.iter_mut().enumerate() {
            n.domain = format!("zone-{}", i % 3);
        }
        s
    }

    /// A created cluster: masters 0..3 own slots, nodes 3..6 replicate 0, 1, 2.
    fn created() -> Vec<CreateNodeState> {
        let mut s = states(6);
        for i in 0..3 {
            s[i].own_slots = crate::model::SlotSet::from_ranges([crate::model::SlotRange::new(
                i as u16 * 5000,
                i as u16 * 5000 + 10,
            )]);
            s[i + 3].master_id = Some(crate::plan::create::fixtures::id(i));
        }
        s
    }

    #[test]
    fn already_created_says_what_the_cluster_is() {
        let s = created();
        assert_eq!(
            already_created(&s, 1),
            "These 6 nodes already form a complete cluster (3 masters, 1 replica per master); nothing to do."
        );
        let fewer = already_created(&s, 0);
        assert!(
            fewer.starts_with("These 6 nodes already form a complete cluster (3 masters, 1 replica per master); nothing to do. It has more replicas than --replicas 0 asks for: create never removes replicas"),
            "{fewer}"
        );
        let more = already_created(&s, 2);
        assert!(
            more.contains("create does not add replicas to an existing cluster"),
            "{more}"
        );
    }

    /// The create plan's look: a reviewed diff when it changes.
    #[test]
    fn create_plan_snapshot() {
        let s = states(6);
        let plan = plan_create(&s, 1).unwrap();
        let text = render_plan(&plan, &s);
        let expected = "Plan: create a cluster of 3 masters and 3 replicas on 6 nodes in 3 failure domain(s):

ROLE       NODE           ID        DOMAIN  SLOTS
master     10.0.0.0:6379  00000000  zone-0  0-5460 (5461)
  replica  10.0.0.5:6379  00000000  zone-2  of 10.0.0.0:6379
master     10.0.0.1:6379  00000000  zone-1  5461-10922 (5462)
  replica  10.0.0.3:6379  00000000  zone-0  of 10.0.0.1:6379
master     10.0.0.2:6379  00000000  zone-2  10923-16383 (5461)
  replica  10.0.0.4:6379  00000000  zone-1  of 10.0.0.2:6379

Steps: assign slots on 3 master(s), set 6 config epoch(s), 15 CLUSTER MEET(s), attach 3 replica(s); then wait until every node agrees.";
        assert_eq!(text, expected, "\n{text}");
    }
}
