//! Rebalancing: how many slots each master should own for its weight, and the fewest
//! slot moves that get there. Pure.
//!
//! Where the arithmetic leaves a choice, trib chooses as `redis-cli --cluster rebalance`
//! (`clusterManagerCommandRebalance`), on masters in redis-cli's order (the entry node
//! first, then its `CLUSTER NODES`): scripts written for redis-cli check which node ended
//! up with what.
//!
//! - Targets: `total × w / Σw` rounded down; the slots left over by rounding go one at a
//!   time, in rounds over the masters in order, to each master with weight > 0 that owns
//!   no more than its target (first the entry node, when it does). The targets are
//!   integers summing exactly to `total` (16384 on a covered cluster).
//! - Moves: a master above its target gives exactly `current − target` slots (its
//!   lowest-numbered ones), a master below receives exactly `target − current`; no
//!   slot moves twice. That is the minimum: every surplus slot has to leave its master.
//!   Who gives to whom is redis-cli's pairing: masters sorted by `current − target`
//!   (stable), the neediest receiver served by the largest giver, then the next.
//! - Threshold (as redis-cli, default 2 %): nothing moves when every master is within
//!   `PCT` % of its target (`|current − target| ≤ target × PCT / 100`); a master whose
//!   target is 0 but still owns slots is always outside.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::view::ClusterView;
use crate::model::{NodeId, SlotSet};
use crate::plan::migration::{MigrationPlan, SlotMove};

/// Default `--threshold`, in percent (as redis-cli).
pub const DEFAULT_THRESHOLD: f64 = 2.0;

/// A master taking part in the rebalance.
#[derive(Clone, Debug)]
pub struct RebalanceMaster {
    pub id: NodeId,
    pub label: String,
    /// The slots it owns now.
    pub slots: SlotSet,
    /// Its weight (≥ 0, finite); 0 drains it.
    pub weight: f64,
}

/// One master's share.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Share {
    pub id: NodeId,
    pub node: String,
    pub weight: f64,
    pub current: usize,
    pub target: usize,
    /// Slots it gives away (current − target when positive).
    pub gives: usize,
    /// Slots it receives (target − current when positive).
    pub gets: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RebalancePlan {
    pub masters: Vec<Share>,
    pub threshold: f64,
    /// Every master is within the threshold of its target: nothing to move.
    pub balanced: bool,
    /// Empty when `balanced`.
    pub moves: MigrationPlan,
}

impl RebalancePlan {
    /// Masters drained to 0 slots by this plan (they may become replicas on their own
    /// when `cluster-allow-replica-migration` is on).
    pub fn drained(&self) -> Vec<&Share> {
        self.masters
            .iter()
            .filter(|s| s.target == 0 && s.current > 0 && !self.balanced)
            .collect()
    }
}

/// Integer targets summing to `total`, proportional to `weights`: rounded down, the
/// slots left over given as redis-cli gives them (see the module doc). `current` is what
/// each master owns now (Σ `current` = `total`).
pub fn targets(
    weights: &[f64],
    current: &[usize],
    total: usize,
) -> Result<Vec<usize>, RebalanceRefusal> {
    let mut out = floors(weights, total)?;
    let mut missing = total.saturating_sub(out.iter().sum());
    // Balance as redis-cli counts it: slots to give (> 0) or to get (≤ 0).
    let mut balance: Vec<i64> = out
        .iter()
        .enumerate()
        .map(|(i, t)| current.get(i).copied().unwrap_or(0) as i64 - *t as i64)
        .collect();
    while missing > 0 {
        let before = missing;
        for i in 0..out.len() {
            if missing > 0 && weights[i] > 0.0 && balance[i] <= 0 {
                out[i] += 1;
                balance[i] -= 1;
                missing -= 1;
            }
        }
        if missing == before {
            // Only when `current` does not add up to `total`: any master with weight.
            for i in (0..out.len())
                .filter(|&i| weights[i] > 0.0)
                .cycle()
                .take(missing)
            {
                out[i] += 1;
            }
            break;
        }
    }
    Ok(out)
}

