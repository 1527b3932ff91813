//! `trib replicate`.

use clap::Args;

use super::Context;
use crate::error::{Exit, TribError};

#[derive(Debug, Args)]
pub struct ReplicateArgs {
    #[arg(long, alias = "master-addr")]
    pub master: String,
    #[arg(long, alias = "slave-addr")]
    pub replica: String,
}

pub async fn run(_ctx: &Context, _args: ReplicateArgs) -> anyhow::Result<Exit> {
    Err(TribError::Failed(
        "`trib replicate` is not available in this version yet; nothing was changed".into(),
    )
    .into())
}
