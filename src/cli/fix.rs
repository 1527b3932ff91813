//! `trib fix`: re-form a cluster whose nodes came back at new addresses (every ENTRY is
//! a node to re-introduce at its current address), then report what this version does
//! not repair (open slots, uncovered slots, several owners).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use clap::Args;
use futures::future::join_all;
use serde_json::json;

use super::Context;
use crate::addr::Target;
use crate::cluster::Node;
use crate::cluster::load::{connect_all, default_domain, load_cluster, probe};
use crate::error::{Exit, TribError};
use crate::model::NodeId;
use crate::model::view::{ClusterView, NodeView};
use crate::ops::Reporter;
use crate::ops::reform::{send_meets, wait_reformed};
use crate::ops::scan::deep_scan;
use crate::plan::check::{Problem, Severity, check};
use crate::plan::reform::{ReformNode, ReformPlan, plan_reform};
use crate::ui::render;

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Nodes of the cluster, at their current addresses: every one that answers is
    /// re-introduced to the others there
    #[arg(required = true, value_name = "ENTRY")]
    pub entries: Vec<String>,
    /// Also look for keys in slots their node does not own
    #[arg(long)]
    pub deep: bool,
    /// Repair even while a master is unreachable
    #[arg(long)]
    pub with_unreachable_masters: bool,
    /// Deadline for the cluster to settle after the changes
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_duration)]
    pub timeout: Duration,
}

/// Kinds of problems the slot repairs would handle; this version only reports them.
const NOT_REPAIRED: [&str; 3] = ["open_slot", "slots_uncovered", "multiple_owners"];