/// Why a rebalance is refused (bad weights or threshold).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RebalanceRefusal {
    #[error("weight {0}: a weight is a finite number ≥ 0")]
    BadWeight(f64),
    #[error("every master would have weight 0: at least one master must keep slots")]
    AllWeightsZero,
    #[error("--threshold {0}: a percentage ≥ 0 is expected")]
    BadThreshold(f64),
    #[error("--weight {arg}: expected NODE=W")]
    WeightWithoutNode { arg: String },
    #[error("--weight {arg}: W is a number ≥ 0")]
    WeightNotANumber { arg: String },
    #[error("--weight {arg}: expected NODE=W with W a number ≥ 0")]
    WeightOutOfRange { arg: String },
    /// The moves broke an invariant of a migration plan (a bug, not bad input).
    #[error(transparent)]
    Invalid(#[from] crate::plan::migration::InvalidPlan),
}

/// `total × w / Σw` rounded down for every weight (never more than `total` in all).
fn floors(weights: &[f64], total: usize) -> Result<Vec<usize>, RebalanceRefusal> {
    if let Some(w) = weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
        return Err(RebalanceRefusal::BadWeight(*w));
    }
    // Scaled by the largest weight, so that neither the sum nor a quota can overflow
    // (`--weight a=1e305`) and tiny weights keep their ratios.
    let max = weights.iter().copied().fold(0.0, f64::max);
    if weights.is_empty() || max <= 0.0 {
        return Err(RebalanceRefusal::AllWeightsZero);
    }
    let scaled: Vec<f64> = weights.iter().map(|w| w / max).collect();
    let sum: f64 = scaled.iter().sum();
    let quotas: Vec<f64> = scaled.iter().map(|w| total as f64 * (w / sum)).collect();
    let mut out: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    // Guard against floating-point overshoot (never more than `total` in all).
    while out.iter().sum::<usize>() > total {
        if let Some(i) = (0..out.len()).filter(|&i| out[i] > 0).max_by(|&a, &b| {
            (out[a] as f64 - quotas[a])
                .total_cmp(&(out[b] as f64 - quotas[b]))
                .then(b.cmp(&a))
        }) {
            out[i] -= 1;
        } else {
            break;
        }
    }
    Ok(out)
}

/// The masters taking part: those owning slots, empty ones with `use_empty`, and every
/// master given a weight (1 unless given); in redis-cli's order
/// ([`ClusterView::manager_order`]).
pub fn masters_taking_part(
    view: &ClusterView,
    weights: &BTreeMap<NodeId, f64>,
    use_empty: bool,
) -> Vec<RebalanceMaster> {
    view.manager_order()
        .iter()
        .filter_map(|id| view.node(id).filter(|v| v.is_master()))
        .filter_map(|v| {
            let slots: SlotSet = v.myself()?.slots.clone();
            let explicit = weights.get(&v.id).copied();
            (!slots.is_empty() || use_empty || explicit.is_some()).then(|| RebalanceMaster {
                id: v.id.clone(),
                label: v.label.clone(),
                slots,
                weight: explicit.unwrap_or(1.0),
            })
        })
        .collect()
}

