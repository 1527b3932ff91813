//! `trib failover`.

use clap::Args;

use super::Context;
use crate::error::{Exit, TribError};

#[derive(Debug, Args)]
pub struct FailoverArgs {
    pub node: String,
    #[arg(long, conflicts_with = "takeover")]
    pub force: bool,
    #[arg(long)]
    pub takeover: bool,
    #[arg(long, value_parser = super::parse_duration)]
    pub timeout: Option<std::time::Duration>,
}

pub async fn run(_ctx: &Context, _args: FailoverArgs) -> anyhow::Result<Exit> {
    Err(TribError::Failed(
        "`trib failover` is not available in this version yet; nothing was changed".into(),
    )
    .into())
}
