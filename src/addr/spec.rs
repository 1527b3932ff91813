//! Pure parsing of node arguments: `HOST[:PORT][=DOMAIN]`, numeric ranges,
//! IPv6 literals, SRV names. No I/O here.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use super::AddrError;

/// Port used when an argument gives none.
pub const DEFAULT_PORT: u16 = 6379;

/// Upper bound on the number of node arguments one argument may expand to.
pub const MAX_EXPANSIONS: u64 = 10_000;

/// What a node argument names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Host {
    /// An IP literal: no DNS involved.
    Ip(IpAddr),
    /// A DNS name resolved to A/AAAA records (one node per address).
    Name(String),
    /// An SRV name (first label starts with `_`): hosts and ports come from the SRV records.
    Srv(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(ip) => write!(f, "{ip}"),
            Host::Name(n) | Host::Srv(n) => f.write_str(n),
        }
    }
}

/// One node argument after range expansion.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct NodeSpec {
    /// The argument as typed, after range expansion, without `=DOMAIN`.
    pub text: String,
    pub host: Host,
    /// Default 6379; ignored for [`Host::Srv`].
    pub port: u16,
    /// Failure domain given with `=DOMAIN` (node, zone, rack); `None` means "the node's IP".
    pub domain: Option<String>,
}

/// Why a node argument is malformed. Always permanent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("empty node address")]
    Empty,
    #[error("contains whitespace")]
    Whitespace,
    #[error("contains a control character")]
    Control,
    #[error("empty host")]
    EmptyHost,
    #[error("empty port")]
    EmptyPort,
    #[error("port must be 1-65535")]
    PortRange,
    #[error("port {0:?} is not a number (must be 1-65535)")]
    PortNotNumber(String),
    #[error("empty failure domain after '='")]
    EmptyDomain,
    #[error("missing ']' after IPv6 address")]
    UnclosedBracket,
    #[error("{0:?} is not an IPv6 address")]
    BadBracketed(String),
    #[error("unexpected {0:?} after ']' (expected ':PORT')")]
    AfterBracket(String),
    #[error("invalid IPv6 address (write [ADDR]:PORT to give a port)")]
    BadIpv6,
    #[error("invalid IPv4 address")]
    BadIpv4,
    #[error("invalid host name: {0}")]
    BadName(&'static str),
    #[error("an SRV name takes its ports from the SRV records; drop ':{0}'")]
    SrvWithPort(u16),
    #[error("invalid range {0:?} (expected {{FIRST..LAST}} with decimal numbers)")]
    BadRange(String),
    #[error("unmatched '{0}'")]
    UnmatchedBrace(char),
    #[error("descending range")]
    DescendingRange,
    #[error("range expands to more than {MAX_EXPANSIONS} nodes")]
    TooManyExpansions,
    #[error("invalid DNS server address (expected IP, IP:PORT or [IPv6]:PORT)")]
    BadDnsServer,
}

fn err(input: &str, kind: SyntaxError) -> AddrError {
    AddrError::Syntax {
        input: input.to_string(),
        kind,
    }
}

/// Parses every argument, expanding ranges; keeps the order of the arguments
/// and of the expansions. Stops at the first malformed argument.
pub fn parse_node_args(args: &[String]) -> Result<Vec<NodeSpec>, AddrError> {
    let mut out = Vec::new();
    for arg in args {
        let specs = parse_node(arg)?;
        if (out.len() + specs.len()) as u64 > MAX_EXPANSIONS {
            return Err(err(arg, SyntaxError::TooManyExpansions));
        }
        out.extend(specs);
    }
    Ok(out)
}

/// Parses one argument (`HOST[:PORT][=DOMAIN]`, with optional `{A..B}` ranges in HOST:PORT).
pub fn parse_node(arg: &str) -> Result<Vec<NodeSpec>, AddrError> {
    if arg.is_empty() {
        return Err(err(arg, SyntaxError::Empty));
    }
    if arg.chars().any(char::is_whitespace) {
        return Err(err(arg, SyntaxError::Whitespace));
    }
    if arg.chars().any(char::is_control) {
        return Err(err(arg, SyntaxError::Control));
    }
    let (node, domain) = match arg.split_once('=') {
        Some((_, "")) => return Err(err(arg, SyntaxError::EmptyDomain)),
        Some((node, domain)) => (node, Some(domain.to_string())),
        None => (arg, None),
    };
    if node.is_empty() {
        return Err(err(arg, SyntaxError::EmptyHost));
    }
    let texts = expand_ranges(node).map_err(|kind| err(arg, kind))?;
    texts
        .into_iter()
        .map(|text| {
            let (host, port) = parse_host_port(&text).map_err(|kind| err(&text, kind))?;
            Ok(NodeSpec {
                text,
                host,
                port,
                domain: domain.clone(),
            })
        })
        .collect()
}

