//! `trib failover`, through the driver: load → plan → show → confirm → `CLUSTER FAILOVER`
//! per master → wait until the roles have switched everywhere → report how long it took.

use std::time::Duration;

use clap::Args;
use serde_json::{Map, Value, json};

use super::Context;
use super::load::{load, load_from_node};
use super::pipeline::{Applied, Operation, Prepared, into_map, kept};
use crate::cluster::load::Loaded;
use crate::error::{Exit, TribError};
use crate::ops::failover::{StepsError, apply_steps};
use crate::ops::undo::UndoLog;
use crate::plan::failover::{FailoverPlan, Mode, Request, plan};
use crate::plan::select::looks_like_id;
use crate::ui::plan::failover as show;

/// `trib failover` arguments. How NODE is read is in [`super::help::FAILOVER`] (--help).
#[derive(Debug, Args)]
#[command(after_long_help = super::help::FAILOVER)]
pub struct FailoverArgs {
    /// The node to make a master (address, ID or ID prefix): a replica is promoted, a master
    /// is one already (nothing to do); with --domain, any node of the cluster
    #[arg(
        value_name = "NODE",
        required_unless_present = "demote",
        conflicts_with = "demote"
    )]
    pub node: Option<String>,
    /// Move mastership away from MASTER: promote its best replica in its place (a replica
    /// already: nothing to do)
    #[arg(long, value_name = "MASTER", conflicts_with = "domain")]
    pub demote: Option<String>,
    /// Load the cluster from these nodes instead of NODE (repeatable; the first that answers is used)
    #[arg(long = "entry", value_name = "ENTRY")]
    pub entries: Vec<String>,
    /// The master is down: promote without its agreement (CLUSTER FAILOVER FORCE)
    #[arg(long, conflicts_with = "takeover")]
    pub force: bool,
    /// Promote without the master and without an election (CLUSTER FAILOVER TAKEOVER)
    #[arg(long)]
    pub takeover: bool,
    /// Deadline for the roles to switch (per master with --domain)
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = super::parse_timeout)]
    pub timeout: Duration,
    /// Fail over every master out of failure domain D (IP by default, or NODE=DOMAIN)
    #[arg(long, value_name = "D")]
    pub domain: Option<String>,
}

pub async fn run(ctx: &Context, args: FailoverArgs) -> anyhow::Result<Exit> {
    super::pipeline::run(ctx, Failover { args, loaded: None }).await
}

struct Failover {
    args: FailoverArgs,
    loaded: Option<Loaded>,
}

impl FailoverArgs {
    /// NODE, or MASTER of `--demote` (clap requires one of them).
    fn target(&self) -> &str {
        self.demote
            .as_deref()
            .or(self.node.as_deref())
            .unwrap_or_default()
    }
}

impl Failover {
    /// The cluster, from `--entry`, or else from NODE (then an address, not an ID).
    async fn load(&self, ctx: &Context) -> Result<Loaded, TribError> {
        let a = &self.args;
        if !a.entries.is_empty() {
            return load(ctx, &a.entries).await;
        }
        let target = a.target();
        if looks_like_id(target) && a.domain.is_none() {
            return Err(TribError::BadInput(format!(
                "{target}: looks like a node ID; say where the cluster is with --entry ENTRY (or give the node as an address)"
            )));
        }
        load_from_node(ctx, target).await
    }
}

impl Operation for Failover {
    type Plan = FailoverPlan;
    /// Between two masters of `--domain`: a stop there leaves every switch complete.
    const SAFE_POINTS: bool = true;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<FailoverPlan>> {
        let a = &self.args;
        let mode = Mode::from_flags(a.force, a.takeover);
        let loaded = self.load(ctx).await?;
        let view = &loaded.view;
        let request = match (&a.domain, &a.demote) {
            (Some(d), _) => Request::Domain(d.clone()),
            (None, Some(m)) => Request::Demote(ctx.member(view, m).await?),
            (None, None) => Request::Promote(ctx.member(view, a.target()).await?),
        };
        let plan = plan(view, &request, mode).map_err(|r| TribError::refused(&r))?;
        self.loaded = Some(loaded);
        Ok(Prepared::unless(
            plan,
            |p| p.steps.is_empty(),
            show::nothing,
        ))
    }

    fn render(&self, plan: &FailoverPlan) -> String {
        show::render_plan(plan)
    }

    fn question(&self, plan: &FailoverPlan) -> Option<String> {
        Some(show::question(plan).into())
    }

    /// Nothing to do took no time.
    fn summary_json(&self, plan: &FailoverPlan) -> Map<String, Value> {
        let zero = plan.steps.is_empty().then(|| json!({"took_ms": 0}));
        into_map(zero.unwrap_or_default())
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &FailoverPlan,
        _: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let loaded = kept(&self.loaded, "failover")?;
        let reporter = ctx.reporter();
        let done = apply_steps(&loaded.conns, &plan.steps, self.args.timeout, &reporter)
            .await
            .map_err(|e| match e {
                StepsError::Interrupted(i) => anyhow::Error::from(i),
                StepsError::Step { index, error } => {
                    TribError::Failed(show::failure(plan, index, &error)).into()
                }
            })?;
        ctx.printer.out(&show::done(plan, done.took_ms));
        Ok(Applied::done(
            json!({"took_ms": done.took_ms, "results": done.results}),
        ))
    }
}
