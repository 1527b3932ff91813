//! Masters trib could not reach, judged by the views of the nodes it did reach. Pure.
//!
//! What `check`, `fix` and `del-node` may do about such a master depends on what the
//! cluster thinks of it:
//! - [`Fate::Up`]: no reached node flags it `fail` (or some reached node sees it
//!   healthy): it may be alive and only out of trib's reach. Nothing of it is touched.
//! - [`Fate::Replaced`]: the cluster marks it `fail`, and every slot a view still gives
//!   it is claimed by a live master (its replica was promoted): it is a leftover; views
//!   that still name it as owner are settled, and `del-node` removes it.
//! - [`Fate::Replaceable`]: marked `fail`, some of its slots have no live owner, and a
//!   replica of it that is up can take over (the cluster promotes it within
//!   `cluster-node-timeout`, or `trib failover --force REPLICA`).
//! - [`Fate::Gone`]: marked `fail`, some of its slots have no live owner and no replica
//!   can take over: the slots are down until it returns, or until they are given, empty,
//!   to the live masters (`fix --with-unreachable-masters`); then every key that only it
//!   held in them is lost.
//!
//! `fail` is the cluster's verdict (a majority of masters agreed), unlike `fail?` (one
//! node's suspicion): a master only suspected is [`Fate::Up`]. Giving away the slots of a
//! master that is in fact alive would make it drop their keys when it hears of it.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::view::ClusterView;
use crate::model::{NodeId, SlotSet};

/// See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "fate")]
pub enum Fate {
    Up,
    Replaced,
    Replaceable {
        /// The replicas that can take over, each as "ADDR (SHORT_ID)".
        replicas: Vec<String>,
    },
    Gone,
}

/// A master trib could not reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreachedMaster {
    pub id: NodeId,
    /// Its announced address and short ID, "ADDR (SHORT_ID)".
    pub name: String,
    pub fate: Fate,
    /// Every slot some reached node's view gives it.
    pub seen: SlotSet,
    /// Of `seen`, the slots no reached master claims for itself: nobody serves them.
    pub orphan: SlotSet,
}

impl UnreachedMaster {
    /// Marked failed by the cluster (every fate but [`Fate::Up`]).
    pub fn failed(&self) -> bool {
        self.fate != Fate::Up
    }
}

/// Every master (by the views' consensus) that is not among `reached`, in ID order.
pub fn unreached_masters(view: &ClusterView, reached: &BTreeSet<NodeId>) -> Vec<UnreachedMaster> {
    let members = view.members();
    let mut claimed = SlotSet::new();
    for v in view.nodes.iter().filter(|v| reached.contains(&v.id)) {
        if let Some(me) = v.myself().filter(|m| m.flags.master) {
            claimed.union_with(&me.slots);
        }
    }
    let mut out = Vec::new();
    for (id, e) in &members {
        if !e.flags.master || reached.contains(id) {
            continue;
        }
        let mut seen = SlotSet::new();
        let mut flagged_fail = false;
        let mut seen_healthy = false;
        for v in view.nodes.iter().filter(|v| reached.contains(&v.id)) {
            for x in v.nodes.iter().filter(|x| &x.id == id) {
                seen.union_with(&x.slots);
                flagged_fail |= x.flags.fail;
                seen_healthy |= !x.is_failing();
            }
        }
        let orphan = seen.difference(&claimed);
        let fate = if !flagged_fail || seen_healthy {
            Fate::Up
        } else if orphan.is_empty() {
            Fate::Replaced
        } else {
            let replicas: Vec<String> = members
                .iter()
                .filter(|(_, r)| r.master_id.as_ref() == Some(id) && !r.is_failing())
                .map(|(rid, r)| format!("{} ({})", r.addr_string(), rid.short()))
                .collect();
            if replicas.is_empty() {
                Fate::Gone
            } else {
                Fate::Replaceable { replicas }
            }
        };
        out.push(UnreachedMaster {
            id: id.clone(),
            name: format!("{} ({})", e.addr_string(), id.short()),
            fate,
            seen,
            orphan,
        });
    }
    out
}

/// Members trib could not reach that the cluster marks failed (`fail` in a reached
/// node's view, and no reached node sees it healthy) and that no view gives a slot:
/// replaced masters and dead replicas, as `(ID, "ADDR (SHORT_ID)")`. They only wait for
/// `trib del-node`.
pub fn dead_members(view: &ClusterView) -> Vec<(NodeId, String)> {
    let reached: BTreeSet<&NodeId> = view.nodes.iter().map(|v| &v.id).collect();
    view.members()
        .into_iter()
        .filter(|(id, _)| !reached.contains(id))
        .filter(|(id, _)| {
            let entries = view
                .nodes
                .iter()
                .flat_map(|v| v.nodes.iter().filter(|e| &e.id == id));
            let (mut fail, mut healthy, mut slots) = (false, false, false);
            for e in entries {
                fail |= e.flags.fail;
                healthy |= !e.is_failing();
                slots |= !e.slots.is_empty();
            }
            fail && !healthy && !slots
        })
        .map(|(id, e)| {
            let name = format!("{} ({})", e.addr_string(), id.short());
            (id, name)
        })
        .collect()
}

