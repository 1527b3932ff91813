//! `trib fix`: re-form a cluster whose nodes came back at new addresses (every ENTRY is
//! a node to re-introduce at its current address), then repair open slots, uncovered
//! slots, slots with several owners and (`--deep`) keys in slots their node does not own
//! (planner: `plan::fix`, `plan::reform`; phases: `ops::fix`; shown by `ui::plan::fix`).
//!
//! Through the driver. With nothing to change, the plan is still shown and the cluster
//! checked (`--dry-run` too): fix's result is the cluster's health (exit 1 when not).

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;

use super::Context;
use super::pipeline::{Applied, Operation, Prepared, Shown, into_map};
use crate::addr::Target;
use crate::cluster::Node;
use crate::error::{Exit, TribError};
use crate::ops::fix::{RepairOptions, check_settled, prepare, repair, settle};
use crate::ops::undo::UndoLog;
use crate::plan::fix::FixJob;
use crate::ui::plan::fix as show;

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Nodes of the cluster, at their current addresses: every one that answers is
    /// re-introduced to the others there
    #[arg(required = true, value_name = "ENTRY")]
    pub entries: Vec<String>,
    /// Also look for keys in slots their node does not own
    #[arg(long)]
    pub deep: bool,
    /// Repair even while a master is unreachable: its slots are left alone, or, if the
    /// cluster marks it failed and no replica took over, given (empty) to the live
    /// masters; keys only it held there are lost
    #[arg(long)]
    pub with_unreachable_masters: bool,
    /// Keys moved to a slot's owner overwrite the owner's copy where both exist with
    /// different contents (as `reshard --replace`, `import --replace`)
    #[arg(long)]
    pub replace: bool,
    /// Deadline for the cluster to settle after the changes
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_timeout)]
    pub timeout: Duration,
}

pub async fn run(ctx: &Context, args: FixArgs) -> anyhow::Result<Exit> {
    let op = Fix {
        args,
        started: Instant::now(),
        targets: Vec::new(),
        conns: Vec::new(),
    };
    super::pipeline::run(ctx, op).await
}

struct Fix {
    args: FixArgs,
    started: Instant,
    targets: Vec<Target>,
    /// A connection to each of the job's nodes, in order.
    conns: Vec<Node>,
}

impl Operation for Fix {
    type Plan = FixJob;
    /// Between re-forming and slot repairs, and between slots (`ops::fix`).
    const SAFE_POINTS: bool = true;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<FixJob>> {
        self.targets = ctx.resolve(&self.args.entries).await?;
        let (job, conns) = prepare(&self.targets, &ctx.connect, self.args.deep).await?;
        if let Some(refusal) = job.refusal(self.args.with_unreachable_masters) {
            return Err(TribError::BadInput(refusal.to_string()).into());
        }
        self.conns = conns;
        Ok(if job.is_empty() {
            Prepared::Check(job)
        } else {
            Prepared::Plan(job)
        })
    }

    fn render(&self, job: &FixJob) -> String {
        show::render(job)
    }

    fn show(&self, job: &FixJob) -> Vec<Shown> {
        show::shown(job)
    }

    fn question(&self, job: &FixJob) -> Option<String> {
        Some(show::question(job).into())
    }

    async fn apply(&mut self, ctx: &Context, job: &FixJob, _: &UndoLog) -> anyhow::Result<Applied> {
        let a = &self.args;
        let reporter = ctx.reporter();
        let opts = RepairOptions {
            deep: a.deep,
            replace: a.replace,
            timeout: a.timeout,
        };
        let report = repair(
            job,
            &self.conns,
            &self.targets,
            &ctx.connect,
            opts,
            &reporter,
        )
        .await?;
        let mut applied = Applied::done(json!({}));
        if let Some(report) = report {
            if !report.conflicts.is_empty() {
                crate::ui::print_error(&anyhow::anyhow!(show::conflicts(
                    &report.conflicts,
                    &self.args.entries[0]
                )));
                applied.exit = Exit::Failed;
            }
            applied.json.insert("report".into(), json!(report));
        }
        Ok(applied)
    }

    /// Loads the cluster again, reports every problem, exits 0 only when it is healthy
    /// but for failed masters that own no slot (named, with the `del-node` to run).
    async fn verify(
        &mut self,
        ctx: &Context,
        job: &FixJob,
        applied: &mut Applied,
    ) -> anyhow::Result<()> {
        if !applied.changed && !ctx.dry_run {
            settle(job, &self.conns, self.args.timeout, &ctx.reporter()).await;
        }
        let checked = check_settled(&self.targets, &ctx.connect, self.args.deep).await?;
        let entry = &self.args.entries[0];
        ctx.printer
            .show(&show::checked(&checked, applied.changed, entry));
        let json = show::checked_json(&checked, self.started.elapsed());
        applied.json.extend(into_map(json));
        if !checked.serving() {
            applied.exit = Exit::Failed;
        }
        Ok(())
    }
}
