//! Errors that decide the exit code, and the mapping to exit codes (one place).
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done; for `check`, healthy |
//! | 1 | the operation failed, or `check` found problems |
//! | 2 | bad usage or bad input; nothing was changed |
//! | 3 | aborted at the prompt, or no terminal and no `--yes` |
//! | 130 / 143 | stopped by SIGINT / SIGTERM (temporary changes undone) |

use thiserror::Error;

/// Process exit codes of the CLI contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failed = 1,
    BadInput = 2,
    Aborted = 3,
    /// Stopped by SIGINT.
    Interrupted = 130,
    /// Stopped by SIGTERM.
    Terminated = 143,
}

/// Errors raised at the edges of an operation, carrying their exit code.
#[derive(Debug, Error)]
pub enum TribError {
    /// Bad usage or bad input detected before anything changed (exit 2).
    #[error("{0}")]
    BadInput(String),
    /// The user declined, or confirmation was impossible (exit 3).
    #[error("{0}")]
    Aborted(String),
    /// The operation failed (exit 1).
    #[error("{0}")]
    Failed(String),
    /// The operation failed because of `source` (exit 1). Printed as
    /// "`context`: `source`", the source kept for whoever inspects the chain.
    #[error("{context}")]
    FailedBecause {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// Stopped by a signal at a safe point (exit 130 / 143).
    #[error("{message}")]
    Interrupted {
        signal: crate::ops::interrupt::Signal,
        message: String,
    },
}

impl TribError {
    /// A failure (exit 1) caused by `source`, with what was being done.
    pub fn failed(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> TribError {
        TribError::FailedBecause {
            context: context.into(),
            source: Box::new(source),
        }
    }

    /// Bad input (exit 2) from a planner's refusals: nothing was changed; one line each.
    pub fn refused<R: std::fmt::Display>(refusals: &[R]) -> TribError {
        TribError::BadInput(
            refusals
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }

    pub fn exit(&self) -> Exit {
        match self {
            TribError::BadInput(_) => Exit::BadInput,
            TribError::Aborted(_) => Exit::Aborted,
            TribError::Failed(_) | TribError::FailedBecause { .. } => Exit::Failed,
            TribError::Interrupted { signal, .. } => match signal {
                crate::ops::interrupt::Signal::Interrupt => Exit::Interrupted,
                crate::ops::interrupt::Signal::Terminate => Exit::Terminated,
            },
        }
    }
}

/// The exit code for an error that reached `main`: the first [`TribError`] or
/// `clap::Error` in its chain decides; anything else is a failure (1).
pub fn exit_for(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(t) = cause.downcast_ref::<TribError>() {
            return t.exit();
        }
        if cause.downcast_ref::<crate::addr::AddrError>().is_some() {
            return Exit::BadInput;
        }
    }
    Exit::Failed
}
