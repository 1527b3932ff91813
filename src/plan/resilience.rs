//! Availability analysis: what the cluster survives, from its topology and failure
//! domains. Pure.
//!
//! The rules (Redis Cluster's, see the seed article on availability): the cluster keeps
//! serving while every slot has a live copy, and a lost master can be replaced only while
//! a majority of the masters that own slots is alive to elect one of its replicas.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::view::ClusterView;
use crate::model::{NodeId, SlotSet};

/// One shard: a master with slots and its live replicas, each with its failure domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shard {
    pub master: (String, Option<String>),
    pub replicas: Vec<(String, Option<String>)>,
    pub slots: SlotSet,
}

/// A failure domain whose loss alone would stop the cluster, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DomainLoss {
    pub domain: String,
    pub reason: String,
    pub nodes: Vec<String>,
}

/// The answers operators ask for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resilience {
    pub masters: usize,
    pub domains: usize,
    /// Losing any one failure domain leaves every slot served.
    pub survives_any_single_domain_loss: bool,
    pub single_domain_losses: Vec<DomainLoss>,
    /// Worst case: how many nodes may fail at once with the cluster still serving.
    pub max_node_failures_tolerated: usize,
    /// Why one more failure could stop it.
    pub worst_case: String,
}

/// Shards from the consensus membership; domains known for reached nodes only.
pub fn shards(view: &ClusterView) -> Vec<Shard> {
    let members = view.members();
    let domain = |id: &NodeId| view.domain_of(id).map(str::to_string);
    let name = |id: &NodeId| {
        view.node(id)
            .map(|n| n.label.clone())
            .or_else(|| members.get(id).map(|e| e.addr_string()))
            .unwrap_or_else(|| id.short().to_string())
    };
    members
        .iter()
        .filter(|(_, e)| e.flags.master && !e.slots.is_empty() && !e.flags.fail)
        .map(|(id, e)| Shard {
            master: (name(id), domain(id)),
            replicas: members
                .iter()
                .filter(|(_, r)| r.master_id.as_ref() == Some(id) && !r.flags.fail)
                .map(|(rid, _)| (name(rid), domain(rid)))
                .collect(),
            slots: e.slots.clone(),
        })
        .collect()
}

/// Whether the cluster keeps serving when exactly the nodes in `dead` fail at once.
pub fn survives(shards: &[Shard], dead: &dyn Fn(&str) -> bool) -> bool {
    let masters = shards.len();
    let dead_masters = shards.iter().filter(|s| dead(&s.master.0)).count();
    let every_slot_has_a_copy = shards
        .iter()
        .all(|s| !dead(&s.master.0) || s.replicas.iter().any(|r| !dead(&r.0)));
    let can_elect = dead_masters == 0 || (masters - dead_masters) * 2 > masters;
    every_slot_has_a_copy && can_elect
}

/// The full analysis.
pub fn analyze_shards(shards: &[Shard]) -> Resilience {
    let masters = shards.len();
    let mut by_domain: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for s in shards {
        for (n, d) in std::iter::once(&s.master).chain(&s.replicas) {
            if let Some(d) = d {
                by_domain.entry(d).or_default().insert(n);
            }
        }
    }
    let mut losses = Vec::new();
    for (domain, nodes) in &by_domain {
        let dead = |n: &str| nodes.contains(n);
        if survives(shards, &dead) {
            continue;
        }
        let lost: Vec<&Shard> = shards
            .iter()
            .filter(|s| dead(&s.master.0) && s.replicas.iter().all(|r| dead(&r.0)))
            .collect();
        let dead_masters = shards.iter().filter(|s| dead(&s.master.0)).count();
        let mut reasons = Vec::new();
        if !lost.is_empty() {
            // One sorted list of ranges, however the shards' slots interleave.
            let mut slots = SlotSet::new();
            for s in &lost {
                slots.union_with(&s.slots);
            }
            reasons.push(format!("every copy of slots {slots} is there"));
        }
        if (masters - dead_masters) * 2 <= masters {
            reasons.push(format!(
                "it holds {dead_masters} of {masters} masters, so no majority is left to promote replicas"
            ));
        }
        losses.push(DomainLoss {
            domain: domain.to_string(),
            reason: reasons.join("; "),
            nodes: nodes.iter().map(|n| n.to_string()).collect(),
        });
    }
    let smallest = shards
        .iter()
        .min_by_key(|s| (1 + s.replicas.len(), s.master.0.clone()));
    let majority_loss = masters.div_ceil(2);
    let (kill, worst_case) = match smallest {
        None => (0, "no master owns slots".to_string()),
        Some(s) if s.replicas.len() < majority_loss => (
            1 + s.replicas.len(),
            format!(
                "losing {} and its {} replica(s) at once leaves slots {} without a copy",
                s.master.0,
                s.replicas.len(),
                s.slots
            ),
        ),
        Some(_) => (
            majority_loss,
            format!(
                "losing {majority_loss} of {masters} masters at once leaves no majority to promote their replicas"
            ),
        ),
    };
    Resilience {
        masters,
        domains: by_domain.len(),
        survives_any_single_domain_loss: losses.is_empty(),
        single_domain_losses: losses,
        max_node_failures_tolerated: kill.saturating_sub(1),
        worst_case,
    }
}

