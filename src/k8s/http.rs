//! A minimal HTTP/1.1 GET over TCP or rustls: all trib needs from the Kubernetes API is a
//! few GETs returning JSON. One connection per request (`Connection: close`); the answer
//! is complete at Content-Length, at the last chunk, or at end of stream.

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

#[derive(Debug)]
pub enum HttpError {
    /// Could not connect or complete the TLS handshake (within the connect timeout).
    Unreachable(String),
    /// Anything after connecting: a timeout, a broken answer.
    Failed(String),
    /// Bad configuration (server URL, certificates).
    Config(String),
}

/// A prepared endpoint: where, TLS, credentials.
pub struct Client {
    host: String,
    port: u16,
    base_path: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    token: Option<String>,
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
            _ => None,
        };
        Ok(Client {
            host,
            port,
            base_path,
            tls,
            token,
        })
    }

    /// GET `path` (with query), within the timeouts.
    pub async fn get(&self, path: &str, t: Timeouts) -> Result<Response, HttpError> {
        let connect = async {
            let tcp = TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|e| HttpError::Unreachable(e.to_string()))?;
            let _ = tcp.set_nodelay(true);
            Ok::<_, HttpError>(tcp)
        };
        let tcp = tokio::time::timeout(t.connect, connect)
            .await
            .map_err(|_| {
                HttpError::Unreachable(format!("no connection within {:?}", t.connect))
            })??;
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

    async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        mut stream: S,
        path: &str,
        t: Timeouts,
    ) -> Result<Response, HttpError> {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let mut req = format!(
            "GET {}{path} HTTP/1.1\r\nHost: {host}:{}\r\nAccept: application/json\r\nUser-Agent: trib/{}\r\nConnection: close\r\n",
            self.base_path,
            self.port,
            env!("CARGO_PKG_VERSION")
        );
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
