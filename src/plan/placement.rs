//! Placement planner for `create`: which nodes become masters, which replicas
//! follow which master, and which contiguous slot range each master owns.
//!
//! The plan is deterministic (see `docs/placement.md`):
//!
//! - Groups (one master plus its replicas) never hold two nodes of one failure
//!   domain when that can be avoided; otherwise each domain is spread as evenly
//!   as possible, which is exactly the minimum number of same-domain pairs, and
//!   every such pair is reported as a [`Conflict`].
//! - Among those groupings, masters are spread over domains so the largest
//!   number of masters in one domain is as small as possible, preferring nodes
//!   earlier in the user's order. Two constructions are computed and the better
//!   kept:
//!   - `masters_first`: picks masters up to the smallest cap that can work,
//!     then places the other nodes by max-flow. Optimal whenever every master
//!     can be alone in its domain within its group (always the case when no
//!     domain has more nodes than there are groups).
//!   - `deal` + `choose_masters`: deals nodes sorted by domain cyclically
//!     into the groups, then picks one master per group by capacitated
//!     bipartite matching with the smallest feasible per-domain cap.
//! - In a group with a conflict, the master is taken from a domain no other
//!   node of its group shares, when the group has such a node.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet, VecDeque};

use serde::Serialize;
use thiserror::Error;

use crate::model::slots::{SLOT_COUNT, SlotRange};

/// One node offered to `create`, in the order the user gave them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlacementNode {
    /// How the node is shown to the operator, e.g. `10.0.0.5:6379` or
    /// `redis-app-0.redis:6379`.
    pub label: String,
    /// Failure domain (IP, Kubernetes node, zone, or a user-given name).
    pub domain: String,
}

impl PlacementNode {
    pub fn new(label: impl Into<String>, domain: impl Into<String>) -> PlacementNode {
        PlacementNode {
            label: label.into(),
            domain: domain.into(),
        }
    }
}

/// The planned layout. Node references are indexes into the input slice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// Ascending by master index; slot ranges ascending and contiguous.
    pub masters: Vec<MasterGroup>,
    /// Every pair of nodes in one group that share a failure domain; empty
    /// whenever a conflict-free layout exists.
    pub conflicts: Vec<Conflict>,
}

/// One master, the slots it will own, and the replicas that follow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MasterGroup {
    /// Index into the input.
    pub master: usize,
    /// Contiguous slot range.
    pub slots: SlotRange,
    /// Indexes into the input, ascending.
    pub replicas: Vec<usize>,
}

/// Two nodes of one group that share a failure domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Conflict {
    /// A replica in the same domain as its master.
    ReplicaWithMaster {
        master: usize,
        replica: usize,
        domain: String,
    },
    /// Two replicas of one master in the same domain (`a < b`).
    ReplicasTogether {
        master: usize,
        a: usize,
        b: usize,
        domain: String,
    },
}

impl Conflict {
    /// The domain the pair shares.
    pub fn domain(&self) -> &str {
        match self {
            Conflict::ReplicaWithMaster { domain, .. }
            | Conflict::ReplicasTogether { domain, .. } => domain,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlacementError {
    #[error(
        "{nodes} nodes with --replicas {replicas} give only {masters} masters; \
         Redis Cluster needs at least 3 (give at least {} nodes or lower --replicas)",
        3 * (replicas.saturating_add(1))
    )]
    TooFewMasters {
        nodes: usize,
        replicas: usize,
        masters: usize,
    },
    #[error(
        "{masters} masters would leave some without a hash slot; Redis Cluster has only {} slots",
        SLOT_COUNT
    )]
    TooManyMasters { masters: usize },
    #[error("node {0} is given more than once")]
    DuplicateLabel(String),
}

