//! Applying plans to a cluster. Reports through [`Reporter`]; never touches the terminal.

pub mod apply;
pub mod backup;
pub mod bigkeys;
pub mod broadcast;
pub mod compare;
pub mod create;
pub mod del_node;
pub mod failover;
pub mod fix;
pub mod gather;
pub mod import;
pub mod import_source;
pub mod interrupt;
pub mod join;
pub mod membership;
pub mod migrate;
pub mod reform;
pub mod scan;
pub mod set_timeout;
pub mod slot_moves;
mod slot_owner;
pub mod undo;
pub mod wait;

/// Where operations report what they do and what they wait for.
pub trait Reporter: Send + Sync {
    /// A step starts (one line).
    fn step(&self, msg: &str);
    /// Progress of a wait or a long step: `done` of `total`, with what is still missing.
    fn progress(&self, what: &str, done: usize, total: usize, missing: &str);
    /// The current wait or long step finished.
    fn finish(&self, msg: &str);
    /// Something worth knowing that does not stop the operation.
    fn warn(&self, msg: &str);
}

/// A reporter that drops everything (tests, `--quiet` internals).
pub struct Silent;

impl Reporter for Silent {
    fn step(&self, _: &str) {}
    fn progress(&self, _: &str, _: usize, _: usize, _: &str) {}
    fn finish(&self, _: &str) {}
    fn warn(&self, _: &str) {}
}
