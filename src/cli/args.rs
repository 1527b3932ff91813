//! The command line as clap sees it: global options, subcommands, and value parsers.
//! Each subcommand's own arguments live in its file.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

use super::duration::parse_timeout;
use super::{
    add_node, apply, backup, call, check, create, del_node, failover, fix, import, info, rebalance,
    replicate, reshard, set_timeout,
};

/// Create and operate Redis Cluster: a faster, safer, Kubernetes-aware `redis-cli --cluster`.
#[derive(Debug, Parser)]
#[command(name = "trib", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a cluster: plan slots and anti-affine placement, confirm, apply, verify
    Create(create::CreateArgs),
    /// Make the cluster consist of exactly these nodes: create, join, rebalance, re-form, prune
    Apply(apply::ApplyArgs),
    /// Check a cluster's health (exit 1 on problems)
    Check(check::CheckArgs),
    /// Show masters, replicas, slots, keys, memory and resilience
    Info(info::InfoArgs),
    /// Repair open slots, uncovered slots and moved nodes
    Fix(fix::FixArgs),
    /// Move slots and their keys between masters
    Reshard(reshard::ReshardArgs),
    /// Move slots so each master's share matches its weight
    Rebalance(rebalance::RebalanceArgs),
    /// Add an empty node as master or replica
    AddNode(add_node::AddNodeArgs),
    /// Attach a node as replica of a master
    Replicate(replicate::ReplicateArgs),
    /// Remove a node from the cluster
    DelNode(del_node::DelNodeArgs),
    /// Make a node a master (promote a replica), or --demote a master
    Failover(failover::FailoverArgs),
    /// Run a command on every node
    Call(call::CallArgs),
    /// Set cluster-node-timeout everywhere and persist it
    SetTimeout(set_timeout::SetTimeoutArgs),
    /// Move or copy every key of a standalone Redis into the cluster
    Import(import::ImportArgs),
    /// Write an RDB per master and the cluster layout
    Backup(backup::BackupArgs),
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
