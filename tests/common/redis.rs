//! Real `redis-server` processes for integration tests.
//!
//! Every node gets its own temp dir (redis.conf, nodes.conf, redis.log), a client port and a
//! *separately chosen* cluster bus port (`cluster-port`, so the bus port is never `port + 10000`),
//! and binds to one loopback IP. IPs other than 127.0.0.1 also set `cluster-announce-ip` and
//! `bind-source-addr`, so 127.0.0.2, 127.0.0.3, ... behave like separate hosts (Linux routes all of
//! 127/8 to `lo`, no setup needed).
//!
//! With [`NodeOptions::tls`] a node speaks only TLS (clients, cluster bus, replication).
//!
//! Dropping a [`RedisNode`] SIGKILLs and reaps the process (also when frozen).
//!
//! Binaries can be overridden with `TRIB_TEST_REDIS_SERVER` / `TRIB_TEST_REDIS_CLI`.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::pki::TlsFiles;

/// How long a node gets to answer PING after being spawned.
const START_TIMEOUT: Duration = Duration::from_secs(5);
/// Default timeout for [`RedisNode::cmd`] / [`RedisNode::try_cmd`].
const CMD_TIMEOUT: Duration = Duration::from_secs(10);
/// Ports are taken from `[PORT_LO, PORT_HI)`: below the Linux ephemeral range (32768-60999), so
/// outgoing connections never steal them.
const PORT_LO: u32 = 20000;
const PORT_HI: u32 = 32000;

fn redis_server_bin() -> String {
    std::env::var("TRIB_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into())
}

fn redis_cli_bin() -> String {
    std::env::var("TRIB_TEST_REDIS_CLI").unwrap_or_else(|_| "redis-cli".into())
}

/// Options for [`RedisNode::start`]. `NodeOptions::default()` is a cluster-enabled node on
/// 127.0.0.1 without password.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// IP to bind (and, unless 127.0.0.1, announce / use as source for the cluster bus).
    pub ip: Ipv4Addr,
    pub cluster_enabled: bool,
    /// Sets both `requirepass` and `masterauth`.
    pub password: Option<String>,
    /// Extra config lines `key value`, written verbatim after the defaults (so they override them,
    /// e.g. `("cluster-node-timeout", "500")`).
    pub extra: Vec<(String, String)>,
    /// Client port to use instead of a free one (the bus port is still chosen freely). Lets
    /// nodes on different IPs share a port number (e.g. behind a headless DNS name); pick it with
    /// [`free_port_on_every_ip`]. A start fails (panics) if it stays taken on `ip`.
    pub port: Option<u16>,
    /// TLS only: `port 0`, the client port is `tls-port`, and TLS on the cluster bus
    /// (`tls-cluster`) and for replication (`tls-replication`), client certificates required
    /// (`tls-auth-clients yes`). The node's certificate is its server and client certificate;
    /// the harness's own `redis-cli` calls use it too.
    pub tls: Option<TlsFiles>,
}

impl Default for NodeOptions {
    fn default() -> Self {
        NodeOptions {
            ip: Ipv4Addr::LOCALHOST,
            cluster_enabled: true,
            password: None,
            extra: Vec::new(),
            port: None,
            tls: None,
        }
    }
}

impl NodeOptions {
    /// Same options on another IP.
    pub fn on(&self, ip: Ipv4Addr) -> NodeOptions {
        NodeOptions { ip, ..self.clone() }
    }

    /// The same options with one more config line `key value` (replacing an earlier
    /// [`extra`](Self::extra) line for `key`).
    pub fn with(mut self, key: &str, value: &str) -> NodeOptions {
        self.extra.retain(|(k, _)| k != key);
        self.extra.push((key.to_string(), value.to_string()));
        self
    }
}

/// A running `redis-server`. Dropping it kills (SIGKILL) and reaps the process.
#[derive(Debug)]
pub struct RedisNode {
    pub ip: Ipv4Addr,
    pub port: u16,
    pub bus_port: u16,
    dir: tempfile::TempDir,
    child: Child,
    opts: NodeOptions,
}

