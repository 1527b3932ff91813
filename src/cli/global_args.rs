//! The options every subcommand takes (`--password`, TLS, timeouts, DNS, failure
//! domains, output, confirmation), as clap sees them; resolved once into a
//! [`super::Context`].

use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

use super::duration::parse_timeout;

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)
    #[arg(
        short = 'a',
        long,
        env = "REDISCLI_AUTH",
        global = true,
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// ACL user
    #[arg(long, env = "TRIB_USER", global = true)]
    pub user: Option<String>,
    /// Read the password from the terminal
    #[arg(long, global = true)]
    pub askpass: bool,
    /// Use TLS to every node
    #[arg(long, global = true)]
    pub tls: bool,
    /// CA bundle (PEM) to verify the nodes' certificates
    #[arg(long, global = true, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Client certificate (PEM)
    #[arg(long, global = true, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// Client private key (PEM)
    #[arg(long, global = true, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// TLS server name to send and verify
    #[arg(long, global = true, value_name = "NAME")]
    pub sni: Option<String>,
    /// Do not verify the nodes' certificates
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Deadline for each connection
    #[arg(long, global = true, value_name = "DUR", default_value = "2s", value_parser = parse_timeout)]
    pub connect_timeout: Duration,
    /// Deadline for each command (MIGRATE and waits have their own)
    #[arg(long, global = true, value_name = "DUR", default_value = "5s", value_parser = parse_timeout)]
    pub command_timeout: Duration,
    /// DNS server to use instead of resolv.conf's nameservers
    #[arg(long, env = "TRIB_DNS_SERVER", global = true, value_name = "IP[:PORT]")]
    pub dns_server: Option<String>,
    /// Extra DNS search domain (repeatable)
    #[arg(long, global = true, value_name = "DOMAIN")]
    pub dns_search: Vec<String>,
    /// Where failure domains come from
    #[arg(long, global = true, value_enum, default_value_t = DomainsArg::Ip)]
    pub domains: DomainsArg,
    /// One JSON document on stdout; human output goes to stderr
    #[arg(long, global = true)]
    pub json: bool,
    /// Skip the confirmation prompt
    #[arg(short = 'y', long, global = true, env = "TRIB_YES", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false, num_args = 0, default_missing_value = "true")]
    pub yes: bool,
    /// Compute and print the plan, change nothing
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// More output on stderr (repeatable)
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less output on stderr
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    #[command(flatten)]
    pub kube: super::kube_args::KubeArgs,
}

/// Sources of failure domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DomainsArg {
    /// The node's IP address
    Ip,
    /// The Kubernetes node its pod runs on
    KubernetesNode,
    /// The zone of that Kubernetes node
    KubernetesZone,
}
