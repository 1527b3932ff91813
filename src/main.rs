//! `trib`: parse, dispatch, exit. Everything else lives in the library.

fn main() {
    std::process::exit(trib::cli::main_exit());
}
