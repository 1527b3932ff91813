//! Applying a join plan (`add-node`, `replicate`): copy functions, MEET, wait until NEW
//! and every reachable member know each other, attach as replica, wait for the first sync.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::future::{join_all, try_join_all};
use redis::Value;
use thiserror::Error;

use super::Reporter;
use super::wait::{Converged, Progress, WaitTimeout, poll_until, wait_converged};
use crate::cluster::commands::cmd;
use crate::cluster::{Node, NodeError, NodeErrorKind, ServerError};
use crate::model::NodeId;
use crate::plan::membership::{JoinPlan, JoinStep, Library};

#[derive(Debug, Error)]
pub enum JoinError {
    #[error(transparent)]
    Node(#[from] NodeError),
    /// NEW and the members did not all come to know each other (the handshake over the
    /// cluster bus did not end).
    #[error(transparent)]
    Handshake(WaitTimeout),
    #[error(transparent)]
    Timeout(#[from] WaitTimeout),
}

/// Timings of the phases, for the report.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct JoinTimings {
    pub functions_ms: u128,
    pub meet_ms: u128,
    pub known_ms: u128,
    pub refresh_ms: u128,
    pub replicate_ms: u128,
    pub sync_ms: u128,
    pub agree_ms: u128,
}

/// Redis ≥ 7 has FUNCTION (Valkey too: it reports its own version).
pub fn has_functions(version: Option<(u32, u32, u32)>) -> bool {
    version.is_some_and(|v| v.0 >= 7)
}

/// `FUNCTION LIST WITHCODE`: libraries sorted by name.
pub async fn function_libraries(node: &Node) -> Result<Vec<Library>, NodeError> {
    let v: Value = node.query(&cmd::function_list_withcode()).await?;
    parse_function_list(&v).ok_or_else(|| {
        NodeError::new(
            &node.label,
            NodeErrorKind::Protocol(format!("unexpected FUNCTION LIST reply: {v:?}")),
        )
    })
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        _ => None,
    }
}

/// Parses the reply of `FUNCTION LIST WITHCODE` (RESP2 flat key/value arrays or RESP3 maps).
fn parse_function_list(v: &Value) -> Option<Vec<Library>> {
    let Value::Array(libs) = v else { return None };
    let mut out = Vec::new();
    for lib in libs {
        let pairs: Vec<(String, &Value)> = match lib {
            Value::Array(kv) => kv
                .chunks(2)
                .filter_map(|c| Some((text(c.first()?)?, c.get(1)?)))
                .collect(),
            Value::Map(kv) => kv.iter().filter_map(|(k, v)| Some((text(k)?, v))).collect(),
            _ => return None,
        };
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| text(v))
        };
        out.push(Library {
            name: get("library_name")?,
            code: get("library_code").unwrap_or_default(),
        });
    }
    out.sort();
    Some(out)
}

