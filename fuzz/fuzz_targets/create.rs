//! `create`: placement over failure domains, the plan for empty nodes, and the plan that
//! completes a create interrupted after any prefix of its steps.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use trib::model::{NodeId, SLOT_COUNT, SlotSet};
use trib::plan::create::{CreateNodeState, CreatePlan, CreateStatus, CreateStep, plan_create};
use trib::plan::placement::{Conflict, PlacementError, PlacementNode, plan_placement};

#[derive(Arbitrary, Debug)]
struct Input {
    /// Failure domain of each node (a small alphabet, so that domains are shared).
    domains: Vec<u8>,
    domain_kinds: u8,
    replicas: u8,
    /// How many steps of the new-cluster plan ran before the interruption.
    done: u16,
    /// Label collisions (the same node given twice).
    duplicate: Option<(u8, u8)>,
}

fn id(i: usize) -> NodeId {
    NodeId::parse(&format!("{:040x}", i + 1)).expect("valid id")
}

/// Runs `steps` on the modelled nodes as the servers would; MEETs make both ends know each
/// other (no further gossip).
fn apply(nodes: &mut [CreateNodeState], steps: &[CreateStep]) {
    for step in steps {
        match step {
            CreateStep::AddSlots { node, slots } => {
                for r in slots {
                    nodes[*node].own_slots.insert_range(*r);
                }
            }
            CreateStep::SetConfigEpoch { node, epoch } => nodes[*node].config_epoch = *epoch,
            CreateStep::Meet { node, peer } => {
                let (a, b) = (nodes[*node].id.clone(), nodes[*peer].id.clone());
                nodes[*node].known.insert(b);
                nodes[*peer].known.insert(a);
            }
            CreateStep::Replicate { replica, master } => {
                nodes[*replica].master_id = Some(nodes[*master].id.clone())
            }
            CreateStep::RestoreNodeTimeout { node, ms } => nodes[*node].node_timeout = Some(*ms),
        }
    }
}

/// Gossip: every node that knows a node learns everyone it knows, until nothing changes.
fn gossip(nodes: &mut [CreateNodeState]) {
    loop {
        let before: Vec<BTreeSet<NodeId>> = nodes.iter().map(|n| n.known.clone()).collect();
        let index: BTreeMap<NodeId, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        for (i, known) in before.iter().enumerate() {
            let mut more = known.clone();
            for k in known {
                if let Some(&j) = index.get(k) {
                    more.extend(before[j].iter().cloned());
                    more.insert(nodes[j].id.clone());
                }
            }
            more.remove(&nodes[i].id);
            nodes[i].known = more;
        }
        if nodes.iter().zip(&before).all(|(n, b)| n.known == *b) {
            return;
        }
    }
}

fn check_plan_slots(plan: &CreatePlan, n: usize) {
    let mut seen = vec![0u8; usize::from(SLOT_COUNT)];
    for step in &plan.steps {
        if let CreateStep::AddSlots { node, slots } = step {
            assert!(*node < n);
            for r in slots {
                assert!(r.start <= r.end && r.end < SLOT_COUNT);
                for s in r.start..=r.end {
                    seen[usize::from(s)] += 1;
                }
            }
        }
    }
    assert!(seen.iter().all(|c| *c <= 1), "a slot assigned twice");
}

