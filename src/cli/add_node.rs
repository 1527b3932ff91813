//! `trib add-node`.

use clap::Args;

use super::Context;
use crate::error::{Exit, TribError};

#[derive(Debug, Args)]
pub struct AddNodeArgs {
    pub new: String,
    pub entry: String,
    /// Add as replica of this master
    #[arg(long, conflicts_with = "replica")]
    pub replica_of: Option<String>,
    /// Add as replica of the master with fewest replicas
    #[arg(long)]
    pub replica: bool,
}

pub async fn run(_ctx: &Context, _args: AddNodeArgs) -> anyhow::Result<Exit> {
    Err(TribError::Failed(
        "`trib add-node` is not available in this version yet; nothing was changed".into(),
    )
    .into())
}
