//! `reshard`: which slots move from which masters to the destination. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::view::ClusterView;
use crate::model::{NodeId, SlotRange, SlotSet};
use crate::plan::check::{Severity, check};
use crate::plan::migration::{MigrationPlan, SlotMove};

/// Where slots come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sources {
    /// Every master except the destination.
    All,
    Nodes(Vec<NodeId>),
}

/// How many slots, or which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Amount {
    Slots(usize),
    Ranges(Vec<SlotRange>),
}

/// What the user asked for, with nodes already resolved to IDs.
#[derive(Clone, Debug)]
pub struct ReshardRequest {
    pub from: Sources,
    pub to: NodeId,
    pub amount: Amount,
}

/// Slots one source gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Share {
    pub id: NodeId,
    pub node: String,
    pub count: usize,
    pub slots: SlotSet,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReshardPlan {
    pub to: NodeId,
    pub to_node: String,
    pub shares: Vec<Share>,
    pub slots: usize,
    #[serde(skip)]
    pub migration: MigrationPlan,
}

/// Why the cluster cannot be resharded now: every error `check` finds (open slots,
/// disagreeing views, failed or unreachable nodes, uncovered slots…), one line each.
pub fn health_problems(view: &ClusterView) -> Vec<String> {
    check(view, None)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.message)
        .collect()
}

fn label(view: &ClusterView, id: &NodeId) -> String {
    view.node(id)
        .map(|n| n.label.clone())
        .unwrap_or_else(|| id.short().to_string())
}

