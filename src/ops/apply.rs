//! Applying an apply plan ([`crate::plan::apply`]): each phase by the operation that
//! owns it, planned again by that operation's own planner on the cluster as the earlier
//! phases left it (loaded again from the listed nodes before each one). The phases
//! themselves are `create`'s, `fix`'s re-forming, `add-node`/`replicate`'s join,
//! `failover`'s, `rebalance`'s migration and `del-node`'s.
//!
//! A stop request (SIGINT/SIGTERM) is honoured between phases and between the
//! migration's windows of slots; a re-run of the same command plans what is left.
//! Reloads do not look failure domains up again: every choice that depends on them
//! (which master a new replica follows) was made by the planner.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::Reporter;
use super::bigkeys::note_big_keys;
use super::del_node;
use super::gather::Gathered;
use super::interrupt;
use super::join::{functions, join};
use super::migrate::MigrateOptions;
use super::reform::{send_meets, wait_reformed};
use super::slot_moves::{master_conns, move_slots, unfinished};
use super::undo::UndoLog;
use super::wait::POLL;
use crate::addr::Target;
use crate::cluster::load::{InfoDetail, Loaded, load_cluster, probe};
use crate::cluster::{ConnectOptions, Node};
use crate::error::TribError;
use crate::model::NodeId;
use crate::model::view::NodeView;
use crate::plan::apply::{ApplyPlan, Phase, rebalance_masters, reform_nodes};
use crate::plan::create::{CreateNodeState, CreatePlan};
use crate::plan::failover::{Mode, Planned, plan_promote};
use crate::plan::membership::{JoinInput, NodeRef, Role, Want, plan_join};
use crate::plan::membership_del::plan_del;
use crate::plan::rebalance::{DEFAULT_THRESHOLD, plan_rebalance};
use crate::plan::reform::ReformPlan;
use crate::plan::reshard::health_problems;

/// What the phases work with.
pub struct Env<'a> {
    /// The listed nodes, in the order given.
    pub listed: &'a [Gathered],
    /// The same, as `create` read them.
    pub states: &'a [CreateNodeState],
    /// Where the cluster is loaded from: the listed nodes in [`crate::plan::apply::load_order`].
    pub entries: &'a [Target],
    /// The cluster as planned on (reached members, the listed ones at their current
    /// addresses); `None` when there was none.
    pub cluster: Option<&'a Loaded>,
    pub connect: &'a ConnectOptions,
    /// Deadline of each wait.
    pub timeout: Duration,
}

/// What one phase did.
#[derive(Clone, Debug, Serialize)]
pub struct Done {
    pub phase: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots_moved: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_moved: Option<u64>,
    pub ms: u128,
}

/// The listed nodes (`views`: theirs, alike) in the order the cluster is loaded from
/// them ([`crate::plan::apply::load_order`]).
pub fn entries(listed: &[Gathered], views: &[NodeView]) -> Vec<Target> {
    crate::plan::apply::load_order(views)
        .into_iter()
        .map(|i| listed[i].target.clone())
        .collect()
}

/// Loads the cluster from `entries` (see [`entries`]) and puts
/// the listed members in it as they answered (their current addresses, which the
/// cluster may not know yet). `None` when no listed node belongs to a cluster.
pub async fn load(
    entries: &[Target],
    listed: &[Gathered],
    connect: &ConnectOptions,
) -> Result<Option<Loaded>, TribError> {
    let members_listed = listed
        .iter()
        .any(|g| g.view.others().any(|e| !e.flags.handshake));
    if !members_listed {
        return Ok(None);
    }
    let loaded = load_cluster(entries, connect)
        .await
        .map_err(|e| TribError::BadInput(format!("no listed node answered: {e}")))?;
    Ok(Some(loaded))
}

/// Puts the listed members into `loaded` as they answered.
pub fn merge(loaded: &mut Loaded, listed: &[Gathered]) {
    let members = loaded.view.members();
    for g in listed.iter().filter(|g| members.contains_key(&g.view.id)) {
        loaded.view.nodes.retain(|v| v.id != g.view.id);
        loaded.view.nodes.push(g.view.clone());
        loaded
            .view
            .unreachable
            .retain(|u| u.id.as_ref() != Some(&g.view.id));
        loaded.conns.insert(g.view.id.clone(), g.node.clone());
    }
    loaded.view.nodes.sort_by_key(|v| v.addr);
}

