// A throwaway DNS server for tests: dnsmasq on 127.0.0.1 with a free port,
// serving only the given records and answering NXDOMAIN for everything else.
// Killed on drop. Self-contained (std only), so it can be used from an
// integration test with `#[path = "common/dns.rs"] mod dns;` or `mod dns;` in
// tests/common/mod.rs. The library's unit tests include this same file
// (src/addr/test_dns.rs). Needs /usr/sbin/dnsmasq (or $DNSMASQ).

use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A record served by [`DnsServer`]. Names are given without a trailing dot.
#[allow(dead_code)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsRecord {
    /// An A record (or AAAA for an IPv6 address). Repeat a name for several addresses.
    A(String, IpAddr),
    /// An SRV record (priority 0, weight 0). Repeat a name for several records.
    Srv {
        name: String,
        target: String,
        port: u16,
    },
}

#[allow(dead_code)]
impl DnsRecord {
    /// `DnsRecord::A` from string slices; panics on a malformed IP.
    pub fn a(name: &str, ip: &str) -> DnsRecord {
        DnsRecord::A(name.to_string(), ip.parse().expect("test IP address"))
    }

    /// `DnsRecord::Srv` from string slices.
    pub fn srv(name: &str, target: &str, port: u16) -> DnsRecord {
        DnsRecord::Srv {
            name: name.to_string(),
            target: target.to_string(),
            port,
        }
    }

    fn arg(&self) -> String {
        match self {
            DnsRecord::A(name, ip) => format!("--host-record={name},{ip}"),
            DnsRecord::Srv { name, target, port } => {
                format!("--srv-host={name},{target},{port},0,0")
            }
        }
    }
}

/// A running dnsmasq; killed when dropped.
#[allow(dead_code)]
#[derive(Debug)]
pub struct DnsServer {
    child: Child,
    addr: SocketAddr,
}

#[allow(dead_code)]
impl DnsServer {
    /// Starts dnsmasq serving `records` (UDP and TCP) on 127.0.0.1 and a free
    /// port; returns once it accepts connections. Panics if it cannot start.
    pub fn start(records: &[DnsRecord]) -> DnsServer {
        let bin = std::env::var("DNSMASQ").unwrap_or_else(|_| "/usr/sbin/dnsmasq".to_string());
        let mut last_err = String::new();
        for _ in 0..10 {
            let port = free_port();
            let mut cmd = Command::new(&bin);
            cmd.args([
                &format!("--port={port}"),
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--no-resolv",
                "--no-hosts",
                "--no-poll",
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--pid-file",
                // Authoritative for everything: unknown names get NXDOMAIN.
                "--local=/#/",
                "--log-facility=/dev/null",
            ]);
            cmd.args(records.iter().map(DnsRecord::arg));
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let mut child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => panic!("cannot run {bin}: {e}"),
            };
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut stderr = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        use std::io::Read;
                        let _ = e.read_to_string(&mut stderr);
                    }
                    last_err = format!("dnsmasq exited with {status}: {}", stderr.trim());
                    break;
                }
                if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                    return DnsServer { child, addr };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_err = "dnsmasq did not start listening within 5s".to_string();
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("cannot start dnsmasq: {last_err}");
    }

    /// The address to use as `--dns-server` (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free for both UDP and TCP on 127.0.0.1 (racy, hence the retries above).
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind UDP");
        let port = udp.local_addr().expect("local addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}
