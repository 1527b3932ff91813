//! `trib apply`: make the cluster consist of exactly the listed nodes, from whatever
//! state it is in (planner: `plan::apply`; phases: `ops::apply`; shown by
//! `ui::plan::apply`), through the driver.

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use super::Context;
use super::pipeline::{Applied, Operation, Prepared};
use crate::addr::Target;
use crate::cluster::load::Loaded;
use crate::error::{Exit, TribError};
use crate::model::view::{ClusterView, NodeView};
use crate::ops::Reporter;
use crate::ops::apply::{Env, entries, load, merge, run as apply_phases};
use crate::ops::create::{dedupe, states};
use crate::ops::gather::Gathered;
use crate::ops::undo::UndoLog;
use crate::plan::apply::{ApplyInput, ApplyPlan, plan_apply};
use crate::plan::check::ProblemKind;
use crate::plan::create::CreateNodeState;
use crate::ui::plan::apply as show;

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Every node the cluster is to consist of: ip:port, name:port, name-{0..5}.svc:port,
    /// _srv._tcp.name, NODE=DOMAIN
    #[arg(required = true, value_name = "NODE")]
    pub nodes: Vec<String>,
    /// Replicas per master
    #[arg(long, default_value_t = 0)]
    pub replicas: usize,
    /// Drain (slots and keys moved away) and remove the members that are not listed
    #[arg(long)]
    pub prune: bool,
    /// Wait up to DUR for names to resolve and nodes to answer (pods still starting)
    #[arg(long, value_name = "DUR", value_parser = super::parse_duration)]
    pub wait: Option<Duration>,
    /// Deadline for each wait (agreement, a replica's first sync, a node forgotten)
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_timeout)]
    pub timeout: Duration,
}

pub async fn run(ctx: &Context, args: ApplyArgs) -> anyhow::Result<Exit> {
    let op = Apply {
        args,
        started: Instant::now(),
        listed: Vec::new(),
        states: Vec::new(),
        entries: Vec::new(),
        cluster: None,
    };
    super::pipeline::run(ctx, op).await
}

struct Apply {
    args: ApplyArgs,
    started: Instant,
    /// The listed nodes, in the order given.
    listed: Vec<Gathered>,
    states: Vec<CreateNodeState>,
    /// The listed nodes in the order the cluster is loaded from them.
    entries: Vec<Target>,
    cluster: Option<Loaded>,
}

impl Operation for Apply {
    type Plan = ApplyPlan;
    /// Between phases, and between the migration's windows of slots.
    const SAFE_POINTS: bool = true;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<ApplyPlan>> {
        let a = &self.args;
        let gathered = ctx.gather_all(&a.nodes, a.wait, &ctx.reporter()).await?;
        self.listed = dedupe(gathered)?;
        self.states = states(&self.listed);
        let views: Vec<NodeView> = self.listed.iter().map(|g| g.view.clone()).collect();
        self.entries = entries(&self.listed, &views);
        self.cluster = load(&self.entries, &self.listed, &ctx.connect).await?;
        if let Some(c) = self.cluster.as_mut() {
            ctx.assign_domains(c.view.nodes.iter_mut(), &self.entries)
                .await?;
            merge(c, &self.listed);
        }
        let none = ClusterView::default();
        let plan = plan_apply(&ApplyInput {
            cluster: self.cluster.as_ref().map_or(&none, |c| &c.view),
            listed: &views,
            create: &self.states,
            replicas: a.replicas,
            prune: a.prune,
        })
        .map_err(|r| TribError::BadInput(show::refused(&r, &self.states, a.replicas)))?;
        Ok(Prepared::unless(plan, ApplyPlan::is_empty, show::nothing))
    }

    fn render(&self, plan: &ApplyPlan) -> String {
        show::render(plan, &self.states)
    }

    fn warnings(&self, plan: &ApplyPlan) -> Vec<String> {
        plan.warnings.clone()
    }

    fn question(&self, plan: &ApplyPlan) -> Option<String> {
        Some(show::question(plan))
    }

    fn plan_json(&self, plan: &ApplyPlan) -> Value {
        show::plan_json(plan, &self.states)
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &ApplyPlan,
        undo: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let env = Env {
            listed: &self.listed,
            states: &self.states,
            entries: &self.entries,
            cluster: self.cluster.as_ref(),
            connect: &ctx.connect,
            timeout: self.args.timeout,
        };
        let reporter = ctx.reporter();
        let done = apply_phases(plan, &env, &reporter, undo).await?;
        let elapsed = self.started.elapsed();
        reporter.finish(&show::finished(plan, &done, elapsed));
        Ok(Applied::done(json!({
            "done": done,
            "elapsed_ms": elapsed.as_millis(),
        })))
    }

    /// The same checks as `trib check` on the result; replicas still in their first
    /// sync are expected.
    async fn verify(
        &mut self,
        ctx: &Context,
        _: &ApplyPlan,
        applied: &mut Applied,
    ) -> anyhow::Result<()> {
        super::check::verify(ctx, &self.entries, &[ProblemKind::ReplicaSyncing], applied).await
    }
}
