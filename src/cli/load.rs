//! Loading the cluster a command works on, from its ENTRY (or NODE) arguments: resolved,
//! loaded from the first that answers, failure domains assigned. No entry answering is
//! bad input (exit 2), nothing changed.

use super::Context;
use crate::cluster::load::{Conns, InfoDetail, Loaded, NoEntry, load_cluster_with};
use crate::error::TribError;

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
    let no_answer = |e: NoEntry| format!("no entry node answered: {e}");
    load_reporting(ctx, entries, detail, conns, no_answer).await
}

/// [`load`] from the one node `arg` names (a command's NODE): when it does not answer,
/// the error says to name another with `--entry ENTRY`.
pub async fn load_from_node(ctx: &Context, arg: &str) -> Result<Loaded, TribError> {
    let no_answer = |e: NoEntry| {
        format!("{e}; if this node is down, name any other node of the cluster with --entry ENTRY")
    };
    let entries = [arg.to_string()];
    load_reporting(ctx, &entries, InfoDetail::Basic, Conns::Keep, no_answer).await
}

/// [`load_with`], saying with `no_answer` that no entry answered.
async fn load_reporting(
    ctx: &Context,
    entries: &[String],
    detail: InfoDetail,
    conns: Conns,
    no_answer: impl FnOnce(NoEntry) -> String,
) -> Result<Loaded, TribError> {
    let targets = ctx.resolve(entries).await?;
    let mut loaded = load_cluster_with(&targets, &ctx.connect, detail, conns)
        .await
        .map_err(|e| TribError::BadInput(no_answer(e)))?;
    ctx.assign_domains(loaded.view.nodes.iter_mut(), &targets)
        .await?;
    Ok(loaded)
}
