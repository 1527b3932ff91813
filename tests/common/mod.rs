//! Shared integration-test harness. Each test binary includes it with `mod common;`.
//!
//! * [`redis`]: real `redis-server` processes on loopback IPs (127.0.0.x stand in for hosts).
//! * [`cluster`]: [`TestCluster`], nodes made a cluster with `trib create`.
//! * [`view`]: a node's state read directly (CLUSTER NODES, INFO, ...), for assertions.
//! * [`data`]: keys written to and read from their slots' owners.
//! * [`trib`] / [`run`]: run the `trib` binary under test.
//! * [`wait_until`]: polling helper (tests must not use fixed sleeps).
//! * [`show`], [`json`], [`assert_ok`]: a trib output in assertions.
//!
//! `common/client.rs` (a cluster-aware client) and `common/intact.rs` (what must hold after
//! a fault) are separate modules, included with `#[path]` where needed.
#![allow(dead_code)]

pub mod cluster;
pub mod data;
pub mod dns;
pub mod pki;
pub mod redis;
pub mod view;

#[allow(unused_imports)]
pub use self::cluster::{THREE_HOSTS, TestCluster, quick_opts, quick_sync_opts};
#[allow(unused_imports)]
pub use self::data::{fill, verify_on_owners};
#[allow(unused_imports)]
pub use self::redis::{
    NodeOptions, NodeSnapshot, RedisNode, free_port_on_every_ip, snapshots, start_nodes,
    start_on_hosts, views_agree,
};
#[allow(unused_imports)]
pub use self::view::{
    Line, by_addr, by_id, cluster_info_field, cluster_nodes, config_get, info_field, role,
    slot_map, state_ok, synced, wait_synced, wait_views_agree,
};

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `Command` for the `trib` binary under test: stdin is null (so confirmation prompts can never
/// block), `TRIB_YES` is removed, `NO_COLOR=1`.
pub fn trib() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trib"));
    cmd.stdin(Stdio::null())
        .env_remove("TRIB_YES")
        .env("NO_COLOR", "1");
    cmd
}

/// Result of [`run`].
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code; `128 + signal` if the process was killed by a signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `cmd` to completion, capturing stdout and stderr. Panics if it cannot be started.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("failed to run {cmd:?}: {e}"));
    output_of(out)
}

