//! Errors from talking to one node. Every error names the node it came from.

use std::fmt;

use thiserror::Error;

/// What went wrong with a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeErrorKind {
    /// TCP connect failed (refused, unreachable, …).
    Connect(String),
    /// No answer within the deadline (connect or command).
    Timeout(&'static str),
    /// TLS handshake failed.
    Tls(String),
    /// Wrong password / user, or authentication required.
    Auth(String),
    /// The server answered with an error reply.
    Server { code: String, detail: String },
    /// The reply did not have the expected shape.
    Protocol(String),
    /// The node runs with `cluster-enabled no`.
    NotCluster,
}

/// An error from one node.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub struct NodeError {
    /// The node as the user knows it (`name:port` or `ip:port`).
    pub node: String,
    pub kind: NodeErrorKind,
}

impl NodeError {
    pub fn new(node: impl Into<String>, kind: NodeErrorKind) -> NodeError {
        NodeError {
            node: node.into(),
            kind,
        }
    }

    /// Unreachable: connection failed or timed out (the node may be down or frozen).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self.kind,
            NodeErrorKind::Connect(_) | NodeErrorKind::Timeout(_) | NodeErrorKind::Tls(_)
        )
    }

    /// The server error code (`ERR`, `MOVED`, `CLUSTERDOWN`, …), if any.
    pub fn server_code(&self) -> Option<&str> {
        match &self.kind {
            NodeErrorKind::Server { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The reason alone, without the node name.
    pub fn reason(&self) -> String {
        match &self.kind {
            NodeErrorKind::Connect(e) => format!("cannot connect: {e}"),
            NodeErrorKind::Timeout(what) => format!("no answer within the timeout ({what})"),
            NodeErrorKind::Tls(e) => format!("TLS handshake failed: {e}"),
            NodeErrorKind::Auth(e) => format!("authentication failed: {e}"),
            NodeErrorKind::Server { code, detail } => format!("{code} {detail}"),
            NodeErrorKind::Protocol(e) => format!("unexpected reply: {e}"),
            NodeErrorKind::NotCluster => {
                "cluster support is disabled (cluster-enabled no)".to_string()
            }
        }
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.node, self.reason())
    }
}
