//! `reshard` on small clusters: any slot layout over up to 6 masters, with replicas, any
//! request (slot count or ranges, any sources, any destination).
#![no_main]

use std::collections::BTreeSet;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use trib::model::info::Info;
use trib::model::nodes::{EntryData, NodeEntry, NodeFlags};
use trib::model::view::{ClusterView, NodeView};
use trib::model::{NodeId, SLOT_COUNT, SlotRange, SlotSet};
use trib::plan::check::claimed_slots;
use trib::plan::reshard::{Amount, ReshardRequest, Sources, health_problems, plan_reshard};

#[derive(Arbitrary, Debug)]
pub struct Layout {
    /// Where each master's share ends (cut points over 0..16384).
    cuts: Vec<u16>,
    masters: u8,
    /// Master index of each replica.
    replicas: Vec<u8>,
    /// A second claim on a range (two masters disagree).
    overlap: Option<(u8, u16, u16)>,
}

#[derive(Arbitrary, Debug)]
enum Amt {
    Slots(u16),
    Ranges(Vec<(u16, u16)>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    layout: Layout,
    to: u8,
    from: Option<Vec<u8>>,
    amount: Amt,
}

fn id(i: usize) -> NodeId {
    NodeId::parse(&format!("{:040x}", i + 1)).expect("valid id")
}

fn range(a: u16, b: u16) -> SlotRange {
    let (a, b) = (a % SLOT_COUNT, b % SLOT_COUNT);
    SlotRange::new(a.min(b), a.max(b))
}

/// The view every node of the layout gives (they all agree), and the node count.
pub fn build(layout: &Layout) -> (ClusterView, usize) {
    let m = usize::from(layout.masters % 6) + 1;
    let mut cuts: Vec<u16> = layout.cuts.iter().map(|c| c % SLOT_COUNT).collect();
    cuts.truncate(m - 1);
    cuts.sort_unstable();
    let mut slots = vec![SlotSet::new(); m];
    let mut start = 0u16;
    for (i, set) in slots.iter_mut().enumerate() {
        let end = cuts.get(i).copied().unwrap_or(SLOT_COUNT);
        if end > start {
            set.insert_range(SlotRange::new(start, end - 1));
            start = end;
        }
    }
    if let Some((who, a, b)) = layout.overlap {
        slots[usize::from(who) % m].insert_range(range(a, b));
    }
    let replicas: Vec<usize> = layout
        .replicas
        .iter()
        .take(6)
        .map(|r| usize::from(*r) % m)
        .collect();
    let n = m + replicas.len();
    let entry = |i: usize| {
        let data = EntryData {
            id: id(i),
            ip: format!("10.0.0.{}", i + 1),
            port: 6379,
            cport: 16379,
            hostname: None,
            aux: vec![],
            flags: NodeFlags {
                master: i < m,
                replica: i >= m,
                ..NodeFlags::default()
            },
            master_id: (i >= m).then(|| id(replicas[i - m])),
            config_epoch: if i < m { i as u64 + 1 } else { 0 },
            link_connected: true,
            slots: if i < m {
                slots[i].clone()
            } else {
                SlotSet::new()
            },
            migrating: vec![],
            importing: vec![],
        };
        NodeEntry::new(data)
    };
    let nodes = (0..n)
        .map(|me| {
            let entries: Vec<NodeEntry> = (0..n)
                .map(|i| {
                    let mut e = entry(i);
                    e.flags.myself = i == me;
                    e
                })
                .collect();
            let role = if me < m { "master" } else { "slave" };
            NodeView {
                label: format!("10.0.0.{}:6379", me + 1),
                addr: format!("10.0.0.{}:6379", me + 1).parse().expect("addr"),
                domain: format!("10.0.0.{}", me + 1),
                id: id(me),
                nodes: entries,
                info: Info::parse(&format!(
                    "cluster_enabled:1\r\nrole:{role}\r\nmaster_link_status:up\r\n"
                )),
                cluster_info: Info::parse("cluster_state:ok\r\n"),
                node_timeout: None,
            }
        })
        .collect();
    (
        ClusterView {
            nodes,
            ..Default::default()
        },
        n,
    )
}

fuzz_target!(|input: Input| {
    let (view, n) = build(&input.layout);
    let claimed = claimed_slots(&view);
    let mut total = 0;
    for s in claimed.values() {
        total += s.len();
    }
    let overlapping = total > usize::from(SLOT_COUNT);
    let healthy = health_problems(&view).is_empty();
    // `reshard` refuses clusters whose masters disagree; this one must be seen as such.
    if overlapping {
        assert!(
            !healthy,
            "two masters claim one slot and check says nothing"
        );
    }
    let to = id(usize::from(input.to) % n);
    let from = match &input.from {
        None => Sources::All,
        Some(v) => Sources::Nodes(v.iter().take(8).map(|i| id(usize::from(*i) % n)).collect()),
    };
    let amount = match &input.amount {
        Amt::Slots(k) => Amount::Slots(usize::from(*k)),
        Amt::Ranges(r) => Amount::Ranges(r.iter().take(8).map(|(a, b)| range(*a, *b)).collect()),
    };
    let req = ReshardRequest {
        from: from.clone(),
        to: to.clone(),
        amount: amount.clone(),
    };
    let plan = match plan_reshard(&view, &req) {
        Ok(p) => p,
        Err(errors) => {
            assert!(!errors.is_empty() && errors.iter().all(|e| !e.to_string().is_empty()));
            return;
        }
    };
    if !healthy {
        return; // the CLI stops before planning
    }
    assert!(
        view.node(&to).is_some_and(|v| v.is_master()),
        "slots go to a master"
    );
    let mut moved = BTreeSet::new();
    for mv in &plan.migration.moves {
        assert_eq!(mv.to, to);
        assert_ne!(mv.from, to);
        assert!(
            claimed.get(&mv.from).is_some_and(|s| s.contains(mv.slot)),
            "{mv:?}"
        );
        if let Sources::Nodes(ids) = &from {
            assert!(ids.contains(&mv.from));
        }
        assert!(moved.insert(mv.slot), "slot {} moves twice", mv.slot);
    }
    assert_eq!(plan.slots, moved.len());
    assert_eq!(
        plan.shares.iter().map(|s| s.count).sum::<usize>(),
        moved.len()
    );
    match &amount {
        Amount::Slots(k) => assert_eq!(moved.len(), *k),
        Amount::Ranges(r) => {
            let want: BTreeSet<u16> = SlotSet::from_ranges(r.iter().copied()).iter().collect();
            assert_eq!(moved, want);
        }
    }
});
