//! `trib del-node`.

use clap::Args;

use super::Context;
use crate::error::{Exit, TribError};

#[derive(Debug, Args)]
pub struct DelNodeArgs {
    pub entry: String,
    pub node: String,
}

pub async fn run(_ctx: &Context, _args: DelNodeArgs) -> anyhow::Result<Exit> {
    Err(TribError::Failed(
        "`trib del-node` is not available in this version yet; nothing was changed".into(),
    )
    .into())
}
