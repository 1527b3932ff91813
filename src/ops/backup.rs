//! Backups: each master's RDB fetched over the replication protocol (as
//! `redis-cli --rdb` does), and the cluster layout, written atomically.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use thiserror::Error;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::cluster::conn::{open_stream, resp};
use futures::StreamExt;

use super::Reporter;
use crate::cluster::{ConnectOptions, NodeError, NodeErrorKind};
use crate::model::view::ClusterView;

#[derive(Debug, Error)]
pub enum BackupError {
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error("{node}: {reason}")]
    Protocol { node: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Where a master is and how to reach it.
pub struct RdbSource<'a> {
    pub addr: std::net::SocketAddr,
    pub label: &'a str,
    pub host_name: Option<&'a str>,
    /// The server's version (`INFO`), when known: Redis < 6 has no ACL users.
    pub version: Option<(u32, u32, u32)>,
}

/// `AUTH` for a server of this version: `AUTH user password` where ACL users exist
/// (Redis 6.0 on, or unknown), else `AUTH password`, as trib's other connections fall
/// back to on Redis 5 (which answers the two-argument form with an error).
fn auth_command(user: Option<&str>, password: &str, version: Option<(u32, u32, u32)>) -> Vec<u8> {
    match user {
        Some(user) if version.is_none_or(|v| v >= (6, 0, 0)) => {
            resp(&[b"AUTH", user.as_bytes(), password.as_bytes()])
        }
        _ => resp(&[b"AUTH", password.as_bytes()]),
    }
}

