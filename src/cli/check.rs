//! `trib check`: load the whole cluster from any answering entry, report every problem.

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;

use super::Context;
use super::load::load_with;
use super::operation::Applied;
use crate::addr::Target;
use crate::cluster::load::{Conns, InfoDetail, Loaded, load_cluster};
use crate::error::{Exit, TribError};
use crate::ops::scan::deep_scan;
use crate::ops::{Reporter, interrupt};
use crate::plan::check::{
    PASSING_GRACE, Problem, ProblemKind, Severity, check, only_passing_states, waiting_for,
};
use crate::ui::render;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Any nodes of the cluster: the first that answers is used
    #[arg(required = true, value_name = "ENTRY")]
    pub entries: Vec<String>,
    /// Also look for keys in slots their master does not own (one COUNTKEYSINSLOT per slot)
    #[arg(long)]
    pub deep: bool,
    /// Exit 1 on warnings too
    #[arg(long)]
    pub strict: bool,
    /// Check again until the cluster is healthy and every replica is in sync with its
    /// master (a restarted pod is unreachable, then failed in the others' views, then
    /// syncing), for up to DUR; exit 1 if it is not by then
    #[arg(long, value_name = "DUR", value_parser = super::parse_duration)]
    pub wait: Option<Duration>,
}

/// How often `--wait` checks again.
const RECHECK: Duration = Duration::from_millis(500);

/// After a change: `trib check`'s checks on the cluster at `entries`, except the kinds
/// in `expected`, printed and added to the JSON as `problems`; an error makes the exit 1.
pub async fn verify(
    ctx: &Context,
    entries: &[Target],
    expected: &[ProblemKind],
    applied: &mut Applied,
) -> anyhow::Result<()> {
    // Looked at again for a moment while the only errors are passing states: suspicions
    // (`fail?`) of a node that was busy during the change, or a handshake still under way.
    let until = Instant::now() + PASSING_GRACE;
    let problems = loop {
        let mut loaded = load_cluster(entries, &ctx.connect)
            .await
            .map_err(|e| TribError::failed("cannot verify the result", e))?;
        ctx.assign_domains(loaded.view.nodes.iter_mut(), entries)
            .await
            .map_err(|e| TribError::failed("cannot verify the result", e))?;
        let problems: Vec<Problem> = check(&loaded.view, None)
            .into_iter()
            .filter(|p| !expected.contains(&p.kind))
            .collect();
        if !only_passing_states(&problems) || Instant::now() >= until {
            break problems;
        }
        tokio::time::sleep(RECHECK.min(until - Instant::now())).await;
    };
    if !problems.is_empty() {
        ctx.printer.out(&render::problems(&problems));
    }
    if problems.iter().any(|p| p.severity == Severity::Error) {
        applied.exit = Exit::Failed;
    }
    applied
        .json
        .insert("problems".into(), serde_json::to_value(&problems)?);
    Ok(())
}

pub async fn run(ctx: &Context, args: CheckArgs) -> anyhow::Result<Exit> {
    let Some(wait) = args.wait else {
        let found = examine(ctx, &args).await?;
        return Ok(report(ctx, &args, &found, None));
    };
    interrupt::install();
    let deadline = Instant::now() + wait;
    let reporter = ctx.reporter();
    loop {
        let found = examine(ctx, &args).await;
        let (why, fine, nodes) = match &found {
            Ok(f) => {
                let (holding, fine, nodes) = waiting_for(&f.loaded.view, &f.problems, args.strict);
                (holding.map(|p| p.message.clone()), fine, nodes)
            }
            Err(e) => (Some(format!("{e:#}")), 0, 1),
        };
        let Some(why) = why else {
            reporter.finish("");
            return Ok(report(ctx, &args, &found?, None));
        };
        if Instant::now() >= deadline {
            reporter.finish("");
            let still = format!(
                "still not healthy after waiting {}: {why}",
                render::duration(wait)
            );
            report(ctx, &args, &found?, Some(&still));
            return Ok(Exit::Failed);
        }
        reporter.progress("waiting for the cluster to be healthy", fine, nodes, &why);
        tokio::select! {
            _ = tokio::time::sleep(RECHECK.min(deadline - Instant::now())) => {}
            sig = interrupt::wait() => {
                reporter.finish("");
                return Err(super::guarded::stopped(sig, &format!("stopped waiting: {why}")).into());
            }
        }
    }
}

/// One look at the cluster: its view and what `check` finds in it.
struct Found {
    loaded: Loaded,
    problems: Vec<Problem>,
}

async fn examine(ctx: &Context, args: &CheckArgs) -> anyhow::Result<Found> {
    // Only --deep talks to the nodes again; otherwise each connection is closed as soon
    // as its node has answered.
    let conns = if args.deep { Conns::Keep } else { Conns::Close };
    let loaded = load_with(ctx, &args.entries, InfoDetail::Basic, conns).await?;
    let deep = if args.deep {
        Some(deep_scan(&loaded).await?)
    } else {
        None
    };
    let problems = check(&loaded.view, deep.as_ref());
    Ok(Found { loaded, problems })
}

/// Prints what was found (and `still`: what a `--wait` ran out of time waiting for);
/// returns the exit code.
fn report(ctx: &Context, args: &CheckArgs, found: &Found, still: Option<&str>) -> Exit {
    let (view, problems) = (&found.loaded.view, &found.problems);
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    ctx.printer.out(&render::nodes_table(view));
    if !problems.is_empty() {
        ctx.printer
            .out(&format!("\n{}", render::problems(problems)));
    }
    let nodes = view.nodes.len() + view.unreachable.len();
    ctx.printer
        .out(&format!("\n{}", render::check_summary(nodes, problems)));
    if let Some(still) = still {
        ctx.printer.out(&format!("[ERR] {still}"));
    }
    if ctx.printer.json {
        ctx.printer.json_doc(&json!({
            "healthy": errors == 0,
            "nodes": render::nodes_json(view),
            "problems": problems,
            "resilience": crate::plan::resilience::analyze(view),
            "errors": errors,
            "warnings": warnings,
        }));
    }
    if errors > 0 || (args.strict && warnings > 0) {
        Exit::Failed
    } else {
        Exit::Ok
    }
}
