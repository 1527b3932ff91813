//! A minimal HTTP/1.1 GET over TCP or rustls: all trib needs from the Kubernetes API is a
//! few GETs returning JSON. One connection per request (`Connection: close`); the answer
//! is complete at Content-Length, at the last chunk, or at end of stream.
//!
//! Proxies are followed, as client-go follows them: the cluster's `proxy-url` when the
//! kubeconfig has one, else `HTTPS_PROXY` (`HTTP_PROXY` for an `http://` server) unless
//! `NO_PROXY` matches the server or it is localhost/loopback. An `https://` API is reached
//! through an HTTP `CONNECT` tunnel (TLS end to end with the API server); an `http://` one
//! with an absolute-form request. `user:password@` in the proxy URL becomes
//! `Proxy-Authorization: Basic`. SOCKS and `https://` proxies are refused with an error,
//! never ignored.

use std::net::IpAddr;
use std::sync::Arc;

use rustls::crypto::ring;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::Timeouts;
use super::config::{ApiConfig, Auth};

/// Answers larger than this are refused (a pods list filtered by IP is a few KiB).
const MAX_RESPONSE: usize = 64 << 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HttpError {
    /// Could not connect or complete the TLS handshake (within the connect timeout).
    #[error("{0}")]
    Unreachable(String),
    /// Anything after connecting: a timeout, a broken answer.
    #[error("{0}")]
    Failed(String),
    /// Bad configuration (server URL, certificates, proxy).
    #[error("{0}")]
    Config(String),
}

/// An HTTP proxy the requests go through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    host: String,
    port: u16,
    /// `Proxy-Authorization` value, from `user:password@` in the URL.
    authorization: Option<String>,
    /// The proxy as messages show it: where it was configured and its URL without password.
    shown: String,
}

