//! Bounded stall: `MIGRATE` blocks its source (and the target's reply) while it
//! serializes, sends and waits; Redis serves no other client meanwhile, and commands
//! pipelined on one connection run back to back. So every source has a [`Gate`] that
//! lets at most one stall budget of estimated server time be queued on it at once, and
//! batches are sized by time ([`Pace`]): the per-key time measured on recent batches
//! sets how many keys fit in the budget.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Weight of the newest measurement in the per-key estimate.
const NEWEST: f64 = 0.3;

/// The server time queued on one node at once (as the source or the target of
/// `MIGRATE`s): at most its stall budget, in microseconds of estimated `MIGRATE` time.
pub(crate) struct Gate {
    permits: Semaphore,
    budget_us: u32,
}

impl Gate {
    pub(crate) fn new(budget: Duration) -> Gate {
        let budget_us = budget.as_micros().clamp(1, u128::from(u32::MAX >> 4)) as u32;
        Gate {
            permits: Semaphore::new(budget_us as usize),
            budget_us,
        }
    }

    /// Waits until `estimate` of server time may be queued on the source (the whole
    /// budget when unknown or larger: the command then runs alone). Held until the reply.
    pub(crate) async fn enter(&self, estimate: Option<Duration>) -> Option<SemaphorePermit<'_>> {
        let want = estimate
            .map(|e| e.as_micros().clamp(1, u128::from(self.budget_us)) as u32)
            .unwrap_or(self.budget_us);
        // The semaphore is never closed; if it were, the command goes ungated.
        self.permits.acquire_many(want).await.ok()
    }
}

/// The gates of a (source, target) pair: a batch waits on both (the source serializes
/// and waits, the target restores), entered in a fixed order (by node ID) so that pairs
/// sharing a node never wait on each other in a circle.
pub(crate) struct PairGate {
    first: Arc<Gate>,
    second: Arc<Gate>,
    /// Whether `first` is the source's gate.
    source_first: bool,
    /// Taken while a pair's target claims slots: every claim costs every node some work
    /// on the cluster bus, so claims are spaced out cluster-wide, not per pair.
    pub(crate) claims: Arc<Claims>,
}

/// The turn to claim slots, one pair at a time in the whole cluster. A claim's cost on the
/// cluster bus falls on every node at once, so a turn also holds every node's whole
/// [`Gate`] budget: no `MIGRATE` is queued on a node while it pays for a claim, and the
/// two stalls never add up.
pub(crate) struct Claims {
    turn: tokio::sync::Mutex<()>,
    /// The gates of every node that moves keys, in node-ID order (the order pairs enter
    /// theirs), so that a turn and a pair never wait on each other in a circle.
    gates: Vec<Arc<Gate>>,
    /// Masters (by label) that did not answer when told of a slot's new owner. They are
    /// not told again: each hand-over would wait the command timeout for them. They learn
    /// the owners from the cluster bus once they answer again.
    silent: Mutex<BTreeSet<String>>,
}

/// Held while a claim is made and its cost on the cluster bus is paid.
pub(crate) struct ClaimTurn<'a> {
    _turn: tokio::sync::MutexGuard<'a, ()>,
    _gates: Vec<Option<SemaphorePermit<'a>>>,
}

impl Claims {
    /// `gates` in node-ID order.
    pub(crate) fn new(gates: Vec<Arc<Gate>>) -> Claims {
        Claims {
            turn: tokio::sync::Mutex::new(()),
            gates,
            silent: Mutex::new(BTreeSet::new()),
        }
    }

    /// Whether `label` did not answer when told of a new owner before.
    pub(crate) fn is_silent(&self, label: &str) -> bool {
        self.silent.lock().is_ok_and(|s| s.contains(label))
    }

    /// `label` did not answer; true the first time.
    pub(crate) fn silenced(&self, label: &str) -> bool {
        self.silent
            .lock()
            .is_ok_and(|mut s| s.insert(label.to_string()))
    }

    /// Waits for the turn, then for every node's queued work to finish.
    pub(crate) async fn enter(&self) -> ClaimTurn<'_> {
        let turn = self.turn.lock().await;
        let mut gates = Vec::with_capacity(self.gates.len());
        for g in &self.gates {
            gates.push(g.enter(None).await);
        }
        ClaimTurn {
            _turn: turn,
            _gates: gates,
        }
    }
}