/// Fetches `source`'s RDB into `dest` (through `dest.tmp`, fsynced, then renamed).
/// `idle` bounds every wait for bytes; the master sends a newline every second while
/// it prepares the snapshot, so a long BGSAVE does not trip it. Returns the size.
pub async fn fetch_rdb(
    source: &RdbSource<'_>,
    opts: &ConnectOptions,
    dest: &Path,
    idle: Duration,
    progress: &(dyn Fn(u64, Option<u64>) + Sync),
) -> Result<u64, BackupError> {
    let label = source.label;
    let proto = |reason: String| BackupError::Protocol {
        node: label.to_string(),
        reason,
    };
    let timeout = |what: &'static str| NodeError::new(label, NodeErrorKind::Timeout(what));
    let stream = open_stream(source.addr, label, source.host_name, opts).await?;
    let mut conn = BufReader::new(stream);
    let mut line = String::new();

    async fn send(
        conn: &mut BufReader<Box<dyn crate::cluster::conn::Stream>>,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        conn.get_mut().write_all(bytes).await?;
        conn.get_mut().flush().await
    }
    async fn read_line(
        conn: &mut BufReader<Box<dyn crate::cluster::conn::Stream>>,
        line: &mut String,
        idle: Duration,
    ) -> Result<usize, ()> {
        line.clear();
        match tokio::time::timeout(idle, conn.read_line(line)).await {
            Ok(Ok(n)) => Ok(n),
            _ => Err(()),
        }
    }
    let io = |e: std::io::Error| NodeError::new(label, NodeErrorKind::Connect(e.to_string()));

    if let Some(pw) = &opts.password {
        let cmd = auth_command(opts.user.as_deref(), pw.expose(), source.version);
        send(&mut conn, &cmd).await.map_err(io)?;
        read_line(&mut conn, &mut line, idle)
            .await
            .map_err(|_| timeout("AUTH"))?;
        if !line.starts_with("+OK") {
            // `-CODE detail`: classified like every reply (wrong password, none set, …).
            let reply = line.trim_end().trim_start_matches('-');
            let (code, detail) = reply.split_once(' ').unwrap_or((reply, ""));
            return Err(NodeError::new(label, NodeErrorKind::from_reply(code, detail)).into());
        }
    }
    // Only the snapshot, not the replication stream after it (Redis ≥ 7; older ones
    // answer an error, which is fine: the connection is closed after the payload).
    send(&mut conn, &resp(&[b"REPLCONF", b"rdb-only", b"1"]))
        .await
        .map_err(io)?;
    read_line(&mut conn, &mut line, idle)
        .await
        .map_err(|_| timeout("REPLCONF"))?;
    send(&mut conn, &resp(&[b"SYNC"])).await.map_err(io)?;

    // Newlines are keep-alives while the master prepares the snapshot.
    loop {
        read_line(&mut conn, &mut line, idle)
            .await
            .map_err(|_| timeout("SYNC"))?;
        if line.is_empty() {
            return Err(proto("connection closed before the snapshot".into()));
        }
        if line.trim().is_empty() {
            continue;
        }
        break;
    }
    let header = line.trim_end().to_string();
    if let Some(err) = header.strip_prefix('-') {
        return Err(proto(format!("SYNC refused: {err}")));
    }
    let Some(spec) = header.strip_prefix('$') else {
        return Err(proto(format!("unexpected reply to SYNC: {header:?}")));
    };

    let tmp = PathBuf::from(format!("{}.tmp", dest.display()));
    let mut file = tokio::fs::File::create(&tmp).await.map_err(io_err(&tmp))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut written: u64 = 0;
    if let Some(mark) = spec.strip_prefix("EOF:") {
        // Diskless: the payload ends with the 40-byte mark.
        let mark = mark.as_bytes().to_vec();
        let mut tail: Vec<u8> = Vec::new();
        loop {
            let n = tokio::time::timeout(idle, conn.read(&mut buf))
                .await
                .map_err(|_| timeout("snapshot"))?
                .map_err(io)?;
            if n == 0 {
                return Err(proto(
                    "connection closed in the middle of the snapshot".into(),
                ));
            }
            tail.extend_from_slice(&buf[..n]);
            if tail.ends_with(&mark) {
                let body = tail.len() - mark.len();
                file.write_all(&tail[..body]).await.map_err(io_err(&tmp))?;
                written += body as u64;
                break;
            }
            // Keep the last bytes that could be the start of the mark.
            if tail.len() > mark.len() {
                let flush = tail.len() - mark.len();
                file.write_all(&tail[..flush]).await.map_err(io_err(&tmp))?;
                written += flush as u64;
                tail.drain(..flush);
            }
            progress(written, None);
        }
    } else {
        let total: u64 = spec
            .parse()
            .map_err(|_| proto(format!("bad snapshot length {spec:?}")))?;
        while written < total {
            let want = buf.len().min((total - written) as usize);
            let n = tokio::time::timeout(idle, conn.read(&mut buf[..want]))
                .await
                .map_err(|_| timeout("snapshot"))?
                .map_err(io)?;
            if n == 0 {
                return Err(proto(format!(
                    "connection closed after {written} of {total} bytes"
                )));
            }
            file.write_all(&buf[..n]).await.map_err(io_err(&tmp))?;
            written += n as u64;
            progress(written, Some(total));
        }
    }
    file.sync_all().await.map_err(io_err(&tmp))?;
    drop(file);
    let mut magic = [0u8; 5];
    let mut check = tokio::fs::File::open(&tmp).await.map_err(io_err(&tmp))?;
    let _ = check.read(&mut magic).await;
    if &magic != b"REDIS" && &magic != b"VALKE" {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(proto(
            "the snapshot does not start with an RDB header".into(),
        ));
    }
    tokio::fs::rename(&tmp, dest).await.map_err(io_err(dest))?;
    Ok(written)
}

/// Writes `contents` to `path` atomically: a temp file, fsync, rename, fsync of the directory.
pub async fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), BackupError> {
    let tmp = PathBuf::from(format!("{}.tmp", path.display()));
    let mut f = tokio::fs::File::create(&tmp).await.map_err(io_err(&tmp))?;
    f.write_all(contents).await.map_err(io_err(&tmp))?;
    f.sync_all().await.map_err(io_err(&tmp))?;
    drop(f);
    tokio::fs::rename(&tmp, path).await.map_err(io_err(path))?;
    if let Some(dir) = path.parent()
        && let Ok(d) = tokio::fs::File::open(dir).await
    {
        let _ = d.sync_all().await;
    }
    Ok(())
}

/// The file a master's snapshot goes to.
pub fn rdb_file_name(id: &str) -> String {
    format!("{id}.rdb")
}

/// What `backup --json` reports per master.
#[derive(Clone, Debug, Serialize)]
pub struct BackupFile {
    pub master: String,
    pub id: String,
    pub file: String,
    pub bytes: u64,
}

/// What a backup will fetch: the masters that own slots, and where it writes.
#[derive(Clone, Debug, Serialize)]
pub struct BackupPlan {
    pub dir: PathBuf,
    pub masters: Vec<BackupSource>,
}

