//! Where a source reaches its target, and how it authenticates there (`MIGRATE`
//! arguments that do not change during a migration).

use std::net::SocketAddr;
use std::time::Duration;

use super::handoff::Handoff;
use super::pace::PairGate;
use crate::cluster::load::entry_addr;
use crate::cluster::{Migrate, MigrateAuth, Node};
use crate::model::NodeId;
use crate::ops::migrate::{MigrateError, MigrateOptions};

/// Where the source reaches the target, and how MIGRATE is built.
pub(super) struct Route<'a> {
    pub(super) source: &'a Node,
    pub(super) target: &'a Node,
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) opts: &'a MigrateOptions,
    /// Pass the ACL user (`AUTH2`): both ends run Redis ≥ 6 (see [`migrate_auth2`]).
    pub(super) auth2: bool,
    /// Batches go through trib (`DUMP`/`RESTORE`), or keys leave the source only once a
    /// replica of the target has them, or both; `None`: plain `MIGRATE`.
    pub(super) handoff: Option<Handoff>,
    /// The gates of the source and the target, shared with every pair using either.
    pub(super) gate: PairGate,
    /// The big keys of this pair's slots (see [`super::BigKeys`]).
    pub(super) big: super::BigKeys,
}

impl Route<'_> {
    /// The `MIGRATE` arguments of every batch, with the source's I/O timeout `timeout`.
    pub(super) fn migrate_args(&self, timeout: Duration) -> Migrate<'_> {
        let auth = match (&self.opts.user, &self.opts.password) {
            (Some(user), Some(pw)) if self.auth2 => Some(MigrateAuth::User(user, pw)),
            (_, Some(pw)) => Some(MigrateAuth::Password(pw)),
            _ => None,
        };
        Migrate {
            host: &self.host,
            port: self.port,
            timeout,
            copy: false,
            replace: self.opts.replace,
            auth,
        }
    }
}

/// Whether `MIGRATE … AUTH2 user password` may be used between servers of these versions:
/// AUTH2 and ACL users came with Redis 6.0. Redis 5 answers AUTH2 with a syntax error and
/// has no users (trib's own connections to it fall back to `AUTH password`), so the
/// password alone (`AUTH`) is passed when either end is older. Unknown versions count as
/// recent.
pub fn migrate_auth2(versions: &[Option<(u32, u32, u32)>]) -> bool {
    versions.iter().flatten().all(|v| *v >= (6, 0, 0))
}

/// The server's version from `INFO server`; `None` when it cannot be read.
async fn server_version(node: &Node) -> Option<(u32, u32, u32)> {
    node.info(&["server"]).await.ok()?.version()
}

/// The address the source uses for the target: the target's announced address in the
/// source's view, else the address trib reached it at. `relay`: batches are copied
/// through trib; `pieces`: big keys are copied in pieces (see [`Handoff`]).
#[allow(clippy::too_many_arguments)]
pub(super) async fn route<'a>(
    source: &'a Node,
    target: &'a Node,
    target_id: Option<&NodeId>,
    gate: PairGate,
    opts: &'a MigrateOptions,
    relay: bool,
    pieces: bool,
) -> Result<Route<'a>, MigrateError> {
    let id = match target_id {
        Some(id) => id.clone(),
        None => target.myid().await?,
    };
    let entries = source.cluster_nodes().await?;
    let auth2 = if opts.user.is_some() && opts.password.is_some() {
        let (a, b) = futures::join!(server_version(source), server_version(target));
        migrate_auth2(&[a, b])
    } else {
        false
    };
    let addr: SocketAddr = entries
        .iter()
        .find(|e| e.id == id)
        .and_then(entry_addr)
        .unwrap_or(target.addr);
    let handoff = Handoff::prepare(source, target, opts, relay, pieces).await;
    Ok(Route {
        source,
        target,
        host: addr.ip().to_string(),
        port: addr.port(),
        opts,
        auth2,
        handoff,
        gate,
        big: super::BigKeys::new(),
    })
}
