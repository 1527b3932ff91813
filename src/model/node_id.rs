//! Redis Cluster node IDs: 40 lowercase hex characters.

use std::fmt;

use serde::{Serialize, Serializer};

/// A cluster node ID as printed by `CLUSTER MYID` / `CLUSTER NODES`, kept inline
/// (lowercase ASCII hex): a view of n nodes holds about 2n² IDs, and an inline ID costs
/// no allocation to parse, clone or drop. Byte order is the order of the hex text.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId([u8; NODE_ID_LEN]);

/// Length of a node ID in hex characters.
pub const NODE_ID_LEN: usize = 40;

impl NodeId {
    /// Parses a full node ID (40 hex characters).
    pub fn parse(s: &str) -> Option<NodeId> {
        let mut id: [u8; NODE_ID_LEN] = s.as_bytes().try_into().ok()?;
        if !id.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        id.make_ascii_lowercase();
        Some(NodeId(id))
    }

    pub fn as_str(&self) -> &str {
        // Always ASCII: `parse` is the only constructor.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The first 8 characters, as shown in tables.
    pub fn short(&self) -> &str {
        &self.as_str()[..8]
    }

    /// True when `prefix` (case-insensitive) is a prefix of this ID.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        prefix.len() <= NODE_ID_LEN
            && self.0[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({})", self.short())
    }
}

impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_only_40_hex() {
        assert!(NodeId::parse(&"a".repeat(40)).is_some());
        assert!(NodeId::parse(&"a".repeat(39)).is_none());
        assert!(NodeId::parse(&"g".repeat(40)).is_none());
        let id = NodeId::parse(&"AB".repeat(20)).unwrap();
        assert_eq!(id.as_str(), "ab".repeat(20));
        assert!(id.has_prefix("ABab"));
        assert!(id.has_prefix(""));
        assert!(!id.has_prefix("abx"));
        assert!(!id.has_prefix(&"ab".repeat(21)));
        assert!(id < NodeId::parse(&"b".repeat(40)).unwrap());
        assert_eq!(id.short(), "abababab");
    }

    proptest! {
        #[test]
        fn parse_accepts_exactly_40_hex_digits(s in any::<String>()) {
            let hex = s.len() == NODE_ID_LEN && s.bytes().all(|b| b.is_ascii_hexdigit());
            let id = NodeId::parse(&s);
            prop_assert_eq!(id.is_some(), hex);
            if let Some(id) = id {
                prop_assert_eq!(id.short().len(), 8);
                prop_assert!(id.has_prefix(&s[..5]));
            }
        }

        #[test]
        fn display_round_trips(s in "[0-9a-fA-F]{40}") {
            let id = NodeId::parse(&s).unwrap();
            prop_assert_eq!(id.to_string(), s.to_ascii_lowercase());
            prop_assert_eq!(NodeId::parse(&id.to_string()), Some(id));
        }
    }
}
