//! `trib rebalance`: load → weights → plan (`plan::rebalance`) → show → confirm → move
//! slots with the migration engine → report.

use std::collections::BTreeMap;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::Context;
use super::check::load;
use crate::cluster::Node;
use crate::error::{Exit, TribError};
use crate::model::view::ClusterView;
use crate::model::{NodeId, SlotSet};
use crate::ops::Reporter;
use crate::ops::migrate::{MigrateOptions, migrate};
use crate::plan::check::{Severity, check};
use crate::plan::rebalance::{
    DEFAULT_THRESHOLD, RebalanceMaster, RebalancePlan, parse_weight, plan_rebalance,
};
use crate::plan::select::{MIN_PREFIX, find_member};
use crate::ui::render;

#[derive(Debug, Args)]
pub struct RebalanceArgs {
    pub entry: String,
    /// NODE=W (repeatable); weight 0 drains a master
    #[arg(long)]
    pub weight: Vec<String>,
    /// Give slots to masters that have none
    #[arg(long)]
    pub use_empty_masters: bool,
    /// Only rebalance when a master is off by more than PCT percent
    #[arg(long, value_name = "PCT")]
    pub threshold: Option<f64>,
    /// Move slots with SETSLOT/MIGRATE even where every master supports atomic slot migration
    #[arg(long)]
    pub no_atomic: bool,
}

pub async fn run(ctx: &Context, args: RebalanceArgs) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let loaded = load(ctx, std::slice::from_ref(&args.entry)).await?;
    let view = &loaded.view;

    let errors: Vec<String> = check(view, None)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.message)
        .collect();
    if !errors.is_empty() {
        return Err(TribError::BadInput(format!(
            "{}\nthe cluster is not healthy: repair it first with `trib fix {}`; nothing was changed",
            errors.join("\n"),
            args.entry
        ))
        .into());
    }

    // Weights, checked before anything else.
    let mut weights: BTreeMap<NodeId, f64> = BTreeMap::new();
    let mut bad = Vec::new();
    for w in &args.weight {
        let (node, weight) = match parse_weight(w) {
            Ok(x) => x,
            Err(e) => {
                bad.push(e);
                continue;
            }
        };
        match resolve_node(ctx, view, &node).await {
            Ok(id) => {
                let is_master = view.node(&id).is_some_and(|n| n.is_master());
                if is_master {
                    weights.insert(id, weight);
                } else {
                    ctx.printer.warn(&format!(
                        "--weight {w}: {node} is not a master; its weight is ignored"
                    ));
                }
            }
            Err(e) => bad.push(format!("--weight {w}: {e}")),
        }
    }
    if !bad.is_empty() {
        return Err(TribError::BadInput(format!("{}\nnothing was changed", bad.join("\n"))).into());
    }

    let masters: Vec<RebalanceMaster> = view
        .masters()
        .into_iter()
        .filter_map(|v| {
            let slots: SlotSet = v.myself()?.slots.clone();
            let explicit = weights.get(&v.id).copied();
            (!slots.is_empty() || args.use_empty_masters || explicit.is_some()).then(|| {
                RebalanceMaster {
                    id: v.id.clone(),
                    label: v.label.clone(),
                    slots,
                    weight: explicit.unwrap_or(1.0),
                }
            })
        })
        .collect();
    let threshold = args.threshold.unwrap_or(DEFAULT_THRESHOLD);
    let plan = plan_rebalance(&masters, threshold).map_err(TribError::BadInput)?;
    let plan_json = plan_json(&plan, view);
    ctx.printer.out(&render_plan(&plan, view));

    if plan.balanced {
        ctx.printer.out(&format!(
            "\nEvery master is within {threshold}% of its target: nothing to move."
        ));
        ctx.printer
            .json_doc(&json!({"plan": plan_json, "changed": false}));
        return Ok(Exit::Ok);
    }
    for d in plan.drained() {
        ctx.printer.status(&format!(
            "{} will own no slot: with cluster-allow-replica-migration on, Redis may turn it into a replica on its own",
            d.node
        ));
    }
    if ctx.dry_run {
        ctx.printer.status("Dry run: nothing was changed.");
        ctx.printer
            .json_doc(&json!({"plan": plan_json, "changed": false}));
        return Ok(Exit::Ok);
    }
    ctx.confirm(&format!(
        "Move {} slot(s) between {} master(s)?",
        plan.moves.moves.len(),
        plan.masters.len()
    ))?;

    let reporter = ctx.reporter();
    let by_id: BTreeMap<NodeId, Node> = view
        .masters()
        .into_iter()
        .filter_map(|v| loaded.conns.get(&v.id).map(|c| (v.id.clone(), c.clone())))
        .collect();
    let all: Vec<Node> = loaded.conns.values().cloned().collect();
    let report = migrate(
        &by_id,
        &all,
        &plan.moves,
        &MigrateOptions {
            atomic: !args.no_atomic,
            ..MigrateOptions::default()
        }
        .with_credentials(&ctx.connect),
        &reporter,
    )
    .await
    .map_err(|e| TribError::Failed(format!("rebalance did not finish: {e}")))?;

    // Drained masters may have become replicas (cluster-allow-replica-migration).
    let mut became_replicas = Vec::new();
    for d in plan.drained() {
        if let Some(conn) = by_id.get(&d.id)
            && let Ok(entries) = conn.cluster_nodes().await
            && entries.iter().any(|e| e.flags.myself && e.flags.replica)
        {
            became_replicas.push(d.node.clone());
            reporter.finish(&format!(
                "{} owns no slot any more and turned into a replica on its own (cluster-allow-replica-migration)",
                d.node
            ));
        }
    }
    reporter.finish(&format!(
        "{} slot(s), {} key(s) moved in {:.2}s",
        report.slots_moved,
        report.keys_moved,
        started.elapsed().as_secs_f64()
    ));
    ctx.printer.json_doc(&json!({
        "plan": plan_json,
        "changed": true,
        "report": report,
        "became_replicas": became_replicas,
        "elapsed_ms": started.elapsed().as_millis(),
    }));
    Ok(Exit::Ok)
}