/// Plans the rebalance of `masters` (every master taking part, in a stable order).
pub fn plan_rebalance(
    masters: &[RebalanceMaster],
    threshold: f64,
) -> Result<RebalancePlan, RebalanceRefusal> {
    if !threshold.is_finite() || threshold < 0.0 {
        return Err(RebalanceRefusal::BadThreshold(threshold));
    }
    let total: usize = masters.iter().map(|m| m.slots.len()).sum();
    let weights: Vec<f64> = masters.iter().map(|m| m.weight).collect();
    let current: Vec<usize> = masters.iter().map(|m| m.slots.len()).collect();
    let tg = targets(&weights, &current, total)?;
    let shares: Vec<Share> = masters
        .iter()
        .zip(&tg)
        .map(|(m, &target)| {
            let current = m.slots.len();
            Share {
                id: m.id.clone(),
                node: m.label.clone(),
                weight: m.weight,
                current,
                target,
                gives: current.saturating_sub(target),
                gets: target.saturating_sub(current),
            }
        })
        .collect();
    let outside = shares.iter().any(|s| {
        let diff = s.current.abs_diff(s.target) as f64;
        (s.target == 0 && s.current > 0) || diff > s.target as f64 * threshold / 100.0
    });
    let balanced = !outside || shares.iter().all(|s| s.gives == 0);
    let moves = if balanced {
        Vec::new()
    } else {
        pair_moves(masters, &shares)
    };
    let moves = MigrationPlan::new(moves)?;
    Ok(RebalancePlan {
        masters: shares,
        threshold,
        balanced,
        moves,
    })
}

/// Who gives which slots to whom, as redis-cli pairs them: masters sorted by balance
/// (`current − target`, stable), the receiver with the most to get served by the giver
/// with the most to give, each giver giving its lowest-numbered slots first.
fn pair_moves(masters: &[RebalanceMaster], shares: &[Share]) -> Vec<SlotMove> {
    let mut balance: Vec<i64> = shares
        .iter()
        .map(|s| s.current as i64 - s.target as i64)
        .collect();
    let slots: Vec<Vec<u16>> = masters.iter().map(|m| m.slots.iter().collect()).collect();
    let mut given = vec![0usize; masters.len()];
    let mut order: Vec<usize> = (0..masters.len()).collect();
    order.sort_by_key(|&i| balance[i]);
    let mut moves = Vec::new();
    let (mut dst, mut src) = (0, order.len().saturating_sub(1));
    while dst < src {
        let (d, s) = (order[dst], order[src]);
        let n = balance[d].unsigned_abs().min(balance[s].unsigned_abs()) as usize;
        for &slot in slots[s].iter().skip(given[s]).take(n) {
            moves.push(SlotMove {
                slot,
                from: masters[s].id.clone(),
                to: masters[d].id.clone(),
            });
        }
        given[s] += n;
        balance[d] += n as i64;
        balance[s] -= n as i64;
        if balance[d] == 0 {
            dst += 1;
        }
        if balance[s] == 0 {
            src -= 1;
        }
        if n == 0 && balance[d] != 0 && balance[s] != 0 {
            break;
        }
    }
    moves
}

