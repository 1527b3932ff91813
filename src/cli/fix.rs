//! `trib fix`: re-form a cluster whose nodes came back at new addresses (every ENTRY is
//! a node to re-introduce at its current address), then repair open slots, uncovered
//! slots, slots with several owners and (`--deep`) keys in slots their node does not own
//! (planner: `plan::fix`, apply: `ops::fix`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use clap::Args;
use futures::future::join_all;
use serde_json::json;

use super::Context;
use crate::addr::Target;
use crate::cluster::Node;
use crate::cluster::load::{InfoDetail, Loaded, connect_all, default_domain, load_cluster, probe};
use crate::error::{Exit, TribError};
use crate::model::NodeId;
use crate::model::SlotSet;
use crate::model::view::{ClusterView, NodeView};
use crate::ops::Reporter;
use crate::ops::fix::{apply as apply_fix, count_keys};
use crate::ops::migrate::MigrateOptions;
use crate::ops::reform::{send_meets, wait_reformed};
use crate::ops::scan::deep_scan;
use crate::plan::check::{Problem, Severity, check, members};
use crate::plan::fix::{FixInput, FixMaster, FixPlan, KeyCounts, broken_slots, plan_fix};
use crate::plan::reform::{ReformNode, ReformPlan, plan_reform};
use crate::ui::render;

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Nodes of the cluster, at their current addresses: every one that answers is
    /// re-introduced to the others there
    #[arg(required = true, value_name = "ENTRY")]
    pub entries: Vec<String>,
    /// Also look for keys in slots their node does not own
    #[arg(long)]
    pub deep: bool,
    /// Repair even while a master is unreachable
    #[arg(long)]
    pub with_unreachable_masters: bool,
    /// Deadline for the cluster to settle after the changes
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_duration)]
    pub timeout: Duration,
}

