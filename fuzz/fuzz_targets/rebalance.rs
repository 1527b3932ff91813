//! `rebalance` on any slot layout over up to 10 masters, any weights and threshold.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use trib::model::{NodeId, SLOT_COUNT, SlotRange, SlotSet};
use trib::plan::rebalance::{RebalanceMaster, plan_rebalance};

#[derive(Arbitrary, Debug)]
struct Input {
    /// Per master: where its share ends (a cut point), its weight, and the weight's scale.
    masters: Vec<(u16, u8, u8)>,
    /// Any f64 at all as the first master's weight.
    raw_weight: Option<f64>,
    threshold: u8,
    odd_threshold: Option<f64>,
}

fn id(i: usize) -> NodeId {
    NodeId::parse(&format!("{:040x}", i + 1)).expect("valid id")
}

fuzz_target!(|input: Input| {
    let m = input.masters.len().min(10);
    if m == 0 {
        return;
    }
    let mut cuts: Vec<u16> = input.masters[..m]
        .iter()
        .map(|(c, _, _)| c % (SLOT_COUNT + 1))
        .collect();
    cuts.sort_unstable();
    // Some slots may be owned by nobody (outside the last cut): rebalance only moves owned ones.
    let mut start = 0u16;
    let mut masters: Vec<RebalanceMaster> = Vec::new();
    for (i, (_, w, scale)) in input.masters[..m].iter().enumerate() {
        let end = cuts[i];
        let mut slots = SlotSet::new();
        if end > start {
            slots.insert_range(SlotRange::new(start, end - 1));
            start = end;
        }
        masters.push(RebalanceMaster {
            id: id(i),
            label: format!("m{i}"),
            slots,
            // Quarters mostly; also the extremes an operator can type (`--weight a=1e305`).
            weight: f64::from(*w)
                * match scale % 8 {
                    0 => 10f64.powi(280 + i32::from(scale / 8)),
                    1 => 10f64.powi(-300 - i32::from(scale / 8)),
                    _ => 0.25,
                },
        });
    }
    if let Some(w) = input.raw_weight {
        masters[0].weight = w;
    }
    let threshold = input.odd_threshold.unwrap_or(f64::from(input.threshold));
    let total: usize = masters.iter().map(|x| x.slots.len()).sum();
    let plan = match plan_rebalance(&masters, threshold) {
        Ok(p) => p,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            let sane = threshold.is_finite() && threshold >= 0.0;
            let weights_ok = masters
                .iter()
                .all(|x| x.weight.is_finite() && x.weight >= 0.0)
                && masters.iter().any(|x| x.weight > 0.0);
            assert!(!(sane && weights_ok), "refused sane input: {e}");
            return;
        }
    };
    assert_eq!(plan.masters.len(), m);
    assert_eq!(plan.masters.iter().map(|s| s.target).sum::<usize>(), total);
    let max = masters.iter().map(|x| x.weight).fold(0.0, f64::max);
    let sum: f64 = masters.iter().map(|x| x.weight / max).sum();
    for (s, x) in plan.masters.iter().zip(&masters) {
        assert_eq!(s.current, x.slots.len());
        assert_eq!(s.gives, s.current.saturating_sub(s.target));
        assert_eq!(s.gets, s.target.saturating_sub(s.current));
        if x.weight == 0.0 {
            assert_eq!(s.target, 0);
        }
        // Rounded down, plus leftovers (fewer than the masters) given as redis-cli does.
        let exact = total as f64 * (x.weight / max / sum);
        assert!(
            s.target as f64 > exact - 1.0 - 1e-6 && (s.target as f64) < exact + m as f64,
            "{} vs {exact}",
            s.target
        );
    }
    if plan.balanced {
        assert!(plan.moves.moves.is_empty());
        return;
    }
    let gets: usize = plan.masters.iter().map(|s| s.gets).sum();
    assert_eq!(plan.moves.moves.len(), gets);
    let mut owned: BTreeMap<NodeId, SlotSet> = masters
        .iter()
        .map(|x| (x.id.clone(), x.slots.clone()))
        .collect();
    let mut seen = BTreeSet::new();
    for mv in &plan.moves.moves {
        assert!(seen.insert(mv.slot), "slot {} moves twice", mv.slot);
        assert_ne!(mv.from, mv.to);
        let from = owned.get_mut(&mv.from).expect("a known source");
        assert!(from.contains(mv.slot), "{mv:?}");
        from.remove(mv.slot);
        owned
            .get_mut(&mv.to)
            .expect("a known target")
            .insert(mv.slot);
    }
    for s in &plan.masters {
        assert_eq!(owned[&s.id].len(), s.target, "{} after the moves", s.node);
    }
});