/// Applies `plan`. `new` is NEW's connection, `members` every reachable member's.
/// `timeout` bounds each wait (and the first sync).
pub async fn apply_join(
    plan: &JoinPlan,
    new: &Node,
    members: &BTreeMap<NodeId, Node>,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<JoinTimings, JoinError> {
    let mut t = JoinTimings::default();
    let new_id = &plan.node.id;
    let others: Vec<Node> = members
        .iter()
        .filter(|(id, _)| *id != new_id)
        .map(|(_, n)| n.clone())
        .collect();
    let other_ids: BTreeSet<NodeId> = members.keys().filter(|id| *id != new_id).cloned().collect();
    // The MEET senders and command, sent again once NEW knows every member (see below).
    let mut meet: Option<(Vec<&Node>, redis::Cmd)> = None;
    for step in &plan.steps {
        let started = Instant::now();
        match step {
            JoinStep::CopyFunctions { from, libraries } => {
                reporter.step(&format!(
                    "Copying functions ({}) from {} to {}",
                    libraries.join(", "),
                    from.node,
                    new.label
                ));
                let src = member(members, &from.id, &from.node)?;
                let dump = src.function_dump().await?;
                new.function_restore(&dump).await?;
                t.functions_ms = started.elapsed().as_millis();
            }
            JoinStep::Meet {
                via,
                ip,
                port,
                bus_port,
            } => {
                reporter.step(&format!(
                    "Introducing {} to {} member(s) (CLUSTER MEET {ip} {port} {bus_port})",
                    new.label,
                    via.len()
                ));
                let cmd = cmd::meet(ip, *port, *bus_port);
                let senders: Vec<&Node> = via
                    .iter()
                    .map(|r| member(members, &r.id, &r.node))
                    .collect::<Result<_, _>>()?;
                try_join_all(senders.iter().map(|n| n.ok(&cmd))).await?;
                t.meet_ms = started.elapsed().as_millis();
                meet = Some((senders, cmd));
            }
            JoinStep::WaitKnown => {
                wait_known(new, new_id, &others, &other_ids, timeout, reporter)
                    .await
                    .map_err(JoinError::Handshake)?;
                t.known_ms = started.elapsed().as_millis();
                // A handshake tells NEW who its peers are, not what they serve: it learns
                // slots and roles from their later pings, which takes seconds. A MEET from
                // a node NEW already knows is handled as a ping carrying that node's slots
                // and master, so a second round teaches it the whole cluster at once; the
                // members drop the extra handshake when NEW answers with its known ID.
                if let Some((senders, cmd)) = &meet {
                    let s2 = Instant::now();
                    for r in join_all(senders.iter().map(|n| n.ok(cmd))).await {
                        if let Err(e) = r {
                            reporter.warn(&format!("second CLUSTER MEET: {e}"));
                        }
                    }
                    t.refresh_ms = s2.elapsed().as_millis();
                }
            }
            JoinStep::Replicate { master } => {
                reporter.step(&format!(
                    "Attaching {} as replica of {} (CLUSTER REPLICATE {})",
                    new.label,
                    master.node,
                    master.id.short()
                ));
                replicate(new, &master.id, timeout).await?;
                t.replicate_ms = started.elapsed().as_millis();
            }
            JoinStep::WaitSynced => {
                let Some(m) = &plan.master else { continue };
                wait_synced(new, &m.id, timeout, reporter).await?;
                t.sync_ms = started.elapsed().as_millis();
                let s2 = Instant::now();
                wait_role_agreed(&others, new_id, &m.id, timeout, reporter).await?;
                t.agree_ms = s2.elapsed().as_millis();
            }
        }
    }
    Ok(t)
}

fn member<'a>(
    members: &'a BTreeMap<NodeId, Node>,
    id: &NodeId,
    label: &str,
) -> Result<&'a Node, NodeError> {
    members.get(id).ok_or_else(|| {
        NodeError::new(
            label,
            NodeErrorKind::Connect("no connection to this member".into()),
        )
    })
}

