//! Applying a plan under SIGINT/SIGTERM, for [`super::pipeline`]: the race between the
//! work and a signal, the operations' own safe points, and the undoing of temporary
//! changes on every way out.

use std::time::Duration;

use super::Context;
use super::operation::{Applied, Operation};
use crate::error::TribError;
use crate::ops::interrupt::{self, Signal};
use crate::ops::undo::UndoLog;

/// How long an operation with safe points may take to reach one after a signal.
pub const GRACE: Duration = Duration::from_secs(10);

/// Runs `op.apply`, stopping for a signal: at once, or (for operations with
/// [`Operation::SAFE_POINTS`]) at the work's next safe point, within [`GRACE`] or a
/// second signal. Whatever happens, the temporary changes registered are undone.
pub async fn apply<O: Operation>(
    ctx: &Context,
    op: &mut O,
    plan: &O::Plan,
) -> anyhow::Result<Applied> {
    let undo = UndoLog::new();
    let outcome = {
        let work = op.apply(ctx, plan, &undo);
        tokio::pin!(work);
        tokio::select! {
            biased;
            r = &mut work => Ok(r),
            sig = interrupt::wait() => {
                if O::SAFE_POINTS {
                    tokio::select! {
                        r = &mut work => Ok(r),
                        _ = interrupt::wait_for_request(2) => Err((sig, None)),
                        _ = tokio::time::sleep(GRACE) => Err((sig, None)),
                    }
                } else {
                    Err((sig, None))
                }
            }
        }
    };
    // Work that stopped at a safe point of its own stopped for the signal.
    let outcome = match outcome {
        Ok(Err(e)) => match stopped_at_safe_point(&e) {
            // What the work says about where it stopped, unless that is only the signal.
            Some(sig) if e.downcast_ref::<interrupt::Interrupted>().is_some() => Err((sig, None)),
            Some(sig) => Err((sig, Some(e.to_string()))),
            None => Ok(Err(e)),
        },
        other => other,
    };
    // On every way out: what the work left temporarily changed is put back.
    let registered = undo.pending().len();
    let failed = undo.undo_all().await;
    for f in &failed {
        ctx.printer
            .warn(&format!("{f}; re-run the same command to put it back"));
    }
    match outcome {
        Err((sig, detail)) => {
            let what = match (detail, undone_note(registered, failed.len())) {
                (Some(detail), Some(undone)) => format!("{detail}; {undone}"),
                (Some(detail), None) => detail,
                (None, Some(undone)) => format!(
                    "stopped while applying; {undone}; re-run the same command to complete it"
                ),
                (None, None) => {
                    "stopped while applying; re-run the same command to complete it".to_string()
                }
            };
            Err(stopped(sig, &what).into())
        }
        Ok(r) => r,
    }
}

/// What became of the `registered` temporary changes, `failed` of which could not be
/// undone; nothing to say when the work had made none (most commands never do).
fn undone_note(registered: usize, failed: usize) -> Option<String> {
    match (registered, failed) {
        (0, _) => None,
        (n, 0) => Some(format!("{n} temporary change(s) undone")),
        (n, f) => Some(format!(
            "{f} of {n} temporary change(s) could not be undone (see above)"
        )),
    }
}

/// The signal `e` stopped for, when the work stopped at one of its safe points.
fn stopped_at_safe_point(e: &anyhow::Error) -> Option<Signal> {
    e.chain()
        .find_map(|c| c.downcast_ref::<interrupt::Interrupted>())
        .map(|i| i.0)
}

/// The error that ends a command stopped by `sig`, saying `what` was left.
pub fn stopped(sig: Signal, what: &str) -> TribError {
    TribError::Interrupted {
        signal: sig,
        message: format!("interrupted by {}: {what}", sig.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stop_message_says_only_what_was_undone() {
        assert_eq!(undone_note(0, 0), None);
        assert_eq!(
            undone_note(3, 0).as_deref(),
            Some("3 temporary change(s) undone")
        );
        assert_eq!(
            undone_note(3, 1).as_deref(),
            Some("1 of 3 temporary change(s) could not be undone (see above)")
        );
    }
}
