//! Global options resolved once into what every subcommand uses.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use crate::addr::{Resolver, ResolverOptions, Target, parse_dns_server};
use crate::cluster::tls::{TlsOptions, client_config};
use crate::cluster::{ConnectOptions, Secret};
use crate::error::TribError;
use crate::k8s::{self, K8sError, KubeOptions, Level, Timeouts};
use crate::model::view::NodeView;
use crate::ui::{Printer, TermReporter};

use super::argv::password_on_command_line;
use super::{DomainsArg, GlobalArgs};

/// Everything a subcommand needs besides its own arguments.
pub struct Context {
    pub printer: Printer,
    pub connect: ConnectOptions,
    pub resolver: Resolver,
    pub yes: bool,
    pub dry_run: bool,
    pub domains: DomainsArg,
    pub kube: KubeOptions,
}

impl Context {
    pub fn new(g: &GlobalArgs) -> anyhow::Result<Context> {
        let printer = Printer::new(g.json, g.quiet, g.verbose);
        let args: Vec<String> = std::env::args().collect();
        if g.password.is_some() && password_on_command_line(&args) {
            printer.warn(
                "a password given with -a/--password is visible in the process list; prefer REDISCLI_AUTH or --askpass",
            );
        }
        let password = if g.askpass {
            let pw = dialoguer::Password::new()
                .with_prompt("Password")
                .allow_empty_password(true)
                .interact()
                .map_err(|e| {
                    TribError::BadInput(format!("--askpass: cannot read the password: {e}"))
                })?;
            Some(Secret::new(pw))
        } else {
            g.password
                .clone()
                .filter(|p| !p.is_empty())
                .map(Secret::new)
        };
        let tls_wanted = g.tls || g.cacert.is_some() || g.cert.is_some() || g.insecure;
        let tls = if tls_wanted {
            let opts = TlsOptions {
                cacert: g.cacert.clone(),
                cert: g.cert.clone(),
                key: g.key.clone(),
                sni: g.sni.clone(),
                insecure: g.insecure,
            };
            Some((client_config(&opts)?, g.sni.clone()))
        } else {
            None
        };
        let connect = ConnectOptions {
            user: g.user.clone(),
            password,
            tls,
            connect_timeout: g.connect_timeout,
            command_timeout: g.command_timeout,
        };
        let dns_server = g
            .dns_server
            .as_deref()
            .map(parse_dns_server)
            .transpose()
            .map_err(|e| TribError::BadInput(format!("--dns-server: {e}")))?;
        let resolver = Resolver::new(&ResolverOptions {
            dns_server,
            search: g.dns_search.clone(),
            timeout: g.connect_timeout,
        })?;
        if g.domains != DomainsArg::Ip && !cfg!(feature = "kubernetes") {
            return Err(TribError::BadInput(format!(
                "--domains {}: {}",
                domains_level(g.domains).map(Level::flag).unwrap_or("ip"),
                K8sError::NotCompiled
            ))
            .into());
        }
        Ok(Context {
            printer,
            connect,
            resolver,
            yes: g.yes,
            dry_run: g.dry_run,
            domains: g.domains,
            kube: g.kube.options(),
        })
    }

    /// With `--domains kubernetes-node|kubernetes-zone`: replaces the failure domain of every
    /// view with its pod's Kubernetes node or zone, except where `targets` gave one
    /// explicitly (`NODE=DOMAIN`). Every command calls this right after loading or gathering
    /// nodes, before planning; failures are bad input (exit 2), before any change.
    pub async fn assign_domains<'a>(
        &self,
        views: impl IntoIterator<Item = &'a mut NodeView>,
        targets: &[Target],
    ) -> Result<(), TribError> {
        let Some(level) = domains_level(self.domains) else {
            return Ok(());
        };
        let explicit: BTreeSet<SocketAddr> = targets
            .iter()
            .filter(|t| t.domain.is_some())
            .map(|t| t.addr)
            .collect();
        let timeouts = Timeouts {
            connect: self.connect.connect_timeout,
            request: self
                .connect
                .command_timeout
                .max(self.connect.connect_timeout),
        };
        k8s::assign(views, &explicit, level, timeouts, &self.kube)
            .await
            .map_err(|e| TribError::BadInput(e.join("\n")))
    }

    pub fn reporter(&self) -> TermReporter {
        TermReporter::new(&self.printer)
    }
}

fn domains_level(d: DomainsArg) -> Option<Level> {
    match d {
        DomainsArg::Ip => None,
        DomainsArg::KubernetesNode => Some(Level::Node),
        DomainsArg::KubernetesZone => Some(Level::Zone),
    }
}
