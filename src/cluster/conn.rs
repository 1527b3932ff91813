//! One connection per node: TCP (optionally TLS), AUTH, and every command under a deadline.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Cmd, ErrorKind, FromRedisValue, RedisConnectionInfo, Value};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::error::{NodeError, NodeErrorKind, ServerError};
use crate::model::NodeId;
use crate::model::info::Info;
use crate::model::nodes::{NodeEntry, parse_cluster_nodes};

/// A secret (password) that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself: only for sending it to a server.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How to reach every node.
#[derive(Clone)]
pub struct ConnectOptions {
    pub user: Option<String>,
    pub password: Option<Secret>,
    /// rustls configuration and `--sni` override, when TLS is on.
    pub tls: Option<(Arc<rustls::ClientConfig>, Option<String>)>,
    pub connect_timeout: Duration,
    /// Deadline for ordinary commands.
    pub command_timeout: Duration,
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("tls", &self.tls.is_some())
            .field("connect_timeout", &self.connect_timeout)
            .field("command_timeout", &self.command_timeout)
            .finish()
    }
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            user: None,
            password: None,
            tls: None,
            connect_timeout: Duration::from_secs(2),
            command_timeout: Duration::from_secs(5),
        }
    }
}

/// A connected node. Cheap to clone (the connection is multiplexed).
#[derive(Clone)]
pub struct Node {
    /// The address trib connected to.
    pub addr: SocketAddr,
    /// How the user knows this node (`name:port` or `ip:port`), used in every message.
    pub label: String,
    conn: MultiplexedConnection,
    command_timeout: Duration,
    /// What one command of a [`Node::pipeline_paced`] took last, in nanoseconds (0: not
    /// measured yet). Shared by the clones.
    pace: Arc<AtomicU64>,
    /// How this node was reached, for [`Node::another`] and [`Node::connect_like`].
    origin: Arc<Origin>,
}

/// What [`Node::connect`] was given (besides the address).
struct Origin {
    host_name: Option<String>,
    opts: ConnectOptions,
}

/// Commands in the first paced pipeline to a node, before its pace is known: 128
/// replica-acknowledged `SETSLOT`s take about 0.4–1 s on loopback.
const PACE_FIRST: usize = 128;
/// Fewest and most commands in one paced pipeline.
const PACE_MIN: usize = 16;
const PACE_MAX: usize = 4096;
/// What one command is assumed to take before it was measured (a `SETSLOT` waiting for a
/// replica across a slow link).
const PACE_ASSUMED: Duration = Duration::from_millis(10);

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node({} @ {})", self.label, self.addr)
    }
}

impl Node {
    /// Connects (TCP, TLS, AUTH) within `opts.connect_timeout`. `host_name` is the DNS name
    /// the address came from, used as TLS server name unless `--sni` is given.
    pub async fn connect(
        addr: SocketAddr,
        label: &str,
        host_name: Option<&str>,
        opts: &ConnectOptions,
    ) -> Result<Node, NodeError> {
        let mut stream = open_stream(addr, label, host_name, opts).await?;
        if let Some(pw) = &opts.password {
            authenticate(
                &mut stream,
                opts.user.as_deref(),
                pw,
                opts.connect_timeout,
                label,
            )
            .await?;
        }
        let info = RedisConnectionInfo::default().set_skip_set_lib_name();
        let config = AsyncConnectionConfig::new().set_response_timeout(None);
        let conn = handshake(&info, stream, config, opts.connect_timeout, label).await?;
        Ok(Node {
            addr,
            label: label.to_string(),
            conn,
            command_timeout: opts.command_timeout,
            pace: Arc::new(AtomicU64::new(0)),
            origin: Arc::new(Origin {
                host_name: host_name.map(str::to_string),
                opts: opts.clone(),
            }),
        })
    }

    /// A second, separate connection to this node (same options): for connection state
    /// that must not be shared, such as `WATCH`, which the clones of one [`Node`] would
    /// interleave.
    pub async fn another(&self) -> Result<Node, NodeError> {
        let o = &self.origin;
        Node::connect(self.addr, &self.label, o.host_name.as_deref(), &o.opts).await
    }

    /// A connection to another node (e.g. a replica this node named) with the options this
    /// one was reached with.
    pub async fn connect_like(&self, addr: SocketAddr, label: &str) -> Result<Node, NodeError> {
        Node::connect(addr, label, None, &self.origin.opts).await
    }

    /// Runs one command under the default command deadline.
    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, NodeError> {
        self.query_within(cmd, self.command_timeout).await
    }

