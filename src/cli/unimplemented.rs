//! Subcommands of the contract whose implementation has not landed yet. Their arguments
//! are defined here so `--help` and completions show the whole contract; running one
//! says plainly that it is not available in this version.

use clap::Args;

use super::Command;
use crate::error::{Exit, TribError};

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

pub fn run(cmd: &Command) -> anyhow::Result<Exit> {
    let name = match cmd {
        Command::Import(_) => "import",
        _ => "this command",
    };
    Err(TribError::Failed(format!(
        "`trib {name}` is not available in this version yet; nothing was changed"
    ))
    .into())
}
