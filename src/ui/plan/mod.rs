//! Plans for a person and as JSON, one file per command. Snapshot tests of the tables
//! live in `tests/plan_render.rs`-style unit tests beside each renderer.

pub mod backup;
pub mod call;
pub mod create;
pub mod fix;
pub mod import;

/// One piece of a plan as printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// The plan itself: stdout (stderr under `--json`).
    Out(String),
    /// A warning about it: stderr, `warning: ` first.
    Warn(String),
}
