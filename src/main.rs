//! `trib`: parse, dispatch, exit. Everything else lives in the library.

fn main() {
    std::process::exit(trib::cli::main_exit());
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
