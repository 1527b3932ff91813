//! What the process list shows: secrets passed as options (`-a`, `--from-password`)
//! are visible to every user of the machine, so trib warns about them.

/// True when `-a`/`--password` appears among the options (before any `--`).
pub(super) fn password_on_command_line(args: &[String]) -> bool {
    args.iter().skip(1).take_while(|a| *a != "--").any(|a| {
        a == "-a"
            || a == "--password"
            || a.starts_with("--password=")
            || (a.starts_with("-a") && !a.starts_with("--") && a.len() > 2)
    })
}

/// True when `--from-password` appears among the options (before any `--`).
pub(super) fn from_password_on_command_line(args: &[String]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--from-password" || a.starts_with("--from-password="))
}

#[cfg(test)]
mod tests {
    use super::{from_password_on_command_line, password_on_command_line};

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_password_flags() {
        assert!(password_on_command_line(&args(&[
            "trib", "-a", "x", "check", "h"
        ])));
        assert!(password_on_command_line(&args(&[
            "trib",
            "--password=x",
            "info",
            "h"
        ])));
        assert!(password_on_command_line(&args(&[
            "trib", "-asecret", "info", "h"
        ])));
        assert!(!password_on_command_line(&args(&["trib", "check", "h"])));
        assert!(!password_on_command_line(&args(&[
            "trib", "call", "h", "--", "-a"
        ])));
    }

    #[test]
    fn detects_from_password_flag() {
        assert!(from_password_on_command_line(&args(&[
            "trib",
            "import",
            "h",
            "--from",
            "s",
            "--from-password",
            "x"
        ])));
        assert!(from_password_on_command_line(&args(&[
            "trib",
            "import",
            "--from-password=x"
        ])));
        assert!(!from_password_on_command_line(&args(&[
            "trib", "import", "h", "--from", "s"
        ])));
    }
}