pub async fn run(ctx: &Context, args: FixArgs) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let targets = ctx.resolve(&args.entries).await?;
    let (nodes, conns, views) = reach(ctx, &targets).await?;
    let plan = plan_reform(&nodes);

    // Members nobody could reach: their current address is unknown.
    let reached: BTreeSet<&NodeId> = nodes.iter().map(|n| &n.id).collect();
    let mut unreached: BTreeMap<NodeId, String> = BTreeMap::new();
    for n in &nodes {
        for e in &n.entries {
            if !reached.contains(&e.id) && !e.flags.handshake && !e.flags.myself {
                unreached
                    .entry(e.id.clone())
                    .or_insert_with(|| e.addr_string());
            }
        }
    }
    let view = ClusterView {
        nodes: views,
        unreachable: vec![],
    };
    let by_id: BTreeMap<NodeId, Node> = nodes
        .iter()
        .zip(&conns)
        .map(|(n, c)| (n.id.clone(), c.clone()))
        .collect();

    // Slot repairs, planned on the views as they are now (re-planned after re-forming).
    let slots = plan_slots(&view, &by_id, args.deep).await?;
    if !slots.plan.is_empty()
        && !slots.unreachable_masters.is_empty()
        && !args.with_unreachable_masters
    {
        return Err(TribError::BadInput(format!(
            "{}\nslot repairs need every master: bring it back (name it at its current address), remove it with `trib del-node`, or pass --with-unreachable-masters to repair the other slots; nothing was changed",
            slots
                .unreachable_masters
                .iter()
                .map(|m| format!("master {m} is not reachable"))
                .collect::<Vec<_>>()
                .join("\n")
        ))
        .into());
    }

    let reform_json = plan_json(&plan, &nodes, &unreached);
    ctx.printer.out(&render_plan(&plan, &nodes));
    for &s in &plan.strangers {
        ctx.printer.warn(&format!(
            "{}: no other node named knows its ID ({}), nor does it know theirs: not introduced (to add a new node use `trib add-node`)",
            nodes[s].label,
            nodes[s].id.short()
        ));
    }
    for (id, addr) in &unreached {
        ctx.printer.warn(&format!(
            "node {} (known at {addr}) was not reached: name it among the ENTRY arguments at its current address to re-introduce it",
            id.short()
        ));
    }
    if !slots.plan.is_empty() {
        ctx.printer.out(&format!(
            "\n{}",
            render_slot_plan(&slots.plan, &slots.labels)
        ));
    }
    if !slots.plan.skipped.is_empty() {
        ctx.printer.warn(&format!(
            "slots {} are owned by unreachable masters: left alone",
            slots.plan.skipped
        ));
    }
    // The re-forming plan's keys, plus `slots` for the slot repairs.
    let mut plan_json = reform_json;
    if let Some(obj) = plan_json.as_object_mut() {
        obj.insert("slots".into(), slot_plan_json(&slots.plan, &slots.labels));
    }

    if plan.is_empty() && slots.plan.is_empty() {
        if !ctx.dry_run && settling(&view, &unreached, &slots) {
            // Nothing to repair, but a node still reports cluster_state:fail: a master
            // that just restarted waits out Redis's rejoin delay, and the others clear
            // its FAIL flag only after a while. With every member reached and every slot
            // owned that passes by itself: wait for it (the check below tells the rest).
            let reporter = ctx.reporter();
            if let Ok(waited) = wait_reformed(&nodes, &conns, true, args.timeout, &reporter).await {
                reporter.finish(&format!(
                    "every node reports cluster_state:ok after {:.2}s",
                    waited.as_secs_f64()
                ));
            }
        }
        return finish(ctx, &args, &targets, plan_json, false, started).await;
    }
    if ctx.dry_run {
        ctx.printer.status("Dry run: nothing was changed.");
        ctx.printer
            .json_doc(&json!({"plan": plan_json, "changed": false}));
        return Ok(Exit::Ok);
    }
    ctx.confirm(if plan.is_empty() {
        "Repair these slots?"
    } else if slots.plan.is_empty() {
        "Re-introduce these nodes to each other?"
    } else {
        "Re-introduce these nodes to each other, then repair these slots?"
    })?;

    let reporter = ctx.reporter();
    if !plan.is_empty() {
        send_meets(&plan.meets, &nodes, &conns, &reporter)
            .await
            .map_err(|e| TribError::Failed(format!("CLUSTER MEET failed: {e}")))?;
        // cluster_state:ok can only be expected when every member was reached and no
        // slot needs repairing.
        let state_ok = unreached.is_empty() && slots.plan.is_empty();
        let waited = wait_reformed(&nodes, &conns, state_ok, args.timeout, &reporter)
            .await
            .map_err(|e| TribError::Failed(format!("the cluster did not re-form: {e}")))?;
        reporter.finish(&format!(
            "{} node(s) see each other at their current addresses{} after {:.2}s",
            nodes.len(),
            if state_ok { ", cluster_state:ok" } else { "" },
            waited.as_secs_f64()
        ));
    }
    if !slots.plan.is_empty() {
        let (slots, all, by_id) = if plan.is_empty() {
            (slots, conns.clone(), by_id)
        } else {
            // Re-formed: load again and plan on the views as they are now.
            let loaded = load_cluster(&targets, &ctx.connect).await.map_err(|e| {
                TribError::Failed(format!("cannot load the re-formed cluster: {e}"))
            })?;
            let slots = plan_slots(&loaded.view, &loaded.conns, args.deep).await?;
            let all: Vec<Node> = loaded.conns.values().cloned().collect();
            (slots, all, loaded.conns)
        };
        let masters: BTreeMap<NodeId, Node> = by_id
            .into_iter()
            .filter(|(id, _)| slots.masters.contains(id))
            .collect();
        let opts = MigrateOptions {
            converge_timeout: args.timeout,
            ..MigrateOptions::default()
        }
        .with_credentials(&ctx.connect);
        let report = apply_fix(
            &slots.plan,
            &masters,
            &all,
            &opts,
            args.timeout,
            slots.unreachable_masters.is_empty(),
            &reporter,
        )
        .await
        .map_err(|e| TribError::Failed(format!("slot repair did not finish: {e}")))?;
        reporter.finish(&format!(
            "{} slot(s) repaired ({} assigned), {} key(s) moved in {:.2}s",
            report.slots_fixed,
            report.slots_assigned,
            report.keys_moved,
            report.elapsed_ms as f64 / 1000.0
        ));
    }
    finish(ctx, &args, &targets, plan_json, true, started).await
}

