//! `trib add-node`, and the join operation it shares with `trib replicate`:
//! pre-flight NEW and the cluster → plan → show → confirm → apply → verify.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use clap::Args;
use futures::future::join_all;
use serde_json::json;

use super::Context;
use crate::addr::parse_node_args;
use crate::error::{Exit, TribError};
use crate::model::NodeId;
use crate::model::view::ClusterView;
use crate::ops::Reporter;
use crate::ops::gather::{Gathered, gather};
use crate::ops::membership::{
    JoinError, apply_join, function_libraries, has_functions, wait_slots_agree, wait_state_ok,
};
use crate::plan::check::{Severity, check};
use crate::plan::membership::{JoinInput, JoinPlan, JoinStep, Library, Role, Want, plan_join};
use crate::plan::select::{MIN_PREFIX, SelectError, find_member};
use crate::ui::render;

#[derive(Debug, Args)]
pub struct AddNodeArgs {
    /// The node to add (NODE or NODE=DOMAIN): empty, cluster-enabled, alone
    pub new: String,
    /// Any member of the cluster
    pub entry: String,
    /// Add as replica of this master (ID, ID prefix or address)
    #[arg(long, conflicts_with = "replica", value_name = "NODE")]
    pub replica_of: Option<String>,
    /// Add as replica of the master with fewest replicas (preferring another failure domain)
    #[arg(long)]
    pub replica: bool,
    /// Deadline for each wait (gossip, first sync of a replica)
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_duration)]
    pub timeout: Duration,
}

pub async fn run(ctx: &Context, args: AddNodeArgs) -> anyhow::Result<Exit> {
    let want = match (args.replica_of, args.replica) {
        (Some(m), _) => WantArg::ReplicaOf(m, "--replica-of"),
        (None, true) => WantArg::AnyReplica,
        (None, false) => WantArg::Master,
    };
    join(
        ctx,
        JoinRequest {
            new: args.new,
            entries: vec![args.entry],
            want,
            allow_member: false,
            timeout: args.timeout,
        },
    )
    .await
}

/// What the user named as the new node's role.
pub(super) enum WantArg {
    Master,
    /// The master's argument and the flag it came from (for messages).
    ReplicaOf(String, &'static str),
    AnyReplica,
}

pub(super) struct JoinRequest {
    pub new: String,
    pub entries: Vec<String>,
    pub want: WantArg,
    pub allow_member: bool,
    pub timeout: Duration,
}

/// `add-node` and `replicate`: one operation, two entry points.
pub(super) async fn join(ctx: &Context, req: JoinRequest) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let reporter = ctx.reporter();

    // Pre-flight: nothing below changes anything until the plan is confirmed.
    let new = gather_one(ctx, &req.new, &reporter).await?;
    let loaded = super::check::load(ctx, &req.entries).await?;
    let view = &loaded.view;
    let want = match &req.want {
        WantArg::Master => Want::Master,
        WantArg::AnyReplica => Want::AnyReplica,
        WantArg::ReplicaOf(arg, flag) => Want::ReplicaOf(select(ctx, view, arg, flag).await?),
    };
    let new_functions = if has_functions(new.view.info.version()) {
        Some(
            function_libraries(&new.node)
                .await
                .map_err(|e| TribError::BadInput(e.to_string()))?,
        )
    } else {
        None
    };
    let cluster_functions = cluster_functions(ctx, &loaded).await?;

    let plan = plan_join(&JoinInput {
        cluster: view,
        new: &new.view,
        new_functions,
        cluster_functions,
        want,
        allow_member: req.allow_member,
    })
    .map_err(|refusals| TribError::BadInput(refusals.join("\n")))?;

    if plan.is_noop() {
        ctx.printer.out(&format!(
            "{} already is a replica of {}; nothing to do.",
            plan.node.node,
            plan.master.as_ref().map(|m| m.node.as_str()).unwrap_or("?")
        ));
        ctx.printer
            .json_doc(&json!({"plan": plan, "changed": false}));
        return Ok(Exit::Ok);
    }

    ctx.printer.out(&render_plan(&plan));
    for w in &plan.warnings {
        ctx.printer.warn(w);
    }
    if ctx.dry_run {
        ctx.printer.status("Dry run: nothing was changed.");
        ctx.printer
            .json_doc(&json!({"plan": plan, "changed": false}));
        return Ok(Exit::Ok);
    }
    ctx.confirm(match (plan.member, plan.role) {
        (true, _) => "Attach this replica?",
        (false, Role::Master) => "Add this master?",
        (false, Role::Replica) => "Add this replica?",
    })?;

