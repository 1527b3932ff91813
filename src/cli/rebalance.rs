//! `trib rebalance`: load → weights → plan (`plan::rebalance`) → show → confirm → move
//! slots with the migration engine → report.

use std::time::Instant;

use clap::Args;
use serde_json::{Value, json};

use super::Context;
use super::check::load_healthy;
use super::pipeline::{Applied, Operation, Prepared};
use crate::cluster::load::Loaded;
use crate::error::{Exit, TribError};
use crate::ops::Reporter;
use crate::ops::bigkeys::note_big_keys;
use crate::ops::migrate::MigrateOptions;
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
    /// Move slots with SETSLOT/MIGRATE even where every master supports atomic slot migration
    #[arg(long)]
    pub no_atomic: bool,
    /// How long a source may be kept from its clients by one batch of keys (MIGRATE
    /// blocks it): batches are sized to it by the pace of recent ones
    #[arg(long, value_name = "DUR", default_value = "5ms", value_parser = super::parse_timeout)]
    pub max_stall: std::time::Duration,
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

impl Rebalance {
    fn loaded(&self) -> Result<&Loaded, TribError> {
        self.loaded
            .as_ref()
            .ok_or_else(|| TribError::Failed("rebalance: the cluster was not loaded".into()))
    }
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
        if !plan.balanced
            && let Some(w) = note_big_keys(
                &master_conns(&loaded),
                &mut plan.moves,
                self.args.max_stall,
                &ctx.reporter(),
            )
            .await
        {
            ctx.printer.warn(&w);
        }
        self.loaded = Some(loaded);
        Ok(if plan.balanced {
            let message = format!(
                "{}\n\nEvery master is within {threshold}% of its target: nothing to move.",
                show::plan(&plan, &self.loaded()?.view)
            );
            Prepared::Nothing { plan, message }
        } else {
            Prepared::Plan(plan)
        })
    }

    fn render(&self, plan: &RebalancePlan) -> String {
        let Ok(loaded) = self.loaded() else {
            return String::new();
        };
        let mut out = show::plan(plan, &loaded.view);
        for d in plan.drained() {
            out.push_str(&format!(
                "\n{} will own no slot: with cluster-allow-replica-migration on, Redis may turn it into a replica on its own",
                d.node
            ));
        }
        out
    }

    fn question(&self, plan: &RebalancePlan) -> Option<String> {
        Some(format!(
            "Move {} slot(s) between {} master(s)?",
            plan.moves.moves.len(),
            plan.masters.len()
        ))
    }

    fn plan_json(&self, plan: &RebalancePlan) -> Value {
        self.loaded()
            .map_or(Value::Null, |l| show::plan_json(plan, &l.view))
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &RebalancePlan,
        _: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let loaded = self.loaded()?;
        let opts = MigrateOptions {
            atomic: !self.args.no_atomic,
            max_stall: self.args.max_stall,
            ..MigrateOptions::default()
        }
        .with_credentials(&ctx.connect);
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
            reporter.finish(&format!(
                "{node} owns no slot any more and turned into a replica on its own (cluster-allow-replica-migration)"
            ));
        }
        reporter.finish(&format!(
            "{} slot(s), {} key(s) moved in {:.2}s",
            report.slots_moved,
            report.keys_moved,
            self.started.elapsed().as_secs_f64()
        ));
        Ok(Applied::done(json!({
            "report": report,
            "became_replicas": became_replicas,
            "elapsed_ms": self.started.elapsed().as_millis(),
        })))
    }
}
