//! `trib create`: gather → plan → show → confirm → apply → verify, through the driver.

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Map, Value, json};

use super::Context;
use super::pipeline::{Applied, Operation, Prepared};
use crate::error::{Exit, TribError};
use crate::ops::Reporter;
use crate::ops::create::{apply, dedupe, states, targets, unfinished};
use crate::ops::gather::Gathered;
use crate::ops::undo::UndoLog;
use crate::plan::check::ProblemKind;
use crate::plan::create::{CreateNodeState, CreatePlan, node_refusals, plan_create};
use crate::ui::plan::create as show;

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Nodes: ip:port, name:port, name-{0..5}.svc:port, _srv._tcp.name, NODE=DOMAIN
    #[arg(required = true, value_name = "NODE")]
    pub nodes: Vec<String>,
    /// Replicas per master
    #[arg(long, default_value_t = 0)]
    pub replicas: usize,
    /// Wait up to DUR for names to resolve and nodes to answer (pods still starting)
    #[arg(long, value_name = "DUR", value_parser = super::parse_duration)]
    pub wait: Option<Duration>,
    /// Do not shorten Redis's rejoin delay (new masters run with a 499 ms
    /// cluster-node-timeout until they turn ok, where masters × (nodes − 1) ≤ 2000)
    #[arg(long)]
    pub no_fast_join: bool,
    /// Also wait until every replica finished its first sync with its master
    #[arg(long)]
    pub wait_sync: bool,
    /// Deadline for the cluster to converge after the changes
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_timeout)]
    pub timeout: Duration,
}

pub async fn run(ctx: &Context, args: CreateArgs) -> anyhow::Result<Exit> {
    let op = Create {
        args,
        started: Instant::now(),
        gathered: Vec::new(),
        states: Vec::new(),
    };
    super::pipeline::run(ctx, op).await
}

struct Create {
    args: CreateArgs,
    started: Instant,
    gathered: Vec<Gathered>,
    states: Vec<CreateNodeState>,
}

impl Operation for Create {
    type Plan = CreatePlan;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<CreatePlan>> {
        let (gathered, unusable) = ctx
            .gather_some(&self.args.nodes, self.args.wait, &ctx.reporter())
            .await?;
        let gathered = dedupe(gathered)?;
        self.states = states(&gathered);
        if !unusable.is_empty() {
            // Every bad node gets its reason: those that did not answer, and those that
            // answered but cannot be part of it whatever the others turn out to be.
            let refused = node_refusals(&self.states, unusable.len());
            let reasons = show::unusable(unusable, &refused, &self.states, self.args.replicas);
            return Err(TribError::BadInput(reasons).into());
        }
        self.gathered = gathered;
        let plan = plan_create(&self.states, self.args.replicas).map_err(|refusals| {
            TribError::BadInput(show::refusals(&refusals, &self.states, self.args.replicas))
        })?;
        let already = |_: &CreatePlan| show::already_created(&self.states, self.args.replicas);
        Ok(Prepared::unless(plan, CreatePlan::already_created, already))
    }

    fn render(&self, plan: &CreatePlan) -> String {
        show::render_plan(plan, &self.states)
    }

    fn question(&self, _: &CreatePlan) -> Option<String> {
        Some("Create this cluster?".into())
    }

    fn plan_json(&self, plan: &CreatePlan) -> Value {
        show::plan_json(plan, &self.states)
    }

    fn summary_json(&self, plan: &CreatePlan) -> Map<String, Value> {
        super::pipeline::into_map(json!({"status": plan.status}))
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &CreatePlan,
        undo: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let targets = targets(&self.gathered, &self.states);
        let reporter = ctx.reporter();
        let a = &self.args;
        let timings = apply(
            plan,
            &targets,
            a.timeout,
            !a.no_fast_join,
            a.wait_sync,
            &reporter,
            undo,
        )
        .await
        .map_err(|e| unfinished("create", e))?;
        let elapsed = self.started.elapsed();
        reporter.finish(&show::created(
            plan,
            self.states.len(),
            a.wait_sync,
            elapsed,
        ));
        Ok(Applied::done(json!({
            "elapsed_ms": elapsed.as_millis(),
            "timings": timings,
        })))
    }

    /// The same checks as `trib check` on the new cluster.
    async fn verify(
        &mut self,
        ctx: &Context,
        plan: &CreatePlan,
        applied: &mut Applied,
    ) -> anyhow::Result<()> {
        let entries: Vec<_> = self.gathered.iter().map(|g| g.target.clone()).collect();
        // Replicas start their first sync now; that is expected right after a create.
        super::check::verify(ctx, &entries, &[ProblemKind::ReplicaSyncing], applied).await?;
        if !self.args.wait_sync && self.states.len() > plan.placement.masters.len() {
            ctx.printer.status(show::REPLICAS_SYNCING);
        }
        Ok(())
    }
}
