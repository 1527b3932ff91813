//! The confirmation prompt every changing command goes through (via the driver).

use std::io::IsTerminal;

use crate::error::TribError;

/// Asks before changing anything. `yes` (`--yes`, `TRIB_YES=1`) skips; without a
/// terminal it refuses (exit 3) instead of hanging.
pub fn confirm(yes: bool, question: &str) -> Result<(), TribError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(TribError::Aborted(
            "no terminal to confirm on: pass --yes (or set TRIB_YES=1) to apply, or --dry-run to only see the plan; nothing was changed".into(),
        ));
    }
    let ok = dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact()
        .map_err(|e| match e {
            // Ctrl-C at the prompt: an answer, not a signal to stop work under way
            // (nothing has started): aborted at the prompt, exit 3.
            dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
                TribError::Aborted("interrupted at the prompt (Ctrl-C); nothing was changed".into())
            }
            e => TribError::Aborted(format!("cannot read the answer: {e}; nothing was changed")),
        })?;
    if ok {
        Ok(())
    } else {
        Err(TribError::Aborted("declined; nothing was changed".into()))
    }
}
