//! The I/O boundary: one connection per node, typed calls with timeouts, and the
//! concurrent loading of a [`crate::model::view::ClusterView`].

pub mod command_info;
pub mod commands;
pub mod conn;
pub mod error;
pub mod load;
pub mod role;
pub mod tls;

pub use commands::{Migrate, MigrateAuth, MigrateReply, SetSlot};
pub use conn::{ConnectOptions, Node, Secret};
pub use error::{AuthFailure, NodeError, NodeErrorKind, ServerError};