/// A prepared endpoint: where, TLS, credentials, proxy.
pub struct Client {
    host: String,
    port: u16,
    base_path: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    token: Option<String>,
    proxy: Option<Proxy>,
}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Client {
    pub fn new(cfg: &ApiConfig) -> Result<Client, HttpError> {
        let (https, rest) = if let Some(r) = cfg.server.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = cfg.server.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(HttpError::Config(format!(
                "server {}: expected https://HOST[:PORT]",
                cfg.server
            )));
        };
        let (authority, base_path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/').to_string()),
            None => (rest, String::new()),
        };
        let (host, port) = split_host_port(authority, if https { 443 } else { 80 })
            .ok_or_else(|| HttpError::Config(format!("server {}: bad host:port", cfg.server)))?;
        let tls = if https {
            let config = tls_config(cfg)?;
            let name = cfg.tls_server_name.clone().unwrap_or_else(|| host.clone());
            let name = ServerName::try_from(name.clone())
                .map_err(|e| HttpError::Config(format!("TLS server name {name}: {e}")))?;
            Some((TlsConnector::from(config), name))
        } else {
            None
        };
        let token = match &cfg.auth {
            Auth::Token(t) => Some(t.clone()),
            Auth::Exec(p) => {
                return Err(HttpError::Config(format!(
                    "the exec credential plugin {} has not run",
                    p.command
                )));
            }
            _ => None,
        };
        let proxy = proxy_for(https, &host, port, cfg.proxy_url.as_deref(), |k| {
            std::env::var(k).ok()
        })?;
        Ok(Client {
            host,
            port,
            base_path,
            tls,
            token,
            proxy,
        })
    }

    /// GET `path` (with query), within the timeouts.
    pub async fn get(&self, path: &str, t: Timeouts) -> Result<Response, HttpError> {
        let (to_host, to_port) = match &self.proxy {
            Some(p) => (p.host.as_str(), p.port),
            None => (self.host.as_str(), self.port),
        };
        let via = |what: String| match &self.proxy {
            Some(p) => format!("{}: {what}", p.shown),
            None => what,
        };
        let connect = async {
            let tcp = TcpStream::connect((to_host, to_port))
                .await
                .map_err(|e| HttpError::Unreachable(via(e.to_string())))?;
            let _ = tcp.set_nodelay(true);
            Ok::<_, HttpError>(tcp)
        };
        let mut tcp = tokio::time::timeout(t.connect, connect)
            .await
            .map_err(|_| {
                HttpError::Unreachable(via(format!("no connection within {:?}", t.connect)))
            })??;
        if let (Some(proxy), Some(_)) = (&self.proxy, &self.tls) {
            tokio::time::timeout(t.connect, self.tunnel(&mut tcp, proxy))
                .await
                .map_err(|_| {
                    HttpError::Unreachable(format!(
                        "{}: no answer to CONNECT within {:?}",
                        proxy.shown, t.connect
                    ))
                })??;
        }
        match &self.tls {
            Some((connector, name)) => {
                let tls = tokio::time::timeout(t.connect, connector.connect(name.clone(), tcp))
                    .await
                    .map_err(|_| {
                        HttpError::Unreachable(format!("no TLS handshake within {:?}", t.connect))
                    })?
                    .map_err(|e| HttpError::Unreachable(format!("TLS: {e}")))?;
                self.exchange(tls, path, t).await
            }
            None => self.exchange(tcp, path, t).await,
        }
    }

    /// `host:port` of the API server, IPv6 in brackets.
    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Asks the proxy for a tunnel to the API server (`CONNECT host:port`).
    async fn tunnel(&self, tcp: &mut TcpStream, proxy: &Proxy) -> Result<(), HttpError> {
        let authority = self.authority();
        let mut req = format!(
            "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: trib/{}\r\n",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(a) = &proxy.authorization {
            req.push_str(&format!("Proxy-Authorization: {a}\r\n"));
        }
        req.push_str("\r\n");
        let broken = |e: std::io::Error| {
            HttpError::Unreachable(format!("{}: CONNECT {authority}: {e}", proxy.shown))
        };
        tcp.write_all(req.as_bytes()).await.map_err(broken)?;
        // Read the answer's head byte by byte: what follows it belongs to the tunnel.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if tcp.read(&mut byte).await.map_err(broken)? == 0 {
                return Err(HttpError::Unreachable(format!(
                    "{}: closed the connection instead of answering CONNECT {authority}",
                    proxy.shown
                )));
            }
            head.push(byte[0]);
            if head.len() > 16384 {
                return Err(HttpError::Unreachable(format!(
                    "{}: its answer to CONNECT is not HTTP",
                    proxy.shown
                )));
            }
        }
        let text = String::from_utf8_lossy(&head);
        let status_line = text.lines().next().unwrap_or_default().trim();
        let code: Option<u16> = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok());
        match code {
            Some(200..=299) => Ok(()),
            _ => Err(HttpError::Unreachable(format!(
                "{} refused CONNECT {authority}: {status_line}",
                proxy.shown
            ))),
        }
    }

    async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        mut stream: S,
        path: &str,
        t: Timeouts,
    ) -> Result<Response, HttpError> {
        let authority = self.authority();
        // Through a proxy without a tunnel (an http:// server), the absolute form.
        let plain_proxy = self.proxy.as_ref().filter(|_| self.tls.is_none());
        let target = match plain_proxy {
            Some(_) => format!("http://{authority}{}{path}", self.base_path),
            None => format!("{}{path}", self.base_path),
        };
        let mut req = format!(
            "GET {target} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\nUser-Agent: trib/{}\r\nConnection: close\r\n",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(a) = plain_proxy.and_then(|p| p.authorization.as_ref()) {
            req.push_str(&format!("Proxy-Authorization: {a}\r\n"));
        }
        if let Some(tok) = &self.token {
            req.push_str(&format!("Authorization: Bearer {tok}\r\n"));
        }
        req.push_str("\r\n");
        let io = async {
            stream.write_all(req.as_bytes()).await?;
            stream.flush().await?;
            let mut buf = Vec::new();
            let mut chunk = [0u8; 16384];
            loop {
                let n = match stream.read(&mut chunk).await {
                    Ok(n) => n,
                    // A server closing without TLS close_notify: judge what arrived.
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
                    Err(e) => return Err(e),
                };
                if n == 0 {
                    return Ok(parse(&buf, true));
                }
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > MAX_RESPONSE {
                    return Ok(Err("answer larger than 64 MiB".to_string()));
                }
                if let Ok(r) = parse(&buf, false) {
                    return Ok(Ok(r));
                }
            }
        };
        match tokio::time::timeout(t.request, io).await {
            Err(_) => Err(HttpError::Failed(format!(
                "no complete answer within {:?}",
                t.request
            ))),
            Ok(Err(e)) => Err(HttpError::Failed(e.to_string())),
            Ok(Ok(Err(e))) => Err(HttpError::Failed(e)),
            Ok(Ok(Ok(r))) => Ok(r),
        }
    }
}

