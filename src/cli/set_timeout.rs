//! `trib set-timeout`: `cluster-node-timeout` everywhere, persisted with CONFIG REWRITE.

use clap::Args;
use futures::future::join_all;
use serde_json::json;

use super::Context;
use super::load::load;
use super::pipeline::{Applied, Operation, Prepared};
use crate::cluster::Node;
use crate::error::{Exit, TribError};
use crate::ops::set_timeout::set_everywhere;
use crate::ops::undo::UndoLog;
use crate::plan::set_timeout::{NodeTimeout, SetTimeoutPlan, refuse};
use crate::ui::plan::set_timeout as show;

#[derive(Debug, Args)]
pub struct SetTimeoutArgs {
    /// Any node of the cluster
    pub entry: String,
    /// The new cluster-node-timeout in milliseconds
    pub ms: u64,
}

pub async fn run(ctx: &Context, args: SetTimeoutArgs) -> anyhow::Result<Exit> {
    let op = SetTimeout {
        args,
        nodes: Vec::new(),
    };
    super::pipeline::run(ctx, op).await
}

struct SetTimeout {
    args: SetTimeoutArgs,
    nodes: Vec<Node>,
}

impl Operation for SetTimeout {
    type Plan = SetTimeoutPlan;

    async fn prepare(&mut self, ctx: &Context) -> anyhow::Result<Prepared<SetTimeoutPlan>> {
        let ms = self.args.ms;
        if let Some(why) = refuse(ms) {
            return Err(TribError::BadInput(why.to_string()).into());
        }
        let loaded = load(ctx, std::slice::from_ref(&self.args.entry)).await?;
        if let Some(u) = loaded.view.unreachable.first() {
            return Err(TribError::BadInput(format!(
                "{}: {}; every node must be reachable to change the timeout everywhere",
                u.label, u.error
            ))
            .into());
        }
        self.nodes = loaded
            .view
            .nodes
            .iter()
            .filter_map(|v| loaded.conns.get(&v.id).cloned())
            .collect();
        let current = join_all(self.nodes.iter().map(|n| n.node_timeout())).await;
        let nodes = self
            .nodes
            .iter()
            .zip(current)
            .map(|(n, c)| NodeTimeout {
                node: n.label.clone(),
                current_ms: c.map_or_else(|| "?".into(), |c| c.to_string()),
            })
            .collect();
        Ok(Prepared::Plan(SetTimeoutPlan {
            timeout_ms: ms,
            nodes,
        }))
    }

    fn render(&self, plan: &SetTimeoutPlan) -> String {
        show::plan(plan)
    }

    fn question(&self, _: &SetTimeoutPlan) -> Option<String> {
        Some("Apply?".into())
    }

    async fn apply(
        &mut self,
        ctx: &Context,
        plan: &SetTimeoutPlan,
        _: &UndoLog,
    ) -> anyhow::Result<Applied> {
        let results = set_everywhere(&self.nodes, plan.timeout_ms).await;
        let failures = show::failures(&results);
        for f in &failures {
            ctx.printer.warn(f);
        }
        if failures.is_empty() {
            ctx.printer.status(&format!(
                "[OK] cluster-node-timeout is {} ms on all {} node(s), persisted",
                plan.timeout_ms,
                results.len()
            ));
        }
        let mut applied = Applied::done(json!({"results": show::results_json(&results)}));
        if !failures.is_empty() {
            applied.exit = Exit::Failed;
        }
        Ok(applied)
    }
}
