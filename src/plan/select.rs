//! Finding the member a user means: a full node ID, an unambiguous ID prefix, or an address.

use std::net::SocketAddr;

use crate::model::NodeId;
use crate::model::view::ClusterView;

/// Whether `arg` may be a node ID or an ID prefix: 1 to 40 hex digits. Any length is
/// accepted: a prefix that matches several members is refused as ambiguous (naming
/// them), so no minimum is needed to stay safe.
pub fn looks_like_id(arg: &str) -> bool {
    (1..=40).contains(&arg.len()) && arg.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why a node argument matches no member, or several.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("{0}: no node of this cluster has this ID or address")]
    NotFound(String),
    /// A hex word: no member's ID starts with it, and no member has it as address.
    #[error("{0}: no node of this cluster has an ID that starts with {0} (nor this address)")]
    NoIdPrefix(String),
    #[error("{arg}: ambiguous ID prefix, matches {matches}")]
    Ambiguous { arg: String, matches: String },
}

/// Finds the member named by `arg`. `addrs` are the addresses `arg` resolves to (empty
/// when it is not an address); a member matches when its announced address or the
/// address trib reached it at is one of them.
pub fn find_member(
    view: &ClusterView,
    arg: &str,
    addrs: &[SocketAddr],
) -> Result<NodeId, SelectError> {
    let all = view.members();
    let looks_like_id = looks_like_id(arg);
    if looks_like_id {
        let matching: Vec<&NodeId> = all.keys().filter(|id| id.has_prefix(arg)).collect();
        match matching.len() {
            1 => return Ok(matching[0].clone()),
            0 => {}
            _ => {
                return Err(SelectError::Ambiguous {
                    arg: arg.to_string(),
                    matches: matching
                        .iter()
                        .map(|i| i.short())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
    }
    for (id, e) in &all {
        let announced: Option<SocketAddr> = e.ip.parse().ok().map(|ip| SocketAddr::new(ip, e.port));
        let reached = view.node(id).map(|n| n.addr);
        let label = view.node(id).map(|n| n.label.as_str());
        if announced.is_some_and(|a| addrs.contains(&a))
            || reached.is_some_and(|a| addrs.contains(&a))
            || label == Some(arg)
            || e.addr_string() == arg
        {
            return Ok(id.clone());
        }
    }
    Err(if looks_like_id {
        SelectError::NoIdPrefix(arg.to_string())
    } else {
        SelectError::NotFound(arg.to_string())
    })
}
