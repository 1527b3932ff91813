//! Shared integration-test harness. Each test binary includes it with `mod common;`.
//!
//! * [`redis`]: real `redis-server` processes on loopback IPs (127.0.0.x stand in for hosts).
//! * [`trib`] / [`run`]: run the `trib` binary under test.
//! * [`wait_until`]: polling helper (tests must not use fixed sleeps).
#![allow(dead_code)]

pub mod dns;
pub mod pki;
pub mod redis;

#[allow(unused_imports)]
pub use self::redis::{
    NodeOptions, NodeSnapshot, RedisNode, free_port_on_every_ip, snapshots, start_nodes,
    start_on_hosts, views_agree,
};

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
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

/// Exit 0, or a failure showing everything the command printed.
pub fn assert_ok(out: &Output) {
    assert_eq!(out.code, 0, "{}", show(out));
}
