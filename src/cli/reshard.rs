//! `trib reshard`: load → check health → resolve nodes → plan → show → confirm → move.

use std::collections::BTreeMap;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::Context;
use super::check::load;
use crate::cluster::Node;
use crate::error::{Exit, TribError};
use crate::model::view::ClusterView;
use crate::model::{NodeId, SlotRange};
use crate::ops::Reporter;
use crate::ops::migrate::{MigrateOptions, migrate};
use crate::plan::reshard::{
    Amount, ReshardPlan, ReshardRequest, Sources, health_problems, plan_reshard,
};
use crate::plan::select::{MIN_PREFIX, find_member};
use crate::ui::render;

#[derive(Debug, Args)]
pub struct ReshardArgs {
    pub entry: String,
    /// Source masters (IDs, ID prefixes, addresses) or `all`
    #[arg(long, value_delimiter = ',', required = true)]
    pub from: Vec<String>,
    /// Destination master
    #[arg(long)]
    pub to: String,
    /// Number of slots to move
    #[arg(long, conflicts_with = "range")]
    pub slots: Option<u16>,
    /// Slot ranges to move, A-B[,C-D...]
    #[arg(long, value_delimiter = ',')]
    pub range: Vec<String>,
    /// Keys per MIGRATE batch (adaptive when omitted)
    #[arg(long)]
    pub pipeline: Option<usize>,
    /// Overwrite keys that already exist on the target
    #[arg(long)]
    pub replace: bool,
    /// Move slots with SETSLOT/MIGRATE even where every master supports atomic slot migration
    #[arg(long)]
    pub no_atomic: bool,
}

/// Resolves a NODE argument: an ID (prefix) first, else an address.
async fn member(ctx: &Context, view: &ClusterView, arg: &str) -> Result<NodeId, TribError> {
    let looks_like_id = arg.len() >= MIN_PREFIX && arg.bytes().all(|b| b.is_ascii_hexdigit());
    if looks_like_id && let Ok(id) = find_member(view, arg, &[]) {
        return Ok(id);
    }
    let addrs: Vec<_> = match ctx.resolve(&[arg.to_string()]).await {
        Ok(t) => t.into_iter().map(|t| t.addr).collect(),
        Err(_) if looks_like_id => Vec::new(),
        Err(e) => return Err(e),
    };
    find_member(view, arg, &addrs).map_err(|e| TribError::BadInput(e.to_string()))
}

fn parse_amount(args: &ReshardArgs) -> Result<Amount, TribError> {
    match (args.slots, args.range.is_empty()) {
        (Some(n), true) => Ok(Amount::Slots(n as usize)),
        (None, false) => args
            .range
            .iter()
            .map(|r| {
                SlotRange::parse(r).ok_or_else(|| {
                    TribError::BadInput(format!(
                        "--range {r}: not a slot range (A-B with 0 <= A <= B <= 16383)"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Amount::Ranges),
        _ => Err(TribError::BadInput(
            "give either --slots N or --range A-B[,C-D...]".into(),
        )),
    }
}

pub async fn run(ctx: &Context, args: ReshardArgs) -> anyhow::Result<Exit> {
    let amount = parse_amount(&args)?;
    if args.pipeline == Some(0) {
        return Err(TribError::BadInput("--pipeline must be at least 1".into()).into());
    }
    let loaded = load(ctx, std::slice::from_ref(&args.entry)).await?;
    let view = &loaded.view;

    let problems = health_problems(view);
    if !problems.is_empty() {
        return Err(TribError::BadInput(format!(
            "the cluster is not healthy; nothing was changed. Run `trib fix` (and `trib check`) first:\n{}",
            problems.join("\n")
        ))
        .into());
    }

    let mut errors = Vec::new();
    let to = match member(ctx, view, &args.to).await {
        Ok(id) => Some(id),
        Err(e) => {
            errors.push(format!("--to {e}"));
            None
        }
    };
    let from = if args.from.len() == 1 && args.from[0].eq_ignore_ascii_case("all") {
        Sources::All
    } else {
        let mut ids = Vec::new();
        for f in &args.from {
            match member(ctx, view, f).await {
                Ok(id) => ids.push(id),
                Err(e) => errors.push(format!("--from {e}")),
            }
        }
        Sources::Nodes(ids)
    };
    let Some(to) = to.filter(|_| errors.is_empty()) else {
        return Err(TribError::BadInput(errors.join("\n")).into());
    };
    let plan = plan_reshard(view, &ReshardRequest { from, to, amount })
        .map_err(|e| TribError::BadInput(e.join("\n")))?;
    let plan_json = serde_json::to_value(&plan)?;

    ctx.printer.out(&render_plan(&plan));
    if ctx.dry_run {
        ctx.printer.status("Dry run: nothing was changed.");
        ctx.printer
            .json_doc(&json!({"plan": plan_json, "changed": false, "report": null}));
        return Ok(Exit::Ok);
    }
    ctx.confirm(&format!("Move {} slot(s) to {}?", plan.slots, plan.to_node))?;

    let masters: BTreeMap<NodeId, Node> = loaded
        .conns
        .iter()
        .filter(|(id, _)| view.node(id).is_some_and(|n| n.is_master()))
        .map(|(id, n)| (id.clone(), n.clone()))
        .collect();
    let all: Vec<Node> = loaded.conns.values().cloned().collect();
    let opts = MigrateOptions {
        batch: args.pipeline,
        replace: args.replace,
        atomic: !args.no_atomic,
        ..MigrateOptions::default()
    }
    .with_credentials(&ctx.connect);
    let reporter = ctx.reporter();
    let started = Instant::now();
    let report = migrate(&masters, &all, &plan.migration, &opts, &reporter)
        .await
        .map_err(|e| TribError::Failed(format!("reshard did not finish: {e}")))?;
    let secs = started.elapsed().as_secs_f64();
    reporter.finish(&format!(
        "moved {} slot(s) and {} key(s) to {} in {secs:.2}s ({:.0} keys/s); every node agrees on the new slot map",
        report.slots_moved,
        report.keys_moved,
        plan.to_node,
        report.keys_moved as f64 / secs.max(0.001),
    ));
    if report.identical_keys > 0 {
        ctx.printer.status(&format!(
            "{} key(s) were already on {} with the same value; their source copies were deleted",
            report.identical_keys, plan.to_node
        ));
    }
    ctx.printer.json_doc(&json!({
        "plan": plan_json,
        "changed": true,
        "report": report,
    }));
    Ok(Exit::Ok)
}

fn render_plan(plan: &ReshardPlan) -> String {
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
