//! `trib call`: run one command on every node (or every master / replica), replies in a table.

use clap::Args;
use serde_json::json;

use super::Context;
use super::check::load;
use crate::cluster::Node;
use crate::error::{Exit, TribError};
use crate::ops::broadcast::{reply_json, reply_text, run_everywhere};
use crate::ui::render;

#[derive(Debug, Args)]
pub struct CallArgs {
    /// Any node of the cluster
    pub entry: String,
    /// Only masters
    #[arg(long, conflicts_with = "replicas")]
    pub masters: bool,
    /// Only replicas
    #[arg(long)]
    pub replicas: bool,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

pub async fn run(ctx: &Context, args: CallArgs) -> anyhow::Result<Exit> {
    let loaded = load(ctx, std::slice::from_ref(&args.entry)).await?;
    let selected: Vec<(&crate::model::view::NodeView, Node)> = loaded
        .view
        .nodes
        .iter()
        .filter(|v| (!args.masters || v.is_master()) && (!args.replicas || !v.is_master()))
        .filter_map(|v| loaded.conns.get(&v.id).map(|c| (v, c.clone())))
        .collect();
    if selected.is_empty() {
        return Err(TribError::BadInput("no node matches the selection".into()).into());
    }
    let mut cmd = redis::cmd(&args.command[0]);
    for a in &args.command[1..] {
        cmd.arg(a);
    }
    let nodes: Vec<Node> = selected.iter().map(|(_, n)| n.clone()).collect();
    let replies = run_everywhere(&nodes, &cmd).await;

    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    let mut failed = 0;
    for ((v, _), reply) in selected.iter().zip(&replies) {
        let role = if v.is_master() { "master" } else { "replica" };
        match reply {
            Ok(value) => {
                rows.push(vec![v.label.clone(), role.into(), reply_text(value)]);
                json_rows.push(
                    json!({"node": v.label, "id": v.id, "role": role, "reply": reply_json(value)}),
                );
            }
            Err(e) => {
                failed += 1;
                rows.push(vec![
                    v.label.clone(),
                    role.into(),
                    format!("(error) {}", e.reason()),
                ]);
                json_rows
                    .push(json!({"node": v.label, "id": v.id, "role": role, "error": e.reason()}));
            }
        }
    }
    ctx.printer
        .out(&render::table(&["NODE", "ROLE", "REPLY"], rows));
    for u in &loaded.view.unreachable {
        ctx.printer
            .warn(&format!("{}: {} (not called)", u.label, u.error));
    }
    ctx.printer
        .json_doc(&json!({"replies": json_rows, "failed": failed}));
    Ok(if failed == 0 && loaded.view.unreachable.is_empty() {
        Exit::Ok
    } else {
        Exit::Failed
    })
}