/// NODE as an ID, ID prefix or address (resolved).
async fn resolve_node(ctx: &Context, view: &ClusterView, node: &str) -> Result<NodeId, String> {
    let looks_like_id = node.len() >= MIN_PREFIX && node.bytes().all(|b| b.is_ascii_hexdigit());
    if looks_like_id && let Ok(id) = find_member(view, node, &[]) {
        return Ok(id);
    }
    let addrs: Vec<_> = match ctx.resolve(&[node.to_string()]).await {
        Ok(t) => t.into_iter().map(|t| t.addr).collect(),
        Err(_) if looks_like_id => Vec::new(),
        Err(e) => return Err(e.to_string()),
    };
    find_member(view, node, &addrs).map_err(|e| e.to_string())
}

fn name(view: &ClusterView, id: &NodeId) -> String {
    view.node(id)
        .map(|n| n.label.clone())
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

fn render_plan(plan: &RebalancePlan, view: &ClusterView) -> String {
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
                    name(view, &f),
                    name(view, &t),
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
    }
    out
}

fn plan_json(plan: &RebalancePlan, view: &ClusterView) -> serde_json::Value {
    json!({
        "threshold": plan.threshold,
        "balanced": plan.balanced,
        "masters": plan.masters,
        "moves": grouped(plan).into_iter().map(|(f, t, s)| json!({
            "from": f, "from_node": name(view, &f), "to": t, "to_node": name(view, &t),
            "count": s.len(), "slots": s.to_string(),
        })).collect::<Vec<_>>(),
        "slot_moves": plan.moves.moves.len(),
    })
}
