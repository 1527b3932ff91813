//! Subcommands of the contract whose implementation has not landed yet. Their arguments
//! are defined here so `--help` and completions show the whole contract; running one
//! says plainly that it is not available in this version.

use std::path::PathBuf;

use clap::Args;

use super::Command;
use crate::error::{Exit, TribError};

#[derive(Debug, Args)]
pub struct ReshardArgs {
    pub entry: String,
    /// Source masters (IDs, ID prefixes, addresses) or `all`
    #[arg(long, value_delimiter = ',', required = true)]
    pub from: Vec<String>,
    /// Destination master
    #[arg(long)]
    pub to: String,
    /// Number of slots to move
    #[arg(long, conflicts_with = "range")]
    pub slots: Option<u16>,
    /// Slot ranges to move, A-B[,C-D...]
    #[arg(long, value_delimiter = ',')]
    pub range: Vec<String>,
    /// Keys per MIGRATE batch (adaptive when omitted)
    #[arg(long)]
    pub pipeline: Option<usize>,
    /// Overwrite keys that already exist on the target
    #[arg(long)]
    pub replace: bool,
}

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

#[derive(Debug, Args)]
pub struct ImportArgs {
    pub entry: String,
    #[arg(long)]
    pub from: String,
    #[arg(long)]
    pub from_user: Option<String>,
    #[arg(long)]
    pub from_password: Option<String>,
    #[arg(long)]
    pub copy: bool,
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    pub entry: String,
    pub dir: PathBuf,
}

pub fn run(cmd: &Command) -> anyhow::Result<Exit> {
    let name = match cmd {
        Command::Reshard(_) => "reshard",
        Command::Rebalance(_) => "rebalance",
        Command::Import(_) => "import",
        Command::Backup(_) => "backup",
        _ => "this command",
    };
    Err(TribError::Failed(format!(
        "`trib {name}` is not available in this version yet; nothing was changed"
    ))
    .into())
}
