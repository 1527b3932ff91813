//! `trib backup ENTRY DIR`: every master's RDB plus `cluster.json`, written atomically.
//! `--dry-run` shows which masters would be fetched and writes nothing.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::Context;
use super::load::load;
use super::pipeline::{Applied, Operation, Prepared, kept};
use crate::cluster::load::Loaded;
use crate::error::{Exit, TribError};
use crate::ops::backup::{BackupPlan, run_backup};
use crate::ops::undo::UndoLog;
use crate::ui::plan::backup as show;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Any node of the cluster
    pub entry: String,
    /// Directory to write `<master-id>.rdb` files and `cluster.json` into (created if missing)
    pub dir: PathBuf,
    /// Longest silence from a master while it prepares or sends its snapshot
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_timeout)]
    pub idle_timeout: Duration,
}

pub async fn run(ctx: &Context, args: BackupArgs) -> anyhow::Result<Exit> {
    let op = Backup {
        args,
        dry_run: ctx.dry_run,
        started: Instant::now(),
        loaded: None,
    };
    super::pipeline::run(ctx, op).await
}

struct Backup {
    args: BackupArgs,
    dry_run: bool,
    started: Instant,
    loaded: Option<Loaded>,
}

impl Operation for Backup {
    type Plan = BackupPlan;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<BackupPlan>> {
        let loaded = load(ctx, std::slice::from_ref(&self.args.entry)).await?;
        let plan = BackupPlan::new(&loaded.view, &self.args.dir);
        if plan.masters.is_empty() {
            return Err(
                TribError::BadInput("no master owns slots: nothing to back up".into()).into(),
            );
        }
        self.loaded = Some(loaded);
        Ok(Prepared::Plan(plan))
    }

    fn render(&self, plan: &BackupPlan) -> String {
        if self.dry_run {
            show::plan(plan)
        } else {
            String::new()
        }
    }

    /// Reads the cluster and writes local files only: nothing to confirm.
    fn question(&self, _: &BackupPlan) -> Option<String> {
        None
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &BackupPlan,
        _: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let loaded = kept(&self.loaded, "backup")?;
        let reporter = ctx.reporter();
        let layout = |files: &[_]| show::layout_json(&loaded.view, files);
        let done = run_backup(
            plan,
            &loaded.view,
            &ctx.connect,
            self.args.idle_timeout,
            &layout,
            &reporter,
        )
        .await?;
        ctx.printer
            .out(&show::result(plan, &done, self.started.elapsed()));
        for f in &done.failed {
            ctx.printer.warn(f);
        }
        let mut applied = Applied::done(show::result_json(plan, &done));
        applied.changed = false;
        if !done.failed.is_empty() {
            applied.exit = Exit::Failed;
        }
        Ok(applied)
    }
}
