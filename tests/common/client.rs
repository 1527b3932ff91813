#![allow(dead_code)]
//! A minimal, synchronous, cluster-aware client for tests (`redis` connections, plain or, with
//! [`ClusterClient::with_tls`], TLS with a client certificate).
//!
//! Maps slots with `CLUSTER SLOTS`, sends each command to the slot's owner, follows `MOVED`
//! (remap) and `ASK` (`ASKING` + retry once on the target), and retries `CLUSTERDOWN`,
//! `TRYAGAIN`, `LOADING`, `READONLY` and connection errors with a short backoff until a
//! per-command deadline.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use redis::{Connection, RedisError, Value};

const IO_TIMEOUT: Duration = Duration::from_millis(500);
const BACKOFF: Duration = Duration::from_millis(20);

pub struct ClusterClient {
    seeds: Vec<String>,
    /// Owner address per slot.
    slots: Vec<Option<String>>,
    conns: HashMap<String, Connection>,
    /// How long one command may keep retrying.
    pub deadline: Duration,
    /// Retries taken so far (redirections and errors), for reporting.
    pub retries: u64,
    /// `rediss://` with these certificates instead of `redis://`.
    tls: Option<redis::TlsCertificates>,
    password: Option<String>,
}

impl ClusterClient {
    pub fn new(seeds: &[String]) -> ClusterClient {
        ClusterClient {
            seeds: seeds.to_vec(),
            slots: vec![None; 16384],
            conns: HashMap::new(),
            deadline: Duration::from_secs(10),
            retries: 0,
            tls: None,
            password: None,
        }
    }

    /// Connects over TLS with `certs` (CA and client certificate), authenticating with
    /// `password` if given.
    pub fn with_tls(mut self, certs: redis::TlsCertificates, password: Option<&str>) -> Self {
        self.tls = Some(certs);
        self.password = password.map(str::to_string);
        self
    }

    fn conn(&mut self, addr: &str) -> Result<&mut Connection, RedisError> {
        if !self.conns.contains_key(addr) {
            let auth = self
                .password
                .as_ref()
                .map(|p| format!(":{p}@"))
                .unwrap_or_default();
            let client = match &self.tls {
                None => redis::Client::open(format!("redis://{auth}{addr}/"))?,
                Some(certs) => {
                    redis::Client::build_with_tls(format!("rediss://{auth}{addr}/"), certs.clone())?
                }
            };
            let c = client.get_connection_with_timeout(IO_TIMEOUT)?;
            c.set_read_timeout(Some(IO_TIMEOUT))?;
            c.set_write_timeout(Some(IO_TIMEOUT))?;
            self.conns.insert(addr.to_string(), c);
        }
        self.conns
            .get_mut(addr)
            .ok_or_else(|| RedisError::from((redis::ErrorKind::Io, "no connection")))
    }

    /// Reloads the slot map from the first node that answers `CLUSTER SLOTS`.
    fn refresh(&mut self) -> bool {
        let mut candidates: Vec<String> = self.conns.keys().cloned().collect();
        candidates.extend(self.seeds.iter().cloned());
        for addr in candidates {
            let reply: Result<Value, RedisError> = match self.conn(&addr) {
                Ok(c) => redis::cmd("CLUSTER").arg("SLOTS").query(c),
                Err(e) => Err(e),
            };
            let Ok(Value::Array(ranges)) = reply else {
                self.conns.remove(&addr);
                continue;
            };
            let mut slots = vec![None; 16384];
            for r in ranges {
                let Value::Array(items) = r else { continue };
                let (Some(Value::Int(a)), Some(Value::Int(b)), Some(Value::Array(master))) =
                    (items.first(), items.get(1), items.get(2))
                else {
                    continue;
                };
                let (Some(Value::BulkString(ip)), Some(Value::Int(port))) =
                    (master.first(), master.get(1))
                else {
                    continue;
                };
                let owner = format!("{}:{port}", String::from_utf8_lossy(ip));
                for s in *a..=*b {
                    slots[s as usize] = Some(owner.clone());
                }
            }
            self.slots = slots;
            return true;
        }
        false
    }