/// Whether a cluster with nothing to repair is only settling: some node reports a
/// cluster_state other than ok, while every member was reached and every slot has a
/// reachable owner.
fn settling(view: &ClusterView, unreached: &BTreeMap<NodeId, String>, slots: &SlotPlan) -> bool {
    unreached.is_empty()
        && slots.unreachable_masters.is_empty()
        && slots.plan.skipped.is_empty()
        && view
            .nodes
            .iter()
            .any(|v| v.cluster_info.get("cluster_state") != Some("ok"))
}

/// The slot-repair plan and what it was computed from.
struct SlotPlan {
    plan: FixPlan,
    /// Reachable masters (their IDs).
    masters: BTreeSet<NodeId>,
    /// Masters nobody reached: one line each.
    unreachable_masters: Vec<String>,
    labels: BTreeMap<NodeId, String>,
}

/// Builds the planner's input from the views (and, with `--deep` or broken slots, key
/// counts read from the masters) and plans the slot repairs.
async fn plan_slots(
    view: &ClusterView,
    conns: &BTreeMap<NodeId, Node>,
    deep: bool,
) -> Result<SlotPlan, TribError> {
    let all = members(view);
    let mut input = FixInput::default();
    let mut masters: BTreeMap<NodeId, Node> = BTreeMap::new();
    let mut labels: BTreeMap<NodeId, String> = BTreeMap::new();
    for v in &view.nodes {
        labels.insert(v.id.clone(), v.label.clone());
        let Some(me) = v.myself().filter(|m| m.flags.master) else {
            continue;
        };
        let Some(conn) = conns.get(&v.id) else {
            continue;
        };
        masters.insert(v.id.clone(), conn.clone());
        input.masters.push(FixMaster {
            id: v.id.clone(),
            label: v.label.clone(),
            slots: me.slots.clone(),
            migrating: me.migrating.clone(),
            importing: me.importing.clone(),
        });
    }
    input.masters.sort_by(|a, b| a.id.cmp(&b.id));
    let mut unreachable_masters = Vec::new();
    for (id, e) in &all {
        if e.flags.master && !conns.contains_key(id) {
            input.unreachable_owned.union_with(&e.slots);
            labels.entry(id.clone()).or_insert_with(|| e.addr_string());
            unreachable_masters.push(format!("{} ({})", e.addr_string(), id.short()));
        }
    }
    if deep {
        let loaded = Loaded {
            view: view.clone(),
            conns: masters.clone(),
        };
        input.deep = Some(
            deep_scan(&loaded)
                .await
                .map_err(|e| TribError::Failed(format!("deep scan failed: {e}")))?,
        );
    }
    let broken = broken_slots(&input);
    let counts = if broken.is_empty() {
        KeyCounts::new()
    } else {
        count_keys(&masters, &broken)
            .await
            .map_err(|e| TribError::Failed(format!("counting keys in broken slots: {e}")))?
    };
    Ok(SlotPlan {
        plan: plan_fix(&input, &counts),
        masters: masters.into_keys().collect(),
        unreachable_masters,
        labels,
    })
}

fn label_of(labels: &BTreeMap<NodeId, String>, id: &NodeId) -> String {
    labels
        .get(id)
        .cloned()
        .unwrap_or_else(|| id.short().to_string())
}