pub fn analyze(view: &ClusterView) -> Resilience {
    analyze_shards(&shards(view))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SlotRange;
    use proptest::prelude::*;

    fn shard(m: usize, md: &str, replicas: &[(usize, &str)]) -> Shard {
        Shard {
            master: (format!("n{m}"), Some(md.to_string())),
            replicas: replicas
                .iter()
                .map(|(r, d)| (format!("n{r}"), Some(d.to_string())))
                .collect(),
            slots: SlotSet::from_ranges([SlotRange::new(m as u16, m as u16)]),
        }
    }

    #[test]
    fn three_by_one_on_three_hosts_survives_a_host() {
        let s = vec![
            shard(0, "a", &[(3, "b")]),
            shard(1, "b", &[(4, "c")]),
            shard(2, "c", &[(5, "a")]),
        ];
        let r = analyze_shards(&s);
        assert!(r.survives_any_single_domain_loss);
        assert_eq!(r.max_node_failures_tolerated, 1);
    }

    #[test]
    fn two_masters_on_one_host_is_a_single_point_of_failure() {
        let s = vec![
            shard(0, "a", &[(3, "b")]),
            shard(1, "a", &[(4, "c")]),
            shard(2, "b", &[(5, "c")]),
        ];
        let r = analyze_shards(&s);
        assert_eq!(r.single_domain_losses.len(), 1);
        assert_eq!(r.single_domain_losses[0].domain, "a");
        assert!(r.single_domain_losses[0].reason.contains("2 of 3 masters"));
    }

    #[test]
    fn master_and_its_only_replica_together() {
        let s = vec![
            shard(0, "a", &[(3, "a")]),
            shard(1, "b", &[(4, "c")]),
            shard(2, "c", &[(5, "b")]),
        ];
        let r = analyze_shards(&s);
        assert!(
            r.single_domain_losses[0]
                .reason
                .contains("every copy of slots 0 is")
        );
    }

    #[test]
    fn lost_slots_are_listed_as_one_sorted_set() {
        let range = |a, b| SlotSet::from_ranges([SlotRange::new(a, b)]);
        let s = vec![
            Shard {
                slots: range(100, 199),
                ..shard(0, "a", &[(3, "a")])
            },
            Shard {
                slots: range(0, 99),
                ..shard(1, "a", &[(4, "a")])
            },
            Shard {
                slots: range(200, 16383),
                ..shard(2, "b", &[(5, "c")])
            },
        ];
        let r = analyze_shards(&s);
        assert_eq!(r.single_domain_losses.len(), 1);
        assert!(
            r.single_domain_losses[0]
                .reason
                .starts_with("every copy of slots 0-199 is there;"),
            "{}",
            r.single_domain_losses[0].reason
        );
    }

    /// Brute force: the largest k such that every set of k dead nodes survives.
    fn brute_tolerance(shards: &[Shard]) -> usize {
        let nodes: Vec<String> = shards
            .iter()
            .flat_map(|s| {
                std::iter::once(s.master.0.clone()).chain(s.replicas.iter().map(|r| r.0.clone()))
            })
            .collect();
        let n = nodes.len();
        let mut best = n;
        for mask in 0u32..(1 << n) {
            let dead = |name: &str| {
                nodes
                    .iter()
                    .position(|x| x == name)
                    .is_some_and(|i| mask & (1 << i) != 0)
            };
            if !survives(shards, &dead) {
                best = best.min(mask.count_ones() as usize);
            }
        }
        best.saturating_sub(1)
    }

    proptest! {
        #[test]
        fn tolerance_matches_brute_force(
            layout in proptest::collection::vec(proptest::collection::vec(0u8..3, 1..4), 1..5)
        ) {
            // Each inner vec: domains of master then replicas; at most 12 nodes.
            let total: usize = layout.iter().map(Vec::len).sum();
            prop_assume!(total <= 12);
            let mut next = 0;
            let shards: Vec<Shard> = layout.iter().enumerate().map(|(i, doms)| {
                let mut names = Vec::new();
                for d in doms {
                    names.push((format!("n{next}"), Some(format!("d{d}"))));
                    next += 1;
                }
                Shard { master: names[0].clone(), replicas: names[1..].to_vec(), slots: SlotSet::from_ranges([SlotRange::new(i as u16, i as u16)]) }
            }).collect();
            let r = analyze_shards(&shards);
            prop_assert_eq!(r.max_node_failures_tolerated, brute_tolerance(&shards));
            // Domain verdicts agree with a direct simulation.
            for d in 0..3u8 {
                let dom = format!("d{d}");
                let dead = |name: &str| shards.iter().any(|s| std::iter::once(&s.master).chain(&s.replicas)
                    .any(|(n, dd)| n == name && dd.as_deref() == Some(dom.as_str())));
                let listed = r.single_domain_losses.iter().any(|l| l.domain == dom);
                prop_assert_eq!(listed, !survives(&shards, &dead));
            }
        }
    }
}
