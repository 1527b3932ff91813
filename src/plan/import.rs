//! `import`: which cluster master each key of a standalone Redis goes to, and how keys
//! are grouped into `MIGRATE … KEYS` batches. Pure: works on a loaded [`ClusterView`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::view::ClusterView;
use crate::model::{NodeId, SLOT_COUNT, key_slot};
use crate::plan::check::{Problem, Severity, check};

/// Move (delete from the source) or copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Move,
    Copy,
}

/// A master that receives keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportTarget {
    pub id: NodeId,
    /// How trib reached it (messages).
    pub label: String,
    /// Where the source connects to it: the address the cluster announces.
    pub host: String,
    pub port: u16,
    pub slots: usize,
}

/// What `import` will do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportPlan {
    pub source: String,
    /// `DBSIZE` of the source when planned.
    pub source_keys: u64,
    pub mode: Mode,
    pub replace: bool,
    /// Keys per `MIGRATE … KEYS` batch.
    pub batch: usize,
    pub masters: Vec<ImportTarget>,
    /// Index into `masters` for every slot.
    #[serde(skip)]
    pub owner: Vec<u16>,
}

impl ImportPlan {
    /// The index (into `masters`) of the master owning `key`'s slot.
    pub fn target_of(&self, key: &[u8]) -> usize {
        self.owner[key_slot(key) as usize] as usize
    }
}

/// Why an import cannot start. Displayed as the user-visible message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportRefusal {
    /// `check` found these errors: a header line, then one indented line per problem.
    #[error(
        "the cluster is not healthy; repair it first (`trib check`, `trib fix`), nothing was changed:{}",
        .problems.iter().map(|p| format!("\n  {}", p.message)).collect::<String>()
    )]
    Unhealthy { problems: Vec<Problem> },
    /// A master that owns slots was not reached.
    #[error("master {} was not reached", .id.short())]
    MasterNotReached { id: NodeId },
    #[error("slot {slot} has no owner; run `trib fix` first, nothing was changed")]
    SlotWithoutOwner { slot: u16 },
}

/// Plans an import into a healthy cluster. Refuses a cluster with any `check` error: open
/// slots, uncovered slots, failed or unreachable nodes, views that disagree,
/// `cluster_state` not ok. The first reason found is the refusal.
pub fn plan_import(
    view: &ClusterView,
    source: &str,
    source_keys: u64,
    mode: Mode,
    replace: bool,
    batch: usize,
) -> Result<ImportPlan, ImportRefusal> {
    let problems: Vec<Problem> = check(view, None)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    if !problems.is_empty() {
        return Err(ImportRefusal::Unhealthy { problems });
    }
    let claimed = view.claimed_slots();
    let all = view.members();
    let mut masters = Vec::new();
    let mut owner = vec![u16::MAX; SLOT_COUNT as usize];
    for (id, slots) in &claimed {
        let Some(node) = view.node(id) else {
            return Err(ImportRefusal::MasterNotReached { id: id.clone() });
        };
        // The node's own announced address; where trib reached it otherwise.
        let (host, port) = match all.get(id) {
            Some(e) if !e.ip.is_empty() && e.port != 0 && !e.flags.noaddr => (
                e.ip.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
                e.port,
            ),
            _ => (node.addr.ip().to_string(), node.addr.port()),
        };
        let idx = masters.len() as u16;
        for s in slots.iter() {
            owner[s as usize] = idx;
        }
        masters.push(ImportTarget {
            id: id.clone(),
            label: node.label.clone(),
            host,
            port,
            slots: slots.len(),
        });
    }
    if let Some(slot) = owner.iter().position(|o| *o == u16::MAX) {
        return Err(ImportRefusal::SlotWithoutOwner { slot: slot as u16 });
    }
    Ok(ImportPlan {
        source: source.to_string(),
        source_keys,
        mode,
        replace,
        batch: batch.max(1),
        masters,
        owner,
    })
}

/// Collects keys per target and hands out batches of at most `size` keys.
#[derive(Debug)]
pub struct Batcher {
    size: usize,
    pending: BTreeMap<usize, Vec<Vec<u8>>>,
}

impl Batcher {
    pub fn new(size: usize) -> Batcher {
        Batcher {
            size: size.max(1),
            pending: BTreeMap::new(),
        }
    }

    /// Adds a key for `target`; returns a full batch when one is ready.
    pub fn push(&mut self, target: usize, key: Vec<u8>) -> Option<(usize, Vec<Vec<u8>>)> {
        let buf = self.pending.entry(target).or_default();
        buf.push(key);
        if buf.len() >= self.size {
            Some((target, std::mem::take(buf)))
        } else {
            None
        }
    }

    /// Every partial batch left.
    pub fn drain(&mut self) -> Vec<(usize, Vec<Vec<u8>>)> {
        std::mem::take(&mut self.pending)
            .into_iter()
            .filter(|(_, b)| !b.is_empty())
            .collect()
    }
}

