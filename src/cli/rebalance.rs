//! `trib rebalance`: load → weights → plan (`plan::rebalance`) → show → confirm → move
//! slots with the migration engine → report.

use std::time::Instant;

use clap::Args;
use serde_json::{Value, json};

use super::Context;
use super::load::load_healthy;
use super::migration_args::MigrationArgs;
use super::pipeline::{Applied, Operation, Prepared, kept};
use crate::cluster::load::Loaded;
use crate::error::{Exit, TribError};
use crate::ops::Reporter;
use crate::ops::slot_moves::{master_conns, move_slots, now_replicas, unfinished};
use crate::ops::undo::UndoLog;
use crate::plan::rebalance::{
    DEFAULT_THRESHOLD, RebalancePlan, masters_taking_part, plan_rebalance,
};
use crate::ui::plan::rebalance as show;

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
    #[command(flatten)]
    pub migration: MigrationArgs,
}

pub async fn run(ctx: &Context, args: RebalanceArgs) -> anyhow::Result<Exit> {
    let op = Rebalance {
        args,
        started: Instant::now(),
        loaded: None,
    };
    super::pipeline::run(ctx, op).await
}

struct Rebalance {
    args: RebalanceArgs,
    started: Instant,
    loaded: Option<Loaded>,
}

impl Operation for Rebalance {
    type Plan = RebalancePlan;
    /// The migration engine stops between windows of slots, leaving none open.
    const SAFE_POINTS: bool = true;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<RebalancePlan>> {
        let loaded = load_healthy(ctx, &self.args.entry).await?;
        let weights = ctx.master_weights(&loaded.view, &self.args.weight).await?;
        let masters = masters_taking_part(&loaded.view, &weights, self.args.use_empty_masters);
        let threshold = self.args.threshold.unwrap_or(DEFAULT_THRESHOLD);
        let mut plan =
            plan_rebalance(&masters, threshold).map_err(|r| TribError::BadInput(r.to_string()))?;
        if !plan.balanced {
            let migration = &self.args.migration;
            migration.note_big_keys(ctx, &loaded, &mut plan.moves).await;
        }
        let balanced = |p: &RebalancePlan| show::balanced(p, &loaded.view);
        let prepared = Prepared::unless(plan, |p| p.balanced, balanced);
        self.loaded = Some(loaded);
        Ok(prepared)
    }

    fn render(&self, plan: &RebalancePlan) -> String {
        kept(&self.loaded, "rebalance")
            .map_or_else(|_| String::new(), |l| show::render(plan, &l.view))
    }

    fn question(&self, plan: &RebalancePlan) -> Option<String> {
        Some(format!(
            "Move {} slot(s) between {} master(s)?",
            plan.moves.moves.len(),
            plan.masters.len()
        ))
    }

    fn plan_json(&self, plan: &RebalancePlan) -> Value {
        kept(&self.loaded, "rebalance").map_or(Value::Null, |l| show::plan_json(plan, &l.view))
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &RebalancePlan,
        _: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let loaded = kept(&self.loaded, "rebalance")?;
        let opts = self.args.migration.options(ctx);
        let reporter = ctx.reporter();
        let report = move_slots(loaded, &plan.moves, &opts, &reporter)
            .await
            .map_err(|e| {
                let resume = |_| "re-run the same command to complete the rebalance".into();
                unfinished("rebalance", plan.moves.moves.len(), resume, e)
            })?;
        // Drained masters may have become replicas (cluster-allow-replica-migration).
        let drained: Vec<_> = plan
            .drained()
            .into_iter()
            .map(|d| (d.id.clone(), d.node.clone()))
            .collect();
        let became_replicas = now_replicas(&master_conns(loaded), &drained).await;
        for node in &became_replicas {
            reporter.finish(&show::became_replica(node));
        }
        let elapsed = self.started.elapsed();
        reporter.finish(&show::moved(&report, elapsed));
        Ok(Applied::done(json!({
            "report": report,
            "became_replicas": became_replicas,
            "elapsed_ms": elapsed.as_millis(),
        })))
    }
}
