//! `ROLE`: a node's replication role and offsets, typed.
//!
//! A master answers `["master", offset, [[ip, port, acked], …]]` (its replication offset
//! and the replicas connected to it); a replica `["slave", master_ip, master_port, state,
//! offset]`, where `offset` is how far it has applied its master's stream. Valkey spells
//! the roles `primary`/`replica` in some versions; both are read.

use std::net::{IpAddr, SocketAddr};

use redis::Value;

use super::conn::Node;
use super::error::{NodeError, NodeErrorKind};

/// A node's `ROLE` reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Master {
        /// `master_repl_offset`: how much this master has written to its replication
        /// stream.
        offset: u64,
        /// The replicas connected to it, at the address each one announced.
        replicas: Vec<SocketAddr>,
    },
    Replica {
        /// The replication link is up (`connected`); other states: `connect`,
        /// `connecting`, `sync`, `handshake`.
        connected: bool,
        /// How far it has applied its master's stream (-1: nothing yet).
        offset: i64,
    },
    /// A sentinel or a role this version of trib does not know.
    Other(String),
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    text(v)?.parse().ok()
}

/// Parses a `ROLE` reply.
pub fn parse_role(v: &Value) -> Result<Role, String> {
    let bad = || format!("unexpected ROLE reply {v:?}");
    let Value::Array(items) = v else {
        return Err(bad());
    };
    let kind = items.first().and_then(text).ok_or_else(bad)?;
    match kind.as_str() {
        "master" | "primary" => {
            let offset = items.get(1).and_then(int).ok_or_else(bad)?;
            let mut replicas = Vec::new();
            if let Some(Value::Array(list)) = items.get(2) {
                for r in list {
                    let Value::Array(f) = r else { continue };
                    let ip = f
                        .first()
                        .and_then(text)
                        .and_then(|s| s.parse::<IpAddr>().ok());
                    let port = f.get(1).and_then(int).and_then(|p| u16::try_from(p).ok());
                    if let (Some(ip), Some(port)) = (ip, port) {
                        replicas.push(SocketAddr::new(ip, port));
                    }
                }
            }
            Ok(Role::Master {
                offset: u64::try_from(offset).unwrap_or(0),
                replicas,
            })
        }
        "slave" | "replica" => {
            let state = items.get(3).and_then(text).ok_or_else(bad)?;
            let offset = items.get(4).and_then(int).ok_or_else(bad)?;
            Ok(Role::Replica {
                connected: state == "connected",
                offset,
            })
        }
        other => Ok(Role::Other(other.to_string())),
    }
}

impl Node {
    /// `ROLE`, typed.
    pub async fn role(&self) -> Result<Role, NodeError> {
        let v: Value = self.query(&redis::cmd("ROLE")).await?;
        parse_role(&v).map_err(|e| NodeError::new(&self.label, NodeErrorKind::Protocol(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn master_with_replicas() {
        let v = Value::Array(vec![
            b("master"),
            Value::Int(3129659),
            Value::Array(vec![
                Value::Array(vec![b("127.0.0.1"), b("9001"), b("3129242")]),
                Value::Array(vec![b("::1"), b("9002"), b("3129543")]),
            ]),
        ]);
        assert_eq!(
            parse_role(&v).unwrap(),
            Role::Master {
                offset: 3129659,
                replicas: vec![
                    "127.0.0.1:9001".parse().unwrap(),
                    "[::1]:9002".parse().unwrap()
                ],
            }
        );
    }

    #[test]
    fn replica_states() {
        let v = Value::Array(vec![
            b("slave"),
            b("127.0.0.1"),
            Value::Int(9000),
            b("connected"),
            Value::Int(3167038),
        ]);
        assert_eq!(
            parse_role(&v).unwrap(),
            Role::Replica {
                connected: true,
                offset: 3167038
            }
        );
        let v = Value::Array(vec![
            b("replica"),
            b("127.0.0.1"),
            Value::Int(9000),
            b("sync"),
            Value::Int(-1),
        ]);
        assert_eq!(
            parse_role(&v).unwrap(),
            Role::Replica {
                connected: false,
                offset: -1
            }
        );
    }

    #[test]
    fn other_and_garbage() {
        let v = Value::Array(vec![b("sentinel"), Value::Array(vec![])]);
        assert_eq!(parse_role(&v).unwrap(), Role::Other("sentinel".into()));
        assert!(parse_role(&Value::Int(1)).is_err());
        assert!(parse_role(&Value::Array(vec![b("master")])).is_err());
    }
}
