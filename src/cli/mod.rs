//! Command-line definitions (clap) and dispatch. Only this module sees clap types.

mod add_node;
mod backup;
mod call;
mod check;
mod context;
mod create;
mod del_node;
mod failover;
mod fix;
mod import;
mod info;
mod join;
mod pipeline;
mod rebalance;
mod replicate;
mod reshard;
mod set_timeout;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

pub use context::Context;

use crate::error::Exit;

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

/// Parses arguments, runs the command, and returns the exit code. Errors are printed here.
pub fn main_exit() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::BadInput as i32
            } else {
                0
            };
            let _ = e.print();
            return code;
        }
    };
    ui_init_tracing(&cli.global);
    let json = cli.global.json;
    // `check` and `info` fan out one request per node and wait: on one thread no wakeup
    // crosses threads (60 nodes: 22 ms instead of 24 ms). Commands that move data keep
    // two workers so that reply parsing overlaps the connections' I/O.
    let mut builder = if matches!(cli.command, Command::Check(_) | Command::Info(_)) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    };
    raise_open_file_limit();
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Failed as i32;
        }
    };
    let result = runtime.block_on(run(cli));
    // Do not wait for connection drivers of nodes that never answer.
    runtime.shutdown_background();
    match result {
        Ok(exit) => exit as i32,
        Err(err) => {
            crate::ui::print_error(&err);
            let code = crate::error::exit_for(&err) as i32;
            if json {
                // Scripts reading stdout still get one document.
                let doc = serde_json::json!({"error": format!("{err:#}"), "exit_code": code});
                println!("{doc}");
            }
            code
        }
    }
}

/// The commands that change a cluster hold one connection per node (`check` and `info`
/// about `PROBES_AT_ONCE` while nodes answer, more when slow nodes give their places
/// back): a 1000-node cluster needs more descriptors than the usual soft limit of 1024,
/// and running out would show healthy nodes as unreachable.
/// The soft limit is raised to the hard one (what `ulimit -n` may raise it to anyway).
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!("open file limit: {limit}"),
        Err(e) => tracing::debug!("cannot raise the open file limit: {e}"),
    }
}

fn ui_init_tracing(g: &GlobalArgs) {
    crate::ui::init_tracing(g.verbose, g.quiet);
}

async fn run(cli: Cli) -> anyhow::Result<Exit> {
    if let Command::Completions { shell } = &cli.command {
        let mut cmd = Cli::command();
        clap_complete::generate(*shell, &mut cmd, "trib", &mut std::io::stdout());
        return Ok(Exit::Ok);
    }
    let ctx = Context::new(&cli.global)?;
    match cli.command {
        Command::Create(args) => create::run(&ctx, args).await,
        Command::Check(args) => check::run(&ctx, args).await,
        Command::Info(args) => info::run(&ctx, args).await,
        Command::Call(args) => call::run(&ctx, args).await,
        Command::Fix(args) => fix::run(&ctx, args).await,
        Command::Backup(args) => backup::run(&ctx, args).await,
        Command::Reshard(args) => reshard::run(&ctx, args).await,
        Command::Rebalance(args) => rebalance::run(&ctx, args).await,
        Command::AddNode(args) => add_node::run(&ctx, args).await,
        Command::Replicate(args) => replicate::run(&ctx, args).await,
        Command::DelNode(args) => del_node::run(&ctx, args).await,
        Command::Failover(args) => failover::run(&ctx, args).await,
        Command::SetTimeout(args) => set_timeout::run(&ctx, args).await,
        Command::Import(args) => import::run(&ctx, args).await,
        Command::Completions { .. } => Ok(Exit::Ok),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
