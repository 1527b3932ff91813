//! `trib failover`: load → plan → show → confirm → `CLUSTER FAILOVER` → wait until the
//! roles have switched everywhere → report how long it took.

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;

use super::Context;
use crate::cluster::load::load_cluster;
use crate::error::{Exit, TribError};
use crate::ops::Reporter;
use crate::ops::failover::apply_step;
use crate::plan::failover::{Mode, Step, plan_domain, plan_failover};
use crate::plan::select::{MIN_PREFIX, find_member};
use crate::ui::render;

/// `trib failover` arguments. How NODE is read is in `after_long_help` (shown by --help).
#[derive(Debug, Args)]
#[command(after_long_help = HELP)]
pub struct FailoverArgs {
    /// The replica or master to fail over (address, ID or ID prefix); with --domain, any node
    #[arg(value_name = "NODE")]
    pub node: String,
    /// Load the cluster from these nodes instead of NODE (repeatable; the first that answers is used)
    #[arg(long = "entry", value_name = "ENTRY")]
    pub entries: Vec<String>,
    /// The master is down: promote without its agreement (CLUSTER FAILOVER FORCE)
    #[arg(long, conflicts_with = "takeover")]
    pub force: bool,
    /// Promote without the master and without an election (CLUSTER FAILOVER TAKEOVER)
    #[arg(long)]
    pub takeover: bool,
    /// Deadline for the roles to switch (per master with --domain)
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = super::parse_duration)]
    pub timeout: Duration,
    /// Fail over every master out of failure domain D (IP by default, or NODE=DOMAIN)
    #[arg(long, value_name = "D")]
    pub domain: Option<String>,
}

const HELP: &str = "\
NODE is a replica (it is promoted) or a master (its best replica is promoted: link up, a
failure domain other than the master's, the largest replication offset; with --force or
--takeover the offset comes before the domain).

NODE as an address (10.0.0.5:6379, redis-app-0.redis:6379): the cluster is loaded from it.
NODE as a node ID or ID prefix (at least 4 hex digits): say where the cluster is with
--entry. With --entry the cluster is always loaded from the entries, so NODE may be down:
  trib failover 10.0.0.5:6379 --entry redis-service --force

--domain D fails over every master in failure domain D to a replica outside D, one master
at a time, each verified before the next (draining a Kubernetes node before maintenance);
NODE is then any node of the cluster, used as the entry:
  trib failover redis-app-0.redis:6379 --domain 10.0.0.5

trib waits until the promoted node reports role:master, the old master role:slave (or is
down) and every reachable node's CLUSTER NODES shows the new master owning the slots, and
reports how long the switch took (took_ms with --json).";