fuzz_target!(|input: Input| {
    let kinds = usize::from(input.domain_kinds % 8) + 1;
    let n = input.domains.len().min(80);
    let replicas = usize::from(input.replicas % 4);
    let mut nodes: Vec<PlacementNode> = input.domains[..n]
        .iter()
        .enumerate()
        .map(|(i, d)| {
            PlacementNode::new(
                format!("10.0.0.{i}:6379"),
                format!("d{}", usize::from(*d) % kinds),
            )
        })
        .collect();
    if let Some((a, b)) = input.duplicate {
        let (a, b) = (usize::from(a), usize::from(b));
        if a < n && b < n && a != b {
            nodes[b].label = nodes[a].label.clone();
        }
    }
    let labels: BTreeSet<&str> = nodes.iter().map(|p| p.label.as_str()).collect();
    let placement = match plan_placement(&nodes, replicas) {
        Ok(p) => p,
        Err(PlacementError::DuplicateLabel(l)) => {
            assert!(labels.len() < n && labels.contains(l.as_str()));
            return;
        }
        Err(PlacementError::TooFewMasters { masters, .. }) => {
            assert_eq!(labels.len(), n);
            assert!(masters < 3 && n / (replicas + 1) == masters);
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert_eq!(labels.len(), n, "duplicates are refused");
    let masters = n / (replicas + 1);
    assert_eq!(placement.masters.len(), masters);

    // Every node once; every slot once, in contiguous ascending ranges.
    let mut used = vec![false; n];
    let mut next_slot = 0u32;
    for g in &placement.masters {
        assert!(!std::mem::replace(&mut used[g.master], true));
        assert!(g.replicas.len() >= replicas && g.replicas.len() <= replicas + 1);
        for &r in &g.replicas {
            assert!(!std::mem::replace(&mut used[r], true));
        }
        assert_eq!(u32::from(g.slots.start), next_slot);
        next_slot = u32::from(g.slots.end) + 1;
    }
    assert_eq!(next_slot, u32::from(SLOT_COUNT));
    assert!(used.iter().all(|u| *u));
    // Conflicts are real, and there are none when a layout without any exists (no domain
    // has more nodes than there are groups).
    for c in &placement.conflicts {
        let (a, b) = match c {
            Conflict::ReplicaWithMaster {
                master, replica, ..
            } => (*master, *replica),
            Conflict::ReplicasTogether { a, b, .. } => (*a, *b),
        };
        assert_eq!(nodes[a].domain, nodes[b].domain);
        assert_eq!(nodes[a].domain, c.domain());
    }
    let mut per_domain: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &nodes {
        *per_domain.entry(p.domain.as_str()).or_default() += 1;
    }
    let fits = per_domain.values().all(|c| *c <= masters);
    assert_eq!(
        placement.conflicts.is_empty(),
        fits,
        "{per_domain:?} over {masters} groups"
    );

    // The create plan for empty nodes.
    let mut states: Vec<CreateNodeState> = nodes
        .iter()
        .enumerate()
        .map(|(i, p)| CreateNodeState {
            label: p.label.clone(),
            addr: format!("10.0.0.{}:6379", i % 250).parse().expect("addr"),
            bus_port: 16379,
            id: id(i),
            domain: p.domain.clone(),
            own_slots: SlotSet::new(),
            known: BTreeSet::new(),
            view_slots: SlotSet::new(),
            master_id: None,
            config_epoch: 0,
            keys: 0,
            node_timeout: Some(15000),
        })
        .collect();
    let plan = plan_create(&states, replicas).expect("empty nodes are accepted");
    assert_eq!(plan.status, CreateStatus::New);
    assert_eq!(plan.placement, placement);
    check_plan_slots(&plan, n);

    // Interrupted after `done` steps, then re-run until nothing is left to do.
    let done = usize::from(input.done) % (plan.steps.len() + 1);
    apply(&mut states, &plan.steps[..done]);
    let resume = plan_create(&states, replicas)
        .unwrap_or_else(|e| panic!("a create interrupted after {done} steps is refused: {e:?}"));
    check_plan_slots(&resume, n);
    apply(&mut states, &resume.steps);
    gossip(&mut states);
    let mut covered = SlotSet::new();
    for s in &states {
        covered.union_with(&s.own_slots);
    }
    assert_eq!(covered, SlotSet::full());
    let last = plan_create(&states, replicas).expect("a finished create is accepted");
    assert_eq!(
        last.status,
        CreateStatus::AlreadyCreated,
        "{:?}",
        last.steps
    );
    assert!(last.steps.is_empty());
});