/// Permits held while a command runs.
pub(crate) type Entered<'a> = (Option<SemaphorePermit<'a>>, Option<SemaphorePermit<'a>>);

impl PairGate {
    /// `first` and `second` in the order every pair enters them (by node ID);
    /// `source_first` says which one is the source's.
    pub(crate) fn new(
        first: Arc<Gate>,
        second: Arc<Gate>,
        source_first: bool,
        claims: Arc<Claims>,
    ) -> PairGate {
        PairGate {
            first,
            second,
            source_first,
            claims,
        }
    }

    /// Gates of their own (a single move, e.g. `fix` closing a slot).
    pub(crate) fn alone(budget: Duration) -> PairGate {
        let (a, b) = (Arc::new(Gate::new(budget)), Arc::new(Gate::new(budget)));
        let claims = Arc::new(Claims::new(vec![a.clone(), b.clone()]));
        PairGate::new(a, b, true, claims)
    }

    pub(crate) async fn enter(&self, estimate: Option<Duration>) -> Entered<'_> {
        let a = self.first.enter(estimate).await;
        let b = self.second.enter(estimate).await;
        (a, b)
    }

    /// The source's gate alone: for work that holds only the source (a `DUMP`, a delete).
    pub(crate) async fn enter_source(
        &self,
        estimate: Option<Duration>,
    ) -> Option<SemaphorePermit<'_>> {
        self.one(self.source_first).enter(estimate).await
    }

    /// The target's gate alone: for work that holds only the target (a `RESTORE`).
    pub(crate) async fn enter_target(
        &self,
        estimate: Option<Duration>,
    ) -> Option<SemaphorePermit<'_>> {
        self.one(!self.source_first).enter(estimate).await
    }

    fn one(&self, first: bool) -> &Gate {
        if first { &self.first } else { &self.second }
    }
}

/// The measured time of recent batches per key, and the batch size it allows.
pub(crate) struct Pace {
    budget: Duration,
    /// Nanoseconds per key (moving average); `None` before the first measurement.
    per_key_ns: Mutex<Option<f64>>,
}

impl Pace {
    pub(crate) fn new(budget: Duration) -> Pace {
        Pace {
            budget,
            per_key_ns: Mutex::new(None),
        }
    }

    /// A pace that starts from an estimate of one key's time (e.g. from the keys' sizes)
    /// until batches are measured.
    pub(crate) fn seeded(budget: Duration, per_key: Option<Duration>) -> Pace {
        Pace {
            budget,
            per_key_ns: Mutex::new(per_key.map(|d| d.as_nanos() as f64)),
        }
    }

    pub(crate) fn budget(&self) -> Duration {
        self.budget
    }

    /// A batch of `keys` keys took `took` from sending to reply.
    pub(crate) fn observe(&self, keys: usize, took: Duration) {
        if keys == 0 {
            return;
        }
        let sample = took.as_nanos() as f64 / keys as f64;
        if let Ok(mut p) = self.per_key_ns.lock() {
            *p = Some(match *p {
                None => sample,
                Some(old) => old + NEWEST * (sample - old),
            });
        }
    }

    fn per_key_ns(&self) -> Option<f64> {
        self.per_key_ns.lock().ok().and_then(|p| *p)
    }

    /// How long `keys` keys are expected to take, once measured.
    pub(crate) fn estimate(&self, keys: usize) -> Option<Duration> {
        self.per_key_ns()
            .map(|ns| Duration::from_nanos((ns * keys as f64).min(u64::MAX as f64) as u64))
    }

    /// How long `keys` keys are expected to take by this pace, or by `fallback` until this
    /// one is measured (a node's own pace, falling back to its pair's).
    pub(crate) fn estimate_or(&self, keys: usize, fallback: &Pace) -> Option<Duration> {
        self.estimate(keys).or_else(|| fallback.estimate(keys))
    }

    /// The batch size that fits the budget (between 1 and `max`); `None` before the first
    /// measurement.
    pub(crate) fn fitting(&self, max: usize) -> Option<usize> {
        let ns = self.per_key_ns()?;
        let n = self.budget.as_nanos() as f64 / ns.max(1.0);
        Some((n.floor() as usize).clamp(1, max))
    }
}

