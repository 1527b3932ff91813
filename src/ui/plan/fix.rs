//! `fix`: the re-forming plan (stale addresses, MEETs) and the slot repairs, as tables
//! with their warnings, and as JSON (node indexes and IDs resolved to labels).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use super::Shown;
use crate::model::{NodeId, SlotSet};
use crate::ops::fix::{Checked, Conflict};
use crate::plan::fix::{BRIEF, FixJob, FixKind, FixPlan};
use crate::plan::reform::{ReformNode, ReformPlan};
use crate::ui::render;

/// The plan as printed: the re-forming, its warnings, the slot repairs, theirs.
pub fn shown(job: &FixJob) -> Vec<Shown> {
    let nodes = &job.nodes;
    let mut out = vec![Shown::Out(reform(&job.reform, nodes))];
    for &s in &job.reform.strangers {
        out.push(Shown::Warn(format!(
            "{}: no other node named knows its ID ({}), nor does it know theirs: not introduced (to add a new node use `trib add-node`)",
            nodes[s].label,
            nodes[s].id.short()
        )));
    }
    // Failed masters get their own line below.
    let dead = |id: &NodeId| job.slots.dead.iter().any(|(d, _)| d == id);
    for (id, addr) in job.unreached.iter().filter(|(id, _)| !dead(id)) {
        out.push(Shown::Warn(format!(
            "node {} (known at {addr}) was not reached: name it among the ENTRY arguments at its current address to re-introduce it",
            id.short()
        )));
    }
    let slots = &job.slots;
    if !slots.plan.is_empty() {
        out.push(Shown::Out(format!(
            "\n{}",
            slot_repairs(&slots.plan, &slots.labels)
        )));
    }
    for l in &slots.plan.lost {
        out.push(Shown::Out(format!(
            "\nLost unless it returns: master {} is failed and no replica took over; its slots {} ({} slot(s)) go, empty, to the live masters. Keys only it held in them are lost for good (if it returns later, it gives the slots up and drops them).",
            l.node,
            l.slots.brief(BRIEF),
            l.slots.len()
        )));
    }
    for (id, name) in &slots.dead {
        if slots.plan.lost.iter().any(|l| &l.id == id) {
            continue;
        }
        out.push(Shown::Warn(format!(
            "master {name} is failed and no live view needs it (a replica took over its slots): remove it with `trib del-node ENTRY {}`",
            id.short()
        )));
    }
    if !slots.plan.skipped.is_empty() {
        out.push(Shown::Warn(format!(
            "slots {} are owned by unreachable masters: left alone",
            slots.plan.skipped
        )));
    }
    out
}

