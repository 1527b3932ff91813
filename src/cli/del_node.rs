//! `trib del-node`: load → find NODE → plan → show → confirm → apply → verify.

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;

use super::Context;
use super::check::load;
use crate::error::{Exit, TribError};
use crate::ops::Reporter;
use crate::ops::del_node::apply;
use crate::plan::membership_del::{DelKind, DelPlan, plan_del};
use crate::plan::select::{MIN_PREFIX, find_member};
use crate::ui::render;

#[derive(Debug, Args)]
pub struct DelNodeArgs {
    /// Any node of the cluster
    pub entry: String,
    /// The node to remove: address, node ID or unambiguous ID prefix
    pub node: String,
    /// Deadline for each wait (replica sync, every member forgetting the node)
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_duration)]
    pub timeout: Duration,
}

pub async fn run(ctx: &Context, args: DelNodeArgs) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let loaded = load(ctx, std::slice::from_ref(&args.entry)).await?;
    let view = &loaded.view;

    // NODE: an ID (prefix) first; otherwise an address to resolve.
    let looks_like_id =
        args.node.len() >= MIN_PREFIX && args.node.bytes().all(|b| b.is_ascii_hexdigit());
    let by_id = if looks_like_id {
        find_member(view, &args.node, &[]).ok()
    } else {
        None
    };
    let target = match by_id {
        Some(id) => id,
        None => {
            let addrs: Vec<_> = match ctx.resolve(std::slice::from_ref(&args.node)).await {
                Ok(t) => t.into_iter().map(|t| t.addr).collect(),
                Err(_) if looks_like_id => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            find_member(view, &args.node, &addrs).map_err(|e| TribError::BadInput(e.to_string()))?
        }
    };
    if view.node(&target).is_some() && view.nodes.len() == 1 {
        return Err(TribError::BadInput(format!(
            "{}: it is the only reachable member; there is no cluster to remove it from",
            args.node
        ))
        .into());
    }

    let plan = plan_del(view, &target).map_err(|r| TribError::BadInput(r.join("\n")))?;
    let plan_json = plan_json(&plan);
    ctx.printer.out(&render_plan(&plan));
    for w in &plan.warnings {
        ctx.printer.warn(w);
    }
    if ctx.dry_run {
        ctx.printer.status("Dry run: nothing was changed.");
        ctx.printer
            .json_doc(&json!({"plan": plan_json, "changed": false}));
        return Ok(Exit::Ok);
    }
    ctx.confirm(&format!("Remove {} from the cluster?", plan.label))?;

    let reporter = ctx.reporter();
    let timings = apply(&plan, &loaded.conns, args.timeout, &reporter)
        .await
        .map_err(|e| TribError::Failed(format!("del-node did not finish: {e}")))?;
    let elapsed = started.elapsed();
    reporter.finish(&format!(
        "{} ({}) removed: forgotten by {} node(s){} in {:.2}s",
        plan.label,
        plan.id.short(),
        plan.forget_on.len(),
        if plan.reset {
            ", reset to an empty node"
        } else {
            ""
        },
        elapsed.as_secs_f64()
    ));
    if plan.kind == DelKind::Unreachable {
        ctx.printer.status(&format!(
            "If {} comes back, CLUSTER RESET it before reusing it: it still believes it is a member.",
            plan.label
        ));
    }
    ctx.printer.json_doc(&json!({
        "plan": plan_json,
        "changed": true,
        "elapsed_ms": elapsed.as_millis(),
        "timings": timings,
    }));
    Ok(Exit::Ok)
}

fn render_plan(plan: &DelPlan) -> String {
    let mut rows = Vec::new();
    for r in &plan.repoint {
        rows.push(vec![
            "replicate".into(),
            r.replica_label.clone(),
            format!(
                "follow {} ({}){}",
                r.to_label,
                r.to.short(),
                if r.same_domain {
                    " [same failure domain: no other choice]"
                } else {
                    ""
                }
            ),
        ]);
    }
    for f in &plan.forget_on {
        rows.push(vec![
            "forget".into(),
            f.label.clone(),
            format!("CLUSTER FORGET {}", plan.id.short()),
        ]);
    }
    if plan.reset {
        rows.push(vec![
            "reset".into(),
            plan.label.clone(),
            "CLUSTER RESET HARD (new ID, knows nobody, data flushed)".into(),
        ]);
    }
    let how = match plan.kind {
        DelKind::Reachable => "reachable and empty",
        DelKind::Unreachable => "failed or unreachable: forget it on every reachable member",
    };
    format!(
        "Plan: remove {} {} ({}), {how}:\n\n{}",
        plan.role,
        plan.label,
        plan.id.short(),
        render::table(&["STEP", "NODE", "ACTION"], rows)
    )
}

fn plan_json(plan: &DelPlan) -> serde_json::Value {
    json!({
        "node": plan.label,
        "id": plan.id,
        "role": plan.role,
        "kind": plan.kind,
        "repoint": plan.repoint,
        "forget_on": plan.forget_on,
        "reset": if plan.reset { Some("hard") } else { None },
        "warnings": plan.warnings,
    })
}
