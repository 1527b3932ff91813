//! Errors from talking to one node. Every error names the node it came from.
//!
//! A server's error reply is classified once, where replies are decoded
//! ([`NodeErrorKind::from_reply`], used by [`super::conn::map_redis_error`] for single
//! commands and pipeline entries alike), into a [`ServerError`]. Callers `match` on
//! that; no other module compares error codes or message text.

use std::fmt;

use thiserror::Error;

/// What a server's error reply means. The raw code and text stay with it (in
/// [`NodeErrorKind::Server`]) for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerError {
    /// `MOVED <slot> <addr>`: the slot is served elsewhere.
    Moved { slot: u16, addr: String },
    /// `ASK <slot> <addr>`: the slot is migrating and the key is not (or no longer) here,
    /// e.g. a `MIGRATING` source asked for a key it has already moved.
    Ask { slot: u16, addr: String },
    /// `BUSYKEY`: the key already exists (RESTORE on the target; `MIGRATE` wraps it as
    /// `ERR Target instance replied with error: BUSYKEY …`).
    BusyKey,
    /// `IOERR`: `MIGRATE` could not reach the target, or it did not answer in time.
    IoErr,
    /// `LOADING`: the node is loading its dataset.
    Loading,
    /// `NOAUTH`: authentication required (a `MIGRATE` target's, when wrapped).
    NoAuth,
    /// `WRONGPASS`: wrong user or password (a `MIGRATE` target's, when wrapped).
    WrongPass,
    /// `CLUSTERDOWN`: the cluster is down.
    ClusterDown,
    /// `TRYAGAIN`: a multi-key command during a resharding; retry.
    TryAgain,
    /// `EXECABORT`: a transaction was discarded because a command was refused while it
    /// was queued (e.g. redirected: a key of a migrating slot is gone).
    ExecAbort,
    /// `NOPERM`: trib's ACL user may not run that command (or touch that key).
    NoPerm,
    /// `NOREPLICAS`: not enough good replicas to write.
    NoReplicas,
    /// `MASTERDOWN`: the replica lost its link with its master.
    MasterDown,
    /// `UNBLOCKED`: a blocked command was unblocked by `CLIENT UNBLOCK … ERROR` or a role change.
    Unblocked,
    /// `BUSY`: a script or function runs too long.
    Busy,
    /// `ERR Unknown node <id>` (`CLUSTER REPLICATE`, `FORGET`, `SETSLOT … NODE`, …): the
    /// node does not know that ID (yet).
    UnknownNode,
    /// `ERR unknown command …` / `ERR unknown subcommand …`: the server lacks it.
    UnknownCommand,
    /// `ERR syntax error` (e.g. `INFO` with several sections before Redis 7).
    Syntax,
    /// `ERR wrong number of arguments for '…' command`.
    WrongArity,
    /// `ERR Can't assign hashslot … to a different node while I still hold keys for this
    /// hash slot.` (`SETSLOT … NODE` on the owner of a slot with keys).
    SlotHasKeys,
    /// `ERR Please use SETSLOT only with masters.` (`… primaries.` in some Valkey
    /// versions): the node is a replica (now).
    NotMaster,
    /// Any other `ERR` reply.
    Err,
    /// An error code trib does not act on.
    Other,
}

/// Prefix `MIGRATE` puts before the error its target answered with (after the `ERR` code).
const FROM_TARGET: &str = "Target instance replied with error: ";