fn output_of(out: std::process::Output) -> Output {
    let code = out
        .status
        .code()
        .or_else(|| out.status.signal().map(|s| 128 + s))
        .unwrap_or(-1);
    Output {
        code,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A command running in the background with its output captured (see [`spawn`]).
pub struct Background {
    pid: u32,
    started: Instant,
    what: String,
    rx: mpsc::Receiver<std::io::Result<std::process::Output>>,
    waiter: Option<std::thread::JoinHandle<()>>,
    done: Option<Output>,
}

/// Starts `cmd` in the background, capturing stdout and stderr.
pub fn spawn(cmd: &mut Command) -> Background {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("failed to start {cmd:?}: {e}"));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    Background {
        pid,
        started: Instant::now(),
        what: format!("{cmd:?}"),
        rx,
        waiter: Some(waiter),
        done: None,
    }
}

impl Background {
    fn take(&mut self, r: std::io::Result<std::process::Output>) {
        let out = r.unwrap_or_else(|e| panic!("waiting for {}: {e}", self.what));
        self.done = Some(output_of(out));
        if let Some(w) = self.waiter.take() {
            let _ = w.join();
        }
    }

    /// Sends `signal` (a `kill -s` name: TERM, INT, STOP, CONT, KILL) to the process.
    /// Returns whether it was delivered (false: the process had already exited).
    pub fn signal(&mut self, signal: &str) -> bool {
        let ok = Command::new("kill")
            .args(["-s", signal, &self.pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok && !self.exited()
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        if self.done.is_none()
            && let Ok(r) = self.rx.try_recv()
        {
            self.take(r);
        }
        self.done.is_some()
    }

    /// Time since it was started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Waits until the process exits, at most until `deadline` after it was started: a
    /// process still running then is killed (SIGKILL) and the test fails (it hung).
    /// Returns the output and how long it ran.
    pub fn finish(mut self, deadline: Duration) -> (Output, Duration) {
        if self.done.is_none() {
            let left = deadline.saturating_sub(self.started.elapsed());
            match self.rx.recv_timeout(left) {
                Ok(r) => self.take(r),
                Err(_) => {
                    let out = self.kill();
                    panic!(
                        "{} did not return within {deadline:?}: it hangs; its output until killed:\n{}",
                        self.what,
                        show(&out)
                    );
                }
            }
        }
        let took = self.started.elapsed();
        (self.done.clone().expect("output"), took)
    }

    /// SIGKILL (no effect if it already exited); returns the output it left.
    pub fn kill(&mut self) -> Output {
        if self.done.is_none() {
            let _ = Command::new("kill")
                .args(["-KILL", &self.pid.to_string()])
                .stderr(Stdio::null())
                .status();
            if let Ok(r) = self.rx.recv_timeout(Duration::from_secs(10)) {
                self.take(r);
            }
        }
        self.done.clone().unwrap_or(Output {
            code: -1,
            stdout: String::new(),
            stderr: String::new(),
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if self.done.is_none() {
            self.kill();
        }
    }
}

/// Starts `cmd` (stdout discarded), reads its stderr line by line until `stop` returns
/// true for one (or the output ends), then SIGKILLs it. Returns its stderr up to there
/// (a line each), whether `stop` matched a line, and the exit status.
pub fn kill_at_line(
    cmd: &mut Command,
    mut stop: impl FnMut(&str) -> bool,
) -> (String, bool, std::process::ExitStatus) {
    use std::io::{BufRead, BufReader};
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("failed to start {cmd:?}: {e}"));
    let stderr = child.stderr.take().expect("piped stderr");
    let mut seen = String::new();
    let mut matched = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("read stderr");
        seen.push_str(&line);
        seen.push('\n');
        if stop(&line) {
            matched = true;
            break;
        }
    }
    let _ = child.kill();
    let status = child.wait().expect("wait for the killed process");
    (seen, matched, status)
}

/// Runs `cmd` with a hard deadline, so a hanging command fails the test instead of
/// blocking it. Returns the output and the wall time.
pub fn run_within(cmd: &mut Command, deadline: Duration) -> (Output, Duration) {
    spawn(cmd).finish(deadline)
}

/// Poll `f` every 20 ms until it returns true; panic mentioning `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting until {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// 127.0.0.`last`: loopback addresses stand in for separate hosts.
pub fn ip(last: u8) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::new(127, 0, 0, last)
}

/// An output as text for assertion messages.
pub fn show(out: &Output) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        out.code, out.stdout, out.stderr
    )
}

/// The `error:` lines of its stderr.
pub fn error_lines(out: &Output) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect()
}

/// Exit 0, or a failure showing everything the command printed.
pub fn assert_ok(out: &Output) {
    assert_eq!(out.code, 0, "{}", show(out));
}

/// stdout as one JSON document (serde_json rejects anything after it); panics showing the
/// whole output otherwise.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", show(out)))
}

/// True if a `check --json` problem names `addr` in its `nodes` list or its message.
pub fn names(problem: &serde_json::Value, addr: &str) -> bool {
    problem["message"]
        .as_str()
        .is_some_and(|m| m.contains(addr))
        || problem["nodes"].as_array().is_some_and(|ns| {
            ns.iter()
                .any(|n| n.as_str().is_some_and(|s| s.contains(addr)))
        })
}

/// `trib check ENTRY`.
pub fn trib_check(entry: &RedisNode) -> Output {
    run(trib().arg("check").arg(entry.addr()))
}

/// `trib check ENTRY` exits 0.
pub fn assert_check_ok(entry: &RedisNode) {
    assert_ok(&trib_check(entry));
}

/// `["a", "b"]` as owned strings (argument lists).
pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Every node's "ip:port".
pub fn addrs(nodes: &[RedisNode]) -> Vec<String> {
    nodes.iter().map(RedisNode::addr).collect()
}

/// Panics unless `TRIB_TEST_REDIS_SERVER` is Valkey 9 or newer: the tests that call this
/// are `#[ignore = "needs Valkey 9"]`, and run with `--include-ignored` only where it is
/// (scripts/test-valkey.sh).
pub fn require_valkey9() {
    let bin = std::env::var("TRIB_TEST_REDIS_SERVER").unwrap_or_else(|_| {
        panic!("this test needs Valkey >= 9: set TRIB_TEST_REDIS_SERVER (scripts/test-valkey.sh)")
    });
    let out = std::process::Command::new(&bin).arg("--version").output();
    let text = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let major = text
        .strip_prefix("Valkey server v=")
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    assert!(
        major.is_some_and(|m| m >= 9),
        "this test needs Valkey >= 9; {bin} is {}",
        text.trim()
    );
}