/// Observable state of a node, for "nothing changed" assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSnapshot {
    /// CLUSTER MYID ("" if cluster mode is disabled).
    pub myid: String,
    /// CLUSTER NODES lines, sorted, with ping-sent / pong-recv (and the link state of failing
    /// nodes) replaced by `*`.
    pub nodes: Vec<String>,
    pub cluster_info_known_nodes: u64,
    pub slots_assigned: u64,
    pub dbsize: u64,
    /// KEYS *, sorted.
    pub keys: Vec<String>,
    /// `role:` from INFO replication (master / slave).
    pub role: String,
    /// `cluster_my_epoch` from CLUSTER INFO ("" if cluster mode is disabled).
    pub config_epoch: String,
}

// ---------------------------------------------------------------------------------------------
// Ports

/// Next candidate port. A process-wide counter, starting at an offset derived from the pid so
/// test binaries running at the same time start far apart.
fn next_candidate_port() -> u16 {
    static SEED: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let span = PORT_HI - PORT_LO;
    let seed = *SEED.get_or_init(|| std::process::id().wrapping_mul(2_654_435_761) % span);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    (PORT_LO + (seed.wrapping_add(n) % span)) as u16
}

/// True if nobody listens on `port`: checks both `ip` and the wildcard address (the latter fails
/// if anything listens on the port on any IP, which keeps ports unique across our fake hosts and
/// leaves [`RedisNode::restart_on`] room to move the node to another IP with the same port).
fn port_is_free(ip: Ipv4Addr, port: u16) -> bool {
    TcpListener::bind((ip, port)).is_ok()
        && TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok()
}

fn free_port(ip: Ipv4Addr, except: Option<u16>) -> u16 {
    for _ in 0..(PORT_HI - PORT_LO) {
        let p = next_candidate_port();
        if Some(p) != except && port_is_free(ip, p) {
            return p;
        }
    }
    panic!("no free port in {PORT_LO}..{PORT_HI} on {ip}");
}

/// A client port (`fixed` if given) and a separately chosen bus port, both currently free.
fn free_port_pair(ip: Ipv4Addr, fixed: Option<u16>) -> (u16, u16) {
    let port = fixed.unwrap_or_else(|| free_port(ip, None));
    let bus = free_port(ip, Some(port));
    (port, bus)
}

/// A port nobody listens on, on any IP (from the same range and sequence as the harness's own
/// ports), for [`NodeOptions::port`].
pub fn free_port_on_every_ip() -> u16 {
    free_port(Ipv4Addr::UNSPECIFIED, None)
}

// ---------------------------------------------------------------------------------------------
// Config and process management

/// Quote a config value for redis.conf (double quotes, backslash escapes).
fn quote(v: &str) -> String {
    let mut s = String::from("\"");
    for c in v.chars() {
        match c {
            '"' | '\\' => {
                s.push('\\');
                s.push(c);
            }
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            _ => s.push(c),
        }
    }
    s.push('"');
    s
}