enum Segment<'a> {
    Lit(&'a str),
    Range { first: u64, last: u64, width: usize },
}

/// Expands `{A..B}` ranges (cartesian product, leftmost varies slowest, like a shell).
fn expand_ranges(s: &str) -> Result<Vec<String>, SyntaxError> {
    let mut segments = Vec::new();
    let mut rest = s;
    let mut total: u64 = 1;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(SyntaxError::UnmatchedBrace('}'));
        }
        let close = rest[open..]
            .find('}')
            .map(|i| open + i)
            .ok_or(SyntaxError::UnmatchedBrace('{'))?;
        let inner = &rest[open + 1..close];
        let bad = || SyntaxError::BadRange(format!("{{{inner}}}"));
        let (a, b) = inner.split_once("..").ok_or_else(bad)?;
        let is_num =
            |x: &str| !x.is_empty() && x.len() <= 18 && x.bytes().all(|c| c.is_ascii_digit());
        if !is_num(a) || !is_num(b) {
            return Err(bad());
        }
        let first: u64 = a.parse().map_err(|_| bad())?;
        let last: u64 = b.parse().map_err(|_| bad())?;
        if last < first {
            return Err(SyntaxError::DescendingRange);
        }
        let padded = (a.len() > 1 && a.starts_with('0')) || (b.len() > 1 && b.starts_with('0'));
        let width = if padded { a.len().max(b.len()) } else { 0 };
        total = total
            .checked_mul(last - first + 1)
            .filter(|t| *t <= MAX_EXPANSIONS)
            .ok_or(SyntaxError::TooManyExpansions)?;
        segments.push(Segment::Lit(&rest[..open]));
        segments.push(Segment::Range { first, last, width });
        rest = &rest[close + 1..];
    }
    segments.push(Segment::Lit(rest));

    let mut out = vec![String::new()];
    for seg in &segments {
        match seg {
            Segment::Lit(l) => out.iter_mut().for_each(|o| o.push_str(l)),
            Segment::Range { first, last, width } => {
                out = out
                    .iter()
                    .flat_map(|prefix| {
                        (*first..=*last)
                            .map(move |n| format!("{prefix}{n:0width$}", width = *width))
                    })
                    .collect();
            }
        }
    }
    Ok(out)
}

fn parse_port(s: &str) -> Result<u16, SyntaxError> {
    if s.is_empty() {
        return Err(SyntaxError::EmptyPort);
    }
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(SyntaxError::PortNotNumber(s.to_string()));
    }
    let trimmed = s.trim_start_matches('0');
    if trimmed.len() > 5 {
        return Err(SyntaxError::PortRange);
    }
    match trimmed.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => u16::try_from(p).map_err(|_| SyntaxError::PortRange),
        _ => Err(SyntaxError::PortRange),
    }
}

/// Parses `HOST[:PORT]` after range expansion.
fn parse_host_port(s: &str) -> Result<(Host, u16), SyntaxError> {
    if let Some(after_open) = s.strip_prefix('[') {
        let (inside, after) = after_open
            .split_once(']')
            .ok_or(SyntaxError::UnclosedBracket)?;
        if inside.is_empty() {
            return Err(SyntaxError::EmptyHost);
        }
        let ip: Ipv6Addr = inside
            .parse()
            .map_err(|_| SyntaxError::BadBracketed(inside.to_string()))?;
        let port = match after {
            "" => DEFAULT_PORT,
            _ => match after.strip_prefix(':') {
                Some(p) => parse_port(p)?,
                None => return Err(SyntaxError::AfterBracket(after.to_string())),
            },
        };
        return Ok((Host::Ip(IpAddr::V6(ip)), port));
    }
    if s.contains(']') {
        return Err(SyntaxError::BadName("unexpected ']'"));
    }
    let colons = s.matches(':').count();
    if colons > 1 {
        // Bare IPv6 literal: the whole thing is the address, port is the default.
        return s
            .parse::<Ipv6Addr>()
            .map(|ip| (Host::Ip(IpAddr::V6(ip)), DEFAULT_PORT))
            .map_err(|_| SyntaxError::BadIpv6);
    }
    let (host, port) = match s.split_once(':') {
        Some((h, p)) => {
            if h.is_empty() {
                return Err(SyntaxError::EmptyHost);
            }
            (h, Some(parse_port(p)?))
        }
        None => (s, None),
    };
    let host = parse_host(host)?;
    match (&host, port) {
        (Host::Srv(_), Some(p)) => Err(SyntaxError::SrvWithPort(p)),
        (_, p) => Ok((host, p.unwrap_or(DEFAULT_PORT))),
    }
}

