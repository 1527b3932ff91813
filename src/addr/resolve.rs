//! DNS resolution of [`NodeSpec`]s with the system resolver configuration
//! (`/etc/resolv.conf` search domains, ndots, `/etc/hosts`), optionally with
//! an overridden nameserver and extra search domains.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::{Duration, Instant};

use futures::StreamExt;
use hickory_resolver::config::{NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{Name, ResolveError, ResolveErrorKind, TokioResolver};
use serde::Serialize;

use super::AddrError;
use super::spec::{Host, NodeSpec};

const RESOLV_CONF: &str = "/etc/resolv.conf";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// How many specs `resolve_all` resolves at once.
const CONCURRENCY: usize = 64;

/// Resolver settings from the global options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverOptions {
    /// `--dns-server`: replaces the nameservers of resolv.conf (search and ndots are kept).
    pub dns_server: Option<SocketAddr>,
    /// `--dns-search`: search domains appended to those of resolv.conf.
    pub search: Vec<String>,
    /// Deadline for resolving one spec (every query, search domain and SRV
    /// target included); also caps the per-query timeout. Zero means 5s.
    pub timeout: Duration,
}

impl Default for ResolverOptions {
    fn default() -> Self {
        ResolverOptions {
            dns_server: None,
            search: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// One address to connect to, from a [`NodeSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Target {
    pub addr: SocketAddr,
    /// The DNS name the address came from (the spec's name, or the SRV target); `None` for IPs.
    pub name: Option<String>,
    /// The failure domain given with `=DOMAIN`; see [`Target::failure_domain`].
    pub domain: Option<String>,
    /// The spec text (argument after range expansion, without `=DOMAIN`).
    pub text: String,
    /// True when `name` resolved to several addresses (e.g. a headless
    /// Service), so the name alone does not identify this node.
    pub shared: bool,
}

impl Target {
    /// A target for an IP literal.
    pub fn from_ip(addr: SocketAddr, text: impl Into<String>, domain: Option<String>) -> Target {
        Target {
            addr,
            name: None,
            domain,
            text: text.into(),
            shared: false,
        }
    }

    /// Short human label: `name:port` for a name with one address,
    /// `name:port (ip)` for a name with several, else `ip:port` / `[v6]:port`.
    pub fn label(&self) -> String {
        match &self.name {
            None => self.addr.to_string(),
            Some(n) => {
                let n = n.strip_suffix('.').unwrap_or(n);
                if self.shared {
                    format!("{n}:{} ({})", self.addr.port(), self.addr.ip())
                } else {
                    format!("{n}:{}", self.addr.port())
                }
            }
        }
    }

    /// The failure domain: the one given with `=DOMAIN`, else the IP address.
    pub fn failure_domain(&self) -> String {
        self.domain
            .clone()
            .unwrap_or_else(|| self.addr.ip().to_string())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Resolves node specs. Cheap to clone (shares the cache).
#[derive(Clone)]
pub struct Resolver {
    inner: TokioResolver,
    timeout: Duration,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("config", self.inner.config())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Resolver {
    /// Builds a resolver from `/etc/resolv.conf` (nameservers, search, ndots,
    /// timeout, attempts) and `/etc/hosts`, with `opts` applied on top. When
    /// resolv.conf is missing, uses the libc defaults: nameserver 127.0.0.1,
    /// no search domains, ndots 1.
    pub fn new(opts: &ResolverOptions) -> Result<Resolver, AddrError> {
        let text = match std::fs::read_to_string(RESOLV_CONF) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(AddrError::Config {
                    input: RESOLV_CONF.to_string(),
                    reason: e.to_string(),
                });
            }
        };
        Resolver::with_resolv_conf(opts, text.as_deref())
    }

    /// Like [`Resolver::new`] with the given resolv.conf contents (`None`: file missing).
    pub fn with_resolv_conf(
        opts: &ResolverOptions,
        resolv_conf: Option<&str>,
    ) -> Result<Resolver, AddrError> {
        let (config, mut ropts) = match resolv_conf {
            Some(text) => parse_resolv_conf(text)?,
            None => (
                ResolverConfig::from_parts(None, Vec::new(), localhost_servers()),
                ResolverOpts::default(),
            ),
        };

        let servers = match opts.dns_server {
            Some(sa) => NameServerConfigGroup::from_ips_clear(&[sa.ip()], sa.port(), true),
            None => NameServerConfigGroup::from(config.name_servers().to_vec()),
        };
        let mut search = config.search().to_vec();
        for s in &opts.search {
            let name = parse_search_domain(s)?;
            if !search.iter().any(|n| n.eq_ignore_root(&name)) {
                search.push(name);
            }
        }
        let config = ResolverConfig::from_parts(config.domain().cloned(), search, servers);

        let timeout = if opts.timeout.is_zero() {
            DEFAULT_TIMEOUT
        } else {
            opts.timeout
        };
        ropts.timeout = ropts.timeout.min(timeout);
        ropts.attempts = ropts.attempts.max(1);
        ropts.cache_size = 1024;
        ropts.use_hosts_file = ResolveHosts::Auto;

        let inner = TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
            .with_options(ropts)
            .build();
        Ok(Resolver { inner, timeout })
    }

    /// The overall per-spec deadline.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Resolves one spec: IPs pass through, names give one target per address
    /// (sorted), SRV names one target per (record, address) with the record's port.
    pub async fn resolve(&self, spec: &NodeSpec) -> Result<Vec<Target>, AddrError> {
        if let Host::Ip(ip) = spec.host {
            return Ok(vec![Target::from_ip(
                SocketAddr::new(ip, spec.port),
                spec.text.clone(),
                spec.domain.clone(),
            )]);
        }
        let start = Instant::now();
        let work = async {
            match &spec.host {
                Host::Ip(_) => Ok(Vec::new()),
                Host::Name(name) => {
                    let ips = self.lookup_ips(name, &spec.text, start).await?;
                    let shared = ips.len() > 1;
                    Ok(ips
                        .into_iter()
                        .map(|ip| Target {
                            addr: SocketAddr::new(ip, spec.port),
                            name: Some(name.clone()),
                            domain: spec.domain.clone(),
                            text: spec.text.clone(),
                            shared,
                        })
                        .collect())
                }
                Host::Srv(name) => self.resolve_srv(spec, name, start).await,
            }
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(AddrError::Timeout {
                input: spec.text.clone(),
                after: self.timeout,
            }),
        }
    }

    /// Resolves every spec concurrently (bounded), results in the order of `specs`.
    pub async fn resolve_all(&self, specs: &[NodeSpec]) -> Vec<Result<Vec<Target>, AddrError>> {
        futures::stream::iter(specs)
            .map(|s| self.resolve(s))
            .buffered(CONCURRENCY)
            .collect()
            .await
    }

    async fn lookup_ips(
        &self,
        name: &str,
        input: &str,
        start: Instant,
    ) -> Result<Vec<IpAddr>, AddrError> {
        let lookup = self
            .inner
            .lookup_ip(name)
            .await
            .map_err(|e| map_error(input, &e, "A/AAAA", start))?;
        let mut ips: Vec<IpAddr> = lookup.iter().collect();
        ips.sort();
        ips.dedup();
        if ips.is_empty() {
            return Err(AddrError::NoRecords {
                input: input.to_string(),
                what: "A/AAAA",
            });
        }
        Ok(ips)
    }

    async fn resolve_srv(
        &self,
        spec: &NodeSpec,
        name: &str,
        start: Instant,
    ) -> Result<Vec<Target>, AddrError> {
        let lookup = self
            .inner
            .srv_lookup(name)
            .await
            .map_err(|e| map_error(&spec.text, &e, "SRV", start))?;
        let mut records: Vec<(u16, String, u16)> = lookup
            .iter()
            .filter(|srv| !srv.target().is_root())
            .map(|srv| (srv.priority(), srv.target().to_ascii(), srv.port()))
            .collect();
        records.sort();
        records.dedup();
        if records.is_empty() {
            return Err(AddrError::NoRecords {
                input: spec.text.clone(),
                what: "SRV",
            });
        }
        let resolved = futures::future::join_all(records.iter().map(|(_, target, _)| async move {
            let short = target.strip_suffix('.').unwrap_or(target);
            let input = format!("{}: SRV target {short}", spec.text);
            self.lookup_ips(target, &input, start).await
        }))
        .await;
        let mut out = Vec::new();
        for ((_, target, port), ips) in records.iter().zip(resolved) {
            let ips = ips?;
            let shared = ips.len() > 1;
            let short = target.strip_suffix('.').unwrap_or(target);
            out.extend(ips.into_iter().map(|ip| Target {
                addr: SocketAddr::new(ip, *port),
                name: Some(short.to_string()),
                domain: spec.domain.clone(),
                text: spec.text.clone(),
                shared,
            }));
        }
        Ok(out)
    }
}

fn localhost_servers() -> NameServerConfigGroup {
    NameServerConfigGroup::from_ips_clear(&[IpAddr::V4(Ipv4Addr::LOCALHOST)], 53, false)
}

fn parse_resolv_conf(text: &str) -> Result<(ResolverConfig, ResolverOpts), AddrError> {
    let has_nameserver = text
        .lines()
        .any(|l| l.trim_start().starts_with("nameserver"));
    // Like libc: no nameserver line means 127.0.0.1 (hickory refuses such a file).
    let text = if has_nameserver {
        text.to_string()
    } else {
        format!("{text}\nnameserver 127.0.0.1\n")
    };
    hickory_resolver::system_conf::parse_resolv_conf(text).map_err(|e| AddrError::Config {
        input: RESOLV_CONF.to_string(),
        reason: one_line(&e.to_string()),
    })
}

fn parse_search_domain(s: &str) -> Result<Name, AddrError> {
    let bad = |reason: String| AddrError::Config {
        input: format!("--dns-search {s}"),
        reason,
    };
    let trimmed = s.strip_suffix('.').unwrap_or(s);
    if trimmed.is_empty() {
        return Err(bad("empty search domain".to_string()));
    }
    Name::from_str(trimmed).map_err(|e| bad(one_line(&e.to_string())))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn map_error(input: &str, e: &ResolveError, what: &'static str, start: Instant) -> AddrError {
    let input = input.to_string();
    if e.is_nx_domain() {
        return AddrError::NotFound { input };
    }
    if e.is_no_records_found() {
        return AddrError::NoRecords { input, what };
    }
    match e.kind() {
        ResolveErrorKind::Proto(p) if matches!(p.kind(), ProtoErrorKind::Timeout) => {
            AddrError::Timeout {
                input,
                after: round_elapsed(start.elapsed()),
            }
        }
        _ => AddrError::Dns {
            input,
            reason: one_line(&e.to_string()),
        },
    }
}

/// Elapsed time rounded to 100ms, for messages.
fn round_elapsed(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis().div_ceil(100).saturating_mul(100) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::parse_node;
    use crate::addr::test_dns::{DnsRecord, DnsServer};

    fn spec(arg: &str) -> NodeSpec {
        parse_node(arg).unwrap().remove(0)
    }

    fn opts(server: &DnsServer, search: &[&str]) -> ResolverOptions {
        ResolverOptions {
            dns_server: Some(server.addr()),
            search: search.iter().map(|s| s.to_string()).collect(),
            timeout: Duration::from_secs(5),
        }
    }

    /// resolv.conf without search domains, so tests do not depend on the host's.
    const BARE_CONF: &str = "nameserver 127.0.0.1\n";

    fn addrs(ts: &[Target]) -> Vec<String> {
        ts.iter().map(|t| t.addr.to_string()).collect()
    }

    fn pod_records() -> Vec<DnsRecord> {
        let z = "redis-service.default.svc.cluster.local";
        vec![
            DnsRecord::a(&format!("redis-app-0.{z}"), "10.1.0.10"),
            DnsRecord::a(&format!("redis-app-1.{z}"), "10.1.0.11"),
            DnsRecord::a(z, "10.1.0.10"),
            DnsRecord::a(z, "10.1.0.11"),
            DnsRecord::a(z, "10.1.0.12"),
            DnsRecord::a("v6only.test", "fd00::7"),
            DnsRecord::srv(
                &format!("_redis._tcp.{z}"),
                &format!("redis-app-0.{z}"),
                7000,
            ),
            DnsRecord::srv(
                &format!("_redis._tcp.{z}"),
                &format!("redis-app-1.{z}"),
                7001,
            ),
            DnsRecord::srv("_broken._tcp.test", "missing.test", 7002),
        ]
    }

    #[tokio::test]
    async fn ip_passes_through_without_dns() {
        // Port 9 on localhost: nothing answers; IPs must not touch DNS.
        let o = ResolverOptions {
            dns_server: Some("127.0.0.1:9".parse().unwrap()),
            ..ResolverOptions::default()
        };
        let r = Resolver::with_resolv_conf(&o, Some(BARE_CONF)).unwrap();
        let t = r.resolve(&spec("[fd00::5]:7000=rack-1")).await.unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].addr, "[fd00::5]:7000".parse().unwrap());
        assert_eq!(t[0].name, None);
        assert_eq!(t[0].domain.as_deref(), Some("rack-1"));
        assert_eq!(t[0].text, "[fd00::5]:7000");
        assert_eq!(t[0].label(), "[fd00::5]:7000");
        assert_eq!(t[0].failure_domain(), "rack-1");
        let t = r.resolve(&spec("10.0.0.5")).await.unwrap();
        assert_eq!(t[0].label(), "10.0.0.5:6379");
        assert_eq!(t[0].failure_domain(), "10.0.0.5");
    }

    #[tokio::test]
    async fn pod_names_via_search_domain_ndots_1_and_5() {
        let dns = DnsServer::start(&pod_records());
        let o = opts(&dns, &["default.svc.cluster.local"]);
        for conf in [BARE_CONF, "nameserver 127.0.0.1\noptions ndots:5\n"] {
            let r = Resolver::with_resolv_conf(&o, Some(conf)).unwrap();
            let t = r
                .resolve(&spec("redis-app-0.redis-service:6379=node-a"))
                .await
                .unwrap();
            assert_eq!(addrs(&t), ["10.1.0.10:6379"], "{conf}");
            assert_eq!(t[0].name.as_deref(), Some("redis-app-0.redis-service"));
            assert_eq!(t[0].label(), "redis-app-0.redis-service:6379");
            assert_eq!(t[0].domain.as_deref(), Some("node-a"));
            assert_eq!(t[0].text, "redis-app-0.redis-service:6379");
            // The full name works too, and so does an FQDN.
            let t = r
                .resolve(&spec(
                    "redis-app-1.redis-service.default.svc.cluster.local.:7000",
                ))
                .await
                .unwrap();
            assert_eq!(addrs(&t), ["10.1.0.11:7000"]);
        }
    }

    #[tokio::test]
    async fn search_domain_from_resolv_conf_is_kept_with_dns_server_override() {
        let dns = DnsServer::start(&pod_records());
        let conf = "nameserver 192.0.2.1\nsearch svc.cluster.local\noptions ndots:5\n";
        let r = Resolver::with_resolv_conf(&opts(&dns, &[]), Some(conf)).unwrap();
        let t = r
            .resolve(&spec("redis-app-1.redis-service.default"))
            .await
            .unwrap();
        assert_eq!(addrs(&t), ["10.1.0.11:6379"]);
    }

    #[tokio::test]
    async fn etc_hosts_is_read() {
        // The server answers NXDOMAIN for everything; localhost comes from /etc/hosts.
        let dns = DnsServer::start(&[]);
        let r =
            Resolver::with_resolv_conf(&opts(&dns, &["example.test"]), Some(BARE_CONF)).unwrap();
        let t = r.resolve(&spec("localhost:7000")).await.unwrap();
        assert!(t.iter().all(|t| t.addr.ip().is_loopback()), "{t:?}");
        assert_eq!(t[0].label(), "localhost:7000");
    }

    #[tokio::test]
    async fn headless_name_gives_one_target_per_address() {
        let dns = DnsServer::start(&pod_records());
        let r = Resolver::with_resolv_conf(
            &opts(&dns, &["default.svc.cluster.local"]),
            Some(BARE_CONF),
        )
        .unwrap();
        let t = r.resolve(&spec("redis-service:7000")).await.unwrap();
        assert_eq!(
            addrs(&t),
            ["10.1.0.10:7000", "10.1.0.11:7000", "10.1.0.12:7000"]
        );
        assert!(t.iter().all(|t| t.shared && t.text == "redis-service:7000"));
        assert_eq!(t[1].label(), "redis-service:7000 (10.1.0.11)");
        let t = r.resolve(&spec("v6only.test:7000")).await.unwrap();
        assert_eq!(addrs(&t), ["[fd00::7]:7000"]);
        assert_eq!(t[0].label(), "v6only.test:7000");
    }

    #[tokio::test]
    async fn srv_name_gives_targets_with_record_ports() {
        let dns = DnsServer::start(&pod_records());
        let r = Resolver::with_resolv_conf(
            &opts(&dns, &["default.svc.cluster.local"]),
            Some(BARE_CONF),
        )
        .unwrap();
        let t = r
            .resolve(&spec("_redis._tcp.redis-service=zone-a"))
            .await
            .unwrap();
        assert_eq!(addrs(&t), ["10.1.0.10:7000", "10.1.0.11:7001"]);
        assert_eq!(
            t[0].name.as_deref(),
            Some("redis-app-0.redis-service.default.svc.cluster.local")
        );
        assert!(t.iter().all(|t| t.domain.as_deref() == Some("zone-a")));
        assert!(t.iter().all(|t| t.text == "_redis._tcp.redis-service"));

        let e = r.resolve(&spec("_broken._tcp.test")).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "_broken._tcp.test: SRV target missing.test: name does not resolve (NXDOMAIN)"
        );
        assert!(e.is_transient());
        let e = r.resolve(&spec("_none._tcp.test")).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "_none._tcp.test: name does not resolve (NXDOMAIN)"
        );
    }