/// Applies every phase in order.
pub async fn run(
    plan: &ApplyPlan,
    env: &Env<'_>,
    reporter: &dyn Reporter,
    undo: &UndoLog,
) -> anyhow::Result<Vec<Done>> {
    let mut done = Vec::new();
    for phase in &plan.phases {
        interrupt::check()?;
        let started = Instant::now();
        let mut d = Done {
            phase: phase.name(),
            node: None,
            slots_moved: None,
            keys_moved: None,
            ms: 0,
        };
        match phase {
            Phase::Create { plan } => create(plan, env, reporter, undo).await?,
            Phase::RestoreTimeouts { nodes } => {
                for r in nodes {
                    reporter.step(&format!(
                        "Restoring cluster-node-timeout {} ms on {}",
                        r.ms, r.node.node
                    ));
                    listed_node(env, &r.node)?
                        .node
                        .set_node_timeout(r.ms)
                        .await
                        .map_err(|e| failed(phase, e))?;
                }
            }
            Phase::Reform { plan, .. } => reform(plan, env, reporter).await?,
            Phase::Forget { node } | Phase::Remove { node, .. } => {
                d.node = Some(node.node.clone());
                remove(phase, node, env, reporter).await?;
            }
            Phase::Failover { promote, .. } => {
                d.node = Some(promote.node.clone());
                let loaded = reload(env).await?;
                // Already a master (a failover happened meanwhile): nothing to do.
                if let Planned::Step(step) = plan_promote(&loaded.view, &promote.id, Mode::Default)
                    .map_err(|r| failed(phase, r))?
                {
                    super::failover::apply_step(&loaded.conns, &step, env.timeout, reporter)
                        .await
                        .map_err(|e| failed(phase, e))?;
                }
            }
            Phase::Join {
                node,
                role,
                master,
                member,
            } => {
                d.node = Some(node.node.clone());
                let want = match (role, master) {
                    (Role::Replica, Some(m)) => Want::ReplicaOf(m.id.clone()),
                    _ => Want::Master,
                };
                attach(phase, node, want, *member, env, reporter).await?;
            }
            Phase::Replicate {
                replica, master, ..
            } => {
                d.node = Some(replica.node.clone());
                let want = Want::ReplicaOf(master.id.clone());
                attach(phase, replica, want, true, env, reporter).await?;
            }
            Phase::Rebalance { .. } => {
                let (slots, keys) = rebalance(plan, env, reporter).await?;
                d.slots_moved = Some(slots);
                d.keys_moved = Some(keys);
            }
        }
        d.ms = started.elapsed().as_millis();
        reporter.finish(&format!(
            "{}{} done in {:.2}s",
            d.phase,
            d.node
                .as_deref()
                .map(|n| format!(" {n}"))
                .unwrap_or_default(),
            started.elapsed().as_secs_f64()
        ));
        done.push(d);
    }
    Ok(done)
}

/// The error of a phase that did not finish.
fn failed(phase: &Phase, e: impl std::fmt::Display) -> TribError {
    TribError::Failed(format!(
        "apply: {} did not finish: {e} (re-run the same command to complete it)",
        phase.name()
    ))
}

/// The cluster as it is now, from the listed nodes.
async fn reload(env: &Env<'_>) -> Result<Loaded, TribError> {
    load_cluster(env.entries, env.connect)
        .await
        .map_err(|e| TribError::Failed(format!("apply: cannot load the cluster: {e}")))
}

/// A listed node's connection.
fn listed_node<'a>(env: &'a Env<'_>, node: &NodeRef) -> Result<&'a Gathered, TribError> {
    env.listed
        .iter()
        .find(|g| g.view.id == node.id)
        .ok_or_else(|| TribError::Failed(format!("apply: {} is not a listed node", node.node)))
}

async fn create(
    plan: &CreatePlan,
    env: &Env<'_>,
    reporter: &dyn Reporter,
    undo: &UndoLog,
) -> Result<(), TribError> {
    let targets = super::create::targets(env.listed, env.states);
    super::create::apply(plan, &targets, env.timeout, true, false, reporter, undo)
        .await
        .map_err(|e| super::create::unfinished("apply: create", e))?;
    Ok(())
}

async fn reform(
    plan: &ReformPlan,
    env: &Env<'_>,
    reporter: &dyn Reporter,
) -> Result<(), TribError> {
    let Some(loaded) = env.cluster else {
        return Ok(());
    };
    let nodes = reform_nodes(&loaded.view);
    let conns: Vec<Node> = nodes
        .iter()
        .filter_map(|n| loaded.conns.get(&n.id).cloned())
        .collect();
    if conns.len() != nodes.len() {
        return Err(TribError::Failed(
            "apply: a member reached while planning has no connection".into(),
        ));
    }
    send_meets(&plan.meets, &nodes, &conns, reporter)
        .await
        .map_err(|e| TribError::Failed(format!("apply: CLUSTER MEET failed: {e}")))?;
    let state_ok = loaded.view.unreachable.is_empty();
    let waited = wait_reformed(&nodes, &conns, state_ok, env.timeout, reporter)
        .await
        .map_err(|e| TribError::Failed(format!("apply: the cluster did not re-form: {e}")))?;
    reporter.finish(&format!(
        "{} node(s) see each other at their current addresses after {:.2}s",
        nodes.len(),
        waited.as_secs_f64()
    ));
    Ok(())
}

