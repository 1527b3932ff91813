//! A fake node for hostile-input tests: a TCP server that parses RESP commands and
//! answers whatever a handler says (garbage, truncated or huge replies, silence).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What to do with one command.
pub enum Reply {
    Bytes(Vec<u8>),
    /// Close the connection.
    Close,
    /// Never answer (keep the connection open).
    Hang,
}

pub struct FakeNode {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl FakeNode {
    /// Starts on 127.0.0.1 with a free port; `handler` gets each command's words.
    pub fn start(handler: fn(&[String]) -> Reply) -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake node");
        let addr = listener.local_addr().expect("local addr");
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(conn) = conn {
                    std::thread::spawn(move || serve(conn, handler));
                }
            }
        });
        FakeNode { addr, stop }
    }

    pub fn addr(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

fn read_command(r: &mut BufReader<TcpStream>) -> Option<Vec<String>> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let n: usize = line.trim().strip_prefix('*')?.parse().ok()?;
    let mut words = Vec::with_capacity(n);
    for _ in 0..n {
        line.clear();
        r.read_line(&mut line).ok()?;
        let len: usize = line.trim().strip_prefix('$')?.parse().ok()?;
        let mut buf = vec![0u8; len + 2];
        r.read_exact(&mut buf).ok()?;
        words.push(String::from_utf8_lossy(&buf[..len]).into_owned());
    }
    Some(words)
}

fn serve(conn: TcpStream, handler: fn(&[String]) -> Reply) {
    let mut w = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut r = BufReader::new(conn);
    while let Some(cmd) = read_command(&mut r) {
        match handler(&cmd) {
            Reply::Bytes(b) => {
                if w.write_all(&b).is_err() {
                    return;
                }
            }
            Reply::Close => return,
            Reply::Hang => {
                std::thread::sleep(std::time::Duration::from_secs(30));
                return;
            }
        }
    }
}

/// A bulk string reply.
pub fn bulk(s: &str) -> Vec<u8> {
    format!("${}\r\n{s}\r\n", s.len()).into_bytes()
}

/// `INFO` of a cluster-enabled Redis 7.0.
pub fn cluster_info_reply() -> Vec<u8> {
    bulk("# Server\r\nredis_version:7.0.15\r\n# Cluster\r\ncluster_enabled:1\r\n")
}
