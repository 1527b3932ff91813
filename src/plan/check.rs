//! Findings about a loaded cluster: errors (it is broken now) and warnings (it is
//! fragile). Pure: works on a [`ClusterView`] and optional deep-scan data.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::view::ClusterView;
use crate::model::{NodeEntry, NodeId, SLOT_COUNT, SlotSet};
use crate::plan::unreached::{Fate, unreached_in};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// What a [`Problem`] is about: a stable machine-readable name (`kind` in `--json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A node does not answer.
    Unreachable,
    /// Some node flags another as failed (`fail`).
    NodeFailed,
    /// Some node suspects another (`pfail`).
    NodePfail,
    /// A node is still in handshake in some view.
    Handshake,
    /// A node is known without an address.
    Noaddr,
    /// A node reports `cluster_state` other than `ok`.
    ClusterState,
    /// A slot is migrating or importing.
    OpenSlot,
    /// Nodes disagree on the slot map or the members.
    ViewsDisagree,
    /// Slots no master serves.
    SlotsUncovered,
    /// Slots several masters claim.
    MultipleOwners,
    /// A master holds keys of slots it does not own.
    KeysInUnownedSlots,
    /// Keys of one slot on several masters.
    KeysOnSeveralMasters,
    /// Masters have different numbers of replicas.
    ReplicasUneven,
    /// A replica shares its master's failure domain.
    ReplicaSameDomain,
    /// A replica has not finished its first sync.
    ReplicaSyncing,
    /// A replica's replication link is down.
    ReplicaLinkDown,
    /// Losing one failure domain would stop the cluster.
    DomainSinglePointOfFailure,
    /// Nodes run with different `cluster-node-timeout`s.
    NodeTimeoutsDiffer,
    /// An entry the user gave does not answer and the cluster does not list it.
    UnlistedEntry,
}

impl ProblemKind {
    /// The name `--json` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Unreachable => "unreachable",
            ProblemKind::NodeFailed => "node_failed",
            ProblemKind::NodePfail => "node_pfail",
            ProblemKind::Handshake => "handshake",
            ProblemKind::Noaddr => "noaddr",
            ProblemKind::ClusterState => "cluster_state",
            ProblemKind::OpenSlot => "open_slot",
            ProblemKind::ViewsDisagree => "views_disagree",
            ProblemKind::SlotsUncovered => "slots_uncovered",
            ProblemKind::MultipleOwners => "multiple_owners",
            ProblemKind::KeysInUnownedSlots => "keys_in_unowned_slots",
            ProblemKind::KeysOnSeveralMasters => "keys_on_several_masters",
            ProblemKind::ReplicasUneven => "replicas_uneven",
            ProblemKind::ReplicaSameDomain => "replica_same_domain",
            ProblemKind::ReplicaSyncing => "replica_syncing",
            ProblemKind::ReplicaLinkDown => "replica_link_down",
            ProblemKind::DomainSinglePointOfFailure => "domain_single_point_of_failure",
            ProblemKind::NodeTimeoutsDiffer => "node_timeouts_differ",
            ProblemKind::UnlistedEntry => "unlisted_entry",
        }
    }
}

impl std::fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding. `kind` is a stable machine-readable name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots: Option<String>,
}

impl Problem {
    fn error(kind: ProblemKind, message: String, nodes: Vec<String>) -> Problem {
        Problem {
            kind,
            severity: Severity::Error,
            message,
            nodes,
            slots: None,
        }
    }

