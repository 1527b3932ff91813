//! `trib backup ENTRY DIR`: every master's RDB plus `cluster.json`, written atomically.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use serde_json::json;

use super::Context;
use super::check::load;
use crate::error::{Exit, TribError};
use crate::ops::Reporter;
use crate::ops::backup::{BackupFile, RdbSource, fetch_rdb, rdb_file_name, write_atomically};
use crate::ui::render;

/// Snapshots fetched at once (each makes its master fork a BGSAVE).
const PARALLEL: usize = 4;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Any node of the cluster
    pub entry: String,
    /// Directory to write `<master-id>.rdb` files and `cluster.json` into (created if missing)
    pub dir: PathBuf,
    /// Longest silence from a master while it prepares or sends its snapshot
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = super::parse_duration)]
    pub idle_timeout: Duration,
}

pub async fn run(ctx: &Context, args: BackupArgs) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let loaded = load(ctx, std::slice::from_ref(&args.entry)).await?;
    let view = &loaded.view;
    tokio::fs::create_dir_all(&args.dir)
        .await
        .map_err(|e| TribError::BadInput(format!("{}: {e}", args.dir.display())))?;
    let masters: Vec<_> = view
        .masters()
        .into_iter()
        .filter(|m| m.myself().is_some_and(|e| !e.slots.is_empty()))
        .collect();
    if masters.is_empty() {
        return Err(TribError::BadInput("no master owns slots: nothing to back up".into()).into());
    }
    let reporter = ctx.reporter();
    reporter.step(&format!(
        "Fetching {} snapshot(s) into {}",
        masters.len(),
        args.dir.display()
    ));
    let fetches = futures::stream::iter(masters.iter().map(|m| {
        let dest = args.dir.join(rdb_file_name(m.id.as_str()));
        let reporter = &reporter;
        async move {
            let source = RdbSource {
                addr: m.addr,
                label: &m.label,
                host_name: None,
                version: m.info.version(),
            };
            let progress = |bytes: u64, total: Option<u64>| {
                reporter.progress(
                    &format!("snapshot of {}", m.label),
                    bytes as usize,
                    total.unwrap_or(bytes) as usize,
                    "",
                );
            };
            let res = fetch_rdb(&source, &ctx.connect, &dest, args.idle_timeout, &progress).await;
            (m, res)
        }
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
                master: m.label.clone(),
                id: m.id.to_string(),
                file: rdb_file_name(m.id.as_str()),
                bytes,
            }),
            Err(e) => failed.push(format!("{}: {e}", m.label)),
        }
    }
    files.sort_by(|a, b| a.master.cmp(&b.master));
    for u in &view.unreachable {
        failed.push(format!("{}: {} (not backed up)", u.label, u.error));
    }

    let layout = json!({
        "format": 1,
        "taken_at_unix": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        "masters": render::masters_json(view).into_iter().map(|mut m| {
            let id = m["id"].as_str().unwrap_or("").to_string();
            m["rdb"] = json!(files.iter().find(|f| f.id == id).map(|f| f.file.clone()));
            m
        }).collect::<Vec<_>>(),
        "nodes": render::nodes_json(view),
    });
    let layout_path = args.dir.join("cluster.json");
    let text = serde_json::to_vec_pretty(&layout)?;
    write_atomically(&layout_path, &text).await?;

    let rows = files
        .iter()
        .map(|f| vec![f.master.clone(), f.file.clone(), render::bytes(f.bytes)])
        .collect();
    ctx.printer
        .out(&render::table(&["MASTER", "FILE", "SIZE"], rows));
    ctx.printer.out(&format!(
        "\n{} snapshot(s) and cluster.json in {} ({:.2}s)",
        files.len(),
        args.dir.display(),
        started.elapsed().as_secs_f64()
    ));
    for f in &failed {
        ctx.printer.warn(f);
    }
    ctx.printer.json_doc(&json!({
        "dir": args.dir.display().to_string(),
        "files": files,
        "layout": "cluster.json",
        "layout_bytes": text.len(),
        "failed": failed,
        "changed": false,
    }));
    Ok(if failed.is_empty() {
        Exit::Ok
    } else {
        Exit::Failed
    })
}
