//! The command line as clap sees it: the subcommands. The options every subcommand
//! takes are in `global_args.rs`; each subcommand's own arguments live in its file.

use clap::{Parser, Subcommand};

use super::global_args::GlobalArgs;
use super::{
    add_node, apply, backup, call, check, create, del_node, failover, fix, import, info, install,
    rebalance, replicate, reshard, set_timeout,
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
    /// Copy this binary into DIR (an init container hands trib to the Redis container)
    Install(install::InstallArgs),
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
