//! The terminal implementation of [`Reporter`]: a spinner with counts on a terminal,
//! plain lines (at most every 2 s per wait) otherwise.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::Printer;
use crate::ops::Reporter;

pub struct TermReporter {
    quiet: bool,
    term: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    bar: Option<ProgressBar>,
    what: String,
    last_line: Option<Instant>,
}

impl TermReporter {
    pub fn new(printer: &Printer) -> TermReporter {
        TermReporter {
            quiet: printer.quiet,
            term: printer.term,
            state: Mutex::new(State::default()),
        }
    }
}

impl Reporter for TermReporter {
    fn step(&self, msg: &str) {
        if self.quiet {
            return;
        }
        match self.state.lock() {
            Ok(st) => match &st.bar {
                Some(bar) => bar.println(format!(">>> {msg}")),
                None => eprintln!(">>> {msg}"),
            },
            Err(_) => eprintln!(">>> {msg}"),
        }
    }

    fn progress(&self, what: &str, done: usize, total: usize, missing: &str) {
        if self.quiet {
            return;
        }
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if self.term {
            if st.bar.is_none() || st.what != what {
                if let Some(old) = st.bar.take() {
                    old.finish_and_clear();
                }
                let bar = ProgressBar::new(total as u64);
                let style = ProgressStyle::with_template(
                    "{spinner} {prefix} [{bar:20}] {pos}/{len} {elapsed} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                bar.set_style(style);
                bar.set_prefix(what.to_string());
                bar.enable_steady_tick(Duration::from_millis(100));
                st.bar = Some(bar);
                st.what = what.to_string();
            }
            if let Some(bar) = &st.bar {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message(missing.to_string());
            }
        } else {
            let due = st.what != what
                || st
                    .last_line
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(2));
            if due {
                st.what = what.to_string();
                st.last_line = Some(Instant::now());
                if missing.is_empty() {
                    eprintln!("... {what}: {done}/{total}");
                } else {
                    eprintln!("... {what}: {done}/{total}; {missing}");
                }
            }
        }
    }

    fn finish(&self, msg: &str) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if let Some(bar) = st.bar.take() {
            bar.finish_and_clear();
        }
        st.what.clear();
        st.last_line = None;
        if !self.quiet && !msg.is_empty() {
            eprintln!("[OK] {msg}");
        }
    }

    fn warn(&self, msg: &str) {
        match self.state.lock() {
            Ok(st) => match &st.bar {
                Some(bar) => bar.println(format!("warning: {msg}")),
                None => eprintln!("warning: {msg}"),
            },
            Err(_) => eprintln!("warning: {msg}"),
        }
    }
}