impl ServerError {
    /// Classifies an error reply: its code (first word) and the rest of the line. The
    /// forms `MIGRATE` wraps its target's errors in (`ERR Target instance replied with
    /// error: CODE …`) are classified by the target's code.
    pub fn classify(code: &str, detail: &str) -> ServerError {
        if code == "ERR"
            && let Some(inner) = detail.strip_prefix(FROM_TARGET)
        {
            let inner = inner.trim_start_matches('-');
            let (c, d) = inner.split_once(' ').unwrap_or((inner, ""));
            if !c.is_empty() {
                return ServerError::classify(c, d);
            }
        }
        let redirect = |detail: &str| {
            let (slot, addr) = detail.split_once(' ')?;
            Some((slot.parse::<u16>().ok()?, addr.trim().to_string()))
        };
        let by_code = match code {
            "MOVED" => redirect(detail).map(|(slot, addr)| ServerError::Moved { slot, addr }),
            "ASK" => redirect(detail).map(|(slot, addr)| ServerError::Ask { slot, addr }),
            "BUSYKEY" => Some(ServerError::BusyKey),
            "IOERR" => Some(ServerError::IoErr),
            "LOADING" => Some(ServerError::Loading),
            "NOAUTH" => Some(ServerError::NoAuth),
            "WRONGPASS" => Some(ServerError::WrongPass),
            "CLUSTERDOWN" => Some(ServerError::ClusterDown),
            "TRYAGAIN" => Some(ServerError::TryAgain),
            "EXECABORT" => Some(ServerError::ExecAbort),
            "NOPERM" => Some(ServerError::NoPerm),
            "NOREPLICAS" => Some(ServerError::NoReplicas),
            "MASTERDOWN" => Some(ServerError::MasterDown),
            "UNBLOCKED" => Some(ServerError::Unblocked),
            "BUSY" => Some(ServerError::Busy),
            "ERR" => Some(classify_err(detail)),
            _ => None,
        };
        match by_code {
            // A generic reply that still names a MIGRATE failure (a wrapped form of
            // another wording).
            Some(ServerError::Err) | None if detail.contains("IOERR") => ServerError::IoErr,
            Some(ServerError::Err) | None if detail.contains("BUSYKEY") => ServerError::BusyKey,
            Some(e) => e,
            None => ServerError::Other,
        }
    }

    /// Whether the reply has the generic `ERR` code (whatever its text says), as opposed
    /// to a specific code such as `LOADING` or `MOVED`.
    pub fn is_err(&self) -> bool {
        matches!(
            self,
            ServerError::UnknownNode
                | ServerError::UnknownCommand
                | ServerError::Syntax
                | ServerError::WrongArity
                | ServerError::SlotHasKeys
                | ServerError::NotMaster
                | ServerError::Err
        )
    }
}

/// The meaning of an `ERR` reply, by its text.
fn classify_err(detail: &str) -> ServerError {
    let lower = detail.to_ascii_lowercase();
    if detail.contains("Unknown node") {
        ServerError::UnknownNode
    } else if detail.contains("still hold keys") {
        ServerError::SlotHasKeys
    } else if detail.contains("only with masters") || detail.contains("only with primaries") {
        ServerError::NotMaster
    } else if lower.starts_with("unknown command") || lower.starts_with("unknown subcommand") {
        ServerError::UnknownCommand
    } else if lower.starts_with("syntax error") {
        ServerError::Syntax
    } else if lower.starts_with("wrong number of arguments") {
        ServerError::WrongArity
    } else {
        ServerError::Err
    }
}

/// Why our own authentication failed, classified from the reply (the text says what to
/// do about it, in the cluster's terms: `-a`, `REDISCLI_AUTH`, `--askpass`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum AuthFailure {
    /// The node wants a password and got none (`NOAUTH`).
    #[error("the node requires a password (use -a, REDISCLI_AUTH or --askpass)")]
    PasswordRequired,
    /// Wrong user or password (`WRONGPASS`; `ERR invalid password` before Redis 6).
    #[error("wrong password or user")]
    WrongPassword,
    /// A password was given but the node has none set.
    #[error(
        "the node has no password set, but one was given (-a, REDISCLI_AUTH or --askpass): leave it out"
    )]
    NoPasswordSet,
}

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
    Auth(AuthFailure),
    /// The server answered with an error reply: `error` says what it means, `code` and
    /// `detail` are the reply as sent (for messages).
    Server {
        error: ServerError,
        code: String,
        detail: String,
    },
    /// The reply did not have the expected shape.
    Protocol(String),
    /// The node runs with `cluster-enabled no`.
    NotCluster,
    /// None of the node's replicas applied what was written to it within the deadline
    /// (the replicated hand-off of a key batch waits for one).
    NotReplicated(std::time::Duration),
}

impl NodeErrorKind {
    /// An error reply (`code` and the rest of the line), classified: our own
    /// authentication failing is [`NodeErrorKind::Auth`], anything else
    /// [`NodeErrorKind::Server`].
    pub fn from_reply(code: &str, detail: &str) -> NodeErrorKind {
        match code {
            "NOAUTH" => return NodeErrorKind::Auth(AuthFailure::PasswordRequired),
            "WRONGPASS" => return NodeErrorKind::Auth(AuthFailure::WrongPassword),
            // Redis before 6: `ERR invalid password`.
            "ERR" if detail.contains("invalid password") => {
                return NodeErrorKind::Auth(AuthFailure::WrongPassword);
            }
            // A password sent to a node that has none: Redis 6+ and Valkey `ERR AUTH
            // <password> called without any password configured for the default user`,
            // Redis before 6 `ERR Client sent AUTH, but no password is set`.
            "ERR"
                if detail.contains("AUTH <password> called without")
                    || detail.contains("no password is set") =>
            {
                return NodeErrorKind::Auth(AuthFailure::NoPasswordSet);
            }
            _ => {}
        }
        NodeErrorKind::Server {
            error: ServerError::classify(code, detail),
            code: code.to_string(),
            detail: detail.to_string(),
        }
    }

