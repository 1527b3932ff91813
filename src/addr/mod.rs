//! Node address parsing ([`spec`], pure) and DNS resolution ([`resolve`]).
//!
//! Forms accepted on the command line: `IP[:PORT]`, `[IPv6]:PORT`, bare IPv6,
//! `NAME[:PORT]` (resolved with the system resolver config, one node per
//! A/AAAA record), `_service._proto.NAME` (SRV), numeric ranges `{0..5}` /
//! `{00..05}` (cartesian product when several), and a `=DOMAIN` suffix giving
//! the node's failure domain.

mod resolve;
mod spec;
#[cfg(test)]
mod test_dns;

use std::time::Duration;

pub use resolve::{Resolver, ResolverOptions, Target};
pub use spec::{
    DEFAULT_PORT, Host, MAX_EXPANSIONS, NodeSpec, SyntaxError, parse_dns_server, parse_node,
    parse_node_args,
};

/// Errors from parsing node arguments and resolving them. Every message is
/// one line and starts with the input it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    /// Malformed input (permanent).
    #[error("{input}: {kind}")]
    Syntax { input: String, kind: SyntaxError },
    /// Bad resolver configuration: resolv.conf, `--dns-search` (permanent).
    #[error("{input}: {reason}")]
    Config { input: String, reason: String },
    /// The name does not exist (NXDOMAIN) under any search domain (transient: it may appear).
    #[error("{input}: name does not resolve (NXDOMAIN)")]
    NotFound { input: String },
    /// The name exists but has no records of the wanted type (transient).
    #[error("{input}: no {what} records")]
    NoRecords { input: String, what: &'static str },
    /// No answer in time (transient).
    #[error("{input}: DNS lookup timed out after {}", fmt_duration(*.after))]
    Timeout { input: String, after: Duration },
    /// Any other DNS failure: SERVFAIL, REFUSED, network errors (transient).
    #[error("{input}: DNS lookup failed: {reason}")]
    Dns { input: String, reason: String },
}

impl AddrError {
    /// True when retrying later may succeed (not found, no records, timeout,
    /// server failure); false for malformed input and bad configuration.
    pub fn is_transient(&self) -> bool {
        match self {
            AddrError::Syntax { .. } | AddrError::Config { .. } => false,
            AddrError::NotFound { .. }
            | AddrError::NoRecords { .. }
            | AddrError::Timeout { .. }
            | AddrError::Dns { .. } => true,
        }
    }

    /// The input (node argument, name, or option) the error is about.
    pub fn input(&self) -> &str {
        match self {
            AddrError::Syntax { input, .. }
            | AddrError::Config { input, .. }
            | AddrError::NotFound { input }
            | AddrError::NoRecords { input, .. }
            | AddrError::Timeout { input, .. }
            | AddrError::Dns { input, .. } => input,
        }
    }
}

fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
