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
//! when they reach one (at most [`GRACE`], or a second signal). Then every temporary
//! change still registered in the [`UndoLog`] is undone and trib exits 130 / 143.
//! `verify` only reads: a signal stops it at once.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use super::Context;
use crate::error::{Exit, TribError};
use crate::ops::interrupt::{self, Signal};
use crate::ops::undo::UndoLog;
pub use crate::ui::plan::Shown;

/// How long an operation with safe points may take to reach one after a signal.
pub const GRACE: Duration = Duration::from_secs(10);

/// What `prepare` found.
pub enum Prepared<P> {
    /// Nothing to change: `message` is printed, exit 0, `changed: false`.
    Nothing { plan: P, message: String },
    /// A plan to show, confirm and apply.
    Plan(P),
    /// Nothing to change, but the plan is shown and `verify` runs (with `--dry-run`
    /// too, which then prints no "Dry run" line) and decides the exit code;
    /// `changed: false`. For commands whose result is the cluster's state.
    Check(P),
}

/// What `apply` did.
pub struct Applied {
    pub exit: Exit,
    /// Whether anything changed (the JSON document's `changed`).
    pub changed: bool,
    /// Keys of the JSON document besides `plan` and `changed`.
    pub json: Map<String, Value>,
}

impl Applied {
    /// Changed, with these extra JSON keys; exit 0.
    pub fn done(json: Value) -> Applied {
        Applied {
            exit: Exit::Ok,
            changed: true,
            json: into_map(json),
        }
    }
}

/// A command that changes a cluster, as the driver sees it.
pub trait Operation {
    type Plan: Serialize;

    /// Whether `apply` stops on its own at safe points ([`interrupt::check`]). Without
    /// them, a signal drops the work at once: only for work that a re-run completes
    /// from any point.
    const SAFE_POINTS: bool = false;

    /// Loads, checks and plans. Changes nothing: every error is bad input (exit 2) or a
    /// failure to read the cluster.
    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<Self::Plan>>;

    /// The plan for a person (a table and a few lines); empty: nothing worth showing.
    fn render(&self, plan: &Self::Plan) -> String;

    /// Things worth knowing about the plan that do not stop it: printed as warnings
    /// (stderr) right after the rendered plan, also with `--dry-run`.
    fn warnings(&self, _plan: &Self::Plan) -> Vec<String> {
        Vec::new()
    }

    /// The plan as printed: [`Self::render`]'s text, then [`Self::warnings`]. Override
    /// to print warnings between parts of the plan.
    fn show(&self, plan: &Self::Plan) -> Vec<Shown> {
        let mut shown = vec![Shown::Out(self.render(plan))];
        shown.extend(self.warnings(plan).into_iter().map(Shown::Warn));
        shown
    }

    /// The confirmation question; `None` when the plan changes nothing that needs one.
    fn question(&self, plan: &Self::Plan) -> Option<String>;

    /// The JSON document's `plan`.
    fn plan_json(&self, plan: &Self::Plan) -> Value {
        serde_json::to_value(plan).unwrap_or(Value::Null)
    }

    /// Keys every JSON document of this command has (dry run and nothing-to-do too).
    fn summary_json(&self, _plan: &Self::Plan) -> Map<String, Value> {
        Map::new()
    }

    /// Applies the plan. Temporary changes are registered in `undo` before they are made.
    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &Self::Plan,
        undo: &UndoLog,
    ) -> anyhow::Result<Applied>;

    /// Checks the result after the temporary changes were undone; may add to `applied`.
    async fn verify(
        &mut self,
        _ctx: &Context,
        _plan: &Self::Plan,
        _applied: &mut Applied,
    ) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Runs `op` through the pipeline and returns the exit code.
pub async fn run<O: Operation>(ctx: &Context, mut op: O) -> anyhow::Result<Exit> {
    interrupt::install();
    let prepared = tokio::select! {
        biased;
        sig = interrupt::wait() => return Err(stopped(sig, "nothing was changed").into()),
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
    for shown in op.show(&plan) {
        match shown {
            Shown::Out(text) if text.is_empty() => {}
            Shown::Out(text) => ctx.printer.out(&text),
            Shown::Warn(text) => ctx.printer.warn(&text),
        }
    }
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
        return Err(stopped(sig, "nothing was changed").into());
    }

    let undo = UndoLog::new();
    let outcome = {
        let work = op.apply(ctx, &plan, &undo);
        tokio::pin!(work);
        tokio::select! {
            biased;
            r = &mut work => Ok(r),
            sig = interrupt::wait() => {
                if O::SAFE_POINTS {
                    tokio::select! {
                        r = &mut work => match r {
                            Err(e) if e.downcast_ref::<interrupt::Interrupted>().is_some() => Err(sig),
                            r => Ok(r),
                        },
                        _ = interrupt::wait_for_request(2) => Err(sig),
                        _ = tokio::time::sleep(GRACE) => Err(sig),
                    }
                } else {
                    Err(sig)
                }
            }
        }
    };
    // On every way out: what the work left temporarily changed is put back.
    let failed = undo.undo_all().await;
    for f in &failed {
        ctx.printer
            .warn(&format!("{f}; re-run the same command to put it back"));
    }
    let mut applied = match outcome {
        Err(sig) => {
            let undone = if failed.is_empty() {
                "temporary changes were undone"
            } else {
                "some temporary changes could not be undone (see above)"
            };
            return Err(stopped(
                sig,
                &format!(
                    "stopped while applying; {undone}; re-run the same command to complete it"
                ),
            )
            .into());
        }
        Ok(r) => r?,
    };
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
        sig = interrupt::wait() => Err(stopped(sig, what).into()),
        r = op.verify(ctx, plan, applied) => r,
    }
}

fn stopped(sig: Signal, what: &str) -> TribError {
    TribError::Interrupted {
        signal: sig,
        message: format!("interrupted by {}: {what}", sig.name()),
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

/// A JSON object's keys (anything else becomes `{"result": value}`).
pub fn into_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => {
            let mut m = Map::new();
            m.insert("result".into(), other);
            m
        }
    }
}
