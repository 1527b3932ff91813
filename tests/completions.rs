//! The checked-in completion scripts match what `trib completions SHELL` prints.

mod common;

use common::{run, trib};

#[test]
fn completions_are_in_sync() {
    for (shell, file) in [
        ("bash", "trib.bash"),
        ("zsh", "_trib"),
        ("fish", "trib.fish"),
        ("elvish", "trib.elv"),
        ("powershell", "_trib.ps1"),
    ] {
        let out = run(trib().args(["completions", shell]));
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        let path = format!("{}/completions/{file}", env!("CARGO_MANIFEST_DIR"));
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            out.stdout == checked_in,
            "completions/{file} is out of date: run scripts/gen-completions.sh"
        );
        assert!(
            out.stdout.contains("create"),
            "{shell} script lacks subcommands"
        );
    }
}

#[test]
fn unknown_shell_is_bad_usage() {
    let out = run(trib().args(["completions", "tcsh"]));
    assert_eq!(out.code, 2);
}
