//! `trib create`: gather → plan → show → confirm → apply → verify.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use clap::Args;
use futures::future::join_all;
use serde_json::json;

use super::Context;
use crate::addr::parse_node_args;
use crate::cluster::load::load_cluster;
use crate::error::{Exit, TribError};
use crate::ops::Reporter;
use crate::ops::create::{CreateTarget, apply, has_addslotsrange, node_timeout};
use crate::ops::gather::{Gathered, gather};
use crate::plan::check::{Severity, check};
use crate::plan::create::{
    CreateNodeState, CreatePlan, CreateStatus, CreateStep, Refusal, plan_create,
};
use crate::plan::placement::{Conflict, PlacementError};
use crate::ui::render;

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Nodes: ip:port, name:port, name-{0..5}.svc:port, _srv._tcp.name, NODE=DOMAIN
    #[arg(required = true, value_name = "NODE")]
    pub nodes: Vec<String>,
    /// Replicas per master
    #[arg(long, default_value_t = 0)]
    pub replicas: usize,
    /// Wait up to DUR for names to resolve and nodes to answer (pods still starting)
    #[arg(long, value_name = "DUR", value_parser = super::parse_duration)]
    pub wait: Option<Duration>,
    /// Do not shorten Redis's rejoin delay: without this, new masters run with a 499 ms
    /// cluster-node-timeout until they turn ok (about 0.5 s instead of up to 5 s), then
    /// get their own value back. Only where masters × (nodes − 1) ≤ 2000 (e.g. 30 masters
    /// with a replica each): in larger clusters the extra pings would flood the bus
    #[arg(long)]
    pub no_fast_join: bool,
    /// Also wait until every replica finished its first sync with its master
    #[arg(long)]
    pub wait_sync: bool,
    /// Deadline for the cluster to converge after the changes
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_duration)]
    pub timeout: Duration,
}