    let timings = apply_join(&plan, &new.node, &loaded.conns, req.timeout, &reporter)
        .await
        .map_err(|e| failed(&plan, e))?;
    let mut extra_ms = serde_json::Map::new();
    if plan.role == Role::Master {
        // The new master learns the slot map from gossip; wait for it, then for its
        // cluster_state:ok when the cluster was healthy (so a `trib check` right after passes).
        let mut nodes: Vec<_> = loaded
            .conns
            .iter()
            .filter(|(id, _)| **id != plan.node.id)
            .map(|(_, n)| n.clone())
            .collect();
        nodes.push(new.node.clone());
        let covered = crate::plan::check::claimed_slots(view)
            .values()
            .map(|s| s.len())
            .sum::<usize>()
            == crate::model::SLOT_COUNT as usize;
        if covered {
            let d = wait_slots_agree(&nodes, &plan.node.id, req.timeout, &reporter)
                .await
                .map_err(|e| failed(&plan, JoinError::Timeout(e)))?;
            extra_ms.insert("slots_agree_ms".into(), json!(d.as_millis()));
            if view.nodes.iter().all(|n| n.cluster_state_ok()) {
                let d = wait_state_ok(&new.node, req.timeout, &reporter)
                    .await
                    .map_err(|e| failed(&plan, JoinError::Timeout(e)))?;
                extra_ms.insert("state_ok_ms".into(), json!(d.as_millis()));
            }
        }
    }
    let elapsed = started.elapsed();
    reporter.finish(&format!(
        "{} {} in {:.2}s",
        plan.node.node,
        match &plan.master {
            Some(m) => format!("is a replica of {}, link up, first sync done,", m.node),
            None => "joined as a master without slots (give it slots with trib reshard or trib rebalance --use-empty-masters)".into(),
        },
        elapsed.as_secs_f64()
    ));

    // Verify with the same checks as `trib check`; only problems the change introduced fail it.
    let before: BTreeSet<String> = check(view, None)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.message)
        .collect();
    let after = super::check::load(ctx, &req.entries).await?;
    let problems = check(&after.view, None);
    let new_errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error && !before.contains(&p.message))
        .count();
    if !problems.is_empty() {
        ctx.printer.out(&format!(
            "\nThe cluster after the change:\n{}",
            render::problems(&problems)
        ));
    }
    let mut timings = serde_json::to_value(&timings).unwrap_or_default();
    if let Some(t) = timings.as_object_mut() {
        t.extend(extra_ms);
    }
    ctx.printer.json_doc(&json!({
        "plan": plan,
        "changed": true,
        "elapsed_ms": elapsed.as_millis(),
        "timings": timings,
        "problems": problems,
    }));
    Ok(if new_errors == 0 {
        Exit::Ok
    } else {
        Exit::Failed
    })
}

/// Resolves, connects to and probes the one node NEW names.
async fn gather_one(
    ctx: &Context,
    arg: &str,
    reporter: &dyn Reporter,
) -> Result<Gathered, TribError> {
    let specs =
        parse_node_args(&[arg.to_string()]).map_err(|e| TribError::BadInput(e.to_string()))?;
    let mut g = gather(&ctx.resolver, &specs, &ctx.connect, None, reporter)
        .await
        .map_err(|e| TribError::BadInput(e.to_string()))?;
    let targets: Vec<_> = g.iter().map(|g| g.target.clone()).collect();
    ctx.assign_domains(g.iter_mut().map(|g| &mut g.view), &targets)
        .await?;
    match g.len() {
        1 => Ok(g.remove(0)),
        n => Err(TribError::BadInput(format!(
            "{arg}: names {n} nodes; add one node at a time"
        ))),
    }
}

/// Finds the member a NODE argument names: ID, ID prefix, or address.
async fn select(
    ctx: &Context,
    view: &ClusterView,
    arg: &str,
    flag: &str,
) -> Result<NodeId, TribError> {
    let looks_like_id = arg.len() >= MIN_PREFIX && arg.bytes().all(|b| b.is_ascii_hexdigit());
    let bad = |e: SelectError| TribError::BadInput(format!("{flag} {e}"));
    if looks_like_id {
        match find_member(view, arg, &[]) {
            Ok(id) => return Ok(id),
            Err(e @ SelectError::Ambiguous { .. }) => return Err(bad(e)),
            Err(SelectError::NotFound(_)) => {}
        }
    }
    let addrs: Vec<_> = match ctx.resolve(&[arg.to_string()]).await {
        Ok(t) => t.into_iter().map(|t| t.addr).collect(),
        Err(_) if looks_like_id => vec![],
        Err(e) => return Err(TribError::BadInput(format!("{flag} {e}"))),
    };
    find_member(view, arg, &addrs).map_err(bad)
}

