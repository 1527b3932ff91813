//! `trib reshard`: load → check health → resolve nodes → plan → show → confirm → move.

use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::Context;
use super::load::load_healthy;
use super::migration_args::MigrationArgs;
use super::pipeline::{Applied, Operation, Prepared, kept};
use crate::cluster::load::Loaded;
use crate::error::{Exit, TribError};
use crate::ops::Reporter;
use crate::ops::migrate::MigrateOptions;
use crate::ops::slot_moves::{move_slots, unfinished};
use crate::ops::undo::UndoLog;
use crate::plan::reshard::{Amount, ReshardPlan, ReshardRequest, Sources, plan_reshard};
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
    /// Slot ranges to move, A-B[,C-D...]; slots the destination owns already are left as
    /// they are (running the same command again completes an interrupted move)
    #[arg(long, value_delimiter = ',')]
    pub range: Vec<String>,
    /// Keys per MIGRATE batch (adaptive when omitted)
    #[arg(long)]
    pub pipeline: Option<usize>,
    /// Overwrite keys that already exist on the target
    #[arg(long)]
    pub replace: bool,
    #[command(flatten)]
    pub migration: MigrationArgs,
}

pub async fn run(ctx: &Context, args: ReshardArgs) -> anyhow::Result<Exit> {
    super::pipeline::run(ctx, Reshard { args, loaded: None }).await
}

struct Reshard {
    args: ReshardArgs,
    loaded: Option<Loaded>,
}

impl Operation for Reshard {
    type Plan = ReshardPlan;
    /// The migration engine stops between windows of slots, leaving none open.
    const SAFE_POINTS: bool = true;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<ReshardPlan>> {
        let amount = Amount::parse(self.args.slots, &self.args.range)
            .map_err(|e| TribError::BadInput(e.to_string()))?;
        if self.args.pipeline == Some(0) {
            return Err(TribError::BadInput("--pipeline must be at least 1".into()).into());
        }
        let loaded = load_healthy(ctx, &self.args.entry).await?;
        let view = &loaded.view;
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
        let mut plan = plan_reshard(view, &ReshardRequest { from, to, amount })
            .map_err(|r| TribError::refused(&r))?;
        let migration = &self.args.migration;
        migration
            .note_big_keys(ctx, &loaded, &mut plan.migration)
            .await;
        self.loaded = Some(loaded);
        Ok(Prepared::unless(plan, |p| p.slots == 0, show::nothing))
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
        let loaded = kept(&self.loaded, "reshard")?;
        let opts = MigrateOptions {
            batch: self.args.pipeline,
            replace: self.args.replace,
            ..self.args.migration.options(ctx)
        };
        let reporter = ctx.reporter();
        let started = Instant::now();
        let report = move_slots(loaded, &plan.migration, &opts, &reporter)
            .await
            .map_err(|e| {
                let by_range = !self.args.range.is_empty();
                unfinished(
                    "reshard",
                    plan.slots,
                    |moved| show::resume(plan, moved, by_range),
                    e,
                )
            })?;
        reporter.finish(&show::moved(plan, &report, started.elapsed()));
        if report.identical_keys > 0 {
            ctx.printer.status(&show::identical(plan, &report));
        }
        Ok(Applied::done(json!({"report": report})))
    }
}
