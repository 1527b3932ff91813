//! The join operation `trib add-node` and `trib replicate` share, through the driver:
//! pre-flight NEW and the cluster → plan → show → confirm → apply → verify.

use std::time::{Duration, Instant};

use super::Context;
use super::load::load;
use super::pipeline::{Applied, Operation, Prepared, kept};
use crate::cluster::load::Loaded;
use crate::error::{Exit, TribError};
use crate::ops::Reporter;
use crate::ops::gather::Gathered;
use crate::ops::join::{functions, join as apply};
use crate::ops::undo::UndoLog;
use crate::plan::check::{check, new_errors};
use crate::plan::membership::{JoinInput, JoinPlan, Want, plan_join};
use crate::ui::plan::add_node as show;

/// What the user named as the new node's role.
pub(super) enum WantArg {
    Master,
    /// The master's argument and the flag it came from (for messages).
    ReplicaOf(String, &'static str),
    AnyReplica,
}

pub(super) struct JoinRequest {
    pub new: String,
    pub entries: Vec<String>,
    pub want: WantArg,
    pub allow_member: bool,
    pub timeout: Duration,
}

/// `add-node` and `replicate`: one operation, two entry points.
pub(super) async fn join(ctx: &Context, req: JoinRequest) -> anyhow::Result<Exit> {
    let started = Instant::now();
    super::pipeline::run(
        ctx,
        Join {
            req,
            started,
            state: None,
        },
    )
    .await
}

struct Join {
    req: JoinRequest,
    started: Instant,
    /// NEW and the cluster as planned on.
    state: Option<(Gathered, Loaded)>,
}

impl Operation for Join {
    type Plan = JoinPlan;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<JoinPlan>> {
        let reporter = ctx.reporter();
        let new = ctx
            .gather_one(&self.req.new, "add one node at a time", &reporter)
            .await?;
        let loaded = load(ctx, &self.req.entries).await?;
        let want = match &self.req.want {
            WantArg::Master => Want::Master,
            WantArg::AnyReplica => Want::AnyReplica,
            WantArg::ReplicaOf(arg, flag) => Want::ReplicaOf(
                ctx.member(&loaded.view, arg)
                    .await
                    .map_err(|e| TribError::BadInput(format!("{flag} {e}")))?,
            ),
        };
        let f = functions(&new.node, &new.view, &loaded)
            .await
            .map_err(|e| TribError::BadInput(e.to_string()))?;
        for w in f.cluster.iter().flat_map(show::functions_differ) {
            ctx.printer.warn(&w);
        }
        let plan = plan_join(&JoinInput {
            cluster: &loaded.view,
            new: &new.view,
            new_functions: f.new,
            cluster_functions: f.cluster.map(|c| (c.from, c.libraries)),
            want,
            allow_member: self.req.allow_member,
        })
        .map_err(|r| TribError::refused(&r))?;
        self.state = Some((new, loaded));
        Ok(Prepared::unless(plan, JoinPlan::is_noop, show::nothing))
    }

    fn render(&self, plan: &JoinPlan) -> String {
        show::render_plan(plan)
    }

    fn warnings(&self, plan: &JoinPlan) -> Vec<String> {
        plan.warnings.clone()
    }

    fn question(&self, plan: &JoinPlan) -> Option<String> {
        Some(show::question(plan).into())
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &JoinPlan,
        _: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let (new, loaded) = kept(&self.state, "join")?;
        let reporter = ctx.reporter();
        let joined = apply(plan, &new.node, loaded, self.req.timeout, &reporter)
            .await
            .map_err(|e| TribError::Failed(show::failure(plan, &e)))?;
        let elapsed = self.started.elapsed();
        reporter.finish(&show::finished(plan, elapsed));
        Ok(Applied::done(show::result_json(elapsed, &joined)))
    }

    /// The same checks as `trib check`; only errors the change introduced fail it.
    async fn verify(
        &mut self,
        ctx: &Context,
        _: &JoinPlan,
        applied: &mut Applied,
    ) -> anyhow::Result<()> {
        let Some((_, before)) = &self.state else {
            return Ok(());
        };
        let after = load(ctx, &self.req.entries).await?;
        let problems = check(&after.view, None);
        if let Some(text) = show::after_change(&problems) {
            ctx.printer.out(&text);
        }
        if new_errors(&before.view, &problems) > 0 {
            applied.exit = Exit::Failed;
        }
        applied
            .json
            .insert("problems".into(), serde_json::to_value(&problems)?);
        Ok(())
    }
}
