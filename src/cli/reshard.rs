//! `trib reshard`: load → check health → resolve nodes → plan → show → confirm → move.

use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::Context;
use super::check::load_healthy;
use super::pipeline::{Applied, Operation, Prepared};
use crate::cluster::load::Loaded;
use crate::error::{Exit, TribError};
use crate::model::SlotRange;
use crate::ops::Reporter;
use crate::ops::bigkeys::note_big_keys;
use crate::ops::migrate::MigrateOptions;
use crate::ops::slot_moves::{master_conns, move_slots, unfinished};
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
    /// How long a source may be kept from its clients by one batch of keys (MIGRATE
    /// blocks it): batches are sized to it by the pace of recent ones
    #[arg(long, value_name = "DUR", default_value = "5ms", value_parser = super::parse_timeout)]
    pub max_stall: std::time::Duration,
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
        let masters = master_conns(&loaded);
        if let Some(w) = note_big_keys(
            &masters,
            &mut plan.migration,
            self.args.max_stall,
            &ctx.reporter(),
        )
        .await
        {
            ctx.printer.warn(&w);
        }
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
            max_stall: self.args.max_stall,
            ..MigrateOptions::default()
        }
        .with_credentials(&ctx.connect);
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
