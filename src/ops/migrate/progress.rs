//! Progress of a classic migration (shared counters, throttled reports) and the watch
//! that notices a node that stopped answering.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::WATCH_EVERY;
use crate::cluster::{Node, NodeError};
use crate::ops::Reporter;

/// Shared counters of one migration, for progress and the report.
pub(super) struct Progress<'a> {
    pub(super) reporter: &'a dyn Reporter,
    pub(super) total: usize,
    pub(super) slots: AtomicUsize,
    pub(super) keys: AtomicU64,
    pub(super) identical: AtomicU64,
    pub(super) max_batch: AtomicUsize,
    pub(super) start: Instant,
    pub(super) abort: AtomicBool,
    pub(super) last: Mutex<Option<Instant>>,
}

impl Progress<'_> {
    pub(super) fn report(&self, force: bool) {
        if let Ok(mut last) = self.last.lock() {
            if !force && last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
                return;
            }
            *last = Some(Instant::now());
        }
        let done = self.slots.load(Ordering::Relaxed);
        let keys = self.keys.load(Ordering::Relaxed);
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        let rate = keys as f64 / secs;
        let eta = if done > 0 && done < self.total {
            let left = secs * (self.total - done) as f64 / done as f64;
            format!(", ETA {left:.0}s")
        } else {
            String::new()
        };
        self.reporter.progress(
            "moving slots",
            done,
            self.total,
            &format!("{keys} keys moved, {rate:.0} keys/s{eta}"),
        );
    }
}

impl<'a> Progress<'a> {
    /// Counters at zero for `total` slots, the rate measured from `start`.
    pub(super) fn new(reporter: &'a dyn Reporter, total: usize, start: Instant) -> Progress<'a> {
        Progress {
            reporter,
            total,
            slots: AtomicUsize::new(0),
            keys: AtomicU64::new(0),
            identical: AtomicU64::new(0),
            max_batch: AtomicUsize::new(0),
            start,
            abort: AtomicBool::new(false),
            last: Mutex::new(None),
        }
    }
}

/// Resolves once `node` does not answer a PING (one every [`WATCH_EVERY`], each under the
/// command timeout); never while it answers.
pub(super) async fn unresponsive(node: &Node) -> NodeError {
    loop {
        tokio::time::sleep(WATCH_EVERY).await;
        match node.ping().await {
            Err(e) if e.is_unreachable() => return e,
            _ => {}
        }
    }
}
