//! The one place output is written. With `--json`, stdout carries exactly one JSON
//! document and everything human goes to stderr.

use std::io::{IsTerminal, Write};

use super::plan::Shown;

#[derive(Clone, Debug)]
pub struct Printer {
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
    /// stderr is a terminal (progress bars, prompts).
    pub term: bool,
}

impl Printer {
    pub fn new(json: bool, quiet: bool, verbose: u8) -> Printer {
        Printer {
            json,
            quiet,
            verbose,
            term: std::io::stderr().is_terminal(),
        }
    }

    /// Colour on stderr: a terminal, and `NO_COLOR` unset.
    pub fn colour_on_stderr() -> bool {
        std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    /// The command's human result (tables, plans): stdout, or stderr under `--json`.
    pub fn out(&self, text: &str) {
        if self.json {
            if !self.quiet {
                eprintln!("{text}");
            }
        } else {
            let mut out = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth reporting.
            let _ = writeln!(out, "{text}");
        }
    }

    /// Status lines (what is happening): stderr unless `--quiet`.
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Warnings: always on stderr.
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }

    /// Pieces of a plan or a result, in order: text as [`Printer::out`] (empty ones
    /// left out), warnings as [`Printer::warn`].
    pub fn show(&self, shown: &[Shown]) {
        for s in shown {
            match s {
                Shown::Out(text) if text.is_empty() => {}
                Shown::Out(text) => self.out(text),
                Shown::Warn(text) => self.warn(text),
            }
        }
    }

    /// The JSON document (only with `--json`).
    pub fn json_doc(&self, value: &serde_json::Value) {
        if self.json {
            let mut out = std::io::stdout().lock();
            let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".into());
            let _ = writeln!(out, "{text}");
        }
    }
}