/// `del-node` for a pruned member: planned on the cluster as it is now.
async fn remove(
    phase: &Phase,
    node: &NodeRef,
    env: &Env<'_>,
    reporter: &dyn Reporter,
) -> Result<(), TribError> {
    let loaded = reload(env).await?;
    if !loaded.view.members().contains_key(&node.id) {
        return Ok(());
    }
    let plan =
        plan_del(&loaded.view, &node.id).map_err(|r| failed(phase, TribError::refused(&r)))?;
    del_node::apply(&plan, &loaded.conns, env.timeout, reporter)
        .await
        .map_err(|e| failed(phase, e))?;
    Ok(())
}

/// `add-node` (a new node) or `replicate` (a member), planned on the cluster as it is now.
async fn attach(
    phase: &Phase,
    node: &NodeRef,
    want: Want,
    member: bool,
    env: &Env<'_>,
    reporter: &dyn Reporter,
) -> Result<(), TribError> {
    let loaded = reload(env).await?;
    let (conn, domain) = match env.listed.iter().find(|g| g.view.id == node.id) {
        Some(g) => (g.node.clone(), g.view.domain.clone()),
        None => match loaded.conns.get(&node.id) {
            Some(c) => (c.clone(), node.domain.clone()),
            None => return Err(failed(phase, format!("{} is not reachable", node.node))),
        },
    };
    let view = probe(&conn, domain, InfoDetail::Basic)
        .await
        .map_err(|e| failed(phase, e))?;
    let f = functions(&conn, &view, &loaded)
        .await
        .map_err(|e| failed(phase, e))?;
    let plan = plan_join(&JoinInput {
        cluster: &loaded.view,
        new: &view,
        new_functions: f.new,
        cluster_functions: f.cluster.map(|c| (c.from, c.libraries)),
        want,
        allow_member: member,
    })
    .map_err(|r| failed(phase, TribError::refused(&r)))?;
    if plan.is_noop() {
        return Ok(());
    }
    join(&plan, &conn, &loaded, env.timeout, reporter)
        .await
        .map_err(|e| failed(phase, e))?;
    Ok(())
}

/// Waits until the cluster is healthy enough to move slots (every member answers and
/// agrees, no slot open), then rebalances as planned on the cluster as it is now.
async fn rebalance(
    plan: &ApplyPlan,
    env: &Env<'_>,
    reporter: &dyn Reporter,
) -> anyhow::Result<(usize, u64)> {
    let deadline = Instant::now() + env.timeout;
    let loaded = loop {
        let loaded = reload(env).await?;
        let problems = health_problems(&loaded.view);
        if problems.is_empty() {
            break loaded;
        }
        if Instant::now() >= deadline {
            return Err(TribError::Failed(format!(
                "{}\napply: the cluster is not healthy, so no slot was moved; repair it (`trib fix`) and re-run the same command",
                problems.join("\n")
            ))
            .into());
        }
        reporter.progress(
            "waiting for the cluster to be healthy before moving slots",
            0,
            1,
            &problems[0],
        );
        interrupt::check()?;
        tokio::time::sleep(POLL * 10).await;
    };
    let listed: Vec<NodeId> = env.listed.iter().map(|g| g.view.id.clone()).collect();
    let masters = rebalance_masters(&loaded.view, &listed, plan.prune);
    let mut rb = plan_rebalance(&masters, DEFAULT_THRESHOLD).map_err(|e| {
        TribError::Failed(format!("apply: rebalance: {e} (re-run the same command)"))
    })?;
    if rb.balanced {
        return Ok((0, 0));
    }
    let opts = MigrateOptions {
        converge_timeout: env.timeout,
        ..MigrateOptions::default()
    }
    .with_credentials(env.connect);
    // As `reshard` and `rebalance` do: the big keys are found first, so that each moves
    // alone with an I/O timeout that fits its size, and the first batches are sized by
    // what the keys weigh.
    if let Some(w) = note_big_keys(
        &master_conns(&loaded),
        &mut rb.moves,
        opts.max_stall,
        false,
        opts.relay,
        reporter,
    )
    .await
    {
        reporter.warn(&w);
    }
    let big = &rb.moves.big_keys;
    let whole: Vec<_> = big.iter().filter(|k| !k.in_pieces).collect();
    if let Some(biggest) = whole.first() {
        reporter.warn(&format!(
            "{} big key(s) move one at a time; {} of them whole, each blocking its source while it moves (the biggest, {} in slot {} on {}: about {} ms)",
            big.len(),
            whole.len(),
            String::from_utf8_lossy(&biggest.key),
            biggest.slot,
            biggest.from_node,
            biggest.stall_ms
        ));
    } else if !big.is_empty() {
        reporter.step(&format!(
            "{} big key(s) move one at a time, in pieces that each fit the stall budget",
            big.len()
        ));
    }
    let total = rb.moves.moves.len();
    let report = move_slots(&loaded, &rb.moves, &opts, reporter)
        .await
        .map_err(|e| {
            unfinished(
                "apply",
                total,
                |_| "re-run the same command to complete it".into(),
                e,
            )
        })?;
    reporter.finish(&format!(
        "{} slot(s), {} key(s) moved",
        report.slots_moved, report.keys_moved
    ));
    Ok((report.slots_moved, report.keys_moved))
}