/// Times one command run through `gate` with the estimate of `pace`, feeding the
/// measurement back to `pace`.
pub(crate) async fn timed<T>(
    gate: &PairGate,
    pace: &Pace,
    keys: usize,
    command: impl Future<Output = T>,
) -> T {
    let permit = gate.enter(pace.estimate(keys)).await;
    let start = Instant::now();
    let out = command.await;
    let took = start.elapsed();
    pace.observe(keys, took);
    tracing::trace!("a batch of {keys} key(s) took {took:?}");
    drop(permit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_fit_the_budget() {
        let pace = Pace::new(Duration::from_millis(5));
        assert_eq!(pace.fitting(4000), None);
        assert_eq!(pace.estimate(10), None);
        // 100 keys in 2 ms: 20 µs a key, 250 fit in 5 ms.
        pace.observe(100, Duration::from_millis(2));
        assert_eq!(pace.fitting(4000), Some(250));
        assert_eq!(pace.estimate(50), Some(Duration::from_millis(1)));
        assert_eq!(pace.fitting(100), Some(100));
        // A slow batch (big keys) pulls the size down at once, a fast one up gradually.
        pace.observe(10, Duration::from_millis(50));
        let slow = pace.fitting(4000).unwrap_or(0);
        assert!(slow < 10, "{slow}");
        pace.observe(1000, Duration::from_millis(1));
        let after = pace.fitting(4000).unwrap_or(0);
        assert!(after > slow && after < 4000, "{after}");
        // Never below one key, whatever one key takes.
        let big = Pace::new(Duration::from_millis(5));
        big.observe(1, Duration::from_secs(1));
        assert_eq!(big.fitting(4000), Some(1));
        big.observe(0, Duration::from_secs(1)); // nothing moved: no measurement
        assert_eq!(big.fitting(4000), Some(1));
    }

    #[test]
    fn a_node_pace_falls_back_to_the_pair_pace_until_measured() {
        let ms = Duration::from_millis;
        let (own, pair) = (Pace::new(ms(1)), Pace::new(ms(1)));
        assert_eq!(own.estimate_or(10, &pair), None);
        pair.observe(10, ms(4));
        assert_eq!(own.estimate_or(5, &pair), Some(ms(2)));
        own.observe(10, ms(1));
        assert_eq!(own.estimate_or(5, &pair), Some(Duration::from_micros(500)));
    }

    #[tokio::test]
    async fn pairs_sharing_a_node_wait_for_each_other() {
        let five = Duration::from_millis(5);
        let (a, b, c) = (
            Arc::new(Gate::new(five)),
            Arc::new(Gate::new(five)),
            Arc::new(Gate::new(five)),
        );
        // a -> b and c -> b share the target b: one waits while the other is queued.
        let claims = Arc::new(Claims::new(vec![a.clone(), b.clone(), c.clone()]));
        let ab = PairGate::new(a.clone(), b.clone(), true, claims.clone());
        let cb = PairGate::new(b.clone(), c.clone(), false, claims.clone());
        let held = ab.enter(None).await;
        assert!(held.0.is_some() && held.1.is_some());
        let waiting = cb.enter(None);
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), &mut waiting)
                .await
                .is_err()
        );
        drop(held);
        let got = waiting.await;
        assert!(got.0.is_some() && got.1.is_some());
        // A claim waits until no MIGRATE is queued on any node, and holds them all.
        let turn = claims.enter();
        tokio::pin!(turn);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), &mut turn)
                .await
                .is_err()
        );
        drop(got);
        let held = turn.await;
        let blocked = ab.enter(Some(Duration::from_micros(1)));
        tokio::pin!(blocked);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), &mut blocked)
                .await
                .is_err()
        );
        drop(held);
        let after = blocked.await;
        assert!(after.0.is_some() && after.1.is_some());
    }

    #[tokio::test]
    async fn the_gate_holds_one_budget_of_queued_time() {
        let gate = Gate::new(Duration::from_millis(5));
        // Two small commands fit together; an unknown one waits until both are done.
        let a = gate.enter(Some(Duration::from_millis(2))).await;
        let b = gate.enter(Some(Duration::from_millis(2))).await;
        assert!(a.is_some() && b.is_some());
        let unknown = gate.enter(None);
        tokio::pin!(unknown);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), &mut unknown)
                .await
                .is_err()
        );
        drop((a, b));
        let whole = unknown.await;
        assert!(whole.is_some());
        // A command estimated over the budget takes the whole budget, not more.
        drop(whole);
        assert!(gate.enter(Some(Duration::from_secs(3))).await.is_some());
    }
}