/// Plans a reshard. Errors (one line each) mean nothing may be done.
pub fn plan_reshard(view: &ClusterView, req: &ReshardRequest) -> Result<ReshardPlan, Vec<String>> {
    let owned = view.claimed_slots();
    let mut errors = Vec::new();
    match view.node(&req.to) {
        Some(n) if n.is_master() => {}
        Some(n) => errors.push(format!(
            "--to {}: it is a replica; slots can only move to a master",
            n.label
        )),
        None => errors.push(format!(
            "--to {}: not reachable, cannot move slots to it",
            req.to.short()
        )),
    }
    let sources: Vec<NodeId> = match &req.from {
        Sources::All => view
            .masters()
            .into_iter()
            .map(|n| n.id.clone())
            .filter(|id| *id != req.to)
            .collect(),
        Sources::Nodes(ids) => {
            let mut out: Vec<NodeId> = Vec::new();
            for id in ids {
                if *id == req.to {
                    errors.push(format!(
                        "--from {}: it is also the destination",
                        label(view, id)
                    ));
                } else if !view.node(id).is_some_and(|n| n.is_master()) {
                    errors.push(format!("--from {}: it is not a master", label(view, id)));
                } else if !out.contains(id) {
                    out.push(id.clone());
                }
            }
            out
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut take: BTreeMap<NodeId, SlotSet> = BTreeMap::new();
    match &req.amount {
        Amount::Slots(n) => {
            let n = *n;
            if n == 0 {
                return Err(vec!["--slots must be at least 1".into()]);
            }
            let have: Vec<(NodeId, &SlotSet)> = sources
                .iter()
                .filter_map(|id| owned.get(id).map(|s| (id.clone(), s)))
                .collect();
            let total: usize = have.iter().map(|(_, s)| s.len()).sum();
            if n > total {
                return Err(vec![format!(
                    "--slots {n}: the sources own only {total} slot(s)"
                )]);
            }
            let counts: Vec<usize> = have.iter().map(|(_, s)| s.len()).collect();
            let quotas = largest_remainder(n, &counts);
            for ((id, slots), q) in have.into_iter().zip(quotas) {
                if q == 0 {
                    continue;
                }
                // The last q slots of the source's ranges.
                let all: Vec<u16> = slots.iter().collect();
                let mut set = SlotSet::new();
                for s in &all[all.len() - q..] {
                    set.insert(*s);
                }
                take.insert(id, set);
            }
        }
        Amount::Ranges(ranges) => {
            if ranges.is_empty() {
                return Err(vec!["--range: no slots given".into()]);
            }
            let wanted = SlotSet::from_ranges(ranges.iter().copied());
            let mut unowned = wanted.clone();
            for (id, slots) in &owned {
                let part = wanted.intersection(slots);
                if part.is_empty() {
                    continue;
                }
                unowned = unowned.difference(&part);
                if *id == req.to {
                    errors.push(format!(
                        "--range: slots {part} are already owned by the destination {}",
                        label(view, id)
                    ));
                } else if !sources.contains(id) {
                    errors.push(format!(
                        "--range: slots {part} are owned by {}, which is not among --from (use --from all)",
                        label(view, id)
                    ));
                } else {
                    take.insert(id.clone(), part);
                }
            }
            if !unowned.is_empty() {
                errors.push(format!(
                    "--range: slots {unowned} have no owner (run `trib fix` first)"
                ));
            }
            if !errors.is_empty() {
                return Err(errors);
            }
        }
    }

    let mut shares: Vec<Share> = take
        .into_iter()
        .map(|(id, slots)| Share {
            node: label(view, &id),
            count: slots.len(),
            id,
            slots,
        })
        .collect();
    shares.sort_by(|a, b| {
        view.node(&a.id)
            .map(|n| n.addr)
            .cmp(&view.node(&b.id).map(|n| n.addr))
    });
    let mut moves: Vec<SlotMove> = Vec::new();
    for s in &shares {
        moves.extend(s.slots.iter().map(|slot| SlotMove {
            slot,
            from: s.id.clone(),
            to: req.to.clone(),
        }));
    }
    let slots = moves.len();
    let migration = MigrationPlan::new(moves).map_err(|e| vec![e.to_string()])?;
    Ok(ReshardPlan {
        to: req.to.clone(),
        to_node: label(view, &req.to),
        slots,
        shares,
        migration,
    })
}

/// Splits `n` in proportion to `weights` (largest-remainder rounding): the parts sum to
/// exactly `n` (when `n` ≤ the sum of weights) and none exceeds its weight. Ties go to the
/// larger weight, then the earlier entry.
pub fn largest_remainder(n: usize, weights: &[usize]) -> Vec<usize> {
    let total: usize = weights.iter().sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    let mut parts: Vec<usize> = weights.iter().map(|w| n * w / total).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Remainders compared exactly: (n*w) mod total.
    order.sort_by(|&a, &b| {
        let ra = n * weights[a] % total;
        let rb = n * weights[b] % total;
        rb.cmp(&ra)
            .then(weights[b].cmp(&weights[a]))
            .then(a.cmp(&b))
    });
    let mut left = n.saturating_sub(parts.iter().sum());
    for i in order.iter().cycle().take(weights.len() * 2) {
        if left == 0 {
            break;
        }
        if parts[*i] < weights[*i] {
            parts[*i] += 1;
            left -= 1;
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::info::Info;
    use crate::model::nodes::parse_cluster_nodes;
    use crate::model::view::NodeView;
    use proptest::prelude::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccc";
    const D: &str = "dddddddddddddddddddddddddddddddddddddddd";
    const R: &str = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

    fn id(s: &str) -> NodeId {
        NodeId::parse(s).unwrap()
    }

    /// A healthy view: A 0-5460, B 5461-10922, C 10923-16383, D empty master, R replica of A.
    fn view() -> ClusterView {
        let lines = [
            (A, 1, "master", "-", "0-5460"),
            (B, 2, "master", "-", "5461-10922"),
            (C, 3, "master", "-", "10923-16383"),
            (D, 4, "master", "-", ""),
            (R, 5, "slave", A, ""),
        ];
        let text_for = |me: &str| -> String {
            lines
                .iter()
                .map(|(i, n, role, m, slots)| {
                    let flags = if *i == me {
                        format!("myself,{role}")
                    } else {
                        role.to_string()
                    };
                    format!("{i} 127.0.0.1:700{n}@1700{n} {flags} {m} 0 0 {n} connected {slots}\n")
                })
                .collect()
        };
        let nodes = lines
            .iter()
            .map(|(i, n, _, _, _)| NodeView {
                label: format!("127.0.0.1:700{n}"),
                addr: format!("127.0.0.1:700{n}").parse().unwrap(),
                domain: "127.0.0.1".into(),
                id: id(i),
                nodes: parse_cluster_nodes(&text_for(i)).unwrap(),
                info: Info::parse("cluster_enabled:1\r\n"),
                cluster_info: Info::parse("cluster_state:ok\r\n"),
            })
            .collect();
        ClusterView {
            nodes,
            unreachable: vec![],
        }
    }

    fn req(from: Sources, to: &str, amount: Amount) -> ReshardRequest {
        ReshardRequest {
            from,
            to: id(to),
            amount,
        }
    }

    #[test]
    fn healthy_view_has_no_problems() {
        assert_eq!(health_problems(&view()), Vec::<String>::new());
    }

    #[test]
    fn slots_from_all_in_proportion() {
        let p = plan_reshard(&view(), &req(Sources::All, D, Amount::Slots(1000))).unwrap();
        assert_eq!(p.slots, 1000);
        assert_eq!(p.migration.moves.len(), 1000);
        let counts: Vec<usize> = p.shares.iter().map(|s| s.count).collect();
        // 5461, 5462, 5461 of 16384: 333.3, 333.4, 333.3 -> B gets the extra.
        assert_eq!(counts, vec![333, 334, 333]);
        // Taken from the end of each source's ranges.
        assert_eq!(p.shares[0].slots.to_string(), "5128-5460");
        assert!(p.migration.moves.iter().all(|m| m.to == id(D)));
    }

    #[test]
    fn slots_from_one_source_never_from_destination() {
        let p = plan_reshard(
            &view(),
            &req(Sources::Nodes(vec![id(B)]), A, Amount::Slots(10)),
        )
        .unwrap();
        assert_eq!(p.shares.len(), 1);
        assert_eq!(p.shares[0].slots.to_string(), "10913-10922");
        let p = plan_reshard(&view(), &req(Sources::All, A, Amount::Slots(100))).unwrap();
        assert!(p.shares.iter().all(|s| s.id != id(A)));
    }

    #[test]
    fn refusals() {
        let v = view();
        let e = plan_reshard(&v, &req(Sources::All, D, Amount::Slots(16385))).unwrap_err();
        assert!(e[0].contains("own only 16384"), "{e:?}");
        let e = plan_reshard(&v, &req(Sources::All, R, Amount::Slots(1))).unwrap_err();
        assert!(e[0].contains("replica"), "{e:?}");
        let e =
            plan_reshard(&v, &req(Sources::Nodes(vec![id(D)]), D, Amount::Slots(1))).unwrap_err();
        assert!(e[0].contains("also the destination"), "{e:?}");
        let e =
            plan_reshard(&v, &req(Sources::Nodes(vec![id(R)]), D, Amount::Slots(1))).unwrap_err();
        assert!(e[0].contains("not a master"), "{e:?}");
        let e = plan_reshard(
            &v,
            &req(
                Sources::All,
                A,
                Amount::Ranges(vec![SlotRange::new(5000, 5500)]),
            ),
        )
        .unwrap_err();
        assert!(
            e[0].contains("5000-5460") && e[0].contains("destination"),
            "{e:?}"
        );
        let e = plan_reshard(
            &v,
            &req(
                Sources::Nodes(vec![id(B)]),
                D,
                Amount::Ranges(vec![SlotRange::new(0, 3)]),
            ),
        )
        .unwrap_err();
        assert!(e[0].contains("not among --from"), "{e:?}");
    }

    #[test]
    fn ranges_from_their_owners() {
        let p = plan_reshard(
            &view(),
            &req(
                Sources::All,
                D,
                Amount::Ranges(vec![SlotRange::new(5460, 5462), SlotRange::new(100, 101)]),
            ),
        )
        .unwrap();
        assert_eq!(p.slots, 5);
        assert_eq!(p.shares[0].slots.to_string(), "100-101,5460");
        assert_eq!(p.shares[1].slots.to_string(), "5461-5462");
    }

    #[test]
    fn unhealthy_views_are_reported() {
        let mut v = view();
        v.nodes[1].nodes[1].flags.fail = true;
        assert!(!health_problems(&v).is_empty());
    }

    proptest! {
        #[test]
        fn largest_remainder_is_exact(weights in proptest::collection::vec(0usize..6000, 1..8), frac in 0.0f64..=1.0) {
            let total: usize = weights.iter().sum();
            let n = (total as f64 * frac) as usize;
            let parts = largest_remainder(n, &weights);
            prop_assert_eq!(parts.iter().sum::<usize>(), n.min(total));
            for (p, w) in parts.iter().zip(&weights) {
                prop_assert!(p <= w);
                // Within one of the exact share.
                let exact = n as f64 * *w as f64 / total.max(1) as f64;
                prop_assert!((*p as f64 - exact).abs() < 1.0 + 1e-9);
            }
        }
    }
}
