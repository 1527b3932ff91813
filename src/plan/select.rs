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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::membership_del::fixture::{line, node, view};

    /// Two nodes whose IDs share their first hex digit (`a…` and `a…` differ later) and a
    /// third with another first digit.
    fn three() -> ClusterView {
        let ids = [
            "a1000000000000000000000000000000000000aa",
            "a2000000000000000000000000000000000000aa",
            "b1000000000000000000000000000000000000aa",
        ];
        let lines: Vec<String> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                line('x', &format!("10.0.0.{}:6379", i + 1), "master", None, "").replacen(
                    &crate::plan::membership_del::fixture::id('x').to_string(),
                    id,
                    1,
                )
            })
            .collect();
        let mut v = view(
            vec![node('x', "10.0.0.1:6379", "10.0.0.1", &lines, 0)],
            vec![],
        );
        v.nodes[0].id = NodeId::parse(ids[0]).unwrap();
        v
    }

    #[test]
    fn any_unambiguous_prefix_names_a_member() {
        let v = three();
        assert_eq!(find_member(&v, "b", &[]).unwrap().short(), "b1000000");
        assert_eq!(find_member(&v, "a2", &[]).unwrap().short(), "a2000000");
        assert_eq!(find_member(&v, "A1", &[]).unwrap().short(), "a1000000");
        assert_eq!(
            find_member(&v, "a", &[]).unwrap_err(),
            SelectError::Ambiguous {
                arg: "a".into(),
                matches: "a1000000, a2000000".into()
            }
        );
        let e = find_member(&v, "c", &[]).unwrap_err();
        assert_eq!(e, SelectError::NoIdPrefix("c".into()));
        assert_eq!(
            e.to_string(),
            "c: no node of this cluster has an ID that starts with c (nor this address)"
        );
        // Not hex: an address that matches nobody.
        assert_eq!(
            find_member(&v, "redis-9:6379", &[]).unwrap_err(),
            SelectError::NotFound("redis-9:6379".into())
        );
        assert!(looks_like_id("7"));
        assert!(!looks_like_id(""));
        assert!(!looks_like_id(&"a".repeat(41)));
        assert!(!looks_like_id("redis-0"));
    }
}
