//! `trib info`: masters with their slots, keys, replicas and memory, and resilience.

use clap::Args;
use serde_json::json;

use super::Context;
use super::load::load_with;
use crate::cluster::load::{Conns, InfoDetail};
use crate::error::Exit;
use crate::plan::resilience::analyze;
use crate::ui::render;

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Any nodes of the cluster: the first that answers is used
    #[arg(required = true, value_name = "ENTRY")]
    pub entries: Vec<String>,
}

pub async fn run(ctx: &Context, args: InfoArgs) -> anyhow::Result<Exit> {
    let loaded = load_with(ctx, &args.entries, InfoDetail::WithMemory, Conns::Close).await?;
    let view = &loaded.view;
    let masters = render::masters_json(view);
    let resilience = analyze(view);
    let losses = &resilience.single_domain_losses;
    ctx.printer.out(&render::masters_table(view));
    let total_keys: u64 = view.masters().iter().map(|m| m.keys()).sum();
    ctx.printer.out(&format!(
        "\n{} master(s), {} replica(s), {total_keys} key(s)",
        view.masters().len(),
        view.nodes.len() - view.masters().len()
    ));
    ctx.printer.out(&format!(
        "Resilience: {} failure domain(s); survives {} node failure(s) at once in the worst case ({} would stop it: {})",
        resilience.domains,
        resilience.max_node_failures_tolerated,
        resilience.max_node_failures_tolerated + 1,
        resilience.worst_case
    ));
    if losses.is_empty() {
        ctx.printer
            .out("Resilience: no single failure domain's loss would stop the cluster.");
    } else {
        for l in losses {
            ctx.printer.out(&format!(
                "Resilience: losing failure domain {} would stop the cluster: {}",
                l.domain, l.reason
            ));
        }
    }
    for u in &view.unreachable {
        ctx.printer.warn(&format!("{}: {}", u.label, u.error));
    }
    for u in &view.unlisted_entries {
        ctx.printer.warn(&format!(
            "{}: given as an entry, {}; no member lists this address",
            u.label, u.error
        ));
    }
    ctx.printer.json_doc(&json!({
        "masters": masters,
        "resilience": resilience,
        "unreachable": view.unreachable.iter().map(|u| json!({"node": u.label, "error": u.error})).collect::<Vec<_>>(),
        "unlisted_entries": view.unlisted_entries.iter().map(|u| json!({"node": u.label, "error": u.error})).collect::<Vec<_>>(),
    }));
    Ok(Exit::Ok)
}