/// Plans masters, replicas and slots for `create`. Pure and deterministic.
pub fn plan_placement(
    nodes: &[PlacementNode],
    replicas: usize,
) -> Result<Placement, PlacementError> {
    let mut seen = HashSet::with_capacity(nodes.len());
    for node in nodes {
        if !seen.insert(node.label.as_str()) {
            return Err(PlacementError::DuplicateLabel(node.label.clone()));
        }
    }
    let n = nodes.len();
    let masters = replicas.checked_add(1).map_or(0, |per| n / per);
    if masters < 3 {
        return Err(PlacementError::TooFewMasters {
            nodes: n,
            replicas,
            masters,
        });
    }
    if masters > SLOT_COUNT as usize {
        return Err(PlacementError::TooManyMasters { masters });
    }

    // Domains, numbered by first appearance.
    let mut domain_ids: HashMap<&str, usize> = HashMap::new();
    let mut domain_nodes: Vec<Vec<usize>> = Vec::new();
    let mut node_domain = Vec::with_capacity(n);
    for (i, node) in nodes.iter().enumerate() {
        let next = domain_nodes.len();
        let d = *domain_ids.entry(node.domain.as_str()).or_insert(next);
        if d == next {
            domain_nodes.push(Vec::new());
        }
        domain_nodes[d].push(i);
        node_domain.push(d);
    }

    // Two exact constructions; keep the better spread of masters (then the
    // earlier masters). Both have the fewest possible same-domain pairs.
    let dealt = deal(&domain_nodes, masters);
    let dealt_masters = choose_masters(&dealt, &node_domain, domain_nodes.len());
    let mut best = (dealt, dealt_masters);
    if let Some(first) = masters_first(&domain_nodes, &node_domain, masters) {
        let score = |m: &[usize]| {
            let mut per = vec![0usize; domain_nodes.len()];
            for &i in m {
                per[node_domain[i]] += 1;
            }
            let mut sorted = m.to_vec();
            sorted.sort_unstable();
            (per.into_iter().max().unwrap_or(0), sorted)
        };
        if score(&first.1) <= score(&best.1) {
            best = first;
        }
    }
    let (groups, chosen) = best;

    // Output: groups ordered by master index.
    let mut order: Vec<(usize, &Vec<usize>)> = chosen.into_iter().zip(groups.iter()).collect();
    order.sort_by_key(|(m, _)| *m);
    let ranges = slot_ranges(masters);
    let mut out = Vec::with_capacity(masters);
    let mut conflicts = Vec::new();
    for ((master, members), slots) in order.into_iter().zip(ranges) {
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                if node_domain[a] != node_domain[b] {
                    continue;
                }
                let domain = nodes[a].domain.clone();
                conflicts.push(if a == master || b == master {
                    let replica = if a == master { b } else { a };
                    Conflict::ReplicaWithMaster {
                        master,
                        replica,
                        domain,
                    }
                } else {
                    Conflict::ReplicasTogether {
                        master,
                        a,
                        b,
                        domain,
                    }
                });
            }
        }
        out.push(MasterGroup {
            master,
            slots,
            replicas: members.iter().copied().filter(|&i| i != master).collect(),
        });
    }
    Ok(Placement {
        masters: out,
        conflicts,
    })
}

/// Splits the 16384 slots into `masters` contiguous ranges, each of
/// `16384 / masters` slots or one more, with the same boundaries as
/// `redis-cli --cluster create` (3 masters: 0-5460, 5461-10922, 10923-16383).
/// Requires `1 <= masters <= 16384`.
pub fn slot_ranges(masters: usize) -> Vec<SlotRange> {
    let total = SLOT_COUNT as usize;
    // Boundary j is (j * total / masters) rounded half up.
    let boundary = |j: usize| (2 * j * total + masters) / (2 * masters);
    (0..masters)
        .map(|j| {
            let (start, end) = (boundary(j), boundary(j + 1) - 1);
            SlotRange {
                start: start as u16,
                end: end as u16,
            }
        })
        .collect()
}

