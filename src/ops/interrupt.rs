//! SIGINT and SIGTERM: the process-wide "stop" request (one of the few globals).
//!
//! The driver ([`crate::cli::pipeline`]) installs the listeners, races each command's
//! work against [`requested`], undoes the temporary changes the work registered
//! ([`super::undo`]) and exits 130 (SIGINT) or 143 (SIGTERM). Work that has safe points
//! (between slot batches, say) may call [`check`] to stop there on its own.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use thiserror::Error;
use tokio::sync::watch;

/// The signal that asked trib to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C): exit 130.
    Interrupt,
    /// SIGTERM (what Kubernetes sends a pod): exit 143.
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// 128 + the signal's number, as a shell reports a process killed by it.
    pub fn exit_code(self) -> i32 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

/// A stop was requested at a safe point.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
#[error("interrupted by {}", .0.name())]
pub struct Interrupted(pub Signal);

fn state() -> &'static watch::Sender<Option<Signal>> {
    static STATE: OnceLock<watch::Sender<Option<Signal>>> = OnceLock::new();
    STATE.get_or_init(|| watch::channel(None).0)
}

/// Starts listening for SIGINT and SIGTERM (once per process; later calls do nothing).
/// Needs a tokio runtime. From then on these signals no longer end the process: the
/// driver decides when to exit.
pub fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        use tokio::signal::unix::{SignalKind, signal};
        for (kind, sig) in [
            (SignalKind::interrupt(), Signal::Interrupt),
            (SignalKind::terminate(), Signal::Terminate),
        ] {
            match signal(kind) {
                Ok(mut stream) => {
                    tokio::spawn(async move {
                        while stream.recv().await.is_some() {
                            raise(sig);
                        }
                    });
                }
                Err(e) => tracing::debug!("cannot listen for {}: {e}", sig.name()),
            }
        }
    });
}

/// How many stop requests arrived: a second one means "stop now".
static REQUESTS: AtomicUsize = AtomicUsize::new(0);

/// Records a stop request, as a signal does. The first signal is the one reported.
pub fn raise(sig: Signal) {
    REQUESTS.fetch_add(1, Ordering::SeqCst);
    // `send_modify` notifies every waiter, also when the value stays the same.
    state().send_modify(|s| {
        if s.is_none() {
            *s = Some(sig);
        }
    });
}

/// The number of stop requests so far.
pub fn requests() -> usize {
    REQUESTS.load(Ordering::SeqCst)
}

/// The signal that asked to stop, if any.
pub fn requested() -> Option<Signal> {
    *state().borrow()
}

/// `Err` once a stop was requested: call at a safe point.
pub fn check() -> Result<(), Interrupted> {
    requested().map_or(Ok(()), |s| Err(Interrupted(s)))
}

/// Resolves when a stop is requested (at once if one already was).
pub async fn wait() -> Signal {
    let mut rx = state().subscribe();
    loop {
        if let Some(s) = *rx.borrow_and_update() {
            return s;
        }
        if rx.changed().await.is_err() {
            // The sender lives in a static: never dropped.
            std::future::pending::<()>().await;
        }
    }
}

/// Resolves when the `n`-th stop request has arrived.
pub async fn wait_for_request(n: usize) {
    let mut rx = state().subscribe();
    while requests() < n {
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
