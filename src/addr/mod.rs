//! TEMPORARY stub with the agreed API; replaced by the addr branch.
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AddrError(String);
impl AddrError {
    pub fn is_transient(&self) -> bool {
        false
    }
}
#[derive(Clone, Debug)]
pub enum Host {
    Ip(IpAddr),
    Name(String),
    Srv(String),
}
#[derive(Clone, Debug)]
pub struct NodeSpec {
    pub text: String,
    pub host: Host,
    pub port: u16,
    pub domain: Option<String>,
}
pub fn parse_node_args(args: &[String]) -> Result<Vec<NodeSpec>, AddrError> {
    args.iter()
        .map(|a| {
            let (a, d) = match a.split_once('=') {
                Some((a, d)) => (a, Some(d.to_string())),
                None => (a.as_str(), None),
            };
            let sa: SocketAddr = a.parse().map_err(|_| AddrError(format!("{a}: bad")))?;
            Ok(NodeSpec { text: a.into(), host: Host::Ip(sa.ip()), port: sa.port(), domain: d })
        })
        .collect()
}
pub fn parse_dns_server(s: &str) -> Result<SocketAddr, AddrError> {
    s.parse().map_err(|_| AddrError(s.into()))
}
#[derive(Clone, Debug, Default)]
pub struct ResolverOptions {
    pub dns_server: Option<SocketAddr>,
    pub search: Vec<String>,
    pub timeout: Duration,
}
pub struct Resolver;
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub name: Option<String>,
    pub domain: Option<String>,
    pub text: String,
}
impl Target {
    pub fn label(&self) -> String {
        self.text.clone()
    }
}
impl Resolver {
    pub fn new(_o: &ResolverOptions) -> Result<Resolver, AddrError> {
        Ok(Resolver)
    }
    pub async fn resolve(&self, spec: &NodeSpec) -> Result<Vec<Target>, AddrError> {
        match &spec.host {
            Host::Ip(ip) => Ok(vec![Target { addr: SocketAddr::new(*ip, spec.port), name: None, domain: spec.domain.clone(), text: spec.text.clone() }]),
            _ => Err(AddrError("stub".into())),
        }
    }
    pub async fn resolve_all(&self, specs: &[NodeSpec]) -> Vec<Result<Vec<Target>, AddrError>> {
        let mut out = vec![];
        for s in specs {
            out.push(self.resolve(s).await);
        }
        out
    }
}
