//! trib: create and operate Redis Cluster.
//!
//! Layering (imports only go downwards):
//! - [`model`]: pure types and parsers (node IDs, slots, `CLUSTER NODES`, `INFO`).
//! - [`plan`]: pure planners producing plain-data plans and findings.
//! - [`addr`]: node address parsing and DNS resolution.
//! - [`cluster`]: the I/O boundary: one connection per node, typed calls, concurrent loading.
//! - [`ops`]: applies plans through [`cluster`], reporting through a `Reporter`; never touches the terminal.
//! - [`ui`]: printer (human/JSON), tables, prompts, progress.
//! - [`cli`]: clap definitions and one thin file per subcommand.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod addr;
pub mod cli;
pub mod cluster;
pub mod error;
pub mod k8s;
pub mod model;
pub mod ops;
pub mod plan;
pub mod ui;