/// The plan without its warnings (what [`shown`] prints on stdout).
pub fn render(job: &FixJob) -> String {
    shown(job)
        .into_iter()
        .filter_map(|s| match s {
            Shown::Out(text) => Some(text),
            Shown::Warn(_) => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn question(job: &FixJob) -> &'static str {
    if job.reform.is_empty() {
        "Repair these slots?"
    } else if job.slots.plan.is_empty() {
        "Re-introduce these nodes to each other?"
    } else {
        "Re-introduce these nodes to each other, then repair these slots?"
    }
}

/// With nothing to re-introduce: the line before the check's findings.
pub fn nothing_to_do(healthy: bool) -> &'static str {
    if healthy {
        "Every node knows every other at its current address: nothing to re-introduce; the cluster is fine."
    } else {
        "Every node knows every other at its current address: nothing to re-introduce."
    }
}

/// One row per peer with a stale address (not per pair: big clusters would print N² rows).
pub fn reform(plan: &ReformPlan, nodes: &[ReformNode]) -> String {
    if plan.stale.is_empty() {
        return format!(
            "{} node(s) reached; every node has every other at its current address.",
            nodes.len()
        );
    }
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

fn label_of(labels: &BTreeMap<NodeId, String>, id: &NodeId) -> String {
    labels
        .get(id)
        .cloned()
        .unwrap_or_else(|| id.short().to_string())
}

/// One row per group of slots with the same problem, owner and key sources.
pub fn slot_repairs(plan: &FixPlan, labels: &BTreeMap<NodeId, String>) -> String {
    type Group = (FixKind, NodeId, bool, Vec<NodeId>);
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
                kind.as_str().replace('_', " "),
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

/// The JSON document's `plan`: the re-forming plan's keys, plus `slots` for the repairs.
pub fn plan_json(job: &FixJob) -> Value {
    let nodes = &job.nodes;
    let plan = &job.reform;
    json!({
        "nodes": nodes.iter().map(|n| json!({"node": n.label, "id": n.id, "addr": n.addr.to_string(), "bus_port": n.bus_port})).collect::<Vec<_>>(),
        "stale": plan.stale.iter().map(|s| json!({
            "node": nodes[s.node].label, "peer": nodes[s.peer].label, "peer_id": nodes[s.peer].id,
            "known_at": s.known_at, "current": nodes[s.peer].addr.to_string()})).collect::<Vec<_>>(),
        "meets": plan.meets.iter().map(|m| json!({
            "node": nodes[m.node].label, "peer": nodes[m.peer].label,
            "peer_addr": nodes[m.peer].addr.to_string(), "peer_bus_port": nodes[m.peer].bus_port})).collect::<Vec<_>>(),
        "strangers": plan.strangers.iter().map(|s| nodes[*s].label.clone()).collect::<Vec<_>>(),
        "unreached": job.unreached.iter().map(|(id, a)| json!({"id": id, "known_at": a})).collect::<Vec<_>>(),
        "slots": slots_json(&job.slots.plan, &job.slots.labels),
    })
}

fn slots_json(plan: &FixPlan, labels: &BTreeMap<NodeId, String>) -> Value {
    json!({
        "lost": plan.lost,
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

/// The error after slot repairs that stopped on keys with different contents on two
/// masters: each slot, the keys, and the two ways out. `entry` names the cluster in
/// the commands shown.
pub fn conflicts(conflicts: &[Conflict], entry: &str) -> String {
    const SHOW: usize = 5;
    let mut lines: Vec<String> = conflicts
        .iter()
        .map(|c| {
            let more = c.keys.len().saturating_sub(SHOW);
            format!(
                "slot {}: {} key(s) on {} differ from their copies on the slot's owner {}: {}{}; clients were served the copies on {} (it claims the slot); {} key(s) of the slot are still on {}, the slot is left open",
                c.slot,
                c.keys.len(),
                c.from,
                c.owner,
                c.keys.iter().take(SHOW).cloned().collect::<Vec<_>>().join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() },
                c.served,
                c.left,
                c.from
            )
        })
        .collect();
    let keys: usize = conflicts.iter().map(|c| c.keys.len()).sum();
    lines.push(format!(
        "{keys} key(s) in {} slot(s) exist on two masters with different contents; every other slot was repaired. Choose the copies to keep (those clients were served are usually the newer): `trib fix {entry} --replace` keeps the ones being moved (they overwrite the owner's); to keep the owner's, delete the others where they are (ASKING, then DEL, on one connection to that node: docs/runbook.md §8.3) and run `trib fix {entry}` again",
        conflicts.len()
    ));
    lines.join("\n")
}

/// After a repair that left failed masters without slots: how to remove them.
pub fn remove_dead(dead: &[(NodeId, String)], entry: &str) -> String {
    let names: Vec<String> = dead.iter().map(|(_, n)| n.clone()).collect();
    let cmds: Vec<String> = dead
        .iter()
        .map(|(id, _)| format!("`trib del-node {entry} {}`", id.short()))
        .collect();
    format!(
        "every slot is served; failed node(s) {} own no slot but are still members (check reports them): remove them with {}",
        names.join(", "),
        cmds.join(", ")
    )
}

/// The cluster as `fix` left it: the line for nothing to re-introduce (when nothing
/// `changed`), every problem, and how to remove failed members that own no slot.
pub fn checked(checked: &Checked, changed: bool, entry: &str) -> Vec<Shown> {
    let mut out = Vec::new();
    if !changed {
        out.push(Shown::Out(nothing_to_do(checked.healthy()).into()));
    }
    if !checked.problems.is_empty() {
        out.push(Shown::Out(format!(
            "\n{}",
            render::problems(&checked.problems)
        )));
    }
    if !checked.healthy() && checked.serving() {
        out.push(Shown::Warn(remove_dead(&checked.dead, entry)));
    }
    out
}

/// [`checked`] in the JSON document.
pub fn checked_json(checked: &Checked, took: Duration) -> Value {
    let dead: Vec<_> = checked
        .dead
        .iter()
        .map(|(id, node)| json!({"id": id, "node": node}))
        .collect();
    json!({
        "healthy": checked.healthy(),
        "serving": checked.serving(),
        "dead": dead,
        "problems": checked.problems,
        "elapsed_ms": took.as_millis(),
    })
}

/// A job serializes as its documented JSON ([`plan_json`]).
impl Serialize for FixJob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        plan_json(self).serialize(s)
    }
}

#[cfg(test)]
mod tests {
    //! Snapshots: a change in how a plan looks is a reviewed diff.

    use super::*;
    use crate::model::slots::SlotRange;
    use crate::plan::fix::{SetSlot, SlotFix, SlotRepairs};
    use crate::plan::reform::{Meet, Stale};

    fn id(i: u8) -> NodeId {
        NodeId::parse(&format!("{i:x}").repeat(40)).unwrap()
    }

    fn node(i: u8) -> ReformNode {
        ReformNode {
            id: id(i),
            label: format!("redis-{i}:6379"),
            addr: format!("10.0.1.{i}:6379").parse().unwrap(),
            bus_port: 16379,
            entries: vec![],
        }
    }

    fn fix(slot: u16, kind: FixKind, owner: u8, assign: bool, moves: &[(u8, u64)]) -> SlotFix {
        SlotFix {
            slot,
            kind,
            owner: id(owner),
            assign,
            open: vec![],
            moves: moves.iter().map(|(i, n)| (id(*i), *n)).collect(),
            stable: vec![],
        }
    }

    /// Re-formed nodes 1-3 (2 moved, 3 a stranger), 9 unreached; slots to repair.
    fn job() -> FixJob {
        let mut labels: BTreeMap<NodeId, String> = (1..=3)
            .map(|i| (id(i), format!("redis-{i}:6379")))
            .collect();
        labels.insert(id(9), "10.0.9.9:6379".into());
        let mut migrating = fix(5, FixKind::Migrating, 1, false, &[(2, 3)]);
        migrating.open = vec![(id(2), SetSlot::Importing(id(1)))];
        migrating.stable = vec![id(2)];
        FixJob {
            nodes: (1..=3).map(node).collect(),
            reform: ReformPlan {
                stale: vec![
                    Stale {
                        node: 0,
                        peer: 1,
                        known_at: "10.0.9.2:6379".into(),
                    },
                    Stale {
                        node: 2,
                        peer: 1,
                        known_at: String::new(),
                    },
                ],
                meets: vec![Meet { node: 0, peer: 1 }, Meet { node: 1, peer: 2 }],
                strangers: vec![2],
            },
            unreached: [(id(9), "10.0.9.9:6379".to_string())].into(),
            slots: SlotRepairs {
                plan: FixPlan {
                    slots: vec![
                        migrating,
                        fix(6, FixKind::Migrating, 1, false, &[(2, 4)]),
                        fix(100, FixKind::Uncovered, 7, true, &[]),
                        fix(101, FixKind::Uncovered, 7, true, &[]),
                        fix(300, FixKind::MultipleOwners, 2, false, &[(1, 1), (9, 2)]),
                    ],
                    skipped: SlotSet::from_ranges([SlotRange::new(200, 201)]),
                    lost: vec![],
                },
                masters: (1..=3).map(id).collect(),
                unreachable_masters: vec![
                    "master 10.0.9.9:6379 (99999999) is not reachable".into(),
                ],
                dead: vec![],
                labels,
            },
            state_not_ok: false,
        }
    }

    #[test]
    fn reform_and_slot_repairs_snapshot() {
        let shown = shown(&job());
        let text: Vec<String> = shown
            .iter()
            .map(|s| match s {
                Shown::Out(t) => format!("[out]\n{t}"),
                Shown::Warn(t) => format!("[warn] {t}"),
            })
            .collect();
        assert_eq!(text.join("\n"), SNAPSHOT, "\n{}", text.join("\n"));
        // stdout: the same, without the warnings.
        let outs: Vec<&str> = shown
            .iter()
            .filter_map(|s| match s {
                Shown::Out(t) => Some(t.as_str()),
                Shown::Warn(_) => None,
            })
            .collect();
        assert_eq!(render(&job()), outs.join("\n"));
    }

    const SNAPSHOT: &str = r#"[out]
Stale addresses: 2 of 6 views of a peer are out of date.

NODE          ID        NOW AT         KNOWN AT (STALE)             STALE IN VIEWS
redis-2:6379  22222222  10.0.1.2:6379  (no address), 10.0.9.2:6379  2

Plan: 2 CLUSTER MEET(s), one per pair of nodes with a stale view (Redis updates a known node's address when the handshake reaches its ID at the new address; the other direction follows from the first PING), then wait until every node sees every other at its current address.
[warn] redis-3:6379: no other node named knows its ID (33333333), nor does it know theirs: not introduced (to add a new node use `trib add-node`)
[warn] node 99999999 (known at 10.0.9.9:6379) was not reached: name it among the ENTRY arguments at its current address to re-introduce it
[out]

Slot repairs: 5 slot(s), 4 key move(s).

SLOTS    PROBLEM          OWNER                KEYS MOVED
5-6      migrating        redis-1:6379         7 key(s) from redis-2:6379
100-101  uncovered        77777777 (assigned)  -
300      multiple owners  redis-2:6379         3 key(s) from redis-1:6379, 10.0.9.9:6379

Uncovered slots are assigned first (the cluster comes up again), then keys move to each slot's owner (never dropped), then every master gets `SETSLOT NODE owner` and open states are cleared.
[warn] slots 200-201 are owned by unreachable masters: left alone"#;

    #[test]
    fn nothing_to_reintroduce_snapshot() {
        let mut j = job();
        j.reform = ReformPlan::default();
        j.unreached.clear();
        j.slots = SlotRepairs::default();
        assert!(j.is_empty());
        assert_eq!(
            shown(&j),
            vec![Shown::Out(
                "3 node(s) reached; every node has every other at its current address.".into()
            )]
        );
        assert_eq!(
            question(&job()),
            "Re-introduce these nodes to each other, then repair these slots?"
        );
    }

    #[test]
    fn lost_slots_and_dead_masters_are_named() {
        let mut j = job();
        j.unreached.insert(id(8), "10.0.9.8:6379".into());
        j.slots.dead = vec![
            (id(9), "10.0.9.9:6379 (99999999)".into()),
            (id(8), "10.0.9.8:6379 (88888888)".into()),
        ];
        j.slots.plan.lost = vec![crate::plan::fix::LostSlots {
            id: id(9),
            node: "10.0.9.9:6379 (99999999)".into(),
            slots: SlotSet::from_ranges([SlotRange::new(100, 101)]),
        }];
        let text: Vec<String> = shown(&j)
            .into_iter()
            .map(|s| match s {
                Shown::Out(t) => t,
                Shown::Warn(t) => format!("[warn] {t}"),
            })
            .collect();
        let all = text.join("\n");
        assert!(
            all.contains("Lost unless it returns: master 10.0.9.9:6379 (99999999) is failed and no replica took over; its slots 100-101 (2 slot(s)) go, empty, to the live masters."),
            "{all}"
        );
        assert!(
            all.contains("[warn] master 10.0.9.8:6379 (88888888) is failed and no live view needs it (a replica took over its slots): remove it with `trib del-node ENTRY 88888888`"),
            "{all}"
        );
        // Neither is told to be re-introduced.
        assert!(
            !all.contains("known at 10.0.9.8:6379") && !all.contains("known at 10.0.9.9:6379"),
            "{all}"
        );
        let json = plan_json(&j);
        assert_eq!(json["slots"]["lost"][0]["slots"], "100-101");
    }
}
