//! Planner timings at the largest sizes trib supports (1000 nodes). Run: `cargo bench`.
//! Budget from the hardening issue: every planner under 100 ms for 1000 nodes.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use trib::model::{NodeId, SlotRange, SlotSet};
use trib::plan::placement::{PlacementNode, plan_placement};
use trib::plan::rebalance::{RebalanceMaster, plan_rebalance};

fn placement(c: &mut Criterion) {
    for domains in [3usize, 50, 1000] {
        let nodes: Vec<PlacementNode> = (0..1000)
            .map(|i| PlacementNode {
                label: format!("10.0.{}.{}:6379", i / 250, i % 250),
                domain: format!("d{}", i % domains),
            })
            .collect();
        c.bench_function(
            &format!("placement 1000 nodes, {domains} domains, replicas 1"),
            |b| b.iter(|| plan_placement(black_box(&nodes), 1)),
        );
    }
}

fn rebalance(c: &mut Criterion) {
    // 500 masters own everything, 500 new empty ones join: the largest move set.
    let per = 16384 / 500;
    let masters: Vec<RebalanceMaster> = (0..1000u16)
        .map(|i| {
            let mut slots = SlotSet::new();
            if i < 500 {
                let start = i * per as u16;
                let end = if i == 499 {
                    16383
                } else {
                    start + per as u16 - 1
                };
                slots.insert_range(SlotRange::new(start, end));
            }
            RebalanceMaster {
                id: NodeId::parse(&format!("{:040x}", i + 1)).unwrap_or_else(|| unreachable!()),
                label: format!("m{i}"),
                slots,
                weight: 1.0,
            }
        })
        .collect();
    c.bench_function("rebalance 1000 masters (500 empty)", |b| {
        b.iter(|| plan_rebalance(black_box(&masters), 2.0))
    });
}

criterion_group!(benches, placement, rebalance);
criterion_main!(benches);
