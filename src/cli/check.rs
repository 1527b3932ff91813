//! `trib check`: load the whole cluster from any answering entry, report every problem.

use clap::Args;
use serde_json::json;

use super::Context;
use super::operation::Applied;
use crate::addr::Target;
use crate::cluster::load::{Conns, InfoDetail, Loaded, load_cluster, load_cluster_with};
use crate::error::{Exit, TribError};
use crate::ops::scan::deep_scan;
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
}

/// Resolves ENTRY arguments and loads the cluster; no entry answering is bad input.
pub async fn load(ctx: &Context, entries: &[String]) -> Result<Loaded, TribError> {
    load_with(ctx, entries, InfoDetail::Basic, Conns::Keep).await
}

/// [`load`] of a cluster about to have slots moved: any problem that makes moving slots
/// unsafe (`plan::reshard::health_problems`) is bad input, nothing changed.
pub async fn load_healthy(ctx: &Context, entry: &str) -> Result<Loaded, TribError> {
    let loaded = load(ctx, std::slice::from_ref(&entry.to_string())).await?;
    let problems = crate::plan::reshard::health_problems(&loaded.view);
    if !problems.is_empty() {
        return Err(TribError::BadInput(format!(
            "{}\nthe cluster is not healthy: repair it first with `trib fix {entry}`; nothing was changed",
            problems.join("\n")
        )));
    }
    Ok(loaded)
}

/// [`load`], asking every node for `detail` of `INFO` and keeping or closing the
/// connections as `conns` says.
pub async fn load_with(
    ctx: &Context,
    entries: &[String],
    detail: InfoDetail,
    conns: Conns,
) -> Result<Loaded, TribError> {
    let targets = ctx.resolve(entries).await?;
    let mut loaded = load_cluster_with(&targets, &ctx.connect, detail, conns)
        .await
        .map_err(|e| TribError::BadInput(format!("no entry node answered: {e}")))?;
    ctx.assign_domains(loaded.view.nodes.iter_mut(), &targets)
        .await?;
    Ok(loaded)
}

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
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    let healthy = errors == 0;

    ctx.printer.out(&render::nodes_table(&loaded.view));
    if !problems.is_empty() {
        ctx.printer
            .out(&format!("\n{}", render::problems(&problems)));
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
    Ok(if !healthy || (args.strict && warnings > 0) {
        Exit::Failed
    } else {
        Exit::Ok
    })
}