/// One master to fetch.
#[derive(Clone, Debug, Serialize)]
pub struct BackupSource {
    pub master: String,
    pub id: String,
    pub addr: std::net::SocketAddr,
    pub file: String,
    #[serde(skip)]
    pub version: Option<(u32, u32, u32)>,
}

impl BackupPlan {
    /// Every reachable master that owns slots, in the view's order.
    pub fn new(view: &ClusterView, dir: &Path) -> BackupPlan {
        BackupPlan {
            dir: dir.to_path_buf(),
            masters: view
                .masters()
                .into_iter()
                .filter(|m| m.myself().is_some_and(|e| !e.slots.is_empty()))
                .map(|m| BackupSource {
                    master: m.label.clone(),
                    id: m.id.to_string(),
                    addr: m.addr,
                    file: rdb_file_name(m.id.as_str()),
                    version: m.info.version(),
                })
                .collect(),
        }
    }
}

/// What a backup wrote.
#[derive(Clone, Debug)]
pub struct BackupDone {
    pub files: Vec<BackupFile>,
    /// Masters not backed up, with the reason (unreachable nodes included).
    pub failed: Vec<String>,
    /// `cluster.json`'s size.
    pub layout_bytes: usize,
}

/// Snapshots fetched at once (each makes its master fork a BGSAVE).
const PARALLEL: usize = 4;

/// Fetches every planned master's RDB into the plan's directory (created if missing),
/// then writes `cluster.json` (`layout` of the files written) atomically.
pub async fn run_backup(
    plan: &BackupPlan,
    view: &ClusterView,
    connect: &ConnectOptions,
    idle_timeout: Duration,
    layout: &dyn Fn(&[BackupFile]) -> serde_json::Value,
    reporter: &dyn Reporter,
) -> Result<BackupDone, BackupError> {
    tokio::fs::create_dir_all(&plan.dir)
        .await
        .map_err(io_err(&plan.dir))?;
    reporter.step(&format!(
        "Fetching {} snapshot(s) into {}",
        plan.masters.len(),
        plan.dir.display()
    ));
    let fetches = futures::stream::iter(plan.masters.iter().map(|m| async move {
        let dest = plan.dir.join(&m.file);
        let source = RdbSource {
            addr: m.addr,
            label: &m.master,
            host_name: None,
            version: m.version,
        };
        let progress = |bytes: u64, total: Option<u64>| {
            reporter.progress(
                &format!("snapshot of {}", m.master),
                bytes as usize,
                total.unwrap_or(bytes) as usize,
                "",
            );
        };
        (
            m,
            fetch_rdb(&source, connect, &dest, idle_timeout, &progress).await,
        )
    }))
    .buffer_unordered(PARALLEL)
    .collect::<Vec<_>>()
    .await;
    reporter.finish("");

    let mut files = Vec::new();
    let mut failed = Vec::new();
    for (m, res) in fetches {
        match res {
            Ok(bytes) => files.push(BackupFile {
                master: m.master.clone(),
                id: m.id.clone(),
                file: m.file.clone(),
                bytes,
            }),
            Err(e) => failed.push(format!("{}: {e}", m.master)),
        }
    }
    files.sort_by(|a, b| a.master.cmp(&b.master));
    for u in &view.unreachable {
        failed.push(format!("{}: {} (not backed up)", u.label, u.error));
    }
    let layout = layout(&files);
    let path = plan.dir.join("cluster.json");
    let text = serde_json::to_vec_pretty(&layout).map_err(|e| BackupError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    write_atomically(&path, &text).await?;
    Ok(BackupDone {
        files,
        failed,
        layout_bytes: text.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_without_user_on_redis_5() {
        // `--user` on Redis 5.0.6 made backup fail with "wrong password or user" while
        // every other command worked (found with a real Redis 5 server).
        let with_user = b"*3\r\n$4\r\nAUTH\r\n$4\r\ntrib\r\n$2\r\npw\r\n".to_vec();
        let password_only = b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n".to_vec();
        assert_eq!(
            auth_command(Some("trib"), "pw", Some((5, 0, 6))),
            password_only
        );
        assert_eq!(
            auth_command(Some("trib"), "pw", Some((6, 2, 14))),
            with_user
        );
        assert_eq!(auth_command(Some("trib"), "pw", Some((9, 1, 2))), with_user);
        assert_eq!(auth_command(Some("trib"), "pw", None), with_user);
        assert_eq!(auth_command(None, "pw", Some((7, 0, 15))), password_only);
    }
}
