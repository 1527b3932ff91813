//! The one driver every command that changes a cluster goes through:
//!
//! prepare (load, pre-flight, plan) → render → `--dry-run` stop or confirm → apply →
//! verify → report (the human lines and one JSON document with `plan` and `changed`).
//! A command whose result is the cluster's state (`fix`) may find nothing to change and
//! still show its plan and verify ([`Prepared::Check`]), `--dry-run` or not.
//!
//! A subcommand supplies an [`Operation`]: its planner and its applier. `--dry-run`,
//! confirmation (`--yes`, exit 3 without a terminal), SIGINT/SIGTERM and the undoing of
//! temporary changes are properties of this driver, not of each command.
//!
//! Signals: from the start of `prepare`, SIGINT and SIGTERM no longer kill trib.
//! Before anything changed, trib exits at once. While applying, the work stops at its
//! next safe point: at once for operations that a re-run completes from any point (the
//! default), or, for those with safe points of their own ([`Operation::SAFE_POINTS`]),
//! when they reach one (at most [`super::guarded::GRACE`], or a second signal). Then every temporary
//! change still registered in the [`UndoLog`] is undone and trib exits 130 / 143.
//! `verify` only reads: a signal stops it at once.

use serde_json::{Map, Value};

use super::Context;
use super::guarded;
pub use super::operation::{Applied, Operation, Prepared, Shown, into_map, kept};
use crate::error::Exit;
use crate::ops::interrupt;

/// Runs `op` through the pipeline and returns the exit code.
pub async fn run<O: Operation>(ctx: &Context, mut op: O) -> anyhow::Result<Exit> {
    interrupt::install();
    let prepared = tokio::select! {
        biased;
        sig = interrupt::wait() => return Err(guarded::stopped(sig, "nothing was changed").into()),
        r = op.prepare(ctx) => r?,
    };
    let (plan, nothing, check) = match prepared {
        Prepared::Nothing { plan, message } => (plan, Some(message), false),
        Prepared::Plan(plan) => (plan, None, false),
        Prepared::Check(plan) => (plan, None, true),
    };
    let mut doc = Map::new();
    doc.insert("plan".into(), op.plan_json(&plan));
    doc.extend(op.summary_json(&plan));
    if let Some(message) = nothing {
        ctx.printer.out(&message);
        return Ok(finish(ctx, doc, false, Map::new(), Exit::Ok));
    }
    ctx.printer.show(&op.show(&plan));
    if check {
        let mut applied = Applied {
            exit: Exit::Ok,
            changed: false,
            json: Map::new(),
        };
        verify(ctx, &mut op, &plan, &mut applied, "nothing was changed").await?;
        return Ok(finish(ctx, doc, false, applied.json, applied.exit));
    }
    if ctx.dry_run {
        ctx.printer.status("Dry run: nothing was changed.");
        return Ok(finish(ctx, doc, false, Map::new(), Exit::Ok));
    }
    if let Some(question) = op.question(&plan) {
        crate::ui::confirm(ctx.yes, &question)?;
    }
    if let Some(sig) = interrupt::requested() {
        return Err(guarded::stopped(sig, "nothing was changed").into());
    }

    let mut applied = guarded::apply(ctx, &mut op, &plan).await?;
    let after =
        "the changes were applied; stopped while checking the result (`trib check` shows it)";
    verify(ctx, &mut op, &plan, &mut applied, after).await?;
    let Applied {
        exit,
        changed,
        json,
    } = applied;
    Ok(finish(ctx, doc, changed, json, exit))
}

/// [`Operation::verify`], stopped at once by a signal (it only reads).
async fn verify<O: Operation>(
    ctx: &Context,
    op: &mut O,
    plan: &O::Plan,
    applied: &mut Applied,
    what: &str,
) -> anyhow::Result<()> {
    tokio::select! {
        biased;
        sig = interrupt::wait() => Err(guarded::stopped(sig, what).into()),
        r = op.verify(ctx, plan, applied) => r,
    }
}

fn finish(
    ctx: &Context,
    mut doc: Map<String, Value>,
    changed: bool,
    extra: Map<String, Value>,
    exit: Exit,
) -> Exit {
    doc.insert("changed".into(), Value::Bool(changed));
    doc.extend(extra);
    ctx.printer.json_doc(&Value::Object(doc));
    exit
}