    /// The client library reported an authentication failure: `reply` is the error
    /// reply's kind when there was one.
    pub fn auth_failed(reply: Option<NodeErrorKind>) -> NodeErrorKind {
        match reply {
            Some(k @ NodeErrorKind::Auth(_)) => k,
            _ => NodeErrorKind::Auth(AuthFailure::WrongPassword),
        }
    }
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

    /// No answer within the deadline.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, NodeErrorKind::Timeout(_))
    }

    /// What the server's error reply means, when the error is one.
    pub fn server(&self) -> Option<&ServerError> {
        match &self.kind {
            NodeErrorKind::Server { error, .. } => Some(error),
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
            NodeErrorKind::Server { code, detail, .. } => format!("{code} {detail}"),
            NodeErrorKind::Protocol(e) => format!("unexpected reply: {e}"),
            NodeErrorKind::NotCluster => {
                "cluster support is disabled (cluster-enabled no)".to_string()
            }
            NodeErrorKind::NotReplicated(d) => format!(
                "no replica of it confirmed the keys copied to it within {:.1}s (replication link down or lagging?)",
                d.as_secs_f64()
            ),
        }
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.node, self.reason())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(line: &str) -> ServerError {
        let (code, detail) = line.split_once(' ').unwrap_or((line, ""));
        ServerError::classify(code, detail)
    }

    #[test]
    fn every_code_has_its_variant() {
        assert_eq!(
            class("MOVED 3999 127.0.0.1:6381"),
            ServerError::Moved {
                slot: 3999,
                addr: "127.0.0.1:6381".into()
            }
        );
        assert_eq!(
            class("ASK 12 redis-0.redis:6379"),
            ServerError::Ask {
                slot: 12,
                addr: "redis-0.redis:6379".into()
            }
        );
        let cases = [
            (
                "BUSYKEY Target key name already exists.",
                ServerError::BusyKey,
            ),
            (
                "IOERR error or timeout reading to target instance",
                ServerError::IoErr,
            ),
            (
                "LOADING Redis is loading the dataset in memory",
                ServerError::Loading,
            ),
            ("NOAUTH Authentication required.", ServerError::NoAuth),
            (
                "WRONGPASS invalid username-password pair or user is disabled.",
                ServerError::WrongPass,
            ),
            ("CLUSTERDOWN The cluster is down", ServerError::ClusterDown),
            (
                "TRYAGAIN Multiple keys request during rehashing of slot",
                ServerError::TryAgain,
            ),
            (
                "EXECABORT Transaction discarded because of previous errors.",
                ServerError::ExecAbort,
            ),
            (
                "NOREPLICAS Not enough good replicas to write.",
                ServerError::NoReplicas,
            ),
            (
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
                ServerError::MasterDown,
            ),
            (
                "UNBLOCKED client unblocked via CLIENT UNBLOCK",
                ServerError::Unblocked,
            ),
            ("BUSY Redis is busy running a script.", ServerError::Busy),
            (
                "ERR Unknown node 0123456789abcdef0123456789abcdef01234567",
                ServerError::UnknownNode,
            ),
            (
                "ERR unknown command 'FOO', with args beginning with: ",
                ServerError::UnknownCommand,
            ),
            (
                "ERR unknown subcommand 'MIGRATESLOTS'. Try CLUSTER HELP.",
                ServerError::UnknownCommand,
            ),
            (
                "ERR Unknown subcommand or wrong number of arguments for 'x'. Try CLUSTER HELP.",
                ServerError::UnknownCommand,
            ),
            ("ERR syntax error", ServerError::Syntax),
            (
                "ERR wrong number of arguments for 'info' command",
                ServerError::WrongArity,
            ),
            (
                "ERR Can't assign hashslot 7 to a different node while I still hold keys for this hash slot.",
                ServerError::SlotHasKeys,
            ),
            (
                "ERR Please use SETSLOT only with masters.",
                ServerError::NotMaster,
            ),
            ("ERR I'm not the owner of hash slot 7", ServerError::Err),
            ("ERR", ServerError::Err),
            ("NOPERM this user has no permissions", ServerError::NoPerm),
            ("SOMETHINGNEW we never heard of", ServerError::Other),
            ("MOVED garbage", ServerError::Other),
        ];
        for (line, want) in cases {
            assert_eq!(class(line), want, "{line}");
        }
    }

    #[test]
    fn wrapped_migrate_errors_are_the_targets() {
        assert_eq!(
            class(
                "ERR Target instance replied with error: BUSYKEY Target key name already exists."
            ),
            ServerError::BusyKey
        );
        assert_eq!(
            class("ERR Target instance replied with error: NOAUTH Authentication required."),
            ServerError::NoAuth
        );
        assert_eq!(
            class(
                "ERR Target instance replied with error: WRONGPASS invalid username-password pair"
            ),
            ServerError::WrongPass
        );
        assert_eq!(
            class("ERR Target instance replied with error: LOADING Redis is loading"),
            ServerError::Loading
        );
        assert_eq!(
            class(
                "ERR Target instance replied with error: ERR wrong number of arguments for 'auth' command"
            ),
            ServerError::WrongArity
        );
        assert_eq!(
            class("ERR Target instance replied with error: MOVED 5 10.0.0.1:7000"),
            ServerError::Moved {
                slot: 5,
                addr: "10.0.0.1:7000".into()
            }
        );
        // MIGRATE's own I/O failures carry the code directly.
        assert_eq!(
            class("IOERR error or timeout connecting to the client"),
            ServerError::IoErr
        );
        assert_eq!(
            class("IOERR error or timeout writing to target instance"),
            ServerError::IoErr
        );
        // Other wordings that still name the failure.
        assert_eq!(
            class("ERR Target instance replied with error:"),
            ServerError::Err
        );
        assert_eq!(class("ERR migrate failed: IOERR"), ServerError::IoErr);
        assert_eq!(class("ERR restore: BUSYKEY k"), ServerError::BusyKey);
    }

    #[test]
    fn generic_err_replies_are_told_apart_from_specific_codes() {
        for line in [
            "ERR syntax error",
            "ERR Unknown node x",
            "ERR Please use SETSLOT only with masters.",
            "ERR anything",
        ] {
            assert!(class(line).is_err(), "{line}");
        }
        for line in ["LOADING x", "MOVED 1 a:1", "CLUSTERDOWN x", "WEIRD x"] {
            assert!(!class(line).is_err(), "{line}");
        }
    }

    #[test]
    fn our_own_authentication_failures_are_auth_errors() {
        assert_eq!(
            NodeErrorKind::from_reply("NOAUTH", "Authentication required."),
            NodeErrorKind::Auth(AuthFailure::PasswordRequired)
        );
        for (code, detail) in [
            ("WRONGPASS", "invalid username-password pair"),
            ("ERR", "invalid password"),
        ] {
            assert_eq!(
                NodeErrorKind::from_reply(code, detail),
                NodeErrorKind::Auth(AuthFailure::WrongPassword),
                "{code} {detail}"
            );
        }
        // A password given to a node that has none (Redis 6+ / Valkey, Redis 5).
        for detail in [
            "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            "Client sent AUTH, but no password is set",
        ] {
            assert_eq!(
                NodeErrorKind::from_reply("ERR", detail),
                NodeErrorKind::Auth(AuthFailure::NoPasswordSet),
                "{detail}"
            );
        }
        // A MIGRATE target refusing the source's credentials is the source's error reply.
        let wrapped = NodeErrorKind::from_reply(
            "ERR",
            "Target instance replied with error: WRONGPASS invalid username-password pair",
        );
        assert!(matches!(
            wrapped,
            NodeErrorKind::Server {
                error: ServerError::WrongPass,
                ..
            }
        ));
        assert_eq!(
            NodeErrorKind::auth_failed(None),
            NodeErrorKind::Auth(AuthFailure::WrongPassword)
        );
        assert_eq!(
            NodeErrorKind::auth_failed(Some(NodeErrorKind::from_reply("NOAUTH", ""))),
            NodeErrorKind::Auth(AuthFailure::PasswordRequired)
        );
    }

    #[test]
    fn messages_keep_the_reply_as_sent() {
        let e = NodeError::new("n:1", NodeErrorKind::from_reply("ERR", "Unknown node abc"));
        assert_eq!(e.to_string(), "n:1: ERR Unknown node abc");
        assert_eq!(e.server(), Some(&ServerError::UnknownNode));
    }
}