    #[tokio::test]
    async fn nxdomain_is_transient_and_names_the_input() {
        let dns = DnsServer::start(&pod_records());
        let r = Resolver::with_resolv_conf(
            &opts(&dns, &["default.svc.cluster.local"]),
            Some(BARE_CONF),
        )
        .unwrap();
        let e = r
            .resolve(&spec("redis-app-9.redis-service:6379"))
            .await
            .unwrap_err();
        assert_eq!(
            e,
            AddrError::NotFound {
                input: "redis-app-9.redis-service:6379".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "redis-app-9.redis-service:6379: name does not resolve (NXDOMAIN)"
        );
        assert!(e.is_transient());
    }

    #[tokio::test]
    async fn resolve_all_keeps_order() {
        let dns = DnsServer::start(&pod_records());
        let r = Resolver::with_resolv_conf(
            &opts(&dns, &["default.svc.cluster.local"]),
            Some(BARE_CONF),
        )
        .unwrap();
        let specs = crate::addr::parse_node_args(&[
            "redis-app-{0..2}.redis-service".to_string(),
            "10.9.9.9:1".to_string(),
        ])
        .unwrap();
        let res = r.resolve_all(&specs).await;
        assert_eq!(res.len(), 4);
        assert_eq!(addrs(res[0].as_ref().unwrap()), ["10.1.0.10:6379"]);
        assert_eq!(addrs(res[1].as_ref().unwrap()), ["10.1.0.11:6379"]);
        assert!(matches!(res[2], Err(AddrError::NotFound { .. })));
        assert_eq!(addrs(res[3].as_ref().unwrap()), ["10.9.9.9:1"]);
    }

    #[tokio::test]
    async fn unresponsive_server_times_out_within_deadline() {
        // A bound UDP socket that never answers: queries time out.
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let o = ResolverOptions {
            dns_server: Some(silent.local_addr().unwrap()),
            search: vec!["a.example".into(), "b.example".into()],
            timeout: Duration::from_millis(800),
        };
        let r = Resolver::with_resolv_conf(&o, Some(BARE_CONF)).unwrap();
        let start = Instant::now();
        let e = r.resolve(&spec("redis-0.redis:6379")).await.unwrap_err();
        let took = start.elapsed();
        assert!(took < Duration::from_secs(3), "took {took:?}");
        assert!(e.is_transient(), "{e}");
        assert!(
            matches!(e, AddrError::Timeout { .. }),
            "expected timeout, got {e}"
        );
        assert!(
            e.to_string()
                .starts_with("redis-0.redis:6379: DNS lookup timed out after ")
        );
    }

    #[tokio::test]
    async fn closed_port_fails_fast_and_transient() {
        let port = {
            let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            s.local_addr().unwrap().port()
        };
        let o = ResolverOptions {
            dns_server: Some(SocketAddr::from(([127, 0, 0, 1], port))),
            search: vec![],
            timeout: Duration::from_secs(2),
        };
        let r = Resolver::with_resolv_conf(&o, Some(BARE_CONF)).unwrap();
        let e = r.resolve(&spec("nothing.example")).await.unwrap_err();
        assert!(e.is_transient(), "{e}");
        assert!(e.to_string().starts_with("nothing.example: "), "{e}");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn config_errors_and_fallbacks() {
        // Built outside a runtime; missing resolv.conf falls back to defaults.
        let r = Resolver::with_resolv_conf(&ResolverOptions::default(), None).unwrap();
        assert_eq!(r.inner.config().name_servers()[0].socket_addr.port(), 53);
        assert!(r.inner.config().search().is_empty());
        // resolv.conf without a nameserver line: libc's 127.0.0.1.
        let r = Resolver::with_resolv_conf(
            &ResolverOptions::default(),
            Some("search a.example\noptions ndots:5\n"),
        )
        .unwrap();
        assert_eq!(
            r.inner.config().name_servers()[0].socket_addr,
            "127.0.0.1:53".parse().unwrap()
        );
        assert_eq!(r.inner.options().ndots, 5);
        // --dns-server replaces nameservers, keeps search; --dns-search appends.
        let o = ResolverOptions {
            dns_server: Some("10.96.0.10:5353".parse().unwrap()),
            search: vec!["b.example.".into(), "a.example".into()],
            timeout: Duration::ZERO,
        };
        let r = Resolver::with_resolv_conf(
            &o,
            Some("nameserver 1.1.1.1\nsearch a.example\noptions timeout:30\n"),
        )
        .unwrap();
        assert!(
            r.inner
                .config()
                .name_servers()
                .iter()
                .all(|n| n.socket_addr == "10.96.0.10:5353".parse().unwrap())
        );
        let search: Vec<String> = r
            .inner
            .config()
            .search()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(search, ["a.example", "b.example"]);
        assert_eq!(r.timeout(), DEFAULT_TIMEOUT);
        assert_eq!(r.inner.options().timeout, DEFAULT_TIMEOUT);

        let o = ResolverOptions {
            search: vec![String::new()],
            ..ResolverOptions::default()
        };
        let e = Resolver::with_resolv_conf(&o, None).unwrap_err();
        assert_eq!(e.to_string(), "--dns-search : empty search domain");
        assert!(!e.is_transient());
        let o = ResolverOptions {
            search: vec!["a..b".into()],
            ..ResolverOptions::default()
        };
        let e = Resolver::with_resolv_conf(&o, None).unwrap_err();
        assert!(e.to_string().starts_with("--dns-search a..b: "), "{e}");
        // The real system config loads (the file exists in this environment or falls back).
        Resolver::new(&ResolverOptions::default()).unwrap();
    }

    #[test]
    fn label_forms() {
        let mut t = Target::from_ip("[fd00::1]:7000".parse().unwrap(), "x", None);
        assert_eq!(t.label(), "[fd00::1]:7000");
        t.name = Some("redis-0.redis.".into());
        assert_eq!(t.label(), "redis-0.redis:7000");
        t.shared = true;
        assert_eq!(t.label(), "redis-0.redis:7000 (fd00::1)");
        assert_eq!(t.to_string(), t.label());
    }
}
