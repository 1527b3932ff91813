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
use crate::plan::check::{Problem, ProblemKind, Severity, check};
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
        // What is waited for, and how many nodes are fine of how many.
        let (waiting_for, (fine, nodes)) = match &found {
            Ok(f) => (f.waiting_for(args.strict), f.fine_nodes(args.strict)),
            Err(e) => (Some(format!("{e:#}")), (0, 1)),
        };
        let Some(why) = waiting_for else {
            reporter.finish("");
            return Ok(report(ctx, &args, &found?, None));
        };
        if Instant::now() >= deadline {
            reporter.finish("");
            let found = found?;
            let still = format!("still not healthy after waiting {}: {why}", humantime(wait));
            report(ctx, &args, &found, Some(&still));
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

impl Found {
    fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }

    /// How many nodes no problem that `--wait` waits for names, of how many.
    fn fine_nodes(&self, strict: bool) -> (usize, usize) {
        let view = &self.loaded.view;
        let all = view.nodes.len() + view.unreachable.len();
        let named: std::collections::BTreeSet<&String> = self
            .problems
            .iter()
            .filter(|p| blocks_waiting(p, strict))
            .flat_map(|p| &p.nodes)
            .collect();
        (all.saturating_sub(named.len()), all)
    }

    /// What `--wait` still waits for (the first such problem), if anything.
    fn waiting_for(&self, strict: bool) -> Option<String> {
        self.problems
            .iter()
            .find(|p| blocks_waiting(p, strict))
            .map(|p| p.message.clone())
    }
}

/// Whether `--wait` waits for `problem` to go: every error, a replica not yet in sync
/// (what a restarted pod goes through last), and with `--strict` every warning.
fn blocks_waiting(problem: &Problem, strict: bool) -> bool {
    strict
        || problem.severity == Severity::Error
        || matches!(
            problem.kind,
            ProblemKind::ReplicaSyncing | ProblemKind::ReplicaLinkDown
        )
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

/// Prints what was found (and `still`, what a `--wait` ran out of time waiting for);
/// returns the exit code.
fn report(ctx: &Context, args: &CheckArgs, found: &Found, still: Option<&str>) -> Exit {
    let (loaded, problems) = (&found.loaded, &found.problems);
    let errors = found.errors();
    let warnings = problems.len() - errors;
    let healthy = errors == 0;

    ctx.printer.out(&render::nodes_table(&loaded.view));
    if !problems.is_empty() {
        ctx.printer
            .out(&format!("\n{}", render::problems(problems)));
    }
    ctx.printer.out(&format!(
        "\n{}: {} node(s), {errors} error(s), {warnings} warning(s)",
        if healthy {
            "[OK] healthy"
        } else {
            "[ERR] not healthy"
        },
        loaded.view.nodes.len() + loaded.view.unreachable.len(),
    ));
    if let Some(still) = still {
        ctx.printer.out(&format!("[ERR] {still}"));
    }
    if ctx.printer.json {
        ctx.printer.json_doc(&json!({
            "healthy": healthy,
            "nodes": render::nodes_json(&loaded.view),
            "problems": problems,
            "resilience": crate::plan::resilience::analyze(&loaded.view),
            "errors": errors,
            "warnings": warnings,
        }));
    }
    if !healthy || (args.strict && warnings > 0) {
        Exit::Failed
    } else {
        Exit::Ok
    }
}

/// `90s` as "1m30s", `2.5s` as "2.5s".
fn humantime(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 60.0 && d.subsec_nanos() == 0 {
        let (m, s) = (d.as_secs() / 60, d.as_secs() % 60);
        if s == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{s}s")
        }
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(kind: ProblemKind, severity: Severity) -> Problem {
        Problem {
            kind,
            severity,
            message: String::new(),
            nodes: Vec::new(),
            slots: None,
        }
    }

    #[test]
    fn waiting_waits_for_errors_and_replicas_in_sync() {
        use ProblemKind as K;
        use Severity::{Error, Warning};
        assert!(blocks_waiting(&problem(K::OpenSlot, Error), false));
        assert!(blocks_waiting(&problem(K::ReplicaSyncing, Warning), false));
        assert!(blocks_waiting(&problem(K::ReplicaLinkDown, Warning), false));
        assert!(!blocks_waiting(&problem(K::ReplicasUneven, Warning), false));
        assert!(blocks_waiting(&problem(K::ReplicasUneven, Warning), true));
    }

    #[test]
    fn waits_are_said_in_minutes_and_seconds() {
        assert_eq!(humantime(Duration::from_secs(90)), "1m30s");
        assert_eq!(humantime(Duration::from_secs(600)), "10m");
        assert_eq!(humantime(Duration::from_millis(2500)), "2.5s");
    }
}