    fn warning(kind: ProblemKind, message: String, nodes: Vec<String>) -> Problem {
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

    /// Whether `check --wait` waits for this problem to go: every error, a replica not
    /// yet in sync (what a restarted pod goes through last), and with `strict` every
    /// warning.
    pub fn holds_a_wait(&self, strict: bool) -> bool {
        strict
            || self.severity == Severity::Error
            || matches!(
                self.kind,
                ProblemKind::ReplicaSyncing | ProblemKind::ReplicaLinkDown
            )
    }
}

/// Whether the only errors in `problems` are passing states of the cluster bus:
/// suspicions (`fail?`), what a node busy during a change (thousands of slot claims on the
/// cluster bus, a big key) can cause by answering one ping late, and handshakes, which a
/// node met twice (a MEET, and gossip about the same address) holds under a random ID
/// until its first PONG. Both clear within a moment if the node is up. A node really down
/// turns `fail` once a majority agrees, or stays suspected; a handshake with an address
/// nobody answers at lasts the node timeout.
pub fn only_passing_states(problems: &[Problem]) -> bool {
    let mut errors = problems.iter().filter(|p| p.severity == Severity::Error);
    errors.clone().next().is_some()
        && errors.all(|p| matches!(p.kind, ProblemKind::NodePfail | ProblemKind::Handshake))
}

/// How long a check after a change looks again while [`only_passing_states`] holds.
pub const PASSING_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// What `check --wait` still waits for in `problems` (the first that holds it), and how
/// many of the view's nodes no such problem names, of how many.
pub fn waiting_for<'a>(
    view: &ClusterView,
    problems: &'a [Problem],
    strict: bool,
) -> (Option<&'a Problem>, usize, usize) {
    let holding = || problems.iter().filter(|p| p.holds_a_wait(strict));
    let named: std::collections::BTreeSet<&String> = holding().flat_map(|p| &p.nodes).collect();
    let all = view.nodes.len() + view.unreachable.len();
    (holding().next(), all.saturating_sub(named.len()), all)
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

/// Open slots (`(slot, peer)` pairs) grouped by peer, in peer order.
fn by_peer(open: &[(u16, NodeId)]) -> BTreeMap<NodeId, SlotSet> {
    let mut out: BTreeMap<NodeId, SlotSet> = BTreeMap::new();
    for (slot, peer) in open {
        out.entry(peer.clone()).or_default().insert(*slot);
    }
    out
}

/// `node: slot 7 is migrating to peer`, `node: 2500 slots migrating to peer: 0-2499`.
fn open_message(node: &str, dir: &str, peer: &str, slots: &SlotSet) -> String {
    match slots.len() {
        1 => format!("{node}: slot {slots} is {dir} {peer}"),
        n => format!("{node}: {n} slots {dir} {peer}: {slots}"),
    }
}

/// A warning when the reached nodes run with different `cluster-node-timeout`s (an
/// interrupted fast join, a node configured by hand): the nodes that differ from the
/// most common value, each with its own. Nodes whose value could not be read (`CONFIG`
/// denied) are left out.
fn timeouts_differ(view: &ClusterView) -> Option<Problem> {
    let mut by_value: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
    for v in &view.nodes {
        if let Some(ms) = v.node_timeout {
            by_value.entry(ms).or_default().push(&v.label);
        }
    }
    if by_value.len() < 2 {
        return None;
    }
    // The most common value (a tie: the largest, a lowered value being the usual odd one).
    let (&common, most) = by_value
        .iter()
        .max_by_key(|(ms, nodes)| (nodes.len(), **ms))?;
    let most = most.len();
    let odd: Vec<(&str, u64)> = by_value
        .iter()
        .filter(|(ms, _)| **ms != common)
        .flat_map(|(ms, nodes)| nodes.iter().map(move |n| (*n, *ms)))
        .collect();
    Some(Problem::warning(
        ProblemKind::NodeTimeoutsDiffer,
        format!(
            "cluster-node-timeout differs: {} ({most} other node(s) have {common} ms; `trib set-timeout` sets one value everywhere)",
            odd.iter()
                .map(|(n, ms)| format!("{n} has {ms} ms"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        odd.iter().map(|(n, _)| n.to_string()).collect(),
    ))
}

/// Everything `check` reports.
pub fn check(view: &ClusterView, deep: Option<&DeepScan>) -> Vec<Problem> {
    let mut p = Vec::new();
    let members = view.members();

    for u in &view.unreachable {
        // A node without an address is named by its ID.
        let name = match u.id.as_ref().and_then(|id| members.get(id)) {
            Some(e) if !e.has_addr() => e.name(),
            _ => u.label.clone(),
        };
        p.push(Problem::error(
            ProblemKind::Unreachable,
            format!("{name}: {}", u.error),
            vec![name],
        ));
    }
    // Not members, so not the cluster's errors; but the user named them, and `create`
    // killed during its MEET leaves a node no member lists: only this names it.
    for u in &view.unlisted_entries {
        p.push(Problem::warning(
            ProblemKind::UnlistedEntry,
            format!(
                "{}: given as an entry, {}; no member lists this address (a stale address, a node that never joined, or one forgotten)",
                u.label, u.error
            ),
            vec![u.label.clone()],
        ));
    }

    // Flags as others see them.
    let mut flagged: BTreeMap<(ProblemKind, NodeId), BTreeSet<String>> = BTreeMap::new();
    for v in &view.nodes {
        for e in v.nodes.iter() {
            let kind = if e.flags.fail {
                ProblemKind::NodeFailed
            } else if e.flags.pfail {
                ProblemKind::NodePfail
            } else if e.flags.handshake {
                ProblemKind::Handshake
            } else if e.flags.noaddr {
                ProblemKind::Noaddr
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
            ProblemKind::NodeFailed => "is marked failed (fail)",
            ProblemKind::NodePfail => "is suspected failed (fail?)",
            ProblemKind::Handshake => "is still in handshake",
            _ => "is known without an address (noaddr)",
        };
        let name = view.name_of(id);
        p.push(Problem::error(
            *kind,
            format!("{name} {what} in the view of {} node(s)", seen_by.len()),
            vec![name],
        ));
    }

    // Every reachable node's own state.
    for v in &view.nodes {
        if !v.cluster_state_ok() {
            p.push(Problem::error(
                ProblemKind::ClusterState,
                format!(
                    "{}: cluster_state is {}",
                    v.label,
                    v.cluster_info.get("cluster_state").unwrap_or("unknown")
                ),
                vec![v.label.clone()],
            ));
        }
        // Valkey ≥ 8 mirrors a master's migrating/importing state on its replicas: the
        // master's own state is the one that matters. One problem per node, direction and
        // peer, with the slots as ranges: an interrupted reshard of thousands of slots is a
        // line per node, not one per slot.
        if let Some(me) = v.myself().filter(|m| m.flags.master) {
            for (dir, open) in [
                ("migrating to", &me.migrating),
                ("importing from", &me.importing),
            ] {
                for (peer, slots) in by_peer(open) {
                    p.push(
                        Problem::error(
                            ProblemKind::OpenSlot,
                            open_message(&v.label, dir, &view.name_of(&peer), &slots),
                            vec![v.label.clone(), view.name_of(&peer)],
                        )
                        .with_slots(&slots),
                    );
                }
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
            ProblemKind::ViewsDisagree,
            format!(
                "nodes disagree about the slot map: {} see it differently from the other {}",
                odd.join(", "),
                groups[0].1.len()
            ),
            odd,
        ));
    }
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
                ProblemKind::ViewsDisagree,
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
    // The slots of a failed master that nothing took over, with the way out.
    let mut rest = uncovered.clone();
    for u in unreached_in(view) {
        let part = u.orphan.intersection(&uncovered);
        let way_out = match &u.fate {
            Fate::Gone => "failed, no replica took over: bring it back with its data, or give them, empty, to the live masters with `trib fix ENTRY --with-unreachable-masters` (keys only it held there are then lost)".to_string(),
            Fate::Replaceable { replicas } => format!(
                "failed, its replica {} can take over (the cluster promotes it within cluster-node-timeout, or run `trib failover --force` on it)",
                replicas.join(", ")
            ),
            Fate::Up => "not reachable and suspected failed (fail?): the cluster has not agreed it failed yet; within cluster-node-timeout it comes back, or it is marked failed and a replica takes over (with no replica: `trib fix ENTRY --with-unreachable-masters`)".to_string(),
            Fate::Replaced => continue,
        };
        if part.is_empty() {
            continue;
        }
        p.push(
            Problem::error(
                ProblemKind::SlotsUncovered,
                format!(
                    "{} slot(s) have no live owner: {}; their master {} is {way_out}",
                    part.len(),
                    part.brief(crate::plan::fix::BRIEF),
                    u.name
                ),
                vec![u.name.clone()],
            )
            .with_slots(&part),
        );
        rest = rest.difference(&part);
    }
    if !rest.is_empty() {
        p.push(
            Problem::error(
                ProblemKind::SlotsUncovered,
                format!("{} of {SLOT_COUNT} slots have no owner: {rest}", rest.len()),
                vec![],
            )
            .with_slots(&rest),
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
                ProblemKind::MultipleOwners,
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
                        ProblemKind::KeysInUnownedSlots,
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
                    ProblemKind::KeysOnSeveralMasters,
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
                ProblemKind::ReplicasUneven,
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
                ProblemKind::ReplicaSameDomain,
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
                (
                    ProblemKind::ReplicaSyncing,
                    "has not finished its first sync yet",
                )
            } else {
                (
                    ProblemKind::ReplicaLinkDown,
                    "has its replication link down",
                )
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
    p.extend(timeouts_differ(view));
    for loss in crate::plan::resilience::analyze(view).single_domain_losses {
        p.push(Problem::warning(
            ProblemKind::DomainSinglePointOfFailure,
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

#[cfg(test)]
mod tests {

    #[test]
    fn a_wait_waits_for_errors_and_replicas_in_sync() {
        use super::{Problem, ProblemKind as K};
        let p = |kind, severity| Problem {
            kind,
            severity,
            message: String::new(),
            nodes: Vec::new(),
            slots: None,
        };
        assert!(p(K::OpenSlot, Severity::Error).holds_a_wait(false));
        assert!(p(K::ReplicaSyncing, Severity::Warning).holds_a_wait(false));
        assert!(p(K::ReplicaLinkDown, Severity::Warning).holds_a_wait(false));
        assert!(!p(K::ReplicasUneven, Severity::Warning).holds_a_wait(false));
        assert!(p(K::ReplicasUneven, Severity::Warning).holds_a_wait(true));
    }

    use super::ProblemKind as K;
    use super::{Severity, check};
    use crate::plan::membership_del::fixture::{id, line, node, view};

    /// Masters a, b, c (one domain each) with these `cluster-node-timeout`s.
    fn three_masters(timeouts: [Option<u64>; 3]) -> crate::model::view::ClusterView {
        let nodes = [
            ('a', "10.0.0.1:6379", "0-5460"),
            ('b', "10.0.0.2:6379", "5461-10922"),
            ('c', "10.0.0.3:6379", "10923-16383"),
        ];
        let lines = |me: char| -> Vec<String> {
            nodes
                .iter()
                .map(|(c, addr, slots)| {
                    let flags = if *c == me { "myself,master" } else { "master" };
                    line(*c, addr, flags, None, slots)
                })
                .collect()
        };
        let mut v = view(
            nodes
                .iter()
                .map(|(c, addr, _)| node(*c, addr, &addr[..8], &lines(*c), 0))
                .collect(),
            vec![],
        );
        for (n, t) in v.nodes.iter_mut().zip(timeouts) {
            n.node_timeout = t;
        }
        v
    }

    #[test]
    fn differing_node_timeouts_are_a_warning_naming_the_odd_nodes() {
        let kinds = |v| -> Vec<K> { check(&v, None).into_iter().map(|p| p.kind).collect() };
        // One value everywhere, or none readable (CONFIG denied): nothing to say.
        assert!(!kinds(three_masters([Some(15000); 3])).contains(&K::NodeTimeoutsDiffer));
        assert!(!kinds(three_masters([None; 3])).contains(&K::NodeTimeoutsDiffer));
        // A node whose value could not be read is left out of the comparison.
        let v = three_masters([Some(15000), None, Some(15000)]);
        assert!(!kinds(v).contains(&K::NodeTimeoutsDiffer));
        // The odd one is named with its value, the others' value given.
        let p = check(&three_masters([Some(15000), Some(499), Some(15000)]), None);
        let w: Vec<_> = p
            .iter()
            .filter(|p| p.kind == K::NodeTimeoutsDiffer)
            .collect();
        assert_eq!(w.len(), 1, "{p:?}");
        assert_eq!(w[0].severity, Severity::Warning);
        assert_eq!(w[0].nodes, vec!["10.0.0.2:6379".to_string()]);
        assert_eq!(
            w[0].message,
            "cluster-node-timeout differs: 10.0.0.2:6379 has 499 ms (2 other node(s) have 15000 ms; `trib set-timeout` sets one value everywhere)"
        );
        // Three values: the odd ones are those that differ from the largest, on a tie.
        let p = check(&three_masters([Some(499), Some(2000), Some(15000)]), None);
        let w = p.iter().find(|p| p.kind == K::NodeTimeoutsDiffer).unwrap();
        assert_eq!(w.nodes, vec!["10.0.0.1:6379", "10.0.0.2:6379"]);
        assert!(
            w.message.contains("(1 other node(s) have 15000 ms;"),
            "{}",
            w.message
        );
    }

    /// Masters a (0-8191) and b (8192-16383); a is moving `moving` slots from 0 to b, as
    /// an interrupted reshard leaves them (MIGRATING on a, IMPORTING on b).
    fn interrupted_reshard(moving: u16) -> crate::model::view::ClusterView {
        let (a, b) = (id('a'), id('b'));
        let migrating: String = (0..moving).map(|s| format!(" [{s}->-{b}]")).collect();
        let importing: String = (0..moving).map(|s| format!(" [{s}-<-{a}]")).collect();
        let lines = |me: char| {
            let (fa, fb) = if me == 'a' {
                ("myself,master", "master")
            } else {
                ("master", "myself,master")
            };
            vec![
                line(
                    'a',
                    "10.0.0.1:6379",
                    fa,
                    None,
                    &format!("0-8191{migrating}"),
                ),
                line(
                    'b',
                    "10.0.0.2:6379",
                    fb,
                    None,
                    &format!("8192-16383{importing}"),
                ),
            ]
        };
        view(
            vec![
                node('a', "10.0.0.1:6379", "10.0.0.1", &lines('a'), 0),
                node('b', "10.0.0.2:6379", "10.0.0.2", &lines('b'), 0),
            ],
            vec![],
        )
    }

    #[test]
    fn open_slots_are_one_problem_per_node_and_direction() {
        let problems = check(&interrupted_reshard(5000), None);
        let open: Vec<_> = problems.iter().filter(|p| p.kind == K::OpenSlot).collect();
        let messages: Vec<&str> = open.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "10.0.0.1:6379: 5000 slots migrating to 10.0.0.2:6379: 0-4999",
                "10.0.0.2:6379: 5000 slots importing from 10.0.0.1:6379: 0-4999",
            ]
        );
        for p in &open {
            assert_eq!(p.severity, Severity::Error);
            assert_eq!(p.slots.as_deref(), Some("0-4999"));
            assert_eq!(p.nodes.len(), 2, "the node and its peer: {p:?}");
        }
        // One slot reads as one slot.
        let problems = check(&interrupted_reshard(1), None);
        let open: Vec<&str> = problems
            .iter()
            .filter(|p| p.kind == K::OpenSlot)
            .map(|p| p.message.as_str())
            .collect();
        assert_eq!(
            open,
            [
                "10.0.0.1:6379: slot 0 is migrating to 10.0.0.2:6379",
                "10.0.0.2:6379: slot 0 is importing from 10.0.0.1:6379",
            ]
        );
    }

    #[test]
    fn problem_kinds_serialize_as_their_names() {
        for k in [
            K::Unreachable,
            K::OpenSlot,
            K::DomainSinglePointOfFailure,
            K::ReplicaSyncing,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    mod dead_master {
        use super::super::*;
        use crate::plan::membership_del::fixture::*;

        fn cluster(c_flags: &str) -> ClusterView {
            let lines = |me: char| {
                let f = |x: char| if x == me { "myself,master" } else { "master" };
                vec![
                    line('a', "10.0.0.1:6379", f('a'), None, "0-5460"),
                    line('b', "10.0.0.2:6379", f('b'), None, "5461-10922"),
                    line('c', "10.0.0.3:6379", c_flags, None, "10923-16383"),
                ]
            };
            view(
                vec![
                    node('a', "10.0.0.1:6379", "a", &lines('a'), 0),
                    node('b', "10.0.0.2:6379", "b", &lines('b'), 0),
                ],
                vec![unreachable('c', "10.0.0.3:6379")],
            )
        }

        fn uncovered(v: &ClusterView) -> Vec<Problem> {
            check(v, None)
                .into_iter()
                .filter(|p| p.kind == ProblemKind::SlotsUncovered)
                .collect()
        }

        #[test]
        fn a_gone_masters_slots_name_the_option() {
            let p = uncovered(&cluster("master,fail"));
            assert_eq!(p.len(), 1, "{p:?}");
            assert!(
                p[0].message.starts_with(&format!(
                    "5461 slot(s) have no live owner: 10923-16383; their master 10.0.0.3:6379 ({}) is failed, no replica took over",
                    id('c').short()
                )),
                "{}",
                p[0].message
            );
            assert!(p[0].message.contains("--with-unreachable-masters"));
            assert_eq!(p[0].slots.as_deref(), Some("10923-16383"));
        }

        /// Only suspicions (`fail?`) and handshakes among the errors: looked at again
        /// after a change. A failed node, or no error at all, is not.
        #[test]
        fn only_passing_states_holds_for_suspicions_and_handshakes_alone() {
            let p = |kind, severity| Problem {
                kind,
                severity,
                message: String::new(),
                nodes: vec![],
                slots: None,
            };
            let pfail = p(ProblemKind::NodePfail, Severity::Error);
            let warning = p(ProblemKind::ReplicasUneven, Severity::Warning);
            assert!(only_passing_states(&[pfail.clone(), warning.clone()]));
            let handshake = p(ProblemKind::Handshake, Severity::Error);
            assert!(only_passing_states(std::slice::from_ref(&handshake)));
            assert!(only_passing_states(&[handshake.clone(), pfail.clone()]));
            assert!(!only_passing_states(&[
                handshake,
                p(ProblemKind::Noaddr, Severity::Error)
            ]));
            assert!(!only_passing_states(&[warning]));
            assert!(!only_passing_states(&[]));
            assert!(!only_passing_states(&[
                pfail.clone(),
                p(ProblemKind::NodeFailed, Severity::Error)
            ]));
            assert!(!only_passing_states(&[
                pfail,
                p(ProblemKind::OpenSlot, Severity::Error)
            ]));
        }

        /// An entry that did not answer and that no member lists is a warning naming it:
        /// the cluster itself is fine, and `--wait` does not wait for it.
        #[test]
        fn an_unlisted_entry_is_a_warning_naming_it() {
            let mut v = cluster("master");
            v.unreachable.clear();
            v.unlisted_entries.push(crate::model::view::Unreachable {
                label: "10.0.0.9:6379".into(),
                id: None,
                error: "cannot connect: Connection refused".into(),
            });
            let p: Vec<Problem> = check(&v, None)
                .into_iter()
                .filter(|p| p.kind == ProblemKind::UnlistedEntry)
                .collect();
            assert_eq!(p.len(), 1, "{p:?}");
            assert_eq!(p[0].severity, Severity::Warning);
            assert_eq!(p[0].nodes, vec!["10.0.0.9:6379".to_string()]);
            assert!(
                p[0].message.starts_with(
                    "10.0.0.9:6379: given as an entry, cannot connect: Connection refused; no member lists this address"
                ),
                "{}",
                p[0].message
            );
            assert!(!p[0].holds_a_wait(false) && p[0].holds_a_wait(true));
        }

        #[test]
        fn a_suspected_masters_slots_say_to_wait() {
            let p = uncovered(&cluster("master,fail?"));
            assert_eq!(p.len(), 1, "{p:?}");
            assert!(
                p[0].message.contains("suspected failed (fail?)"),
                "{}",
                p[0].message
            );
        }
    }
}