/// One row per group of slots with the same problem, owner and key sources.
fn render_slot_plan(plan: &FixPlan, labels: &BTreeMap<NodeId, String>) -> String {
    type Group = (&'static str, NodeId, bool, Vec<NodeId>);
    let mut groups: Vec<(Group, SlotSet, u64)> = Vec::new();
    for f in &plan.slots {
        let key: Group = (
            f.kind,
            f.owner.clone(),
            f.assign,
            f.moves.iter().map(|(id, _)| id.clone()).collect(),
        );
        let keys: u64 = f.moves.iter().map(|(_, n)| n).sum();
        match groups.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, set, n)) => {
                set.insert(f.slot);
                *n += keys;
            }
            None => {
                let mut set = SlotSet::new();
                set.insert(f.slot);
                groups.push((key, set, keys));
            }
        }
    }
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|((kind, owner, assign, sources), set, keys)| {
            vec![
                set.to_string(),
                kind.replace('_', " "),
                format!(
                    "{}{}",
                    label_of(labels, owner),
                    if *assign { " (assigned)" } else { "" }
                ),
                if sources.is_empty() {
                    "-".into()
                } else {
                    format!(
                        "{keys} key(s) from {}",
                        sources
                            .iter()
                            .map(|s| label_of(labels, s))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            ]
        })
        .collect();
    format!(
        "Slot repairs: {} slot(s), {} key move(s).\n\n{}\n\nUncovered slots are assigned first (the cluster comes up again), then keys move to each slot's owner (never dropped), then every master gets `SETSLOT NODE owner` and open states are cleared.",
        plan.slots.len(),
        plan.key_moves(),
        render::table(&["SLOTS", "PROBLEM", "OWNER", "KEYS MOVED"], rows)
    )
}

fn slot_plan_json(plan: &FixPlan, labels: &BTreeMap<NodeId, String>) -> serde_json::Value {
    json!({
        "fixes": plan.slots.iter().map(|f| json!({
            "slot": f.slot,
            "kind": f.kind,
            "owner": f.owner,
            "owner_node": label_of(labels, &f.owner),
            "assign": f.assign,
            "open": f.open,
            "moves": f.moves.iter().map(|(id, n)| json!({"from": id, "from_node": label_of(labels, id), "keys": n})).collect::<Vec<_>>(),
            "stable": f.stable,
        })).collect::<Vec<_>>(),
        "skipped": plan.skipped.to_string(),
    })
}

