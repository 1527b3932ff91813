//! The command line as clap sees it: global options, subcommands, and value parsers.
//! Each subcommand's own arguments live in its file.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::{
    add_node, backup, call, check, create, del_node, failover, fix, import, info, rebalance,
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
    #[arg(long, global = true, value_name = "DUR", default_value = "2s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
    /// Deadline for each command (MIGRATE and waits have their own)
    #[arg(long, global = true, value_name = "DUR", default_value = "5s", value_parser = parse_duration)]
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
    /// Promote a replica (or a master's best replica)
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

/// Parses `500ms`, `2s`, `10m`, `1h`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (use e.g. 500ms, 2s, 10m)"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use ms, s, m or h)")),
    };
    if !secs.is_finite() || !(0.0..=86_400.0 * 7.0).contains(&secs) {
        return Err(format!("{s:?}: out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("2x").is_err());
        assert!(parse_duration("").is_err());
    }

    proptest::proptest! {
        #[test]
        fn parse_duration_never_panics(s in "\\PC{0,20}|[0-9.]{0,12}(ms|s|m|h)?") {
            if let Ok(d) = parse_duration(&s) {
                proptest::prop_assert!(d <= Duration::from_secs(7 * 86_400));
            }
        }

        #[test]
        fn parse_duration_reads_milliseconds(ms in 0u64..604_800_000) {
            let d = parse_duration(&format!("{ms}ms")).unwrap();
            proptest::prop_assert!(d.abs_diff(Duration::from_millis(ms)) < Duration::from_micros(1));
        }
    }
}