/// Masters first, then everything else by max-flow.
///
/// Minimal conflicts force every domain of `c` nodes to put `c / masters`
/// ("base") nodes in every group plus one more ("token") in `c % masters`
/// distinct groups. A master is alone in its domain within its group when its
/// domain has base 0 and the master is that group's token, or base 1 and the
/// group holds no token of it; so domain `d` can give at most `seats[d]` such
/// masters. This picks the smallest cap `k` with `Σ min(k, seats) ≥ masters`
/// (a lower bound for layouts whose masters are all alone in their domain),
/// takes masters in input order up to that cap, and places the remaining
/// tokens with a flow that keeps each master alone and group sizes balanced.
/// Returns the groups (members ascending) and each group's master, or `None`
/// if that is impossible; the caller then falls back to [`deal`].
fn masters_first(
    domain_nodes: &[Vec<usize>],
    node_domain: &[usize],
    masters: usize,
) -> Option<(Vec<Vec<usize>>, Vec<usize>)> {
    let m = masters;
    let domains = domain_nodes.len();
    let base: Vec<usize> = domain_nodes.iter().map(|ns| ns.len() / m).collect();
    let tokens: Vec<usize> = domain_nodes.iter().map(|ns| ns.len() % m).collect();
    let seats: Vec<usize> = (0..domains)
        .map(|d| match base[d] {
            0 => tokens[d],
            1 => m - tokens[d],
            _ => 0,
        })
        .collect();
    let k = (1..=m).find(|&k| seats.iter().map(|&s| s.min(k)).sum::<usize>() >= m)?;
    // Earliest nodes first, at most min(k, seats) per domain.
    let mut per_domain = vec![0; domains];
    let mut chosen = Vec::with_capacity(m);
    let mut is_master = vec![false; node_domain.len()];
    for (i, &d) in node_domain.iter().enumerate() {
        if chosen.len() < m && per_domain[d] < k.min(seats[d]) {
            per_domain[d] += 1;
            chosen.push(i);
            is_master[i] = true;
        }
    }
    if chosen.len() < m {
        return None;
    }
    let mut groups: Vec<Vec<usize>> = chosen.iter().map(|&i| vec![i]).collect();
    let group_domain: Vec<usize> = chosen.iter().map(|&i| node_domain[i]).collect();

    // Base nodes, then the tokens still to place, per domain, in input order.
    let mut left: Vec<Vec<usize>> = vec![Vec::new(); domains];
    for d in 0..domains {
        let mut rest = domain_nodes[d].iter().copied().filter(|&i| !is_master[i]);
        for (g, members) in groups.iter_mut().enumerate() {
            let have = usize::from(group_domain[g] == d && base[d] > 0);
            members.extend(rest.by_ref().take(base[d] - have));
        }
        left[d] = rest.collect();
    }

    // Flow: source → domain d (its tokens) → class e ≠ d (groups mastered by
    // e; at most one token of d per group) → sink. Every group must end with
    // t or t+1 tokens (its master counts when it is one), exactly `spare` of
    // them with t+1: a class gets a base of a·(t - own) directly and up to a
    // more through the shared `spare` node.
    let total: usize = tokens.iter().sum();
    let (t, spare) = (total / m, total % m);
    let classes: Vec<usize> = (0..domains).filter(|&d| per_domain[d] > 0).collect();
    let givers: Vec<usize> = (0..domains).filter(|&d| !left[d].is_empty()).collect();
    let (source, sink, spare_node) = (0, 1, 2);
    let giver_node = |x: usize| 3 + x;
    let class_node = |x: usize| 3 + givers.len() + x;
    let mut flow = MaxFlow::new(3 + givers.len() + classes.len());
    let mut edges = vec![Vec::new(); givers.len()];
    for (x, &d) in givers.iter().enumerate() {
        flow.add_edge(source, giver_node(x), left[d].len());
        for (y, &e) in classes.iter().enumerate() {
            if e != d {
                edges[x].push((
                    y,
                    flow.add_edge(giver_node(x), class_node(y), per_domain[e]),
                ));
            }
        }
    }
    let mut forced = 0;
    for (y, &e) in classes.iter().enumerate() {
        let own = usize::from(base[e] == 0);
        if own > t {
            // t = 0: each of these groups already holds its one token.
            forced += per_domain[e];
        } else {
            flow.add_edge(class_node(y), sink, per_domain[e] * (t - own));
            flow.add_edge(class_node(y), spare_node, per_domain[e]);
        }
    }
    flow.add_edge(spare_node, sink, spare.checked_sub(forced)?);
    let placed: usize = givers.iter().map(|&d| left[d].len()).sum();
    if flow.run(source, sink) != placed {
        return None;
    }
    // Hand each class its tokens, domain by domain, and deal them cyclically
    // over the class's groups: a domain sends at most one token per group, and
    // token counts within a class differ by at most one.
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); classes.len()];
    for (x, &d) in givers.iter().enumerate() {
        let mut nodes = left[d].iter().copied();
        for &(y, edge) in &edges[x] {
            incoming[y].extend(nodes.by_ref().take(flow.flow(edge)));
        }
    }
    let mut class_of = vec![usize::MAX; domains];
    for (y, &e) in classes.iter().enumerate() {
        class_of[e] = y;
    }
    let mut class_groups: Vec<Vec<usize>> = vec![Vec::new(); classes.len()];
    for (g, &d) in group_domain.iter().enumerate() {
        class_groups.get_mut(class_of[d])?.push(g);
    }
    for (members, incoming) in class_groups.iter().zip(&incoming) {
        for (pos, &i) in incoming.iter().enumerate() {
            groups[members[pos % members.len()]].push(i);
        }
    }
    for g in &mut groups {
        g.sort_unstable();
    }
    Some((groups, chosen))
}

/// Dinic's maximum flow on a small graph.
struct MaxFlow {
    /// Per edge: (to, residual capacity); edge `e ^ 1` is its reverse.
    edges: Vec<(usize, usize)>,
    /// Original capacity per forward edge index.
    cap: Vec<usize>,
    adj: Vec<Vec<usize>>,
}

impl MaxFlow {
    fn new(nodes: usize) -> MaxFlow {
        MaxFlow {
            edges: Vec::new(),
            cap: Vec::new(),
            adj: vec![Vec::new(); nodes],
        }
    }

    /// Adds `from → to` and returns its id for [`MaxFlow::flow`].
    fn add_edge(&mut self, from: usize, to: usize, cap: usize) -> usize {
        let id = self.edges.len();
        self.edges.push((to, cap));
        self.edges.push((from, 0));
        self.cap.push(cap);
        self.cap.push(0);
        self.adj[from].push(id);
        self.adj[to].push(id + 1);
        id
    }

    /// Flow on an edge after [`MaxFlow::run`].
    fn flow(&self, id: usize) -> usize {
        self.cap[id] - self.edges[id].1
    }