    /// Runs one command under a given deadline.
    pub async fn query_within<T: FromRedisValue>(
        &self,
        cmd: &Cmd,
        timeout: Duration,
    ) -> Result<T, NodeError> {
        let mut conn = self.conn.clone();
        let value: Value = tokio::time::timeout(timeout, cmd.query_async(&mut conn))
            .await
            .map_err(|_| NodeError::new(&self.label, NodeErrorKind::Timeout("command")))?
            .map_err(|e| map_redis_error(&self.label, &e))?;
        T::from_redis_value(value)
            .map_err(|e| NodeError::new(&self.label, NodeErrorKind::Protocol(e.to_string())))
    }

    /// Runs a pipeline; every reply is returned, including error replies as `Err` entries.
    pub async fn pipeline(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<Vec<Result<Value, NodeError>>, NodeError> {
        self.pipeline_within(pipe, self.command_timeout).await
    }

    /// [`Node::pipeline`] for commands that may each take long on the server: cut into
    /// pipelines sized so that each is expected to take about a quarter of the command
    /// timeout (learned from the previous ones on this node), each under a deadline that
    /// grows with what it holds. Valkey 8+ answers `CLUSTER SETSLOT` on a primary only once
    /// its replicas acknowledged it (a few ms each, one after the other): 4096 of them in
    /// one pipeline outlast any fixed deadline, while on Redis they take microseconds and
    /// one pipeline stays one round trip. The replies are those of the whole pipeline, in
    /// order; a pipeline that fails stops the rest (the earlier ones were run).
    pub async fn pipeline_paced(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<Vec<Result<Value, NodeError>>, NodeError> {
        let cmds: Vec<&Cmd> = pipe.cmd_iter().collect();
        let mut out = Vec::with_capacity(cmds.len());
        let mut rest = &cmds[..];
        while !rest.is_empty() {
            let per_cmd = Duration::from_nanos(self.pace.load(Ordering::Relaxed));
            let n = pace_chunk(per_cmd, self.command_timeout).min(rest.len());
            let (chunk, later) = rest.split_at(n);
            rest = later;
            let mut part = redis::pipe();
            for c in chunk {
                part.add_command((*c).clone());
            }
            let assumed = if per_cmd.is_zero() {
                PACE_ASSUMED
            } else {
                per_cmd
            };
            let deadline = self.command_timeout + assumed.saturating_mul(2 * n as u32);
            let started = Instant::now();
            out.extend(self.pipeline_within(&part, deadline).await?);
            let took = started.elapsed().as_nanos() / n as u128;
            self.pace.store(
                u64::try_from(took).unwrap_or(u64::MAX).max(1),
                Ordering::Relaxed,
            );
        }
        Ok(out)
    }

    /// Runs a pipeline under a given deadline.
    pub async fn pipeline_within(
        &self,
        pipe: &redis::Pipeline,
        timeout: Duration,
    ) -> Result<Vec<Result<Value, NodeError>>, NodeError> {
        self.pipeline_owned(pipe.clone(), timeout).await
    }

    /// [`Node::pipeline_within`] for a pipeline built for this call alone: not copied
    /// (a relayed batch carries every key's `DUMP` payload).
    pub async fn pipeline_owned(
        &self,
        mut pipe: redis::Pipeline,
        timeout: Duration,
    ) -> Result<Vec<Result<Value, NodeError>>, NodeError> {
        let mut conn = self.conn.clone();
        let values: Vec<Value> =
            tokio::time::timeout(timeout, pipe.ignore_errors().query_async(&mut conn))
                .await
                .map_err(|_| NodeError::new(&self.label, NodeErrorKind::Timeout("pipeline")))?
                .map_err(|e| map_redis_error(&self.label, &e))?;
        Ok(values
            .into_iter()
            .map(|v| match v {
                Value::ServerError(e) => {
                    let e: redis::RedisError = e.into();
                    Err(map_redis_error(&self.label, &e))
                }
                other => Ok(other),
            })
            .collect())
    }

    /// `CLUSTER NODES`, parsed.
    pub async fn cluster_nodes(&self) -> Result<Vec<NodeEntry>, NodeError> {
        let text: String = self.query(redis::cmd("CLUSTER").arg("NODES")).await?;
        parse_cluster_nodes(&text)
            .map_err(|e| NodeError::new(&self.label, NodeErrorKind::Protocol(e.to_string())))
    }

    /// `INFO` with the given sections (e.g. `["server", "keyspace"]`); all default sections when empty.
    pub async fn info(&self, sections: &[&str]) -> Result<Info, NodeError> {
        let mut cmd = redis::cmd("INFO");
        for s in sections {
            cmd.arg(*s);
        }
        let text: String = self.query(&cmd).await?;
        Ok(Info::parse(text))
    }

    /// `CLUSTER INFO`, parsed.
    pub async fn cluster_info(&self) -> Result<Info, NodeError> {
        let text: String = self.query(redis::cmd("CLUSTER").arg("INFO")).await?;
        Ok(Info::parse(text))
    }

    /// `CLUSTER MYID`.
    pub async fn myid(&self) -> Result<NodeId, NodeError> {
        let id: String = self.query(redis::cmd("CLUSTER").arg("MYID")).await?;
        NodeId::parse(id.trim()).ok_or_else(|| {
            NodeError::new(
                &self.label,
                NodeErrorKind::Protocol(format!("CLUSTER MYID returned {id:?}")),
            )
        })
    }

    /// A command whose reply must be `OK`.
    pub async fn ok(&self, cmd: &Cmd) -> Result<(), NodeError> {
        let v: Value = self.query(cmd).await?;
        match v {
            Value::Okay | Value::SimpleString(_) => Ok(()),
            other => Err(NodeError::new(
                &self.label,
                NodeErrorKind::Protocol(format!("expected OK, got {other:?}")),
            )),
        }
    }
}

/// Commands in the next paced pipeline: about a quarter of `timeout` at `per_cmd` each
/// (zero: not measured yet), within [`PACE_MIN`]..=[`PACE_MAX`].
fn pace_chunk(per_cmd: Duration, timeout: Duration) -> usize {
    if per_cmd.is_zero() {
        return PACE_FIRST;
    }
    let fits = (timeout / 4).as_nanos() / per_cmd.as_nanos().max(1);
    usize::try_from(fits)
        .unwrap_or(PACE_MAX)
        .clamp(PACE_MIN, PACE_MAX)
}

/// A byte stream to a node: plain TCP or TLS.
pub trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Stream for T {}

/// Opens TCP (and TLS when configured) to a node within the connect timeout, without
/// speaking Redis yet: [`Node::connect`] and the replication-protocol reader share it.
pub async fn open_stream(
    addr: SocketAddr,
    label: &str,
    host_name: Option<&str>,
    opts: &ConnectOptions,
) -> Result<Box<dyn Stream>, NodeError> {
    let err = |kind| NodeError::new(label, kind);
    let deadline = opts.connect_timeout;
    let tcp = tokio::time::timeout(deadline, TcpStream::connect(addr))
        .await
        .map_err(|_| err(NodeErrorKind::Timeout("connect")))?
        .map_err(|e| err(NodeErrorKind::Connect(io_reason(&e))))?;
    let _ = tcp.set_nodelay(true);
    match &opts.tls {
        None => Ok(Box::new(tcp)),
        Some((tls, sni)) => {
            let name = super::tls::server_name(sni.as_deref(), host_name, addr.ip())
                .map_err(|e| err(NodeErrorKind::Tls(e.to_string())))?;
            let stream =
                tokio::time::timeout(deadline, TlsConnector::from(tls.clone()).connect(name, tcp))
                    .await
                    .map_err(|_| err(NodeErrorKind::Timeout("TLS handshake")))?
                    .map_err(|e| {
                        let why = super::tls::explain(&e).unwrap_or_else(|| e.to_string());
                        err(NodeErrorKind::Tls(why))
                    })?;
            Ok(Box::new(stream))
        }
    }
}

async fn handshake<S>(
    info: &RedisConnectionInfo,
    stream: S,
    config: AsyncConnectionConfig,
    deadline: Duration,
    label: &str,
) -> Result<MultiplexedConnection, NodeError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (conn, driver) = tokio::time::timeout(
        deadline,
        MultiplexedConnection::new_with_config(info, stream, config),
    )
    .await
    .map_err(|_| NodeError::new(label, NodeErrorKind::Timeout("handshake")))?
    .map_err(|e| map_redis_error(label, &e))?;
    tokio::spawn(driver);
    Ok(conn)
}

/// `AUTH [user] password` on the raw stream, before the connection takes it over. Sent
/// by trib rather than by the client library (which replaces the server's reply with its
/// own "authentication failed"), so that the reply is classified like any other
/// ([`NodeErrorKind::from_reply`]): a wrong password, or a node that has no password set,
/// each says so. Sent right after the TLS handshake, as the library did: a node that
/// refuses our client certificate answers it with an alert, which then explains the
/// failure. Redis 5 knows no users: `AUTH user password` is a wrong-arity error there, and
/// the password alone is sent then.
async fn authenticate(
    stream: &mut Box<dyn Stream>,
    user: Option<&str>,
    password: &Secret,
    deadline: Duration,
    label: &str,
) -> Result<(), NodeError> {
    let auth = |user: Option<&str>| match user {
        Some(u) => resp(&[b"AUTH", u.as_bytes(), password.expose().as_bytes()]),
        None => resp(&[b"AUTH", password.expose().as_bytes()]),
    };
    let reply = |line: String| -> Result<(), NodeError> {
        match line.strip_prefix('-') {
            None if line.starts_with('+') => Ok(()),
            None => Err(NodeError::new(
                label,
                NodeErrorKind::Protocol(format!("AUTH answered {line:?}")),
            )),
            Some(e) => {
                let (code, detail) = e.split_once(' ').unwrap_or((e, ""));
                Err(NodeError::new(
                    label,
                    NodeErrorKind::from_reply(code, detail),
                ))
            }
        }
    };
    match reply(exchange(stream, &auth(user), deadline, label).await?) {
        Err(e) if user.is_some() && e.server() == Some(&ServerError::WrongArity) => {
            reply(exchange(stream, &auth(None), deadline, label).await?)
        }
        other => other,
    }
}

/// Sends one command on the raw stream and reads its one-line reply (a status or an
/// error), within `deadline`.
async fn exchange(
    stream: &mut Box<dyn Stream>,
    command: &[u8],
    deadline: Duration,
    label: &str,
) -> Result<String, NodeError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let io = |e: std::io::Error| {
        let kind = match super::tls::explain(&e) {
            Some(why) => NodeErrorKind::Tls(why),
            None => NodeErrorKind::Connect(io_reason(&e)),
        };
        NodeError::new(label, kind)
    };
    let run = async {
        stream.write_all(command).await.map_err(io)?;
        stream.flush().await.map_err(io)?;
        let mut line = Vec::new();
        loop {
            match stream.read_u8().await.map_err(io)? {
                b'\n' => break,
                b => line.push(b),
            }
            if line.len() > 4096 {
                return Err(NodeError::new(
                    label,
                    NodeErrorKind::Protocol("a reply line longer than 4096 bytes".into()),
                ));
            }
        }
        Ok(String::from_utf8_lossy(&line).trim_end().to_string())
    };
    tokio::time::timeout(deadline, run)
        .await
        .map_err(|_| NodeError::new(label, NodeErrorKind::Timeout("AUTH")))?
}

