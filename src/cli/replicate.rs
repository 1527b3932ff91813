//! `trib replicate`: attach a node as replica of a master. The same operation as
//! `add-node --replica-of`, except that the node may already be a member (a replica to
//! re-point, or an empty master).

use std::time::Duration;

use clap::Args;

use super::Context;
use super::join::{JoinRequest, WantArg, join};
use crate::error::Exit;

#[derive(Debug, Args)]
pub struct ReplicateArgs {
    /// The master (an address; the cluster is loaded from it)
    #[arg(long, alias = "master-addr", value_name = "NODE")]
    pub master: String,
    /// The node to attach (NODE or NODE=DOMAIN): empty, or a member replica to re-point
    #[arg(long, alias = "slave-addr", value_name = "NODE")]
    pub replica: String,
    /// Deadline for each wait (gossip, first sync)
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_timeout)]
    pub timeout: Duration,
}

pub async fn run(ctx: &Context, args: ReplicateArgs) -> anyhow::Result<Exit> {
    join(
        ctx,
        JoinRequest {
            new: args.replica,
            entries: vec![args.master.clone()],
            want: WantArg::ReplicaOf(args.master, "--master"),
            allow_member: true,
            timeout: args.timeout,
        },
    )
    .await
}