pub async fn run(ctx: &Context, args: FixArgs) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let targets = ctx.resolve(&args.entries).await?;
    let (nodes, conns, views) = reach(ctx, &targets).await?;
    let plan = plan_reform(&nodes);

    // Members nobody could reach: their current address is unknown.
    let reached: BTreeSet<&NodeId> = nodes.iter().map(|n| &n.id).collect();
    let mut unreached: BTreeMap<NodeId, String> = BTreeMap::new();
    for n in &nodes {
        for e in &n.entries {
            if !reached.contains(&e.id) && !e.flags.handshake && !e.flags.myself {
                unreached
                    .entry(e.id.clone())
                    .or_insert_with(|| e.addr_string());
            }
        }
    }
    let view = ClusterView {
        nodes: views,
        unreachable: vec![],
    };
    let before = check(&view, None);

    let plan_json = plan_json(&plan, &nodes, &unreached);
    ctx.printer.out(&render_plan(&plan, &nodes));
    for &s in &plan.strangers {
        ctx.printer.warn(&format!(
            "{}: no other node named knows its ID ({}), nor does it know theirs: not introduced (to add a new node use `trib add-node`)",
            nodes[s].label,
            nodes[s].id.short()
        ));
    }
    for (id, addr) in &unreached {
        ctx.printer.warn(&format!(
            "node {} (known at {addr}) was not reached: name it among the ENTRY arguments at its current address to re-introduce it",
            id.short()
        ));
    }
    let unrepaired: Vec<&Problem> = before
        .iter()
        .filter(|p| NOT_REPAIRED.contains(&p.kind))
        .collect();
    if !unrepaired.is_empty() {
        ctx.printer.out(&format!(
            "\nNot repaired by this version (open slots, uncovered slots, several owners):\n{}",
            unrepaired
                .iter()
                .map(|p| format!("[ERR] {}", p.message))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }

    if plan.is_empty() {
        return finish(ctx, &args, &targets, plan_json, false, started).await;
    }
    if ctx.dry_run {
        ctx.printer.status("Dry run: nothing was changed.");
        ctx.printer
            .json_doc(&json!({"plan": plan_json, "changed": false}));
        return Ok(Exit::Ok);
    }
    ctx.confirm("Re-introduce these nodes to each other?")?;

    let reporter = ctx.reporter();
    send_meets(&plan.meets, &nodes, &conns, &reporter)
        .await
        .map_err(|e| TribError::Failed(format!("CLUSTER MEET failed: {e}")))?;
    // cluster_state:ok can only be expected when every member was reached and nothing
    // is left that this version does not repair.
    let state_ok = unreached.is_empty() && unrepaired.is_empty();
    let waited = wait_reformed(&nodes, &conns, state_ok, args.timeout, &reporter)
        .await
        .map_err(|e| TribError::Failed(format!("the cluster did not re-form: {e}")))?;
    reporter.finish(&format!(
        "{} node(s) see each other at their current addresses{} after {:.2}s",
        nodes.len(),
        if state_ok { ", cluster_state:ok" } else { "" },
        waited.as_secs_f64()
    ));
    finish(ctx, &args, &targets, plan_json, true, started).await
}

/// Connects to and probes every target; every one must answer. Adds the members the
/// first answering target knows that answer at the address it has for them.
async fn reach(
    ctx: &Context,
    targets: &[Target],
) -> Result<(Vec<ReformNode>, Vec<Node>, Vec<NodeView>), TribError> {
    let connected = connect_all(targets, &ctx.connect).await;
    let probed = join_all(connected.into_iter().zip(targets).map(|(c, t)| async move {
        let node = c?;
        let view = probe(&node, default_domain(&t.addr, t.domain.as_deref())).await?;
        Ok::<_, crate::cluster::NodeError>((node, view))
    }))
    .await;
    let mut errors = Vec::new();
    let mut found: Vec<(Node, NodeView)> = Vec::new();
    for r in probed {
        match r {
            Ok((node, view)) => {
                // Several addresses of one name answering as one node, or one node named twice.
                if !found.iter().any(|(_, v)| v.id == view.id) {
                    found.push((node, view));
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(TribError::BadInput(format!(
            "{}\nevery ENTRY must answer (it is re-introduced at that address); nothing was changed",
            errors.join("\n")
        )));
    }
    // Members reachable where the cluster thinks they are (not named, but fine).
    if let Ok(loaded) = load_cluster(targets, &ctx.connect).await {
        for v in loaded.view.nodes {
            if found.iter().any(|(_, f)| f.id == v.id) {
                continue;
            }
            if let Some(conn) = loaded.conns.get(&v.id) {
                found.push((conn.clone(), v));
            }
        }
    }
    let nodes = found
        .iter()
        .map(|(node, v)| ReformNode {
            id: v.id.clone(),
            label: v.label.clone(),
            addr: node.addr,
            bus_port: v
                .myself()
                .map(|m| m.cport)
                .filter(|p| *p != 0)
                .unwrap_or_else(|| node.addr.port().wrapping_add(10000)),
            entries: v.nodes.clone(),
        })
        .collect();
    let conns = found.iter().map(|(n, _)| n.clone()).collect();
    let views = found.into_iter().map(|(_, v)| v).collect();
    Ok((nodes, conns, views))
}

/// Loads the cluster again, reports every problem, exits 0 only when it is healthy.
async fn finish(
    ctx: &Context,
    args: &FixArgs,
    targets: &[Target],
    plan_json: serde_json::Value,
    changed: bool,
    started: Instant,
) -> anyhow::Result<Exit> {
    let loaded = load_cluster(targets, &ctx.connect)
        .await
        .map_err(|e| TribError::Failed(format!("cannot load the cluster to verify it: {e}")))?;
    let deep = if args.deep {
        Some(deep_scan(&loaded).await?)
    } else {
        None
    };
    let problems = check(&loaded.view, deep.as_ref());
    let errors: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    if !changed {
        ctx.printer.out(&if errors.is_empty() {
            "Every node knows every other at its current address: nothing to re-introduce; the cluster is fine.".to_string()
        } else {
            "Every node knows every other at its current address: nothing to re-introduce.".to_string()
        });
    }
    if !problems.is_empty() {
        ctx.printer
            .out(&format!("\n{}", render::problems(&problems)));
    }
    if errors.iter().any(|p| NOT_REPAIRED.contains(&p.kind)) {
        ctx.printer.out(
            "\nOpen slots, uncovered slots and slots with several owners are not repaired by this version of `trib fix`.",
        );
    }
    let healthy = errors.is_empty();
    ctx.printer.json_doc(&json!({
        "plan": plan_json,
        "changed": changed,
        "healthy": healthy,
        "problems": problems,
        "elapsed_ms": started.elapsed().as_millis(),
    }));
    Ok(if healthy { Exit::Ok } else { Exit::Failed })
}

fn render_plan(plan: &ReformPlan, nodes: &[ReformNode]) -> String {
    if plan.stale.is_empty() {
        return format!(
            "{} node(s) reached; every node has every other at its current address.",
            nodes.len()
        );
    }
    // One row per peer (not per pair: big clusters would print N² rows).
    let mut by_peer: BTreeMap<usize, (BTreeSet<String>, usize)> = BTreeMap::new();
    for s in &plan.stale {
        let e = by_peer.entry(s.peer).or_default();
        e.0.insert(if s.known_at.is_empty() {
            "(no address)".to_string()
        } else {
            s.known_at.clone()
        });
        e.1 += 1;
    }
    let rows: Vec<Vec<String>> = by_peer
        .iter()
        .map(|(p, (known, count))| {
            vec![
                nodes[*p].label.clone(),
                nodes[*p].id.short().to_string(),
                nodes[*p].addr.to_string(),
                known.iter().cloned().collect::<Vec<_>>().join(", "),
                count.to_string(),
            ]
        })
        .collect();
    format!(
        "Stale addresses: {} of {} views of a peer are out of date.\n\n{}\n\nPlan: {} CLUSTER MEET(s), one per pair of nodes with a stale view (Redis updates a known node's address when the handshake reaches its ID at the new address; the other direction follows from the first PING), then wait until every node sees every other at its current address.",
        plan.stale.len(),
        nodes.len() * nodes.len().saturating_sub(1),
        render::table(
            &["NODE", "ID", "NOW AT", "KNOWN AT (STALE)", "STALE IN VIEWS"],
            rows
        ),
        plan.meets.len()
    )
}

fn plan_json(
    plan: &ReformPlan,
    nodes: &[ReformNode],
    unreached: &BTreeMap<NodeId, String>,
) -> serde_json::Value {
    json!({
        "nodes": nodes.iter().map(|n| json!({"node": n.label, "id": n.id, "addr": n.addr.to_string(), "bus_port": n.bus_port})).collect::<Vec<_>>(),
        "stale": plan.stale.iter().map(|s| json!({
            "node": nodes[s.node].label, "peer": nodes[s.peer].label, "peer_id": nodes[s.peer].id,
            "known_at": s.known_at, "current": nodes[s.peer].addr.to_string()})).collect::<Vec<_>>(),
        "meets": plan.meets.iter().map(|m| json!({
            "node": nodes[m.node].label, "peer": nodes[m.peer].label,
            "peer_addr": nodes[m.peer].addr.to_string(), "peer_bus_port": nodes[m.peer].bus_port})).collect::<Vec<_>>(),
        "strangers": plan.strangers.iter().map(|s| nodes[*s].label.clone()).collect::<Vec<_>>(),
        "unreached": unreached.iter().map(|(id, a)| json!({"id": id, "known_at": a})).collect::<Vec<_>>(),
    })
}