fn parse_host(h: &str) -> Result<Host, SyntaxError> {
    if h.is_empty() {
        return Err(SyntaxError::EmptyHost);
    }
    if let Ok(ip) = h.parse::<Ipv4Addr>() {
        return Ok(Host::Ip(IpAddr::V4(ip)));
    }
    let body = h.strip_suffix('.').unwrap_or(h);
    if body.is_empty() {
        return Err(SyntaxError::BadName("the root name '.' is not a host"));
    }
    if body.len() > 253 {
        return Err(SyntaxError::BadName("longer than 253 characters"));
    }
    let mut all_numeric = true;
    for label in body.split('.') {
        if label.is_empty() {
            return Err(SyntaxError::BadName("empty label"));
        }
        if label.len() > 63 {
            return Err(SyntaxError::BadName("label longer than 63 characters"));
        }
        if !label
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return Err(SyntaxError::BadName(
                "only letters, digits, '-', '_' and '.' are allowed",
            ));
        }
        all_numeric &= label.bytes().all(|c| c.is_ascii_digit());
    }
    if all_numeric {
        return Err(SyntaxError::BadIpv4);
    }
    if h.starts_with('_') {
        Ok(Host::Srv(h.to_string()))
    } else {
        Ok(Host::Name(h.to_string()))
    }
}

