//! `trib call`: run one command on every node (or every master / replica), replies in a
//! table. A command the server flags as changing anything is a plan to confirm.

use clap::Args;
use serde_json::{Value, json};

use super::Context;
use super::load::load;
use super::pipeline::{Applied, Operation, Prepared};
use crate::cluster::Node;
use crate::cluster::command_info::Effect;
use crate::error::{Exit, TribError};
use crate::ops::broadcast::run_everywhere;
use crate::ops::undo::UndoLog;
use crate::ui::plan::call::{self as show, CallPlan, CallTarget};

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
    let op = Call {
        args,
        dry_run: ctx.dry_run,
        nodes: Vec::new(),
    };
    super::pipeline::run(ctx, op).await
}

struct Call {
    args: CallArgs,
    dry_run: bool,
    nodes: Vec<Node>,
}

impl Operation for Call {
    type Plan = CallPlan;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<CallPlan>> {
        let loaded = load(ctx, std::slice::from_ref(&self.args.entry)).await?;
        let (masters, replicas) = (self.args.masters, self.args.replicas);
        let (targets, nodes): (Vec<CallTarget>, Vec<Node>) = loaded
            .view
            .nodes
            .iter()
            .filter(|v| (!masters || v.is_master()) && (!replicas || !v.is_master()))
            .filter_map(|v| {
                let node = loaded.conns.get(&v.id)?.clone();
                Some((CallTarget::of(v), node))
            })
            .unzip();
        let Some(first) = nodes.first() else {
            return Err(TribError::BadInput("no node matches the selection".into()).into());
        };
        let effect = first
            .command_effect(&self.args.command)
            .await
            .unwrap_or_else(|e| {
                Effect::Changes(format!("the server's COMMAND INFO did not answer ({e})"))
            });
        self.nodes = nodes;
        Ok(Prepared::Plan(CallPlan {
            command: self.args.command.clone(),
            nodes: targets,
            effect,
            unreachable: loaded
                .view
                .unreachable
                .iter()
                .map(|u| format!("{}: {} (not called)", u.label, u.error))
                .collect(),
        }))
    }

    fn render(&self, plan: &CallPlan) -> String {
        if matches!(plan.effect, Effect::Changes(_)) || self.dry_run {
            show::plan(plan)
        } else {
            String::new()
        }
    }

    fn question(&self, plan: &CallPlan) -> Option<String> {
        matches!(plan.effect, Effect::Changes(_)).then(|| {
            format!(
                "Run `{}` on {} node(s)?",
                show::command_line(&plan.command),
                plan.nodes.len()
            )
        })
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &CallPlan,
        _: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let mut cmd = redis::cmd(&plan.command[0]);
        for a in &plan.command[1..] {
            cmd.arg(a);
        }
        let replies = run_everywhere(&self.nodes, &cmd).await;
        ctx.printer.out(&show::replies_table(plan, &replies));
        for u in &plan.unreachable {
            ctx.printer.warn(u);
        }
        let failed = replies.iter().filter(|r| r.is_err()).count();
        let exit = if failed == 0 && plan.unreachable.is_empty() {
            Exit::Ok
        } else {
            Exit::Failed
        };
        let rows: Vec<Value> = show::replies_json(plan, &replies);
        let mut applied = Applied::done(json!({"replies": rows, "failed": failed}));
        applied.exit = exit;
        applied.changed = matches!(plan.effect, Effect::Changes(_));
        Ok(applied)
    }
}