pub async fn run(ctx: &Context, args: CreateArgs) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let specs = parse_node_args(&args.nodes).map_err(|e| TribError::BadInput(e.to_string()))?;
    let reporter = ctx.reporter();
    let gathered = gather(&ctx.resolver, &specs, &ctx.connect, args.wait, &reporter)
        .await
        .map_err(|e| TribError::BadInput(e.to_string()))?;
    let mut gathered = dedupe(gathered)?;
    let given: Vec<_> = gathered.iter().map(|g| g.target.clone()).collect();
    ctx.assign_domains(gathered.iter_mut().map(|g| &mut g.view), &given)
        .await?;

    let timeouts = join_all(gathered.iter().map(|g| node_timeout(&g.node))).await;
    let states: Vec<CreateNodeState> = gathered
        .iter()
        .zip(timeouts)
        .map(|(g, t)| state_of(g, t))
        .collect();
    let plan = plan_create(&states, args.replicas).map_err(|refusals| {
        TribError::BadInput(
            refusals
                .iter()
                .map(|r| match r {
                    Refusal::Placement(e) => placement_message(e, args.replicas),
                    Refusal::Node { node, reason } => format!("{}: {reason}", states[*node].label),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;

    let plan_json = plan_json(&plan, &states);
    if plan.status == CreateStatus::AlreadyCreated {
        ctx.printer.out(&format!(
            "These {} nodes already form a complete cluster; nothing to do.",
            states.len()
        ));
        ctx.printer
            .json_doc(&json!({"plan": plan_json, "changed": false, "status": plan.status}));
        return Ok(Exit::Ok);
    }

    ctx.printer.out(&render_plan(&plan, &states));
    if ctx.dry_run {
        ctx.printer.status("Dry run: nothing was changed.");
        ctx.printer
            .json_doc(&json!({"plan": plan_json, "changed": false, "status": plan.status}));
        return Ok(Exit::Ok);
    }
    ctx.confirm("Create this cluster?")?;

    let targets: Vec<CreateTarget> = gathered
        .iter()
        .zip(&states)
        .map(|(g, s)| CreateTarget {
            node: g.node.clone(),
            id: s.id.clone(),
            bus_port: s.bus_port,
            has_addslotsrange: has_addslotsrange(g.view.info.version()),
        })
        .collect();
    let timings = apply(
        &plan,
        &targets,
        args.timeout,
        !args.no_fast_join,
        args.wait_sync,
        &reporter,
    )
    .await
    .map_err(|e| {
        TribError::Failed(format!(
            "create did not finish: {e} (re-run the same command to complete it)"
        ))
    })?;
    let elapsed = started.elapsed();
    reporter.finish(&format!(
        "Cluster created: {} masters, {} replicas, 16384 slots, every node ok{}, in {:.2}s",
        plan.placement.masters.len(),
        states.len() - plan.placement.masters.len(),
        if args.wait_sync {
            ", replicas in sync"
        } else {
            ""
        },
        elapsed.as_secs_f64()
    ));

    // Verify with the same checks as `trib check`.
    let entries: Vec<_> = gathered.iter().map(|g| g.target.clone()).collect();
    let mut loaded = load_cluster(&entries, &ctx.connect).await?;
    ctx.assign_domains(loaded.view.nodes.iter_mut(), &entries)
        .await
        .map_err(|e| TribError::Failed(format!("cannot verify the new cluster: {e}")))?;
    // Replicas start their first sync now; that is expected right after a create.
    let problems: Vec<_> = check(&loaded.view, None)
        .into_iter()
        .filter(|p| p.kind != "replica_syncing")
        .collect();
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    if !problems.is_empty() {
        ctx.printer.out(&render::problems(&problems));
    }
    if !args.wait_sync && states.len() > plan.placement.masters.len() {
        ctx.printer.status(
            "Replicas are starting their first sync (Redis may wait repl-diskless-sync-delay first); `trib check` shows when they are done, `create --wait-sync` waits for it.",
        );
    }
    ctx.printer.json_doc(&json!({
        "plan": plan_json,
        "changed": true,
        "status": plan.status,
        "elapsed_ms": elapsed.as_millis(),
        "timings": timings,
        "problems": problems,
    }));
    Ok(if errors == 0 { Exit::Ok } else { Exit::Failed })
}

/// Several addresses of one headless name answering with the same ID are one node; the
/// same node named twice by the user is an error (redis-cli builds a broken cluster).
fn dedupe(gathered: Vec<Gathered>) -> Result<Vec<Gathered>, TribError> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out: Vec<Gathered> = Vec::new();
    let mut errors = Vec::new();
    for g in gathered {
        match seen.get(g.view.id.as_str()) {
            // One headless name, several addresses answering as one node.
            Some(&i)
                if out[i].target.text == g.target.text && out[i].target.addr != g.target.addr => {}
            Some(&i) => errors.push(format!(
                "{}: names the same node as {} (ID {}); name each node once",
                g.target.label(),
                out[i].target.label(),
                g.view.id.short()
            )),
            None => {
                seen.insert(g.view.id.as_str().to_string(), out.len());
                out.push(g);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(TribError::BadInput(errors.join("\n")))
    }
}

fn state_of(g: &Gathered, node_timeout: Option<u64>) -> CreateNodeState {
    let me = g.view.myself();
    CreateNodeState {
        label: g.view.label.clone(),
        addr: g.node.addr,
        bus_port: me
            .map(|m| m.cport)
            .filter(|p| *p != 0)
            .unwrap_or_else(|| g.node.addr.port().wrapping_add(10000)),
        id: g.view.id.clone(),
        domain: g.view.domain.clone(),
        own_slots: me.map(|m| m.slots.clone()).unwrap_or_default(),
        known: g
            .view
            .others()
            .filter(|e| !e.flags.handshake)
            .map(|e| e.id.clone())
            .collect::<BTreeSet<_>>(),
        master_id: me.and_then(|m| m.master_id.clone()),
        config_epoch: me.map(|m| m.config_epoch).unwrap_or(0),
        keys: g.view.keys(),
        node_timeout,
    }
}

fn placement_message(e: &PlacementError, replicas: usize) -> String {
    match e {
        PlacementError::TooFewMasters { nodes, masters, .. } => format!(
            "{nodes} node(s) with --replicas {replicas} give only {masters} master(s); Redis Cluster needs at least 3"
        ),
        other => other.to_string(),
    }
}

fn render_plan(plan: &CreatePlan, states: &[CreateNodeState]) -> String {
    let mut rows = Vec::new();
    for g in &plan.placement.masters {
        let m = &states[g.master];
        rows.push(vec![
            "master".into(),
            m.label.clone(),
            m.id.short().into(),
            m.domain.clone(),
            format!("{} ({})", g.slots, g.slots.len()),
        ]);
        for &r in &g.replicas {
            let s = &states[r];
            rows.push(vec![
                format!("  replica"),
                s.label.clone(),
                s.id.short().into(),
                s.domain.clone(),
                format!("of {}", m.label),
            ]);
        }
    }
    let domains: BTreeSet<&str> = states.iter().map(|s| s.domain.as_str()).collect();
    let mut out = format!(
        "{} a cluster of {} masters and {} replicas on {} nodes in {} failure domain(s):\n\n",
        if plan.status == CreateStatus::Resume {
            "Completing an interrupted create:"
        } else {
            "Plan: create"
        },
        plan.placement.masters.len(),
        states.len() - plan.placement.masters.len(),
        states.len(),
        domains.len()
    );
    out.push_str(&render::table(
        &["ROLE", "NODE", "ID", "DOMAIN", "SLOTS"],
        rows,
    ));
    out.push('\n');
    for c in &plan.placement.conflicts {
        out.push_str(&match c {
            Conflict::ReplicaWithMaster { master, replica, domain } => format!(
                "\nwarning: replica {} shares failure domain {domain} with its master {} (not enough domains to avoid it)",
                states[*replica].label, states[*master].label
            ),
            Conflict::ReplicasTogether { master, a, b, domain } => format!(
                "\nwarning: replicas {} and {} of {} share failure domain {domain}",
                states[*a].label, states[*b].label, states[*master].label
            ),
        });
    }
    let count = |f: fn(&CreateStep) -> bool| plan.steps.iter().filter(|s| f(s)).count();
    out.push_str(&format!(
        "\nSteps: assign slots on {} master(s), set {} config epoch(s), {} CLUSTER MEET(s), attach {} replica(s); then wait until every node agrees.",
        count(|s| matches!(s, CreateStep::AddSlots { .. })),
        count(|s| matches!(s, CreateStep::SetConfigEpoch { .. })),
        count(|s| matches!(s, CreateStep::Meet { .. })),
        count(|s| matches!(s, CreateStep::Replicate { .. })),
    ));
    out
}

fn plan_json(plan: &CreatePlan, states: &[CreateNodeState]) -> serde_json::Value {
    let node = |i: usize| {
        let s = &states[i];
        json!({"node": s.label, "addr": s.addr.to_string(), "id": s.id, "domain": s.domain})
    };
    let masters: Vec<_> = plan
        .placement
        .masters
        .iter()
        .map(|g| {
            let mut m = node(g.master);
            m["slots"] = json!([g.slots]);
            m["slot_count"] = json!(g.slots.len());
            m["replicas"] = json!(g.replicas.iter().map(|r| node(*r)).collect::<Vec<_>>());
            m
        })
        .collect();
    let conflicts: Vec<_> = plan
        .placement
        .conflicts
        .iter()
        .map(|c| match c {
            Conflict::ReplicaWithMaster {
                master,
                replica,
                domain,
            } => json!({
                "kind": "replica_with_master", "domain": domain,
                "master": states[*master].label, "replica": states[*replica].label}),
            Conflict::ReplicasTogether {
                master,
                a,
                b,
                domain,
            } => json!({
                "kind": "replicas_together", "domain": domain, "master": states[*master].label,
                "replicas": [states[*a].label, states[*b].label]}),
        })
        .collect();
    let steps: Vec<_> = plan
        .steps
        .iter()
        .map(|s| match s {
            CreateStep::AddSlots { node, slots } => {
                json!({"step": "add_slots", "node": states[*node].label, "slots": slots})
            }
            CreateStep::SetConfigEpoch { node, epoch } => {
                json!({"step": "set_config_epoch", "node": states[*node].label, "epoch": epoch})
            }
            CreateStep::Meet { node, peer } => json!({
                "step": "meet", "node": states[*node].label, "peer": states[*peer].label,
                "peer_addr": states[*peer].addr.to_string(), "peer_bus_port": states[*peer].bus_port}),
            CreateStep::Replicate { replica, master } => json!({
                "step": "replicate", "replica": states[*replica].label, "master": states[*master].label}),
            CreateStep::RestoreNodeTimeout { node, ms } => json!({
                "step": "restore_node_timeout", "node": states[*node].label, "ms": ms}),
        })
        .collect();
    json!({"status": plan.status, "masters": masters, "conflicts": conflicts, "steps": steps})
}