    fn run(&mut self, source: usize, sink: usize) -> usize {
        let mut total = 0;
        loop {
            // BFS levels.
            let mut level = vec![usize::MAX; self.adj.len()];
            level[source] = 0;
            let mut queue = VecDeque::from([source]);
            while let Some(v) = queue.pop_front() {
                for &e in &self.adj[v] {
                    let (to, c) = self.edges[e];
                    if c > 0 && level[to] == usize::MAX {
                        level[to] = level[v] + 1;
                        queue.push_back(to);
                    }
                }
            }
            if level[sink] == usize::MAX {
                return total;
            }
            // Blocking flow by iterative DFS with per-node edge cursors.
            let mut cursor = vec![0; self.adj.len()];
            loop {
                let mut path: Vec<usize> = Vec::new();
                let mut v = source;
                let pushed = loop {
                    if v == sink {
                        break path.iter().map(|&e| self.edges[e].1).min().unwrap_or(0);
                    }
                    let mut advanced = false;
                    while cursor[v] < self.adj[v].len() {
                        let e = self.adj[v][cursor[v]];
                        let (to, c) = self.edges[e];
                        if c > 0 && level[to] == level[v] + 1 {
                            path.push(e);
                            v = to;
                            advanced = true;
                            break;
                        }
                        cursor[v] += 1;
                    }
                    if !advanced {
                        // Dead end: retreat and skip the edge that led here.
                        match path.pop() {
                            Some(e) => {
                                v = self.edges[e ^ 1].0;
                                cursor[v] += 1;
                            }
                            None => break 0,
                        }
                    }
                };
                if pushed == 0 {
                    break;
                }
                for &e in &path {
                    self.edges[e].1 -= pushed;
                    self.edges[e ^ 1].1 += pushed;
                }
                total += pushed;
            }
        }
    }
}

/// Deals nodes into `masters` groups: domains largest first (ties by first
/// appearance, i.e. domain id), each domain's nodes consecutively in input
/// order, cyclically. Each group's members are sorted ascending.
fn deal(domain_nodes: &[Vec<usize>], masters: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..domain_nodes.len()).collect();
    order.sort_by_key(|&d| (Reverse(domain_nodes[d].len()), d));
    let mut groups = vec![Vec::new(); masters];
    for (pos, &i) in order.iter().flat_map(|&d| &domain_nodes[d]).enumerate() {
        groups[pos % masters].push(i);
    }
    for g in &mut groups {
        g.sort_unstable();
    }
    groups
}

/// Returns the master (node index) of each group.
fn choose_masters(groups: &[Vec<usize>], node_domain: &[usize], domains: usize) -> Vec<usize> {
    // Domains each group may take its master from (rule 3), ascending.
    let allowed: Vec<Vec<usize>> = groups
        .iter()
        .map(|members| {
            let mut ds: Vec<usize> = members.iter().map(|&i| node_domain[i]).collect();
            ds.sort_unstable();
            let mut counts: Vec<(usize, usize)> = Vec::new();
            for d in ds {
                match counts.last_mut() {
                    Some((last, c)) if *last == d => *c += 1,
                    _ => counts.push((d, 1)),
                }
            }
            let conflicted = counts.iter().any(|&(_, c)| c > 1);
            let unique: Vec<usize> = counts
                .iter()
                .filter(|&&(_, c)| c == 1)
                .map(|&(d, _)| d)
                .collect();
            if conflicted && !unique.is_empty() {
                unique
            } else {
                counts.into_iter().map(|(d, _)| d).collect()
            }
        })
        .collect();

    // Smallest feasible cap: feasible at `groups.len()` since every group has
    // at least one allowed domain.
    let (mut lo, mut hi) = (1, groups.len().max(1));
    let mut best = Seats::assign_all(&allowed, domains, hi);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match Seats::assign_all(&allowed, domains, mid) {
            Some(seats) => {
                hi = mid;
                best = Some(seats);
            }
            None => lo = mid + 1,
        }
    }
    let Some(mut seats) = best else {
        // Unreachable: cap = number of groups always admits an assignment.
        return groups
            .iter()
            .map(|g| g.first().copied().unwrap_or(0))
            .collect();
    };

    // Prefer earlier nodes: walk nodes in input order and make each one the
    // master of its group if some optimal assignment still allows it.
    let mut group_of = vec![0; node_domain.len()];
    for (g, members) in groups.iter().enumerate() {
        for &i in members {
            group_of[i] = g;
        }
    }
    let mut master: Vec<Option<usize>> = vec![None; groups.len()];
    for (i, &d) in node_domain.iter().enumerate() {
        let g = group_of[i];
        if master[g].is_none() && allowed[g].contains(&d) && seats.force(g, d) {
            master[g] = Some(i);
        }
    }
    // Every group ends up fixed (its final domain's earliest node fixes it);
    // fall back to the assigned domain defensively.
    master
        .iter()
        .enumerate()
        .map(|(g, m)| {
            m.unwrap_or_else(|| {
                let d = seats.assign[g];
                let members = &groups[g];
                members
                    .iter()
                    .copied()
                    .find(|&i| Some(node_domain[i]) == d)
                    .or_else(|| members.first().copied())
                    .unwrap_or(0)
            })
        })
        .collect()
}

