//! `trib rebalance`.

use clap::Args;

use super::Context;
use crate::error::{Exit, TribError};

#[derive(Debug, Args)]
pub struct RebalanceArgs {
    pub entry: String,
    /// NODE=W (repeatable); weight 0 drains a master
    #[arg(long)]
    pub weight: Vec<String>,
    /// Give slots to masters that have none
    #[arg(long)]
    pub use_empty_masters: bool,
    /// Only rebalance when a master is off by more than PCT percent
    #[arg(long, value_name = "PCT")]
    pub threshold: Option<f64>,
}

pub async fn run(_ctx: &Context, _args: RebalanceArgs) -> anyhow::Result<Exit> {
    Err(TribError::Failed(
        "`trib rebalance` is not available in this version yet; nothing was changed".into(),
    )
    .into())
}