/// [`unreached_masters`] with the nodes of the view as the reached ones.
pub fn unreached_in(view: &ClusterView) -> Vec<UnreachedMaster> {
    let reached: BTreeSet<NodeId> = view.nodes.iter().map(|v| v.id.clone()).collect();
    unreached_masters(view, &reached)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::membership_del::fixture::*;

    /// A view from `me` listing a,b,c (masters) and d (replica of c), with `c_line` for c.
    fn lines(me: char, c_flags: &str, c_slots: &str, d_flags: &str) -> Vec<String> {
        let f = |c: char, role: &str, extra: &str| {
            let mut s = String::new();
            if c == me {
                s.push_str("myself,");
            }
            s.push_str(role);
            if !extra.is_empty() {
                s.push(',');
                s.push_str(extra);
            }
            s
        };
        vec![
            line('a', "10.0.0.1:6379", &f('a', "master", ""), None, "0-5460"),
            line(
                'b',
                "10.0.0.2:6379",
                &f('b', "master", ""),
                None,
                "5461-10922",
            ),
            line(
                'c',
                "10.0.0.3:6379",
                &f('c', "master", c_flags),
                None,
                c_slots,
            ),
            line(
                'd',
                "10.0.0.4:6379",
                &f('d', "slave", d_flags),
                Some('c'),
                "",
            ),
        ]
    }

    fn views(c_flags: &str, c_slots: &str, d_flags: &str, d_reached: bool) -> ClusterView {
        let mut nodes = vec![
            node(
                'a',
                "10.0.0.1:6379",
                "a",
                &lines('a', c_flags, c_slots, d_flags),
                0,
            ),
            node(
                'b',
                "10.0.0.2:6379",
                "b",
                &lines('b', c_flags, c_slots, d_flags),
                0,
            ),
        ];
        if d_reached {
            nodes.push(node(
                'd',
                "10.0.0.4:6379",
                "d",
                &lines('d', c_flags, c_slots, ""),
                0,
            ));
        }
        view(nodes, vec![unreachable('c', "10.0.0.3:6379")])
    }

    #[test]
    fn suspected_only_is_up() {
        let u = unreached_in(&views("fail?", "10923-16383", "", true));
        assert_eq!(u.len(), 1);
        assert_eq!((u[0].id.clone(), &u[0].fate), (id('c'), &Fate::Up));
        assert_eq!(u[0].orphan.to_string(), "10923-16383");
        assert!(!u[0].failed());
    }

    #[test]
    fn failed_with_a_replica_up_is_replaceable() {
        let u = unreached_in(&views("fail", "10923-16383", "", true));
        assert_eq!(
            u[0].fate,
            Fate::Replaceable {
                replicas: vec![format!("10.0.0.4:6379 ({})", id('d').short())]
            }
        );
    }

    #[test]
    fn failed_with_its_replica_failed_too_is_gone() {
        let u = unreached_in(&views("fail", "10923-16383", "fail", false));
        assert_eq!(u[0].fate, Fate::Gone);
        assert_eq!(u[0].orphan.to_string(), "10923-16383");
        assert_eq!(u[0].name, format!("10.0.0.3:6379 ({})", id('c').short()));
    }

    #[test]
    fn failed_owning_nothing_is_replaced() {
        let u = unreached_in(&views("fail", "", "fail", false));
        assert_eq!(u[0].fate, Fate::Replaced);
        assert!(u[0].seen.is_empty());
    }

    #[test]
    fn dead_members_are_failed_and_own_nothing() {
        // c failed with slots: not dead yet; its replica d failed too: dead.
        let v = views("fail", "10923-16383", "fail", false);
        assert_eq!(
            dead_members(&v),
            vec![(id('d'), format!("10.0.0.4:6379 ({})", id('d').short()))]
        );
        // c failed and replaced: both dead.
        let v = views("fail", "", "fail", false);
        let ids: Vec<NodeId> = dead_members(&v).into_iter().map(|(i, _)| i).collect();
        assert_eq!(ids, vec![id('c'), id('d')]);
        // Only suspected: nothing.
        assert!(dead_members(&views("fail?", "", "fail?", false)).is_empty());
    }

    #[test]
    fn slots_a_live_master_claims_are_not_orphans() {
        // c is still given 5000-5460 by the views, but a claims them itself.
        let u = unreached_in(&views("fail", "5000-5460", "fail", false));
        assert_eq!(u[0].fate, Fate::Replaced);
        assert_eq!(u[0].seen.to_string(), "5000-5460");
        assert!(u[0].orphan.is_empty());
    }
}