/// A group → domain assignment with at most `cap` groups per domain.
struct Seats<'a> {
    allowed: &'a [Vec<usize>],
    cap: usize,
    assign: Vec<Option<usize>>,
    members: Vec<Vec<usize>>,
    fixed: Vec<bool>,
}

impl<'a> Seats<'a> {
    /// Assigns every group, or `None` if the cap makes that impossible.
    fn assign_all(allowed: &'a [Vec<usize>], domains: usize, cap: usize) -> Option<Seats<'a>> {
        let mut seats = Seats {
            allowed,
            cap,
            assign: vec![None; allowed.len()],
            members: vec![Vec::new(); domains],
            fixed: vec![false; allowed.len()],
        };
        for (g, first) in allowed.iter().enumerate() {
            if !seats.augment(g, first) {
                return None;
            }
        }
        Some(seats)
    }

    /// Tries to give unassigned group `g` a seat in one of `first`, moving
    /// non-fixed groups along an augmenting path (BFS over domains).
    fn augment(&mut self, g: usize, first: &[usize]) -> bool {
        // parent[d] = (previous domain or None for the start, group moving into d)
        let mut parent: Vec<Option<(Option<usize>, usize)>> = vec![None; self.members.len()];
        let mut queue = VecDeque::new();
        for &d in first {
            if parent[d].is_none() {
                parent[d] = Some((None, g));
                queue.push_back(d);
            }
        }
        let mut end = None;
        while let Some(d) = queue.pop_front() {
            if self.members[d].len() < self.cap {
                end = Some(d);
                break;
            }
            for &h in &self.members[d] {
                if self.fixed[h] {
                    continue;
                }
                for &d2 in &self.allowed[h] {
                    if parent[d2].is_none() {
                        parent[d2] = Some((Some(d), h));
                        queue.push_back(d2);
                    }
                }
            }
        }
        let Some(mut d) = end else {
            return false;
        };
        // Walk back: each group on the path moves into `d` from its parent domain.
        while let Some((prev, h)) = parent[d] {
            if let Some(p) = prev {
                self.members[p].retain(|&x| x != h);
            }
            self.members[d].push(h);
            self.assign[h] = Some(d);
            match prev {
                Some(p) => d = p,
                None => break,
            }
        }
        true
    }

    /// Fixes group `g` on domain `d` if some assignment keeps every fixed
    /// group in place and puts `g` on `d`; otherwise changes nothing.
    fn force(&mut self, g: usize, d: usize) -> bool {
        let old = self.assign[g];
        if old != Some(d) {
            if let Some(o) = old {
                self.members[o].retain(|&x| x != g);
            }
            self.assign[g] = None;
            if !self.augment(g, &[d]) {
                if let Some(o) = old {
                    self.members[o].push(g);
                }
                self.assign[g] = old;
                return false;
            }
        }
        self.fixed[g] = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nodes(domains: &[&str]) -> Vec<PlacementNode> {
        domains
            .iter()
            .enumerate()
            .map(|(i, d)| PlacementNode::new(format!("10.0.{}.{}:6379", i / 256, i % 256), *d))
            .collect()
    }

    /// Nodes of each group (master first), in output order.
    fn groups(p: &Placement) -> Vec<Vec<usize>> {
        p.masters
            .iter()
            .map(|g| {
                std::iter::once(g.master)
                    .chain(g.replicas.iter().copied())
                    .collect()
            })
            .collect()
    }

    fn master_domains<'a>(p: &Placement, ns: &'a [PlacementNode]) -> Vec<&'a str> {
        p.masters
            .iter()
            .map(|g| ns[g.master].domain.as_str())
            .collect()
    }

    fn max_masters_per_domain(p: &Placement, ns: &[PlacementNode]) -> usize {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for d in master_domains(p, ns) {
            *count.entry(d).or_default() += 1;
        }
        count.values().copied().max().unwrap_or(0)
    }

