//! `trib import ENTRY --from HOST:PORT`: move (or copy) every key of a standalone Redis
//! into the cluster, through the driver: load → check the source → plan → show →
//! confirm → import → report (source: `ops::import_source`, `ops::import`; shown by
//! `ui::plan::import`).

use std::time::Duration;

use clap::Args;
use serde_json::json;

use super::Context;
use super::load::load;
use super::pipeline::{Applied, Operation, Prepared, Shown};
use crate::error::{Exit, TribError};
use crate::ops::Reporter;
use crate::ops::import::{ImportError, ImportReport};
use crate::ops::import_source::{ImportJob, changed, master_conns, open_source, run_import};
use crate::ops::undo::UndoLog;
use crate::plan::import::{Mode, plan_import};
use crate::ui::plan::import::{self as show, ImportReporter};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Any node of the cluster
    pub entry: String,
    /// The standalone Redis to take the keys from (a master, not a cluster node)
    #[arg(long, value_name = "HOST:PORT")]
    pub from: String,
    /// ACL user on the source
    #[arg(long, value_name = "USER", env = "TRIB_FROM_USER")]
    pub from_user: Option<String>,
    /// Password of the source (prefer TRIB_FROM_PASSWORD: the process list shows it)
    #[arg(
        long,
        value_name = "PASS",
        env = "TRIB_FROM_PASSWORD",
        hide_env_values = true
    )]
    pub from_password: Option<String>,
    /// Copy the keys: leave them on the source
    #[arg(long)]
    pub copy: bool,
    /// Overwrite keys that already exist in the cluster with other values
    #[arg(long)]
    pub replace: bool,
    /// Keys per MIGRATE batch (and SCAN COUNT)
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub pipeline: u32,
    /// Timeout of each MIGRATE (the source's I/O with a master)
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = super::parse_timeout)]
    pub migrate_timeout: Duration,
}

pub async fn run(ctx: &Context, args: ImportArgs) -> anyhow::Result<Exit> {
    let argv: Vec<String> = std::env::args().collect();
    if args.from_password.is_some() && super::argv::from_password_on_command_line(&argv) {
        ctx.printer.warn(
            "a password given with --from-password is visible in the process list; prefer TRIB_FROM_PASSWORD",
        );
    }
    super::pipeline::run(ctx, Import { args }).await
}

struct Import {
    args: ImportArgs,
}

impl Operation for Import {
    type Plan = ImportJob;
    /// Between batches of keys: every batch sent is finished.
    const SAFE_POINTS: bool = true;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<ImportJob>> {
        let a = &self.args;
        let loaded = load(ctx, std::slice::from_ref(&a.entry)).await?;
        // The source: one address, reachable, right password, a standalone master.
        let targets = ctx.resolve(std::slice::from_ref(&a.from)).await?;
        let (user, password) = (a.from_user.clone(), a.from_password.clone());
        let source = open_source(&a.from, &targets, &ctx.connect, user, password).await?;
        let mode = if a.copy { Mode::Copy } else { Mode::Move };
        let (keys, batch) = (source.info.keys, a.pipeline as usize);
        let plan = plan_import(&loaded.view, &source.label, keys, mode, a.replace, batch)
            .map_err(|r| TribError::BadInput(r.to_string()))?;
        let masters = master_conns(&plan, &loaded.conns)?;
        Ok(Prepared::Plan(ImportJob {
            plan,
            source,
            masters,
        }))
    }

    fn render(&self, job: &ImportJob) -> String {
        show::render_plan(&job.plan, &job.source.info)
    }

    fn show(&self, job: &ImportJob) -> Vec<Shown> {
        show::shown(&job.plan, &job.source.info, &job.source.label)
    }

    fn question(&self, job: &ImportJob) -> Option<String> {
        show::question(&job.plan, &job.source.label)
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        job: &ImportJob,
        _: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let label = &job.source.label;
        if job.plan.source_keys == 0 {
            ctx.printer.status(&show::nothing_to_import(label));
            let mut applied = Applied::done(json!({"report": ImportReport::default()}));
            applied.changed = false;
            return Ok(applied);
        }
        let reporter = ImportReporter::new(&ctx.printer);
        let timeout = self.args.migrate_timeout;
        let (report, error) = run_import(job, &ctx.connect, timeout, &reporter).await;
        reporter.finish("");
        let summary = show::summary(&report, job.plan.mode);
        let mut applied = Applied::done(json!({"report": report}));
        applied.changed = changed(&report, job.plan.mode);
        if let Some(e @ ImportError::Interrupted(_)) = error {
            return Err(TribError::failed(show::interrupted(&summary), e).into());
        }
        if let Some(e) = error {
            let msg = show::stopped(&e.to_string(), &summary);
            crate::ui::print_error(&anyhow::anyhow!(msg.clone()));
            let more = json!({"error": msg, "exit_code": Exit::Failed as i32});
            applied.json.extend(super::pipeline::into_map(more));
            applied.exit = Exit::Failed;
            return Ok(applied);
        }
        ctx.printer.out(&format!("[OK] {summary}"));
        if let Some(left) = report.keys_remaining.filter(|n| *n > 0) {
            ctx.printer.warn(&show::keys_left(left, label));
        }
        Ok(applied)
    }
}