fn write_config(dir: &Path, opts: &NodeOptions, ip: Ipv4Addr, port: u16, bus_port: u16) {
    let mut c = String::new();
    let yes_no = if opts.cluster_enabled { "yes" } else { "no" };
    match &opts.tls {
        None => {
            let _ = writeln!(c, "port {port}");
        }
        Some(tls) => {
            let path = |p: &Path| quote(&p.to_string_lossy());
            let _ = writeln!(c, "port 0");
            let _ = writeln!(c, "tls-port {port}");
            let _ = writeln!(c, "tls-cert-file {}", path(&tls.cert));
            let _ = writeln!(c, "tls-key-file {}", path(&tls.key));
            let _ = writeln!(c, "tls-ca-cert-file {}", path(&tls.ca));
            let _ = writeln!(c, "tls-auth-clients yes");
            let _ = writeln!(c, "tls-cluster yes");
            let _ = writeln!(c, "tls-replication yes");
        }
    }
    let _ = writeln!(c, "bind {ip}");
    let _ = writeln!(c, "cluster-enabled {yes_no}");
    let _ = writeln!(c, "cluster-config-file nodes.conf");
    let _ = writeln!(c, "cluster-node-timeout 2000");
    let _ = writeln!(c, "cluster-port {bus_port}");
    if ip != Ipv4Addr::LOCALHOST {
        let _ = writeln!(c, "cluster-announce-ip {ip}");
        let _ = writeln!(c, "bind-source-addr {ip}");
    }
    let _ = writeln!(c, "dir {}", quote(&dir.to_string_lossy()));
    let _ = writeln!(c, "appendonly no");
    let _ = writeln!(c, "save \"\"");
    let _ = writeln!(c, "daemonize no");
    let _ = writeln!(c, "protected-mode no");
    let _ = writeln!(c, "enable-debug-command yes");
    let _ = writeln!(
        c,
        "logfile {}",
        quote(&dir.join("redis.log").to_string_lossy())
    );
    if let Some(pw) = &opts.password {
        let _ = writeln!(c, "requirepass {}", quote(pw));
        let _ = writeln!(c, "masterauth {}", quote(pw));
    }
    for (k, v) in &opts.extra {
        let _ = writeln!(c, "{k} {v}");
    }
    std::fs::write(dir.join("redis.conf"), c).expect("write redis.conf");
}