    fn same_domain_pairs(members: &[usize], ns: &[PlacementNode]) -> usize {
        let mut n = 0;
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                if ns[a].domain == ns[b].domain {
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn six_nodes_three_domains() {
        let ns = nodes(&["a", "a", "b", "b", "c", "c"]);
        let p = plan_placement(&ns, 1).unwrap();
        assert_eq!(p.masters.len(), 3);
        assert!(p.conflicts.is_empty());
        let mut ds = master_domains(&p, &ns);
        ds.sort();
        assert_eq!(ds, ["a", "b", "c"]);
        for g in groups(&p) {
            assert_eq!(same_domain_pairs(&g, &ns), 0);
        }
        // Typical StatefulSet order: pods round-robin over three k8s nodes.
        let ns = nodes(&["n1", "n2", "n3", "n1", "n2", "n3"]);
        let p = plan_placement(&ns, 1).unwrap();
        assert!(p.conflicts.is_empty());
        assert_eq!(max_masters_per_domain(&p, &ns), 1);
    }

    #[test]
    fn distinct_domains_keep_user_order() {
        let ns = nodes(&["a", "b", "c", "d", "e", "f"]);
        let p = plan_placement(&ns, 1).unwrap();
        let ms: Vec<usize> = p.masters.iter().map(|g| g.master).collect();
        assert_eq!(ms, [0, 1, 2]);
        assert!(p.conflicts.is_empty());
        let slots: Vec<String> = p.masters.iter().map(|g| g.slots.to_string()).collect();
        assert_eq!(slots, ["0-5460", "5461-10922", "10923-16383"]);
        for g in &p.masters {
            assert_eq!(g.replicas.len(), 1);
        }
    }

    #[test]
    fn nine_nodes_three_domains_two_replicas() {
        let ns = nodes(&["a", "a", "a", "b", "b", "b", "c", "c", "c"]);
        let p = plan_placement(&ns, 2).unwrap();
        assert!(p.conflicts.is_empty());
        for g in groups(&p) {
            let mut ds: Vec<&str> = g.iter().map(|&i| ns[i].domain.as_str()).collect();
            ds.sort();
            assert_eq!(ds, ["a", "b", "c"]);
        }
        assert_eq!(max_masters_per_domain(&p, &ns), 1);
    }

    #[test]
    fn two_domains_split_masters_two_one() {
        let ns = nodes(&["a", "a", "a", "b", "b", "b"]);
        let p = plan_placement(&ns, 1).unwrap();
        assert!(p.conflicts.is_empty());
        for g in groups(&p) {
            assert_eq!(same_domain_pairs(&g, &ns), 0);
        }
        let mut ds = master_domains(&p, &ns);
        ds.sort();
        assert!(ds == ["a", "a", "b"] || ds == ["a", "b", "b"], "{ds:?}");
    }

    #[test]
    fn impossible_spread_reports_minimal_conflicts() {
        // Domain a has 4 nodes but there are only 3 groups: one pair must share.
        let ns = nodes(&["a", "a", "a", "a", "b", "b"]);
        let p = plan_placement(&ns, 1).unwrap();
        assert_eq!(p.conflicts.len(), 1);
        let Conflict::ReplicaWithMaster {
            master,
            replica,
            domain,
        } = &p.conflicts[0]
        else {
            panic!(
                "expected a replica sharing its master's domain: {:?}",
                p.conflicts
            );
        };
        assert_eq!(domain, "a");
        assert_eq!(ns[*master].domain, "a");
        assert_eq!(ns[*replica].domain, "a");
        let g = p.masters.iter().find(|g| g.master == *master).unwrap();
        assert_eq!(g.replicas, [*replica]);
        // The two other groups are one a + one b each.
        assert_eq!(max_masters_per_domain(&p, &ns), 2);

        // With a unique domain in the conflicted group, the master comes from it.
        let ns = nodes(&["a", "a", "a", "a", "b", "b", "c"]);
        let p = plan_placement(&ns, 1).unwrap();
        assert_eq!(p.conflicts.len(), 1);
        let Conflict::ReplicasTogether {
            master,
            a,
            b,
            domain,
        } = &p.conflicts[0]
        else {
            panic!("expected two replicas together: {:?}", p.conflicts);
        };
        // The master is b or c, alone in its domain within the group.
        assert_eq!(domain, "a");
        assert_ne!(ns[*master].domain, "a");
        let g = p.masters.iter().find(|g| g.master == *master).unwrap();
        assert!(
            g.replicas
                .iter()
                .all(|&i| ns[i].domain != ns[*master].domain)
        );
        assert!(a < b);
        assert_eq!(p.conflicts[0].domain(), "a");
    }

    #[test]
    fn too_few_masters() {
        let ns = nodes(&["a", "b", "c", "d", "e", "f"]);
        let err = plan_placement(&ns, 2).unwrap_err();
        assert_eq!(
            err,
            PlacementError::TooFewMasters {
                nodes: 6,
                replicas: 2,
                masters: 2
            }
        );
        assert!(
            err.to_string().starts_with(
                "6 nodes with --replicas 2 give only 2 masters; Redis Cluster needs at least 3"
            ),
            "{err}"
        );
        assert!(plan_placement(&ns[..2], 0).is_err());
        assert!(plan_placement(&[], 0).is_err());
        assert!(matches!(
            plan_placement(&ns, usize::MAX),
            Err(PlacementError::TooFewMasters { masters: 0, .. })
        ));
        assert!(plan_placement(&ns[..3], 0).is_ok());
    }

    #[test]
    fn duplicate_label() {
        let mut ns = nodes(&["a", "b", "c", "d"]);
        ns[3].label = ns[1].label.clone();
        let err = plan_placement(&ns, 0).unwrap_err();
        assert_eq!(err, PlacementError::DuplicateLabel("10.0.0.1:6379".into()));
        assert_eq!(
            err.to_string(),
            "node 10.0.0.1:6379 is given more than once"
        );
    }

    #[test]
    fn slot_ranges_cover_and_match_redis_cli() {
        assert_eq!(
            slot_ranges(3),
            [
                SlotRange::new(0, 5460),
                SlotRange::new(5461, 10922),
                SlotRange::new(10923, 16383)
            ]
        );
        for m in [1, 2, 3, 5, 7, 100, 999, 16383, 16384] {
            let r = slot_ranges(m);
            assert_eq!(r.len(), m);
            assert_eq!(r[0].start, 0);
            assert_eq!(r[m - 1].end, SLOT_COUNT - 1);
            for w in r.windows(2) {
                assert_eq!(w[0].end + 1, w[1].start);
            }
        }
    }

    #[test]
    fn serializes() {
        let ns = nodes(&["a", "a", "a", "a", "b", "b"]);
        let p = plan_placement(&ns, 1).unwrap();
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["masters"][0]["slots"], "0-5460");
        assert_eq!(v["conflicts"][0]["kind"], "replica_with_master");
    }

    /// Input: `(nodes, replicas)` with at least 3 masters, domains drawn with
    /// random weights so some inputs have an oversized domain.
    fn arb_input(
        max_nodes: usize,
        max_domains: usize,
        max_replicas: usize,
    ) -> impl Strategy<Value = (Vec<PlacementNode>, usize)> {
        (0..=max_replicas, 1..=max_domains)
            .prop_flat_map(move |(r, d)| {
                (
                    Just(r),
                    proptest::collection::vec(1u32..=100, d),
                    proptest::collection::vec(any::<u32>(), 3 * (r + 1)..=max_nodes),
                )
            })
            .prop_map(|(r, weights, raws)| {
                let total: u32 = weights.iter().sum();
                let domains: Vec<String> = raws
                    .iter()
                    .map(|x| {
                        let mut x = x % total;
                        let mut d = 0;
                        while x >= weights[d] {
                            x -= weights[d];
                            d += 1;
                        }
                        format!("zone-{d}")
                    })
                    .collect();
                let refs: Vec<&str> = domains.iter().map(String::as_str).collect();
                (nodes(&refs), r)
            })
    }

    fn domain_counts(ns: &[PlacementNode]) -> Vec<usize> {
        let mut c: HashMap<&str, usize> = HashMap::new();
        for n in ns {
            *c.entry(n.domain.as_str()).or_default() += 1;
        }
        c.into_values().collect()
    }

    /// Fewest same-domain pairs possible: each domain spread evenly.
    fn conflict_lower_bound(counts: &[usize], m: usize) -> usize {
        let pairs = |x: usize| x * x.saturating_sub(1) / 2;
        counts
            .iter()
            .map(|&c| {
                let (q, rem) = (c / m, c % m);
                rem * pairs(q + 1) + (m - rem) * pairs(q)
            })
            .sum()
    }

    /// Domains allowed to hold the master of a group (rule 3), by brute force.
    fn allowed_domains<'a>(members: &[usize], ns: &'a [PlacementNode]) -> Vec<&'a str> {
        let count = |d: &str| members.iter().filter(|&&i| ns[i].domain == d).count();
        let mut all: Vec<&str> = members.iter().map(|&i| ns[i].domain.as_str()).collect();
        all.sort();
        all.dedup();
        let unique: Vec<&str> = all.iter().copied().filter(|d| count(d) == 1).collect();
        if all.len() < members.len() && !unique.is_empty() {
            unique
        } else {
            all
        }
    }

    /// `(fewest conflicts, then fewest max masters per domain)` over every
    /// grouping with balanced sizes and every master choice obeying rule 3.
    fn brute_force(ns: &[PlacementNode], m: usize) -> (usize, usize) {
        fn partitions(
            i: usize,
            n: usize,
            m: usize,
            cap: usize,
            blocks: &mut Vec<Vec<usize>>,
            out: &mut dyn FnMut(&[Vec<usize>]),
        ) {
            if i == n {
                if blocks.len() == m {
                    out(blocks);
                }
                return;
            }
            if n - i < m - blocks.len() {
                return;
            }
            for b in 0..blocks.len() {
                if blocks[b].len() < cap {
                    blocks[b].push(i);
                    partitions(i + 1, n, m, cap, blocks, out);
                    blocks[b].pop();
                }
            }
            if blocks.len() < m {
                blocks.push(vec![i]);
                partitions(i + 1, n, m, cap, blocks, out);
                blocks.pop();
            }
        }
        let n = ns.len();
        let (q, rem) = (n / m, n % m);
        let cap = if rem > 0 { q + 1 } else { q };
        let mut best = (usize::MAX, usize::MAX);
        partitions(0, n, m, cap, &mut Vec::new(), &mut |blocks| {
            if blocks.iter().filter(|b| b.len() == q + 1).count() != rem
                || blocks.iter().any(|b| b.len() < q)
            {
                return;
            }
            let conflicts: usize = blocks.iter().map(|b| same_domain_pairs(b, ns)).sum();
            if conflicts > best.0 {
                return;
            }
            let choices: Vec<Vec<&str>> = blocks.iter().map(|b| allowed_domains(b, ns)).collect();
            let mut spread = usize::MAX;
            let mut idx = vec![0; m];
            loop {
                let mut count: HashMap<&str, usize> = HashMap::new();
                for (g, &c) in idx.iter().enumerate() {
                    *count.entry(choices[g][c]).or_default() += 1;
                }
                spread = spread.min(count.values().copied().max().unwrap_or(0));
                let mut g = 0;
                while g < m {
                    idx[g] += 1;
                    if idx[g] < choices[g].len() {
                        break;
                    }
                    idx[g] = 0;
                    g += 1;
                }
                if g == m {
                    break;
                }
            }
            best = best.min((conflicts, spread));
        });
        best
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn plan_properties((ns, r) in arb_input(1000, 50, 3)) {
            let p = plan_placement(&ns, r).unwrap();
            let m = ns.len() / (r + 1);
            prop_assert_eq!(p.masters.len(), m);

            // Slots: each exactly once, contiguous in master order, balanced.
            let mut owner = vec![0u32; SLOT_COUNT as usize];
            let mut next = 0usize;
            for g in &p.masters {
                prop_assert_eq!(g.slots.start as usize, next);
                next = g.slots.end as usize + 1;
                for s in g.slots.start..=g.slots.end {
                    owner[s as usize] += 1;
                }
            }
            prop_assert!(owner.iter().all(|&c| c == 1));
            let lens: Vec<usize> = p.masters.iter().map(|g| g.slots.len()).collect();
            prop_assert!(lens.iter().max().unwrap() - lens.iter().min().unwrap() <= 1);

            // Nodes: each exactly once; order ascending.
            let mut used = vec![0u32; ns.len()];
            for g in groups(&p) {
                for i in g {
                    used[i] += 1;
                }
            }
            prop_assert!(used.iter().all(|&c| c == 1));
            prop_assert!(p.masters.windows(2).all(|w| w[0].master < w[1].master));
            prop_assert!(p.masters.iter().all(|g| g.replicas.windows(2).all(|w| w[0] < w[1])));

            // Replica counts balanced and at least `r`.
            let reps: Vec<usize> = p.masters.iter().map(|g| g.replicas.len()).collect();
            prop_assert!(reps.iter().all(|&x| x >= r));
            prop_assert!(reps.iter().max().unwrap() - reps.iter().min().unwrap() <= 1);

            // Conflicts: reported pairs are exactly the same-domain pairs, and minimal.
            let actual: usize = groups(&p).iter().map(|g| same_domain_pairs(g, &ns)).sum();
            prop_assert_eq!(p.conflicts.len(), actual);
            for c in &p.conflicts {
                let (master, a, b) = match c {
                    Conflict::ReplicaWithMaster { master, replica, .. } => (*master, *master, *replica),
                    Conflict::ReplicasTogether { master, a, b, .. } => (*master, *a, *b),
                };
                let g = p.masters.iter().find(|g| g.master == master).unwrap();
                prop_assert!(a == master || g.replicas.contains(&a));
                prop_assert!(g.replicas.contains(&b) && a != b);
                prop_assert!(ns[a].domain == c.domain() && ns[b].domain == c.domain());
            }
            let counts = domain_counts(&ns);
            let bound = conflict_lower_bound(&counts, m);
            prop_assert_eq!(actual, bound);
            if counts.iter().all(|&c| c <= m) {
                prop_assert_eq!(actual, 0);
                // Any layout has at most min(k, c) masters in a domain of c nodes,
                // so the smallest k with sum(min(k, c)) >= m is a lower bound.
                let k_low = (1..=m).find(|&k| counts.iter().map(|&c| c.min(k)).sum::<usize>() >= m).unwrap();
                prop_assert_eq!(max_masters_per_domain(&p, &ns), k_low);
            }

            // Rule 3: a conflicted group's master is alone in its domain if possible.
            for g in groups(&p) {
                let allowed = allowed_domains(&g, &ns);
                prop_assert!(allowed.contains(&ns[g[0]].domain.as_str()));
            }

            // Deterministic.
            prop_assert_eq!(plan_placement(&ns, r).unwrap(), p);
        }

        #[test]
        fn optimal_on_small_inputs((ns, r) in arb_input(10, 5, 2)) {
            let p = plan_placement(&ns, r).unwrap();
            let m = ns.len() / (r + 1);
            let actual: usize = groups(&p).iter().map(|g| same_domain_pairs(g, &ns)).sum();
            let (conflicts, spread) = brute_force(&ns, m);
            prop_assert_eq!(actual, conflicts);
            if conflicts == 0 {
                prop_assert_eq!(max_masters_per_domain(&p, &ns), spread);
            } else {
                // Not proven optimal when conflicts are unavoidable (see
                // `docs/placement.md`); the brute force is a true lower bound.
                prop_assert!(max_masters_per_domain(&p, &ns) >= spread);
            }
        }
    }
}