/// The function libraries a new master must get: those of the reachable master (owning
/// slots) with most libraries. Masters that disagree are reported.
async fn cluster_functions(
    ctx: &Context,
    loaded: &crate::cluster::load::Loaded,
) -> Result<Option<(NodeId, Vec<Library>)>, TribError> {
    let masters: Vec<_> = loaded
        .view
        .nodes
        .iter()
        .filter(|n| {
            n.is_master()
                && n.myself().is_some_and(|m| !m.slots.is_empty())
                && has_functions(n.info.version())
        })
        .filter_map(|n| loaded.conns.get(&n.id).map(|c| (n, c)))
        .collect();
    if masters.is_empty() {
        return Ok(None);
    }
    let lists = join_all(masters.iter().map(|(_, c)| function_libraries(c))).await;
    let mut found: Vec<(NodeId, String, Vec<Library>)> = Vec::new();
    for ((n, _), l) in masters.iter().zip(lists) {
        match l {
            Ok(libs) => found.push((n.id.clone(), n.label.clone(), libs)),
            Err(e) => return Err(TribError::BadInput(e.to_string())),
        }
    }
    let best = found
        .iter()
        .enumerate()
        .max_by_key(|(i, f)| (f.2.len(), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let (id, label, libs) = found[best].clone();
    for (_, other, l) in &found {
        if *l != libs {
            ctx.printer.warn(&format!(
                "masters hold different functions: {other} has [{}], {label} has [{}]; a new master gets those of {label}",
                l.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join(", "),
                libs.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join(", "),
            ));
        }
    }
    Ok(Some((id, libs)))
}

fn failed(plan: &JoinPlan, e: JoinError) -> TribError {
    let hint = match (
        &e,
        plan.steps.iter().find_map(|s| match s {
            JoinStep::Meet { ip, bus_port, .. } => Some((ip, bus_port)),
            _ => None,
        }),
    ) {
        (JoinError::Timeout(t), Some((ip, bus))) if t.what.contains("know each other") => format!(
            " (can the members reach {}'s cluster bus at {ip}:{bus}? a firewall or a wrong cluster-announce-ip stops the handshake)",
            plan.node.node
        ),
        _ => String::new(),
    };
    TribError::Failed(format!(
        "{} did not finish: {e}{hint}",
        match (plan.member, plan.role) {
            (true, _) => "replicate",
            (false, _) => "add-node",
        }
    ))
}

fn render_plan(plan: &JoinPlan) -> String {
    let n = &plan.node;
    let mut rows = vec![vec![
        match plan.role {
            Role::Master => "master".to_string(),
            Role::Replica => "replica".to_string(),
        },
        n.node.clone(),
        n.id.short().to_string(),
        n.domain.clone(),
        match &plan.master {
            Some(m) => format!(
                "of {} ({}, domain {}{})",
                m.node,
                m.id.short(),
                m.domain,
                plan.master_replicas
                    .map(|r| format!(", {r} replica(s) now"))
                    .unwrap_or_default()
            ),
            None => "no slots".into(),
        },
    ]];
    if let Some(pm) = &plan.previous_master {
        rows[0][4].push_str(&format!("; now replica of {}", pm.node));
    }
    let mut out = format!(
        "Plan: {} {}:\n\n",
        if plan.member { "re-attach" } else { "add" },
        n.node
    );
    out.push_str(&render::table(
        &["ROLE", "NODE", "ID", "DOMAIN", "MASTER"],
        rows,
    ));
    out.push_str("\n\nSteps:");
    for (i, s) in plan.steps.iter().enumerate() {
        let line = match s {
            JoinStep::CopyFunctions { from, libraries } => format!(
                "copy functions ({}) from {} (FUNCTION DUMP / RESTORE)",
                libraries.join(", "),
                from.node
            ),
            JoinStep::Meet {
                via,
                ip,
                port,
                bus_port,
            } => format!(
                "CLUSTER MEET {ip} {port} {bus_port} from {} member(s)",
                via.len()
            ),
            JoinStep::WaitKnown => {
                "wait until every member knows it; MEET again so it learns slots and roles at once"
                    .into()
            }
            JoinStep::Replicate { master } => {
                format!("CLUSTER REPLICATE {} on {}", master.id, n.node)
            }
            JoinStep::WaitSynced => "wait for the replication link and the first sync".into(),
        };
        out.push_str(&format!("\n  {}. {line}", i + 1));
    }
    if plan.role == Role::Master {
        out.push_str(&format!(
            "\n  {}. wait until every node agrees on the slot map",
            plan.steps.len() + 1
        ));
    }
    out
}
