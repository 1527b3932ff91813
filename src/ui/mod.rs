//! Terminal output: the printer (human/JSON, quiet/verbose), tables, progress, errors.

mod confirm;
pub mod plan;
mod printer;
mod progress;
pub mod render;

pub use confirm::confirm;
pub use printer::Printer;
pub use progress::TermReporter;

/// Prints an error that reached `main`: one line per cause that adds information.
pub fn print_error(err: &anyhow::Error) {
    let msg = format!("{err:#}");
    for line in msg.lines() {
        eprintln!("error: {line}");
    }
}

/// Logs go to stderr; `-v` shows debug, `-vv` trace; `RUST_LOG` overrides.
pub fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "trib=debug",
        _ => "trib=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(Printer::colour_on_stderr())
        .try_init();
}
