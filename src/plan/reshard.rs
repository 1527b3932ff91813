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

/// Why `--slots`/`--range` say neither how many slots nor which.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("--range {0}: not a slot range (A-B with 0 <= A <= B <= 16383)")]
    BadRange(String),
    #[error("give either --slots N or --range A-B[,C-D...]")]
    Neither,
}

impl Amount {
    /// `--slots N` or `--range A-B[,C-D...]`: exactly one of them.
    pub fn parse(slots: Option<u16>, ranges: &[String]) -> Result<Amount, AmountError> {
        match (slots, ranges.is_empty()) {
            (Some(n), true) => Ok(Amount::Slots(n as usize)),
            (None, false) => ranges
                .iter()
                .map(|r| SlotRange::parse(r).ok_or_else(|| AmountError::BadRange(r.clone())))
                .collect::<Result<Vec<_>, _>>()
                .map(Amount::Ranges),
            _ => Err(AmountError::Neither),
        }
    }
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
    /// `--range`: the slots of the range the destination owns already, left alone (a
    /// re-run of an interrupted `--range` reshard moves only the rest).
    #[serde(skip_serializing_if = "SlotSet::is_empty")]
    pub already_at_destination: SlotSet,
    /// In JSON: its big keys and how many keys were sized for them (`big_keys`,
    /// `keys_sized`), the shares say the rest.
    #[serde(flatten, serialize_with = "crate::plan::bigkeys::scan_of")]
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

/// Why a reshard is refused; each names the argument and the node it is about.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReshardRefusal {
    #[error("--to {node}: it is a replica; slots can only move to a master")]
    ToReplica { node: String },
    #[error("--to {}: not reachable, cannot move slots to it", .id.short())]
    ToUnreachable { id: NodeId },
    #[error("--from {node}: it is also the destination")]
    FromIsDestination { node: String },
    #[error("--from {node}: it is not a master")]
    FromNotMaster { node: String },
    #[error("--slots must be at least 1")]
    NoSlots,
    #[error("--slots {wanted}: the sources own only {owned} slot(s)")]
    TooManySlots { wanted: usize, owned: usize },
    #[error("--range: no slots given")]
    EmptyRange,
    #[error(
        "--range: slots {slots} are owned by {node}, which is not among --from (use --from all)"
    )]
    RangeNotFromSource { slots: SlotSet, node: String },
    #[error("--range: slots {slots} have no owner (run `trib fix` first)")]
    RangeUnowned { slots: SlotSet },
    /// The moves broke an invariant of a migration plan (a bug, not bad input).
    #[error(transparent)]
    Invalid(#[from] crate::plan::migration::InvalidPlan),
}