/// `1234567` → `1.2M`, `45200` → `45.2k`.
pub fn short_count(n: f64) -> String {
    if n >= 1_000_000.0 {
        format!("{:.1}M", n / 1_000_000.0)
    } else if n >= 1_000.0 {
        format!("{:.1}k", n / 1_000.0)
    } else {
        format!("{n:.0}")
    }
}

/// The progress note: rate and remaining time, from keys done so far.
pub fn rate_and_eta(done: u64, total: u64, elapsed_secs: f64) -> String {
    if done == 0 || elapsed_secs <= 0.0 {
        return String::new();
    }
    let rate = done as f64 / elapsed_secs;
    let left = total.saturating_sub(done) as f64 / rate;
    format!("{} keys/s, ETA {:.0}s", short_count(rate), left.ceil())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plan_with(owners: &[(u16, u16)]) -> ImportPlan {
        let mut owner = vec![0u16; SLOT_COUNT as usize];
        for (i, (a, b)) in owners.iter().enumerate() {
            for s in *a..=*b {
                owner[s as usize] = i as u16;
            }
        }
        ImportPlan {
            source: "src".into(),
            source_keys: 0,
            mode: Mode::Move,
            replace: false,
            batch: 10,
            masters: vec![],
            owner,
        }
    }

    #[test]
    fn routes_by_slot() {
        let p = plan_with(&[(0, 5460), (5461, 10922), (10923, 16383)]);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(p.target_of(b"foo"), 2);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(p.target_of(b"bar"), 0);
        assert_eq!(p.target_of(b"{bar}x"), 0);
    }

    #[test]
    fn an_unhealthy_cluster_is_refused_with_its_problems() {
        use crate::plan::check::ProblemKind;
        use crate::plan::membership_del::fixture::{line, node, view};
        let one = |slots: &str| {
            let own = [line('a', "10.0.0.1:6379", "myself,master", None, slots)];
            view(
                vec![node('a', "10.0.0.1:6379", "10.0.0.1", &own, 0)],
                vec![],
            )
        };
        let p = plan_import(&one("0-16383"), "src", 5, Mode::Move, false, 0).unwrap();
        assert_eq!((p.masters.len(), p.batch), (1, 1));
        let e = plan_import(&one("0-16000"), "src", 5, Mode::Move, false, 10).unwrap_err();
        let ImportRefusal::Unhealthy { problems } = &e else {
            panic!("{e:?}");
        };
        assert!(
            problems
                .iter()
                .any(|p| p.kind == ProblemKind::SlotsUncovered),
            "{problems:?}"
        );
        let text = e.to_string();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "the cluster is not healthy; repair it first (`trib check`, `trib fix`), nothing was changed:"
            )
        );
        assert!(lines.all(|l| l.starts_with("  ")), "{text}");
        assert_eq!(text.lines().count(), 1 + problems.len());
    }

    #[test]
    fn batches_fill_then_drain() {
        let mut b = Batcher::new(2);
        assert_eq!(b.push(0, b"a".to_vec()), None);
        assert_eq!(b.push(1, b"b".to_vec()), None);
        assert_eq!(
            b.push(0, b"c".to_vec()),
            Some((0, vec![b"a".to_vec(), b"c".to_vec()]))
        );
        assert_eq!(b.drain(), vec![(1, vec![b"b".to_vec()])]);
        assert!(b.drain().is_empty());
    }

    #[test]
    fn rate_text() {
        assert_eq!(rate_and_eta(0, 10, 1.0), "");
        assert_eq!(rate_and_eta(50_000, 150_000, 1.0), "50.0k keys/s, ETA 2s");
        assert_eq!(short_count(999.0), "999");
        assert_eq!(short_count(2_500_000.0), "2.5M");
    }

    proptest! {
        /// Every key comes out exactly once, in a batch for its own target, no batch too big.
        #[test]
        fn batching_keeps_every_key_once(
            keys in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 0..300),
            size in 1usize..20,
        ) {
            let p = plan_with(&[(0, 4000), (4001, 9000), (9001, 16383)]);
            let mut b = Batcher::new(size);
            let mut out = Vec::new();
            for k in &keys {
                if let Some(batch) = b.push(p.target_of(k), k.clone()) {
                    out.push(batch);
                }
            }
            out.extend(b.drain());
            let mut seen = Vec::new();
            for (t, batch) in &out {
                prop_assert!(!batch.is_empty() && batch.len() <= size);
                for k in batch {
                    prop_assert_eq!(p.target_of(k), *t);
                    seen.push(k.clone());
                }
            }
            let mut want = keys.clone();
            want.sort();
            seen.sort();
            prop_assert_eq!(seen, want);
        }
    }
}
