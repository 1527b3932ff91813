//! Findings about a loaded cluster: errors (it is broken now) and warnings (it is
//! fragile). Pure: works on a [`ClusterView`] and optional deep-scan data.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::view::ClusterView;
use crate::model::{NodeEntry, NodeId, SLOT_COUNT, SlotSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding. `kind` is a stable machine-readable name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots: Option<String>,
}

impl Problem {
    fn error(kind: &'static str, message: String, nodes: Vec<String>) -> Problem {
        Problem {
            kind,
            severity: Severity::Error,
            message,
            nodes,
            slots: None,
        }
    }

    fn warning(kind: &'static str, message: String, nodes: Vec<String>) -> Problem {
        Problem {
            kind,
            severity: Severity::Warning,
            message,
            nodes,
            slots: None,
        }
    }

    fn with_slots(mut self, slots: &SlotSet) -> Problem {
        self.slots = Some(slots.to_string());
        self
    }
}

/// Keys found per master by a deep scan: the slots in which each master holds keys.
pub type DeepScan = BTreeMap<NodeId, SlotSet>;

/// The slots each master claims for itself: [`ClusterView::claimed_slots`] (kept for
/// callers of this path).
pub fn claimed_slots(view: &ClusterView) -> BTreeMap<NodeId, SlotSet> {
    view.claimed_slots()
}

/// The cluster's membership by consensus: [`ClusterView::members`] (kept for callers of
/// this path).
pub fn members(view: &ClusterView) -> BTreeMap<NodeId, NodeEntry> {
    view.members()
}

/// How many errors of `after` (the check after a change) `before` (the cluster as it
/// was planned on) did not have, matched by message: the errors the change introduced.
pub fn new_errors(before: &ClusterView, after: &[Problem]) -> usize {
    let known: BTreeSet<String> = check(before, None)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.message)
        .collect();
    after
        .iter()
        .filter(|p| p.severity == Severity::Error && !known.contains(&p.message))
        .count()
}