/// The proxy for a request to `host:port` (`https`: an https:// server): the cluster's
/// `proxy-url` if set, else the environment (`env` reads a variable), else none.
pub fn proxy_for(
    https: bool,
    host: &str,
    port: u16,
    proxy_url: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Proxy>, HttpError> {
    if let Some(url) = proxy_url.filter(|u| !u.trim().is_empty()) {
        return parse_proxy(url, "proxy-url").map(Some);
    }
    let names: [&str; 2] = if https {
        ["HTTPS_PROXY", "https_proxy"]
    } else {
        ["HTTP_PROXY", "http_proxy"]
    };
    let Some((name, url)) = names
        .iter()
        .find_map(|n| env(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
    else {
        return Ok(None);
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let no_proxy = env("NO_PROXY")
        .filter(|v| !v.trim().is_empty())
        .or_else(|| env("no_proxy"))
        .unwrap_or_default();
    if loopback || no_proxy_matches(&no_proxy, host, port) {
        return Ok(None);
    }
    parse_proxy(&url, name).map(Some)
}

/// An `http://[user:password@]host[:port]` proxy URL (a bare `host:port` is http).
fn parse_proxy(url: &str, origin: &str) -> Result<Proxy, HttpError> {
    let url = url.trim();
    let bad = |why: &str| HttpError::Config(format!("{origin} {}: {why}", redact(url)));
    let rest = match url.split_once("://") {
        None => url,
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some((scheme, _)) if scheme.to_ascii_lowercase().starts_with("socks") => {
            return Err(bad(
                "SOCKS proxies are not supported; use an HTTP proxy (CONNECT)",
            ));
        }
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => {
            return Err(bad(
                "https:// proxies (TLS to the proxy) are not supported; use an http:// proxy: the connection to the API server is TLS end to end through its CONNECT tunnel",
            ));
        }
        Some((scheme, _)) => return Err(bad(&format!("unsupported proxy scheme {scheme:?}"))),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = split_host_port(hostport, 80).ok_or_else(|| bad("bad host:port"))?;
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let authorization = userinfo.map(|u| {
        let (user, pass) = u.split_once(':').unwrap_or((u, ""));
        let creds = format!("{}:{}", percent_decode(user), percent_decode(pass));
        format!("Basic {}", super::config::base64_encode(creds.as_bytes()))
    });
    Ok(Proxy {
        host,
        port,
        authorization,
        shown: format!("proxy {} ({origin})", redact(url)),
    })
}

/// The URL with the password (if any) replaced by `***`.
fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}{user}:***@{host}{tail}")
        }
        None => url.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `NO_PROXY` (comma-separated) exempts `host:port`: `*`; an IP or a CIDR range;
/// a domain, matching itself and its subdomains (`.domain` or `*.domain`: subdomains only);
/// any of these with `:port` only for that port.
pub fn no_proxy_matches(no_proxy: &str, host: &str, port: u16) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    no_proxy.split(',').map(str::trim).any(|entry| {
        if entry.is_empty() {
            return false;
        }
        if entry == "*" {
            return true;
        }
        let entry = entry.to_ascii_lowercase();
        // A trailing :port (but not the colons of a bare IPv6 address or a CIDR).
        let (pattern, want_port) = match split_host_port(&entry, 0) {
            Some((h, p)) if p != 0 && !entry.contains('/') && h.parse::<IpAddr>().is_ok() => {
                (h, Some(p))
            }
            Some((h, p)) if p != 0 && !entry.contains('/') && !h.contains(':') => (h, Some(p)),
            _ => (
                entry
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
                None,
            ),
        };
        if want_port.is_some_and(|p| p != port) {
            return false;
        }
        if let Some((net, bits)) = pattern.split_once('/') {
            return match (host_ip, net.parse::<IpAddr>(), bits.parse::<u8>()) {
                (Some(ip), Ok(net), Ok(bits)) => in_cidr(ip, net, bits),
                _ => false,
            };
        }
        if let Ok(ip) = pattern.parse::<IpAddr>() {
            return host_ip == Some(ip);
        }
        let pattern = pattern.trim_end_matches('.');
        if let Some(suffix) = pattern
            .strip_prefix("*.")
            .or_else(|| pattern.strip_prefix('.'))
        {
            return host.ends_with(&format!(".{suffix}"));
        }
        host == pattern || host.ends_with(&format!(".{pattern}"))
    })
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

fn split_host_port(authority: &str, default_port: u16) -> Option<(String, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default_port,
            None => return None,
        };
        return Some((h.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((authority.to_string(), default_port)),
    }
}

fn tls_config(cfg: &ApiConfig) -> Result<Arc<ClientConfig>, HttpError> {
    let bad = |what: &str, e: String| HttpError::Config(format!("{what}: {e}"));
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("TLS", e.to_string()))?;
    let builder = if cfg.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(crate::cluster::tls::accept_any_cert(provider))
    } else {
        let mut roots = RootCertStore::empty();
        match &cfg.ca_pem {
            Some(pem) => {
                for cert in CertificateDer::pem_slice_iter(pem) {
                    let cert = cert.map_err(|e| bad("certificate authority", e.to_string()))?;
                    roots
                        .add(cert)
                        .map_err(|e| bad("certificate authority", e.to_string()))?;
                }
                if roots.is_empty() {
                    return Err(bad(
                        "certificate authority",
                        "no PEM certificate in it".into(),
                    ));
                }
            }
            None => {
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = match &cfg.auth {
        Auth::ClientCert { cert_pem, key_pem } => {
            let chain = CertificateDer::pem_slice_iter(cert_pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad("client certificate", e.to_string()))?;
            let key = PrivateKeyDer::from_pem_slice(key_pem)
                .map_err(|e| bad("client key", e.to_string()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| bad("client certificate", e.to_string()))?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Parses a response; `Err` while incomplete (or, at end of stream, when broken).
fn parse(buf: &[u8], eof: bool) -> Result<Response, String> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(if eof {
            format!(
                "connection closed after {} bytes, before a complete HTTP header",
                buf.len()
            )
        } else {
            String::new()
        });
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {status_line:?}"))?;
    let mut chunked = false;
    let mut length: Option<usize> = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            } else if k == "content-length" {
                length = v.parse().ok();
            }
        }
    }
    let body = &buf[end + 4..];
    let incomplete = |what: &str| {
        if eof {
            format!("connection closed in the middle of the answer ({what})")
        } else {
            String::new()
        }
    };
    if chunked {
        let body = dechunk(body).ok_or_else(|| incomplete("chunked body"))?;
        return Ok(Response { status, body });
    }
    match length {
        Some(n) if body.len() >= n => Ok(Response {
            status,
            body: body[..n].to_vec(),
        }),
        Some(_) => Err(incomplete("shorter than Content-Length")),
        None if eof => Ok(Response {
            status,
            body: body.to_vec(),
        }),
        None => Err(String::new()),
    }
}

/// Decodes a complete chunked body; `None` until the last chunk has arrived.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        if b.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_and_chunked() {
        let r = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", false).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"{}"[..]));
        assert!(parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{}", false).is_err());
        let chunked = b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let r = parse(chunked, false).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (403, &b"abcde"[..]));
        assert!(parse(&chunked[..chunked.len() - 7], false).is_err());
        let r = parse(b"HTTP/1.0 200 OK\r\n\r\nall", true).unwrap();
        assert_eq!(r.body, b"all");
    }

    fn env(vars: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let vars: Vec<(&str, &str)> = vars.to_vec();
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn proxy_from_the_kubeconfig_or_the_environment() {
        let p = proxy_for(
            true,
            "api.example",
            6443,
            Some("http://u:p%40ss@proxy:3128"),
            env(&[]),
        )
        .unwrap()
        .unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy", 3128));
        // "u:p@ss"
        assert_eq!(p.authorization.as_deref(), Some("Basic dTpwQHNz"));
        assert_eq!(p.shown, "proxy http://u:***@proxy:3128 (proxy-url)");

        let e = env(&[
            ("HTTPS_PROXY", "proxy.corp:8080"),
            ("NO_PROXY", ".internal,10.0.0.0/8"),
        ]);
        let p = proxy_for(true, "api.example", 443, None, &e)
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.authorization),
            ("proxy.corp", 8080, None)
        );
        assert_eq!(
            proxy_for(true, "k8s.internal", 443, None, &e).unwrap(),
            None
        );
        assert_eq!(proxy_for(true, "10.96.0.1", 443, None, &e).unwrap(), None);
        // Never for loopback; http:// servers use HTTP_PROXY only.
        assert_eq!(proxy_for(true, "127.0.0.1", 6443, None, &e).unwrap(), None);
        assert_eq!(proxy_for(true, "localhost", 6443, None, &e).unwrap(), None);
        assert_eq!(proxy_for(false, "api.example", 80, None, &e).unwrap(), None);
        let lower = env(&[("http_proxy", "http://p:1")]);
        assert!(
            proxy_for(false, "api.example", 80, None, &lower)
                .unwrap()
                .is_some()
        );
        // proxy-url wins over NO_PROXY (it is the cluster's own setting).
        assert!(
            proxy_for(true, "k8s.internal", 443, Some("http://p:1"), &e)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn unsupported_proxies_are_refused_not_ignored() {
        for (url, want) in [
            ("socks5://proxy:1080", "SOCKS proxies are not supported"),
            (
                "https://proxy:443",
                "https:// proxies (TLS to the proxy) are not supported",
            ),
            ("ftp://proxy", "unsupported proxy scheme"),
            ("http://:8080", "no host"),
        ] {
            let e = proxy_for(true, "api", 443, Some(url), env(&[])).unwrap_err();
            assert!(
                matches!(&e, HttpError::Config(m) if m.contains(want)),
                "{url}: {e}"
            );
            let from_env = env(&[("HTTPS_PROXY", url)]);
            let e = proxy_for(true, "api", 443, None, from_env).unwrap_err();
            assert!(e.to_string().starts_with("HTTPS_PROXY "), "{e}");
        }
        let e = proxy_for(true, "api", 443, Some("socks5://me:secret@p:1"), env(&[])).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn no_proxy_rules() {
        let np = "localhost, .svc,*.corp.example, cluster.local,10.0.0.0/8,fd00::/8,192.168.1.5,api.x:6443";
        for (host, port, want) in [
            ("kubernetes.default.svc", 443, true),
            ("svc", 443, false),
            ("a.corp.example", 443, true),
            ("corp.example", 443, false),
            ("cluster.local", 443, true),
            ("api.cluster.local", 443, true),
            ("notcluster.local", 443, false),
            ("10.96.0.1", 443, true),
            ("11.0.0.1", 443, false),
            ("fd00::1", 443, true),
            ("fe80::1", 443, false),
            ("192.168.1.5", 443, true),
            ("api.x", 6443, true),
            ("api.x", 443, false),
            ("API.Cluster.Local.", 443, true),
        ] {
            assert_eq!(no_proxy_matches(np, host, port), want, "{host}:{port}");
        }
        assert!(no_proxy_matches("*", "anything", 1));
        assert!(!no_proxy_matches("", "anything", 1));
    }

    #[test]
    fn host_port() {
        assert_eq!(split_host_port("h:6443", 443), Some(("h".into(), 6443)));
        assert_eq!(split_host_port("h", 443), Some(("h".into(), 443)));
        assert_eq!(
            split_host_port("[fd00::1]:6443", 443),
            Some(("fd00::1".into(), 6443))
        );
        assert_eq!(
            split_host_port("[fd00::1]", 443),
            Some(("fd00::1".into(), 443))
        );
        assert_eq!(split_host_port("h:x", 443), None);
    }
}
