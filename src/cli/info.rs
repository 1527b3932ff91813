//! `trib info`: masters with their slots, keys, replicas and memory, and resilience.

use clap::Args;
use serde_json::json;

use super::Context;
use super::check::load;
use crate::error::Exit;
use crate::plan::check::domain_losses;
use crate::ui::render;

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Any nodes of the cluster: the first that answers is used
    #[arg(required = true, value_name = "ENTRY")]
    pub entries: Vec<String>,
}

pub async fn run(ctx: &Context, args: InfoArgs) -> anyhow::Result<Exit> {
    let loaded = load(ctx, &args.entries).await?;
    let view = &loaded.view;
    let masters = render::masters_json(view);
    let losses = domain_losses(view);
    ctx.printer.out(&render::masters_table(view));
    let total_keys: u64 = view.masters().iter().map(|m| m.keys()).sum();
    ctx.printer.out(&format!(
        "\n{} master(s), {} replica(s), {total_keys} key(s)",
        view.masters().len(),
        view.nodes.len() - view.masters().len()
    ));
    if losses.is_empty() {
        ctx.printer
            .out("Resilience: no single failure domain's loss would stop the cluster.");
    } else {
        for l in &losses {
            ctx.printer.out(&format!(
                "Resilience: losing failure domain {} would stop the cluster: {}",
                l.domain, l.reason
            ));
        }
    }
    for u in &view.unreachable {
        ctx.printer.warn(&format!("{}: {}", u.label, u.error));
    }
    ctx.printer.json_doc(&json!({
        "masters": masters,
        "resilience": {
            "single_domain_losses": losses,
            "survives_any_single_domain_loss": losses.is_empty(),
        },
        "unreachable": view.unreachable.iter().map(|u| json!({"node": u.label, "error": u.error})).collect::<Vec<_>>(),
    }));
    Ok(Exit::Ok)
}