fn looks_like_id(s: &str) -> bool {
    s.len() >= MIN_PREFIX && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn run(ctx: &Context, args: FailoverArgs) -> anyhow::Result<Exit> {
    let mode = if args.force {
        Mode::Force
    } else if args.takeover {
        Mode::Takeover
    } else {
        Mode::Default
    };

    // Where the cluster is loaded from, and which addresses NODE stands for.
    let by_id = args.domain.is_none() && looks_like_id(&args.node);
    if by_id && args.entries.is_empty() {
        return Err(TribError::BadInput(format!(
            "{}: looks like a node ID; say where the cluster is with --entry ENTRY (or give NODE as an address)",
            args.node
        ))
        .into());
    }
    let node_targets = if by_id {
        Vec::new()
    } else {
        ctx.resolve(std::slice::from_ref(&args.node)).await?
    };
    let entry_targets = if args.entries.is_empty() {
        node_targets.clone()
    } else {
        ctx.resolve(&args.entries).await?
    };
    let mut loaded = load_cluster(&entry_targets, &ctx.connect)
        .await
        .map_err(|e| {
            TribError::BadInput(if args.entries.is_empty() {
                format!(
                    "{e}; if this node is down, name any other node of the cluster with --entry ENTRY"
                )
            } else {
                format!("no entry node answered: {e}")
            })
        })?;
    ctx.assign_domains(loaded.view.nodes.iter_mut(), &entry_targets)
        .await?;
    let view = &loaded.view;

    let steps: Vec<Step> = match &args.domain {
        Some(d) => plan_domain(view, d, mode).map_err(|e| TribError::BadInput(e.join("\n")))?,
        None => {
            let addrs: Vec<_> = node_targets.iter().map(|t| t.addr).collect();
            let id = find_member(view, &args.node, &addrs)
                .map_err(|e| TribError::BadInput(e.to_string()))?;
            vec![plan_failover(view, &id, mode).map_err(TribError::BadInput)?]
        }
    };
    let plan_json = json!({
        "mode": mode,
        "domain": args.domain,
        "steps": steps,
    });
    if steps.is_empty() {
        ctx.printer.out(&format!(
            "No master owning slots is in failure domain {}; nothing to do.",
            args.domain.as_deref().unwrap_or("")
        ));
        ctx.printer
            .json_doc(&json!({"plan": plan_json, "changed": false, "took_ms": 0}));
        return Ok(Exit::Ok);
    }

    ctx.printer
        .out(&render_plan(&steps, mode, args.domain.as_deref()));
    if ctx.dry_run {
        ctx.printer.status("Dry run: nothing was changed.");
        ctx.printer
            .json_doc(&json!({"plan": plan_json, "changed": false}));
        return Ok(Exit::Ok);
    }
    ctx.confirm(if steps.len() == 1 {
        "Fail over?"
    } else {
        "Fail over these masters, one at a time?"
    })?;

    let reporter = ctx.reporter();
    let started = Instant::now();
    let mut results = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let took = apply_step(&loaded.conns, step, args.timeout, &reporter)
            .await
            .map_err(|e| {
                let done = if i == 0 {
                    String::new()
                } else {
                    format!(" ({i} of {} failover(s) done before it)", steps.len())
                };
                let unchanged = if i == 0 && e.nothing_changed() {
                    "; nothing was changed"
                } else {
                    ""
                };
                TribError::Failed(format!(
                    "failover of {} to {} did not complete: {e}{done}{unchanged}",
                    step.master.node, step.promote.node
                ))
            })?;
        reporter.finish(&format!(
            "{} is master of {} slot(s) in place of {}: switched in {} ms",
            step.promote.node,
            step.slots.len(),
            step.master.node,
            took.as_millis()
        ));
        results.push(json!({
            "master": step.master.node,
            "promoted": step.promote.node,
            "took_ms": took.as_millis() as u64,
        }));
    }
    let total = started.elapsed();
    let took_ms = if steps.len() == 1 {
        results[0]["took_ms"].as_u64().unwrap_or(0)
    } else {
        total.as_millis() as u64
    };
    ctx.printer.out(&format!(
        "Failover done: {} master(s) switched in {took_ms} ms.",
        steps.len()
    ));
    ctx.printer.json_doc(&json!({
        "plan": plan_json,
        "changed": true,
        "took_ms": took_ms,
        "results": results,
    }));
    Ok(Exit::Ok)
}

fn render_plan(steps: &[Step], mode: Mode, domain: Option<&str>) -> String {
    let mut out = match domain {
        Some(d) => format!(
            "Plan: move {} master(s) out of failure domain {d}, one at a time, each verified before the next ({}):\n\n",
            steps.len(),
            mode.command()
        ),
        None => format!("Plan: {}\n\n", mode.command()),
    };
    let rows = steps
        .iter()
        .map(|s| {
            vec![
                s.master.node.clone(),
                s.master.domain.clone(),
                s.promote.node.clone(),
                s.promote.domain.clone(),
                format!("{} ({})", s.slots, s.slots.len()),
            ]
        })
        .collect();
    out.push_str(&render::table(
        &["MASTER", "DOMAIN", "PROMOTE", "DOMAIN", "SLOTS"],
        rows,
    ));
    for s in steps {
        out.push_str(&format!(
            "\n\n{} in place of {}: {}",
            s.promote.node, s.master.node, s.reason
        ));
        if let Some(why) = &s.master_down {
            out.push_str(&format!("\n  the master is down: {why}"));
        }
        for n in &s.not_chosen {
            out.push_str(&format!("\n  not chosen: {}: {}", n.node, n.why));
        }
    }
    out.push_str(match mode {
        Mode::Default => "\n\nThe master pauses its clients until the replica has caught up: no acknowledged write is lost.",
        Mode::Force => "\n\nFORCE: the master is not asked; writes the replica has not received are lost. The masters still elect it.",
        Mode::Takeover => "\n\nTAKEOVER: no master is asked and no election is held; writes the replica has not received are lost.",
    });
    out
}