/// One `NODE=W` argument, split (the weight parsed and checked).
pub fn parse_weight(arg: &str) -> Result<(String, f64), RebalanceRefusal> {
    let (node, w) = arg
        .rsplit_once('=')
        .ok_or_else(|| RebalanceRefusal::WeightWithoutNode { arg: arg.into() })?;
    let w: f64 = w
        .trim()
        .parse()
        .map_err(|_| RebalanceRefusal::WeightNotANumber { arg: arg.into() })?;
    if node.is_empty() || !w.is_finite() || w < 0.0 {
        return Err(RebalanceRefusal::WeightOutOfRange { arg: arg.into() });
    }
    Ok((node.to_string(), w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SLOT_COUNT, SlotRange};
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn id(n: usize) -> NodeId {
        NodeId::parse(&format!("{n:040x}")).unwrap()
    }

    fn master(n: usize, slots: &[(u16, u16)], weight: f64) -> RebalanceMaster {
        RebalanceMaster {
            id: id(n),
            label: format!("m{n}"),
            slots: SlotSet::from_ranges(slots.iter().map(|&(a, b)| SlotRange::new(a, b))),
            weight,
        }
    }

    /// Applies the plan and returns each master's slot count (and checks each move's source).
    fn apply(masters: &[RebalanceMaster], plan: &RebalancePlan) -> BTreeMap<NodeId, SlotSet> {
        let mut owned: BTreeMap<NodeId, SlotSet> = masters
            .iter()
            .map(|m| (m.id.clone(), m.slots.clone()))
            .collect();
        let mut seen = BTreeSet::new();
        for mv in &plan.moves.moves {
            assert!(seen.insert(mv.slot), "slot {} moved twice", mv.slot);
            assert_ne!(mv.from, mv.to);
            let from = owned.get_mut(&mv.from).unwrap();
            assert!(
                from.contains(mv.slot),
                "slot {} not owned by its source",
                mv.slot
            );
            from.remove(mv.slot);
            owned.get_mut(&mv.to).unwrap().insert(mv.slot);
        }
        owned
    }

    #[test]
    fn targets_round_down_and_give_the_rest_in_order() {
        let even = [5461, 5462, 5461];
        // 5461.33 each: the one left over goes to the first master owning no more than
        // its target (A, not B which owns 5462).
        assert_eq!(
            targets(&[1.0, 1.0, 1.0], &even, 16384).unwrap(),
            vec![5462, 5461, 5461]
        );
        assert_eq!(
            targets(&[1.0, 1.0, 1.0], &[5462, 5461, 5461], 16384).unwrap(),
            vec![5461, 5462, 5461]
        );
        assert_eq!(
            targets(&[1.0, 0.0, 1.0], &even, 16384).unwrap(),
            vec![8192, 0, 8192]
        );
        // 10922.67 and 5461.33: the leftover goes to the first eligible (redis-cli), not
        // to the largest remainder.
        assert_eq!(
            targets(&[2.0, 1.0], &[0, 16384], 16384).unwrap(),
            vec![10923, 5461]
        );
        assert_eq!(
            targets(&[2.0, 1.0], &[16384, 0], 16384).unwrap(),
            vec![10922, 5462]
        );
        // Five masters, two of them new: 3276.8 each; the four left over go in rounds to
        // the masters still short (the new ones), not to the first four.
        assert_eq!(
            targets(&[1.0; 5], &[5461, 5462, 5461, 0, 0], 16384).unwrap(),
            vec![3276, 3276, 3276, 3278, 3278]
        );
        // A master of weight 0 never gets one.
        assert_eq!(
            targets(&[0.0, 1.0, 1.0, 1.0], &[0, 0, 8192, 8192], 16384).unwrap(),
            vec![0, 5462, 5461, 5461]
        );
        assert!(targets(&[0.0, 0.0], &even[..2], 16384).is_err());
        assert!(targets(&[], &[], 16384).is_err());
        assert!(targets(&[f64::NAN], &[16384], 16384).is_err());
    }

    #[test]
    fn even_three_masters_with_a_new_empty_one() {
        let ms = vec![
            master(1, &[(0, 5460)], 1.0),
            master(2, &[(5461, 10922)], 1.0),
            master(3, &[(10923, 16383)], 1.0),
            master(4, &[], 1.0),
        ];
        let plan = plan_rebalance(&ms, DEFAULT_THRESHOLD).unwrap();
        assert!(!plan.balanced);
        assert_eq!(plan.moves.moves.len(), 4096);
        let after = apply(&ms, &plan);
        assert!(after.values().all(|s| s.len() == 4096));
        // The new master gets each donor's lowest slots, as redis-cli: three ranges.
        assert_eq!(after[&id(4)].to_string(), "0-1364,5461-6826,10923-12287");
        assert_eq!(after[&id(1)].to_string(), "1365-5460");
    }

    /// A drain: the master with most to get is served first, from the giver's lowest
    /// slots (redis-cli's pairing).
    #[test]
    fn a_drain_gives_the_lowest_slots_to_the_neediest_first() {
        let ms = vec![
            master(1, &[(0, 5460)], 1.0),
            master(2, &[(5461, 10922)], 1.0),
            master(3, &[(10923, 16383)], 0.0),
        ];
        let plan = plan_rebalance(&ms, DEFAULT_THRESHOLD).unwrap();
        let after = apply(&ms, &plan);
        assert_eq!(after[&id(1)].to_string(), "0-5460,10923-13653");
        assert_eq!(after[&id(2)].to_string(), "5461-10922,13654-16383");
        assert!(after[&id(3)].is_empty());
        // Moves in redis-cli's order: to 1 first, ascending.
        assert_eq!(plan.moves.moves[0].slot, 10923);
        assert_eq!(plan.moves.moves[0].to, id(1));
    }

    #[test]
    fn weight_zero_drains_and_threshold_holds_still() {
        let ms = vec![
            master(1, &[(0, 8191)], 1.0),
            master(2, &[(8192, 16383)], 0.0),
        ];
        let plan = plan_rebalance(&ms, DEFAULT_THRESHOLD).unwrap();
        assert_eq!(plan.moves.moves.len(), 8192);
        assert_eq!(plan.drained().len(), 1);
        let after = apply(&ms, &plan);
        assert_eq!(after[&id(2)].len(), 0);
        assert_eq!(after[&id(1)].len(), 16384);

        // 8192 vs 8192 ± 100 is within 2 %: nothing moves.
        let ms = vec![
            master(1, &[(0, 8291)], 1.0),
            master(2, &[(8292, 16383)], 1.0),
        ];
        let plan = plan_rebalance(&ms, DEFAULT_THRESHOLD).unwrap();
        assert!(plan.balanced);
        assert!(plan.moves.moves.is_empty());
        // With threshold 0 it moves exactly the surplus.
        let plan = plan_rebalance(&ms, 0.0).unwrap();
        assert_eq!(plan.moves.moves.len(), 100);
        assert!(plan_rebalance(&ms, -1.0).is_err());
    }

    #[test]
    fn deterministic() {
        let ms = vec![
            master(1, &[(0, 100), (9000, 16383)], 1.0),
            master(2, &[(101, 8999)], 3.0),
            master(3, &[], 2.0),
        ];
        assert_eq!(
            plan_rebalance(&ms, 0.0).unwrap(),
            plan_rebalance(&ms, 0.0).unwrap()
        );
    }

    #[test]
    fn parses_weights() {
        assert_eq!(
            parse_weight("10.0.0.1:6379=2").unwrap(),
            ("10.0.0.1:6379".into(), 2.0)
        );
        assert_eq!(parse_weight("abcd=0").unwrap(), ("abcd".into(), 0.0));
        assert!(parse_weight("abcd").is_err());
        assert!(parse_weight("abcd=-1").is_err());
        assert!(parse_weight("abcd=x").is_err());
        assert!(parse_weight("=1").is_err());
    }

    /// Random ownership of all 16384 slots over `n` masters, with weights 0..=5 (one > 0).
    fn cluster() -> impl Strategy<Value = Vec<RebalanceMaster>> {
        (1usize..=1000).prop_flat_map(|n| {
            (
                Just(n),
                proptest::collection::vec(0u8..=5, n),
                proptest::collection::vec(0usize..n, 1..=64),
                any::<u64>(),
            )
                .prop_map(|(n, mut w, cuts, seed)| {
                    if w.iter().all(|x| *x == 0) {
                        w[0] = 1;
                    }
                    // Contiguous runs of slots, each given to a pseudo-random master.
                    let mut sets = vec![SlotSet::new(); n];
                    let runs = cuts.len();
                    let mut x = seed | 1;
                    for (r, cut) in cuts.iter().enumerate() {
                        let a = (r * SLOT_COUNT as usize / runs) as u16;
                        let b = ((r + 1) * SLOT_COUNT as usize / runs - 1) as u16;
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let owner = (cut + x as usize) % n;
                        sets[owner].insert_range(SlotRange::new(a, b));
                    }
                    sets.into_iter()
                        .zip(w)
                        .enumerate()
                        .map(|(i, (slots, w))| RebalanceMaster {
                            id: id(i + 1),
                            label: format!("m{i}"),
                            slots,
                            weight: f64::from(w),
                        })
                        .collect()
                })
        })
    }

    #[test]
    fn huge_weights_keep_their_proportions() {
        // `--weight a=1e305`: total × weight overflowed to infinity, its floor to
        // usize::MAX, and the overshoot loop then counted down from there (a hang; with
        // two such weights, an overflow panic). Found by fuzz/fuzz_targets/rebalance.rs.
        let t = |w: &[f64], total: usize| {
            let mut current = vec![0; w.len()];
            current[0] = total;
            targets(w, &current, total)
        };
        assert_eq!(t(&[1e305, 1.0], 16384), Ok(vec![16384, 0]));
        assert_eq!(t(&[1e305, 1e305], 16384), Ok(vec![8192, 8192]));
        assert_eq!(t(&[f64::MAX, f64::MAX, 0.0], 3), Ok(vec![1, 2, 0]));
        assert_eq!(t(&[1e308, 1e308, 1.0], 16384), Ok(vec![8192, 8192, 0]));
        // And the smallest ones.
        assert_eq!(t(&[5e-324, 5e-324], 4), Ok(vec![2, 2]));
        assert_eq!(t(&[1e-300, 3e-300], 4), Ok(vec![1, 3]));
    }

    proptest! {
        #[test]
        fn parse_weight_never_panics(s in "\\PC{0,30}|[a-z]{1,3}=[-+0-9.e]{0,12}") {
            if let Ok((node, w)) = parse_weight(&s) {
                prop_assert!(!node.is_empty() && w.is_finite() && w >= 0.0);
            }
        }

        #[test]
        fn parse_weight_round_trips(node in "[a-z0-9.:=]{1,20}", w in 0.0f64..1e9) {
            prop_assert_eq!(parse_weight(&format!("{node}={w}")), Ok((node, w)));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn plan_reaches_targets_with_fewest_moves(ms in cluster()) {
            let plan = plan_rebalance(&ms, 0.0).unwrap();
            let total: usize = plan.masters.iter().map(|s| s.target).sum();
            prop_assert_eq!(total, SLOT_COUNT as usize);
            let after = apply(&ms, &plan);
            for s in &plan.masters {
                prop_assert_eq!(after[&s.id].len(), s.target);
                if s.weight == 0.0 {
                    prop_assert_eq!(s.target, 0);
                }
            }
            let surplus: usize = plan.masters.iter().map(|s| s.current.saturating_sub(s.target)).sum();
            prop_assert_eq!(plan.moves.moves.len(), surplus);
            let max = ms.iter().map(|m| m.weight).fold(0.0, f64::max);
            let sum: f64 = ms.iter().map(|m| m.weight / max).sum();
            for (m, s) in ms.iter().zip(&plan.masters) {
                // A giver gives its lowest-numbered slots.
                let given: Vec<u16> = plan.moves.moves.iter().filter(|mv| mv.from == m.id).map(|mv| mv.slot).collect();
                let lowest: Vec<u16> = m.slots.iter().take(s.gives).collect();
                let mut sorted = given.clone();
                sorted.sort_unstable();
                prop_assert_eq!(sorted, lowest);
                // Rounded down, plus at most one per round of leftovers (fewer than the
                // number of masters in all).
                let exact = SLOT_COUNT as f64 * (m.weight / max / sum);
                prop_assert!(s.target as f64 > exact - 1.0 - 1e-6 && (s.target as f64) < exact + ms.len() as f64);
            }
        }

        #[test]
        fn threshold_only_skips_when_everyone_is_close(ms in cluster(), pct in 0.0f64..50.0) {
            let plan = plan_rebalance(&ms, pct).unwrap();
            if plan.balanced {
                prop_assert!(plan.moves.moves.is_empty());
                for s in &plan.masters {
                    prop_assert!(s.current.abs_diff(s.target) as f64 <= s.target as f64 * pct / 100.0 || s.gives == 0 && s.gets == 0 || plan.masters.iter().all(|x| x.gives == 0));
                }
            } else {
                let after = apply(&ms, &plan);
                for s in &plan.masters {
                    prop_assert_eq!(after[&s.id].len(), s.target);
                }
            }
        }
    }
}
