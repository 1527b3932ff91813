//! `trib reshard`: load → check health → resolve nodes → plan → show → confirm → move.

use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::Context;
use super::check::load;
use super::pipeline::{Applied, Operation, Prepared};
use crate::cluster::load::Loaded;
use crate::error::{Exit, TribError};
use crate::model::SlotRange;
use crate::ops::Reporter;
use crate::ops::migrate::{MigrateError, MigrateOptions};
use crate::ops::slot_moves::{move_slots, unfinished};
use crate::ops::undo::UndoLog;
use crate::plan::reshard::{
    Amount, ReshardPlan, ReshardRequest, Sources, health_problems, plan_reshard,
};
use crate::ui::plan::reshard as show;

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

pub async fn run(ctx: &Context, args: ReshardArgs) -> anyhow::Result<Exit> {
    super::pipeline::run(ctx, Reshard { args, loaded: None }).await
}

struct Reshard {
    args: ReshardArgs,
    loaded: Option<Loaded>,
}

fn parse_amount(args: &ReshardArgs) -> Result<Amount, TribError> {
    let bad_range = |r: &String| {
        TribError::BadInput(format!(
            "--range {r}: not a slot range (A-B with 0 <= A <= B <= 16383)"
        ))
    };
    match (args.slots, args.range.is_empty()) {
        (Some(n), true) => Ok(Amount::Slots(n as usize)),
        (None, false) => args
            .range
            .iter()
            .map(|r| SlotRange::parse(r).ok_or_else(|| bad_range(r)))
            .collect::<Result<Vec<_>, _>>()
            .map(Amount::Ranges),
        _ => Err(TribError::BadInput(
            "give either --slots N or --range A-B[,C-D...]".into(),
        )),
    }
}

impl Operation for Reshard {
    type Plan = ReshardPlan;
    /// The migration engine stops between windows of slots, leaving none open.
    const SAFE_POINTS: bool = true;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<ReshardPlan>> {
        let amount = parse_amount(&self.args)?;
        if self.args.pipeline == Some(0) {
            return Err(TribError::BadInput("--pipeline must be at least 1".into()).into());
        }
        let loaded = load(ctx, std::slice::from_ref(&self.args.entry)).await?;
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
        let to = ctx
            .member(view, &self.args.to)
            .await
            .map_err(|e| errors.push(format!("--to {e}")))
            .ok();
        let from = if self.args.from.len() == 1 && self.args.from[0].eq_ignore_ascii_case("all") {
            Sources::All
        } else {
            let mut ids = Vec::new();
            for f in &self.args.from {
                match ctx.member(view, f).await {
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
        self.loaded = Some(loaded);
        Ok(Prepared::Plan(plan))
    }

    fn render(&self, plan: &ReshardPlan) -> String {
        show::plan(plan)
    }

    fn question(&self, plan: &ReshardPlan) -> Option<String> {
        Some(format!("Move {} slot(s) to {}?", plan.slots, plan.to_node))
    }

    fn summary_json(&self, _: &ReshardPlan) -> serde_json::Map<String, serde_json::Value> {
        super::pipeline::into_map(json!({"report": null}))
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &ReshardPlan,
        _: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let Some(loaded) = &self.loaded else {
            return Err(TribError::Failed("reshard: the cluster was not loaded".into()).into());
        };
        let opts = MigrateOptions {
            batch: self.args.pipeline,
            replace: self.args.replace,
            atomic: !self.args.no_atomic,
            ..MigrateOptions::default()
        }
        .with_credentials(&ctx.connect);
        let reporter = ctx.reporter();
        let started = Instant::now();
        let report = move_slots(loaded, &plan.migration, &opts, &reporter)
            .await
            .map_err(|e| {
                let (total, moved) = match &e {
                    MigrateError::Interrupted { moved, .. } => (plan.slots, *moved),
                    _ => (plan.slots, 0),
                };
                let resume = format!("`--slots {}` moves the rest", total.saturating_sub(moved));
                unfinished("reshard", total, &resume, e)
            })?;
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
        Ok(Applied::done(json!({"report": report})))
    }
}