/// Plans a reshard. Refusals mean nothing may be done.
pub fn plan_reshard(
    view: &ClusterView,
    req: &ReshardRequest,
) -> Result<ReshardPlan, Vec<ReshardRefusal>> {
    let owned = view.claimed_slots();
    let mut errors = Vec::new();
    match view.node(&req.to) {
        Some(n) if n.is_master() => {}
        Some(n) => errors.push(ReshardRefusal::ToReplica {
            node: n.label.clone(),
        }),
        None => errors.push(ReshardRefusal::ToUnreachable { id: req.to.clone() }),
    }
    let sources: Vec<NodeId> = match &req.from {
        // As redis-cli lists them (the entry first): the order breaks ties below.
        Sources::All => view
            .manager_order()
            .into_iter()
            .filter(|id| *id != req.to && view.node(id).is_some_and(|n| n.is_master()))
            .collect(),
        Sources::Nodes(ids) => {
            let mut out: Vec<NodeId> = Vec::new();
            for id in ids {
                if *id == req.to {
                    errors.push(ReshardRefusal::FromIsDestination {
                        node: label(view, id),
                    });
                } else if !view.node(id).is_some_and(|n| n.is_master()) {
                    errors.push(ReshardRefusal::FromNotMaster {
                        node: label(view, id),
                    });
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
    let mut already = SlotSet::new();
    match &req.amount {
        Amount::Slots(n) => {
            let n = *n;
            if n == 0 {
                return Err(vec![ReshardRefusal::NoSlots]);
            }
            let have: Vec<(NodeId, &SlotSet)> = sources
                .iter()
                .filter_map(|id| owned.get(id).map(|s| (id.clone(), s)))
                .collect();
            let total: usize = have.iter().map(|(_, s)| s.len()).sum();
            if n > total {
                return Err(vec![ReshardRefusal::TooManySlots {
                    wanted: n,
                    owned: total,
                }]);
            }
            let counts: Vec<usize> = have.iter().map(|(_, s)| s.len()).collect();
            for (i, count) in reshard_counts(n, &counts).into_iter().enumerate() {
                if count > 0 {
                    let (id, slots) = &have[i];
                    let mut set = SlotSet::new();
                    for slot in slots.iter().take(count) {
                        set.insert(slot);
                    }
                    take.insert(id.clone(), set);
                }
            }
        }
        Amount::Ranges(ranges) => {
            if ranges.is_empty() {
                return Err(vec![ReshardRefusal::EmptyRange]);
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
                    // Moved by an earlier run (or never elsewhere): nothing to do for them.
                    already = part;
                } else if !sources.contains(id) {
                    errors.push(ReshardRefusal::RangeNotFromSource {
                        slots: part,
                        node: label(view, id),
                    });
                } else {
                    take.insert(id.clone(), part);
                }
            }
            if !unowned.is_empty() {
                errors.push(ReshardRefusal::RangeUnowned { slots: unowned });
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
    let migration = MigrationPlan::new(moves).map_err(|e| vec![e.into()])?;
    Ok(ReshardPlan {
        to: req.to.clone(),
        to_node: label(view, &req.to),
        slots,
        already_at_destination: already,
        shares,
        migration,
    })
}

/// How many slots each source gives for `--slots n`, as redis-cli computes its reshard
/// table (`clusterManagerComputeReshardTable`): the sources sorted by slot count, most
/// first (ties keep the given order); the first gives `ceil(n / total × count)`, every
/// other `floor(…)`, in single-precision floats as redis-cli does, while fewer than `n`
/// are taken. Each source gives its lowest-numbered slots (the caller takes them).
///
/// Where those roundings add up to less than `n` (e.g. `n = 2` over three sources of about
/// 5461 slots each: 1 + 0 + 0), redis-cli moves fewer slots than asked; trib moves
/// exactly `n`, the missing ones one per source in the same order. `n` ≤ Σ `counts`.
pub fn reshard_counts(n: usize, counts: &[usize]) -> Vec<usize> {
    let total: usize = counts.iter().sum();
    let mut out = vec![0; counts.len()];
    if total == 0 {
        return out;
    }
    let mut order: Vec<usize> = (0..counts.len()).collect();
    // Stable, as glibc's qsort (a merge sort) is on redis-cli's few sources.
    order.sort_by(|&a, &b| counts[b].cmp(&counts[a]));
    let mut taken = 0;
    for (k, &i) in order.iter().enumerate() {
        let share = n as f32 / total as f32 * counts[i] as f32;
        let share = if k == 0 { share.ceil() } else { share.floor() };
        // `as` saturates (a negative or NaN share is 0).
        let count = (share as usize).min(counts[i]).min(n - taken);
        out[i] = count;
        taken += count;
    }
    while taken < n {
        let before = taken;
        for &i in &order {
            if taken < n && out[i] < counts[i] {
                out[i] += 1;
                taken += 1;
            }
        }
        if taken == before {
            break;
        }
    }
    out
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

    #[test]
    fn amount_is_slots_or_ranges() {
        let ranges = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Amount::parse(Some(5), &[]), Ok(Amount::Slots(5)));
        assert_eq!(
            Amount::parse(None, &ranges(&["0-9", "20"])),
            Ok(Amount::Ranges(vec![
                SlotRange::new(0, 9),
                SlotRange::new(20, 20)
            ]))
        );
        assert_eq!(
            Amount::parse(None, &ranges(&["0-9", "9-3"])),
            Err(AmountError::BadRange("9-3".into()))
        );
        assert_eq!(
            Amount::parse(None, &ranges(&["16384"])),
            Err(AmountError::BadRange("16384".into()))
        );
        assert_eq!(Amount::parse(None, &[]), Err(AmountError::Neither));
        assert_eq!(
            Amount::parse(Some(1), &ranges(&["0-1"])),
            Err(AmountError::Neither)
        );
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
                node_timeout: None,
            })
            .collect();
        ClusterView {
            nodes,
            unreachable: vec![],
            entry: None,
            ..ClusterView::default()
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
        // 5461, 5462, 5461 of 16384: B, the largest, gives ceil(333.4), the others
        // floor(333.3), as redis-cli.
        assert_eq!(counts, vec![333, 334, 333]);
        // Each source's lowest-numbered slots, as redis-cli.
        let taken: Vec<String> = p.shares.iter().map(|s| s.slots.to_string()).collect();
        assert_eq!(taken, ["0-332", "5461-5794", "10923-11255"]);
        let order: Vec<u16> = p.migration.moves.iter().map(|m| m.slot).take(3).collect();
        assert_eq!(order, [0, 1, 2]);
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
        assert_eq!(p.shares[0].slots.to_string(), "5461-5470");
        let p = plan_reshard(&view(), &req(Sources::All, A, Amount::Slots(100))).unwrap();
        assert!(p.shares.iter().all(|s| s.id != id(A)));
    }

    #[test]
    fn refusals() {
        use ReshardRefusal as R_;
        let v = view();
        let e = plan_reshard(&v, &req(Sources::All, D, Amount::Slots(16385))).unwrap_err();
        assert_eq!(
            e,
            vec![R_::TooManySlots {
                wanted: 16385,
                owned: 16384
            }]
        );
        assert!(e[0].to_string().contains("own only 16384"));
        let e = plan_reshard(&v, &req(Sources::All, R, Amount::Slots(1))).unwrap_err();
        assert!(matches!(&e[0], R_::ToReplica { .. }), "{e:?}");
        assert!(e[0].to_string().contains("replica"));
        let e =
            plan_reshard(&v, &req(Sources::Nodes(vec![id(D)]), D, Amount::Slots(1))).unwrap_err();
        assert!(matches!(&e[0], R_::FromIsDestination { .. }), "{e:?}");
        let e =
            plan_reshard(&v, &req(Sources::Nodes(vec![id(R)]), D, Amount::Slots(1))).unwrap_err();
        assert!(matches!(&e[0], R_::FromNotMaster { .. }), "{e:?}");
        // Slots of the range the destination owns already are left alone (a re-run after
        // an interrupted move); the rest moves.
        let p = plan_reshard(
            &v,
            &req(
                Sources::All,
                A,
                Amount::Ranges(vec![SlotRange::new(5000, 5500)]),
            ),
        )
        .unwrap();
        assert_eq!(p.already_at_destination.to_string(), "5000-5460");
        assert_eq!(p.slots, 40);
        assert!(p.migration.moves.iter().all(|m| m.slot >= 5461));
        // All of it there already: an empty plan, not a refusal.
        let p = plan_reshard(
            &v,
            &req(Sources::All, A, Amount::Ranges(vec![SlotRange::new(0, 99)])),
        )
        .unwrap();
        assert_eq!((p.slots, p.already_at_destination.len()), (0, 100));
        let e = plan_reshard(
            &v,
            &req(
                Sources::Nodes(vec![id(B)]),
                D,
                Amount::Ranges(vec![SlotRange::new(0, 3)]),
            ),
        )
        .unwrap_err();
        assert!(matches!(&e[0], R_::RangeNotFromSource { .. }), "{e:?}");
        assert!(e[0].to_string().contains("not among --from"));
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

    /// Ties in slot count: the source listed first gives the rounded-up share. With
    /// `--from all` that is redis-cli's order: the entry node, then its CLUSTER NODES.
    #[test]
    fn ties_go_by_the_given_order_and_the_entry_node() {
        let p = |v: &ClusterView, from: Sources| {
            plan_reshard(v, &req(from, B, Amount::Slots(3)))
                .unwrap()
                .shares
                .iter()
                .map(|s| s.slots.to_string())
                .collect::<Vec<_>>()
        };
        let mut v = view();
        // A and C own 5461 slots each: 1.5 each, the first gives 2.
        assert_eq!(
            p(&v, Sources::Nodes(vec![id(C), id(A)])),
            ["0", "10923-10924"]
        );
        assert_eq!(p(&v, Sources::Nodes(vec![id(A), id(C)])), ["0-1", "10923"]);
        // No entry known: by address.
        assert_eq!(p(&v, Sources::All), ["0-1", "10923"]);
        v.entry = Some(id(C));
        assert_eq!(p(&v, Sources::All), ["0", "10923-10924"]);
        assert_eq!(v.manager_order()[0], id(C));
    }

    #[test]
    fn counts_follow_redis_cli() {
        // The largest first (rounded up), ties in the given order.
        assert_eq!(reshard_counts(4, &[10, 10, 10]), [2, 1, 1]);
        assert_eq!(reshard_counts(1000, &[5461, 5462, 5461]), [333, 334, 333]);
        assert_eq!(reshard_counts(10, &[0, 5462, 0]), [0, 10, 0]);
        assert_eq!(
            reshard_counts(16384, &[5461, 5462, 5461]),
            [5461, 5462, 5461]
        );
        // redis-cli would move 2 + 1 + 0 = 3 of 4 here (ceil 1.6, floor 1.6, floor 0.8);
        // the missing one comes from the first source again.
        assert_eq!(reshard_counts(4, &[5, 10, 10]), [0, 3, 1]);
        // Single precision, as redis-cli: 6 / 9999 × 3333 is 1.9999999 in f32, so the
        // second source gives 1 (not 2); redis-cli moves 4 + 1, trib one more from the first.
        assert_eq!(reshard_counts(6, &[6666, 3333]), [5, 1]);
        assert_eq!(reshard_counts(0, &[3, 4]), [0, 0]);
    }

    proptest! {
        #[test]
        fn reshard_counts_are_exact(counts in proptest::collection::vec(0usize..6000, 1..8), frac in 0.0f64..=1.0) {
            let total: usize = counts.iter().sum();
            let n = (total as f64 * frac) as usize;
            let parts = reshard_counts(n, &counts);
            prop_assert_eq!(parts.iter().sum::<usize>(), n);
            for (p, c) in parts.iter().zip(&counts) {
                prop_assert!(p <= c);
                // Rounded (up for the first source), plus at most one to make up `n`.
                let exact = n as f64 * *c as f64 / total.max(1) as f64;
                prop_assert!((*p as f64 - exact).abs() < 2.0, "{p} vs {exact}");
            }
        }
    }
}