/// Everything `check` reports.
pub fn check(view: &ClusterView, deep: Option<&DeepScan>) -> Vec<Problem> {
    let mut p = Vec::new();

    for u in &view.unreachable {
        p.push(Problem::error(
            "unreachable",
            format!("{}: {}", u.label, u.error),
            vec![u.label.clone()],
        ));
    }

    // Flags as others see them.
    let mut flagged: BTreeMap<(&'static str, NodeId), BTreeSet<String>> = BTreeMap::new();
    for v in &view.nodes {
        for e in v.nodes.iter() {
            let kind = if e.flags.fail {
                "node_failed"
            } else if e.flags.pfail {
                "node_pfail"
            } else if e.flags.handshake {
                "handshake"
            } else if e.flags.noaddr {
                "noaddr"
            } else {
                continue;
            };
            flagged
                .entry((kind, e.id.clone()))
                .or_default()
                .insert(v.label.clone());
        }
    }
    for ((kind, id), seen_by) in &flagged {
        let what = match *kind {
            "node_failed" => "is marked failed (fail)",
            "node_pfail" => "is suspected failed (fail?)",
            "handshake" => "is still in handshake",
            _ => "has no address (noaddr)",
        };
        let name = view.name_of(id);
        p.push(Problem::error(
            kind,
            format!("{name} {what} in the view of {} node(s)", seen_by.len()),
            vec![name],
        ));
    }

    // Every reachable node's own state.
    for v in &view.nodes {
        if !v.cluster_state_ok() {
            p.push(Problem::error(
                "cluster_state",
                format!(
                    "{}: cluster_state is {}",
                    v.label,
                    v.cluster_info.get("cluster_state").unwrap_or("unknown")
                ),
                vec![v.label.clone()],
            ));
        }
        // Valkey ≥ 8 mirrors a master's migrating/importing state on its replicas: the
        // master's own state is the one that matters.
        if let Some(me) = v.myself().filter(|m| m.flags.master) {
            for (slot, to) in &me.migrating {
                p.push(Problem::error(
                    "open_slot",
                    format!(
                        "{}: slot {slot} is migrating to {}",
                        v.label,
                        view.name_of(to)
                    ),
                    vec![v.label.clone()],
                ));
            }
            for (slot, from) in &me.importing {
                p.push(Problem::error(
                    "open_slot",
                    format!(
                        "{}: slot {slot} is importing from {}",
                        v.label,
                        view.name_of(from)
                    ),
                    vec![v.label.clone()],
                ));
            }
        }
    }

    // Do the views agree on who owns what, and on who is a member?
    let signature = |entries: &[NodeEntry]| -> Vec<(NodeId, SlotSet)> {
        let mut s: Vec<(NodeId, SlotSet)> = entries
            .iter()
            .filter(|e| e.flags.master && !e.slots.is_empty())
            .map(|e| (e.id.clone(), e.slots.clone()))
            .collect();
        s.sort_by(|a, b| a.0.cmp(&b.0));
        s
    };
    type SlotMap = Vec<(NodeId, SlotSet)>;
    let mut groups: Vec<(SlotMap, Vec<String>)> = Vec::new();
    for v in &view.nodes {
        let sig = signature(&v.nodes);
        match groups.iter_mut().find(|(s, _)| *s == sig) {
            Some((_, names)) => names.push(v.label.clone()),
            None => groups.push((sig, vec![v.label.clone()])),
        }
    }
    if groups.len() > 1 {
        groups.sort_by_key(|(_, names)| std::cmp::Reverse(names.len()));
        let odd: Vec<String> = groups.iter().skip(1).flat_map(|(_, n)| n.clone()).collect();
        p.push(Problem::error(
            "views_disagree",
            format!(
                "nodes disagree about the slot map: {} see it differently from the other {}",
                odd.join(", "),
                groups[0].1.len()
            ),
            odd,
        ));
    }
    let members = view.members();
    for v in &view.nodes {
        let known: BTreeSet<&NodeId> = v
            .nodes
            .iter()
            .filter(|e| !e.flags.handshake)
            .map(|e| &e.id)
            .collect();
        let missing: Vec<String> = members
            .keys()
            .filter(|id| !known.contains(id))
            .map(|id| view.name_of(id))
            .collect();
        if !missing.is_empty() {
            p.push(Problem::error(
                "views_disagree",
                format!("{} does not know {}", v.label, missing.join(", ")),
                vec![v.label.clone()],
            ));
        }
    }

    // Coverage and double claims.
    let claims = view.claimed_slots();
    let mut covered = SlotSet::new();
    let mut doubled = SlotSet::new();
    for slots in claims.values() {
        doubled.union_with(&covered.intersection(slots));
        covered.union_with(slots);
    }
    // Slots owned by unreachable masters count as covered when the views say so.
    for (id, e) in &members {
        if view.node(id).is_none() && e.flags.master && !e.is_failing() {
            covered.union_with(&e.slots);
        }
    }
    let uncovered = covered.complement();
    if !uncovered.is_empty() {
        p.push(
            Problem::error(
                "slots_uncovered",
                format!(
                    "{} of {SLOT_COUNT} slots have no owner: {uncovered}",
                    uncovered.len()
                ),
                vec![],
            )
            .with_slots(&uncovered),
        );
    }
    if !doubled.is_empty() {
        let owners: Vec<String> = claims
            .iter()
            .filter(|(_, s)| !s.intersection(&doubled).is_empty())
            .map(|(id, _)| view.name_of(id))
            .collect();
        p.push(
            Problem::error(
                "multiple_owners",
                format!(
                    "slots {doubled} are claimed by several masters: {}",
                    owners.join(", ")
                ),
                owners,
            )
            .with_slots(&doubled),
        );
    }

    if let Some(deep) = deep {
        let mut holders: BTreeMap<u16, Vec<&NodeId>> = BTreeMap::new();
        for (id, with_keys) in deep {
            let own = claims.get(id).cloned().unwrap_or_default();
            let stray = with_keys.difference(&own);
            if !stray.is_empty() {
                let name = view.name_of(id);
                p.push(
                    Problem::error(
                        "keys_in_unowned_slots",
                        format!("{name} holds keys in slots it does not own: {stray}"),
                        vec![name],
                    )
                    .with_slots(&stray),
                );
            }
            for s in with_keys.iter() {
                holders.entry(s).or_default().push(id);
            }
        }
        let mut multi = SlotSet::new();
        for (s, ids) in &holders {
            if ids.len() > 1 {
                multi.insert(*s);
            }
        }
        if !multi.is_empty() {
            p.push(
                Problem::error(
                    "keys_on_several_masters",
                    format!("slots {multi} have keys on several masters"),
                    vec![],
                )
                .with_slots(&multi),
            );
        }
    }

    // Warnings: fragility.
    let masters: Vec<(&NodeId, &NodeEntry)> = members
        .iter()
        .filter(|(_, e)| e.flags.master && !e.slots.is_empty() && !e.flags.fail)
        .collect();
    let replica_count = |id: &NodeId| {
        members
            .values()
            .filter(|e| e.master_id.as_ref() == Some(id) && !e.flags.fail)
            .count()
    };
    let most = masters
        .iter()
        .map(|(id, _)| replica_count(id))
        .max()
        .unwrap_or(0);
    for (id, _) in &masters {
        let n = replica_count(id);
        if n < most {
            let name = view.name_of(id);
            p.push(Problem::warning(
                "replicas_uneven",
                format!("{name} has {n} replica(s), others have {most}"),
                vec![name],
            ));
        }
    }
    for v in &view.nodes {
        let Some(master) = v.myself().and_then(|m| m.master_id.as_ref()) else {
            continue;
        };
        if let Some(md) = view.domain_of(master)
            && md == v.domain
        {
            p.push(Problem::warning(
                "replica_same_domain",
                format!(
                    "{} is a replica of {} in the same failure domain {}",
                    v.label,
                    view.name_of(master),
                    v.domain
                ),
                vec![v.label.clone(), view.name_of(master)],
            ));
        }
    }
    for v in &view.nodes {
        if v.is_master() || v.info.get("role") != Some("slave") {
            continue;
        }
        if v.info.get("master_link_status") != Some("up") {
            // Never connected yet (-1), or transferring: the first sync is under way.
            let syncing = v.info.get("master_sync_in_progress") == Some("1")
                || v.info.get("master_link_down_since_seconds") == Some("-1");
            let (kind, what) = if syncing {
                ("replica_syncing", "has not finished its first sync yet")
            } else {
                ("replica_link_down", "has its replication link down")
            };
            p.push(Problem::warning(
                kind,
                format!(
                    "{} {what} (master {}:{})",
                    v.label,
                    v.info.get("master_host").unwrap_or("?"),
                    v.info.get("master_port").unwrap_or("?")
                ),
                vec![v.label.clone()],
            ));
        }
    }
    for loss in crate::plan::resilience::analyze(view).single_domain_losses {
        p.push(Problem::warning(
            "domain_single_point_of_failure",
            format!(
                "losing failure domain {} would stop the cluster: {}",
                loss.domain, loss.reason
            ),
            loss.nodes,
        ));
    }

    p.sort_by_key(|a| a.severity);
    p
}
