//! `trib check`: load the whole cluster from any answering entry, report every problem.

use clap::Args;
use serde_json::json;

use super::Context;
use super::load::load_with;
use super::operation::Applied;
use crate::addr::Target;
use crate::cluster::load::{Conns, InfoDetail, load_cluster};
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