/// Connects to and probes every target; every one must answer. Adds the members the
/// first answering target knows that answer at the address it has for them.
async fn reach(
    ctx: &Context,
    targets: &[Target],
) -> Result<(Vec<ReformNode>, Vec<Node>, Vec<NodeView>), TribError> {
    let connected = connect_all(targets, &ctx.connect).await;
    let probed = join_all(connected.into_iter().zip(targets).map(|(c, t)| async move {
        let node = c?;
        let view = probe(
            &node,
            default_domain(&t.addr, t.domain.as_deref()),
            InfoDetail::Basic,
        )
        .await?;
        Ok::<_, crate::cluster::NodeError>((node, view))
    }))
    .await;
    let mut errors = Vec::new();
    let mut found: Vec<(Node, NodeView)> = Vec::new();
    for r in probed {
        match r {
            Ok((node, view)) => {
                // Several addresses of one name answering as one node, or one node named twice.
                if !found.iter().any(|(_, v)| v.id == view.id) {
                    found.push((node, view));
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(TribError::BadInput(format!(
            "{}\nevery ENTRY must answer (it is re-introduced at that address); nothing was changed",
            errors.join("\n")
        )));
    }
    // Members reachable where the cluster thinks they are (not named, but fine).
    if let Ok(loaded) = load_cluster(targets, &ctx.connect).await {
        for v in loaded.view.nodes {
            if found.iter().any(|(_, f)| f.id == v.id) {
                continue;
            }
            if let Some(conn) = loaded.conns.get(&v.id) {
                found.push((conn.clone(), v));
            }
        }
    }
    let nodes = found
        .iter()
        .map(|(node, v)| ReformNode {
            id: v.id.clone(),
            label: v.label.clone(),
            addr: node.addr,
            bus_port: v
                .myself()
                .map(|m| m.cport)
                .filter(|p| *p != 0)
                .unwrap_or_else(|| node.addr.port().wrapping_add(10000)),
            entries: v.nodes.clone(),
        })
        .collect();
    let conns = found.iter().map(|(n, _)| n.clone()).collect();
    let views = found.into_iter().map(|(_, v)| v).collect();
    Ok((nodes, conns, views))
}

/// Loads the cluster again, reports every problem, exits 0 only when it is healthy.
async fn finish(
    ctx: &Context,
    args: &FixArgs,
    targets: &[Target],
    plan_json: serde_json::Value,
    changed: bool,
    started: Instant,
) -> anyhow::Result<Exit> {
    let loaded = load_cluster(targets, &ctx.connect)
        .await
        .map_err(|e| TribError::Failed(format!("cannot load the cluster to verify it: {e}")))?;
    let deep = if args.deep {
        Some(deep_scan(&loaded).await?)
    } else {
        None
    };
    let problems = check(&loaded.view, deep.as_ref());
    let errors: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    if !changed {
        ctx.printer.out(&if errors.is_empty() {
            "Every node knows every other at its current address: nothing to re-introduce; the cluster is fine.".to_string()
        } else {
            "Every node knows every other at its current address: nothing to re-introduce.".to_string()
        });
    }
    if !problems.is_empty() {
        ctx.printer
            .out(&format!("\n{}", render::problems(&problems)));
    }
    let healthy = errors.is_empty();
    ctx.printer.json_doc(&json!({
        "plan": plan_json,
        "changed": changed,
        "healthy": healthy,
        "problems": problems,
        "elapsed_ms": started.elapsed().as_millis(),
    }));
    Ok(if healthy { Exit::Ok } else { Exit::Failed })
}

fn render_plan(plan: &ReformPlan, nodes: &[ReformNode]) -> String {
    if plan.stale.is_empty() {
        return format!(
            "{} node(s) reached; every node has every other at its current address.",
            nodes.len()
        );
    }
    // One row per peer (not per pair: big clusters would print N² rows).
    let mut by_peer: BTreeMap<usize, (BTreeSet<String>, usize)> = BTreeMap::new();
    for s in &plan.stale {
        let e = by_peer.entry(s.peer).or_default();
        e.0.insert(if s.known_at.is_empty() {
            "(no address)".to_string()
        } else {
            s.known_at.clone()
        });
        e.1 += 1;
    }
    let rows: Vec<Vec<String>> = by_peer
        .iter()
        .map(|(p, (known, count))| {
            vec![
                nodes[*p].label.clone(),
                nodes[*p].id.short().to_string(),
                nodes[*p].addr.to_string(),
                known.iter().cloned().collect::<Vec<_>>().join(", "),
                count.to_string(),
            ]
        })
        .collect();
    format!(
        "Stale addresses: {} of {} views of a peer are out of date.\n\n{}\n\nPlan: {} CLUSTER MEET(s), one per pair of nodes with a stale view (Redis updates a known node's address when the handshake reaches its ID at the new address; the other direction follows from the first PING), then wait until every node sees every other at its current address.",
        plan.stale.len(),
        nodes.len() * nodes.len().saturating_sub(1),
        render::table(
            &["NODE", "ID", "NOW AT", "KNOWN AT (STALE)", "STALE IN VIEWS"],
            rows
        ),
        plan.meets.len()
    )
}

fn plan_json(
    plan: &ReformPlan,
    nodes: &[ReformNode],
    unreached: &BTreeMap<NodeId, String>,
) -> serde_json::Value {
    json!({
        "nodes": nodes.iter().map(|n| json!({"node": n.label, "id": n.id, "addr": n.addr.to_string(), "bus_port": n.bus_port})).collect::<Vec<_>>(),
        "stale": plan.stale.iter().map(|s| json!({
            "node": nodes[s.node].label, "peer": nodes[s.peer].label, "peer_id": nodes[s.peer].id,
            "known_at": s.known_at, "current": nodes[s.peer].addr.to_string()})).collect::<Vec<_>>(),
        "meets": plan.meets.iter().map(|m| json!({
            "node": nodes[m.node].label, "peer": nodes[m.peer].label,
            "peer_addr": nodes[m.peer].addr.to_string(), "peer_bus_port": nodes[m.peer].bus_port})).collect::<Vec<_>>(),
        "strangers": plan.strangers.iter().map(|s| nodes[*s].label.clone()).collect::<Vec<_>>(),
        "unreached": unreached.iter().map(|(id, a)| json!({"id": id, "known_at": a})).collect::<Vec<_>>(),
    })
}
