//! `trib install DIR`: copies this binary into DIR. The trib image has no shell and no
//! `cp`; an init container of the Redis pods runs this to hand trib to the Redis
//! container through a shared volume, whose `preStop` hook then runs
//! `trib failover --demote` (docs/kubernetes/redis-cluster.yaml).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::{Exit, TribError};

/// `trib install` arguments.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The directory to copy trib into (as DIR/trib); it must exist
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `json`: one JSON object (`path`, `version`) instead of a line of text.
pub fn run(args: &InstallArgs, json: bool) -> anyhow::Result<Exit> {
    let to = install(&args.dir)?;
    let version = env!("CARGO_PKG_VERSION");
    if json {
        println!(
            "{}",
            serde_json::json!({"path": to.display().to_string(), "version": version})
        );
    } else {
        println!("trib {version} copied to {}", to.display());
    }
    Ok(Exit::Ok)
}

/// Copies the running executable to `dir`/trib, executable by everyone, in place of any
/// earlier copy at once (written beside it, then renamed): a container that starts trib
/// from there never sees half a binary. A directory that is missing or cannot be written
/// is bad input (exit 2), and nothing is left behind in it.
pub fn install(dir: &Path) -> Result<PathBuf, TribError> {
    let bad =
        |what: &str, e: io::Error| TribError::BadInput(format!("{}: {what}: {e}", dir.display()));
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(TribError::BadInput(format!(
                "{}: not a directory",
                dir.display()
            )));
        }
        Err(e) => return Err(bad("cannot use it", e)),
    }
    let me = std::env::current_exe()
        .map_err(|e| TribError::Failed(format!("cannot find trib's own executable: {e}")))?;
    let to = dir.join("trib");
    // One name: a copy killed half-way is overwritten by the next, never left to pile up.
    let partial = dir.join(".trib.partial");
    let copied = fs::copy(&me, &partial)
        .and_then(|_| set_executable(&partial))
        .and_then(|()| fs::rename(&partial, &to));
    if let Err(e) = copied {
        let _ = fs::remove_file(&partial);
        return Err(bad("cannot copy trib into it", e));
    }
    Ok(to)
}

#[cfg(unix)]
fn set_executable(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_itself_and_replaces_an_earlier_copy() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("trib"), b"an older copy").unwrap();
        let to = install(dir.path()).unwrap();
        assert_eq!(to, dir.path().join("trib"));
        let me = fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(fs::read(&to).unwrap(), me);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&to).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o755);
        }
        // Nothing else is left in the directory.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("trib")]);
    }

    #[test]
    fn a_missing_directory_or_a_file_is_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let e = install(&missing).unwrap_err();
        assert!(
            matches!(&e, TribError::BadInput(m) if m.starts_with(&missing.display().to_string())),
            "{e}"
        );
        let file = dir.path().join("file");
        fs::write(&file, b"x").unwrap();
        let e = install(&file).unwrap_err();
        assert!(
            matches!(&e, TribError::BadInput(m) if m.ends_with("not a directory")),
            "{e}"
        );
        assert_eq!(fs::read(&file).unwrap(), b"x");
    }
}
