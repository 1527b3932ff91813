//! `trib fix`.

use clap::Args;

use super::Context;
use crate::error::{Exit, TribError};

#[derive(Debug, Args)]
pub struct FixArgs {
    #[arg(required = true, value_name = "ENTRY")]
    pub entries: Vec<String>,
    /// Also look for keys in slots their node does not own
    #[arg(long)]
    pub deep: bool,
    /// Repair even while a master is unreachable
    #[arg(long)]
    pub with_unreachable_masters: bool,
}

pub async fn run(_ctx: &Context, _args: FixArgs) -> anyhow::Result<Exit> {
    Err(TribError::Failed(
        "`trib fix` is not available in this version yet; nothing was changed".into(),
    )
    .into())
}