fn spawn_server(dir: &Path) -> Child {
    // Config errors are reported on stderr before the logfile is opened.
    let out = std::fs::File::create(dir.join("stderr.log")).expect("create stderr.log");
    Command::new(redis_server_bin())
        .arg(dir.join("redis.conf"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup stderr.log"))
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn {}: {e}", redis_server_bin()))
}

fn log_tail(dir: &Path, lines: usize) -> String {
    let mut log = std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();
    log.push_str(&std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default());
    let all: Vec<&str> = log.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// One raw PING over TCP; true if the server answered (`+PONG`, or `-NOAUTH` with a password).
fn answers_ping(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(n) if n > 0 => buf[..n].starts_with(b"+PONG") || buf[..n].starts_with(b"-NOAUTH"),
        _ => false,
    }
}

enum StartError {
    AddrInUse(String),
    Other(String),
}

/// `redis-cli -e` to `ip:port` with the node's TLS files and password (if any).
fn cli_command(ip: Ipv4Addr, port: u16, opts: &NodeOptions) -> Command {
    let mut c = Command::new(redis_cli_bin());
    c.arg("-e")
        .args(["-h", &ip.to_string(), "-p", &port.to_string()]);
    if let Some(tls) = &opts.tls {
        c.args(tls.args());
    }
    if let Some(pw) = &opts.password {
        c.args(["-a", pw, "--no-auth-warning"]);
    }
    c
}

/// Whether the node answers PING: a raw PING over TCP, or `redis-cli` over TLS.
fn node_answers(ip: Ipv4Addr, port: u16, opts: &NodeOptions) -> bool {
    if opts.tls.is_none() {
        return answers_ping(SocketAddr::from((ip, port)));
    }
    let mut c = cli_command(ip, port, opts);
    c.arg("PING");
    matches!(run_with_timeout(&mut c, Duration::from_secs(1)), Ok(r) if r == "PONG")
}

/// Poll (every 10 ms) until the node answers PING; fail early if the process exits.
fn wait_ready(
    child: &mut Child,
    dir: &Path,
    opts: &NodeOptions,
    port: u16,
) -> Result<(), StartError> {
    let ip = opts.ip;
    let addr = SocketAddr::from((ip, port));
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let tail = log_tail(dir, 30);
            let msg =
                format!("redis-server on {addr} exited ({status}); redis.log / stderr:\n{tail}");
            return Err(if tail.contains("Address already in use") {
                StartError::AddrInUse(msg)
            } else {
                StartError::Other(msg)
            });
        }
        if node_answers(ip, port, opts) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(StartError::Other(format!(
                "redis-server on {addr} did not answer PING within {START_TIMEOUT:?}; redis.log / stderr:\n{}",
                log_tail(dir, 30)
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(pid: u32, sig: &str) {
    let st = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(st.success(), "kill {sig} {pid} failed");
}

impl RedisNode {
    /// Start a node and wait until it answers PING. Panics (with the tail of redis.log) if it does
    /// not come up within ~5 s. Retries with other ports if a port was taken in the meantime.
    pub fn start(opts: &NodeOptions) -> RedisNode {
        let dir = tempfile::Builder::new()
            .prefix("trib-redis-")
            .tempdir()
            .expect("create temp dir");
        let mut last = String::new();
        for _attempt in 0..8 {
            let (port, bus_port) = free_port_pair(opts.ip, opts.port);
            // Fresh start for every attempt.
            let _ = std::fs::remove_file(dir.path().join("nodes.conf"));
            let _ = std::fs::remove_file(dir.path().join("redis.log"));
            let _ = std::fs::remove_file(dir.path().join("stderr.log"));
            write_config(dir.path(), opts, opts.ip, port, bus_port);
            let mut child = spawn_server(dir.path());
            match wait_ready(&mut child, dir.path(), opts, port) {
                Ok(()) => {
                    return RedisNode {
                        ip: opts.ip,
                        port,
                        bus_port,
                        dir,
                        child,
                        opts: opts.clone(),
                    };
                }
                // With a fixed client port, the retry still picks another bus port.
                Err(StartError::AddrInUse(msg)) => last = msg,
                Err(StartError::Other(msg)) => panic!("{msg}"),
            }
        }
        panic!("could not start redis-server (ports kept being taken); last error: {last}");
    }

    /// "ip:port".
    pub fn addr(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }

    /// "ip:port@bus_port", as shown in CLUSTER NODES.
    pub fn cluster_addr(&self) -> String {
        format!("{}:{}@{}", self.ip, self.port, self.bus_port)
    }

    pub fn password(&self) -> Option<&str> {
        self.opts.password.as_deref()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last `lines` lines of the server's stderr followed by redis.log.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(self.dir.path(), lines)
    }

    /// Run a command via `redis-cli -e` (authenticating if the node has a password, over TLS
    /// with the node's certificate if it is a TLS node) and return
    /// stdout trimmed. Panics if it cannot be run, times out (10 s) or returns an error reply.
    pub fn cmd(&self, args: &[&str]) -> String {
        self.try_cmd(args)
            .unwrap_or_else(|e| panic!("{} {args:?} failed: {e}", self.addr()))
    }

    /// Like [`cmd`](Self::cmd) but returns `Err` (redis-cli's message, e.g. "NOAUTH ...",
    /// "ERR unknown command ...", "Could not connect ...", or "timeout") instead of panicking.
    pub fn try_cmd(&self, args: &[&str]) -> Result<String, String> {
        self.try_cmd_timeout(args, CMD_TIMEOUT)
    }

    /// [`try_cmd`](Self::try_cmd) with a custom timeout (useful against frozen nodes).
    pub fn try_cmd_timeout(&self, args: &[&str], timeout: Duration) -> Result<String, String> {
        let mut c = cli_command(self.ip, self.port, &self.opts);
        c.args(args);
        run_with_timeout(&mut c, timeout)
    }

    /// `CLUSTER MEET` `other` (its IP, client port and bus port); returns the reply.
    pub fn meet(&self, other: &RedisNode) -> String {
        self.cmd(&[
            "CLUSTER",
            "MEET",
            &other.ip.to_string(),
            &other.port.to_string(),
            &other.bus_port.to_string(),
        ])
    }

    /// Runs many commands through one `redis-cli` (one command a line on its stdin, without
    /// `-e`: every command runs whatever the replies); returns its stdout, a line a reply.
    pub fn pipe(&self, commands: &[String]) -> Vec<String> {
        let mut c = Command::new(redis_cli_bin());
        c.args(["-h", &self.ip.to_string(), "-p", &self.port.to_string()]);
        if let Some(tls) = &self.opts.tls {
            c.args(tls.args());
        }
        if let Some(pw) = &self.opts.password {
            c.args(["-a", pw, "--no-auth-warning"]);
        }
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", redis_cli_bin()));
        {
            let mut stdin = child.stdin.take().expect("redis-cli stdin");
            for cmd in commands {
                writeln!(stdin, "{cmd}").expect("write to redis-cli");
            }
        }
        let out = child.wait_with_output().expect("wait for redis-cli");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Snapshot of the node's observable state (works for cluster and non-cluster nodes).
    pub fn snapshot(&self) -> NodeSnapshot {
        let cluster = self.opts.cluster_enabled;
        let myid = if cluster {
            self.cmd(&["CLUSTER", "MYID"])
        } else {
            String::new()
        };
        let mut nodes: Vec<String> = if cluster {
            self.cmd(&["CLUSTER", "NODES"])
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let mut f: Vec<&str> = l.split_whitespace().collect();
                    if f.len() > 5 {
                        f[4] = "*";
                        f[5] = "*";
                    }
                    // The link state flaps on its own while a node is down (each reconnect
                    // attempt creates a link that is "connected" until the connect fails):
                    // it is not state trib changes.
                    if f.len() > 7 && f[2].contains("fail") {
                        f[7] = "*";
                    }
                    f.join(" ")
                })
                .collect()
        } else {
            Vec::new()
        };
        nodes.sort();
        let info = if cluster {
            self.cmd(&["CLUSTER", "INFO"])
        } else {
            String::new()
        };
        let field = |name: &str| -> String {
            info.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let num = |name: &str| field(name).parse::<u64>().unwrap_or(0);
        let repl = self.cmd(&["INFO", "replication"]);
        let role = repl
            .lines()
            .find_map(|l| l.strip_prefix("role:"))
            .unwrap_or("")
            .trim()
            .to_string();
        let dbsize = self
            .cmd(&["DBSIZE"])
            .parse()
            .unwrap_or_else(|e| panic!("DBSIZE on {}: {e}", self.addr()));
        let mut keys: Vec<String> = self
            .cmd(&["KEYS", "*"])
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        keys.sort();
        NodeSnapshot {
            myid,
            nodes,
            cluster_info_known_nodes: num("cluster_known_nodes"),
            slots_assigned: num("cluster_slots_assigned"),
            dbsize,
            keys,
            role,
            config_epoch: field("cluster_my_epoch"),
        }
    }

    /// CLUSTER MYID.
    pub fn node_id(&self) -> String {
        self.cmd(&["CLUSTER", "MYID"])
    }

    /// Kill the process (SIGKILL, like a crash) and reap it. Idempotent. The temp dir (and
    /// nodes.conf) is kept until the `RedisNode` is dropped.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// True if the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGSTOP: the node keeps its sockets but answers nothing.
    pub fn freeze(&self) {
        signal(self.child.id(), "-STOP");
    }

    /// SIGCONT.
    pub fn thaw(&self) {
        signal(self.child.id(), "-CONT");
    }

    /// Start the node again after a crash ([`stop`](Self::stop)) or kill: same dir (nodes.conf,
    /// so the same node ID; the data if it runs with `appendonly yes`), same IP and ports.
    pub fn restart(&mut self) {
        self.restart_on(self.ip);
    }

    /// Stop the node and start it again with the same dir (nodes.conf, so the same node ID),
    /// the same client and bus ports, but bound to / announcing `ip`. Panics if it does not come
    /// up (e.g. the port is taken on the new IP).
    ///
    /// Caveat: moving a node *to* 127.0.0.1 sets no `cluster-announce-ip`, so its own idea of its
    /// IP stays the old one until it gets a MEET; moving to any other IP is exact.
    pub fn restart_on(&mut self, ip: Ipv4Addr) {
        self.stop();
        self.opts.ip = ip;
        self.ip = ip;
        write_config(self.dir.path(), &self.opts, ip, self.port, self.bus_port);
        self.child = spawn_server(self.dir.path());
        match wait_ready(&mut self.child, self.dir.path(), &self.opts, self.port) {
            Ok(()) => {}
            Err(StartError::AddrInUse(m) | StartError::Other(m)) => {
                panic!("restart_on({ip}) failed: {m}")
            }
        }
    }
}

impl Drop for RedisNode {
    fn drop(&mut self) {
        // SIGKILL also terminates a SIGSTOPped process.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `cmd` capturing output; Err on spawn failure, non-zero exit, or timeout (child killed).
fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<String, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", redis_cli_bin()))?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(timeout) {
        Ok(out) => out,
        Err(_) => {
            // The reader thread still owns (and will reap) the child, so the pid is still valid.
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let _ = reader.join();
            return Err(format!("timeout after {timeout:?}"));
        }
    };
    let _ = reader.join();
    let out = out.map_err(|e| format!("redis-cli: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() {
        Ok(stdout)
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(match (stderr.is_empty(), stdout.is_empty()) {
            (false, false) => format!("{stderr}\n{stdout}"),
            (false, true) => stderr,
            _ => stdout,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Groups

/// Start `n` nodes with `opts`, in parallel.
pub fn start_nodes(n: usize, opts: &NodeOptions) -> Vec<RedisNode> {
    start_all(&vec![opts.clone(); n])
}

/// Start `count` nodes on each IP, in parallel, e.g.
/// `[(127.0.0.2, 2), (127.0.0.3, 2), (127.0.0.4, 2)]`. `opts.ip` is ignored. Nodes are returned
/// grouped by host in the given order.
pub fn start_on_hosts(per_host: &[(Ipv4Addr, usize)], opts: &NodeOptions) -> Vec<RedisNode> {
    let all: Vec<NodeOptions> = per_host
        .iter()
        .flat_map(|&(ip, n)| std::iter::repeat_n(opts.on(ip), n))
        .collect();
    start_all(&all)
}

fn start_all(opts: &[NodeOptions]) -> Vec<RedisNode> {
    std::thread::scope(|s| {
        let handles: Vec<_> = opts
            .iter()
            .map(|o| s.spawn(move || RedisNode::start(o)))
            .collect();
        // Join all before propagating a panic, so started nodes are dropped (killed).
        let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        let mut nodes = Vec::with_capacity(results.len());
        let mut failure = None;
        for r in results {
            match r {
                Ok(n) => nodes.push(n),
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        if let Some(e) = failure {
            drop(nodes);
            std::panic::resume_unwind(e);
        }
        nodes
    })
}

/// True if all nodes report the same CLUSTER NODES table (ignoring `myself`, ping-sent,
/// pong-recv, the link state of failing nodes): same members, addresses, flags, masters, config
/// epochs, link states and slots.
/// Wrap it in [`wait_until`](super::wait_until) to wait for a cluster to settle.
pub fn views_agree(nodes: &[RedisNode]) -> bool {
    let normalized = |n: &RedisNode| -> Option<Vec<String>> {
        let mut lines: Vec<String> = n
            .try_cmd(&["CLUSTER", "NODES"])
            .ok()?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let mut f: Vec<String> = l.split_whitespace().map(str::to_string).collect();
                if f.len() > 5 {
                    f[2] = f[2]
                        .split(',')
                        .filter(|fl| *fl != "myself")
                        .collect::<Vec<_>>()
                        .join(",");
                    f[4] = "*".into();
                    f[5] = "*".into();
                }
                if f.len() > 7 && f[2].contains("fail") {
                    f[7] = "*".into();
                }
                f.join(" ")
            })
            .collect();
        lines.sort();
        Some(lines)
    };
    let Some(first) = nodes.first().and_then(normalized) else {
        return false;
    };
    nodes[1..]
        .iter()
        .all(|n| normalized(n).as_ref() == Some(&first))
}

/// Snapshots of all nodes, in order.
pub fn snapshots(nodes: &[RedisNode]) -> Vec<NodeSnapshot> {
    nodes.iter().map(RedisNode::snapshot).collect()
}
