//! `trib add-node`: add an empty node as a master without slots or as a replica. The
//! operation is the one `trib replicate` runs too ([`super::join`]).

use std::time::Duration;

use clap::Args;

use super::Context;
use super::join::{JoinRequest, WantArg, join};
use crate::error::Exit;

#[derive(Debug, Args)]
pub struct AddNodeArgs {
    /// The node to add (NODE or NODE=DOMAIN): empty, cluster-enabled, alone
    pub new: String,
    /// Any member of the cluster
    pub entry: String,
    /// Add as replica of this master (ID, ID prefix or address)
    #[arg(long, conflicts_with = "replica", value_name = "NODE")]
    pub replica_of: Option<String>,
    /// Add as replica of the master with fewest replicas (preferring another failure domain)
    #[arg(long)]
    pub replica: bool,
    /// Deadline for each wait (gossip, first sync of a replica)
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_timeout)]
    pub timeout: Duration,
}

pub async fn run(ctx: &Context, args: AddNodeArgs) -> anyhow::Result<Exit> {
    let want = match (args.replica_of, args.replica) {
        (Some(m), _) => WantArg::ReplicaOf(m, "--replica-of"),
        (None, true) => WantArg::AnyReplica,
        (None, false) => WantArg::Master,
    };
    let req = JoinRequest {
        new: args.new,
        entries: vec![args.entry],
        want,
        allow_member: false,
        timeout: args.timeout,
    };
    join(ctx, req).await
}