/// Until every reachable member lists NEW (handshake over) and NEW lists every one of them.
async fn wait_known(
    new: &Node,
    new_id: &NodeId,
    others: &[Node],
    other_ids: &BTreeSet<NodeId>,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Duration, WaitTimeout> {
    let what = format!("every member and {} to know each other", new.label);
    let known = |entries: &[crate::model::NodeEntry], id: &NodeId| {
        entries
            .iter()
            .any(|e| &e.id == id && !e.flags.handshake && !e.flags.noaddr)
    };
    poll_until(&what, timeout, reporter, || async {
        let (mine, theirs) = futures::join!(
            new.cluster_nodes(),
            join_all(others.iter().map(|n| n.cluster_nodes()))
        );
        let mut missing: Vec<String> = others
            .iter()
            .zip(&theirs)
            .filter(|(_, v)| !v.as_ref().is_ok_and(|e| known(e, new_id)))
            .map(|(n, _)| n.label.clone())
            .collect();
        let new_knows_all = mine
            .as_ref()
            .is_ok_and(|e| other_ids.iter().all(|id| known(e, id)));
        if !new_knows_all {
            missing.push(format!("{} (to know every member)", new.label));
        }
        Progress {
            total: others.len() + 1,
            missing,
        }
    })
    .await
}

/// `CLUSTER REPLICATE`, retried while NEW does not know the master yet ("Unknown node").
async fn replicate(new: &Node, master: &NodeId, timeout: Duration) -> Result<(), NodeError> {
    let start = Instant::now();
    loop {
        match new.replicate(master).await {
            Ok(()) => return Ok(()),
            Err(e)
                if e.server() == Some(&ServerError::UnknownNode) && start.elapsed() < timeout =>
            {
                tokio::time::sleep(super::wait::POLL).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Until NEW, in its own view, replicates `master`, its link is up and no sync is running.
async fn wait_synced(
    new: &Node,
    master: &NodeId,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Duration, WaitTimeout> {
    let what = format!("{} to finish its first sync", new.label);
    poll_until(&what, timeout, reporter, || async {
        let (nodes, info) = futures::join!(new.cluster_nodes(), new.info(&["replication"]));
        let points = nodes.is_ok_and(|e| {
            e.iter()
                .any(|e| e.flags.myself && e.master_id.as_ref() == Some(master))
        });
        let linked = info.is_ok_and(|i| {
            i.get("role") == Some("slave")
                && i.get("master_link_status") == Some("up")
                && i.get("master_sync_in_progress") == Some("0")
        });
        Progress {
            total: 1,
            missing: if points && linked {
                vec![]
            } else {
                vec![new.label.clone()]
            },
        }
    })
    .await
}

/// Until every reachable member sees NEW as a replica of `master`.
async fn wait_role_agreed(
    others: &[Node],
    new_id: &NodeId,
    master: &NodeId,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Duration, WaitTimeout> {
    poll_until(
        "every member to see the new replica",
        timeout,
        reporter,
        || async {
            let views = join_all(others.iter().map(|n| n.cluster_nodes())).await;
            let missing = others
                .iter()
                .zip(&views)
                .filter(|(_, v)| {
                    !v.as_ref().is_ok_and(|e| {
                        e.iter().any(|e| {
                            &e.id == new_id
                                && e.flags.replica
                                && e.master_id.as_ref() == Some(master)
                        })
                    })
                })
                .map(|(n, _)| n.label.clone())
                .collect();
            Progress {
                total: others.len(),
                missing,
            }
        },
    )
    .await
}

/// After a master joined: until every reachable node (NEW included) agrees on the slot map.
pub async fn wait_slots_agree(
    nodes: &[Node],
    new_id: &NodeId,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Duration, WaitTimeout> {
    let ids: BTreeSet<NodeId> = [new_id.clone()].into();
    wait_converged(
        nodes,
        &ids,
        Converged {
            slots_agree: true,
            state_ok: false,
            members_settled: false,
        },
        "every node to agree on the slot map",
        timeout,
        reporter,
    )
    .await
}

/// Until NEW reports `cluster_state:ok`. Redis keeps a master that has just joined in
/// `fail` for min(cluster-node-timeout, 5 s) (its rejoin delay), so this takes that long.
pub async fn wait_state_ok(
    new: &Node,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<Duration, WaitTimeout> {
    let what = format!(
        "{} to report cluster_state:ok (Redis holds a new master back for min(cluster-node-timeout, 5s))",
        new.label
    );
    poll_until(&what, timeout, reporter, || async {
        let ok = new
            .cluster_info()
            .await
            .is_ok_and(|i| i.get("cluster_state") == Some("ok"));
        Progress {
            total: 1,
            missing: if ok { vec![] } else { vec![new.label.clone()] },
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn parses_function_list_resp2_and_resp3() {
        let resp2 = Value::Array(vec![
            Value::Array(vec![
                bulk("library_name"),
                bulk("zlib"),
                bulk("engine"),
                bulk("LUA"),
                bulk("functions"),
                Value::Array(vec![]),
                bulk("library_code"),
                bulk("#!lua name=zlib"),
            ]),
            Value::Array(vec![bulk("library_name"), bulk("alib")]),
        ]);
        let libs = parse_function_list(&resp2).unwrap();
        assert_eq!(libs[0].name, "alib");
        assert_eq!(libs[1].name, "zlib");
        assert_eq!(libs[1].code, "#!lua name=zlib");
        let resp3 = Value::Array(vec![Value::Map(vec![
            (bulk("library_name"), bulk("m")),
            (bulk("library_code"), bulk("c")),
        ])]);
        assert_eq!(
            parse_function_list(&resp3).unwrap(),
            vec![Library {
                name: "m".into(),
                code: "c".into()
            }]
        );
        assert_eq!(parse_function_list(&Value::Array(vec![])), Some(vec![]));
        assert_eq!(parse_function_list(&Value::Nil), None);
    }
}
