//! Command-line definitions (clap) and dispatch. Only this module sees clap types.

mod add_node;
mod apply;
mod args;
mod argv;
mod backup;
mod call;
mod check;
mod context;
mod create;
mod del_node;
mod duration;
mod failover;
mod fix;
mod global_args;
mod guarded;
mod help;
mod import;
mod info;
mod install;
mod join;
mod kube_args;
mod load;
mod migration_args;
mod nodes;
mod operation;
mod pipeline;
mod rebalance;
mod replicate;
mod reshard;
mod set_timeout;

use clap::{CommandFactory, Parser};

pub use args::{Cli, Command};
pub use context::Context;
pub use duration::{parse_duration, parse_timeout};
pub use global_args::{DomainsArg, GlobalArgs};

use crate::error::Exit;

/// Parses arguments, runs the command, and returns the exit code. Errors are printed here.
pub fn main_exit() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::BadInput as i32
            } else {
                0
            };
            let _ = e.print();
            let args: Vec<String> = std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            if code != 0 && argv::json_on_command_line(&args) {
                // Scripts reading stdout get one document here too.
                print_json_error(&argv::usage_message(&e.render().to_string()), code);
            }
            return code;
        }
    };
    ui_init_tracing(&cli.global);
    let json = cli.global.json;
    // One thread: every command waits on nodes far more than it computes, and on one
    // thread no wakeup crosses threads (`check` of 60 nodes: 22 ms instead of 24 ms; a
    // 1000-slot reshard costs trib a fifth less CPU). `import` and `backup` parse whole
    // datasets: two workers, so that parsing overlaps the connections' I/O.
    let mut builder = if matches!(cli.command, Command::Import(_) | Command::Backup(_)) {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    raise_open_file_limit();
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Failed as i32;
        }
    };
    let result = runtime.block_on(run(cli));
    // Do not wait for connection drivers of nodes that never answer.
    runtime.shutdown_background();
    match result {
        Ok(exit) => exit as i32,
        Err(err) => {
            crate::ui::print_error(&err);
            let code = crate::error::exit_for(&err) as i32;
            if json {
                // Scripts reading stdout still get one document.
                print_json_error(&format!("{err:#}"), code);
            }
            code
        }
    }
}

/// The document `--json` prints instead of a command's own when it stops with an error
/// (docs/json.md, "Errors").
fn print_json_error(message: &str, code: i32) {
    println!(
        "{}",
        serde_json::json!({"error": message, "exit_code": code})
    );
}

/// The commands that change a cluster hold one connection per node (`check` and `info`
/// about `PROBES_AT_ONCE` while nodes answer, more when slow nodes give their places
/// back): a 1000-node cluster needs more descriptors than the usual soft limit of 1024,
/// and running out would show healthy nodes as unreachable.
/// The soft limit is raised to the hard one (what `ulimit -n` may raise it to anyway).
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!("open file limit: {limit}"),
        Err(e) => tracing::debug!("cannot raise the open file limit: {e}"),
    }
}

fn ui_init_tracing(g: &GlobalArgs) {
    crate::ui::init_tracing(g.verbose, g.quiet);
}

async fn run(cli: Cli) -> anyhow::Result<Exit> {
    if let Command::Completions { shell } = &cli.command {
        let mut cmd = Cli::command();
        clap_complete::generate(*shell, &mut cmd, "trib", &mut std::io::stdout());
        return Ok(Exit::Ok);
    }
    if let Command::Install(args) = &cli.command {
        return install::run(args, cli.global.json);
    }
    let ctx = Context::new(&cli.global)?;
    match cli.command {
        Command::Create(args) => create::run(&ctx, args).await,
        Command::Apply(args) => apply::run(&ctx, args).await,
        Command::Check(args) => check::run(&ctx, args).await,
        Command::Info(args) => info::run(&ctx, args).await,
        Command::Call(args) => call::run(&ctx, args).await,
        Command::Fix(args) => fix::run(&ctx, args).await,
        Command::Backup(args) => backup::run(&ctx, args).await,
        Command::Reshard(args) => reshard::run(&ctx, args).await,
        Command::Rebalance(args) => rebalance::run(&ctx, args).await,
        Command::AddNode(args) => add_node::run(&ctx, args).await,
        Command::Replicate(args) => replicate::run(&ctx, args).await,
        Command::DelNode(args) => del_node::run(&ctx, args).await,
        Command::Failover(args) => failover::run(&ctx, args).await,
        Command::SetTimeout(args) => set_timeout::run(&ctx, args).await,
        Command::Import(args) => import::run(&ctx, args).await,
        Command::Completions { .. } | Command::Install(_) => Ok(Exit::Ok),
    }
}