/// Parses `--dns-server`: `IP` (port 53), `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address.
pub fn parse_dns_server(s: &str) -> Result<std::net::SocketAddr, AddrError> {
    use std::net::SocketAddr;
    if let Ok(sa) = s.parse::<SocketAddr>() {
        if sa.port() == 0 {
            return Err(err(s, SyntaxError::PortRange));
        }
        return Ok(sa);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']'))
        && let Ok(ip) = inner.parse::<Ipv6Addr>()
    {
        return Ok(SocketAddr::new(IpAddr::V6(ip), 53));
    }
    // Give a precise port error when the host part is fine.
    if let Some((h, p)) = s.rsplit_once(':') {
        let h = h
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(h);
        if h.parse::<IpAddr>().is_ok() {
            return Err(err(
                s,
                parse_port(p).err().unwrap_or(SyntaxError::BadDnsServer),
            ));
        }
    }
    Err(err(s, SyntaxError::BadDnsServer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(arg: &str) -> NodeSpec {
        let mut v = parse_node(arg).unwrap();
        assert_eq!(v.len(), 1, "{arg}");
        v.remove(0)
    }

    fn msg(arg: &str) -> String {
        parse_node(arg).unwrap_err().to_string()
    }

    fn texts(arg: &str) -> Vec<String> {
        parse_node(arg)
            .unwrap()
            .into_iter()
            .map(|s| s.text)
            .collect()
    }

    #[test]
    fn ipv4_with_and_without_port() {
        let s = one("10.0.0.5:6379");
        assert_eq!(s.host, Host::Ip("10.0.0.5".parse().unwrap()));
        assert_eq!(
            (s.port, s.text.as_str(), s.domain),
            (6379, "10.0.0.5:6379", None)
        );
        let s = one("10.0.0.5");
        assert_eq!((s.port, s.text.as_str()), (6379, "10.0.0.5"));
        assert_eq!(one("10.0.0.5:7000").port, 7000);
        assert_eq!(one("10.0.0.5:065535").port, 65535);
    }

    #[test]
    fn ipv6_bracketed_and_bare() {
        let s = one("[fd00::5]:7000");
        assert_eq!(s.host, Host::Ip("fd00::5".parse().unwrap()));
        assert_eq!(s.port, 7000);
        let s = one("[fd00::5]");
        assert_eq!(s.port, 6379);
        let s = one("fd00::5");
        assert_eq!(s.host, Host::Ip("fd00::5".parse().unwrap()));
        assert_eq!(s.port, 6379);
        assert_eq!(one("::1").host, Host::Ip("::1".parse().unwrap()));
        // A bare address ending in a number is an address, not host:port.
        assert_eq!(
            one("fd00::5:6379").host,
            Host::Ip("fd00::5:6379".parse().unwrap())
        );
        assert_eq!(one("[::ffff:10.0.0.1]:1").port, 1);
    }

    #[test]
    fn dns_names() {
        let s = one("redis-app-0.redis-service:6379");
        assert_eq!(s.host, Host::Name("redis-app-0.redis-service".into()));
        assert_eq!(s.port, 6379);
        let s = one("redis-service");
        assert_eq!((s.host, s.port), (Host::Name("redis-service".into()), 6379));
        let s = one("redis.default.svc.cluster.local.:7001");
        assert_eq!(
            s.host,
            Host::Name("redis.default.svc.cluster.local.".into())
        );
        assert_eq!(s.port, 7001);
        assert_eq!(one("localhost").host, Host::Name("localhost".into()));
        assert_eq!(one("1host").host, Host::Name("1host".into()));
    }

    #[test]
    fn srv_names() {
        let s = one("_redis._tcp.redis-service");
        assert_eq!(s.host, Host::Srv("_redis._tcp.redis-service".into()));
        assert_eq!(s.text, "_redis._tcp.redis-service");
        let s = one("_redis._tcp.redis-service=zone-a");
        assert_eq!(s.domain.as_deref(), Some("zone-a"));
        assert_eq!(
            msg("_redis._tcp.redis-service:6379"),
            "_redis._tcp.redis-service:6379: an SRV name takes its ports from the SRV records; drop ':6379'"
        );
    }

    #[test]
    fn failure_domain() {
        let s = one("10.0.0.5:6379=node-a");
        assert_eq!(s.domain.as_deref(), Some("node-a"));
        assert_eq!(s.text, "10.0.0.5:6379");
        let s = one("[fd00::1]:7000=eu-west-1/zone-b.rack-3");
        assert_eq!(s.domain.as_deref(), Some("eu-west-1/zone-b.rack-3"));
        assert_eq!(s.port, 7000);
        let s = one("fd00::1=k8s-node-1");
        assert_eq!(s.host, Host::Ip("fd00::1".parse().unwrap()));
        assert_eq!(s.domain.as_deref(), Some("k8s-node-1"));
        assert_eq!(msg("a="), "a=: empty failure domain after '='");
        assert_eq!(msg("=zone"), "=zone: empty host");
    }

    #[test]
    fn ranges() {
        assert_eq!(
            texts("redis-app-{0..2}.redis-service:6379"),
            [
                "redis-app-0.redis-service:6379",
                "redis-app-1.redis-service:6379",
                "redis-app-2.redis-service:6379"
            ]
        );
        assert_eq!(texts("r{00..02}"), ["r00", "r01", "r02"]);
        assert_eq!(texts("r{8..010}"), ["r008", "r009", "r010"]);
        assert_eq!(texts("r{9..10}"), ["r9", "r10"]);
        assert_eq!(texts("r{3..3}"), ["r3"]);
        assert_eq!(
            texts("r{0..1}.s{0..1}:{7000..7001}"),
            [
                "r0.s0:7000",
                "r0.s0:7001",
                "r0.s1:7000",
                "r0.s1:7001",
                "r1.s0:7000",
                "r1.s0:7001",
                "r1.s1:7000",
                "r1.s1:7001"
            ]
        );
        assert_eq!(texts("10.0.0.{1..3}:6379").len(), 3);
        let specs = parse_node("10.0.{0..1}.1:{6379..6380}=rack-1").unwrap();
        assert_eq!(specs.len(), 4);
        assert!(specs.iter().all(|s| s.domain.as_deref() == Some("rack-1")));
        assert_eq!(specs[3].port, 6380);
        assert_eq!(texts("r{1..10000}").len(), 10000);
    }

    #[test]
    fn bad_ranges() {
        assert_eq!(msg("a{3..1}"), "a{3..1}: descending range");
        assert_eq!(
            msg("a{1..}"),
            "a{1..}: invalid range \"{1..}\" (expected {FIRST..LAST} with decimal numbers)"
        );
        assert!(msg("a{x..3}").contains("invalid range"));
        assert!(msg("a{1...3}").contains("invalid range"));
        assert!(msg("a{-1..3}").contains("invalid range"));
        assert!(msg("a{1,2}").contains("invalid range"));
        assert_eq!(msg("a{1..3"), "a{1..3: unmatched '{'");
        assert_eq!(msg("a1..3}"), "a1..3}: unmatched '}'");
        assert_eq!(
            msg("a{0..10000}"),
            "a{0..10000}: range expands to more than 10000 nodes"
        );
        assert!(msg("a{0..100}b{0..100}").contains("more than 10000"));
        assert!(msg("a{0..99999999999999999999}").contains("invalid range"));
        assert!(msg("a{0..999999999999999999}").contains("more than 10000"));
        // Expansion errors name the expanded text.
        assert_eq!(msg("h{0..1}:{0..1}"), "h0:0: port must be 1-65535");
    }

    #[test]
    fn args_keep_order_and_cap_total() {
        let args: Vec<String> = ["b{1..2}", "10.0.0.1", "a"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let specs = parse_node_args(&args).unwrap();
        let t: Vec<_> = specs.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(t, ["b1", "b2", "10.0.0.1", "a"]);
        let many = vec!["r{1..6000}".to_string(), "s{1..6000}".to_string()];
        assert!(
            parse_node_args(&many)
                .unwrap_err()
                .to_string()
                .starts_with("s{1..6000}: range expands")
        );
        let bad = vec!["ok".to_string(), "host:".to_string()];
        assert_eq!(
            parse_node_args(&bad).unwrap_err().to_string(),
            "host:: empty port"
        );
        assert!(parse_node_args(&[]).unwrap().is_empty());
    }

    #[test]
    fn malformed() {
        let cases = [
            ("", ": empty node address"),
            (":6379", ":6379: empty host"),
            ("host:", "host:: empty port"),
            ("host:0", "host:0: port must be 1-65535"),
            ("host:65536", "host:65536: port must be 1-65535"),
            ("10.0.0.5:99999", "10.0.0.5:99999: port must be 1-65535"),
            (
                "host:123456789012",
                "host:123456789012: port must be 1-65535",
            ),
            (
                "host:http",
                "host:http: port \"http\" is not a number (must be 1-65535)",
            ),
            (
                "host:-1",
                "host:-1: port \"-1\" is not a number (must be 1-65535)",
            ),
            ("[::1", "[::1: missing ']' after IPv6 address"),
            (
                "[::1]6379",
                "[::1]6379: unexpected \"6379\" after ']' (expected ':PORT')",
            ),
            (
                "[10.0.0.1]:6379",
                "[10.0.0.1]:6379: \"10.0.0.1\" is not an IPv6 address",
            ),
            ("[]:6379", "[]:6379: empty host"),
            ("::1]", "::1]: invalid host name: unexpected ']'"),
            (
                "fd00::zz",
                "fd00::zz: invalid IPv6 address (write [ADDR]:PORT to give a port)",
            ),
            ("a=", "a=: empty failure domain after '='"),
            ("a b", "a b: contains whitespace"),
            (" a", " a: contains whitespace"),
            ("a\t", "a\t: contains whitespace"),
            ("a\u{1}", "a\u{1}: contains a control character"),
            ("10.0.0.256", "10.0.0.256: invalid IPv4 address"),
            ("1.2.3", "1.2.3: invalid IPv4 address"),
            ("a..b", "a..b: invalid host name: empty label"),
            (".", ".: invalid host name: the root name '.' is not a host"),
            (
                "a/b:6379",
                "a/b:6379: invalid host name: only letters, digits, '-', '_' and '.' are allowed",
            ),
        ];
        for (input, want) in cases {
            let e = parse_node(input).unwrap_err();
            assert_eq!(e.to_string(), want, "input {input:?}");
            assert!(!e.is_transient(), "{input:?}");
        }
        let long = format!("{}.x", "a".repeat(64));
        assert!(msg(&long).contains("label longer than 63"));
        let long = vec!["a".repeat(60); 5].join(".");
        assert!(msg(&long).contains("longer than 253"));
    }

    #[test]
    fn dns_server() {
        assert_eq!(
            parse_dns_server("10.96.0.10").unwrap(),
            "10.96.0.10:53".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("[fd00::a]:5353").unwrap(),
            "[fd00::a]:5353".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("fd00::a").unwrap(),
            "[fd00::a]:53".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("[fd00::a]").unwrap(),
            "[fd00::a]:53".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("1.2.3.4:0").unwrap_err().to_string(),
            "1.2.3.4:0: port must be 1-65535"
        );
        assert_eq!(
            parse_dns_server("1.2.3.4:70000").unwrap_err().to_string(),
            "1.2.3.4:70000: port must be 1-65535"
        );
        assert_eq!(
            parse_dns_server("1.2.3.4:").unwrap_err().to_string(),
            "1.2.3.4:: empty port"
        );
        assert_eq!(
            parse_dns_server("kube-dns").unwrap_err().to_string(),
            "kube-dns: invalid DNS server address (expected IP, IP:PORT or [IPv6]:PORT)"
        );
        assert!(parse_dns_server("").is_err());
    }

    /// Renders a spec back into argument form.
    fn render(host: &Host, port: Option<u16>, domain: Option<&str>) -> String {
        let mut s = match (host, port) {
            (Host::Ip(IpAddr::V6(ip)), Some(p)) => format!("[{ip}]:{p}"),
            (h, Some(p)) => format!("{h}:{p}"),
            (h, None) => h.to_string(),
        };
        if let Some(d) = domain {
            s.push('=');
            s.push_str(d);
        }
        s
    }

    fn arb_host() -> impl Strategy<Value = Host> {
        let label = "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?";
        prop_oneof![
            any::<Ipv4Addr>().prop_map(|ip| Host::Ip(IpAddr::V4(ip))),
            any::<Ipv6Addr>().prop_map(|ip| Host::Ip(IpAddr::V6(ip))),
            proptest::collection::vec(label, 1..4)
                .prop_filter("not all-numeric", |ls| {
                    !ls.iter().all(|l| l.bytes().all(|c| c.is_ascii_digit()))
                })
                .prop_map(|ls| Host::Name(ls.join("."))),
            proptest::collection::vec(label, 1..3)
                .prop_map(|ls| Host::Srv(format!("_redis._tcp.{}", ls.join(".")))),
        ]
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = parse_node(&s);
        }

        #[test]
        fn parse_never_panics_on_address_like(s in "[\\[\\]{}0-9a-f:.=_/ -]{0,40}") {
            let _ = parse_node(&s);
            let _ = parse_dns_server(&s);
        }

        #[test]
        fn round_trip(
            host in arb_host(),
            port in proptest::option::of(1u16..),
            domain in proptest::option::of("[a-zA-Z0-9./_-]{1,20}"),
        ) {
            let port = if matches!(host, Host::Srv(_)) { None } else { port };
            let arg = render(&host, port, domain.as_deref());
            let specs = parse_node(&arg).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(specs.len(), 1);
            let s = &specs[0];
            prop_assert_eq!(&s.host, &host);
            if !matches!(host, Host::Srv(_)) {
                prop_assert_eq!(s.port, port.unwrap_or(DEFAULT_PORT));
            }
            prop_assert_eq!(s.domain.as_deref(), domain.as_deref());
            prop_assert_eq!(&s.text, &render(&host, port, None));
        }

        #[test]
        fn range_expansion_count(a in 0u64..50, n in 0u64..50, pad in any::<bool>()) {
            let b = a + n;
            let arg = if pad { format!("r{{{a:03}..{b:03}}}:7000") } else { format!("r{{{a}..{b}}}:7000") };
            let specs = parse_node(&arg).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(specs.len() as u64, n + 1);
            for (i, s) in specs.iter().enumerate() {
                let num = a + i as u64;
                let want = if pad { format!("r{num:03}") } else { format!("r{num}") };
                prop_assert_eq!(&s.host, &Host::Name(want));
                prop_assert_eq!(s.port, 7000);
            }
        }
    }
}