    /// Runs `cmd` for `key` on the key's owner, following redirections and retrying
    /// transient errors until [`deadline`](Self::deadline).
    pub fn exec(&mut self, key: &str, cmd: &redis::Cmd) -> Result<Value, String> {
        let slot = trib::model::key_slot(key.as_bytes()) as usize;
        let start = Instant::now();
        let mut ask: Option<String> = None;
        let mut last = String::new();
        loop {
            if start.elapsed() >= self.deadline {
                return Err(format!("{key}: gave up after {:?}: {last}", self.deadline));
            }
            let target = match ask.take() {
                Some(a) => Some((a, true)),
                None => self.slots[slot].clone().map(|a| (a, false)),
            };
            let Some((addr, asking)) = target else {
                self.refresh();
                if self.slots[slot].is_none() {
                    last = format!("slot {slot} has no owner");
                    std::thread::sleep(BACKOFF);
                }
                continue;
            };
            let result = self.conn(&addr).and_then(|c| {
                if asking {
                    redis::cmd("ASKING").query::<()>(c)?;
                }
                cmd.query::<Value>(c)
            });
            let err = match result {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            self.retries += 1;
            last = format!("{addr}: {err}");
            match err.code() {
                Some("MOVED") => {
                    if let Some((node, _)) = err.redirect_node() {
                        self.slots[slot] = Some(node.to_string());
                    }
                    // Others slots probably moved too.
                    self.refresh();
                }
                Some("ASK") => {
                    ask = err.redirect_node().map(|(n, _)| n.to_string());
                }
                Some("CLUSTERDOWN") | Some("TRYAGAIN") | Some("LOADING") | Some("READONLY")
                | Some("MASTERDOWN") => {
                    std::thread::sleep(BACKOFF);
                    self.refresh();
                }
                Some(_) => return Err(last),
                None => {
                    // Connection problem: drop it, remap, back off.
                    self.conns.remove(&addr);
                    std::thread::sleep(BACKOFF);
                    self.refresh();
                }
            }
        }
    }

    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        self.exec(key, redis::cmd("SET").arg(key).arg(value))
            .map(|_| ())
    }

    pub fn get(&mut self, key: &str) -> Result<Option<String>, String> {
        match self.exec(key, redis::cmd("GET").arg(key))? {
            Value::Nil => Ok(None),
            Value::BulkString(b) => Ok(Some(String::from_utf8_lossy(&b).into_owned())),
            Value::SimpleString(s) => Ok(Some(s)),
            other => Err(format!("{key}: unexpected reply {other:?}")),
        }
    }
}

/// A writer that increments values of `keys` keys in turn and records, per key, the last
/// value acknowledged by the cluster.
pub struct Writer {
    pub acked: Vec<Option<u64>>,
    pub writes: u64,
    pub failures: Vec<String>,
}

impl Writer {
    pub fn key(i: usize) -> String {
        format!("fo:{i}")
    }

    /// Writes until `stop` is set or `max_writes` is reached (bounded in time by the caller).
    pub fn run(
        seeds: &[String],
        keys: usize,
        max_writes: u64,
        stop: &std::sync::atomic::AtomicBool,
        written: &std::sync::atomic::AtomicU64,
    ) -> Writer {
        let mut c = ClusterClient::new(seeds);
        let mut w = Writer {
            acked: vec![None; keys],
            writes: 0,
            failures: Vec::new(),
        };
        let mut round = 0u64;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) && w.writes < max_writes {
            round += 1;
            for i in 0..keys {
                let v = round;
                match c.set(&Self::key(i), &v.to_string()) {
                    Ok(()) => w.acked[i] = Some(v),
                    Err(e) => w.failures.push(e),
                }
                w.writes += 1;
                written.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        w
    }
}
