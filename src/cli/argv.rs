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

/// True when `--json` appears among the options (before any `--`): what a command line
/// that clap rejected asked for, so that its error is a JSON document too.
pub(super) fn json_on_command_line(args: &[String]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// The message of a usage error as clap renders it, without its `error: ` prefix, usage
/// and hint (the part before the first blank line), on one line per problem.
pub(super) fn usage_message(rendered: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for l in rendered.lines().take_while(|l| !l.trim().is_empty()) {
        match lines.last_mut() {
            // An indented line continues the one before (a list of arguments).
            Some(last) if l.starts_with(char::is_whitespace) => {
                last.push(' ');
                last.push_str(l.trim());
            }
            _ => lines.push(l.strip_prefix("error: ").unwrap_or(l).trim().to_string()),
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::{
        from_password_on_command_line, json_on_command_line, password_on_command_line,
        usage_message,
    };

    #[test]
    fn json_and_usage_messages() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(json_on_command_line(&a(&["trib", "--json", "check"])));
        assert!(json_on_command_line(&a(&["trib", "check", "--json"])));
        assert!(!json_on_command_line(&a(&[
            "trib", "call", "x", "--", "ECHO", "--json"
        ])));
        assert_eq!(
            usage_message(
                "error: the following required arguments were not provided:\n  <ENTRY>...\n\nUsage: trib check <ENTRY>...\n\nFor more information, try '--help'.\n"
            ),
            "the following required arguments were not provided: <ENTRY>..."
        );
    }

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