/// One RESP command as bytes.
pub(crate) fn resp(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// `EMFILE` (Linux, macOS and the BSDs): the process is out of file descriptors.
const EMFILE: i32 = 24;

fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    if e.raw_os_error() == Some(EMFILE) {
        // trib's own limit, not the node's fault: say so, or a healthy node looks dead.
        return "trib is out of file descriptors: its open file limit (ulimit -n) is lower than the cluster's node count".into();
    }
    match e.kind() {
        K::ConnectionRefused => "connection refused".into(),
        K::TimedOut => "timed out".into(),
        K::HostUnreachable => "host unreachable".into(),
        K::NetworkUnreachable => "network unreachable".into(),
        K::ConnectionReset => "connection reset".into(),
        _ => e.to_string(),
    }
}

/// Maps a redis-rs error to a typed node error. Error replies are classified here, once
/// ([`NodeErrorKind::from_reply`]); callers match on the [`super::error::ServerError`].
pub fn map_redis_error(label: &str, e: &redis::RedisError) -> NodeError {
    let reply = e
        .code()
        .map(|code| NodeErrorKind::from_reply(code, e.detail().unwrap_or("")));
    let kind = if e.kind() == ErrorKind::AuthenticationFailed {
        NodeErrorKind::auth_failed(reply)
    } else if let Some(kind) = reply {
        kind
    } else if e.is_timeout() {
        NodeErrorKind::Timeout("command")
    } else if let Some(why) = super::tls::explain(e) {
        // A TLS alert on the first read: the node refused our client certificate.
        NodeErrorKind::Tls(why)
    } else if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
        NodeErrorKind::Connect(e.to_string())
    } else {
        NodeErrorKind::Protocol(e.to_string())
    };
    NodeError::new(label, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paced_pipelines_fit_a_quarter_of_the_timeout() {
        let t = Duration::from_secs(5);
        // Not measured yet: a first pipeline small enough for slow replicas.
        assert_eq!(pace_chunk(Duration::ZERO, t), PACE_FIRST);
        // Redis: microseconds per SETSLOT, one pipeline of the most.
        assert_eq!(pace_chunk(Duration::from_micros(5), t), PACE_MAX);
        // Valkey 8+ with a replica: ~3 ms each, 1.25 s / 3 ms.
        assert_eq!(pace_chunk(Duration::from_millis(3), t), 416);
        // Very slow: never fewer than the least.
        assert_eq!(pace_chunk(Duration::from_secs(1), t), PACE_MIN);
    }
}
