//! `trib set-timeout`: `cluster-node-timeout` everywhere, persisted with CONFIG REWRITE.

use clap::Args;
use serde_json::json;

use super::Context;
use super::check::load;
use crate::cluster::Node;
use crate::error::{Exit, TribError};
use crate::ops::broadcast::run_everywhere;
use crate::ui::render;

/// Below this, nodes flap between ok and failed on any scheduling hiccup.
const MIN_TIMEOUT_MS: u64 = 100;

#[derive(Debug, Args)]
pub struct SetTimeoutArgs {
    /// Any node of the cluster
    pub entry: String,
    /// The new cluster-node-timeout in milliseconds
    pub ms: u64,
}

pub async fn run(ctx: &Context, args: SetTimeoutArgs) -> anyhow::Result<Exit> {
    if args.ms < MIN_TIMEOUT_MS {
        return Err(TribError::BadInput(format!(
            "cluster-node-timeout {} ms is too low: at least {MIN_TIMEOUT_MS} ms (nodes would flap between ok and fail)",
            args.ms
        ))
        .into());
    }
    let loaded = load(ctx, std::slice::from_ref(&args.entry)).await?;
    if let Some(u) = loaded.view.unreachable.first() {
        return Err(TribError::BadInput(format!(
            "{}: {}; every node must be reachable to change the timeout everywhere",
            u.label, u.error
        ))
        .into());
    }
    let nodes: Vec<Node> = loaded
        .view
        .nodes
        .iter()
        .filter_map(|v| loaded.conns.get(&v.id).cloned())
        .collect();
    let current = run_everywhere(
        &nodes,
        redis::cmd("CONFIG").arg("GET").arg("cluster-node-timeout"),
    )
    .await;
    let current_ms: Vec<String> = current
        .iter()
        .map(|r| match r {
            Ok(redis::Value::Array(kv)) if kv.len() == 2 => {
                crate::ops::broadcast::reply_text(&kv[1])
            }
            Ok(redis::Value::Map(kv)) if kv.len() == 1 => {
                crate::ops::broadcast::reply_text(&kv[0].1)
            }
            _ => "?".into(),
        })
        .collect();
    let rows: Vec<Vec<String>> = nodes
        .iter()
        .zip(&current_ms)
        .map(|(n, c)| vec![n.label.clone(), c.clone(), args.ms.to_string()])
        .collect();
    let plan = json!({"timeout_ms": args.ms, "nodes": nodes.iter().zip(&current_ms).map(|(n, c)| json!({"node": n.label, "current_ms": c})).collect::<Vec<_>>()});
    ctx.printer.out(&format!(
        "Plan: set cluster-node-timeout to {} ms on {} node(s) and persist it (CONFIG REWRITE):\n\n{}",
        args.ms,
        nodes.len(),
        render::table(&["NODE", "CURRENT (ms)", "NEW (ms)"], rows)
    ));
    if ctx.dry_run {
        ctx.printer
            .json_doc(&json!({"plan": plan, "changed": false}));
        return Ok(Exit::Ok);
    }
    ctx.confirm("Apply?")?;

    let set = run_everywhere(
        &nodes,
        redis::cmd("CONFIG")
            .arg("SET")
            .arg("cluster-node-timeout")
            .arg(args.ms),
    )
    .await;
    let rewrite = run_everywhere(&nodes, &redis::cmd("CONFIG").arg("REWRITE").clone()).await;
    let mut results = Vec::new();
    let mut failures = 0;
    for ((n, s), r) in nodes.iter().zip(&set).zip(&rewrite) {
        if let Err(e) = s {
            failures += 1;
            ctx.printer
                .warn(&format!("{}: CONFIG SET failed: {}", n.label, e.reason()));
        }
        if let Err(e) = r {
            failures += 1;
            ctx.printer.warn(&format!(
                "{}: set, but not persisted: CONFIG REWRITE failed: {} (the old value returns on restart)",
                n.label,
                e.reason()
            ));
        }
        results.push(json!({
            "node": n.label,
            "set": s.as_ref().err().map(|e| e.reason()).unwrap_or_else(|| "ok".into()),
            "rewrite": r.as_ref().err().map(|e| e.reason()).unwrap_or_else(|| "ok".into()),
        }));
    }
    if failures == 0 {
        ctx.printer.status(&format!(
            "[OK] cluster-node-timeout is {} ms on all {} node(s), persisted",
            args.ms,
            nodes.len()
        ));
    }
    ctx.printer
        .json_doc(&json!({"plan": plan, "changed": true, "results": results}));
    Ok(if failures == 0 {
        Exit::Ok
    } else {
        Exit::Failed
    })
}
