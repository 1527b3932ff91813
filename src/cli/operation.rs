//! What a subcommand that changes a cluster supplies to the driver
//! ([`super::pipeline::run`]): an [`Operation`], its planner and its applier.

use serde::Serialize;
use serde_json::{Map, Value};

use super::Context;
use crate::error::{Exit, TribError};
use crate::ops::undo::UndoLog;
pub use crate::ui::plan::Shown;

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

impl<P> Prepared<P> {
    /// [`Prepared::Nothing`] when `nothing` says the plan changes nothing (`message`
    /// says so to a person), else [`Prepared::Plan`].
    pub fn unless(
        plan: P,
        nothing: impl FnOnce(&P) -> bool,
        message: impl FnOnce(&P) -> String,
    ) -> Prepared<P> {
        if nothing(&plan) {
            let message = message(&plan);
            Prepared::Nothing { plan, message }
        } else {
            Prepared::Plan(plan)
        }
    }
}

/// What `prepare` kept for `apply` (the loaded cluster, say). Missing only through a
/// bug in the command: a failure, naming the `command`.
pub fn kept<'a, T>(kept: &'a Option<T>, command: &str) -> Result<&'a T, TribError> {
    kept.as_ref()
        .ok_or_else(|| TribError::Failed(format!("{command}: the cluster was not loaded")))
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
