//! `trib del-node`, through the driver: load → find NODE → plan → show → confirm → apply
//! (which waits until no member lists the node).

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::Value;

use super::Context;
use super::load::load;
use super::pipeline::{Applied, Operation, Prepared, kept};
use crate::cluster::load::Loaded;
use crate::error::{Exit, TribError};
use crate::ops::Reporter;
use crate::ops::del_node::apply;
use crate::ops::undo::UndoLog;
use crate::plan::membership_del::{DelPlan, plan_del};
use crate::ui::plan::del_node as show;

#[derive(Debug, Args)]
pub struct DelNodeArgs {
    /// Any node of the cluster
    pub entry: String,
    /// The node to remove: address, node ID or unambiguous ID prefix
    pub node: String,
    /// Deadline for each wait (replica sync, every member forgetting the node)
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_timeout)]
    pub timeout: Duration,
}

pub async fn run(ctx: &Context, args: DelNodeArgs) -> anyhow::Result<Exit> {
    let op = DelNode {
        args,
        started: Instant::now(),
        loaded: None,
    };
    super::pipeline::run(ctx, op).await
}

struct DelNode {
    args: DelNodeArgs,
    started: Instant,
    loaded: Option<Loaded>,
}

impl Operation for DelNode {
    type Plan = DelPlan;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<DelPlan>> {
        let loaded = load(ctx, std::slice::from_ref(&self.args.entry)).await?;
        let view = &loaded.view;
        let target = ctx.member(view, &self.args.node).await?;
        if view.node(&target).is_some() && view.nodes.len() == 1 {
            return Err(TribError::BadInput(format!(
                "{}: it is the only reachable member; there is no cluster to remove it from",
                self.args.node
            ))
            .into());
        }
        let plan = plan_del(view, &target).map_err(|r| TribError::refused(&r))?;
        self.loaded = Some(loaded);
        Ok(Prepared::Plan(plan))
    }

    fn render(&self, plan: &DelPlan) -> String {
        show::render_plan(plan)
    }

    fn warnings(&self, plan: &DelPlan) -> Vec<String> {
        plan.warnings.clone()
    }

    fn question(&self, plan: &DelPlan) -> Option<String> {
        Some(show::question(plan))
    }

    fn plan_json(&self, plan: &DelPlan) -> Value {
        show::plan_json(plan)
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &DelPlan,
        _: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let loaded = kept(&self.loaded, "del-node")?;
        let reporter = ctx.reporter();
        let timings = apply(plan, &loaded.conns, self.args.timeout, &reporter)
            .await
            .map_err(|e| TribError::Failed(format!("del-node did not finish: {e}")))?;
        let elapsed = self.started.elapsed();
        reporter.finish(&show::removed(plan, elapsed));
        if let Some(line) = show::afterwards(plan) {
            ctx.printer.status(&line);
        }
        Ok(Applied::done(show::result_json(elapsed, &timings)))
    }
}
